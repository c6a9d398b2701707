import { request as httpRequest, type ClientRequest } from "node:http";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { duration, list, object, required, string, withDefault, type Infer } from "../options/schema.js";
import type { Logger } from "../observability/logger.js";

const endpointSchema = string({ pattern: /^http:\/\/[^/\s]+\/?$/, patternHint: "an etcd client URL such as http://127.0.0.1:2379" });

/** `configSource.etcd`: where a fleet's config lives. */
export const etcdSourceSchema = object(
  {
    endpoints: required(list(endpointSchema, { minItems: 1 }), "etcd client URLs (v3 JSON gateway), tried in turn"),
    key: required(string({ pattern: /^\S+$/, patternHint: "an etcd key such as /rosetta/gateway" }), "the key that holds the whole config document (YAML or JSON)"),
    timeout: withDefault(duration({ min: 1 }), 5000, "how long one read of the key may take per endpoint"),
  },
  "etcd source",
);

export const configSourceSchema = object({ etcd: required(etcdSourceSchema, "read the config from an etcd key and reload when it changes") }, "config source");

export type EtcdSource = Infer<typeof etcdSourceSchema>;

/** The key's text, and the etcd revision it was read at (the watch starts after it). */
export interface EtcdRead {
  readonly text: string;
  readonly revision: number;
}

/** Where problems in the key's document are located: `etcd:<key>:line:col`. */
export function etcdLocation(source: EtcdSource): string {
  return `etcd:${source.key}`;
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const trimSlash = (endpoint: string) => endpoint.replace(/\/$/, "");

/**
 * Reads the key through etcd's v3 JSON gateway (POST /v3/kv/range), trying
 * each endpoint in turn; the first that answers wins. A missing key is an
 * answer (the fleet has no config yet), not a reason to try another member.
 */
export async function readEtcdKey(source: EtcdSource): Promise<EtcdRead> {
  const failures: string[] = [];
  for (const endpoint of source.endpoints) {
    let body: { header?: { revision?: string }; kvs?: { value?: string }[] };
    try {
      const response = await fetch(`${trimSlash(endpoint)}/v3/kv/range`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: base64(source.key) }),
        signal: AbortSignal.timeout(source.timeout),
      });
      if (!response.ok) {
        failures.push(`${endpoint}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
        continue;
      }
      body = (await response.json()) as typeof body;
    } catch (error) {
      failures.push(`${endpoint}: ${describe(error, source.timeout)}`);
      continue;
    }
    const value = body.kvs?.[0]?.value;
    if (value === undefined) throw readError(source, `the etcd key ${source.key} does not exist (read from ${endpoint})`);
    return { text: Buffer.from(value, "base64").toString("utf8"), revision: Number(body.header?.revision ?? 0) };
  }
  throw readError(source, `cannot read the etcd key ${source.key}: ${failures.join("; ")}`);
}

function readError(source: EtcdSource, message: string): ConfigError {
  return new ConfigError([{ code: ConfigErrorCode.READ, path: "", message, location: etcdLocation(source) }]);
}

function describe(error: unknown, timeout: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `no answer within ${timeout} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

export interface EtcdWatchOptions {
  /** Events after this revision are reported (the revision the config was read at); default: from now. */
  readonly afterRevision?: number;
  readonly logger: Logger;
  /** First reconnect delay; doubles up to maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Calls `changed` when the key is put or deleted, through a long-lived POST
 * /v3/watch (one JSON message per line). When the stream drops (etcd
 * restarted, a member lost) it reconnects with backoff to the next endpoint,
 * from the last revision it saw, so a change made meanwhile is still seen.
 * Unref'd: the watch never keeps the process alive; close() ends it.
 */
export function watchEtcdKey(source: EtcdSource, changed: () => void, options: EtcdWatchOptions): { close(): void } {
  const { logger } = options;
  const firstBackoff = options.backoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  let nextRevision = options.afterRevision === undefined ? undefined : options.afterRevision + 1;
  let endpointIndex = 0;
  let backoff = firstBackoff;
  let closed = false;
  let current: ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lostLogged = false;

  const reconnect = (why: string) => {
    current = undefined;
    if (closed || timer !== undefined) return;
    if (!lostLogged) logger.warn("etcd watch lost; reconnecting", { key: source.key, endpoint: source.endpoints[endpointIndex], why });
    lostLogged = true;
    endpointIndex = (endpointIndex + 1) % source.endpoints.length;
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, backoff).unref();
    backoff = Math.min(backoff * 2, maxBackoff);
  };

  const connect = () => {
    if (closed) return;
    const endpoint = source.endpoints[endpointIndex]!;
    const createRequest: Record<string, unknown> = { key: base64(source.key) };
    if (nextRevision !== undefined) createRequest.start_revision = String(nextRevision);
    const request = httpRequest(`${trimSlash(endpoint)}/v3/watch`, { method: "POST", headers: { "content-type": "application/json" } });
    current = request;
    request.on("socket", (socket) => socket.unref());
    request.on("error", (error) => {
      if (current === request) reconnect(describe(error, 0));
    });
    request.on("response", (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reconnect(`HTTP ${response.statusCode}`);
        return;
      }
      let pending = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf("\n");
        while (newline >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line !== "") onMessage(line, endpoint, request);
          newline = pending.indexOf("\n");
        }
      });
      // "close" rather than "end": a server that dies mid-stream aborts the response without ending it.
      response.on("close", () => {
        if (current === request) reconnect("the stream ended");
      });
      response.on("error", () => undefined);
    });
    request.end(JSON.stringify({ create_request: createRequest }));
  };

  interface WatchMessage {
    result?: { header?: { revision?: string }; created?: boolean; canceled?: boolean; compact_revision?: string; events?: { type?: string; kv?: { mod_revision?: string } }[] };
    error?: { message?: string };
  }

  const onMessage = (line: string, endpoint: string, request: ClientRequest) => {
    let message: WatchMessage;
    try {
      message = JSON.parse(line) as WatchMessage;
    } catch {
      return;
    }
    const result = message.result;
    if (result === undefined) {
      request.destroy();
      if (current === request) reconnect(message.error?.message ?? "an error from etcd");
      return;
    }
    if (result.created === true) {
      if (lostLogged) logger.info("etcd watch restored", { key: source.key, endpoint });
      lostLogged = false;
      backoff = firstBackoff;
    }
    if (result.compact_revision !== undefined && result.compact_revision !== "0") {
      // The revisions we missed are gone: watch from now, and reload once to be current.
      nextRevision = undefined;
      request.destroy();
      if (current === request) reconnect("revisions compacted");
      changed();
      return;
    }
    const events = result.events ?? [];
    for (const event of events) {
      const revision = Number(event.kv?.mod_revision ?? 0);
      if (revision > 0) nextRevision = revision + 1;
    }
    if (nextRevision === undefined && result.header?.revision !== undefined) nextRevision = Number(result.header.revision) + 1;
    // PUT is etcd's default event type, so it is absent from the JSON.
    if (events.length > 0) changed();
  };

  connect();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      current?.destroy();
      current = undefined;
    },
  };
}
