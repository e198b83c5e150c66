/**
 * One clause of the draft as a CodeMirror editor bound to its `Y.Text`:
 * live sync and an undo history of this member's own edits (y-codemirror's
 * sync and `Y.UndoManager`), remote carets, authorship marks and
 * read-only-ness, each an extension the editor can reconfigure live.
 */
import { Compartment, EditorState } from '@codemirror/state'
import { EditorView, keymap } from '@codemirror/view'
import { defaultKeymap } from '@codemirror/commands'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

import { authorship, refreshAuthors, runsOf } from './authorship.js'
import { carets } from './carets.js'
import type { MeetingView } from '../meeting-state.js'
import type { AuthorRun } from '../logic/authorship.js'

/**
 * The nonce the server gave this page for styles: CodeMirror puts its own
 * into a `<style>` element, which the Content-Security-Policy allows only
 * with it.
 */
const cspNonce = (() => {
  const value = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? ''
  return /^[0-9a-f]+$/i.test(value) ? value : ''
})()

export interface ClauseEditorOptions {
  clause: string
  text: Y.Text
  meeting: MeetingView
  awareness: Awareness | null
  editable: boolean
  showAuthors: boolean
  label: string
  unknownAuthor: () => string
  /** Called when the caret moves or the text changes, focused or not. */
  onCaret?: (pos: number | null) => void
}

export class ClauseEditor {
  readonly view: EditorView
  readonly undoManager: Y.UndoManager
  private readonly editable = new Compartment()
  private readonly marks = new Compartment()
  private readonly aria = new Compartment()

  constructor(
    parent: HTMLElement,
    private readonly opts: ClauseEditorOptions,
  ) {
    // Only this member's edits, made through this editor, are undone.
    this.undoManager = new Y.UndoManager(opts.text, { trackedOrigins: new Set() })
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: opts.text.toString(),
        extensions: [
          cspNonce ? EditorView.cspNonce.of(cspNonce) : [],
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
          yCollab(opts.text, null, { undoManager: this.undoManager }),
          EditorView.lineWrapping,
          this.editable.of(this.editableExt(opts.editable)),
          this.aria.of(this.ariaExt(opts.label, opts.editable)),
          this.marks.of(opts.showAuthors ? authorship(opts.text, opts.meeting, opts.unknownAuthor) : []),
          carets(opts.clause, opts.text, opts.awareness, opts.meeting),
          EditorView.updateListener.of((u) => {
            if (u.selectionSet || u.docChanged || u.focusChanged) {
              opts.onCaret?.(u.view.hasFocus ? u.state.selection.main.head : null)
            }
          }),
        ],
      }),
    })
  }

  setEditable(editable: boolean, label: string): void {
    this.view.dispatch({
      effects: [
        this.editable.reconfigure(this.editableExt(editable)),
        this.aria.reconfigure(this.ariaExt(label, editable)),
      ],
    })
  }

  setShowAuthors(show: boolean): void {
    const ext = show ? authorship(this.opts.text, this.opts.meeting, this.opts.unknownAuthor) : []
    this.view.dispatch({ effects: this.marks.reconfigure(ext) })
  }

  /** The meeting's members or client bindings changed. */
  refresh(): void {
    this.view.dispatch({ effects: refreshAuthors.of(null) })
  }

  runs(): AuthorRun[] {
    return runsOf(this.opts.text, this.opts.meeting)
  }

  undo(): void {
    this.undoManager.undo()
  }

  redo(): void {
    this.undoManager.redo()
  }

  destroy(): void {
    this.view.destroy()
    this.undoManager.destroy()
  }

  private editableExt(editable: boolean) {
    return [EditorView.editable.of(editable), EditorState.readOnly.of(!editable)]
  }

  private ariaExt(label: string, editable: boolean) {
    return EditorView.contentAttributes.of({
      'aria-label': label,
      'aria-multiline': 'true',
      'aria-readonly': editable ? 'false' : 'true',
      role: 'textbox',
    })
  }
}
