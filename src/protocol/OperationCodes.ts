/**
 * The operations' codes in the binary envelope (PROTOCOL.md §1) and ids in DOIP v2.0 (PROTOCOL.md §2).
 *
 * The binary envelope names an operation by its code, or by the `operation` name in its first metadata block, as
 * the upstream Python client sends it. `delete` (0x0a) and `versions` (0x0b) are ours: the upstream server has
 * neither.
 *
 * @since 0.1.0
 */

/**
 * The operation codes of the binary envelope.
 *
 * @category models
 * @since 0.1.0
 */
export const OperationCode = {
  hello: 0x01,
  retrieve: 0x02,
  update: 0x03,
  list_ops: 0x04,
  invoke: 0x05,
  describe: 0x06,
  purge: 0x07,
  create: 0x08,
  search: 0x09,
  delete: 0x0a,
  versions: 0x0b
} as const

/**
 * The DOIP v2.0 operation ids. The first seven are DOIP's own; invoke, purge, describe, versions and watch are this
 * server's extended operations. Cordra lists versions as `20.DOIP/Op.Versions.Get`, but its versions are objects of
 * their own (copies with their own ids, made by `Versions.Publish`), where ours are commits read with retrieve's
 * `version`: the id says so, in the form of ours beside it. Watch has no binary code: its answer streams for as long
 * as the client watches, which only DOIP v2.0 can carry; neither DOIP nor Cordra has such an operation, and its id
 * too has the form of ours.
 *
 * @category models
 * @since 0.1.0
 */
export const DoipOperationId = {
  hello: "0.DOIP/Op.Hello",
  list_ops: "0.DOIP/Op.ListOperations",
  create: "0.DOIP/Op.Create",
  retrieve: "0.DOIP/Op.Retrieve",
  update: "0.DOIP/Op.Update",
  delete: "0.DOIP/Op.Delete",
  search: "0.DOIP/Op.Search",
  invoke: "0.DOIP/Op.Invoke",
  purge: "0.DOIP/Op.Purge",
  describe: "0.DOIP/Op.Describe",
  versions: "0.DOIP/Op.Versions",
  watch: "0.DOIP/Op.Watch"
} as const

/**
 * The names of the built-in operations (each has a DOIP v2.0 id; all but watch a binary code).
 *
 * @category models
 * @since 0.1.0
 */
export type BuiltinName = keyof typeof DoipOperationId

/**
 * A built-in operation's name, binary code (`undefined` for watch) and DOIP v2.0 id, so handlers state none of them
 * twice.
 *
 * @category constructors
 * @since 0.1.0
 */
export const builtin = <N extends BuiltinName>(name: N): {
  readonly name: N
  readonly code: N extends keyof typeof OperationCode ? (typeof OperationCode)[N] : undefined
  readonly doipId: (typeof DoipOperationId)[N]
} => ({
  name,
  code: (OperationCode as Record<string, number | undefined>)[name] as any,
  doipId: DoipOperationId[name]
})
