import { test } from 'node:test'
import assert from 'node:assert/strict'

import {
  checkView,
  clauseSignals,
  consent,
  coverage,
  flatGround,
  groundTree,
  linkedTo,
  needsReason,
  notAnswered,
  ownSignal,
  readChecks,
  readElements,
  readGround,
  readLinks,
  readSignals,
} from '../src/logic/consensus.js'
import { catalogs } from '../src/i18n/index.js'
import { parseRefusal } from '../src/logic/refusal.js'
import { sha256Hex } from '../src/logic/sha256.js'

const OLD = 'Misją samorządu jest tworzenie przestrzeni publicznej.'
const NEW = 'Misją samorządu jest tworzenie wielowymiarowej przestrzeni publicznej.'

/** `signals[clause]` as the meeting room shows it. */
const roomSignals = {
  ala: { user_id: 'ala', name: 'Ala', signal: 'block', reason: 'za ogólne', sha256: sha256Hex(NEW), recorded_by: null, given_at: 3 },
  ola: { user_id: 'ola', name: 'Ola', signal: 'agree', reason: null, sha256: sha256Hex(OLD), recorded_by: null, given_at: 1 },
  jan: { user_id: 'jan', name: 'Jan', signal: 'agree', reason: null, sha256: sha256Hex(NEW), recorded_by: 'mod', given_at: 4 },
  ewa: { user_id: 'ewa', name: 'Ewa', signal: 'disagree', reason: 'brak kultury', sha256: sha256Hex(NEW), recorded_by: null, given_at: 2 },
  bad: { user_id: 'bad', name: 'X', signal: 'veto', sha256: sha256Hex(NEW), given_at: 5 },
}

test('a signal counts only while the clause reads as it did: an edit lapses it', () => {
  const signals = readSignals(roomSignals)
  assert.equal(signals.length, 4, 'an unknown stance is left out')
  assert.deepEqual(signals.map((s) => s.userId), ['ola', 'ewa', 'ala', 'jan'], 'oldest first')
  const now = clauseSignals(signals, sha256Hex(NEW))
  assert.deepEqual(now.tally, { agree: 1, abstain: 0, disagree: 1, block: 1 })
  assert.deepEqual(now.lapsed.map((s) => s.userId), ['ola'])
  assert.deepEqual(now.blocks.map((s) => [s.name, s.reason]), [['Ala', 'za ogólne']])
  assert.deepEqual(now.disagreements.map((s) => s.userId), ['ewa'])
  // Someone types: every signal lapses, none counts.
  const edited = clauseSignals(signals, sha256Hex(`${NEW} `))
  assert.deepEqual(edited.tally, { agree: 0, abstain: 0, disagree: 0, block: 0 })
  assert.equal(edited.lapsed.length, 4)
  assert.equal(edited.blocks.length, 0, 'a lapsed block no longer stands')

  assert.deepEqual(ownSignal(signals, 'ola', sha256Hex(NEW)), { stance: 'agree', reason: null, lapsed: true, recordedBy: null })
  assert.deepEqual(ownSignal(signals, 'jan', sha256Hex(NEW)), { stance: 'agree', reason: null, lapsed: false, recordedBy: 'mod' })
  assert.equal(ownSignal(signals, 'nobody', sha256Hex(NEW)), null)
  assert.deepEqual(readSignals(null), [])
  assert.equal(needsReason('block'), true)
  assert.equal(needsReason('disagree'), true)
  assert.equal(needsReason('abstain'), false)
})

const check = (over: Record<string, unknown> = {}) => ({
  number: 1,
  opened_at: 10,
  sha256: 'text-sha',
  text: 'tekst',
  hidden: true,
  eligible: 18,
  answered: 14,
  answered_by: ['ala', 'ola'],
  closed_at: null,
  blocks: [{ user_id: 'ala', name: 'Ala', answer: 'block', reason: 'nie', recorded_by: null, answered_at: 11 }],
  answers: null,
  tally: null,
  ...over,
})

test('a hidden open check shows how many answered and the named blocks, nothing else', () => {
  const [k] = readChecks({ 1: check() })
  assert.equal(k.answers, null)
  assert.equal(k.tally, null)
  assert.deepEqual(k.blocks.map((b) => b.name), ['Ala'])
  const mine = checkView([k], 'ola')
  assert.deepEqual(
    mine.kind === 'open' && [mine.answered, mine.of, mine.mine, mine.results],
    [14, 18, true, 'hidden'],
  )
  const theirs = checkView([k], 'jan')
  assert.equal(theirs.kind === 'open' && theirs.mine, false)
  assert.deepEqual(notAnswered(k, ['ala', 'jan', 'ola', 'ewa']), ['jan', 'ewa'])
  assert.deepEqual(checkView([], 'ala'), { kind: 'none' })
  // People added after it opened answer too: never "19 of 18".
  const more = checkView(readChecks({ 1: check({ answered: 19 }) }), 'ala')
  assert.deepEqual(more.kind === 'open' && [more.answered, more.of], [19, 19])
})

test('a closed check shows its answers and tally; checks are read oldest first', () => {
  const answers = [
    { user_id: 'ala', name: 'Ala', answer: 'block', reason: 'nie', recorded_by: null, answered_at: 11 },
    { user_id: 'ola', name: 'Ola', answer: 'agree', reason: null, recorded_by: 'mod', answered_at: 12 },
  ]
  const list = readChecks({
    2: check({ number: 2, closed_at: 20, answers, tally: { agree: 1, abstain: 0, disagree: 0, block: 1 } }),
    1: check({ closed_at: 15 }),
    x: 'not a check',
  })
  assert.deepEqual(list.map((k) => k.number), [1, 2])
  const v = checkView(list, 'ola')
  assert.equal(v.kind, 'closed')
  assert.deepEqual(list[1].tally, { agree: 1, abstain: 0, disagree: 0, block: 1 })
  assert.equal(list[1].answers?.[1].recordedBy, 'mod')
})

