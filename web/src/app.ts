/**
 * The page around every screen: the top bar (home link, a slot for the
 * screen's own items, the language switch), navigation without reloads,
 * and the current language.
 */
import { catalogs, languages, pickLanguage, type Catalog, type Lang } from './i18n/index.js'
import { h } from './dom.js'

const LANG_KEY = 'draftroom.lang'

function savedLang(): string | null {
  try {
    return localStorage.getItem(LANG_KEY)
  } catch {
    return null
  }
}

let lang: Lang = pickLanguage(savedLang(), navigator.languages ?? [navigator.language])
const langListeners = new Set<() => void>()

export function t(): Catalog {
  return catalogs[lang]
}

export function currentLang(): Lang {
  return lang
}

export function setLang(next: Lang): void {
  lang = next
  try {
    localStorage.setItem(LANG_KEY, next)
  } catch {
    // The choice lasts this page only.
  }
  applyLang()
  for (const f of langListeners) f()
}

/** `<html lang>` and the static parts of the page follow the language. */
export function applyLang(): void {
  document.documentElement.lang = lang
  const skip = document.querySelector('.skip-link')
  if (skip) skip.textContent = t().skipToMain
}

export function onLangChange(f: () => void): void {
  langListeners.add(f)
}

/** Goes to an address of the app without reloading the page. */
export function navigate(path: string): void {
  history.pushState(null, '', path)
  window.dispatchEvent(new Event('draftroom:navigate'))
}

/** A link inside the app: followed without a reload, still a real link. */
export function link(path: string, attrs: Record<string, string>, ...children: (Node | string)[]) {
  return h(
    'a',
    {
      ...attrs,
      href: path,
      onclick: ((e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
        e.preventDefault()
        navigate(path)
      }) as EventListener,
    },
    ...children,
  )
}

export function languageSwitch(): HTMLElement {
  const select = h(
    'select',
    {
      class: 'lang-switch',
      'aria-label': `${t().language} / Language`,
      onchange: ((e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)) as EventListener,
    },
    ...languages.map((l) =>
      h('option', { value: l, lang: l, selected: l === lang }, catalogs[l].languageName),
    ),
  )
  return select
}

/** The top bar: home, the screen's items, language. */
export function topbar(...items: (Node | null)[]): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    link('/', { class: 'brand', 'aria-label': t().toStart }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '¶'), h('span', { class: 'brand-name' }, t().appName)),
    h('div', { class: 'topbar-items' }, ...items.filter((i): i is Node => i !== null)),
    languageSwitch(),
  )
}

/** Sets the page's title and moves focus to the screen's heading. */
export function arrive(title: string, heading: HTMLElement | null): void {
  document.title = title ? `${title} · ${t().appName}` : t().appName
  if (heading) {
    heading.tabIndex = -1
    heading.focus({ preventScroll: true })
  }
}
