import { GatewayError } from "../core/gateway-error.js";
import { StatusCode } from "../core/status-code.js";

/** A fault about the SOAP message itself rather than the call: its own fault codes, not Client/Sender. */
export class SoapProtocolError extends GatewayError {
  constructor(
    readonly fault: "VersionMismatch" | "MustUnderstand",
    message: string,
  ) {
    super(StatusCode.INVALID_ARGUMENT, message);
  }
}
