import { credentials, type ChannelCredentials, type ChannelOptions } from "@grpc/grpc-js";
import type { ClientTls } from "../../tls/client-tls.js";

/** grpc-js credentials and channel options for a service's `tls` (insecure without it). */
export function grpcCredentials(tls: ClientTls | undefined): { readonly credentials: ChannelCredentials; readonly channelOptions: ChannelOptions } {
  if (tls === undefined) return { credentials: credentials.createInsecure(), channelOptions: {} };
  const ssl = credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, { rejectUnauthorized: tls.rejectUnauthorized });
  // The name checked against the upstream's certificate and sent in SNI, as the http2 transport does.
  return { credentials: ssl, channelOptions: tls.serverName === undefined ? {} : { "grpc.ssl_target_name_override": tls.serverName } };
}
