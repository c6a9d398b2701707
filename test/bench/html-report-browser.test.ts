import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "../helpers/chromium.js";
import { renderHtmlReport } from "../../src/bench/html-report.js";
import { sampleReport } from "./sample-report.js";

/**
 * The --html report opened from disk in a real browser (Debian's chromium
 * through puppeteer-core, launched as the dashboard test does): the SVG
 * curves are drawn with a size, and the page asks the network for nothing.
 */

test("chromium draws every target's latency curve and throughput line from the file alone, with no request beyond the file", async () => {
  const browser = await launchChromium();
  const directory = mkdtempSync(join(tmpdir(), "rosetta-bench-report-"));
  const file = join(directory, "report.html");
  writeFileSync(file, renderHtmlReport(sampleReport));
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      requests.push(request.url());
      // Anything but the file itself is refused (and recorded above).
      if (request.url() === pathToFileURL(file).href) void request.continue();
      else void request.abort();
    });
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warn") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: 30_000 });
    const curves = await page.$$eval("svg.latency-curves polyline.curve", (lines) =>
      lines.map((line) => {
        const box = line.getBoundingClientRect();
        return { target: line.getAttribute("data-target"), width: box.width, height: box.height, points: (line.getAttribute("points") ?? "").split(" ").length };
      }),
    );
    assert.equal(
      curves.map((curve) => curve.target),
      sampleReport.targets.map((target) => target.name),
    );
    for (const curve of curves) {
      assert.ok(curve.width > 100 && curve.height > 10, `curve ${curve.target} drawn ${curve.width}×${curve.height}`);
      assert.is(curve.points, 10);
    }
    const plot = await page.$eval("svg.latency-curves", (svg) => svg.getBoundingClientRect().width);
    assert.ok(plot > 300, `the plot is ${plot} px wide`);
    const throughput = await page.$$eval("svg.throughput polyline.curve", (lines) => lines.length);
    assert.is(throughput, 4, "requests and errors lines for both targets");
    assert.is(await page.$$eval("table.summary tr.target", (rows) => rows.length), 2);
    assert.is(await page.$$eval("img, script", (found) => found.length), 0, "the hostile target name stayed text");
    assert.equal(requests, [pathToFileURL(file).href], "the page requested nothing but itself");
    assert.equal(problems, [], "no console errors (a CSP violation would be one)");
  } finally {
    await browser.close();
  }
});

test.run();
