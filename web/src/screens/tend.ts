/**
 * The moderator tends one element of the catalogue: merges it, as a
 * duplicate, into the element it repeats; splits a compound element into
 * parts; marks it a value or nests it under one. Merges and splits are for
 * good, so each has a dialog of its own that shows what will happen and
 * asks first; a value mark can be taken back and is done at once.
 */
import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import { MAX_ELEMENTS, splitParts, type Element, type GridRow } from '../logic/catalogue.js'
import { ask, choose } from './dialog.js'
import { errorText } from './form.js'
import type { CatalogueContext } from './groups.js'

async function run(ctx: CatalogueContext, f: () => Promise<unknown>, said: string): Promise<void> {
  try {
    await f()
    announce(said)
  } catch (e) {
    ctx.notice(errorText(e as ApiError), 'error')
  }
}

/** The tending dialog of `e`, from its row in the share grid. */
export function tend(ctx: CatalogueContext, e: Element, rows: GridRow[], elements: Element[]): void {
  const c = t()
  const { meeting, token } = ctx.seat
  const standing = rows.filter((r) => r.status === 'standing' && r.element.id !== e.id).map((r) => r.element)
  const values = elements.filter((x) => x.value && x.id !== e.id && !x.mergedInto)
  const nestedHere = elements.filter((x) => x.underValue === e.id)
  const under = e.underValue ? elements.find((x) => x.id === e.underValue) : undefined

  choose({
    title: c.tendTitle(e.name),
    wide: true,
    body: (close) => {
      const section = (id: string, title: string, ...children: (Node | string | null)[]) =>
        h('section', { class: 'tend-section', 'aria-labelledby': id }, h('h3', { id }, title), ...children)
      const quote = h('p', { class: 'text-block' }, h('strong', {}, e.name), ' ', e.text)

      const mergeButton = h(
        'button',
        { type: 'button', class: 'secondary', disabled: standing.length === 0, onclick: () => (close(), void merge(ctx, e, standing)) },
        c.mergeButton,
      )
      const splitButton = h('button', { type: 'button', class: 'secondary', onclick: () => (close(), void split(ctx, e)) }, c.splitButton)

      const valueButton = e.value
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              disabled: nestedHere.length > 0,
              onclick: () => (close(), void run(ctx, () => api.markValue(meeting, token, e.id, { value: false }), t().valueUnmarked(e.name))),
            },
            c.unmarkValue,
          )
        : h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => (close(), void run(ctx, () => api.markValue(meeting, token, e.id, { value: true, under: null }), t().valueMarked(e.name))),
            },
            `★ ${c.markValue}`,
          )

      // Nesting: under one of the values, or under none.
      let nest: HTMLElement | null = null
      if (!e.value) {
        if (values.length) {
          const select = h(
            'select',
            { id: 'nest-under' },
            h('option', { value: '', selected: !under }, c.nestNone),
            ...values.map((v) => h('option', { value: v.id, selected: v.id === under?.id }, `${v.name} · ${v.text}`)),
          )
          const nestButton = h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                const to = values.find((v) => v.id === select.value) ?? null
                close()
                void run(ctx, () => api.markValue(meeting, token, e.id, { under: to?.id ?? null }), to ? t().nested(e.name, to.name) : t().unnested(e.name))
              },
            },
            c.nestButton,
          )
          nest = h('div', { class: 'field' }, h('label', { for: 'nest-under' }, c.nestLabel), h('div', { class: 'inline-row' }, select, nestButton))
        } else {
          nest = h('p', { class: 'muted' }, c.noValuesYet)
        }
      }

      return [
        quote,
        h(
          'div',
          { class: 'tend-sections' },
          section('tend-merge-h', c.mergeHeading, h('p', {}, c.mergeIntro(e.name)), mergeButton),
          section('tend-split-h', c.splitHeading, h('p', {}, c.splitIntro(e.name)), splitButton),
          section(
            'tend-value-h',
            c.valueHeading,
            h('p', {}, c.valueIntro),
            h('div', { class: 'tend-actions' }, valueButton),
            nestedHere.length ? h('p', { class: 'muted' }, c.valueHasNested) : null,
            nest,
          ),
        ),
      ]
    },
  })
}

