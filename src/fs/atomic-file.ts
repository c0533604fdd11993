// Durable, all-or-nothing file writes: a temp file in the same directory, fsync, an optional check of
// the temp file, rename over the target, fsync the directory. Readers (fw4 loading an include at any
// moment, or a crash at any point) see the old file or the new one, never a part. Used for secrets,
// the firewall's include files and the gateway directory cache.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Makes `dir` (and parents) if missing and gives it exactly `mode` (0700 for secrets). */
export async function ensureDir(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  const st = await stat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  // mkdir does not touch an existing directory, and a umask may have narrowed a new one.
  if ((st.mode & 0o7777) !== mode) await chmod(dir, mode);
}

/** fsync of a directory makes a rename or unlink in it durable; not every filesystem allows it. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: the file data is already on disk; only a crash this instant could lose the rename.
  } finally {
    await handle?.close();
  }
}

/**
 * Temp names start with a dot and end in `.tmp`: recognisable when left over, hidden from globs
 * such as fw4's `*.nft` includes.
 */
export function isTempName(name: string): boolean {
  return /^\..+\.[0-9a-f]{12}\.tmp$/.test(name);
}

export interface AtomicWriteOptions {
  /** The file's exact mode (default 0644). */
  mode?: number;
  /** Mode of directories created on the way (default 0755; existing ones are left alone). */
  dirMode?: number;
  /** Runs on the temp file before it replaces the target (nft -c -f, …); a throw keeps the old file. */
  check?: (tempPath: string) => Promise<void>;
}

/**
 * Replaces `path` with `data` atomically. On any failure the temp file is removed and the old file
 * (if any) is untouched.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const mode = opts.mode ?? 0o644;
  await mkdir(dir, { recursive: true, mode: opts.dirMode ?? 0o755 });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  let renamed = false;
  try {
    try {
      await handle.chmod(mode); // the umask may have narrowed it; never wider than asked
      await handle.writeFile(data);
      await handle.sync(); // on flash a rename must not reach the disk before the data
    } finally {
      await handle.close();
    }
    if (opts.check) await opts.check(temp);
    await rename(temp, path);
    renamed = true;
    await syncDir(dir);
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
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

/**
 * Overwrites a file's bytes with zeros (and syncs) before unlinking it, so that a secret does not
 * linger in the file's old blocks on simple filesystems. (Flash with wear levelling or copy-on-write
 * filesystems may still keep old copies; this is the best a program can do.) Missing file: no-op.
 * Returns whether a file was removed.
 */
export async function overwriteAndRemove(path: string): Promise<boolean> {
  let handle;
  try {
    // Never through a symlink (its target is not ours to zero) and never blocking on a FIFO.
    handle = await open(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'ELOOP') throw error;
  }
  try {
    const st = await handle?.stat();
    const size = st?.isFile() ? st.size : 0;
    if (handle && size > 0) {
      await handle.write(new Uint8Array(size), 0, size, 0);
      await handle.sync();
    }
  } finally {
    await handle?.close();
  }
  await unlink(path);
  await syncDir(dirname(path));
  return true;
}

/**
 * Removes the temp files an interrupted write left in `dir` (a crash or power cut between the temp file and
 * the rename); returns how many. Only names isTempName recognises, only regular files, never following links.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!isTempName(name)) continue;
    try {
      if (!(await lstat(join(dir, name))).isFile()) continue;
      await unlink(join(dir, name));
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  if (removed > 0) await syncDir(dir);
  return removed;
}
