/**
 * Authorship marks: every character of a clause coloured by who wrote it
 * (from the Yjs items' client IDs, through the meeting room's `clients`),
 * with the author's name on hover. One extension of the clause editor; the
 * editor reconfigures it in or out when the viewer toggles colours.
 */
import { RangeSetBuilder, StateEffect, type Extension } from '@codemirror/state'
import { Decoration, EditorView, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view'
import type * as Y from 'yjs'

import { colourClass } from '../colours.js'
import { authorRuns, piecesOf, type AuthorRun } from '../logic/authorship.js'
import type { MeetingView } from '../meeting-state.js'

/** Recompute the marks: the meeting room's members or bindings changed. */
export const refreshAuthors = StateEffect.define<null>()

/** The runs of a clause, for the editor's "written by" line and the legend. */
export function runsOf(text: Y.Text, meeting: MeetingView): AuthorRun[] {
  return authorRuns(piecesOf(text), meeting.clients())
}

export function authorship(text: Y.Text, meeting: MeetingView, unknown: () => string): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet
      constructor(view: EditorView) {
        this.decorations = this.build(view)
      }
      update(u: ViewUpdate) {
        if (u.docChanged || u.transactions.some((t) => t.effects.some((e) => e.is(refreshAuthors)))) {
          this.decorations = this.build(u.view)
        }
      }
      build(view: EditorView): DecorationSet {
        const builder = new RangeSetBuilder<Decoration>()
        const length = view.state.doc.length
        const runs = runsOf(text, meeting)
        // The text and the editor agree except for an instant inside a
        // transaction; never mark past the editor's end.
        for (const r of runs) {
          const from = Math.min(r.from, length)
          const to = Math.min(r.to, length)
          if (from >= to) continue
          const person = r.user ? meeting.person(r.user) : null
          builder.add(
            from,
            to,
            Decoration.mark({
              class: `au au-${colourClass(person?.colour ?? '#7f7f7f')}`,
              attributes: { title: person?.name ?? unknown(), 'data-author': r.user ?? '' },
            }),
          )
        }
        return builder.finish()
      }
    },
    { decorations: (v) => v.decorations },
  )
}
