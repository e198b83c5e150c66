/**
 * The method's later commands (README, "The method: stages, signals and
 * consensus"): elements pulled into the draft and linked to clauses,
 * signals on clauses, consensus checks, people without a device, stage
 * moves and a freeze with a reason. Screens call these; they never build a
 * URL themselves. Errors come back as `ApiError` with the server's code.
 */
import { call } from './api.js'
import type { Frozen } from './api.js'
import type { Stance } from './logic/consensus.js'

const base = (meeting: string) => `/api/meetings/${meeting}`

export const methodApi = {
  /** An element of the common ground starts a new clause with its words, linked to it. */
  pull: (meeting: string, token: string, element: string) =>
    call<{ clause_id: string; element_id: string }>('POST', `${base(meeting)}/elements/${element}/pull`, token),
  link: (meeting: string, token: string, clause: string, element: string, linked: boolean) =>
    call<unknown>('POST', `${base(meeting)}/clauses/${clause}/elements`, token, { element_id: element, linked }),
  /**
   * A signal on a clause's wording as the person read it (`sha256` of that
   * text); `user` when the moderator records it for someone else. A
   * wording that changed meanwhile answers 409 `wording_changed`.
   */
  signal: (meeting: string, token: string, clause: string, stance: Stance, sha256: string, reason: string | null, user: string | null) =>
    call<unknown>('POST', `${base(meeting)}/clauses/${clause}/signals`, token, {
      signal: stance,
      sha256,
      ...(reason ? { reason } : {}),
      ...(user ? { user_id: user } : {}),
    }),
  openCheck: (meeting: string, token: string, hidden: boolean) =>
    call<{ number: number; sha256: string; hidden: boolean; eligible: number }>('POST', `${base(meeting)}/checks`, token, { hidden }),
  answer: (meeting: string, token: string, check: number, stance: Stance, reason: string | null, user: string | null) =>
    call<{ answer: Stance; reason: string | null }>('POST', `${base(meeting)}/checks/${check}/answers`, token, {
      answer: stance,
      ...(reason ? { reason } : {}),
      ...(user ? { user_id: user } : {}),
    }),
  closeCheck: (meeting: string, token: string, check: number) =>
    call<unknown>('POST', `${base(meeting)}/checks/${check}/close`, token, {}),
  /** Someone in the room without a device, for whom the moderator records signals and answers. */
  addPerson: (meeting: string, token: string, name: string) =>
    call<{ user_id: string; name: string }>('POST', `${base(meeting)}/people`, token, { name }),
  setStage: (meeting: string, token: string, stage: string) =>
    call<{ stage: string }>('POST', `${base(meeting)}/stage`, token, { stage }),
  /** A freeze; in a workshop without the room's consent it needs `reason` (else 409 `no_consensus`). */
  freeze: (meeting: string, token: string, reason: string | null) =>
    call<Frozen>('POST', `${base(meeting)}/freeze`, token, reason ? { reason } : {}),
}
