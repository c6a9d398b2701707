/* eslint-disable @typescript-eslint/no-explicit-any -- grpc-js handler arguments are untyped here by design */
import { Metadata, Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/demo/grpc-service-definition.js";
import { ProtoRegistry } from "../../src/protos/proto-registry.js";

export interface WireServer {
  readonly target: string;
  /** Methods called, in order. */
  readonly calls: string[];
  close(): Promise<void>;
}

/**
 * A real @grpc/grpc-js server on 127.0.0.1:0 for rosetta.test.v1.Wire
 * (test/protos/rosetta/test/v1/wire.proto): it echoes metadata, fails with
 * header and trailing metadata, streams HttpBody chunks and messages that
 * may fail midway, and adds up a client stream of int64 values exactly.
 */
export async function startWireServer(): Promise<WireServer> {
  const registry = await ProtoRegistry.load(["test/protos"], ["rosetta/test/v1/wire.proto"]);
  const calls: string[] = [];
  const stream = (call: any, message: (part: number) => object) => {
    const parts: number = call.request.parts ?? 0;
    const code: number = call.request.code ?? 0;
    for (let part = 1; part <= parts; part++) call.write(message(part));
    if (code === 0) call.end();
    else call.emit("error", { code, details: `${call.request.note || "stream"} broke` });
  };
  const implementation: UntypedServiceImplementation = {
    Echo: (call: any, callback: any) => {
      calls.push("Echo");
      const map = call.metadata.getMap() as Record<string, unknown>;
      const metadata = Object.keys(map)
        .sort()
        .map((key) => `${key}=${Buffer.isBuffer(map[key]) ? (map[key] as Buffer).toString("base64") : String(map[key])}`);
      callback(null, { metadata, note: call.request.note ?? "" });
    },
    Fail: (call: any, callback: any) => {
      calls.push("Fail");
      const header = new Metadata();
      header.set("x-fail-header", "early");
      call.sendMetadata(header);
      const trailer = new Metadata();
      trailer.set("x-fail-trailer", "late");
      callback({ code: call.request.code, details: `failed with ${call.request.code}`, metadata: trailer });
    },
    Download: (call: any) => {
      calls.push("Download");
      stream(call, (part) => ({ content_type: part === 1 ? "text/plain; charset=utf-8" : "", data: Buffer.from(`part ${part}`).toString("base64") }));
    },
    Watch: (call: any) => {
      calls.push("Watch");
      stream(call, (part) => ({ note: `part ${part}` }));
    },
    Sum: (call: any, callback: any) => {
      calls.push("Sum");
      let sum = 0n;
      const labels: string[] = [];
      let count = 0;
      call.on("data", (amount: { value?: string; label?: string }) => {
        sum += BigInt(amount.value ?? "0");
        if (amount.label !== undefined) labels.push(amount.label);
        count++;
      });
      call.on("end", () => callback(null, { sum: sum.toString(), labels, count }));
    },
  };
  const server = new Server();
  server.addService(serviceDefinition(registry.findService("rosetta.test.v1.Wire")!), implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return { target: `127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
