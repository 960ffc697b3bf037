/**
 * How a workflow fails: its own error, which the server's edge (`src/server/ServiceErrors.ts`) turns into the DOIP
 * status a client sees.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * - `BadParams`: the invocation's parameters (or the component it names) are not what the workflow takes.
 * - `NotFound`: the object (or a component the workflow needs) does not exist.
 * - `TooLarge`: the input passes one of the workflow's limits.
 * - `Failed`: the workflow ran and could not finish (a PDF it cannot read, a time limit, a model that failed).
 *
 * The `message` is what a user reads; it never contains a secret.
 *
 * @category errors
 * @since 0.1.0
 */
export class WorkflowError extends Schema.TaggedError<WorkflowError>()("WorkflowError", {
  kind: Schema.Literals(["BadParams", "NotFound", "TooLarge", "Failed"]),
  message: Schema.String
}) {}
