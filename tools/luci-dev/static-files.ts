// Files under /luci-static: the app's htdocs first (its views and modules), then the lab runtime
// standing in for luci-base and the bootstrap theme. Paths never leave their folder.

import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticRoot {
  /** URL prefix, e.g. "/luci-static/resources/". */
  prefix: string;
  dir: string;
}

export async function readStatic(roots: readonly StaticRoot[], urlPath: string): Promise<{ body: Buffer; type: string } | null> {
  for (const r of roots) {
    if (!urlPath.startsWith(r.prefix)) continue;
    const rel = normalize(decodeURIComponent(urlPath.slice(r.prefix.length)));
    if (rel.startsWith('..') || rel.includes(`${sep}..`) || rel.startsWith(sep)) return null;
    try {
      const body = await readFile(join(r.dir, rel));
      return { body, type: TYPES[extname(rel)] ?? 'application/octet-stream' };
    } catch {
      // not in this root: try the next
    }
  }
  return null;
}
