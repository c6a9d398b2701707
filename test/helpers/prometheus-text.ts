import { execFile } from "node:child_process";

/** One sample as the Prometheus Python client's parser reads it. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  /** counter, gauge, histogram, summary, unknown */
  readonly type: string;
  readonly samples: readonly PromSample[];
}

// The official Prometheus Python client's text parser (Debian python3-prometheus-client), run on Debian's python3.
const script = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [{"name": f.name, "type": f.type, "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]} for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(families, allow_nan=True))
`;

/** Parses Prometheus text exposition with a real third-party parser; rejects on text it refuses. */
export function parsePrometheusText(text: string): Promise<PromFamily[]> {
  return new Promise((resolve, reject) => {
    const child = execFile("/usr/bin/python3", ["-c", script], { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`the Prometheus parser refused the text: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout.replace(/\bInfinity\b/g, "1e999").replace(/\bNaN\b/g, "null")) as PromFamily[]);
    });
    child.stdin!.end(text);
  });
}
