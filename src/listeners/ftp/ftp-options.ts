import { ConfigErrorCode } from "../../options/error-codes.js";
import { boolean, byteSize, duration, integer, map, object, optional, refine, registered, string, withDefault, type Infer } from "../../options/schema.js";
import { listenerBaseFields, listenerTlsField } from "../listener.js";

const ftpListenerObject = object(
  {
    ...listenerBaseFields(),
    ...listenerTlsField(),
    users: withDefault(
      map(string({ pattern: /^\S+$/, patternHint: "a password without spaces" }), { keyPattern: /^[A-Za-z0-9_.@-]+$/, keyHint: "a user name" }),
      {},
      "user name → password; nobody else may log in",
    ),
    anonymous: withDefault(boolean(), false, "let anyone log in as anonymous (off by default)"),
    passivePortMin: withDefault(integer({ min: 1024, max: 65_535 }), 50_000, "first port of the passive data range"),
    passivePortMax: withDefault(integer({ min: 1024, max: 65_535 }), 50_099, "last port of the passive data range"),
    passiveHost: optional(string(), "the address written in PASV replies (default: the listener's host, or the caller's own address for local callers)"),
    idleTimeout: withDefault(duration(), 300_000, "a control connection with no command for this long is closed; 0s disables"),
    maxConnections: withDefault(
      integer({ min: 0 }),
      100,
      "control connections at once; when full, the address holding the most gives up its idlest one to a newcomer from an address holding fewer; 0 = no limit",
    ),
    maxConnectionsPerAddress: withDefault(integer({ min: 0 }), 10, "control connections at once from one address (an IPv6 /64); more get 421; 0 = no limit"),
    maxLoginFailures: withDefault(integer({ min: 0 }), 10, "failed logins from one address within loginLockout that lock it out; 0 = never"),
    loginLockout: withDefault(duration({ min: 1 }), 300_000, "how long a locked-out address is refused (421 on connect, 530 on login), and how long a failure counts"),
    maxFileBytes: withDefault(byteSize({ min: 1 }), 10 * 1024 * 1024, "largest upload (STOR) and largest reply kept or sent (RETR)"),
    maxStoredReplies: withDefault(integer({ min: 1 }), 100, "replies kept per session for RETR and LIST; the oldest goes first"),
    extensions: withDefault(
      map(registered("codec"), { keyPattern: /^[a-z0-9]+$/, keyHint: "a file extension without the dot" }),
      { json: "json", xml: "xml", pb: "protobuf" },
      "file extension → codec of the body",
    ),
  },
  "ftp listener",
);

export const ftpListenerSchema = refine(ftpListenerObject, (options, context) => {
  if (options.passivePortMax < options.passivePortMin)
    return context.at("passivePortMax").report(ConfigErrorCode.VALUE, `passivePortMax ${options.passivePortMax} is below passivePortMin ${options.passivePortMin}`);
  if (options.tls !== undefined && options.tls.clientCertificate !== "none") {
    return context.at("tls").at("clientCertificate").report(ConfigErrorCode.VALUE, "FTPS callers log in with a user name and password; client certificates are not asked on ftp (use none)");
  }
  if (Object.keys(options.users).length === 0 && !options.anonymous) return context.at("users").report(ConfigErrorCode.REQUIRED, "an ftp listener needs users (name: password), or anonymous: true");
  return options;
});

export type FtpListenerOptions = Infer<typeof ftpListenerObject>;
