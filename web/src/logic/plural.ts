/** Plural forms as CLDR names them; a language uses the ones it needs. */
export interface PluralForms {
  one: string
  few?: string
  many?: string
  other: string
}

const rules = new Map<string, Intl.PluralRules>()

/**
 * The form of `forms` that goes with `n` in `lang`, by `Intl.PluralRules`:
 * Polish has one (1), few (2–4, 22–24, …) and many (0, 5–21, 25–31, …).
 */
export function plural(lang: string, n: number, forms: PluralForms): string {
  let r = rules.get(lang)
  if (!r) {
    r = new Intl.PluralRules(lang)
    rules.set(lang, r)
  }
  const form = r.select(n) as keyof PluralForms
  return forms[form] ?? forms.other
}
