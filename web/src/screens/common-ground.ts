/**
 * The common ground stage: on top, the common ground (the elements every
 * group shares, as the server computed it from the marks; values in bold,
 * elements nested under them); below, the share grid: elements × groups,
 * each cell a checkbox for that group's mark. A participant ticks only
 * their own group's column, the moderator any; a group's own elements
 * and the duplicates it brought count without a tick. Merged and split
 * elements stay in the grid with what became of them. The moderator
 * tends each element (merge, split, value) from its row.
 */
import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { h } from '../dom.js'
import {
  commonTree,
  groupOf,
  shareGrid,
  type CommonElement,
  type Element,
  type Group,
  type GridRow,
} from '../logic/catalogue.js'
import { groupsOpen, marksShares } from '../logic/stages.js'
import { errorText } from './form.js'
import { AssignPanel, groupBadge, groupTitle, groupTone, pickGroup, type CatalogueContext } from './groups.js'
import { tend } from './tend.js'

/** The common ground as a list: values in bold with what is nested under them, each with its sources. */
export function commonGroundList(common: CommonElement[], elements: Element[], cls = 'common-list'): HTMLElement {
  const c = t()
  const item = (e: CommonElement, nested: CommonElement[]): HTMLElement =>
    h(
      'li',
      { class: e.value ? 'is-value' : '', 'data-element': e.id },
      e.value
        ? h('strong', { class: 'common-text' }, e.text, h('span', { class: 'sr-only' }, ` (${c.valueMark})`))
        : h('span', { class: 'common-text' }, e.text),
      ' ',
      h('span', { class: 'sources' }, c.fromSources(e.sources.join(', '))),
      nested.length ? h('ul', {}, ...nested.map((n) => item(n, []))) : null,
    )
  return h('ul', { class: cls }, ...commonTree(common, elements).map((n) => item(n.item, n.nested)))
}

export class CommonGroundView {
  readonly el: HTMLElement
  private readonly summary: HTMLElement
  private readonly commonSlot: HTMLElement
  private readonly pick: HTMLElement
  private readonly assign: AssignPanel
  private readonly help: HTMLElement
  private readonly gridSlot: HTMLElement
  /** Marks sent and not answered yet, "element:group" → the mark asked for. */
  private pending = new Map<string, boolean>()
  private shown = ''

  constructor(private readonly ctx: CatalogueContext) {
    const c = t()
    this.summary = h('p', { class: 'common-summary', 'aria-live': 'polite' })
    this.commonSlot = h('div', {})
    this.pick = h('div', { class: 'pick-slot' })
    this.assign = new AssignPanel(false)
    this.help = h('p', { class: 'grid-help' })
    this.gridSlot = h('div', { class: 'grid-slot' })
    this.el = h(
      'section',
      { class: 'catalogue common', 'aria-labelledby': 'common-ground-h' },
      h(
        'section',
        { class: 'common-ground', 'aria-labelledby': 'common-ground-h' },
        h('h2', { id: 'common-ground-h' }, c.commonHeading),
        this.summary,
        this.commonSlot,
      ),
      this.pick,
      this.assign.el,
      h('section', { class: 'share', 'aria-labelledby': 'grid-h' }, h('h2', { id: 'grid-h' }, c.gridHeading), this.help, this.gridSlot),
    )
  }