/** Merging `e` into the element it repeats: pick it, see both, confirm. */
async function merge(ctx: CatalogueContext, e: Element, targets: Element[]): Promise<void> {
  const c = t()
  const select = h(
    'select',
    { id: 'merge-into' },
    h('option', { value: '', selected: true }, c.mergePick),
    ...targets.map((x) => h('option', { value: x.id }, `${x.name} · ${x.text}`)),
  )
  const preview = h('div', { class: 'side-by-side merge-preview' })
  const show = () => {
    const into = targets.find((x) => x.id === select.value)
    preview.replaceChildren(
      h('div', {}, h('h3', {}, e.name), h('p', { class: 'text-block' }, e.text)),
      h('div', {}, h('h3', {}, into ? `→ ${into.name}` : '→ …'), h('p', { class: 'text-block' }, into?.text ?? '')),
    )
  }
  select.addEventListener('change', show)
  show()
  const yes = await ask({
    title: c.mergeTitle(e.name),
    wide: true,
    danger: true,
    confirm: c.mergeConfirm,
    focus: select,
    check: () => (select.value ? null : c.mergeNeedsTarget),
    body: [
      h('p', {}, c.mergeIntro(e.name)),
      h('div', { class: 'field' }, h('label', { for: 'merge-into' }, c.mergeTargetLabel), select),
      preview,
      h('p', { class: 'warning' }, h('strong', {}, c.mergeWarning)),
    ],
  })
  const into = targets.find((x) => x.id === select.value)
  if (!yes || !into) return
  await run(ctx, () => api.merge(ctx.seat.meeting, ctx.seat.token, e.id, into.id), t().merged(e.name, into.name))
}

/** A first guess at the parts: the compound's own joints (" + ", " / ", ", "). */
function guessParts(text: string): string {
  const parts = text.split(/\s+\+\s+|\s+\/\s+|,\s+|;\s+/)
  return parts.length > 1 ? parts.join('\n') : text
}

/** Splitting `e` into parts typed one a line, after a confirmation. */
async function split(ctx: CatalogueContext, e: Element): Promise<void> {
  const c = t()
  const area = h('textarea', { id: 'split-parts', rows: 5, class: 'split-parts', spellcheck: 'true' })
  area.value = guessParts(e.text)
  const preview = h('ol', { class: 'split-preview', 'aria-live': 'polite' })
  const show = () => preview.replaceChildren(...splitParts(area.value).map((p) => h('li', {}, p)))
  area.addEventListener('input', show)
  show()
  const yes = await ask({
    title: c.splitTitle(e.name),
    danger: true,
    confirm: c.splitConfirm,
    focus: area,
    check: () => {
      const n = splitParts(area.value).length
      return n < 2 ? c.splitNeedsTwo : n > MAX_ELEMENTS ? c.splitTooMany(MAX_ELEMENTS) : null
    },
    body: [
      h('p', { class: 'text-block' }, h('strong', {}, e.name), ' ', e.text),
      h('p', {}, c.splitIntro(e.name)),
      h('div', { class: 'field' }, h('label', { for: 'split-parts' }, c.splitPartsLabel), area),
      preview,
      h('p', { class: 'warning' }, h('strong', {}, c.splitWarning)),
    ],
  })
  if (!yes) return
  const parts = splitParts(area.value)
  try {
    const made = await api.split(ctx.seat.meeting, ctx.seat.token, e.id, parts)
    announce(t().splitDone(e.name, made.parts.map((p) => p.name).join(', ')))
  } catch (err) {
    ctx.notice(errorText(err as ApiError), 'error')
  }
}
