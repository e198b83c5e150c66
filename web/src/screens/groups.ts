/**
 * Who is in which working group, as the collect and common ground screens
 * share it: a group's badge and name, the card where a participant picks
 * their group, and the moderator's list that puts each person in one.
 */
import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import type { Role } from '../i18n/index.js'
import { groupOf, type Group } from '../logic/catalogue.js'
import type { MeetingView, Person } from '../meeting-state.js'
import type { Seat } from '../seats.js'
import { errorText } from './form.js'

/** What the catalogue's screens need from the meeting screen. */
export interface CatalogueContext {
  seat: Seat
  meeting: MeetingView
  role: () => Role
  notice: (text: string, kind: 'error' | 'info') => void
}

/** Groups are told apart by a colour too (never by colour alone: the label is on it). */
export const groupTone = (groups: Group[], id: string): string => `grp-${Math.max(0, groups.findIndex((g) => g.id === id)) % 8}`

/** The group's letter in its colour; the words around it say it to screen readers. */
export function groupBadge(groups: Group[], g: Group, cls = ''): HTMLElement {
  return h('span', { class: `group-badge ${groupTone(groups, g.id)} ${cls}`.trim(), 'aria-hidden': 'true' }, g.label)
}

/** "A Grupa A", read as "Grupa A"; a group named otherwise is read "Group B: Economy". */
export function groupTitle(groups: Group[], g: Group): (Node | string)[] {
  const c = t()
  const plain = g.name.trim().toLocaleLowerCase() === c.groupLabel(g.label).toLocaleLowerCase()
  return [groupBadge(groups, g), ' ', plain ? '' : h('span', { class: 'sr-only' }, `${c.groupLabel(g.label)}: `), g.name]
}

/** The people who can be in a working group: participants and editors. */
export function groupable(meeting: MeetingView): Person[] {
  return meeting.people().filter((p) => p.role === 'participant' || p.role === 'editor')
}

/** The card where a member who is in no group picks one. */
export function pickGroup(ctx: CatalogueContext, groups: Group[]): HTMLElement {
  const c = t()
  const buttons = groups.map((g) =>
    h(
      'button',
      {
        type: 'button',
        class: 'pick-group',
        'data-group': g.id,
        onclick: async (e: Event) => {
          const b = e.currentTarget as HTMLButtonElement
          b.disabled = true
          try {
            await api.putInGroup(ctx.seat.meeting, ctx.seat.token, g.id)
            announce(t().joinedGroup(g.label))
          } catch (err) {
            b.disabled = false
            ctx.notice(errorText(err as ApiError), 'error')
          }
        },
      },
      groupBadge(groups, g),
      h('span', { class: 'pick-text' }, h('span', { class: 'sr-only' }, c.joinGroup(g.label, g.name)), h('span', { 'aria-hidden': 'true' }, g.name)),
      h('span', { class: 'pick-count', 'aria-hidden': 'true' }, c.peopleCount(g.members.length)),
    ),
  )
  return h(
    'section',
    { class: 'pick-groups', 'aria-labelledby': 'pick-h' },
    h('h3', { id: 'pick-h' }, c.pickGroupHeading),
    groups.length ? h('p', {}, c.pickGroupIntro) : h('p', { class: 'muted' }, c.noGroupsMember),
    groups.length ? h('div', { class: 'pick-list' }, ...buttons) : null,
  )
}

/**
 * The moderator's panel of everyone who can be in a group, each with the
 * group they are in to choose; folded, its title still says how many are
 * in none. The `details` stays (open or folded as the moderator left it);
 * `paint` fills it.
 */
export class AssignPanel {
  readonly el: HTMLDetailsElement
  private readonly count = h('span', { class: 'assign-count' })
  private readonly body = h('div', {})

  constructor(open: boolean) {
    this.el = h('details', { class: 'assign', open }, h('summary', {}, h('span', { class: 'assign-title' }, t().assignHeading), ' ', this.count), this.body)
  }

  paint(ctx: CatalogueContext, groups: Group[]): void {
    const c = t()
    const people = groupable(ctx.meeting)
    const outside = people.filter((p) => !groupOf(groups, p.userId)).length
    this.count.textContent = people.length === 0 ? c.nobodyToAssign : outside ? c.notInGroup(outside) : c.everyoneInGroup
    this.count.classList.toggle('is-warning', outside > 0)
    const focused = this.body.contains(document.activeElement) ? document.activeElement?.closest('[data-user]')?.getAttribute('data-user') : null
    this.body.replaceChildren(assignList(ctx, groups, people))
    if (focused) this.body.querySelector<HTMLElement>(`[data-user="${focused}"] select`)?.focus()
  }
}

/** Each person who can be in a group, with the group they are in to choose. */
function assignList(ctx: CatalogueContext, groups: Group[], people: Person[]): HTMLElement {
  const c = t()
  const rows = people.map((p) => {
    const mine = groupOf(groups, p.userId)
    const id = `assign-${p.userId}`
    const select = h(
      'select',
      {
        id,
        class: 'assign-select',
        disabled: groups.length === 0,
        onchange: async () => {
          const g = groups.find((x) => x.id === select.value)
          if (!g) return
          select.disabled = true
          try {
            await api.putInGroup(ctx.seat.meeting, ctx.seat.token, g.id, p.userId)
            announce(t().assigned(p.name, g.label))
          } catch (err) {
            ctx.notice(errorText(err as ApiError), 'error')
            select.value = mine?.id ?? ''
          } finally {
            select.disabled = false
          }
        },
      },
      mine ? null : h('option', { value: '', selected: true, disabled: true }, c.noGroupOption),
      ...groups.map((g) => h('option', { value: g.id, selected: g.id === mine?.id }, `${g.label} · ${g.name}`)),
    )
    return h(
      'li',
      { class: `assign-row ${mine ? '' : 'is-outside'}`.trim(), 'data-user': p.userId },
      h('label', { for: id, class: 'assign-name' }, h('span', { class: 'sr-only' }, c.assignLabel(p.name)), h('span', { 'aria-hidden': 'true' }, p.name)),
      select,
    )
  })
  return h('ul', { class: 'assign-list' }, ...rows)
}
