// Reading a file that holds a secret (the mnemonic, device keys, WireGuard keys): never through a symlink
// (O_NOFOLLOW: a link planted in the state dir could point the daemon's chmod or read at another file), only a
// regular file of bounded size, and private again (0600, fixed on the descriptor) if someone widened it.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export class SecretFileError extends Error {
  override name = 'SecretFileError';
}

/** The text of `path`, or undefined when it does not exist. */
export async function readSecretFile(path: string, maxBytes = 64 * 1024): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SecretFileError(`${path} is a symbolic link: refusing to follow it`);
    throw new SecretFileError(`cannot open ${path}: ${code ?? 'error'}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SecretFileError(`${path} is not a regular file`);
    if (st.size > maxBytes) throw new SecretFileError(`${path} is ${st.size} bytes, more than a key file holds`);
    // Someone (a backup restore, an editor) widened it: a secret stays private.
    if ((st.mode & 0o077) !== 0) await fh.chmod(0o600);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch (e) {
    if (e instanceof SecretFileError) throw e;
    throw new SecretFileError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await fh.close();
  }
}
