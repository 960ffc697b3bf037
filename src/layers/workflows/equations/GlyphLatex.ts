/**
 * Approximate LaTeX of a display row, from the positions, sizes and fonts of its glyph runs.
 *
 * The row's main baseline (the one the equation number sits on, else the one with a relation, else the fullest) holds
 * the atoms, left to right: its runs and the big operators and delimiters that reach over its math axis. Every other
 * run, taken as words of touching runs, is placed relative to them:
 * - an accent (`¯`, `ˆ`) over an atom makes `\bar{..}`, `\hat{..}` (also when pdf.js joined it to the run before);
 * - a word above or below a big operator or an operator name (`\lim`, `\max`) is one of its limits (limits in rows,
 *   one under the other, are `\substack`); the labels over and under a long arrow are its limits too (`\xrightarrow`);
 * - a smaller word right over or under another atom, centred on it, is its script (`\overset{*}{X}`, `\stackrel`);
 * - a smaller word touching an atom's right edge, raised or lowered, is its superscript or subscript; after an opening
 *   delimiter or an operator, which take no scripts, a raised and a lowered word centred on each other are `\frac`;
 * - words in a gap of the baseline, some above the axis and some below them overlapping, are a fraction (numerator
 *   over denominator) when a bar lies between them, or when the page's rules are not known; without a bar they are
 *   stacked: a binomial in parentheses, a column vector in brackets, `{a \atop b}` otherwise (see `RuleMarks`);
 * - what stands between a tall opening delimiter and its closing one, in aligned columns (0.55 em apart or more:
 *   `pmatrix` leaves `2\arraycolsep` between its columns, 6.5 pt in revtex) and rows, is a matrix (`pmatrix`,
 *   `bmatrix`, `vmatrix`), or `cases` after a brace that is never closed; other tall delimiters that pair up are
 *   `\left( .. \right)`; between a `\left(` and `\right)` of one line's height, cells a column gap apart are a row
 *   vector; where cells hold fractions, the bars tell the rows (`fractionRows`);
 * - a long arrow over or under a formula is `\overrightarrow{..}`, `\underleftarrow{..}` and kin;
 * - a horizontal brace with what lies on its opening side and its label beyond is `\overbrace{..}^{..}` or
 *   `\underbrace{..}_{..}`.
 * Each part is laid out the same way, recursively. A radical takes what its vinculum (a rule) reaches over; without
 * rules, the atom after it (a parenthesised group whole); a small word over its left part is its index (`\sqrt[n]`).
 * A rule over a symbol with nothing close over it is `\overline`; a wide accent or an overline over part of a run cuts
 * the run there. Three dots a step apart are `\ddots`, `\vdots` or `\iddots`. Arrows TeX builds from pieces
 * (`\longrightarrow`, `\Longrightarrow`, `\mapsto`, an `\xrightarrow`'s extenders) are one arrow. A row whose number
 * sits between its lines (an `aligned` block) is laid out band by band as `aligned`, each band with the limits of its
 * big operators.
 *
 * Gotchas: `\bigl(` of one line's height comes out as a plain delimiter; macros of the source (`\Tr`, `\vol`) come
 * out as what they print; the glyphs pdf.js reads as white space (`CMEX` codes 9-13 and 32) come from the PDF layer as
 * dropped glyphs (`Pdf.droppedGlyph`), read here by their code; yhmath's `Yhcmex` names its upper half as Mac Roman
 * does, and is read back by those names (see `MathGlyphs.extensionGlyph`).
 *
 * @since 0.1.0
 */
import type { Rule, TextItem } from "../pdf/Pdf.ts"
import { fractionStacks, isCentred } from "./FractionStacks.ts"
import { bands, delimiterStacks, extent, union, type VerticalExtent } from "./Ink.ts"
import { longArrow, runTokens, symbolLatex } from "./LatexSymbols.ts"
import { words } from "./Lines.ts"
import {
  braceSide,
  extensionGlyph,
  fontRole,
  hasLimits,
  isAccent,
  isAccentChar,
  isBigOperator,
  isBracePiece,
  isHanging,
  isRadical,
  limitedNameStart,
  mapped
} from "./MathGlyphs.ts"
import { barBetween, barOnAxis, barsAcross, overlapsRule, overlineAccent, overlines, vinculumOf } from "./RuleMarks.ts"

/**
 * The LaTeX of a row of display math.
 *
 * `baseline`, when known (the equation number's), is taken as the main baseline. `rules`, when known (the page's thin
 * strokes around the row, `PageText.rules`; none at all is known too), tell a fraction (a bar between numerator and
 * denominator) from a stack without one (a column vector, a binomial), and show overlines and how far a radical
 * reaches; without them (`undefined`), the layout guesses.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toLatex = (
  all: ReadonlyArray<TextItem>,
  options?: { readonly baseline?: number | undefined; readonly rules?: ReadonlyArray<Rule> | undefined }
): string => {
  const hint = options?.baseline
  const rules = options?.rules
  const detached = dotAccents(dottedLines(joinArrows(all.some((item) => item.text.length > 1 && isAccentChar(item.text.trimEnd().slice(-1)))
    ? all.flatMap(detachAccent)
    : all))).flatMap(detachLimitedName)
  // overlines are rules, not glyphs: accents standing for them join the runs
  const runs = rules === undefined
    ? detached
    : [...detached, ...overlines(detached, rules, Math.max(...detached.map((item) => item.fontSize)))]
  const cut = cutUnderAccents(runs, rules)
  const marks: Marks = { accents: accentsOf(cut), groups: new Map(), rules }
  // an accent with nothing under it is dropped: it tells nothing
  const items = cut.filter((item) => !isAccent(item))
  const size = Math.max(...items.map((item) => item.fontSize))
  // a number between the lines of the row (a limit may come near it, no run of full size does): an `aligned` block
  const onHint = (item: TextItem) => hint !== undefined && Math.abs(item.y - hint) <= 0.15 * size && item.fontSize >= 0.8 * size
  // runs on the number's baseline make it the formula's, unless they are a third of another line's characters or less,
  // with no relation (a `\binom`'s top in a row of a `split`, whose number falls between its rows)
  const hinted = items.filter(onHint)
  const hintChars = hinted.reduce((sum, item) => sum + item.text.replace(/\s/g, "").length, 0)
  const slight = hinted.length > 0 && !hinted.some((item) => relation.test(item.text)) &&
    [...baselineClusters(items, size)].some(([y, line]) => Math.abs(y - hint!) > 0.15 * size && 3 * hintChars <= line.chars)
  // (a fraction's bar on the number's axis is a formula on that baseline: a continued fraction, nothing else on it)
  const barred = hint !== undefined && barOnAxis(items, hint, size, rules)
  const rows = hint !== undefined && (hinted.length === 0 || slight) && !barred ? alignedRows(items, size) : []
  if (rows.length >= 2) {
    const body = rows.map((row) => render(layout(row, undefined, 1, marks))).join(" \\\\ ")
    return `\\begin{aligned} ${body} \\end{aligned}`
  }
  return render(layout(items, slight && !barred ? undefined : hint, 0, marks))
}

// internal

/**
 * the rows of an `aligned` block: bands of ink (see `Ink.bands`), a band of small runs only (the limits under a `\sum`,
 * apart from it by the operator's spacing) going with the band nearest to it
 */
const alignedRows = (items: ReadonlyArray<TextItem>, size: number): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const rows = bands(items, 0.5).map((band) => ({ items: [...band], ink: union(band) }))
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (rows.length < 2 || row.items.some((item) => item.fontSize >= 0.8 * size)) continue
    const above = rows[i - 1]
    const below = rows[i + 1]
    const host = below === undefined ||
        (above !== undefined && above.ink.bottom - row.ink.top <= row.ink.bottom - below.ink.top)
      ? above!
      : below
    host.items.push(...row.items)
    host.ink = union(host.items)
    rows.splice(i--, 1)
  }
  return rows.map((row) => row.items)
}

/** a run on the main baseline, with what hangs on it */
interface Atom {
  readonly item: TextItem
  readonly sub: Array<TextItem>
  readonly sup: Array<TextItem>
  readonly below: Array<TextItem>
  readonly above: Array<TextItem>
  /** runs in the gap after this atom that are not its scripts or limits */
  readonly after: Array<TextItem>
  /** a radical's index (`\sqrt[n]`) */
  readonly index: Array<TextItem>
  /** the right edge of the last script, so that a script word can continue an earlier one */
  scriptRight: number
}

const maxDepth = 12

/** what is known about runs beyond their glyphs: the accent over a run, and the runs that stand for a laid-out group */
interface Marks {
  /** the accent commands over a run, the innermost first (`\hat{\hat{H}}`) */
  readonly accents: ReadonlyMap<TextItem, ReadonlyArray<string>>
  /** a run standing for a group laid out apart (a horizontal brace with its formula and label), and its tokens */
  readonly groups: Map<TextItem, ReadonlyArray<string>>
  /** the thin strokes around the formula, `undefined` when they are not known */
  readonly rules: ReadonlyArray<Rule> | undefined
}

