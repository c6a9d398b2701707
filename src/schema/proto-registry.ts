import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

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
    await root.load([...alwaysLoaded, ...files], { keepCase: true });
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

function rootWithIncludes(includeRoots: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  const roots = [...includeRoots.map((directory) => resolve(directory)), bundledProtos];
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target) && existsSync(target)) return target;
    // protobufjs has the common well-known types built in under their import names.
    if (target.startsWith("google/protobuf/") && protobuf.common.get(target) !== null) return target;
    for (const directory of roots) {
      const candidate = join(directory, target);
      if (existsSync(candidate)) return candidate;
    }
    if (target.startsWith("google/protobuf/")) return join(protobufjsRoot, target);
    return target;
  };
  return root;
}

export function fullNameOf(reflection: protobuf.ReflectionObject): string {
  return reflection.fullName.startsWith(".") ? reflection.fullName.slice(1) : reflection.fullName;
}
