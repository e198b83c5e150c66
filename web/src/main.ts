/**
 * The app's entry: picks the screen for the address, keeps a meeting's
 * connection open across language switches, and closes it on leaving.
 */
import './style.css'

import { applyLang, onLangChange, t } from './app.js'
import { MeetingConnection } from './connection.js'
import { parseRoute } from './logic/routes.js'
import { seats } from './seats.js'
import { historyScreen } from './screens/history.js'
import { codeScreen, joinScreen, messageScreen } from './screens/join.js'
import { meetingScreen } from './screens/meeting.js'
import { projectorScreen, projectorSeat } from './screens/projector.js'
import { reportScreen } from './screens/report.js'
import { startScreen } from './screens/start.js'

const root = document.getElementById('app') as HTMLElement
let leave: () => void = () => {}
let open: MeetingConnection | null = null

function render(): void {
  leave()
  const route = parseRoute(location.pathname, location.hash)
  // The meeting's connection lives on between its live screens.
  const live = route.screen === 'meeting' || route.screen === 'history'
  if (!live || open?.meeting !== route.meeting) {
    open?.destroy()
    open = null
  }
  switch (route.screen) {
    case 'start':
      leave = startScreen(root)
      break
    case 'join':
      leave = joinScreen(root, route.meeting, route.invite)
      break
    case 'code':
      leave = codeScreen(root, route.code)
      break
    case 'projector':
      leave = projectorScreen(root, route.meeting, projectorSeat(route.meeting, route))
      break
    case 'meeting':
    case 'history':
    case 'report': {
      const seat = seats.get(route.meeting)
      if (!seat) {
        leave = messageScreen(root, t().noSeatTitle, t().noSeat)
        break
      }
      if (route.screen === 'report') {
        leave = reportScreen(root, seat)
        break
      }
      open ??= new MeetingConnection(seat.meeting, seat.token, seat.role !== 'observer')
      leave = route.screen === 'meeting' ? meetingScreen(root, seat, open) : historyScreen(root, seat, open)
      break
    }
    default:
      leave = messageScreen(root, t().notFoundTitle, t().notFound)
  }
}

applyLang()
onLangChange(render)
window.addEventListener('popstate', render)
window.addEventListener('draftroom:navigate', render)
render()
