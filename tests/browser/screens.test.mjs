// Every screen, as its user sees it, at 1440x900 and 390x844, in Polish and
// English: a screenshot of each (tests/browser/screenshots/), zero axe-core
// violations, no horizontal scrolling; the language switch; Polish plurals
// of the remote audience with real observers connected.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

import {
  Server, launch, person, createMeeting, join, waitUntil, waitForStatus, clauseTexts, shot,
  assertAccessible, assertNoHorizontalScroll, DESKTOP, PHONE
} from './harness.mjs'

// The wording the Kraków workshop agreed on (2013), as the draft's clauses.
const SEED = [
  'Misją samorządu Miasta Krakowa jest tworzenie wielowymiarowej przestrzeni publicznej w skali metropolitalnej dla partnerskiego współdziałania mieszkańców i podmiotów z różnych sektorów.',
  'Samorząd inicjuje współpracę, buduje zaufanie i tworzy warunki dla wysokiej jakości życia poprzez rozwój nowoczesnej gospodarki, kultury i kształtowanie środowiska.',
  'Podstawą tej współpracy jest współodpowiedzialność i współuczestnictwo świadomych i aktywnych obywateli w procesie zrównoważonego rozwoju miasta.'
]

/** A stock client gone: its socket, and its document (whose presence keeps a timer). */
function close (provider) {
  provider.destroy()
  provider.doc.destroy()
}

const COMBOS = [
  ['en', DESKTOP], ['en', PHONE], ['pl', DESKTOP], ['pl', PHONE]
]

/** Checks a screen and saves its screenshot. */
async function look (page, name) {
  await page.evaluate(() => document.fonts.ready)
  await assertNoHorizontalScroll(page, name)
  await assertAccessible(page, name)
  await shot(page, name)
}