const layout = (
  all: ReadonlyArray<TextItem>,
  hint: number | undefined,
  depth: number,
  marks: Marks
): Array<string> => {
  if (all.length === 0) return []
  if (depth > maxDepth) return all.flatMap((item) => itemTokens(item, marks))
  const flat = all.filter((item) => !isHanging(item) && !isBigOperator(item) && !isAccent(item) && !isBracePiece(item))
  const basis = flat.length > 0 ? flat : all
  const size = Math.max(...basis.map((item) => item.fontSize))
  // the hint holds when a big operator or delimiter reaches over its axis, even with no run on it (a brace's formula)
  const spanned = hint !== undefined && (all.some((item) => {
    if (!isHanging(item) && !isBigOperator(item)) return false
    const ink = extent(item)
    return ink.bottom < hint + 0.25 * size && ink.top > hint + 0.25 * size
  }) || barOnAxis(all, hint, size, marks.rules))
  const baseline = spanned ? hint : mainBaseline(basis, size, hint, marks.rules)
  const items = braced(arrowed(all, { baseline, size, depth, marks }), baseline, size, depth, marks)
  // a delimiter's whole extent, its pieces stacked
  const reach = new Map(delimiterStacks(items).flatMap((stack) => stack.items.map((item) => [item, stack] as const)))
  const axis = baseline + 0.25 * size
  const onBaseline = (item: TextItem) =>
    Math.abs(item.y - baseline) <= 0.2 * size && item.fontSize >= 0.8 * size && !isAccent(item) &&
    !isHanging(item) && !isBigOperator(item)
  const reachesAxis = (item: TextItem) => {
    if (!isHanging(item) && !isBigOperator(item)) return false
    const ink = reach.get(item) ?? extent(item)
    return ink.bottom <= axis - 0.1 * size && ink.top >= axis + 0.1 * size
  }
  const chosen = items.filter((item) => onBaseline(item) || reachesAxis(item)).sort((a, b) => a.x - b.x || b.y - a.y)
  // one atom per stack of pieces: the others are part of it
  const atomItems = chosen.filter((item, i) =>
    !reach.has(item) || !chosen.slice(0, i).some((other) => reach.get(other) === reach.get(item))
  )
  if (atomItems.length === 0) {
    // nothing on the baseline but a fraction's bar on its axis: the fraction (a continued one's top)
    if (barOnAxis(items, baseline, size, marks.rules)) return stacked(items, { baseline, size, depth, marks, reach })
    // nothing on a baseline (a lone radical sign, say): the runs as they come
    return [...items].sort((a, b) => a.x - b.x).flatMap((item) => itemTokens(item, marks))
  }
  const atoms: Array<Atom> = atomItems.map((item) => ({
    item,
    sub: [],
    sup: [],
    below: [],
    above: [],
    after: [],
    index: [],
    scriptRight: item.x + item.width
  }))
  const leading: Array<TextItem> = []
  // the other pieces of a delimiter that is an atom are part of it
  const inAtom = new Set(atoms.map((atom) => reach.get(atom.item)).filter((stack) => stack !== undefined))
  const rest = items.filter((item) => {
    const stack = reach.get(item)
    return !atomItems.includes(item) && (stack === undefined || !inAtom.has(stack))
  })
  const frame: Frame = { baseline, size, depth, marks, reach }
  for (const word of words(rest)) place(word, atoms, frame, leading)
  return negations(emit(atoms, leading, frame))
}

/**
 * Horizontal braces (see `MathGlyphs.braceSide`) as one run each on the baseline, standing for
 * `\overbrace{formula}^{label}` (`\underbrace{..}_{..}`): the formula is what lies within the brace's span on its
 * opening side (laid out on the baseline, or as a stack when nothing of it is on the baseline or reaches over it: a
 * fraction), the label
 * what lies within its span beyond it. The runs it stands for are taken out of `items`.
 */
const braced = (
  items: ReadonlyArray<TextItem>,
  baseline: number,
  size: number,
  depth: number,
  marks: Marks
): ReadonlyArray<TextItem> => {
  if (!items.some(isBracePiece)) return items
  let rest = items.filter((item) => !isBracePiece(item))
  const laidOut: Array<TextItem> = []
  for (const pieces of braces(items.filter(isBracePiece))) {
    const side = braceSide(pieces)
    const left = Math.min(...pieces.map((item) => item.x))
    const right = Math.max(...pieces.map((item) => item.x + item.width))
    const y = pieces[0]!.y
    const within = (item: TextItem) => item.x + item.width / 2 >= left - 1 && item.x + item.width / 2 <= right + 1
    const beyond = (item: TextItem) => side === "over" ? extent(item).bottom >= y : extent(item).top <= y + 0.12 * size
    const formula = rest.filter((item) => within(item) && !beyond(item))
    const outside = rest.filter((item) => !within(item) || beyond(item))
    const label = wordsCentredWithin(outside, left - 0.5 * size, right + 0.5 * size)
      .filter((word) => word.every(beyond))
      .flat()
    if (side === undefined || formula.length === 0) continue
    rest = rest.filter((item) => !formula.includes(item) && !label.includes(item))
    const onLine = formula.some((item) =>
      (Math.abs(item.y - baseline) <= 0.15 * size && item.fontSize >= 0.8 * size) || isHanging(item) || isBigOperator(item)
    )
    const frame: Frame = { baseline, size, depth: depth + 1, marks, reach: new Map() }
    const inner = onLine ? layout(formula, baseline, depth + 1, marks) : stacked(formula, frame)
    const run: TextItem = { text: "", x: left, y: baseline, width: right - left, fontSize: size, fontName: "" }
    marks.groups.set(run, [
      side === "over" ? "\\overbrace" : "\\underbrace",
      "{",
      ...inner,
      "}",
      ...(label.length > 0 ? [side === "over" ? "^" : "_", ...group(layout(label, undefined, depth + 1, marks))] : [])
    ])
    laidOut.push(run)
  }
  return laidOut.length === 0 ? items : [...rest, ...laidOut]
}

/**
 * long arrows over or under a formula (`\overrightarrow{AB}`, `\underleftarrow{..}`), off the baseline, close over (or
 * under) runs about as wide as they are, each with that formula as one run that stands for the laid-out group
 */
const arrowed = (items: ReadonlyArray<TextItem>, at: Omit<Frame, "reach">): ReadonlyArray<TextItem> => {
  const { baseline, size, depth, marks } = at
  const arrows = items.filter((item) =>
    overArrows[item.text.trim()] !== undefined && item.width >= 1.2 * size && Math.abs(item.y - baseline) > 0.4 * size
  )
  if (arrows.length === 0) return items
  let rest = [...items]
  const laidOut: Array<TextItem> = []
  for (const arrow of arrows) {
    const over = arrow.y > baseline
    const within = (item: TextItem) => {
      const centre = item.x + item.width / 2
      return centre >= arrow.x - 0.5 && centre <= arrow.x + arrow.width + 0.5
    }
    // the formula stands close under (or over) the arrow, about as wide as it: a numerator's arrow has a bar and a
    // denominator under it, far off and of another width
    const formula = rest.filter((item) => {
      if (item === arrow || !within(item)) return false
      const ink = extent(item)
      return over ? ink.top <= arrow.y + 0.1 * size && arrow.y - ink.top < 0.8 * size
        : ink.bottom >= arrow.y - 0.1 * size && ink.bottom - arrow.y < 0.8 * size
    })
    if (formula.length === 0) continue
    const left = Math.min(...formula.map((item) => item.x))
    const right = Math.max(...formula.map((item) => item.x + item.width))
    if (right - left < 0.6 * arrow.width) continue
    // small runs beyond the arrow are the limits of what it stands over or under (`\varprojlim_{p \in S}`)
    const beyond = rest.filter((item) =>
      item !== arrow && !formula.includes(item) && item.fontSize < 0.9 * size &&
      (over ? item.y > arrow.y : item.y < arrow.y) && Math.abs(item.y - arrow.y) < 1.5 * size
    )
    const limits = wordsCentredWithin(beyond, arrow.x - 0.5 * size, arrow.x + arrow.width + 0.5 * size).flat()
    rest = rest.filter((item) => item !== arrow && !formula.includes(item) && !limits.includes(item))
    const run: TextItem = { text: "", x: arrow.x, y: baseline, width: arrow.width, fontSize: size, fontName: "" }
    const command = `\\${over ? "over" : "under"}${overArrows[arrow.text.trim()]}`
    marks.groups.set(run, [
      command,
      "{",
      ...layout(formula, baseline, depth + 1, marks),
      "}",
      ...(limits.length > 0 ? [over ? "^" : "_", ...group(layout(limits, undefined, depth + 1, marks))] : [])
    ])
    laidOut.push(run)
  }
  return laidOut.length === 0 ? items : [...rest, ...laidOut]
}

/** the words of the runs whose middle lies between `left` and `right`: the labels and limits over or under a span */
const wordsCentredWithin = (
  items: ReadonlyArray<TextItem>,
  left: number,
  right: number
): ReadonlyArray<ReadonlyArray<TextItem>> =>
  words(items).filter((word) => {
    const centre = (Math.min(...word.map((item) => item.x)) + Math.max(...word.map((item) => item.x + item.width))) / 2
    return centre >= left && centre <= right
  })

/** the long arrows that stand over or under a formula, by the end of their command */
const overArrows: Record<string, string> = { "⟶": "rightarrow", "⟵": "leftarrow", "⟷": "leftrightarrow" }

