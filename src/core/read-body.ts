import type { Body } from "./body.js";
import { GatewayError } from "./gateway-error.js";
import { StatusCode } from "./status-code.js";

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
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of body.stream) {
        total += (chunk as Buffer).byteLength;
        if (total > maxBytes) {
          body.stream.destroy();
          throw new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `body exceeds the limit of ${maxBytes} bytes`, { httpStatus: 413 });
        }
        chunks.push(chunk as Buffer);
      }
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
    }
    case "messages": {
      // A message stream read whole becomes NDJSON, one canonical value per line.
      const lines: Buffer[] = [];
      let total = 0;
      for await (const message of body.messages) {
        const line = Buffer.from(`${JSON.stringify(message)}\n`);
        total += line.byteLength;
        if (total > maxBytes) {
          const error = new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `body exceeds the limit of ${maxBytes} bytes`, { httpStatus: 413 });
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
              const error = new GatewayError(StatusCode.RESOURCE_EXHAUSTED, `body exceeds the limit of ${maxBytes} bytes`, { httpStatus: 413 });
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
