// Interop: the stock JavaScript client (yjs + y-websocket 3.x over `ws`)
// against the real Draftroom server binary. See DESIGN.md, "External interface".
//
// Run: cd tests/js && npm install && npm test
// (needs target/debug/draftroom, or DRAFTROOM_BIN=/path/to/draftroom).

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  Y,
  WebsocketProvider,
  WebSocket,
  allTexts,
  captureWarnings,
  clauseText,
  connect,
  createMeeting,
  findClause,
  grantEditor,
  insertClause,
  join,
  rawClose,
  serverPerFile,
  sleep,
  stateVector,
  waitUntil
} from './server.mjs'

// People of a Kraków mission workshop (the seed report names none, so these
// are made up, but they are written the way the room would write them).
const MODERATOR = 'Małgorzata Żółkiewska'
const EDITOR = 'Grzegorz Łęcki'
const PARTICIPANT = 'Jędrzej Kuźniar'
const OBSERVER = 'Zofia Ślusarczyk'
const LATECOMER = 'Błażej Śliwiński'

// Wording from the workshop's agreed mission (seed/krakow-mission-workshop-2013.txt).
const MISSION_1 = 'Misją samorządu Miasta Krakowa jest tworzenie wielowymiarowej przestrzeni publicznej w skali metropolitalnej dla partnerskiego współdziałania mieszkańców i podmiotów z różnych sektorów.'
const MISSION_2 = 'Samorząd inicjuje współpracę, buduje zaufanie i tworzy warunki dla wysokiej jakości życia poprzez rozwój nowoczesnej gospodarki, kultury i kształtowanie środowiska.'
const MISSION_3 = 'Podstawą tej współpracy jest współodpowiedzialność i współuczestnictwo świadomych i aktywnych obywateli w procesie zrównoważonego rozwoju miasta.'

const T = 10000 // generous timeout for anything that should arrive
const QUIET = 500 // window in which something must NOT arrive

const env = serverPerFile()
const { client, closeAll } = env

/** A meeting with a participant the moderator made an editor. */
async function meetingWithEditor (title = 'Misja Miasta Krakowa') {
  const meeting = await createMeeting(env.base, title, MODERATOR)
  const editor = await join(env.base, meeting.id, meeting.participant_invite, EDITOR)
  assert.equal(editor.role, 'participant')
  await grantEditor(env.base, meeting.id, meeting.moderator_token, editor.user_id)
  return { meeting, editor }
}


