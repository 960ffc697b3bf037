/**
 * Approximate LaTeX of a display row, from the positions, sizes and fonts of its glyph runs.
 *
 * The row's main baseline (the one the equation number sits on, else the one with a relation, else the fullest) holds
 * the atoms, left to right: its runs and the big operators and delimiters that reach over its math axis. Every other
 * run is placed relative to them:
 * - a smaller run touching an atom's right edge, raised or lowered, is its superscript or subscript;
 * - a run above or below a big operator is one of its limits;
 * - runs in a gap of the baseline, some above the axis and some below, are a fraction (numerator over denominator);
 *   the fraction rule itself is a path, not text, so the stacking is what shows it;
 * - runs between a tall opening delimiter and its closing one, on several baselines, are a matrix (`pmatrix`,
 *   `bmatrix`, `vmatrix`), or `cases` when only an opening brace is there; cells are apart by about an em.
 * Each part is laid out the same way, recursively. A radical takes the atom after it (a parenthesised group whole).
 *
 * Gotchas: a radical's extent is a rule (a path), so the end of its argument is a guess; `\left(` and `\bigl(` come
 * out as plain delimiters; macros of the source (`\Tr`, `\vol`) come out as what they print.
 *
 * @since 0.1.0
 */
import type { TextItem } from "../Pdf.ts"
import { extent } from "./Ink.ts"
import { runTokens } from "./LatexSymbols.ts"
import { extensionGlyph, fontRole, hasLimits, isBigOperator, isHanging } from "./MathGlyphs.ts"

/**
 * The LaTeX of a row of display math.
 *
 * `baseline`, when known (the equation number's), is taken as the main baseline.
 *
 * @category encoding
 * @since 0.1.0
 */
export const toLatex = (items: ReadonlyArray<TextItem>, options?: { readonly baseline?: number | undefined }): string =>
  render(layout(items, options?.baseline, 0))

// internal

/** a run on the main baseline, with what hangs on it */
interface Atom {
  readonly item: TextItem
  readonly sub: Array<TextItem>
  readonly sup: Array<TextItem>
  readonly below: Array<TextItem>
  readonly above: Array<TextItem>
  /** runs in the gap after this atom that are not its scripts or limits */
  readonly after: Array<TextItem>
  /** the right edge of the last script, so that a script run can continue an earlier one */
  scriptRight: number
}

const maxDepth = 12

const layout = (items: ReadonlyArray<TextItem>, hint: number | undefined, depth: number): Array<string> => {
  if (items.length === 0) return []
  if (depth > maxDepth) return items.flatMap((item) => [...runTokens(item)])
  const flat = items.filter((item) => !isHanging(item) && !isBigOperator(item))
  const size = Math.max(...(flat.length > 0 ? flat : items).map((item) => item.fontSize))
  const baseline = mainBaseline(flat.length > 0 ? flat : items, size, hint)
  const axis = baseline + 0.25 * size
  const onBaseline = (item: TextItem) => Math.abs(item.y - baseline) <= 0.15 * size && item.fontSize >= 0.8 * size
  const reachesAxis = (item: TextItem) => {
    const ink = extent(item)
    return (isHanging(item) || isBigOperator(item)) && ink.bottom <= axis + 0.15 * size && ink.top >= axis - 0.15 * size
  }
  const atoms: Array<Atom> = items
    .filter((item) => onBaseline(item) || reachesAxis(item))
    .sort((a, b) => a.x - b.x)
    .map((item) => ({ item, sub: [], sup: [], below: [], above: [], after: [], scriptRight: item.x + item.width }))
  const leading: Array<TextItem> = []
  const rest = items.filter((item) => !atoms.some((atom) => atom.item === item)).sort((a, b) => a.x - b.x)
  for (const item of rest) {
    if (isPieceOf(item, atoms)) continue
    place(item, atoms, baseline, size, leading)
  }
  return emit(atoms, leading, baseline, size, depth)
}

