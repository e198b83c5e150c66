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
import type { MeetingView, Version } from '../meeting-state.js'
import { ask } from './dialog.js'
import { errorText } from './form.js'

/** The first hex digits of a hash, as people compare them by eye. */
export function shortHash(sha: string): string {
  return sha.slice(0, 12)
}

/** "Agreed version N · SHA-256 1a2b…" with a button that copies the whole hash. */
export function versionBadge(v: Version, current: boolean, cls = 'agreed'): HTMLElement {
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
    ctx.notice(errorText(e as ApiError), 'error')
  }
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
