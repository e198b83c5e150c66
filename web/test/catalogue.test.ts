import { test } from 'node:test'
import assert from 'node:assert/strict'

import {
  brought,
  commonTree,
  groupOf,
  inTurns,
  readCommonGround,
  readElements,
  readGroups,
  shareGrid,
  splitParts,
  type Element,
  type Group,
} from '../src/logic/catalogue.js'
import { mayMove, screenOf, stageOf, writesDraft, amends, collects, marksShares, groupsOpen } from '../src/logic/stages.js'
import { catalogs } from '../src/i18n/index.js'

/** A catalogue as the meeting room holds it: groups and elements by id, as plain values. */
function room() {
  const groups: [string, unknown][] = [
    ['g-c', { label: 'C', name: 'Grupa C', members: ['u5'] }],
    ['g-a', { label: 'A', name: 'Grupa A', members: ['u1', 'u2'] }],
    ['g-b', { label: 'B', name: 'Grupa B', members: ['u3'] }],
  ]
  let n = 0
  const el = (group: string, label: string, position: number, text: string, more: Record<string, unknown> = {}): [string, unknown] => [
    `${label}${position}`.toLowerCase(),
    {
      name: `${label}${position}`,
      group_id: group,
      position,
      text,
      author: 'u1',
      created_at: ++n,
      split_from: null,
      merged_into: null,
      value: false,
      under_value: null,
      shared_by: [],
      ...more,
    },
  ]
  const elements: [string, unknown][] = [
    el('g-b', 'B', 2, 'wspólne działanie', { merged_into: 'a2' }),
    el('g-a', 'A', 1, 'współodpowiedzialność', { value: true, shared_by: ['g-b'] }),
    el('g-a', 'A', 2, 'harmonizowanie, wspólne działanie', { shared_by: [] }),
    el('g-a', 'A', 3, 'kultura i nowoczesna gospodarka'),
    el('g-b', 'B', 1, 'świadomi i aktywni mieszkańcy', { under_value: 'a1', shared_by: ['g-a', 'g-c'] }),
    el('g-c', 'C', 1, 'kultura i sport'),
    el('g-c', 'C', 2, 'kultura', { split_from: 'c1', shared_by: ['g-a'] }),
    el('g-c', 'C', 3, 'sport', { split_from: 'c1' }),
    el('g-a', 'A', 4, 'współpraca dla biznesu'),
    el('g-b', 'B', 3, 'powiązanie biznesu z nauką', { shared_by: ['g-c'] }),
  ]
  return { groups, elements }
}

function read(): { groups: Group[]; elements: Element[] } {
  const r = room()
  const groups = readGroups(r.groups)
  return { groups, elements: readElements(r.elements, groups) }
}

