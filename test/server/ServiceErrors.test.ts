/**
 * The server's edge: each service error kind becomes the DOIP error its documentation names, with the service's
 * message (storage's unavailability prefixed, so a user knows which part is down) as a client may read it: no
 * storage key, absolute path, URL or stack trace.
 */
import { assert, describe, it } from "@effect/vitest"
import { FacadeError } from "../../src/layers/metadata/FacadeError.ts"
import { StorageError } from "../../src/layers/storage/Storage.ts"
import { WorkflowError } from "../../src/layers/workflows/WorkflowError.ts"
import { DoipError } from "../../src/protocol/DoipError.ts"
import { forClient, toDoipError } from "../../src/server/ServiceErrors.ts"

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

  it("messages name components as clients named them, and no path, URL or stack", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["lakeFS stat of 00/01/23/Q123/components/a.pdf failed: HTTP 500", "lakeFS stat of component a.pdf of Q123 failed: HTTP 500"],
      [
        "lakeFS rejected the server's credentials (HTTP 401) for upload of 61/90/92/Q6190920/checksums/x.y: wrong",
        "lakeFS rejected the server's credentials (HTTP 401) for upload of component x.y of Q6190920: wrong"
      ],
      ["lakeFS listing of 00/00/07/Q7/components/ failed: HTTP 503", "lakeFS listing of the components of Q7 failed: HTTP 503"],
      ["commit log of 00/00/07/Q7/ failed", "commit log of Q7 failed"],
      [
        "cannot read /srv/doip/blobs/sha256/ab/abcd: EACCES: permission denied, open '/srv/doip/blobs/sha256/ab/abcd'",
        "cannot read <path>: EACCES: permission denied, open '<path>'"
      ],
      [
        "metadata service unavailable: cannot connect (Transport error (GET http://u:p@fdo.example/fdo/Q1))",
        "metadata service unavailable: cannot connect (Transport error)"
      ],
      ["bad identifier: see https://user:pw@fdo.example/docs", "bad identifier: see <url>"],
      ["boom\n    at f (/src/x.ts:1:2)", "boom"],
      ["equations cannot read Q7/paper.pdf: not a PDF (text/plain)", "equations cannot read Q7/paper.pdf: not a PDF (text/plain)"]
    ]
    for (const [message, expected] of cases) assert.strictEqual(forClient(message), expected)
    assert.deepStrictEqual(
      toDoipError(new StorageError({ kind: "Unavailable", message: "cannot open /data/blobs/x: ENOENT" })),
      doip("Unavailable", "storage unavailable: cannot open <path>: ENOENT")
    )
    assert.deepStrictEqual(
      toDoipError(new FacadeError({ kind: "Unavailable", message: "metadata service unavailable: x (GET http://h/fdo/Q1)" })),
      doip("Unavailable", "metadata service unavailable: x")
    )
  })
})
