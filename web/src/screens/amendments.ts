/**
 * Amendments under each clause: anyone in the room (not observers) opens
 * one on a clause and types the wording live in its own room; everyone
 * watches it grow as a word diff against the clause as it is now, with its
 * author and supporters; participants support it with one button; the
 * moderator sees it beside the clause and accepts or rejects it. An accept
 * over a clause that changed since the amendment was opened shows the
 * three texts first, and the server refuses it unless confirmed.
 */
import * as Y from 'yjs'

import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { colourClass } from '../colours.js'
import type { MeetingConnection } from '../connection.js'
import { announce, h } from '../dom.js'
import { ClauseEditor } from '../editor/clause-editor.js'
import type { Role } from '../i18n/index.js'
import { sha256Hex } from '../logic/sha256.js'
import { amends } from '../logic/stages.js'
import { sameText, wordDiff } from '../logic/word-diff.js'
import type { Amendment, MeetingView } from '../meeting-state.js'
import type { Seat } from '../seats.js'
import { ask } from './dialog.js'
import { diffView } from './diff.js'
import { errorText } from './form.js'

export interface AmendmentsContext {
  seat: Seat
  meeting: MeetingView
  conn: MeetingConnection
  role: () => Role
  /** The clause's live text in the draft room. */
  clauseText: (clause: string) => Y.Text | null
  /** Its number as shown (1-based), 0 when it is not in the draft. */
  clauseNumber: (clause: string) => number
  notice: (text: string, kind: 'error' | 'info') => void
  /** Something only this view knows changed: paint again. */
  repaint: () => void
}

const room = (id: string) => `amendment/${id}`

/** One open amendment on the page. */
class OpenCard {
  readonly el: HTMLElement
  private readonly head: HTMLElement
  private readonly body: HTMLElement
  private readonly actions: HTMLElement
  private readonly changedNote: HTMLElement
  private editor: ClauseEditor | null = null
  private text: Y.Text | null = null
  private clause: Y.Text | null = null
  private frame = 0
  private readonly onChange = () => this.schedule()
  amendment: Amendment
  /** Its editor takes the focus once its room has synced. */
  wantFocus = false

  constructor(
    amendment: Amendment,
    private readonly ctx: AmendmentsContext,
  ) {
    this.amendment = amendment
    this.head = h('div', { class: 'amendment-head' })
    this.changedNote = h('p', { class: 'amendment-changed', hidden: true })
    this.body = h('div', { class: 'amendment-body' })
    this.actions = h('div', { class: 'amendment-actions' })
    this.el = h(
      'article',
      { class: 'amendment', 'data-amendment': amendment.id },
      this.head,
      this.changedNote,
      this.body,
      this.actions,
    )
    this.bind()
  }

  get mine(): boolean {
    return this.amendment.author === this.ctx.seat.userId
  }

  /** (Re)binds the amendment's room: at first, and after a resync. */
  bind(): void {
    this.editor?.destroy()
    this.editor = null
    this.text?.unobserve(this.onChange)
    this.ctx.conn.openRoom(room(this.amendment.id))
    this.text = this.ctx.conn.doc(room(this.amendment.id)).getText('text')
    this.text.observe(this.onChange)
    this.ctx.conn.whenSynced(room(this.amendment.id), () => this.schedule())
    this.render()
  }

  /** The meeting room or the role changed. */
  update(a: Amendment): void {
    this.amendment = a
    this.render()
  }

