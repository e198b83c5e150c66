/**
 * The server's refusals of a write: the protocol's auth message carries a
 * reason that starts with a stable code (`frozen: …`), so the app can say
 * it in the user's language.
 */

/** Codes the server sends; anything else is shown as `unknown`. */
export const REFUSAL_CODES = [
  'storage unavailable',
  'frozen',
  'role',
  'server_only',
  'not_author',
  'decided',
  'foreign_client',
  'refused_client',
  'missing_dependencies',
  'stage',
] as const

export type RefusalCode = (typeof REFUSAL_CODES)[number] | 'unknown'

export interface Refusal {
  code: RefusalCode
  /** The server's English sentence, for the log and as a fallback. */
  message: string
  /**
   * A final refusal means the server will never take this copy's changes:
   * the app drops its copy of the room and resyncs. Only `storage
   * unavailable` is not final (the server asks for the changes again).
   */
  final: boolean
}

export function parseRefusal(reason: string): Refusal {
  const colon = reason.indexOf(':')
  const prefix = colon < 0 ? '' : reason.slice(0, colon).trim()
  const known = (REFUSAL_CODES as readonly string[]).includes(prefix)
  const code = (known ? prefix : 'unknown') as RefusalCode
  const message = known ? reason.slice(colon + 1).trim() : reason
  return { code, message, final: code !== 'storage unavailable' }
}
