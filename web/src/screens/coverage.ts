/**
 * The common ground beside the draft: every element the working groups
 * share, values in bold with the elements nested under them, each marked
 * with the clauses that carry it or, clearly, as not in the text yet. The
 * moderator pulls an element into the draft as a new clause, and links
 * each clause to the elements it carries (a small "Elements" control on
 * the clause, which also lists them for everyone).
 */
import { ApiError } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import { coverage, flatGround, linkedTo, type ElementFacts, type GroundItem } from '../logic/consensus.js'
import { methodApi } from '../method-api.js'
import type { Seat } from '../seats.js'
import { errorText } from './form.js'
import { formDialog } from './method-dialog.js'

export interface CoverageContext {
  seat: Seat
  notice: (text: string, kind: 'error' | 'info') => void
  /** The clause's number as shown, 0 when it is gone. */
  clauseNumber: (clause: string) => number
}

/** The side panel with the common ground and its coverage. */
export class GroundPanel {
  readonly el: HTMLElement
  private readonly list: HTMLElement
  private readonly summary: HTMLElement
  private readonly intro: HTMLElement
  private readonly heading: HTMLElement
  private shown = ''
  private pulling = new Set<string>()
  private tree: GroundItem[] = []
  private canPull = false

  constructor(private readonly ctx: CoverageContext) {
    this.heading = h('h2', { id: 'ground-h' })
    this.summary = h('p', { class: 'ground-summary', 'data-testid': 'ground-summary' })
    this.intro = h('p', { class: 'hint' })
    this.list = h('ul', { class: 'ground-list' })
    this.el = h('section', { class: 'panel ground', 'aria-labelledby': 'ground-h', hidden: true }, this.heading, this.summary, this.intro, this.list)
  }

  /** Shows `tree` (hidden when empty); `canPull`: the moderator, in the draft or amend stage. */
  paint(tree: GroundItem[], canPull: boolean): void {
    const c = t()
    this.tree = tree
    this.canPull = canPull
    const key = JSON.stringify([c.lang, tree, canPull, [...this.pulling]])
    if (key === this.shown) return
    this.shown = key
    this.el.hidden = tree.length === 0
    if (!tree.length) return
    const { carried, total } = coverage(tree)
    this.heading.textContent = c.groundHeading
    this.summary.replaceChildren(
      h('span', { class: carried === total ? 'ground-all' : 'ground-some' }, c.groundCoverage(carried, total)),
    )
    this.intro.textContent = c.groundIntro
    const focused = this.el.contains(document.activeElement) ? document.activeElement?.getAttribute('data-focus') : null
    this.list.replaceChildren(...tree.map((g) => this.item(g)))
    if (focused) this.el.querySelector<HTMLElement>(`[data-focus="${focused}"]`)?.focus()
  }

  private item(g: GroundItem): HTMLElement {
    const c = t()
    const carried = g.clauses.length > 0
    const words = g.value ? h('strong', { class: 'ground-words' }, g.text) : h('span', { class: 'ground-words' }, g.text)
    const meta = h(
      'p',
      { class: 'ground-meta' },
      carried ? h('span', { class: 'ground-in' }, c.groundIn(g.clauses)) : h('span', { class: 'ground-missing' }, c.groundMissing),
      g.sources.length ? h('span', { class: 'ground-sources' }, ` · ${c.groundSources(g.sources.join(', '))}`) : null,
    )
    // An element already carried is linked, not pulled again: the button is for what is missing.
    const pull = this.canPull && !carried
      ? h(
          'button',
          {
            type: 'button',
            class: 'small secondary ground-pull',
            'data-focus': `pull-${g.id}`,
            'aria-label': c.groundPullLabel(g.text),
            disabled: this.pulling.has(g.id),
            onclick: () => void this.pull(g),
          },
          `+ ${c.groundPull}`,
        )
      : null
    return h(
      'li',
      { class: `ground-item ${carried ? 'is-carried' : 'is-missing'}${g.value ? ' is-value' : ''}`, 'data-element': g.id },
      h(
        'div',
        { class: 'ground-row' },
        h('span', { class: 'ground-mark', 'aria-hidden': 'true' }, carried ? '✓' : '!'),
        h(
          'div',
          { class: 'ground-body' },
          h('p', { class: 'ground-text' }, words, g.value ? h('span', { class: 'ground-tag' }, c.groundValue) : null),
          meta,
          pull,
        ),
      ),
      g.nested.length ? h('ul', { class: 'ground-nested' }, ...g.nested.map((n) => this.item(n))) : null,
    )
  }

