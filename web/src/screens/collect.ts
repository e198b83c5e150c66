/**
 * The collect stage: one column per working group with its elements in
 * order (A1, A2…), its members and how full its list is ("7 of 12"). The
 * moderator makes groups, puts people in them and may add an element for
 * a group; a participant picks a group if in none and adds elements to
 * their own group's list. Everything shown comes from the meeting room,
 * live; the forms are kept across repaints so typing is never lost.
 */
import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import { brought, groupOf, listOf, MAX_ELEMENTS, type Element, type Group } from '../logic/catalogue.js'
import { collects, groupsOpen } from '../logic/stages.js'
import { errorText } from './form.js'
import { AssignPanel, groupTitle, groupTone, pickGroup, type CatalogueContext } from './groups.js'

/** Longest element the server takes, in characters. */
const MAX_ELEMENT_CHARS = 200
/** Longest group name the server takes. */
const MAX_GROUP_NAME = 80

/** One element as a line of a list: its name, its words, what became of it. */
export function elementLine(e: Element, byId: Map<string, Element>, parts: Element[] = []): HTMLElement {
  const c = t()
  const into = e.mergedInto ? byId.get(e.mergedInto) : undefined
  const from = e.splitFrom ? byId.get(e.splitFrom) : undefined
  return h(
    'li',
    {
      class: `element ${into ? 'is-merged' : ''} ${parts.length ? 'is-split' : ''} ${e.value ? 'is-value' : ''}`.replace(/\s+/g, ' ').trim(),
      'data-element': e.id,
      'data-name': e.name,
    },
    h('span', { class: 'element-name' }, e.name),
    ' ',
    h(
      'span',
      { class: 'element-body' },
      e.value ? h('strong', { class: 'element-text' }, e.text) : h('span', { class: 'element-text' }, e.text),
      into ? [' ', h('span', { class: 'tag tag-merged' }, `→ ${into.name}`, h('span', { class: 'sr-only' }, ` (${c.mergedInto(into.name)})`))] : null,
      parts.length ? [' ', h('span', { class: 'tag tag-split' }, c.splitInto(parts.map((p) => p.name).join(', ')))] : null,
      from ? [' ', h('span', { class: 'tag' }, c.partOf(from.name))] : null,
    ),
  )
}

interface Column {
  group: Group
  el: HTMLElement
  heading: HTMLElement
  count: HTMLElement
  members: HTMLElement
  list: HTMLOListElement
  empty: HTMLElement
  form: HTMLFormElement
  input: HTMLInputElement
  add: HTMLButtonElement
  error: HTMLElement
  full: HTMLElement
  /** The moderator's form sits folded under the list. */
  fold: HTMLDetailsElement | null
  busy: boolean
}

export class CollectView {
  readonly el: HTMLElement
  private readonly newGroup: HTMLFormElement
  private readonly newGroupInput: HTMLInputElement
  private readonly newGroupButton: HTMLButtonElement
  private readonly newGroupError: HTMLElement
  private newGroupEdited = false
  private readonly assign: AssignPanel
  private readonly pick: HTMLElement
  private readonly empty: HTMLElement
  private readonly columnsEl: HTMLElement
  private columns = new Map<string, Column>()
  private shown = ''

