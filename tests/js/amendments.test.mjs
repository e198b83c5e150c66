// Interop: amendments, attribution and freeze, with the stock JavaScript
// client (yjs + y-websocket 3.x over `ws`) against the real Draftroom server
// binary. The contract: DESIGN.md ("Draftroom — design") and the amendments /
// attribution / freeze API (POST .../amendments, .../support, .../accept,
// .../freeze, .../reopen; GET .../clauses/{id}/authors and /history).
//
// Run: cd tests/js && npm install && npm test
// (needs target/debug/draftroom, or DRAFTROOM_BIN=/path/to/draftroom).

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  Y,
  allTexts,
  api,
  apiRaw,
  assertError,
  captureWarnings,
  clauseText,
  connect,
  createMeeting,
  findClause,
  grantEditor,
  insertClause,
  join,
  sha256Hex,
  serverPerFile,
  sleep,
  stateVector,
  waitUntil
} from './server.mjs'

// People of a Kraków mission workshop (made up).
const MODERATOR = 'Małgorzata Żółkiewska'
const EDITOR = 'Grzegorz Łęcki'
const PARTICIPANT = 'Jędrzej Kuźniar'
const SUPPORTER = 'Łucja Źrebiec'
const OBSERVER = 'Zofia Ślusarczyk'

// The clause the moderator writes and the wording a participant proposes.
const PREFIX = 'Kraków jest miastem '
const CLAUSE = PREFIX + 'otwartym'
const APPENDED = ' i współodpowiedzialnym 🤝'
const AMENDED = PREFIX + 'gościnnym' + APPENDED

const T = 15000 // generous timeout for anything that should arrive
const QUIET = 700 // window in which something must NOT arrive

const env = serverPerFile()
const { client, drop } = env


/**
 * Connect to the `meeting` room as `token` and return `{ room, moderatorId }`
 * (the moderator's user id, read from root map `participants`).
 */
async function meetingRoom (meetingId, token) {
  const room = await client(meetingId, 'meeting', token)
  const participants = room.doc.getMap('participants')
  const moderatorId = await waitUntil(
    () => [...participants.entries()].find(([, v]) => v?.role === 'moderator')?.[0],
    { timeout: T, message: `the moderator in meeting.participants (has ${JSON.stringify(participants.toJSON())})` }
  )
  return { room, moderatorId }
}

/** Wait until `doc`'s clause `id` reads exactly `text`. */
async function waitClause (doc, id, text, who) {
  await waitUntil(() => findClause(doc, id) && clauseText(findClause(doc, id)) === text, {
    timeout: T,
    message: `${who} to see clause ${JSON.stringify(text)} (has ${JSON.stringify(findClause(doc, id) && clauseText(findClause(doc, id)))})`
  })
}

/** Wait until a Y.Text reads exactly `text`. */
async function waitText (ytext, text, who) {
  await waitUntil(() => ytext.toString() === text, {
    timeout: T,
    message: `${who} to read ${JSON.stringify(text)} (has ${JSON.stringify(ytext.toString())})`
  })
}

/**
 * Check the shape of GET .../clauses/{id}/authors against `text` and return
 * the owner (user id) of every UTF-16 unit of it.
 */
function ownersFromAuthors (authors, clauseId, text) {
  assert.equal(authors?.clause_id, clauseId, `authors.clause_id (${JSON.stringify(authors)})`)
  assert.equal(authors.text, text, 'authors.text is the clause\'s current text')
  assert.ok(Array.isArray(authors.spans), 'authors.spans is an array')
  let pos = 0
  authors.spans.forEach((s, i) => {
    const where = `span ${i} ${JSON.stringify(s)}`
    for (const key of ['user_id', 'name', 'colour', 'text']) {
      assert.equal(typeof s[key], 'string', `${where}: ${key} is a string`)
    }
    assert.ok(s.colour.length > 0, `${where}: colour is not empty`)
    assert.equal(s.start, pos, `${where}: spans are contiguous from 0`)
    assert.ok(Number.isInteger(s.length) && s.length > 0, `${where}: length is a positive integer`)
    assert.equal(s.text, text.slice(s.start, s.start + s.length), `${where}: text is the slice [start, start+length) in UTF-16 units`)
    if (i > 0) assert.notEqual(s.user_id, authors.spans[i - 1].user_id, `${where}: adjacent spans of one user are merged`)
    pos += s.length
  })
  assert.equal(pos, text.length, 'the spans cover the whole text')
  return authors.spans.flatMap((s) => Array(s.length).fill(s.user_id))
}

