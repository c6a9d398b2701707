import { createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import { GatewayError } from "../core/gateway-error.js";
import type { RequestEnvelope } from "../core/envelope.js";
import { StatusCode } from "../core/status-code.js";
import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { byteSize, duration, list, map, object, oneOf, optional, refine, string, withDefault, type Infer } from "../options/schema.js";
import { quoted, realmSchema, unauthenticated } from "./auth/challenge.js";
import { headerName } from "./auth/header-name.js";
import { secretString } from "./auth/secret-string.js";
import { algorithmsForKey, isHmac, jwksDefaultAlgorithms, jwtAlgorithms, type JwtAlgorithm } from "./auth/jwt-algorithms.js";
import { describeJwtFailure } from "./auth/jwt-failure.js";
import { JwksCache } from "./auth/jwks-cache.js";
import { cookieValue, headerValue, queryValue } from "./auth/request-parts.js";
import { stringOrList } from "./auth/string-or-list.js";
import { consumerKey } from "./consumer.js";
import type { FilterContext, FilterFactory } from "./filter-factory.js";

const jwtSchema = refine(
  object(
    {
      secret: optional(secretString(/^.{32,}$/s, "a secret of at least 32 characters (an HMAC key as long as its hash)"), "the shared secret for HS256/384/512"),
      publicKey: optional(string(), "a PEM public key or certificate (RSA, EC or Ed25519), inline or as a file path relative to the config file"),
      jwks: optional(string({ pattern: /^https?:\/\/\S+$/, patternHint: "an http(s) URL" }), "the URL of a JSON Web Key Set, fetched at start and refreshed"),
      jwksRefresh: withDefault(duration({ min: 1000 }), 600_000, "a key set older than this is refetched in the background (requests keep using it)"),
      jwksCooldown: withDefault(duration(), 30_000, "least time between fetches caused by requests (an unknown kid, a failed fetch)"),
      jwksTimeout: withDefault(duration({ min: 1 }), 5_000, "bounds each fetch, and how long a request waits for the first key set (then 503)"),
      jwksMaxBytes: withDefault(byteSize({ min: 1024 }), 1024 * 1024, "largest key set document accepted"),
      algorithms: optional(list(oneOf(jwtAlgorithms), { minItems: 1 }), "accepted algorithms (default: HS256 with a secret; the key's own with a publicKey; every asymmetric one with jwks)"),
      issuer: optional(stringOrList, "accepted `iss` value(s)"),
      audience: optional(stringOrList, "accepted `aud` value(s): the token must name one"),
      clockSkew: withDefault(duration(), 30_000, "tolerance on `exp` and `nbf`"),
      query: optional(string({ pattern: /^[^&=#\s]+$/, patternHint: "a query parameter name" }), "also take the token from this query parameter"),
      cookie: optional(string({ pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, patternHint: "a cookie name" }), "also take the token from this cookie"),
      claimsToHeaders: withDefault(map(headerName), {}, "claim → header sent upstream with its value (caller-sent copies are always removed)"),
      consumerClaim: withDefault(string(), "sub", "the claim that names the consumer"),
      maxTokenBytes: withDefault(byteSize({ min: 256 }), 8192, "longest token accepted; longer → 401 before any parsing"),
      realm: withDefault(realmSchema, "rosetta", "the realm named in WWW-Authenticate"),
    },
    "jwt options",
  ),
  (value, context) => {
    const sources = [value.secret, value.publicKey, value.jwks].filter((source) => source !== undefined).length;
    return sources === 1 ? value : context.report(sources === 0 ? ConfigErrorCode.REQUIRED : ConfigErrorCode.VALUE, 'give exactly one of "secret", "publicKey" or "jwks"');
  },
);

type JwtOptions = Infer<typeof jwtSchema>;

interface Verifier {
  readonly algorithms: readonly JwtAlgorithm[];
  verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload>;
}

/**
 * JSON Web Tokens: `- jwt: { jwks: "https://idp/jwks.json", issuer: …, audience: orders, claimsToHeaders: { sub: x-user-id } }`.
 * The key (or the key set's cache) and the verify options are built once;
 * a request costs one signature check.
 */
export const jwtFilter: FilterFactory<JwtOptions> = {
  name: "jwt",
  description: "authenticate callers by a signed JWT (HS, RS, PS, ES, EdDSA; secret, public key or JWKS); 401 otherwise",
  optionsSchema: jwtSchema,
  create(options, context) {
    const verifier = createVerifier(options, context);
    const verifyOptions: JWTVerifyOptions = {
      algorithms: [...verifier.algorithms],
      clockTolerance: options.clockSkew / 1000,
      ...(options.issuer === undefined ? {} : { issuer: [...options.issuer] }),
      ...(options.audience === undefined ? {} : { audience: [...options.audience] }),
    };
    const realm = `realm=${quoted(options.realm)}`;
    const askForToken = `Bearer ${realm}`;
    const invalid = (description: string) => unauthenticated(description, `Bearer ${realm}, error="invalid_token", error_description=${quoted(description)}`);
    const claims = Object.entries(options.claimsToHeaders);
    const { consumerClaim, maxTokenBytes } = options;
    const tokenOf = (request: RequestEnvelope): string | undefined => {
      const bearer = /^Bearer +(\S+) *$/i.exec(headerValue(request.headers, "authorization") ?? "")?.[1];
      if (bearer !== undefined) return bearer;
      if (options.query !== undefined) {
        const fromQuery = queryValue(request.rawQuery, options.query);
        if (fromQuery !== undefined && fromQuery !== "") return fromQuery;
      }
      return options.cookie === undefined ? undefined : cookieValue(request.headers, options.cookie);
    };
    return (next) => async (request) => {
      // Only this filter may set these: whatever the caller sent under those names goes, whatever happens next.
      for (const [, header] of claims) delete request.headers[header];
      const token = tokenOf(request);
      if (token === undefined || token === "") throw unauthenticated("a bearer token is required", askForToken);
      if (token.length > maxTokenBytes) throw invalid(`the token is longer than ${maxTokenBytes} bytes`);
      let payload: JWTPayload;
      try {
        payload = await verifier.verify(token, verifyOptions);
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        throw invalid(describeJwtFailure(error));
      }
      for (const [claim, header] of claims) {
        const value = claimText(payload[claim]);
        if (value !== undefined) request.headers[header] = value;
      }
      const consumer = claimText(payload[consumerClaim]);
      if (consumer !== undefined) request.context.set(consumerKey, consumer);
      return next(request);
    };
  },
};

/**
 * A claim as a header value: a string as it is, anything else as JSON;
 * absent → undefined. A value with characters outside printable ASCII is
 * percent-encoded (UTF-8), since a header cannot carry them as they are.
 */
function claimText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

function createVerifier(options: JwtOptions, context: FilterContext): Verifier {
  const fail = (key: string, message: string): never => {
    throw new ConfigError([{ code: ConfigErrorCode.VALUE, path: `${context.configPath}.${key}`, message }]);
  };
  const checkAlgorithms = (usable: (algorithm: JwtAlgorithm) => boolean, defaults: readonly JwtAlgorithm[], what: string): readonly JwtAlgorithm[] => {
    const algorithms = options.algorithms ?? defaults;
    const unusable = algorithms.filter((algorithm) => !usable(algorithm));
    if (unusable.length > 0) fail("algorithms", `${unusable.join(", ")} cannot be verified with ${what}`);
    return algorithms;
  };
  if (options.secret !== undefined) {
    const secret = new TextEncoder().encode(options.secret);
    const algorithms = checkAlgorithms(isHmac, ["HS256"], "a secret (only HS256/384/512 do)");
    return { algorithms, verify: async (token, verifyOptions) => (await jwtVerify(token, secret, verifyOptions)).payload };
  }
  if (options.publicKey !== undefined) {
    const key = publicKeyOf(options.publicKey, context.baseDirectory, (message) => fail("publicKey", message));
    const usable = algorithmsForKey(key);
    const defaults = key.asymmetricKeyType === "rsa" ? usable.slice(0, 1) : usable;
    const algorithms = checkAlgorithms((algorithm) => usable.includes(algorithm), defaults, `this ${key.asymmetricKeyType ?? "unknown"} key`);
    return { algorithms, verify: async (token, verifyOptions) => (await jwtVerify(token, key, verifyOptions)).payload };
  }
  const cache = new JwksCache({ url: options.jwks!, refresh: options.jwksRefresh, cooldown: options.jwksCooldown, timeout: options.jwksTimeout, maxBytes: options.jwksMaxBytes }, context.logger);
  context.onClose(() => cache.close());
  const algorithms = checkAlgorithms((algorithm) => !isHmac(algorithm), jwksDefaultAlgorithms, "a JWKS (HMAC secrets are never published in one)");
  const unavailable = () => new GatewayError(StatusCode.UNAVAILABLE, "the token cannot be checked: the JWKS has not been loaded", { metadata: { "retry-after": "1" } });
  const verifyWith = async (keys: JWTVerifyGetKey, token: string, verifyOptions: JWTVerifyOptions) => (await jwtVerify(token, keys, verifyOptions)).payload;
  return {
    algorithms,
    async verify(token, verifyOptions) {
      const keys = await cache.keys();
      if (keys === undefined) throw unavailable();
      try {
        return await verifyWith(keys, token, verifyOptions);
      } catch (error) {
        // A key the set lacks may have been added by a rotation: refetch (rate-limited) and try once more.
        if (!(error instanceof Error && "code" in error && error.code === "ERR_JWKS_NO_MATCHING_KEY") || !(await cache.refetch())) throw error;
        const fresh = await cache.keys();
        if (fresh === undefined) throw unavailable();
        return await verifyWith(fresh, token, verifyOptions);
      }
    },
  };
}

/** A PEM given inline, or read from a file relative to the config; errors say what is wrong, never the key. */
function publicKeyOf(value: string, baseDirectory: string, fail: (message: string) => never): KeyObject {
  let pem = value;
  if (!value.includes("-----BEGIN")) {
    try {
      pem = readFileSync(resolve(baseDirectory, value), "utf8");
    } catch (error) {
      return fail(`cannot read the public key file "${value}": ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return fail("not a PEM public key or certificate");
  }
  if (algorithmsForKey(key).length === 0) fail(`a ${key.asymmetricKeyType ?? "unknown"} key verifies no JWS algorithm (RSA, EC P-256/384/521 and Ed25519 do)`);
  return key;
}
