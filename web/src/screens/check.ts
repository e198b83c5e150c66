/**
 * The whole-text consensus check. From the amend stage the moderator sees
 * whether the text has the room's consent and opens a check (answers
 * hidden until it closes, or live), which locks the draft. Everyone in the
 * room is asked once whether they consent (disagree and block with a
 * reason); "14 of 18 answered" grows live; while hidden no answer shows
 * but the blocks, named. The moderator records answers for people without
 * a device, closes the check, sees the results and goes back to amending.
 */
import { ApiError } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import type { Role } from '../i18n/index.js'
import {
  checkView,
  consent,
  needsReason,
  notAnswered,
  STANCES,
  type Answer,
  type Check,
  type Consent,
  type Stance,
  type Tally,
} from '../logic/consensus.js'
import { methodApi } from '../method-api.js'
import type { MeetingView } from '../meeting-state.js'
import type { Seat } from '../seats.js'
import { ask } from './dialog.js'
import { errorText } from './form.js'
import { redraw } from './keyed.js'
import { formDialog, personPicker, reasonField, reasonFor, recordedChoice, stanceChoice } from './method-dialog.js'
import { blockList, disagreeList } from './signals.js'

export interface CheckContext {
  seat: Seat
  meeting: MeetingView
  role: () => Role
  notice: (text: string, kind: 'error' | 'info') => void
  /** Something only this panel knows changed: paint again. */
  repaint: () => void
}

/** A block standing on a clause, for the moderator's list above the draft. */
export interface PinnedBlock {
  clause: string
  n: number
  name: string
  reason: string | null
}

const ANSWERS_KEY = 'draftroom.answers.v1'

/**
 * One's own answer to a hidden check is nobody else's to see, not even
 * the room's: this device remembers what it sent, to show it back.
 */
const ownAnswers = {
  get(meeting: string, check: number): Stance | null {
    try {
      const all = JSON.parse(localStorage.getItem(ANSWERS_KEY) ?? '{}') as Record<string, Stance>
      return all[`${meeting}/${check}`] ?? null
    } catch {
      return null
    }
  },
  put(meeting: string, check: number, stance: Stance): void {
    try {
      const all = JSON.parse(localStorage.getItem(ANSWERS_KEY) ?? '{}') as Record<string, Stance>
      all[`${meeting}/${check}`] = stance
      localStorage.setItem(ANSWERS_KEY, JSON.stringify(all))
    } catch {
      // Without storage it is shown until the page reloads.
    }
  },
}

/** "✓ Agree 12 · ○ Abstain 2 …" for a check's answers. */
export function answerTally(tally: Tally, cls = 'signal-tally check-tally'): HTMLElement {
  const c = t()
  return h(
    'ul',
    { class: `tally ${cls}`, 'data-testid': 'check-tally' },
    ...STANCES.map((st) =>
      h(
        'li',
        { class: `tally-item tally-${st}${tally[st] ? '' : ' is-zero'}`, 'data-stance': st, 'data-count': tally[st] },
        h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon[st]),
        h('span', { class: 'tally-word' }, c.stanceTally[st]),
        ' ',
        h('strong', { class: 'tally-count' }, String(tally[st])),
      ),
    ),
  )
}

/** The consent the checks give the text, in words, with a mark that is not colour alone. */
export function consentLine(k: Consent, cls = 'consent-line'): HTMLElement {
  const c = t()
  const given = k.kind === 'given'
  const check = 'check' in k ? k.check : 0
  const blocks = k.kind === 'blocked' ? k.blocks : 0
  return h(
    'p',
    { class: `${cls} ${given ? 'is-given' : 'is-missing'}`, 'data-consent': k.kind },
    h('span', { class: 'consent-mark', 'aria-hidden': 'true' }, given ? '✓' : '!'),
    ' ',
    c.consentSays(k.kind, check, blocks),
  )
}

/** Brings a clause into view and marks it for a moment. */
function showClause(clause: string): void {
  const el = document.querySelector<HTMLElement>(`.clause[data-clause="${CSS.escape(clause)}"]`)
  if (!el) return
  el.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' })
  el.classList.remove('is-flashing')
  void el.offsetWidth
  el.classList.add('is-flashing')
  el.querySelector<HTMLElement>('.cm-content')?.focus({ preventScroll: true })
}