// ------------------------------------------------------------------ tests

describe('amendments: typed live, accepted into the draft', () => {
  test('a participant\'s amendment is watched live, accepted for everyone, and attributed per character', async () => {
    const meeting = await createMeeting(env.base, 'Misja Miasta Krakowa', MODERATOR)
    const editor = await join(env.base, meeting.id, meeting.participant_invite, EDITOR)
    await grantEditor(env.base, meeting.id, meeting.moderator_token, editor.user_id)
    const participant = await join(env.base, meeting.id, meeting.participant_invite, PARTICIPANT)
    const observer = await join(env.base, meeting.id, meeting.observer_invite, OBSERVER)
    assert.equal(participant.role, 'participant')
    assert.equal(observer.role, 'observer')
    const { moderatorId } = await meetingRoom(meeting.id, observer.token)

    // The moderator drafts the clause; everyone on `draft` sees it.
    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const ed = await client(meeting.id, 'draft', editor.token)
    const obs = await client(meeting.id, 'draft', observer.token)
    const clauseId = insertClause(mod.doc, CLAUSE)
    await waitClause(ed.doc, clauseId, CLAUSE, 'the editor')
    await waitClause(obs.doc, clauseId, CLAUSE, 'the observer')

    // The participant opens an amendment on it.
    const opened = await api(env.base, 'POST', `/api/meetings/${meeting.id}/amendments`, {
      body: { clause_id: clauseId },
      token: participant.token,
      expect: 201
    })
    assert.equal(typeof opened?.id, 'string', `amendment id (${JSON.stringify(opened)})`)
    assert.ok(opened.id.length > 0)
    const aid = opened.id
    assert.equal(opened.room, `amendment/${aid}`)
    assert.equal(opened.clause_id, clauseId)
    assert.equal(opened.text, CLAUSE, 'the amendment starts with the clause\'s current text')

    // Author and observer connect to the amendment room; it starts with the clause.
    const author = await client(meeting.id, opened.room, participant.token)
    const watcher = await client(meeting.id, opened.room, observer.token)
    const authorText = author.doc.getText('text')
    const watcherText = watcher.doc.getText('text')
    await waitText(authorText, CLAUSE, 'the author in the amendment room')
    await waitText(watcherText, CLAUSE, 'the observer in the amendment room')

    // The author types; the observer sees every step live.
    let expected = CLAUSE
    for (const word of [' i', ' współodpowiedzialnym', ' 🤝']) {
      authorText.insert(authorText.length, word)
      expected += word
      assert.equal(authorText.toString(), expected)
      await waitText(watcherText, expected, `the observer to see "${word}" typed live`)
    }
    assert.equal(expected, CLAUSE + APPENDED)
    // Replace 'otwartym' with 'gościnnym' (one selection replaced).
    const at = expected.indexOf('otwartym')
    author.doc.transact(() => {
      authorText.delete(at, 'otwartym'.length)
      authorText.insert(at, 'gościnnym')
    })
    assert.equal(authorText.toString(), AMENDED)
    await waitText(watcherText, AMENDED, 'the observer to see "otwartym" replaced by "gościnnym"')
    assert.deepEqual(author.authFrames.map((f) => f.reason), [], 'the author writing their own open amendment got auth messages')
    assert.deepEqual(author.decodeErrors, [])
    // The draft is untouched while the amendment is open.
    assert.equal(clauseText(findClause(obs.doc, clauseId)), CLAUSE)

    // The REST listing shows it open, with its current text.
    await waitUntil(async () => {
      const list = await api(env.base, 'GET', `/api/meetings/${meeting.id}/amendments`, { token: observer.token })
      const a = list.find((x) => x.id === aid)
      return a && a.status === 'open' && a.text === AMENDED && a.author_id === participant.user_id && a.author_name === PARTICIPANT
    }, { timeout: T, message: 'GET .../amendments to list it open, by the participant, with the typed text' })

    // The moderator accepts it.
    const accepted = await api(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/accept`, {
      token: meeting.moderator_token,
      expect: 200
    })
    assert.deepEqual(
      { id: accepted?.id, status: accepted?.status, clause_id: accepted?.clause_id, text: accepted?.text },
      { id: aid, status: 'accepted', clause_id: clauseId, text: AMENDED }
    )

    // Everyone on `draft` sees the clause become exactly the amendment's text.
    await waitClause(mod.doc, clauseId, AMENDED, 'the moderator')
    await waitClause(ed.doc, clauseId, AMENDED, 'the editor')
    await waitClause(obs.doc, clauseId, AMENDED, 'the observer')
    for (const [who, c] of [['moderator', mod], ['editor', ed], ['observer', obs]]) {
      assert.deepEqual(allTexts(c.doc), [AMENDED], `${who}: the draft is the one amended clause`)
      assert.deepEqual(c.doc.getArray('clauses').toArray().map((x) => x.get('id')), [clauseId], `${who}: same clause id`)
      assert.deepEqual(c.authFrames, [], `${who} got auth messages`)
    }
    assert.deepEqual(stateVector(obs.doc), stateVector(mod.doc))
    // A fresh client gets the same from the server.
    const fresh = await client(meeting.id, 'draft', editor.token)
    assert.deepEqual(allTexts(fresh.doc), [AMENDED])

    // Attribution: 'Kraków jest miastem ' stays the moderator's; the words
    // the amendment changed are the participant's, whole words (a changed
    // word is replaced, not patched letter by letter).
    const authors = await api(env.base, 'GET', `/api/meetings/${meeting.id}/clauses/${clauseId}/authors`, { token: observer.token })
    const owners = ownersFromAuthors(authors, clauseId, AMENDED)
    const spansJson = JSON.stringify(authors.spans)
    for (const s of authors.spans) {
      if (s.user_id === moderatorId) assert.equal(s.name, MODERATOR, `moderator span name (${spansJson})`)
      else if (s.user_id === participant.user_id) assert.equal(s.name, PARTICIPANT, `participant span name (${spansJson})`)
      else assert.fail(`a span by someone who is neither the moderator nor the participant: ${JSON.stringify(s)}`)
    }
    for (let i = 0; i < PREFIX.length; i++) {
      assert.equal(owners[i], moderatorId, `${JSON.stringify(AMENDED[i])} at ${i} of the unchanged prefix is the moderator's (${spansJson})`)
    }
    for (let i = PREFIX.length; i < AMENDED.length; i++) {
      assert.equal(owners[i], participant.user_id, `${JSON.stringify(AMENDED[i])} at ${i}, in the changed words, is the participant's (${spansJson})`)
    }
    const emojiAt = AMENDED.indexOf('🤝')
    assert.equal(owners[emojiAt], participant.user_id, 'the emoji (high surrogate) is the participant\'s')
    assert.equal(owners[emojiAt + 1], participant.user_id, 'the emoji (low surrogate) is the participant\'s')
    assert.ok(owners.filter((u) => u === participant.user_id).length >= AMENDED.length - CLAUSE.length)

    // History: the accepted amendment is one entry by the participant, accepted by the moderator.
    const history = await api(env.base, 'GET', `/api/meetings/${meeting.id}/clauses/${clauseId}/history`, { token: observer.token })
    assert.ok(Array.isArray(history) && history.length >= 2, `history has the moderator's write and the accepted amendment (${JSON.stringify(history)})`)
    assert.equal(history[0].user_id, moderatorId, `the first entry is the moderator's (${JSON.stringify(history)})`)
    assert.equal(history[0].amendment_id, null)
    const fromAmendment = history.filter((h) => h.amendment_id === aid)
    assert.equal(fromAmendment.length, 1, `one entry for the amendment (${JSON.stringify(history)})`)
    const h = fromAmendment[0]
    assert.equal(h.user_id, participant.user_id, 'the amendment\'s entry is the author\'s')
    assert.equal(h.user_name, PARTICIPANT)
    assert.equal(h.accepted_by, moderatorId)
    assert.equal(h.room, 'draft')
    assert.equal(h.inserted - h.deleted, AMENDED.length - CLAUSE.length, `inserted - deleted is the change in length (${JSON.stringify(h)})`)
    assert.ok(h.deleted <= 'otwartym'.length, `at most 'otwartym' deleted (${JSON.stringify(h)})`)
    for (let i = 1; i < history.length; i++) assert.ok(history[i].time >= history[i - 1].time, 'history oldest first')

    // Decided: the author may no longer write the amendment room.
    const warn = captureWarnings()
    try {
      authorText.insert(authorText.length, ' — jeszcze jedno')
      await waitUntil(() => author.authFrames.length > 0, { timeout: T, message: 'permission denied for the author writing an accepted amendment' })
      assert.equal(author.authFrames[0].authType, 0)
      assert.match(author.authFrames[0].reason, /^decided: \S/, 'the reason starts with its code')
    } finally {
      warn.restore()
    }
    await sleep(QUIET)
    assert.equal(watcherText.toString(), AMENDED, 'the observer saw an edit to an accepted amendment')
  })
})