/**
 * the pieces of horizontal braces, one brace each: TeX draws a brace with four glyphs (two ends, the two halves of the
 * middle), so the glyphs on one baseline, left to right, go in fours
 */
const braces = (pieces: ReadonlyArray<TextItem>): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const found: Array<{ readonly items: Array<TextItem>; glyphs: number }> = []
  for (const piece of [...pieces].sort((a, b) => b.y - a.y || a.x - b.x)) {
    const last = found.at(-1)
    const glyphs = piece.text.replace(/\s/g, "").length
    if (last !== undefined && Math.abs(last.items[0]!.y - piece.y) < 0.5 && last.glyphs < 4) {
      last.items.push(piece)
      last.glyphs += glyphs
    } else {
      // a brace drawn whole (`⏞`) is one glyph
      found.push({ items: [piece], glyphs: /[⏞⏟]/.test(piece.text) ? 4 : glyphs })
    }
  }
  return found.map((brace) => brace.items)
}

const relation = /[=<>≤≥≠≈∼≡∈→⊂⊆]/

/** the baselines of the runs at full size (within 0.15 em), with their characters and whether they hold a relation */
const baselineClusters = (
  items: ReadonlyArray<TextItem>,
  size: number
): ReadonlyMap<number, { readonly chars: number; readonly relation: boolean }> => {
  const clusters = new Map<number, { chars: number; relation: boolean }>()
  for (const item of items) {
    if (item.fontSize < 0.8 * size) continue
    const key = [...clusters.keys()].find((y) => Math.abs(y - item.y) <= 0.15 * size) ?? item.y
    const cluster = clusters.get(key) ?? { chars: 0, relation: false }
    cluster.chars += item.text.replace(/\s/g, "").length
    cluster.relation ||= relation.test(item.text)
    clusters.set(key, cluster)
  }
  return clusters
}

/**
 * the number's baseline if given, else the one holding a relation, else the one with the most characters; a line that
 * is a fraction's numerator or denominator (a bar close under or over it, with runs of the formula beyond the bar) is
 * none (the last denominator of a continued fraction has the most characters)
 */
const mainBaseline = (
  items: ReadonlyArray<TextItem>,
  size: number,
  hint: number | undefined,
  rules: ReadonlyArray<Rule> = []
): number => {
  const big = items.filter((item) => item.fontSize >= 0.8 * size)
  if (hint !== undefined) {
    const onHint = (item: TextItem) => Math.abs(item.y - hint) <= 0.15 * size
    // the number's baseline, unless another holds the relation and it does not (a `split`'s number, centred on the
    // rows, may share its baseline with a denominator)
    const related = (on: boolean) => big.some((item) => onHint(item) === on && relation.test(item.text))
    if (big.some(onHint) && (related(true) || !related(false))) return hint
  }
  const clusters = baselineClusters(items, size)
  const inFraction = (y: number) => {
    const line = big.filter((item) => Math.abs(item.y - y) <= 0.15 * size)
    return rules.some((rule) => {
      const across = line.filter((item) => overlapsRule(item, rule))
      if (across.length === 0) return false
      const top = Math.max(...across.map((item) => extent(item).top))
      const bottom = Math.min(...across.map((item) => extent(item).bottom))
      const over = rule.bottom >= top - 0.1 * size && rule.bottom - top < 0.6 * size
      const under = rule.top <= bottom + 0.1 * size && bottom - rule.top < 0.6 * size
      return (over && items.some((item) => item.y > rule.top && overlapsRule(item, rule))) ||
        (under && items.some((item) => item.y < rule.bottom && overlapsRule(item, rule)))
    })
  }
  let best = big[0]?.y ?? items[0]!.y
  let bestScore = -Infinity
  for (const [y, cluster] of clusters) {
    const score = (cluster.relation ? 1000 : 0) + cluster.chars - (inFraction(y) ? 500 : 0)
    if (score > bestScore) {
      best = y
      bestScore = score
    }
  }
  return best
}

const place = (word: ReadonlyArray<TextItem>, atoms: ReadonlyArray<Atom>, frame: Frame, leading: Array<TextItem>) => {
  const { baseline, size } = frame
  const first = word[0]!
  const left = Math.min(...word.map((item) => item.x))
  const right = Math.max(...word.map((item) => item.x + item.width))
  const centre = (left + right) / 2
  const top = Math.max(...word.map((item) => extent(item).top))
  const bottom = Math.min(...word.map((item) => extent(item).bottom))
  // a radical's index: small and raised, over the left part of the radical sign (TeX kerns it back into the sign)
  const radical = first.fontSize < 0.8 * size && bottom > baseline
    ? atoms.find((atom) =>
      left >= atom.item.x - 0.5 * size && right <= atom.item.x + 0.8 * atom.item.width && isRadical(atom.item)
    )
    : undefined
  if (radical !== undefined) return void radical.index.push(...word)
  // a limit: above or below a big operator or an operator name such as `lim`
  for (const atom of atoms) {
    // a long arrow's labels stand over and under it (`\xrightarrow[b]{a}`), as limits do
    if (!hasLimits(atom.item, size) && !labelledArrows.includes(atom.item.text.trim())) continue
    const slack = 0.3 * size
    if (centre < atom.item.x - slack || centre > atom.item.x + atom.item.width + slack) continue
    const op = extent(atom.item)
    if (bottom >= op.top - 0.3 * size) return void atom.above.push(...word)
    if (top <= op.bottom + 0.3 * size) return void atom.below.push(...word)
  }
  // something small set right over or under an atom, centred on it: `\overset{*}{X}`, `\stackrel{\text{def}}{=}`
  for (const atom of atoms) {
    const base = atom.item
    if (first.fontSize >= 0.9 * base.fontSize || isHanging(base) || isBigOperator(base)) continue
    const within = left >= base.x - 0.5 * size && right <= base.x + base.width + 0.5 * size &&
      Math.abs(centre - (base.x + base.width / 2)) <= 0.25 * Math.max(base.width, size)
    if (!within) continue
    const ink = extent(base)
    if (bottom >= ink.top - 0.1 * size && bottom - ink.top < 0.6 * size) return void atom.above.push(...word)
    if (top <= ink.bottom + 0.1 * size && ink.bottom - top < 0.6 * size) return void atom.below.push(...word)
  }
  // a script: smaller, touching the right edge of an atom (or of that atom's last script)
  const offset = first.y - baseline
  let owner: Atom | undefined
  for (const atom of atoms) {
    const base = atom.item
    const touching = left >= base.x + base.width - 1.5 && left - atom.scriptRight <= 0.3 * size &&
      left - (base.x + base.width) <= 4 * size
    if (!touching) continue
    const smaller = first.fontSize < 0.9 * base.fontSize || first.text.trim().startsWith("′")
    if (smaller && Math.abs(offset) <= 1.2 * size && (owner === undefined || base.x > owner.item.x)) owner = atom
  }
  if (owner !== undefined) {
    const raised = isHanging(owner.item) ? bottom > baseline : offset > 0.05 * size
    ;(raised ? owner.sup : owner.sub).push(...word)
    owner.scriptRight = Math.max(owner.scriptRight, right)
    return
  }
  // something stacked in the gap after the last atom to its left
  const before = atoms.filter((atom) => atom.item.x <= left).at(-1)
  if (before === undefined) leading.push(...word)
  else before.after.push(...word)
}

/** what the parts of one layout share */
interface Frame {
  readonly baseline: number
  readonly size: number
  readonly depth: number
  readonly marks: Marks
  /** the whole extent of each big delimiter, pieces stacked */
  readonly reach: ReadonlyMap<TextItem, VerticalExtent>
}

/** an atom with everything placed on it */
const attached = (atom: Atom): Array<TextItem> =>
  [atom.item, ...atom.index, ...atom.sub, ...atom.sup, ...atom.below, ...atom.above, ...atom.after]

