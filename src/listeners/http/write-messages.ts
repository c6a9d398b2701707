import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { MessagesBody, StreamFormat } from "../../core/body.js";
import { applyFixedHeaders, type ResponseEnvelope } from "../../core/envelope.js";
import { definedHeaders } from "../../core/defined-headers.js";
import { GatewayError } from "../../core/gateway-error.js";
import { StatusCode } from "../../core/status-code.js";

const contentTypes: Readonly<Record<StreamFormat, string>> = {
  ndjson: "application/x-ndjson",
  sse: "text/event-stream",
  array: "application/json",
};

/** The caller's choice by Accept (`text/event-stream`, `application/x-ndjson`), else the route's. */
export function chooseStreamFormat(accept: string | undefined, routeDefault: StreamFormat): StreamFormat {
  if (accept !== undefined) {
    if (accept.includes("text/event-stream")) return "sse";
    if (accept.includes("application/x-ndjson")) return "ndjson";
  }
  return routeDefault;
}

/**
 * Writes a message stream over HTTP with backpressure:
 * - NDJSON (grpc-gateway's form): one `{"result": …}` line per message; a
 *   failure is a final `{"error": {code, message, details}}` line.
 * - SSE: one `data:` event per message; a failure is an `event: error`.
 * - JSON array: `[m1,m2,…]`; a failure cuts the connection, so the caller
 *   never takes a truncated array for a complete one.
 * A caller that goes away cancels the stream.
 */
export async function writeMessages(res: ServerResponse, response: ResponseEnvelope, body: MessagesBody, format: StreamFormat): Promise<void> {
  const { headers } = response;
  headers["content-type"] = contentTypes[format];
  headers["content-length"] = undefined;
  if (format === "sse") headers["cache-control"] = "no-cache";
  applyFixedHeaders(response, headers);
  res.writeHead(response.status, definedHeaders(headers));
  res.flushHeaders();
  const onClose = () => {
    if (!res.writableFinished) body.cancel(new GatewayError(StatusCode.CANCELLED, "the caller closed the connection"));
  };
  res.once("close", onClose);
  let first = true;
  try {
    if (format === "array") res.write("[");
    for await (const message of body.messages) {
      const json = JSON.stringify(message);
      const chunk = format === "ndjson" ? `{"result":${json}}\n` : format === "sse" ? `data: ${json}\n\n` : `${first ? "" : ","}${json}`;
      first = false;
      if (!res.write(chunk) && !res.destroyed) await once(res, "drain");
      if (res.destroyed) return;
    }
    res.end(format === "array" ? "]" : undefined);
  } catch (reason) {
    const error = GatewayError.from(reason);
    const status = JSON.stringify(error.toStatus());
    if (format === "ndjson") res.end(`{"error":${status}}\n`);
    else if (format === "sse") res.end(`event: error\ndata: ${status}\n\n`);
    else res.destroy(error);
  } finally {
    res.off("close", onClose);
  }
}
