import { readFileSync, watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "../observability/logger.js";
import { watchEtcdKey } from "./etcd-source.js";
import type { GatewayConfig } from "./gateway-config.js";

/**
 * Calls `changed` when the config file's content changes. It watches the
 * file and its folder: editors and deploy tools that replace the file
 * (write a temporary file, rename it over) end the file's own watch, which
 * the folder's catches. Events come in bursts (one save is several), so
 * they are debounced, and a save that leaves the text as it was is ignored.
 */
export function watchConfigFile(file: string, changed: () => void, debounceMs = 200): { close(): void } {
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  // Read now, synchronously: a change written right after the watch starts must compare against this.
  let lastText: Promise<string | undefined> = Promise.resolve(readTextNow(path));
  let closed = false;
  const check = () => {
    timer = undefined;
    const previous = lastText;
    const now = readFile(path, "utf8").catch(() => undefined);
    lastText = now;
    void Promise.all([previous, now]).then(([before, after]) => {
      // A missing file (mid-rename) is not a change: its replacement will be.
      if (!closed && after !== undefined && after !== before) changed();
    });
    rewatchFile();
  };
  const poke = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  };
  const folder = watch(dirname(path), (_event, changedName) => {
    if (changedName === null || changedName === name) poke();
  });
  folder.on("error", () => undefined);
  let fileWatcher: FSWatcher | undefined;
  // The file's own watch follows the inode: after a replace it watches nothing, so it is renewed each time.
  function rewatchFile() {
    fileWatcher?.close();
    fileWatcher = undefined;
    if (closed) return;
    try {
      fileWatcher = watch(path, poke);
      fileWatcher.on("error", () => undefined);
    } catch {
      // The file is gone for now; the folder's watch sees it come back.
    }
  }
  rewatchFile();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      folder.close();
      fileWatcher?.close();
    },
  };
}

function readTextNow(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Watches where the config came from: the etcd key when the -c file names a
 * configSource (the file itself then only says where to look), else the file.
 */
export function watchConfigSource(file: string, config: GatewayConfig, changed: (why: string) => void, logger: Logger): { close(): void; readonly trigger: "etcd change" | "file change" } {
  const source = config.configSource;
  if (source === undefined) return { ...watchConfigFile(file, () => changed("file changed")), trigger: "file change" };
  const watch = watchEtcdKey(source.etcd, () => changed(`etcd key ${source.etcd.key} changed`), { afterRevision: source.revision, logger });
  return { close: () => watch.close(), trigger: "etcd change" };
}
