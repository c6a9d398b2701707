/**
 * How a REST request fills its gRPC request message besides the body bytes
 * (google.api.http's rule, and this request's path variables and query):
 * plain data, so a worker can build the same message the main thread would.
 */
export interface MessageBinding {
  /** "*" (the body is the message) or the proto name of the body field. */
  readonly body: string;
  readonly pathFields: readonly string[];
  readonly rejectUnknownQuery: boolean;
  readonly params: Readonly<Record<string, string>>;
  readonly rawQuery: string;
}