const emit = (atoms: ReadonlyArray<Atom>, leading: ReadonlyArray<TextItem>, frame: Frame): Array<string> => {
  const tokens: Array<string> = []
  tokens.push(...stacked(leading, frame))
  // tall delimiters that pair up are `\left( .. \right)`: TeX sized them to what is between
  const sized = new Set<number>()
  for (let i = 0; i < atoms.length; i++) {
    const atom = atoms[i]!
    if (sized.has(i)) tokens.push("\\right")
    if (isOpening(atom.item, frame)) {
      // a matrix between tall delimiters (or after a brace never closed: `cases`); the environment stands for both
      const close = atoms.slice(i + 1).findIndex((other) => isClosing(other.item, frame))
      const end = close < 0 ? atoms.length : i + 1 + close
      // an opening delimiter takes no scripts: what stands small beside it (a `\tfrac` cell) is content
      const table = grid([...atom.sub, ...atom.sup, ...atom.after, ...atoms.slice(i + 1, end).flatMap(attached)], frame)
      if (table !== undefined) {
        const closing = atoms[end]
        tokens.push(...matrix(atom, closing, table, frame))
        if (closing !== undefined) tokens.push(...scripts(closing, frame), ...stacked(closing.after, frame))
        i = end
        continue
      }
    }
    if (isLeftDelimiter(atom.item)) {
      // a row vector between `\left(` and `\right)` of one line's height
      const close = atoms.slice(i + 1).findIndex((other) => isRightDelimiter(other.item))
      const end = i + 1 + close
      const row = close < 0 ? undefined : rowVector([...atom.after, ...atoms.slice(i + 1, end).flatMap(attached)], frame)
      if (row !== undefined) {
        const closing = atoms[end]!
        tokens.push(...matrix(atom, closing, row, frame), ...scripts(closing, frame), ...stacked(closing.after, frame))
        i = end
        continue
      }
    }
    if (isRadical(atom.item)) {
      const index = atom.index.length > 0 ? ["[", ...layout(atom.index, undefined, frame.depth + 1, frame.marks), "]"] : []
      // a stack right after the sign (a fraction under a tall radical) is its argument
      if (stackFollows(atom, frame)) {
        tokens.push("\\sqrt", ...index, "{", ...stacked(atom.after, frame), "}", ...scripts(atom, frame))
        continue
      }
      // else the radical takes what its vinculum covers, when the page's rules show it; or the next atom, or a
      // parenthesised group whole
      const end = radicalEnd(atoms, i + 1, frame.marks.rules)
      const inner = atoms.slice(i + 1, end + 1).flatMap((a) => atomTokens(a, frame))
      tokens.push("\\sqrt", ...index, "{", ...inner, "}", ...scripts(atom, frame), ...stacked(atom.after, frame))
      i = end
      continue
    }
    if (isOpening(atom.item, frame)) {
      const partner = closingPartner(atoms, i, frame)
      if (partner !== undefined && !sized.has(partner)) {
        sized.add(partner)
        tokens.push("\\left")
      }
    }
    tokens.push(...atomTokens(atom, frame))
  }
  // a partner that another branch consumed (a matrix, a radical) leaves `\left` without `\right`: plain delimiters
  // then, since unbalanced ones are no LaTeX at all
  const lefts = tokens.filter((token) => token === "\\left").length
  const rights = tokens.filter((token) => token === "\\right").length
  return lefts === rights ? tokens : tokens.filter((token) => token !== "\\left" && token !== "\\right")
}

/** the index of the tall closing delimiter that pairs with the tall opening one at `open`, nested pairs skipped */
const closingPartner = (atoms: ReadonlyArray<Atom>, open: number, frame: Frame): number | undefined => {
  let level = 0
  for (let i = open + 1; i < atoms.length; i++) {
    const item = atoms[i]!.item
    if (isOpening(item, frame) && !isClosing(item, frame)) level++
    else if (isClosing(item, frame) && !isOpening(item, frame)) {
      if (level === 0) return i
      level--
    }
  }
  return undefined
}

const atomTokens = (atom: Atom, frame: Frame): Array<string> => [
  ...itemTokens(atom.item, frame.marks),
  ...scripts(atom, frame),
  ...stacked(atom.after, frame)
]

/** a run's tokens, under its accent if it has one */
const itemTokens = (item: TextItem, marks: Marks): Array<string> => {
  const laidOut = marks.groups.get(item)
  if (laidOut !== undefined) return [...laidOut]
  let tokens = [...runTokens(item)]
  for (const accent of marks.accents.get(item) ?? []) tokens = [accent, ...group(tokens)]
  return tokens
}

