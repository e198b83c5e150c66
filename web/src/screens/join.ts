/** Joining with an invite link: a name, then the meeting with the invite's role. */
import { api, ApiError } from '../api.js'
import { arrive, navigate, t, topbar } from '../app.js'
import { h } from '../dom.js'
import { meetingPath } from '../logic/routes.js'
import { seats } from '../seats.js'
import { errorText, field, formError } from './form.js'

export function joinScreen(root: HTMLElement, meeting: string, invite: string | null): () => void {
  const c = t()
  const heading = h('h1', {}, c.joinHeading)
  const seat = seats.get(meeting)
  let body: HTMLElement
  if (seat) {
    body = h(
      'div',
      { class: 'card narrow' },
      heading,
      h('p', {}, c.alreadyHere(seat.name)),
      h(
        'button',
        { type: 'button', class: 'primary', onclick: () => navigate(meetingPath(meeting)) },
        c.continueAs(seat.name),
      ),
    )
  } else if (!invite) {
    body = h('div', { class: 'card narrow' }, heading, h('p', { role: 'alert' }, c.noInvite))
  } else {
    const name = field('name', c.yourNameLabel, c.yourNameHint, 80, 'name')
    const error = formError()
    const submit = h('button', { type: 'submit', class: 'primary' }, c.joinButton)
    const intro = h('p', { class: 'muted' }, c.joinIntro)
    body = h(
      'form',
      { class: 'card narrow', novalidate: true, 'aria-labelledby': 'join-h' },
      heading,
      intro,
      name.row,
      error.el,
      submit,
    )
    heading.id = 'join-h'
    // Which meeting and which role, before anyone types a name.
    api.invitation(meeting, invite).then(
      (invited) => {
        heading.textContent = t().joinTitle(invited.title)
        intro.textContent = t().joinAs[invited.role] ?? t().joinIntro
        document.title = `${invited.title} · ${t().appName}`
      },
      (err: ApiError) => {
        if (err.code === 'network') return
        error.show(errorText(err))
        name.row.hidden = true
        submit.hidden = true
      },
    )
    body.addEventListener('submit', async (e) => {
      e.preventDefault()
      error.clear()
      if (!name.check()) return
      submit.disabled = true
      submit.textContent = c.joining
      try {
        const joined = await api.join(meeting, invite, name.value())
        const info = await api.meeting(meeting, joined.token)
        seats.put({
          meeting,
          token: joined.token,
          userId: joined.user_id,
          name: info.you.name,
          role: joined.role,
          title: info.title,
          seenAt: Date.now(),
        })
        navigate(meetingPath(meeting))
      } catch (err) {
        error.show(errorText(err as ApiError))
        submit.disabled = false
        submit.textContent = c.joinButton
      }
    })
  }
  root.replaceChildren(topbar(), h('main', { id: 'main', class: 'join' }, body))
  arrive(c.joinHeading, heading)
  return () => {}
}

export function messageScreen(root: HTMLElement, title: string, text: string): () => void {
  const c = t()
  const heading = h('h1', { class: 'message-title' }, title)
  root.replaceChildren(
    topbar(),
    h(
      'main',
      { id: 'main', class: 'join' },
      h(
        'div',
        { class: 'card narrow' },
        heading,
        h('p', {}, text),
        h('p', {}, h('a', { href: '/' }, c.goHome)),
      ),
    ),
  )
  arrive(title, heading)
  return () => {}
}

/**
 * The short link from the projector (`/j#K7Q-FM2-XD9`), or a code typed
 * by hand: it leads to its meeting's join page, the code standing in for
 * the invite.
 */
export function codeScreen(root: HTMLElement, code: string | null): () => void {
  const c = t()
  let left = false
  let leaveJoin: () => void = () => {}
  const go = async (value: string) => {
    const found = await api.code(value)
    if (left) return
    leaveJoin = joinScreen(root, found.meeting_id, value)
  }
  const heading = h('h1', { id: 'code-h' }, c.codeHeading)
  const codeField = field('code', c.codeLabel, c.codeHint, 20, 'off')
  const error = formError()
  const submit = h('button', { type: 'submit', class: 'primary' }, c.codeButton)
  const form = h(
    'form',
    { class: 'card narrow', novalidate: true, 'aria-labelledby': 'code-h' },
    heading,
    codeField.row,
    error.el,
    submit,
  )
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    error.clear()
    if (!codeField.check()) return
    submit.disabled = true
    try {
      await go(codeField.value())
    } catch (err) {
      error.show(errorText(err as ApiError))
      submit.disabled = false
    }
  })
  root.replaceChildren(topbar(), h('main', { id: 'main', class: 'join' }, form))
  arrive(c.codeHeading, heading)
  if (code) {
    codeField.input.value = code
    submit.disabled = true
    go(code).catch((err: ApiError) => {
      error.show(errorText(err))
      submit.disabled = false
    })
  }
  return () => {
    left = true
    leaveJoin()
  }
}
