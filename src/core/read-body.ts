import type { Body } from "./body.js";
import { GatewayError } from "./gateway-error.js";
import { StatusCode } from "./status-code.js";

/** 413: a body over its limit. */
export function bodyTooLarge(maxBytes: number): GatewayError {
  return new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `body exceeds the limit of ${maxBytes} bytes`, { httpStatus: 413 });
}

/** A message stream as NDJSON: one canonical value per line. */
export async function* ndjsonLines(messages: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const message of messages) yield Buffer.from(`${JSON.stringify(message)}\n`);
}

/**
 * Collects a body into bytes, for the codecs and endpoints that need the
 * whole message. Value bodies are not bytes yet: the caller encodes them.
 */
export async function readBodyBytes(body: Body, maxBytes: number): Promise<Uint8Array> {
  switch (body.kind) {
    case "empty":
      return new Uint8Array(0);
    case "bytes":
      return body.bytes;
    case "value":
      throw new GatewayError(StatusCode.INTERNAL, "a decoded body has no bytes until a codec encodes it");
    case "readable": {
      // Refused from its declared length, before a byte is read (or 100 Continue invites it).
      if (body.length !== undefined && body.length > maxBytes) throw bodyTooLarge(maxBytes);
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of body.stream) {
        total += (chunk as Buffer).byteLength;
        if (total > maxBytes) {
          body.stream.destroy();
          throw bodyTooLarge(maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
    }
    case "messages": {
      // A message stream read whole becomes NDJSON.
      const lines: Buffer[] = [];
      let total = 0;
      for await (const line of ndjsonLines(body.messages)) {
        total += line.byteLength;
        if (total > maxBytes) {
          const error = bodyTooLarge(maxBytes);
          body.cancel(error);
          throw error;
        }
        lines.push(line);
      }
      return Buffer.concat(lines, total);
    }
    case "push":
      return new Promise((resolve, reject) => {
        const chunks: Uint8Array[] = [];
        let total = 0;
        body.source.pipe({
          write(chunk) {
            total += chunk.byteLength;
            if (total > maxBytes) {
              const error = bodyTooLarge(maxBytes);
              body.source.cancel(error);
              reject(error);
              return false;
            }
            chunks.push(chunk);
            return true;
          },
          end: () => resolve(Buffer.concat(chunks, total)),
          fail: reject,
        });
      });
  }
}