  private async pull(g: GroundItem): Promise<void> {
    this.pulling.add(g.id)
    this.paint(this.tree, this.canPull)
    try {
      const { clause_id } = await methodApi.pull(this.ctx.seat.meeting, this.ctx.seat.token, g.id)
      // The new clause arrives through the draft room: show it when it does.
      const deadline = Date.now() + 5000
      const reveal = () => {
        const el = document.querySelector<HTMLElement>(`.clause[data-clause="${clause_id}"]`)
        if (el) {
          el.scrollIntoView({ block: 'nearest', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' })
          announce(t().groundPulled(this.ctx.clauseNumber(clause_id)))
        } else if (Date.now() < deadline) {
          setTimeout(reveal, 100)
        }
      }
      reveal()
    } catch (e) {
      this.ctx.notice(errorText(e as ApiError), 'error')
    } finally {
      this.pulling.delete(g.id)
      this.shown = ''
      this.paint(this.tree, this.canPull)
    }
  }
}

/**
 * Under a clause: the elements it carries, and for the moderator the
 * "Elements" control that links and unlinks them.
 */
export function clauseElements(
  ctx: CoverageContext,
  clause: string,
  n: number,
  tree: GroundItem[],
  links: Map<string, string[]>,
  elements: Map<string, ElementFacts>,
  canLink: boolean,
): HTMLElement | null {
  const c = t()
  if (!tree.length) return null
  const mine = linkedTo(clause, links, elements)
  const carried = flatGround(tree).filter((g) => mine.has(g.id))
  if (!carried.length && !canLink) return null
  return h(
    'div',
    { class: 'clause-carries' },
    h('span', { class: 'carries-label' }, `${c.clauseCarries}:`),
    carried.length
      ? h(
          'ul',
          { class: 'chips' },
          ...carried.map((g) => h('li', { class: g.value ? 'chip is-value' : 'chip', title: g.text }, g.text)),
        )
      : h('span', { class: 'muted carries-none' }, c.clauseCarriesNothing),
    canLink
      ? h(
          'button',
          {
            type: 'button',
            class: 'small secondary link-elements',
            'data-focus': `link-${clause}`,
            'aria-label': c.linkButtonLabel(n),
            onclick: () => void linkDialog(ctx, clause, n, tree, links, elements),
          },
          `◇ ${c.linkButton}`,
        )
      : null,
  )
}

/** The moderator ticks what a clause carries; saving links and unlinks the difference. */
async function linkDialog(
  ctx: CoverageContext,
  clause: string,
  n: number,
  tree: GroundItem[],
  links: Map<string, string[]>,
  elements: Map<string, ElementFacts>,
): Promise<void> {
  const c = t()
  const before = linkedTo(clause, links, elements)
  const boxes = new Map<string, HTMLInputElement>()
  const option = (g: GroundItem): HTMLElement => {
    const id = `link-${clause}-${g.id}`
    const box = h('input', { type: 'checkbox', id, checked: before.has(g.id) })
    boxes.set(g.id, box)
    return h(
      'li',
      { class: g.value ? 'is-value' : '' },
      h('label', { for: id, class: 'check-option' }, box, g.value ? h('strong', {}, g.text) : h('span', {}, g.text)),
      g.nested.length ? h('ul', {}, ...g.nested.map(option)) : null,
    )
  }
  await formDialog({
    title: c.linkTitle(n),
    confirm: c.linkSave,
    wide: true,
    body: [h('p', {}, c.linkIntro), h('ul', { class: 'link-options' }, ...tree.map(option))],
    submit: async () => {
      const raw = links.get(clause) ?? []
      try {
        for (const [id, box] of boxes) {
          if (box.checked && !before.has(id)) {
            await methodApi.link(ctx.seat.meeting, ctx.seat.token, clause, id, true)
          } else if (!box.checked && before.has(id)) {
            // A link to a duplicate counts for what it was merged into: take back every such link.
            for (const e of raw) {
              if (linkedTo('x', new Map([['x', [e]]]), elements).has(id)) {
                await methodApi.link(ctx.seat.meeting, ctx.seat.token, clause, e, false)
              }
            }
          }
        }
      } catch (e) {
        return errorText(e as ApiError)
      }
      announce(c.linkSaved(n))
      return null
    },
  })
}
