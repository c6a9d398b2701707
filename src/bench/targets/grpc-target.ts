import { once } from "node:events";
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { BenchConnectError, type BenchConnection, type BenchDone, type BenchTarget, type BenchTargetFactory } from "../bench-target.js";
import { StatusCode } from "../../core/status-code.js";
import { socketOutcome } from "./frame-calls.js";
import { compileGrpcRequest, loadMethod } from "./grpc-request.js";
import { inFlightOf, targetAddress } from "./target-url.js";

interface Call {
  readonly stream: ClientHttp2Stream;
  readonly done: BenchDone;
  readonly sentAt: number;
  bytes: number;
}

const resetCodes = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

/** A stream the peer reset: `RST_STREAM REFUSED_STREAM`, say (node's own error only says "stream error"). */
function resetName(code: number): string {
  return `RST_STREAM ${resetCodes[code] ?? String(code)}`;
}

/** grpc-status code → its name, the outcome's key in the error table. */
function codeName(value: unknown): string {
  const code = Number(value);
  return /^\d{1,2}$/.test(String(value)) && StatusCode[code] !== undefined ? StatusCode[code] : `grpc-status ${String(value)}`;
}

/**
 * gRPC directly: `grpc://host:port/pkg.Service/Method` (grpcs:// over TLS),
 * written on node:http2 rather than grpc-js so the generator stays cheap:
 * headers built once, request bytes encoded once per distinct body, many
 * streams in flight per HTTP/2 session. The outcome is the grpc-status code
 * name, from the trailers or a trailers-only reply.
 */
export const grpcTargetFactory: BenchTargetFactory = {
  protocol: "grpc",
  async create(spec) {
    const { url, host, port, secure } = targetAddress(spec.url, { "grpc:": { defaultPort: 80, secure: false }, "grpcs:": { defaultPort: 443, secure: true } });
    const service = decodeURIComponent(url.pathname.slice(1));
    if (!/^[\w.]+\/\w+$/.test(service)) throw new Error(`"${spec.url}" must name the method as grpc://host:port/package.Service/Method`);
    const authority = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const tls = secure ? { ca: undefined, cert: undefined, key: undefined, serverName: undefined, rejectUnauthorized: true, connectOptions: {} } : undefined;
    const { method, registry } = await loadMethod(spec, service, authority, tls);
    const request = compileGrpcRequest(spec.body, method, registry);
    const timeoutMs = spec.timeoutMs;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
    Object.assign(headers, {
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: `/${service}`,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
      te: "trailers",
      "grpc-timeout": `${Math.min(99_999_999, Math.max(1, Math.ceil(timeoutMs)))}m`,
      "user-agent": "rosetta-bench",
    });
    const origin = `${secure ? "https" : "http"}://${authority}`;
    const sessions = new Set<ClientHttp2Session>();
    const target: BenchTarget = {
      inFlightPerConnection: inFlightOf(spec.inFlightPerConnection),
      async connect(): Promise<BenchConnection> {
        const session = connect(origin, { settings: { enablePush: false }, ...(secure ? { ALPNProtocols: ["h2"] } : {}) });
        sessions.add(session);
        const calls = new Map<number, Call>();
        let next = 0;
        let closedWith: string | undefined;
        let refusing: string | undefined;
        let outcome = "closed";
        /** Ends a call once. Only an abandoned call (timeout, HTTP error) resets its stream: servers count resets (the rapid-reset defence) and send GOAWAY after too many. */
        const settle = (id: number, ok: boolean, result: string, cancel = false) => {
          const call = calls.get(id);
          if (call === undefined) return;
          calls.delete(id);
          call.done(ok, result, call.bytes);
          if (cancel && !call.stream.closed) call.stream.close(constants.NGHTTP2_CANCEL);
        };
        const closeAll = (result: string) => {
          if (closedWith !== undefined) return;
          closedWith = result;
          clearInterval(sweeper);
          for (const id of [...calls.keys()]) settle(id, false, result, true);
        };
        // One timer per session sweeps late calls (kept in send order) instead of a timer per call.
        const sweeper = setInterval(
          () => {
            const limit = Date.now() - timeoutMs;
            for (const [id, call] of calls) {
              if (call.sentAt > limit) break;
              settle(id, false, "timeout", true);
            }
          },
          Math.min(250, Math.max(10, timeoutMs / 10)),
        );
        sweeper.unref();
        session.on("error", (error) => (outcome = socketOutcome(error)));
        // A GOAWAY lets the calls in flight finish (a graceful restart); new ones are refused.
        session.on("goaway", () => (refusing = "goaway"));
        session.on("close", () => {
          sessions.delete(session);
          closeAll(outcome);
        });
        const connected = await Promise.race([
          once(session, "connect").then(
            () => true,
            () => false,
          ),
          once(session, "close").then(() => false),
        ]);
        if (!connected) throw new BenchConnectError(`cannot connect to ${origin}: ${outcome}`, outcome);

        /** grpc-status from the trailers, or from the head of a trailers-only reply. */
        const finish = (id: number, source: IncomingHttpHeaders) => {
          const status = source["grpc-status"];
          if (status === undefined) settle(id, false, "no grpc-status");
          else settle(id, status === "0", codeName(status));
        };
        return {
          get alive() {
            return closedWith === undefined && refusing === undefined;
          },
          send(sequence, done) {
            if (closedWith !== undefined || refusing !== undefined) {
              const result = closedWith ?? refusing ?? "closed";
              setImmediate(() => done(false, result, 0));
              return;
            }
            const id = next++;
            let bytes: Buffer;
            let stream: ClientHttp2Stream;
            try {
              bytes = request(sequence);
            } catch {
              // A templated body whose rendering does not encode (the first rendering was checked at start).
              setImmediate(() => done(false, "invalid body", 0));
              return;
            }
            try {
              stream = session.request(headers, { endStream: false });
            } catch (error) {
              // The session takes no more streams: this and every later call end with the same outcome.
              closeAll(socketOutcome(error));
              const result = closedWith ?? "closed";
              setImmediate(() => done(false, result, 0));
              return;
            }
            calls.set(id, { stream, done, sentAt: Date.now(), bytes: 0 });
            stream.on("response", (head: IncomingHttpHeaders) => {
              if (head["grpc-status"] !== undefined) return finish(id, head);
              const status = head[constants.HTTP2_HEADER_STATUS];
              if (Number(status) !== 200) settle(id, false, `HTTP ${String(status)}`, true);
            });
            stream.on("data", (chunk: Buffer) => {
              const call = calls.get(id);
              if (call !== undefined) call.bytes += chunk.length;
            });
            stream.on("trailers", (trailers: IncomingHttpHeaders) => finish(id, trailers));
            stream.on("error", (error) => settle(id, false, stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR ? resetName(stream.rstCode) : socketOutcome(error)));
            stream.on("close", () => {
              const call = calls.get(id);
              if (call === undefined) return;
              settle(id, false, stream.rstCode === constants.NGHTTP2_NO_ERROR ? "no grpc-status" : (closedWith ?? resetName(stream.rstCode ?? constants.NGHTTP2_CANCEL)));
            });
            stream.end(bytes);
          },
          close() {
            closeAll("closed");
            session.destroy();
          },
        };
      },
      async close() {
        for (const session of sessions) session.destroy();
        sessions.clear();
      },
    };
    return target;
  },
};
