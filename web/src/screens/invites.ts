/**
 * The moderator's invitations: the participants' and the observers' links,
 * each with its QR code and a copy button, the participants' short code,
 * and a way to replace a link that leaked (after a confirmation: the old
 * one stops working at once; people already in keep their seats).
 */
import { api, ApiError } from '../api.js'
import { t } from '../app.js'
import { copyButton } from '../copy.js'
import { announce, h } from '../dom.js'
import { codeLink, inviteLink } from '../logic/routes.js'
import { qrSvg } from '../qr.js'
import { seats, type Seat } from '../seats.js'
import { ask } from './dialog.js'
import { errorText } from './form.js'

type Which = 'participant' | 'observer'

export function invites(seat: Seat, rerender: () => void, notice: (text: string) => void): HTMLElement {
  const c = t()
  const section = h('section', { class: 'panel invites', 'aria-labelledby': 'invites-h' }, h('h2', { id: 'invites-h' }, c.invitesHeading))

  const rotate = async (which: Which[]) => {
    const rotated = await api.rotateInvites(seat.meeting, seat.token, {
      participant: which.includes('participant'),
      observer: which.includes('observer'),
    })
    const old = seats.get(seat.meeting)?.invites
    seats.update(seat.meeting, {
      invites: {
        participant: rotated.participant_invite ?? old?.participant ?? '',
        observer: rotated.observer_invite ?? old?.observer ?? '',
        code: rotated.participant_code ?? (which.includes('participant') ? undefined : old?.code),
      },
    })
    rerender()
  }

  const invites = seat.invites
  if (!invites?.participant || !invites.observer) {
    section.append(
      h('p', { class: 'muted' }, c.newLinksHelp),
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            try {
              await rotate(['participant', 'observer'])
            } catch (e) {
              notice(errorText(e as ApiError))
            }
          },
        },
        c.newLinks,
      ),
    )
    return section
  }

  const row = (which: Which, label: string, invite: string) => {
    const id = which === 'participant' ? 'invite-participants' : 'invite-observers'
    const url = inviteLink(location.origin, seat.meeting, invite)
    const input = h('input', { id, type: 'text', readonly: true, value: url, class: 'invite-url', spellcheck: 'false' })
    const copy = copyButton(url, { label: c.copy, aria: c.copyLabel(label), cls: 'small' })
    const replace = h('button', { type: 'button', class: 'small secondary rotate', 'aria-label': c.rotateLabel(label) }, c.rotate)
    replace.addEventListener('click', async () => {
      const yes = await ask({
        title: c.rotateTitle(label),
        body: [h('p', {}, c.rotateIntro)],
        confirm: c.rotateConfirm,
        danger: true,
      })
      if (!yes) return
      try {
        await rotate([which])
        announce(c.rotated)
      } catch (e) {
        notice(errorText(e as ApiError))
      }
    })
    const code = which === 'participant' && invites.code ? invites.code : null
    return h(
      'div',
      { class: 'invite', 'data-invite': which },
      h('label', { for: id }, label),
      h('div', { class: 'invite-row' }, input, copy),
      h(
        'div',
        { class: 'invite-extra' },
        qrSvg(url, c.qrLabel(label)),
        h(
          'div',
          { class: 'invite-side' },
          code ? h('p', { class: 'short-link' }, c.orType, ' ', h('strong', {}, codeLink(location.host, code))) : null,
          replace,
        ),
      ),
    )
  }
  section.append(
    row('participant', c.inviteParticipants, invites.participant),
    row('observer', c.inviteObservers, invites.observer),
  )
  return section
}
