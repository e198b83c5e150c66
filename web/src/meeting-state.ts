/**
 * Reading the server-written `meeting` room. Screens derive what they show
 * from the document each time it changes; nothing is copied into a second
 * store that could drift.
 */
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

import type { Role } from './i18n/index.js'

export interface Person {
  userId: string
  name: string
  role: Role
  colour: string
  joinedAt: number
}

export type AmendmentStatus = 'open' | 'accepted' | 'rejected'

/** An amendment as the meeting room shows it. */
export interface Amendment {
  id: string
  clauseId: string
  author: string
  status: AmendmentStatus
  supporters: string[]
  createdAt: number
  decidedAt: number | null
  decidedBy: string | null
  /** The wording once decided (while open, its room holds the live one). */
  text: string
  /** The clause's text when it was opened; null for amendments from before it was kept. */
  base: string | null
}

/** A frozen version as the meeting room shows it. */
export interface Version {
  number: number
  createdAt: number
  frozenBy: string
  sha256: string
  text: string
}

const ROLES: readonly Role[] = ['moderator', 'editor', 'participant', 'observer']
const STATUSES: readonly AmendmentStatus[] = ['open', 'accepted', 'rejected']

export class MeetingView {
  /** Replaced when the connection drops its copy of the room and resyncs. */
  constructor(public doc: Y.Doc) {}

  get title(): string {
    return String(this.doc.getMap('meeting').get('title') ?? '')
  }

  /** `drafting` or `frozen`. */
  get phase(): string {
    return String(this.doc.getMap('meeting').get('phase') ?? 'drafting')
  }

  get frozen(): boolean {
    return this.phase === 'frozen'
  }

  /** The method's stage (`meeting.stage`); meetings from before stages: `frozen` or `amend`. */
  get stage(): string {
    const s = this.doc.getMap('meeting').get('stage')
    return typeof s === 'string' && s ? s : this.frozen ? 'frozen' : 'amend'
  }

  /** Observers connected now (the server counts them; they are not listed). */
  get observers(): number {
    const n = Number(this.doc.getMap('meeting').get('observers') ?? 0)
    return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0
  }

  /** The meeting's language (its report is written in it). */
  get language(): string | null {
    const l = this.doc.getMap('meeting').get('language')
    return typeof l === 'string' ? l : null
  }

  /** Every amendment, oldest first. */
  amendments(): Amendment[] {
    const list: Amendment[] = []
    for (const [id, raw] of this.doc.getMap('amendments').entries()) {
      if (!raw || typeof raw !== 'object') continue
      const a = raw as Record<string, unknown>
      list.push({
        id,
        clauseId: String(a.clause_id ?? ''),
        author: String(a.author ?? ''),
        status: STATUSES.includes(a.status as AmendmentStatus) ? (a.status as AmendmentStatus) : 'open',
        supporters: Array.isArray(a.supporters) ? a.supporters.map(String) : [],
        createdAt: Number(a.created_at ?? 0),
        decidedAt: typeof a.decided_at === 'number' ? a.decided_at : null,
        decidedBy: typeof a.decided_by === 'string' ? a.decided_by : null,
        text: String(a.text ?? ''),
        base: typeof a.base === 'string' ? a.base : null,
      })
    }
    return list.sort((x, y) => x.createdAt - y.createdAt || x.id.localeCompare(y.id))
  }

  /** The frozen versions, oldest first. */
  versions(): Version[] {
    const list: Version[] = []
    for (const raw of this.doc.getMap('versions').values()) {
      if (!raw || typeof raw !== 'object') continue
      const v = raw as Record<string, unknown>
      const number = Number(v.version)
      if (!Number.isInteger(number)) continue
      list.push({
        number,
        createdAt: Number(v.created_at ?? 0),
        frozenBy: String(v.frozen_by ?? ''),
        sha256: String(v.sha256 ?? ''),
        text: String(v.text ?? ''),
      })
    }
    return list.sort((a, b) => a.number - b.number)
  }

  /** The latest agreed version, if there is one. */
  latestVersion(): Version | null {
    const all = this.versions()
    return all[all.length - 1] ?? null
  }

  person(userId: string): Person | null {
    const raw = this.doc.getMap('participants').get(userId) as Record<string, unknown> | undefined
    if (!raw || typeof raw !== 'object') return null
    const role = ROLES.includes(raw.role as Role) ? (raw.role as Role) : 'participant'
    return {
      userId,
      name: String(raw.name ?? ''),
      role,
      colour: String(raw.colour ?? '#7f7f7f'),
      joinedAt: Number(raw.joined_at ?? 0),
    }
  }

  /** The people in the room: moderator first, then by when they joined. */
  people(): Person[] {
    const list: Person[] = []
    for (const id of this.doc.getMap('participants').keys()) {
      const p = this.person(id)
      if (p && p.role !== 'observer') list.push(p)
    }
    const rank = (p: Person) => ROLES.indexOf(p.role)
    return list.sort((a, b) => rank(a) - rank(b) || a.joinedAt - b.joinedAt)
  }

  /** Yjs client ID (decimal) → member's user ID, as the server bound them. */
  clients(): Map<string, string> {
    const map = new Map<string, string>()
    for (const [client, user] of this.doc.getMap('clients').entries()) {
      map.set(client, String(user))
    }
    return map
  }

  /** The member who owns a Yjs client ID, as the server knows them. */
  owner(clientId: number, clients = this.clients()): Person | null {
    const user = clients.get(String(clientId))
    return user ? this.person(user) : null
  }

  /** Members with presence in the draft room now: they are connected. */
  connected(awareness: Awareness): Set<string> {
    const clients = this.clients()
    const users = new Set<string>()
    for (const id of awareness.getStates().keys()) {
      const user = clients.get(String(id))
      if (user) users.add(user)
    }
    return users
  }
}
