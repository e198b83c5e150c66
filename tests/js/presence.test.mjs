// Presence with the stock client: who is in the room, with names and
// colours, across a room of twelve members. The stock y-websocket client
// sends on every presence it hears of (its own and everyone else's); the
// server keeps only the owner's copy, without complaining and without
// counting the echoes against the sender's limit of presences.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import {
  captureWarnings, createMeeting, grantEditor, join, serverPerFile, sleep, waitUntil
} from './server.mjs'

const env = serverPerFile()

test('twelve members see each other present, and one leaving', async () => {
  const m = await createMeeting(env.base, 'Misja Krakowa', 'Moderator')
  const warnings = captureWarnings()
  try {
    const members = [{ token: m.moderator_token, name: 'Moderator' }]
    for (let i = 0; i < 11; i++) {
      const name = `Uczestnik ${i} — Łódź`
      const j = await join(env.base, m.id, m.participant_invite, name)
      if (i < 3) await grantEditor(env.base, m.id, m.moderator_token, j.user_id)
      members.push({ token: j.token, name })
    }
    const clients = []
    for (const { token, name } of members) {
      const c = await env.client(m.id, 'draft', token)
      c.provider.awareness.setLocalStateField('user', { name, colour: '#336699' })
      clients.push(c)
    }
    const names = (c) => [...c.provider.awareness.getStates().values()]
      .map((s) => s.user?.name).filter(Boolean).sort()
    const everyone = members.map((x) => x.name).sort()
    await waitUntil(() => clients.every((c) => names(c).length === everyone.length), {
      message: 'every member to see all twelve present'
    })
    for (const c of clients) assert.deepEqual(names(c), everyone)
    // Echoes were dropped quietly: nobody was refused or cut off.
    assert.deepEqual(warnings.warnings.filter((w) => w.includes('Permission denied')), [])
    assert.ok(clients.every((c) => c.closes.length === 0), 'no connection closed')

    // One leaves; the others see it go.
    env.drop(clients[5])
    const left = members[5].name
    await waitUntil(() => clients.filter((_, i) => i !== 5).every((c) => !names(c).includes(left)), {
      message: `${left} to leave everyone's list`
    })
    await sleep(100)
    assert.ok(clients.filter((_, i) => i !== 5).every((c) => c.closes.length === 0))
  } finally {
    warnings.restore()
  }
})
