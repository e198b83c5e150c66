/**
 * The later steps of the workshop, computed from what the `meeting` room
 * shows: which common-ground elements the draft carries, the signals on
 * each clause that still count (a signal lapses when the wording it
 * answered changes), the consensus checks on the whole text and whether
 * the text has the room's consent. Plain data in, plain data out: the
 * screens read the room's JSON and call these, and the unit tests do too.
 * Each rule mirrors the server's (`meeting/consensus.rs`,
 * `meeting/report/gather.rs`), which decides.
 */

/** What a person says of a wording: of one clause (a signal) or of the whole text (an answer). */
export type Stance = 'agree' | 'abstain' | 'disagree' | 'block'

export const STANCES: readonly Stance[] = ['agree', 'abstain', 'disagree', 'block']

/** Disagreeing and blocking say why. */
export function needsReason(s: Stance): boolean {
  return s === 'disagree' || s === 'block'
}

export function isStance(s: unknown): s is Stance {
  return typeof s === 'string' && (STANCES as readonly string[]).includes(s)
}

export interface Tally {
  agree: number
  abstain: number
  disagree: number
  block: number
}

export const emptyTally = (): Tally => ({ agree: 0, abstain: 0, disagree: 0, block: 0 })

export function tallyOf(stances: Iterable<Stance>): Tally {
  const t = emptyTally()
  for (const s of stances) t[s] += 1
  return t
}

export function tallyTotal(t: Tally): number {
  return t.agree + t.abstain + t.disagree + t.block
}

// --- Signals on clauses ---

