/**
 * Stable codes for configuration and start-up errors. Users grep for them and
 * scripts match on them: never rename one. Each is documented in the README
 * (a test checks that).
 */
export const ConfigErrorCode = {
  /** The config file cannot be read. */
  READ: "ROSETTA_ERR_CONFIG_READ",
  /** The file is not valid YAML or JSON. */
  PARSE: "ROSETTA_ERR_CONFIG_PARSE",
  /** A key the schema does not know. */
  UNKNOWN_KEY: "ROSETTA_ERR_UNKNOWN_KEY",
  /** A required key is missing. */
  REQUIRED: "ROSETTA_ERR_REQUIRED",
  /** A value of the wrong type or form (a duration without a unit, a number where a list belongs). */
  TYPE: "ROSETTA_ERR_TYPE",
  /** A value outside its allowed range or set. */
  VALUE: "ROSETTA_ERR_VALUE",
  /** A name that refers to nothing: a service, listener, filter or protocol. */
  REFERENCE: "ROSETTA_ERR_REFERENCE",
  /** Two entries that must be unique are not: route ids, listener names, ports. */
  DUPLICATE: "ROSETTA_ERR_DUPLICATE",
  /** A path template that does not follow the google.api.http grammar. */
  TEMPLATE: "ROSETTA_ERR_TEMPLATE",
  /** A listener could not bind its address. */
  LISTEN: "ROSETTA_ERR_LISTEN",
  /** A TLS file that cannot be read, or certificates and keys that do not load together. */
  TLS: "ROSETTA_ERR_TLS",
  /** A hot reload that changes what only a restart applies (admin, codecs). */
  RELOAD: "ROSETTA_ERR_RELOAD",
} as const;

export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** One problem found in a config, located by its path (`routes[2].upstream.service`). */
export interface ConfigProblem {
  readonly code: ConfigErrorCode;
  readonly path: string;
  readonly message: string;
  /** `file:line:column`, when the loader could locate the path in the source. */
  location?: string;
}

/** Thrown by loading and start-up with every problem found, never just the first. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.location === undefined ? "" : `${problem.location}: `;
  const path = problem.path === "" ? "" : `${problem.path}: `;
  return `${where}${path}${problem.message} [${problem.code}]`;
}
