/**
 * What every storage implementation shares: id checks, the streaming measure (count, hash, enforce write options)
 * and byte-range clamping, so memory, embedded and lakeFS storage fail the same way on the same input.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as ObjectId from "../ObjectId.ts"
import { type ByteRange, StorageError, type WriteOptions } from "../Storage.ts"

/** where a component lives: its normalised ids and its storage path */
export interface Location {
  readonly objectId: string
  readonly componentId: string
  readonly path: string
}

export const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

export const invalidPath = (message: string) => new StorageError({ kind: "InvalidPath", message })

export const parseObject = (objectId: string): Effect.Effect<string, StorageError> =>
  Effect.mapError(Effect.fromResult(ObjectId.parseObjectId(objectId)), invalidPath)

export const locate = (objectId: string, componentId: string): Effect.Effect<Location, StorageError> =>
  Effect.flatMap(parseObject(objectId), (objectId) => {
    const component = ObjectId.parseComponentId(componentId)
    return Result.isFailure(component)
      ? Effect.fail(invalidPath(component.failure))
      : Effect.succeed({ objectId, componentId, path: ObjectId.componentPath(objectId, componentId) })
  })

/**
 * Runs `content` through `consume` while counting and hashing it, failing as soon as a write option is broken, so
 * that no byte past a limit is consumed.
 */
export const measure = <E, X>(
  content: Stream.Stream<Uint8Array, E>,
  options: WriteOptions | undefined,
  consume: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, X>
): Effect.Effect<{ readonly size: number; readonly hex: string }, StorageError | E | X> =>
  Effect.suspend(() => {
    const maxSize = options?.maxSize ?? Infinity
    const expectedSize = options?.expectedSize
    // a declared size over the limit can never succeed: fail before reading anything
    if (expectedSize !== undefined && expectedSize > maxSize) return Effect.fail(tooLarge(maxSize))
    const hash = createHash("sha256")
    let size = 0
    return content.pipe(
      Stream.runForEachArray((chunks) =>
        Effect.suspend((): Effect.Effect<void, StorageError | X> => {
          for (const chunk of chunks) {
            size += chunk.length
            if (size > maxSize) return Effect.fail(tooLarge(maxSize))
            if (expectedSize !== undefined && size > expectedSize) return Effect.fail(sizeMismatch(expectedSize))
            hash.update(chunk)
          }
          return consume(chunks)
        })
      ),
      Effect.flatMap(() =>
        expectedSize !== undefined && size !== expectedSize
          ? Effect.fail(sizeMismatch(expectedSize, size))
          : Effect.succeed({ size, hex: hash.digest("hex") })
      )
    )
  })

export const tooLarge = (maxSize: number) =>
  new StorageError({ kind: "TooLarge", message: `content is larger than ${maxSize} bytes` })

export const sizeMismatch = (expected: number, actual?: number) =>
  new StorageError({
    kind: "SizeMismatch",
    message: actual === undefined
      ? `content is longer than the announced ${expected} bytes`
      : `content has ${actual} bytes, not the announced ${expected}`
  })

/** The inclusive range clamped to the content, as `[start, end)`; empty when nothing of it lies inside. */
export const clamp = (size: number, range: ByteRange | undefined): readonly [number, number] => {
  if (range === undefined) return [0, size]
  const start = Math.max(0, range.start)
  const end = Math.min(size, range.end + 1)
  return start < end ? [start, end] : [0, 0]
}
