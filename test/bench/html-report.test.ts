import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse, type DefaultTreeAdapterMap } from "parse5";
import { renderHtmlReport } from "../../src/bench/html-report.js";
import type { BenchReport } from "../../src/bench/bench-report.js";
import { sampleReport } from "./sample-report.js";

/** The --html report read back by parse5 (the WHATWG parsing algorithm browsers implement): well-formed, self-contained, and holding what it promises. */
type Node = DefaultTreeAdapterMap["node"];
type Element = DefaultTreeAdapterMap["element"];

function parsed(html: string): { document: DefaultTreeAdapterMap["document"]; errors: string[] } {
  const errors: string[] = [];
  const document = parse(html, { onParseError: (error) => errors.push(`${error.code} at line ${error.startLine}`) });
  return { document, errors };
}

function elements(node: Node, found: Element[] = []): Element[] {
  if ("tagName" in node) found.push(node);
  if ("childNodes" in node) for (const child of node.childNodes) elements(child, found);
  if ("content" in node && node.content !== undefined) elements(node.content, found);
  return found;
}

const attribute = (element: Element, name: string) => element.attrs.find((attr) => attr.name === name)?.value;
const textOf = (node: Node): string => ("value" in node && node.nodeName === "#text" ? node.value : "childNodes" in node ? node.childNodes.map(textOf).join("") : "");
const byClass = (all: Element[], tag: string, className: string) => all.filter((element) => element.tagName === tag && (attribute(element, "class") ?? "").split(" ").includes(className));

test("the report parses without a single parse error, has no script and references nothing outside itself", () => {
  const { document, errors } = parsed(renderHtmlReport(sampleReport));
  assert.equal(errors, []);
  const all = elements(document);
  assert.is(all.filter((element) => element.tagName === "script").length, 0);
  for (const element of all) {
    for (const attr of element.attrs) {
      if (["src", "href", "xlink:href", "action", "poster", "srcset"].includes(attr.name)) assert.unreachable(`<${element.tagName} ${attr.name}="${attr.value}"> refers outside the file`);
      assert.not.match(attr.name, /^on/, `event handler attribute ${attr.name} on <${element.tagName}>`);
    }
  }
  const policy = all.find((element) => element.tagName === "meta" && attribute(element, "http-equiv") === "Content-Security-Policy");
  assert.match(attribute(policy ?? all[0]!, "content") ?? "", "default-src 'none'");
});

test("a summary row per target, latency curves and throughput lines for every target, errors, rounds and ratios", () => {
  const all = elements(parsed(renderHtmlReport(sampleReport)).document);
  const rows = byClass(all, "tr", "target");
  assert.is(rows.length, 2);
  const firstRow = rows[0]!.childNodes.filter((node): node is Element => "tagName" in node).map(textOf);
  assert.equal(firstRow.slice(1, 5), ["grpc", "grpc://127.0.0.1:9090/rosetta.demo.v1.Bookstore/GetShelf", "90,000", "3,000"]);
  assert.is(firstRow[5], "1.20", "p50 in ms");
  assert.is(byClass(all, "tr", "uncorrected").length, 2, "open loop shows the uncorrected figures too");

  const [latency] = byClass(all, "svg", "latency-curves");
  assert.ok(latency !== undefined, "the latency plot");
  const curves = elements(latency).filter((element) => element.tagName === "polyline");
  assert.is(curves.length, 2);
  const points = (attribute(curves[0]!, "points") ?? "").split(" ").map((pair) => pair.split(",").map(Number));
  assert.is(points.length, 10, "one point per percentile of the curve");
  for (let i = 1; i < points.length; i++) assert.ok(points[i]![0]! > points[i - 1]![0]!, "percentiles go right, on the log axis");
  // Log scale: 90 → 99 → 99.9 are evenly spaced.
  const xOf = (index: number) => points[index]![0]!;
  assert.ok(Math.abs(xOf(5) - xOf(3) - (xOf(7) - xOf(5))) < 0.5, "90→99 as wide as 99→99.9");
  const tickLabels = byClass(elements(latency), "text", "tick").map(textOf);
  for (const label of ["0%", "90%", "99%", "99.9%", "99.99%", "max"]) assert.ok(tickLabels.includes(label), `tick ${label} in ${tickLabels.join(" ")}`);

  const [throughput] = byClass(all, "svg", "throughput");
  assert.ok(throughput !== undefined, "the throughput plot");
  const lines = elements(throughput).filter((element) => element.tagName === "polyline");
  assert.equal(
    lines.map((line) => attribute(line, "data-target")),
    ["grpc direct", "grpc direct errors", sampleReport.targets[1]!.name, `${sampleReport.targets[1]!.name} errors`],
  );
  const errorRows = elements(byClass(all, "table", "errors")[0]!)
    .filter((element) => element.tagName === "tr")
    .slice(1)
    .map(textOf);
  assert.is(errorRows.length, 2);
  assert.match(errorRows[0]!, /503.*12/);
  assert.is(elements(byClass(all, "table", "rounds")[0]!).filter((element) => element.tagName === "tr").length, 7);
  const ratios = byClass(all, "table", "ratios")[0]!;
  assert.match(textOf(ratios), /grpc direct over rest .* per round/);
  assert.equal(byClass(elements(ratios), "td", "median").map(textOf), ["1.600", "0.630"]);
});

test("target names are text, never markup", () => {
  const html = renderHtmlReport(sampleReport);
  const all = elements(parsed(html).document);
  assert.is(all.filter((element) => element.tagName === "img").length, 0);
  assert.ok(textOf(byClass(all, "tr", "target")[1]!).includes('rest <img src="http://example.invalid/x.png" onerror="alert(1)">'));
});

test("an empty run (no requests, no timeline, closed loop, no compare) still renders a valid page", () => {
  const { ratios: _ratios, ...withoutRatios } = sampleReport;
  const empty: BenchReport = {
    ...withoutRatios,
    settings: { mode: "closed", connections: 10, requests: 0, warmupSeconds: 0, workers: 1, rounds: 1 },
    targets: [{ ...sampleReport.targets[0]!, requests: 0, rps: 0, bytes: 0, latencyCurve: [], timeline: [], errors: {}, latencyMs: { p50: Number.NaN, p90: 0, p99: 0, p999: 0, max: 0 } }],
    rounds: [],
  };
  const { document, errors } = parsed(renderHtmlReport(empty));
  assert.equal(errors, []);
  const all = elements(document);
  assert.is(byClass(all, "svg", "latency-curves").length, 1);
  assert.is(byClass(all, "p", "none").length, 1, "says there were no errors");
  assert.is(byClass(all, "table", "ratios").length, 0);
});

test.run();
