import { ConfigError, ConfigErrorCode } from "../options/error-codes.js";
import { ProtoRegistry } from "./proto-registry.js";

/**
 * The .proto files a service names, loaded for its endpoint; a file that is
 * missing or does not parse is a config problem at `<configPath>.protos`,
 * reported with the others rather than thrown at start-up as it is.
 */
export async function loadServiceProtos(includes: readonly string[], files: readonly string[], configPath: string): Promise<ProtoRegistry> {
  try {
    return await ProtoRegistry.load(includes, files);
  } catch (error) {
    throw new ConfigError([{ code: ConfigErrorCode.REFERENCE, path: `${configPath}.protos`, message: `cannot load protos: ${(error as Error).message}` }]);
  }
}
