// Runs every compiled test file with uvu and ends with the line CI reads:
// "N passed, N failed". Exits non-zero when any test fails.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureTestPrerequisites } from "./test-prerequisites.mjs";

ensureTestPrerequisites();

const uvu = fileURLToPath(new URL("../node_modules/uvu/bin.js", import.meta.url));
const child = spawn(process.execPath, [uvu, "dist/test", "\\.test\\.js$", ...process.argv.slice(2)], { stdio: ["ignore", "pipe", "inherit"] });
let output = "";
child.stdout.on("data", (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
child.on("close", (code) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const failed = code === 0 ? total - passed - skipped : Math.max(total - passed - skipped, 1);
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}\n`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