/** A person's latest signal on a clause, as `signals[clause][user]` shows it. */
export interface Signal {
  userId: string
  name: string
  stance: Stance
  reason: string | null
  /** SHA-256 of the clause's wording the signal answers. */
  sha256: string
  /** The moderator who recorded it for this person, or null for their own. */
  recordedBy: string | null
  givenAt: number
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const record = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null

/** The signals of one clause from the room's `signals[clause]` (user id → signal); unknown stances are left out. */
export function readSignals(raw: unknown): Signal[] {
  const byUser = record(raw)
  if (!byUser) return []
  const list: Signal[] = []
  for (const [user, value] of Object.entries(byUser)) {
    const s = record(value)
    if (!s || !isStance(s.signal)) continue
    list.push({
      userId: str(s.user_id) ?? user,
      name: str(s.name) ?? '',
      stance: s.signal,
      reason: str(s.reason),
      sha256: str(s.sha256) ?? '',
      recordedBy: str(s.recorded_by),
      givenAt: num(s.given_at),
    })
  }
  return list.sort((a, b) => a.givenAt - b.givenAt || a.userId.localeCompare(b.userId))
}

/** The signals on one clause, split by whether they answer its current wording. */
export interface ClauseSignals {
  /** How many of each stand on the current wording. */
  tally: Tally
  /** Standing signals: given on the current wording. */
  standing: Signal[]
  /** Signals given on an earlier wording: they no longer count. */
  lapsed: Signal[]
  /** Standing blocks, oldest first. */
  blocks: Signal[]
  /** Standing disagreements, oldest first. */
  disagreements: Signal[]
}

export function clauseSignals(signals: Signal[], currentSha256: string): ClauseSignals {
  const standing = signals.filter((s) => s.sha256 === currentSha256)
  return {
    tally: tallyOf(standing.map((s) => s.stance)),
    standing,
    lapsed: signals.filter((s) => s.sha256 !== currentSha256),
    blocks: standing.filter((s) => s.stance === 'block'),
    disagreements: standing.filter((s) => s.stance === 'disagree'),
  }
}

/** A person's own signal on a clause: what they said, and whether it lapsed with the wording. */
export interface OwnSignal {
  stance: Stance
  reason: string | null
  lapsed: boolean
  recordedBy: string | null
}

export function ownSignal(signals: Signal[], userId: string, currentSha256: string): OwnSignal | null {
  const s = signals.find((x) => x.userId === userId)
  if (!s) return null
  return { stance: s.stance, reason: s.reason, lapsed: s.sha256 !== currentSha256, recordedBy: s.recordedBy }
}

// --- Consensus checks on the whole text ---

/** An answer to a check, as the room shows it (once readable). */
export interface Answer {
  userId: string
  name: string
  stance: Stance
  reason: string | null
  recordedBy: string | null
  answeredAt: number
}

export interface Check {
  number: number
  openedAt: number
  /** SHA-256 of the whole text it asks about. */
  sha256: string
  text: string
  /** Answers kept back until it closes. */
  hidden: boolean
  /** How many people were in the room when it opened. */
  eligible: number
  answered: number
  answeredBy: string[]
  closedAt: number | null
  /** Blocks, always named. */
  blocks: Answer[]
  /** Every answer; null while a hidden check is open. */
  answers: Answer[] | null
  /** The tally; null while a hidden check is open. */
  tally: Tally | null
}

function readAnswer(raw: unknown): Answer | null {
  const a = record(raw)
  if (!a || !isStance(a.answer)) return null
  return {
    userId: str(a.user_id) ?? '',
    name: str(a.name) ?? '',
    stance: a.answer,
    reason: str(a.reason),
    recordedBy: str(a.recorded_by),
    answeredAt: num(a.answered_at),
  }
}

function readTally(raw: unknown): Tally | null {
  const t = record(raw)
  if (!t) return null
  return { agree: num(t.agree), abstain: num(t.abstain), disagree: num(t.disagree), block: num(t.block) }
}

/** The checks from the room's `checks` (number → check), oldest first. */
export function readChecks(raw: unknown): Check[] {
  const byNumber = record(raw)
  if (!byNumber) return []
  const list: Check[] = []
  for (const value of Object.values(byNumber)) {
    const k = record(value)
    if (!k) continue
    const number = num(k.number)
    if (!Number.isInteger(number) || number < 1) continue
    const answers = Array.isArray(k.answers) ? k.answers.map(readAnswer).filter((a): a is Answer => !!a) : null
    list.push({
      number,
      openedAt: num(k.opened_at),
      sha256: str(k.sha256) ?? '',
      text: str(k.text) ?? '',
      hidden: k.hidden === true,
      eligible: num(k.eligible),
      answered: num(k.answered),
      answeredBy: Array.isArray(k.answered_by) ? k.answered_by.map(String) : [],
      closedAt: typeof k.closed_at === 'number' ? k.closed_at : null,
      blocks: Array.isArray(k.blocks) ? k.blocks.map(readAnswer).filter((a): a is Answer => !!a) : [],
      answers,
      tally: readTally(k.tally),
    })
  }
  return list.sort((a, b) => a.number - b.number)
}

/** Where a check stands, as a screen shows it. */
export type CheckView =
  | { kind: 'none' }
  /** Open: how many answered of how many, and whether this person has. */
  | { kind: 'open'; check: Check; answered: number; of: number; mine: boolean; results: 'hidden' | 'live' }
  | { kind: 'closed'; check: Check; answered: number; of: number; mine: boolean }

export function checkView(checks: Check[], userId: string): CheckView {
  const check = checks[checks.length - 1]
  if (!check) return { kind: 'none' }
  const answered = Math.max(check.answered, check.answeredBy.length)
  // People added after it opened may answer too: "19 of 18" never shows.
  const of = Math.max(check.eligible, answered)
  const mine = check.answeredBy.includes(userId)
  if (check.closedAt === null) {
    return { kind: 'open', check, answered, of, mine, results: check.hidden ? 'hidden' : 'live' }
  }
  return { kind: 'closed', check, answered, of, mine }
}

/** Of `people` (user ids), those who have not answered `check`. */
export function notAnswered(check: Check, people: string[]): string[] {
  const done = new Set(check.answeredBy)
  return people.filter((p) => !done.has(p))
}

/**
 * Whether the text whose SHA-256 is `textSha256` has the room's consent,
 * as the last check found: the server freezes a workshop's text without a
 * written reason only when it is `given`.
 */
export type Consent =
  | { kind: 'given'; check: number }
  | { kind: 'never_checked' }
  | { kind: 'still_open'; check: number }
  | { kind: 'outdated'; check: number }
  | { kind: 'blocked'; check: number; blocks: number }

export function consent(checks: Check[], textSha256: string): Consent {
  const last = checks[checks.length - 1]
  if (!last) return { kind: 'never_checked' }
  if (last.closedAt === null) return { kind: 'still_open', check: last.number }
  if (last.sha256 !== textSha256) return { kind: 'outdated', check: last.number }
  const blocks = last.answers ? last.answers.filter((a) => a.stance === 'block').length : last.blocks.length
  if (blocks > 0) return { kind: 'blocked', check: last.number, blocks }
  return { kind: 'given', check: last.number }
}

// --- The common ground and the draft ---

/** `catalogue.common_ground`: one entry. */
export interface GroundEntry {
  id: string
  text: string
  value: boolean
  sources: string[]
}

/** What the room's `elements[id]` says that the coverage needs. */
export interface ElementFacts {
  mergedInto: string | null
  underValue: string | null
}

export function readGround(raw: unknown): GroundEntry[] {
  if (!Array.isArray(raw)) return []
  const list: GroundEntry[] = []
  for (const item of raw) {
    const e = record(item)
    const id = e && str(e.id)
    if (!e || !id) continue
    list.push({
      id,
      text: str(e.text) ?? '',
      value: e.value === true,
      sources: Array.isArray(e.sources) ? e.sources.map(String) : [],
    })
  }
  return list
}

export function readElements(raw: unknown): Map<string, ElementFacts> {
  const out = new Map<string, ElementFacts>()
  const byId = record(raw)
  if (!byId) return out
  for (const [id, value] of Object.entries(byId)) {
    const e = record(value)
    if (!e) continue
    out.set(id, { mergedInto: str(e.merged_into), underValue: str(e.under_value) })
  }
  return out
}

/** `links`: clause id → the element ids it carries. */
export function readLinks(raw: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const byClause = record(raw)
  if (!byClause) return out
  for (const [clause, ids] of Object.entries(byClause)) {
    if (Array.isArray(ids)) out.set(clause, ids.map(String))
  }
  return out
}

/** One element of the common ground with the clauses that carry it. */
export interface GroundItem extends GroundEntry {
  /** The numbers (1-based) of the draft's clauses that carry it, in order. */
  clauses: number[]
  /** The elements nested under it, if it is a value. */
  nested: GroundItem[]
}

/** The element a chain of merges ends at. */
function mergeRoot(id: string, elements: Map<string, ElementFacts>): string {
  let at = id
  for (let i = 0; i <= elements.size; i++) {
    const next = elements.get(at)?.mergedInto
    if (!next) break
    at = next
  }
  return at
}

/**
 * The common ground as the draft carries it: values in their place with
 * the elements nested under them, each with the clauses (of `clauseOrder`,
 * the draft's clause ids in order) that link it. A link to a duplicate
 * counts for what it was merged into; a clause no longer in the draft
 * carries nothing.
 */
export function groundTree(
  ground: GroundEntry[],
  elements: Map<string, ElementFacts>,
  links: Map<string, string[]>,
  clauseOrder: string[],
): GroundItem[] {
  const carried = new Map<string, Set<number>>()
  clauseOrder.forEach((clause, i) => {
    for (const e of links.get(clause) ?? []) {
      const root = mergeRoot(e, elements)
      if (!carried.has(root)) carried.set(root, new Set())
      carried.get(root)!.add(i + 1)
    }
  })
  const values = new Set(ground.filter((g) => g.value).map((g) => g.id))
  const under = (g: GroundEntry): string | null => {
    const v = elements.get(g.id)?.underValue ?? null
    return v && values.has(v) && v !== g.id ? v : null
  }
  const item = (g: GroundEntry): GroundItem => ({
    ...g,
    clauses: [...(carried.get(g.id) ?? [])].sort((a, b) => a - b),
    nested: [],
  })
  return ground
    .filter((g) => under(g) === null)
    .map((g) => {
      const it = item(g)
      if (g.value) it.nested = ground.filter((n) => under(n) === g.id).map(item)
      return it
    })
}

/** Every item of the tree, values first with what is nested under them. */
export function flatGround(tree: GroundItem[]): GroundItem[] {
  return tree.flatMap((g) => [g, ...g.nested])
}

/** How many of the common ground's elements some clause carries. */
export function coverage(tree: GroundItem[]): { carried: number; total: number } {
  const all = flatGround(tree)
  return { carried: all.filter((g) => g.clauses.length > 0).length, total: all.length }
}

/** The elements (ids of the common ground) a clause carries, counting a duplicate for its merge root. */
export function linkedTo(clause: string, links: Map<string, string[]>, elements: Map<string, ElementFacts>): Set<string> {
  return new Set((links.get(clause) ?? []).map((e) => mergeRoot(e, elements)))
}

// --- Stages ---

export type Stage = 'collect' | 'common_ground' | 'draft' | 'amend' | 'agree' | 'frozen'

/** The draft is written only in these stages. */
export function draftWritable(stage: string): boolean {
  return stage === 'draft' || stage === 'amend'
}
