/**
 * A word diff on the page: removed words struck through in `<del>`, added
 * words underlined in `<ins>`, each with a marker a screen reader says and
 * a sighted reader sees without colour (the line through or under the
 * words, and the sign before them).
 */
import { t } from '../app.js'
import { h } from '../dom.js'
import type { DiffPart } from '../logic/word-diff.js'

export function diffView(parts: readonly DiffPart[], cls = 'diff'): HTMLElement {
  const c = t()
  const el = h('p', { class: cls })
  for (const p of parts) {
    if (p.op === 'equal') {
      el.append(p.text)
    } else if (p.op === 'delete') {
      el.append(h('del', {}, h('span', { class: 'sr-only' }, c.diffRemoved), p.text))
    } else {
      el.append(h('ins', {}, h('span', { class: 'sr-only' }, c.diffAdded), p.text))
    }
  }
  return el
}

/** The parts as the server's diff gives them (`equal`, `delete`, `insert`). */
export function partsOf(changes: readonly { op: string; text: string }[]): DiffPart[] {
  return changes.map((ch) => ({
    op: ch.op === 'delete' || ch.op === 'insert' ? ch.op : 'equal',
    text: ch.text,
  }))
}
