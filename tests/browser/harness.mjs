// The browser suite's harness: the real server binary on port 0 serving the
// built app, Debian's Chromium driven by playwright-core, one browser
// context per person, screenshots into tests/browser/screenshots/ (kept out
// of git), and axe-core scans.
//
// The binary is $DRAFTROOM_BIN, else ../../target/debug/draftroom; the app
// is ../../web/dist (built by `npm run build` in web/).

import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join as pathJoin, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'

import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'
import jsQR from 'jsqr'

const HERE = dirname(fileURLToPath(import.meta.url))
export const SHOTS = resolve(HERE, 'screenshots')
const WEB = resolve(HERE, '../../web/dist')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export const serverBinary = () =>
  process.env.DRAFTROOM_BIN ? resolve(process.env.DRAFTROOM_BIN) : resolve(HERE, '../../target/debug/draftroom')

/** Polls until `f` returns something truthy; returns it. */
export async function waitUntil (f, { timeout = 10000, interval = 50, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout
  let last
  for (;;) {
    try {
      const v = await f()
      if (v) return v
      last = undefined
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${last ? `: ${last.message}` : ''}`)
    }
    await sleep(interval)
  }
}

/**
 * The server: `draftroom serve` on port 0 (or a given address, to restart on
 * the same one) with a temporary data directory, serving the built app.
 */
export class Server {
  constructor ({ args = [] } = {}) {
    this.args = args
    this.dataDir = mkdtempSync(pathJoin(tmpdir(), 'draftroom-browser-'))
    this.listen = '127.0.0.1:0'
    this.log = ''
  }

  async start () {
    const bin = serverBinary()
    if (!existsSync(bin)) throw new Error(`no server binary at ${bin}`)
    if (!existsSync(pathJoin(WEB, 'index.html'))) throw new Error(`no built app at ${WEB} (npm run build in web/)`)
    this.child = spawn(bin, ['serve', '--listen', this.listen, '--data', this.dataDir, '--web', WEB, ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', RUST_LOG: process.env.RUST_LOG ?? 'warn' }
    })
    const keep = (chunk) => {
      this.log += chunk
      if (this.log.length > 200000) this.log = this.log.slice(-100000)
    }
    this.child.stderr.on('data', keep)
    const addr = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${this.log}`)), 20000)
      this.child.stdout.on('data', (chunk) => {
        out += chunk
        keep(chunk)
        const m = /listening on http:\/\/(\S+)/.exec(out)
        if (m) {
          clearTimeout(timer)
          resolve(m[1])
        }
      })
      this.child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${this.log}`)))
    })
    this.listen = addr
    this.url = `http://${addr}`
    return this
  }

  /** kill -9: nothing gets to close. */
  async kill () {
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGKILL')
    await exited
  }

  async stop () {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve))
      this.child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (this.child.exitCode === null) this.child.kill('SIGKILL')
    }
    rmSync(this.dataDir, { recursive: true, force: true })
  }

  async api (method, path, { token, body } = {}) {
    const headers = {}
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    const json = (res.headers.get('content-type') ?? '').includes('json')
    return { status: res.status, body: json && text ? JSON.parse(text) : text, headers: res.headers }
  }
}

export const DESKTOP = { width: 1440, height: 900 }
export const PHONE = { width: 390, height: 844 }

/** Chromium from Debian; one per test file. */
export async function launch () {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
}

/**
 * A person: their own browser context (storage, cookies), a page, and the
 * console errors it printed (a test fails on any it did not expect).
 */
export async function person (browser, { lang = 'en', viewport = DESKTOP, name = 'someone' } = {}) {
  const context = await browser.newContext({
    viewport,
    locale: lang === 'pl' ? 'pl-PL' : 'en-GB',
    deviceScaleFactor: 1,
    hasTouch: viewport.width < 500,
    isMobile: viewport.width < 500
  })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  const page = await context.newPage()
  const errors = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(String(e)))
  return { name, context, page, errors }
}

/** A screenshot named `<name>-<lang>-<desktop|phone>.png`. */
export async function shot (page, name) {
  mkdirSync(SHOTS, { recursive: true })
  const vp = page.viewportSize()
  const lang = await page.evaluate(() => document.documentElement.lang)
  const form = vp.width < 500 ? 'phone' : 'desktop'
  await page.screenshot({ path: pathJoin(SHOTS, `${name}-${lang}-${form}.png`), fullPage: true })
}

