/**
 * What a failed verification tells the caller (the `error_description` of
 * WWW-Authenticate and the status message): the kind of failure, never the
 * token or its claims' values.
 */
export function describeJwtFailure(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "the token has expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED": {
      const claim = (error as { claim?: unknown }).claim;
      if (claim === "nbf") return "the token is not valid yet";
      if (claim === "iss") return "the token's issuer is not accepted";
      if (claim === "aud") return "the token's audience is not accepted";
      if (claim === "iat") return "the token's issue time is not valid";
      return `the token's "${String(claim)}" claim is not valid`;
    }
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "the token's algorithm is not accepted";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "the token's signature does not verify";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "no key of the key set matches the token";
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return "several keys of the key set match the token; it needs a kid";
    default:
      // Malformed tokens (ERR_JWS_INVALID, ERR_JWT_INVALID), unsupported headers, a key that does not fit the algorithm.
      return "the token is malformed or cannot be verified";
  }
}
