// The live meeting in real browsers: a moderator, participants and an
// observer, each in their own Chromium context, against the real server.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  Server, launch, person, createMeeting, join, waitUntil, waitForStatus, clauseTexts, seatOf, sleep, PHONE
} from './harness.mjs'

/** Per UTF-16 unit of a clause as shown: [user id, colour class] from the authorship marks. */
async function shownAuthorship (page, index) {
  return page.$$eval('.clause-editor .cm-content', (els, index) => {
    const out = []
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        const mark = node.parentElement.closest('.au')
        const colour = mark ? [...mark.classList].find((c) => c.startsWith('au-')).slice(3) : null
        const text = node.data.replace(/\u2060/g, '')
        for (let i = 0; i < text.length; i++) out.push([mark?.dataset.author || null, colour])
        return
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return
      if (node.classList.contains('remote-caret') || node.classList.contains('cm-widgetBuffer')) return
      for (const child of node.childNodes) walk(child)
    }
    const lines = els[index].querySelectorAll('.cm-line')
    lines.forEach((line, i) => {
      walk(line)
      if (i < lines.length - 1) out.push(['newline', null])
    })
    return out
  }, index)
}

/** The same from the server: `GET …/clauses/{id}/authors`. */
async function serverAuthorship (server, meeting, token, clause) {
  const { status, body } = await server.api('GET', `/api/meetings/${meeting}/clauses/${clause}/authors`, { token })
  assert.equal(status, 200)
  const out = []
  for (const s of body.spans) {
    for (let i = 0; i < s.length; i++) {
      out.push(s.text[i] === '\n' ? ['newline', null] : [s.user_id, s.colour.replace('#', '').toLowerCase()])
    }
  }
  return { text: body.text, units: out }
}

/** The editor of clause `i` (0-based). */
const editor = (page, i) => page.locator('.clause-editor .cm-content').nth(i)

/** Type at the end of clause `i`. */
async function typeAtEnd (page, i, text) {
  await editor(page, i).click()
  await page.keyboard.press('ControlOrMeta+End')
  await page.keyboard.type(text, { delay: 15 })
}

/** Frames a page sends on its draft socket that carry an update (sync step 2 with content, or update). */
function watchDraftWrites (page) {
  const writes = []
  page.on('websocket', (ws) => {
    if (!/\/draft\?/.test(ws.url())) return
    ws.on('framesent', ({ payload }) => {
      const b = typeof payload === 'string' ? Buffer.from(payload) : payload
      if (b[0] !== 0) return // not a sync message
      // step 2 of an empty document: an update of zero structs and an empty delete set
      if (b[1] === 2 || (b[1] === 1 && b.length > 5)) writes.push([...b.subarray(0, 12)])
    })
  })
  return writes
}

