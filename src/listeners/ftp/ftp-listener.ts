import { FtpSrv, type FtpConnection } from "ftp-srv";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Server, Socket } from "node:net";
import { TLSSocket, type TlsOptions } from "node:tls";
import type { Peer } from "../../core/envelope.js";
import { boundAddress } from "../bind.js";
import type { Listener, ListenerContext, ListenerFactory } from "../listener.js";
import { FtpAdmission, refuse } from "./ftp-admission.js";
import { GatewayFileSystem } from "./ftp-file-system.js";
import { LoginGuard, lockoutMessage } from "./ftp-login-guard.js";
import { ftpListenerSchema, type FtpListenerOptions } from "./ftp-options.js";
import { ownPassiveSetup, type Connector, type PassiveSession } from "./ftp-passive.js";
import { sourceKey } from "./ftp-source.js";
import { ServerTls } from "../../tls/server-tls.js";
import { peerTlsOf } from "../peer-tls.js";

/**
 * Commands refused outright: active mode (PORT/EPRT would let a caller make
 * the gateway connect anywhere: the FTP bounce attack), and the ones that
 * have no REST meaning.
 */
const refusedCommands = ["PORT", "EPRT", "APPE", "RNFR", "RNTO", "MKD", "RMD", "SITE", "STOU", "ALLO"];
const signals = ["SIGTERM", "SIGINT", "SIGQUIT"] as const;

/** The parts of ftp-srv its typings leave out: the control server and each session's socket. */
interface FtpSrvInternals {
  readonly server: Server;
  readonly connections: Record<string, { close(code: number): unknown }>;
  disconnectClient(id: string): Promise<unknown>;
  on(event: "server-error", listener: (event: { error: Error }) => void): void;
  on(event: "connect", listener: (event: { connection: FtpConnection }) => void): void;
}
type SessionSocket = { readonly commandSocket: Socket };

/** ftp-srv logs through a bunyan-style logger; its per-command chatter is not ours to print. */
const quietLog = { child: () => quietLog, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };

/**
 * FTP as a way in (ftp-srv does the protocol): paths are REST paths, the
 * command picks the method and the extension the codec. Logins come from
 * config only; passive mode only, on a configured port range, one passive
 * listener per session at a time.
 */
class FtpListener implements Listener {
  readonly protocol = "ftp";
  readonly name: string;
  readonly #options: FtpListenerOptions & { readonly name: string };
  readonly #server: FtpSrv;
  readonly #control: Server;
  readonly #context: ListenerContext;
  readonly #tls: ServerTls | undefined;