/** the number's baseline if given, else the one holding a relation, else the one with the most characters */
const mainBaseline = (items: ReadonlyArray<TextItem>, size: number, hint: number | undefined): number => {
  const big = items.filter((item) => item.fontSize >= 0.8 * size)
  if (hint !== undefined && big.some((item) => Math.abs(item.y - hint) <= 0.15 * size)) return hint
  const clusters = new Map<number, { chars: number; relation: boolean }>()
  for (const item of big) {
    const key = [...clusters.keys()].find((y) => Math.abs(y - item.y) <= 0.15 * size) ?? item.y
    const cluster = clusters.get(key) ?? { chars: 0, relation: false }
    cluster.chars += item.text.replace(/\s/g, "").length
    cluster.relation ||= /[=<>≤≥≠≈∼≡∈→⊂⊆]/.test(item.text)
    clusters.set(key, cluster)
  }
  let best = big[0]?.y ?? items[0]!.y
  let bestScore = -Infinity
  for (const [y, cluster] of clusters) {
    const score = (cluster.relation ? 1000 : 0) + cluster.chars
    if (score > bestScore) {
      best = y
      bestScore = score
    }
  }
  return best
}

/** pieces of an extensible delimiter stacked over one that is an atom already */
const isPieceOf = (item: TextItem, atoms: ReadonlyArray<Atom>): boolean =>
  isHanging(item) && !isBigOperator(item) &&
  atoms.some((atom) => isHanging(atom.item) && Math.abs(atom.item.x - item.x) < 1 && atom.item.fontName === item.fontName)

const place = (item: TextItem, atoms: ReadonlyArray<Atom>, baseline: number, size: number, leading: Array<TextItem>) => {
  const centre = item.x + item.width / 2
  const ink = extent(item)
  // a limit: above or below a big operator or an operator name such as `lim`
  for (const atom of atoms) {
    if (!hasLimits(atom.item, size)) continue
    const opInk = extent(atom.item)
    const within = centre >= atom.item.x - 0.3 * size && centre <= atom.item.x + atom.item.width + 0.3 * size
    if (!within) continue
    if (ink.bottom >= opInk.top - 0.3 * size) return void atom.above.push(item)
    if (ink.top <= opInk.bottom + 0.3 * size) return void atom.below.push(item)
  }
  // a script: smaller, touching the right edge of an atom (or of that atom's last script)
  const offset = item.y - baseline
  let owner: Atom | undefined
  for (const atom of atoms) {
    const base = atom.item
    const touching = item.x >= base.x + base.width - 1.5 && item.x - atom.scriptRight <= 0.3 * size &&
      item.x - (base.x + base.width) <= 4 * size
    if (!touching) continue
    const smaller = item.fontSize < 0.9 * base.fontSize || item.text.trim() === "′" || isHanging(base)
    if (smaller && Math.abs(offset) <= 1.2 * size && (owner === undefined || base.x > owner.item.x)) owner = atom
  }
  if (owner !== undefined) {
    const raised = isHanging(owner.item) ? ink.bottom > baseline : offset > 0.05 * size
    ;(raised ? owner.sup : owner.sub).push(item)
    owner.scriptRight = Math.max(owner.scriptRight, item.x + item.width)
    return
  }
  // something stacked in the gap after the last atom to its left
  const before = atoms.filter((atom) => atom.item.x <= item.x).at(-1)
  if (before === undefined) leading.push(item)
  else before.after.push(item)
}