describe('draft room: live co-editing with the stock client', () => {
  test('edits flow both ways with Polish letters and emoji, at UTF-16 offsets', async () => {
    const { meeting, editor } = await meetingWithEditor()
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const ed = await client(meeting.id, 'draft', editor.token)

    // Moderator -> editor.
    const first = 'Kraków 🏛️ — miasto współodpowiedzialności'
    const id = insertClause(mod.doc, first)
    await waitUntil(() => findClause(ed.doc, id), { timeout: T, message: 'the editor to see the moderator\'s clause' })
    const edClause = findClause(ed.doc, id)
    assert.equal(edClause.get('id'), id)
    assert.ok(edClause.get('text') instanceof Y.Text, 'clause text is a Y.Text on the receiving side')
    assert.equal(clauseText(edClause), first)

    // Editor -> moderator: insert right after the emoji, at a UTF-16 offset
    // (🏛️ is U+1F3DB U+FE0F: three UTF-16 code units).
    const afterEmoji = 'Kraków 🏛️'.length
    assert.equal(afterEmoji, 10)
    const inserted = ' i zaufania 🤝 żółć'
    edClause.get('text').insert(afterEmoji, inserted)
    const second = first.slice(0, afterEmoji) + inserted + first.slice(afterEmoji)
    assert.equal(second, 'Kraków 🏛️ i zaufania 🤝 żółć — miasto współodpowiedzialności')
    assert.equal(clauseText(edClause), second)
    await waitUntil(() => clauseText(findClause(mod.doc, id)) === second, {
      timeout: T,
      message: `the moderator to see the editor's insert (has ${JSON.stringify(clauseText(findClause(mod.doc, id)))})`
    })
    assert.equal(clauseText(findClause(mod.doc, id)), second)

    // Moderator deletes a span of Polish letters and appends an emoji; the
    // editor sees exactly that.
    const modText = findClause(mod.doc, id).get('text')
    const cut = second.indexOf(' żółć')
    modText.delete(cut, ' żółć'.length)
    modText.insert(modText.length, ' 🇵🇱 ąćęłńóśźż')
    const third = 'Kraków 🏛️ i zaufania 🤝 — miasto współodpowiedzialności 🇵🇱 ąćęłńóśźż'
    assert.equal(modText.toString(), third)
    await waitUntil(() => clauseText(findClause(ed.doc, id)) === third, {
      timeout: T,
      message: `the editor to see the moderator's delete and append (has ${JSON.stringify(clauseText(findClause(ed.doc, id)))})`
    })

    // A clause created by the editor reaches the moderator, in order.
    const id2 = insertClause(ed.doc, MISSION_2)
    await waitUntil(() => findClause(mod.doc, id2), { timeout: T, message: 'the moderator to see the editor\'s clause' })
    assert.deepEqual(allTexts(mod.doc), [third, MISSION_2])
    assert.deepEqual(mod.doc.getArray('clauses').toArray().map((c) => c.get('id')), [id, id2])

    // Concurrent typing at the same spot converges to one identical string
    // that holds both inserts.
    findClause(mod.doc, id2).get('text').insert(0, 'Ł🙂 ')
    findClause(ed.doc, id2).get('text').insert(0, 'Ś🎉 ')
    await waitUntil(() => {
      const a = clauseText(findClause(mod.doc, id2))
      const b = clauseText(findClause(ed.doc, id2))
      return a === b && a.includes('Ł🙂 ') && a.includes('Ś🎉 ')
    }, { timeout: T, message: 'concurrent inserts to converge' })
    const merged = clauseText(findClause(mod.doc, id2))
    assert.ok(merged === 'Ł🙂 Ś🎉 ' + MISSION_2 || merged === 'Ś🎉 Ł🙂 ' + MISSION_2, merged)
    assert.ok(merged.isWellFormed(), 'no split surrogate pairs')
    assert.deepEqual(mod.doc.getArray('clauses').toJSON(), ed.doc.getArray('clauses').toJSON())
  })

  test('a late joiner gets the full identical state, also after everyone left', async () => {
    const { meeting, editor } = await meetingWithEditor()
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const ed = await client(meeting.id, 'draft', editor.token)

    const a = insertClause(mod.doc, MISSION_1)
    const b = insertClause(mod.doc, 'Klauzula do usunięcia — źdźbło 🌾')
    await waitUntil(() => findClause(ed.doc, a) && findClause(ed.doc, b), { timeout: T, message: 'editor sees both clauses' })
    const c = insertClause(ed.doc, MISSION_3)
    findClause(ed.doc, a).get('text').insert(0, '🏰 ')
    const modA = findClause(mod.doc, a).get('text')
    await waitUntil(() => findClause(mod.doc, c) && modA.toString().startsWith('🏰 '), { timeout: T, message: 'moderator sees the editor\'s edits' })
    // Deletions travel in the delete set: remove a whole clause and a word.
    mod.doc.getArray('clauses').delete(1, 1)
    const word = ' wielowymiarowej'
    modA.delete(modA.toString().indexOf(word), word.length)
    const expectedTexts = ['🏰 ' + MISSION_1.replace(word, ''), MISSION_3]
    assert.deepEqual(allTexts(mod.doc), expectedTexts)
    await waitUntil(() => JSON.stringify(allTexts(ed.doc)) === JSON.stringify(expectedTexts), { timeout: T, message: 'editor sees the deletions' })

    // An observer joins late, while the others are still connected.
    const observer = await join(env.base, meeting.id, meeting.observer_invite, OBSERVER)
    assert.equal(observer.role, 'observer')
    const obs = await client(meeting.id, 'draft', observer.token)
    assert.deepEqual(allTexts(obs.doc), expectedTexts)
    assert.deepEqual(obs.doc.getArray('clauses').toJSON(), mod.doc.getArray('clauses').toJSON())
    assert.deepEqual(obs.doc.getArray('clauses').toArray().map((x) => x.get('id')), [a, c])
    assert.ok(findClause(obs.doc, b) === undefined, 'the deleted clause stays deleted')
    assert.deepEqual(stateVector(obs.doc), stateVector(mod.doc))

    // Everyone leaves; a participant who comes later still gets it all.
    const modVector = stateVector(mod.doc)
    const modJson = mod.doc.getArray('clauses').toJSON()
    closeAll()
    await sleep(300)
    const late = await join(env.base, meeting.id, meeting.participant_invite, LATECOMER)
    const lat = await client(meeting.id, 'draft', late.token)
    assert.deepEqual(allTexts(lat.doc), expectedTexts)
    assert.deepEqual(lat.doc.getArray('clauses').toJSON(), modJson)
    assert.deepEqual(stateVector(lat.doc), modVector)
  })
})

