/**
 * watch: the changes of objects as they happen, one JSON output segment per change (`protocol/ChangeEvent.ts`), for
 * as long as the client keeps the connection. A DOIP v2.0 extended operation (`0.DOIP/Op.Watch`) with no binary code:
 * only DOIP v2.0 can carry an answer that does not end (the binary envelope announces an answer's length first).
 *
 * - Target: the service (every object, or those in `ids`), or an object (that one, and those in `ids`). An object
 *   need not exist yet: its create is a change too.
 * - `attributes.ids`: object ids, as an array or one comma-separated string.
 * - `attributes.since`: a version (commit id) to resume after: the changes made since come first, then live ones.
 *   Without it the watch starts now. The answer's first segment says where it started (`attributes.since`), so a
 *   client that loses the connection before any change resumes from there; `""` means the branch's beginning.
 *
 * The answer ends when the client closes the connection or sends its next request (then answered as usual), or the
 * server stops; a watch that fails (its storage down, the branch reset under it) ends with a segment
 * `{error, message}`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { badRequest } from "../../protocol/DoipError.ts"
import { eventsResponse } from "../../protocol/DoipMessage.ts"
import { builtin } from "../../protocol/OperationCodes.ts"
import { ChangeEvents } from "../../layers/storage/ChangeEvents.ts"
import { parseObjectId } from "../../layers/storage/ObjectId.ts"
import type { Operation } from "../OperationRegistry.ts"
import { toDoipError } from "../ServiceErrors.ts"
import { parseId } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const changes = yield* ChangeEvents
  return {
    ...builtin("watch"),
    target: "service",
    handler: Effect.fnUntraced(function*(request) {
      const listed = request.attributes["ids"]
      const given = listed === undefined || listed === null
        ? []
        : typeof listed === "string"
        ? listed.split(",").map((id) => id.trim()).filter((id) => id !== "")
        : Array.isArray(listed) && listed.every((id) => typeof id === "string")
        ? listed as ReadonlyArray<string>
        : yield* badRequest(`"ids" must be an array of object ids (or one string of them, comma-separated)`)
      // a target that names an object is one to watch; any other (the service id, nothing) watches `ids` or all
      const target = Result.getOrUndefined(parseObjectId(request.objectId))
      const ids = yield* Effect.forEach(given, parseId)
      if (target !== undefined) ids.push(target)
      const since = request.attributes["since"]
      if (since !== undefined && since !== null && typeof since !== "string") {
        return yield* badRequest(`"since" must be a version (a commit id, as the events give them)`)
      }
      const watch = yield* changes.watch({
        ids: ids.length === 0 ? undefined : new Set(ids),
        since: typeof since === "string" ? since : undefined
      })
      return eventsResponse(
        watch.events.pipe(Stream.mapError(toDoipError)),
        { since: watch.since, ...(ids.length === 0 ? {} : { ids: Array.from(new Set(ids)) }) }
      )
    })
  } satisfies Operation
})
