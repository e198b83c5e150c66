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
