/**
 * A member's seat in a meeting, kept in this browser so that a reload
 * returns them to it: the token (a capability: only here and in requests to
 * the server) and, for the moderator, the invites to hand out.
 */
import type { Role } from './i18n/index.js'

export interface Seat {
  meeting: string
  token: string
  userId: string
  name: string
  role: Role
  title: string
  invites?: { participant: string; observer: string; code?: string }
  /** Last opened, for ordering the list on the start page. */
  seenAt: number
}

const KEY = 'draftroom.seats.v1'

function readAll(): Record<string, Seat> {
  try {
    const raw = localStorage.getItem(KEY)
    const parsed = raw ? (JSON.parse(raw) as unknown) : {}
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, Seat>) : {}
  } catch {
    return {}
  }
}

function writeAll(seats: Record<string, Seat>): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(seats))
  } catch {
    // Storage full or forbidden (private mode): the seat lasts this page only.
  }
}

export const seats = {
  get(meeting: string): Seat | null {
    return readAll()[meeting] ?? null
  },
  put(seat: Seat): void {
    const all = readAll()
    all[seat.meeting] = seat
    writeAll(all)
  },
  update(meeting: string, change: Partial<Seat>): void {
    const all = readAll()
    const seat = all[meeting]
    if (!seat) return
    all[meeting] = { ...seat, ...change }
    writeAll(all)
  },
  forget(meeting: string): void {
    const all = readAll()
    delete all[meeting]
    writeAll(all)
  },
  list(): Seat[] {
    return Object.values(readAll()).sort((a, b) => b.seenAt - a.seenAt)
  },
}
