/**
 * Who is in the room: the moderator, editors and participants by name, with
 * role, colour and whether they are connected now; remote observers as a
 * number. The moderator lets participants edit from here.
 */
import { t } from '../app.js'
import { h } from '../dom.js'
import { colourClass } from '../colours.js'
import type { Person } from '../meeting-state.js'

export interface PeopleProps {
  people: Person[]
  connected: Set<string>
  me: string
  observers: number
  /** Offered to the moderator for participants, while not frozen. */
  grant: ((p: Person) => void) | null
  /** The label of the working group someone is in. */
  group?: (userId: string) => string | null
}

export function peopleList(props: PeopleProps): HTMLElement {
  const c = t()
  const items = props.people.map((p) => {
    const on = props.connected.has(p.userId) || p.userId === props.me
    const key = colourClass(p.colour)
    return h(
      'li',
      { class: `person ${on ? 'is-on' : 'is-off'}`, 'data-user': p.userId },
      h('span', { class: `avatar tag-${key}`, 'aria-hidden': 'true' }, initials(p.name)),
      h(
        'span',
        { class: 'person-text' },
        h('span', { class: 'person-name' }, p.name, p.userId === props.me ? ` (${c.you})` : ''),
        h(
          'span',
          { class: 'person-meta' },
          c.roleName[p.role],
          ' · ',
          props.group?.(p.userId) ? [c.inGroup(props.group(p.userId)!), ' · '] : null,
          h('span', { class: 'presence' }, on ? c.online : c.away),
        ),
      ),
      props.grant && p.role === 'participant'
        ? h(
            'button',
            {
              type: 'button',
              class: 'small grant',
              'aria-label': c.letEditLabel(p.name),
              onclick: () => props.grant?.(p),
            },
            c.letEdit,
          )
        : null,
    )
  })
  return h(
    'section',
    { class: 'panel people', 'aria-labelledby': 'people-h' },
    h(
      'h2',
      { id: 'people-h' },
      c.peopleHeading,
      h('span', { class: 'count' }, ` · ${c.peopleCount(props.people.length)}`),
    ),
    h('ul', { class: 'person-list' }, ...items),
    h('p', { class: 'following', 'data-testid': 'following' }, c.following(props.observers)),
  )
}

/** The names behind the authorship colours. */
export function legend(authors: Person[], unknown: boolean): HTMLElement {
  const c = t()
  return h(
    'section',
    { class: 'panel legend', 'aria-labelledby': 'legend-h' },
    h('h2', { id: 'legend-h' }, c.authorsHeading),
    h(
      'ul',
      { class: 'legend-list' },
      ...authors.map((p) =>
        h('li', {}, h('span', { class: `swatch au-${colourClass(p.colour)}`, 'aria-hidden': 'true' }, 'Aa'), p.name),
      ),
      unknown
        ? h('li', {}, h('span', { class: `swatch au-${colourClass('#7f7f7f')}`, 'aria-hidden': 'true' }, 'Aa'), c.unknownAuthor)
        : null,
    ),
  )
}

/** One or two letters for a name's badge (grapheme-safe: "Łukasz" → "Ł"). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const first = (w: string) => [...new Intl.Segmenter().segment(w)][0]?.segment ?? ''
  const letters = words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0] ?? '?')
  return letters.toLocaleUpperCase()
}
