import { Readable, Writable } from "node:stream";
import { bytesBody, emptyBody, type Body } from "../../core/body.js";
import type { Peer } from "../../core/envelope.js";
import { GatewayError } from "../../core/gateway-error.js";
import { readBodyBytes } from "../../core/read-body.js";
import { createRequestEnvelope } from "../../core/request.js";
import type { Codec } from "../../codecs/codec.js";
import { errorResponse } from "../../core/error-response.js";
import { statusShape } from "../../core/body-shape.js";
import { beginCodecStep, codecChoice, encodeReply, encodeValue } from "../../codecs/codec-step.js";
import type { ListenerContext } from "../listener.js";
import { requestIdOf } from "../request-identity.js";
import type { FtpListenerOptions } from "./ftp-options.js";
import { resolveFtpPath, type FtpTarget } from "./ftp-paths.js";

/** What LIST and SIZE show of a virtual file or directory (the fields ftp-srv's listing reads). */
interface FileStat {
  readonly name: string;
  readonly size: number;
  readonly mtime: Date;
  readonly mode: number;
  isDirectory(): boolean;
}

interface StoredReply {
  readonly bytes: Uint8Array;
  readonly mtime: Date;
}

/** An FTP error reply's text: one line, no paths of this machine (there are none to leak: nothing here touches a disk). */
class FtpError extends Error {}

const fileStat = (name: string, size: number, mtime: Date): FileStat => ({ name, size, mtime, mode: 0o644, isDirectory: () => false });
const directoryStat = (name: string): FileStat => ({ name, size: 0, mtime: new Date(0), mode: 0o755, isDirectory: () => true });

/**
 * The file system ftp-srv sees for one session: REST paths, not files.
 * `STOR dir/new.json` → POST dir; `STOR dir/x.json` → POST dir/x; `RETR
 * dir/x.xml` → GET dir/x in XML; `DELE` → DELETE. The codec comes from the
 * extension. Each upload's reply is kept for the session under the uploaded
 * name, so RETR and LIST show it; RETR of any other name calls GET.
 */
export class GatewayFileSystem {
  readonly #context: ListenerContext;
  readonly #options: FtpListenerOptions;
  readonly #peer: Peer;
  readonly #stored = new Map<string, StoredReply>();
  #cwd = "/";

  constructor(context: ListenerContext, options: FtpListenerOptions, peer: Peer) {
    this.#context = context;
    this.#options = options;
    this.#peer = peer;
  }

  currentDirectory(): string {
    return this.#cwd;
  }