describe('every screen, both languages, desktop and phone', () => {
  let server, browser, mod, ed, part, obs, meeting
  const observers = []

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    mod = await person(browser, { name: 'Anna' })
    meeting = await createMeeting(mod, server, { title: 'Misja Miasta Krakowa', name: 'Anna Moderatorka' })
    for (let i = 0; i < SEED.length; i++) {
      await mod.page.getByRole('button', { name: i === 0 ? 'Add a clause' : `Add a clause after clause ${i}` }).first().click()
      await mod.page.keyboard.insertText(SEED[i].slice(0, 60))
    }
    ed = await person(browser, { lang: 'pl', name: 'ed' })
    await join(ed, meeting.participant, 'Łukasz Wróbel')
    part = await person(browser, { lang: 'pl', name: 'part' })
    await join(part, meeting.participant, 'Zofia Ćwik')
    obs = await person(browser, { name: 'obs' })
    await join(obs, meeting.observer, 'Remote Reader')
    await mod.page.getByRole('button', { name: 'Let Łukasz Wróbel edit the draft' }).click()
    const edEditor = ed.page.locator('.clause-editor .cm-content')
    await waitUntil(async () => (await edEditor.first().getAttribute('contenteditable')) === 'true', { message: 'Łukasz may edit' })
    for (let i = 0; i < SEED.length; i++) {
      await edEditor.nth(i).click()
      await ed.page.keyboard.press('ControlOrMeta+End')
      await ed.page.keyboard.insertText(SEED[i].slice(60))
    }
    await waitUntil(async () => JSON.stringify(await clauseTexts(obs.page)) === JSON.stringify(SEED), { message: 'the seed wording everywhere' })
  })

  after(async () => {
    for (const o of observers) close(o)
    await browser?.close()
    await server?.stop()
  })

  test('start and join', async () => {
    for (const [lang, viewport] of COMBOS) {
      const p = await person(browser, { lang, viewport })
      await p.page.goto(server.url + '/')
      assert.equal(await p.page.evaluate(() => document.documentElement.lang), lang)
      await look(p.page, 'start')
      // A form sent empty says what is missing, next to the field.
      await p.page.getByRole('button', { name: lang === 'pl' ? 'Rozpocznij spotkanie' : 'Start the meeting' }).click()
      await p.page.getByText(lang === 'pl' ? 'Uzupełnij to pole.' : 'Please fill this in.').first().waitFor()
      await look(p.page, 'start-invalid')
      await p.page.goto(meeting.participant)
      await look(p.page, 'join')
      await p.page.goto(meeting.participant.split('#')[0])
      await p.page.getByRole('alert').waitFor()
      await look(p.page, 'join-no-invite')
      await p.page.goto(server.url + '/m/00000000-0000-4000-8000-000000000000')
      await look(p.page, 'no-seat')
      await p.page.goto(server.url + '/nowhere')
      await look(p.page, 'not-found')
      await p.context.close()
    }
  })

  test('the meeting as the moderator, an editor, a participant and an observer see it', async () => {
    for (const [lang, viewport] of COMBOS) {
      for (const [who, role] of [[mod, 'moderator'], [ed, 'editor'], [part, 'participant'], [obs, 'observer']]) {
        const state = await who.context.storageState()
        const context = await browser.newContext({ viewport, locale: lang === 'pl' ? 'pl-PL' : 'en-GB', storageState: state, isMobile: viewport.width < 500, hasTouch: viewport.width < 500 })
        const page = await context.newPage()
        const errors = []
        page.on('pageerror', (e) => errors.push(String(e)))
        await page.goto(`${server.url}/m/${meeting.id}`)
        await waitForStatus(page, 'connected')
        await waitUntil(async () => JSON.stringify(await clauseTexts(page)) === JSON.stringify(SEED), { message: `${role}: the draft` })
        await page.locator('.person').first().waitFor()
        await look(page, `meeting-${role}`)
        if (role === 'moderator' || role === 'observer') {
          await page.getByLabel(lang === 'pl' ? 'Pokaż, kto co napisał' : 'Show who wrote what').check()
          await page.locator('.legend').waitFor()
          await look(page, `meeting-${role}-authors`)
        }
        assert.deepEqual(errors, [])
        await context.close()
      }
    }
  })

  test('the language switch changes the page and <html lang>, and is remembered', async () => {
    const p = await person(browser, { lang: 'en' })
    await p.page.goto(server.url + '/')
    await p.page.getByLabel(/Language/).selectOption('pl')
    await p.page.getByRole('heading', { name: 'Rozpocznij spotkanie' }).waitFor()
    assert.equal(await p.page.evaluate(() => document.documentElement.lang), 'pl')
    await p.page.reload()
    await p.page.getByRole('heading', { name: 'Rozpocznij spotkanie' }).waitFor()
    assert.equal(await p.page.locator('.skip-link').innerText(), 'Przejdź do treści')
    await p.context.close()
  })

  test('the audience in Polish plurals, live: 1 osoba, 2 osoby, 5 osób, 22 osoby', async () => {
    const following = part.page.getByTestId('following')
    await waitUntil(async () => (await following.innerText()) === '1 osoba obserwuje zdalnie', { message: 'the one observer in the room' })
    const add = async (n) => {
      while (observers.length + 1 < n) {
        const joined = await server.api('POST', `/api/meetings/${meeting.id}/join`, { body: { invite: new URL(meeting.observer).hash.split('=')[1], name: `Widz ${observers.length}` } })
        assert.equal(joined.status, 200)
        const doc = new Y.Doc()
        observers.push(new WebsocketProvider(`${server.url.replace('http', 'ws')}/ws/${meeting.id}`, 'meeting', doc, { params: { token: joined.body.token }, WebSocketPolyfill: WebSocket, disableBc: true }))
      }
    }
    for (const [n, text] of [[2, '2 osoby obserwują zdalnie'], [5, '5 osób obserwuje zdalnie'], [22, '22 osoby obserwują zdalnie']]) {
      await add(n)
      await waitUntil(async () => (await following.innerText()) === text, { timeout: 10000, message: text })
    }
    await waitUntil(async () => (await mod.page.getByTestId('following').innerText()) === '22 people are following remotely', { message: 'English' })
    await shot(part.page, 'meeting-participant-audience')
    for (const o of observers.splice(0)) close(o)
    await waitUntil(async () => (await following.innerText()) === '1 osoba obserwuje zdalnie', { timeout: 10000, message: 'back to one' })
  })
})
