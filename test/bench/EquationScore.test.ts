/**
 * The scoring of `npm run eval:equations`: a paper's macros expanded in the truth, and LaTeX that prints the same
 * compared as the same.
 */
import { assert, describe, it } from "@effect/vitest"
import { latexSimilarity } from "../../bench/equation-score.ts"
import { expandMacros, macrosOf } from "../../bench/latex-macros.ts"

describe("equation scoring", () => {
  it("reads a paper's macros and expands them, arguments, defaults and nesting included", () => {
    const macros = macrosOf(String.raw`
      \newcommand{\bvec}[1]{\boldsymbol{#1}}
      \newcommand\obs{\mathcal{O}} % a comment with \newcommand{\no}{x}
      \renewcommand{\avg}[2][t]{\left\langle #2 \right\rangle_{#1}}
      \DeclareMathOperator*{\argmin}{arg\,min}
      \def\E{\mathbb{E}}
      \def\pair#1#2{(#1, #2)}
      \newcommand{\both}{\bvec{x}}
      \let\vb=\bvec
      \newcommand{\envert}[1]{\left\lvert#1\right\rvert}
    `)
    assert.strictEqual(expandMacros(String.raw`\envert{I}`, macros), String.raw`\left\lvert I\right\rvert`)
    assert.deepStrictEqual([...macros.keys()].sort(), ["\\E", "\\argmin", "\\avg", "\\both", "\\bvec", "\\envert", "\\obs", "\\pair", "\\vb"])
    assert.strictEqual(expandMacros(String.raw`\vb{u}`, macros), String.raw`\boldsymbol{u}`)
    assert.strictEqual(expandMacros(String.raw`\bvec{r}_\bvec\theta = \obs{} x`, macros), String.raw`\boldsymbol{r}_\boldsymbol{\theta} = \mathcal{O} x`)
    assert.strictEqual(expandMacros(String.raw`\avg{u} + \avg[s]{v}`, macros), String.raw`\left\langle u \right\rangle_{t} + \left\langle v \right\rangle_{s}`)
    assert.strictEqual(expandMacros(String.raw`\argmin_x \E\pair{a}{b} \both`, macros), String.raw`\operatorname*{arg\,min}_x \mathbb{E}(a, b) \boldsymbol{x}`)
  })

  it("takes what prints the same as the same: upright text, bare groups, unbraced arguments", () => {
    assert.strictEqual(latexSimilarity(String.raw`\Sigma_{\text{Ls}}`, String.raw`\Sigma_{\rm Ls}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\frac m{\frac1{\lambda_1} + 1}`, String.raw`\frac{m}{\frac{1}{\lambda_1} + 1}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\Delta\Sigma_L`, String.raw`{\Delta\Sigma}_{\mathrm{L}}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`|z| + \|u\|`, String.raw`\left\lvert z\right\rvert + \lVert u\rVert`), 1)
    assert.isBelow(latexSimilarity(String.raw`\frac{a}{b}`, String.raw`\frac{b}{a}`), 1)
  })

  it("takes what prints the same as the same: spacing, script order, alignment wrappers, array column specs", () => {
    assert.strictEqual(latexSimilarity(String.raw`a \perp b`, String.raw`a \hspace{0.34cm}\perp\hspace*{1em} b\kern 2pt`), 1)
    assert.strictEqual(latexSimilarity(String.raw`g_{r,t}^{\text{ene}} + x_1^2`, String.raw`g^{\textrm{ene}}_{r,t} + x^2_1`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\text{$\mu$}`, String.raw`\mu`), 1)
    assert.strictEqual(latexSimilarity(String.raw`f'(x) \in [t, s[`, String.raw`f^\prime(x) \in \mathinner{[t,s[}\relax`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\frac{a'}{b} + x''`, String.raw`\frac{a^\prime}{b} + x^{\prime\prime}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`f: X \to Y`, String.raw`f\colon X\rightarrow Y`), 1)
    assert.strictEqual(latexSimilarity(String.raw`x \equiv 1 (\operatorname{mod} m^2)`, String.raw`x \equiv 1 \pmod{m^2}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\overline\lim_n x_n`, String.raw`\varlimsup_n x_n`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\int\int_A f \int\cdots\int`, String.raw`\iint\limits_A f \idotsint`), 1)
    assert.strictEqual(latexSimilarity(String.raw`a \longrightarrow^{\tau} b \longleftarrow_{\zeta}^{\alpha} c`, String.raw`a \xrightarrow[]{\tau} b \xleftarrow[\zeta]{\alpha} c`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\operatorname*{esssup}_x f (m)`, String.raw`\operatorname*{ess\,sup}_x f \pod{m}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\sin\psi\cos\theta = \cos i`, String.raw`\sin{\psi}\cos{\theta} = \cos{i}`), 1)
    // a group after a command's last argument is bare; one that is an argument keeps its braces
    assert.isBelow(latexSimilarity(String.raw`\frac{a}{b c}`, String.raw`\frac{a}{b} c`), 1)
    assert.isBelow(latexSimilarity(String.raw`\dbinom{a}{b c}^2`, String.raw`\dbinom{a}{b c^2}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`x \equiv y (\operatorname{mod} p)`, String.raw`x \equiv y \pmod p`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\text{\tiny\upshape T}`, String.raw`\text{T}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\nu_\max + \sin x + \langle y\rangle`, String.raw`\nu_\mathrm{max} + \operatorname{sin} x + \left<y\right>`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\operatorname*{argmin}_{\pi(\theta)} x`, String.raw`\underset{\pi(\theta)}{\operatorname{argmin}} x`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\begin{aligned} a &= b \\ &= c \end{aligned}`, String.raw`\begin{split} a &= b\\ &= c \end{split}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\begin{array}{cc} 1 & 0 \end{array}`, String.raw`\begin{array}{@{}l|r} 1 & 0 \end{array}`), 1)
    // `\genfrac` as the fraction it prints; a font switch as its alphabet; typewriter text as typewriter letters
    assert.strictEqual(latexSimilarity(String.raw`\frac{n+1}2 + {a \atop b} + \binom{n}{k} + \left[\frac{x}{y}\right]`, String.raw`\genfrac{}{}{}{}{n+1}{2} + \genfrac{}{}{0pt}{}{a}{b} + \genfrac{(}{)}{0pt}{}{n}{k} + \genfrac{[}{]}{1pt}{}{x}{y}`), 1)
    assert.isBelow(latexSimilarity(String.raw`{a \atop b}`, String.raw`\genfrac{}{}{0.4pt}{}{a}{b}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\frac{a}{b}`, String.raw`\genfrac{}{}{}{}{a}b`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\mathbf{x} + \mathtt{ab} + \mathit{c}`, String.raw`{\bf x} + {\tt ab} + {\itshape c}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\texttt{\textbackslash over}: x`, String.raw`\text{{\protect\normalfont\ttfamily\bslash over}: } x`), 1)
    assert.isBelow(latexSimilarity(String.raw`\text{over}: x`, String.raw`\text{{\ttfamily over}: } x`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\hat{\hat{H}} \sqrt[\beta]{k}`, String.raw`\Hat{\Hat{H}} \sqrt[\leftroot{-2}\uproot{2}\beta]{k}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\begin{pmatrix} a \\ \ldots \end{pmatrix}`, String.raw`\begin{pmatrix} a \\ \hdotsfor[2]{4} \end{pmatrix}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\mathbf{A}_{\mathbf{0}}`, String.raw`\mathbf{A}_{\boldsymbol{0}}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\sum_{\substack{i \le m\\j < n}} P`, String.raw`\sum_{\begin{subarray}{l} i\le m\\ j<n \end{subarray}} P`), 1)
    // an environment's name is one token: a wrong one costs one, a wrong script order of different scripts still costs
    assert.closeTo(latexSimilarity(String.raw`\begin{pmatrix} 1 \end{pmatrix}`, String.raw`\begin{bmatrix} 1 \end{bmatrix}`), 1 / 3, 1e-9)
    assert.isBelow(latexSimilarity(String.raw`x_a^b`, String.raw`x_b^a`), 1)
  })

  it("takes a math alphabet over a base and its scripts, and over letters side by side, as it prints", () => {
    assert.strictEqual(latexSimilarity(String.raw`\mathbf{F}_{\mathbf{h}}\cdot\hat{\mathbf{n}}`, String.raw`\mathbf{F_h}\cdot\hat{\mathbf{n}}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\mathbf{r}_{\mathbf{c}\mathbf{o}\mathbf{m}}`, String.raw`\mathbf{r_{com}}`), 1)
    assert.strictEqual(latexSimilarity(String.raw`\mathbf{F}\mathbf{x} = \mathcal{A}`, String.raw`\mathbf{Fx} = \mathcal{A}`), 1)
    assert.isBelow(latexSimilarity(String.raw`\mathbf{F}_h`, String.raw`\mathbf{F_h}`), 1)
  })
})