export class CheckPanel {
  readonly el: HTMLElement
  /** A stance being sent: its buttons wait. */
  private sending = false
  private lastState = ''

  constructor(private readonly ctx: CheckContext) {
    this.el = h('div', { class: 'check-area', hidden: true })
  }

  /** `textSha256`: the draft as it reads now; `pinned`: the blocks standing on clauses. */
  paint(stage: string, workshop: boolean, checks: Check[], textSha256: string, pinned: PinnedBlock[] = []): void {
    const c = t()
    const role = this.ctx.role()
    const me = this.ctx.seat.userId
    const view = checkView(checks, me)
    const people = this.ctx.meeting.people()
    const own = view.kind === 'none' ? null : this.ownAnswer(view.check)
    const showCard = workshop && stage === 'agree' && view.kind !== 'none'
    const showTools = workshop && stage === 'amend' && role === 'moderator'
    this.el.hidden = !showCard && !showTools
    const k = consent(checks, textSha256)
    const key = JSON.stringify([c.lang, stage, role, workshop, showCard, showTools, k, checks[checks.length - 1] ?? null, own, people.map((p) => [p.userId, p.name]), this.sending, showTools ? pinned : []])
    const shown = showCard ? view : null
    redraw(this.el, key, () => (shown ? [this.card(shown.check, role, own, people)] : showTools ? [this.tools(k, pinned)] : []))
    // Said once, when the check opens or closes while this page shows it.
    const state = shown ? `${shown.kind}-${shown.check.number}` : 'none'
    if (shown && state !== this.lastState && this.lastState !== '') {
      announce(shown.kind === 'open' ? c.checkOpenedAnnounce(shown.check.number) : c.checkClosedAnnounce(shown.check.number))
    }
    this.lastState = state
  }

  /** This person's answer, when readable: from the check once shown, else as this device sent it. */
  private ownAnswer(check: Check): Stance | null {
    const shown = check.answers?.find((a) => a.userId === this.ctx.seat.userId)
    if (shown) return shown.stance
    const blocked = check.blocks.find((a) => a.userId === this.ctx.seat.userId)
    if (blocked) return 'block'
    return check.answeredBy.includes(this.ctx.seat.userId) ? ownAnswers.get(this.ctx.seat.meeting, check.number) : null
  }

