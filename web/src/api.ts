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
    /** The rest of the error's JSON (e.g. the three texts of `clause_changed`). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/** A JSON command; exported for the method's commands (`method-api.ts`). */
export async function call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const text = await request(method, path, token, body)
  try {
    return (text ? JSON.parse(text) : null) as T
  } catch {
    throw new ApiError(0, 'internal', 'the server answered something that is not JSON')
  }
}

/** A request whose answer is text (a report, a version as Markdown). */
async function request(method: string, path: string, token: string | null, body?: unknown): Promise<string> {
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
  if (!res.ok) {
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      // Not JSON: a proxy's error page, say. Reported by status below.
    }
    const err = (json as { error?: Record<string, unknown> & { code?: string; message?: string } } | null)?.error
    throw new ApiError(res.status, err?.code ?? 'internal', err?.message ?? `HTTP ${res.status}`, err ?? {})
  }
  return text
}

export interface Created {
  id: string
  moderator_token: string
  participant_invite: string
  observer_invite: string
  /** The short code people type to join as participants. */
  participant_code?: string
}

export interface Invitation {
  title: string
  role: Role
  frozen: boolean
  language?: string
}

export interface Frozen {
  version: number
  sha256: string
  text: string
}

/** A stretch of a clause written by one member. */
export interface Span {
  text: string
  user_id: string | null
  name: string
}

export interface VersionView {
  version: number
  created_at: number
  frozen_by: string
  frozen_by_name: string
  sha256: string
  text: string
  clauses: { id: string; text: string; spans?: Span[]; authors?: { user_id: string | null; name: string; characters: number }[] }[]
}

export interface HistoryEntry {
  time: number
  user_id: string | null
  user_name?: string
  inserted?: number
  deleted?: number
  amendment_id?: string | null
  accepted_by?: string | null
  accepted_by_name?: string | null
  moved?: { from: number; to: number }
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
  /** `workshop`: start with the working groups (the collect stage) rather than directly with the draft. */
  createMeeting: (title: string, moderatorName: string, language: string, workshop: boolean) =>
    call<Created>('POST', '/api/meetings', null, { title, moderator_name: moderatorName, language, workshop }),
  /** What a short join code leads to. */
  code: (code: string) =>
    call<Invitation & { meeting_id: string }>('POST', '/api/codes', null, { code }),
  join: (meeting: string, invite: string, name: string) =>
    call<Joined>('POST', `/api/meetings/${meeting}/join`, null, { invite, name }),
  invitation: (meeting: string, invite: string) =>
    call<Invitation>('POST', `/api/meetings/${meeting}/invitation`, null, { invite }),
  meeting: (meeting: string, token: string) =>
    call<MeetingInfo>('GET', `/api/meetings/${meeting}`, token),
  grantEditor: (meeting: string, token: string, userId: string) =>
    call<{ user_id: string; role: Role }>('POST', `/api/meetings/${meeting}/editors`, token, {
      user_id: userId,
    }),
  moveClause: (meeting: string, token: string, clause: string, to: number) =>
    call<{ clauses: string[] }>('POST', `/api/meetings/${meeting}/clauses/${clause}/move`, token, { to }),
  rotateInvites: (meeting: string, token: string, which: { participant: boolean; observer: boolean }) =>
    call<{ participant_invite?: string; observer_invite?: string; participant_code?: string }>(
      'POST',
      `/api/meetings/${meeting}/invites/rotate`,
      token,
      which,
    ),
  openAmendment: (meeting: string, token: string, clause: string) =>
    call<{ id: string }>('POST', `/api/meetings/${meeting}/amendments`, token, { clause_id: clause }),
  support: (meeting: string, token: string, amendment: string) =>
    call<{ supporters: string[] }>('POST', `/api/meetings/${meeting}/amendments/${amendment}/support`, token, {}),
  /** `clauseSha256`: the clause as the moderator saw it (required when it changed since the amendment was opened). */
  accept: (meeting: string, token: string, amendment: string, clauseSha256: string) =>
    call<{ clause_id: string; text: string }>('POST', `/api/meetings/${meeting}/amendments/${amendment}/accept`, token, {
      clause_sha256: clauseSha256,
    }),
  reject: (meeting: string, token: string, amendment: string) =>
    call<unknown>('POST', `/api/meetings/${meeting}/amendments/${amendment}/reject`, token, {}),
  freeze: (meeting: string, token: string) => call<Frozen>('POST', `/api/meetings/${meeting}/freeze`, token, {}),
  reopen: (meeting: string, token: string) => call<unknown>('POST', `/api/meetings/${meeting}/reopen`, token, {}),
  version: (meeting: string, token: string, n: number) =>
    call<VersionView>('GET', `/api/meetings/${meeting}/versions/${n}?format=json`, token),
  versionDiff: (meeting: string, token: string, a: number, b: number) =>
    call<{ from: number; to: number; changes: { op: string; text: string }[] }>(
      'GET',
      `/api/meetings/${meeting}/versions/${a}/diff/${b}`,
      token,
    ),
  clauseHistory: (meeting: string, token: string, clause: string) =>
    call<HistoryEntry[]>('GET', `/api/meetings/${meeting}/clauses/${clause}/history`, token),
  setStage: (meeting: string, token: string, stage: string) =>
    call<{ stage: string }>('POST', `/api/meetings/${meeting}/stage`, token, { stage }),
  createGroup: (meeting: string, token: string, name: string) =>
    call<{ id: string; label: string; name: string }>('POST', `/api/meetings/${meeting}/groups`, token, { name }),
  /** The moderator puts `userId` in a group; without it, the caller joins it. */
  putInGroup: (meeting: string, token: string, group: string, userId?: string) =>
    call<unknown>('POST', `/api/meetings/${meeting}/groups/${group}/members`, token, userId ? { user_id: userId } : {}),
  /** To the caller's own group's list; the moderator names the group. */
  addElement: (meeting: string, token: string, text: string, group?: string) =>
    call<{ id: string; group_id: string; name: string; text: string }>(
      'POST',
      `/api/meetings/${meeting}/elements`,
      token,
      group ? { text, group_id: group } : { text },
    ),
  /** The caller's own group shares (or not) an element; the moderator names the group. */
  markShare: (meeting: string, token: string, element: string, shared: boolean, group?: string) =>
    call<unknown>('POST', `/api/meetings/${meeting}/elements/${element}/share`, token, group ? { shared, group_id: group } : { shared }),
  merge: (meeting: string, token: string, element: string, into: string) =>
    call<unknown>('POST', `/api/meetings/${meeting}/elements/${element}/merge`, token, { into }),
  split: (meeting: string, token: string, element: string, parts: string[]) =>
    call<{ parts: { id: string; name: string; text: string }[] }>('POST', `/api/meetings/${meeting}/elements/${element}/split`, token, { parts }),
  /** `value` marks it a value (or not); `under` nests it under a value (null takes it out). */
  markValue: (meeting: string, token: string, element: string, mark: { value?: boolean; under?: string | null }) =>
    call<unknown>('POST', `/api/meetings/${meeting}/elements/${element}/value`, token, mark),
  /** The printable report, as HTML, in the meeting's language. */
  report: (meeting: string, token: string) => request('GET', `/api/meetings/${meeting}/report?format=html`, token),
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
