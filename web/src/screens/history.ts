/**
 * The meeting's record: the agreed versions (live from the meeting room),
 * any of them shown with who wrote what in it then, the word diff between
 * any two (the server's), and per clause who changed what and when.
 */
import { api, ApiError, type HistoryEntry, type VersionView } from '../api.js'
import { arrive, currentLang, link, t, topbar } from '../app.js'
import { colourClass } from '../colours.js'
import type { MeetingConnection } from '../connection.js'
import { h } from '../dom.js'
import { meetingPath } from '../logic/routes.js'
import { MeetingView } from '../meeting-state.js'
import type { Seat } from '../seats.js'
import { shortHash, versionBadge } from './agreed.js'
import { diffView, partsOf } from './diff.js'
import { errorText } from './form.js'
import { statusBadge } from './status.js'

function when(ms: number): string {
  return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms))
}

export function historyScreen(root: HTMLElement, seat: Seat, conn: MeetingConnection): () => void {
  const c = t()
  const meeting = new MeetingView(conn.doc('meeting'))
  const status = statusBadge(conn)
  const heading = h('h1', { id: 'history-h' }, c.historyHeading)
  const list = h('div', { class: 'versions' })
  const shown = h('section', { class: 'version-view', 'aria-live': 'polite' })
  const compare = h('section', { class: 'panel compare', 'aria-labelledby': 'compare-h' })
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true })
  let selected: number | null = null
  let lastKey = ''

  const fail = (e: unknown) => {
    error.hidden = false
    error.textContent = errorText(e as ApiError)
  }

  async function showVersion(n: number): Promise<void> {
    selected = n
    paint(true)
    try {
      const v = await api.version(seat.meeting, seat.token, n)
      if (selected !== n) return
      shown.replaceChildren(...versionBody(v, meeting, seat))
    } catch (e) {
      fail(e)
    }
  }

  function paint(force = false): void {
    const c = t()
    const versions = meeting.versions()
    const key = JSON.stringify([c.lang, versions.map((v) => v.number), selected])
    if (!force && key === lastKey) return
    lastKey = key
    if (!versions.length) {
      list.replaceChildren(h('p', { class: 'muted' }, c.noVersions))
      compare.hidden = true
      return
    }
    list.replaceChildren(
      h(
        'table',
        { class: 'versions-table' },
        h('caption', { class: 'sr-only' }, c.versionsHeading),
        h(
          'thead',
          {},
          h('tr', {}, h('th', { scope: 'col' }, c.versionCol), h('th', { scope: 'col' }, c.frozenAtCol), h('th', { scope: 'col' }, c.frozenByCol), h('th', { scope: 'col' }, 'SHA-256'), h('td', {})),
        ),
        h(
          'tbody',
          {},
          [...versions].reverse().map((v) =>
            h(
              'tr',
              { class: v.number === selected ? 'is-selected' : '' },
              h('th', { scope: 'row' }, c.versionN(v.number)),
              h('td', {}, when(v.createdAt)),
              h('td', {}, meeting.person(v.frozenBy)?.name ?? '—'),
              h('td', {}, h('code', { title: v.sha256 }, `${shortHash(v.sha256)}…`)),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small secondary',
                    'aria-pressed': v.number === selected ? 'true' : 'false',
                    'aria-label': c.viewVersionLabel(v.number),
                    onclick: () => void showVersion(v.number),
                  },
                  c.viewVersion,
                ),
              ),
            ),
          ),
        ),
      ),
    )
    compare.hidden = versions.length < 2
    if (versions.length >= 2) paintCompare(versions.map((v) => v.number))
  }

  function paintCompare(numbers: number[]): void {
    const c = t()
    const pick = (id: string, label: string, value: number) =>
      h(
        'div',
        { class: 'field inline' },
        h('label', { for: id }, label),
        h('select', { id }, numbers.map((n) => h('option', { value: n, selected: n === value }, c.versionN(n)))),
      )
    const from = pick('diff-from', c.compareFrom, numbers[numbers.length - 2])
    const to = pick('diff-to', c.compareTo, numbers[numbers.length - 1])
    const out = h('div', { class: 'compare-out', 'aria-live': 'polite' })
    const run = async () => {
      const a = Number((from.querySelector('select') as HTMLSelectElement).value)
      const b = Number((to.querySelector('select') as HTMLSelectElement).value)
      try {
        const d = await api.versionDiff(seat.meeting, seat.token, a, b)
        out.replaceChildren(h('h3', {}, c.diffBetween(a, b)), diffView(partsOf(d.changes), 'diff text-block version-diff'), h('p', { class: 'muted' }, c.diffLegend))
      } catch (e) {
        fail(e)
      }
    }
    compare.replaceChildren(
      h('h2', { id: 'compare-h' }, c.compareHeading),
      h('div', { class: 'compare-form' }, from, to, h('button', { type: 'button', class: 'primary', onclick: () => void run() }, c.compareButton)),
      out,
    )
  }

  const onMeeting = () => paint()
  meeting.doc.on('update', onMeeting)
  root.replaceChildren(
    topbar(h('div', { class: 'meeting-id' }, link(meetingPath(seat.meeting), { class: 'back' }, `← ${c.backToMeeting}`)), status.el),
    h(
      'main',
      { id: 'main', class: 'history' },
      heading,
      h('p', { class: 'muted' }, seat.title),
      error,
      h('section', { class: 'panel', 'aria-labelledby': 'versions-h' }, h('h2', { id: 'versions-h' }, c.versionsHeading), list),
      shown,
      compare,
    ),
  )
  conn.whenSynced('meeting', () => {
    const latest = meeting.latestVersion()
    if (latest && selected === null) void showVersion(latest.number)
    paint(true)
  })
  paint(true)
  arrive(c.historyHeading, heading)
  return () => {
    meeting.doc.off('update', onMeeting)
    status.stop()
  }
}

