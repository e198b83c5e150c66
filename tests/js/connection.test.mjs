// The connection as the stock y-websocket client (3.x) lives it: which
// closes it recovers from by itself, and that it is not closed for want of
// messages when nothing happens in the room.

import { describe, test, after } from 'node:test'
import assert from 'node:assert/strict'

import { startServer, createMeeting, join, connect, waitUntil, sleep, MESSAGE_AWARENESS } from './server.mjs'

const T = 15000

/** A server of its own with these environment settings, stopped after the file. */
const servers = []
async function serverWith (env) {
  const server = await startServer({ env })
  servers.push(server)
  return server
}
const clients = []
async function client (...args) {
  const c = await connect(...args)
  clients.push(c)
  return c
}
after(async () => {
  for (const c of clients) {
    c.provider.destroy()
    c.doc.destroy()
  }
  for (const s of servers) await s.stop()
})

/** Records what a provider goes through: statuses, closes, `closed` (final). */
function watch (provider) {
  const seen = { statuses: [], closes: [], finals: [] }
  provider.on('status', ({ status }) => seen.statuses.push(status))
  provider.on('connection-close', (event) => seen.closes.push(event?.code ?? null))
  provider.on('closed', (event) => seen.finals.push(event.code))
  return seen
}

describe('closes the client recovers from', () => {
  test('a connection closed for sending too fast (4029) reconnects and syncs by itself', async () => {
    const server = await serverWith({ DRAFTROOM_MESSAGES_PER_SEC: '5', DRAFTROOM_MESSAGE_BURST: '20' })
    const meeting = await createMeeting(server.url, 'Misja', 'Anna')
    const mod = await client(server.url, meeting.id, 'draft', meeting.moderator_token)
    const seen = watch(mod.provider)
    // Awareness queries: harmless one by one, a flood all together.
    for (let i = 0; i < 100; i++) mod.provider.ws.send(new Uint8Array([3]))
    await waitUntil(() => mod.closes.length > 0, { timeout: T, message: 'the server to close the flooding socket' })
    assert.equal(mod.closes[0], 4029, 'too fast is 4029, a code the stock client retries')
    assert.equal(mod.closeReasons[0], 'too many messages; slow down')
    await waitUntil(() => seen.statuses.includes('connected') && mod.provider.synced, {
      timeout: T,
      message: `the provider to reconnect and sync by itself (statuses ${JSON.stringify(seen.statuses)}, closes ${JSON.stringify(mod.closes)})`
    })
    assert.deepEqual(seen.finals, [], 'the provider gave up for good')
    assert.equal(mod.provider.shouldConnect, true)
  })
})

describe('a lone client', () => {
  // y-websocket closes a socket that has received no message for 30 s
  // (pings are invisible to it) and reconnects; the server's heartbeat
  // keeps a moderator alone in the draft and a lone observer connected.
  // Ninety seconds of wall time, once, with the default settings.
  test('stays connected for 90 s without a reconnect', async () => {
    const server = await serverWith({})
    const meeting = await createMeeting(server.url, 'Misja', 'Anna')
    const observer = await join(server.url, meeting.id, meeting.observer_invite, 'Widz')
    const lone = [
      ['the moderator alone in the draft', await client(server.url, meeting.id, 'draft', meeting.moderator_token)],
      ['an observer alone in the meeting room', await client(server.url, meeting.id, 'meeting', observer.token)]
    ].map(([who, c]) => ({ who, c, seen: watch(c.provider), frames: c.frames.length }))
    await sleep(90000)
    for (const { who, c, seen, frames } of lone) {
      assert.deepEqual(seen.closes, [], `${who}: connection closes`)
      assert.deepEqual(c.closes, [], `${who}: socket closes`)
      assert.deepEqual(seen.statuses, [], `${who}: status changes`)
      assert.equal(c.provider.wsconnected, true, `${who}: connected`)
      // What kept it: empty presence updates, about every 15 s.
      const beats = c.frames.slice(frames).filter((f) => f.type === MESSAGE_AWARENESS)
      assert.ok(beats.length >= 4, `${who}: ${beats.length} heartbeats in 90 s`)
      assert.ok(beats.every((f) => f.bytes.length === 3), `${who}: heartbeats are 3 bytes`)
      assert.deepEqual(c.decodeErrors, [])
    }
  })
})