const scripts = (atom: Atom, frame: Frame): Array<string> => {
  const { depth, marks } = frame
  // nothing takes scripts after an opening delimiter, a relation or a binary operator: that is a small fraction
  // (`\tfrac`, `\bigl(\tfrac{1}{24}\bigr)`), its parts centred on each other
  if (atom.sub.length > 0 && atom.sup.length > 0 && takesNoScripts(atom.item) && isCentred({ above: atom.sup, below: atom.sub, left: 0, right: 0 })) {
    return [...fraction(atom.sup, atom.sub, frame), ...scripts({ ...atom, sub: [], sup: [] }, frame)]
  }
  const tokens: Array<string> = []
  const below = [...atom.below, ...atom.sub]
  const above = [...atom.above, ...atom.sup]
  const part = (items: ReadonlyArray<TextItem>) => {
    // limits in rows, one under the other: `\sum_{\substack{0 \le i \le m \\ 0 < j < n}}`
    const rows = atom.sub.length === 0 && atom.sup.length === 0 ? limitRows(items) : []
    return rows.length < 2 ? layout(items, undefined, depth + 1, marks) : [
      "\\substack",
      ...group(rows.flatMap((row, i) => [...(i > 0 ? ["\\\\"] : []), ...layout(row, undefined, depth + 1, marks)]))
    ]
  }
  if (below.length > 0) tokens.push("_", ...group(part(below)))
  if (above.length > 0) {
    const inner = part(above)
    // a prime is a superscript of its own: f', not f^{'}
    if (inner.every((token) => /^'+$/.test(token))) tokens.push(...inner)
    else tokens.push("^", ...group(inner))
  }
  return tokens
}

/**
 * a big operator's limits as rows, top down, when they stand in two or more (`\substack`): runs of the limits' main
 * size on baselines at least 0.8 of it apart, each row reaching over the middle of the others; smaller runs (their
 * scripts) go with the nearest row. One row, or rows side by side, give none.
 */
const limitRows = (items: ReadonlyArray<TextItem>): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const main = Math.max(...items.map((item) => item.fontSize))
  const anchors = items.filter((item) => item.fontSize >= 0.9 * main && !isAccent(item)).sort((a, b) => b.y - a.y)
  const rows: Array<Array<TextItem>> = []
  for (const item of anchors) {
    const row = rows.find((row) => Math.abs(row[0]!.y - item.y) < 0.5 * main)
    if (row === undefined) rows.push([item])
    else row.push(item)
  }
  if (rows.length < 2) return []
  const spans = rows.map((row) => ({
    y: row[0]!.y,
    left: Math.min(...row.map((item) => item.x)),
    right: Math.max(...row.map((item) => item.x + item.width))
  }))
  const stacked = spans.every((span, i) =>
    (i === 0 || spans[i - 1]!.y - span.y >= 0.8 * main) &&
    spans.every((other) => span.left < (other.left + other.right) / 2 && span.right > (other.left + other.right) / 2)
  )
  if (!stacked) return []
  for (const item of items) {
    if (anchors.includes(item)) continue
    rows[nearestIndex(spans.map((span) => span.y), item.y)]!.push(item)
  }
  return rows
}

/**
 * words in a gap of the baseline, as fractions (see `FractionStacks`); what has nothing across is raised or lowered
 */
const stacked = (items: ReadonlyArray<TextItem>, frame: Frame): Array<string> => {
  if (items.length === 0) return []
  const { size, depth, marks } = frame
  const axis = frame.baseline + 0.25 * size
  const up: Array<TextItem> = []
  const down: Array<TextItem> = []
  for (const word of words(items)) {
    const ink = word.map(extent)
    const middle = (Math.max(...ink.map((e) => e.top)) + Math.min(...ink.map((e) => e.bottom))) / 2
    ;(middle > axis ? up : down).push(...word)
  }
  const stacks = fractionStacks(up, down, size)
  // two stacks and more side by side with no bar in any, the page's rules known: a matrix without delimiters
  const rules = marks.rules
  if (
    rules !== undefined && stacks.length >= 2 &&
    stacks.every(({ above, below }) => above.length > 0 && below.length > 0 && !barBetween(above, below, rules))
  ) {
    const cell = (part: ReadonlyArray<TextItem>) => render(layout(part, undefined, depth + 1, marks))
    const row = (side: "above" | "below") => stacks.map((stack) => cell(stack[side])).join(" & ")
    return ["\\begin{matrix}", `${row("above")} \\\\ ${row("below")}`, "\\end{matrix}"]
  }
  const tokens: Array<string> = []
  for (const { above, below } of stacks) {
    const layoutOf = (part: ReadonlyArray<TextItem>) => group(layout(part, undefined, depth + 1, marks))
    if (above.length > 0 && below.length > 0) tokens.push(...fraction(above, below, frame))
    else if (above.length > 0) tokens.push("^", ...layoutOf(above))
    else tokens.push("_", ...layoutOf(below))
  }
  return tokens
}

/**
 * numerator over denominator: `\\frac` when a bar lies between them, or when the page's rules are not known; else they
 * are stacked without one (`{n \\atop k}`, which `binomials` makes `\\binom` inside its parentheses)
 */
const fraction = (above: ReadonlyArray<TextItem>, below: ReadonlyArray<TextItem>, frame: Frame): Array<string> => {
  const part = (items: ReadonlyArray<TextItem>) => layout(items, undefined, frame.depth + 1, frame.marks)
  const rules = frame.marks.rules
  return rules === undefined || barBetween(above, below, rules)
    ? ["\\frac", ...group(part(above)), ...group(part(below))]
    : ["{", ...part(above), "\\atop", ...part(below), "}"]
}

/**
 * Content between tall delimiters as a matrix's cells, if it is one. Columns are where the content's runs leave a
 * vertical gap of more than 0.55 em; rows are the baselines of body-size runs that reach the most columns (so that the
 * numerator and denominator of a `\dfrac` in a `cases` row are not rows); other runs go with the nearest row. Where
 * the page's rules are known, rows a line apart with no bar between any two lines are a matrix, a column vector too;
 * otherwise a matrix has two columns and two rows at least: the parts of `\left(\frac{a}{b}\right)`, or limits under
 * the baseline, do not make one.
 */
const grid = (items: ReadonlyArray<TextItem>, frame: Frame): Grid | undefined => {
  const { size } = frame
  const solid = items.filter((item) => !isHanging(item)).flatMap(spaced)
  // a row of dots across the columns (`\hdotsfor`) is a row of its own, and tells nothing of where columns are
  const across = (item: TextItem) => /^[.·…\s]+$/.test(item.text) && item.width > 2 * size
  const columns = cells(solid.filter((item) => !across(item)), size).map((cell) => ({
    left: Math.min(...cell.map((item) => item.x)),
    right: Math.max(...cell.map((item) => item.x + item.width))
  }))
  const rules = frame.marks.rules
  const columnOf = (item: TextItem) => {
    const centre = item.x + item.width / 2
    const index = columns.findIndex((column) => centre >= column.left - 0.5 && centre <= column.right + 0.5)
    return index < 0 ? 0 : index
  }
  const lines: Array<{ y: number; columns: Set<number>; dots: boolean }> = []
  for (const item of [...solid].sort((a, b) => b.y - a.y)) {
    if (item.fontSize < 0.8 * size) continue
    const last = lines.at(-1)
    if (last !== undefined && last.y - item.y <= 0.15 * size) {
      last.columns.add(columnOf(item))
      last.dots &&= across(item)
    } else lines.push({ y: item.y, columns: new Set([columnOf(item)]), dots: across(item) })
  }
  const widest = Math.max(0, ...lines.map((line) => line.columns.size))
  const rows = lines.filter((line) => line.columns.size === widest || widest === 1 || line.dots).map((line) => line.y)
  // cells that hold fractions: their bars tell the rows
  const fractions = rules === undefined ? undefined : fractionRows(solid, rules, size)
  if (fractions !== undefined) {
    return { rows: fractions.rows, table: fill(fractions.rows, columnOf, solid, columns.length, size, fractions.rowOf) }
  }
  if (rows.length < 2) return undefined
  // with the page's rules known, lines with no bar between any two of them are a matrix (a column vector too), whatever
  // their spacing; with bars, the guesses below tell a matrix whose cells hold fractions from fractions
  if (rules !== undefined) {
    const bars = barsAcross(solid, rules)
    const ys = lines.map((line) => line.y)
    const barred = ys.some((y, k) => k > 0 && bars.some((rule) => rule.bottom > y && rule.top < ys[k - 1]!))
    const apart = rows.every((y, k) => k === 0 || rows[k - 1]! - y >= 0.9 * size)
    if (!barred && apart) return { rows, table: fill(rows, columnOf, solid, columns.length, size) }
  }
  if (columns.length < 2) return undefined
  // a matrix's rows are a line apart; rows closer than that are numerators, operators and denominators side by side
  // (`\left[\frac{d^2}{dt^2} + \frac{\omega}{Q}\frac{d}{dt}\right]`)
  if (rows.some((y, k) => k > 0 && rows[k - 1]! - y < 0.9 * size)) return undefined
  // rows of one cell each with one on the formula's baseline: a fraction beside something, not a matrix
  if (widest === 1 && rows.some((y) => Math.abs(y - frame.baseline) <= 0.15 * size)) return undefined
  // runs on the formula's baseline that are no row, with rows above and below it: a formula with fractions between
  // big delimiters (`\left[ 1 + \frac{P}{N} \right]`); a matrix's baseline is one of its rows, or between two rows
  const onBaseline = lines.some((line) => Math.abs(line.y - frame.baseline) <= 0.15 * size)
  if (
    onBaseline && !rows.some((y) => Math.abs(y - frame.baseline) <= 0.15 * size) &&
    rows.some((y) => y > frame.baseline) && rows.some((y) => y < frame.baseline)
  ) return undefined
  return { rows, table: fill(rows, columnOf, solid, columns.length, size) }
}

/**
 * The rows of a matrix whose cells hold fractions (`\begin{bmatrix} 0 & \tfrac{1}{C} \\ \tfrac{-1}{L} & \tfrac{-R}{L} \end{bmatrix}`),
 * if it is one: a fraction's bar stands on its row's math axis, a quarter em over the baseline, and its numerator and
 * denominator make no rows of their own. The bars that are rows are those inside no longer bar's fraction; two rows at
 * least, about a line apart (1.1 em), make a matrix. `rowOf` gives a numerator's or denominator's runs their bar's row.
 */
const fractionRows = (
  items: ReadonlyArray<TextItem>,
  rules: ReadonlyArray<Rule>,
  size: number
): { readonly rows: ReadonlyArray<number>; readonly rowOf: (item: TextItem) => number | undefined } | undefined => {
  // a run is a part of the bar it stands closest over or under, less than 0.8 em from it
  const gap = (item: TextItem, bar: Rule) => {
    if (!overlapsRule(item, bar)) return Infinity
    const ink = extent(item)
    const distance = ink.bottom >= bar.top - 0.1 * size ? ink.bottom - bar.top :
      ink.top <= bar.bottom + 0.1 * size ? bar.bottom - ink.top : Infinity
    return distance < 0.8 * size ? Math.max(0, distance) : Infinity
  }
  const closest = (item: TextItem, bars: ReadonlyArray<Rule>) =>
    bars.reduce<Rule | undefined>((best, bar) => gap(item, bar) < (best === undefined ? Infinity : gap(item, best)) ? bar : best, undefined)
  const across = barsAcross(items, rules)
  const owner = new Map<TextItem, Rule>()
  for (const item of items) {
    const bar = closest(item, across)
    if (bar !== undefined) owner.set(item, bar)
  }
  // a fraction's bar has runs over and under it; one inside a longer bar's numerator or denominator (less than a line
  // from it) is that fraction's business
  const owned = (bar: Rule, over: boolean) =>
    items.some((item) => owner.get(item) === bar && (extent(item).bottom >= bar.top - 0.1 * size) === over)
  const bars = across.filter((bar) => owned(bar, true) && owned(bar, false))
  const outer = bars.filter((bar) =>
    !bars.some((other) =>
      other !== bar && other.right - other.left > bar.right - bar.left && other.left <= bar.left + 0.5 &&
      other.right >= bar.right - 0.5 && Math.abs(other.bottom - bar.bottom) < 1.1 * size
    )
  )
  if (outer.length === 0) return undefined
  for (const [item, bar] of owner) if (!outer.includes(bar)) owner.delete(item)
  // a run on the baseline of a bar's numerator or denominator, within the bar, is part of it though its ink is low
  // (the comma of `(\varphi_1, \varepsilon_1)`)
  for (const item of items) {
    if (owner.has(item)) continue
    const mate = [...owner].find(([other, bar]) =>
      Math.abs(other.y - item.y) <= 0.15 * size && item.x >= bar.left - 0.5 && item.x + item.width <= bar.right + 0.5
    )
    if (mate !== undefined) owner.set(item, mate[1])
  }
  // the rows: the baselines of the runs that belong to no fraction, and the bars' baselines, a line apart at least
  const baselines = [
    ...items.filter((item) => item.fontSize >= 0.8 * size && !owner.has(item)).map((item) => item.y),
    ...outer.map((bar) => (bar.bottom + bar.top) / 2 - 0.25 * size)
  ].sort((a, b) => b - a)
  const rows: Array<number> = []
  for (const y of baselines) if (rows.length === 0 || rows.at(-1)! - y > 0.3 * size) rows.push(y)
  if (rows.length < 2 || rows.some((y, k) => k > 0 && rows[k - 1]! - y < 1.1 * size)) return undefined
  const barRow = (bar: Rule) => nearestIndex(rows, (bar.bottom + bar.top) / 2 - 0.25 * size)
  // a bar that reaches over all of the next row, its runs and the bar of a fraction in it, has that row for its
  // numerator (or denominator), lifted away by that fraction: `\left(\frac{a + \dfrac12}{c}\right)` is no matrix
  const rowOf = (item: TextItem) => {
    const bar = owner.get(item)
    return bar === undefined ? undefined : barRow(bar)
  }
  const rowOfRun = (item: TextItem) => rowOf(item) ?? nearestIndex(rows, item.y)
  const covers = (bar: Rule, k: number) => {
    const runs = items.filter((item) => item.fontSize >= 0.8 * size && rowOfRun(item) === k)
    const others = outer.filter((other) => other !== bar && barRow(other) === k)
    return others.length > 0 &&
      runs.every((item) => item.x >= bar.left - 0.5 && item.x + item.width <= bar.right + 0.5) &&
      others.every((other) => other.left >= bar.left - 0.5 && other.right <= bar.right + 0.5)
  }
  if (outer.some((bar) => covers(bar, barRow(bar) - 1) || covers(bar, barRow(bar) + 1))) return undefined
  return { rows, rowOf }
}

/** the index of the value nearest to `y` */
const nearestIndex = (values: ReadonlyArray<number>, y: number): number =>
  values.reduce((best, value, k) => Math.abs(value - y) < Math.abs(values[best]! - y) ? k : best, 0)

/** the cells of a matrix: each run in the row nearest its middle (or the row `rowOf` names), in its column */
const fill = (
  rows: ReadonlyArray<number>,
  columnOf: (item: TextItem) => number,
  items: ReadonlyArray<TextItem>,
  columns: number,
  size: number,
  rowOf: (item: TextItem) => number | undefined = () => undefined
): Grid["table"] => {
  const table = rows.map(() => Array.from({ length: columns }, () => [] as Array<TextItem>))
  for (const item of items) {
    const ink = extent(item)
    const middle = (ink.top + ink.bottom) / 2 - 0.25 * size
    table[rowOf(item) ?? nearestIndex(rows, middle)]![columnOf(item)]!.push(item)
  }
  return table
}

/**
 * Content between an extension font's opening and closing delimiter of one line's height as a row vector, if it is
 * one: all of it on the baseline (nothing stacked, no radical or big operator), in two cells or more a column gap apart
 * (more than 0.55 em, as
 * `pmatrix` sets them; `\bigl( a + b \bigr)` has no such gap). A matrix's delimiters come from `\left`, sized to its
 * rows' struts: from the extension font even for one row, where plain parentheses would be the text font's.
 */
const rowVector = (items: ReadonlyArray<TextItem>, frame: Frame): Grid | undefined => {
  const { baseline, size } = frame
  const flat = items.every((item) =>
    !isHanging(item) && !isBigOperator(item) && (item.fontSize < 0.8 * size || Math.abs(item.y - baseline) <= 0.15 * size)
  )
  const row = cells(items, size)
  if (!flat || row.length < 2) return undefined
  return { rows: [baseline], table: [row] }
}

/**
 * a run of math (or of numbers) with spaces in it (pdf.js puts one where glyphs are apart: `1 0 0 0`, a matrix row of
 * digits in one run) as one run per word, placed by estimate: each glyph half an em wide, the spaces sharing the rest
 */
const spaced = (item: TextItem): ReadonlyArray<TextItem> => {
  // (an ellipsis's dots, `. . .`, are one word)
  const words = item.text.trim().replace(/\.(?: \.){2,}/g, (dots) => dots.replace(/ /g, "")).split(/\s+/)
  // in a text font (digits are set in it), only numbers: words are prose
  const text = fontRole(item.fontName) === "text" || fontRole(item.fontName) === "textItalic"
  if (words.length < 2 || (text && !words.every((word) => /^[-−+]?[\d.,]+$/.test(word)))) return [item]
  const glyphs = words.reduce((sum, word) => sum + [...word].length, 0)
  const glyph = Math.min(0.5 * item.fontSize, item.width / glyphs)
  const space = (item.width - glyphs * glyph) / (words.length - 1)
  let x = item.x
  return words.map((word) => {
    const width = [...word].length * glyph
    const run = { ...item, text: word, x, width }
    x += width + space
    return run
  })
}

/** a matrix: the baselines of its rows and its cells */
interface Grid {
  readonly rows: ReadonlyArray<number>
  readonly table: ReadonlyArray<ReadonlyArray<ReadonlyArray<TextItem>>>
}

/** the rows and cells between a tall opening delimiter and the closing one (or the end, for `cases`) */
const matrix = (open: Atom, close: Atom | undefined, { rows, table }: Grid, frame: Frame): Array<string> => {
  const opening = runTokens(open.item)[0] ?? ""
  const environment = opening === "(" ? "pmatrix" : opening === "[" ? "bmatrix" : opening === "|" ? "vmatrix" :
    opening === "\\|" ? "Vmatrix" : opening === "\\{" ? (close === undefined ? "cases" : "Bmatrix") : "matrix"
  // a cell with nothing on its row's baseline is a fraction (or a stack) on it: `\tfrac{1}{C}`
  const cellLatex = (cell: ReadonlyArray<TextItem>, baseline: number) =>
    cell.length === 0 || cell.some((item) => Math.abs(item.y - baseline) <= 0.15 * frame.size)
      ? layout(cell, baseline, frame.depth + 1, frame.marks)
      : stacked(cell, { ...frame, baseline, depth: frame.depth + 1 })
  const body = table.map((row, k) => row.map((cell) => render(cellLatex(cell, rows[k]!))).join(" & "))
  // two short entries one over the other in parentheses, no bar between them (`n` over `k`): a binomial; a vector's
  // entries are longer (`a(t)\cos(u)`)
  const short = (latex: string) => latex.length <= 12 && !latex.includes("(")
  if (
    environment === "pmatrix" && table.length === 2 && table.every((row) => row.length === 1) && close !== undefined &&
    body.every(short)
  ) {
    return ["\\binom", `{${body[0]}}`, `{${body[1]}}`]
  }
  return [`\\begin{${environment}}`, body.join(" \\\\ "), `\\end{${environment}}`]
}

/** runs split where they leave a vertical gap of more than 0.55 em, left to right */
const cells = (items: ReadonlyArray<TextItem>, size: number): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const sorted = [...items].sort((a, b) => a.x - b.x)
  const found: Array<Array<TextItem>> = []
  let end = -Infinity
  for (const item of sorted) {
    if (found.length === 0 || item.x - end > 0.55 * size) found.push([item])
    else found.at(-1)!.push(item)
    end = Math.max(end, item.x + item.width)
  }
  return found
}

