// The seed meeting (seed/krakow-mission-workshop-2013.txt) replayed end to
// end in Chromium, in Polish, through the pages people use: three working
// groups enter proposals whose shared elements are exactly the seed's nine;
// the room narrows them (a duplicate merged, a compound split, each group
// ticking what it shares) to a common ground of those nine with the two
// values; the moderator drafts from it; an amendment, signals and a block
// with its reason; a hidden check; a freeze refused while the block stands
// and done with a written reason; the report in the seed's order with its
// final wording and that wording's SHA-256.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'

import {
  Server, launch, person, createMeeting, join, waitUntil, clauseTexts, shot, PHONE
} from './harness.mjs'

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex')

// The nine elements the seed records as common to all proposals, and its
// two values (in bold there).
const NINE = [
  'świadomi i aktywni mieszkańcy + komunikowanie się z mieszkańcami',
  'tworzenie warunków dla rozwoju kapitału społecznego',
  'współpraca dla biznesu',
  'powiązanie biznesu z nauką',
  'inicjowanie i tworzenie warunków',
  'stworzenie płaszczyzny / przestrzeni publicznej do wypracowania konsensusu, współpracy, współdziałania: płaszczyzna wymiany poglądów + płaszczyzna dochodzenia do konsensusu',
  'harmonizowanie, wspólne działanie',
  'partnerskie zarządzanie w skali metropolitalnej',
  'kultura i nowoczesna gospodarka'
]
const VALUES = ['współodpowiedzialność', 'współuczestnictwo']
// The wording the seed records as agreed.
const FINAL = [
  'MISJĄ SAMORZĄDU MIASTA KRAKOWA JEST TWORZENIE WIELOWYMIAROWEJ PRZESTRZENI PUBLICZNEJ W SKALI METROPOLITALNEJ DLA PARTNERSKIEGO WSPÓŁDZIAŁANIA MIESZKAŃCÓW I PODMIOTÓW Z RÓŻNYCH SEKTORÓW.',
  'SAMORZĄD INICJUJE WSPÓŁPRACĘ, BUDUJE ZAUFANIE I TWORZY WARUNKI DLA WYSOKIEJ JAKOŚCI ŻYCIA POPRZEZ ROZWÓJ NOWOCZESNEJ GOSPODARKI, KULTURY I KSZTAŁTOWANIE ŚRODOWISKA.',
  'PODSTAWĄ TEJ WSPÓŁPRACY JEST WSPÓŁODPOWIEDZIALNOŚĆ I WSPÓŁUCZESTNICTWO ŚWIADOMYCH I AKTYWNYCH OBYWATELI W PROCESIE ZRÓWNOWAŻONEGO ROZWOJU MIASTA.'
]
// The moderator's first wording of the third clause, which the room refines.
const FIRST_THIRD = 'PODSTAWĄ TEJ WSPÓŁPRACY JEST WSPÓŁODPOWIEDZIALNOŚĆ I WSPÓŁUCZESTNICTWO OBYWATELI.'
const REFINED_END = 'ŚWIADOMYCH I AKTYWNYCH OBYWATELI W PROCESIE ZRÓWNOWAŻONEGO ROZWOJU MIASTA.'

const COMPOUND = 'partnerskie zarządzanie w skali metropolitalnej; kultura i nowoczesna gospodarka'
const DUPLICATE = 'współpraca z biznesem'
// What each group brings: some of the nine and the values, a duplicate, a
// compound, and something of its own the others do not share.
const LISTS = {
  A: [NINE[0], NINE[1], NINE[2], VALUES[0], NINE[5], 'sport i rekreacja dla wszystkich'],
  B: [NINE[3], NINE[4], VALUES[1], NINE[6], DUPLICATE, 'turystyka'],
  C: [COMPOUND, 'bezpieczeństwo mieszkańców']
}
const BLOCK = 'Brakuje powiązania biznesu z nauką, które wszystkie grupy uznały za wspólne.'
const REASON = 'Zespół uznał, że powiązanie biznesu z nauką mieści się we współpracy podmiotów z różnych sektorów; sprzeciw odnotowano.'

const clause = (page, n) => page.locator('.clause').nth(n - 1)
const strip = (page, n) => clause(page, n).locator('[data-testid="signal-strip"]')

