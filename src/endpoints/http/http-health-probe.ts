import { Client } from "undici";
import type { HttpHealthCheckOptions } from "../balancing-options.js";
import type { HealthProbe } from "../health-checker.js";

/**
 * GET `path` on each target over a connection of its own (so a pool busy
 * with traffic does not make probes queue and fail); healthy when the status
 * is in `expectStatus`.
 */
export class HttpHealthProbes {
  readonly #clients = new Map<string, Client>();
  readonly #options: HttpHealthCheckOptions;

  constructor(options: HttpHealthCheckOptions) {
    this.#options = options;
  }

  probe(): HealthProbe<{ readonly origin: string }> {
    return async ({ origin }, signal) => {
      let client = this.#clients.get(origin);
      if (client === undefined) {
        client = new Client(origin, { connectTimeout: this.#options.timeout, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: this.#options.interval * 2, pipelining: 1 });
        this.#clients.set(origin, client);
      }
      const response = await client.request({ method: "GET", path: this.#options.path, headers: { "user-agent": "rosetta-health-check" }, signal });
      await response.body.dump();
      const { min, max } = this.#options.expectStatus;
      if (response.statusCode < min || response.statusCode > max) throw new Error(`GET ${this.#options.path} answered ${response.statusCode}`);
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => client.destroy().catch(() => {})));
    this.#clients.clear();
  }
}
