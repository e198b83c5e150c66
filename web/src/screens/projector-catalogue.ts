/**
 * The room's screen in the first two stages, big enough to read from the
 * back of the room. Collecting: the groups' elements taken in turns (A1,
 * B1, C1, A2, …) so that a fast group does not drown the others, with each
 * group's count. Finding the common ground: the common ground itself,
 * largest, and beside it the share grid with a mark where a group shares
 * an element. No controls.
 */
import { t } from '../app.js'
import { h } from '../dom.js'
import { brought, inTurns, MAX_ELEMENTS, shareGrid, type Element, type GridRow, type Group } from '../logic/catalogue.js'
import type { MeetingView } from '../meeting-state.js'
import { commonGroundList } from './common-ground.js'
import { groupBadge, groupTone } from './groups.js'

export class ProjectorCatalogue {
  readonly el: HTMLElement
  private shown = ''

  constructor(private readonly meeting: MeetingView) {
    this.el = h('section', { class: 'projector-catalogue', 'aria-labelledby': 'projector-catalogue-h' })
  }

  update(): void {
    const c = t()
    const stage = this.meeting.stage
    const groups = this.meeting.groups()
    const elements = this.meeting.elements(groups)
    const common = this.meeting.commonGround()
    const key = JSON.stringify([c.lang, stage, groups, elements, common])
    if (key === this.shown) return
    this.shown = key
    this.el.className = `projector-catalogue ${stage === 'common_ground' ? 'is-common' : 'is-collect'}`
    this.el.replaceChildren(...(stage === 'common_ground' ? this.commonGround(groups, elements) : this.turns(groups, elements)))
    this.fit()
  }

  /**
   * Sets the type as large as lets it all fit on the screen (nobody scrolls
   * a projector): the largest scale, down to 45 %, at which the section
   * ends above the window's bottom. Narrow windows scroll as pages do.
   */
  fit(): void {
    const style = this.el.style
    // Through the CSSOM: the page's policy allows no style attributes.
    style.setProperty('--fit', '1')
    if (this.el.hidden || window.innerWidth < 960) return
    // The page's own bottom padding below it too.
    const fits = () => this.el.getBoundingClientRect().bottom + window.scrollY <= window.innerHeight - 40
    if (fits()) return
    let lo = 0.45
    let hi = 1
    for (let i = 0; i < 7; i++) {
      const mid = (lo + hi) / 2
      style.setProperty('--fit', mid.toFixed(3))
      if (fits()) lo = mid
      else hi = mid
    }
    style.setProperty('--fit', lo.toFixed(3))
  }

  private legend(groups: Group[], elements: Element[]): HTMLElement {
    const c = t()
    return h(
      'ul',
      { class: 'projector-groups' },
      ...groups.map((g) =>
        h(
          'li',
          { class: groupTone(groups, g.id) },
          groupBadge(groups, g),
          h('span', { class: 'projector-group-name' }, g.name),
          h(
            'span',
            { class: 'projector-group-count' },
            h('span', { 'aria-hidden': 'true' }, c.elementsOf(brought(elements, g.id), MAX_ELEMENTS)),
            h('span', { class: 'sr-only' }, c.elementsOfLabel(brought(elements, g.id), MAX_ELEMENTS)),
          ),
        ),
      ),
    )
  }

  private turns(groups: Group[], elements: Element[]): HTMLElement[] {
    const c = t()
    const order = inTurns(groups, elements)
    const byId = new Map(elements.map((e) => [e.id, e]))
    const group = new Map(groups.map((g) => [g.id, g]))
    // More columns as the list grows, so it keeps to one screen.
    const columns = order.length > 26 ? 3 : order.length > 13 ? 2 : 1
    return [
      h('h2', { id: 'projector-catalogue-h', class: 'projector-section-h' }, c.projectorTurns),
      this.legend(groups, elements),
      order.length
        ? h(
            'ol',
            { class: `projector-turns cols-${columns}` },
            ...order.map((e) => {
              const g = group.get(e.groupId)
              const into = e.mergedInto ? byId.get(e.mergedInto) : undefined
              return h(
                'li',
                { class: `${g ? groupTone(groups, g.id) : ''} ${into ? 'is-merged' : ''}`.trim(), 'data-name': e.name },
                h('span', { class: `turn-name ${g ? groupTone(groups, g.id) : ''}`.trim() }, e.name),
                h('span', { class: 'turn-text' }, e.text, into ? h('span', { class: 'tag tag-merged' }, ` → ${into.name}`) : ''),
              )
            }),
          )
        : h('p', { class: 'projector-empty' }, groups.length ? c.projectorNothingYet : c.noGroupsMember),
    ]
  }

  private commonGround(groups: Group[], elements: Element[]): HTMLElement[] {
    const c = t()
    const common = this.meeting.commonGround()
    const rows = shareGrid(groups, elements, common).filter((r) => r.status === 'standing')
    // A long grid is set in two halves side by side.
    const halves = rows.length > 14 ? [rows.slice(0, Math.ceil(rows.length / 2)), rows.slice(Math.ceil(rows.length / 2))] : [rows]
    const grid = (part: GridRow[]) => {
      const table = h(
        'table',
        { class: 'projector-grid' },
        h('caption', { class: 'sr-only' }, c.gridCaption),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, c.elementCol)),
            ...groups.map((g) => h('th', { scope: 'col', class: groupTone(groups, g.id) }, groupBadge(groups, g), h('span', { class: 'sr-only' }, c.groupLabel(g.label)))),
          ),
        ),
        h(
          'tbody',
          {},
          ...part.map((r) =>
            h(
              'tr',
              { class: r.common ? 'is-common' : '', 'data-name': r.element.name },
              h(
                'th',
                { scope: 'row' },
                h('span', { class: 'grid-name' }, r.element.name),
                ' ',
                r.element.value ? h('strong', {}, r.element.text) : h('span', {}, r.element.text),
              ),
              ...r.cells.map((cell) =>
                h(
                  'td',
                  { class: `cell-${cell.kind}` },
                  cell.kind === 'none' ? h('span', { class: 'sr-only' }, '—') : [h('span', { 'aria-hidden': 'true' }, '✓'), h('span', { class: 'sr-only' }, c.sharedCol)],
                ),
              ),
            ),
          ),
        ),
      )
      return table
    }
    return [
      h(
        'div',
        { class: 'projector-common' },
        h('h2', { id: 'projector-catalogue-h', class: 'projector-section-h' }, c.commonHeading),
        h('p', { class: 'projector-common-count' }, common.length ? c.commonCount(common.length) : c.commonEmpty),
        common.length ? commonGroundList(common, elements, 'projector-common-list') : null,
      ),
      h(
        'div',
        { class: 'projector-grid-wrap' },
        h('h2', { class: 'projector-section-h' }, c.gridHeading),
        rows.length ? h('div', { class: `projector-grids halves-${halves.length}` }, ...halves.map(grid)) : h('p', { class: 'projector-empty' }, c.noElementsYet),
      ),
    ]
  }
}
