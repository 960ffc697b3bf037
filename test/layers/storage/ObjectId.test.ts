/**
 * Object ids: the fast check of an id already in normal form must answer exactly what the full parse answers.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { parseObjectId } from "../../../src/layers/storage/ObjectId.ts"

const ok = (input: string) => Result.getOrUndefined(parseObjectId(input))

describe("parseObjectId", () => {
  it("keeps normal ids and normalises the rest", () => {
    expect(ok("Q1")).toBe("Q1")
    expect(ok("Q0")).toBe("Q0")
    expect(ok("Q6190920")).toBe("Q6190920")
    expect(ok("Q123456789012345678")).toBe("Q123456789012345678") // 18 digits
    expect(ok("q123")).toBe("Q123")
    expect(ok(" Q7 ")).toBe("Q7")
    expect(ok("Q007")).toBe("Q7")
    expect(ok("Q00")).toBe("Q0")
  })

  it("refuses what is not a QID", () => {
    for (const input of ["", "Q", "Q1234567890123456789", "Q12a", "Q-1", "P31", "Q1.5", "Q１"]) {
      expect(Result.isFailure(parseObjectId(input)), input).toBe(true)
    }
  })
})