/**
 * whether what is stacked after a radical sign starts right at it: the sign is taller than a line, and the stack's
 * left edge is within a quarter em of the sign's right edge (TeX sets the radicand flush against the sign)
 */
const stackFollows = (atom: Atom, frame: Frame): boolean => {
  if (atom.after.length === 0) return false
  const sign = frame.reach.get(atom.item) ?? extent(atom.item)
  const left = Math.min(...atom.after.map((item) => item.x))
  return sign.top - sign.bottom > 1.3 * frame.size && left - (atom.item.x + atom.item.width) < 0.25 * frame.size
}

/** the index of the last atom a radical takes */
const radicalEnd = (atoms: ReadonlyArray<Atom>, start: number, rules: ReadonlyArray<Rule> | undefined): number => {
  const first = atoms[start]
  if (first === undefined) return start - 1
  const vinculum = rules === undefined ? undefined : vinculumOf(atoms[start - 1]!.item, rules)
  if (vinculum !== undefined) {
    let end = start
    while (end + 1 < atoms.length && atoms[end + 1]!.item.x < vinculum.right - 0.5) end++
    return end
  }
  if (!first.item.text.trim().startsWith("(")) return start
  let level = 0
  for (let i = start; i < atoms.length; i++) {
    for (const char of atoms[i]!.item.text) {
      if (char === "(") level++
      if (char === ")") level--
    }
    if (level <= 0) return i
  }
  return start
}

/** the delimiter a tall hanging glyph (or a stack of pieces) is, if it is one */
const tallDelimiter = (item: TextItem, frame: Frame): string | undefined => {
  if (!isHanging(item) || isBigOperator(item) || isRadical(item)) return undefined
  const ink = frame.reach.get(item) ?? extent(item)
  return ink.top - ink.bottom > 1.3 * frame.size ? runTokens(item)[0] : undefined
}

const isOpening = (item: TextItem, frame: Frame): boolean =>
  ["(", "[", "\\{", "|", "\\|", "\\langle", "\\lfloor", "\\lceil"].includes(tallDelimiter(item, frame) ?? "")

const isClosing = (item: TextItem, frame: Frame): boolean =>
  [")", "]", "\\}", "|", "\\|", "\\rangle", "\\rfloor", "\\rceil"].includes(tallDelimiter(item, frame) ?? "")

/** an opening or closing delimiter from an extension font (a `\left(` or `\bigl(`), of any height */
const isLeftDelimiter = (item: TextItem): boolean => ["(", "["].includes(extensionDelimiter(item) ?? "")

const isRightDelimiter = (item: TextItem): boolean => [")", "]"].includes(extensionDelimiter(item) ?? "")

const extensionDelimiter = (item: TextItem): string | undefined => {
  if (fontRole(item.fontName) !== "mathExtension") return undefined
  const glyph = extensionGlyph(item.text.trim(), item.fontName, item.width / Math.max(item.fontSize, 1))
  return glyph?.kind === "delimiter" ? glyph.latex : undefined
}

/**
 * a run only part of which an accent (a wide one, or an overline) covers is cut where the accent ends, its glyphs' widths
 * estimated: `\widetilde{D}u` is one run `Du` under a tilde as wide as the `D`, `(\theta, \overline{X})` one run
 * `θ, X`; so is a run only part of which a radical's vinculum covers (`\sqrt{2} +` is one run `2 +`)
 */