/** Zero axe-core violations (WCAG 2.0 A/AA, 2.1 AA) on the page as it is. */
export async function assertAccessible (page, what) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze()
  const summary = result.violations.map((v) => `${v.id}: ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n  ')}`)
  assert.deepEqual(summary, [], `axe violations on ${what}`)
}

/** No horizontal scrolling. */
export async function assertNoHorizontalScroll (page, what) {
  const [scroll, client, wide] = await page.evaluate(() => {
    const client = document.documentElement.clientWidth
    // The innermost elements that stick out, to say what is too wide.
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > client + 1)
      .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > client + 1))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} → ${Math.round(el.getBoundingClientRect().right)}px`)
    return [document.documentElement.scrollWidth, client, wide]
  })
  assert.ok(scroll <= client, `${what}: page is ${scroll}px wide in a ${client}px viewport: ${wide.join(', ')}`)
}

// --- The app, as a person uses it ---

/**
 * Creates a meeting from the start page; returns its id and the invite links
 * shown. It begins directly with the draft (what most tests write into at
 * once), or with the working groups when `workshop` is set.
 */
export async function createMeeting (p, server, { title, name, workshop = false }) {
  await p.page.goto(server.url + '/')
  await p.page.getByLabel(/What is the meeting drafting|Nad czym pracuje spotkanie/).fill(title)
  await p.page.getByLabel(/Your name|Twoje imię/).fill(name)
  await p.page.getByLabel(workshop ? /^(With the working groups|Od pracy w grupach roboczych)$/ : /^(Directly with the draft|Od razu od projektu)$/).check()
  await p.page.getByRole('button', { name: /Start the meeting|Rozpocznij spotkanie/ }).click()
  await p.page.waitForURL(/\/m\/[0-9a-f-]{36}$/)
  const id = p.page.url().split('/m/')[1]
  await waitForStatus(p.page, 'connected')
  const participant = await p.page.locator('#invite-participants').inputValue()
  const observer = await p.page.locator('#invite-observers').inputValue()
  const token = await p.page.evaluate((id) => JSON.parse(localStorage.getItem('draftroom.seats.v1'))[id].token, id)
  return { id, participant, observer, token }
}

/** Opens an invite link and joins with a name. */
export async function join (p, link, name) {
  await p.page.goto(link)
  await p.page.getByLabel(/Your name|Twoje imię/).fill(name)
  await p.page.getByRole('button', { name: /^(Join|Dołącz)$/ }).click()
  await p.page.waitForURL(/\/m\/[0-9a-f-]{36}$/)
  await waitForStatus(p.page, 'connected')
}

export async function waitForStatus (page, kind, timeout = 15000) {
  await page.waitForSelector(`[data-testid="status"][data-status="${kind}"]`, { timeout })
}

/** The clause editors' texts, in order. */
export async function clauseTexts (page) {
  return page.$$eval('.clause-editor .cm-content', (els) =>
    els.map((el) => {
      const copy = el.cloneNode(true)
      for (const w of copy.querySelectorAll('.remote-caret, .cm-widgetBuffer')) w.remove()
      return [...copy.querySelectorAll('.cm-line')].map((l) => l.textContent.replace(/\u2060/g, '')).join('\n')
    })
  )
}

/** A seat kept in the page's storage: token and user id. */
export async function seatOf (page, meeting) {
  return page.evaluate((id) => JSON.parse(localStorage.getItem('draftroom.seats.v1'))[id], meeting)
}

/**
 * The text a page's QR code (an `svg.qr` drawn as one path of unit
 * squares) decodes to, read back as a camera would: rendered to pixels
 * and decoded with jsQR; null if it does not decode.
 */
export async function decodeQr (page, selector) {
  const grid = await page.$eval(selector, (svg) => ({
    size: Number(svg.getAttribute('viewBox').split(' ')[2]),
    d: svg.querySelector('path').getAttribute('d')
  }))
  const scale = 6
  const px = grid.size * scale
  const rgba = new Uint8ClampedArray(px * px * 4).fill(255)
  for (const m of grid.d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    const [x, y] = [Number(m[1]), Number(m[2])]
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = ((y * scale + dy) * px + (x * scale + dx)) * 4
        rgba[i] = rgba[i + 1] = rgba[i + 2] = 0
      }
    }
  }
  return jsQR(rgba, px, px)?.data ?? null
}
