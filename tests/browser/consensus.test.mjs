// The workshop's later steps in browsers (issue 12): a moderator, two
// participants (one on a phone) and the room's projector, each in their own
// Chromium context, against the real server. The meeting is made and moved
// between stages through the API; everything else is done on the pages:
// elements of the common ground pulled into the draft and linked to
// clauses; signals with a block and its reason, one recorded for someone
// without a device, a lapse after an edit, a wording changed under a
// sender; a hidden consensus check that no participant's page gives away
// before it closes; a freeze refused for want of consent, then done with a
// written reason; the projector at each step. Every new screen is
// screenshotted in Polish and English, on a desktop and a phone, and
// scanned with axe-core.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import { mkdirSync } from 'node:fs'
import { join as pathJoin } from 'node:path'


import {
  Server, launch, person, join, waitUntil, waitForStatus, clauseTexts, shot,
  assertAccessible, assertNoHorizontalScroll, decodeQr, DESKTOP, PHONE, SHOTS
} from './harness.mjs'

const TITLE = 'Misja Miasta Krakowa'

// The seed's elements (krakow-mission-workshop-2013.txt), in two groups.
const A = ['świadomi i aktywni mieszkańcy + komunikowanie się z mieszkańcami', 'współodpowiedzialność', 'współpraca dla biznesu', 'kultura i nowoczesna gospodarka']
const B = ['partnerskie zarządzanie w skali metropolitalnej', 'sport i rekreacja dla wszystkich']

/** The answer that must not leak before the hidden check closes. */
const SECRET = 'Brakuje słowa o środowisku (tajne do zamknięcia)'

async function look (page, name) {
  await page.evaluate(() => document.fonts.ready)
  await assertNoHorizontalScroll(page, name)
  await assertAccessible(page, name)
  await shot(page, name)
}

/** A dialog as its user sees it: the screen, not the whole page behind it. */
async function lookAtDialog (page, name) {
  await page.evaluate(() => document.fonts.ready)
  await assertNoHorizontalScroll(page, name)
  await assertAccessible(page, name)
  mkdirSync(SHOTS, { recursive: true })
  const lang = await page.evaluate(() => document.documentElement.lang)
  const form = page.viewportSize().width < 500 ? 'phone' : 'desktop'
  await page.screenshot({ path: pathJoin(SHOTS, `${name}-${lang}-${form}.png`) })
}

/** A page in each language and form, as its user could have it; back to how it was. */
async function everyWay (p, name, ready) {
  const lang = await p.page.evaluate(() => document.documentElement.lang)
  const viewport = p.page.viewportSize()
  for (const l of ['pl', 'en']) {
    await p.page.locator('.lang-switch').selectOption(l)
    for (const vp of [DESKTOP, PHONE]) {
      await p.page.setViewportSize(vp)
      await waitForStatus(p.page, 'connected')
      await ready(l)
      await look(p.page, name)
    }
  }
  await p.page.locator('.lang-switch').selectOption(lang)
  await p.page.setViewportSize(viewport)
  await waitForStatus(p.page, 'connected')
}

/** The projector in each language; back to Polish. */
async function projectorEveryWay (proj, name, ready) {
  for (const l of ['en', 'pl']) {
    await proj.page.evaluate((l) => localStorage.setItem('draftroom.lang', l), l)
    await proj.page.reload()
    await waitForStatus(proj.page, 'connected')
    await ready(l)
    await proj.page.evaluate(() => document.fonts.ready)
    await assertAccessible(proj.page, `${name} ${l}`)
    await shot(proj.page, name)
  }
}

/** The text a page shows, as someone reads it (dialogs included). */
const visibleText = (page) => page.evaluate(() => document.body.innerText)

const clause = (page, n) => page.locator('.clause').nth(n - 1)
const strip = (page, n) => clause(page, n).locator('[data-testid="signal-strip"]')

/** A locator's text now, '' when it is not there (no waiting). */
const text = async (locator) => ((await locator.count()) ? (await locator.first().textContent()) ?? '' : '')

