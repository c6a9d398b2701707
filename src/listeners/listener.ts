import type { Handler } from "../core/handler.js";
import type { CodecRegistry } from "../codecs/codec-registry.js";
import type { Registry } from "../core/registry.js";
import type { FrameFormatFactory } from "../frames/frame-format.js";
import type { Logger } from "../observability/logger.js";
import { integer, optional, required, string, withDefault, type Fields, type Schema } from "../options/schema.js";
import { listenerTlsSchema } from "../tls/tls-options.js";

/** What a listener may use of the gateway: one handler that never rejects, and the codecs. */
export interface ListenerContext {
  readonly handle: Handler;
  readonly codecs: CodecRegistry;
  /** Frame formats by name, for framed listeners (`codec` in their options). */
  readonly frameFormats: Registry<FrameFormatFactory>;
  readonly logger: Logger;
  /** The config file's folder: relative file paths in options (TLS certificates) resolve against it. */
  readonly baseDirectory: string;
  /** Where this listener is in the config (`listeners[0]`), for ConfigErrors thrown by `create`. */
  readonly configPath: string;
}

/** A socket owner: wire ⇄ envelope, nothing else. */
export interface Listener {
  readonly name: string;
  readonly protocol: string;
  /** Binds and starts accepting; rejects with the bind error. */
  start(): Promise<void>;
  /** The bound address (port resolved when 0 was configured). */
  address(): { readonly host: string; readonly port: number };
  /**
   * Stops accepting, lets in-flight requests finish for at most `graceMs`,
   * then closes whatever is left.
   */
  close(graceMs: number): Promise<void>;
}

/** The options every listener has; each protocol adds its own. */
export interface ListenerBaseOptions {
  readonly name: string | undefined;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
}

export function listenerBaseFields() {
  return {
    name: withDefault<string | undefined>(
      string({ pattern: /^[A-Za-z0-9_.-]+$/, patternHint: "a name of letters, digits, _ . -" }),
      undefined,
      "a unique name, used in route conditions and logs (default: <protocol>-<port>)",
    ),
    protocol: required(string(), "the wire protocol: http, ws, tcp, udp, ftp"),
    host: withDefault(string(), "0.0.0.0", "the address to bind"),
    port: required(integer({ min: 0, max: 65_535 }), "the port to bind; 0 picks a free one"),
  } satisfies Fields;
}

/** `tls` on a stream listener (http, ws, tcp; explicit FTPS on ftp). */
export function listenerTlsField() {
  return {
    tls: optional(listenerTlsSchema, "serve over TLS: cert and key (PEM files relative to the config file), optionally client certificates verified against ca"),
  } satisfies Fields;
}

export interface ListenerFactory<Options extends ListenerBaseOptions = ListenerBaseOptions> {
  readonly protocol: string;
  readonly optionsSchema: Schema<Options>;
  /** May throw a ConfigError naming `context.configPath` (an unreadable certificate). */
  create(options: Options & { readonly name: string }, context: ListenerContext): Listener;
}