const cutUnderAccents = (runs: ReadonlyArray<TextItem>, rules: ReadonlyArray<Rule> = []): ReadonlyArray<TextItem> => {
  // accents with a width of their own (a combining one has none and sits at its base's origin)
  const spacing = runs.filter((item) => isAccent(item) && item.width >= 0.5)
  const vinculums = rules.length === 0 ? [] : runs.filter(isRadical).flatMap((sign) => vinculumOf(sign, rules) ?? [])
  if (spacing.length === 0 && vinculums.length === 0) return runs
  const out = [...runs]
  const cut = (at: number, left: number, right: number) => {
    const base = out[at]
    const chars = base === undefined ? [] : [...base.text]
    if (base === undefined || chars.length < 2) return
    const starts = glyphStarts(base)
    const slack = 0.1 * base.fontSize
    const covered = chars.map((char, i) => {
      const middle = (starts[i]! + (starts[i + 1] ?? base.x + base.width)) / 2
      return char.trim() !== "" && middle >= left - slack && middle <= right + slack
    })
    const first = covered.indexOf(true)
    const last = covered.lastIndexOf(true)
    if (first < 0 || (first === 0 && last === chars.length - 1)) return
    const piece = (from: number, to: number): ReadonlyArray<TextItem> => {
      const text = chars.slice(from, to).join("")
      if (text.trim() === "") return []
      const x = starts[from]!
      const end = to < chars.length ? starts[to]! : base.x + base.width
      return [{ ...base, text, x, width: end - x }]
    }
    out.splice(at, 1, ...piece(0, first), ...piece(first, last + 1), ...piece(last + 1, chars.length))
  }
  for (const accent of spacing) cut(out.findIndex((item) => under(accent, item)), accent.x, accent.x + accent.width)
  for (const vinculum of vinculums) {
    // the run that starts under the vinculum and goes on past its end
    const at = out.findIndex((item) =>
      !isRadical(item) && item.x >= vinculum.left - 0.5 && item.x < vinculum.right - 0.5 &&
      item.x + item.width > vinculum.right + 0.2 * item.fontSize && extent(item).top <= vinculum.bottom + 0.5
    )
    cut(at, vinculum.left, vinculum.right)
  }
  return out
}

/** where each glyph of a run starts, its width shared out among its glyphs by their estimated widths */
const glyphStarts = (item: TextItem): ReadonlyArray<number> => {
  const estimates = [...item.text].map(glyphWidth)
  const scale = item.width / estimates.reduce((sum, width) => sum + width, 0)
  return estimates.map((_, i) => item.x + scale * estimates.slice(0, i).reduce((sum, width) => sum + width, 0))
}

/**
 * a run that ends in an operator name taking limits after other text (`) = min`, pdf.js joins them on one baseline) as
 * two runs, so that the limits go with the name alone and a script before it is not taken for one
 */
const detachLimitedName = (item: TextItem): ReadonlyArray<TextItem> => {
  const start = limitedNameStart(item.text)
  if (start === undefined || item.text.slice(0, start).trim() === "") return [item]
  const x = glyphStarts(item)[[...item.text.slice(0, start)].length]!
  return [
    { ...item, text: item.text.slice(0, start).trimEnd(), width: x - item.x },
    { ...item, text: item.text.slice(start), x, width: item.x + item.width - x }
  ]
}

/** a glyph's width in ems, roughly (Computer Modern's), to share a run's width out among its glyphs */
const glyphWidth = (char: string): number =>
  char === " " ? 0.33 : /[,.;:'!]/.test(char) ? 0.28 : /[()[\]|ijlft]/.test(char) ? 0.39 :
  /[mwMW]/.test(char) ? 0.88 : /[A-Z]/.test(char) ? 0.74 : 0.53

/**
 * three or four periods set right over a letter as one run: amsmath's `\dddot` and `\ddddot`, as the combining
 * accents U+20DB and U+20DC (an ellipsis stands on the baseline)
 */
const dotAccents = (runs: ReadonlyArray<TextItem>): ReadonlyArray<TextItem> => {
  const dots = (item: TextItem) => {
    const text = item.text.replace(/\s/g, "")
    return /^\.{3,4}$/.test(text) ? text.length : 0
  }
  if (!runs.some((item) => dots(item) > 0)) return runs
  return runs.map((item) => {
    if (dots(item) === 0) return item
    const accent = { ...item, text: dots(item) === 3 ? "\u20db" : "\u20dc" }
    const base = runs.some((other) => other !== item && under(accent, other) && item.y - other.y >= 0.3 * other.fontSize)
    return base ? accent : item
  })
}

/**
 * three dots one step apart, each a run of its own: `\vdots` (straight down), `\ddots` (down to the right), `\iddots`
 * (up to the right), as one run `⋮`, `⋱` or `⋰` on the lowest dot's baseline
 */
const dottedLines = (runs: ReadonlyArray<TextItem>): ReadonlyArray<TextItem> => {
  const dots = runs.filter((item) => /^[.·]$/.test(item.text.trim())).sort((a, b) => a.x - b.x || b.y - a.y)
  if (dots.length < 3) return runs
  const used = new Set<TextItem>()
  const joined: Array<TextItem> = []
  for (const first of dots) {
    if (used.has(first)) continue
    const size = first.fontSize
    const step = (from: TextItem, to: TextItem) => ({ dx: to.x - from.x, dy: to.y - from.y })
    const near = (dx: number, dy: number) => Math.abs(dx) <= 0.8 * size && Math.abs(dy) <= 0.8 * size && Math.hypot(dx, dy) >= 0.15 * size
    for (const second of dots) {
      if (second === first || used.has(second)) continue
      const { dx, dy } = step(first, second)
      if (!near(dx, dy) || dx < -0.05 * size || Math.abs(dy) < 0.1 * size) continue
      const third = dots.find((other) =>
        other !== first && other !== second && !used.has(other) &&
        Math.abs(other.x - second.x - dx) < 0.1 * size && Math.abs(other.y - second.y - dy) < 0.1 * size
      )
      if (third === undefined) continue
      const text = Math.abs(dx) < 0.1 * size ? "⋮" : dy < 0 ? "⋱" : "⋰"
      const left = Math.min(first.x, second.x, third.x)
      const right = Math.max(...[first, second, third].map((dot) => dot.x + dot.width))
      joined.push({ ...first, text, x: left, width: right - left, y: Math.min(first.y, second.y, third.y) })
      for (const dot of [first, second, third]) used.add(dot)
      break
    }
  }
  return used.size === 0 ? runs : [...runs.filter((item) => !used.has(item)), ...joined]
}

/**
 * whether `item` can be the base of `accent`: a run close under it whose extent holds the accent's middle (a combining
 * accent, with no width of its own, is drawn at its base's origin)
 */
const under = (accent: TextItem, item: TextItem): boolean => {
  if (isAccent(item) || item.y > accent.y + 0.5 || accent.y - item.y >= item.fontSize) return false
  const centre = accent.x + accent.width / 2
  return accent.width < 0.5
    ? Math.abs(item.x - accent.x) < 1
    : item.x - 0.5 <= centre && centre <= item.x + item.width + 0.5
}

/**
 * each accent's base: the nearest run below it whose extent holds the accent's middle; accents over accents (amsmath's
 * `\Hat{\Hat{H}}`) are stacked over one base, the lowest innermost
 */
const accentsOf = (items: ReadonlyArray<TextItem>): Marks["accents"] => {
  const over = new Map<TextItem, Array<TextItem>>()
  const commandOf = (accent: TextItem) => {
    const glyph = accent.text.replace(/[\ufe00-\ufe0f]/g, "").trim()
    return accentCommands[glyph] ?? extensionGlyph(glyph, accent.fontName, 0, mapped(accent))?.latex
  }
  for (const accent of items.filter(isAccent)) {
    const base = items.filter((item) => under(accent, item)).sort((a, b) => b.y - a.y)[0]
    if (commandOf(accent) === undefined || base === undefined) continue
    over.set(base, [...over.get(base) ?? [], accent])
  }
  return new Map([...over].map(([base, found]) => {
    // over one base: accents right over each other, a step apart (pdf.js may give an accent's glyph twice, once on
    // the baseline; accents beside each other are the base's own and a neighbour's, whose base was not found)
    const raised = found.filter((accent) => accent.y - base.y >= 0.2 * base.fontSize)
    const stack: Array<TextItem> = []
    for (const accent of (raised.length > 0 ? raised : found.slice(0, 1)).sort((a, b) => a.y - b.y)) {
      const last = stack.at(-1)
      // (centred over one another: TeX centres an accent over what is under it, whatever their widths)
      const centre = (item: TextItem) => item.x + item.width / 2
      if (last === undefined || (Math.abs(centre(last) - centre(accent)) < 0.5 && accent.y - last.y >= 0.15 * base.fontSize)) {
        stack.push(accent)
      }
    }
    return [base, stack.map((accent) => commandOf(accent)!)]
  }))
}

/**
 * runs drawn one into the other on one baseline that make a long arrow (`=` and `⇒`: `\Longrightarrow`, see
 * `LatexSymbols.longArrow`) as one run; the first piece may end a longer run (`) =` before `⇒`), which keeps the rest
 */
const joinArrows = (items: ReadonlyArray<TextItem>): ReadonlyArray<TextItem> => {
  if (!items.some((item) => arrowStarts.includes(item.text.trimEnd().slice(-1)))) return items
  const runs = [...items].sort((a, b) => a.x - b.x)
  for (let i = 0; i < runs.length; i++) {
    const left = runs[i]!
    const text = left.text.trim()
    // `7` is `\mapstochar` in a symbol font only
    const last = text.charAt(text.length - 1)
    if (!arrowStarts.includes(last)) continue
    const piece = last !== "7" || fontRole(left.fontName) === "mathSymbol" ? last : undefined
    const right = runs.find((other, j) =>
      j !== i && Math.abs(other.y - left.y) <= 0.1 * left.fontSize && Math.abs(other.fontSize - left.fontSize) < 0.5 &&
      other.x >= left.x + 0.3 * left.width - 0.5 && other.x <= left.x + left.width + 0.5 &&
      (longArrow(text, other.text) !== undefined && (text !== "7" || piece !== undefined) ||
        (piece !== undefined && longArrow(piece, other.text) !== undefined))
    )
    if (right === undefined || piece === undefined) continue
    const whole = longArrow(text, right.text) !== undefined
    const arrow = longArrow(whole ? text : piece, right.text)!
    // a piece that ends a run is about as wide as an `=` (0.78 em)
    const start = whole ? left.x : Math.max(left.x, left.x + left.width - 0.78 * left.fontSize)
    const rest = whole ? [] : [{ ...left, text: text.slice(0, -1).trimEnd(), width: start - left.x }]
    runs.splice(runs.indexOf(right), 1)
    runs.splice(runs.indexOf(left), 1, ...rest, { ...right, text: arrow, x: start, width: right.x + right.width - start })
    i = -1
  }
  return extended(runs)
}

/**
 * long arrows with the extenders TeX drew them longer with (`\xrightarrow{..}`: `−` pieces overlapping each other and
 * the head) as one run
 */
const extended = (runs: Array<TextItem>): ReadonlyArray<TextItem> => {
  for (let changed = true; changed;) {
    changed = false
    for (const arrow of runs) {
      const rightward = rightArrows.includes(arrow.text.trim())
      const leftward = leftArrows.includes(arrow.text.trim())
      if (!rightward && !leftward) continue
      const extender = arrow.text.trim() === "⟹" || arrow.text.trim() === "⟸" ? /^=+$/ : /^[−-]+$/
      const piece = runs.find((other) =>
        other !== arrow && extender.test(other.text.trim()) && Math.abs(other.y - arrow.y) <= 0.1 * arrow.fontSize &&
        (rightward
          ? other.x < arrow.x && other.x + other.width >= arrow.x - 0.1 * arrow.fontSize
          : other.x + other.width > arrow.x + arrow.width && other.x <= arrow.x + arrow.width + 0.1 * arrow.fontSize)
      )
      // a head at the other end too: `\overleftrightarrow`'s arrow
      const head = leftward && arrow.text.trim() === "⟵"
        ? runs.find((other) =>
          ["→", "⟶"].includes(other.text.trim()) && Math.abs(other.y - arrow.y) <= 0.1 * arrow.fontSize &&
          other.x > arrow.x && other.x <= arrow.x + arrow.width + 0.1 * arrow.fontSize
        )
        : undefined
      const joined = piece ?? head
      if (joined === undefined) continue
      const left = Math.min(joined.x, arrow.x)
      const right = Math.max(joined.x + joined.width, arrow.x + arrow.width)
      runs.splice(runs.indexOf(joined), 1)
      runs.splice(runs.indexOf(arrow), 1, { ...arrow, text: joined === head ? "⟷" : arrow.text, x: left, width: right - left })
      changed = true
      break
    }
  }
  return runs
}

/** whether a run is an opening delimiter, a relation or a binary operator, which math sets no scripts on */
const takesNoScripts = (item: TextItem): boolean => {
  const [token] = runTokens(item)
  return runTokens(item).length === 1 &&
    ["(", "[", "\\{", "\\langle", "=", "<", ">", "\\le", "\\ge", "\\ne", "\\approx", "\\sim", "+", "-", "\\pm", "\\times", "\\cdot"]
      .includes(token ?? "")
}

/** the long arrows that `joinArrows` makes, by the way they point, and those that may carry labels over and under */
const rightArrows = ["⟶", "⟹"]

const leftArrows = ["⟵", "⟸"]

const labelledArrows = [...rightArrows, ...leftArrows, "⟷", "⟼"]

/** the characters a long arrow's first piece ends with */
const arrowStarts = "−-←=⇐7↦"

/**
 * a run that ends in an accent as two runs, the accent (half an em wide, as TeX's are) at its end: pdf.js joins the
 * `=` before a letter and the `ˆ` over it into one run `= ˆ` when they share font and baseline
 */
const detachAccent = (item: TextItem): ReadonlyArray<TextItem> => {
  const text = item.text.trimEnd()
  const last = text.charAt(text.length - 1)
  if (text.length < 2 || !isAccentChar(last)) return [item]
  const width = Math.min(0.5 * item.fontSize, item.width)
  return [
    { ...item, text: text.slice(0, -1).trimEnd(), width: item.width - width },
    { ...item, text: last, x: item.x + item.width - width, width }
  ]
}

const accentCommands: Record<string, string> = {
  "^": "\\hat", "¯": "\\bar", "ˆ": "\\hat", "˜": "\\tilde", "˙": "\\dot", "¨": "\\ddot", "´": "\\acute", "`": "\\grave",
  "ˇ": "\\check", "˘": "\\breve", "˚": "\\mathring",
  "\u20d7": "\\vec", "\u0302": "\\hat", "\u0303": "\\tilde", "\u0304": "\\bar", "\u0307": "\\dot", "\u0308": "\\ddot",
  "\u030c": "\\check", "\u0306": "\\breve", "\u20db": "\\dddot", "\u20dc": "\\ddddot", [overlineAccent]: "\\overline"
}

/** `̸` (a combining long solidus, as pdf.js gives TeX's `\not`) before a relation: `≠`, `∉`, or `\not` */
const negations = (tokens: ReadonlyArray<string>): Array<string> => {
  const result: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (!token.includes("\u0338")) {
      result.push(token)
      continue
    }
    const rest = token.replace(/\u0338/g, "")
    if (rest !== "") result.push(rest)
    const next = tokens[i + 1]
    if (next === "=") result.push("\\ne")
    else if (next === "\\in") result.push("\\notin")
    else if (next !== undefined) result.push(`\\not${symbolLatex(next) ?? next}`)
    i++
  }
  return result
}

