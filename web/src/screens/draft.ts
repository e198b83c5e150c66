/**
 * The draft: one editor per clause, in the order of the draft room's
 * `clauses`, with the controls the member's role and the phase allow.
 */
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

import { uuid } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import { ClauseEditor } from '../editor/clause-editor.js'
import { runAt } from '../logic/authorship.js'
import type { MeetingView } from '../meeting-state.js'

export interface DraftContext {
  meeting: MeetingView
  awareness: () => Awareness | null
  /** May this member change the draft now (role and phase)? */
  canWrite: () => boolean
  showAuthors: () => boolean
  /** Moves a clause (a server command: it keeps every character's author). */
  move: (clause: string, to: number) => Promise<void>
  /** The text changed: the legend may have new authors. */
  changed: () => void
}

interface Card {
  map: Y.Map<unknown>
  id: string
  el: HTMLLIElement
  number: HTMLElement
  editor: ClauseEditor
  controls: HTMLElement
  author: HTMLElement
  /** Where the clause's amendments go. */
  slot: HTMLElement
  /** Where the method's per-clause parts go (its elements, signals). */
  method: HTMLElement
}

export class DraftView {
  readonly el: HTMLElement
  private readonly list: HTMLOListElement
  private readonly empty: HTMLElement
  private readonly add: HTMLButtonElement
  private cards = new Map<Y.Map<unknown>, Card>()
  private doc: Y.Doc | null = null
  private clauses: Y.Array<Y.Map<unknown>> | null = null
  private readonly onClauses = () => this.render()
  private readonly onUpdate = () => this.ctx.changed()
  private lastFocused: Card | null = null
  /** A clause being moved: its new editor gets the focus back on its button. */
  private pendingFocus: { id: string; up: boolean } | null = null

  constructor(private readonly ctx: DraftContext) {
    this.list = h('ol', { class: 'clauses' })
    this.empty = h('p', { class: 'empty muted' })
    this.add = h('button', { type: 'button', class: 'add-clause', onclick: () => this.addClause(this.cards.size) })
    this.el = h('div', { class: 'draft-body' }, this.list, this.empty, this.add)
  }

  /** Shows `doc` (again after a resync, when the old copy was dropped). */
  attach(doc: Y.Doc, synced: boolean): void {
    this.detach()
    this.doc = doc
    this.clauses = doc.getArray<Y.Map<unknown>>('clauses')
    this.clauses.observe(this.onClauses)
    doc.on('update', this.onUpdate)
    this.loading = !synced
    this.render()
  }

  private loading = true

  synced(): void {
    this.loading = false
    this.render()
  }

  /** Role, phase, labels or language changed. */
  render(): void {
    const c = t()
    const clauses = this.clauses
    if (!clauses) return
    const writable = this.ctx.canWrite() && !this.loading
    const maps = clauses.toArray().filter((m) => m instanceof Y.Map && m.get('text') instanceof Y.Text)
    const live = new Set(maps)
    for (const [map, card] of this.cards) {
      if (!live.has(map)) {
        card.editor.destroy()
        card.el.remove()
        this.cards.delete(map)
        if (this.lastFocused === card) this.lastFocused = null
      }
    }
    maps.forEach((map, i) => {
      let card = this.cards.get(map)
      if (!card) {
        card = this.makeCard(map, i, maps.length, writable)
        this.cards.set(map, card)
      }
      const at = this.list.children[i]
      if (at !== card.el) this.list.insertBefore(card.el, at ?? null)
      this.label(card, i, maps.length, writable)
    })
    this.focusMoved()
    this.empty.hidden = maps.length > 0
    this.empty.textContent = this.loading ? c.loadingDraft : writable ? c.draftEmptyWriter : c.draftEmptyReader
    this.add.hidden = !writable
    this.add.textContent = `+ ${c.addClause}`
    // The clauses' places changed: what hangs on them (amendments) follows,
    // after whoever called this has finished setting up.
    queueMicrotask(() => this.ctx.changed())
  }

  /** The viewer turned authorship colours on or off. */
  showAuthors(show: boolean): void {
    for (const card of this.cards.values()) {
      card.editor.setShowAuthors(show)
      this.updateAuthorLine(card, null)
    }
  }

  /** The meeting room's members or bindings changed. */
  refreshAuthors(): void {
    for (const card of this.cards.values()) card.editor.refresh()
  }

  /** Each clause's place for its amendments, by clause id, in order. */
  slots(): Map<string, HTMLElement> {
    const out = new Map<string, HTMLElement>()
    for (const card of this.ordered()) out.set(card.id, card.slot)
    return out
  }

  /** Each clause's place for the method's parts (elements, signals), by clause id, in order. */
  methodSlots(): Map<string, HTMLElement> {
    const out = new Map<string, HTMLElement>()
    for (const card of this.ordered()) out.set(card.id, card.method)
    return out
  }

  /** The clauses' ids, in order. */
  clauseIds(): string[] {
    return this.ordered().map((card) => card.id)
  }

  /** A clause's live text. */
  text(clause: string): Y.Text | null {
    for (const card of this.cards.values()) if (card.id === clause) return card.map.get('text') as Y.Text
    return null
  }

  /** A clause's number as shown (1-based), 0 when it is not in the draft. */
  number(clause: string): number {
    return this.ordered().findIndex((card) => card.id === clause) + 1
  }

  /** The draft's text as a version records it: clauses joined by a blank line. */
  plainText(): string {
    return this.ordered()
      .map((card) => (card.map.get('text') as Y.Text).toString())
      .join('\n\n')
  }

