/**
 * The connection to a meeting's rooms: one `y-websocket` provider per room
 * (`meeting`, written by the server, `draft`, and an `amendment/{id}` room
 * for each amendment being shown), the status shown to the user, changes
 * not sent yet, and the server's refusals.
 *
 * A final refusal means the server will never take this copy's changes, and
 * every later edit would build on them, so the room's local copy is dropped
 * and synced afresh; `storage unavailable` is not final (the server asks for
 * the changes again when it can store them).
 */
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as authProtocol from 'y-protocols/auth'

import { roomsUrl } from './api.js'
import { deriveStatus, UnsentCounter, type RoomLink, type Status } from './logic/connection-state.js'
import { parseRefusal, type Refusal } from './logic/refusal.js'

/** The protocol's auth message type. */
const MESSAGE_AUTH = 2

/** `meeting`, `draft` or `amendment/{id}`. */
export type RoomName = string

/** The rooms every member keeps open; amendment rooms come and go. */
const CORE: readonly RoomName[] = ['meeting', 'draft']

interface Link extends RoomLink {
  doc: Y.Doc
  provider: WebsocketProvider
}

type Listener<T> = (value: T) => void

export class MeetingConnection {
  private links = new Map<RoomName, Link>()
  private unsent = new UnsentCounter()
  private statusListeners = new Set<Listener<Status>>()
  private refusalListeners = new Set<(r: Refusal, room: RoomName) => void>()
  private resetListeners = new Set<Listener<RoomName>>()
  private current: Status = { kind: 'connecting', unsent: 0 }
  private readonly onNetwork = () => this.update()

  constructor(
    readonly meeting: string,
    private readonly token: string,
    /** Whether this member shows presence (carets) in the draft room. */
    private readonly presence: boolean,
  ) {
    this.open('meeting')
    this.open('draft')
    window.addEventListener('online', this.onNetwork)
    window.addEventListener('offline', this.onNetwork)
  }

  /** The room's document; a new one after a reset. */
  doc(room: RoomName): Y.Doc {
    return this.link(room).doc
  }

  provider(room: RoomName): WebsocketProvider {
    return this.link(room).provider
  }

  /** Whether the room has received the server's state at least once. */
  synced(room: RoomName): boolean {
    return this.link(room).everSynced
  }

  get status(): Status {
    return this.current
  }

  onStatus(f: Listener<Status>): () => void {
    this.statusListeners.add(f)
    return () => this.statusListeners.delete(f)
  }

  onRefusal(f: (r: Refusal, room: RoomName) => void): () => void {
    this.refusalListeners.add(f)
    return () => this.refusalListeners.delete(f)
  }

  /** Called with the room whose document was replaced. */
  onReset(f: Listener<RoomName>): () => void {
    this.resetListeners.add(f)
    return () => this.resetListeners.delete(f)
  }

  /** Whether the room is open on this connection. */
  has(room: RoomName): boolean {
    return this.links.has(room)
  }

  /**
   * Opens an amendment room (its document syncs from then on); a room
   * already open is kept as it is.
   */
  openRoom(room: RoomName): void {
    if (!this.links.has(room)) this.open(room)
  }

  /** Closes an amendment room that is no longer shown. */
  closeRoom(room: RoomName): void {
    if (CORE.includes(room)) return
    const link = this.links.get(room)
    if (!link) return
    link.provider.destroy()
    link.doc.destroy()
    this.links.delete(room)
    this.update()
  }

  /** Calls `f` once the room has synced (at once if it has). */
  whenSynced(room: RoomName, f: () => void): void {
    const link = this.link(room)
    if (link.everSynced) {
      f()
      return
    }
    const once = (synced: boolean) => {
      if (!synced) return
      link.provider.off('sync', once)
      f()
    }
    link.provider.on('sync', once)
  }

  destroy(): void {
    window.removeEventListener('online', this.onNetwork)
    window.removeEventListener('offline', this.onNetwork)
    for (const link of this.links.values()) {
      link.provider.destroy()
      link.doc.destroy()
    }
    this.links.clear()
    this.statusListeners.clear()
    this.refusalListeners.clear()
    this.resetListeners.clear()
  }

  private link(room: RoomName): Link {
    const link = this.links.get(room)
    if (!link) throw new Error(`room ${room} is not open`)
    return link
  }

  private open(room: RoomName): void {
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(roomsUrl(this.meeting), room, doc, {
      params: { token: this.token },
      connect: false,
      // Every tab is its own seat; the server is the only authority.
      disableBc: true,
    })
    // Presence only where it is shown: carets in the draft, for members
    // in the room. The server drops observers' presence anyway.
    // A member's presence says "here" before any caret: an empty state is
    // not passed on to the others, who would show them as not connected.
    if (room !== 'draft' || !this.presence) provider.awareness.setLocalState(null)
    else provider.awareness.setLocalState({ cursor: null })
    const link: Link = {
      doc,
      provider,
      connected: false,
      synced: false,
      everSynced: false,
      closedWith: null,
    }
    provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder) => {
      authProtocol.readAuthMessage(decoder, doc, (_doc, reason) => this.refused(room, link, reason))
    }
    provider.on('status', ({ status }) => {
      link.connected = status === 'connected'
      if (!link.connected) link.synced = false
      this.update()
    })
    provider.on('sync', (synced: boolean) => {
      link.synced = synced
      if (synced) {
        link.everSynced = true
        if (room !== 'meeting') this.unsent.synced()
      }
      this.update()
    })
    provider.on('closed', ({ code }) => {
      link.closedWith = code
      this.update()
    })
    if (room !== 'meeting') {
      doc.on('update', (_update: Uint8Array, origin: unknown) => {
        if (origin === provider) return
        this.unsent.change(link.connected && link.synced)
        this.update()
      })
    }
    this.links.set(room, link)
    provider.connect()
  }

  private refused(room: RoomName, link: Link, reason: string): void {
    const refusal = parseRefusal(reason)
    console.warn(`Draftroom: the server refused a change in ${room}: ${reason}`)
    if (refusal.final && this.links.get(room) === link) {
      // Drop this copy: start over with a new document (a new client ID).
      link.provider.destroy()
      link.doc.destroy()
      this.links.delete(room)
      if (room !== 'meeting') this.unsent.synced()
      this.open(room)
      for (const f of this.resetListeners) f(room)
    }
    for (const f of this.refusalListeners) f(refusal, room)
    this.update()
  }

  private update(): void {
    // An amendment room that is still syncing for the first time does not
    // make the whole meeting "connecting".
    const links = [...this.links].filter(([room, l]) => CORE.includes(room) || l.everSynced).map(([, l]) => l)
    const next = deriveStatus(links, navigator.onLine, this.unsent.count)
    const same =
      next.kind === this.current.kind &&
      next.unsent === this.current.unsent &&
      next.code === this.current.code
    this.current = next
    if (!same) for (const f of this.statusListeners) f(next)
  }
}
