// A small reader for the tar archives of an .ipk (gzip'd, GNU format), so that the tests look at
// the bytes themselves instead of trusting the tool that wrote them: names (with GNU long names),
// modes, owners, mtimes, types, link targets and contents.
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  /** As stored, e.g. './usr/bin/nym-vpnc' or './etc/' */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** '0' file, '5' folder, '2' symlink, ... */
  type: string;
  linkname: string;
  data: Buffer;
}

function field(h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(h: Buffer, at: number, len: number): number {
  const s = field(h, at, len).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | null = null;
  let longLink: string | null = null;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const sum = h.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    if (sum !== octal(h, 148, 8)) throw new Error(`bad tar header checksum at ${off}`);
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') { longName = data.toString('utf8').replace(/\0+$/, ''); continue; }
    if (type === 'K') { longLink = data.toString('utf8').replace(/\0+$/, ''); continue; }
    out.push({
      name: longName ?? field(h, 0, 100),
      mode: octal(h, 100, 8),
      uid: octal(h, 108, 8),
      gid: octal(h, 116, 8),
      mtime: octal(h, 136, 12),
      type,
      linkname: longLink ?? field(h, 157, 100),
      data: Buffer.from(data),
    });
    longName = null;
    longLink = null;
  }
  return out;
}

export const readTarGz = (buf: Buffer): TarEntry[] => readTar(gunzipSync(buf));

/** '/usr/bin/nym-vpnc' for './usr/bin/nym-vpnc', '/etc' for './etc/', '/' for './'. */
export function pathOf(e: TarEntry): string {
  const p = e.name.replace(/^\.\//, '/').replace(/^\.$/, '/').replace(/(.)\/$/, '$1');
  return p.startsWith('/') ? p : `/${p}`;
}
