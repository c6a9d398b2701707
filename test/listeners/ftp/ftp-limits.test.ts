import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client, FTPError } from "basic-ftp";
import { startGateway, type TestGateway } from "../../helpers/gateway.js";
import { rawControl, rawLogin, type RawControl } from "./ftp-raw.js";

/**
 * Connection limits per address and the login lockout, with basic-ftp and raw
 * sockets. 127.0.0.2 (any loopback address works) is a second source address.
 */
const other = "127.0.0.2";
const opened: RawControl[] = [];
const gateways: TestGateway[] = [];

async function ftpGateway(options: Record<string, unknown>): Promise<number> {
  const gateway = await startGateway({
    listeners: [{ name: "ftp", protocol: "ftp", host: "127.0.0.1", port: 0, users: { alice: "s3cret" }, passivePortMin: 50_270, passivePortMax: 50_290, ...options }],
  });
  gateways.push(gateway);
  return gateway.port;
}

/** A logged-in (or refused) raw session, closed at the end of the test. */
async function raw(port: number, localAddress = "127.0.0.1"): Promise<RawControl> {
  const control = await rawControl(port, localAddress);
  opened.push(control);
  return control;
}

async function basicLogin(port: number, password = "s3cret", user = "alice"): Promise<Client> {
  const client = new Client(10_000);
  await client.access({ host: "127.0.0.1", port, user, password }).catch((error: unknown) => {
    client.close();
    throw error;
  });
  return client;
}

async function ftpError(promise: Promise<unknown>): Promise<FTPError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assert.instance(error, FTPError, `expected an FTP error reply, got ${String(error)}`);
  return error as FTPError;
}

test.after.each(async () => {
  for (const control of opened.splice(0)) control.socket.destroy();
  for (const gateway of gateways.splice(0)) await gateway.stop();
});

test("an address at its limit gets 421 saying so; another address still gets in", async () => {
  const port = await ftpGateway({ maxConnectionsPerAddress: 3 });
  const clients = [await basicLogin(port), await basicLogin(port), await basicLogin(port)];
  try {
    const refused = await ftpError(basicLogin(port));
    assert.is(refused.code, 421);
    assert.match(refused.message, "too many connections from your address (at most 3)");
    const stranger = await raw(port, other);
    assert.match(stranger.greeting, /^220 /);
    assert.match(await rawLogin(stranger), /^230 /);
  } finally {
    for (const client of clients) client.close();
  }
});

test("when the server is full, a newcomer's address takes the idlest session of the address holding the most", async () => {
  const port = await ftpGateway({ maxConnections: 4, maxConnectionsPerAddress: 4 });
  const hoarder = [await raw(port), await raw(port), await raw(port), await raw(port)];
  for (const control of hoarder) assert.match(await rawLogin(control), /^230 /);
  // The second session is the idlest: the others send a command after it.
  for (const index of [0, 2, 3]) assert.match(await hoarder[index]!.send("NOOP"), /^200 /);
  const newcomer = await raw(port, other);
  assert.match(newcomer.greeting, /^220 /);
  assert.match(await rawLogin(newcomer), /^230 /);
  assert.match(await hoarder[1]!.next(), /^421 the server is full and your address holds the most connections/);
  assert.is(await hoarder[1]!.next(), "closed");
  // Shares even out (3 + 1 → 2 + 2), then the newcomer's address holds as many as any: refused.
  assert.match((await raw(port, other)).greeting, /^220 /);
  assert.match(await hoarder[0]!.next(), /^421 the server is full and your address holds the most connections/);
  assert.match((await raw(port, other)).greeting, /^421 the server is full; retry later/);
  assert.match(await hoarder[3]!.send("NOOP"), /^200 /);
});

test("failed logins lock the address out (421 on connect, one 530 for every user), others are not; released after loginLockout", async () => {
  const port = await ftpGateway({ maxLoginFailures: 3, loginLockout: "1s", users: { alice: "s3cret", bob: "pa55" } });
  const unknownUser = await ftpError(basicLogin(port, "guess", "mallory"));
  const wrongPassword = await ftpError(basicLogin(port, "guess"));
  assert.is(unknownUser.code, 530);
  assert.is(unknownUser.message, wrongPassword.message, "the reply does not say whether the user exists");
  const lockedAt = Date.now();
  assert.match((await ftpError(basicLogin(port, "guess"))).message, /^530 too many failed logins from your address; try again in 1 s/);
  // While locked: a new connection is refused at once, and a session already open cannot log in even with the right password.
  assert.match((await raw(port)).greeting, /^421 too many failed logins from your address; try again in 1 s/);
  const locked = await ftpError(basicLogin(port));
  assert.is(locked.code, 421);
  assert.match(locked.message, "too many failed logins from your address");
  assert.match(await rawLogin(await raw(port, other)), /^230 /);
  // Released after the lockout: poll (bounded) until a login succeeds.
  let client: Client | undefined;
  for (let attempt = 0; attempt < 40 && client === undefined; attempt++) {
    client = await basicLogin(port).catch(() => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)));
  }
  assert.ok(client !== undefined, "a login succeeds once the lockout is over");
  assert.ok(Date.now() - lockedAt >= 900, "not before the lockout ended");
  client!.close();
});

test("a session opened before the lockout gets the lockout reply even with the right password", async () => {
  const port = await ftpGateway({ maxLoginFailures: 2, loginLockout: "1m" });
  const early = await raw(port);
  await ftpError(basicLogin(port, "guess"));
  await ftpError(basicLogin(port, "guess"));
  assert.match(await rawLogin(early), /^530 too many failed logins from your address; try again in \d+ s/);
  assert.match(await rawLogin(await raw(port, other), "alice", "s3cret"), /^230 /);
});

test.run();
