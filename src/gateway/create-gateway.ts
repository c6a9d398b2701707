import { silentLogger, type Logger } from "../observability/logger.js";
import { validateGatewayConfig } from "./gateway-config.js";
import { Gateway } from "./gateway.js";
import { builtinPlugins, type Plugins } from "./plugins.js";
import { loadUserFilters } from "./user-filters.js";

export interface CreateGatewayOptions {
  /** The extensions to build with; default builtinPlugins(). Register your own on it first. */
  readonly plugins?: Plugins;
  /** Default: silent (an embedding program decides where logs go). */
  readonly logger?: Logger;
  /** Relative paths in the config (protos.include) resolve against this; default process.cwd(). */
  readonly baseDirectory?: string;
}

/**
 * The library entry point: validates a config object (the YAML file's
 * content as data) and builds the gateway — services loaded, routes
 * compiled — without binding. Modules named by `use` filter entries are
 * imported first, relative to baseDirectory. `listen()` binds the listeners;
 * `inject()` serves a request without any. Rejects with one ConfigError
 * listing every problem.
 */
export async function createGateway(config: unknown, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const plugins = options.plugins ?? builtinPlugins();
  const baseDirectory = options.baseDirectory ?? process.cwd();
  await loadUserFilters(config, plugins, baseDirectory);
  return Gateway.create(validateGatewayConfig(config, plugins, baseDirectory), plugins, options.logger ?? silentLogger);
}
