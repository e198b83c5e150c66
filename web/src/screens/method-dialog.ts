/**
 * Modal forms for the method's steps: a native `<dialog>` like `ask()`
 * (focus kept inside, Escape cancels, the same look) holding a form whose
 * confirm runs a command and stays open, with the error said, if it fails
 * or a field is missing. And the fields they share: a reason, a stance, a
 * person in the room (with "someone without a device").
 */
import { t } from '../app.js'
import { h } from '../dom.js'
import { STANCES, needsReason, type Stance } from '../logic/consensus.js'

export interface FormAsk {
  title: string
  body: (Node | string | null)[]
  confirm: string
  danger?: boolean
  wide?: boolean
  /** Runs on confirm: a message keeps the dialog open and is shown; null closes it. */
  submit: () => Promise<string | null> | string | null
  /** What has the focus first (else the first field, else Cancel). */
  focus?: () => HTMLElement | null
}

let counter = 0

export function formDialog(q: FormAsk): Promise<boolean> {
  const id = `method-dialog-${++counter}`
  const cancel = h('button', { type: 'button', class: 'secondary' }, t().cancel)
  const confirm = h('button', { type: 'submit', class: q.danger ? 'danger' : 'primary' }, q.confirm)
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true })
  const form = h(
    'form',
    { class: 'method-form', novalidate: true },
    h('div', { class: 'ask-body' }, ...q.body.filter((n): n is Node | string => n !== null), error),
    h('div', { class: 'ask-buttons' }, cancel, confirm),
  )
  const dialog = h('dialog', { class: q.wide ? 'ask wide' : 'ask', 'aria-labelledby': id }, h('h2', { id }, q.title), form)
  document.body.append(dialog)
  const opener = document.activeElement as HTMLElement | null
  return new Promise((resolve) => {
    let answered = false
    let busy = false
    const done = (yes: boolean) => {
      if (answered) return
      answered = true
      dialog.close()
      dialog.remove()
      if (opener?.isConnected) opener.focus()
      resolve(yes)
    }
    cancel.addEventListener('click', () => done(false))
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault()
      if (!busy) done(false)
    })
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      if (busy) return
      busy = true
      confirm.disabled = true
      error.hidden = true
      void Promise.resolve()
        .then(() => q.submit())
        .catch((err: unknown) => String(err))
        .then((problem) => {
          busy = false
          confirm.disabled = false
          if (problem === null) {
            done(true)
            return
          }
          error.textContent = problem
          error.hidden = false
          const invalid = dialog.querySelector<HTMLElement>('[aria-invalid="true"]')
          ;(invalid ?? confirm).focus()
        })
    })
    dialog.showModal()
    const first = q.focus?.() ?? dialog.querySelector<HTMLElement>('textarea, input:not([type="hidden"]), select')
    ;(first ?? cancel).focus()
  })
}

/** A required reason (for disagreeing or blocking), with its hint and error tied to it. */
export function reasonField(id: string, hint: string, initial = '') {
  const hintId = `${id}-hint`
  const area = h('textarea', {
    id,
    rows: 3,
    maxlength: 1000,
    'aria-describedby': hintId,
    spellcheck: 'true',
  })
  area.value = initial
  const hintEl = h('p', { id: hintId, class: 'hint' }, hint)
  const row = h('div', { class: 'field' }, h('label', { for: id }, t().reasonLabel), hintEl, area)
  return {
    row,
    area,
    setHint(text: string) {
      hintEl.textContent = text
    },
    value: () => area.value.trim(),
    /** The problem, or null; marks the field. */
    check(required: boolean, missing = t().reasonRequired): string | null {
      const problem = required && !area.value.trim() ? missing : null
      area.setAttribute('aria-invalid', problem ? 'true' : 'false')
      return problem
    },
  }
}

