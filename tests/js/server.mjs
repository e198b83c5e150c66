// Helpers for the interop tests: start the real Draftroom server binary, call
// its HTTP API, connect the stock y-websocket client to its rooms, and poll.
//
// The binary is $DRAFTROOM_BIN, else ../../target/debug/draftroom relative to
// this file (built with `cargo build -p draftroom-server`).

import { spawn } from 'node:child_process'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, afterEach, before } from 'node:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join as pathJoin, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

export { Y, WebSocket, WebsocketProvider }

const HERE = dirname(fileURLToPath(import.meta.url))

/** The server binary under test. */
export const serverBinary = () =>
  process.env.DRAFTROOM_BIN
    ? resolve(process.env.DRAFTROOM_BIN)
    : resolve(HERE, '../../target/debug/draftroom')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Poll `condition` (sync or async) until it returns a truthy value, and return
 * that value. Throws after `timeout` ms, with `message` and the last error the
 * condition threw (if any).
 */
export async function waitUntil (condition, { timeout = 10000, interval = 20, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout
  let lastError
  for (;;) {
    try {
      const value = await condition()
      if (value) return value
      lastError = undefined
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? ` (last error: ${lastError.message ?? lastError})` : ''
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${detail}`)
    }
    await sleep(interval)
  }
}

/**
 * Start `draftroom serve --listen 127.0.0.1:0 --data <fresh temp dir>` and wait
 * for its `listening on http://ADDR` line.
 *
 * Returns `{ url, wsUrl, dataDir, child, output(), stop() }`; `stop()` kills the
 * child (SIGTERM, then SIGKILL) and removes the data directory. `args` go
 * after `--data` (e.g. `--postgres URL`).
 */
export async function startServer ({ timeout = 20000, listen = '127.0.0.1:0', dataDir, keepData = false, env = {}, args = [] } = {}) {
  const bin = serverBinary()
  if (!existsSync(bin)) {
    throw new Error(`server binary not found at ${bin} (build it with \`cargo build -p draftroom-server\` or set DRAFTROOM_BIN)`)
  }
  dataDir ??= mkdtempSync(pathJoin(tmpdir(), 'draftroom-js-'))
  const removeData = () => { if (!keepData) rmSync(dataDir, { recursive: true, force: true }) }
  const child = spawn(bin, ['serve', '--listen', listen, '--data', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env }
  })

  // Keep the last part of both streams for diagnostics; always drain them so
  // the child never blocks on a full pipe.
  let log = ''
  const keep = (chunk) => {
    log += chunk
    if (log.length > 200000) log = log.slice(-100000)
  }
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', keep)

  let exited = null
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal }
      resolve(exited)
    })
  })

  const url = await new Promise((resolve, reject) => {
    let pending = ''
    let done = false
    const finish = (err, value) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolve(value)
    }
    const timer = setTimeout(() => {
      finish(new Error(`server printed no "listening on http://ADDR" line within ${timeout} ms; output so far:\n${log}`))
    }, timeout)
    child.stdout.on('data', (chunk) => {
      keep(chunk)
      if (done) return
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()
      for (const line of lines) {
        // eslint-disable-next-line no-control-regex
        const m = /listening on (http:\/\/[^\s\x1b]+)/.exec(line)
        if (m) {
          finish(null, m[1].replace(/\/+$/, ''))
          return
        }
      }
    })
    child.once('error', (err) => finish(new Error(`cannot start ${bin}: ${err.message}`)))
    exitPromise.then(({ code, signal }) =>
      finish(new Error(`server exited (code ${code}, signal ${signal}) before listening; output:\n${log}`)))
  }).catch((err) => {
    if (!exited) child.kill('SIGKILL')
    removeData()
    throw err
  })

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    if (!exited) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => { if (!exited) child.kill('SIGKILL') }, 3000)
      await exitPromise
      clearTimeout(killer)
    }
    removeData()
  }

  /** SIGKILL, as a crash or a power cut: nothing of the shutdown path runs. */
  const kill9 = async () => {
    stopped = true
    if (!exited) {
      child.kill('SIGKILL')
      await exitPromise
    }
  }

  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    dataDir,
    child,
    output: () => log,
    exited: () => exited,
    stop,
    kill9
  }
}

// ---------------------------------------------------------------- HTTP API

