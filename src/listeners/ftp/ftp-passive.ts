import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";

/** The parts of ftp-srv's connectors (src/connector/*.js) this file touches. */
export interface Connector {
  type: string | false;
  dataServer: Server | null;
  dataSocket: (Socket & { connected?: boolean }) | null;
  closeSocket(): void;
  closeServer(): void;
  end(): void;
  setupServer(): PromiseLike<Server>;
}

/** The parts of ftp-srv's connection a passive listener needs. */
export interface PassiveSession {
  readonly commandSocket: Socket;
  readonly connector: Connector;
  /** After AUTH TLS: data connections are TLS too (PROT P). */
  readonly secure: boolean;
  readonly server: { getNextPasvPort(): PromiseLike<number>; readonly url: { readonly hostname: string }; readonly options: { readonly tls: TlsOptions | false } };
}

/** How long a passive listener waits for its data connection (ftp-srv's figure). */
const connectTimeoutMs = 30_000;

/**
 * Replaces ftp-srv's passive `setupServer` for one connector. Its version
 * crashes the process when a data connection is reset before it is accepted
 * (it compares `remoteAddress`, then undefined, with a function that throws),
 * lets a stranger's connection to the port close the whole session, and arms
 * a 30 s timer it never clears (keeping a stopped gateway alive). Here a data
 * socket always has an error handler, strangers are just dropped, the timer
 * is cleared and unref'd, and a listener whose connector was already replaced
 * (two PASV in a row) is never opened.
 */
export function ownPassiveSetup(session: PassiveSession, connector: Connector): void {
  connector.setupServer = async () => {
    connector.closeServer();
    const port = await session.server.getNextPasvPort();
    if (session.connector !== connector || session.commandSocket.destroyed) throw Object.assign(new Error("the passive request was superseded"), { code: 425 });
    connector.dataSocket = null;
    const owner = plainAddress(session.commandSocket.remoteAddress);
    const tls = session.secure ? session.server.options.tls : false;
    const accept = (socket: Socket) => {
      // A reset data socket is the transfer's failure, which RETR/STOR report on the control connection.
      socket.on("error", () => {});
      if (owner === undefined || plainAddress(socket.remoteAddress) !== owner || connector.dataSocket !== null) {
        socket.destroy();
        return;
      }
      clearTimeout(idle);
      connector.dataSocket = Object.assign(socket, { connected: true });
      socket.once("close", () => connector.closeServer());
    };
    // A TLS data listener hands over its socket after the handshake; one that fails it is dropped by node:tls.
    const server = tls === false ? createServer({ pauseOnConnect: true }, accept) : createTlsServer({ ...tls, pauseOnConnect: true }, accept);
    // node:tls leaves a socket whose handshake failed or timed out open.
    server.on("tlsClientError", (_error, socket) => socket.destroy());
    server.maxConnections = 1;
    server.on("error", () => {});
    // Closing a listener ends its connector only while it is the session's current one.
    server.once("close", () => {
      clearTimeout(idle);
      if (session.connector === connector) connector.end();
    });
    const idle = setTimeout(() => connector.closeServer(), connectTimeoutMs).unref();
    connector.dataServer = server;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(idle);
        reject(error);
      };
      server.once("error", fail);
      server.listen(port, session.server.url.hostname, () => {
        server.off("error", fail);
        resolve();
      });
    });
    return server;
  };
}

/** The peer's address with IPv4-mapped IPv6 unwrapped; undefined for a socket already reset. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(?=\d+\.)/i, "");
}
