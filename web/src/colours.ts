/**
 * Per-colour CSS classes for authorship marks, carets and name labels. The
 * rules go into a constructed style sheet (not inline styles, which the
 * Content-Security-Policy forbids).
 */
import { labelInk, parseHex, readableTint } from './logic/contrast.js'

const sheet = new CSSStyleSheet()
const made = new Set<string>()
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]

/** The class suffix of a colour (`1f77b4`), making its rules on first use. */
export function colourClass(hex: string): string {
  const rgb = parseHex(hex)
  const key = rgb ? hex.replace('#', '').toLowerCase() : '7f7f7f'
  if (!made.has(key)) {
    made.add(key)
    const c = `#${key}`
    const rules = [
      `.au-${key} { background-color: ${readableTint(c)}; }`,
      `.sel-${key} { background-color: ${readableTint(c, 7, 0.3)}; }`,
      `.caret-${key} { border-color: ${c}; }`,
      `.tag-${key} { background-color: ${c}; color: ${labelInk(c)}; }`,
      `.dot-${key} { background-color: ${c}; }`,
      // On the room's screen, text stays at 7:1 over every author's colour.
      `.projector .au-${key} { background-color: ${readableTint(c, 7, 0.45, '#000000')}; }`,
    ]
    for (const r of rules) sheet.insertRule(r, sheet.cssRules.length)
  }
  return key
}