  private ordered(): Card[] {
    const maps = this.clauses?.toArray() ?? []
    return maps.map((m) => this.cards.get(m)).filter((c): c is Card => !!c)
  }

  /** Authors of the whole draft, as user IDs (`null`: unknown). */
  authors(): Set<string | null> {
    const users = new Set<string | null>()
    for (const card of this.cards.values()) for (const r of card.editor.runs()) users.add(r.user)
    return users
  }

  undo(): void {
    this.lastFocused?.editor.undo()
  }

  redo(): void {
    this.lastFocused?.editor.redo()
  }

  destroy(): void {
    this.detach()
  }

  private detach(): void {
    this.clauses?.unobserve(this.onClauses)
    this.doc?.off('update', this.onUpdate)
    for (const card of this.cards.values()) card.editor.destroy()
    this.cards.clear()
    this.list.replaceChildren()
    this.lastFocused = null
  }

  private makeCard(map: Y.Map<unknown>, i: number, of: number, writable: boolean): Card {
    const c = t()
    const id = String(map.get('id') ?? '')
    const text = map.get('text') as Y.Text
    const number = h('span', { class: 'clause-number', 'aria-hidden': 'true' })
    const host = h('div', { class: 'clause-editor' })
    const author = h('p', { class: 'clause-author', hidden: true })
    const controls = h('div', { class: 'clause-controls' })
    const slot = h('div', { class: 'clause-amendments', hidden: true })
    const method = h('div', { class: 'clause-method', hidden: true })
    const el = h('li', { class: 'clause', 'data-clause': id }, number, h('div', { class: 'clause-main' }, host, author, method, slot), controls)
    const card: Card = { map, id, el, number, editor: null as unknown as ClauseEditor, controls, author, slot, method }
    card.editor = new ClauseEditor(host, {
      clause: id,
      text,
      meeting: this.ctx.meeting,
      awareness: this.ctx.awareness(),
      editable: writable,
      showAuthors: this.ctx.showAuthors(),
      label: c.clauseLabel(i + 1, of),
      unknownAuthor: () => t().unknownAuthor,
      onCaret: (pos) => {
        if (pos !== null) this.lastFocused = card
        this.updateAuthorLine(card, pos)
      },
    })
    return card
  }

  private updateAuthorLine(card: Card, pos: number | null): void {
    if (pos === null || !this.ctx.showAuthors()) {
      card.author.hidden = true
      return
    }
    const run = runAt(card.editor.runs(), pos)
    const person = run?.user ? this.ctx.meeting.person(run.user) : null
    card.author.hidden = !run
    card.author.textContent = run ? t().writtenBy(person?.name ?? t().unknownAuthor) : ''
  }

  private label(card: Card, i: number, of: number, writable: boolean): void {
    const c = t()
    const n = i + 1
    card.number.textContent = c.clauseNumber(n)
    const label = writable ? c.clauseLabel(n, of) : `${c.clauseLabel(n, of)} (${c.readOnly})`
    card.editor.setEditable(writable, label)
    card.controls.replaceChildren()
    card.controls.hidden = !writable
    if (!writable) return
    const button = (text: string, aria: string, cls: string, f: () => void, disabled = false) =>
      h('button', { type: 'button', class: `icon ${cls}`, 'aria-label': aria, title: aria, disabled, onclick: f }, text)
    card.controls.append(
      button('↑', c.moveUp(n), 'move-up', () => this.moveBy(card, -1), i === 0),
      button('↓', c.moveDown(n), 'move-down', () => this.moveBy(card, 1), i === of - 1),
      button('+', c.addClauseAfter(n), 'add-after', () => this.addClause(i + 1)),
      button('✕', c.remove(n), 'remove', () => this.remove(card)),
    )
  }

  private focusMoved(): void {
    const p = this.pendingFocus
    if (!p) return
    for (const card of this.cards.values()) {
      if (card.id !== p.id || card.el.contains(document.activeElement)) continue
      if (this.index(card) < 0) continue
      const b = card.controls.querySelector<HTMLButtonElement>(p.up ? '.move-up' : '.move-down')
      ;(b && !b.disabled ? b : card.editor.view.contentDOM).focus()
      this.pendingFocus = null
    }
  }

  private index(card: Card): number {
    return this.clauses ? this.clauses.toArray().indexOf(card.map) : -1
  }

  private addClause(at: number): void {
    if (!this.doc || !this.clauses) return
    const map = new Y.Map<unknown>()
    map.set('id', uuid())
    map.set('text', new Y.Text())
    const clauses = this.clauses
    this.doc.transact(() => clauses.insert(Math.min(at, clauses.length), [map]))
    this.cards.get(map)?.editor.view.focus()
  }

  private remove(card: Card): void {
    const i = this.index(card)
    if (i < 0 || !this.clauses) return
    const text = (card.map.get('text') as Y.Text).toString().trim()
    if (text && !window.confirm(t().confirmRemove(i + 1, text.length > 120 ? `${text.slice(0, 120)}…` : text))) return
    this.clauses.delete(i, 1)
    announce(t().remove(i + 1))
  }

  private async moveBy(card: Card, by: number): Promise<void> {
    const i = this.index(card)
    const to = i + by
    if (i < 0 || !this.clauses || to < 0 || to >= this.clauses.length) return
    this.pendingFocus = { id: card.id, up: by < 0 }
    try {
      await this.ctx.move(card.id, to)
    } catch {
      this.pendingFocus = null
      return
    }
    this.focusMoved()
  }
}
