import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from "jose";
import { createGateway } from "../../../src/index.js";
import { ConfigError } from "../../../src/options/error-codes.js";
import { wsClient } from "../../helpers/frame-clients.js";
import { waitFor } from "../../helpers/wait.js";
import { startAuthGateway, type AuthGateway } from "./auth-gateway.js";
import { startJwksServer, type JwksServer } from "./jwks-server.js";

/**
 * jwt over real sockets, against a real node:http JWKS server; every key is
 * made at test time with jose's generateKeyPair.
 */
interface Context {
  gw: AuthGateway;
  idp: JwksServer;
  rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  rotated: { privateKey: CryptoKey; publicKey: CryptoKey };
}
const jwt = suite<Context>("jwt");

const issuer = "https://idp.test/";
const secret = "a-shared-hmac-secret-of-at-least-32-chars";
const now = () => Math.floor(Date.now() / 1000);

const publicJwk = async (key: CryptoKey, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg, use: "sig" });

interface TokenSpec {
  readonly key: CryptoKey | Uint8Array;
  readonly alg: string;
  readonly kid?: string;
  readonly claims?: Record<string, unknown>;
  readonly iss?: string;
  readonly aud?: string;
  readonly exp?: number;
  readonly nbf?: number;
}

function sign(spec: TokenSpec): Promise<string> {
  const token = new SignJWT({ scope: "orders:read", ...spec.claims })
    .setProtectedHeader({ alg: spec.alg, ...(spec.kid === undefined ? {} : { kid: spec.kid }) })
    .setSubject("user-42")
    .setIssuer(spec.iss ?? issuer)
    .setAudience(spec.aud ?? "orders")
    .setIssuedAt()
    .setExpirationTime(spec.exp ?? now() + 300);
  if (spec.nbf !== undefined) token.setNotBefore(spec.nbf);
  return token.sign(spec.key);
}

jwt.before(async (context) => {
  context.rsa = await generateKeyPair("RS256", { extractable: true });
  context.ec = await generateKeyPair("ES256", { extractable: true });
  context.rotated = await generateKeyPair("ES256", { extractable: true });
  context.idp = await startJwksServer([await publicJwk(context.rsa.publicKey, "rsa-1", "RS256"), await publicJwk(context.ec.publicKey, "ec-1", "ES256")]);
  const checked = { issuer, audience: ["orders", "billing"], algorithms: ["RS256", "ES256"] };
  context.gw = await startAuthGateway((service) => [
    {
      id: "jwks",
      match: { path: "/jwks/**" },
      filters: [{ jwt: { jwks: context.idp.url, ...checked, claimsToHeaders: { sub: "X-User-Id", scope: "x-scope", roles: "x-roles" } } }, "show-consumer"],
      upstream: { service },
    },
    {
      // Refetches as often as unknown kids ask, and refreshes every second: for rotation and outage.
      id: "eager",
      match: { path: "/eager/**" },
      filters: [{ jwt: { jwks: context.idp.url, ...checked, jwksCooldown: "0s", jwksRefresh: "1s" } }],
      upstream: { service },
    },
    {
      id: "hs",
      match: { path: "/hs/**" },
      filters: [{ jwt: { secret, query: "access_token", cookie: "session", consumerClaim: "email", clockSkew: "0s" } }, "show-consumer"],
      upstream: { service },
    },
  ]);
});

jwt.after(async ({ gw, idp }) => {
  await gw.close();
  await idp.close();
});

const get = (gw: AuthGateway, path: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { headers: { ...headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } });

const invalidToken = (description: string) => `Bearer realm="rosetta", error="invalid_token", error_description="${description}"`;

jwt("no token → 401 with a bare Bearer challenge (no error code: the caller just has not authenticated)", async ({ gw }) => {
  const response = await get(gw, "/jwks/a");
  assert.is(response.status, 401);
  assert.is(response.headers.get("www-authenticate"), 'Bearer realm="rosetta"');
  assert.is(((await response.json()) as { code: number }).code, 16);
});

jwt("a valid RS256 token from the JWKS: claims become headers, caller-sent copies are replaced or dropped, the consumer is sub", async ({ gw, rsa }) => {
  const token = await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1" });
  const response = await get(gw, "/jwks/a", token, { "x-user-id": "admin", "x-roles": "superuser" });
  assert.is(response.status, 200);
  assert.is(response.headers.get("x-seen-consumer"), "user-42");
  const seen = gw.upstream.received.at(-1)!.headers;
  assert.is(seen["x-user-id"], "user-42");
  assert.is(seen["x-scope"], "orders:read");
  // The token has no roles claim: the caller's copy is gone, nothing replaces it.
  assert.is(seen["x-roles"], undefined);
  assert.is(seen.authorization, `Bearer ${token}`);
});

