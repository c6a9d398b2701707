import { byteSize, integer, object, withDefault, type Infer } from "../../options/schema.js";
import { framedListenerFields } from "../framed-options.js";
import { listenerBaseFields } from "../listener.js";

export const udpListenerSchema = object(
  {
    ...listenerBaseFields(),
    ...framedListenerFields(),
    maxFrameBytes: withDefault(byteSize({ min: 64 }), 8 * 1024, "largest datagram accepted (and so the largest reply); larger ones get an error frame (or nothing, if even that would not fit)"),
    ratePerSource: withDefault(integer({ min: 1 }), 200, "datagrams per second accepted from one source address; more are dropped unanswered"),
    maxInFlight: withDefault(integer({ min: 1 }), 1000, "calls open at once on the whole listener; more are answered with 429"),
  },
  "udp listener",
);

export type UdpListenerOptions = Infer<typeof udpListenerSchema>;
