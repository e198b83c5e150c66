// The workshop's first two steps in browsers (issue 12): a moderator and
// three participants, each in their own Chromium context (one on a phone),
// plus a fourth who never picks a group and the room's projector. The
// moderator makes groups A, B and C and puts people in them; the groups
// list their elements live; the projector takes the lists in turns; in
// the common ground stage each group ticks what it shares, the moderator
// merges a duplicate, splits a compound element and marks values, and the
// common ground every screen shows is what the marks imply. Every new
// screen is checked with axe-core and saved as a screenshot, desktop and
// phone, Polish and English.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import {
  Server, launch, person, createMeeting, join, waitUntil, waitForStatus, seatOf, shot,
  assertAccessible, assertNoHorizontalScroll, DESKTOP, PHONE
} from './harness.mjs'

const COMBOS = [['pl', DESKTOP], ['pl', PHONE], ['en', DESKTOP], ['en', PHONE]]
const PROJECTOR = { width: 1920, height: 1080 }

// What each group brings: the Kraków workshop's own words (2013).
const A = ['współodpowiedzialność', 'harmonizowanie, wspólne działanie', 'partnerskie zarządzanie w skali metropolitalnej', 'metropolia jako marka']
const B = ['świadomi i aktywni mieszkańcy', 'wspólne działanie', 'współpraca dla biznesu']
const C = ['kultura i nowoczesna gospodarka', 'powiązanie biznesu z nauką']
const C_BY_MODERATOR = 'współuczestnictwo'
// Group B's list filled up to the cap of twelve.
const MORE_B = [
  'przejrzystość decyzji', 'dialog z mieszkańcami', 'jakość życia', 'zrównoważony rozwój', 'dziedzictwo kulturowe',
  'innowacyjność', 'otwartość na inwestorów', 'bezpieczeństwo', 'przestrzeń publiczna'
]

async function look (page, name) {
  await page.evaluate(() => document.fonts.ready)
  // A full-page shot of an open dialog reads best from the top of the page.
  await page.evaluate(() => window.scrollTo(0, 0))
  await assertNoHorizontalScroll(page, name)
  await assertAccessible(page, name)
  await shot(page, name)
}

/** The stage a page's stage bar marks as current. */
const currentStage = (page) => page.locator('.stage-bar li[aria-current="step"]').getAttribute('data-stage')

/** The element names of a group's column, in order. */
const columnNames = (page, label) => page.locator(`.group-column[data-label="${label}"] .element-list li`).evaluateAll((els) => els.map((e) => e.dataset.name))

/** The common ground as a page lists it: [text, nested texts], without screen-reader words. */
async function shownCommonGround (page, list = '.common-list') {
  return page.locator(`${list} > li`).evaluateAll((items) => items.map((li) => {
    const text = (el) => {
      const copy = el.cloneNode(true)
      for (const s of copy.querySelectorAll('.sr-only')) s.remove()
      return copy.textContent.trim()
    }
    return [text(li.querySelector(':scope > .common-text')), [...li.querySelectorAll(':scope > ul > li > .common-text')].map(text)]
  }))
}

/**
 * The common ground the marks imply, computed here from the catalogue's raw
 * marks (not from the server's answer): an element counts for every group
 * that brought it, brought a duplicate merged into it, or marked it or one
 * of its duplicates; a split element stands for nothing.
 */
function impliedCommonGround (catalogue) {
  const byId = new Map(catalogue.elements.map((e) => [e.id, e]))
  const root = (e) => { while (e.merged_into) e = byId.get(e.merged_into); return e }
  const split = new Set(catalogue.elements.map((e) => e.split_from).filter(Boolean))
  const sharing = new Map()
  for (const e of catalogue.elements) {
    const r = root(e).id
    if (!sharing.has(r)) sharing.set(r, new Set())
    sharing.get(r).add(e.group_id)
    for (const g of e.shared_by) sharing.get(r).add(g)
  }
  return catalogue.elements
    .filter((e) => !e.merged_into && !split.has(e.id))
    .filter((e) => catalogue.groups.every((g) => sharing.get(e.id)?.has(g.id)))
    .map((e) => e.text)
}

