/**
 * hello: the server's name and version, the protocol version, and what it offers. The binary envelope gets the
 * upstream server's shape (`availableOperations` map and all); DOIP v2.0 gets the service's digital object
 * (`0.TYPE/DOIPService` with address, port and protocol version), where the listener's own address is reported.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/Operation.ts"
import { dualResponse } from "../../protocol/DoipMessage.ts"
import { ServerConfig } from "../../layers/ServerConfig.ts"
import { Workflows } from "../../layers/Workflows.ts"
import { availableOperations, type Operation } from "../Operations.ts"
import { ServerInfo } from "../ServerInfo.ts"

/**
 * @since 0.1.0
 */
export const make = (operations: () => ReadonlyArray<Operation>) =>
  Effect.gen(function*() {
    const info = yield* ServerInfo
    const workflows = yield* Workflows
    const { serviceId } = yield* ServerConfig
    return {
      ...builtin("hello"),
      target: "service",
      handler: (request) => {
        const offered = workflows.all.map((w) => ({ name: w.name, description: w.description }))
        return Effect.succeed(dualResponse(
          {
            operation: "hello",
            status: "ok",
            server: info.name,
            serverVersion: info.version,
            version: 2,
            protocolVersion: "2.0",
            tls: info.tls,
            storage: info.storage,
            availableOperations: availableOperations(operations()),
            workflows: offered
          },
          {
            id: serviceId,
            type: "0.TYPE/DOIPService",
            attributes: {
              ipAddress: request.endpoint.host,
              port: request.endpoint.port,
              protocol: "TCP",
              protocolVersion: "2.0",
              serverName: info.name,
              serverVersion: info.version,
              tls: info.tls,
              storage: info.storage,
              workflows: offered
            }
          }
        ))
      }
    } satisfies Operation
  })
