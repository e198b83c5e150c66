// Faults, with the stock y-websocket client doing what it does in a browser
// (reconnect with backoff, resend what the server lacks):
// - writers keep typing while the server is killed with SIGKILL and
//   restarted on the same port, again and again; every word arrives;
// - the store's disk fails under a writer; the server refuses, serves reads,
//   and takes the kept words once the disk is back, with nobody retyping.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join as pathJoin, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  allTexts, connect, createMeeting, findClause, grantEditor, insertClause, join,
  sleep, startServer, waitUntil
} from './server.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))

/** A loopback port nobody listens on now. */
function freePort () {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** A meeting with the moderator and two editors connected to the draft,
 * each with a clause of their own. */
async function writersOnDraft (base) {
  const m = await createMeeting(base, 'Misja Krakowa', 'Moderator')
  const tokens = [m.moderator_token]
  for (const name of ['Anna', 'Łukasz']) {
    const j = await join(base, m.id, m.participant_invite, name)
    await grantEditor(base, m.id, m.moderator_token, j.user_id)
    tokens.push(j.token)
  }
  const writers = []
  for (const token of tokens) writers.push(await connect(base, m.id, 'draft', token))
  const ids = [0, 1, 2].map(() => insertClause(writers[0].doc, ''))
  await waitUntil(() => writers.every((w) => ids.every((id) => findClause(w.doc, id))),
    { message: 'every writer to see the three clauses' })
  return { m, writers, ids }
}

/** Appends `word` and a space to the writer's clause, one update. */
function type (writer, id, word) {
  const text = findClause(writer.doc, id).get('text')
  text.insert(text.length, word + ' ')
}

const destroy = (clients) => {
  for (const c of clients) {
    c.provider.destroy()
    c.doc.destroy()
  }
}

test('writers typing through repeated kill -9 on one port lose no word', async () => {
  const dataDir = mkdtempSync(pathJoin(tmpdir(), 'draftroom-crash-'))
  const listen = `127.0.0.1:${await freePort()}`
  let server = await startServer({ listen, dataDir, keepData: true })
  const base = server.url
  const clients = []
  try {
    const { m, writers, ids } = await writersOnDraft(base)
    clients.push(...writers)
    const typed = writers.map(() => [])
    let typing = true
    const typists = writers.map(async (w, i) => {
      for (let n = 0; typing; n++) {
        const word = `słowo${i}·${n}${n % 7 === 0 ? '🙂' : ''}`
        type(w, ids[i], word)
        typed[i].push(word)
        await sleep(15 + i * 5)
      }
    })
    const kills = 5
    for (let k = 0; k < kills; k++) {
      await sleep(300 + Math.random() * 500)
      await server.kill9()
      await sleep(Math.random() * 300)
      server = await startServer({ listen, dataDir, keepData: true })
    }
    await sleep(500)
    typing = false
    await Promise.all(typists)

    const expected = typed.map((words) => words.map((w) => w + ' ').join(''))
    await waitUntil(() => writers.every((w) => ids.every((id, i) =>
      findClause(w.doc, id).get('text').toString() === expected[i])), {
      timeout: 30000,
      message: 'every writer to hold every word of every writer'
    })
    assert.ok(typed.every((words) => words.length > 20), 'each writer typed through the kills')
    for (const w of writers) {
      assert.ok(w.closes.length >= kills, `each writer lost its connection at each kill: ${w.closes}`)
    }

    // A last crash, and a fresh reader sees exactly the same text.
    await server.kill9()
    server = await startServer({ listen, dataDir, keepData: true })
    const obs = await join(base, m.id, m.observer_invite, 'Widz')
    const fresh = await connect(base, m.id, 'draft', obs.token)
    clients.push(fresh)
    assert.deepEqual(allTexts(fresh.doc), expected)
  } finally {
    destroy(clients)
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

/** Builds the fault-injection library the Rust tests use. */
function buildFaultfs () {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'draftroom-faultfs-js-'))
  const lib = pathJoin(dir, 'faultfs.so')
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', lib,
    resolve(HERE, '../support/faultfs.c'), '-ldl'])
  return {
    dir,
    env: { LD_PRELOAD: lib, FAULTFS_CTL: dir, FAULTFS_MATCH: 'draftroom.sqlite3' },
    full: () => writeFileSync(pathJoin(dir, 'enospc'), '0'),
    back: () => unlinkSync(pathJoin(dir, 'enospc'))
  }
}

test('a full disk: the stock client keeps its words and they are saved once the disk is back', async () => {
  const faults = buildFaultfs()
  const server = await startServer({ env: faults.env })
  const clients = []
  try {
    const base = server.url
    const { m, writers, ids } = await writersOnDraft(base)
    clients.push(...writers)
    const obs = await join(base, m.id, m.observer_invite, 'Widz')
    const follower = await connect(base, m.id, 'draft', obs.token)
    clients.push(follower)
    type(writers[0], ids[0], 'Kraków')
    await waitUntil(() => allTexts(follower.doc)[0] === 'Kraków ', { message: 'the first word' })

    faults.full()
    const during = ['jest', 'miastem', 'otwartym', 'zażółć', '🙂']
    for (const word of during) {
      type(writers[0], ids[0], word)
      await sleep(50)
    }
    // The writer is told, in the protocol's own words, and keeps its text.
    await waitUntil(() => writers[0].authFrames.some((f) => f.reason.startsWith('storage unavailable:')),
      { message: 'a storage-unavailable answer to the writer' })
    const full = 'Kraków ' + during.map((w) => w + ' ').join('')
    assert.equal(allTexts(writers[0].doc)[0], full)
    // The follower (reconnected after the failed write) shows only what is
    // stored.
    await waitUntil(() => follower.provider.synced && follower.provider.wsconnected,
      { message: 'the follower back' })
    await sleep(300)
    assert.equal(allTexts(follower.doc)[0], 'Kraków ')

    faults.back()
    await waitUntil(() => allTexts(follower.doc)[0] === full, {
      timeout: 15000,
      message: `the kept words to reach the follower (has ${JSON.stringify(allTexts(follower.doc)[0])})`
    })
    // Nothing was lost for anyone else either.
    for (const w of writers) assert.equal(allTexts(w.doc)[0], full)
  } finally {
    destroy(clients)
    await server.stop()
    rmSync(faults.dir, { recursive: true, force: true })
  }
})

