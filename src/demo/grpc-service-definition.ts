import type { ServiceDefinition } from "@grpc/grpc-js";
import type protobuf from "protobufjs";

/** protobufjs's own object form, with proto field names: what in-process demo and test servers work with. */
export const protoObjectOptions: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: false, oneofs: false };

/**
 * A grpc-js service definition built from a protobufjs Service, so an
 * in-process server needs no generated code. Handlers see requests and
 * return responses as plain protobufjs objects.
 */
export function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const definition: Record<string, ServiceDefinition[string]> = {};
  const serviceName = service.fullName.slice(1);
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value: object) => Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => requestType.toObject(requestType.decode(bytes), protoObjectOptions),
      responseSerialize: (value: object) => Buffer.from(responseType.encode(responseType.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer) => responseType.toObject(responseType.decode(bytes), protoObjectOptions),
      originalName: method.name,
    } as ServiceDefinition[string];
  }
  return definition as ServiceDefinition;
}
