import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'

import { authorRuns, piecesOf, runAt } from '../src/logic/authorship.js'
import { deriveStatus, UnsentCounter, type RoomLink } from '../src/logic/connection-state.js'
import { contrast, labelInk, parseHex, readableTint, INK } from '../src/logic/contrast.js'
import { parseRefusal } from '../src/logic/refusal.js'
import { inviteLink, parseRoute } from '../src/logic/routes.js'
import { catalogs, pickLanguage } from '../src/i18n/index.js'

test('Polish plural forms: one, few, many', () => {
  const pl = catalogs.pl
  assert.equal(pl.following(1), '1 osoba obserwuje zdalnie')
  assert.equal(pl.following(2), '2 osoby obserwują zdalnie')
  assert.equal(pl.following(4), '4 osoby obserwują zdalnie')
  assert.equal(pl.following(5), '5 osób obserwuje zdalnie')
  assert.equal(pl.following(12), '12 osób obserwuje zdalnie')
  assert.equal(pl.following(22), '22 osoby obserwują zdalnie')
  assert.equal(pl.following(25), '25 osób obserwuje zdalnie')
  assert.equal(pl.following(0), '0 osób obserwuje zdalnie')
  assert.equal(pl.unsent(3), '3 zmiany czekają na wysłanie')
  assert.equal(pl.unsent(11), '11 zmian czeka na wysłanie')
  assert.equal(catalogs.en.following(1), '1 person is following remotely')
  assert.equal(catalogs.en.following(7), '7 people are following remotely')
  assert.equal(catalogs.en.unsent(1), '1 change not sent yet')
})

test('both catalogs have the same keys', () => {
  const keys = (o: object): string[] =>
    Object.entries(o)
      .flatMap(([k, v]) =>
        v && typeof v === 'object' && !Array.isArray(v) ? keys(v).map((s) => `${k}.${s}`) : [k],
      )
      .sort()
  assert.deepEqual(keys(catalogs.pl), keys(catalogs.en))
})

test('the language comes from a saved choice, else the browser', () => {
  assert.equal(pickLanguage(null, ['pl-PL', 'en-US']), 'pl')
  assert.equal(pickLanguage(null, ['de-DE', 'en-GB']), 'en')
  assert.equal(pickLanguage(null, ['fr']), 'en')
  assert.equal(pickLanguage('pl', ['en-US']), 'pl')
  assert.equal(pickLanguage('xx', ['pl']), 'pl')
})

test('authorship runs follow the items of the text, in UTF-16 units', () => {
  const a = new Y.Doc()
  a.clientID = 11
  const b = new Y.Doc()
  b.clientID = 22
  const ta = a.getText('t')
  ta.insert(0, 'Kraków 👍 ')
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  const tb = b.getText('t')
  tb.insert(tb.length, 'miasto żyje')
  tb.delete(0, 2) // "aków 👍 miasto żyje"
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
  const clients = new Map([
    ['11', 'anna'],
    ['22', 'lukasz'],
  ])
  const runs = authorRuns(piecesOf(ta), clients)
  assert.deepEqual(runs, [
    { from: 0, to: 8, user: 'anna' },
    { from: 8, to: 19, user: 'lukasz' },
  ])
  assert.equal(ta.toString().length, 19)
  assert.equal(ta.toString().slice(0, 8), 'aków 👍 ')
  assert.equal(runAt(runs, 0)?.user, 'anna')
  assert.equal(runAt(runs, 8)?.user, 'lukasz')
  assert.equal(runAt(runs, 19)?.user, 'lukasz')
  // A client the meeting room does not know is nobody's.
  assert.deepEqual(authorRuns(piecesOf(ta), new Map([['22', 'lukasz']]))[0], {
    from: 0,
    to: 8,
    user: null,
  })
})

test('adjacent items of one member make one run', () => {
  const runs = authorRuns(
    [
      { client: 1, length: 3 },
      { client: 2, length: 2 },
      { client: 1, length: 4 },
    ],
    new Map([
      ['1', 'u'],
      ['2', 'u'],
    ]),
  )
  assert.deepEqual(runs, [{ from: 0, to: 9, user: 'u' }])
})

test('author tints keep dark text readable at 4.5:1 for every palette colour', () => {
  const palette = [
    '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf',
    '#8c564b', '#e377c2', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#000000',
  ]
  const ink = parseHex(INK)!
  for (const c of palette) {
    const t = parseHex(readableTint(c))!
    assert.ok(contrast(t, ink) >= 4.5, `${c} -> ${readableTint(c)}`)
    assert.notEqual(readableTint(c), '#ffffff', `${c} keeps some colour`)
    const label = parseHex(labelInk(c))!
    assert.ok(contrast(label, parseHex(c)!) >= 3, `label on ${c}`)
  }
  assert.ok(contrast([0, 0, 0], [255, 255, 255]) > 20.9)
})

test('connection status', () => {
  const link = (over: Partial<RoomLink>): RoomLink => ({
    connected: false,
    synced: false,
    everSynced: false,
    closedWith: null,
    ...over,
  })
  const up = link({ connected: true, synced: true, everSynced: true })
  assert.deepEqual(deriveStatus([link({})], true, 0), { kind: 'connecting', unsent: 0 })
  assert.deepEqual(deriveStatus([up, up], true, 0), { kind: 'connected', unsent: 0 })
  assert.deepEqual(deriveStatus([up, link({ everSynced: true })], true, 3), {
    kind: 'reconnecting',
    unsent: 3,
  })
  assert.equal(deriveStatus([up, link({ everSynced: true })], false, 3).kind, 'offline')
  // One room synced, the other still on its first connection: connecting.
  assert.equal(deriveStatus([up, link({ connected: true })], true, 0).kind, 'connecting')
  assert.deepEqual(deriveStatus([up, link({ closedWith: 4401 })], true, 0), {
    kind: 'closed',
    unsent: 0,
    code: 4401,
  })
  const c = new UnsentCounter()
  c.change(true)
  c.change(false)
  c.change(false)
  assert.equal(c.count, 2)
  c.synced()
  assert.equal(c.count, 0)
})

test('refusal reasons carry a code', () => {
  assert.deepEqual(parseRefusal('frozen: the draft is frozen: it takes no changes'), {
    code: 'frozen',
    message: 'the draft is frozen: it takes no changes',
    final: true,
  })
  const s = parseRefusal('storage unavailable: the server cannot save changes right now')
  assert.equal(s.code, 'storage unavailable')
  assert.equal(s.final, false)
  assert.equal(parseRefusal('something else').code, 'unknown')
  assert.equal(parseRefusal('something else').final, true)
})

test('routes keep the invite in the fragment', () => {
  const id = '0b6f3a52-6b1e-4c1e-9d7e-2f4b8f0a1c3d'
  assert.deepEqual(parseRoute('/', ''), { screen: 'start' })
  assert.deepEqual(parseRoute(`/m/${id}`, ''), { screen: 'meeting', meeting: id })
  const link = new URL(inviteLink('http://x', id, 'abc+/='))
  assert.equal(link.search, '')
  assert.deepEqual(parseRoute(link.pathname, link.hash), {
    screen: 'join',
    meeting: id,
    invite: 'abc+/=',
  })
  assert.deepEqual(parseRoute('/m/nope', ''), { screen: 'not-found' })
})
