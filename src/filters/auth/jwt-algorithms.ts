import type { KeyObject } from "node:crypto";

/** Every JWS algorithm the `jwt` filter accepts in `algorithms`. `none` is not one of them, ever. */
export const jwtAlgorithms = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

export const isHmac = (algorithm: JwtAlgorithm) => algorithm.startsWith("HS");

/** The algorithms a public key can verify, the first being the default when `algorithms` is not given. */
export function algorithmsForKey(key: KeyObject): readonly JwtAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      return ["PS256", "PS384", "PS512"];
    case "ed25519":
      return ["EdDSA", "Ed25519"];
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === "prime256v1" ? ["ES256"] : curve === "secp384r1" ? ["ES384"] : curve === "secp521r1" ? ["ES512"] : [];
    }
    default:
      return [];
  }
}

/** Without `algorithms`, a JWKS accepts the asymmetric algorithms; jose matches each key's `kty`/`crv` to the token's `alg`. */
export const jwksDefaultAlgorithms: readonly JwtAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
