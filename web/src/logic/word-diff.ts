/**
 * The word diff of a proposed wording against a clause, as people read it:
 * both texts normalised to NFC (an `ó` typed as `o` + combining accent is
 * the same `ó`), whole words kept whole (Polish letters are word letters,
 * by Unicode's word boundaries), and every other piece a whole grapheme
 * cluster (a 👍 → 👍🏽 change is one change, not a lone skin-tone
 * modifier). Changed words are reported as whole words.
 */

export type DiffOp = 'equal' | 'delete' | 'insert'

export interface DiffPart {
  op: DiffOp
  text: string
}

const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' })
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * The text's tokens: words, runs of white space, and single grapheme
 * clusters for everything else (punctuation, emoji).
 */
export function tokens(text: string): string[] {
  const out: string[] = []
  for (const { segment, isWordLike } of wordSegmenter.segment(text.normalize('NFC'))) {
    if (isWordLike || /^\s+$/u.test(segment)) {
      out.push(segment)
    } else {
      for (const { segment: g } of graphemeSegmenter.segment(segment)) out.push(g)
    }
  }
  return out
}

/** The changes that turn `from` into `to`, word by word. */
export function wordDiff(from: string, to: string): DiffPart[] {
  const a = tokens(from)
  const b = tokens(to)
  // What both begin and end with needs no table.
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const parts: DiffPart[] = []
  const push = (op: DiffOp, text: string) => {
    if (!text) return
    const last = parts[parts.length - 1]
    if (last && last.op === op) last.text += text
    else parts.push({ op, text })
  }
  push('equal', a.slice(0, start).join(''))
  for (const [op, token] of middle(a.slice(start, endA), b.slice(start, endB))) push(op, token)
  push('equal', a.slice(endA).join(''))
  return tidy(parts)
}

/** The longest common subsequence of two token lists, as edit steps. */
function middle(a: string[], b: string[]): [DiffOp, string][] {
  const n = a.length
  const m = b.length
  // lengths[i][j]: the common subsequence of a[i..] and b[j..].
  const width = m + 1
  const lengths = new Uint32Array((n + 1) * width)
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * width + j + 1] + 1
          : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
    }
  }
  const steps: [DiffOp, string][] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      steps.push(['equal', a[i]])
      i++
      j++
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) {
      steps.push(['delete', a[i++]])
    } else {
      steps.push(['insert', b[j++]])
    }
  }
  while (i < n) steps.push(['delete', a[i++]])
  while (j < m) steps.push(['insert', b[j++]])
  return steps
}

/**
 * Reads better: white space alone between two changes joins them (one
 * struck phrase and one new phrase rather than a word-by-word zip), and a
 * deletion comes before the insertion that replaces it.
 */
function tidy(parts: DiffPart[]): DiffPart[] {
  let changed = true
  let out = parts
  while (changed) {
    changed = false
    const next: DiffPart[] = []
    for (let k = 0; k < out.length; k++) {
      const p = out[k]
      const before = next[next.length - 1]
      const after = out[k + 1]
      if (
        p.op === 'equal' &&
        /^\s+$/u.test(p.text) &&
        before &&
        before.op !== 'equal' &&
        after &&
        after.op !== 'equal'
      ) {
        // " " between changes: deleted and inserted alike.
        next.push({ op: 'delete', text: p.text }, { op: 'insert', text: p.text })
        changed = true
        continue
      }
      next.push({ ...p })
    }
    out = group(next)
  }
  return out
}

/** Each run of changes as its deletions, then its insertions. */
function group(parts: DiffPart[]): DiffPart[] {
  const out: DiffPart[] = []
  let del = ''
  let ins = ''
  const flush = () => {
    if (del) out.push({ op: 'delete', text: del })
    if (ins) out.push({ op: 'insert', text: ins })
    del = ''
    ins = ''
  }
  for (const p of parts) {
    if (p.op === 'delete') del += p.text
    else if (p.op === 'insert') ins += p.text
    else {
      flush()
      const last = out[out.length - 1]
      if (last && last.op === 'equal') last.text += p.text
      else out.push({ ...p })
    }
  }
  flush()
  return out
}

/** Whether the two texts read the same once normalised. */
export function sameText(a: string, b: string): boolean {
  return a.normalize('NFC') === b.normalize('NFC')
}
