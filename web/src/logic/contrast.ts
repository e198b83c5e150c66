/**
 * Colour arithmetic for authorship marks and name labels: WCAG 2 relative
 * luminance and contrast, and tints of a member's colour that dark text
 * stays readable on.
 */

export type Rgb = [number, number, number]

/** The text colour the draft is set in. */
export const INK = '#1a1a1a'

export function parseHex(hex: string): Rgb | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim())
  if (!m) return null
  const v = parseInt(m[1], 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}

export function toHex([r, g, b]: Rgb): string {
  return '#' + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')
}

function channel(c: number): number {
  const s = c / 255
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
}

export function luminance([r, g, b]: Rgb): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

export function contrast(a: Rgb, b: Rgb): number {
  const la = luminance(a)
  const lb = luminance(b)
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

/** `colour` mixed with white: weight 1 is the colour itself, 0 is white. */
export function tint(colour: Rgb, weight: number): Rgb {
  return colour.map((c) => c * weight + 255 * (1 - weight)) as Rgb
}

/**
 * The strongest tint of `hex` (at most `maxWeight`) on which `ink` keeps a
 * contrast of at least `min`: authorship stays visible and the text
 * readable, whatever colour the member was given.
 */
export function readableTint(hex: string, min = 4.5, maxWeight = 0.45, ink = INK): string {
  const colour = parseHex(hex) ?? [128, 128, 128]
  const text = parseHex(ink) ?? [0, 0, 0]
  for (let w = maxWeight; w > 0; w -= 0.01) {
    const t = tint(colour, w)
    if (contrast(t, text) >= min) return toHex(t)
  }
  return '#ffffff'
}

/** Black or white, whichever reads better on `hex`. */
export function labelInk(hex: string): string {
  const c = parseHex(hex) ?? [128, 128, 128]
  return contrast(c, [0, 0, 0]) >= contrast(c, [255, 255, 255]) ? '#000000' : '#ffffff'
}
