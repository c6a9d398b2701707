/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { Metadata, Server, ServerCredentials, status, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

export interface ReceivedCall {
  readonly method: string;
  /** The request decoded by protobufjs's own toObject (independent of Rosetta's codec). */
  readonly request: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly deadline: number | undefined;
}

export interface TestGrpcServer {
  readonly port: number;
  readonly target: string;
  readonly registry: ProtoRegistry;
  readonly calls: ReceivedCall[];
  /** Set when a call was cancelled by the client. */
  readonly cancelled: string[];
  close(): Promise<void>;
}

/**
 * A real @grpc/grpc-js server on 127.0.0.1:0 serving the test Library with
 * protobufjs's own encoding. It records each request as protobufjs sees it,
 * so tests assert on exactly what reached the upstream.
 */
export interface LibraryServerOptions {
  /** Bind this port instead of a free one (a restarted target). */
  readonly port?: number;
  /** Adds services of the test's own (a health service, say) before the server binds. */
  readonly configure?: (server: Server) => void;
}

export async function startLibraryServer(options: LibraryServerOptions = {}): Promise<TestGrpcServer> {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/library.proto"]);
  const service = registry.findService("rosetta.test.v1.Library")!;
  const calls: ReceivedCall[] = [];
  const cancelled: string[] = [];
  const type = (name: string) => registry.findType(name)!;
  const record = (method: string, request: Record<string, unknown>, call: { metadata: Metadata; getDeadline(): Date | number }) => {
    const deadline = call.getDeadline();
    calls.push({ method, request, metadata: call.metadata.getMap(), deadline: deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? deadline : undefined });
  };
  const book = (name: string, extra: Record<string, unknown> = {}) => ({ name, author: "Ursula K. Le Guin", genre: "GENRE_FICTION", page_count: "304", ...extra });
  const implementation: UntypedServiceImplementation = {
    GetShelf: (call: any, callback: any) => {
      record("GetShelf", call.request, call);
      callback(null, { id: call.request.shelf ?? "0", theme: "Poetry" });
    },
    ListBooks: (call: any, callback: any) => {
      record("ListBooks", call.request, call);
      callback(null, { books: [book("shelves/1/books/1")], next_page_token: "" });
    },
    GetBook: (call: any, callback: any) => {
      record("GetBook", call.request, call);
      const header = new Metadata();
      header.set("x-book-source", "library");
      call.sendMetadata(header);
      const trailer = new Metadata();
      trailer.set("x-served-in", "3ms");
      callback(
        null,
        book(call.request.name, { published: { seconds: "1700000000", nanos: 5000000 }, tags: ["classic"], labels: { lang: "en" }, cover: Buffer.from("png").toString("base64"), cents: "1299" }),
        trailer,
      );
    },
    CreateBook: (call: any, callback: any) => {
      record("CreateBook", call.request, call);
      callback(null, { ...call.request.book, name: `${call.request.parent}/books/${call.request.book_id ?? "new"}` });
    },
    UpdateBook: (call: any, callback: any) => {
      record("UpdateBook", call.request, call);
      callback(null, call.request.book);
    },
    DeleteBook: (call: any, callback: any) => {
      record("DeleteBook", call.request, call);
      callback(null, {});
    },
    ArchiveBook: (call: any, callback: any) => {
      record("ArchiveBook", call.request, call);
      callback(null, book(call.request.name));
    },
    GetAuthor: (call: any, callback: any) => {
      record("GetAuthor", call.request, call);
      callback(null, book(call.request.name));
    },
    Download: (call: any, callback: any) => {
      record("Download", call.request, call);
      callback(null, { content_type: "text/plain; charset=utf-8", data: Buffer.from(`contents of ${call.request.name}`).toString("base64") });
    },
    Upload: (call: any, callback: any) => {
      record("Upload", call.request, call);
      const file = call.request.file ?? {};
      callback(null, { name: call.request.name, size: String(Buffer.from(file.data ?? "", "base64").length), content_type: file.content_type ?? "" });
    },
    Fail: (call: any, callback: any) => {
      record("Fail", call.request, call);
      const trailer = new Metadata();
      if (call.request.code === 3) {
        const rpcStatus = type("google.rpc.Status");
        const badRequest = type("google.rpc.BadRequest");
        const detail = {
          type_url: "type.googleapis.com/google.rpc.BadRequest",
          value: badRequest.encode(badRequest.fromObject({ field_violations: [{ field: "name", description: "must not be empty" }] })).finish(),
        };
        trailer.set("grpc-status-details-bin", Buffer.from(rpcStatus.encode(rpcStatus.fromObject({ code: 3, message: "bad name", details: [detail] })).finish()));
      }
      if (call.request.code === 16) trailer.set("www-authenticate", 'Bearer realm="library"');
      callback({ code: call.request.code, details: call.request.message || `failed with ${call.request.code}`, metadata: trailer });
    },
    Slow: (call: any, callback: any) => {
      record("Slow", call.request, call);
      const timer = setTimeout(() => callback(null, {}), call.request.millis ?? 0);
      call.on("cancelled", () => {
        clearTimeout(timer);
        cancelled.push("Slow");
      });
    },
    StreamBooks: (call: any) => {
      record("StreamBooks", call.request, call);
      const count = call.request.page_size ?? 3;
      let sent = 0;
      const timer = setInterval(() => {
        if (call.cancelled) return clearInterval(timer);
        if (sent === count) {
          clearInterval(timer);
          if (call.request.tags?.includes("fail-midway")) call.emit("error", { code: status.DATA_LOSS, details: "shelf burned down" });
          else call.end();
          return;
        }
        call.write(book(`${call.request.parent}/books/${++sent}`));
      }, 5);
      call.on("cancelled", () => {
        clearInterval(timer);
        cancelled.push("StreamBooks");
      });
    },
    CollectBooks: (call: any, callback: any) => {
      const books: unknown[] = [];
      call.on("data", (received: unknown) => books.push(received));
      call.on("end", () => {
        record("CollectBooks", { books }, call);
        callback(null, { books, next_page_token: String(books.length) });
      });
    },
    ChatBooks: (call: any) => {
      call.on("data", (received: { name?: string }) => call.write({ name: `echo:${received.name ?? ""}` }));
      call.on("end", () => call.end());
    },
    DownloadStream: (call: any) => {
      record("DownloadStream", call.request, call);
      let part = 0;
      const timer = setInterval(() => {
        if (part === 3) {
          clearInterval(timer);
          call.end();
          return;
        }
        call.write({ content_type: part === 0 ? "text/csv" : "", data: Buffer.from(`row ${++part}\n`).toString("base64") });
      }, 5);
      call.on("cancelled", () => clearInterval(timer));
    },
    Custom: (call: any, callback: any) => {
      record("Custom", call.request, call);
      callback(null, { id: call.request.shelf, theme: "locked" });
    },
    Unannotated: (call: any, callback: any) => {
      record("Unannotated", call.request, call);
      callback(null, { id: call.request.id, theme: `${call.request.theme ?? ""}!` });
    },
  };
  const server = new Server();
  server.addService(serviceDefinition(service), implementation);
  options.configure?.(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    target: `127.0.0.1:${port}`,
    registry,
    calls,
    cancelled,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
