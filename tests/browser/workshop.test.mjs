// The whole workshop in browsers: a moderator, two participants (one on a
// phone), an observer and the room's projector, each in their own Chromium
// context, against the real server. Amendments typed live, supported,
// diffed and accepted; the changed-clause warning; freezing, a keystroke
// racing it, reopening and a second version; the projector page; the
// printed report.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'

import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

import {
  Server, launch, person, createMeeting, join, waitUntil, waitForStatus, clauseTexts, seatOf, sleep, shot,
  assertAccessible, assertNoHorizontalScroll, decodeQr, PHONE
} from './harness.mjs'

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex')

const CLAUSE = 'Misją samorządu jest tworzenie przestrzeni dla współpracy mieszkańców.'

/** Visible text of an element without the screen-reader markers of a diff. */
async function diffParts (locator) {
  return locator.evaluate((el) =>
    [...el.childNodes].map((n) => {
      if (n.nodeType === Node.TEXT_NODE) return ['=', n.data]
      const copy = n.cloneNode(true)
      for (const s of copy.querySelectorAll('.sr-only')) s.remove()
      return [n.tagName === 'DEL' ? '-' : n.tagName === 'INS' ? '+' : '=', copy.textContent]
    })
  )
}

/** The proposal card of an amendment on a page. */
const card = (page, id) => page.locator(`.amendment[data-amendment="${id}"]`)

async function look (page, name) {
  await page.evaluate(() => document.fonts.ready)
  await assertNoHorizontalScroll(page, name)
  await assertAccessible(page, name)
  await shot(page, name)
}

