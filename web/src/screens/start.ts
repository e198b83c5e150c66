/** The start page: start a meeting as its moderator; the meetings this device has a seat in. */
import { api, ApiError } from '../api.js'
import { arrive, currentLang, link, navigate, t, topbar } from '../app.js'
import { h } from '../dom.js'
import { meetingPath } from '../logic/routes.js'
import { seats } from '../seats.js'
import { field, errorText, formError } from './form.js'

export function startScreen(root: HTMLElement): () => void {
  const c = t()
  const title = field('title', c.titleLabel, c.titleHint, 200, 'off')
  const name = field('name', c.yourNameLabel, c.yourNameHint, 80, 'name')
  // How the meeting begins: with the working groups (the workshop's whole
  // method, the default) or directly with the draft.
  const begin = (value: 'workshop' | 'draft', label: string, hint: string) => {
    const id = `begin-${value}`
    return h(
      'div',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'begin', id, value, checked: value === 'workshop', 'aria-describedby': `${id}-hint` }),
      h('label', { for: id }, label),
      h('p', { id: `${id}-hint`, class: 'hint' }, hint),
    )
  }
  const beginWith = h(
    'fieldset',
    { class: 'field choices' },
    h('legend', {}, c.beginLegend),
    begin('workshop', c.beginWorkshop, c.beginWorkshopHint),
    begin('draft', c.beginDraft, c.beginDraftHint),
  )
  const error = formError()
  const submit = h('button', { type: 'submit', class: 'primary' }, c.startButton)
  const form = h(
    'form',
    { class: 'card start-form', 'aria-labelledby': 'start-h', novalidate: true },
    h('h2', { id: 'start-h' }, c.startHeading),
    h('p', { class: 'muted' }, c.startIntro),
    title.row,
    name.row,
    beginWith,
    error.el,
    submit,
  )
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    error.clear()
    const ok = [title.check(), name.check()].every(Boolean)
    if (!ok) return
    submit.disabled = true
    submit.textContent = c.starting
    try {
      // The meeting's language (its report's) is the one the creator uses.
      const workshop = form.querySelector<HTMLInputElement>('input[name="begin"]:checked')?.value !== 'draft'
      const created = await api.createMeeting(title.value(), name.value(), currentLang(), workshop)
      const me = await api.meeting(created.id, created.moderator_token)
      seats.put({
        meeting: created.id,
        token: created.moderator_token,
        userId: me.you.user_id,
        name: me.you.name,
        role: me.you.role,
        title: me.title,
        invites: {
          participant: created.participant_invite,
          observer: created.observer_invite,
          code: created.participant_code,
        },
        seenAt: Date.now(),
      })
      navigate(meetingPath(created.id))
    } catch (err) {
      error.show(errorText(err as ApiError))
      submit.disabled = false
      submit.textContent = c.startButton
    }
  })

  const mine = seats.list()
  const heading = h('h1', { class: 'hero-title' }, c.tagline)
  root.replaceChildren(
    topbar(),
    h(
      'main',
      { id: 'main', class: 'start' },
      h('section', { class: 'hero' }, heading),
      h(
        'div',
        { class: 'start-grid' },
        form,
        h(
          'div',
          { class: 'start-side' },
          mine.length
            ? h(
                'section',
                { class: 'card', 'aria-labelledby': 'mine-h' },
                h('h2', { id: 'mine-h' }, c.yourMeetings),
                h(
                  'ul',
                  { class: 'seat-list' },
                  ...mine.map((s) =>
                    h(
                      'li',
                      {},
                      link(meetingPath(s.meeting), { class: 'seat-link' }, s.title || s.meeting),
                      h('span', { class: 'muted' }, ` — ${s.name}, ${c.asRole(s.role)}`),
                    ),
                  ),
                ),
              )
            : null,
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'how-h' },
            h('h2', { id: 'how-h' }, c.stepsHeading),
            h('ol', { class: 'steps' }, ...c.steps.map((s) => h('li', {}, s))),
          ),
        ),
      ),
    ),
  )
  arrive('', heading)
  return () => {}
}
