/**
 * Signals on a clause while the room amends it: each person in the room
 * says agree, abstain, disagree or block on the wording as they read it
 * (disagree and block with a reason, asked in a dialog); a signal counts
 * only while the clause still reads as it did, so the strip says when
 * one's own lapsed. Everyone sees the live tally and the blocks, named
 * with their reasons; the moderator records signals for people without a
 * device. A wording changed between reading and sending (409
 * `wording_changed`) is shown, and the person signals again on it.
 */
import { ApiError } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import type { Role } from '../i18n/index.js'
import { needsReason, STANCES, type ClauseSignals, type OwnSignal, type Signal, type Stance } from '../logic/consensus.js'
import { sha256Hex } from '../logic/sha256.js'
import { wordDiff } from '../logic/word-diff.js'
import { methodApi } from '../method-api.js'
import type { MeetingView } from '../meeting-state.js'
import type { Seat } from '../seats.js'
import { diffView } from './diff.js'
import { errorText } from './form.js'
import { formDialog, personPicker, reasonField, reasonFor, recordedChoice, stanceChoice, type PickerPerson } from './method-dialog.js'

export interface SignalContext {
  seat: Seat
  meeting: MeetingView
  /** The clause's text now ('' when it is gone). */
  clauseText: (clause: string) => string
  clauseNumber: (clause: string) => number
  signals: (clause: string) => Signal[]
  notice: (text: string, kind: 'error' | 'info') => void
}

/** The tally of one clause: four counts in words and symbols, the lapsed ones aside. */
export function tallyLine(s: ClauseSignals, n: number, cls = 'signal-tally'): HTMLElement {
  const c = t()
  const total = s.tally.agree + s.tally.abstain + s.tally.disagree + s.tally.block
  return h(
    'div',
    { class: cls, role: 'group', 'aria-label': c.tallyLabel(n), 'data-testid': 'tally' },
    total
      ? h(
          'ul',
          { class: 'tally' },
          ...STANCES.map((st) =>
            h(
              'li',
              { class: `tally-item tally-${st}${s.tally[st] ? '' : ' is-zero'}`, 'data-stance': st, 'data-count': s.tally[st] },
              h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon[st]),
              h('span', { class: 'tally-word' }, c.stanceTally[st]),
              ' ',
              h('strong', { class: 'tally-count' }, String(s.tally[st])),
            ),
          ),
        )
      : h('span', { class: 'muted tally-none' }, c.tallyNone),
    s.lapsed.length ? h('span', { class: 'muted tally-lapsed' }, c.lapsedCount(s.lapsed.length)) : null,
  )
}

/** The standing blocks, named with their reasons: pinned for all to see. */
export function blockList(blocks: Signal[] | { name: string; reason: string | null; recordedBy: string | null }[], cls = 'signal-blocks'): HTMLElement | null {
  const c = t()
  if (!blocks.length) return null
  return h(
    'div',
    { class: cls, 'data-testid': 'blocks' },
    h('p', { class: 'blocks-heading' }, h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon.block), ' ', c.blocksHeading),
    h(
      'ul',
      {},
      ...blocks.map((b) =>
        h(
          'li',
          {},
          h('strong', {}, b.name || c.unknownAuthor),
          ': ',
          h('q', {}, b.reason ?? ''),
          b.recordedBy ? h('span', { class: 'muted' }, ` (${c.recordedByModerator})`) : null,
        ),
      ),
    ),
  )
}

/** The reasons of those who disagree, folded away. */
export function disagreeList(list: { name: string; reason: string | null }[]): HTMLElement | null {
  const c = t()
  if (!list.length) return null
  return h(
    'details',
    { class: 'signal-disagree' },
    h('summary', {}, c.disagreeCount(list.length)),
    h('ul', {}, ...list.map((d) => h('li', {}, h('strong', {}, d.name || c.unknownAuthor), ': ', h('q', {}, d.reason ?? '')))),
  )
}

/** One clause's strip: own signal (people in the room), tally, blocks, the moderator's recording. */
export function signalStrip(
  ctx: SignalContext,
  clause: string,
  s: ClauseSignals,
  own: OwnSignal | null,
  role: Role,
): HTMLElement {
  const c = t()
  const n = ctx.clauseNumber(clause)
  const parts: (HTMLElement | null)[] = []
  if (role === 'participant' || role === 'editor') {
    const current = own && !own.lapsed ? own.stance : null
    const state = own
      ? own.lapsed
        ? h('p', { class: 'signal-state is-lapsed', 'data-testid': 'own-signal' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), c.yourSignalLapsed(c.stanceNoun[own.stance]))
        : h(
            'p',
            { class: 'signal-state', 'data-testid': 'own-signal' },
            c.yourSignal(c.stanceNoun[own.stance]),
            own.recordedBy ? h('span', { class: 'muted' }, ` (${c.recordedByModerator})`) : null,
          )
      : h('p', { class: 'signal-state muted', 'data-testid': 'own-signal' }, c.signalPrompt)
    parts.push(
      h(
        'div',
        { class: 'signal-own', role: 'group', 'aria-label': c.signalGroup(n) },
        state,
        h(
          'div',
          { class: 'signal-buttons' },
          ...STANCES.map((st) =>
            h(
              'button',
              {
                type: 'button',
                class: `signal signal-${st}${current === st ? ' is-on' : ''}`,
                'aria-pressed': current === st ? 'true' : 'false',
                'data-stance': st,
                'data-focus': `signal-${clause}-${st}`,
                onclick: () => void give(ctx, clause, st, current === st ? own : null),
              },
              h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon[st]),
              c.stanceButton[st],
            ),
          ),
        ),
      ),
    )
  }
  parts.push(tallyLine(s, n))
  parts.push(blockList(s.blocks))
  parts.push(disagreeList(s.disagreements))
  if (role === 'moderator') {
    parts.push(
      h(
        'div',
        { class: 'signal-moderator' },
        h(
          'button',
          {
            type: 'button',
            class: 'small secondary record-signal',
            'data-focus': `record-${clause}`,
            'aria-label': c.recordSignalLabel(n),
            onclick: () => void record(ctx, clause),
          },
          c.recordSignal,
        ),
      ),
    )
  }
  return h('div', { class: 'signal-strip', 'data-testid': 'signal-strip' }, ...parts)
}

