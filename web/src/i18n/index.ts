/**
 * The user's language: Polish or English, from a saved choice or the
 * browser's languages; `<html lang>` follows it.
 */
import en, { type Catalog } from './en.js'
import pl from './pl.js'

export type { Catalog, Role } from './en.js'

export const catalogs: Record<string, Catalog> = { en, pl }
export const languages = ['pl', 'en'] as const
export type Lang = (typeof languages)[number]

/** The first of `preferred` that the app speaks, else English. */
export function pickLanguage(saved: string | null, preferred: readonly string[]): Lang {
  if (saved === 'pl' || saved === 'en') return saved
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0]
    if (base === 'pl' || base === 'en') return base
  }
  return 'en'
}
