/**
 * The `equation_extraction` workflow: the display equations of a paper's PDF, with their LaTeX, page, position and
 * number, stored as a derived component (`equations.json` by default) and answered in the upstream shape.
 *
 * Params (all optional): `pages` (1-based page numbers; default all), `componentId` (default: the object's first
 * `application/pdf` component), `mode` (`auto`: refine with the model when one is configured; `heuristic`: never;
 * `llm`: a model is required). Params are checked before any work starts.
 *
 * A run reads the PDF (its size checked against the limit first: pdf.js needs the whole file in memory), extracts the
 * text of the pages (`Pdf`), finds the display equations (pure heuristics, `equations/FindEquations.ts`), refines each
 * page's LaTeX with the model when there is one (`equations/Refine.ts`: any model trouble keeps the heuristic LaTeX
 * and says why, per equation), and writes `equations.json` as one commit with the workflow in its metadata. A model
 * that reads images (`acceptsImages`) also gets a PNG crop of each equation, all of a run's crops rendered in one
 * `Pdf.renderCrops` call before refining; crops that cannot be rendered are left out, the glyphs still go.
 *
 * Runs are bounded (`SharedRuns`): a second caller asking for the same object, component and params while a run is
 * under way waits for it and gets the same answer; runs of one component with different params take turns; at most
 * `maxConcurrentRuns` run at once, each within `timeout`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Stream from "effect/Stream"
import { ComponentWriter } from "../storage/ComponentWriter.ts"
import * as Derived from "./Derived.ts"
import type { Candidate, Equation } from "./equations/Equation.ts"
import { findEquations } from "./equations/FindEquations.ts"
import * as Refine from "./equations/Refine.ts"
import { Llm } from "./llm/Llm.ts"
import { isReserved, parseComponentRef } from "../storage/ObjectId.ts"
import { Pdf, type PdfError } from "./pdf/Pdf.ts"
import { ServerConfig } from "../config/ServerConfig.ts"
import * as SharedRuns from "./SharedRuns.ts"
import { Storage, type StorageError } from "../storage/Storage.ts"
import { WorkflowError } from "./WorkflowError.ts"
import type { Workflow, WorkflowResult } from "./Workflows.ts"

/**
 * @category constants
 * @since 0.1.0
 */
export const name = "equation_extraction"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the derived component's id; default `equations.json` */
  readonly componentId?: string | undefined
  /** the largest PDF a run reads into memory; default 100 MiB */
  readonly maxPdfBytes?: number | undefined
  /** runs at once; default 2 */
  readonly maxConcurrentRuns?: number | undefined
  /** one run's time limit; default 10 minutes */
  readonly timeout?: Duration.Input | undefined
  /** one page's refining (the model call); default 60 seconds */
  readonly refineTimeout?: Duration.Input | undefined
}

/**
 * The params, decoded: unknown keys are refused, so a typo is an error rather than silently ignored.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Params = Schema.Struct({
  pages: Schema.optional(
    Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))).check(
      Schema.isMinLength(1),
      Schema.isMaxLength(10_000)
    )
  ),
  componentId: Schema.optional(Schema.String),
  mode: Schema.optional(Schema.Literals(["auto", "heuristic", "llm"])),
  /** at most this many equations, the first in reading order (upstream's CLI documents `max_equations`) */
  max_equations: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

/**
 * @category models
 * @since 0.1.0
 */