/** A version: its badge, its clauses coloured by author, each clause's changes on demand. */
function versionBody(v: VersionView, meeting: MeetingView, seat: Seat): HTMLElement[] {
  const c = t()
  const badge = versionBadge(
    { number: v.version, createdAt: v.created_at, frozenBy: v.frozen_by, sha256: v.sha256, text: v.text },
    true,
    'agreed version-badge',
    // The moderator's reason, for a version frozen without the room's consent.
    typeof (v as { reason?: unknown }).reason === 'string' ? (v as { reason?: string }).reason ?? null : null,
  )
  const authors = new Map<string, { name: string; colour: string }>()
  const clauses = v.clauses.map((cl, i) => {
    const text = h('p', { class: 'clause-text' })
    const spans = cl.spans ?? [{ text: cl.text, user_id: null, name: '' }]
    for (const s of spans) {
      const person = s.user_id ? meeting.person(s.user_id) : null
      const name = person?.name ?? s.name ?? c.unknownAuthor
      const colour = person?.colour ?? '#7f7f7f'
      authors.set(s.user_id ?? '', { name: name || c.unknownAuthor, colour })
      text.append(cl.spans ? h('span', { class: `au au-${colourClass(colour)}`, title: name, 'data-author': s.user_id ?? '' }, s.text) : s.text)
    }
    const changes = h('details', { class: 'clause-history' }, h('summary', {}, c.clauseChanges(i + 1)))
    let loaded = false
    changes.addEventListener('toggle', async () => {
      if (!changes.open || loaded) return
      loaded = true
      try {
        changes.append(historyList(await api.clauseHistory(seat.meeting, seat.token, cl.id)))
      } catch (e) {
        changes.append(h('p', { class: 'form-error' }, errorText(e as ApiError)))
      }
    })
    const byline = (cl.authors ?? []).map((a) => `${a.name} (${a.characters})`).join(', ')
    return h(
      'li',
      { class: 'version-clause', 'data-clause': cl.id },
      text,
      byline ? h('p', { class: 'muted byline' }, c.writtenByList(byline)) : null,
      changes,
    )
  })
  const legend = h(
    'ul',
    { class: 'legend-list', 'aria-label': c.authorsHeading },
    [...authors.values()].map((a) => h('li', {}, h('span', { class: `swatch au-${colourClass(a.colour)}`, 'aria-hidden': 'true' }, 'Aa'), a.name)),
  )
  return [
    h('h2', {}, c.versionN(v.version)),
    badge,
    h('p', { class: 'muted' }, c.frozenByAt(v.frozen_by_name, when(v.created_at))),
    h('ol', { class: 'version-clauses' }, clauses),
    h('h3', {}, c.authorsHeading),
    legend,
  ]
}

function historyList(entries: HistoryEntry[]): HTMLElement {
  const c = t()
  if (!entries.length) return h('p', { class: 'muted' }, c.noChanges)
  return h(
    'ol',
    { class: 'history-list' },
    entries.map((e) => {
      const who = String(e.user_name ?? c.unknownAuthor)
      const what: string[] = []
      if (e.moved) what.push(c.movedFromTo(Number(e.moved.from) + 1, Number(e.moved.to) + 1))
      if (Number(e.inserted) > 0) what.push(c.insertedN(Number(e.inserted)))
      if (Number(e.deleted) > 0) what.push(c.deletedN(Number(e.deleted)))
      if (e.amendment_id) what.push(c.viaAmendment(String(e.accepted_by_name ?? '')))
      return h('li', {}, h('time', { datetime: new Date(Number(e.time)).toISOString() }, when(Number(e.time))), ' · ', h('strong', {}, who), ' · ', what.join(', '))
    }),
  )
}
