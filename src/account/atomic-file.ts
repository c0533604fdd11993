// Durable, all-or-nothing file writes: a temp file in the same directory, fsync, rename over the
// target, fsync the directory. Readers (and a crash at any point) see the old file or the new one,
// never a part. Used for the account secrets and for the gateway directory cache.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
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

/** Temp names start with a dot and end in `.tmp`, so that a leftover one is recognisable. */
export function isTempName(name: string): boolean {
  return /^\..+\.[0-9a-f]{12}\.tmp$/.test(name);
}

/**
 * Replaces `path` with `data` atomically, the file getting exactly `mode`. On any failure the
 * temp file is removed and the old file (if any) is untouched.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  let renamed = false;
  try {
    try {
      await handle.chmod(mode);  // the umask may have narrowed it; never wider than asked
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
    await syncDir(dir);
  } finally {
    if (!renamed) await unlink(temp).catch(() => {});
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
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size > 0) {
      await handle.write(new Uint8Array(size), 0, size, 0);
      await handle.sync();
    }
  } finally {
    await handle.close();
  }
  await unlink(path);
  await syncDir(dirname(path));
  return true;
}
