// Interop: the workshop's method as the stock JavaScript client (yjs +
// y-websocket 3.x over `ws`) sees it through the `meeting` room: the stage
// and its moves, the draft refused before the draft stage with the code
// `stage`, signals with the wording they answer, and a hidden check that
// shows nobody an answer but the blocks until it closes.
//
// Run: cd tests/js && npm install && npm test

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'

import { api, apiRaw, insertClause, join, sha256Hex, serverPerFile, waitUntil } from './server.mjs'

const T = 15000

const env = serverPerFile()
const { client } = env

async function workshop (base) {
  const m = await api(base, 'POST', '/api/meetings', {
    body: { title: 'Misja Miasta Krakowa', moderator_name: 'Ewa Łukasiewicz', language: 'pl', workshop: true },
    expect: 201
  })
  const anna = await join(base, m.id, m.participant_invite, 'Anna Żak')
  const jan = await join(base, m.id, m.participant_invite, 'Jan Łęcki')
  const zofia = await join(base, m.id, m.observer_invite, 'Zofia Ślusarczyk')
  return { m, anna, jan, zofia }
}

const stage = (base, m, to) =>
  api(base, 'POST', `/api/meetings/${m.id}/stage`, { body: { stage: to }, token: m.moderator_token })

describe('the method through the meeting room', () => {
  test('the stage shows live, and the draft opens only in the draft stage', async () => {
    const { m, zofia } = await workshop(env.base)
    const room = await client(m.id, 'meeting', zofia.token)
    const info = room.doc.getMap('meeting')
    await waitUntil(() => info.get('stage') === 'collect', { timeout: T, message: 'stage collect' })
    assert.equal(info.get('workshop'), true)
    assert.equal(info.get('phase'), 'drafting', 'the draft phase of DESIGN.md stays as it was')

    const early = await client(m.id, 'draft', m.moderator_token)
    insertClause(early.doc, 'za wcześnie')
    await waitUntil(() => early.authFrames.length > 0, { timeout: T, message: 'a refusal of the early write' })
    assert.match(early.authFrames[0].reason, /^stage: \S/, 'refused for the stage, with its code')

    await stage(env.base, m, 'common_ground')
    await stage(env.base, m, 'draft')
    await waitUntil(() => info.get('stage') === 'draft', { timeout: T, message: 'stage draft' })
    const writer = await client(m.id, 'draft', m.moderator_token)
    insertClause(writer.doc, 'Kraków — miasto otwarte 🏙️')
    const reader = await client(m.id, 'draft', zofia.token)
    await waitUntil(() => reader.doc.getArray('clauses').length === 1, { timeout: T, message: 'the clause written in the draft stage' })
    assert.deepEqual(writer.authFrames, [])

    const wrong = await apiRaw(env.base, 'POST', `/api/meetings/${m.id}/elements`, {
      body: { text: 'za późno' }, token: m.moderator_token
    })
    assert.equal(wrong.status, 409)
    assert.equal(wrong.json.error.code, 'conflict')
    assert.equal(wrong.json.error.stage, 'draft')
  })

  test('signals carry their wording, and a hidden check keeps its answers back until it closes', async () => {
    const { m, anna, jan, zofia } = await workshop(env.base)
    await stage(env.base, m, 'amend')
    const writer = await client(m.id, 'draft', m.moderator_token)
    const CLAUSE = 'Współodpowiedzialność mieszkańców 🤝'
    const clauseId = insertClause(writer.doc, CLAUSE)
    const reader = await client(m.id, 'draft', zofia.token)
    await waitUntil(() => reader.doc.getArray('clauses').length === 1, { timeout: T, message: 'the clause on the server' })

    await api(env.base, 'POST', `/api/meetings/${m.id}/clauses/${clauseId}/signals`, {
      body: { signal: 'block', sha256: sha256Hex(CLAUSE), reason: 'za ogólne' }, token: anna.token
    })
    const room = await client(m.id, 'meeting', zofia.token)
    const signals = room.doc.getMap('signals')
    await waitUntil(() => signals.get(clauseId)?.[anna.user_id]?.signal === 'block', { timeout: T, message: 'the block in the meeting room' })
    assert.equal(signals.get(clauseId)[anna.user_id].sha256, sha256Hex(CLAUSE))
    assert.equal(signals.get(clauseId)[anna.user_id].reason, 'za ogólne')

    await api(env.base, 'POST', `/api/meetings/${m.id}/checks`, { body: { hidden: true }, token: m.moderator_token, expect: 201 })
    await api(env.base, 'POST', `/api/meetings/${m.id}/checks/1/answers`, {
      body: { answer: 'disagree', reason: 'Sprzeciw-ukryty-42' }, token: jan.token, expect: 201
    })
    await api(env.base, 'POST', `/api/meetings/${m.id}/checks/1/answers`, {
      body: { answer: 'block', reason: 'Weto-jawne-17' }, token: anna.token, expect: 201
    })
    const checks = room.doc.getMap('checks')
    await waitUntil(() => checks.get('1')?.answered === 2, { timeout: T, message: 'two answers counted' })
    const hidden = JSON.stringify(room.doc.toJSON())
    assert.ok(!hidden.includes('Sprzeciw-ukryty-42'), 'a hidden disagreement is in the meeting room')
    assert.ok(!hidden.includes('"answer":"disagree"'), 'a hidden answer is in the meeting room')
    assert.ok(hidden.includes('Weto-jawne-17'), 'the block stays named')
    assert.equal(checks.get('1').answers, null)
    assert.equal(checks.get('1').tally, null)

    await api(env.base, 'POST', `/api/meetings/${m.id}/checks/1/close`, { token: m.moderator_token })
    await waitUntil(() => checks.get('1')?.tally?.disagree === 1, { timeout: T, message: 'the tally once closed' })
    assert.deepEqual(checks.get('1').tally, { agree: 0, abstain: 0, disagree: 1, block: 1 })
    assert.equal(checks.get('1').answers.length, 2)
  })
})
