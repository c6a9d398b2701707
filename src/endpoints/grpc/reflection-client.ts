import { ConfigError, ConfigErrorCode } from "../../config/error-codes.js";
import type { ProtoRegistry } from "../../schema/proto-registry.js";
import type { EndpointContext } from "../endpoint.js";
import type { GrpcServiceOptions } from "./grpc-options.js";

/** gRPC server reflection: not built yet; a config that asks for it is refused clearly at start. */
export async function loadByReflection(_options: GrpcServiceOptions, context: EndpointContext): Promise<ProtoRegistry> {
  throw new ConfigError([{ code: ConfigErrorCode.VALUE, path: `${context.configPath}.reflection`, message: "server reflection is not supported yet; list the service's protos instead" }]);
}
