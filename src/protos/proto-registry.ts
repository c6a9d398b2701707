import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { repeatOptionMessageLists } from "./option-lists.js";

const require = createRequire(import.meta.url);
/** protobufjs ships the google/protobuf/*.proto sources that are not in its built-in set (descriptor.proto). */
const protobufjsRoot = dirname(require.resolve("protobufjs/package.json"));
/** Rosetta's own protos: google/api, google/rpc, rosetta/v1. */
export const bundledProtos = resolve(dirname(fileURLToPath(import.meta.url)), "../../../protos");

/**
 * The protobuf schemas Rosetta knows: one protobufjs Root per gateway
 * config, built once at start and replaced as a whole on reload (so a
 * request always sees one consistent set). Field names are kept as written
 * in the .proto (keepCase); JSON names are computed by the ProtoJSON codec.
 */
export class ProtoRegistry {
  constructor(readonly root: protobuf.Root) {}

  /** Loads .proto files, resolving imports against the include roots, then Rosetta's and protobufjs's own. */
  static async load(includeRoots: readonly string[], files: readonly string[]): Promise<ProtoRegistry> {
    const root = rootWithIncludes(includeRoots);
    await loadNamingFailures(root, [...alwaysLoaded, ...files], includeRoots);
    root.resolveAll();
    return new ProtoRegistry(root);
  }

  /** Rosetta's bundled protos only (google.rpc.Status, the frame), loaded synchronously for codecs built at start-up. */
  static bundled(): ProtoRegistry {
    const root = rootWithIncludes([]);
    root.loadSync([...alwaysLoaded, "google/protobuf/struct.proto", "rosetta/v1/frame.proto"], { keepCase: true });
    root.resolveAll();
    return new ProtoRegistry(root);
  }

  /** Builds a registry from descriptors fetched by server reflection. */
  static fromRoot(root: protobuf.Root): ProtoRegistry {
    root.resolveAll();
    return new ProtoRegistry(root);
  }

  findType(fullName: string): protobuf.Type | undefined {
    const found = this.root.lookup(fullName.startsWith(".") ? fullName : `.${fullName}`);
    return found instanceof protobuf.Type ? found : undefined;
  }

  findService(fullName: string): protobuf.Service | undefined {
    const found = this.root.lookup(fullName.startsWith(".") ? fullName : `.${fullName}`);
    return found instanceof protobuf.Service ? found : undefined;
  }

  /** `pkg.Service/Method` → the method, resolved (request and response types linked). */
  findMethod(path: string): protobuf.Method | undefined {
    const slash = path.lastIndexOf("/");
    if (slash < 0) return undefined;
    const method = this.findService(path.slice(0, slash))?.methods[path.slice(slash + 1)];
    return method?.resolve() as protobuf.Method | undefined;
  }
}

/** The full name without the leading dot: `bookstore.v1.Book`. */
const alwaysLoaded = ["google/rpc/status.proto", "google/rpc/error_details.proto", "google/api/httpbody.proto"];

/** A root whose resolvePath also remembers, for error messages, who imported each file it could not find. */
interface SearchingRoot extends protobuf.Root {
  readonly unresolved: Map<string, string>;
}

function rootWithIncludes(includeRoots: readonly string[]): SearchingRoot {
  const root = Object.assign(new protobuf.Root(), { unresolved: new Map<string, string>() });
  const roots = [...includeRoots.map((directory) => resolve(directory)), bundledProtos];
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target) && existsSync(target)) return target;
    // protobufjs has the common well-known types built in under their import names.
    if (target.startsWith("google/protobuf/") && protobuf.common.get(target) !== null) return target;
    for (const directory of roots) {
      const candidate = join(directory, target);
      if (existsSync(candidate)) return candidate;
    }
    if (target.startsWith("google/protobuf/")) return join(protobufjsRoot, target);
    root.unresolved.set(target, origin);
    return target;
  };
  return root;
}

/**
 * protobufjs's own errors name neither the file a syntax error is in nor the
 * roots a missing import was looked for in; each file is parsed synchronously
 * inside its fetch callback, so wrapping that callback tells which file failed.
 */
function loadNamingFailures(root: SearchingRoot, files: readonly string[], includeRoots: readonly string[]): Promise<void> {
  let current: string | undefined;
  const fetch = root.fetch.bind(root);
  // Files are read in parallel but handed to the parser in the order they were asked for, so namespaces
  // (and the routes made from their services) come in the same order on every load, not in read-completion order.
  let delivered: Promise<void> = Promise.resolve();
  root.fetch = (filename, callback) => {
    const read = new Promise<Parameters<protobuf.FetchCallback>>((done) => fetch(filename, (...outcome) => done(outcome)));
    delivered = delivered.then(async () => {
      const [error, source] = await read;
      current = filename;
      try {
        callback(error, source === undefined ? source : repeatOptionMessageLists(source));
      } finally {
        current = undefined;
      }
    });
  };
  return new Promise((resolvePromise, reject) => {
    // alternateCommentMode keeps `//` and `/* */` comments too (not only `/** */`): they become the OpenAPI descriptions.
    root.load([...files], { keepCase: true, alternateCommentMode: true }, (error) => {
      if (error === null) return resolvePromise();
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT" ? current : undefined;
      if (missing !== undefined) {
        const importer = root.unresolved.get(missing);
        const searched = includeRoots.length === 0 ? "no include roots (protos.include is empty)" : `include roots ${includeRoots.map((directory) => `"${directory}"`).join(", ")}`;
        reject(new Error(`"${missing}"${importer ? ` (imported by "${importer}")` : ""} was not found; searched ${searched} and Rosetta's bundled protos`));
      } else {
        // "illegal token '}', ';' expected (line 4)" → "file.proto:4: illegal token '}', ';' expected"
        const line = /\s*\((?:[^()]*, )?line (\d+)\)$/.exec(error.message);
        const where = current === undefined ? "" : `${current}:${line === null ? "" : `${line[1]}:`} `;
        reject(new Error(`${where}${line === null ? error.message : error.message.slice(0, line.index)}`));
      }
    });
  });
}

export function fullNameOf(reflection: protobuf.ReflectionObject): string {
  return reflection.fullName.startsWith(".") ? reflection.fullName.slice(1) : reflection.fullName;
}
