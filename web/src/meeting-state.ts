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

const ROLES: readonly Role[] = ['moderator', 'editor', 'participant', 'observer']

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

  /** Observers connected now (the server counts them; they are not listed). */
  get observers(): number {
    const n = Number(this.doc.getMap('meeting').get('observers') ?? 0)
    return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0
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
