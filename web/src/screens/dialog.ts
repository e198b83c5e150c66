/**
 * A modal question: a native `<dialog>` (focus kept inside, Escape
 * cancels), a heading, what the answer depends on, and two buttons. The
 * safe answer has the focus first.
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
}

let counter = 0

export function ask(q: Ask): Promise<boolean> {
  const id = `dialog-h-${++counter}`
  const cancel = h('button', { type: 'button', class: 'secondary' }, t().cancel)
  const confirm = h('button', { type: 'button', class: q.danger ? 'danger' : 'primary' }, q.confirm)
  const dialog = h(
    'dialog',
    { class: q.wide ? 'ask wide' : 'ask', 'aria-labelledby': id },
    h('h2', { id }, q.title),
    h('div', { class: 'ask-body' }, ...q.body),
    h('div', { class: 'ask-buttons' }, cancel, confirm),
  )
  document.body.append(dialog)
  const opener = document.activeElement as HTMLElement | null
  return new Promise((resolve) => {
    let answered = false
    const done = (yes: boolean) => {
      if (answered) return
      answered = true
      dialog.close()
      dialog.remove()
      opener?.focus()
      resolve(yes)
    }
    cancel.addEventListener('click', () => done(false))
    confirm.addEventListener('click', () => done(true))
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault()
      done(false)
    })
    dialog.showModal()
    cancel.focus()
  })
}
