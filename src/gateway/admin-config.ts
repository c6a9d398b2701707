import { boolean, integer, object, optional, string, withDefault, type Infer } from "../options/schema.js";

const readinessSchema = object(
  {
    requireHealthyTargets: withDefault(boolean(), true, "/readyz answers 503 while a service some route uses has no healthy target (for services that track health)"),
  },
  "readiness",
);

/** `admin:` — the admin listener; absent, there is none. */
export const adminSchema = object(
  {
    host: withDefault(string(), "127.0.0.1", "the address to bind; loopback by default so only this machine reaches it"),
    port: withDefault(integer({ min: 0, max: 65_535 }), 9901, "the port to bind; 0 picks a free one"),
    token: optional(string({ pattern: /^\S{16,}$/, patternHint: "at least 16 characters without spaces" }), "a bearer token every admin request must send (Authorization: Bearer …)"),
    readiness: withDefault(readinessSchema, { requireHealthyTargets: true }, "what /readyz checks besides config loaded and listeners bound"),
  },
  "admin options",
);

export type AdminConfig = Infer<typeof adminSchema>;