  /** The moderator in the amend stage: whether the text has consent, and the check to ask. */
  private tools(k: Consent, pinned: PinnedBlock[]): HTMLElement {
    const c = t()
    return h(
      'div',
      { class: 'check-tools' },
      consentLine(k),
      h(
        'button',
        { type: 'button', class: 'secondary open-check', 'data-focus': 'open-check', onclick: () => void this.open() },
        `◎ ${c.checkOpen}`,
      ),
      pinned.length
        ? h(
            'div',
            { class: 'signal-blocks pinned-blocks', 'data-testid': 'pinned-blocks' },
            h('p', { class: 'blocks-heading' }, h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon.block), ' ', c.blocksPinned(pinned.length)),
            h(
              'ul',
              {},
              ...pinned.map((b) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    { type: 'button', class: 'link-like', 'data-focus': `pinned-${b.clause}-${b.name}`, 'aria-label': c.blockOnClauseLabel(b.n), onclick: () => showClause(b.clause) },
                    c.blockOnClause(b.n),
                  ),
                  h('span', {}, h('strong', {}, b.name || c.unknownAuthor), ': ', h('q', {}, b.reason ?? '')),
                ),
              ),
            ),
          )
        : null,
    )
  }

  private card(check: Check, role: Role, own: Stance | null, people: { userId: string; name: string }[]): HTMLElement {
    const c = t()
    const view = checkView([check], this.ctx.seat.userId)
    if (view.kind === 'none') return h('div', {})
    const open = view.kind === 'open'
    const inRoom = role !== 'observer'
    const answers = check.answers
    const parts: (Node | null)[] = [
      h(
        'div',
        { class: 'check-head' },
        h('h2', { id: 'check-h' }, c.checkHeading(check.number)),
        h('span', { class: `check-mode ${check.hidden ? 'is-hidden' : 'is-live'}` }, !open ? c.checkModeClosed : check.hidden ? c.checkModeHidden : c.checkModeLive),
      ),
      h('p', { class: 'check-locked' }, open ? c.checkLocked : c.checkClosedAt),
      h(
        'div',
        { class: 'check-progress' },
        h('p', { class: 'check-answered', 'data-testid': 'answered', 'data-answered': view.answered, 'data-of': view.of }, c.answeredOf(view.answered, view.of)),
        h('progress', { max: Math.max(1, view.of), value: view.answered, 'aria-hidden': 'true' }),
      ),
    ]
    // The moderator answers too, if they wish: after their own controls.
    const moderator = role === 'moderator'
    let prompt: HTMLElement | null = null
    if (open && inRoom && !view.mine) {
      prompt = h(
        'div',
        { class: `check-prompt${moderator ? ' is-own' : ''}`, role: 'group', 'aria-labelledby': 'check-prompt-h' },
        h('h3', { id: 'check-prompt-h' }, moderator ? c.checkPromptOwn : c.checkPrompt),
        h('p', { class: 'hint' }, c.checkPromptHelp),
        h(
          'div',
          { class: 'answer-buttons' },
          ...STANCES.map((st) =>
            h(
              'button',
              {
                type: 'button',
                class: `signal answer signal-${st}`,
                'data-stance': st,
                'data-focus': `answer-${st}`,
                disabled: this.sending,
                onclick: () => void this.answer(check, st),
              },
              h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon[st]),
              c.stanceButton[st],
            ),
          ),
        ),
        )
      if (!moderator) parts.push(prompt)
    } else if (view.mine) {
      parts.push(
        h(
          'div',
          { class: 'check-mine', 'data-testid': 'my-answer' },
          h('p', {}, h('span', { 'aria-hidden': 'true' }, '✓ '), c.youAnswered(own ? c.stanceNoun[own] : null)),
          open && check.hidden ? h('p', { class: 'hint' }, c.youAnsweredHidden) : null,
        ),
      )
    }
    if (open && check.hidden) parts.push(h('p', { class: 'hint check-hidden-note' }, c.hiddenNote))
    if (check.tally) parts.push(answerTally(check.tally))
    parts.push(blockList(check.blocks, 'signal-blocks check-blocks'))
    if (answers) parts.push(disagreeList(answers.filter((a: Answer) => a.stance === 'disagree')))
    if (moderator) parts.push(this.moderatorPart(check, view.answered, view.of, people), prompt)
    return h('section', { class: `check-card ${open ? 'is-open' : 'is-closed'}`, 'aria-labelledby': 'check-h', 'data-check': check.number }, ...parts)
  }

  private moderatorPart(check: Check, answered: number, of: number, people: { userId: string; name: string }[]): HTMLElement {
    const c = t()
    const open = check.closedAt === null
    const waiting = notAnswered(check, people.map((p) => p.userId))
    const names = waiting.map((id) => people.find((p) => p.userId === id)?.name ?? '')
    if (!open) {
      return h(
        'div',
        { class: 'check-moderator' },
        consentLine(consent([check], check.sha256)),
        h('div', { class: 'check-buttons' }, h('button', { type: 'button', class: 'secondary back-to-amend', 'data-focus': 'back-to-amend', onclick: () => void this.backToAmend() }, `← ${c.backToAmend}`)),
      )
    }
    return h(
      'div',
      { class: 'check-moderator' },
      waiting.length
        ? h('details', { class: 'check-waiting' }, h('summary', {}, c.notAnsweredYet(waiting.length)), h('p', {}, names.join(', ')))
        : null,
      h(
        'div',
        { class: 'check-buttons' },
        h('button', { type: 'button', class: 'secondary record-answer', 'data-focus': 'record-answer', onclick: () => void this.record(check) }, c.recordAnswer),
        h('button', { type: 'button', class: 'primary close-check', 'data-focus': 'close-check', onclick: () => void this.close(check, answered, of) }, c.closeCheck),
      ),
    )
  }

  private async open(): Promise<void> {
    const c = t()
    const hidden = h('input', { type: 'radio', name: 'check-results', id: 'check-hidden', value: 'hidden', checked: true })
    const live = h('input', { type: 'radio', name: 'check-results', id: 'check-live', value: 'live' })
    await formDialog({
      title: c.checkOpenTitle,
      confirm: c.checkOpenConfirm,
      body: [
        h('p', {}, c.checkOpenIntro),
        h(
          'fieldset',
          { class: 'stance-choice results-choice' },
          h('legend', {}, c.checkResultsLegend),
          h('label', { for: 'check-hidden', class: 'stance-option' }, hidden, c.checkHidden),
          h('label', { for: 'check-live', class: 'stance-option' }, live, c.checkLive),
        ),
      ],
      focus: () => hidden,
      submit: async () => {
        try {
          await methodApi.openCheck(this.ctx.seat.meeting, this.ctx.seat.token, hidden.checked)
          return null
        } catch (e) {
          return errorText(e as ApiError)
        }
      },
    })
  }

  private async answer(check: Check, stance: Stance): Promise<void> {
    const c = t()
    let reason: string | null = null
    if (needsReason(stance)) {
      const field = reasonField(`answer-reason-${check.number}`, c.reasonHint[stance])
      const yes = await formDialog({
        title: c.answerReasonTitle[stance],
        confirm: c.send,
        body: [field.row],
        submit: () => field.check(true),
      })
      if (!yes) return
      reason = field.value()
    }
    this.sending = true
    this.ctx.repaint()
    try {
      await methodApi.answer(this.ctx.seat.meeting, this.ctx.seat.token, check.number, stance, reason, null)
      ownAnswers.put(this.ctx.seat.meeting, check.number, stance)
      announce(c.answerSent)
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    } finally {
      this.sending = false
      this.ctx.repaint()
    }
  }

  private async record(check: Check): Promise<void> {
    const c = t()
    const waiting = new Set(notAnswered(check, this.ctx.meeting.people().map((p) => p.userId)))
    const people = this.ctx.meeting
      .people()
      .filter((p) => waiting.has(p.userId))
      .map((p) => ({ userId: p.userId, name: p.name, now: null }))
    const picker = personPicker(`answer-who-${check.number}`, people, async (name) => {
      try {
        const added = await methodApi.addPerson(this.ctx.seat.meeting, this.ctx.seat.token, name)
        return { userId: added.user_id, name: added.name }
      } catch (e) {
        return errorText(e as ApiError)
      }
    })
    const reason = reasonField(`answer-record-reason-${check.number}`, '')
    const stance = stanceChoice(`answer-record-stance-${check.number}`, c.answerLegend, null, (s) => reasonFor(s, reason))
    reasonFor(null, reason)
    await formDialog({
      title: c.recordAnswerTitle(check.number),
      confirm: c.send,
      wide: true,
      body: [h('p', { class: 'hint' }, c.recordAnswerIntro), picker.el, stance.el, reason.row],
      submit: async () => {
        const chosen = recordedChoice(picker, stance, reason)
        if ('problem' in chosen) return chosen.problem
        const { userId } = chosen
        try {
          await methodApi.answer(this.ctx.seat.meeting, this.ctx.seat.token, check.number, chosen.stance, chosen.reason, userId)
        } catch (e) {
          return errorText(e as ApiError)
        }
        announce(c.answerRecorded(this.ctx.meeting.person(userId)?.name ?? picker.select.selectedOptions[0]?.textContent ?? ''))
        return null
      },
    })
  }

  private async close(check: Check, answered: number, of: number): Promise<void> {
    const c = t()
    const yes = await ask({ title: c.closeCheckTitle(check.number), confirm: c.closeCheckConfirm, body: [h('p', {}, c.closeCheckIntro(answered, of))] })
    if (!yes) return
    try {
      await methodApi.closeCheck(this.ctx.seat.meeting, this.ctx.seat.token, check.number)
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    }
  }

  private async backToAmend(): Promise<void> {
    try {
      await methodApi.setStage(this.ctx.seat.meeting, this.ctx.seat.token, 'amend')
      announce(t().backToAmendAnnounce)
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    }
  }
}