  constructor(options: FtpListenerOptions & { readonly name: string }, context: ListenerContext) {
    this.name = options.name;
    this.#options = options;
    this.#context = context;
    // Explicit FTPS: the session starts plain and turns TLS on AUTH TLS; ftp-srv reads `tls` at each AUTH and PASV.
    const tls = (this.#tls = options.tls === undefined ? undefined : new ServerTls(options.tls, context.baseDirectory, `${context.configPath}.tls`));
    const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
    this.#server = new FtpSrv({
      url: `ftp://${options.host}:${options.port}`,
      pasv_url: options.passiveHost ?? (options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host),
      pasv_min: options.passivePortMin,
      pasv_max: options.passivePortMax,
      anonymous: options.anonymous,
      blacklist: refusedCommands,
      timeout: options.idleTimeout,
      greeting: ["Rosetta FTP: paths are REST paths; STOR x/new.json posts, RETR x/1.xml gets"],
      log: quietLog as never,
      ...(tls === undefined ? {} : { tls: tls.serverOptions() }),
    });
    // ftp-srv exits the process on these signals; the gateway owns its own shutdown.
    for (const signal of signals) for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    const internals = this.#server as unknown as FtpSrvInternals;
    this.#control = internals.server;
    // ftp-srv's own version arms a timer as long as the idle timeout on every disconnect and
    // never clears it, which keeps a stopped gateway's process alive for minutes.
    internals.disconnectClient = async (id) => {
      const client = internals.connections[id];
      delete internals.connections[id];
      client?.close(0);
    };
    // Admission runs before ftp-srv sees a socket: limits per source and overall, and lockouts (see FtpAdmission).
    const admission = new FtpAdmission(options.maxConnections, options.maxConnectionsPerAddress);
    const guard = new LoginGuard(options.maxLoginFailures, options.loginLockout);
    const serveSession = this.#control.listeners("connection")[0] as (socket: Socket) => void;
    this.#control.removeAllListeners("connection");
    this.#control.on("connection", (socket: Socket) => {
      // After AUTH TLS, ftp-srv forwards the TLS layer's errors (a failed handshake) here: the session is over.
      socket.on("error", () => socket.destroy());
      const source = sourceKey(socket.remoteAddress);
      const locked = guard.lockedFor(source);
      const refusal = locked > 0 ? lockoutMessage(locked) : admission.admit(source, socket);
      if (refusal === undefined) serveSession(socket);
      else refuse(socket, refusal);
    });
    this.#server.on("login", ({ connection, username, password }, resolve, reject) => {
      const socket = (connection as unknown as SessionSocket).commandSocket;
      const source = sourceKey(socket.remoteAddress);
      // A locked-out source gets the same reply whoever it claims to be, right password or not.
      const locked = guard.lockedFor(source);
      if (locked > 0) {
        reject(new Error(lockoutMessage(locked)));
        return;
      }
      // With tls, a password never crosses the wire in clear text: AUTH TLS comes first.
      if (tls !== undefined && !(connection as unknown as { secure: boolean }).secure) {
        reject(new Error("this server takes logins over TLS only: send AUTH TLS first"));
        return;
      }
      const expected = Object.hasOwn(options.users, username) ? options.users[username] : undefined;
      const allowed = expected === undefined ? options.anonymous && username === "anonymous" : samePassword(expected, password);
      if (!allowed) {
        reject(new Error(guard.failed(source) ? lockoutMessage(options.loginLockout) : "wrong user name or password"));
        return;
      }
      onePassiveListener(connection);
      const peerTls = peerTlsOf(socket);
      const peer: Peer = {
        address: socket.remoteAddress ?? "unknown",
        port: socket.remotePort ?? 0,
        listener: options.name,
        protocol: "ftp",
        scheme: peerTls === undefined ? "http" : "https",
        ...(peerTls === undefined ? {} : { tls: peerTls }),
      };
      resolve({ fs: new GatewayFileSystem(context, options, peer) as never });
    });
    if (tls !== undefined) internals.on("connect", ({ connection }) => boundAuthHandshake(connection, options.tls?.handshakeTimeout ?? 0));
    this.#server.on("client-error", () => {});
    internals.on("server-error", ({ error }) => context.logger.error("ftp listener error", { listener: options.name, error: String(error) }));
  }

  async start(): Promise<void> {
    const settings = (this.#server as unknown as { options: { tls: TlsOptions | false } }).options;
    this.#tls?.watch((context) => (settings.tls = { ...settings.tls, ...context }), this.#context.logger, this.name);
    await this.#server.listen();
  }

  address(): { host: string; port: number } {
    return boundAddress(this.#control, this.#options);
  }

  async close(graceMs: number): Promise<void> {
    this.#tls?.close();
    if (!this.#control.listening) return;
    const closing = this.#server.close();
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }
}

/**
 * ftp-srv opens a new passive listener on every PASV/EPSV and leaves the
 * previous one waiting for 30 s, so a session could hoard the whole port
 * range. Installing a connector now closes the one it replaces.
 */
function onePassiveListener(connection: FtpConnection): void {
  const session = connection as unknown as PassiveSession;
  let current = session.connector;
  // The last data connector set up; ftp-srv may reset `connector` to an idle one in between.
  let lastData: Connector | undefined;
  const release = (connector: Connector | undefined) => {
    connector?.closeSocket();
    connector?.closeServer();
  };
  Object.defineProperty(connection, "connector", {
    configurable: true,
    get: () => current,
    set: (next: Connector) => {
      current = next;
      if (next.type === false || next === lastData) return;
      if (next.type === "passive") ownPassiveSetup(session, next);
      release(lastData);
      lastData = next;
    },
  });
  (connection as unknown as SessionSocket).commandSocket.once("close", () => release(lastData));
}

/**
 * ftp-srv turns the control socket into TLS on AUTH TLS with a bare
 * TLSSocket: no handshake timeout, and a failed handshake leaves the socket
 * open. The session ends unless the handshake completes within `timeoutMs`.
 */
function boundAuthHandshake(connection: FtpConnection, timeoutMs: number): void {
  const session = connection as unknown as { commandSocket: Socket };
  let current = session.commandSocket;
  const raw = current;
  Object.defineProperty(connection, "commandSocket", {
    configurable: true,
    get: () => current,
    set: (next: Socket) => {
      current = next;
      if (!(next instanceof TLSSocket)) return;
      const timer = setTimeout(() => raw.destroy(), timeoutMs).unref();
      next.once("secure", () => clearTimeout(timer));
      raw.once("close", () => clearTimeout(timer));
    },
  });
}

/** Compares digests, so the time taken says nothing about how much of a password matched. */
function samePassword(expected: string, given: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

export const ftpListenerFactory: ListenerFactory<FtpListenerOptions> = {
  protocol: "ftp",
  optionsSchema: ftpListenerSchema,
  create: (options, context) => new FtpListener(options, context),
};
