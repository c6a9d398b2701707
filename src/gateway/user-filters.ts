import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { FilterFactory } from "../filters/filter-factory.js";
import type { Plugins } from "./plugins.js";

/**
 * User filters: `filters: [{ use: ./my-filter.js, options: {…} }]`. A module
 * is imported asynchronously, and config validation is synchronous, so the
 * modules a config names are imported first (loadConfigFile, createGateway
 * and the CLI do it) and kept with the plugins they were loaded for, by
 * absolute path; validation then looks them up. A module that does not load
 * or exports no factory is kept as its reason, reported at the entry's path.
 */
const loaded = new WeakMap<Plugins, Map<string, FilterFactory | string>>();

function modulesOf(plugins: Plugins): Map<string, FilterFactory | string> {
  let modules = loaded.get(plugins);
  if (modules === undefined) loaded.set(plugins, (modules = new Map()));
  return modules;
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The `use` paths of a raw (unvalidated) config's global and route filters, resolved against the config folder. */
function usedFiles(config: unknown, baseDirectory: string): Set<string> {
  const files = new Set<string>();
  const collect = (entries: unknown) => {
    if (!Array.isArray(entries)) return;
    for (const entry of entries) if (isMapping(entry) && typeof entry.use === "string") files.add(resolve(baseDirectory, entry.use));
  };
  if (!isMapping(config)) return files;
  collect(config.filters);
  if (Array.isArray(config.routes)) for (const route of config.routes) if (isMapping(route)) collect(route.filters);
  return files;
}

/** Imports every module a config's `use` entries name (each once per plugins), before the config is validated. */
export async function loadUserFilters(config: unknown, plugins: Plugins, baseDirectory: string): Promise<void> {
  const modules = modulesOf(plugins);
  const files = [...usedFiles(config, baseDirectory)].filter((file) => !modules.has(file));
  await Promise.all(files.map(async (file) => modules.set(file, await importFactory(file))));
}

/** The factory loaded from `file`, the reason it could not be, or undefined when it was never loaded. */
export function userFilter(plugins: Plugins, file: string): FilterFactory | string | undefined {
  return loaded.get(plugins)?.get(file);
}

async function importFactory(file: string): Promise<FilterFactory | string> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    return `cannot load ${file}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
  }
  const exported = module.default ?? module.filter;
  if (isFilterFactory(exported)) return exported;
  return `${file} exports no filter factory: its default (or \`filter\`) export must have name, description, optionsSchema { parse } and create(options, context)`;
}

function isFilterFactory(value: unknown): value is FilterFactory {
  if (!isMapping(value)) return false;
  const schema = value.optionsSchema as { parse?: unknown } | undefined;
  return typeof value.name === "string" && typeof value.create === "function" && typeof schema?.parse === "function";
}