  get(name: string): FileStat {
    const target = resolveFtpPath(this.#cwd, name);
    const stored = this.#stored.get(target.virtualPath);
    if (stored !== undefined) return fileStat(target.baseName, stored.bytes.byteLength, stored.mtime);
    return target.extension === "" ? directoryStat(target.baseName || "/") : fileStat(target.baseName, 0, new Date());
  }

  list(name = "."): FileStat[] {
    const directory = resolveFtpPath(this.#cwd, name).virtualPath;
    const prefix = directory === "/" ? "/" : `${directory}/`;
    const entries = new Map<string, FileStat>();
    for (const [path, stored] of this.#stored) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf("/");
      if (slash < 0) entries.set(rest, fileStat(rest, stored.bytes.byteLength, stored.mtime));
      else entries.set(rest.slice(0, slash), directoryStat(rest.slice(0, slash)));
    }
    return [...entries.values()];
  }

  chdir(name = "."): string {
    const target = resolveFtpPath(this.#cwd, name);
    if (target.extension !== "" && this.#codecFor(target, false) !== undefined) throw new FtpError(`${target.virtualPath} is a file, not a directory`);
    this.#cwd = target.virtualPath;
    return this.#cwd;
  }

  write(name: string): { stream: Writable; clientPath: string } {
    const target = resolveFtpPath(this.#cwd, name);
    const codec = this.#codecFor(target, true)!;
    const limit = this.#options.maxFileBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        size += chunk.byteLength;
        if (size > limit) callback(new FtpError(`the file exceeds the upload limit of ${limit} bytes`));
        else {
          chunks.push(chunk);
          callback();
        }
      },
      // The transfer completes (226) only once the gateway has answered and the reply is stored.
      final: (callback) => {
        const path = target.baseName.startsWith("new.") ? target.collectionPath : target.restPath;
        this.#call("POST", path, codec, Buffer.concat(chunks, size)).then(
          (reply) => {
            this.#store(target.virtualPath, reply.bytes);
            callback(reply.failure === undefined ? null : new FtpError(`${reply.failure}; the reply is in ${target.virtualPath}`));
          },
          (error: unknown) => callback(error as Error),
        );
      },
    });
    return { stream, clientPath: target.virtualPath };
  }

  async read(name: string): Promise<{ stream: Readable; clientPath: string }> {
    const target = resolveFtpPath(this.#cwd, name);
    const bytes = this.#stored.get(target.virtualPath)?.bytes ?? (await this.#callOrFail("GET", target));
    return { stream: Readable.from([Buffer.from(bytes)]), clientPath: target.virtualPath };
  }

  async delete(name: string): Promise<void> {
    const target = resolveFtpPath(this.#cwd, name);
    if (!this.#stored.delete(target.virtualPath)) await this.#callOrFail("DELETE", target);
  }

  mkdir(): never {
    throw new FtpError("directories are REST paths; there is nothing to create");
  }

  rename(): never {
    throw new FtpError("renaming is not a REST call");
  }

  chmod(): never {
    throw new FtpError("files here have no permissions to change");
  }

  getUniqueName(): string {
    return "new.json";
  }

  #codecFor(target: FtpTarget, required: boolean): Codec | undefined {
    const name = this.#options.extensions[target.extension];
    const codec = name === undefined ? undefined : this.#context.codecs.find(name);
    if (codec === undefined && required) {
      throw new FtpError(
        `"${target.baseName}" needs an extension that names the format: ${Object.keys(this.#options.extensions)
          .map((extension) => `.${extension}`)
          .join(", ")}`,
      );
    }
    return codec;
  }

  #store(path: string, bytes: Uint8Array): void {
    this.#stored.delete(path);
    this.#stored.set(path, { bytes, mtime: new Date() });
    if (this.#stored.size > this.#options.maxStoredReplies) this.#stored.delete(this.#stored.keys().next().value!);
  }

  /** A bodiless call on the file's REST path; a status ≥ 400 becomes the FTP error. */
  async #callOrFail(method: string, target: FtpTarget): Promise<Uint8Array> {
    const reply = await this.#call(method, target.restPath, this.#codecFor(target, true)!, undefined);
    if (reply.failure !== undefined) throw new FtpError(reply.failure);
    return reply.bytes;
  }

  /** One call through the gateway; the reply in the codec of the extension, and for a status ≥ 400 the one-line reason. */
  async #call(method: string, path: string, codec: Codec, upload: Buffer | undefined): Promise<{ bytes: Uint8Array; failure: string | undefined }> {
    const headers: Record<string, string> = { accept: codec.mediaTypes[0]!, host: "ftp" };
    let body: Body = emptyBody;
    if (upload !== undefined && upload.byteLength > 0) {
      headers["content-type"] = codec.mediaTypes[0]!;
      body = bytesBody(upload);
    }
    const request = createRequestEnvelope({ method, path, rawQuery: "", headers, body, peer: this.#peer, requestId: requestIdOf(headers) });
    beginCodecStep(request, { accept: headers.accept, contentType: headers["content-type"] });
    let response = await this.#context.handle(request);
    let bytes: Uint8Array | GatewayError;
    try {
      if (response.body.kind !== "value") bytes = await readBodyBytes(response.body, this.#options.maxFileBytes);
      else {
        const encoded = encodeReply(codecChoice(this.#context.codecs, request), response.body);
        bytes = encoded instanceof GatewayError ? encoded : encoded.bytes;
      }
    } catch (error) {
      bytes = GatewayError.from(error);
    }
    if (bytes instanceof GatewayError) {
      response = errorResponse(bytes);
      const status = encodeValue(codec, bytes.toStatus(), statusShape);
      if (status instanceof GatewayError) throw status;
      bytes = status.bytes;
    }
    if (response.status < 400) return { bytes, failure: undefined };
    const reason = response.error?.message ?? Buffer.from(bytes.subarray(0, 200)).toString();
    return { bytes, failure: `${method} ${path} answered ${response.status}: ${reason.replace(/[\r\n]+/g, " ")}` };
  }
}
