import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import { ProtoRegistry } from "../protos/proto-registry.js";
import { serviceDefinition } from "./grpc-service-definition.js";

interface Shelf {
  id: string;
  theme: string;
  created: { seconds: string };
}
interface Book {
  id: string;
  title: string;
  author: string;
  genre: string;
  shelf_id: string;
}

type Unary<Request, Response> = (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => void;

/** The demo's gRPC upstream: an in-memory bookstore on a real @grpc/grpc-js server on 127.0.0.1. */
export async function startBookstoreService(): Promise<{ target: string; stop(): Promise<void> }> {
  const registry = await ProtoRegistry.load([], ["rosetta/demo/v1/bookstore.proto"]);
  const now = String(Math.floor(Date.now() / 1000));
  const shelves = new Map<string, Shelf>([
    ["1", { id: "1", theme: "Science fiction", created: { seconds: now } }],
    ["2", { id: "2", theme: "Poetry", created: { seconds: now } }],
  ]);
  const books: Book[] = [
    { id: "1", title: "The Dispossessed", author: "Ursula K. Le Guin", genre: "GENRE_FICTION", shelf_id: "1" },
    { id: "2", title: "Kindred", author: "Octavia E. Butler", genre: "GENRE_FICTION", shelf_id: "1" },
    { id: "3", title: "The Fifth Season", author: "N. K. Jemisin", genre: "GENRE_FICTION", shelf_id: "1" },
    { id: "4", title: "Ariel", author: "Sylvia Plath", genre: "GENRE_POETRY", shelf_id: "2" },
  ];
  let nextShelf = 3;
  const notFound = (shelf: string) => ({ code: status.NOT_FOUND, details: `shelf ${shelf} does not exist` });

  const getShelf: Unary<{ shelf?: string }, Shelf> = (call, callback) => {
    const shelf = shelves.get(call.request.shelf ?? "0");
    if (shelf === undefined) callback(notFound(call.request.shelf ?? "0"));
    else callback(null, shelf);
  };
  const createShelf: Unary<{ shelf?: { theme?: string } }, Shelf> = (call, callback) => {
    const theme = call.request.shelf?.theme ?? "";
    if (theme === "") {
      callback({ code: status.INVALID_ARGUMENT, details: "a shelf needs a theme" });
      return;
    }
    const shelf = { id: String(nextShelf++), theme, created: { seconds: String(Math.floor(Date.now() / 1000)) } };
    shelves.set(shelf.id, shelf);
    callback(null, shelf);
  };
  const listBooks: Unary<{ shelf?: string; genre?: string }, { books: Book[] }> = (call, callback) => {
    if (!shelves.has(call.request.shelf ?? "0")) {
      callback(notFound(call.request.shelf ?? "0"));
      return;
    }
    callback(null, { books: books.filter((book) => book.shelf_id === call.request.shelf && (call.request.genre === undefined || book.genre === call.request.genre)) });
  };
  const watchShelf = (call: ServerWritableStream<{ shelf?: string }, Book>) => {
    const shelf = call.request.shelf ?? "0";
    if (!shelves.has(shelf)) {
      call.destroy(Object.assign(new Error(`shelf ${shelf} does not exist`), notFound(shelf)));
      return;
    }
    const pending = books.filter((book) => book.shelf_id === shelf);
    const timer = setInterval(() => {
      const book = pending.shift();
      if (book === undefined) {
        clearInterval(timer);
        call.end();
      } else {
        call.write(book);
      }
    }, 300);
    call.on("cancelled", () => clearInterval(timer));
  };

  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.demo.v1.Bookstore")!), {
    ListShelves: ((_call, callback) => callback(null, { shelves: [...shelves.values()] })) as Unary<object, { shelves: Shelf[] }>,
    GetShelf: getShelf,
    CreateShelf: createShelf,
    ListBooks: listBooks,
    WatchShelf: watchShelf,
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    target: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
