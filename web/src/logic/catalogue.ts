/**
 * The workshop's catalogue as the meeting room shows it: the working
 * groups, the elements each brought (A1, A2…, with what was merged into
 * what and split from what), which group shares which element, and the
 * common ground the server computed from those marks. Plain functions over
 * plain values, so that the screens derive what they show and the tests
 * check it without a browser.
 */

/** Most elements one group brings (the server's cap). */
export const MAX_ELEMENTS = 12

export interface Group {
  id: string
  /** A, B, C… */
  label: string
  name: string
  /** User ids of its members. */
  members: string[]
}

export interface Element {
  id: string
  /** "A1": the group's label and the element's place in its list. */
  name: string
  groupId: string
  position: number
  text: string
  author: string
  createdAt: number
  /** The compound element this is a part of. */
  splitFrom: string | null
  /** The element this duplicate was merged into (for good). */
  mergedInto: string | null
  value: boolean
  /** The value this element is nested under. */
  underValue: string | null
  /** Groups that marked it as shared (not its own group). */
  sharedBy: string[]
}

/** One element of the common ground, as the server computed it. */
export interface CommonElement {
  id: string
  text: string
  value: boolean
  /** Every element it gathers, "A8", "B1": itself first. */
  sources: string[]
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const strOrNull = (v: unknown): string | null => (typeof v === 'string' && v ? v : null)
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [])
const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null

/** The groups from the room's `groups` map (id → value), A first. */
export function readGroups(entries: Iterable<[string, unknown]>): Group[] {
  const groups: Group[] = []
  for (const [id, raw] of entries) {
    const g = obj(raw)
    if (!g) continue
    groups.push({ id, label: str(g.label), name: str(g.name), members: list(g.members) })
  }
  return groups.sort(byLabel)
}

/** A before B, …, Z (a longer label after a shorter one). */
function byLabel(a: { label: string }, b: { label: string }): number {
  return a.label.length - b.label.length || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)
}

/** The elements from the room's `elements` map, in the catalogue's order: by group, then place. */
export function readElements(entries: Iterable<[string, unknown]>, groups: Group[]): Element[] {
  const rank = new Map(groups.map((g, i) => [g.id, i]))
  const elements: Element[] = []
  for (const [id, raw] of entries) {
    const e = obj(raw)
    if (!e) continue
    elements.push({
      id,
      name: str(e.name),
      groupId: str(e.group_id),
      position: Number(e.position) || 0,
      text: str(e.text),
      author: str(e.author),
      createdAt: Number(e.created_at) || 0,
      splitFrom: strOrNull(e.split_from),
      mergedInto: strOrNull(e.merged_into),
      value: e.value === true,
      underValue: strOrNull(e.under_value),
      sharedBy: list(e.shared_by),
    })
  }
  const at = (e: Element) => rank.get(e.groupId) ?? groups.length
  return elements.sort((a, b) => at(a) - at(b) || a.position - b.position || (a.id < b.id ? -1 : 1))
}

/** The room's `catalogue.common_ground` list. */
export function readCommonGround(raw: unknown): CommonElement[] {
  if (!Array.isArray(raw)) return []
  const out: CommonElement[] = []
  for (const item of raw) {
    const e = obj(item)
    if (!e || typeof e.id !== 'string') continue
    out.push({ id: e.id, text: str(e.text), value: e.value === true, sources: list(e.sources) })
  }
  return out
}

/** The group a member is in, if any. */
export function groupOf(groups: Group[], userId: string): Group | null {
  return groups.find((g) => g.members.includes(userId)) ?? null
}

/** A group's list, in its order. */
export function listOf(elements: Element[], groupId: string): Element[] {
  return elements.filter((e) => e.groupId === groupId).sort((a, b) => a.position - b.position)
}

/** How many elements a group has brought: what the cap counts (split parts too). */
export function brought(elements: Element[], groupId: string): number {
  return elements.filter((e) => e.groupId === groupId).length
}

/**
 * The groups' lists taken in turns, A1, B1, C1, A2, B2, …: on the room's
 * screen each group's first element comes before anyone's second, so a
 * fast group does not drown the others.
 */
export function inTurns(groups: Group[], elements: Element[]): Element[] {
  const lists = groups.map((g) => listOf(elements, g.id))
  const out: Element[] = []
  const longest = Math.max(0, ...lists.map((l) => l.length))
  for (let round = 0; round < longest; round++) {
    for (const l of lists) if (round < l.length) out.push(l[round])
  }
  return out
}

/** The element a chain of merges ends at (itself when not merged). */
export function rootOf(byId: Map<string, Element>, e: Element): Element {
  let at = e
  // A chain is no longer than the catalogue; a cycle (never made) stops too.
  for (let i = 0; i < byId.size && at.mergedInto; i++) {
    const next = byId.get(at.mergedInto)
    if (!next) break
    at = next
  }
  return at
}