  render(): void {
    const c = t()
    const a = this.amendment
    const author = this.ctx.meeting.person(a.author)
    const role = this.ctx.role()
    const frozen = this.ctx.meeting.frozen
    const n = this.ctx.clauseNumber(a.clauseId)
    const name = author?.name ?? c.unknownAuthor

    this.head.replaceChildren(
      h('span', { class: `dot tag-${colourClass(author?.colour ?? '#7f7f7f')}`, 'aria-hidden': 'true' }),
      h('h3', { class: 'amendment-title' }, this.mine ? c.yourAmendment : c.amendmentBy(name)),
      h('span', { class: 'supporters' }, c.supporters(a.supporters.length)),
    )
    this.el.setAttribute('aria-label', this.mine ? c.yourAmendmentFor(n) : c.amendmentFor(name, n))

    // The author types in an editor; everyone sees the changes marked.
    const writable = this.mine && !frozen
    if (writable && !this.editor && this.text) {
      const host = h('div', { class: 'amendment-editor' })
      this.body.before(host)
      this.editor = new ClauseEditor(host, {
        clause: `amendment:${a.id}`,
        text: this.text,
        meeting: this.ctx.meeting,
        awareness: null,
        editable: true,
        showAuthors: false,
        label: c.yourWording(n),
        unknownAuthor: () => t().unknownAuthor,
      })
    } else if (this.editor) {
      this.editor.setEditable(writable, c.yourWording(n))
    }

    const buttons: HTMLElement[] = []
    const supported = a.supporters.includes(this.ctx.seat.userId)
    // Supported and decided in the amend stage only.
    const deciding = !frozen && amends(this.ctx.meeting.stage)
    if ((role === 'participant' || role === 'editor') && !this.mine && (deciding || supported)) {
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: supported ? 'small support is-supported' : 'small support',
            'aria-pressed': supported ? 'true' : 'false',
            disabled: supported || !deciding,
            'aria-label': supported ? c.supportedLabel(name) : c.supportLabel(name),
            onclick: () => this.support(),
          },
          supported ? `✓ ${c.supported}` : c.support,
        ),
      )
    }
    if (role === 'moderator' && deciding) {
      buttons.push(
        h(
          'button',
          { type: 'button', class: 'small accept', 'aria-label': c.acceptLabel(name, n), onclick: () => this.accept() },
          `✓ ${c.accept}`,
        ),
        h(
          'button',
          { type: 'button', class: 'small secondary reject', 'aria-label': c.rejectLabel(name, n), onclick: () => this.reject() },
          `✕ ${c.reject}`,
        ),
      )
    }
    this.actions.replaceChildren(...buttons)
    this.actions.hidden = buttons.length === 0
    this.schedule()
  }

  schedule(): void {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.paintText()
    })
  }

  /** The proposed wording against the clause now, and whether it moved on. */
  private paintText(): void {
    const c = t()
    const clause = this.ctx.clauseText(this.amendment.clauseId)
    if (clause !== this.clause) {
      this.clause?.unobserve(this.onChange)
      this.clause = clause
      clause?.observe(this.onChange)
    }
    const now = clause?.toString() ?? ''
    const proposed = this.text?.toString() ?? ''
    const synced = this.ctx.conn.synced(room(this.amendment.id))
    if (this.wantFocus && synced && this.editor && this.el.isConnected) {
      this.wantFocus = false
      this.editor.view.focus()
      this.editor.view.dispatch({ selection: { anchor: this.editor.view.state.doc.length } })
    }
    const base = this.amendment.base
    this.changedNote.hidden = base === null || sameText(base, now)
    this.changedNote.textContent = c.clauseChangedNote
    const diff = synced ? diffView(wordDiff(now, proposed), 'diff proposed-diff') : h('p', { class: 'muted' }, c.loadingDraft)
    if (this.ctx.role() === 'moderator') {
      // Side by side: the clause as it stands, and the proposal's changes.
      this.body.replaceChildren(
        h(
          'div',
          { class: 'side-by-side' },
          h('div', { class: 'column' }, h('h4', {}, c.clauseNow), h('p', { class: 'clause-now' }, now)),
          h('div', { class: 'column' }, h('h4', {}, c.proposed), diff),
        ),
      )
    } else {
      this.body.replaceChildren(h('h4', { class: 'sr-only' }, c.proposed), diff)
    }
  }

  private async support(): Promise<void> {
    try {
      await api.support(this.ctx.seat.meeting, this.ctx.seat.token, this.amendment.id)
      announce(t().supportedAnnounce)
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    }
  }

  private async accept(): Promise<void> {
    const c = t()
    const a = this.amendment
    const clause = this.ctx.clauseText(a.clauseId)
    if (!clause) return
    let now = clause.toString()
    const proposed = this.text?.toString() ?? ''
    if (a.base !== null && !sameText(a.base, now)) {
      if (!(await this.confirmOverwrite(a.base, now, proposed))) return
      now = clause.toString()
    }
    try {
      await api.accept(this.ctx.seat.meeting, this.ctx.seat.token, a.id, sha256Hex(now))
      announce(c.acceptedAnnounce(this.ctx.clauseNumber(a.clauseId)))
    } catch (e) {
      const err = e as ApiError
      if (err.code !== 'clause_changed') {
        this.ctx.notice(errorText(err), 'error')
        return
      }
      // The clause moved on between looking and clicking: the server's texts.
      const d = err.details
      const opened = String(d.opened ?? a.base ?? '')
      const current = String(d.current ?? '')
      if (!(await this.confirmOverwrite(opened, current, String(d.proposed ?? proposed)))) return
      try {
        await api.accept(this.ctx.seat.meeting, this.ctx.seat.token, a.id, String(d.current_sha256 ?? sha256Hex(current)))
        announce(c.acceptedAnnounce(this.ctx.clauseNumber(a.clauseId)))
      } catch (again) {
        this.ctx.notice(errorText(again as ApiError), 'error')
      }
    }
  }

  private confirmOverwrite(opened: string, now: string, proposed: string): Promise<boolean> {
    const c = t()
    const column = (title: string, body: HTMLElement) => h('div', { class: 'column' }, h('h3', {}, title), body)
    return ask({
      title: c.clauseChangedTitle,
      wide: true,
      confirm: c.acceptAnyway,
      danger: true,
      body: [
        h('p', {}, c.clauseChangedIntro),
        h(
          'div',
          { class: 'three-texts' },
          column(c.whenOpened, h('p', { class: 'text-block' }, opened)),
          column(c.clauseNow, diffView(wordDiff(opened, now), 'diff text-block')),
          column(c.proposed, diffView(wordDiff(now, proposed), 'diff text-block')),
        ),
        h('p', { class: 'muted' }, c.diffLegend),
      ],
    })
  }

  private async reject(): Promise<void> {
    try {
      await api.reject(this.ctx.seat.meeting, this.ctx.seat.token, this.amendment.id)
      announce(t().rejectedAnnounce(this.ctx.clauseNumber(this.amendment.clauseId)))
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    }
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame)
    this.text?.unobserve(this.onChange)
    this.clause?.unobserve(this.onChange)
    this.editor?.destroy()
    this.ctx.conn.closeRoom(room(this.amendment.id))
    this.el.remove()
  }
}