jwt("an ES256 token from the same key set; a non-string claim is sent as JSON, a non-ASCII one percent-encoded", async ({ gw, ec }) => {
  const token = await sign({ key: ec.privateKey, alg: "ES256", kid: "ec-1", claims: { scope: ["a", "b"], roles: "räte 日本" } });
  const response = await get(gw, "/jwks/b", token);
  assert.is(response.status, 200);
  assert.is(gw.upstream.received.at(-1)!.headers["x-scope"], '["a","b"]');
  assert.is(gw.upstream.received.at(-1)!.headers["x-roles"], encodeURIComponent("räte 日本"));
});

jwt("time: expired → 401; expired within the 30 s clock skew → accepted; not yet valid → 401", async ({ gw, rsa }) => {
  const expired = await get(gw, "/jwks/t", await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1", exp: now() - 120 }));
  assert.is(expired.status, 401);
  assert.is(expired.headers.get("www-authenticate"), invalidToken("the token has expired"));
  const skewed = await get(gw, "/jwks/t", await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1", exp: now() - 5 }));
  assert.is(skewed.status, 200);
  const early = await get(gw, "/jwks/t", await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1", nbf: now() + 120 }));
  assert.is(early.status, 401);
  assert.is(early.headers.get("www-authenticate"), invalidToken("the token is not valid yet"));
});

jwt("claims: a wrong audience or issuer → 401 saying which", async ({ gw, rsa }) => {
  const audience = await get(gw, "/jwks/c", await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1", aud: "payments" }));
  assert.is(audience.status, 401);
  assert.is(audience.headers.get("www-authenticate"), invalidToken("the token's audience is not accepted"));
  const second = await get(gw, "/jwks/c", await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1", aud: "billing" }));
  assert.is(second.status, 200);
  const wrongIssuer = await get(gw, "/jwks/c", await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1", iss: "https://evil.test/" }));
  assert.is(wrongIssuer.status, 401);
  assert.is(wrongIssuer.headers.get("www-authenticate"), invalidToken("the token's issuer is not accepted"));
});

jwt("algorithms: one outside the allow-list (RS384 with the same key), HS256 against a key set, and alg none are refused", async ({ gw, rsa }) => {
  // WebCrypto binds a key to its hash: the same RSA key, imported for RS384.
  const sameKeyRs384 = await importPKCS8(await exportPKCS8(rsa.privateKey), "RS384");
  const rs384 = await get(gw, "/jwks/alg", await sign({ key: sameKeyRs384, alg: "RS384", kid: "rsa-1" }));
  assert.is(rs384.status, 401);
  assert.is(rs384.headers.get("www-authenticate"), invalidToken("the token's algorithm is not accepted"));
  const hmac = await get(gw, "/jwks/alg", await sign({ key: new TextEncoder().encode(secret), alg: "HS256", kid: "rsa-1" }));
  assert.is(hmac.status, 401);
  const unsecured = new UnsecuredJWT({ sub: "root" }).setIssuer(issuer).setAudience("orders").setExpirationTime("5m").encode();
  for (const path of ["/jwks/alg", "/hs/alg"]) {
    const none = await get(gw, path, unsecured);
    assert.is(none.status, 401, path);
    assert.match(none.headers.get("www-authenticate") ?? "", 'error="invalid_token"');
  }
});

jwt("a tampered payload or a key of another issuer with a known kid → the signature does not verify", async ({ gw, rsa }) => {
  const token = await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1" });
  const [header, , signature] = token.split(".");
  const forged = Buffer.from(JSON.stringify({ sub: "root", iss: issuer, aud: "orders", exp: now() + 300 })).toString("base64url");
  const tampered = await get(gw, "/jwks/s", `${header}.${forged}.${signature}`);
  assert.is(tampered.status, 401);
  assert.is(tampered.headers.get("www-authenticate"), invalidToken("the token's signature does not verify"));
  const other = await generateKeyPair("RS256");
  const impostor = await get(gw, "/jwks/s", await sign({ key: other.privateKey, alg: "RS256", kid: "rsa-1" }));
  assert.is(impostor.status, 401);
  const garbage = await get(gw, "/jwks/s", "not.a.token");
  assert.is(garbage.status, 401);
  assert.is(garbage.headers.get("www-authenticate"), invalidToken("the token is malformed or cannot be verified"));
});

jwt("an unknown kid refetches the key set at most once per cooldown (30 s by default)", async ({ gw, idp }) => {
  const stranger = await generateKeyPair("ES256");
  const before = idp.hits;
  for (let index = 0; index < 5; index++) {
    const response = await get(gw, "/jwks/k", await sign({ key: stranger.privateKey, alg: "ES256", kid: `unknown-${index}` }));
    assert.is(response.status, 401);
    assert.is(response.headers.get("www-authenticate"), invalidToken("no key of the key set matches the token"));
  }
  // The route's set was fetched at start, less than a cooldown ago: made-up kids fetch nothing.
  assert.is(idp.hits, before);
});

jwt("rotation: a token signed by a key added to the JWKS after start is accepted (the unknown kid refetches)", async ({ gw, idp, rotated }) => {
  const token = await sign({ key: rotated.privateKey, alg: "ES256", kid: "ec-2" });
  assert.is((await get(gw, "/eager/r", token)).status, 401);
  idp.keys = [...idp.keys, await publicJwk(rotated.publicKey, "ec-2", "ES256")];
  const before = idp.hits;
  const response = await get(gw, "/eager/r", token);
  assert.is(response.status, 200);
  assert.is(idp.hits, before + 1);
});

jwt("outage: while the JWKS answers 500, a stale key set keeps serving; the failure is logged without any token", async ({ gw, idp, rsa }) => {
  const token = await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1" });
  assert.is((await get(gw, "/eager/o", token)).status, 200);
  idp.mode = "fail";
  const before = idp.hits;
  try {
    // The set goes stale after 1 s; the next request starts a background refetch, which fails.
    await waitFor(async () => {
      const response = await get(gw, "/eager/o", token);
      assert.is(response.status, 200);
      return idp.hits > before && gw.logs.some((line) => line.includes("keeping the cached keys"));
    }, "a failed refresh of a stale key set");
    assert.is((await get(gw, "/eager/o", token)).status, 200);
  } finally {
    idp.mode = "ok";
  }
  const warning = gw.logs.find((line) => line.includes("keeping the cached keys"))!;
  assert.match(warning, idp.url);
  assert.match(warning, "status 500");
});

jwt("HS256 with a secret: the token from the Authorization header, a query parameter or a cookie; consumerClaim picks the consumer", async ({ gw }) => {
  const key = new TextEncoder().encode(secret);
  const token = await sign({ key, alg: "HS256", claims: { email: "ann@example.com" } });
  for (const [path, headers] of [
    [`/hs/h`, { authorization: `Bearer ${token}` }],
    [`/hs/q?access_token=${token}`, {}],
    [`/hs/c`, { cookie: `theme=dark; session=${token}` }],
  ] as const) {
    const response = await fetch(`${gw.url}${path}`, { headers });
    assert.is(response.status, 200, path);
    assert.is(response.headers.get("x-seen-consumer"), "ann@example.com");
  }
  const wrongSecret = await sign({ key: new TextEncoder().encode("another-secret-that-is-32-chars-long!!"), alg: "HS256" });
  assert.is((await get(gw, "/hs/w", wrongSecret)).status, 401);
  // clockSkew: 0s on this route: a token expired a few seconds ago is refused.
  assert.is((await get(gw, "/hs/w", await sign({ key, alg: "HS256", exp: now() - 5 }))).status, 401);
});

jwt("WebSocket frames: the Authorization header in the frame; a refusal is a 401 frame with the Bearer challenge", async ({ gw, ec }) => {
  const client = await wsClient(`ws://127.0.0.1:${gw.port("ws")}/`);
  try {
    const [refused] = await client.call({ id: "1", method: "GET", path: "/jwks/ws", headers: { authorization: "Bearer x.y.z" } });
    assert.is(refused!.status, 401);
    assert.is(refused!.headers["www-authenticate"], invalidToken("the token is malformed or cannot be verified"));
    assert.is(refused!.body.code, 16);
    const token = await sign({ key: ec.privateKey, alg: "ES256", kid: "ec-1" });
    const [ok] = await client.call({ id: "2", method: "GET", path: "/jwks/ws", headers: { authorization: `Bearer ${token}`, "x-user-id": "admin" } });
    assert.is(ok!.status, 200);
    assert.is(ok!.headers["x-seen-consumer"], "user-42");
    assert.is(gw.upstream.received.at(-1)!.headers["x-user-id"], "user-42");
  } finally {
    await client.close();
  }
});

jwt("no token or secret ever reaches the log", async ({ gw }) => {
  const all = gw.logs.join("\n");
  assert.not.match(all, secret);
  assert.not.match(all, /eyJ[\w-]+\.[\w-]+/);
});

jwt("the first key set fetch is waited for at most jwksTimeout (then 503); once the IdP answers, tokens verify", async ({ rsa }) => {
  const idp = await startJwksServer([await publicJwk(rsa.publicKey, "rsa-1", "RS256")]);
  idp.mode = "hang";
  const gw = await startAuthGateway((service) => [{ id: "slow-idp", filters: [{ jwt: { jwks: idp.url, jwksTimeout: "300ms" } }], upstream: { service } }]);
  try {
    const token = await sign({ key: rsa.privateKey, alg: "RS256", kid: "rsa-1" });
    const waiting = await get(gw, "/x", token);
    assert.is(waiting.status, 503);
    assert.is(waiting.headers.get("retry-after"), "1");
    assert.match(await waiting.text(), "the JWKS has not been loaded");
    idp.mode = "ok";
    await waitFor(async () => (await get(gw, "/x", token)).status === 200, "tokens verifying once the IdP answers");
  } finally {
    await gw.close();
    await idp.close();
  }
});

jwt("publicKey: an Ed25519 PEM file relative to the config folder verifies EdDSA tokens; an inline PEM works too", async () => {
  const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const folder = mkdtempSync(join(tmpdir(), "rosetta-jwt-"));
  try {
    writeFileSync(join(folder, "ed25519.pem"), await exportSPKI(ed.publicKey));
    const es = await generateKeyPair("ES384");
    const gateway = await createGateway(
      {
        listeners: [{ name: "web", protocol: "http", port: 0 }],
        services: { up: { protocol: "http", targets: ["http://127.0.0.1:1"] } },
        routes: [
          { id: "file", match: { path: "/file" }, filters: [{ jwt: { publicKey: "ed25519.pem", audience: "orders" } }], upstream: { service: "up" } },
          { id: "inline", match: { path: "/inline" }, filters: [{ jwt: { publicKey: await exportSPKI(es.publicKey) } }], upstream: { service: "up" } },
        ],
      },
      { baseDirectory: folder },
    );
    try {
      // The upstream is unreachable: an accepted token gets past the filter to the upstream's 503; a refused one is a 401.
      const ok = await gateway.inject({ path: "/file", headers: { authorization: `Bearer ${await sign({ key: ed.privateKey, alg: "EdDSA" })}` } });
      assert.is(ok.status, 503);
      const es384 = await gateway.inject({ path: "/inline", headers: { authorization: `Bearer ${await sign({ key: es.privateKey, alg: "ES384" })}` } });
      assert.is(es384.status, 503);
      const wrong = await gateway.inject({ path: "/file", headers: { authorization: `Bearer ${await sign({ key: es.privateKey, alg: "ES384" })}` } });
      assert.is(wrong.status, 401);
    } finally {
      await gateway.stop(0);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

const problemsOf = (jwtOptions: Record<string, unknown>) =>
  createGateway({
    listeners: [{ name: "web", protocol: "http", port: 0 }],
    services: { up: { protocol: "http", targets: ["http://127.0.0.1:1"] } },
    routes: [{ id: "a", upstream: { service: "up" }, filters: [{ jwt: jwtOptions }] }],
  }).then(
    async (gateway) => {
      await gateway.stop(0);
      return "";
    },
    (error: unknown) => (error instanceof ConfigError ? error.problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n") : String(error)),
  );

jwt("config errors have paths: no key source, two sources, a short secret (not shown), algorithms the key cannot verify, none", async () => {
  assert.match(await problemsOf({}), 'routes[0].filters[0].jwt: give exactly one of "secret", "publicKey" or "jwks"');
  assert.match(await problemsOf({ secret, jwks: "http://idp/jwks" }), "give exactly one of");
  const short = await problemsOf({ secret: "short-secret" });
  assert.match(short, "routes[0].filters[0].jwt.secret: the value (not shown: it is a secret) is not a secret of at least 32 characters");
  assert.not.match(short, "short-secret");
  assert.match(await problemsOf({ secret, algorithms: ["RS256"] }), "routes[0].filters[0].jwt.algorithms: RS256 cannot be verified with a secret");
  assert.match(await problemsOf({ jwks: "http://127.0.0.1:1/jwks", algorithms: ["HS256"] }), "routes[0].filters[0].jwt.algorithms: HS256 cannot be verified with a JWKS");
  assert.match(await problemsOf({ secret, algorithms: ["none"] }), 'routes[0].filters[0].jwt.algorithms[0]: "none" is not allowed');
  assert.match(await problemsOf({ publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" }), "routes[0].filters[0].jwt.publicKey: not a PEM public key or certificate");
  assert.match(await problemsOf({ publicKey: "missing.pem" }), 'cannot read the public key file "missing.pem": ENOENT');
});

jwt.run();
