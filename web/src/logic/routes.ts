/**
 * The app's addresses. Invite secrets travel only in the fragment (`#…`),
 * which the browser never sends in a request line or a Referer.
 */

export type Route =
  | { screen: 'start' }
  | { screen: 'join'; meeting: string; invite: string | null }
  | { screen: 'meeting'; meeting: string }
  | { screen: 'history'; meeting: string }
  | { screen: 'report'; meeting: string }
  | { screen: 'projector'; meeting: string; token: string | null; invite: string | null; code: string | null; authors: boolean }
  | { screen: 'code'; code: string | null }
  | { screen: 'not-found' }

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const MEETING = new RegExp(`^/m/(${UUID})/?$`, 'i')
const JOIN = new RegExp(`^/m/(${UUID})/join/?$`, 'i')
const PAGE = new RegExp(`^/m/(${UUID})/(history|report|projector)/?$`, 'i')

export function parseRoute(pathname: string, hash: string): Route {
  if (pathname === '/' || pathname === '') return { screen: 'start' }
  let m = JOIN.exec(pathname)
  if (m) {
    const invite = new URLSearchParams(hash.replace(/^#/, '')).get('invite')
    return { screen: 'join', meeting: m[1].toLowerCase(), invite: invite || null }
  }
  m = MEETING.exec(pathname)
  if (m) return { screen: 'meeting', meeting: m[1].toLowerCase() }
  m = PAGE.exec(pathname)
  if (m) {
    const meeting = m[1].toLowerCase()
    const page = m[2].toLowerCase()
    if (page === 'projector') {
      const f = new URLSearchParams(hash.replace(/^#/, ''))
      return {
        screen: 'projector',
        meeting,
        token: f.get('token') || null,
        invite: f.get('invite') || null,
        code: f.get('code') || null,
        authors: f.get('authors') === '1',
      }
    }
    return { screen: page === 'history' ? 'history' : 'report', meeting }
  }
  if (pathname === '/j' || pathname === '/j/') {
    return { screen: 'code', code: decodeURIComponent(hash.replace(/^#/, '')) || null }
  }
  return { screen: 'not-found' }
}

export const historyPath = (meeting: string) => `/m/${meeting}/history`
export const reportPath = (meeting: string) => `/m/${meeting}/report`
export const projectorPath = (meeting: string) => `/m/${meeting}/projector`

/** The short link people type from the projector: the code in the fragment. */
export function codeLink(origin: string, code: string): string {
  return `${origin}/j#${code}`
}

export function meetingPath(meeting: string): string {
  return `/m/${meeting}`
}

/** The link someone opens to join; the invite stays in the fragment. */
export function inviteLink(origin: string, meeting: string, invite: string): string {
  return `${origin}/m/${meeting}/join#invite=${encodeURIComponent(invite)}`
}