export class AmendmentsView {
  private cards = new Map<string, OpenCard>()
  /** An amendment this member just opened: its editor gets the focus. */
  private focusNext: string | null = null
  private opening = new Set<string>()
  /** What the last update showed: a paint for anything else (a caret moving) changes nothing here. */
  private shown = ''
  private shownSlots: HTMLElement[] = []

  constructor(private readonly ctx: AmendmentsContext) {}

  /** Places every clause's amendments in its slot; `slots` maps clause ids to them. */
  update(slots: Map<string, HTMLElement>): void {
    const c = t()
    const role = this.ctx.role()
    // Proposals are made in the amend stage (and never while frozen).
    const frozen = this.ctx.meeting.frozen || !amends(this.ctx.meeting.stage)
    const all = this.ctx.meeting.amendments()
    const slotEls = [...slots.values()]
    const key = JSON.stringify([c.lang, role, frozen, all, [...slots.keys()], [...this.opening]])
    if (key === this.shown && slotEls.length === this.shownSlots.length && slotEls.every((el, i) => el === this.shownSlots[i])) return
    this.shown = key
    this.shownSlots = slotEls
    const open = all.filter((a) => a.status === 'open')
    const live = new Set(open.map((a) => a.id))
    for (const [id, card] of this.cards) {
      if (!live.has(id)) {
        card.destroy()
        this.cards.delete(id)
      }
    }
    for (const a of open) {
      const card = this.cards.get(a.id)
      if (card) card.update(a)
      else this.cards.set(a.id, new OpenCard(a, this.ctx))
      if (this.focusNext === a.id) {
        this.cards.get(a.id)!.wantFocus = true
        this.focusNext = null
      }
    }
    for (const [clause, slot] of slots) {
      const mine = open.filter((a) => a.clauseId === clause)
      const decided = all.filter((a) => a.clauseId === clause && a.status !== 'open')
      const n = this.ctx.clauseNumber(clause)
      const children: HTMLElement[] = []
      const myOpen = mine.find((a) => a.author === this.ctx.seat.userId)
      if (role !== 'observer' && !frozen && !myOpen) {
        children.push(
          h(
            'button',
            {
              type: 'button',
              class: 'small secondary propose',
              disabled: this.opening.has(clause),
              'aria-label': c.proposeLabel(n),
              onclick: () => this.propose(clause),
            },
            `✎ ${c.propose}`,
          ),
        )
      }
      // Cards keep their element (and the author's editor) across paints.
      const list = slot.querySelector<HTMLElement>(':scope > .amendments') ?? h('div', { class: 'amendments' })
      const cards = mine.map((a) => this.cards.get(a.id)!.el)
      if (list.children.length !== cards.length || cards.some((el, i) => list.children[i] !== el)) {
        list.replaceChildren(...cards)
      }
      if (list.parentElement !== slot) slot.prepend(list)
      const tools = slot.querySelector<HTMLElement>(':scope > .amendment-tools') ?? h('div', { class: 'amendment-tools' })
      tools.replaceChildren(...children)
      if (tools.parentElement !== slot) slot.append(tools)
      let past = slot.querySelector<HTMLElement>(':scope > .decided')
      if (decided.length) {
        const key = JSON.stringify([c.lang, decided.map((a) => [a.id, a.status])])
        if (!past || past.dataset.key !== key) {
          const open = past?.hasAttribute('open') ?? false
          const next = this.decidedList(decided)
          next.dataset.key = key
          if (open) next.setAttribute('open', '')
          if (past) past.replaceWith(next)
          else slot.append(next)
          past = next
        }
      } else {
        past?.remove()
      }
      slot.hidden = !children.length && !cards.length && !decided.length
    }
  }

