/**
 * How the FDO façade fails: its own error, which the server's edge (`src/server/ServiceErrors.ts`) turns into the DOIP
 * status a client sees.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * - `NotFound`: no such object or type.
 * - `BadIdentifier`: the façade refused the identifier (HTTP 400).
 * - `Unavailable`: the façade cannot be reached, timed out, or answered what it must not.
 *
 * The `message` is what a user reads; it never contains a secret.
 *
 * @category errors
 * @since 0.1.0
 */
export class FacadeError extends Schema.TaggedError<FacadeError>()("FacadeError", {
  kind: Schema.Literals(["NotFound", "BadIdentifier", "Unavailable"]),
  message: Schema.String
}) {}

/**
 * The `NotFound` of an object that storage did not hold at a version.
 *
 * @category constructors
 * @since 0.1.0
 */
export const notAtVersion = (objectId: string, version: string): FacadeError =>
  new FacadeError({ kind: "NotFound", message: `object ${objectId} does not exist at version ${version}` })
