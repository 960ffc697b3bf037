/**
 * invoke: runs a workflow from the registry on an object and answers with its result and derived components.
 *
 * The workflow name and params come from the first metadata block (`workflow`, `params`) or from a workflow block;
 * over DOIP v2.0 from the attributes (`workflow`, `params`), where the params may instead be the input.
 * The answer keeps the upstream shape: metadata `{operation, workflow, result}`, the derived components, and a workflow
 * block that is the same `result`: `{workflow, sourceObject, derivedComponents, stored, commitId | note, ...}` with the
 * workflow's own result after these keys.
 *
 * Anyone may invoke (the upstream client invokes without credentials), but only a caller whose credentials are
 * accepted has the derived components stored; an anonymous run answers them without storing anything, so it cannot
 * overwrite what the object's owner stored. With `auth.invokeRequiresAuth`, workflows that store refuse anonymous
 * callers.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { builtin } from "../../protocol/OperationCodes.ts"
import { badRequest } from "../../protocol/DoipError.ts"
import { Auth } from "../Auth.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { Workflows } from "../../layers/workflows/Workflows.ts"
import type { Operation } from "../OperationRegistry.ts"
import { objectIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const auth = yield* Auth
  const workflows = yield* Workflows
  const { auth: authSettings } = yield* ServerConfig
  return {
    ...builtin("invoke"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const objectId = yield* objectIdOf(request)
      const name = request.attributes["workflow"] ?? request.workflow?.["workflow"] ?? request.workflow?.["name"]
      if (typeof name !== "string" || name === "") {
        return yield* badRequest(`invoke needs a "workflow" name; available: ${names(workflows.all)}`)
      }
      const workflow = workflows.get(name)
      if (workflow === undefined) {
        return yield* badRequest(`unknown workflow ${JSON.stringify(name)}; available: ${names(workflows.all)}`)
      }
      const params = request.attributes["params"] ?? request.workflow?.["params"] ?? request.input ?? {}
      if (typeof params !== "object" || params === null || Array.isArray(params)) {
        return yield* badRequest(`"params" must be a JSON object, got ${JSON.stringify(params)}`)
      }
      // storing is a write: a caller who sends credentials must have them accepted, and only then is the result
      // stored; an anonymous caller gets the result without anything stored (or a refusal, when so configured)
      const anonymous = request.credentials === undefined ||
        (request.credentials.token === undefined && request.credentials.password === undefined)
      const principal = !workflow.writes || (anonymous && !authSettings.invokeRequiresAuth)
        ? undefined
        : yield* auth.authorizeWrite(request.credentials, request.peer)
      const outcome = yield* workflow.run({ objectId, params: params as Record<string, unknown>, principal })
      const derived = outcome.derivedComponents.map((c) => ({
        componentId: c.componentId,
        mediaType: c.mediaType,
        size: c.size,
        checksum: c.checksum
      }))
      const stored = outcome.commitId !== undefined
      // upstream's metadata `result` is its workflow block: one object for both
      const result = {
        workflow: name,
        sourceObject: objectId,
        derivedComponents: derived,
        stored,
        ...(stored ? { commitId: outcome.commitId } : workflow.writes ? { note: NOT_STORED } : {}),
        ...outcome.result
      }
      return {
        metadata: [{ operation: "invoke", workflow: name, result }],
        components: outcome.derivedComponents.map((c) => ({
          componentId: c.componentId,
          mediaType: c.mediaType,
          size: c.size,
          content: Stream.succeed(c.bytes),
          bytes: c.bytes
        })),
        workflow: [result]
      }
    })
  } satisfies Operation
})

const NOT_STORED = "derived components are answered, not stored: invoke with a credential to store them"

const names = (all: ReadonlyArray<{ readonly name: string }>) => all.map((w) => w.name).join(", ") || "none"
