/**
 * Modal dialogs on a native `<dialog>` (focus kept inside, Escape
 * cancels, focus back where it was after): a question with two buttons
 * (`ask`), whose safe answer has the focus first unless a field should,
 * and a choice of actions with a Close button (`choose`).
 */
import { t } from '../app.js'
import { h } from '../dom.js'

export interface Ask {
  title: string
  body: (Node | string)[]
  confirm: string
  /** The confirming button is styled as a warning. */
  danger?: boolean
  /** A wide dialog, for side-by-side texts. */
  wide?: boolean
  /** Checked on confirming: a message keeps the dialog open and is shown in it. */
  check?: () => string | null
  /** What has the focus first (a field to fill in); else the safe answer. */
  focus?: HTMLElement
}

let counter = 0

/** Shows `dialog`; `done` runs once, on any way out, after it is gone. */
function open(dialog: HTMLDialogElement, first: HTMLElement, done: () => void): () => void {
  document.body.append(dialog)
  const opener = document.activeElement as HTMLElement | null
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    dialog.close()
    dialog.remove()
    if (opener?.isConnected) opener.focus()
    done()
  }
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault()
    close()
  })
  dialog.showModal()
  first.focus()
  return close
}

export function ask(q: Ask): Promise<boolean> {
  const id = `dialog-h-${++counter}`
  const cancel = h('button', { type: 'button', class: 'secondary' }, t().cancel)
  const confirm = h('button', { type: 'button', class: q.danger ? 'danger' : 'primary' }, q.confirm)
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true })
  const dialog = h(
    'dialog',
    { class: q.wide ? 'ask wide' : 'ask', 'aria-labelledby': id },
    h('h2', { id }, q.title),
    h('div', { class: 'ask-body' }, ...q.body),
    problem,
    h('div', { class: 'ask-buttons' }, cancel, confirm),
  )
  return new Promise((resolve) => {
    let answer = false
    const close = open(dialog, q.focus ?? cancel, () => resolve(answer))
    cancel.addEventListener('click', close)
    confirm.addEventListener('click', () => {
      const message = q.check?.() ?? null
      problem.hidden = !message
      problem.textContent = message ?? ''
      if (message) return
      answer = true
      close()
    })
  })
}

export interface Choose {
  title: string
  wide?: boolean
  /** Sections of the dialog; `close` takes it away (an action's button calls it first). */
  body: (close: () => void) => (Node | string)[]
}

/** A dialog of several actions, each with its own button, and Close. */
export function choose(q: Choose): void {
  const id = `dialog-h-${++counter}`
  const closeButton = h('button', { type: 'button', class: 'secondary' }, t().close)
  const dialog = h('dialog', { class: q.wide ? 'ask wide' : 'ask', 'aria-labelledby': id })
  let close = () => {}
  const body = q.body(() => close())
  dialog.append(h('h2', { id }, q.title), h('div', { class: 'ask-body' }, ...body), h('div', { class: 'ask-buttons' }, closeButton))
  close = open(dialog, closeButton, () => {})
  closeButton.addEventListener('click', close)
}
