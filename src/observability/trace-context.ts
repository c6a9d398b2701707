import { randomBytes } from "node:crypto";
import type { TraceContext } from "../core/envelope.js";

/** A W3C traceparent taken apart (version 00); ids are lower-case hex. */
export interface TraceIds {
  readonly traceId: string;
  readonly parentSpanId: string;
  readonly sampled: boolean;
}

const allZeroTrace = "00000000000000000000000000000000";
const allZeroSpan = "0000000000000000";

/** The ids of a caller's traceparent; undefined for an invalid one (all-zero ids, version ff), which starts a new trace. */
export function parseTraceparent(trace: TraceContext | undefined): TraceIds | undefined {
  if (trace === undefined) return undefined;
  const value = trace.traceparent;
  const traceId = value.slice(3, 35);
  const parentSpanId = value.slice(36, 52);
  if (value.startsWith("ff") || traceId === allZeroTrace || parentSpanId === allZeroSpan) return undefined;
  return { traceId, parentSpanId, sampled: (Number.parseInt(value.slice(53, 55), 16) & 1) === 1 };
}

/** The traceparent that names `spanId` as the parent of whatever it is sent to. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

// Random ids come from a pooled buffer: one randomBytes call per 512 ids rather than one per id.
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return hex;
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}
