import { posix } from "node:path";

/** An FTP path resolved against the session's directory: the virtual path, and the REST call it stands for. */
export interface FtpTarget {
  /** `/v1/things/1.json`: where a stored reply is kept. */
  readonly virtualPath: string;
  /** `/v1/things/1`, percent-encoded per segment. */
  readonly restPath: string;
  /** The directory's REST path, for `new.<ext>` uploads (`POST` to the collection). */
  readonly collectionPath: string;
  readonly baseName: string;
  /** The extension without its dot, lower case; "" when there is none. */
  readonly extension: string;
}

/**
 * Resolves an FTP argument against the working directory. Everything is
 * virtual: `..` cannot climb above `/`, and no path ever reaches a file
 * system, so traversal has nothing to reach.
 */
export function resolveFtpPath(cwd: string, argument: string): FtpTarget {
  const virtualPath = posix.normalize(posix.join("/", argument.startsWith("/") ? "" : cwd, argument.replace(/\\/g, "/")));
  const clean = virtualPath.length > 1 && virtualPath.endsWith("/") ? virtualPath.slice(0, -1) : virtualPath;
  const baseName = posix.basename(clean);
  const dot = baseName.lastIndexOf(".");
  const extension = dot > 0 ? baseName.slice(dot + 1).toLowerCase() : "";
  const stem = dot > 0 ? baseName.slice(0, dot) : baseName;
  const directory = posix.dirname(clean);
  return {
    virtualPath: clean,
    restPath: encodePath(posix.join(directory, stem)),
    collectionPath: encodePath(directory),
    baseName,
    extension,
  };
}

/** Each segment percent-encoded, keeping `:` and `@` so custom verbs (`/v1/things/1:archive`) read as written. */
function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%3A/gi, ":").replace(/%40/g, "@"))
    .join("/");
}
