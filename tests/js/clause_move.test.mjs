// Interop: moving a clause (POST .../clauses/{id}/move {"to"}) with the stock
// JavaScript client (yjs + y-websocket 3.x over `ws`) against the real
// Draftroom server binary. Stock clients see the new order and the same
// text; an editor who typed into the clause offline, before the move, has
// its words carried into the moved clause when it reconnects.
//
// Run: cd tests/js && npm install && npm test
// (needs target/debug/draftroom, or DRAFTROOM_BIN=/path/to/draftroom).

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  allTexts,
  api,
  createMeeting,
  grantEditor,
  insertClause,
  join,
  serverPerFile,
  waitUntil
} from './server.mjs'

const T = 15000

const FIRST = 'Kraków jest miastem otwartym 👍🏽'
const SECOND = 'Wspólnota, różnorodność i pamięć 🏰'
const THIRD = 'Zieleń dla wszystkich 🌳'

const env = serverPerFile()
const { client } = env

const ids = (doc) => doc.getArray('clauses').toArray().map((c) => c.get('id'))

/** Wait until `doc` has the clauses `order` reading `texts`. */
async function waitOrder (doc, order, texts, who) {
  await waitUntil(
    () => JSON.stringify(ids(doc)) === JSON.stringify(order) && JSON.stringify(allTexts(doc)) === JSON.stringify(texts),
    { timeout: T, message: `${who} to see ${JSON.stringify(texts)} (has ${JSON.stringify(allTexts(doc))})` }
  )
}

describe('moving a clause', () => {
  test('stock clients see the new order, and offline typing in the old clause is carried over', async () => {
    const meeting = await createMeeting(env.base, 'Misja Miasta Krakowa', 'Małgorzata Żółkiewska')
    const editor = await join(env.base, meeting.id, meeting.participant_invite, 'Grzegorz Łęcki')
    await grantEditor(env.base, meeting.id, meeting.moderator_token, editor.user_id)
    const observer = await join(env.base, meeting.id, meeting.observer_invite, 'Zofia Ślusarczyk')

    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const ed = await client(meeting.id, 'draft', editor.token)
    const obs = await client(meeting.id, 'draft', observer.token)
    const c = [FIRST, SECOND, THIRD].map((text) => insertClause(mod.doc, text))
    await waitOrder(ed.doc, c, [FIRST, SECOND, THIRD], 'the editor')
    // The editor writes into the first clause, online.
    ed.doc.getArray('clauses').get(0).get('text').insert(FIRST.length, ' i żywym')
    const first = FIRST + ' i żywym'
    await waitOrder(obs.doc, c, [first, SECOND, THIRD], 'the observer')
    const authorsOf = (id) => api(env.base, 'GET', `/api/meetings/${meeting.id}/clauses/${id}/authors`, { token: observer.token })
    const before = await authorsOf(c[0])

    // Down, then the editor goes offline and types into the clause as it
    // has it; meanwhile the moderator moves it up again.
    const down = [c[1], c[2], c[0]]
    assert.deepEqual(
      await api(env.base, 'POST', `/api/meetings/${meeting.id}/clauses/${c[0]}/move`, { body: { to: 2 }, token: editor.token }),
      { clauses: down }
    )
    for (const [who, x] of [['moderator', mod], ['editor', ed], ['observer', obs]]) {
      await waitOrder(x.doc, down, [SECOND, THIRD, first], `the ${who}`)
    }
    assert.deepEqual(await authorsOf(c[0]), before, 'the spans after moving down')

    ed.provider.disconnect()
    const old = ed.doc.getArray('clauses').get(2).get('text')
    old.insert(0, '🌟 ')
    old.delete('🌟 Kraków '.length, 'jest '.length)
    const up = [c[0], c[1], c[2]]
    assert.deepEqual(
      await api(env.base, 'POST', `/api/meetings/${meeting.id}/clauses/${c[0]}/move`, { body: { to: 0 }, token: meeting.moderator_token }),
      { clauses: up }
    )
    await waitOrder(obs.doc, up, [first, SECOND, THIRD], 'the observer')
    ed.provider.connect()

    const carried = '🌟 Kraków miastem otwartym 👍🏽 i żywym'
    for (const [who, x] of [['moderator', mod], ['editor', ed], ['observer', obs]]) {
      await waitOrder(x.doc, up, [carried, SECOND, THIRD], `the ${who}`)
    }
    const after = await authorsOf(c[0])
    assert.equal(after.text, carried)
    assert.deepEqual(
      after.spans.map((s) => [s.user_id, s.text]),
      [
        [editor.user_id, '🌟 '],
        [before.spans[0].user_id, 'Kraków miastem otwartym 👍🏽'],
        [editor.user_id, ' i żywym']
      ]
    )
    const history = await api(env.base, 'GET', `/api/meetings/${meeting.id}/clauses/${c[0]}/history`, { token: observer.token })
    assert.deepEqual(
      history.filter((e) => e.moved).map((e) => [e.user_id, e.moved]),
      [[editor.user_id, { from: 0, to: 2 }], [before.spans[0].user_id, { from: 2, to: 0 }]]
    )
    for (const x of [mod, ed, obs]) assert.deepEqual(x.authFrames, [])
  })
})