test('groups are read A first; elements by group, then place', () => {
  const { groups, elements } = read()
  assert.deepEqual(groups.map((g) => g.label), ['A', 'B', 'C'])
  assert.deepEqual(elements.map((e) => e.name), ['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'B3', 'C1', 'C2', 'C3'])
  assert.equal(elements[0].value, true)
  assert.equal(elements[5].mergedInto, 'a2')
  assert.equal(groupOf(groups, 'u3')?.label, 'B')
  assert.equal(groupOf(groups, 'moderator'), null)
  assert.equal(brought(elements, 'g-c'), 3, 'split parts count against the cap')
})

test('what the room holds, however odd, is read without throwing', () => {
  assert.deepEqual(readGroups([['x', null], ['y', 'nope'], ['z', { label: 'A' }]]), [{ id: 'z', label: 'A', name: '', members: [] }])
  assert.deepEqual(readCommonGround(undefined), [])
  assert.deepEqual(readCommonGround([{ id: 'a1', text: 't', value: true, sources: ['A1', 3] }, { text: 'no id' }]), [
    { id: 'a1', text: 't', value: true, sources: ['A1'] },
  ])
})

test('the projector takes the lists in turns: A1, B1, C1, A2, B2, …', () => {
  const { groups, elements } = read()
  assert.deepEqual(inTurns(groups, elements).map((e) => e.name), ['A1', 'B1', 'C1', 'A2', 'B2', 'C2', 'A3', 'B3', 'C3', 'A4'])
  // A fast group does not drown the others: its fifth comes after everyone's first.
  const fast = readGroups([['a', { label: 'A', name: 'A', members: [] }], ['b', { label: 'B', name: 'B', members: [] }]])
  const many = readElements(
    [1, 2, 3, 4, 5].map((p) => [`a${p}`, { name: `A${p}`, group_id: 'a', position: p, text: '' }] as [string, unknown]).concat([
      ['b1', { name: 'B1', group_id: 'b', position: 1, text: '' }],
    ]),
    fast,
  )
  assert.deepEqual(inTurns(fast, many).map((e) => e.name), ['A1', 'B1', 'A2', 'A3', 'A4', 'A5'])
  assert.deepEqual(inTurns([], []), [])
})

test('the share grid: own, brought as a duplicate, marked, through a duplicate, none', () => {
  const { groups, elements } = read()
  const common = [{ id: 'a2', text: 'harmonizowanie, wspólne działanie', value: false, sources: ['A2', 'B2'] }]
  const rows = shareGrid(groups, elements, common)
  const row = (name: string) => rows.find((r) => r.element.name === name)!
  const kinds = (name: string) => row(name).cells.map((c) => c.kind)
  assert.deepEqual(kinds('A1'), ['own', 'marked', 'none'])
  // B brought a duplicate of A2 (B2, merged into it).
  assert.deepEqual(kinds('A2'), ['own', 'duplicate', 'none'])
  assert.equal((row('A2').cells[1] as { via: Element }).via.name, 'B2')
  assert.deepEqual(row('A2').duplicates.map((d) => d.name), ['B2'])
  assert.equal(row('A2').common, true)
  assert.equal(row('A2').sharing, 2)
  // A merged element stays in the grid, marked as what it counts as.
  assert.equal(row('B2').status, 'merged')
  assert.equal(row('B2').into?.name, 'A2')
  assert.deepEqual(row('B2').cells, [])
  // A split element stands for nothing; its parts are ticked and know where they come from.
  assert.equal(row('C1').status, 'split')
  assert.deepEqual(row('C1').parts.map((p) => p.name), ['C2', 'C3'])
  assert.equal(row('C2').from?.name, 'C1')
  assert.deepEqual(kinds('C2'), ['marked', 'none', 'own'])
  assert.deepEqual(kinds('B1'), ['marked', 'own', 'marked'])
  assert.equal(row('B1').sharing, 3)
})

test('a mark on a duplicate counts for what it was merged into', () => {
  const groups = readGroups([
    ['a', { label: 'A', name: 'A', members: [] }],
    ['b', { label: 'B', name: 'B', members: [] }],
    ['c', { label: 'C', name: 'C', members: [] }],
  ])
  const elements = readElements(
    [
      ['a1', { name: 'A1', group_id: 'a', position: 1, text: 'x', merged_into: null, shared_by: [] }],
      ['a2', { name: 'A2', group_id: 'a', position: 2, text: 'x again', merged_into: 'a1', shared_by: ['c'] }],
    ],
    groups,
  )
  const [a1] = shareGrid(groups, elements, [])
  assert.deepEqual(a1.cells.map((c) => c.kind), ['own', 'none', 'via'])
})

test('the common ground nests elements under the values they are under', () => {
  const { elements } = read()
  const common = [
    { id: 'a1', text: 'współodpowiedzialność', value: true, sources: ['A1'] },
    { id: 'a2', text: 'harmonizowanie', value: false, sources: ['A2', 'B2'] },
    { id: 'b1', text: 'świadomi i aktywni mieszkańcy', value: false, sources: ['B1'] },
  ]
  const tree = commonTree(common, elements)
  assert.deepEqual(tree.map((n) => [n.item.id, n.nested.map((x) => x.id)]), [['a1', ['b1']], ['a2', []]])
  // Under a value that is not common ground: at the top.
  assert.deepEqual(commonTree(common.slice(1), elements).map((n) => n.item.id), ['a2', 'b1'])
})

test('split parts: one a line, trimmed, no blanks or repeats', () => {
  assert.deepEqual(splitParts('  kultura \n\nnowoczesna   gospodarka\nKultura\n'), ['kultura', 'nowoczesna gospodarka'])
  assert.deepEqual(splitParts(''), [])
})

test('stages: absent is amend (frozen when the phase is), and what each allows', () => {
  assert.equal(stageOf(undefined, 'drafting'), 'amend')
  assert.equal(stageOf(undefined, 'frozen'), 'frozen')
  assert.equal(stageOf('nonsense', 'drafting'), 'amend')
  assert.equal(stageOf('common_ground', 'drafting'), 'common_ground')
  assert.equal(mayMove('collect', 'common_ground'), true)
  assert.equal(mayMove('amend', 'collect'), true)
  assert.equal(mayMove('amend', 'agree'), false, 'agree opens with its own command')
  assert.equal(mayMove('frozen', 'amend'), false, 'a frozen draft is reopened')
  assert.equal(mayMove('draft', 'draft'), false)
  assert.deepEqual(['collect', 'common_ground', 'draft', 'amend', 'agree', 'frozen'].map((s) => screenOf(s as never)), [
    'collect',
    'common_ground',
    'draft',
    'draft',
    'draft',
    'draft',
  ])
  assert.equal(writesDraft('collect'), false)
  assert.equal(writesDraft('draft'), true)
  assert.equal(amends('draft'), false)
  assert.equal(collects('collect'), true)
  assert.equal(marksShares('collect'), false)
  assert.equal(groupsOpen('common_ground'), true)
})

test('the catalogue in Polish plural forms', () => {
  const pl = catalogs.pl
  assert.equal(pl.elementsCount(1), '1 element')
  assert.equal(pl.elementsCount(3), '3 elementy')
  assert.equal(pl.elementsCount(12), '12 elementów')
  assert.equal(pl.elementsCount(22), '22 elementy')
  assert.equal(pl.notInGroup(1), '1 osoba nie jest jeszcze w grupie')
  assert.equal(pl.notInGroup(2), '2 osoby nie są jeszcze w grupie')
  assert.equal(pl.notInGroup(5), '5 osób nie jest jeszcze w grupie')
  assert.equal(pl.commonCount(1), '1 element podzielany przez wszystkie grupy')
  assert.equal(pl.commonCount(4), '4 elementy podzielane przez wszystkie grupy')
  assert.equal(pl.commonCount(11), '11 elementów podzielanych przez wszystkie grupy')
  assert.equal(pl.elementsOf(7, 12), '7 z 12')
  assert.equal(catalogs.en.elementsOf(7, 12), '7 of 12')
  assert.equal(catalogs.en.commonCount(1), '1 element every group shares')
  assert.equal(catalogs.en.notInGroup(3), '3 people are not in a group yet')
})
