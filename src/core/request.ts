import type { Body } from "./body.js";
import { Cancellation } from "./cancellation.js";
import { ContextBag } from "./context.js";
import type { HeaderMap, Peer, RequestEnvelope, TraceContext } from "./envelope.js";

export interface RequestInit {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly headers: HeaderMap;
  readonly body: Body;
  readonly peer: Peer;
  readonly requestId: string;
  readonly trace?: TraceContext | undefined;
  readonly deadline?: number | undefined;
  readonly cancellation?: Cancellation;
}

/** The RequestEnvelope every listener builds; the query is parsed only if something reads it. */
class Request implements RequestEnvelope {
  readonly method: string;
  path: string;
  #rawQuery: string;
  #query: URLSearchParams | undefined;
  params: Record<string, string> = {};
  headers: HeaderMap;
  body: Body;
  readonly peer: Peer;
  readonly requestId: string;
  readonly trace: TraceContext | undefined;
  deadline: number | undefined;
  readonly cancellation: Cancellation;
  readonly context = new ContextBag();

  constructor(init: RequestInit) {
    this.method = init.method;
    this.path = init.path;
    this.#rawQuery = init.rawQuery;
    this.headers = init.headers;
    this.body = init.body;
    this.peer = init.peer;
    this.requestId = init.requestId;
    this.trace = init.trace;
    this.deadline = init.deadline;
    this.cancellation = init.cancellation ?? new Cancellation();
  }

  get rawQuery(): string {
    return this.#rawQuery;
  }

  set rawQuery(value: string) {
    this.#rawQuery = value;
    this.#query = undefined;
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#rawQuery));
  }
}

export function createRequestEnvelope(init: RequestInit): RequestEnvelope {
  return new Request(init);
}
