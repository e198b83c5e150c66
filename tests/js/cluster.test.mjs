// Several Draftroom processes on one PostgreSQL database, relaying through
// Redis: the stock client (yjs + y-websocket 3.x) writing and following
// through each of three processes. Needs DRAFTROOM_TEST_POSTGRES and
// DRAFTROOM_TEST_REDIS (tests/services.sh starts both; tests/run.sh does).

import { describe, test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'

import {
  Y,
  allTexts,
  connect,
  createMeeting,
  grantEditor,
  insertClause,
  join,
  startServer,
  waitUntil
} from './server.mjs'

const T = 10000

const cluster = process.env.DRAFTROOM_TEST_POSTGRES
const redis = process.env.DRAFTROOM_TEST_REDIS
if (!cluster || !redis) {
  throw new Error('DRAFTROOM_TEST_POSTGRES and DRAFTROOM_TEST_REDIS must be set: `source tests/services.sh && services_start` (bash tests/run.sh does)')
}
const psql = process.env.DRAFTROOM_TEST_PG_BIN ? `${process.env.DRAFTROOM_TEST_PG_BIN}/psql` : 'psql'

/** Runs SQL on the database at `url`; answers the rows' first column. */
function sql (url, query) {
  const out = execFileSync(psql, [url, '-X', '-A', '-t', '-q', '-c', query], { encoding: 'utf8' })
  return out.split('\n').filter((l) => l.length > 0)
}

/** A new empty database on the test cluster; answers its URL. */
function freshDatabase () {
  const name = `draftroom_js_${randomUUID().replaceAll('-', '')}`
  sql(cluster, `CREATE DATABASE ${name}`)
  return cluster.replace(/\/[^/]*$/, `/${name}`)
}

const servers = []
const clients = []
after(async () => {
  for (const c of clients) {
    c.provider.destroy()
    c.doc.destroy()
  }
  await Promise.all(servers.map((s) => s.stop()))
})

async function client (base, meetingId, room, token) {
  const c = await connect(base, meetingId, room, token)
  clients.push(c)
  return c
}

describe('three processes, one database, Redis between them', () => {
  test('stock writers and followers on each process converge on what PostgreSQL holds', async () => {
    const db = freshDatabase()
    for (let i = 0; i < 3; i++) {
      servers.push(await startServer({ args: ['--postgres', db, '--redis', redis, '--lease-ms', '1000'] }))
    }
    const [a, b, c] = servers.map((s) => s.url)
    // Made through the second process: it owns the meeting.
    const meeting = await createMeeting(b, 'Misja Miasta Krakowa', 'Małgorzata Żółkiewska')
    const editor = await join(c, meeting.id, meeting.participant_invite, 'Grzegorz Łęcki')
    await grantEditor(a, meeting.id, meeting.moderator_token, editor.user_id)
    const observer = await join(a, meeting.id, meeting.observer_invite, 'Zofia Ślusarczyk')

    const writers = [
      await client(a, meeting.id, 'draft', meeting.moderator_token),
      await client(b, meeting.id, 'draft', editor.token),
      await client(c, meeting.id, 'draft', meeting.moderator_token)
    ]
    const followers = []
    for (const base of [a, b, c]) followers.push(await client(base, meeting.id, 'draft', observer.token))

    insertClause(writers[0].doc, 'Kraków 🎉 ')
    await waitUntil(() => writers.every((w) => allTexts(w.doc).length === 1), { timeout: T, message: 'the clause everywhere' })
    // All three type at once, each at its own UTF-16 offset: after the
    // emoji (two code units), at the start, at the end.
    const words = ['współpraca ', 'żywe ', 'ąę ']
    for (let round = 0; round < 10; round++) {
      writers.forEach((w, i) => {
        const text = w.doc.getArray('clauses').get(0).get('text')
        const at = [9, 0, text.length][i]
        text.insert(Math.min(at, text.length), words[(round + i) % words.length])
      })
    }
    const everyone = [...writers, ...followers]
    await waitUntil(() => {
      const first = allTexts(everyone[0].doc).join('\n')
      return first.length === 'Kraków 🎉 '.length + 10 * words.join('').length &&
        everyone.every((x) => allTexts(x.doc).join('\n') === first)
    }, { timeout: T, message: 'every client to converge' })
    const text = allTexts(writers[0].doc)[0]
    assert.ok(text.includes('🎉'), text)

    // What PostgreSQL holds is what they see.
    const room = `${meeting.id}/draft`
    const stored = new Y.Doc()
    for (const row of [
      ...sql(db, `SELECT encode(data, 'hex') FROM room_snapshots WHERE room = '${room}'`),
      ...sql(db, `SELECT encode(data, 'hex') FROM room_updates WHERE room = '${room}' ORDER BY seq`)
    ]) {
      Y.applyUpdate(stored, Buffer.from(row, 'hex'))
    }
    assert.equal(allTexts(stored)[0], text)
    stored.destroy()
  })
})