const emit = (
  atoms: ReadonlyArray<Atom>,
  leading: ReadonlyArray<TextItem>,
  baseline: number,
  size: number,
  depth: number
): Array<string> => {
  const tokens: Array<string> = []
  tokens.push(...stacked(leading, undefined, undefined, baseline, size, depth))
  for (let i = 0; i < atoms.length; i++) {
    const atom = atoms[i]!
    if (isRadical(atom.item)) {
      // the radical takes the next atom, or a parenthesised group whole
      const end = radicalEnd(atoms, i + 1)
      const inner = atoms.slice(i + 1, end + 1).flatMap((a, k) => atomTokens(a, atoms[i + 1 + k + 1], baseline, size, depth))
      tokens.push("\\sqrt", "{", ...inner, "}")
      tokens.push(...scripts(atom, depth))
      tokens.push(...stacked(atom.after, atom, atoms[i + 1], baseline, size, depth))
      i = end
      continue
    }
    tokens.push(...atomTokens(atom, atoms[i + 1], baseline, size, depth))
  }
  return tokens
}

const atomTokens = (
  atom: Atom,
  next: Atom | undefined,
  baseline: number,
  size: number,
  depth: number
): Array<string> => [
  ...runTokens(atom.item),
  ...scripts(atom, depth),
  ...stacked(atom.after, atom, next, baseline, size, depth)
]

const scripts = (atom: Atom, depth: number): Array<string> => {
  const tokens: Array<string> = []
  const below = [...atom.below, ...atom.sub]
  const above = [...atom.above, ...atom.sup]
  if (below.length > 0) tokens.push("_", ...group(layout(below, undefined, depth + 1)))
  if (above.length > 0) {
    const inner = layout(above, undefined, depth + 1)
    // a prime is a superscript of its own: f', not f^{'}
    if (inner.every((token) => /^'+$/.test(token))) tokens.push(...inner)
    else tokens.push("^", ...group(inner))
  }
  return tokens
}

/** runs in the gap after `atom`: fractions, matrices, or leftovers raised or lowered */
const stacked = (
  items: ReadonlyArray<TextItem>,
  atom: Atom | undefined,
  next: Atom | undefined,
  baseline: number,
  size: number,
  depth: number
): Array<string> => {
  if (items.length === 0) return []
  const axis = baseline + 0.25 * size
  if (atom !== undefined && isOpening(atom.item, size) && baselines(items, size).length >= 2) {
    return matrix(items, atom, next, size, depth)
  }
  const tokens: Array<string> = []
  for (const column of horizontalGroups(items)) {
    const middle = (item: TextItem) => {
      const ink = extent(item)
      return (ink.top + ink.bottom) / 2
    }
    const above = column.filter((item) => middle(item) > axis)
    const below = column.filter((item) => middle(item) <= axis)
    if (above.length > 0 && below.length > 0) {
      tokens.push("\\frac", ...group(layout(above, undefined, depth + 1)), ...group(layout(below, undefined, depth + 1)))
    } else if (above.length > 0) {
      tokens.push("^", ...group(layout(above, undefined, depth + 1)))
    } else {
      tokens.push("_", ...group(layout(below, undefined, depth + 1)))
    }
  }
  return tokens
}

/** the rows and cells between a tall opening delimiter and the closing one (or the end, for `cases`) */
const matrix = (
  items: ReadonlyArray<TextItem>,
  open: Atom,
  close: Atom | undefined,
  size: number,
  depth: number
): Array<string> => {
  const opening = delimiterLatex(open.item)
  const closing = close !== undefined && isHanging(close.item) ? delimiterLatex(close.item) : undefined
  const environment = opening === "(" ? "pmatrix" : opening === "[" ? "bmatrix" : opening === "|" ? "vmatrix" :
    opening === "\\{" && closing === undefined ? "cases" : "matrix"
  const rows = baselines(items, size).map((y) => items.filter((item) => nearestBaseline(item, baselines(items, size)) === y))
  const body = rows.map((row) => cells(row, size).map((cell) => render(layout(cell, undefined, depth + 1))).join(" & "))
  return [`\\begin{${environment}}`, body.join(" \\\\ "), `\\end{${environment}}`]
}

/** the baselines of the body-size runs, top to bottom, counting a fraction's parts with the line they sit in */
const baselines = (items: ReadonlyArray<TextItem>, size: number): ReadonlyArray<number> => {
  const ys: Array<number> = []
  for (const item of [...items].sort((a, b) => b.y - a.y)) {
    if (item.fontSize < 0.8 * size || isHanging(item)) continue
    if (ys.length === 0 || ys.at(-1)! - item.y > 0.15 * size) ys.push(item.y)
  }
  // a line that sits in the gaps of the line below it and close to it is a numerator: it is not a row
  return ys.filter((y, k) => {
    const nextY = ys[k + 1]
    if (nextY === undefined || y - nextY > 1.1 * size) return true
    const upper = items.filter((item) => Math.abs(item.y - y) <= 0.15 * size)
    const lower = items.filter((item) => Math.abs(item.y - nextY) <= 0.15 * size)
    return upper.some((a) => lower.some((b) => a.x < b.x + b.width && b.x < a.x + a.width))
  })
}

const nearestBaseline = (item: TextItem, ys: ReadonlyArray<number>): number => {
  const ink = extent(item)
  const middle = (ink.top + ink.bottom) / 2
  let best = ys[0]!
  for (const y of ys) {
    if (Math.abs(middle - y - 2) < Math.abs(middle - best - 2)) best = y
  }
  // a fraction's parts belong to the row below them when they are above the row's baseline
  return ys.find((y) => y <= item.y + 0.15 * item.fontSize && item.y - y < 1.2 * item.fontSize) ?? best
}

/** a row's runs split where they are apart by more than 0.7 em */
const cells = (row: ReadonlyArray<TextItem>, size: number): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const sorted = [...row].sort((a, b) => a.x - b.x)
  const found: Array<Array<TextItem>> = []
  let end = -Infinity
  for (const item of sorted) {
    if (found.length === 0 || item.x - end > 0.7 * size) found.push([item])
    else found.at(-1)!.push(item)
    end = Math.max(end, item.x + item.width)
  }
  return found
}

/** runs grouped by horizontal overlap: one group per fraction or stack */
const horizontalGroups = (items: ReadonlyArray<TextItem>): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const sorted = [...items].sort((a, b) => a.x - b.x)
  const found: Array<Array<TextItem>> = []
  let end = -Infinity
  for (const item of sorted) {
    if (found.length === 0 || item.x > end + 0.5) found.push([item])
    else found.at(-1)!.push(item)
    end = Math.max(end, item.x + item.width)
  }
  return found
}

