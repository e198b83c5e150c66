/** The moderator's invite links, each with a copy button. */
import { api } from '../api.js'
import { t } from '../app.js'
import { announce, h } from '../dom.js'
import { inviteLink } from '../logic/routes.js'
import { seats, type Seat } from '../seats.js'

async function copy(text: string, input: HTMLInputElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    // No clipboard API (plain http on a LAN): copy from the selected field.
    input.focus()
    input.select()
    document.execCommand('copy')
  }
}

export function invites(seat: Seat, rerender: () => void): HTMLElement {
  const c = t()
  const section = h('section', { class: 'panel invites', 'aria-labelledby': 'invites-h' }, h('h2', { id: 'invites-h' }, c.invitesHeading))
  if (!seat.invites) {
    section.append(
      h('p', { class: 'muted' }, c.newLinksHelp),
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            const rotated = await api.rotateInvites(seat.meeting, seat.token)
            if (rotated.participant_invite && rotated.observer_invite) {
              seats.update(seat.meeting, {
                invites: { participant: rotated.participant_invite, observer: rotated.observer_invite },
              })
              rerender()
            }
          },
        },
        c.newLinks,
      ),
    )
    return section
  }
  const row = (id: string, label: string, invite: string) => {
    const url = inviteLink(location.origin, seat.meeting, invite)
    const input = h('input', { id, type: 'text', readonly: true, value: url, class: 'invite-url', spellcheck: 'false' })
    const button = h('button', { type: 'button', class: 'small', 'aria-label': c.copyLabel(label) }, c.copy)
    button.addEventListener('click', async () => {
      await copy(url, input)
      button.textContent = c.copied
      announce(c.copied)
      setTimeout(() => (button.textContent = t().copy), 2000)
    })
    return h('div', { class: 'invite' }, h('label', { for: id }, label), h('div', { class: 'invite-row' }, input, button))
  }
  section.append(
    row('invite-participants', c.inviteParticipants, seat.invites.participant),
    row('invite-observers', c.inviteObservers, seat.invites.observer),
  )
  return section
}
