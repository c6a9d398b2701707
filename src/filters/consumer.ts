import { createContextKey } from "../core/context.js";

/**
 * Who an authentication filter found the caller to be (an api-key consumer,
 * a JWT subject, a basic-auth user). Later filters read it: `rate-limit`
 * with `key: consumer`, the access log. Undefined until a filter sets it.
 */
export const consumerKey = createContextKey<string | undefined>(undefined, "the authenticated consumer");
