/** Form fields with labels, hints and errors tied to them for screen readers. */
import type { ApiError } from '../api.js'
import { t } from '../app.js'
import { h } from '../dom.js'

export interface Field {
  row: HTMLElement
  input: HTMLInputElement
  value(): string
  check(): boolean
}

export function field(id: string, label: string, hint: string, max: number, autocomplete: string): Field {
  const hintId = `${id}-hint`
  const errId = `${id}-error`
  const input = h('input', {
    id,
    name: id,
    type: 'text',
    required: true,
    maxlength: max,
    autocomplete,
    spellcheck: id === 'name' ? 'false' : 'true',
    'aria-describedby': hintId,
  })
  const err = h('p', { id: errId, class: 'field-error', hidden: true })
  const row = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('p', { id: hintId, class: 'hint' }, hint),
    input,
    err,
  )
  const value = () => input.value.trim()
  const check = () => {
    const v = value()
    const problem = !v ? t().required : v.length > max ? t().tooLong(max) : null
    err.hidden = !problem
    err.textContent = problem ?? ''
    input.setAttribute('aria-invalid', problem ? 'true' : 'false')
    input.setAttribute('aria-describedby', problem ? `${hintId} ${errId}` : hintId)
    if (problem && !document.querySelector('[aria-invalid="true"]:focus')) input.focus()
    return !problem
  }
  return { row, input, value, check }
}

export function formError() {
  const el = h('p', { class: 'form-error', role: 'alert', hidden: true })
  return {
    el,
    show(text: string) {
      el.textContent = text
      el.hidden = false
    },
    clear() {
      el.textContent = ''
      el.hidden = true
    },
  }
}

export function errorText(err: ApiError | Error): string {
  const code = 'code' in err ? err.code : 'network'
  return t().error[code] ?? t().error.internal
}
