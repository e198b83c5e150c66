/**
 * The agreed version: a banner everyone sees while the draft is frozen
 * (its number and SHA-256, short on screen and copyable whole), the last
 * agreed version after a reopen, and the moderator's freeze and reopen,
 * each after a confirmation.
 */
import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { copyButton } from '../copy.js'
import { announce, h } from '../dom.js'
import { consent } from '../logic/consensus.js'
import { sha256Hex } from '../logic/sha256.js'
import type { MeetingView, Version } from '../meeting-state.js'
import { methodApi } from '../method-api.js'
import { MethodView } from '../method-state.js'
import { ask } from './dialog.js'
import { errorText } from './form.js'
import { formDialog, reasonField } from './method-dialog.js'

/** The first hex digits of a hash, as people compare them by eye. */
export function shortHash(sha: string): string {
  return sha.slice(0, 12)
}

/**
 * "Agreed version N · SHA-256 1a2b…" with a button that copies the whole
 * hash; and the moderator's reason, when it was frozen without consent.
 */
export function versionBadge(v: Version, current: boolean, cls = 'agreed', reason: string | null = null): HTMLElement {
  const c = t()
  const copy = copyButton(v.sha256, {
    label: c.copyHash,
    aria: c.copyHashLabel(v.number),
    cls: 'small secondary copy-hash',
    said: c.hashCopied,
  })
  return h(
    'section',
    { class: `${cls} ${current ? 'is-current' : 'is-past'}`, 'data-version': v.number, 'data-sha256': v.sha256, 'aria-label': current ? c.agreedVersion(v.number) : c.lastAgreed(v.number) },
    h('p', { class: 'agreed-title' }, h('span', { class: 'agreed-mark', 'aria-hidden': 'true' }, current ? '🔒' : '✓'), ' ', current ? c.agreedVersion(v.number) : c.lastAgreed(v.number)),
    h(
      'p',
      { class: 'agreed-hash' },
      h('abbr', { title: 'SHA-256' }, 'SHA-256'),
      ' ',
      h('code', { class: 'hash', title: v.sha256 }, `${shortHash(v.sha256)}…`),
      ' ',
      copy,
    ),
    reason
      ? h('p', { class: 'agreed-reason', 'data-testid': 'freeze-reason' }, h('strong', {}, c.frozenWithReason), ' ', h('q', {}, reason))
      : null,
  )
}

export interface FreezeContext {
  meeting: string
  token: string
  view: MeetingView
  /** The draft's text as it would be recorded. */
  text: () => string
  openAmendments: () => number
  notice: (text: string, kind: 'error' | 'info') => void
}

export async function freeze(ctx: FreezeContext): Promise<void> {
  // A workshop's text is frozen with the room's consent, or with a written reason.
  const method = new MethodView(ctx.view)
  if (method.workshop) {
    const k = consent(method.checks(), sha256Hex(ctx.text()))
    if (k.kind !== 'given') {
      const check = 'check' in k ? k.check : 0
      await freezeWithReason(ctx, t().consentSays(k.kind, check, k.kind === 'blocked' ? k.blocks : 0))
      return
    }
  }
  const c = t()
  const open = ctx.openAmendments()
  const yes = await ask({
    title: c.freezeTitle(ctx.view.versions().length + 1),
    confirm: c.freezeConfirm,
    wide: true,
    body: [
      h('p', {}, c.freezeIntro),
      open > 0 ? h('p', { class: 'warning' }, h('strong', {}, c.openAmendmentsWarn(open))) : h('p', { class: 'muted' }, c.noOpenAmendments),
      h('h3', {}, c.textToFreeze),
      h('div', { class: 'text-block freeze-text' }, ctx.text() || c.draftEmptyReader),
    ],
  })
  if (!yes) return
  try {
    const v = await api.freeze(ctx.meeting, ctx.token)
    announce(c.frozenAnnounce(v.version))
  } catch (e) {
    const err = e as ApiError
    // Consent lapsed between looking and clicking (the text changed, a check opened): the server says why.
    if (err.code === 'no_consensus') await freezeWithReason(ctx, err.message)
    else ctx.notice(errorText(err), 'error')
  }
}

/** Freezing without the room's consent: the moderator writes why, and it is kept with the version. */
async function freezeWithReason(ctx: FreezeContext, why: string): Promise<void> {
  const c = t()
  const open = ctx.openAmendments()
  const reason = reasonField('freeze-reason', c.freezeReasonHint)
  const label = reason.row.querySelector('label')
  if (label) label.textContent = c.freezeReasonLabel
  await formDialog({
    title: c.freezeReasonTitle(ctx.view.versions().length + 1),
    confirm: c.freezeReasonConfirm,
    danger: true,
    wide: true,
    body: [
      h('p', {}, c.freezeReasonIntro),
      h('p', { class: 'warning freeze-why', 'data-testid': 'freeze-why' }, h('strong', {}, why)),
      open > 0 ? h('p', { class: 'warning' }, c.openAmendmentsWarn(open)) : null,
      h('h3', {}, c.textToFreeze),
      h('div', { class: 'text-block freeze-text' }, ctx.text() || c.draftEmptyReader),
      reason.row,
    ],
    focus: () => reason.area,
    submit: async () => {
      const problem = reason.check(true, c.freezeReasonRequired)
      if (problem) return problem
      try {
        const v = await methodApi.freeze(ctx.meeting, ctx.token, reason.value())
        announce(c.frozenAnnounce(v.version))
        return null
      } catch (e) {
        return errorText(e as ApiError)
      }
    },
  })
}

export async function reopen(ctx: FreezeContext): Promise<void> {
  const c = t()
  const yes = await ask({ title: c.reopenTitle, confirm: c.reopenConfirm, body: [h('p', {}, c.reopenIntro)] })
  if (!yes) return
  try {
    await api.reopen(ctx.meeting, ctx.token)
    announce(c.reopenedAnnounce)
  } catch (e) {
    ctx.notice(errorText(e as ApiError), 'error')
  }
}