/** The tally of a stance under clause `n` as a page shows it now (0 when none is shown). */
const count = (page, n, stance) =>
  page.evaluate(([n, stance]) => Number(document.querySelectorAll('.clause')[n - 1]?.querySelector(`.clause-method .tally-item[data-stance="${stance}"]`)?.dataset.count ?? 0), [n, stance])

/** Types at the end of clause `n` as the moderator. */
async function typeAtEnd (page, n, text) {
  await clause(page, n).locator('.cm-content').click()
  await page.keyboard.press('ControlOrMeta+End')
  await page.keyboard.type(text, { delay: 5 })
}

describe('common ground, signals, the consensus check and a freeze with a reason', () => {
  let server, browser, mod, ania, bartek, proj
  let id, created, modToken, ids

  const api = (method, path, body, token = modToken) => server.api(method, `/api/meetings/${id}${path}`, { token, body })
  const ok = async (method, path, body, token) => {
    const r = await api(method, path, body, token)
    assert.ok(r.status >= 200 && r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    const made = await server.api('POST', '/api/meetings', { body: { title: TITLE, moderator_name: 'Ewa Moderatorka', language: 'pl', workshop: true } })
    assert.equal(made.status, 201)
    created = made.body
    id = created.id
    modToken = created.moderator_token

    // The collect and common-ground stages, through the API: two groups,
    // their elements, the shares that make the common ground, a value.
    ids = {}
    const group = async (name) => (await ok('POST', '/groups', { name })).id
    const ga = await group('Grupa A')
    const gb = await group('Grupa B')
    for (const [g, list] of [[ga, A], [gb, B]]) {
      for (const text of list) ids[text] = (await ok('POST', '/elements', { text, group_id: g })).id
    }
    await ok('POST', '/stage', { stage: 'common_ground' })
    for (const text of A) await ok('POST', `/elements/${ids[text]}/share`, { shared: true, group_id: gb })
    await ok('POST', `/elements/${ids[B[0]]}/share`, { shared: true, group_id: ga })
    await ok('POST', `/elements/${ids[A[1]]}/value`, { value: true })
    await ok('POST', `/elements/${ids[A[0]]}/value`, { under: ids[A[1]] })
    await ok('POST', '/stage', { stage: 'draft' })

    // The moderator's seat, as the start page would have kept it.
    mod = await person(browser, { lang: 'pl', name: 'moderator' })
    const me = (await api('GET', '')).body.you
    await mod.page.goto(server.url + '/')
    await mod.page.evaluate((seat) => {
      const all = JSON.parse(localStorage.getItem('draftroom.seats.v1') ?? '{}')
      all[seat.meeting] = seat
      localStorage.setItem('draftroom.seats.v1', JSON.stringify(all))
    }, {
      meeting: id,
      token: modToken,
      userId: me.user_id,
      name: me.name,
      role: 'moderator',
      title: TITLE,
      invites: { participant: created.participant_invite, observer: created.observer_invite, code: created.participant_code },
      seenAt: Date.now()
    })
    await mod.page.goto(`${server.url}/m/${id}`)
    await waitForStatus(mod.page, 'connected')

    const invite = `${server.url}/m/${id}/join#invite=${encodeURIComponent(created.participant_invite)}`
    ania = await person(browser, { lang: 'pl', viewport: PHONE, name: 'ania' })
    await join(ania, invite, 'Ania Żółć')
    bartek = await person(browser, { lang: 'en', name: 'bartek' })
    await join(bartek, invite, 'Bartek Nowak')

    // The room's screen: an observer seat of its own, as the moderator's button hands it over.
    const screen = await server.api('POST', `/api/meetings/${id}/join`, { body: { invite: created.observer_invite, name: 'Rzutnik' } })
    proj = await person(browser, { lang: 'pl', viewport: { width: 1920, height: 1080 }, name: 'projector' })
    await proj.page.goto(`${server.url}/m/${id}/projector#${new URLSearchParams({ token: screen.body.token, invite: created.participant_invite, code: created.participant_code ?? '' })}`)
    await waitForStatus(proj.page, 'connected')
  })

  after(async () => {
    // A refused signal (409 wording_changed) and freeze are logged by the browser as failed requests.
    const errors = [mod, ania, bartek, proj].filter(Boolean).map((p) => [p.name, p.errors.filter((e) => !/status of 409/.test(e))])
    await browser?.close()
    await server?.stop()
    assert.deepEqual(errors.filter(([, e]) => e.length), [], 'console errors')
  })

  test('the common ground beside the draft: elements pulled into it and linked to clauses', async () => {
    const panel = mod.page.locator('.panel.ground')
    await panel.waitFor()
    assert.equal(await mod.page.locator('button.freeze').isVisible(), false, 'nothing to freeze while drafting')
    // Five elements every group shares (the sixth is B's own), the value with the element under it.
    await waitUntil(async () => (await panel.locator('[data-testid="ground-summary"]').textContent()) === '0 z 5 w tekście', { message: 'nothing carried yet' })
    assert.equal(await panel.locator('.ground-item').count(), 5)
    assert.equal(await panel.locator('.ground-item.is-missing').count(), 5, 'every element marked as not in the text')
    const value = panel.locator(`.ground-item[data-element="${ids[A[1]]}"]`)
    assert.equal(await value.locator('.ground-row').first().locator('strong.ground-words').textContent(), A[1], 'the value in bold')
    assert.equal(await value.locator(`.ground-nested .ground-item[data-element="${ids[A[0]]}"]`).count(), 1, 'the element nested under its value')
    assert.equal(await panel.getByText('sport i rekreacja').count(), 0, 'what one group alone brought is not common ground')

    // The moderator pulls two elements into the draft: each starts a clause.
    await mod.page.getByRole('button', { name: `Dodaj do projektu nowy punkt: „${A[3]}”` }).click()
    await waitUntil(async () => (await clauseTexts(mod.page)).length === 1, { message: 'the first clause' })
    await mod.page.getByRole('button', { name: `Dodaj do projektu nowy punkt: „${B[0]}”` }).click()
    await waitUntil(async () => JSON.stringify(await clauseTexts(mod.page)) === JSON.stringify([A[3], B[0]]), { message: 'both clauses, in order' })
    await waitUntil(async () => (await panel.locator('[data-testid="ground-summary"]').textContent()) === '2 z 5 w tekście', { message: 'two carried' })
    assert.equal(await panel.locator(`.ground-item[data-element="${ids[A[3]]}"] .ground-in`).first().textContent(), 'W punkcie 1')

    // The moderator writes the first clause out and links it to the value and the element under it.
    await typeAtEnd(mod.page, 1, ' — Samorząd tworzy warunki dla współodpowiedzialności świadomych i aktywnych mieszkańców.')
    await clause(mod.page, 1).getByRole('button', { name: 'Powiąż elementy wspólne z punktem 1' }).click()
    const dialog = mod.page.getByRole('dialog', { name: 'Co zawiera punkt 1?' })
    await dialog.waitFor()
    assert.equal(await dialog.getByLabel(A[3], { exact: true }).isChecked(), true, 'what it was pulled from is ticked')
    await dialog.getByLabel(A[1], { exact: true }).check()
    await dialog.getByLabel(A[0], { exact: true }).check()
    await lookAtDialog(mod.page, 'consensus-link-dialog')
    await dialog.getByRole('button', { name: 'Zapisz' }).click()
    await dialog.waitFor({ state: 'detached' })
    await waitUntil(async () => (await panel.locator('[data-testid="ground-summary"]').textContent()) === '4 z 5 w tekście', { message: 'four carried' })
    assert.deepEqual(await clause(mod.page, 1).locator('.chip').allTextContents(), [A[1], A[0], A[3]], 'the clause lists what it carries, in the common ground’s order')
    // Unlinking takes one back; the element left out stays marked.
    await clause(mod.page, 1).getByRole('button', { name: 'Powiąż elementy wspólne z punktem 1' }).click()
    await dialog.getByLabel(A[0], { exact: true }).uncheck()
    await dialog.getByRole('button', { name: 'Zapisz' }).click()
    await waitUntil(async () => (await panel.locator('[data-testid="ground-summary"]').textContent()) === '3 z 5 w tekście', { message: 'three carried' })
    const missing = await panel.locator('.ground-item.is-missing .ground-words').allTextContents()
    assert.deepEqual(missing.sort(), [A[0], A[2]].sort())
    assert.equal(await panel.locator('.is-missing .ground-missing').first().textContent(), 'Jeszcze go nie ma w tekście')

    // Everyone sees the coverage; only the moderator pulls and links. On the phone the panel is below the draft.
    await waitUntil(async () => (await ania.page.locator('[data-testid="ground-summary"]').textContent()) === '3 z 5 w tekście', { message: 'Ania sees the coverage' })
    assert.equal(await ania.page.locator('.ground-pull, .link-elements').count(), 0, 'a participant neither pulls nor links')
    const [draftBox, groundBox] = await Promise.all([ania.page.locator('section.draft').boundingBox(), ania.page.locator('.panel.ground').boundingBox()])
    assert.ok(groundBox.y >= draftBox.y + draftBox.height, 'on a phone the common ground is below the draft')
    await waitUntil(async () => (await bartek.page.locator('[data-testid="ground-summary"]').textContent()) === '3 of 5 in the text', { message: 'Bartek sees it in English' })

    await everyWay(mod, 'consensus-ground-moderator', async () => mod.page.locator('.panel.ground .ground-item').first().waitFor())
    await look(ania.page, 'consensus-ground-participant')
    await look(bartek.page, 'consensus-ground-participant')
  })

  test('signals: a block with its reason, one recorded for someone without a device, a lapse after an edit, a wording changed meanwhile', async () => {
    await ok('POST', '/stage', { stage: 'amend' })
    for (const p of [mod, ania, bartek]) await strip(p.page, 2).waitFor()

    // Bartek agrees with clause 1; his own signal shows, the tally is live everywhere.
    await strip(bartek.page, 1).getByRole('button', { name: 'Agree', exact: true }).click()
    await waitUntil(async () => (await strip(bartek.page, 1).getByRole('button', { name: 'Agree', exact: true }).getAttribute('aria-pressed')) === 'true', { message: 'his signal shows as his' })
    assert.equal(await strip(bartek.page, 1).locator('[data-testid="own-signal"]').textContent(), 'Your signal: agree')
    for (const p of [mod, ania, proj]) {
      await waitUntil(async () => (await count(p.page, 1, 'agree')) === 1, { message: `${p.name} sees one agreement` })
    }

    // Ania, on her phone, blocks clause 2: a dialog asks why, and will not send without it.
    await strip(ania.page, 2).getByRole('button', { name: 'Blokuję', exact: true }).click()
    const why = ania.page.getByRole('dialog', { name: 'Dlaczego blokujesz punkt 2?' })
    await why.waitFor()
    await why.getByRole('button', { name: 'Wyślij' }).click()
    await why.getByText('Napisz uzasadnienie').waitFor()
    await lookAtDialog(ania.page, 'consensus-reason-dialog')
    await why.getByLabel('Uzasadnienie').fill('Zarządzanie bez mieszkańców to nie partnerstwo.')
    await why.getByRole('button', { name: 'Wyślij' }).click()
    await why.waitFor({ state: 'detached' })
    await waitUntil(async () => (await strip(ania.page, 2).locator('[data-testid="own-signal"]').textContent()) === 'Twój sygnał: blokada', { message: 'Ania sees her block' })
    // The moderator sees it pinned with her name and reason, and so does the room's screen.
    for (const p of [mod, proj]) {
      await waitUntil(async () => (await text(clause(p.page, 2).locator('[data-testid="blocks"]'))).includes('Ania Żółć: Zarządzanie bez mieszkańców to nie partnerstwo.'), { message: `${p.name} sees the block pinned` })
    }

    // Above the draft, the moderator has every standing block pinned, with the clause it stands on.
    await waitUntil(async () => (await text(mod.page.locator('[data-testid="pinned-blocks"]'))).includes('Punkt 2Ania Żółć: Zarządzanie bez mieszkańców to nie partnerstwo.'), { message: 'the block pinned above the draft' })
    assert.equal(await mod.page.locator('[data-testid="pinned-blocks"] .blocks-heading').textContent(), '⊘ 1 blokada')

    // The moderator records an abstention for someone in the room without a device.
    await strip(mod.page, 1).getByRole('button', { name: 'Zapisz sygnał do punktu 1 w imieniu osoby z sali' }).click()
    const rec = mod.page.getByRole('dialog', { name: 'Sygnał do punktu 1 w czyimś imieniu' })
    await rec.waitFor()
    await rec.getByLabel('Imię i nazwisko').fill('Zdzisław Kowalski')
    await rec.getByRole('button', { name: 'Dodaj do sali' }).click()
    await waitUntil(async () => (await rec.getByLabel('Kto').inputValue()) !== '', { message: 'the person added and chosen' })
    await rec.getByRole('radio', { name: 'Wstrzymuję się', exact: true }).check()
    await lookAtDialog(mod.page, 'consensus-record-signal')
    await rec.getByRole('button', { name: 'Wyślij' }).click()
    await rec.waitFor({ state: 'detached' })
    await waitUntil(async () => (await count(mod.page, 1, 'abstain')) === 1, { message: 'the abstention counts' })
    await waitUntil(async () => (await mod.page.locator('.person-name').allTextContents()).includes('Zdzisław Kowalski'), { message: 'he is listed in the room' })

    await everyWay(mod, 'consensus-signals-moderator', async () => strip(mod.page, 2).locator('[data-testid="blocks"]').waitFor())
    await look(ania.page, 'consensus-signals-participant')
    await look(bartek.page, 'consensus-signals-participant')
    await proj.page.locator('.projector-blocks').waitFor()
    await projectorEveryWay(proj, 'consensus-projector-amend', async () => proj.page.locator('.projector-blocks').waitFor())

    // The moderator edits clause 1: every signal on it lapses, and Bartek is told his did.
    await typeAtEnd(mod.page, 1, ' Razem.')
    await waitUntil(async () => (await strip(bartek.page, 1).locator('[data-testid="own-signal"]').textContent()) === '⚠ Your signal (agree) lapsed: the wording changed since. Signal again.', { message: 'Bartek sees his signal lapse' })
    assert.equal(await strip(bartek.page, 1).getByRole('button', { name: 'Agree', exact: true }).getAttribute('aria-pressed'), 'false')
    await waitUntil(async () => (await text(strip(mod.page, 1).locator('.tally-lapsed'))) === '2 sygnały wygasły wraz z wcześniejszym brzmieniem', { message: 'the moderator sees two lapsed' })
    assert.equal(await strip(mod.page, 1).locator('.tally-none').textContent(), 'Brak sygnałów do tego brzmienia')
    await look(bartek.page, 'consensus-signal-lapsed')

    // Bartek starts to disagree with clause 1; while he writes why, the moderator types on.
    await strip(bartek.page, 1).getByRole('button', { name: 'Disagree', exact: true }).click()
    const bw = bartek.page.getByRole('dialog', { name: 'Why do you disagree with clause 1?' })
    await bw.waitFor()
    await bw.getByLabel('Reason').fill('Too vague about who does what.')
    await typeAtEnd(mod.page, 1, ' Teraz.')
    await waitUntil(async () => (await clauseTexts(bartek.page))[0].endsWith('Razem. Teraz.'), { message: 'the new wording reaches Bartek' })
    await bw.getByRole('button', { name: 'Send' }).click()
    // The server refuses the old wording; the page shows what changed and asks again, his reason kept.
    const changed = bartek.page.getByRole('dialog', { name: 'Clause 1 changed meanwhile' })
    await changed.waitFor()
    assert.ok((await changed.locator('ins').allTextContents()).join(' ').includes('Teraz'), 'the change is marked')
    assert.ok((await changed.textContent()).includes('Too vague about who does what.'))
    await lookAtDialog(bartek.page, 'consensus-wording-changed')
    await changed.getByRole('button', { name: 'Signal “disagree” on this wording' }).click()
    await changed.waitFor({ state: 'detached' })
    await waitUntil(async () => (await strip(bartek.page, 1).locator('[data-testid="own-signal"]').textContent()) === 'Your signal: disagree', { message: 'his disagreement stands on the new wording' })
    await waitUntil(async () => (await count(mod.page, 1, 'disagree')) === 1, { message: 'the moderator counts it' })
    await strip(mod.page, 1).locator('.signal-disagree summary').click()
    assert.ok((await strip(mod.page, 1).locator('.signal-disagree').textContent()).includes('Bartek Nowak: Too vague about who does what.'))
  })

  test('a hidden check: the draft locks, everyone answers once, nobody sees another’s answer before it closes', async () => {
    // The moderator sees the text has no consent yet, and opens a hidden check.
    const tools = mod.page.locator('.check-tools')
    await tools.waitFor()
    assert.equal(await tools.locator('.consent-line').textContent(), '! Nie było jeszcze sprawdzenia zgody na ten tekst.')
    assert.equal(await mod.page.locator('button.freeze').textContent(), '🔒 Zatwierdź bez zgody sali…')
    await tools.getByRole('button', { name: /Sprawdź zgodę na cały tekst/ }).click()
    const open = mod.page.getByRole('dialog', { name: 'Rozpocząć sprawdzenie zgody na cały tekst?' })
    await open.waitFor()
    assert.equal(await open.getByLabel(/Ukryte do zamknięcia/).isChecked(), true, 'hidden results by default')
    await lookAtDialog(mod.page, 'consensus-open-check')
    await open.getByRole('button', { name: 'Rozpocznij sprawdzenie' }).click()
    await open.waitFor({ state: 'detached' })

    // Ania's page watches for Bartek's answer from now on.
    await ania.page.evaluate((secret) => {
      window.__leaks = []
      const look = () => {
        const text = document.body.innerText
        if (text.includes(secret) || text.includes('Bartek Nowak: ')) window.__leaks.push(text.slice(0, 200))
        if (document.querySelector('[data-testid="check-tally"]')) window.__leaks.push('a tally')
      }
      window.__watch = new MutationObserver(look)
      window.__watch.observe(document.body, { subtree: true, childList: true, characterData: true })
    }, SECRET)

    for (const p of [mod, ania, bartek]) await p.page.locator('.check-card').waitFor()
    // The draft is locked: nobody's editor takes input, no proposals are offered.
    assert.equal(await clause(mod.page, 1).locator('.cm-content').getAttribute('contenteditable'), 'false')
    assert.equal(await ania.page.locator('.propose:visible').count(), 0)
    await waitUntil(async () => (await ania.page.locator('[data-testid="answered"]').textContent()) === 'Odpowiedzi: 0 z 4', { message: 'four in the room, none answered' })
    await everyWay(ania, 'consensus-check-prompt', async () => ania.page.locator('.check-prompt').waitFor())
    await proj.page.locator('[data-testid="projector-answered"]').waitFor()
    assert.equal(await proj.page.locator('[data-testid="projector-answered"]').textContent(), '0 z 4')

    // Bartek disagrees, with a reason nobody else may read yet.
    await bartek.page.locator('.check-prompt').getByRole('button', { name: 'Disagree', exact: true }).click()
    const bw = bartek.page.getByRole('dialog', { name: 'Why do you disagree with the text?' })
    await bw.getByLabel('Reason').fill(SECRET)
    await bw.getByRole('button', { name: 'Send' }).click()
    await waitUntil(async () => (await text(bartek.page.locator('[data-testid="my-answer"]'))).startsWith('✓ You answered: disagree'), { message: 'Bartek sees his own answer' })
    assert.equal(await bartek.page.locator('.check-prompt').count(), 0, 'he answers once')
    // Ania blocks: a block is named for all, even while hidden.
    await ania.page.locator('.check-prompt').getByRole('button', { name: 'Blokuję', exact: true }).click()
    const aw = ania.page.getByRole('dialog', { name: 'Dlaczego blokujesz tekst?' })
    await aw.getByLabel('Uzasadnienie').fill('Brak mieszkańców w drugim punkcie.')
    await aw.getByRole('button', { name: 'Wyślij' }).click()
    await waitUntil(async () => (await ania.page.locator('[data-testid="answered"]').textContent()) === 'Odpowiedzi: 2 z 4', { message: 'two answered' })
    for (const p of [mod, bartek, proj]) {
      await waitUntil(async () => (await text(p.page.locator('.check-blocks, .projector-blocks'))).includes('Ania Żółć: Brak mieszkańców w drugim punkcie.'), { message: `${p.name} sees the named block` })
    }
    // The moderator records an answer for the man without a device.
    await mod.page.locator('.check-card').getByRole('button', { name: 'Zapisz czyjąś odpowiedź…' }).click()
    const rec = mod.page.getByRole('dialog', { name: 'Odpowiedź w sprawdzeniu nr 1 w czyimś imieniu' })
    await rec.getByLabel('Kto').selectOption({ label: 'Zdzisław Kowalski' })
    await rec.getByRole('radio', { name: 'Zgadzam się', exact: true }).check()
    await lookAtDialog(mod.page, 'consensus-record-answer')
    await rec.getByRole('button', { name: 'Wyślij' }).click()
    await rec.waitFor({ state: 'detached' })
    for (const p of [mod, ania, bartek]) {
      await waitUntil(async () => /3 (z|of) 4/.test(await p.page.locator('[data-testid="answered"]').textContent()), { message: `${p.name}: three of four` })
    }
    await waitUntil(async () => (await proj.page.locator('[data-testid="projector-answered"]').textContent()) === '3 z 4', { message: 'the projector: 3 of 4, big' })
    assert.equal(await mod.page.locator('[data-testid="check-tally"]').count(), 0, 'not even the moderator sees a tally while hidden')
    assert.ok(!(await visibleText(mod.page)).includes(SECRET), 'nor the hidden reason')
    await everyWay(mod, 'consensus-check-moderator', async () => mod.page.locator('.check-moderator').waitFor())
    await look(bartek.page, 'consensus-check-answered')
    await look(ania.page, 'consensus-check-answered')
    await projectorEveryWay(proj, 'consensus-projector-check', async () => proj.page.locator('[data-testid="projector-answered"]').waitFor())

    // Nothing of Bartek's answer reached Ania's page while it was open.
    await ania.page.evaluate(() => window.__watch.disconnect())
    assert.deepEqual(await ania.page.evaluate(() => window.__leaks), [])
    assert.ok(!(await visibleText(ania.page)).includes(SECRET))
    assert.ok(!(await ania.page.content()).includes(SECRET), 'not even in the page’s markup')

    // The moderator closes it: the results show everywhere.
    await mod.page.getByRole('button', { name: 'Zakończ sprawdzenie' }).click()
    await mod.page.getByRole('dialog', { name: 'Zakończyć sprawdzenie zgody nr 1?' }).getByRole('button', { name: 'Zakończ i pokaż wyniki' }).click()
    for (const p of [mod, ania, bartek]) await p.page.locator('.check-card.is-closed [data-testid="check-tally"]').waitFor()
    const tally = await ania.page.$$eval('.check-card [data-testid="check-tally"] .tally-item', (els) => els.map((e) => [e.dataset.stance, Number(e.dataset.count)]))
    assert.deepEqual(tally, [['agree', 1], ['abstain', 0], ['disagree', 1], ['block', 1]])
    await ania.page.locator('.check-card .signal-disagree summary').click()
    assert.ok((await ania.page.locator('.check-card .signal-disagree').textContent()).includes(`Bartek Nowak: ${SECRET}`), 'once closed, the reasons show')
    assert.equal(await mod.page.locator('.check-moderator .consent-line').textContent(), '! W sprawdzeniu nr 1 pozostała 1 blokada.')
    await everyWay(mod, 'consensus-check-closed', async () => mod.page.locator('.check-card.is-closed').waitFor())
    await look(ania.page, 'consensus-check-closed-participant')
    await projectorEveryWay(proj, 'consensus-projector-check-closed', async () => proj.page.locator('.projector-consent').waitFor())
    // A freeze without a reason is refused by the server: a block stands.
    const refused = await api('POST', '/freeze', {})
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'no_consensus')
  })

  test('back to amending, then a freeze refused for want of consent and done with a written reason', async () => {
    await mod.page.getByRole('button', { name: 'Wróć do poprawek' }).click()
    await waitUntil(async () => (await clause(mod.page, 1).locator('.cm-content').getAttribute('contenteditable')) === 'true', { message: 'the draft is open again' })
    await mod.page.locator('.check-tools').waitFor()
    assert.equal(await mod.page.locator('.check-tools .consent-line').textContent(), '! W sprawdzeniu nr 1 pozostała 1 blokada.')

    // The freeze button says there is no consent; it asks for the reason, and shows why.
    await mod.page.getByRole('button', { name: '🔒 Zatwierdź bez zgody sali…' }).click()
    const dialog = mod.page.getByRole('dialog', { name: 'Zatwierdzić wersję 1 bez zgody sali?' })
    await dialog.waitFor()
    assert.equal(await dialog.locator('[data-testid="freeze-why"]').textContent(), 'W sprawdzeniu nr 1 pozostała 1 blokada.')
    await dialog.getByRole('button', { name: 'Zatwierdź z tym uzasadnieniem' }).click()
    await dialog.getByText('Napisz, dlaczego zatwierdzasz teraz').waitFor()
    assert.equal(await mod.page.locator('.agreed').count(), 0, 'nothing frozen without a reason')
    await lookAtDialog(mod.page, 'consensus-freeze-reason')
    const reason = 'Termin rady miasta; blokada zostanie omówiona na kolejnym spotkaniu.'
    await dialog.getByLabel('Pisemne uzasadnienie zatwierdzenia teraz').fill(reason)
    await dialog.getByRole('button', { name: 'Zatwierdź z tym uzasadnieniem' }).click()
    await dialog.waitFor({ state: 'detached' })

    // The version carries the reason, for everyone; the projector shows the whole hash and the report's QR code.
    for (const [p, label] of [[mod, 'Zatwierdzono bez zgody sali. Uzasadnienie:'], [ania, 'Zatwierdzono bez zgody sali. Uzasadnienie:'], [bartek, 'Frozen without the room’s consent. Reason:']]) {
      await waitUntil(async () => (await text(p.page.locator('[data-testid="freeze-reason"]'))) === `${label} ${reason}`, { message: `${p.name} sees the reason with the version` })
    }
    const versions = (await api('GET', '/versions')).body
    const sha = versions[versions.length - 1].sha256
    await proj.page.locator('.projector-hash-full').waitFor()
    assert.equal((await proj.page.locator('.projector-hash-full').textContent()).replace(/ /g, ''), sha)
    assert.ok((await proj.page.locator('.projector-reason').textContent()).includes(reason))
    assert.equal(await decodeQr(proj.page, '.projector-record svg.qr'), `${server.url}/m/${id}/report`, 'the QR code opens the report')
    assert.equal(await proj.page.locator('main button:visible, main input:visible, main select:visible').count(), 0, 'the projector has no controls')

    await everyWay(mod, 'consensus-frozen-moderator', async () => mod.page.locator('[data-testid="freeze-reason"]').waitFor())
    await look(ania.page, 'consensus-frozen-participant')
    await projectorEveryWay(proj, 'consensus-projector-frozen', async () => proj.page.locator('.projector-hash-full').waitFor())

    // The record keeps it: the version in the history shows the reason too.
    await bartek.page.getByRole('link', { name: 'Versions and history' }).click()
    await bartek.page.getByRole('button', { name: 'Show version 1' }).click()
    await waitUntil(async () => (await text(bartek.page.locator('.version-view [data-testid="freeze-reason"]'))) === `Frozen without the room’s consent. Reason: ${reason}`, { message: 'the history shows the reason with the version' })
    await look(bartek.page, 'consensus-history-reason')
  })
})