describe('the live meeting', () => {
  let server, browser, mod, ania, obs, meeting
  const participantWrites = []
  const observerWrites = []

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    mod = await person(browser, { name: 'Anna' })
    meeting = await createMeeting(mod, server, { title: 'Misja Miasta Krakowa', name: 'Anna Nowak' })
    ania = await person(browser, { lang: 'pl', name: 'Łucja' })
    participantWrites.push(...[]) // filled live below
    const pw = watchDraftWrites(ania.page)
    await join(ania, meeting.participant, 'Łucja Żółć')
    obs = await person(browser, { viewport: PHONE, name: 'Olek' })
    const ow = watchDraftWrites(obs.page)
    await join(obs, meeting.observer, 'Olek')
    // Keep live references to what they send.
    Object.defineProperty(participantWrites, 'live', { value: pw })
    Object.defineProperty(observerWrites, 'live', { value: ow })
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    for (const p of [mod, ania, obs]) assert.deepEqual(p?.errors ?? [], [], `${p?.name}: console errors`)
  })

  test('the moderator writes clauses; everyone sees them live, Polish letters and emoji intact', async () => {
    await mod.page.getByRole('button', { name: 'Add a clause' }).first().click()
    await mod.page.keyboard.type('Kraków – miasto współodpowiedzialności 👍🏽', { delay: 10 })
    await mod.page.getByRole('button', { name: 'Add a clause after clause 1' }).click()
    await mod.page.keyboard.type('Zaufanie, dialog i współudział', { delay: 10 })
    const want = ['Kraków – miasto współodpowiedzialności 👍🏽', 'Zaufanie, dialog i współudział']
    for (const p of [mod, ania, obs]) {
      await waitUntil(async () => JSON.stringify(await clauseTexts(p.page)) === JSON.stringify(want), { message: `${p.name} sees both clauses` })
    }
  })

  test('participants and observers read the draft only and send no change', async () => {
    for (const p of [ania, obs]) {
      const ed = editor(p.page, 0)
      assert.equal(await ed.getAttribute('contenteditable'), 'false', `${p.name}: clause is not editable`)
      assert.equal(await ed.getAttribute('aria-readonly'), 'true')
      await ed.click()
      await p.page.keyboard.type('XYZ')
      await p.page.keyboard.press('Backspace')
      assert.equal(await p.page.getByRole('button', { name: /Add a clause|Dodaj punkt/ }).count(), 0, `${p.name}: no add button`)
      assert.equal(await p.page.locator('.clause-controls button').count(), 0, `${p.name}: no clause controls`)
    }
    await sleep(300)
    assert.deepEqual(participantWrites.live, [], 'the participant sent no update')
    assert.deepEqual(observerWrites.live, [], 'the observer sent no update')
    assert.equal((await clauseTexts(mod.page))[0], 'Kraków – miasto współodpowiedzialności 👍🏽')
  })

  test('the moderator lets a participant edit, live; both type into one clause', async () => {
    await mod.page.getByRole('button', { name: 'Let Łucja Żółć edit the draft' }).click()
    await waitUntil(async () => (await editor(ania.page, 0).getAttribute('contenteditable')) === 'true', { message: 'editable for Łucja' })
    await ania.page.locator('.role-help', { hasText: /Moderator pozwolił Ci edytować/ }).waitFor()
    await typeAtEnd(ania.page, 1, ' — ąęśćżźńół')
    await typeAtEnd(mod.page, 0, ' i 🚲')
    const want = ['Kraków – miasto współodpowiedzialności 👍🏽 i 🚲', 'Zaufanie, dialog i współudział — ąęśćżźńół']
    for (const p of [mod, ania, obs]) {
      await waitUntil(async () => JSON.stringify(await clauseTexts(p.page)) === JSON.stringify(want), { message: `${p.name} sees both edits` })
    }
    const people = mod.page.locator('.person[data-user]')
    await waitUntil(async () => /Editor/.test(await people.filter({ hasText: 'Łucja' }).innerText()), { message: 'Łucja listed as editor' })
  })

  test('carets carry the names the server knows', async () => {
    await editor(ania.page, 1).click()
    await ania.page.keyboard.press('ControlOrMeta+End')
    await editor(mod.page, 0).click()
    await mod.page.keyboard.press('Home')
    await waitUntil(async () => (await mod.page.locator('.clause').nth(1).locator('.remote-caret-name').allInnerTexts()).join() === 'Łucja Żółć', { message: "Łucja's caret on the moderator's screen" })
    await waitUntil(async () => (await ania.page.locator('.clause').nth(0).locator('.remote-caret-name').allInnerTexts()).join() === 'Anna Nowak', { message: "Anna's caret on Łucja's screen" })
    await waitUntil(async () => (await obs.page.locator('.remote-caret-name').allInnerTexts()).sort().join() === 'Anna Nowak,Łucja Żółć', { message: 'both carets for the observer' })
  })

  test('authorship colours agree with /authors character for character', async () => {
    for (const p of [mod, obs]) {
      await p.page.getByLabel(/Show who wrote what|Pokaż, kto co napisał/).check()
    }
    const clauses = await mod.page.$$eval('.clause', (els) => els.map((el) => el.dataset.clause))
    for (let i = 0; i < clauses.length; i++) {
      const fromServer = await serverAuthorship(server, meeting.id, meeting.token, clauses[i])
      for (const p of [mod, obs]) {
        await waitUntil(async () => JSON.stringify(await shownAuthorship(p.page, i)) === JSON.stringify(fromServer.units), { message: `${p.name}: clause ${i + 1} marks equal /authors` })
      }
      const users = new Set(fromServer.units.map((u) => u[0]))
      if (i === 1) assert.equal(users.size, 2, 'clause 2 has two authors')
    }
    const legend = await mod.page.locator('.legend').innerText()
    assert.match(legend, /Anna Nowak/)
    assert.match(legend, /Łucja Żółć/)
    // The name is on the text too: on hover (title) and at the caret.
    const seat = await seatOf(ania.page, meeting.id)
    const title = await mod.page.locator(`.clause >> nth=1 >> .au[data-author="${seat.userId}"]`).first().getAttribute('title')
    assert.equal(title, 'Łucja Żółć')
    await editor(mod.page, 1).click()
    await mod.page.keyboard.press('ControlOrMeta+End')
    await mod.page.getByText('Written by Łucja Żółć').waitFor()
  })

  test('undo undoes only my own edits', async () => {
    await typeAtEnd(mod.page, 1, ' ANNA')
    await typeAtEnd(ania.page, 1, ' ŁUCJA')
    const both = 'Zaufanie, dialog i współudział — ąęśćżźńół ANNA ŁUCJA'
    await waitUntil(async () => (await clauseTexts(mod.page))[1] === both, { message: 'both typed' })
    await editor(mod.page, 1).click()
    await mod.page.keyboard.press('ControlOrMeta+z')
    const undone = 'Zaufanie, dialog i współudział — ąęśćżźńół ŁUCJA'
    for (const p of [mod, ania]) {
      await waitUntil(async () => (await clauseTexts(p.page))[1] === undone, { message: `${p.name} sees Anna's word undone, Łucja's kept` })
    }
    await mod.page.keyboard.press('ControlOrMeta+Shift+Z')
    await waitUntil(async () => (await clauseTexts(ania.page))[1] === both, { message: 'redo' })
    await mod.page.keyboard.press('ControlOrMeta+z')
    await waitUntil(async () => (await clauseTexts(ania.page))[1] === undone, { message: 'undone again' })
  })

  test('clauses are added, reordered and removed; authors survive a move', async () => {
    await mod.page.getByRole('button', { name: 'Add a clause after clause 2' }).click()
    await mod.page.keyboard.type('Trzeci punkt', { delay: 10 })
    await waitUntil(async () => (await clauseTexts(obs.page)).length === 3, { message: 'three clauses' })
    const before = await clauseTexts(mod.page)
    const ids = await mod.page.$$eval('.clause', (els) => els.map((el) => el.dataset.clause))
    const authorsBefore = await serverAuthorship(server, meeting.id, meeting.token, ids[1])

    await mod.page.getByRole('button', { name: 'Move clause 2 up' }).click()
    const moved = [before[1], before[0], before[2]]
    for (const p of [mod, ania, obs]) {
      await waitUntil(async () => JSON.stringify(await clauseTexts(p.page)) === JSON.stringify(moved), { message: `${p.name} sees clause 2 moved up` })
    }
    const authorsAfter = await serverAuthorship(server, meeting.id, meeting.token, ids[1])
    assert.deepEqual(authorsAfter, authorsBefore, 'the moved clause keeps every character’s author')
    await waitUntil(async () => JSON.stringify(await shownAuthorship(mod.page, 0)) === JSON.stringify(authorsAfter.units), { message: 'marks follow the moved clause' })

    mod.page.once('dialog', (d) => d.accept())
    await mod.page.getByRole('button', { name: 'Remove clause 3' }).click()
    for (const p of [mod, ania, obs]) {
      await waitUntil(async () => JSON.stringify(await clauseTexts(p.page)) === JSON.stringify(moved.slice(0, 2)), { message: `${p.name} sees clause 3 removed` })
    }
  })

  test('a reload returns everyone to their seat', async () => {
    const texts = await clauseTexts(mod.page)
    for (const p of [mod, ania, obs]) {
      const seat = await seatOf(p.page, meeting.id)
      await p.page.reload()
      await waitForStatus(p.page, 'connected')
      assert.equal((await seatOf(p.page, meeting.id)).userId, seat.userId)
      await waitUntil(async () => JSON.stringify(await clauseTexts(p.page)) === JSON.stringify(texts), { message: `${p.name}: draft after reload` })
    }
    await mod.page.locator('.me').filter({ hasText: 'Anna Nowak, moderator' }).waitFor()
    await ania.page.locator('.me').filter({ hasText: 'Łucja Żółć, redaktor' }).waitFor()
    await obs.page.locator('.me').filter({ hasText: 'Olek, observer' }).waitFor()
    // Invite secrets never went out in a request line.
    const urls = []
    const p2 = await person(browser, { name: 'late' })
    p2.page.on('request', (r) => urls.push(r.url()))
    // The link says which meeting and role before anyone gives a name...
    await p2.page.goto(meeting.participant)
    await p2.page.getByRole('heading', { name: 'Join “Misja Miasta Krakowa”' }).waitFor()
    await p2.page.getByText('You join as a participant').waitFor()
    // ...and a replaced or mistyped invite says so, with nothing to fill in.
    await p2.page.goto(meeting.participant.replace(/invite=.*/, 'invite=0000'))
    await p2.page.getByRole('alert').filter({ hasText: 'This invite or seat is not valid any more' }).waitFor()
    assert.equal(await p2.page.getByLabel('Your name').isVisible(), false)
    await join(p2, meeting.participant, 'Późny Gość')
    const secret = new URL(meeting.participant).hash.split('=')[1]
    assert.ok(urls.length > 0)
    assert.ok(urls.every((u) => !u.includes(secret)), 'no request carries the invite in its URL')
    await p2.context.close()
  })
})
