import type { BenchProtocol, BenchTargetFactory } from "./bench-target.js";
import { grpcTargetFactory } from "./targets/grpc-target.js";
import { httpTargetFactory } from "./targets/http-target.js";
import { tcpTargetFactory } from "./targets/tcp-target.js";
import { udpTargetFactory } from "./targets/udp-target.js";
import { wsTargetFactory } from "./targets/ws-target.js";

/**
 * The targets `rosetta bench` can drive, one factory per protocol. Each
 * load-generating worker looks its target up here, so a protocol is added by
 * one import and one line below.
 */
const factories: readonly BenchTargetFactory[] = [
  httpTargetFactory, // http://, https://
  wsTargetFactory, // ws://, wss://
  tcpTargetFactory, // tcp://
  udpTargetFactory, // udp://
  grpcTargetFactory, // grpc://, grpcs://
];

const byProtocol = new Map<BenchProtocol, BenchTargetFactory>(factories.map((factory) => [factory.protocol, factory]));

export function benchTargetFactory(protocol: BenchProtocol): BenchTargetFactory {
  const factory = byProtocol.get(protocol);
  if (factory === undefined) throw new Error(`no ${protocol} target in this build of rosetta bench (it drives: ${benchProtocols().join(", ")})`);
  return factory;
}

export function benchProtocols(): BenchProtocol[] {
  return [...byProtocol.keys()];
}

/** The protocol a URL's scheme names: http(s) → http, ws(s) → ws, tcp, udp, grpc(s) → grpc. */
export function protocolOfUrl(url: string): BenchProtocol | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "http":
    case "https":
      return "http";
    case "ws":
    case "wss":
      return "ws";
    case "tcp":
      return "tcp";
    case "udp":
      return "udp";
    case "grpc":
    case "grpcs":
      return "grpc";
    default:
      return undefined;
  }
}
