/**
 * The room's screen: the stages with the current one marked; what the
 * stage works on in large type (the groups' elements in turns, the common
 * ground and the share grid, or the draft, live, with everyone's named
 * carets); the agreed version; how many are in the room and
 * following remotely; the participants' QR code and short link. No
 * controls. It signs in with an observer seat of its own, handed over in
 * the address's fragment, which it moves into this tab's session storage
 * and takes out of the address at once: the page never holds the
 * moderator's token.
 */
import { t } from '../app.js'
import { MeetingConnection } from '../connection.js'
import { h } from '../dom.js'
import { codeLink, inviteLink } from '../logic/routes.js'
import { MeetingView } from '../meeting-state.js'
import { screenOf } from '../logic/stages.js'
import { qrSvg } from '../qr.js'
import { shortHash } from './agreed.js'
import { DraftView } from './draft.js'
import { followRooms, painter } from './follow.js'
import { messageScreen } from './join.js'
import { ProjectorCatalogue } from './projector-catalogue.js'
import { ProjectorMethod } from './projector-method.js'
import { stageBar } from './stage-bar.js'
import { statusBadge } from './status.js'

interface ProjectorSeat {
  token: string
  invite: string | null
  code: string | null
  authors: boolean
}

const key = (meeting: string) => `draftroom.projector.${meeting}`

/** The seat from the address (first time) or from this tab's storage (a reload). */
export function projectorSeat(
  meeting: string,
  from: { token: string | null; invite: string | null; code: string | null; authors: boolean },
): ProjectorSeat | null {
  if (from.token) {
    const seat: ProjectorSeat = { token: from.token, invite: from.invite, code: from.code, authors: from.authors }
    try {
      sessionStorage.setItem(key(meeting), JSON.stringify(seat))
    } catch {
      // Without storage a reload needs the link again.
    }
    history.replaceState(null, '', location.pathname)
    return seat
  }
  try {
    const raw = sessionStorage.getItem(key(meeting))
    return raw ? (JSON.parse(raw) as ProjectorSeat) : null
  } catch {
    return null
  }
}

