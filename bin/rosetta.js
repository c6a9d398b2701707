#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm ci` builds it (the prepare script).
import { existsSync } from "node:fs";

// `rosetta bench` has its own small entry: a load generator should not load the whole gateway first.
const entry = new URL(process.argv[2] === "bench" ? "../dist/src/cli/bench-main.js" : "../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("rosetta: not built yet; run `npm ci` (or `npm run build`) first\n");
  process.exit(1);
}
await import(entry.href);
