/**
 * The meeting: the stage bar on top; in the middle what the stage works
 * on (the working groups' lists, the share grid, or the draft); who is in
 * the room beside it, the invite links for the moderator, the connection
 * always in view. Everything shown is derived from the rooms' documents,
 * the stage and the member's role.
 */
import { api, ApiError } from '../api.js'
import { arrive, link, t, topbar } from '../app.js'
import { announce, fill, h } from '../dom.js'
import type { MeetingConnection } from '../connection.js'
import type { Role } from '../i18n/index.js'
import type { Refusal } from '../logic/refusal.js'
import { MeetingView, type Person } from '../meeting-state.js'
import { seats, type Seat } from '../seats.js'
import { historyPath, projectorPath, reportPath } from '../logic/routes.js'
import { freezes, screenOf, writesDraft, type Stage } from '../logic/stages.js'
import { groupOf } from '../logic/catalogue.js'
import { freeze, reopen, versionBadge, type FreezeContext } from './agreed.js'
import { AmendmentsView } from './amendments.js'
import { CollectView } from './collect.js'
import { CommonGroundView } from './common-ground.js'
import { ask } from './dialog.js'
import type { CatalogueContext } from './groups.js'
import { MethodPanel } from './consensus.js'
import { DraftView } from './draft.js'
import { followRooms, painter } from './follow.js'
import { errorText } from './form.js'
import { invites } from './invites.js'
import { legend, peopleList } from './people.js'
import { stageBar } from './stage-bar.js'
import { statusBadge } from './status.js'

const AUTHORS_KEY = 'draftroom.showAuthors'

function loadShowAuthors(): boolean {
  try {
    return localStorage.getItem(AUTHORS_KEY) === '1'
  } catch {
    return false
  }
}

