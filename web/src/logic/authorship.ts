/**
 * Who wrote each character of a clause, from the Yjs items of its text:
 * every item carries the client ID that created it, and the server-written
 * `meeting` room maps client IDs to members (`clients`). Nothing is written
 * into the shared document for this (unlike `Y.PermanentUserData`).
 */
import type * as Y from 'yjs'

/** A stretch of text written by one member (`null`: nobody the room knows). */
export interface AuthorRun {
  from: number
  to: number
  user: string | null
}

/** One visible piece of a text: its length in UTF-16 units and its client. */
export interface Piece {
  client: number
  length: number
}

/** Internals of a Yjs item that the walk needs (Yjs does not export them as types). */
interface ItemLike {
  id: { client: number }
  length: number
  deleted: boolean
  countable: boolean
  right: ItemLike | null
}

/** The visible pieces of `text`, in order. Lengths count UTF-16 units. */
export function piecesOf(text: Y.Text): Piece[] {
  const pieces: Piece[] = []
  let item = (text as unknown as { _start: ItemLike | null })._start
  while (item) {
    if (!item.deleted && item.countable && item.length > 0) {
      pieces.push({ client: item.id.client, length: item.length })
    }
    item = item.right
  }
  return pieces
}

/**
 * Merges pieces into runs of one member each. `clients` maps a client ID
 * (as the decimal string the meeting room uses) to a member's user ID.
 */
export function authorRuns(pieces: Piece[], clients: ReadonlyMap<string, string>): AuthorRun[] {
  const runs: AuthorRun[] = []
  let pos = 0
  for (const p of pieces) {
    const user = clients.get(String(p.client)) ?? null
    const last = runs[runs.length - 1]
    if (last && last.user === user && last.to === pos) {
      last.to += p.length
    } else {
      runs.push({ from: pos, to: pos + p.length, user })
    }
    pos += p.length
  }
  return runs
}

/** The run that covers position `pos` (the character after it, else before). */
export function runAt(runs: AuthorRun[], pos: number): AuthorRun | null {
  for (const r of runs) {
    if (pos >= r.from && pos < r.to) return r
  }
  const last = runs[runs.length - 1]
  return last && pos === last.to ? last : null
}
