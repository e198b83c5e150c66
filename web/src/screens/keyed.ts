/**
 * Redrawing a part of a screen only when what it shows changed, and
 * keeping the keyboard where it was: the control with the same
 * `data-focus` gets the focus back after the redraw.
 */

/** Fills `el` from `build()` unless `key` is what it shows already; answers whether it redrew. */
export function redraw(el: HTMLElement, key: string, build: () => (Node | null)[]): boolean {
  if (el.dataset.key === key) return false
  el.dataset.key = key
  const focused = el.contains(document.activeElement) ? document.activeElement?.getAttribute('data-focus') : null
  el.replaceChildren(...build().filter((n): n is Node => n !== null))
  if (focused) el.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus()
  return true
}