/** fetch + JSON; throws with status and body unless the status is `expect`. */
export async function api (base, method, path, { body, token, expect = 200 } = {}) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  if (res.status !== expect) {
    throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`)
  }
  if (text.length === 0) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** POST /api/meetings -> {id, moderator_token, participant_invite, observer_invite} */
export async function createMeeting (base, title, moderatorName) {
  const m = await api(base, 'POST', '/api/meetings', {
    body: { title, moderator_name: moderatorName },
    expect: 201
  })
  for (const key of ['id', 'moderator_token', 'participant_invite', 'observer_invite']) {
    if (typeof m?.[key] !== 'string' || m[key].length === 0) {
      throw new Error(`POST /api/meetings answer lacks ${key}: ${JSON.stringify(m)}`)
    }
  }
  return m
}

/** POST /api/meetings/{id}/join -> {token, user_id, role} */
export async function join (base, meetingId, invite, name) {
  const j = await api(base, 'POST', `/api/meetings/${meetingId}/join`, {
    body: { invite, name },
    expect: 200
  })
  for (const key of ['token', 'user_id', 'role']) {
    if (typeof j?.[key] !== 'string' || j[key].length === 0) {
      throw new Error(`join answer lacks ${key}: ${JSON.stringify(j)}`)
    }
  }
  return j
}

/** POST /api/meetings/{id}/editors {"user_id"} as the moderator. */
export async function grantEditor (base, meetingId, moderatorToken, userId) {
  return api(base, 'POST', `/api/meetings/${meetingId}/editors`, {
    body: { user_id: userId },
    token: moderatorToken,
    expect: 200
  })
}

// ------------------------------------------------------------ y-protocols

/** Minimal lib0 decoding: varUint and varString, enough for auth messages. */
function readVarUint (bytes, pos) {
  let num = 0
  let mult = 1
  for (;;) {
    if (pos.i >= bytes.length) throw new Error('unexpected end of message')
    const r = bytes[pos.i++]
    num += (r & 0x7f) * mult
    mult *= 128
    if (r < 0x80) return num
    if (mult > Number.MAX_SAFE_INTEGER) throw new Error('varUint too long')
  }
}

function readVarString (bytes, pos) {
  const len = readVarUint(bytes, pos)
  if (pos.i + len > bytes.length) throw new Error('string runs past the message')
  const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos.i, pos.i + len))
  pos.i += len
  return s
}

export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
export const MESSAGE_AUTH = 2
export const MESSAGE_QUERY_AWARENESS = 3

/**
 * Decode one y-websocket frame's outer type; for auth messages also the auth
 * type and (for permission denied, 0) the reason.
 */
export function decodeFrame (data) {
  const bytes = data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const pos = { i: 0 }
  const type = readVarUint(bytes, pos)
  const frame = { type, bytes }
  if (type === MESSAGE_AUTH) {
    frame.authType = readVarUint(bytes, pos)
    if (frame.authType === 0) frame.reason = readVarString(bytes, pos)
  }
  return frame
}

// ------------------------------------------------------------ providers

/**
 * Connect a stock y-websocket WebsocketProvider to `/ws/{meetingId}/{room}`
 * with `?token=` and wait for `synced`.
 *
 * Returns `{ doc, provider, frames, authFrames, closes }`:
 * - `frames`: every frame the server sent on any socket of this provider
 *   (decoded outer type; auth frames also decoded);
 * - `authFrames`: the auth frames among them;
 * - `closes`: close codes of this provider's sockets.
 */
export async function connect (base, meetingId, room, token, { doc, timeout = 10000, waitSynced = true, WebSocketPolyfill = WebSocket } = {}) {
  // The provider's Awareness keeps an interval until its doc is destroyed:
  // callers destroy both `provider` and `doc` when done.
  doc ??= new Y.Doc()
  const provider = new WebsocketProvider(base.replace(/^http/, 'ws') + '/ws/' + meetingId, room, doc, {
    params: { token },
    WebSocketPolyfill,
    disableBc: true
  })
  const client = { doc, provider, frames: [], authFrames: [], closes: [], closeReasons: [], decodeErrors: [] }
  const tapped = new WeakSet()
  const tap = () => {
    const ws = provider.ws
    if (!ws || tapped.has(ws)) return
    tapped.add(ws)
    ws.addEventListener('message', (event) => {
      try {
        const frame = decodeFrame(event.data)
        client.frames.push(frame)
        if (frame.type === MESSAGE_AUTH) client.authFrames.push(frame)
      } catch (err) {
        client.decodeErrors.push(err)
      }
    })
    ws.addEventListener('close', (event) => {
      client.closes.push(event.code)
      client.closeReasons.push(event.reason)
    })
  }
  tap() // the constructor already opened the first socket
  provider.on('status', tap) // reconnects open new ones
  if (waitSynced) {
    try {
      await waitUntil(() => provider.synced, {
        timeout,
        message: `provider on room ${room} to sync (closes so far: ${JSON.stringify(client.closes)})`
      })
    } catch (err) {
      provider.destroy()
      doc.destroy()
      throw err
    }
  }
  return client
}

/**
 * Open a raw `ws` WebSocket and resolve with `{ code, reason, frames }` once
 * the server closes it (or reject after `timeout`).
 */
export function rawClose (url, { timeout = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.binaryType = 'arraybuffer'
    const frames = []
    let opened = false
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`socket ${url} not closed by the server within ${timeout} ms (opened: ${opened})`))
    }, timeout)
    ws.on('open', () => { opened = true })
    ws.on('message', (data) => frames.push(data))
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer)
      ws.terminate()
      resolve({ code: null, httpStatus: res.statusCode, reason: '', frames, opened })
    })
    ws.on('error', () => {}) // reported through close / unexpected-response
    ws.on('close', (code, reason) => {
      clearTimeout(timer)
      resolve({ code, reason: reason.toString(), frames, opened })
    })
  })
}

/** Collect console.warn calls (stock y-websocket reports permission denied there). */
export function captureWarnings () {
  const original = console.warn
  const warnings = []
  console.warn = (...args) => {
    warnings.push(args.map(String).join(' '))
  }
  return {
    warnings,
    restore: () => { console.warn = original }
  }
}

/** The plain text of one clause map: `clause.get('text').toString()`. */
export const clauseText = (clause) => clause.get('text').toString()

/** Insert a clause {id, text: Y.Text} at `index` (default: the end). */
export function insertClause (doc, text, { index, id = crypto.randomUUID() } = {}) {
  const clauses = doc.getArray('clauses')
  doc.transact(() => {
    const clause = new Y.Map()
    clause.set('id', id)
    clause.set('text', new Y.Text(text))
    clauses.insert(index ?? clauses.length, [clause])
  })
  return id
}

/** Find a clause map by id in a draft doc. */
export function findClause (doc, id) {
  return doc.getArray('clauses').toArray().find((c) => c instanceof Y.Map && c.get('id') === id)
}

/** Every clause's text, in order. */
export const allTexts = (doc) => doc.getArray('clauses').toArray().map(clauseText)

// ------------------------------------------------ amendments, versions

/**
 * fetch without judging the status: `{ status, contentType, text, json }`
 * (`json` is the parsed body, or undefined when it is not JSON).
 */
export async function apiRaw (base, method, path, { body, token } = {}) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json }
}

/**
 * Checks an error answer from `apiRaw`: the status and
 * `{"error":{"code","message"}}` with this code.
 */
export function assertError (answer, status, code, what) {
  assert.equal(answer.status, status, `${what}: status (${answer.text})`)
  assert.equal(answer.json?.error?.code, code, `${what}: error code (${answer.text})`)
  assert.equal(typeof answer.json.error.message, 'string', `${what}: error message (${answer.text})`)
}

/** Hex SHA-256 of the UTF-8 bytes of `text`. */
export const sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * One server per test file, started before its tests and stopped after
 * them, and stock clients that are destroyed after each test (a doc's
 * awareness holds an interval, so the process would not exit otherwise).
 * Registers the node:test hooks; `env.base` is the server's URL once started.
 */
export function serverPerFile () {
  const clients = new Set()
  let server
  const env = {
    /** `http://host:port` of the server, once started. */
    base: undefined,
    /** `ws://host:port` of the server, once started. */
    wsUrl: undefined,
    /** Connect a stock provider, destroyed after the test. */
    async client (meetingId, room, token, opts) {
      const c = await connect(env.base, meetingId, room, token, opts)
      clients.add(c)
      return c
    },
    /** Destroy a `{ provider, doc }` made by hand after the test too. */
    adopt (c) {
      clients.add(c)
      return c
    },
    /** Destroy every client now. */
    closeAll () {
      for (const c of [...clients]) env.drop(c)
    },
    /** Destroy one client's provider and doc now. */
    drop (c) {
      if (!clients.delete(c)) return
      c.provider.destroy()
      c.doc.destroy()
    }
  }
  before(async () => {
    server = await startServer()
    env.base = server.url
    env.wsUrl = server.wsUrl
  })
  afterEach(() => env.closeAll())
  after(async () => {
    env.closeAll()
    if (server) {
      if (process.env.DRAFTROOM_TEST_LOG) process.stderr.write(server.output())
      await server.stop()
    }
  })
  return env
}


/** The decoded state vector of a doc: Map clientID -> clock. */
export const stateVector = (doc) => Y.decodeStateVector(Y.encodeStateVector(doc))
