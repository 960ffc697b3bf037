/**
 * hello: the server's name and version, the protocol version, and what it offers.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { Workflows } from "../../layers/Workflows.ts"
import { type Operation, availableOperations } from "../Operations.ts"
import { ServerInfo } from "../ServerInfo.ts"

/**
 * @since 0.1.0
 */
export const make = (operations: () => ReadonlyArray<Operation>) =>
  Effect.gen(function*() {
    const info = yield* ServerInfo
    const workflows = yield* Workflows
    return {
      name: "hello",
      code: 0x01,
      handler: () =>
        Effect.succeed(metadataResponse({
          operation: "hello",
          status: "ok",
          server: info.name,
          serverVersion: info.version,
          version: 2,
          protocolVersion: "2.0",
          tls: info.tls,
          storage: info.storage,
          availableOperations: availableOperations(operations()),
          workflows: workflows.all.map((w) => ({ name: w.name, description: w.description }))
        }))
    } satisfies Operation
  })