export function meetingScreen(root: HTMLElement, seat: Seat, conn: MeetingConnection): () => void {
  const c = t()
  const meeting = new MeetingView(conn.doc('meeting'))
  const stops: (() => void)[] = []
  let showAuthors = loadShowAuthors()

  const myRole = (): Role => meeting.person(seat.userId)?.role ?? seat.role
  const canWrite = () => (myRole() === 'moderator' || myRole() === 'editor') && !meeting.frozen && writesDraft(meeting.stage)

  // The top bar: title, phase, who I am, connection.
  const title = h('h1', { class: 'meeting-title' })
  const phase = h('span', { class: 'phase' })
  const me = h('span', { class: 'me' })
  // On a phone the people are below the draft: a link takes you there.
  const peopleLink = h('a', { class: 'people-link', href: '#people-h' })
  const status = statusBadge(conn)
  stops.push(status.stop)

  // Notices: refusals and the frozen state, in words.
  const notices = h('div', { class: 'notices' })
  const frozenNotice = h('p', { class: 'notice notice-frozen', hidden: true }, c.frozenNotice)
  const roleHelp = h('p', { class: 'role-help muted' })

  // The draft.
  const draft = new DraftView({
    meeting,
    awareness: () => conn.provider('draft').awareness,
    canWrite,
    showAuthors: () => showAuthors,
    move: async (clause, to) => {
      try {
        await api.moveClause(seat.meeting, seat.token, clause, to)
      } catch (e) {
        notice(errorText(e as ApiError), 'error')
        throw e
      }
    },
    changed: () => schedule(),
  })
  draft.attach(conn.doc('draft'), conn.synced('draft'))
  conn.whenSynced('draft', () => draft.synced())

  const amendments = new AmendmentsView({
    seat,
    meeting,
    conn,
    role: myRole,
    clauseText: (clause) => draft.text(clause),
    clauseNumber: (clause) => draft.number(clause),
    notice: (text, kind) => notice(text, kind),
    repaint: () => schedule(),
  })
  const freezeCtx: FreezeContext = {
    meeting: seat.meeting,
    token: seat.token,
    view: meeting,
    text: () => draft.plainText(),
    openAmendments: () => amendments.openCount(),
    notice: (text, kind) => notice(text, kind),
  }
  // The method's later steps: common ground, signals, the check, consent.
  const method = new MethodPanel({ seat, meeting, draft, role: myRole, notice: (text, kind) => notice(text, kind), repaint: () => schedule() })
  // The agreed version, and the moderator's freeze and reopen.
  const agreed = h('div', { class: 'agreed-slot' })
  const freezeButton = h('button', { type: 'button', class: 'freeze', onclick: () => freeze(freezeCtx) })
  const reopenButton = h('button', { type: 'button', class: 'secondary reopen', onclick: () => reopen(freezeCtx) })
  const projectorButton = h('button', { type: 'button', class: 'secondary projector-open', onclick: () => openProjector() })
  const moderatorTools = h('div', { class: 'moderator-tools' }, freezeButton, reopenButton)
  const records = h('nav', { class: 'records' })

  const authorsToggle = h('input', { type: 'checkbox', id: 'show-authors', checked: showAuthors })
  authorsToggle.addEventListener('change', () => {
    showAuthors = authorsToggle.checked
    try {
      localStorage.setItem(AUTHORS_KEY, showAuthors ? '1' : '0')
    } catch {
      // The choice lasts this page only.
    }
    draft.showAuthors(showAuthors)
    schedule()
  })
  const undo = h('button', { type: 'button', class: 'small', 'aria-label': c.undo, title: c.undo, onclick: () => draft.undo() }, `↶ ${c.undoShort}`)
  const redo = h('button', { type: 'button', class: 'small', 'aria-label': c.redo, title: c.redo, onclick: () => draft.redo() }, `↷ ${c.redo}`)
  const editTools = h('div', { class: 'edit-tools' }, undo, redo)

  // The stage bar and what the stage asks of this member.
  const stages = h('div', { class: 'stage-slot' })
  const stageHelp = h('p', { class: 'stage-help' })
  let movingStage = false
  const moveStage = async (to: Stage) => {
    const c = t()
    const yes = await ask({
      title: c.stageMoveTitle(c.stageName[to]),
      body: [h('p', {}, c.stageEnter[to])],
      confirm: c.stageMoveConfirm,
    })
    if (!yes) return
    movingStage = true
    schedule()
    try {
      await api.setStage(seat.meeting, seat.token, to)
    } catch (e) {
      notice(errorText(e as ApiError), 'error')
    } finally {
      movingStage = false
      schedule()
    }
  }

  // The working groups' screens, for the first two stages.
  const catalogueCtx: CatalogueContext = { seat, meeting, role: myRole, notice: (text, kind) => notice(text, kind) }
  const collect = new CollectView(catalogueCtx)
  const commonGround = new CommonGroundView(catalogueCtx)
  const catalogueNotices = h('div', { class: 'notices' })
  const work = h('div', { class: 'work' }, catalogueNotices, collect.el, commonGround.el)

  const side = h('aside', { class: 'side', 'aria-label': c.peopleHeading })
  const draftHeading = h('h2', { id: 'draft-h' }, c.draftHeading)
  const draftSection = h(
      'section',
      { class: 'draft', 'aria-labelledby': 'draft-h' },
      h(
        'div',
        { class: 'draft-head' },
        draftHeading,
        h('div', { class: 'draft-tools' }, editTools, h('label', { class: 'toggle', for: 'show-authors' }, authorsToggle, c.showAuthors)),
      ),
      roleHelp,
      agreed,
      frozenNotice,
      moderatorTools,
      method.bar,
      notices,
      draft.el,
      records,
    )
  const main = h('main', { id: 'main', class: 'meeting' }, h('div', { class: 'stage-area' }, h('div', { class: 'stage-row' }, stages, projectorButton), stageHelp), draftSection, work, side)
  root.replaceChildren(
    topbar(h('div', { class: 'meeting-id' }, title, h('div', { class: 'meeting-meta' }, phase, me, peopleLink)), status.el),
    main,
  )

  function notice(text: string, kind: 'error' | 'info'): void {
    const close = h('button', { type: 'button', class: 'small', 'aria-label': t().dismiss }, '✕')
    const el = h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('p', {}, text), close)
    close.addEventListener('click', () => el.remove())
    // Said where the member is looking: above the draft, or above the groups' screen.
    const shown = screenOf(meeting.stage) === 'draft' ? notices : catalogueNotices
    notices.replaceChildren()
    catalogueNotices.replaceChildren()
    shown.replaceChildren(el)
  }

  // A final close (a seat no longer valid, a meeting gone) is said in words
  // where the draft is, not only in the status.
  const onClosed = (kind: string, code?: number) => {
    if (kind === 'closed') notice(t().closedBecause(code), 'error')
  }
  onClosed(conn.status.kind, conn.status.code)
  stops.push(conn.onStatus((s) => onClosed(s.kind, s.code)))
  stops.push(
    conn.onRefusal((r: Refusal) => {
      const text = t().refusal[r.code] ?? t().refusal.unknown
      notice(r.final ? `${text} ${t().reloaded}` : text, r.final ? 'error' : 'info')
    }),
  )

  const grant = async (p: Person) => {
    try {
      await api.grantEditor(seat.meeting, seat.token, p.userId)
      announce(t().granted(p.name))
    } catch (e) {
      notice(errorText(e as ApiError), 'error')
    }
  }

  // Everything that follows the meeting room and presence.
  let lastRole: Role | null = null
  let lastFrozen: boolean | null = null
  let lastStage: Stage | null = null
  let lastCanWrite: boolean | null = null
  let lastSideKey = ''
  let sidePanelsVersion = 0
  const { schedule, cancel } = painter(() => paint())
  function paint(): void {
    const c = t()
    const role = myRole()
    const stage = meeting.stage
    title.textContent = meeting.title || seat.title
    phase.textContent = c.stageName[stage]
    phase.className = `phase phase-${meeting.phase} stage-${stage}`
    const barKey = JSON.stringify([c.lang, stage, role, movingStage, meeting.workshop])
    if (stages.dataset.key !== barKey) {
      const focused = stages.contains(document.activeElement) ? document.activeElement?.getAttribute('data-stage') : null
      stages.dataset.key = barKey
      stages.replaceChildren(stageBar({ stage, move: role === 'moderator' ? moveStage : null, busy: movingStage, ranBefore: meeting.workshop }))
      if (focused) stages.querySelector<HTMLElement>(`[data-stage="${focused}"]`)?.focus()
    }
    stageHelp.textContent = role === 'moderator' ? c.stageHelpModerator[stage] : c.stageHelp[stage]
    if (lastStage !== null && stage !== lastStage) announce(c.stageMoved(c.stageName[stage]))
    lastStage = stage
    const screen = screenOf(stage)
    draftSection.hidden = screen !== 'draft'
    work.hidden = screen === 'draft'
    collect.el.hidden = screen !== 'collect'
    commonGround.el.hidden = screen !== 'common_ground'
    if (screen === 'collect') collect.update()
    if (screen === 'common_ground') commonGround.update()
    me.textContent = c.youAre(meeting.person(seat.userId)?.name ?? seat.name, role)
    roleHelp.textContent = c.roleHelp[role]
    roleHelp.hidden = stage !== 'amend' && stage !== 'frozen'
    frozenNotice.hidden = !meeting.frozen
    editTools.hidden = !canWrite()
    amendments.update(draft.slots())
    const latest = meeting.latestVersion()
    const agreedKey = JSON.stringify([c.lang, latest?.number, latest?.sha256, meeting.frozen])
    if (agreed.dataset.key !== agreedKey) {
      agreed.dataset.key = agreedKey
      agreed.replaceChildren(...(latest ? [versionBadge(latest, meeting.frozen, 'agreed', method.versionReason(latest.number))] : []))
    }
    moderatorTools.hidden = role !== 'moderator'
    projectorButton.hidden = role !== 'moderator'
    freezeButton.hidden = meeting.frozen || !freezes(stage)
    reopenButton.hidden = !meeting.frozen
    freezeButton.textContent = method.freezeLabel()
    reopenButton.textContent = c.reopen
    projectorButton.textContent = c.openProjector
    const recordsKey = JSON.stringify([c.lang])
    if (records.dataset.key !== recordsKey) {
      records.dataset.key = recordsKey
      records.setAttribute('aria-label', c.recordsLabel)
      records.replaceChildren(
        link(historyPath(seat.meeting), { class: 'button-link secondary' }, c.historyLink),
        link(reportPath(seat.meeting), { class: 'button-link secondary' }, c.reportLink),
      )
    }
    method.paint()
    if (role !== lastRole || meeting.frozen !== lastFrozen || canWrite() !== lastCanWrite) {
      if (lastRole !== null && role !== lastRole) announce(c.roleHelp[role])
      lastRole = role
      lastFrozen = meeting.frozen
      lastCanWrite = canWrite()
      draft.render()
      if (role !== seat.role) seats.update(seat.meeting, { role })
    }
    const people = meeting.people()
    peopleLink.textContent = `${c.peopleHeading}: ${c.peopleCount(people.length)}`
    const awareness = conn.provider('draft').awareness
    const connected = meeting.connected(awareness)
    const authorIds = showAuthors ? [...draft.authors()] : []
    const groups = meeting.groups()
    const groupLabels = people.map((p) => groupOf(groups, p.userId)?.label ?? null)
    // The common ground beside the draft, with what the draft carries of
    // it, is the method panel's (`method.side`).
    const key = JSON.stringify([c.lang, role, meeting.frozen, meeting.observers, people, [...connected].sort(), authorIds, sidePanelsVersion, groupLabels])
    if (key === lastSideKey) return
    lastSideKey = key
    const panels: HTMLElement[] = [
      method.side,
      peopleList({
        people,
        connected,
        me: seat.userId,
        observers: meeting.observers,
        grant: role === 'moderator' && !meeting.frozen ? grant : null,
        group: (userId) => groupOf(groups, userId)?.label ?? null,
      }),
    ]
    if (showAuthors) {
      const ids = new Set(authorIds)
      const authors = people.filter((p) => ids.has(p.userId))
      for (const id of ids) {
        const p = id ? meeting.person(id) : null
        if (p && !authors.some((a) => a.userId === p.userId)) authors.push(p)
      }
      panels.push(legend(authors, ids.has(null)))
    }
    if (role === 'moderator') {
      panels.push(
        invites(
          seats.get(seat.meeting) ?? seat,
          () => {
            sidePanelsVersion += 1
            schedule()
          },
          (text) => notice(text, 'error'),
        ),
      )
    }
    const focused = side.contains(document.activeElement) ? focusKey(document.activeElement) : null
    fill(side, ...panels)
    if (focused) side.querySelector<HTMLElement>(focused)?.focus()
  }

  // Subscriptions, renewed when the connection drops a room's copy.
  stops.push(followRooms(conn, meeting, draft, schedule, (room) => amendments.reset(room)))
  const beforeUnload = (e: BeforeUnloadEvent) => {
    if (conn.status.unsent > 0) {
      e.preventDefault()
      e.returnValue = ''
    }
  }
  window.addEventListener('beforeunload', beforeUnload)

  paint()
  arrive(meeting.title || seat.title, title)
  seats.update(seat.meeting, { seenAt: Date.now() })

  return () => {
    cancel()
    window.removeEventListener('beforeunload', beforeUnload)
    for (const stop of stops) stop()
    amendments.destroy()
    draft.destroy()
  }

  /**
   * The room's screen: a window of its own, signed in with an observer's
   * seat of its own, so that neither its page nor its address holds the
   * moderator's token. The participants' link goes with it for the QR code.
   */
  async function openProjector(): Promise<void> {
    const current = seats.get(seat.meeting) ?? seat
    const invites = current.invites
    if (!invites) {
      notice(t().projectorNeedsLinks, 'error')
      return
    }
    // Opened at once (a popup must follow the click), addressed when ready.
    const win = window.open('', '_blank')
    try {
      const joined = await api.join(seat.meeting, invites.observer, t().projectorName)
      const fragment = new URLSearchParams({ token: joined.token, invite: invites.participant })
      if (invites.code) fragment.set('code', invites.code)
      if (showAuthors) fragment.set('authors', '1')
      const url = `${projectorPath(seat.meeting)}#${fragment}`
      if (win) {
        win.opener = null
        win.location.href = url
      } else {
        location.href = url
      }
    } catch (e) {
      win?.close()
      notice(errorText(e as ApiError), 'error')
    }
  }
}

/** A selector that finds the same control after the side panel is redrawn. */
function focusKey(el: Element | null): string | null {
  if (!el) return null
  if (el.id) return `#${el.id}`
  const mark = el.getAttribute('data-focus')
  if (mark) return `[data-focus="${CSS.escape(mark)}"]`
  const user = el.closest('[data-user]')?.getAttribute('data-user')
  if (user && el.classList.contains('grant')) return `[data-user="${user}"] .grant`
  return null
}
