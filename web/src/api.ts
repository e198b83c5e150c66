/**
 * The HTTP commands of the server. Screens call these; they never build a
 * URL themselves. Errors come back as `ApiError` with the server's code.
 */
import type { Role } from './i18n/index.js'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The server's code (`unauthorized`, `conflict`, …) or `network`. */
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    })
  } catch (e) {
    throw new ApiError(0, 'network', String(e))
  }
  const text = await res.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    // Not JSON: a proxy's error page, say. Reported by status below.
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error
    throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? `HTTP ${res.status}`)
  }
  return json as T
}

export interface Created {
  id: string
  moderator_token: string
  participant_invite: string
  observer_invite: string
}

export interface Joined {
  token: string
  user_id: string
  role: Role
}

export interface MeetingInfo {
  id: string
  title: string
  created_at: number
  frozen: boolean
  you: { user_id: string; name: string; role: Role; colour: string }
}

export const api = {
  createMeeting: (title: string, moderatorName: string) =>
    call<Created>('POST', '/api/meetings', null, { title, moderator_name: moderatorName }),
  join: (meeting: string, invite: string, name: string) =>
    call<Joined>('POST', `/api/meetings/${meeting}/join`, null, { invite, name }),
  invitation: (meeting: string, invite: string) =>
    call<{ title: string; role: Role; frozen: boolean }>('POST', `/api/meetings/${meeting}/invitation`, null, { invite }),
  meeting: (meeting: string, token: string) =>
    call<MeetingInfo>('GET', `/api/meetings/${meeting}`, token),
  grantEditor: (meeting: string, token: string, userId: string) =>
    call<{ user_id: string; role: Role }>('POST', `/api/meetings/${meeting}/editors`, token, {
      user_id: userId,
    }),
  moveClause: (meeting: string, token: string, clause: string, to: number) =>
    call<{ clauses: string[] }>('POST', `/api/meetings/${meeting}/clauses/${clause}/move`, token, { to }),
  rotateInvites: (meeting: string, token: string) =>
    call<{ participant_invite?: string; observer_invite?: string }>(
      'POST',
      `/api/meetings/${meeting}/invites/rotate`,
      token,
      { participant: true, observer: true },
    ),
}

/** The base of the WebSocket URL of a meeting's rooms. */
export function roomsUrl(meeting: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/ws/${meeting}`
}

/** A random UUID, also where `crypto.randomUUID` is missing (plain http on a LAN). */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}
