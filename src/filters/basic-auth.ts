import bcrypt from "bcryptjs";
import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";
import { boolean, duration, integer, map, object, optional, required, withDefault, type Infer } from "../options/schema.js";
import { quoted, realmSchema, unauthenticated } from "./auth/challenge.js";
import { headerName } from "./auth/header-name.js";
import { headerValue } from "./auth/request-parts.js";
import { secretString } from "./auth/secret-string.js";
import { VerifiedCredentials } from "./auth/verified-credentials.js";
import { consumerKey } from "./consumer.js";
import type { FilterFactory } from "./filter-factory.js";

const bcryptHash = secretString(/^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/, 'a bcrypt hash ("$2b$10$…", 60 characters)');

const basicAuthSchema = object(
  {
    users: required(map(bcryptHash, { keyPattern: /^[^:\s]{1,128}$/, keyHint: "a user name of 1 to 128 characters without colon or space" }), "user name → bcrypt hash of the password"),
    realm: withDefault(realmSchema, "rosetta", "the realm named in WWW-Authenticate"),
    forward: optional(headerName, "send the user name upstream in this header (a caller-sent copy is always removed)"),
    keepCredentials: withDefault(boolean(), false, "send the Authorization header upstream too (by default it is removed: the upstream never sees the password)"),
    cacheTtl: withDefault(duration(), 60_000, "how long a successful check is remembered (bcrypt runs once per user and password in that time); 0s disables"),
    cacheSize: withDefault(integer({ min: 0, max: 1_000_000 }), 1000, "most remembered checks; the oldest goes first"),
    maxConcurrentChecks: withDefault(integer({ min: 1, max: 10_000 }), 16, "bcrypt checks running at once; more → 503 (a flood of wrong passwords cannot take all the CPU)"),
  },
  "basic-auth options",
);

type BasicAuthOptions = Infer<typeof basicAuthSchema>;

/**
 * HTTP Basic authentication against bcrypt hashes: `- basic-auth: { users: { ops: "$2b$10$…" } }`.
 * bcrypt is slow on purpose, so a successful check is remembered briefly
 * (VerifiedCredentials) and checks in flight are capped.
 */
export const basicAuthFilter: FilterFactory<BasicAuthOptions> = {
  name: "basic-auth",
  description: "authenticate callers by HTTP Basic credentials checked against bcrypt hashes; 401 otherwise",
  optionsSchema: basicAuthSchema,
  create(options) {
    const users = new Map(Object.entries(options.users));
    // An unknown user still costs one bcrypt check, against a configured hash, so timing does not tell which names exist.
    const decoy = users.values().next().value;
    const verified = new VerifiedCredentials(options.cacheTtl, options.cacheSize);
    const challenge = `Basic realm=${quoted(options.realm)}, charset="UTF-8"`;
    const { forward, keepCredentials, maxConcurrentChecks } = options;
    let checking = 0;
    const check = async (password: string, hash: string): Promise<boolean> => {
      if (checking >= maxConcurrentChecks) throw new GatewayError(StatusCode.UNAVAILABLE, "too many password checks at once; try again", { metadata: { "retry-after": "1" } });
      checking++;
      try {
        return await bcrypt.compare(password, hash);
      } finally {
        checking--;
      }
    };
    return (next) => async (request) => {
      if (forward !== undefined) delete request.headers[forward];
      const encoded = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(headerValue(request.headers, "authorization") ?? "")?.[1];
      if (encoded === undefined) throw unauthenticated("credentials are required (HTTP Basic)", challenge);
      const decoded = Buffer.from(encoded, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) throw unauthenticated("the Basic credentials are not user:password", challenge);
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      const hash = users.get(user);
      const id = hash === undefined ? undefined : verified.idOf(user, password, hash);
      if (id === undefined || !verified.has(id)) {
        const against = hash ?? decoy;
        const matches = against !== undefined && (await check(password, against));
        // One message for an unknown user and a wrong password.
        if (id === undefined || !matches) throw unauthenticated("the user name or password is not valid", challenge);
        verified.add(id);
      }
      if (!keepCredentials) delete request.headers.authorization;
      if (forward !== undefined) request.headers[forward] = user;
      request.context.set(consumerKey, user);
      return next(request);
    };
  },
};