describe('meeting room: amendments map', () => {
  test('an amendment shows in root map `amendments`, with supporters and its status going open → accepted live', async () => {
    const meeting = await createMeeting(env.base, 'Misja Miasta Krakowa', MODERATOR)
    const author = await join(env.base, meeting.id, meeting.participant_invite, PARTICIPANT)
    const supporter = await join(env.base, meeting.id, meeting.participant_invite, SUPPORTER)
    const observer = await join(env.base, meeting.id, meeting.observer_invite, OBSERVER)
    const { room, moderatorId } = await meetingRoom(meeting.id, observer.token)
    const amendments = room.doc.getMap('amendments')

    // Every status each amendment shows, as the stock client observes it.
    const statuses = new Map()
    amendments.observe((event) => {
      for (const key of event.keysChanged) {
        const seen = statuses.get(key) ?? []
        const s = amendments.get(key)?.status
        if (seen.at(-1) !== s) seen.push(s)
        statuses.set(key, seen)
      }
    })

    const mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const obs = await client(meeting.id, 'draft', observer.token)
    const clauseId = insertClause(mod.doc, CLAUSE)
    await waitClause(obs.doc, clauseId, CLAUSE, 'the observer')
    assert.equal(amendments.size, 0, 'no amendments yet')

    const opened = await api(env.base, 'POST', `/api/meetings/${meeting.id}/amendments`, {
      body: { clause_id: clauseId },
      token: author.token,
      expect: 201
    })
    const aid = opened.id
    const entry = () => amendments.get(aid)
    await waitUntil(() => entry()?.status === 'open', {
      timeout: T,
      message: `amendments[${aid}].status === 'open' (has ${JSON.stringify(amendments.toJSON())})`
    })
    const e1 = entry()
    assert.ok(!(e1 instanceof Y.AbstractType), 'amendments[aid] is a plain object, not a shared type')
    assert.equal(e1.clause_id, clauseId)
    assert.equal(e1.author, author.user_id, `amendments[aid].author is the author's user id (${JSON.stringify(e1)})`)
    assert.deepEqual(e1.supporters, [])
    assert.ok(e1.created_at !== undefined && e1.created_at !== null, 'created_at is set')
    assert.equal(e1.decided_at, null)
    assert.equal(e1.decided_by, null)
    assert.equal(e1.text, '', 'text is "" while open')

    // Another participant supports it: live in the meeting room.
    const supported = await api(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/support`, {
      token: supporter.token,
      expect: 200
    })
    assert.equal(supported?.id, aid)
    assert.deepEqual(supported.supporters, [supporter.user_id])
    await waitUntil(() => JSON.stringify(entry()?.supporters) === JSON.stringify([supporter.user_id]), {
      timeout: T,
      message: `amendments[aid].supporters === [supporter] (has ${JSON.stringify(entry())})`
    })
    assert.equal(entry().status, 'open')
    // Supporting twice counts once; the author and the moderator may not support.
    const again = await api(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/support`, {
      body: {},
      token: supporter.token,
      expect: 200
    })
    assert.deepEqual(again.supporters, [supporter.user_id], 'a second support by the same user is counted once')
    const own = await apiRaw(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/support`, { token: author.token })
    assertError(own, 409, 'conflict', 'the author supporting their own amendment')
    const byModerator = await apiRaw(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/support`, { token: meeting.moderator_token })
    assertError(byModerator, 403, 'forbidden', 'the moderator supporting')

    // The author types a wording; the server has it before the moderator decides.
    const typing = await client(meeting.id, opened.room, author.token)
    const text = typing.doc.getText('text')
    await waitText(text, CLAUSE, 'the author in the amendment room')
    text.insert(text.length, APPENDED)
    await waitUntil(async () => {
      const list = await api(env.base, 'GET', `/api/meetings/${meeting.id}/amendments`, { token: observer.token })
      return list.find((x) => x.id === aid)?.text === CLAUSE + APPENDED
    }, { timeout: T, message: 'the server to hold the typed wording' })

    await api(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/accept`, {
      token: meeting.moderator_token,
      expect: 200
    })
    await waitUntil(() => entry()?.status === 'accepted', {
      timeout: T,
      message: `amendments[aid].status === 'accepted' (has ${JSON.stringify(entry())})`
    })
    const e2 = entry()
    assert.equal(e2.clause_id, clauseId)
    assert.equal(e2.author, author.user_id)
    assert.deepEqual(e2.supporters, [supporter.user_id])
    assert.equal(e2.decided_by, moderatorId)
    assert.ok(e2.decided_at !== undefined && e2.decided_at !== null, `decided_at is set (${JSON.stringify(e2)})`)
    assert.equal(e2.text, CLAUSE + APPENDED, 'text is filled in when decided')
    assert.deepEqual(statuses.get(aid), ['open', 'accepted'], 'the observer saw the status go open → accepted')
    assert.deepEqual(room.closes, [], 'the meeting room connection stayed open')
    assert.deepEqual(room.authFrames, [])
    await waitClause(obs.doc, clauseId, CLAUSE + APPENDED, 'the observer on draft')

    // Decided: no more support.
    const late = await apiRaw(env.base, 'POST', `/api/meetings/${meeting.id}/amendments/${aid}/support`, { token: supporter.token })
    assertError(late, 409, 'conflict', 'supporting an accepted amendment')

    // A client that connects now gets the same map.
    const fresh = await client(meeting.id, 'meeting', author.token)
    assert.deepEqual(fresh.doc.getMap('amendments').get(aid), e2)
  })
})

describe('freeze and reopen', () => {
  test('freeze records version 1 with the SHA-256 of the text, refuses draft writes live, and reopen lets a new client edit', async () => {
    const meeting = await createMeeting(env.base, 'Misja Miasta Krakowa', MODERATOR)
    const editor = await join(env.base, meeting.id, meeting.participant_invite, EDITOR)
    await grantEditor(env.base, meeting.id, meeting.moderator_token, editor.user_id)
    const observer = await join(env.base, meeting.id, meeting.observer_invite, OBSERVER)
    const { room, moderatorId } = await meetingRoom(meeting.id, observer.token)
    const meetingMap = room.doc.getMap('meeting')
    const versions = room.doc.getMap('versions')
    await waitUntil(() => meetingMap.get('phase') === 'drafting', {
      timeout: T,
      message: `meeting.phase === 'drafting' (has ${JSON.stringify(meetingMap.toJSON())})`
    })

    let mod = await client(meeting.id, 'draft', meeting.moderator_token)
    const ed = await client(meeting.id, 'draft', editor.token)
    const obs = await client(meeting.id, 'draft', observer.token)
    const first = 'Kraków jest miastem gościnnym i współodpowiedzialnym 🤝'
    const second = 'Podstawą tej współpracy jest zaufanie 🏛️ — żółć i źdźbło.'
    const id1 = insertClause(mod.doc, first)
    const id2 = insertClause(mod.doc, second)
    await waitClause(ed.doc, id2, second, 'the editor')
    await waitClause(obs.doc, id2, second, 'the observer')
    assert.deepEqual(allTexts(obs.doc), [first, second])
    const text = first + '\n\n' + second

    // Freeze while the moderator's provider is connected.
    const frozen = await api(env.base, 'POST', `/api/meetings/${meeting.id}/freeze`, {
      token: meeting.moderator_token,
      expect: 200
    })
    assert.equal(frozen?.version, 1, `version (${JSON.stringify(frozen)})`)
    assert.equal(frozen.text, text, 'the frozen text is the clauses joined by a blank line')
    assert.equal(frozen.sha256, sha256Hex(text), 'sha256 is the hex SHA-256 of the UTF-8 text')
    assert.ok(frozen.created_at !== undefined && frozen.created_at !== null, 'created_at is set')
    const txt = await apiRaw(env.base, 'GET', `/api/meetings/${meeting.id}/versions/1?format=txt`, { token: observer.token })
    assert.equal(txt.status, 200, txt.text)
    assert.equal(txt.text, text, 'versions/1?format=txt is exactly the text')
    assert.equal(sha256Hex(txt.text), frozen.sha256)

    // The meeting room shows it live.
    await waitUntil(() => meetingMap.get('phase') === 'frozen', {
      timeout: T,
      message: `meeting.phase === 'frozen' (has ${JSON.stringify(meetingMap.toJSON())})`
    })
    await waitUntil(() => versions.has('1'), { timeout: T, message: `versions to have '1' (has ${JSON.stringify(versions.toJSON())})` })
    const v1 = versions.get('1')
    assert.ok(!(v1 instanceof Y.AbstractType), 'versions["1"] is a plain object')
    assert.equal(v1.version, 1)
    assert.equal(v1.sha256, frozen.sha256)
    assert.equal(v1.text, text)
    assert.equal(v1.frozen_by, moderatorId)
    assert.ok(v1.created_at !== undefined && v1.created_at !== null)

    const twice = await apiRaw(env.base, 'POST', `/api/meetings/${meeting.id}/freeze`, { token: meeting.moderator_token })
    assertError(twice, 409, 'conflict', 'freezing a frozen draft')

    // The moderator's next local edit is refused: permission denied, reason mentions frozen.
    const warn = captureWarnings()
    try {
      const t1 = findClause(mod.doc, id1).get('text')
      t1.insert(t1.length, ' ✏️ poprawka po zamrożeniu')
      await waitUntil(() => mod.authFrames.length > 0, { timeout: T, message: 'a permission-denied auth message to the moderator editing a frozen draft' })
      const denied = mod.authFrames[0]
      assert.equal(denied.type, 2, 'auth message')
      assert.equal(denied.authType, 0, 'permission denied')
      assert.match(denied.reason, /^frozen: the draft is frozen/, 'the reason starts with its code')
      assert.deepEqual(mod.decodeErrors, [])
    } finally {
      warn.restore()
    }
    await sleep(QUIET)
    assert.deepEqual(allTexts(ed.doc), [first, second], 'the editor saw the refused edit')
    assert.deepEqual(allTexts(obs.doc), [first, second], 'the observer saw the refused edit')
    assert.deepEqual(ed.authFrames, [])
    assert.deepEqual(obs.authFrames, [])
    const during = await client(meeting.id, 'draft', observer.token)
    assert.deepEqual(allTexts(during.doc), [first, second], 'the server kept the refused edit')
    drop(during)

    // Reopen: drafting again, live in the meeting room; version 1 stays.
    const reopened = await api(env.base, 'POST', `/api/meetings/${meeting.id}/reopen`, {
      token: meeting.moderator_token,
      expect: 200
    })
    assert.equal(reopened?.phase, 'drafting', `reopen answer (${JSON.stringify(reopened)})`)
    await waitUntil(() => meetingMap.get('phase') === 'drafting', {
      timeout: T,
      message: `meeting.phase back to 'drafting' (has ${JSON.stringify(meetingMap.toJSON())})`
    })
    assert.deepEqual(versions.get('1'), v1)
    const again = await apiRaw(env.base, 'POST', `/api/meetings/${meeting.id}/reopen`, { token: meeting.moderator_token })
    assertError(again, 409, 'conflict', 'reopening a draft that is not frozen')

    // The moderator drops the diverged copy; a new Y.Doc edits again.
    drop(mod)
    mod = await client(meeting.id, 'draft', meeting.moderator_token)
    assert.deepEqual(allTexts(mod.doc), [first, second], 'the new moderator doc starts from the server\'s text')
    findClause(mod.doc, id2).get('text').insert(0, '§2. ')
    await waitClause(ed.doc, id2, '§2. ' + second, 'the editor')
    await waitClause(obs.doc, id2, '§2. ' + second, 'the observer')
    assert.deepEqual(allTexts(ed.doc), [first, '§2. ' + second])
    assert.deepEqual(allTexts(obs.doc), [first, '§2. ' + second])
    assert.deepEqual(mod.authFrames, [], 'the new moderator client got auth messages after reopen')
    const later = await client(meeting.id, 'draft', editor.token)
    assert.deepEqual(allTexts(later.doc), [first, '§2. ' + second])
  })
})
