/**
 * A paper's own macros (`\newcommand{\bvec}[1]{\boldsymbol{#1}}`, `\DeclareMathOperator{\Tr}{Tr}`, `\def\E{\mathbb{E}}`),
 * read from its source and expanded in the truth's LaTeX before scoring: a formula in a PDF shows what a macro
 * printed, never its name, so `\bvec{x}` can only ever be found as `\boldsymbol{x}`.
 *
 * Only what the preamble and body define with those commands, and `\let` aliases, is known; conditionals, macros built
 * on LaTeX's internals (`\@ifnextchar`) and macros of packages are not, and stay as they are.
 *
 * @since 0.1.0
 */

/**
 * A macro: how many arguments it takes, the default of an optional first one, and what it stands for (`#1` .. `#9`).
 *
 * @since 0.1.0
 */
export interface Macro {
  readonly arguments: number
  readonly optional: string | undefined
  readonly body: string
}

/**
 * The macros a LaTeX source defines, by name (with the backslash). Later definitions win, as in TeX.
 *
 * @since 0.1.0
 */
export const macrosOf = (source: string): ReadonlyMap<string, Macro> => {
  const text = source.replace(/(^|[^\\])%.*$/gm, "$1")
  const macros = new Map<string, Macro>()
  const definition = /\\(?:(?:re|provide)?newcommand\*?|DeclareMathOperator(\*?)|def)\s*/g
  // `\let\abs=\envert`: the same macro under another name, resolved when it is used
  const alias = /\\let\s*(\\[A-Za-z]+)\s*=?\s*(\\[A-Za-z]+)/g
  for (let match = alias.exec(text); match !== null; match = alias.exec(text)) {
    macros.set(match[1]!, { arguments: 0, optional: undefined, body: match[2]! })
  }
  for (let match = definition.exec(text); match !== null; match = definition.exec(text)) {
    let at = match.index + match[0].length
    const isDef = match[0].startsWith("\\def")
    const operator = match[0].startsWith("\\DeclareMathOperator")
    // the name: `{\name}` or `\name`
    const braced = text[at] === "{"
    const name = /^\\([A-Za-z]+|.)/.exec(text.slice(braced ? at + 1 : at))?.[0]
    if (name === undefined) continue
    at += name.length + (braced ? 2 : 0)
    if (braced && text[at - 1] !== "}") continue
    let count = 0
    let optional: string | undefined
    if (isDef) {
      // `\def\name#1#2{..}`
      const params = /^(#\d)*/.exec(text.slice(at))![0]
      count = params.length / 2
      at += params.length
    } else if (!operator) {
      const arity = /^\s*\[(\d)\]/.exec(text.slice(at))
      if (arity !== null) {
        count = Number(arity[1])
        at += arity[0].length
        const defaultValue = /^\s*\[([^\]]*)\]/.exec(text.slice(at))
        if (defaultValue !== null) {
          optional = defaultValue[1]
          at += defaultValue[0].length
        }
      }
    }
    const start = text.indexOf("{", at)
    if (start < 0 || text.slice(at, start).trim() !== "") continue
    const body = group(text, start)
    // a macro built on LaTeX's internals (`\@ifnextchar`) expands to nothing a formula shows
    if (body === undefined || body.includes("\\@")) continue
    macros.set(name, {
      arguments: count,
      optional,
      body: operator ? `\\operatorname${match[1] ?? ""}{${body}}` : body
    })
  }
  return macros
}

/**
 * `latex` with the macros expanded, to a depth of eight (a macro that uses another).
 *
 * @since 0.1.0
 */
export const expandMacros = (latex: string, macros: ReadonlyMap<string, Macro>): string => {
  if (macros.size === 0) return latex
  let text = latex
  for (let depth = 0; depth < 8; depth++) {
    const next = expandOnce(text, macros)
    if (next === text) return text
    text = next
  }
  return text
}

// internal

/** the text of the brace group that opens at `start`, without its braces */
const group = (text: string, start: number): string | undefined => {
  let level = 0
  for (let i = start; i < text.length; i++) {
    const char = text[i]
    if (char === "\\") {
      i++
      continue
    }
    if (char === "{") level++
    if (char === "}" && --level === 0) return text.slice(start + 1, i)
  }
  return undefined
}

const expandOnce = (text: string, macros: ReadonlyMap<string, Macro>): string => {
  let out = ""
  for (let i = 0; i < text.length;) {
    const name = text[i] === "\\" ? /^\\([A-Za-z]+|.)/.exec(text.slice(i))?.[0] : undefined
    const macro = name === undefined ? undefined : macros.get(name)
    if (name === undefined || macro === undefined) {
      out += name ?? text[i]
      i += name?.length ?? 1
      continue
    }
    let at = i + name.length
    const args: Array<string> = []
    for (let k = 0; k < macro.arguments; k++) {
      while (text[at] === " ") at++
      if (k === 0 && macro.optional !== undefined) {
        if (text[at] === "[") {
          const close = text.indexOf("]", at)
          args.push(text.slice(at + 1, close < 0 ? text.length : close))
          at = close < 0 ? text.length : close + 1
        } else args.push(macro.optional)
        continue
      }
      if (text[at] === "{") {
        const inner = group(text, at) ?? ""
        args.push(inner)
        at += inner.length + 2
      } else {
        const token = /^\\([A-Za-z]+|.)|^./.exec(text.slice(at))?.[0] ?? ""
        args.push(token)
        at += token.length
      }
    }
    // an argument that starts with a letter must not run into a command before it (`\lvert#1` with `I`)
    const body = macro.body.replace(/(\\[A-Za-z]+)?#(\d)/g, (_, command: string | undefined, n: string) => {
      const argument = args[Number(n) - 1] ?? ""
      return command === undefined ? argument : `${command}${/^[A-Za-z]/.test(argument) ? " " : ""}${argument}`
    })
    // `\name{}` ends a macro without arguments before a letter: the empty group goes with it
    if (macro.arguments === 0 && text.startsWith("{}", at)) at += 2
    // a command at the body's end must not run into a letter after it
    out += body + (/\\[A-Za-z]+$/.test(body) && /^[A-Za-z]/.test(text[at] ?? "") ? " " : "")
    i = at
  }
  return out
}