export type Params = typeof Params.Type

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options = {}) {
  const storage = yield* Storage
  const writer = yield* ComponentWriter
  const pdf = yield* Pdf
  const llm = yield* Effect.serviceOption(Llm)
  const derivedId = options.componentId ?? "equations.json"
  const maxPdfBytes = options.maxPdfBytes ?? 100 * 1024 * 1024
  const runs = yield* SharedRuns.make<WorkflowResult, WorkflowError | StorageError>({
    maxConcurrent: options.maxConcurrentRuns ?? 2,
    timeout: options.timeout ?? "10 minutes"
  })

  /** the PDF to read: the one named, or the object's first `application/pdf` component */
  const sourceOf = Effect.fnUntraced(function*(objectId: string, componentId: string | undefined) {
    if (componentId !== undefined) {
      return yield* storage.stat(objectId, componentId)
    }
    const components = yield* storage.list(objectId)
    if (components.length === 0) {
      return yield* new WorkflowError({ kind: "NotFound", message: `object ${objectId} does not exist` })
    }
    // the upstream server reads `primary.pdf`: when an object has it, it is the one; else its first PDF
    const first = components.find((c) => c.componentId === "primary.pdf") ??
      components.find((c) => c.mediaType === "application/pdf")
    if (first === undefined) {
      return yield* new WorkflowError({
        kind: "BadParams",
        message: `object ${objectId} has no application/pdf component; name one with the "componentId" param`
      })
    }
    return first
  })

  /**
   * The PNG crop of each candidate, by id. Crops help the model but are not needed: when the PDF cannot be rendered
   * the run goes on without them (it has read the text of the same bytes already, so that is rare).
   */
  const renderCrops = (bytes: Uint8Array, candidates: ReadonlyArray<Candidate>) =>
    pdf.renderCrops(bytes, candidates).pipe(
      Effect.map((pngs) => {
        const byId = new Map<string, Uint8Array>()
        for (const [i, candidate] of candidates.entries()) {
          const png = pngs[i]
          if (png !== undefined) byId.set(candidate.id, png)
        }
        return byId
      }),
      Effect.catch((error) =>
        Effect.logWarning(`${name}: no equation images, the crops cannot be rendered (${error.message})`).pipe(
          Effect.as(new Map<string, Uint8Array>())
        )
      )
    )

  /** one run: read, extract, find, render crops (for a model that reads images), refine, store */
  const extract = Effect.fnUntraced(function*(
    objectId: string,
    source: { readonly componentId: string; readonly size: number },
    params: Params,
    principal: string | undefined
  ) {
    const clock = stopwatch()
    const bytes = yield* Stream.mkUint8Array(storage.read(objectId, source.componentId))
    const readMs = clock.lap()
    const document = yield* pdf.text(bytes, params.pages).pipe(
      Effect.mapError((error) => pdfToWorkflowError(objectId, source.componentId, error))
    )
    const pdfMs = clock.lap()
    const candidates = findEquations(document)
    const findMs = clock.lap()
    const model = (params.mode ?? "auto") === "heuristic" ? Option.none() : llm
    const crops = Option.isSome(model) && model.value.acceptsImages
      ? yield* renderCrops(bytes, candidates)
      : new Map<string, Uint8Array>()
    const renderMs = clock.lap()
    const found: ReadonlyArray<Equation> = Option.isNone(model)
      ? Refine.heuristicOnly(candidates)
      : (yield* Effect.forEach(
        document.pages,
        (page) =>
          Refine.refinePage(model.value, candidates.filter((c) => c.page === page.pageNumber), {
            timeout: options.refineTimeout,
            renderCrop: (candidate) => Effect.succeed(crops.get(candidate.id))
          })
      )).flat()
    const equations = params.max_equations === undefined ? found : found.slice(0, params.max_equations)
    const refineMs = clock.lap()

    const pages = document.pages.map((p) => p.pageNumber)
    const document_ = {
      workflow: name,
      sourceObject: objectId,
      sourceComponent: source.componentId,
      pageCount: document.pageCount,
      pages,
      mode: params.mode ?? "auto",
      model: Option.isSome(model) ? model.value.model : null,
      equations
    }
    const kept = yield* Derived.keep(writer, principal, {
      objectId,
      componentId: derivedId,
      mediaType: "application/json",
      bytes: new TextEncoder().encode(JSON.stringify(document_, null, 2)),
      workflow: name,
      message: `${name} on ${objectId}/${source.componentId}`,
      metadata: {
        source_component: source.componentId,
        mode: document_.mode,
        ...(document_.model === null ? {} : { model: document_.model })
      }
    })
    const writeMs = clock.lap()
    const counts = {
      equations: equations.length,
      numbered: equations.filter((e) => e.number !== null).length,
      llm: equations.filter((e) => e.source === "llm").length,
      heuristic: equations.filter((e) => e.source === "heuristic").length
    }
    return {
      result: {
        sourceComponent: source.componentId,
        pageCount: document.pageCount,
        pages,
        mode: document_.mode,
        model: document_.model,
        counts,
        timings: { readMs, pdfMs, findMs, renderMs, refineMs, writeMs, totalMs: clock.total() }
      },
      derivedComponents: [kept.derived],
      commitId: kept.commitId
    } satisfies WorkflowResult
  })

  const workflow: Workflow = {
    name,
    description: `finds the display equations of a PDF component (LaTeX, page, position, number; params pages, ` +
      `componentId, mode auto|heuristic|llm, max_equations) and stores them as ${derivedId}`,
    writes: true,
    run: Effect.fnUntraced(function*({ objectId, params, principal }) {
      const decoded = yield* decodeParams(params)
      if (decoded.mode === "llm" && Option.isNone(llm)) {
        return yield* new WorkflowError({
          kind: "BadParams",
          message: `mode "llm" needs a model, and none is configured (set OLLAMA_MODEL); use "auto" or "heuristic"`
        })
      }
      // plain, or doip:bitstream/{objectId}/{componentId} as upstream clients name it
      const named = decoded.componentId === undefined ? undefined : parseComponentRef(decoded.componentId, objectId)
      if (named !== undefined && Result.isFailure(named)) {
        return yield* new WorkflowError({ kind: "BadParams", message: named.failure })
      }
      const componentId = named?.success
      if (componentId !== undefined && isReserved(componentId)) {
        return yield* new WorkflowError({ kind: "BadParams", message: `component id ${componentId} is the server's own` })
      }
      const source = yield* sourceOf(objectId, componentId)
      if (source.size > maxPdfBytes) {
        return yield* new WorkflowError({
          kind: "TooLarge",
          message: `${source.componentId} has ${source.size} bytes, more than the ${maxPdfBytes} a run may read`
        })
      }
      // callers with the same params share a run; one component's runs (whatever the params) take turns
      const component = `${objectId}/${source.componentId}`
      // a run that stores (for a caller with a credential) is not shared with one that does not, nor the reverse
      const key = `${component}?${JSON.stringify([decoded.pages ?? null, decoded.mode ?? "auto", decoded.max_equations ?? null, principal !== undefined])}`
      return yield* runs.run(key, extract(objectId, source, decoded, principal), component).pipe(
        Effect.catchTag("RunTimeout", (timeout) =>
          Effect.fail(new WorkflowError({ kind: "Failed", message: `${name}: ${timeout.message}` })))
      )
    })
  }
  return workflow
})

