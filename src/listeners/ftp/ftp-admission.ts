import type { Socket } from "node:net";

/** One admitted control connection: when it last sent anything, to pick the idlest one to evict. */
interface Session {
  readonly socket: Socket;
  /** A sequence number rather than a clock: two commands in one millisecond still have an order. */
  lastActive: number;
}

/** Why a connection was not admitted, as the text of its 421 reply. */
export type Refusal = string;

/**
 * Who gets a control connection. One source (see `sourceKey`) holds at most
 * `maxPerSource` connections. When all `maxConnections` are taken, a newcomer
 * still gets in if some source holds more connections than the newcomer's own
 * source does: that source's idlest connection is closed with a 421 to make
 * room. So a new source always gets in, and idle sessions of one source can
 * never lock out the others; at worst, sources end up with equal shares.
 */
export class FtpAdmission {
  readonly #maxConnections: number;
  readonly #maxPerSource: number;
  readonly #bySource = new Map<string, Set<Session>>();
  #total = 0;
  #activity = 0;

  /** Either limit 0 means no limit. */
  constructor(maxConnections: number, maxPerSource: number) {
    this.#maxConnections = maxConnections;
    this.#maxPerSource = maxPerSource;
  }

  /** Admits the socket (tracking it until it closes), or says why not. May close another source's idlest connection. */
  admit(source: string, socket: Socket): Refusal | undefined {
    const own = this.#bySource.get(source)?.size ?? 0;
    if (this.#maxPerSource > 0 && own >= this.#maxPerSource) return `too many connections from your address (at most ${this.#maxPerSource}); close one and retry`;
    if (this.#maxConnections > 0 && this.#total >= this.#maxConnections) {
      const victim = this.#idlestOfLargestSource(own);
      if (victim === undefined) return "the server is full; retry later";
      this.#forget(victim.source, victim.session);
      refuse(victim.session.socket, "the server is full and your address holds the most connections; closing your idlest one");
    }
    const session: Session = { socket, lastActive: ++this.#activity };
    let sessions = this.#bySource.get(source);
    if (sessions === undefined) this.#bySource.set(source, (sessions = new Set()));
    sessions.add(session);
    this.#total++;
    socket.on("data", () => (session.lastActive = ++this.#activity));
    socket.once("close", () => this.#forget(source, session));
    return undefined;
  }

  /** The least recently active connection among the sources holding the most, if they hold more than `own`. */
  #idlestOfLargestSource(own: number): { source: string; session: Session } | undefined {
    let largest = own;
    for (const sessions of this.#bySource.values()) largest = Math.max(largest, sessions.size);
    if (largest <= own) return undefined;
    let victim: { source: string; session: Session } | undefined;
    for (const [source, sessions] of this.#bySource) {
      if (sessions.size !== largest) continue;
      for (const session of sessions) if (victim === undefined || session.lastActive < victim.session.lastActive) victim = { source, session };
    }
    return victim;
  }

  #forget(source: string, session: Session): void {
    const sessions = this.#bySource.get(source);
    if (sessions?.delete(session) !== true) return;
    this.#total--;
    if (sessions.size === 0) this.#bySource.delete(source);
  }
}

/** How long a refused peer may take to read its 421 before the socket is destroyed. */
const refusalLingerMs = 2000;

/**
 * Ends a control connection with one 421 line. Errors (a peer that resets) are
 * swallowed, what the peer sends is discarded, and the socket is destroyed
 * when the peer has not closed within a short linger (the timer is cleared on close).
 */
export function refuse(socket: Socket, message: string): void {
  socket.on("error", () => {});
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), refusalLingerMs).unref();
  socket.once("close", () => clearTimeout(timer));
  socket.resume();
  socket.end(`421 ${message.replace(/[\r\n]+/g, " ")}\r\n`);
}
