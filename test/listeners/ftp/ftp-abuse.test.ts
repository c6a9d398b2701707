import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Client } from "basic-ftp";
import { startUpstream, type TestUpstream } from "../../helpers/upstream.js";
import { rawControl, rawLogin, rawPassive, type RawControl } from "./ftp-raw.js";

/**
 * Resets at every stage of an FTP session, ~20 times each, with raw sockets
 * (`resetAndDestroy` sends a real RST). The gateway runs as its own process,
 * so a crash (an unhandled 'error' event, an exception in a socket handler)
 * shows as that process exiting, which this test watches for.
 */
const bin = fileURLToPath(new URL("../../../../bin/rosetta.js", import.meta.url));
const rounds = 20;
const bigReply = JSON.stringify({ items: "x".repeat(2 * 1024 * 1024) });

let upstream: TestUpstream;
let gateway: ChildProcess;
let port = 0;
let output = "";
let exited: { code: number | null; signal: string | null } | undefined;

test.before(async () => {
  upstream = await startUpstream((req, res, body) => {
    const text = req.method === "GET" ? bigReply : JSON.stringify({ size: body.byteLength });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
  });
  const config = join(mkdtempSync(join(tmpdir(), "rosetta-ftp-abuse-")), "gateway.json");
  writeFileSync(
    config,
    JSON.stringify({
      listeners: [
        { name: "ftp", protocol: "ftp", host: "127.0.0.1", port: 0, users: { alice: "s3cret" }, passivePortMin: 50_300, passivePortMax: 50_399, maxConnectionsPerAddress: 4, maxLoginFailures: 0 },
      ],
      services: { files: { protocol: "http", targets: [upstream.origin] } },
      routes: [{ id: "files", match: { path: "/{rest=**}" }, upstream: { service: "files", path: "/{rest}" } }],
    }),
  );
  gateway = spawn(process.execPath, [bin, "start", "-c", config], { stdio: ["ignore", "pipe", "pipe"] });
  gateway.stdout!.on("data", (chunk) => (output += chunk));
  gateway.stderr!.on("data", (chunk) => (output += chunk));
  gateway.once("exit", (code, signal) => (exited = { code, signal }));
  const deadline = Date.now() + 20_000;
  while (port === 0) {
    if (exited !== undefined || Date.now() > deadline) throw new Error(`the gateway did not start: ${output}`);
    port = Number(/"listening".*"port":(\d+)|"port":(\d+).*"listening"/.exec(output)?.slice(1).find(Boolean) ?? 0);
    if (port === 0) await Promise.race([once(gateway.stdout!, "data"), new Promise((resolve) => setTimeout(resolve, 200))]);
  }
});

test.after(async () => {
  if (exited === undefined) {
    gateway.kill("SIGKILL");
    await once(gateway, "exit");
  }
  await upstream.close();
});

/** Waits until the data socket has received at least `bytes`, or has closed; returns the count. */
async function received(socket: import("node:net").Socket, bytes: number): Promise<number> {
  let count = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.on("data", (chunk: Buffer) => ((count += chunk.byteLength) >= bytes ? done() : undefined));
    socket.once("close", done);
  });
  return count;
}

const reset = (...sockets: { resetAndDestroy(): unknown; destroyed: boolean }[]) => {
  for (const socket of sockets) if (!socket.destroyed) socket.resetAndDestroy();
};

const stages: Record<string, () => Promise<void>> = {
  "before the greeting is read": async () => reset((await rawControl(port, "127.0.0.1", false)).socket),
  "mid-command": async () => {
    const control = await rawControl(port);
    control.socket.write("USER ali");
    reset(control.socket);
  },
  "after login": async () => {
    const control = await rawControl(port);
    await rawLogin(control);
    reset(control.socket);
  },
  "on a fresh data connection": async () => {
    const control = await rawControl(port);
    await rawLogin(control);
    reset(await rawPassive(control), control.socket);
  },
  "during RETR of a big reply (data socket first)": async () => {
    const control = await rawControl(port);
    await rawLogin(control);
    const data = await rawPassive(control);
    control.socket.write("RETR /big.json\r\n");
    assert.ok((await received(data, 64 * 1024)) >= 64 * 1024, "the reply was flowing");
    reset(data);
    await control.next();
    reset(control.socket);
  },
  "during RETR of a big reply (control socket first)": async () => {
    const control = await rawControl(port);
    await rawLogin(control);
    const data = await rawPassive(control);
    control.socket.write("RETR /big.json\r\n");
    assert.ok((await received(data, 64 * 1024)) >= 64 * 1024, "the reply was flowing");
    reset(control.socket, data);
  },
  "during STOR mid-upload": async () => {
    const control = await rawControl(port);
    await rawLogin(control);
    const data = await rawPassive(control);
    assert.match(await control.send("STOR /uploads/new.json"), /^150 /);
    data.write(Buffer.alloc(64 * 1024, "{"));
    reset(data);
    await control.next();
    reset(control.socket);
  },
  "after a refusal": async () => {
    // Open sessions until the address is at its limit (earlier rounds' resets may still be closing).
    const held: RawControl[] = [];
    try {
      let refused: RawControl | undefined;
      for (let attempt = 0; attempt < 12 && refused === undefined; attempt++) {
        const control = await rawControl(port);
        if (control.greeting.startsWith("421")) refused = control;
        else held.push(control);
      }
      assert.match(refused?.greeting ?? "no refusal", /^421 too many connections from your address/);
      reset(refused!.socket);
      reset((await rawControl(port, "127.0.0.1", false)).socket);
    } finally {
      reset(...held.map((control) => control.socket));
    }
  },
};

for (const [stage, abuse] of Object.entries(stages)) {
  test(`a reset ${stage}, ${rounds} times: the process lives`, async () => {
    for (let round = 0; round < rounds; round++) {
      await abuse();
      assert.is(exited, undefined, `the gateway exited in round ${round}: ${output}`);
    }
  });
}

test("after all that the process lives, logged no unhandled error, and serves another client", async () => {
  const client = new Client(10_000);
  try {
    // The last round's resets may still be closing on the gateway's side, holding the address's slots for a moment.
    for (let attempt = 1; ; attempt++) {
      const refused = await client.access({ host: "127.0.0.1", port, user: "alice", password: "s3cret" }).then(
        () => false,
        (error: Error) => {
          if (attempt < 20 && error.message.startsWith("421")) return true;
          throw error;
        },
      );
      if (!refused) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    let size = 0;
    await client.downloadTo(
      new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          size += chunk.byteLength;
          callback();
        },
      }),
      "/big.json",
    );
    assert.is(size, Buffer.byteLength(bigReply));
    assert.is(exited, undefined, `the gateway exited: ${output}`);
    assert.not.match(output, /Unhandled|uncaught|ERR_|Error:/i);
  } finally {
    client.close();
  }
});

test.run();
