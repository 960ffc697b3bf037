/**
 * The errors a `DoipClient` call fails with: one class per thing that can go wrong, each with a message a user can
 * act on.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Socket from "effect/socket/Socket"

/**
 * The server could not be reached, or the connection broke.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConnectionError extends Data.TaggedError("ConnectionError")<{ readonly message: string }> {}

/**
 * The TLS handshake failed (an untrusted or mismatched certificate, or a plaintext server).
 *
 * @category errors
 * @since 0.1.0
 */
export class TlsError extends Data.TaggedError("TlsError")<{ readonly message: string }> {}

/**
 * The call did not finish within its timeout.
 *
 * @category errors
 * @since 0.1.0
 */
export class TimeoutError extends Data.TaggedError("TimeoutError")<{ readonly message: string }> {}

/**
 * The server's answer broke the protocol.
 *
 * @category errors
 * @since 0.1.0
 */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{ readonly message: string }> {}

/**
 * The server answered with an error: a binary error envelope, or a DOIP v2.0 status other than success. `error` is
 * its kind (`BadRequest`, `Unauthenticated`, `Conflict`, ...), `message` the server's own text.
 *
 * @category errors
 * @since 0.1.0
 */
export class ServerError extends Data.TaggedError("ServerError")<{ readonly error: string; readonly message: string }> {}

/**
 * The object or component does not exist.
 *
 * @category errors
 * @since 0.1.0
 */
export class NotFoundError extends Data.TaggedError("NotFoundError")<{ readonly message: string }> {}

/**
 * The call cannot be put on the wire as asked: an operation the framing has no name for, or a value JSON cannot
 * carry. Nothing was sent.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidRequestError extends Data.TaggedError("InvalidRequestError")<{ readonly message: string }> {}

/**
 * A write (create, update, delete, invoke, or a `call` of an operation not known to be idempotent) lost its
 * connection after its request was sent, or partly sent: the server may have applied it or not. It is never sent
 * again on its own; retrieve the object to learn which. `operation` names the call, `objectId` its target (none for a
 * create that let the server pick the id).
 *
 * @category errors
 * @since 0.1.0
 */
export class OutcomeUnknownError extends Data.TaggedError("OutcomeUnknownError")<{
  readonly operation: string
  readonly objectId: string | undefined
  readonly message: string
}> {}

/**
 * An answer to be read into memory (a JSON segment or metadata block, or the whole answer of a call or invoke) is
 * larger than the client's `maxAnswerSize`. The connection is closed; streamed elements are not held to it.
 *
 * @category errors
 * @since 0.1.0
 */
export class AnswerTooLargeError extends Data.TaggedError("AnswerTooLargeError")<{
  readonly limit: number
  readonly message: string
}> {}

/**
 * @category models
 * @since 0.1.0
 */
export type ClientError =
  | ConnectionError
  | TlsError
  | TimeoutError
  | ProtocolError
  | ServerError
  | NotFoundError
  | InvalidRequestError
  | OutcomeUnknownError
  | AnswerTooLargeError

/**
 * The error a server's error answer stands for: `NotFound` is a {@link NotFoundError}, any other kind a
 * {@link ServerError} of that kind.
 *
 * @category conversions
 * @since 0.1.0
 */
export const fromServer = (error: string, message: string): NotFoundError | ServerError =>
  error === "NotFound" ? new NotFoundError({ message }) : new ServerError({ error, message })

/**
 * The server closed a connection before its first answer: over plaintext, the likeliest reason is a server that
 * speaks TLS on that port (it drops what is not a TLS handshake), so the message says what to try.
 *
 * @category constructors
 * @since 0.1.0
 */
export const closedBeforeAnswer = (tls: boolean, cause?: string): ConnectionError =>
  new ConnectionError({
    message: `the server closed the connection without answering${cause === undefined ? "" : ` (${cause})`}` +
      (tls ? "" : "; if it speaks TLS on this port, connect with TLS (--tls)")
  })

/**
 * A socket failure as the client error it means.
 *
 * @category conversions
 * @since 0.1.0
 */
export const fromSocketError = (error: Socket.SocketError): ClientError => {
  const reason = error.reason
  if (reason._tag === "SocketOpenError" && reason.kind === "Timeout") {
    return new TimeoutError({ message: "timed out connecting to the server" })
  }
  const cause = (reason as { readonly cause?: unknown }).cause as { code?: string; message?: string } | undefined
  const code = cause?.code ?? ""
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER") {
    return new TlsError({
      message: "the server does not speak TLS on this port (what it sent is no TLS handshake): connect without TLS " +
        `(${code})`
    })
  }
  // what Node says when the server closes during the handshake: a server that speaks plaintext only on this port
  // (our `--tls off`) closes a TLS client at once
  if (/before secure TLS connection was established/.test(cause?.message ?? "")) {
    return new TlsError({
      message: "the server closed the connection during the TLS handshake: it may not speak TLS on this port " +
        `(connect without TLS) (${code || "closed"})`
    })
  }
  if (code === "DEPTH_ZERO_SELF_SIGNED_CERT" || code === "SELF_SIGNED_CERT_IN_CHAIN") {
    return new TlsError({
      message: `TLS failed: ${cause?.message ?? code} (${code}); to trust this server, pass its certificate with ` +
        "--ca (ours logs where it keeps it, with its SHA-256 fingerprint)"
    })
  }
  if (isTlsCode(code)) {
    return new TlsError({ message: `TLS failed: ${cause?.message ?? code} (${code})` })
  }
  if (reason._tag === "SocketCloseError") {
    return new ConnectionError({ message: "the server closed the connection" })
  }
  return new ConnectionError({ message: `${reason._tag}: ${cause?.message ?? reason.message}` })
}

const isTlsCode = (code: string) =>
  /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/.test(
    code
  ) || code === "EPROTO"
