/**
 * Presence in a clause: this member's caret and selection go into the draft
 * room's awareness (`cursor: {clause, anchor, head}`, Yjs relative
 * positions), and everyone else's are drawn with the name and colour the
 * server knows them by (the meeting room's `clients` and `participants`),
 * never with what a client says about itself.
 */
import { StateEffect, type Extension, type Range } from '@codemirror/state'
import {
  Decoration,
  EditorView,
  ViewPlugin,
  WidgetType,
  type DecorationSet,
  type ViewUpdate,
} from '@codemirror/view'
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

import { colourClass } from '../colours.js'
import type { MeetingView } from '../meeting-state.js'

export interface CursorState {
  clause: string
  anchor: unknown
  head: unknown
}

const refreshCarets = StateEffect.define<null>()

class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly colour: string,
  ) {
    super()
  }
  override eq(other: CaretWidget): boolean {
    return other.name === this.name && other.colour === this.colour
  }
  toDOM(): HTMLElement {
    const key = colourClass(this.colour)
    const caret = document.createElement('span')
    caret.className = `remote-caret caret-${key}`
    caret.setAttribute('aria-hidden', 'true')
    const tag = document.createElement('span')
    tag.className = `remote-caret-name tag-${key}`
    tag.textContent = this.name
    caret.append('\u2060', tag, '\u2060')
    return caret
  }
  override ignoreEvent(): boolean {
    return true
  }
}

export function carets(
  clause: string,
  text: Y.Text,
  awareness: Awareness | null,
  meeting: MeetingView,
): Extension {
  if (!awareness) return []
  const aw: Awareness = awareness
  const doc = text.doc as Y.Doc
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet = Decoration.none
      private readonly onChange: (c: { added: number[]; updated: number[]; removed: number[] }) => void

      constructor(readonly view: EditorView) {
        this.onChange = ({ added, updated, removed }) => {
          const remote = [...added, ...updated, ...removed].some((id) => id !== doc.clientID)
          if (remote) queueMicrotask(() => this.view.dispatch({ effects: refreshCarets.of(null) }))
        }
        aw.on('change', this.onChange)
        this.decorations = this.build()
      }

      update(u: ViewUpdate) {
        this.publish(u)
        this.decorations = this.build()
        this.view.requestMeasure({ key: this, read: () => null, write: () => this.keepInside() })
      }

      /**
       * A name near the right edge is turned to the caret's left, so it
       * never sticks out of the page (a phone's narrow column).
       */
      private keepInside() {
        const edge = this.view.dom.getBoundingClientRect().right
        for (const tag of this.view.contentDOM.querySelectorAll<HTMLElement>('.remote-caret-name')) {
          tag.classList.remove('is-flipped')
          if (tag.getBoundingClientRect().right > edge) tag.classList.add('is-flipped')
        }
      }

      destroy() {
        aw.off('change', this.onChange)
        const mine = aw.getLocalState()?.cursor as CursorState | null | undefined
        if (mine && mine.clause === clause) aw.setLocalStateField('cursor', null)
      }

      /** Puts this member's caret into presence when it moves, focused. */
      private publish(u: ViewUpdate) {
        const local = aw.getLocalState()
        if (!local) return
        const mine = local.cursor as CursorState | null | undefined
        if (u.view.hasFocus) {
          if (!u.selectionSet && !u.docChanged && !u.focusChanged && mine?.clause === clause) return
          const sel = u.state.selection.main
          aw.setLocalStateField('cursor', {
            clause,
            anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, sel.anchor)),
            head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, sel.head)),
          } satisfies CursorState)
        } else if (u.focusChanged && mine?.clause === clause) {
          aw.setLocalStateField('cursor', null)
        }
      }

      private build(): DecorationSet {
        const clients = meeting.clients()
        const length = this.view.state.doc.length
        const ranges: Range<Decoration>[] = []
        aw.getStates().forEach((state, clientId) => {
          if (clientId === doc.clientID) return
          const cursor = state.cursor as CursorState | null | undefined
          if (!cursor || cursor.clause !== clause) return
          const person = meeting.owner(clientId, clients)
          if (!person) return
          const anchor = absolute(cursor.anchor, doc, text)
          const head = absolute(cursor.head, doc, text)
          if (anchor === null || head === null) return
          const from = Math.min(anchor, head, length)
          const to = Math.min(Math.max(anchor, head), length)
          const key = colourClass(person.colour)
          if (from < to) {
            ranges.push(Decoration.mark({ class: `remote-selection sel-${key}` }).range(from, to))
          }
          ranges.push(
            Decoration.widget({ widget: new CaretWidget(person.name, person.colour), side: 1 }).range(
              Math.min(head, length),
            ),
          )
        })
        return Decoration.set(ranges, true)
      }
    },
    { decorations: (v) => v.decorations },
  )
}

function absolute(json: unknown, doc: Y.Doc, text: Y.Text): number | null {
  try {
    const rel = Y.createRelativePositionFromJSON(json)
    const abs = Y.createAbsolutePositionFromRelativePosition(rel, doc)
    return abs && abs.type === text ? abs.index : null
  } catch {
    return null
  }
}
