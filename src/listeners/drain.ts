/** A connection a listener can wind down: asked to end once idle, cut when the grace is over. */
export interface DrainableConnection {
  /** Calls are open on it. */
  readonly busy: boolean;
  /** A graceful close (TCP FIN, WebSocket 1001). */
  end(): void;
  destroy(): void;
}

/**
 * Ends idle connections at once and busy ones as their calls finish, for at
 * most `graceMs`; whatever is left then is destroyed. `connections` is the
 * listener's live set (entries leave it as they close).
 */
export async function drainConnections(connections: ReadonlySet<DrainableConnection>, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    for (const connection of connections) if (!connection.busy) connection.end();
    if (connections.size === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const connection of connections) connection.destroy();
}
