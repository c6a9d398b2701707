import { pipeline } from "node:stream";
import type { ServerResponse } from "node:http";
import type { PushSink, PushSource } from "../../core/body.js";
import { applyFixedHeaders, type HeaderMap, type ResponseEnvelope } from "../../core/envelope.js";
import { encodeReply, type CodecChoice } from "../../codecs/codec-step.js";
import { errorResponse } from "../../core/error-response.js";
import { GatewayError } from "../../core/gateway-error.js";
import { definedHeaders } from "../../core/defined-headers.js";
import { chooseStreamFormat, writeMessages } from "./write-messages.js";

/**
 * Writes a ResponseEnvelope on a node:http response. Value bodies are encoded
 * with the codec the caller negotiated (chosen only when needed); streams
 * are piped with backpressure; a stream that fails after the head was sent
 * destroys the connection, so the caller never takes a truncated body for a
 * complete one.
 */
export function writeResponse(res: ServerResponse, response: ResponseEnvelope, chooseCodec: () => CodecChoice, closeConnection: boolean, accept?: string): void {
  const { headers, body } = response;
  if (closeConnection) headers.connection = "close";
  switch (body.kind) {
    case "empty":
      res.writeHead(response.status, definedHeaders(headers));
      res.end();
      return;
    case "bytes":
      writeWhole(res, response, body.bytes);
      return;
    case "value": {
      const choice = chooseCodec();
      const encoded = encodeReply(choice, body);
      if (encoded instanceof GatewayError) {
        writeResponse(res, errorResponse(encoded), () => choice, closeConnection);
        return;
      }
      headers["content-type"] = encoded.mediaType;
      applyFixedHeaders(response, headers);
      writeWhole(res, response, encoded.bytes);
      return;
    }
    case "readable":
      res.writeHead(response.status, definedHeaders(headers));
      pipeline(body.stream, res, () => {});
      return;
    case "push":
      res.writeHead(response.status, definedHeaders(headers));
      body.source.pipe(new ResponseSink(res, body.source, body.length));
      return;
    case "messages":
      void writeMessages(res, response, body, chooseStreamFormat(accept, body.format));
      return;
  }
}

/** A body known in full: with Content-Length, or chunked when HTTP trailers follow it. */
function writeWhole(res: ServerResponse, response: ResponseEnvelope, bytes: Uint8Array): void {
  const { headers, trailers } = response;
  if (trailers === undefined) {
    headers["content-length"] = String(bytes.byteLength);
    res.writeHead(response.status, definedHeaders(headers));
    res.end(bytes);
    return;
  }
  headers["content-length"] = undefined;
  headers.trailer = Object.keys(trailers).join(", ");
  res.writeHead(response.status, definedHeaders(headers));
  res.write(bytes);
  res.addTrailers(definedHeaders(trailers));
  res.end();
}

/** The largest body held back to go out in the head's write(). */
const smallWholeBody = 16 * 1024;

/** Feeds a push source into a ServerResponse, pausing the source while the socket is full. */
class ResponseSink implements PushSink {
  readonly #res: ServerResponse;
  readonly #source: PushSource;
  #waiting = false;
  /** A small whole body held for end(): see write(). */
  #held: string | undefined;
  /** The declared length while no chunk has come; undefined after or when unknown. */
  #wholeLength: number | undefined;

  constructor(res: ServerResponse, source: PushSource, length: number | undefined) {
    this.#res = res;
    this.#source = source;
    this.#wholeLength = length !== undefined && length > 0 && length <= smallWholeBody ? length : undefined;
  }

  write(chunk: Uint8Array): boolean {
    const res = this.#res;
    if (this.#wholeLength !== undefined) {
      const whole = chunk.byteLength === this.#wholeLength;
      this.#wholeLength = undefined;
      // A small body that came whole waits for end(): node:http then sends head and body in one
      // write() (it joins a string to the head) instead of a writev() of both. latin1 maps bytes
      // to characters one to one. Only a whole body waits, so a stream is never held back.
      if (whole) {
        this.#held = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
        return true;
      }
    }
    if (this.#held !== undefined) this.#flushHeld();
    if (res.write(chunk)) return true;
    if (!this.#waiting) {
      this.#waiting = true;
      res.once("drain", () => {
        this.#waiting = false;
        this.#source.resume();
      });
    }
    return false;
  }

  end(trailers: HeaderMap): void {
    const held = this.#held;
    if (held !== undefined && !this.#res.chunkedEncoding) {
      this.#held = undefined;
      this.#res.end(held, "latin1");
      return;
    }
    if (held !== undefined) this.#flushHeld();
    if (this.#res.chunkedEncoding && Object.keys(trailers).length > 0) this.#res.addTrailers(trailers as Record<string, string>);
    this.#res.end();
  }

  #flushHeld(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) this.#res.write(held, "latin1");
  }

  fail(error: Error): void {
    this.#res.destroy(error);
  }
}
