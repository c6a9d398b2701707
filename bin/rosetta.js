#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm ci` builds it (the prepare script).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("rosetta: not built yet; run `npm ci` (or `npm run build`) first\n");
  process.exit(1);
}
await import(entry.href);