  update(): void {
    const c = t()
    const { meeting, seat } = this.ctx
    const role = this.ctx.role()
    const stage = meeting.stage
    const groups = meeting.groups()
    const elements = meeting.elements(groups)
    const common = meeting.commonGround()
    const people = meeting.people().map((p) => [p.userId, p.name, p.role])
    const key = JSON.stringify([c.lang, role, stage, groups, elements, common, people, [...this.pending]])
    if (key === this.shown) return
    this.shown = key
    const moderator = role === 'moderator'
    const mine = groupOf(groups, seat.userId)

    this.summary.textContent = common.length ? c.commonCount(common.length) : c.commonEmpty
    this.commonSlot.replaceChildren(...(common.length ? [commonGroundList(common, elements)] : []))

    const picks = !moderator && (role === 'participant' || role === 'editor') && !mine && groupsOpen(stage) && groups.length > 0
    this.pick.replaceChildren(...(picks ? [pickGroup(this.ctx, groups)] : []))
    this.assign.el.hidden = !moderator || !groupsOpen(stage)
    if (moderator) this.assign.paint(this.ctx, groups)

    this.help.textContent = moderator ? c.gridHelpModerator : mine ? c.gridHelpMember(mine.label) : c.gridHelpReader
    const rows = shareGrid(groups, elements, common)
    const focus = this.focusKey()
    this.gridSlot.replaceChildren(
      rows.length ? this.table(groups, rows, elements, moderator, mine, marksShares(stage)) : h('p', { class: 'empty muted' }, c.noElementsYet),
    )
    if (focus) this.gridSlot.querySelector<HTMLElement>(focus)?.focus()
  }

  /** The control that has the focus, found again after the grid is redrawn. */
  private focusKey(): string | null {
    const el = document.activeElement
    if (!el || !this.gridSlot.contains(el)) return null
    const cell = el.closest('[data-cell]')?.getAttribute('data-cell')
    if (cell) return `[data-cell="${cell}"] input`
    const tendFor = el.getAttribute('data-tend')
    return tendFor ? `[data-tend="${tendFor}"]` : null
  }

