// The connection in words: a server killed and restarted (reconnecting,
// then connected, and what was typed meanwhile arrives), a lone client that
// stays connected, and a refusal that makes the app drop its copy.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import { Server, launch, person, createMeeting, join, waitUntil, waitForStatus, clauseTexts, sleep } from './harness.mjs'

const LONE_SECONDS = 45

describe('connection and outages', () => {
  let server, loneServer, browser, lone, loneOpened, loneStatuses, loneStart

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    // The lone moderator: alone in a meeting of their own for 45 s while the
    // other tests run. The stock client drops a socket that hears nothing for
    // 30 s; the server's heartbeat must keep it from reconnecting through
    // one whole such window and half another.
    lone = await person(browser, { name: 'lone' })
    loneOpened = []
    loneStatuses = []
    lone.page.on('websocket', (ws) => loneOpened.push(ws.url()))
    await lone.page.exposeFunction('reportStatus', (s) => loneStatuses.push(s))
    await lone.page.addInitScript(() => {
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid="status"]')?.dataset.status
        if (s && s !== window.__lastStatus) {
          window.__lastStatus = s
          window.reportStatus(s)
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-status'] })
    })
    // A server of its own, which the outages below do not touch.
    loneServer = await new Server().start()
    await createMeeting(lone, loneServer, { title: 'Alone', name: 'Samotna' })
    loneStart = Date.now()
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    await loneServer?.stop()
  })

  test('a refused change is dropped: the app resyncs and says so', async () => {
    const mod = await person(browser, { name: 'mod' })
    const m = await createMeeting(mod, server, { title: 'Zamrożenie', name: 'Moderatorka' })
    await mod.page.getByRole('button', { name: 'Add a clause' }).click()
    await mod.page.keyboard.type('Tekst uzgodniony', { delay: 10 })
    const ed = await person(browser, { lang: 'pl', name: 'ed' })
    await join(ed, m.participant, 'Edward')
    await mod.page.getByRole('button', { name: 'Let Edward edit the draft' }).click()
    const content = ed.page.locator('.clause-editor .cm-content').first()
    await waitUntil(async () => (await content.getAttribute('contenteditable')) === 'true', { message: 'Edward may edit' })
    await waitUntil(async () => (await clauseTexts(ed.page))[0] === 'Tekst uzgodniony', { message: 'Edward has the text' })
    // Edward's keystrokes race the freeze: his copy goes to the server after it.
    await content.click()
    await ed.page.keyboard.press('End')
    await ed.page.evaluate(() => { window.__origSend = WebSocket.prototype.send; WebSocket.prototype.send = function () {} })
    await ed.page.keyboard.type(' i spóźnione słowa', { delay: 10 })
    const frozen = await server.api('POST', `/api/meetings/${m.id}/freeze`, { token: m.token })
    assert.equal(frozen.status, 200)
    await ed.page.evaluate(() => { WebSocket.prototype.send = window.__origSend })
    // Reconnecting sends the kept edits; the server refuses them for good.
    await ed.page.evaluate(() => { for (const el of document.querySelectorAll('.clause')) el.dataset.seen = '1' })
    await server.kill()
    await server.start()
    await ed.page.locator('.notice-error').filter({ hasText: 'Projekt został zamrożony, zanim Twoja zmiana dotarła do serwera.' }).waitFor({ timeout: 20000 })
    await ed.page.locator('.notice-error').filter({ hasText: 'wczytana ponownie z serwera' }).waitFor()
    await waitUntil(async () => (await clauseTexts(ed.page))[0] === 'Tekst uzgodniony', { message: "Edward's copy equals the server's" })
    assert.equal(await content.getAttribute('contenteditable'), 'false', 'frozen: read-only')
    const text = await server.api('GET', `/api/meetings/${m.id}/versions/1?format=txt`, { token: m.token })
    assert.equal(text.status, 200)
    assert.equal(text.body.trim(), 'Tekst uzgodniony', 'the frozen version has none of the refused words')
    await ed.context.close()
    await mod.context.close()
  })

  test('a seat the server no longer knows is said in words, and not retried', async () => {
    const mod = await person(browser, { name: 'mod' })
    const m = await createMeeting(mod, server, { title: 'Stare miejsce', name: 'Anna' })
    const p = await person(browser, { lang: 'pl', name: 'stale' })
    await p.page.goto(server.url + '/')
    await p.page.evaluate(([id]) => {
      const seat = { meeting: id, token: 'f'.repeat(64), userId: 'x', name: 'Ktoś', role: 'participant', title: 'Stare miejsce', seenAt: 1 }
      localStorage.setItem('draftroom.seats.v1', JSON.stringify({ [id]: seat }))
    }, [m.id])
    const sockets = []
    p.page.on('websocket', (ws) => sockets.push(ws.url()))
    await p.page.goto(`${server.url}/m/${m.id}`)
    await waitForStatus(p.page, 'closed')
    await p.page.locator('.notice-error').filter({ hasText: 'Twoje miejsce w tym spotkaniu jest już nieważne' }).waitFor()
    await sleep(1500)
    assert.ok(sockets.length <= 2, `no reconnecting after 4401: ${sockets.length} sockets`)
    await p.context.close()
    await mod.context.close()
  })

  test('killed and restarted: reconnecting, then connected, and what was typed meanwhile arrives', async () => {
    const mod = await person(browser, { name: 'mod' })
    const m = await createMeeting(mod, server, { title: 'Awaria', name: 'Anna' })
    const other = await person(browser, { lang: 'pl', name: 'other' })
    await join(other, m.observer, 'Obserwator')
    await mod.page.getByRole('button', { name: 'Add a clause' }).click()
    await mod.page.keyboard.type('Przed awarią.', { delay: 10 })
    await waitUntil(async () => (await clauseTexts(other.page))[0] === 'Przed awarią.', { message: 'synced before the outage' })

    await server.kill()
    await waitForStatus(mod.page, 'reconnecting')
    await mod.page.keyboard.type(' W trakcie: żółć 🙂', { delay: 20 })
    const status = mod.page.getByTestId('status')
    await waitUntil(async () => /changes not sent yet/.test(await status.innerText()), { message: 'unsent changes counted' })
    assert.match(await status.innerText(), /Reconnecting/)
    await other.page.locator('[data-status="reconnecting"]').filter({ hasText: 'Ponowne łączenie' }).waitFor()
    // Closing the tab now would lose them: the browser asks first.
    const asks = await mod.page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true })
      window.dispatchEvent(e)
      return e.defaultPrevented
    })
    assert.equal(asks, true, 'a warning before closing with unsent changes')

    await server.start()
    await waitForStatus(mod.page, 'connected', 20000)
    await waitForStatus(other.page, 'connected', 20000)
    const want = 'Przed awarią. W trakcie: żółć 🙂'
    await waitUntil(async () => (await clauseTexts(other.page))[0] === want, { timeout: 15000, message: 'the offline typing arrived' })
    assert.doesNotMatch(await status.innerText(), /not sent/)
    const clause = await mod.page.$eval('.clause', (el) => el.dataset.clause)
    const authors = await server.api('GET', `/api/meetings/${m.id}/clauses/${clause}/authors`, { token: m.token })
    assert.equal(authors.body.text, want, 'the server has it')
    await mod.context.close()
    await other.context.close()
  })

  test(`a lone client stays connected for ${LONE_SECONDS} s`, async () => {
    const left = LONE_SECONDS * 1000 - (Date.now() - loneStart)
    if (left > 0) await sleep(left)
    assert.ok(Date.now() - loneStart >= LONE_SECONDS * 1000)
    const opened = loneOpened.filter((u) => /\/ws\//.test(u))
    assert.equal(opened.length, 2, `one socket per room, never reopened:\n${opened.join('\n')}`)
    assert.deepEqual(loneStatuses, ['connecting', 'connected'].slice(loneStatuses[0] === 'connecting' ? 0 : 1), 'connected throughout')
  })
})
