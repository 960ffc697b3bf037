/**
 * invoke: runs a workflow from the registry on an object and answers with its result and derived components.
 *
 * The workflow name and params come from the first metadata block (`workflow`, `params`) or from a workflow block;
 * over DOIP v2.0 from the attributes (`workflow`, `params`), where the params may instead be the input.
 * The answer keeps the upstream shape: metadata `{operation, workflow, result}`, the derived components streamed
 * from storage, and a workflow block `{workflow, sourceObject, derivedComponents, ...result}`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { builtin } from "../../protocol/OperationCodes.ts"
import { badRequest } from "../../protocol/DoipError.ts"
import { Auth } from "../Auth.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import { storageToDoipError } from "../ServiceErrors.ts"
import { Workflows } from "../../layers/workflows/Workflows.ts"
import type { Operation } from "../OperationRegistry.ts"
import { objectIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const auth = yield* Auth
  const storage = yield* Storage
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
      const principal = workflow.writes && authSettings.invokeRequiresAuth
        ? yield* auth.authorizeWrite(request.credentials, request.peer)
        : undefined
      const outcome = yield* workflow.run({ objectId, params: params as Record<string, unknown>, principal })
      const derived = outcome.derivedComponents.map((c) => ({
        componentId: c.componentId,
        mediaType: c.mediaType,
        size: c.size,
        checksum: c.checksum
      }))
      return {
        metadata: [{ operation: "invoke", workflow: name, result: outcome.result }],
        components: outcome.derivedComponents.map((c) => ({
          componentId: c.componentId,
          mediaType: c.mediaType,
          size: c.size,
          content: storage.read(objectId, c.componentId).pipe(Stream.mapError(storageToDoipError))
        })),
        workflow: [{
          workflow: name,
          sourceObject: objectId,
          derivedComponents: derived,
          ...(outcome.commitId === undefined ? {} : { commitId: outcome.commitId }),
          ...outcome.result
        }]
      }
    })
  } satisfies Operation
})

const names = (all: ReadonlyArray<{ readonly name: string }>) => all.map((w) => w.name).join(", ") || "none"