describe('draft room: read-only roles are refused', () => {
  /**
   * `who` (observer or plain participant) edits the draft locally; the server
   * must answer with permission denied and neither apply nor relay the edit.
   */
  async function refusedWrite (invite, name, expectedRole) {
    const { meeting, editor } = await meetingWithEditor()
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const ed = await client(meeting.id, 'draft', editor.token)
    const id = insertClause(mod.doc, MISSION_2)

    const member = await join(env.base, meeting.id, meeting[invite], name)
    assert.equal(member.role, expectedRole)
    const ro = await client(meeting.id, 'draft', member.token)
    await waitUntil(() => findClause(ro.doc, id), { timeout: T, message: `the ${expectedRole} to see the clause` })
    await waitUntil(() => findClause(ed.doc, id), { timeout: T, message: 'the editor to see the clause' })

    // Merely syncing is no write: after a full round trip the read-only
    // client has been told nothing about permissions.
    findClause(mod.doc, id).get('text').insert(0, '§1. ')
    await waitUntil(() => clauseText(findClause(ro.doc, id)).startsWith('§1. '), { timeout: T, message: `the ${expectedRole} to see a live edit` })
    assert.deepEqual(ro.authFrames, [], `a ${expectedRole} that only reads got auth messages`)

    const warn = captureWarnings()
    try {
      const forbidden = ` [wpis: ${name} — nieuprawniony ✋]`
      const roText = findClause(ro.doc, id).get('text')
      roText.insert(roText.length, forbidden)
      assert.ok(clauseText(findClause(ro.doc, id)).includes(forbidden), 'the local edit exists locally')

      // The server answers with the y-protocols auth message: permission denied + reason.
      await waitUntil(() => ro.authFrames.length > 0, { timeout: T, message: `a permission-denied auth message to the ${expectedRole}` })
      const denied = ro.authFrames[0]
      assert.equal(denied.type, 2, 'auth message type')
      assert.equal(denied.authType, 0, 'permission denied')
      assert.equal(typeof denied.reason, 'string')
      assert.ok(denied.reason.length > 0, 'a reason is given')
      // A stable code, then the English sentence: what a web app translates.
      assert.match(denied.reason, /^role: \S/, 'the reason starts with its code')
      assert.deepEqual(ro.decodeErrors, [])
      // The stock client parsed it and called its permissionDeniedHandler.
      await waitUntil(() => warn.warnings.some((w) => w.includes('Permission denied') && w.includes(denied.reason)), {
        timeout: T,
        message: `y-websocket's permissionDeniedHandler warning (got ${JSON.stringify(warn.warnings)})`
      })

      // A later moderator edit makes the round trip to the editor...
      findClause(mod.doc, id).get('text').insert(0, '✔ ')
      await waitUntil(() => clauseText(findClause(ed.doc, id)).startsWith('✔ §1. '), { timeout: T, message: 'the editor to see the moderator\'s later edit' })
      // ...and nothing of the refused edit shows up anywhere, even after a while.
      await sleep(QUIET)
      const expected = '✔ §1. ' + MISSION_2
      assert.equal(clauseText(findClause(mod.doc, id)), expected)
      assert.equal(clauseText(findClause(ed.doc, id)), expected)
      assert.ok(!stateVector(mod.doc).has(ro.doc.clientID), `the moderator holds items of the ${expectedRole}'s client`)
      assert.ok(!stateVector(ed.doc).has(ro.doc.clientID), `the editor holds items of the ${expectedRole}'s client`)

      // A fresh client gets the server's state: without the refused edit.
      const fresh = await client(meeting.id, 'draft', meeting.moderator_token)
      assert.deepEqual(allTexts(fresh.doc), [expected])
      assert.ok(!stateVector(fresh.doc).has(ro.doc.clientID), `the server holds items of the ${expectedRole}'s client`)

      // The stock client reconnects and, answering the server's sync step 1,
      // sends the refused items again in its sync step 2: refused again.
      const deniedBefore = ro.authFrames.length
      ro.provider.disconnect()
      ro.provider.connect()
      await waitUntil(() => ro.provider.synced, { timeout: T, message: `the ${expectedRole} to resync after reconnecting` })
      await waitUntil(() => ro.authFrames.length > deniedBefore, {
        timeout: T,
        message: `permission denied for the refused items resent in sync step 2 by the reconnected ${expectedRole}`
      })
      findClause(mod.doc, id).get('text').insert(0, '✔✔ ')
      await waitUntil(() => clauseText(findClause(ed.doc, id)).startsWith('✔✔ '), { timeout: T, message: 'the editor to see another moderator edit' })
      await sleep(QUIET)
      assert.equal(clauseText(findClause(mod.doc, id)), '✔✔ ' + expected)
      const fresh2 = await client(meeting.id, 'draft', editor.token)
      assert.deepEqual(allTexts(fresh2.doc), ['✔✔ ' + expected])
      assert.ok(!stateVector(fresh2.doc).has(ro.doc.clientID), `after a reconnect the server holds items of the ${expectedRole}'s client`)
    } finally {
      warn.restore()
    }
  }

  test('an observer\'s edit is not applied nor relayed, and is answered with permission denied', async () => {
    await refusedWrite('observer_invite', OBSERVER, 'observer')
  })

  test('a participant (not editor) writing the draft is refused the same way', async () => {
    await refusedWrite('participant_invite', PARTICIPANT, 'participant')
  })

  test('editor rights granted during a live connection apply on that connection', async () => {
    const meeting = await createMeeting(env.base, 'Misja Miasta Krakowa', MODERATOR)
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const id = insertClause(mod.doc, MISSION_1)
    const p = await join(env.base, meeting.id, meeting.participant_invite, EDITOR)
    const pc = await client(meeting.id, 'draft', p.token)
    await waitUntil(() => findClause(pc.doc, id), { timeout: T, message: 'the participant to see the clause' })

    await grantEditor(env.base, meeting.id, meeting.moderator_token, p.user_id)
    const text = findClause(pc.doc, id).get('text')
    text.insert(text.length, ' — poprawka Grzegorza ✍️')
    await waitUntil(() => clauseText(findClause(mod.doc, id)) === MISSION_1 + ' — poprawka Grzegorza ✍️', {
      timeout: T,
      message: `the moderator to see the new editor's edit (auth frames to editor: ${JSON.stringify(pc.authFrames.map((f) => f.reason))})`
    })
    assert.deepEqual(pc.authFrames, [])
  })
})

