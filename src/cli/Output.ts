/**
 * How the CLI prints: JSON answers pretty on stdout, component bytes raw on stdout or into a file, notes and errors on
 * stderr, and every failure as one line `error: ...` with exit code 1.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Path from "effect/Path"
import * as Stream from "effect/Stream"
import * as Files from "../client/Files.ts"

/**
 * @since 0.1.0
 */
export const json = (value: unknown) => Effect.sync(() => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`))

/**
 * @since 0.1.0
 */
export const note = (line: string) => Effect.sync(() => process.stderr.write(`${line}\n`))

/**
 * Writes a stream to stdout, waiting for stdout to drain so memory stays flat.
 *
 * @since 0.1.0
 */
export const stdout = <E>(content: Stream.Stream<Uint8Array, E>) =>
  Stream.runForEach(content, (chunk) =>
    Effect.callback<void>((resume) => {
      if (process.stdout.write(chunk)) resume(Effect.void)
      else process.stdout.once("drain", () => resume(Effect.void))
    }))

/**
 * The file to write a component to: `output` itself, or `output/componentId` when `output` is a folder.
 *
 * @since 0.1.0
 */
export const targetFile = Effect.fnUntraced(function*(output: string, componentId: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const isDirectory = yield* fs.stat(output).pipe(
    Effect.map((info) => info.type === "Directory"),
    Effect.orElseSucceed(() => output.endsWith("/"))
  )
  return isDirectory ? path.join(output, componentId) : output
})

/**
 * @since 0.1.0
 */
export const writeFile = <E>(file: string, content: Stream.Stream<Uint8Array, E>) => Files.writeFile(file, content)

/**
 * @since 0.1.0
 */
export const writeJsonFile = Effect.fnUntraced(function*(file: string, value: unknown) {
  const fs = yield* FileSystem.FileSystem
  yield* fs.writeFileString(file, `${JSON.stringify(value, null, 2)}\n`)
})

/**
 * @since 0.1.0
 */
export const parseJsonObject = (flag: string, text: string) =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () => new UsageError({ message: `${flag} is not valid JSON` })
  }).pipe(Effect.flatMap((value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Effect.succeed(value as Record<string, unknown>)
      : Effect.fail(new UsageError({ message: `${flag} must be a JSON object` }))
  ))

/**
 * A mistake in how the command was called.
 *
 * @since 0.1.0
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/**
 * Prints any failure as one line on stderr and sets exit code 1.
 *
 * @since 0.1.0
 */
export const failOnError = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  effect.pipe(
    Effect.asVoid,
    Effect.catch((error) =>
      Effect.sync(() => {
        const e = error as { _tag?: string; message?: string; error?: string }
        const kind = e.error ?? e._tag ?? "Error"
        process.stderr.write(`error: ${kind}: ${e.message ?? String(error)}\n`)
        process.exitCode = 1
      })
    )
  )