test('consent: a closed check on this very text with no block', () => {
  const closed = (sha: string, answers: unknown[], blocks: unknown[] = []) =>
    readChecks({ 1: check({ sha256: sha, closed_at: 20, answers, blocks, tally: {} }) })
  const agree = { user_id: 'ola', name: 'Ola', answer: 'agree', answered_at: 1 }
  const block = { user_id: 'ala', name: 'Ala', answer: 'block', reason: 'nie', answered_at: 2 }
  assert.deepEqual(consent([], 's'), { kind: 'never_checked' })
  assert.deepEqual(consent(readChecks({ 1: check({ sha256: 's' }) }), 's'), { kind: 'still_open', check: 1 })
  assert.deepEqual(consent(closed('old', [agree]), 's'), { kind: 'outdated', check: 1 })
  assert.deepEqual(consent(closed('s', [agree, block], [block]), 's'), { kind: 'blocked', check: 1, blocks: 1 })
  assert.deepEqual(consent(closed('s', [agree]), 's'), { kind: 'given', check: 1 })
  // Only the last check counts.
  const two = readChecks({
    1: check({ sha256: 's', closed_at: 5, answers: [agree], tally: {} }),
    2: check({ number: 2, sha256: 's', closed_at: null }),
  })
  assert.deepEqual(consent(two, 's'), { kind: 'still_open', check: 2 })
})

test('coverage: values with what is nested under them, links to duplicates, clauses gone', () => {
  const ground = readGround([
    { id: 'v1', text: 'współodpowiedzialność', value: true, sources: ['A4'] },
    { id: 'e1', text: 'świadomi i aktywni mieszkańcy', value: false, sources: ['A1'] },
    { id: 'e2', text: 'współpraca dla biznesu', value: false, sources: ['A3', 'B5'] },
    { id: 'e3', text: 'kultura i nowoczesna gospodarka', value: false, sources: ['C3'] },
    { bad: true },
  ])
  const elements = readElements({
    v1: { value: true, merged_into: null, under_value: null },
    e1: { merged_into: null, under_value: 'v1' },
    e2: { merged_into: null, under_value: null },
    dup: { merged_into: 'e2', under_value: null },
    e3: { merged_into: null, under_value: 'e2' },
  })
  const links = readLinks({ c1: ['e1', 'dup'], c2: ['v1'], gone: ['e3'] })
  const tree = groundTree(ground, elements, links, ['c2', 'c1'])
  // The value first with the element nested under it; e3 is under no value (e2 is none).
  assert.deepEqual(
    tree.map((g) => [g.id, g.clauses, g.nested.map((n) => [n.id, n.clauses])]),
    [
      ['v1', [1], [['e1', [2]]]],
      ['e2', [2], []],
      ['e3', [], []],
    ],
  )
  assert.deepEqual(flatGround(tree).map((g) => g.id), ['v1', 'e1', 'e2', 'e3'])
  assert.deepEqual(coverage(tree), { carried: 3, total: 4 })
  assert.deepEqual([...linkedTo('c1', links, elements)].sort(), ['e1', 'e2'])
  assert.deepEqual(groundTree([], elements, links, ['c1']), [])
})

test('the method speaks Polish with its plural forms', () => {
  const pl = catalogs.pl
  assert.equal(pl.lapsedCount(1), '1 sygnał wygasł wraz z wcześniejszym brzmieniem')
  assert.equal(pl.lapsedCount(3), '3 sygnały wygasły wraz z wcześniejszym brzmieniem')
  assert.equal(pl.lapsedCount(5), '5 sygnałów wygasło wraz z wcześniejszym brzmieniem')
  assert.equal(pl.notAnsweredYet(1), '1 osoba jeszcze nie odpowiedziała')
  assert.equal(pl.notAnsweredYet(22), '22 osoby jeszcze nie odpowiedziały')
  assert.equal(pl.notAnsweredYet(12), '12 osób jeszcze nie odpowiedziało')
  assert.equal(pl.disagreeCount(2), '2 osoby nie zgadzają się: dlaczego')
  assert.equal(pl.consentSays('blocked', 2, 1), 'W sprawdzeniu nr 2 pozostała 1 blokada.')
  assert.equal(pl.consentSays('blocked', 2, 3), 'W sprawdzeniu nr 2 pozostały 3 blokady.')
  assert.equal(pl.consentSays('blocked', 2, 5), 'W sprawdzeniu nr 2 pozostało 5 blokad.')
  assert.equal(pl.answeredOf(14, 18), 'Odpowiedzi: 14 z 18')
  assert.equal(pl.groundIn([1, 3]), 'W punktach 1, 3')
  assert.equal(catalogs.en.answeredOf(14, 18), '14 of 18 answered')
  assert.equal(catalogs.en.consentSays('blocked', 1, 2), 'Check 1 closed with 2 blocks standing.')
  assert.equal(catalogs.en.lapsedCount(1), '1 signal lapsed with an earlier wording')
})

test('a draft write refused for the stage is a known refusal', () => {
  const r = parseRefusal('stage: the draft is locked for a consensus check')
  assert.equal(r.code, 'stage')
  assert.equal(r.final, true)
  assert.ok(catalogs.pl.refusal.stage && catalogs.en.refusal.stage)
})
