import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'

import { sha256Hex } from '../src/logic/sha256.js'
import { tokens, wordDiff, type DiffPart } from '../src/logic/word-diff.js'

const show = (parts: DiffPart[]) =>
  parts.map((p) => (p.op === 'equal' ? p.text : p.op === 'delete' ? `[-${p.text}-]` : `{+${p.text}+}`)).join('')

test('a changed Polish word is one whole word, not its letters', () => {
  const parts = wordDiff('Misją samorządu jest współpraca.', 'Misją samorządu jest współdziałanie.')
  assert.equal(show(parts), 'Misją samorządu jest [-współpraca-]{+współdziałanie+}.')
  assert.deepEqual(
    parts.filter((p) => p.op !== 'equal'),
    [
      { op: 'delete', text: 'współpraca' },
      { op: 'insert', text: 'współdziałanie' },
    ],
  )
})

test('NFC: an accent typed as a combining mark is the same letter', () => {
  const decomposed = 'zro\u0301wnowaz\u0307ony rozwój'
  assert.deepEqual(wordDiff('zrównoważony rozwój', decomposed), [{ op: 'equal', text: 'zrównoważony rozwój' }])
})

test('an emoji skin tone change is one change of the whole emoji', () => {
  const parts = wordDiff('Zgoda 👍 wszystkich', 'Zgoda 👍🏽 wszystkich')
  assert.equal(show(parts), 'Zgoda [-👍-]{+👍🏽+} wszystkich')
  for (const p of parts) assert.ok(!/^\p{Emoji_Modifier}/u.test(p.text), `a part starts with a lone modifier: ${p.text}`)
  assert.deepEqual(tokens('a 👨‍👩‍👧 b'), ['a', ' ', '👨‍👩‍👧', ' ', 'b'])
})

test('inserted and deleted phrases, and a change at either end', () => {
  assert.equal(
    show(wordDiff('dla mieszkańców i podmiotów', 'dla świadomych mieszkańców i podmiotów z różnych sektorów')),
    'dla {+świadomych +}mieszkańców i podmiotów{+ z różnych sektorów+}',
  )
  assert.equal(show(wordDiff('Stare słowo na początku', 'Nowe słowo na początku')), '[-Stare-]{+Nowe+} słowo na początku')
  // Neighbouring changed words read as one struck phrase and one new one.
  assert.equal(show(wordDiff('a b c d', 'a x y d')), 'a [-b c-]{+x y+} d')
  assert.deepEqual(wordDiff('', 'nowe'), [{ op: 'insert', text: 'nowe' }])
  assert.deepEqual(wordDiff('stare', ''), [{ op: 'delete', text: 'stare' }])
  assert.deepEqual(wordDiff('bez zmian', 'bez zmian'), [{ op: 'equal', text: 'bez zmian' }])
})

test('the diff rebuilds both texts exactly', () => {
  const pairs = [
    ['Podstawą tej współpracy jest współodpowiedzialność.', 'Podstawą współpracy są współodpowiedzialność i współuczestnictwo 🏛️.'],
    ['one two three four five', 'five four three two one'],
    ['ąćęłńóśźż', 'ąćęłńóśźż!'],
  ]
  for (const [a, b] of pairs) {
    const parts = wordDiff(a, b)
    assert.equal(parts.filter((p) => p.op !== 'insert').map((p) => p.text).join(''), a)
    assert.equal(parts.filter((p) => p.op !== 'delete').map((p) => p.text).join(''), b)
  }
})

test('SHA-256 agrees with the standard one, for Polish letters and emoji too', () => {
  const cases = ['', 'abc', 'Misją samorządu Miasta Krakowa 🏛️', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(1000)]
  for (const s of cases) {
    assert.equal(sha256Hex(s), createHash('sha256').update(s, 'utf8').digest('hex'), JSON.stringify(s.slice(0, 20)))
  }
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})
