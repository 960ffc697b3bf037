/**
 * Operation codes and names of the binary envelope (PROTOCOL.md §1).
 *
 * The operation of a request is chosen by its code, or by the `operation` name in its first metadata block, as the
 * upstream Python client sends it. Both spellings of list operations (`list_ops`, `list_operations`) are accepted.
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
  search: 0x09
} as const

/**
 * @category models
 * @since 0.1.0
 */
export type OperationName = keyof typeof OperationCode

const byCode = new Map<number, OperationName>(
  Object.entries(OperationCode).map(([name, code]) => [code, name as OperationName])
)

const aliases: Readonly<Record<string, OperationName>> = { list_operations: "list_ops" }

/**
 * The operation named by a code, if any.
 *
 * @category parsing
 * @since 0.1.0
 */
export const fromCode = (code: number): OperationName | undefined => byCode.get(code)

/**
 * The operation named by a metadata `operation` value, if any (`list_operations` is `list_ops`).
 *
 * @category parsing
 * @since 0.1.0
 */
export const fromName = (name: string): OperationName | undefined =>
  Object.hasOwn(OperationCode, name) ? (name as OperationName) : aliases[name]

/**
 * The name a response echoes in its `operation` field: the upstream server answers list_ops as `list_operations`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const wireName = (name: string): string => (name === "list_ops" ? "list_operations" : name)
