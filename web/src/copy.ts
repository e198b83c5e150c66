import { t } from './app.js'
import { announce, h } from './dom.js'

/**
 * Copies text to the clipboard, also where the Clipboard API is missing
 * (plain http on a meeting room's network): through a selected field.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // Denied: try the old way below.
  }
  const field = document.createElement('textarea')
  field.value = text
  field.setAttribute('readonly', '')
  field.className = 'offscreen'
  const back = document.activeElement as HTMLElement | null
  document.body.append(field)
  field.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  field.remove()
  back?.focus()
  return ok
}

/**
 * A button that copies `text`, says "Copied" on itself for two seconds and
 * to screen readers (`said`, or "Copied"), or that copying failed.
 */
export function copyButton(text: string, o: { label: string; aria: string; cls: string; said?: string }): HTMLButtonElement {
  const button = h('button', { type: 'button', class: o.cls, 'aria-label': o.aria }, o.label)
  button.addEventListener('click', async () => {
    const c = t()
    const ok = await copyText(text)
    button.textContent = ok ? c.copied : o.label
    announce(ok ? (o.said ?? c.copied) : c.copyFailed)
    setTimeout(() => (button.textContent = o.label), 2000)
  })
  return button
}
