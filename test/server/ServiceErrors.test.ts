/**
 * The server's edge: each service error kind becomes the DOIP error its documentation names, with the service's
 * message (storage's unavailability prefixed, so a user knows which part is down).
 */
import { assert, describe, it } from "@effect/vitest"
import { FacadeError } from "../../src/layers/metadata/FacadeError.ts"
import { StorageError } from "../../src/layers/storage/Storage.ts"
import { WorkflowError } from "../../src/layers/workflows/WorkflowError.ts"
import { DoipError } from "../../src/protocol/DoipError.ts"
import { toDoipError } from "../../src/server/ServiceErrors.ts"

const doip = (kind: DoipError["kind"], message: string) => new DoipError({ kind, message })

describe("ServiceErrors", () => {
  it("a DoipError stays as it is", () => {
    const error = doip("Conflict", "object Q1 already exists")
    assert.strictEqual(toDoipError(error), error)
  })

  it("storage errors", () => {
    const cases: ReadonlyArray<readonly [StorageError["kind"], DoipError]> = [
      ["NotFound", doip("NotFound", "m")],
      ["InvalidPath", doip("BadRequest", "m")],
      ["SizeMismatch", doip("BadRequest", "m")],
      ["NoChanges", doip("BadRequest", "m")],
      ["TooLarge", doip("TooLarge", "m")],
      ["Unavailable", doip("Unavailable", "storage unavailable: m")],
      ["Unauthorized", doip("Unavailable", "storage unavailable: m")],
      [
        "OutcomeUnknown",
        doip("Unavailable", "outcome unknown: the change may or may not have been applied; retrieve the object to see whether it was (m)")
      ]
    ]
    for (const [kind, expected] of cases) {
      assert.deepStrictEqual(toDoipError(new StorageError({ kind, message: "m" })), expected, kind)
    }
  })

  it("façade errors", () => {
    assert.deepStrictEqual(toDoipError(new FacadeError({ kind: "NotFound", message: "m" })), doip("NotFound", "m"))
    assert.deepStrictEqual(toDoipError(new FacadeError({ kind: "BadIdentifier", message: "m" })), doip("BadRequest", "m"))
    assert.deepStrictEqual(toDoipError(new FacadeError({ kind: "Unavailable", message: "m" })), doip("Unavailable", "m"))
  })

  it("workflow errors", () => {
    assert.deepStrictEqual(toDoipError(new WorkflowError({ kind: "BadParams", message: "m" })), doip("BadRequest", "m"))
    assert.deepStrictEqual(toDoipError(new WorkflowError({ kind: "NotFound", message: "m" })), doip("NotFound", "m"))
    assert.deepStrictEqual(toDoipError(new WorkflowError({ kind: "TooLarge", message: "m" })), doip("TooLarge", "m"))
    assert.deepStrictEqual(toDoipError(new WorkflowError({ kind: "Failed", message: "m" })), doip("WorkflowError", "m"))
  })
})
