// Test-side plumbing: start a fixture script (compiled next to the tests) inside a lab namespace and talk
// to it in JSON lines.
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../tools/lab/netns.js';
import { JsonLinesChild } from '../../tools/lab/process.js';

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

/** Starts `node fixtures/<name>.js args...` inside ns. */
export function startFixture(ns: Netns, name: string, args: readonly string[] = []): JsonLinesChild {
  return new JsonLinesChild(ns.spawn(process.execPath, [fixture(name), ...args]));
}
