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

// Seeds for the `updates` target: real typing from an editing trace
// (seph-blog1, non-ASCII included), by two writers into one clause of the
// draft, one Yjs update per edit, in that target's input format: a 4-byte
// header (writer in the top two bits, 0x20 for raw bytes, 0x10 to catch
// up; a 16-bit length) and the update.
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'

const tracePath = process.argv[3]
if (tracePath) {
  const trace = JSON.parse(gunzipSync(readFileSync(tracePath)).toString('utf8'))
  const patches = trace.txns.flatMap((t) => t.patches).slice(0, 600)
  const writers = [101, 202].map((id) => {
    const doc = new Y.Doc()
    doc.clientID = id
    return doc
  })
  const records = []
  const record = (writer, update) => {
    const head = Buffer.from([(writer << 6) | 0x20 | 0x10, update.length & 0xff, update.length >> 8, 0])
    records.push(Buffer.concat([head, Buffer.from(update)]))
  }
  writers.forEach((doc, i) => doc.on('update', (u, origin) => { if (origin !== 'sync') record(i, u) }))
  const [a, b] = writers
  const clause = new Y.Map()
  a.transact(() => {
    clause.set('id', 'c-seed')
    clause.set('text', new Y.Text(''))
    a.getArray('clauses').push([clause])
  })
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a), 'sync')
  const typeInto = (doc, [pos, count, ins]) => {
    const text = doc.getArray('clauses').get(0).get('text')
    // Positions are in characters; Y.Text counts UTF-16 units.
    const s = text.toString()
    const at = [...s].slice(0, pos).join('').length
    const del = [...s.slice(at)].slice(0, count).join('').length
    doc.transact(() => {
      if (del > 0) text.delete(at, del)
      if (ins) text.insert(at, ins)
    })
  }
  patches.forEach((p, i) => {
    const [from, to] = i < 300 ? [a, b] : [b, a]
    typeInto(from, p)
    Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), 'sync')
  })
  const dir = process.argv[4]
  mkdirSync(dir, { recursive: true })
  for (let i = 0; i < records.length; i += 40) {
    writeFileSync(pathJoin(dir, `trace-${String(i / 40).padStart(3, '0')}.bin`), Buffer.concat(records.slice(i, i + 40)))
  }
  console.log(`${records.length} trace updates in ${Math.ceil(records.length / 40)} seeds in ${dir}`)
}
