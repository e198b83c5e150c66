/**
 * The later steps of the workshop on the meeting screen, in one place for
 * the meeting screen to mount: the common ground beside the draft and the
 * elements each clause carries; signals on each clause while the room
 * amends; the whole-text check; and what the freeze button says about
 * consent. Everything is derived from the `meeting` and `draft` rooms at
 * each paint; nothing is polled.
 */
import './consensus.css'

import { t } from '../app.js'
import type { Role } from '../i18n/index.js'
import { clauseSignals, consent, draftWritable, groundTree, ownSignal, type GroundItem } from '../logic/consensus.js'
import { sha256Hex } from '../logic/sha256.js'
import type { MeetingView } from '../meeting-state.js'
import { MethodView } from '../method-state.js'
import type { Seat } from '../seats.js'
import { CheckPanel, type PinnedBlock } from './check.js'
import { clauseElements, GroundPanel, type CoverageContext } from './coverage.js'
import type { DraftView } from './draft.js'
import { redraw } from './keyed.js'
import { signalStrip, type SignalContext } from './signals.js'

export interface MethodContext {
  seat: Seat
  meeting: MeetingView
  draft: DraftView
  role: () => Role
  notice: (text: string, kind: 'error' | 'info') => void
  /** Something only these views know changed: paint again. */
  repaint: () => void
}

/** Stages in which the common ground shows beside the draft. */
const GROUND_STAGES = ['draft', 'amend', 'agree', 'frozen']

/** SHA-256 of each clause's text, computed once per wording. */
class Hashes {
  private known = new Map<string, string>()
  of(text: string): string {
    let h = this.known.get(text)
    if (h === undefined) {
      if (this.known.size > 500) this.known.clear()
      h = sha256Hex(text)
      this.known.set(text, h)
    }
    return h
  }
}

export class MethodPanel {
  /** Above the draft: the check, and for the moderator whether the text has consent. */
  readonly bar: HTMLElement
  /** Beside the draft: the common ground. */
  readonly side: HTMLElement
  private readonly method: MethodView
  private readonly ground: GroundPanel
  private readonly check: CheckPanel
  private readonly hashes = new Hashes()
  private readonly coverageCtx: CoverageContext
  private readonly signalCtx: SignalContext

  constructor(private readonly ctx: MethodContext) {
    this.method = new MethodView(ctx.meeting)
    const clauseNumber = (clause: string) => ctx.draft.number(clause)
    this.coverageCtx = { seat: ctx.seat, notice: ctx.notice, clauseNumber }
    this.signalCtx = {
      seat: ctx.seat,
      meeting: ctx.meeting,
      clauseText: (clause) => ctx.draft.text(clause)?.toString() ?? '',
      clauseNumber,
      signals: (clause) => this.method.signals(clause),
      notice: ctx.notice,
    }
    this.ground = new GroundPanel(this.coverageCtx)
    this.check = new CheckPanel({ seat: ctx.seat, meeting: ctx.meeting, role: ctx.role, notice: ctx.notice, repaint: ctx.repaint })
    this.bar = this.check.el
    this.side = this.ground.el
  }

  /** Whether this meeting runs the whole workshop (its freeze needs consent or a reason). */
  get workshop(): boolean {
    return this.method.workshop
  }

  /** The moderator's freeze button: whether the text as it reads now has the room's consent. */
  freezeLabel(): string {
    const c = t()
    if (!this.method.workshop) return `🔒 ${c.freeze}`
    const k = consent(this.method.checks(), this.hashes.of(this.ctx.draft.plainText()))
    return `🔒 ${k.kind === 'given' ? c.freezeWithConsent : c.freezeWithoutConsent}`
  }

  paint(): void {
    const c = t()
    const role = this.ctx.role()
    const stage = this.ctx.meeting.stage
    const workshop = this.method.workshop
    const ids = this.ctx.draft.clauseIds()
    const links = this.method.links()
    const elements = this.method.elements()
    const tree: GroundItem[] =
      workshop && GROUND_STAGES.includes(stage) ? groundTree(this.method.commonGround(), elements, links, ids) : []
    const moderatorEdits = role === 'moderator' && draftWritable(stage)
    this.ground.paint(tree, moderatorEdits)

    const signalling = workshop && stage === 'amend'
    const pinned: PinnedBlock[] = []
    for (const [clause, slot] of this.ctx.draft.methodSlots()) {
      const text = this.ctx.draft.text(clause)?.toString() ?? ''
      const sha = this.hashes.of(text)
      const signals = signalling ? this.method.signals(clause) : []
      const n = this.ctx.draft.number(clause)
      for (const s of signals) if (s.stance === 'block' && s.sha256 === sha) pinned.push({ clause, n, name: s.name, reason: s.reason })
      const key = JSON.stringify([c.lang, role, stage, n, sha, signals, tree.length ? links.get(clause) ?? [] : [], tree, moderatorEdits])
      redraw(slot, key, () => [
        clauseElements(this.coverageCtx, clause, n, tree, links, elements, moderatorEdits),
        signalling ? signalStrip(this.signalCtx, clause, clauseSignals(signals, sha), ownSignal(signals, this.ctx.seat.userId, sha), role) : null,
      ])
      slot.hidden = slot.childElementCount === 0
    }

    // The draft is locked for the check: no proposals are taken meanwhile.
    this.bar.closest('.draft')?.classList.toggle('is-checking', workshop && stage === 'agree')
    this.check.paint(stage, workshop, this.method.checks(), this.hashes.of(this.ctx.draft.plainText()), pinned)
  }

  /** The moderator's written reason for freezing version `n` without consent. */
  versionReason(n: number): string | null {
    return this.method.versionReason(n)
  }
}
