/**
 * The stage bar: the method's stages in order (collect → common ground →
 * draft → amend ⇄ agree → frozen) as an ordered list, the current one
 * marked (`aria-current="step"`). For the moderator the stages they move
 * between by hand are buttons; everyone else, and the projector, sees it
 * read-only.
 */
import { t } from '../app.js'
import { h } from '../dom.js'
import { mayMove, STAGES, type Stage } from '../logic/stages.js'

export interface StageBarProps {
  stage: Stage
  /** Offered to the moderator: moves the meeting to a stage. */
  move: ((to: Stage) => void) | null
  /** A stage move is under way: the buttons wait. */
  busy?: boolean
  /**
   * The meeting ran the stages before this one (a workshop): they show as
   * done. A meeting begun with the draft skipped them.
   */
  ranBefore: boolean
  cls?: string
}

export function stageBar(p: StageBarProps): HTMLElement {
  const c = t()
  const now = STAGES.indexOf(p.stage)
  const items = STAGES.map((s, i) => {
    const name = c.stageName[s]
    const done = i < now && p.ranBefore
    const state = done ? 'is-done' : i === now ? 'is-current' : i < now ? 'is-skipped' : 'is-next'
    const content = [
      h('span', { class: 'stage-n', 'aria-hidden': 'true' }, done ? '✓' : String(i + 1)),
      h('span', { class: 'stage-name' }, name),
    ]
    const inner =
      p.move && mayMove(p.stage, s)
        ? h(
            'button',
            {
              type: 'button',
              class: 'stage-move',
              'aria-label': c.moveToStage(name),
              disabled: p.busy,
              'data-stage': s,
              onclick: () => p.move?.(s),
            },
            ...content,
          )
        : h('span', { class: 'stage-label' }, ...content)
    // Amend and agree go back and forth; the rest only forward.
    const arrow = i === 0 ? null : h('span', { class: 'stage-arrow', 'aria-hidden': 'true' }, s === 'agree' ? '⇄' : '→')
    return h('li', { class: `stage ${state}`, 'data-stage': s, 'aria-current': i === now ? 'step' : null }, arrow, inner)
  })
  return h(
    'nav',
    { class: `stage-bar ${p.cls ?? ''}`.trim(), 'aria-label': c.stagesLabel, 'data-stage': p.stage },
    h('ol', { class: 'stages' }, ...items),
  )
}
