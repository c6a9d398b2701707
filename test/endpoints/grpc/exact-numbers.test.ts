import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { startEchoServer, type EchoServer } from "../../helpers/echo-server.js";
import { tcpClient, wsClient, type JsonFrame } from "../../helpers/frame-clients.js";

/**
 * 64-bit integers written as JSON numbers reach a real grpc-js upstream
 * exactly, or are refused with 400 naming the field, on every path that
 * reads JSON: HTTP bodies, NDJSON client streams, WebSocket and TCP frames.
 * Bodies are written as text: JSON.stringify in the test would round them.
 */
const exact = suite<{ server: EchoServer; gateway: TestGateway }>("int64 JSON numbers: exact or refused, on every JSON path");

exact.before(async (context) => {
  context.server = await startEchoServer();
  context.gateway = await startGateway({
    listeners: [
      { name: "web", protocol: "http", host: "127.0.0.1", port: 0 },
      { name: "ws", protocol: "ws", host: "127.0.0.1", port: 0 },
      { name: "tcp", protocol: "tcp", host: "127.0.0.1", port: 0 },
    ],
    protos: { include: ["test/protos"] },
    services: { exact: { protocol: "grpc", targets: [context.server.target], protos: ["rosetta/test/v1/exact.proto"] } },
  });
});

exact.after(async ({ server, gateway }) => {
  await gateway.stop();
  await server.close();
});

interface Row {
  readonly description: string;
  /** The JSON body, as text. */
  readonly body: string;
  /** What protobufjs decoded upstream (only the fields named here are compared). */
  readonly upstream?: Record<string, unknown>;
  /** Or: a 400 whose message matches. */
  readonly refused?: RegExp;
}

const rows: Row[] = [
  { description: "2^53 + 1", body: '{"fInt64": 9007199254740993}', upstream: { f_int64: "9007199254740993" } },
  { description: "2^53", body: '{"fInt64": 9007199254740992}', upstream: { f_int64: "9007199254740992" } },
  { description: "2^53 - 1 (the largest safe integer)", body: '{"fInt64": 9007199254740991}', upstream: { f_int64: "9007199254740991" } },
  { description: "negative, below -2^53", body: '{"fInt64": -9007199254740993}', upstream: { f_int64: "-9007199254740993" } },
  { description: "int64 max and min", body: '{"fInt64": 9223372036854775807, "fSfixed64": -9223372036854775808}', upstream: { f_int64: "9223372036854775807", f_sfixed64: "-9223372036854775808" } },
  {
    description: "uint64 max, fixed64, sint64",
    body: '{"fUint64": 18446744073709551615, "fFixed64": 18446744073709551614, "fSint64": -9007199254740995}',
    upstream: { f_uint64: "18446744073709551615", f_fixed64: "18446744073709551614", f_sint64: "-9007199254740995" },
  },
  { description: "exponent notation, exactly", body: '{"fInt64": 9.007199254740993e15, "fUint64": 1e19}', upstream: { f_int64: "9007199254740993", f_uint64: "10000000000000000000" } },
  {
    description: "repeated, nested and the Int64Value wrapper",
    body: '{"rInt64": [9007199254740993, -9007199254740995], "rNested": [{"count": 9007199254740997}], "wInt64": 9007199254740999}',
    upstream: { r_int64: ["9007199254740993", "-9007199254740995"], r_nested: [{ count: "9007199254740997" }], w_int64: { value: "9007199254740999" } },
  },
  {
    description: "a double field and a Value take the nearest double",
    body: '{"fDouble": 9007199254740993, "anyValue": 9007199254740993}',
    upstream: { f_double: 9007199254740992, any_value: { numberValue: 9007199254740992 } },
  },
  { description: "one past int64 max", body: '{"fInt64": 9223372036854775808}', refused: /^fInt64: 9223372036854775808 is out of range for int64/ },
  { description: "one past uint64 max", body: '{"fUint64": 18446744073709551616}', refused: /^fUint64: 18446744073709551616 is out of range for uint64/ },
  { description: "negative uint64", body: '{"fUint64": -18446744073709551615}', refused: /^fUint64: -18446744073709551615 is out of range for uint64/ },
  { description: "a long decimal that a double rounds to an integer", body: '{"fInt64": 1.0000000000000001}', refused: /^fInt64: 1.0000000000000001 is not an integer/ },
  { description: "a huge exponent", body: '{"rInt64": [1, 1e300]}', refused: /^rInt64\[1\]: 1e300 is out of range/ },
  { description: "a long number for an int32 field", body: '{"fInt32": 9007199254740993}', refused: /^fInt32: 9007199254740993 is out of range for int32/ },
  { description: "a long number for a string field", body: '{"fString": 9007199254740993}', refused: /^fString: 9007199254740993 is not a string/ },
];