  private table(groups: Group[], rows: GridRow[], elements: Element[], moderator: boolean, mine: Group | null, open: boolean): HTMLElement {
    const c = t()
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col', class: 'col-element' }, c.elementCol),
      ...groups.map((g) =>
        h(
          'th',
          { scope: 'col', class: `col-group ${groupTone(groups, g.id)} ${g.id === mine?.id ? 'is-mine' : ''}`.trim(), 'data-group': g.id },
          h('span', { class: 'col-group-inner' }, ...groupTitle(groups, g), g.id === mine?.id ? h('span', { class: 'tag tag-mine' }, c.yourGroup) : null),
        ),
      ),
      h('th', { scope: 'col', class: 'col-shared' }, c.sharedCol),
      moderator ? h('th', { scope: 'col', class: 'col-tools' }, c.toolsCol) : null,
    )
    const body = rows.map((row) => this.row(row, groups, rows, elements, moderator, mine, open))
    return h(
      'table',
      { class: `share-grid groups-${groups.length}` },
      h('caption', { class: 'sr-only' }, c.gridCaption),
      h('thead', {}, head),
      h('tbody', {}, ...body),
    )
  }

  private row(row: GridRow, groups: Group[], rows: GridRow[], elements: Element[], moderator: boolean, mine: Group | null, open: boolean): HTMLElement {
    const c = t()
    const e = row.element
    const group = groups.find((g) => g.id === e.groupId)
    const tags: (Node | string)[] = []
    if (row.from) tags.push(h('span', { class: 'tag' }, c.partOf(row.from.name)))
    if (row.duplicates.length) tags.push(h('span', { class: 'tag' }, c.duplicatesHere(row.duplicates.map((d) => d.name).join(', '))))
    const under = e.underValue ? elements.find((x) => x.id === e.underValue) : undefined
    if (under) tags.push(h('span', { class: 'tag tag-under' }, c.nestedUnder(under.name)))
    if (row.status === 'merged' && row.into) tags.push(h('span', { class: 'tag tag-merged' }, `→ ${row.into.name}`, h('span', { class: 'sr-only' }, ` (${c.mergedInto(row.into.name)})`)))
    if (row.status === 'split') tags.push(h('span', { class: 'tag tag-split' }, c.splitInto(row.parts.map((p) => p.name).join(', '))))
    const elementCell = h(
      'th',
      { scope: 'row', class: 'cell-element' },
      h('span', { class: 'element-head' }, group ? groupBadge(groups, group, 'small') : null, h('span', { class: 'element-name' }, e.name)),
      ' ',
      e.value
        ? h('strong', { class: 'element-text' }, e.text, h('span', { class: 'sr-only' }, ` (${c.valueMark})`))
        : h('span', { class: 'element-text' }, e.text),
      tags.length ? h('span', { class: 'tags' }, ...tags) : null,
    )
    const cls = `row-${row.status} ${row.common ? 'is-common' : ''} ${e.value ? 'is-value' : ''}`.replace(/\s+/g, ' ').trim()
    if (row.status !== 'standing') {
      const note = row.status === 'merged' && row.into ? c.countsAs(row.into.name, row.into.text) : c.standsForNothing
      return h(
        'tr',
        { class: cls, 'data-element': e.id, 'data-name': e.name },
        elementCell,
        h('td', { class: 'cell-note', colspan: groups.length + 1 }, note),
        moderator ? h('td', { class: 'cell-tools' }) : null,
      )
    }
    const cells = row.cells.map((cell, i) => {
      const g = groups[i]
      const tone = `${groupTone(groups, g.id)} ${g.id === mine?.id ? 'is-mine' : ''}`.trim()
      const label = h('span', { class: 'cell-label', 'aria-hidden': 'true' }, g.label)
      if (cell.kind === 'own' || cell.kind === 'duplicate' || cell.kind === 'via') {
        const said = cell.kind === 'own' ? c.ownLabel(g.label) : c.viaLabel(g.label, cell.via.name)
        const shown = cell.kind === 'own' ? c.own : c.via(cell.via.name)
        return h(
          'td',
          { class: `cell cell-${cell.kind} ${tone}`, 'data-group': g.id, 'data-state': cell.kind },
          label,
          h('span', { class: 'implied', title: said }, h('span', { 'aria-hidden': 'true' }, '✓ ', shown), h('span', { class: 'sr-only' }, said)),
        )
      }
      const key = `${e.id}:${g.id}`
      const mayTick = open && (moderator || g.id === mine?.id)
      const box = h('input', {
        type: 'checkbox',
        checked: this.pending.get(key) ?? cell.kind === 'marked',
        disabled: !mayTick,
        'aria-busy': this.pending.has(key) ? 'true' : null,
        'aria-label': c.shareLabel(g.label, e.name, e.text),
        onchange: (ev: Event) => void this.mark(e, g, (ev.target as HTMLInputElement).checked, moderator),
      })
      return h('td', { class: `cell cell-${cell.kind} ${tone}`, 'data-group': g.id, 'data-cell': key, 'data-state': cell.kind }, h('label', { class: 'tick' }, label, box))
    })
    const shared = h(
      'td',
      { class: 'cell-shared' },
      h('span', { 'aria-hidden': 'true' }, c.sharingOf(row.sharing, groups.length)),
      h('span', { class: 'sr-only' }, c.sharingOfLabel(row.sharing, groups.length)),
      row.common ? h('span', { class: 'tag tag-common' }, '✓ ', c.commonTag) : null,
    )
    const tools = moderator
      ? h(
          'td',
          { class: 'cell-tools' },
          h(
            'button',
            {
              type: 'button',
              class: 'small secondary',
              'data-tend': e.id,
              'aria-label': c.tendLabel(e.name),
              disabled: !open,
              onclick: () => tend(this.ctx, e, rows, elements),
            },
            c.tend,
          ),
        )
      : null
    return h('tr', { class: cls, 'data-element': e.id, 'data-name': e.name }, elementCell, ...cells, shared, tools)
  }

  private async mark(e: Element, g: Group, shared: boolean, moderator: boolean): Promise<void> {
    const key = `${e.id}:${g.id}`
    if (this.pending.has(key)) return
    this.pending.set(key, shared)
    this.update()
    try {
      await api.markShare(this.ctx.seat.meeting, this.ctx.seat.token, e.id, shared, moderator ? g.id : undefined)
    } catch (err) {
      this.ctx.notice(errorText(err as ApiError), 'error')
    } finally {
      this.pending.delete(key)
      // Redrawn from the room: a refused mark shows as it was.
      this.shown = ''
      this.update()
    }
  }
}