const isRadical = (item: TextItem): boolean => {
  const text = item.text.trim()
  if (text === "√") return true
  if (fontRole(item.fontName) !== "mathExtension") return false
  return extensionGlyph(text.charAt(0), item.fontName, item.width / item.fontSize)?.kind === "radical"
}

/** the index of the last atom a radical takes */
const radicalEnd = (atoms: ReadonlyArray<Atom>, start: number): number => {
  const first = atoms[start]
  if (first === undefined) return start - 1
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

const isOpening = (item: TextItem, size: number): boolean => {
  if (!isHanging(item) || isBigOperator(item)) return false
  const ink = extent(item)
  return ink.top - ink.bottom > 1.3 * size && ["(", "[", "\\{", "|", "\\|", "\\langle"].includes(delimiterLatex(item))
}

const delimiterLatex = (item: TextItem): string => runTokens(item)[0] ?? ""

const group = (tokens: ReadonlyArray<string>): Array<string> =>
  tokens.length === 1 && /^(\\[A-Za-z]+|[^\\{}])$/.test(tokens[0]!) ? [...tokens] : ["{", ...tokens, "}"]

const spacedTokens = new Set(["=", "<", ">", "\\le", "\\ge", "\\ne", "\\sim", "\\approx", "\\equiv", "\\to", "\\in", "+", "-", "&"])

/** tokens as LaTeX: a space only where a command would run into a letter, and around relations and binary signs */
const render = (tokens: ReadonlyArray<string>): string => {
  let text = ""
  let previous = ""
  for (const token of tokens) {
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