function pick(received: Record<string, unknown>, like: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(like).map((key) => [key, received[key]]));
}

async function check(row: Row, server: EchoServer, status: number, body: { message?: string } & Record<string, unknown>, before: number, via: string): Promise<void> {
  if (row.refused !== undefined) {
    assert.is(status, 400, `${via}: ${row.description}: ${JSON.stringify(body)}`);
    assert.match(body.message ?? "", row.refused, `${via}: ${row.description}`);
    assert.is(server.received.length, before, `${via}: ${row.description}: nothing reaches the upstream`);
    return;
  }
  assert.is(status, 200, `${via}: ${row.description}: ${JSON.stringify(body)}`);
  assert.equal(pick(server.received.at(-1)!, row.upstream!), row.upstream, `${via}: ${row.description}`);
}

exact("HTTP JSON bodies", async ({ gateway, server }) => {
  for (const row of rows) {
    const before = server.received.length;
    const response = await fetch(`${gateway.url}/v1/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: row.body });
    await check(row, server, response.status, (await response.json()) as Record<string, string>, before, "HTTP");
  }
});

exact("the echoed reply carries the exact value as a string", async ({ gateway }) => {
  const response = await fetch(`${gateway.url}/v1/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"fInt64": 9007199254740993, "fUint64": 18446744073709551615}' });
  const body = (await response.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.is(body.fInt64, "9007199254740993");
  assert.is(body.fUint64, "18446744073709551615");
});

exact("WebSocket and TCP JSON frames", async ({ gateway, server }) => {
  const port = (name: string) => gateway.gateway.listeners.find((listener) => listener.name === name)!.address().port;
  const ws = await wsClient(`ws://127.0.0.1:${port("ws")}/`);
  const tcp = await tcpClient(port("tcp"));
  try {
    let id = 0;
    for (const row of rows) {
      for (const [via, client] of [
        ["WebSocket", ws],
        ["TCP", tcp],
      ] as const) {
        const before = server.received.length;
        const frameId = String(++id);
        const frame = `{"id":"${frameId}","method":"POST","path":"/v1/echo","body":${row.body}}`;
        if (via === "WebSocket") ws.send(frame);
        else tcp.write(`${frame}\n`);
        const replies: JsonFrame[] = await client.collector.until(frameId);
        const reply = replies.at(-1)!;
        await check(row, server, reply.status, reply.body, before, via);
      }
    }
  } finally {
    await ws.close();
    tcp.close();
  }
});

exact("NDJSON client streams", async ({ gateway }) => {
  const lines = ["9007199254740993", "-9223372036854775808", "9223372036854775807"].map((value) => `{"fInt64": ${value}}`).join("\n");
  const response = await fetch(`${gateway.url}/v1/collect`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: lines });
  const body = (await response.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.is(response.status, 200, JSON.stringify(body));
  assert.equal(body.rInt64, ["9007199254740993", "-9223372036854775808", "9223372036854775807"]);
  const refused = await fetch(`${gateway.url}/v1/collect`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: '{"fInt64": 1}\n{"fInt64": 9223372036854775808}\n' });
  assert.is(refused.status, 400);
  assert.match(((await refused.json()) as { message: string }).message, /fInt64: 9223372036854775808 is out of range for int64/);
});

exact("path variables and query parameters are exact text too", async ({ gateway, server }) => {
  const response = await fetch(`${gateway.url}/v1/echo/9007199254740993?fUint64=18446744073709551615&rInt64=-9007199254740993`);
  assert.is(response.status, 200, await response.clone().text());
  assert.equal(pick(server.received.at(-1)!, { f_int64: 0, f_uint64: 0, r_int64: 0 }), { f_int64: "9007199254740993", f_uint64: "18446744073709551615", r_int64: ["-9007199254740993"] });
  const refused = await fetch(`${gateway.url}/v1/echo/9223372036854775808`);
  assert.is(refused.status, 400);
  assert.match(((await refused.json()) as { message: string }).message, /9223372036854775808 is out of range for int64/);
});

exact.run();