const group = (tokens: ReadonlyArray<string>): Array<string> =>
  tokens.length === 1 && /^(\\[A-Za-z]+|[^\\{}])$/.test(tokens[0]!) ? [...tokens] : ["{", ...tokens, "}"]

/**
 * `( {n \atop k} )`, a stack without a bar in parentheses, as `\binom{n}{k}`; in brackets, as a column vector
 * (`\begin{bmatrix} a \\ b \end{bmatrix}`)
 */
const binomials = (tokens: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (!tokens.includes("\\atop")) return tokens
  const out: Array<string> = []
  const sized = (at: number, delimiter: string) =>
    tokens[at] === delimiter ? 1 : tokens[at] !== undefined && /^\\(left|right)$/.test(tokens[at]!) && tokens[at + 1] === delimiter ? 2 : 0
  for (let i = 0; i < tokens.length;) {
    const bracket = sized(i, "[") > 0
    const open = sized(i, bracket ? "[" : "(")
    const start = i + open
    const group = open > 0 ? atopGroup(tokens, start) : undefined
    if (group !== undefined) {
      const { atop, end } = group
      const close = sized(end + 1, bracket ? "]" : ")")
      if (close > 0) {
        const [upper, lower] = [tokens.slice(start + 1, atop), tokens.slice(atop + 1, end)]
        out.push(...(bracket
          ? ["\\begin{bmatrix}", ...upper, "\\\\", ...lower, "\\end{bmatrix}"]
          : ["\\binom", "{", ...upper, "}", "{", ...lower, "}"]))
        i = end + 1 + close
        continue
      }
    }
    out.push(tokens[i++]!)
  }
  return out
}

/** the group `{ a \atop b }` that opens at `start`: where its `\atop` is, and its closing brace */
const atopGroup = (tokens: ReadonlyArray<string>, start: number): { readonly atop: number; readonly end: number } | undefined => {
  if (tokens[start] !== "{") return undefined
  let atop = -1
  for (let depth = 0, k = start; k < tokens.length; k++) {
    if (tokens[k] === "{") depth++
    else if (tokens[k] === "}" && --depth === 0) return atop > 0 ? { atop, end: k } : undefined
    else if (tokens[k] === "\\atop" && depth === 1) atop = k
  }
  return undefined
}

const spacedTokens = new Set([
  "=", "<", ">", "\\le", "\\ge", "\\ne", "\\sim", "\\approx", "\\equiv", "\\to", "\\in", "+", "-", "&", "\\mapsto",
  "\\leftarrow", "\\gets", "\\Rightarrow", "\\Leftarrow", "\\Leftrightarrow",
  "\\longrightarrow", "\\longleftarrow", "\\longleftrightarrow", "\\Longrightarrow", "\\Longleftarrow",
  "\\Longleftrightarrow", "\\longmapsto"
])

/** tokens as LaTeX: a space where a command would run into a letter, and around relations and binary signs */
const render = (tokens: ReadonlyArray<string>): string => {
  let text = ""
  let previous = ""
  for (const token of binomials(tokens)) {
    if (token === "") continue
    const needsSpace = (/\\[A-Za-z]+$/.test(previous) && /^[A-Za-z]/.test(token)) ||
      ((spacedTokens.has(token) || spacedTokens.has(previous)) && previous !== "" && previous !== "{" &&
        previous !== "_" && previous !== "^") ||
      previous === ","
    text += (needsSpace ? " " : "") + token
    previous = token
  }
  return text.replace(/\s+/g, " ").trim()
}
