/**
 * hello: the server's name and version, the protocol version, and what it offers. The binary envelope gets the
 * upstream server's shape (`availableOperations` map and all); DOIP v2.0 gets the service's digital object
 * (`0.TYPE/DOIPService` with address, port and protocol version), where the listener's own address is reported.
 * Both carry the workflows and the `typeRegistry`: where the type FDOs are (the configured façade's `types/`, else the
 * embedded catalog's `types/` ids) and each known type's URI, and `dependencies`: the last health check of storage and
 * of the manifest source (`Health` checks in the background, so hello never waits for a slow system).
 *
 * Everyone sees each dependency's name, kind and state. Where it is (`target`: the data directory, the lakeFS, façade
 * or Ollama URL) and why a check failed (`detail`, which may name it too) are for authenticated callers only: a hello
 * whose credentials `Auth` accepts. An anonymous hello, and one whose credentials are not accepted, gets the same
 * answer, made once per health check and listener; an authenticated one is made per call. A hello with credentials
 * is checked like a write's: a wrong one counts as a failed attempt, and a guesser's hello waits as a write would
 * (otherwise hello would answer unthrottled guesses).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/OperationCodes.ts"
import { type DoipRequest, type DoipResponse, dualResponse, type Endpoint } from "../../protocol/DoipMessage.ts"
import { type DependencyStatus, Health } from "../../layers/config/Health.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import * as TypeCatalog from "../../layers/metadata/TypeCatalog.ts"
import { Workflows } from "../../layers/workflows/Workflows.ts"
import { Auth } from "../Auth.ts"
import { availableOperations, type Operation } from "../OperationRegistry.ts"
import { ServerInfo } from "../ServerInfo.ts"

/**
 * @since 0.1.0
 */
export const make = (operations: () => ReadonlyArray<Operation>) =>
  Effect.gen(function*() {
    const info = yield* ServerInfo
    const workflows = yield* Workflows
    const health = yield* Health
    const auth = yield* Auth
    const { fdoApi, serviceId } = yield* ServerConfig
    const typeRegistry = TypeCatalog.registry(TypeCatalog.baseUri(fdoApi))
    // the registry is fixed once built: list its workflows once, not on every hello
    const offered = workflows.all.map((w) => ({ name: w.name, description: w.description }))
    // the answer changes only with the last health check and the listener: it is made once for each, and the
    // framings keep its encoding (cacheable), so a hello costs no JSON encoding
    const last = new WeakMap<Endpoint, { readonly dependencies: Dependencies; readonly response: DoipResponse }>()
    const anonymous = (request: DoipRequest) =>
      Effect.map(health.report, (dependencies) => {
        const kept = last.get(request.endpoint)
        if (kept !== undefined && kept.dependencies === dependencies) return kept.response
        const response: DoipResponse = { ...answer(request.endpoint, dependencies.map(publicStatus)), cacheable: true }
        last.set(request.endpoint, { dependencies, response })
        return response
      })
    const authenticated = (request: DoipRequest) =>
      Effect.map(health.report, (dependencies) => answer(request.endpoint, dependencies))
    const answer = (endpoint: Endpoint, dependencies: ReadonlyArray<DependencyStatus>): DoipResponse => {
      // what both framings report alike, after each framing's own fields: one place to add to both
      const offers = {
        workflows: offered,
        typeRegistry,
        dependencies
      }
      return dualResponse(
        {
          operation: "hello",
          status: "ok",
          server: info.name,
          serverVersion: info.version,
          server_version: info.version, // upstream's spelling, which its clients read
          version: 2,
          protocolVersion: "2.0",
          tls: info.tls,
          storage: info.storage,
          availableOperations: availableOperations(operations()),
          ...offers
        },
        {
          id: serviceId,
          type: "0.TYPE/DOIPService",
          attributes: {
            ipAddress: endpoint.host,
            port: endpoint.port,
            protocol: "TCP",
            protocolVersion: "2.0",
            serverName: info.name,
            serverVersion: info.version,
            tls: info.tls,
            storage: info.storage,
            ...offers
          }
        }
      )
    }
    return {
      ...builtin("hello"),
      target: "service",
      handler: (request) => {
        const credentials = request.credentials
        if (credentials === undefined || (credentials.token === undefined && credentials.password === undefined)) {
          return anonymous(request)
        }
        return Effect.matchEffect(auth.authorizeWrite(credentials, request.peer), {
          onFailure: () => anonymous(request),
          onSuccess: () => authenticated(request)
        })
      }
    } satisfies Operation
  })

type Dependencies = Effect.Success<Health["Service"]["report"]>

/** what everyone may know of a dependency: not where it is, nor the failure, which may say so */
const publicStatus = ({ checkedAt, kind, name, status }: DependencyStatus): DependencyStatus => ({
  name,
  kind,
  status,
  checkedAt
})
