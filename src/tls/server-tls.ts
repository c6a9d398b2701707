import { watch, type FSWatcher } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { dirname } from "node:path";
import { createSecureContext, type SecureContextOptions, type TlsOptions } from "node:tls";
import type { Logger } from "../observability/logger.js";
import { readTlsFile, tlsFilePath, tlsLoadError } from "./tls-files.js";
import type { ListenerTlsOptions } from "./tls-options.js";

type FileKey = "cert" | "key" | "ca";
type Loaded = Partial<Record<FileKey, Buffer>>;

/** Changes to the files are taken this long after the last event, so a cert and key replaced together load together. */
const debounceMs = 150;

/**
 * A listener's certificates: loaded (and checked to load together) at
 * start-up, then reloaded without a restart when their files change —
 * watched, and read again every `reloadInterval` for file systems that send
 * no events. A new set that does not load is logged and the old one kept;
 * connections already open keep the context they were made with.
 */
export class ServerTls {
  readonly #options: ListenerTlsOptions;
  readonly #files: ReadonlyMap<FileKey, string>;
  readonly #configPath: string;
  readonly #subscribers: ((options: SecureContextOptions) => void)[] = [];
  readonly #watchers: FSWatcher[] = [];
  #loaded: Loaded;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;

  /** Throws a ConfigError naming `configPath.cert` (…key, …ca) when a file is unreadable or the set does not load. */
  constructor(options: ListenerTlsOptions, baseDirectory: string, configPath: string) {
    this.#options = options;
    this.#configPath = configPath;
    const files = new Map<FileKey, string>([
      ["cert", tlsFilePath(baseDirectory, options.cert)],
      ["key", tlsFilePath(baseDirectory, options.key)],
    ]);
    if (options.ca !== undefined) files.set("ca", tlsFilePath(baseDirectory, options.ca));
    this.#files = files;
    const loaded: Loaded = {};
    for (const [key, file] of files) loaded[key] = readTlsFile(file, `${configPath}.${key}`);
    try {
      createSecureContext(this.#contextOptions(loaded));
    } catch (error) {
      throw tlsLoadError(error, configPath, "the certificate and key");
    }
    this.#loaded = loaded;
  }

  /** Options for tls.createServer / https.createServer (and ftp-srv's `tls`). */
  serverOptions(): TlsOptions {
    const { clientCertificate, alpn, handshakeTimeout } = this.#options;
    return {
      ...this.contextOptions(),
      requestCert: clientCertificate !== "none",
      rejectUnauthorized: clientCertificate === "require",
      handshakeTimeout,
      ...(alpn === undefined ? {} : { ALPNProtocols: [...alpn] }),
    };
  }

  /** The current certificate, key, CA and protocol settings. */
  contextOptions(): SecureContextOptions {
    return this.#contextOptions(this.#loaded);
  }

  #contextOptions(loaded: Loaded): SecureContextOptions {
    const { minVersion, ciphers } = this.#options;
    return { cert: loaded.cert, key: loaded.key, ...(loaded.ca === undefined ? {} : { ca: loaded.ca }), minVersion, ...(ciphers === undefined ? {} : { ciphers }) };
  }

  /** Starts watching; `apply` gets every new set that loads (e.g. `server.setSecureContext`). */
  watch(apply: (options: SecureContextOptions) => void, logger: Logger, listener: string): void {
    this.#subscribers.push(apply);
    if (this.#subscribers.length > 1) return;
    const check = () => this.#check(logger, listener);
    const schedule = () => {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(check, debounceMs).unref();
    };
    // The folder, not the file: a file replaced by a rename (and a Kubernetes secret's symlink swap) is seen there.
    for (const directory of new Set([...this.#files.values()].map((file) => dirname(file)))) {
      try {
        const watcher = watch(directory, { persistent: false }, schedule);
        watcher.on("error", () => watcher.close());
        this.#watchers.push(watcher);
      } catch {
        // No change events here: the interval still reloads.
      }
    }
    if (this.#options.reloadInterval > 0) this.#timer = setInterval(check, this.#options.reloadInterval).unref();
  }

  #check(logger: Logger, listener: string): void {
    const next: Loaded = {};
    try {
      for (const [key, file] of this.#files) next[key] = readTlsFile(file, `${this.#configPath}.${key}`);
    } catch (error) {
      logger.error("TLS certificates not reloaded: a file cannot be read; the previous ones are kept", { listener, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    const changed = [...this.#files.keys()].some((key) => !next[key]!.equals(this.#loaded[key]!));
    if (!changed) return;
    const options = this.#contextOptions(next);
    try {
      createSecureContext(options);
    } catch (error) {
      logger.error("TLS certificates not reloaded: the new ones do not load; the previous ones are kept", { listener, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.#loaded = next;
    for (const apply of this.#subscribers) apply(options);
    logger.info("TLS certificates reloaded", { listener });
  }

  close(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers.length = 0;
  }
}

/**
 * node:tls reports a failed or timed-out handshake as 'tlsClientError' and
 * leaves the socket open: a caller that sends half a ClientHello would hold
 * it past `handshakeTimeout` for as long as it likes. Every TLS server of
 * Rosetta closes such a socket at once.
 */
export function closeFailedHandshakes(server: { on(event: "tlsClientError", listener: (error: Error, socket: { destroy(): void }) => void): unknown }): void {
  server.on("tlsClientError", (_error, socket) => socket.destroy());
}

/** A node:http server, or with `tls` the same server behind a TLS handshake (failed handshakes closed): the HTTP and WebSocket listeners' server. */
export function createHttpServer(options: ServerOptions, tls: ServerTls | undefined, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
  if (tls === undefined) return createServer(options, onRequest);
  const server = createHttpsServer({ ...options, ...tls.serverOptions() }, onRequest);
  closeFailedHandshakes(server);
  return server;
}
