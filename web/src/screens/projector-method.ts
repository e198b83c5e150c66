/**
 * The room's screen at the later steps of a workshop, readable from the
 * back of the room: while the room amends, each clause with its live
 * tally and its blocks pinned, named; during the check, "14 of 18" big
 * (answers hidden) or the live tally, then the results; once frozen, the
 * agreed text's whole SHA-256 and a QR code to the meeting's report. No
 * controls: the projector only shows.
 */
import './consensus.css'

import { t } from '../app.js'
import { h } from '../dom.js'
import { checkView, clauseSignals, consent } from '../logic/consensus.js'
import { reportPath } from '../logic/routes.js'
import { sha256Hex } from '../logic/sha256.js'
import type { MeetingView } from '../meeting-state.js'
import { MethodView } from '../method-state.js'
import { qrSvg } from '../qr.js'
import { answerTally, consentLine } from './check.js'
import type { DraftView } from './draft.js'
import { redraw } from './keyed.js'
import { blockList, tallyLine } from './signals.js'

/** A hash in groups of four, to be read aloud and compared by eye: two lines of eight groups. */
export function groupedHash(sha: string): (string | HTMLElement)[] {
  const groups = sha.match(/.{1,4}/g) ?? [sha]
  return [groups.slice(0, 8).join(' '), h('br', {}), groups.slice(8).join(' ')]
}

export class ProjectorMethod {
  /** Above the draft: the consensus check. */
  readonly banner: HTMLElement
  /** Under the draft, once frozen: the agreed text's whole SHA-256, and the reason if there was no consent. */
  readonly after: HTMLElement
  /** Beside the draft, once frozen: the QR code of the meeting's report. */
  readonly side: HTMLElement
  private readonly method: MethodView

  constructor(
    private readonly meetingId: string,
    private readonly meeting: MeetingView,
    private readonly draft: DraftView,
  ) {
    this.method = new MethodView(meeting)
    this.banner = h('section', { class: 'projector-check', hidden: true, 'aria-labelledby': 'projector-check-h' })
    this.after = h('section', { class: 'projector-final', hidden: true, 'aria-labelledby': 'projector-hash-h' })
    this.side = h('aside', { class: 'projector-record', hidden: true, 'aria-labelledby': 'projector-record-h' })
  }

  paint(): void {
    const c = t()
    const stage = this.meeting.stage
    const workshop = this.method.workshop

    // Amending: each clause's tally and blocks under it.
    const signalling = workshop && stage === 'amend'
    for (const [clause, slot] of this.draft.methodSlots()) {
      const sha = sha256Hex(this.draft.text(clause)?.toString() ?? '')
      const signals = signalling ? this.method.signals(clause) : []
      const n = this.draft.number(clause)
      redraw(slot, JSON.stringify([c.lang, signalling, n, sha, signals]), () => {
        if (!signalling) return []
        const s = clauseSignals(signals, sha)
        return [tallyLine(s, n, 'signal-tally projector-tally'), blockList(s.blocks, 'signal-blocks projector-blocks')]
      })
      slot.hidden = slot.childElementCount === 0
    }

    // The check: how many answered, big; the tally once it may be read.
    const checks = this.method.checks()
    const view = checkView(checks, '')
    const shown = workshop && stage === 'agree' && view.kind !== 'none' ? view : null
    this.banner.hidden = !shown
    redraw(this.banner, JSON.stringify([c.lang, !!shown, checks[checks.length - 1] ?? null]), () => {
      if (!shown) return []
      const k = shown.check
      const open = shown.kind === 'open'
      return [
        h('h2', { id: 'projector-check-h' }, c.checkHeading(k.number)),
        h(
          'div',
          { class: 'projector-count' },
          h('span', { class: 'projector-count-label' }, c.projectorAnsweredLabel),
          h('strong', { class: 'projector-count-number', 'data-testid': 'projector-answered' }, c.projectorAnswered(shown.answered, shown.of)),
          h('progress', { max: Math.max(1, shown.of), value: shown.answered, 'aria-hidden': 'true' }),
        ),
        open && k.hidden ? h('p', { class: 'projector-hidden' }, c.projectorHidden) : null,
        k.tally ? answerTally(k.tally, 'signal-tally projector-tally') : null,
        blockList(k.blocks, 'signal-blocks projector-blocks'),
        !open ? consentLine(consent([k], k.sha256), 'consent-line projector-consent') : null,
      ]
    })

    // Frozen: under the text its whole hash (and the reason, if there was no consent); beside it the report's QR code.
    const latest = this.meeting.frozen ? this.meeting.latestVersion() : null
    const key = JSON.stringify([c.lang, latest?.number ?? null, latest?.sha256 ?? null])
    this.after.hidden = !latest
    this.side.hidden = !latest
    redraw(this.after, key, () => {
      if (!latest) return []
      const reason = this.method.versionReason(latest.number)
      return [
        h('h2', { id: 'projector-hash-h', class: 'projector-hash-label' }, c.projectorHashLabel),
        h('p', { class: 'projector-hash-full', 'data-sha256': latest.sha256 }, ...groupedHash(latest.sha256)),
        reason ? h('p', { class: 'projector-reason' }, h('strong', {}, c.frozenWithReason), ' ', h('q', {}, reason)) : null,
      ]
    })
    redraw(this.side, key, () => {
      if (!latest) return []
      const url = `${location.origin}${reportPath(this.meetingId)}`
      return [
        h('h2', { id: 'projector-record-h' }, c.projectorReport),
        qrSvg(url, c.qrLabel(c.reportLink)),
        h('p', { class: 'projector-record-hint' }, c.projectorReportHint),
      ]
    })
  }
}
