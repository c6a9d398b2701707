/** One route as `/routes` and `rosetta routes` show it. */
export interface RouteRow {
  readonly id: string;
  /** Listener names the route is limited to; undefined: every listener. */
  readonly listeners: readonly string[] | undefined;
  /** undefined: every method. */
  readonly methods: readonly string[] | undefined;
  /** The match path template as written. */
  readonly path: string;
  readonly service: string;
  /** The upstream method (gRPC `pkg.Service/Method`, a SOAP service) or path (HTTP, TCP), when the route names one. */
  readonly upstream: string | undefined;
  /** "config" for routes written in the file, "generated" for those a service brings (google.api.http annotations). */
  readonly source: "config" | "generated";
}

const columns: readonly [string, (row: RouteRow) => string][] = [
  ["ID", (row) => row.id],
  ["LISTENERS", (row) => row.listeners?.join(",") ?? "*"],
  ["METHODS", (row) => row.methods?.join(",") ?? "*"],
  ["PATH", (row) => row.path],
  ["SERVICE", (row) => row.service],
  ["UPSTREAM", (row) => row.upstream ?? "-"],
  ["SOURCE", (row) => row.source],
];

/** The routes as an aligned plain-text table, one line per route, with a header line. */
export function formatRoutesTable(rows: readonly RouteRow[]): string {
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, cell]) => cell(row)))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]!.length)));
  return `${cells.map((line) => line.map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index]!))).join("  ")).join("\n")}\n`;
}
