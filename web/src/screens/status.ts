/** The connection indicator: always visible, in words, with changes not sent yet. */
import { t } from '../app.js'
import { h } from '../dom.js'
import type { MeetingConnection } from '../connection.js'
import type { Status } from '../logic/connection-state.js'

export function statusBadge(conn: MeetingConnection): { el: HTMLElement; stop: () => void } {
  const icon = h('span', { class: 'status-icon', 'aria-hidden': 'true' })
  const label = h('span', { class: 'status-label' })
  const unsent = h('span', { class: 'status-unsent' })
  const el = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'status' }, icon, label, unsent)
  const show = (s: Status) => {
    const c = t()
    el.dataset.status = s.kind
    el.className = `status status-${s.kind}`
    label.textContent = c.status[s.kind]
    unsent.textContent = s.unsent > 0 && s.kind !== 'connected' ? c.unsent(s.unsent) : ''
    unsent.hidden = !unsent.textContent
    el.title = s.kind === 'closed' ? c.closedBecause(s.code) : ''
  }
  show(conn.status)
  const stop = conn.onStatus(show)
  return { el, stop }
}
