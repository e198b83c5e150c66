/** A few helpers for building the DOM by hand. */

type Child = Node | string | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

/**
 * `h('button', {class: 'x', onclick: f}, 'Text')`: attributes are set as
 * attributes (`on…` functions as listeners; `false`/`null` leave one out).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v)
    } else {
      el.setAttribute(k, v === true ? '' : String(v))
    }
  }
  append(el, children)
  return el
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  }
}

/** Replaces what `el` holds. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

/** Says `text` to screen readers through the page's live region. */
export function announce(text: string): void {
  const region = document.getElementById('announcer')
  if (!region) return
  region.textContent = ''
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => {
    region.textContent = text
  }, 30)
}
