/**
 * The meeting report, as the server writes it in the meeting's language,
 * inside the app's page (the request carries the member's token, which a
 * plain link cannot), with a button to print it. Printing shows the
 * report alone.
 */
import { api, ApiError } from '../api.js'
import { arrive, link, t, topbar } from '../app.js'
import { h } from '../dom.js'
import { meetingPath } from '../logic/routes.js'
import type { Seat } from '../seats.js'
import { errorText } from './form.js'

export function reportScreen(root: HTMLElement, seat: Seat): () => void {
  const c = t()
  let left = false
  const doc = h('article', { class: 'report-doc', 'aria-busy': 'true' }, h('p', { class: 'muted' }, c.loadingReport))
  const print = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => window.print() }, c.print)
  root.replaceChildren(
    topbar(h('div', { class: 'meeting-id' }, link(meetingPath(seat.meeting), { class: 'back' }, `← ${c.backToMeeting}`))),
    h('main', { id: 'main', class: 'report' }, h('div', { class: 'report-tools' }, print), doc),
  )
  arrive(`${c.reportLink} · ${seat.title}`, null)
  api.report(seat.meeting, seat.token).then(
    (html) => {
      if (left) return
      // Parsed inertly: nothing in it runs, and only its body is taken.
      // Its style element is left out before parsing: a parsed document
      // falls under this page's Content-Security-Policy, which refuses it.
      const parsed = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style>/gi, ''), 'text/html')
      for (const el of parsed.querySelectorAll('script, style, link, meta, iframe, object, embed')) el.remove()
      // The page's own style sheet lays it out; inline styles are not allowed here.
      for (const el of parsed.querySelectorAll('[style]')) el.removeAttribute('style')
      const lang = parsed.documentElement.getAttribute('lang')
      if (lang) doc.setAttribute('lang', lang)
      doc.replaceChildren(...[...parsed.body.childNodes].map((n) => document.importNode(n, true)))
      doc.removeAttribute('aria-busy')
      print.disabled = false
      const heading = doc.querySelector<HTMLElement>('h1')
      arrive(heading?.textContent ?? c.reportLink, heading)
    },
    (e: ApiError) => {
      if (left) return
      doc.removeAttribute('aria-busy')
      doc.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, errorText(e)))
    },
  )
  return () => {
    left = true
  }
}
