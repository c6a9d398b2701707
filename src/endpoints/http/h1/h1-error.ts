/**
 * Failures of Rosetta's HTTP/1.1 client, by stable code; upstream-error.ts
 * maps each to the status the endpoint answers with.
 */
export const H1Code = {
  /** The reply breaks HTTP/1.1 (head, framing, chunk sizes): 502. */
  MALFORMED: "H1_MALFORMED",
  /** The upstream closed the connection before the reply was complete: 503. */
  CLOSED: "H1_CLOSED",
  /** No connection within connectTimeout: 503, and the next target. */
  CONNECT_TIMEOUT: "H1_CONNECT_TIMEOUT",
  /** The response body stalled for longer than bodyTimeout: 504. */
  BODY_TIMEOUT: "H1_BODY_TIMEOUT",
  /** The caller's body did not match its Content-Length: 400. */
  REQUEST_LENGTH: "H1_REQUEST_LENGTH",
  /** The pool was closed under the request: 503. */
  POOL_CLOSED: "H1_POOL_CLOSED",
} as const;

export type H1Code = (typeof H1Code)[keyof typeof H1Code];

export class H1Error extends Error {
  readonly code: H1Code;

  constructor(code: H1Code, message: string) {
    super(message);
    this.code = code;
  }
}

/** A reply that breaks HTTP/1.1 in its head, named as the rule it breaks. */
export function protocolError(rule: string): H1Error {
  return new H1Error(H1Code.MALFORMED, `Response does not match the HTTP/1.1 protocol (${rule})`);
}

export function framingError(why: string): H1Error {
  return new H1Error(H1Code.MALFORMED, `its framing is invalid (${why})`);
}