/** A full-page screenshot from the top of the page. */
async function view (page, name) {
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, name)
}

describe('the seed meeting, from proposals to the agreed mission, in Chromium', () => {
  let server, browser, mod, groups, meeting

  before(async () => {
    server = await new Server().start()
    browser = await launch()
    mod = await person(browser, { lang: 'pl', name: 'moderator' })
    meeting = await createMeeting(mod, server, { title: 'Misja Miasta Krakowa', name: 'Elżbieta Moderatorka', workshop: true })
    const anna = await person(browser, { lang: 'pl', name: 'anna' })
    await join(anna, meeting.participant, 'Anna Kowalczyk')
    const bartosz = await person(browser, { lang: 'pl', viewport: PHONE, name: 'bartosz' })
    await join(bartosz, meeting.participant, 'Bartosz Nowak')
    const celina = await person(browser, { lang: 'pl', name: 'celina' })
    await join(celina, meeting.participant, 'Celina Wójcik')
    groups = { A: anna, B: bartosz, C: celina }
  })

  after(async () => {
    const errors = [mod, ...Object.values(groups ?? {})].filter(Boolean)
      .map((p) => [p.name, p.errors.filter((e) => !/status of 409/.test(e))])
    await browser?.close()
    await server?.stop()
    assert.deepEqual(errors.filter(([, e]) => e.length), [], 'console errors')
  })

  const api = (method, path, body) => server.api(method, `/api/meetings/${meeting.id}${path}`, { token: meeting.token, body })

  /** The moderator moves the room to `stage`, confirming what changes. */
  async function moveTo (stageName, stage) {
    await mod.page.getByRole('button', { name: `Przejdź do etapu „${stageName}”` }).click()
    await mod.page.getByRole('dialog').getByRole('button', { name: 'Przejdź' }).click()
    for (const p of [mod, ...Object.values(groups)]) {
      await waitUntil(async () => (await p.page.locator('.stage-bar li[aria-current="step"]').getAttribute('data-stage')) === stage, { message: `${p.name} in ${stage}` })
    }
  }

  test('three groups bring their proposals', async () => {
    for (let i = 0; i < 3; i++) await mod.page.getByRole('button', { name: '+ Utwórz grupę' }).click()
    for (const [label, p] of Object.entries(groups)) {
      await p.page.getByRole('button', { name: `Dołącz do grupy ${label}: Grupa ${label}` }).click()
      await waitUntil(async () => (await p.page.locator('.group-column.is-mine').getAttribute('data-label')) === label, { message: `${p.name} in ${label}` })
    }
    // The groups type at once.
    await Promise.all(Object.entries(groups).map(async ([label, p]) => {
      const input = p.page.getByLabel(`Nowy element grupy ${label}`)
      for (const [i, text] of LISTS[label].entries()) {
        await input.fill(text)
        await input.press('Enter')
        await waitUntil(async () => (await p.page.locator(`.group-column[data-label="${label}"] .element-list li`).count()) === i + 1, { message: `${label}${i + 1}` })
      }
    }))
    for (const [label, list] of Object.entries(LISTS)) {
      await waitUntil(async () => (await mod.page.locator(`.group-column[data-label="${label}"] .element-list li`).count()) === list.length, { message: `the moderator sees ${label}'s list` })
    }
  })

  test('the room narrows the catalogue to the nine elements all proposals share, with the two values', async () => {
    await moveTo('Część wspólna', 'common_ground')
    await mod.page.locator('table.share-grid').waitFor()
    const tend = async (name) => {
      await mod.page.getByRole('button', { name: `Porządkuj ${name}: włącz, podziel, wartość` }).click()
      return mod.page.getByRole('dialog')
    }
    // B5 repeats A3: merged into it, for good.
    let d = await tend('B5')
    await d.getByRole('button', { name: 'Włącz do…' }).click()
    d = mod.page.getByRole('dialog')
    await d.getByLabel('Element, który powtarza').selectOption({ label: `A3 · ${NINE[2]}` })
    await d.getByRole('button', { name: 'Włącz na stałe' }).click()
    await waitUntil(async () => (await mod.page.locator('tr[data-name="B5"]').getAttribute('class')).includes('row-merged'), { message: 'B5 merged' })
    // C1 is compound: split into the two parts the seed lists apart.
    d = await tend('C1')
    await d.getByRole('button', { name: 'Podziel na części…' }).click()
    d = mod.page.getByRole('dialog')
    await d.getByLabel('Części, po jednej w wierszu').fill(`${NINE[7]}\n${NINE[8]}`)
    await d.getByRole('button', { name: 'Podziel na stałe' }).click()
    await waitUntil(async () => (await mod.page.locator('tr[data-name="C4"]').count()) === 1, { message: 'C1 split into C3 and C4' })
    // The values, and the elements the seed nests with them.
    for (const name of ['A4', 'B3']) {
      d = await tend(name)
      await d.getByRole('button', { name: '★ Oznacz jako wartość' }).click()
      await waitUntil(async () => (await mod.page.locator(`tr[data-name="${name}"]`).getAttribute('class')).includes('is-value'), { message: `${name} a value` })
    }
    for (const [name, under] of [['A1', `A4 · ${VALUES[0]}`], ['B4', `B3 · ${VALUES[1]}`]]) {
      d = await tend(name)
      await d.getByLabel('Pod wartością').selectOption({ label: under })
      await d.getByRole('button', { name: 'Zagnieźdź' }).click()
      await waitUntil(async () => (await mod.page.locator(`tr[data-name="${name}"] .tag-under`).count()) === 1, { message: `${name} nested` })
    }

    // Each group ticks, in its own column, the others' elements it shares:
    // all of the nine and the values, none of the others' own.
    const shared = { A: ['B1', 'B2', 'B3', 'B4', 'C3', 'C4'], B: ['A1', 'A2', 'A4', 'A5', 'C3', 'C4'], C: ['A1', 'A2', 'A3', 'A4', 'A5', 'B1', 'B2', 'B3', 'B4'] }
    for (const [label, names] of Object.entries(shared)) {
      const p = groups[label]
      for (const name of names) {
        const box = p.page.locator(`tr[data-name="${name}"] input[type="checkbox"]:not([disabled])`).first()
        await box.check()
        await waitUntil(async () => box.isChecked(), { message: `${label} shares ${name}` })
      }
    }
    const expected = [...NINE, ...VALUES].sort()
    await waitUntil(async () => (await mod.page.locator('.common-list .common-text').count()) === expected.length, { message: 'eleven in the common ground', timeout: 20000 })
    const shown = await mod.page.locator('.common-list .common-text').evaluateAll((els) => els.map((el) => {
      const copy = el.cloneNode(true)
      for (const s of copy.querySelectorAll('.sr-only')) s.remove()
      return copy.textContent.trim()
    }))
    assert.deepEqual([...shown].sort(), expected, 'the common ground is the seed’s nine and its two values')
    const values = await mod.page.locator('.common-list strong').allTextContents()
    for (const v of VALUES) assert.ok(values.some((t) => t.includes(v)), `${v} in bold`)
    // And the server computed the same from the marks.
    const catalogue = (await api('GET', '/catalogue')).body
    assert.deepEqual(catalogue.common_ground.map((e) => e.text).sort(), expected)
    assert.deepEqual(catalogue.common_ground.find((e) => e.text === NINE[2]).sources, ['A3', 'B5'])
    await view(mod.page, 'seed-common-ground')
  })

  test('the moderator drafts from the common ground and links each clause to what it carries', async () => {
    await moveTo('Projekt', 'draft')
    const panel = mod.page.locator('.panel.ground')
    await panel.waitFor()
    for (const [n, element, wording] of [[1, NINE[5], FINAL[0]], [2, NINE[4], FINAL[1]], [3, VALUES[0], FIRST_THIRD]]) {
      await mod.page.getByRole('button', { name: `Dodaj do projektu nowy punkt: „${element}”` }).click()
      await waitUntil(async () => (await clauseTexts(mod.page)).length === n, { message: `clause ${n}` })
      await clause(mod.page, n).locator('.cm-content').click()
      await mod.page.keyboard.press('ControlOrMeta+a')
      await mod.page.keyboard.type(wording)
      await waitUntil(async () => (await clauseTexts(mod.page))[n - 1] === wording, { message: `clause ${n} worded` })
    }
    const links = [[1, [NINE[7]]], [2, [NINE[2], NINE[8], NINE[1]]], [3, [VALUES[1], NINE[0], NINE[6]]]]
    for (const [n, elements] of links) {
      await clause(mod.page, n).getByRole('button', { name: `Powiąż elementy wspólne z punktem ${n}` }).click()
      const dialog = mod.page.getByRole('dialog', { name: `Co zawiera punkt ${n}?` })
      for (const e of elements) await dialog.getByLabel(e, { exact: true }).check()
      await dialog.getByRole('button', { name: 'Zapisz' }).click()
      await dialog.waitFor({ state: 'detached' })
    }
    // Business with science is the one element no clause carries: it shows.
    await waitUntil(async () => (await panel.locator('[data-testid="ground-summary"]').textContent()) === '10 z 11 w tekście', { message: 'ten of eleven carried' })
    assert.deepEqual(await panel.locator('.ground-item.is-missing .ground-words').allTextContents(), [NINE[3]])
    await view(mod.page, 'seed-draft')
  })

  test('everybody refines it: an amendment accepted, signals, a block with its reason', async () => {
    await moveTo('Poprawki', 'amend')
    const celina = groups.C
    await celina.page.getByRole('button', { name: 'Zaproponuj brzmienie punktu 3' }).click()
    const editor = celina.page.locator('.amendment-editor .cm-content')
    await editor.click()
    await celina.page.keyboard.press('ControlOrMeta+End')
    for (let i = 0; i < 'OBYWATELI.'.length; i++) await celina.page.keyboard.press('Backspace')
    await celina.page.keyboard.type(REFINED_END)
    const id = await celina.page.$eval('.amendment', (el) => el.dataset.amendment)
    const card = mod.page.locator(`.amendment[data-amendment="${id}"]`)
    await waitUntil(async () => (await card.locator('.proposed-diff').textContent()).includes('ZRÓWNOWAŻONEGO'), { message: 'the moderator watches the wording' })
    await card.getByRole('button', { name: /Przyjmij/ }).click()
    await waitUntil(async () => JSON.stringify(await clauseTexts(mod.page)) === JSON.stringify(FINAL), { message: 'the seed’s wording in the draft' })

    // Signals: agreement, and Celina blocks the second clause.
    for (const label of ['A', 'B']) {
      for (const n of [1, 2, 3]) {
        await strip(groups[label].page, n).getByRole('button', { name: 'Zgadzam się', exact: true }).click()
        await waitUntil(async () => (await strip(groups[label].page, n).getByRole('button', { name: 'Zgadzam się', exact: true }).getAttribute('aria-pressed')) === 'true', { message: `${label} agrees with ${n}` })
      }
    }
    await strip(celina.page, 2).getByRole('button', { name: 'Blokuję', exact: true }).click()
    const why = celina.page.getByRole('dialog', { name: 'Dlaczego blokujesz punkt 2?' })
    await why.getByLabel('Uzasadnienie').fill(BLOCK)
    await why.getByRole('button', { name: 'Wyślij' }).click()
    await why.waitFor({ state: 'detached' })
    await waitUntil(async () => ((await mod.page.locator('[data-testid="pinned-blocks"]').textContent()) ?? '').includes(`Celina Wójcik: ${BLOCK}`), { message: 'the block pinned for the moderator' })
    const consensus = (await api('GET', '/consensus')).body
    assert.deepEqual(consensus.clauses[1].tally, { agree: 2, abstain: 0, disagree: 0, block: 1 })
    await view(mod.page, 'seed-signals')
  })

  test('the whole text is checked; a freeze is refused while the block stands and done with a written reason', async () => {
    await mod.page.locator('.check-tools').getByRole('button', { name: /Sprawdź zgodę na cały tekst/ }).click()
    const open = mod.page.getByRole('dialog', { name: 'Rozpocząć sprawdzenie zgody na cały tekst?' })
    await open.getByRole('button', { name: 'Rozpocznij sprawdzenie' }).click()
    for (const [label, answer] of [['A', 'Zgadzam się'], ['B', 'Zgadzam się'], ['C', 'Blokuję']]) {
      const p = groups[label].page
      await p.locator('.check-prompt').getByRole('button', { name: answer, exact: true }).click()
      if (answer === 'Blokuję') {
        const d = p.getByRole('dialog', { name: 'Dlaczego blokujesz tekst?' })
        await d.getByLabel('Uzasadnienie').fill(BLOCK)
        await d.getByRole('button', { name: 'Wyślij' }).click()
      }
      await waitUntil(async () => (await p.locator('.check-prompt').count()) === 0, { message: `${label} answered once` })
    }
    await waitUntil(async () => ((await mod.page.locator('[data-testid="answered"]').textContent()) ?? '').includes('3 z 4'), { message: 'three of four answered' })
    await mod.page.getByRole('button', { name: 'Zakończ sprawdzenie' }).click()
    await mod.page.getByRole('dialog', { name: 'Zakończyć sprawdzenie zgody nr 1?' }).getByRole('button', { name: 'Zakończ i pokaż wyniki' }).click()
    await mod.page.locator('.check-card.is-closed').waitFor()

    // No freeze while the block stands: not from the server, not from the page without a reason.
    const refused = await api('POST', '/freeze', {})
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'no_consensus')
    await mod.page.getByRole('button', { name: '🔒 Zatwierdź bez zgody sali…' }).click()
    const dialog = mod.page.getByRole('dialog', { name: 'Zatwierdzić wersję 1 bez zgody sali?' })
    await dialog.getByRole('button', { name: 'Zatwierdź z tym uzasadnieniem' }).click()
    await dialog.getByText('Napisz, dlaczego zatwierdzasz teraz').waitFor()
    assert.equal((await api('GET', '/versions')).body.length, 0, 'nothing frozen without a reason')
    await dialog.getByLabel('Pisemne uzasadnienie zatwierdzenia teraz').fill(REASON)
    await dialog.getByRole('button', { name: 'Zatwierdź z tym uzasadnieniem' }).click()
    await dialog.waitFor({ state: 'detached' })
    await waitUntil(async () => ((await mod.page.locator('[data-testid="freeze-reason"]').textContent()) ?? '').includes(REASON), { message: 'the reason with the version' })
    const versions = (await api('GET', '/versions')).body
    assert.equal(versions.length, 1)
    assert.equal(versions[0].sha256, sha256(FINAL.join('\n\n')), 'the agreed text is the seed’s wording')
  })

  test('the report reads in the seed’s order and holds the agreed wording and its hash', async () => {
    const md = (await api('GET', '/report?format=md')).body
    const order = [
      '## Obecni', '## Grupy robocze i ich propozycje', '## Elementy wspólne wszystkich propozycji', '## Pierwsza propozycja zapisu',
      '## Poprawki', '## Stanowiska wobec punktów', '## Sprawdzenie zgody na cały tekst', '## Uzgodniony tekst',
      '## Elementy wspólne w tekście', '## Wersje'
    ]
    let at = 0
    for (const heading of order) {
      const found = md.indexOf(heading, at)
      assert.ok(found >= 0, `${heading} missing or out of order in:\n${md}`)
      at = found
    }
    const hash = sha256(FINAL.join('\n\n'))
    for (const c of FINAL) assert.ok(md.includes(c), `${c} in the report`)
    assert.ok(md.includes(hash))
    assert.ok(md.includes(FIRST_THIRD), 'the first draft')
    assert.ok(md.includes(`- ${NINE[3]} — nie ma go w żadnym punkcie`), 'the element the text left out')
    assert.ok(md.includes(BLOCK) && md.includes(REASON))

    // The same record as its readers open it in the app.
    await mod.page.goto(`${server.url}/m/${meeting.id}/report`)
    await waitUntil(async () => ((await mod.page.textContent('body')) ?? '').includes(hash), { message: 'the report page shows the hash' })
    const page = await mod.page.textContent('body')
    for (const c of FINAL) assert.ok(page.includes(c), `${c} on the report page`)
    const headings = await mod.page.locator('h2').allTextContents()
    const seen = order.map((h) => headings.findIndex((t) => t.trim() === h.slice(3)))
    assert.ok(seen.every((i) => i >= 0), `every section on the page: ${headings}`)
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'in the seed’s order')
    await view(mod.page, 'seed-report')
  })
})