describe('the working groups and their common ground, in browsers', () => {
  let server, browser, mod, ania, bartek, celina, dorota, proj, meeting, projectorUrl
  const everyone = () => [mod, ania, bartek, celina, dorota]

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    mod = await person(browser, { lang: 'pl', name: 'moderator' })
    meeting = await createMeeting(mod, server, { title: 'Misja Miasta Krakowa', name: 'Anna Moderatorka', workshop: true })
    ania = await person(browser, { lang: 'pl', viewport: PHONE, name: 'ania' })
    await join(ania, meeting.participant, 'Ania Żółć')
    bartek = await person(browser, { lang: 'en', name: 'bartek' })
    await join(bartek, meeting.participant, 'Bartek Nowak')
    celina = await person(browser, { lang: 'pl', name: 'celina' })
    await join(celina, meeting.participant, 'Celina Łęcka')
    dorota = await person(browser, { lang: 'pl', viewport: PHONE, name: 'dorota' })
    await join(dorota, meeting.participant, 'Dorota Śliwa')
  })

  after(async () => {
    const errors = [...everyone(), proj].filter(Boolean).map((p) => [p.name, p.errors.filter((e) => !/status of 403/.test(e))])
    await browser?.close()
    await server?.stop()
    assert.deepEqual(errors.filter(([, e]) => e.length), [], 'console errors')
  })

  /**
   * Every combination of language and screen for one person's view: a
   * fresh context with their seat, `ready` to bring the page to the screen.
   */
  async function everywhere (who, name, ready = async () => {}, combos = COMBOS) {
    const state = await who.context.storageState()
    for (const [lang, viewport] of combos) {
      const phone = viewport.width < 500
      const context = await browser.newContext({ viewport, locale: lang === 'pl' ? 'pl-PL' : 'en-GB', storageState: state, isMobile: phone, hasTouch: phone })
      await context.addInitScript((l) => localStorage.setItem('draftroom.lang', l), lang)
      const page = await context.newPage()
      const errors = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.goto(`${server.url}/m/${meeting.id}`)
      await waitForStatus(page, 'connected')
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang)
      await ready(page, lang)
      await look(page, name)
      assert.deepEqual(errors, [], `${name} ${lang}`)
      await context.close()
    }
  }

  test('a workshop starts by collecting: the stage bar, everyone sees it, the moderator alone moves it', async () => {
    for (const p of everyone()) {
      await waitUntil(async () => (await currentStage(p.page)) === 'collect', { message: `${p.name} sees the collect stage` })
    }
    // An ordered list of the six stages, the current one marked for screen readers.
    const stages = await mod.page.locator('nav.stage-bar > ol > li').evaluateAll((lis) => lis.map((li) => [li.dataset.stage, li.getAttribute('aria-current')]))
    assert.deepEqual(stages, [['collect', 'step'], ['common_ground', null], ['draft', null], ['amend', null], ['agree', null], ['frozen', null]])
    assert.equal(await mod.page.getByRole('navigation', { name: 'Etapy spotkania' }).count(), 1)
    // The moderator moves among the first four; agree and frozen come with their own commands.
    assert.deepEqual(await mod.page.locator('.stage-bar button').evaluateAll((bs) => bs.map((b) => b.dataset.stage)), ['common_ground', 'draft', 'amend'])
    assert.equal(await ania.page.locator('.stage-bar button').count(), 0, 'participants only see the stages')
    // Nobody is offered the draft yet, and the server holds it shut.
    assert.equal(await mod.page.locator('.draft').isVisible(), false)
    const write = await server.api('POST', `/api/meetings/${meeting.id}/amendments`, { token: meeting.token, body: { clause_id: '00000000-0000-4000-8000-000000000000' } })
    assert.equal(write.status, 409)
  })

  test('the moderator makes groups A, B and C and puts people in them; a participant picks her own', async () => {
    // Dorota, in no group, is told the groups are being made.
    await dorota.page.getByRole('heading', { name: 'Wybierz swoją grupę roboczą' }).waitFor()
    await everywhere(dorota, 'collect-no-groups', async (page) => page.locator('.pick-groups').waitFor())
    // Group names come prefilled after their letter; the third gets a name of its own.
    await mod.page.getByRole('button', { name: '+ Utwórz grupę' }).click()
    await waitUntil(async () => (await mod.page.locator('#new-group').inputValue()) === 'Grupa B', { message: 'the next name offered' })
    await mod.page.getByRole('button', { name: '+ Utwórz grupę' }).click()
    await waitUntil(async () => (await mod.page.locator('#new-group').inputValue()) === 'Grupa C', { message: 'the third name offered' })
    await mod.page.locator('#new-group').fill('Kultura i gospodarka')
    await mod.page.locator('#new-group').press('Enter')
    for (const p of everyone()) {
      await waitUntil(async () => (await p.page.locator('.group-column').count()) === 3, { message: `${p.name} sees three groups` })
    }
    const catalogue = (await server.api('GET', `/api/meetings/${meeting.id}/catalogue`, { token: meeting.token })).body
    assert.deepEqual(catalogue.groups.map((g) => [g.label, g.name]), [['A', 'Grupa A'], ['B', 'Grupa B'], ['C', 'Kultura i gospodarka']])
    // The moderator puts Bartek in B and Celina in C; the summary counts who is left.
    await mod.page.getByLabel('Grupa robocza: Bartek Nowak').selectOption({ label: 'B · Grupa B' })
    await mod.page.getByLabel('Grupa robocza: Celina Łęcka').selectOption({ label: 'C · Kultura i gospodarka' })
    await waitUntil(async () => (await mod.page.locator('.collect .assign-count').textContent()) === '2 osoby nie są jeszcze w grupie', { message: 'two left outside' })
    // Ania, on her phone, picks group A herself.
    await ania.page.getByRole('button', { name: 'Dołącz do grupy A: Grupa A' }).click()
    await waitUntil(async () => (await ania.page.locator('.group-column.is-mine').getAttribute('data-label')) === 'A', { message: 'Ania is in A' })
    await waitUntil(async () => (await mod.page.locator('.collect .assign-count').textContent()) === '1 osoba nie jest jeszcze w grupie', { message: 'one left outside' })
    for (const [p, label] of [[bartek, 'B'], [celina, 'C']]) {
      await waitUntil(async () => (await p.page.locator('.group-column.is-mine').getAttribute('data-label')) === label, { message: `${p.name} is in ${label}` })
    }
    // Beside the draft's people list, everyone's group.
    await waitUntil(async () => (await mod.page.locator('.person[data-user] .person-meta').allTextContents()).some((t) => t.includes('grupa B')), { message: 'groups in the people list' })
    await everywhere(dorota, 'collect-pick-group', async (page) => page.locator('.pick-group').nth(2).waitFor())
  })

  test('each group lists its elements live, with its count, and the projector takes them in turns', async () => {
    const add = async (p, label, text) => {
      const input = p.page.getByLabel(label === 'B' ? `New element for group ${label}` : `Nowy element grupy ${label}`)
      const before = (await columnNames(p.page, label)).length
      await input.fill(text)
      await input.press('Enter')
      await waitUntil(async () => (await columnNames(p.page, label)).length === before + 1, { message: `${p.name} added “${text}”` })
    }
    // The groups type at once, at their own pace.
    await Promise.all([
      (async () => { for (const e of A) await add(ania, 'A', e) })(),
      (async () => { for (const e of B) await add(bartek, 'B', e) })(),
      (async () => { for (const e of C) await add(celina, 'C', e) })()
    ])
    // The moderator adds one for group C from its folded form.
    await mod.page.locator('.group-column[data-label="C"] .add-for summary').click()
    const forC = mod.page.getByLabel('Nowy element grupy C')
    await forC.fill(C_BY_MODERATOR)
    await forC.press('Enter')
    // Everyone sees every list, in order, live.
    for (const p of everyone()) {
      for (const [label, n] of [['A', 4], ['B', 3], ['C', 3]]) {
        await waitUntil(async () => JSON.stringify(await columnNames(p.page, label)) === JSON.stringify(Array.from({ length: n }, (_, i) => `${label}${i + 1}`)), { message: `${p.name} sees ${label}'s list` })
      }
    }
    assert.equal(await ania.page.locator('.group-column[data-label="A"] .group-count [aria-hidden]').textContent(), '4 z 12')
    assert.equal(await bartek.page.locator('.group-column[data-label="B"] .group-count [aria-hidden]').textContent(), '3 of 12')
    // A participant adds only to her own group's list.
    assert.equal(await ania.page.getByLabel('Nowy element grupy B').isVisible(), false)
    const foreign = await server.api('POST', `/api/meetings/${meeting.id}/elements`, { token: (await seatOf(ania.page, meeting.id)).token, body: { text: 'obce', group_id: (await server.api('GET', `/api/meetings/${meeting.id}/catalogue`, { token: meeting.token })).body.groups[1].id } })
    assert.equal(foreign.status, 403)

    await everywhere(mod, 'collect-moderator', async (page) => page.locator('.group-column[data-label="C"] .element-list li').nth(2).waitFor())
    await everywhere(ania, 'collect-participant', async (page) => page.locator('.group-column.is-mine .element-list li').nth(3).waitFor())

    // The room's screen, on a machine of its own: the lists in turns.
    const [popup] = await Promise.all([
      mod.page.waitForEvent('popup'),
      mod.page.getByRole('button', { name: 'Otwórz widok dla rzutnika' }).click()
    ])
    await popup.waitForURL(/\/projector/)
    await waitForStatus(popup, 'connected')
    const seat = await popup.evaluate((id) => JSON.parse(sessionStorage.getItem(`draftroom.projector.${id}`)), meeting.id)
    projectorUrl = `${server.url}/m/${meeting.id}/projector#${new URLSearchParams({ token: seat.token, invite: seat.invite, code: seat.code ?? '' })}`
    await popup.close()
    proj = await person(browser, { lang: 'pl', viewport: PROJECTOR, name: 'projector' })
    await proj.page.goto(projectorUrl)
    await waitForStatus(proj.page, 'connected')
    const turns = () => proj.page.locator('.projector-turns li').evaluateAll((lis) => lis.map((li) => li.dataset.name))
    await waitUntil(async () => (await turns()).length === 10, { message: 'the projector lists all ten' })
    assert.deepEqual(await turns(), ['A1', 'B1', 'C1', 'A2', 'B2', 'C2', 'A3', 'B3', 'C3', 'A4'])
    assert.equal(await currentStage(proj.page), 'collect')
    // Live: a fifth element of A's waits its turn after everyone's fourth (there is none), at the end.
    await add(ania, 'A', 'otwartość na świat')
    await waitUntil(async () => (await turns()).at(-1) === 'A5', { message: 'A5 on the projector' })
    await projectorShots('projector-collect')

    // A group's list holds twelve: B fills up (the moderator adds for it), and its form gives way to a note.
    const b = (await server.api('GET', `/api/meetings/${meeting.id}/catalogue`, { token: meeting.token })).body.groups[1].id
    for (const text of MORE_B) {
      const added = await server.api('POST', `/api/meetings/${meeting.id}/elements`, { token: meeting.token, body: { text, group_id: b } })
      assert.equal(added.status, 201)
    }
    await waitUntil(async () => (await bartek.page.locator('.group-column[data-label="B"] .group-count [aria-hidden]').textContent()) === '12 of 12', { message: 'B is full' })
    assert.equal(await bartek.page.locator('.group-column[data-label="B"] .list-full').textContent(), 'The list is full: a group brings at most 12 elements.')
    assert.equal(await bartek.page.getByLabel('New element for group B').isVisible(), false)
    const thirteenth = await server.api('POST', `/api/meetings/${meeting.id}/elements`, { token: meeting.token, body: { text: 'jeszcze jeden', group_id: b } })
    assert.equal(thirteenth.status, 409)
    await everywhere(bartek, 'collect-full-list', async (page) => page.locator('.group-column.is-mine .list-full').waitFor(), [['en', DESKTOP], ['pl', PHONE]])
  })

  /** The projector in both languages, each after a reload. */
  async function projectorShots (name) {
    for (const lang of ['pl', 'en']) {
      await proj.page.evaluate((l) => localStorage.setItem('draftroom.lang', l), lang)
      await proj.page.reload()
      await waitForStatus(proj.page, 'connected')
      await proj.page.locator('.projector-catalogue h2').first().waitFor()
      await look(proj.page, name)
    }
  }

  test('common ground: each group ticks its own column, the moderator tends the catalogue, every screen shows what the marks imply', async () => {
    // The moderator moves the room on, after saying what changes.
    await mod.page.getByRole('button', { name: 'Przejdź do etapu „Część wspólna”' }).click()
    const dialog = mod.page.getByRole('dialog')
    await dialog.getByText('Grupy przestają dodawać elementy').waitFor()
    await everywhere(mod, 'stage-move-confirm', async (page, lang) => {
      await page.getByRole('button', { name: lang === 'pl' ? 'Przejdź do etapu „Część wspólna”' : 'Move the meeting to the stage “Common ground”' }).click()
      await page.getByRole('dialog').waitFor()
    }, [['pl', DESKTOP], ['en', PHONE]])
    await dialog.getByRole('button', { name: 'Przejdź' }).click()
    for (const p of [...everyone(), proj]) {
      await waitUntil(async () => (await currentStage(p.page)) === 'common_ground', { message: `${p.name} sees the common ground stage` })
    }
    await mod.page.locator('table.share-grid').waitFor()
    // No more elements: the stage is past collecting.
    assert.equal(await ania.page.getByLabel('Nowy element grupy A').isVisible(), false)

    // A participant ticks only her own group's column.
    const box = (p, name) => p.page.getByRole('checkbox', { name, exact: true })
    assert.equal(await box(ania, 'Grupa A podziela B1: świadomi i aktywni mieszkańcy').isDisabled(), false)
    assert.equal(await box(ania, 'Grupa B podziela C2: powiązanie biznesu z nauką').isDisabled(), true)
    assert.equal(await box(ania, 'Grupa C podziela A3: partnerskie zarządzanie w skali metropolitalnej').isDisabled(), true)
    assert.equal(await box(bartek, 'Group A shares B1: świadomi i aktywni mieszkańcy').isDisabled(), true)
    // A group's own elements count without a tick.
    assert.equal(await ania.page.locator('tr[data-name="A1"] td.cell-own').count(), 1)
    // And the server agrees: Ania cannot mark for B.
    const groups = (await server.api('GET', `/api/meetings/${meeting.id}/catalogue`, { token: meeting.token })).body.groups
    const c2 = (await server.api('GET', `/api/meetings/${meeting.id}/catalogue`, { token: meeting.token })).body.elements.find((e) => e.name === 'C2')
    const forB = await server.api('POST', `/api/meetings/${meeting.id}/elements/${c2.id}/share`, { token: (await seatOf(ania.page, meeting.id)).token, body: { shared: true, group_id: groups[1].id } })
    assert.equal(forB.status, 403)

    // The moderator tends the catalogue. B2 repeats A2: merged, for good, after seeing both.
    const tendDialog = async (name) => {
      await mod.page.getByRole('button', { name: `Porządkuj ${name}: włącz, podziel, wartość` }).click()
      return mod.page.getByRole('dialog')
    }
    let d = await tendDialog('B2')
    await d.getByRole('button', { name: 'Włącz do…' }).click()
    d = mod.page.getByRole('dialog')
    await d.getByLabel('Element, który powtarza').selectOption({ label: 'A2 · harmonizowanie, wspólne działanie' })
    await d.getByRole('button', { name: 'Włącz na stałe' }).click()
    await waitUntil(async () => (await mod.page.locator('tr[data-name="B2"]').getAttribute('class')).includes('row-merged'), { message: 'B2 merged' })
    assert.equal(await mod.page.locator('tr[data-name="B2"] .tag-merged').first().evaluate((el) => el.firstChild.textContent), '→ A2')
    assert.equal(await mod.page.locator('tr[data-name="A2"] td[data-state="duplicate"]').count(), 1, 'B shares A2 through its duplicate')
    // C1 is compound: split into its two parts, which name it.
    d = await tendDialog('C1')
    await d.getByRole('button', { name: 'Podziel na części…' }).click()
    d = mod.page.getByRole('dialog')
    await d.getByLabel('Części, po jednej w wierszu').fill('kultura\nnowoczesna gospodarka')
    await d.getByRole('button', { name: 'Podziel na stałe' }).click()
    await waitUntil(async () => (await mod.page.locator('tr[data-name="C5"]').count()) === 1, { message: 'C1 split into C4 and C5' })
    assert.match(await mod.page.locator('tr[data-name="C4"] .cell-element').textContent(), /część C1/)
    // The values, and an element nested under one.
    for (const name of ['A1', 'C3']) {
      d = await tendDialog(name)
      await d.getByRole('button', { name: '★ Oznacz jako wartość' }).click()
      await waitUntil(async () => (await mod.page.locator(`tr[data-name="${name}"]`).getAttribute('class')).includes('is-value'), { message: `${name} a value` })
    }
    d = await tendDialog('B1')
    await d.getByLabel('Pod wartością').selectOption({ label: 'A1 · współodpowiedzialność' })
    await d.getByRole('button', { name: 'Zagnieźdź' }).click()
    await waitUntil(async () => (await mod.page.locator('tr[data-name="B1"] .tag-under').count()) === 1, { message: 'B1 under A1' })

    // The groups tick what they share, each in its own column; the moderator ticks for C once.
    const tick = async (p, name) => {
      const b = box(p, name)
      await b.click()
      await waitUntil(async () => (await b.isChecked()) && (await b.getAttribute('aria-busy')) === null, { message: `${p.name}: ${name}` })
    }
    await Promise.all([
      (async () => {
        for (const n of ['B1: świadomi i aktywni mieszkańcy', 'C3: współuczestnictwo', 'C4: kultura', 'C2: powiązanie biznesu z nauką']) await tick(ania, `Grupa A podziela ${n}`)
      })(),
      (async () => {
        for (const n of ['A1: współodpowiedzialność', 'C3: współuczestnictwo', 'C4: kultura', 'A3: partnerskie zarządzanie w skali metropolitalnej', 'A4: metropolia jako marka']) await tick(bartek, `Group B shares ${n}`)
      })(),
      (async () => {
        for (const n of ['A1: współodpowiedzialność', 'A2: harmonizowanie, wspólne działanie', 'B1: świadomi i aktywni mieszkańcy']) await tick(celina, `Grupa C podziela ${n}`)
      })()
    ])
    await tick(mod, 'Grupa C podziela B3: współpraca dla biznesu')
    // A tick taken back.
    await box(bartek, 'Group B shares A4: metropolia jako marka').click()
    await waitUntil(async () => !(await box(bartek, 'Group B shares A4: metropolia jako marka').isChecked()), { message: 'B takes A4 back' })

    // What the marks imply, computed here from the raw marks, is what the server holds…
    const expected = ['współodpowiedzialność', 'harmonizowanie, wspólne działanie', 'świadomi i aktywni mieszkańcy', 'współuczestnictwo', 'kultura']
    await waitUntil(async () => {
      const cat = (await server.api('GET', `/api/meetings/${meeting.id}/catalogue`, { token: meeting.token })).body
      return JSON.stringify(impliedCommonGround(cat)) === JSON.stringify(expected) && JSON.stringify(cat.common_ground.map((e) => e.text)) === JSON.stringify(expected)
    }, { message: 'the marks imply the expected common ground' })
    // …and what every screen lists on top: values first in their place, B1 nested under A1.
    const tree = [
      ['współodpowiedzialność', ['świadomi i aktywni mieszkańcy']],
      ['harmonizowanie, wspólne działanie', []],
      ['współuczestnictwo', []],
      ['kultura', []]
    ]
    for (const p of everyone()) {
      await waitUntil(async () => JSON.stringify(await shownCommonGround(p.page)) === JSON.stringify(tree), { message: `${p.name} lists the common ground` })
    }
    await waitUntil(async () => JSON.stringify(await shownCommonGround(proj.page, '.projector-common-list')) === JSON.stringify(tree), { message: 'the projector lists the common ground' })
    // Values in bold; their sources, a merged element's too.
    assert.equal(await ania.page.locator('.common-list > li.is-value > strong').count(), 2)
    assert.match(await mod.page.locator('.common-list > li').nth(1).locator('.sources').textContent(), /A2, B2/)
    assert.equal(await mod.page.locator('.common-summary').textContent(), '5 elementów podzielanych przez wszystkie grupy')
    assert.equal(await bartek.page.locator('.common-summary').textContent(), '5 elements every group shares')
    // The grid's rows in the common ground are marked as such.
    assert.deepEqual(await mod.page.locator('tr.is-common').evaluateAll((rows) => rows.map((r) => r.dataset.name)), ['A1', 'A2', 'B1', 'C3', 'C4'])

    // Every new screen, as each sees it.
    await everywhere(mod, 'common-ground-moderator', async (page) => page.locator('tr[data-name="C5"]').waitFor())
    await everywhere(ania, 'common-ground-participant', async (page) => page.locator('.common-list > li').nth(3).waitFor())
    await everywhere(dorota, 'common-ground-no-group', async (page) => page.locator('.pick-groups').waitFor())
    await everywhere(mod, 'tend-dialog', async (page, lang) => {
      await page.getByRole('button', { name: lang === 'pl' ? 'Porządkuj A3: włącz, podziel, wartość' : 'Tend A3: merge, split, value' }).click()
      await page.getByRole('dialog').waitFor()
    })
    await everywhere(mod, 'merge-dialog', async (page, lang) => {
      await page.getByRole('button', { name: lang === 'pl' ? 'Porządkuj A4: włącz, podziel, wartość' : 'Tend A4: merge, split, value' }).click()
      await page.getByRole('dialog').getByRole('button', { name: lang === 'pl' ? 'Włącz do…' : 'Merge into…' }).click()
      await page.getByRole('dialog').getByLabel(lang === 'pl' ? 'Element, który powtarza' : 'The element it repeats').selectOption({ label: 'A3 · partnerskie zarządzanie w skali metropolitalnej' })
    })
    await everywhere(mod, 'split-dialog', async (page, lang) => {
      await page.getByRole('button', { name: lang === 'pl' ? 'Porządkuj B3: włącz, podziel, wartość' : 'Tend B3: merge, split, value' }).click()
      await page.getByRole('dialog').getByRole('button', { name: lang === 'pl' ? 'Podziel na części…' : 'Split into parts…' }).click()
      await page.getByRole('dialog').locator('.split-preview li').first().waitFor()
    })
    await projectorShots('projector-common-ground')
  })

  test('on to the draft: the moderator writes, and the common ground stays in view beside it', async () => {
    await mod.page.getByRole('button', { name: 'Przejdź do etapu „Projekt”' }).click()
    await mod.page.getByRole('dialog').getByRole('button', { name: 'Przejdź' }).click()
    for (const p of [...everyone(), proj]) {
      await waitUntil(async () => (await currentStage(p.page)) === 'draft', { message: `${p.name} sees the draft stage` })
    }
    await mod.page.getByRole('button', { name: 'Dodaj punkt' }).click()
    await mod.page.keyboard.insertText('Misją samorządu jest współodpowiedzialność.')
    await waitUntil(async () => (await ania.page.locator('.clause-editor .cm-content').first().textContent()).includes('współodpowiedzialność'), { message: 'Ania sees the clause' })
    // Participants do not propose wording before the amend stage.
    assert.equal(await ania.page.locator('.propose').count(), 0)
    const beside = () => mod.page.locator('.panel.ground .ground-list > .ground-item').evaluateAll((items) => items.map((li) => [
      li.querySelector(':scope .ground-words').textContent.trim(),
      [...li.querySelectorAll(':scope > .ground-nested > .ground-item')].map((n) => n.querySelector('.ground-words').textContent.trim())
    ]))
    await waitUntil(async () => JSON.stringify(await beside()) === JSON.stringify([
      ['współodpowiedzialność', ['świadomi i aktywni mieszkańcy']],
      ['harmonizowanie, wspólne działanie', []],
      ['współuczestnictwo', []],
      ['kultura', []]
    ]), { message: 'the common ground beside the draft' })
    await everywhere(mod, 'draft-stage-moderator', async (page) => page.locator('.clause').first().waitFor(), [['pl', DESKTOP], ['en', PHONE]])
  })
})
