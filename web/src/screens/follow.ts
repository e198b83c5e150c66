/**
 * What the live screens (the meeting, the projector) share: one repaint per
 * animation frame however many changes arrive, and following the `meeting`
 * and `draft` rooms, also across a reset that replaces a room's document.
 */
import type { MeetingConnection, RoomName } from '../connection.js'
import type { MeetingView } from '../meeting-state.js'
import type { DraftView } from './draft.js'

/** `schedule()` asks for `paint` at the next frame; `cancel()` drops it. */
export function painter(paint: () => void): { schedule: () => void; cancel: () => void } {
  let frame = 0
  return {
    schedule: () => {
      if (frame) return
      frame = requestAnimationFrame(() => {
        frame = 0
        paint()
      })
    },
    cancel: () => {
      if (frame) cancelAnimationFrame(frame)
      frame = 0
    },
  }
}

/**
 * Calls `changed` when the meeting room or presence in the draft changes,
 * rebinding both (and the draft's view) when the connection drops a copy;
 * a reset of another room (an amendment's) goes to `other`. Returns stop.
 */
export function followRooms(
  conn: MeetingConnection,
  meeting: MeetingView,
  draft: DraftView,
  changed: () => void,
  other: (room: RoomName) => void = () => {},
): () => void {
  const onMeeting = () => {
    changed()
    draft.refreshAuthors()
  }
  let meetingDoc = conn.doc('meeting')
  meetingDoc.on('update', onMeeting)
  let awareness = conn.provider('draft').awareness
  awareness.on('change', changed)
  const stopReset = conn.onReset((room) => {
    if (room === 'meeting') {
      meetingDoc.off('update', onMeeting)
      meetingDoc = conn.doc('meeting')
      meeting.doc = meetingDoc
      meetingDoc.on('update', onMeeting)
    } else if (room === 'draft') {
      awareness.off('change', changed)
      awareness = conn.provider('draft').awareness
      awareness.on('change', changed)
      draft.attach(conn.doc('draft'), false)
      conn.whenSynced('draft', () => draft.synced())
    } else {
      other(room)
    }
    changed()
  })
  return () => {
    meetingDoc.off('update', onMeeting)
    awareness.off('change', changed)
    stopReset()
  }
}
