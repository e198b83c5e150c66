// Records real traffic of the stock y-websocket client with Draftroom, as
// seeds for the `frames` fuzz target: every frame the client sends and
// receives while a moderator and an editor type Polish text and emoji into
// the draft, with presence. Run by `fuzz/seed.sh`.
//
//   node record-fuzz-seeds.mjs OUT_DIR

import { mkdirSync, writeFileSync } from 'node:fs'
import { join as pathJoin } from 'node:path'

import {
  WebSocket, allTexts, connect, createMeeting, findClause, grantEditor, insertClause, join,
  sleep, startServer, waitUntil
} from './server.mjs'

const out = process.argv[2]
if (!out) throw new Error('usage: node record-fuzz-seeds.mjs OUT_DIR')
mkdirSync(out, { recursive: true })

const frames = []
class RecordingWebSocket extends WebSocket {
  constructor (...args) {
    super(...args)
    this.addEventListener('message', (event) => frames.push(Buffer.from(event.data)))
  }

  send (data, ...rest) {
    frames.push(Buffer.from(data))
    return super.send(data, ...rest)
  }
}

const server = await startServer()
const clients = []
try {
  const base = server.url
  const m = await createMeeting(base, 'Misja Krakowa', 'Moderator')
  const j = await join(base, m.id, m.participant_invite, 'Łucja')
  await grantEditor(base, m.id, m.moderator_token, j.user_id)
  for (const token of [m.moderator_token, j.token]) {
    clients.push(await connect(base, m.id, 'draft', token, { WebSocketPolyfill: RecordingWebSocket }))
  }
  const [a, b] = clients
  a.provider.awareness.setLocalStateField('user', { name: 'Moderator', color: '#c0392b' })
  b.provider.awareness.setLocalStateField('user', { name: 'Łucja', color: '#2980b9' })
  const id = insertClause(a.doc, 'Kraków jest miastem ')
  await waitUntil(() => findClause(b.doc, id), { message: 'the clause at the editor' })
  const words = ['otwartym', ' dla', ' wszystkich', ' mieszkańców', ' 🙂', ' — zażółć gęślą jaźń']
  for (const word of words) {
    for (const ch of word) {
      const t = findClause(a.doc, id).get('text')
      t.insert(t.length, ch)
      await sleep(5)
    }
  }
  const t = findClause(b.doc, id).get('text')
  t.delete(0, 7)
  t.insert(0, 'Miasto Kraków')
  await waitUntil(() => allTexts(a.doc)[0] === allTexts(b.doc)[0], { message: 'convergence' })
  await sleep(200)
} finally {
  for (const c of clients) { c.provider.destroy(); c.doc.destroy() }
  await server.stop()
}
frames.forEach((f, i) => writeFileSync(pathJoin(out, `stock-${String(i).padStart(4, '0')}.bin`), f))
console.log(`${frames.length} frames recorded in ${out}`)
