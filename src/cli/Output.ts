/**
 * How the CLI prints: JSON answers pretty on stdout, component bytes raw on stdout or into a file, notes, progress and
 * errors on stderr, and every failure as one line `error: ...` with exit code 1. With `--json` every command prints
 * one JSON document on one line instead (a summary where it would print a note) and failures as `{error, message}`;
 * `--quiet` drops notes and progress, never answers or errors.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Path from "effect/Path"
import * as Stream from "effect/Stream"
import { Flag } from "effect/cli"
import * as Files from "../client/Files.ts"
import * as Progress from "./Progress.ts"

/**
 * How a command prints, from its flags.
 *
 * @category models
 * @since 0.1.0
 */
export interface Mode {
  /** machine-readable: one JSON document on stdout, errors as JSON on stderr */
  readonly json: boolean
  /** nothing on stderr but errors */
  readonly quiet: boolean
}

/**
 * @category services
 * @since 0.1.0
 */
export const Mode = Context.Reference<Mode>("effect-doip/cli/Output/Mode", {
  defaultValue: () => ({ json: false, quiet: false })
})

/**
 * The flags every client command takes.
 *
 * @since 0.1.0
 */
export const flags = {
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("print the answer as one line of JSON (a summary for a component written to a file), errors as {error, message}"),
    Flag.withDefault(false)
  ),
  quiet: Flag.Boolean("quiet").pipe(
    Flag.withDescription("no progress line and no notes on stderr (errors still)"),
    Flag.withDefault(false)
  )
}

/**
 * Runs `effect` printing as `mode` says; `quiet` takes the progress line's display away too.
 *
 * @since 0.1.0
 */
export const withMode = (mode: Mode) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const printing = Effect.provideService(effect, Mode, { json: mode.json, quiet: mode.quiet })
  return mode.quiet ? Effect.provideService(printing, Progress.Display, undefined) : printing
}

/**
 * An answer on stdout: pretty, or with `--json` on one line.
 *
 * @since 0.1.0
 */
export const json = (value: unknown) =>
  Mode.use((mode) =>
    Effect.sync(() => process.stdout.write(`${mode.json ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`)))

/**
 * Answers of one kind on stdout, one a line: `line(value)`, or with `--json` each value as one line of JSON.
 *
 * @since 0.1.0
 */
export const records = <A>(values: ReadonlyArray<A>, line: (value: A) => string) =>
  Mode.use((mode) =>
    Effect.sync(() => {
      const text = values.map((value) => `${mode.json ? JSON.stringify(value) : line(value)}\n`).join("")
      if (text !== "") process.stdout.write(text)
    }))

/**
 * Values on stdout as they come, one line of JSON each (whatever `--json` says: a stream has no one document),
 * waiting for stdout to drain before the next.
 *
 * @since 0.1.0
 */
export const lines = <A, E, R>(values: Stream.Stream<A, E, R>) =>
  Stream.runForEach(values, (value) =>
    Effect.callback<void>((resume) => {
      if (process.stdout.write(`${JSON.stringify(value)}\n`)) resume(Effect.void)
      else process.stdout.once("drain", () => resume(Effect.void))
    }))

let interruptIsClean = false

/**
 * Says that an interruption (Ctrl-C, SIGTERM) ends the running command as it should end: exit code 0, not 130. For a
 * command that runs until it is stopped (`watch`); `main.ts` reads it with {@link interruptEndsCleanly}.
 *
 * @since 0.1.0
 */
export const endsCleanlyOnInterrupt = (): void => {
  interruptIsClean = true
}

/**
 * Whether an interruption ends the running command cleanly.
 *
 * @since 0.1.0
 */
export const interruptEndsCleanly = (): boolean => interruptIsClean

/**
 * A line for the person at the terminal, on stderr; none with `--quiet`.
 *
 * @since 0.1.0
 */
export const note = (line: string) =>
  Mode.use((mode) => mode.quiet ? Effect.void : Effect.sync(() => process.stderr.write(`${line}\n`)))

/**
 * What a command did when it has no answer of its own to print: a note, or with `--json` the `summary` as the answer
 * (a script needs it on stdout, in one document).
 *
 * @since 0.1.0
 */
export const outcome = (line: string, summary: Record<string, unknown>) =>
  Mode.use((mode) => mode.json ? json(summary) : note(line))

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
 * Writes `value` as pretty JSON; the answer is how many bytes that took.
 *
 * @since 0.1.0
 */
export const writeJsonFile = Effect.fnUntraced(function*(file: string, value: unknown) {
  const fs = yield* FileSystem.FileSystem
  const bytes = new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)
  yield* fs.writeFile(file, bytes)
  return bytes.length
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
 * Prints any failure as one line on stderr (`error: Kind: message`, or with `--json` `{"error", "message"}`) and sets
 * exit code 1.
 *
 * @since 0.1.0
 */
export const failOnError = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  effect.pipe(
    Effect.asVoid,
    Effect.catch((error) =>
      Mode.use((mode) =>
        Effect.sync(() => {
          const e = error as { _tag?: string; message?: string; error?: string }
          const kind = e.error ?? e._tag ?? "Error"
          const message = e.message ?? String(error)
          process.stderr.write(mode.json ? `${JSON.stringify({ error: kind, message })}\n` : `error: ${kind}: ${message}\n`)
          process.exitCode = 1
        }))
    )
  )