describe('the workshop, from the first clause to the printed record', () => {
  let server, browser, mod, ania, bartek, obs, proj, meeting, projectorUrl
  let amendment

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    mod = await person(browser, { lang: 'pl', name: 'moderator' })
    meeting = await createMeeting(mod, server, { title: 'Misja Miasta Krakowa', name: 'Anna Moderatorka' })
    await mod.page.getByRole('button', { name: 'Dodaj punkt' }).click()
    await mod.page.keyboard.insertText(CLAUSE)
    ania = await person(browser, { lang: 'pl', viewport: PHONE, name: 'ania' })
    await join(ania, meeting.participant, 'Ania Żółć')
    bartek = await person(browser, { lang: 'en', name: 'bartek' })
    await join(bartek, meeting.participant, 'Bartek Nowak')
    obs = await person(browser, { lang: 'en', name: 'observer' })
    await join(obs, meeting.observer, 'Remote Reader')
    for (const p of [ania, bartek, obs]) {
      await waitUntil(async () => (await clauseTexts(p.page))[0] === CLAUSE, { message: `${p.name} sees the clause` })
    }
  })

  after(async () => {
    // A refused accept (409) is logged by the browser as a failed request.
    const errors = [mod, ania, bartek, obs, proj].filter(Boolean).map((p) => [p.name, p.errors.filter((e) => !/status of 409/.test(e))])
    await browser?.close()
    await server?.stop()
    assert.deepEqual(errors.filter(([, e]) => e.length), [], 'console errors')
  })

  test('an amendment typed on a phone, watched live, supported, diffed and accepted', async () => {
    // Everyone in the room shows as connected, whether or not they typed.
    await waitUntil(async () => (await mod.page.locator('.person.is-on').count()) === 3, { message: 'the moderator sees all three connected' })
    const clauseId = await mod.page.$eval('.clause', (el) => el.dataset.clause)
    // Ania, on her phone, proposes a wording: her editor starts with the clause.
    await ania.page.getByRole('button', { name: 'Zaproponuj brzmienie punktu 1' }).click()
    const mine = ania.page.locator('.amendment-editor .cm-content')
    await waitUntil(async () => (await mine.textContent()) === CLAUSE, { message: "Ania's editor starts with the clause's wording" })
    assert.equal(await mine.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)), true, 'her editor has the focus')
    amendment = await ania.page.$eval('.amendment', (el) => el.dataset.amendment)

    // She replaces "współpracy" with "współdziałania" and adds a phrase, typing.
    await ania.page.keyboard.press('ControlOrMeta+End')
    for (let i = 0; i < 'współpracy mieszkańców.'.length; i++) await ania.page.keyboard.press('Backspace')
    await ania.page.keyboard.type('współdziałania mieszkańców 🏛️', { delay: 20 })
    // Everyone watches it grow: the others' diffs follow her keystrokes.
    await waitUntil(async () => (await card(bartek.page, amendment).locator('.proposed-diff').textContent()).includes('współdziałania'), { message: 'Bartek watches the wording grow' })
    await ania.page.keyboard.type(' z różnych sektorów.', { delay: 20 })
    const proposed = 'Misją samorządu jest tworzenie przestrzeni dla współdziałania mieszkańców 🏛️ z różnych sektorów.'
    for (const p of [mod, bartek, obs]) {
      await waitUntil(async () => {
        const parts = await diffParts(card(p.page, amendment).locator('.proposed-diff'))
        return parts.filter(([op]) => op !== '-').map(([, t]) => t).join('') === proposed
      }, { message: `${p.name} sees the whole proposed wording` })
    }
    // The diff: whole words, exact.
    const parts = await diffParts(card(bartek.page, amendment).locator('.proposed-diff'))
    assert.deepEqual(parts.filter(([op]) => op !== '='), [
      ['-', 'współpracy'],
      ['+', 'współdziałania'],
      ['+', ' 🏛️ z różnych sektorów']
    ])

    // Bartek supports it; the count is live everywhere; once per person.
    await bartek.page.getByRole('button', { name: 'Support the proposal by Ania Żółć' }).click()
    for (const [p, text] of [[mod, 'popiera 1 osoba'], [ania, 'popiera 1 osoba'], [obs, '1 supporter']]) {
      await waitUntil(async () => (await card(p.page, amendment).locator('.supporters').textContent()) === text, { message: `${p.name} sees one supporter` })
    }
    assert.equal(await card(bartek.page, amendment).getByRole('button', { name: /You support/ }).isDisabled(), true)
    assert.equal(await card(ania.page, amendment).locator('.support').count(), 0, 'the author cannot support her own')
    assert.equal(await card(obs.page, amendment).locator('button').count(), 0, 'the observer has no buttons')

    // The moderator sees it beside the clause and accepts with one click.
    await look(mod.page, 'amendment-moderator')
    await look(ania.page, 'amendment-author')
    await look(bartek.page, 'amendment-participant')
    await card(mod.page, amendment).getByRole('button', { name: /Przyjmij/ }).click()
    for (const p of [mod, ania, bartek, obs]) {
      await waitUntil(async () => (await clauseTexts(p.page))[0] === proposed, { message: `${p.name} has the accepted wording` })
      await waitUntil(async () => (await card(p.page, amendment).count()) === 0, { message: `${p.name}: the open card is gone` })
    }
    // The changed words are Ania's: the authorship marks and the server agree.
    const { body } = await server.api('GET', `/api/meetings/${meeting.id}/clauses/${clauseId}/authors`, { token: meeting.token })
    const aniaId = (await seatOf(ania.page, meeting.id)).userId
    const hers = body.spans.filter((s) => s.user_id === aniaId).map((s) => s.text).join('|')
    assert.ok(hers.includes('działania') && hers.includes('z różnych sektorów'), `Ania wrote the new words: ${hers}`)
    assert.ok(body.spans.some((s) => s.user_id !== aniaId && s.text.includes('Misją samorządu')), 'the unchanged words keep their author')
    await bartek.page.getByLabel('Show who wrote what').check()
    await waitUntil(async () => {
      const authors = await bartek.page.$$eval('.clause-editor .au', (els) => els.filter((e) => e.textContent.includes('sektorów')).map((e) => e.dataset.author))
      return authors.length > 0 && authors.every((a) => a === aniaId)
    }, { message: "Bartek's authorship colours show Ania's words as hers" })
  })

  test('accepting over a changed clause shows the three texts first; the server refuses it unconfirmed', async () => {
    await bartek.page.getByRole('button', { name: 'Propose a wording for clause 1' }).click()
    const edit = bartek.page.locator('.amendment-editor .cm-content')
    await waitUntil(async () => (await edit.count()) === 1 && (await edit.textContent()).startsWith('Misją'), { message: "Bartek's proposal opens" })
    const id = await bartek.page.$eval('.amendment', (el) => el.dataset.amendment)
    await bartek.page.keyboard.press('ControlOrMeta+End')
    await bartek.page.keyboard.type(' Razem.', { delay: 10 })
    await waitUntil(async () => (await card(mod.page, id).locator('.proposed-diff').textContent()).includes('Razem.'), { message: 'the moderator sees the proposal' })

    // The moderator changes the clause after the proposal was made.
    const modEditor = mod.page.locator('.clause-editor .cm-content').first()
    await modEditor.click()
    await mod.page.keyboard.press('ControlOrMeta+Home')
    await mod.page.keyboard.type('Ważne: ', { delay: 10 })
    await waitUntil(async () => (await card(mod.page, id).locator('.amendment-changed').isVisible()), { message: 'the card says the clause changed' })
    await waitUntil(async () => (await clauseTexts(obs.page))[0].startsWith('Ważne: '), { message: 'the change is on the server' })

    // Unconfirmed, the server refuses: nobody's words are overwritten unseen.
    const refused = await server.api('POST', `/api/meetings/${meeting.id}/amendments/${id}/accept`, { token: meeting.token, body: {} })
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'clause_changed')
    assert.ok(refused.body.error.current.startsWith('Ważne: '))
    assert.equal((await clauseTexts(obs.page))[0].startsWith('Ważne: '), true, 'nothing changed')

    // In the app, accepting asks first and shows the three texts.
    await card(mod.page, id).getByRole('button', { name: /Przyjmij/ }).click()
    const dialog = mod.page.getByRole('dialog', { name: 'Punkt zmienił się po złożeniu propozycji' })
    await dialog.waitFor()
    const texts = await dialog.locator('.three-texts .column').allTextContents()
    assert.equal(texts.length, 3)
    assert.ok(!texts[0].includes('Ważne'), 'when opened: without the later change')
    assert.ok(texts[1].includes('Ważne'), 'now: with it')
    assert.ok(texts[2].includes('Razem.'), 'proposed')
    await look(mod.page, 'accept-changed-clause')
    await dialog.getByRole('button', { name: 'Anuluj' }).click()
    assert.equal(await card(mod.page, id).count(), 1, 'cancelled: still open')
    await card(mod.page, id).getByRole('button', { name: /Przyjmij/ }).click()
    await mod.page.getByRole('dialog').getByRole('button', { name: 'Przyjmij i zastąp' }).click()
    await waitUntil(async () => (await clauseTexts(obs.page))[0].endsWith('Razem.'), { message: 'accepted once confirmed' })
  })

  test('freeze: the banner everywhere within a second, a racing keystroke, reopen, a second version and the diff', async () => {
    // Bartek may edit: his keystroke will race the freeze.
    await mod.page.getByRole('button', { name: 'Pozwól osobie Bartek Nowak edytować projekt' }).click()
    const bEditor = bartek.page.locator('.clause-editor .cm-content').first()
    await waitUntil(async () => (await bEditor.getAttribute('contenteditable')) === 'true', { message: 'Bartek may edit' })
    await bEditor.click()
    await bartek.page.keyboard.press('ControlOrMeta+End')

    await mod.page.getByRole('button', { name: /Zatwierdź uzgodnioną wersję/ }).click()
    const dialog = mod.page.getByRole('dialog')
    await dialog.waitFor()
    assert.ok((await dialog.textContent()).includes('Razem.'), 'the confirmation shows the text')
    assert.ok((await dialog.textContent()).includes('Nie ma otwartych propozycji'), 'and that no proposal is open')
    await look(mod.page, 'freeze-confirm')
    const t0 = Date.now()
    await Promise.all([
      dialog.getByRole('button', { name: 'Zatwierdź' }).click(),
      bartek.page.keyboard.type('!', { delay: 0 })
    ])
    const banners = await Promise.all([mod, ania, bartek, obs].map(async (p) => {
      await p.page.waitForSelector('.agreed.is-current[data-version="1"]', { timeout: 5000 })
      return [p.name, Date.now() - t0, await p.page.$eval('.agreed.is-current', (el) => el.dataset.sha256)]
    }))
    const txt = await server.api('GET', `/api/meetings/${meeting.id}/versions/1?format=txt`, { token: meeting.token })
    for (const [who, ms, hash] of banners) {
      assert.ok(ms < 1500, `${who} showed the banner after ${ms} ms`)
      assert.equal(hash, sha256(txt.body), `${who}'s banner hash is the SHA-256 of the version's text`)
    }
    assert.equal((await mod.page.$eval('.agreed .hash', (el) => el.textContent)), `${sha256(txt.body).slice(0, 12)}…`)
    // Within 3 s nobody's copy differs from the server's.
    await sleep(3000)
    const { body: authors } = await server.api('GET', `/api/meetings/${meeting.id}/clauses/${await mod.page.$eval('.clause', (el) => el.dataset.clause)}/authors`, { token: meeting.token })
    for (const p of [mod, ania, bartek, obs]) {
      assert.deepEqual(await clauseTexts(p.page), [authors.text], `${p.name} holds the server's text`)
    }
    assert.equal(await bEditor.getAttribute('contenteditable'), 'false', 'the draft is read-only')
    await look(obs.page, 'meeting-frozen-observer')
    await look(ania.page, 'meeting-frozen-participant')

    // Reopen, change, freeze again; the history shows both and their diff.
    await mod.page.getByRole('button', { name: 'Otwórz na kolejną rundę' }).click()
    await mod.page.getByRole('dialog').getByRole('button', { name: 'Otwórz' }).click()
    await waitUntil(async () => (await bEditor.getAttribute('contenteditable')) === 'true', { message: 'reopened for Bartek' })
    await bEditor.click()
    await bartek.page.keyboard.press('ControlOrMeta+End')
    await bartek.page.keyboard.type(' Wspólnie!', { delay: 10 })
    await waitUntil(async () => (await clauseTexts(mod.page))[0].endsWith('Wspólnie!'), { message: 'the change reaches the moderator' })
    await mod.page.getByRole('button', { name: /Zatwierdź uzgodnioną wersję/ }).click()
    await mod.page.getByRole('dialog').getByRole('button', { name: 'Zatwierdź' }).click()
    await obs.page.waitForSelector('.agreed.is-current[data-version="2"]')

    await obs.page.getByRole('link', { name: 'Versions and history' }).click()
    await obs.page.getByRole('heading', { name: 'Versions and history' }).waitFor()
    await obs.page.getByRole('button', { name: 'Compare' }).click()
    const diff = obs.page.locator('.version-diff')
    await diff.waitFor()
    const changes = (await diffParts(diff)).filter(([op]) => op !== '=')
    assert.deepEqual(changes.filter(([op]) => op === '+').map(([, t]) => t.trim()).join(' '), 'Wspólnie!')
    await obs.page.locator('.version-clause details summary').first().click()
    await obs.page.locator('.history-list li').first().waitFor()
    assert.ok((await obs.page.locator('.history-list').textContent()).includes('Bartek Nowak'))
    await look(obs.page, 'history')
    await obs.page.getByRole('link', { name: /Back to the meeting/ }).click()
    await waitForStatus(obs.page, 'connected')
  })

  test('the projector: large type, 7:1 contrast, the join QR code, no moderator token', async () => {
    const [popup] = await Promise.all([
      mod.page.waitForEvent('popup'),
      mod.page.getByRole('button', { name: 'Otwórz widok dla rzutnika' }).click()
    ])
    await popup.waitForURL(/\/projector/)
    await waitForStatus(popup, 'connected')
    // The window took its seat out of the address into its own storage; the
    // same link opens it on the room's own machine.
    const seat = await popup.evaluate((id) => JSON.parse(sessionStorage.getItem(`draftroom.projector.${id}`)), meeting.id)
    assert.equal(new URL(popup.url()).hash, '', 'the popup shows no secret in its address')
    projectorUrl = `${server.url}/m/${meeting.id}/projector#${new URLSearchParams({ token: seat.token, invite: seat.invite, code: seat.code ?? '' })}`
    await popup.close()
    // The room's screen is a machine of its own.
    proj = await person(browser, { lang: 'pl', viewport: { width: 1920, height: 1080 }, name: 'projector' })
    await proj.page.goto(projectorUrl)
    await waitForStatus(proj.page, 'connected')
    const draftNow = await clauseTexts(mod.page)
    await waitUntil(async () => JSON.stringify(await clauseTexts(proj.page)) === JSON.stringify(draftNow), { message: 'the projector shows the draft' })
    assert.equal(new URL(proj.page.url()).hash, '', 'the fragment is taken out of the address')

    // Clause text at least 1/50 of the screen's height.
    const size = await proj.page.$eval('.clause-editor .cm-line', (el) => parseFloat(getComputedStyle(el).fontSize))
    assert.ok(size >= 1080 / 50, `clause text ${size}px`)
    // Contrast of the clause text over what is behind it, 7:1 at least.
    const ratio = await proj.page.evaluate(() => {
      const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number)
      const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4 }).reduce((a, c, i) => a + c * [0.2126, 0.7152, 0.0722][i], 0)
      const bgOf = (el) => { while (el) { const b = getComputedStyle(el).backgroundColor; if (b && !b.endsWith(', 0)') && b !== 'transparent') return rgb(b); el = el.parentElement } return [255, 255, 255] }
      let worst = 21
      for (const el of document.querySelectorAll('.clause-editor .cm-line, .clause-editor .au')) {
        const fg = lum(rgb(getComputedStyle(el).color))
        const bg = lum(bgOf(el))
        worst = Math.min(worst, (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05))
      }
      return worst
    })
    assert.ok(ratio >= 7, `contrast ${ratio.toFixed(2)}:1`)
    // The QR code decodes to the participants' invite link.
    const decoded = await decodeQr(proj.page, '.projector-join svg.qr')
    assert.ok(decoded, 'the QR code decodes')
    assert.equal(decoded, meeting.participant)
    // No moderator token in its page, its storage or its address.
    const everything = await proj.page.evaluate(() => JSON.stringify({
      html: document.documentElement.outerHTML,
      local: { ...localStorage },
      session: { ...sessionStorage },
      url: location.href
    }))
    assert.ok(!everything.includes(meeting.token), 'the moderator token is nowhere on the projector')
    assert.ok(!projectorUrl.includes(meeting.token), 'nor in the address it was opened with')
    assert.equal(await proj.page.locator('main button:visible, main input:visible, main select:visible').count(), 0, 'no controls')
    // A reload keeps it on the screen.
    await proj.page.reload()
    await waitForStatus(proj.page, 'connected')
    await waitUntil(async () => JSON.stringify(await clauseTexts(proj.page)) === JSON.stringify(draftNow), { message: 'the projector after a reload' })
    await proj.page.evaluate(() => document.fonts.ready)
    await assertAccessible(proj.page, 'projector')
    await shot(proj.page, 'projector')
  })

  test('the report opens and prints in the meeting language, Polish letters intact', async () => {
    await mod.page.getByRole('link', { name: 'Sprawozdanie ze spotkania' }).click()
    await mod.page.locator('.report-doc h1').waitFor()
    const text = await mod.page.locator('.report-doc').textContent()
    assert.ok(text.includes('Misja Miasta Krakowa'), 'the title')
    assert.ok(text.includes('Ania Żółć'), 'the names with their letters')
    assert.equal(await mod.page.$eval('.report-doc', (el) => el.getAttribute('lang')), 'pl', 'written in Polish')
    await look(mod.page, 'report')
    const pdf = await mod.page.pdf({ format: 'A4' })
    const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise
    let printed = ''
    for (let i = 1; i <= doc.numPages; i++) {
      const content = await (await doc.getPage(i)).getTextContent()
      printed += content.items.map((it) => it.str).join(' ') + '\n'
    }
    assert.ok(printed.includes('Żółć'), `the PDF keeps Polish letters: ${printed.slice(0, 200)}`)
    assert.ok(printed.includes('współdziałania'), 'and the agreed wording')
    assert.ok(!printed.includes('Drukuj'), 'the print button is not printed')
  })

  test('every new screen in both languages, on a desktop and a phone', async () => {
    // An open proposal, so that the meeting shows one.
    await mod.page.goto(`${server.url}/m/${meeting.id}`)
    await waitForStatus(mod.page, 'connected')
    await mod.page.getByRole('button', { name: 'Otwórz na kolejną rundę' }).click()
    await mod.page.getByRole('dialog').getByRole('button', { name: 'Otwórz' }).click()
    await ania.page.getByRole('button', { name: 'Zaproponuj brzmienie punktu 1' }).waitFor()
    await ania.page.getByRole('button', { name: 'Zaproponuj brzmienie punktu 1' }).click()
    await ania.page.locator('.amendment-editor .cm-content').waitFor()
    await ania.page.keyboard.press('ControlOrMeta+End')
    await ania.page.keyboard.type(' Dla wszystkich.', { delay: 10 })
    await waitUntil(async () => (await mod.page.locator('.proposed-diff').textContent())?.includes('wszystkich'), { message: 'the proposal reaches the moderator' })
    const viewports = [['desktop', { width: 1440, height: 900 }], ['phone', PHONE]]
    for (const lang of ['en', 'pl']) {
      for (const p of [mod, obs, ania]) await p.page.locator('.lang-switch').selectOption(lang)
      for (const [, viewport] of viewports) {
        for (const [p, name] of [[mod, 'meeting-amendment-moderator'], [obs, 'meeting-amendment-observer'], [ania, 'meeting-amendment-author']]) {
          await p.page.setViewportSize(viewport)
          await p.page.locator('.amendment').first().waitFor()
          await look(p.page, name)
        }
        await mod.page.getByRole('link', { name: lang === 'pl' ? 'Wersje i historia' : 'Versions and history' }).click()
        await mod.page.locator('.version-clause').first().waitFor()
        await look(mod.page, 'history')
        await mod.page.goto(`${server.url}/m/${meeting.id}/report`)
        await mod.page.locator('.report-doc h1').waitFor()
        await look(mod.page, 'report')
        await mod.page.goto(`${server.url}/j`)
        await mod.page.locator('#code').waitFor()
        await look(mod.page, 'join-code')
        await mod.page.goto(`${server.url}/m/${meeting.id}`)
        await waitForStatus(mod.page, 'connected')
        // The questions the moderator is asked.
        await mod.page.getByRole('button', { name: lang === 'pl' ? /Zatwierdź uzgodnioną wersję/ : /Freeze the agreed version/ }).click()
        await mod.page.getByRole('dialog').waitFor()
        await look(mod.page, 'freeze-confirm')
        await mod.page.getByRole('dialog').getByRole('button', { name: lang === 'pl' ? 'Anuluj' : 'Cancel' }).click()
        await mod.page.locator('.rotate').first().click()
        await mod.page.getByRole('dialog').waitFor()
        await look(mod.page, 'rotate-confirm')
        await mod.page.getByRole('dialog').getByRole('button', { name: lang === 'pl' ? 'Anuluj' : 'Cancel' }).click()
      }
      await proj.page.locator('.projector').waitFor()
      await proj.page.evaluate((lang) => localStorage.setItem('draftroom.lang', lang), lang)
      await proj.page.reload()
      await waitForStatus(proj.page, 'connected')
      await proj.page.evaluate(() => document.fonts.ready)
      assert.equal(await proj.page.evaluate(() => document.documentElement.lang), lang)
      await assertAccessible(proj.page, `projector ${lang}`)
      await shot(proj.page, 'projector')
    }
  })
})
