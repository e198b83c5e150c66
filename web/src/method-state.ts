/**
 * Reading the method's part of the server-written `meeting` room: the
 * stage, whether the meeting runs the whole workshop, the common ground
 * and its links to clauses, the signals and the consensus checks, and the
 * reason a version was frozen without consent. Derived afresh on every
 * read, like `MeetingView`, of which it reads the same document.
 */
import {
  readChecks,
  readElements,
  readGround,
  readLinks,
  readSignals,
  type Check,
  type ElementFacts,
  type GroundEntry,
  type Signal,
} from './logic/consensus.js'
import type { MeetingView } from './meeting-state.js'

export class MethodView {
  constructor(private readonly meeting: MeetingView) {}

  private get doc() {
    return this.meeting.doc
  }

  /** The stage of the method (`amend` for meetings from before stages, `frozen` while frozen). */
  get stage(): string {
    return this.meeting.stage
  }

  /** Whether the meeting runs the whole workshop (its freeze needs consent or a reason). */
  get workshop(): boolean {
    return this.doc.getMap('meeting').get('workshop') === true
  }

  commonGround(): GroundEntry[] {
    return readGround(this.doc.getMap('catalogue').get('common_ground'))
  }

  elements(): Map<string, ElementFacts> {
    return readElements(this.doc.getMap('elements').toJSON())
  }

  /** Clause id → the element ids it carries. */
  links(): Map<string, string[]> {
    return readLinks(this.doc.getMap('links').toJSON())
  }

  /** Each person's latest signal on the clause. */
  signals(clause: string): Signal[] {
    return readSignals(this.doc.getMap('signals').get(clause))
  }

  checks(): Check[] {
    return readChecks(this.doc.getMap('checks').toJSON())
  }

  /** The moderator's written reason for freezing version `n` without the room's consent. */
  versionReason(n: number): string | null {
    const v = this.doc.getMap('versions').get(String(n)) as Record<string, unknown> | undefined
    const reason = v && typeof v === 'object' ? v.reason : null
    return typeof reason === 'string' && reason.trim() ? reason : null
  }
}