describe('meeting room: server-written state', () => {
  test('title, the people in the room with roles (live editor grant), observers as a count, client IDs bound to users; read-only for all', async () => {
    const title = 'Misja Miasta Krakowa — wersja robocza'
    const meeting = await createMeeting(env.base, title, MODERATOR)
    const participant = await join(env.base, meeting.id, meeting.participant_invite, EDITOR)
    const observer = await join(env.base, meeting.id, meeting.observer_invite, OBSERVER)
    assert.equal(participant.role, 'participant')
    assert.equal(observer.role, 'observer')
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
    assert.match(participant.user_id, uuid)
    assert.match(observer.user_id, uuid)
    assert.notEqual(participant.user_id, observer.user_id)

    const room = await client(meeting.id, 'meeting', observer.token)
    const meetingMap = room.doc.getMap('meeting')
    const participants = room.doc.getMap('participants')
    const clientsMap = room.doc.getMap('clients')

    await waitUntil(() => meetingMap.get('title') === title, {
      timeout: T,
      message: `meeting.title === ${JSON.stringify(title)} (has ${JSON.stringify(meetingMap.toJSON())})`
    })
    await waitUntil(() => participants.has(participant.user_id) &&
      [...participants.values()].some((v) => v?.role === 'moderator'), {
      timeout: T,
      message: `participants to list the moderator and the participant (has ${JSON.stringify(participants.toJSON())})`
    })
    // The observer (connected to this very room) is a count, not a listing.
    await waitUntil(() => meetingMap.get('observers') === 1, {
      timeout: T,
      message: `meeting.observers === 1 (has ${JSON.stringify(meetingMap.toJSON())})`
    })
    assert.equal(participants.size, 2, JSON.stringify(participants.toJSON()))
    assert.ok(!participants.has(observer.user_id), 'the observer is listed by name')

    const moderatorEntries = [...participants.entries()].filter(([, v]) => v?.role === 'moderator')
    assert.equal(moderatorEntries.length, 1)
    const [moderatorId, moderatorEntry] = moderatorEntries[0]
    const expected = [
      [moderatorId, moderatorEntry, MODERATOR, 'moderator'],
      [participant.user_id, participants.get(participant.user_id), EDITOR, 'participant']
    ]
    for (const [uid, entry, name, role] of expected) {
      assert.ok(!(entry instanceof Y.AbstractType), `participants[${uid}] is a plain object, not a shared type`)
      assert.equal(typeof entry, 'object')
      assert.equal(entry.name, name, `participants[${uid}].name`)
      assert.equal(entry.role, role, `participants[${uid}].role`)
      assert.equal(typeof entry.colour, 'string', `participants[${uid}].colour`)
      assert.ok(entry.colour.length > 0, `participants[${uid}].colour is not empty`)
    }

    // Granting editor rights shows live, on the open connection.
    let roleUpdates = 0
    participants.observe((e) => { if (e.keysChanged.has(participant.user_id)) roleUpdates++ })
    await grantEditor(env.base, meeting.id, meeting.moderator_token, participant.user_id)
    await waitUntil(() => participants.get(participant.user_id)?.role === 'editor', {
      timeout: T,
      message: `the participant's role to become editor (has ${JSON.stringify(participants.get(participant.user_id))})`
    })
    assert.ok(roleUpdates >= 1)
    assert.equal(participants.get(participant.user_id).name, EDITOR)
    assert.deepEqual(room.closes, [], 'the meeting room connection stayed open')

    // Client IDs: the editor's first draft edit binds its Yjs client ID to it.
    const ed = await client(meeting.id, 'draft', participant.token)
    const id = insertClause(ed.doc, MISSION_1)
    await waitUntil(() => clientsMap.get(String(ed.doc.clientID)) === participant.user_id, {
      timeout: T,
      message: `clients[${ed.doc.clientID}] === editor's user_id (has ${JSON.stringify(clientsMap.toJSON())})`
    })
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    await waitUntil(() => findClause(mod.doc, id), { timeout: T, message: 'the moderator to see the editor\'s clause' })
    findClause(mod.doc, id).get('text').insert(0, '1. ')
    await waitUntil(() => clientsMap.get(String(mod.doc.clientID)) === moderatorId, {
      timeout: T,
      message: `clients[${mod.doc.clientID}] === moderator's user_id (has ${JSON.stringify(clientsMap.toJSON())})`
    })
    assert.equal(clientsMap.get(String(ed.doc.clientID)), participant.user_id)

    // Nobody writes the meeting room, not even the moderator.
    const modRoom = await client(meeting.id, 'meeting', meeting.moderator_token)
    assert.equal(modRoom.doc.getMap('meeting').get('title'), title)
    const warn = captureWarnings()
    try {
      modRoom.doc.getMap('meeting').set('title', 'Tytuł podmieniony')
      modRoom.doc.getMap('participants').set(observer.user_id, { name: OBSERVER, role: 'moderator', colour: '#000000' })
      await waitUntil(() => modRoom.authFrames.length > 0, { timeout: T, message: 'permission denied for the moderator writing the meeting room' })
      assert.equal(modRoom.authFrames[0].authType, 0)
      assert.match(modRoom.authFrames[0].reason, /^server_only: \S/, 'the reason starts with its code')
    } finally {
      warn.restore()
    }
    await sleep(QUIET)
    assert.equal(meetingMap.get('title'), title)
    assert.ok(!participants.has(observer.user_id), 'a forged listing reached the room')
    const fresh = await client(meeting.id, 'meeting', participant.token)
    assert.equal(fresh.doc.getMap('meeting').get('title'), title)
    assert.ok(!fresh.doc.getMap('participants').has(observer.user_id))
    assert.ok(!stateVector(fresh.doc).has(modRoom.doc.clientID), 'the server kept items the moderator wrote to the meeting room')
  })
})