/**
 * How one group stands to one element in the share grid:
 * `own` — the group brought it; `duplicate` — the group brought a
 * duplicate merged into it; `marked` — the group marked it shared (it can
 * take that back); `via` — the group marked a duplicate of it; `none`.
 * All but `none` count as shared.
 */
export type Cell =
  | { kind: 'own' }
  | { kind: 'duplicate'; via: Element }
  | { kind: 'marked' }
  | { kind: 'via'; via: Element }
  | { kind: 'none' }

export interface GridRow {
  element: Element
  /** `standing`: marked in the grid; `merged` into another; `split` into parts (stands for nothing). */
  status: 'standing' | 'merged' | 'split'
  /** For a merged element: the element it counts as. */
  into: Element | null
  /** For a split element: its parts. */
  parts: Element[]
  /** For a part: the compound element it was split from. */
  from: Element | null
  /** For a standing element: the duplicates merged into it. */
  duplicates: Element[]
  /** For a standing element: one cell per group, in the groups' order; empty otherwise. */
  cells: Cell[]
  /** How many groups share it. */
  sharing: number
  /** In the common ground (as the server computed it). */
  common: boolean
}

/** The share grid: one row per element in the catalogue's order, one cell per group. */
export function shareGrid(groups: Group[], elements: Element[], common: CommonElement[]): GridRow[] {
  const byId = new Map(elements.map((e) => [e.id, e]))
  const commonIds = new Set(common.map((c) => c.id))
  const duplicates = new Map<string, Element[]>()
  for (const e of elements) {
    if (!e.mergedInto) continue
    const root = rootOf(byId, e)
    if (root.id === e.id) continue
    duplicates.set(root.id, [...(duplicates.get(root.id) ?? []), e])
  }
  const parts = new Map<string, Element[]>()
  for (const e of elements) {
    if (e.splitFrom) parts.set(e.splitFrom, [...(parts.get(e.splitFrom) ?? []), e])
  }
  return elements.map((e) => {
    const from = e.splitFrom ? (byId.get(e.splitFrom) ?? null) : null
    const myParts = parts.get(e.id) ?? []
    if (e.mergedInto) {
      return { element: e, status: 'merged', into: rootOf(byId, e), parts: [], from, duplicates: [], cells: [], sharing: 0, common: false }
    }
    if (myParts.length) {
      return { element: e, status: 'split', into: null, parts: myParts, from, duplicates: [], cells: [], sharing: 0, common: false }
    }
    const dups = duplicates.get(e.id) ?? []
    const cells: Cell[] = groups.map((g) => {
      if (e.groupId === g.id) return { kind: 'own' }
      const brought = dups.find((d) => d.groupId === g.id)
      if (brought) return { kind: 'duplicate', via: brought }
      if (e.sharedBy.includes(g.id)) return { kind: 'marked' }
      const marked = dups.find((d) => d.sharedBy.includes(g.id))
      if (marked) return { kind: 'via', via: marked }
      return { kind: 'none' }
    })
    return {
      element: e,
      status: 'standing',
      into: null,
      parts: [],
      from,
      duplicates: dups,
      cells,
      sharing: cells.filter((c) => c.kind !== 'none').length,
      common: commonIds.has(e.id),
    }
  })
}

/** An item of the common ground with the elements nested under it (when it is a value). */
export interface CommonNode {
  item: CommonElement
  nested: CommonElement[]
}

/**
 * The common ground as a list of values and elements, with the elements
 * nested under a value (one that is itself common ground) placed under it.
 */
export function commonTree(common: CommonElement[], elements: Element[]): CommonNode[] {
  const under = new Map(elements.map((e) => [e.id, e.underValue]))
  const values = new Set(common.filter((c) => c.value).map((c) => c.id))
  const parentOf = (c: CommonElement): string | null => {
    const p = under.get(c.id) ?? null
    return p && p !== c.id && values.has(p) && !c.value ? p : null
  }
  const nodes = new Map<string, CommonNode>()
  const top: CommonNode[] = []
  for (const c of common) {
    if (parentOf(c)) continue
    const node = { item: c, nested: [] }
    nodes.set(c.id, node)
    top.push(node)
  }
  for (const c of common) {
    const p = parentOf(c)
    if (p) nodes.get(p)?.nested.push(c)
  }
  return top
}

/**
 * The parts a moderator typed for a split: one a line, trimmed, blank lines
 * and repeats left out.
 */
export function splitParts(text: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const part = line.trim().replace(/\s+/g, ' ')
    if (!part || seen.has(part.toLocaleLowerCase())) continue
    seen.add(part.toLocaleLowerCase())
    out.push(part)
  }
  return out
}