  /** A room was reset after a refusal: its card binds the new copy. */
  reset(roomName: string): void {
    for (const card of this.cards.values()) if (room(card.amendment.id) === roomName) card.bind()
  }

  private decidedList(decided: Amendment[]): HTMLElement {
    const c = t()
    return h(
      'details',
      { class: 'decided' },
      h('summary', {}, c.decidedCount(decided.length)),
      h(
        'ul',
        {},
        decided.map((a) =>
          h(
            'li',
            { class: `decided-${a.status}` },
            h('span', { class: 'decided-status' }, c.amendmentStatus[a.status]),
            ' · ',
            this.ctx.meeting.person(a.author)?.name ?? c.unknownAuthor,
            ': ',
            h('q', {}, a.text),
          ),
        ),
      ),
    )
  }

  private async propose(clause: string): Promise<void> {
    this.opening.add(clause)
    this.ctx.repaint()
    try {
      const { id } = await api.openAmendment(this.ctx.seat.meeting, this.ctx.seat.token, clause)
      const card = this.cards.get(id)
      if (card) {
        card.wantFocus = true
        card.schedule()
      } else {
        this.focusNext = id
      }
      announce(t().proposalOpened)
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    } finally {
      this.opening.delete(clause)
      this.ctx.repaint()
    }
  }

  /** Open amendments, for the freeze confirmation. */
  openCount(): number {
    return this.ctx.meeting.amendments().filter((a) => a.status === 'open').length
  }

  destroy(): void {
    for (const card of this.cards.values()) card.destroy()
    this.cards.clear()
  }
}
