/**
 * What the connection indicator says, derived from the state of the
 * meeting's room links, the browser's network state and the changes made
 * while not connected. Pure, so the rules are unit-tested.
 */

/** One room's link to the server, as its provider reports it. */
export interface RoomLink {
  /** The socket is open. */
  connected: boolean
  /** The server's state arrived on this socket. */
  synced: boolean
  /** It was synced at some point since the page opened. */
  everSynced: boolean
  /** The server closed it for good (4401 bad token, 4404 no such meeting). */
  closedWith: number | null
}

export type StatusKind = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed'

export interface Status {
  kind: StatusKind
  /** Local changes the server has not been sent yet. */
  unsent: number
  /** For `closed`: the close code. */
  code?: number
}

export function deriveStatus(links: RoomLink[], online: boolean, unsent: number): Status {
  const closed = links.find((l) => l.closedWith !== null)
  if (closed) return { kind: 'closed', unsent, code: closed.closedWith ?? undefined }
  if (links.length > 0 && links.every((l) => l.connected && l.synced)) {
    return { kind: 'connected', unsent: 0 }
  }
  if (!online) return { kind: 'offline', unsent }
  // Reconnecting: a room that was synced lost its link. A room that has
  // not synced yet while another has is still connecting, not a loss.
  if (links.some((l) => l.everSynced && !(l.connected && l.synced))) return { kind: 'reconnecting', unsent }
  return { kind: 'connecting', unsent }
}

/**
 * Counts local changes made while a room is not synced: they wait in the
 * document until the next sync sends them. A sync after reconnecting sends
 * them all, so the count goes back to zero.
 */
export class UnsentCounter {
  private pending = 0

  /** A local change was made; `live` says the socket was synced then. */
  change(live: boolean): void {
    if (!live) this.pending += 1
  }

  /** The room synced again: the server has been sent everything. */
  synced(): void {
    this.pending = 0
  }

  get count(): number {
    return this.pending
  }
}
