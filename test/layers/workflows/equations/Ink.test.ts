import { assert, describe, it } from "@effect/vitest"
import { bands, extent, union } from "../../../../src/layers/workflows/equations/Ink.ts"
import { run } from "./items.ts"

describe("Ink", () => {
  it("estimates ink by character: x-height, ascenders, descenders, thin signs", () => {
    assert.deepStrictEqual(extent(run("x", 0, 100)), { bottom: 100, top: 104.5 })
    assert.deepStrictEqual(extent(run("p", 0, 100)), { bottom: 98, top: 104.5 })
    assert.deepStrictEqual(extent(run("(b)", 0, 100)), { bottom: 97.5, top: 107.5 })
    const equals = extent(run("=", 0, 100, "CMR10"))
    assert.closeTo(equals.bottom, 101.3, 1e-9)
    assert.closeTo(equals.top, 103.7, 1e-9)
  })

  it("hangs extension glyphs from where they are drawn", () => {
    assert.deepStrictEqual(extent(run("X", 0, 100, "CMEX10", 10, 14.5)), { bottom: 86, top: 100.5 })
    assert.deepStrictEqual(union([run("x", 0, 100), run("2", 5, 104, "CMR7", 7)]), { bottom: 100, top: 108.55 })
  })

  it("splits items into bands of ink that do not overlap", () => {
    const top = [run("a", 0, 200), run("e", 10, 200)]
    const bottom = [run("c", 0, 180)]
    const found = bands([...bottom, ...top], 0.5)
    assert.deepStrictEqual(found, [top, bottom])
    // a tall parenthesis reaching over both rows makes them one band
    assert.strictEqual(bands([...top, ...bottom, run("(", -8, 186, "CMR10", 20)], 0.5).length, 1)
  })
})
