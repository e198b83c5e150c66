/**
 * The stages of the workshop's method, in order: the working groups
 * collect elements, the room finds their common ground, the moderator
 * drafts a wording from it, everybody amends it, the room agrees, and the
 * agreed text is frozen. The server decides what each stage allows; these
 * mirror it so that the app never offers what the stage forbids.
 */

export const STAGES = ['collect', 'common_ground', 'draft', 'amend', 'agree', 'frozen'] as const
export type Stage = (typeof STAGES)[number]

/** The stages the moderator moves between by hand (agree and frozen come with their own commands). */
export const MOVABLE: readonly Stage[] = ['collect', 'common_ground', 'draft', 'amend']

/**
 * The stage from the meeting room's `meeting.stage`: a meeting from
 * before stages has none, and is in the amend stage (frozen when its
 * phase is).
 */
export function stageOf(raw: unknown, phase: string): Stage {
  if (typeof raw === 'string' && (STAGES as readonly string[]).includes(raw)) return raw as Stage
  return phase === 'frozen' ? 'frozen' : 'amend'
}

/** May the moderator move the meeting from `from` to `to` now? */
export function mayMove(from: Stage, to: Stage): boolean {
  return from !== to && from !== 'frozen' && MOVABLE.includes(to)
}

/** Does the stage take writes to the draft (from the moderator and editors)? */
export const writesDraft = (s: Stage): boolean => s === 'draft' || s === 'amend'
/** Are amendments proposed, supported and decided in the stage? */
export const amends = (s: Stage): boolean => s === 'amend'
/** May the moderator freeze the draft in the stage? */
export const freezes = (s: Stage): boolean => s === 'amend' || s === 'agree'
/** Are working groups made and elements added in the stage? */
export const collects = (s: Stage): boolean => s === 'collect'
/** Do people join (or get put in) working groups in the stage? */
export const groupsOpen = (s: Stage): boolean => s === 'collect' || s === 'common_ground'
/** Do groups mark what they share, and the moderator tend the catalogue, in the stage? */
export const marksShares = (s: Stage): boolean => s === 'common_ground'

/** Which screen the meeting shows in the stage. */
export function screenOf(s: Stage): 'collect' | 'common_ground' | 'draft' {
  return s === 'collect' || s === 'common_ground' ? s : 'draft'
}

/** 1-based place of the stage in the method. */
export const stageNumber = (s: Stage): number => STAGES.indexOf(s) + 1