describe('authentication', () => {
  test('a bad or missing token closes the socket with 4401 and leaks nothing', async () => {
    const meeting = await createMeeting(env.base, 'Misja Miasta Krakowa', MODERATOR)
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    insertClause(mod.doc, MISSION_1)
    await sleep(100)
    const other = await createMeeting(env.base, 'Inne spotkanie', LATECOMER)

    const wsBase = env.wsUrl + '/ws/' + meeting.id
    const cases = [
      ['token=nope', `${wsBase}/draft?token=nope`],
      ['no token', `${wsBase}/draft`],
      ['another meeting\'s token', `${wsBase}/draft?token=${encodeURIComponent(other.moderator_token)}`],
      ['token=nope on the meeting room', `${wsBase}/meeting?token=nope`]
    ]
    for (const [label, url] of cases) {
      const r = await rawClose(url)
      assert.equal(r.httpStatus, undefined, `${label}: the upgrade was refused with HTTP ${r.httpStatus} instead of a 4401 close`)
      assert.equal(r.code, 4401, `${label}: close code`)
      assert.equal(r.reason, 'invalid token', `${label}: close reason`)
      const leaked = r.frames.filter((f) => new Uint8Array(f)[0] === 0)
      assert.deepEqual(leaked, [], `${label}: sync messages sent before closing`)
    }

    // The stock provider sees 4401 as final: it emits `closed` and stops.
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(env.wsUrl + '/ws/' + meeting.id, 'draft', doc, {
      params: { token: 'nope' },
      WebSocketPolyfill: WebSocket,
      disableBc: true
    })
    env.adopt({ provider, doc })
    const closed = []
    provider.on('closed', (e) => closed.push(e.code))
    await waitUntil(() => closed.length > 0, { timeout: T, message: 'the stock provider to report closed' })
    assert.deepEqual(closed, [4401])
    assert.equal(provider.synced, false)
    assert.equal(doc.getArray('clauses').length, 0, 'nothing of the draft reached a bad token')
  })
})
