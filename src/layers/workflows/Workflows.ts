/**
 * The workflow registry: named workflows a client can invoke on an object.
 *
 * A workflow reads the object through the services it captured when it was built, may store derived components
 * (through `ComponentWriter`, so they are committed all or nothing), and answers with a JSON result. The registry is a
 * service; users add their own workflows by providing `layerWith([...])` instead of the default `layer`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { StorageError } from "../storage/Storage.ts"
import type { DerivedComponent } from "./Derived.ts"
import type { WorkflowError } from "./WorkflowError.ts"

/**
 * What a workflow is asked to do.
 *
 * @category models
 * @since 0.1.0
 */
export interface WorkflowInput {
  readonly objectId: string
  readonly params: Readonly<Record<string, unknown>>
  /** who invoked it, when the caller authenticated; what the run derives is stored only then (see `Derived.keep`) */
  readonly principal: string | undefined
}

/**
 * What a workflow answers: its JSON result and the components it derived, with the commit that stored them when it
 * stored them.
 *
 * @category models
 * @since 0.1.0
 */
export interface WorkflowResult {
  readonly result: Readonly<Record<string, unknown>>
  readonly derivedComponents: ReadonlyArray<DerivedComponent>
  /** the commit that stored the derived components; absent when nothing was stored (an anonymous run) */
  readonly commitId?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Workflow {
  readonly name: string
  readonly description: string
  /** whether running it stores components (for a caller with a credential), so `auth.invokeRequiresAuth` applies */
  readonly writes: boolean
  readonly run: (input: WorkflowInput) => Effect.Effect<WorkflowResult, WorkflowError | StorageError>
}

/**
 * @category services
 * @since 0.1.0
 */
export class Workflows extends Context.Service<Workflows, {
  readonly all: ReadonlyArray<Workflow>
  readonly get: (name: string) => Workflow | undefined
}>()("effect-doip/layers/Workflows") {}

/**
 * A registry of exactly these workflows (a later one wins over an earlier one of the same name).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (workflows: ReadonlyArray<Workflow>): Workflows["Service"] => {
  const byName = new Map(workflows.map((w) => [w.name, w]))
  return Workflows.of({ all: [...byName.values()], get: (name) => byName.get(name) })
}

/**
 * A registry built from workflows that are themselves built by effects (so they can capture services).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerFrom = <E, R>(
  workflows: ReadonlyArray<Effect.Effect<Workflow, E, R>>
): Layer.Layer<Workflows, E, Exclude<R, Scope.Scope>> =>
  // scoped: a workflow may own resources (fibers of its runs) that live as long as the registry
  Layer.effect(Workflows, Effect.map(Effect.all(workflows), make))
