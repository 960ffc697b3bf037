/**
 * What the server says about itself in hello: name, version, whether it speaks TLS, which storage it uses.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import packageJson from "../../package.json" with { type: "json" }

/**
 * @category services
 * @since 0.1.0
 */
export class ServerInfo extends Context.Service<ServerInfo, {
  readonly name: string
  readonly version: string
  readonly tls: boolean
  readonly storage: string
}>()("effect-doip/server/ServerInfo") {}

/**
 * The version of this package, reported in hello.
 *
 * @category constants
 * @since 0.1.0
 */
export const packageVersion: string = packageJson.version