  constructor(private readonly ctx: CatalogueContext) {
    const c = t()
    this.newGroupInput = h('input', {
      id: 'new-group',
      type: 'text',
      maxlength: MAX_GROUP_NAME,
      autocomplete: 'off',
      'aria-describedby': 'new-group-hint',
      oninput: () => {
        this.newGroupEdited = true
      },
    })
    this.newGroupButton = h('button', { type: 'submit', class: 'primary' }, `+ ${c.addGroup}`)
    this.newGroupError = h('p', { class: 'field-error', role: 'alert', hidden: true })
    this.newGroup = h(
      'form',
      { class: 'new-group', novalidate: true },
      h('label', { for: 'new-group' }, c.newGroupLabel),
      h('p', { id: 'new-group-hint', class: 'hint' }, c.newGroupHint),
      h('div', { class: 'inline-row' }, this.newGroupInput, this.newGroupButton),
      this.newGroupError,
    )
    this.newGroup.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.makeGroup()
    })
    this.assign = new AssignPanel(true)
    this.pick = h('div', { class: 'pick-slot' })
    this.empty = h('p', { class: 'empty muted' })
    this.columnsEl = h('div', { class: 'group-columns' })
    this.el = h(
      'section',
      { class: 'catalogue collect', 'aria-labelledby': 'collect-h' },
      h('h2', { id: 'collect-h' }, c.groupsHeading),
      h('div', { class: 'moderator-groups' }, this.newGroup, this.assign.el),
      this.pick,
      this.empty,
      this.columnsEl,
    )
  }

  /** Repaints from the meeting room; cheap when nothing it shows changed. */
  update(): void {
    const c = t()
    const { meeting, seat } = this.ctx
    const role = this.ctx.role()
    const stage = meeting.stage
    const groups = meeting.groups()
    const elements = meeting.elements(groups)
    const people = meeting.people().map((p) => [p.userId, p.name, p.role])
    const key = JSON.stringify([c.lang, role, stage, groups, elements, people])
    if (key === this.shown) return
    this.shown = key
    const moderator = role === 'moderator'
    const mine = groupOf(groups, seat.userId)
    const byId = new Map(elements.map((e) => [e.id, e]))

    // The moderator's tools: a new group (named by default after its letter) and who is where.
    const modTools = this.el.querySelector<HTMLElement>('.moderator-groups')!
    modTools.hidden = !moderator
    this.newGroup.hidden = !collects(stage)
    const next = String.fromCharCode(65 + groups.length)
    if (!this.newGroupEdited || !this.newGroupInput.value.trim()) {
      this.newGroupInput.value = groups.length < 26 ? c.newGroupDefault(next) : ''
      this.newGroupEdited = false
    }
    this.newGroupButton.disabled = groups.length >= 26
    if (moderator) this.assign.paint(this.ctx, groups)

    // A participant or editor in no group picks one.
    const picks = !moderator && (role === 'participant' || role === 'editor') && !mine && groupsOpen(stage)
    this.pick.replaceChildren(...(picks ? [pickGroup(this.ctx, groups)] : []))

    this.empty.hidden = groups.length > 0 || picks
    this.empty.textContent = moderator ? c.noGroupsModerator : c.noGroupsMember

    // The columns: the member's own group first, then A, B, C…
    const ordered = mine ? [mine, ...groups.filter((g) => g.id !== mine.id)] : groups
    for (const [id, col] of this.columns) {
      if (!groups.some((g) => g.id === id)) {
        col.el.remove()
        this.columns.delete(id)
      }
    }
    ordered.forEach((g, i) => {
      let col = this.columns.get(g.id)
      if (!col) {
        col = this.column(g)
        this.columns.set(g.id, col)
      }
      col.group = g
      const at = this.columnsEl.children[i]
      if (at !== col.el) this.columnsEl.insertBefore(col.el, at ?? null)
      this.paintColumn(col, groups, elements, byId, g.id === mine?.id, moderator || g.id === mine?.id)
    })
  }

  private column(g: Group): Column {
    const c = t()
    const inputId = `new-element-${g.id}`
    const input = h('input', {
      id: inputId,
      type: 'text',
      class: 'element-input',
      maxlength: MAX_ELEMENT_CHARS,
      autocomplete: 'off',
      enterkeyhint: 'send',
      'aria-describedby': `${inputId}-hint`,
    })
    const add = h('button', { type: 'submit', class: 'primary' }, c.addElement)
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true })
    const full = h('p', { class: 'list-full', hidden: true })
    const form = h(
      'form',
      { class: 'add-element', novalidate: true },
      h('label', { for: inputId }, c.newElementLabel(g.label)),
      h('p', { id: `${inputId}-hint`, class: 'hint' }, c.newElementHint),
      h('div', { class: 'inline-row' }, input, add),
      error,
    )
    const heading = h('h3', { id: `group-${g.id}-h`, class: 'group-title' })
    const count = h('span', { class: 'group-count' })
    const members = h('p', { class: 'group-members' })
    const list = h('ol', { class: 'element-list' })
    const empty = h('p', { class: 'group-empty muted' }, c.noElements)
    const col: Column = {
      group: g,
      el: h('section', { class: 'group-column', 'aria-labelledby': heading.id, 'data-group': g.id, 'data-label': g.label }),
      heading,
      count,
      members,
      list,
      empty,
      form,
      input,
      add,
      error,
      full,
      fold: null,
      busy: false,
    }
    col.el.append(h('header', { class: 'group-head' }, heading, count), members, list, empty, full, form)
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void this.addElement(col)
    })
    return col
  }

  private paintColumn(col: Column, groups: Group[], elements: Element[], byId: Map<string, Element>, isMine: boolean, mayAdd: boolean): void {
    const c = t()
    const g = col.group
    const moderator = this.ctx.role() === 'moderator'
    col.el.className = `group-column ${groupTone(groups, g.id)} ${isMine ? 'is-mine' : ''}`.trim()
    col.heading.replaceChildren(...groupTitle(groups, g), isMine ? h('span', { class: 'tag tag-mine' }, c.yourGroup) : '')
    const n = brought(elements, g.id)
    col.count.replaceChildren(
      h('span', { 'aria-hidden': 'true' }, c.elementsOf(n, MAX_ELEMENTS)),
      h('span', { class: 'sr-only' }, c.elementsOfLabel(n, MAX_ELEMENTS)),
    )
    col.count.classList.toggle('is-full', n >= MAX_ELEMENTS)
    const names = g.members.map((id) => this.ctx.meeting.person(id)?.name).filter((x): x is string => !!x)
    col.members.replaceChildren(
      h('span', { class: 'sr-only' }, `${c.membersLabel(g.label)}: `),
      names.length ? names.join(', ') : h('span', { class: 'muted' }, c.noMembers),
    )
    const list = listOf(elements, g.id)
    const parts = (e: Element) => elements.filter((x) => x.splitFrom === e.id)
    col.list.replaceChildren(...list.map((e) => elementLine(e, byId, parts(e))))
    col.list.hidden = list.length === 0
    col.empty.hidden = list.length > 0
    col.empty.textContent = c.noElements
    col.list.setAttribute('aria-label', c.groupLabel(g.label))

    const open = collects(this.ctx.meeting.stage) && mayAdd
    const isFull = n >= MAX_ELEMENTS
    col.full.hidden = !open || !isFull
    col.full.textContent = c.listFull(MAX_ELEMENTS)
    col.form.hidden = !open || isFull
    col.input.disabled = col.busy
    col.add.disabled = col.busy
    // The moderator adds for a group now and then: folded away under its list.
    if (moderator && !col.fold) {
      col.fold = h('details', { class: 'add-for' }, h('summary', {}, c.newElementLabel(g.label)))
      col.form.before(col.fold)
      col.fold.append(col.form)
    } else if (!moderator && col.fold) {
      col.fold.before(col.form)
      col.fold.remove()
      col.fold = null
    }
    if (col.fold) col.fold.hidden = !open || isFull
  }

  private async makeGroup(): Promise<void> {
    const c = t()
    const name = this.newGroupInput.value.trim()
    this.newGroupError.hidden = true
    if (!name) {
      this.newGroupError.textContent = c.required
      this.newGroupError.hidden = false
      this.newGroupInput.focus()
      return
    }
    this.newGroupButton.disabled = true
    try {
      const made = await api.createGroup(this.ctx.seat.meeting, this.ctx.seat.token, name)
      this.newGroupEdited = false
      this.newGroupInput.value = ''
      announce(t().groupMade(made.label))
    } catch (e) {
      this.newGroupError.textContent = errorText(e as ApiError)
      this.newGroupError.hidden = false
    } finally {
      this.newGroupButton.disabled = false
      this.shown = ''
      this.update()
    }
  }

  private async addElement(col: Column): Promise<void> {
    const c = t()
    const text = col.input.value.trim()
    col.error.hidden = true
    if (!text) {
      col.error.textContent = c.required
      col.error.hidden = false
      col.input.focus()
      return
    }
    col.busy = true
    col.input.disabled = true
    col.add.disabled = true
    const moderator = this.ctx.role() === 'moderator'
    try {
      const made = await api.addElement(this.ctx.seat.meeting, this.ctx.seat.token, text, moderator ? col.group.id : undefined)
      col.input.value = ''
      announce(t().elementAdded(made.name))
    } catch (e) {
      col.error.textContent = errorText(e as ApiError)
      col.error.hidden = false
    } finally {
      col.busy = false
      col.input.disabled = false
      col.add.disabled = false
      // Straight on to the next element.
      col.input.focus()
    }
  }
}
