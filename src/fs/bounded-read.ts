// Reading a file someone else controls (the config an owner or a LuCI user edits): only a regular file, and
// never more than a bound. Opened non-blocking, so a FIFO put in its place cannot hang the daemon; checked
// with fstat on the open descriptor (no race with a rename); read up to bound + 1 bytes, so a huge or growing
// file is refused without being read whole.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type FileProblem = 'missing' | 'not-a-file' | 'too-big' | 'unreadable';

export class FileShapeError extends Error {
  override name = 'FileShapeError';
  constructor(
    readonly problem: FileProblem,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readBoundedFile(path: string, maxBytes: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileShapeError('missing', path, `${path} does not exist`);
    throw new FileShapeError('unreadable', path, `${path} cannot be opened (${code ?? (e as Error).message})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new FileShapeError('not-a-file', path, `${path} is ${kind}, not a regular file`);
    }
    if (st.size > maxBytes) throw new FileShapeError('too-big', path, `${path} is ${st.size} bytes, over the ${maxBytes} a config may have`);
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > maxBytes) throw new FileShapeError('too-big', path, `${path} grew past the ${maxBytes} bytes a config may have`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof FileShapeError) throw e;
    throw new FileShapeError('unreadable', path, `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    await fh.close();
  }
}