/**
 * The workflow with the limits the server's settings give (`workflows.*`, `ollama.timeoutSeconds`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeFromSettings = Effect.gen(function*() {
  const { workflows, ollama } = yield* ServerConfig
  return yield* make({
    componentId: workflows.equations.componentId,
    maxPdfBytes: workflows.equations.maxPdfBytes,
    maxConcurrentRuns: workflows.maxConcurrentRuns,
    timeout: Duration.seconds(workflows.timeoutSeconds),
    refineTimeout: Duration.seconds(ollama.timeoutSeconds)
  })
})

// internal

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const decodeParams = (params: Readonly<Record<string, unknown>>): Effect.Effect<Params, WorkflowError> =>
  Schema.decodeUnknownEffect(Params)(params, { onExcessProperty: "error" }).pipe(
    Effect.mapError((error) =>
      new WorkflowError({
        kind: "BadParams",
        message: `${name} params: ${
          formatIssues(error.issue).issues.map((issue) =>
            issue.path === undefined || issue.path.length === 0
              ? issue.message
              : `${issue.path.map(String).join(".")}: ${issue.message}`
          ).join("; ")
        } (known params: pages, componentId, mode, max_equations)`
      })
    )
  )

const pdfToWorkflowError = (objectId: string, componentId: string, error: PdfError): WorkflowError => {
  const where = `${objectId}/${componentId}`
  switch (error.kind) {
    case "NoSuchPage":
      return new WorkflowError({ kind: "BadParams", message: `${where}: ${error.message}` })
    case "TooLarge":
      return new WorkflowError({ kind: "TooLarge", message: `${where}: ${error.message}` })
    case "NotPdf":
    case "Corrupt":
    case "Encrypted":
      return new WorkflowError({ kind: "Failed", message: `${name} cannot read ${where}: ${error.message}` })
  }
}

/** milliseconds since the last lap, and in all */
const stopwatch = () => {
  const start = performance.now()
  let last = start
  return {
    lap: () => {
      const now = performance.now()
      const ms = Math.round(now - last)
      last = now
      return ms
    },
    total: () => Math.round(performance.now() - start)
  }
}
