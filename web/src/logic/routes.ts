/**
 * The app's addresses. Invite secrets travel only in the fragment (`#…`),
 * which the browser never sends in a request line or a Referer.
 */

export type Route =
  | { screen: 'start' }
  | { screen: 'join'; meeting: string; invite: string | null }
  | { screen: 'meeting'; meeting: string }
  | { screen: 'not-found' }

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const MEETING = new RegExp(`^/m/(${UUID})/?$`, 'i')
const JOIN = new RegExp(`^/m/(${UUID})/join/?$`, 'i')

export function parseRoute(pathname: string, hash: string): Route {
  if (pathname === '/' || pathname === '') return { screen: 'start' }
  let m = JOIN.exec(pathname)
  if (m) {
    const invite = new URLSearchParams(hash.replace(/^#/, '')).get('invite')
    return { screen: 'join', meeting: m[1].toLowerCase(), invite: invite || null }
  }
  m = MEETING.exec(pathname)
  if (m) return { screen: 'meeting', meeting: m[1].toLowerCase() }
  return { screen: 'not-found' }
}

export function meetingPath(meeting: string): string {
  return `/m/${meeting}`
}

/** The link someone opens to join; the invite stays in the fragment. */
export function inviteLink(origin: string, meeting: string, invite: string): string {
  return `${origin}/m/${meeting}/join#invite=${encodeURIComponent(invite)}`
}