/** Four stances as radio buttons in a fieldset. */
export function stanceChoice(name: string, legend: string, initial: Stance | null, changed: (s: Stance) => void) {
  const c = t()
  const fieldset = h(
    'fieldset',
    { class: 'stance-choice' },
    h('legend', {}, legend),
    ...STANCES.map((s) => {
      const input = h('input', { type: 'radio', name, value: s, checked: s === initial })
      input.addEventListener('change', () => changed(s))
      return h(
        'label',
        { class: `stance-option stance-${s}` },
        input,
        h('span', { class: 'stance-icon', 'aria-hidden': 'true' }, c.stanceIcon[s]),
        c.stanceButton[s],
      )
    }),
  )
  return {
    el: fieldset,
    value: (): Stance | null => {
      const checked = fieldset.querySelector<HTMLInputElement>('input:checked')
      return (checked?.value as Stance | undefined) ?? null
    },
    first: () => fieldset.querySelector<HTMLInputElement>('input'),
  }
}

/** The reason field shows, and is required, only for a stance that needs one. */
export function reasonFor(stance: Stance | null, field: ReturnType<typeof reasonField>): void {
  const c = t()
  const needed = stance !== null && needsReason(stance)
  field.row.hidden = !needed
  if (needed) field.setHint(c.reasonHint[stance])
}

export interface PickerPerson {
  userId: string
  name: string
  /** Their current stance, shown beside the name. */
  now: Stance | null
}

/**
 * Whose signal or answer: the people in the room, and a way to add someone
 * without a device, who is then chosen.
 */
export function personPicker(id: string, people: PickerPerson[], add: (name: string) => Promise<{ userId: string; name: string } | string>) {
  const c = t()
  const select = h(
    'select',
    { id, required: true },
    h('option', { value: '' }, c.choosePerson),
    ...people.map((p) => h('option', { value: p.userId }, c.personNow(p.name, p.now ? c.stanceNoun[p.now] : null))),
  )
  const nameId = `${id}-new`
  const name = h('input', { id: nameId, type: 'text', maxlength: 80, autocomplete: 'off', spellcheck: 'false' })
  const addButton = h('button', { type: 'button', class: 'small secondary' }, `+ ${c.addPersonButton}`)
  const said = h('p', { class: 'hint', role: 'status' })
  const addNow = async () => {
    const wanted = name.value.trim()
    if (!wanted) {
      name.setAttribute('aria-invalid', 'true')
      name.focus()
      return
    }
    name.setAttribute('aria-invalid', 'false')
    addButton.disabled = true
    const added = await add(wanted)
    addButton.disabled = false
    if (typeof added === 'string') {
      said.textContent = added
      return
    }
    select.append(h('option', { value: added.userId }, added.name))
    select.value = added.userId
    name.value = ''
    said.textContent = c.personAdded(added.name)
    select.focus()
  }
  addButton.addEventListener('click', () => void addNow())
  // Enter in the name adds the person; it does not send the whole form.
  name.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault()
      void addNow()
    }
  })
  const el = h(
    'div',
    { class: 'person-picker' },
    h('div', { class: 'field' }, h('label', { for: id }, c.whoLabel), select),
    h(
      'fieldset',
      { class: 'add-person' },
      h('legend', {}, c.addPersonLegend),
      h('label', { for: nameId }, c.addPersonName),
      h('div', { class: 'add-person-row' }, name, addButton),
      said,
    ),
  )
  return {
    el,
    select,
    value: () => select.value || null,
    check(): string | null {
      const problem = select.value ? null : c.choosePersonFirst
      select.setAttribute('aria-invalid', problem ? 'true' : 'false')
      return problem
    },
  }
}

/**
 * What is wrong with a signal or an answer recorded for someone, in the
 * order a person fixes it (who, which stance, why), or null with what to
 * send: the person, the stance and its reason (null when none is needed).
 */
export function recordedChoice(
  picker: ReturnType<typeof personPicker>,
  stance: ReturnType<typeof stanceChoice>,
  reason: ReturnType<typeof reasonField>,
): { problem: string } | { userId: string; stance: Stance; reason: string | null } {
  const who = picker.check()
  if (who) return { problem: who }
  const st = stance.value()
  if (!st) return { problem: t().chooseStanceFirst }
  const problem = reason.check(needsReason(st))
  if (problem) return { problem }
  return { userId: picker.value()!, stance: st, reason: needsReason(st) ? reason.value() : null }
}