/** A person's own signal; disagree and block ask why first (`again`: the signal whose reason they change). */
async function give(ctx: SignalContext, clause: string, stance: Stance, again: OwnSignal | null): Promise<void> {
  // Pressing one's standing agreement or abstention again changes nothing.
  if (again && !needsReason(stance)) return
  const seen = ctx.clauseText(clause)
  let reason: string | null = null
  if (needsReason(stance)) {
    const c = t()
    const n = ctx.clauseNumber(clause)
    const field = reasonField(`reason-${clause}`, c.reasonHint[stance], again?.reason ?? '')
    const yes = await formDialog({
      title: stance === 'block' ? c.reasonTitle.block(n) : c.reasonTitle.disagree(n),
      confirm: c.send,
      // The wording the person answers: the one shown here.
      body: [h('p', { class: 'dialog-label' }, c.theWording), h('blockquote', { class: 'text-block' }, seen), field.row],
      submit: () => field.check(true),
    })
    if (!yes) return
    reason = field.value()
  }
  const problem = await send(ctx, clause, stance, seen, reason, null)
  if (problem) ctx.notice(problem, 'error')
}

/**
 * Sends a signal on the wording `seen`; if someone typed meanwhile, shows
 * the wording now and offers to signal on it (the reason kept). Answers
 * null once recorded, else what went wrong (a refused change of wording:
 * the title of that question).
 */
async function send(
  ctx: SignalContext,
  clause: string,
  stance: Stance,
  seen: string,
  reason: string | null,
  user: { userId: string; name: string } | null,
): Promise<string | null> {
  const c = t()
  try {
    await methodApi.signal(ctx.seat.meeting, ctx.seat.token, clause, stance, sha256Hex(seen), reason, user?.userId ?? null)
    const n = ctx.clauseNumber(clause)
    announce(user ? c.signalRecorded(user.name, n, c.stanceNoun[stance]) : c.signalSent(n, c.stanceNoun[stance]))
    return null
  } catch (e) {
    const err = e as ApiError
    if (err.code !== 'wording_changed') return errorText(err)
    const now = ctx.clauseText(clause)
    const n = ctx.clauseNumber(clause)
    const yes = await formDialog({
      title: c.wordingChangedTitle(n),
      confirm: c.signalAgain(c.stanceNoun[stance]),
      wide: true,
      body: [
        h('p', {}, c.wordingChangedIntro),
        diffView(wordDiff(seen, now), 'diff text-block'),
        h('p', { class: 'muted' }, c.diffLegend),
        reason ? h('p', {}, h('strong', {}, `${c.reasonLabel}: `), h('q', {}, reason)) : null,
      ],
      submit: () => null,
    })
    return yes ? send(ctx, clause, stance, now, reason, user) : c.wordingChangedTitle(n)
  }
}

/** The moderator records a signal for someone in the room (added here if they have no device). */
async function record(ctx: SignalContext, clause: string): Promise<void> {
  const c = t()
  const n = ctx.clauseNumber(clause)
  const now = new Map(ctx.signals(clause).map((s) => [s.userId, s]))
  const seen = ctx.clauseText(clause)
  const currentSha = sha256Hex(seen)
  const people: PickerPerson[] = ctx.meeting
    .people()
    .map((p) => {
      const s = now.get(p.userId)
      return { userId: p.userId, name: p.name, now: s && s.sha256 === currentSha ? s.stance : null }
    })
  const picker = personPicker(`record-who-${clause}`, people, async (name) => {
    try {
      const added = await methodApi.addPerson(ctx.seat.meeting, ctx.seat.token, name)
      return { userId: added.user_id, name: added.name }
    } catch (e) {
      return errorText(e as ApiError)
    }
  })
  const reason = reasonField(`record-reason-${clause}`, '')
  const stance = stanceChoice(`record-stance-${clause}`, c.stanceLegend, null, (s) => reasonFor(s, reason))
  reasonFor(null, reason)
  await formDialog({
    title: c.recordSignalTitle(n),
    confirm: c.send,
    wide: true,
    body: [
      h('p', { class: 'hint' }, c.recordSignalIntro),
      h('p', { class: 'dialog-label' }, c.theWording),
      h('blockquote', { class: 'text-block' }, seen),
      picker.el,
      stance.el,
      reason.row,
    ],
    submit: async () => {
      const chosen = recordedChoice(picker, stance, reason)
      if ('problem' in chosen) return chosen.problem
      const { userId } = chosen
      const name = ctx.meeting.person(userId)?.name ?? picker.select.selectedOptions[0]?.textContent ?? ''
      // Sent from here, so that a failure keeps the form open and says why.
      return send(ctx, clause, chosen.stance, seen, chosen.reason, { userId, name })
    },
  })
}