export function projectorScreen(root: HTMLElement, meetingId: string, given: ProjectorSeat | null): () => void {
  if (!given) return messageScreen(root, t().noSeatTitle, t().projectorNoSeat)
  const seat = given
  const conn = new MeetingConnection(meetingId, seat.token, false)
  const meeting = new MeetingView(conn.doc('meeting'))
  const status = statusBadge(conn)
  document.body.classList.add('is-projector')

  const title = h('h1', { class: 'projector-title' })
  const phase = h('p', { class: 'projector-phase sr-only' })
  const stages = h('div', { class: 'projector-stages' })
  const catalogue = new ProjectorCatalogue(meeting)
  const agreed = h('div', { class: 'projector-agreed', 'aria-live': 'polite' })
  const counts = h('p', { class: 'projector-counts' })
  const join = h('aside', { class: 'projector-join' })
  const draft = new DraftView({
    meeting,
    awareness: () => conn.provider('draft').awareness,
    canWrite: () => false,
    showAuthors: () => seat.authors,
    move: async () => {},
    changed: () => schedule(),
  })
  draft.attach(conn.doc('draft'), conn.synced('draft'))
  conn.whenSynced('draft', () => draft.synced())
  // The workshop's later steps: tallies, the check, the agreed text's record.
  const method = new ProjectorMethod(meetingId, meeting, draft)

  const main = h(
    'main',
    { id: 'main', class: 'projector' },
    h('header', { class: 'projector-head' }, h('div', { class: 'projector-heading' }, title, phase, stages), agreed),
    h('section', { class: 'projector-draft', 'aria-labelledby': 'projector-draft-h' }, h('h2', { id: 'projector-draft-h', class: 'sr-only' }, t().draftHeading), method.banner, draft.el, method.after),
    catalogue.el,
    h('div', { class: 'projector-side' }, method.side, join, counts),
  )
  root.replaceChildren(h('header', { class: 'projector-bar' }, status.el), main)

  let lastJoin = ''
  const { schedule, cancel } = painter(() => paint())
  function paint(): void {
    const c = t()
    title.textContent = meeting.title
    document.title = meeting.title ? `${meeting.title} · ${c.appName}` : c.appName
    const stage = meeting.stage
    phase.textContent = c.stageNow(c.stageName[stage])
    const stageKey = JSON.stringify([c.lang, stage, meeting.workshop])
    if (stages.dataset.key !== stageKey) {
      stages.dataset.key = stageKey
      stages.replaceChildren(stageBar({ stage, move: null, cls: 'is-big', ranBefore: meeting.workshop }))
    }
    const screen = screenOf(stage)
    const draftEl = draft.el.closest('.projector-draft') as HTMLElement | null
    if (draftEl) draftEl.hidden = screen !== 'draft'
    // Finding the common ground, the grid needs the whole width: everyone has joined by then.
    const wide = stage === 'common_ground'
    const shownBefore = !catalogue.el.hidden && main.classList.contains('is-wide') === wide
    main.classList.toggle('is-wide', wide)
    catalogue.el.hidden = screen === 'draft'
    if (screen !== 'draft') {
      catalogue.update()
      if (!shownBefore) catalogue.fit()
    }
    const latest = meeting.latestVersion()
    // Rewritten only when it changes: it is a live region, read out each time.
    const agreedKey = JSON.stringify([c.lang, latest?.number, latest?.sha256, meeting.frozen])
    if (agreed.dataset.key !== agreedKey) {
      agreed.dataset.key = agreedKey
      agreed.replaceChildren(
        ...(latest
          ? [
              h(
                'p',
                { class: `projector-version ${meeting.frozen ? 'is-current' : 'is-past'}`, 'data-version': latest.number, 'data-sha256': latest.sha256 },
                h('span', { 'aria-hidden': 'true' }, meeting.frozen ? '🔒 ' : '✓ '),
                meeting.frozen ? c.agreedVersion(latest.number) : c.lastAgreed(latest.number),
                h('br', {}),
                h('span', { class: 'projector-hash' }, `SHA-256 ${shortHash(latest.sha256)}…`),
              ),
            ]
          : []),
      )
    }
    // This screen is an observer too: it does not count itself.
    const remote = Math.max(0, meeting.observers - 1)
    const inRoom = meeting.connected(conn.provider('draft').awareness).size
    counts.replaceChildren(h('span', {}, c.inRoomNow(inRoom)), h('span', {}, c.following(remote)))
    const joinKey = JSON.stringify([c.lang, seat.invite, seat.code])
    if (joinKey !== lastJoin && seat.invite) {
      lastJoin = joinKey
      const url = inviteLink(location.origin, meetingId, seat.invite)
      join.replaceChildren(
        h('h2', {}, c.joinFromPhone),
        qrSvg(url, c.qrLabel(c.inviteParticipants)),
      )
      if (seat.code) {
        // The address, then the code whole on its own line: read off the wall.
        const link = codeLink(location.host, seat.code)
        const at = link.indexOf('#')
        join.append(h('p', { class: 'projector-short' }, h('span', {}, c.orType, ' ', link.slice(0, at + 1)), h('strong', {}, seat.code)))
      }
    }
    join.hidden = !seat.invite || meeting.frozen
    method.paint()
  }

  const stopFollowing = followRooms(conn, meeting, draft, schedule)
  // The catalogue's type follows the window (and the fonts, once loaded).
  const refit = () => catalogue.fit()
  window.addEventListener('resize', refit)
  void document.fonts.ready.then(refit)
  paint()
  return () => {
    cancel()
    stopFollowing()
    window.removeEventListener('resize', refit)
    status.stop()
    draft.destroy()
    conn.destroy()
    document.body.classList.remove('is-projector')
  }
}
