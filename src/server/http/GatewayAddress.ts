/**
 * Where the HTTP gateway listens (the port is the real one when 0 was asked for).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"

/**
 * @category services
 * @since 0.1.0
 */
export class GatewayAddress extends Context.Service<GatewayAddress, {
  readonly host: string
  readonly port: number
}>()("effect-doip/server/http/GatewayAddress") {}
