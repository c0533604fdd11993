// Files that must never be seen half-written: fw4 loads whatever its include finds at any moment, and a
// broken include fails fw4's whole ruleset. Written to a temporary name in the same folder, checked,
// flushed to disk, then renamed over the old one.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temporary name next to path: not matched by fw4's `*.nft` globs (it ends in .tmp). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${basename(path)}.${process.pid}.tmp`);
}

/**
 * Writes content to path atomically. `check` runs on the temporary file first (nft -c -f, iptables-restore
 * --test); if it throws, the old file stays and the temporary one is removed.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  opts: { mode?: number; dirMode?: number; check?: (tmp: string) => Promise<void> } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: opts.dirMode ?? 0o755 });
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w', opts.mode ?? 0o644);
    try {
      await fh.writeFile(content);
      await fh.sync();  // on flash (/etc) a rename must not reach the disk before the data
    } finally {
      await fh.close();
    }
    if (opts.check) await opts.check(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  } finally {
    await dir.close();
  }
}

export async function readIfExists(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
}

export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
