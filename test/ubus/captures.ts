// Reads ../shared/docs/ubus-captures.md: the bytes seen between the real ubusd and real clients.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FrameReader } from '../../src/ubus/message.js';

export interface CapturedFrame {
  section: string;
  dir: '<' | '>';
  index: number;
  bytes: Uint8Array;
}

export const repoRoot = resolve(new URL('.', import.meta.url).pathname, '../../..');
export const capturesPath = resolve(repoRoot, '../shared/docs/ubus-captures.md');
/** Why the capture tests cannot run here (a clone without ../shared beside it), or undefined. */
export const capturesMissing: string | undefined = existsSync(capturesPath) ? undefined : `${capturesPath} is not here (../shared is not beside this checkout)`;

/** Every frame of every capture, split with our own FrameReader per read (a read may hold several). */
export function loadCapturedFrames(): CapturedFrame[] {
  const text = readFileSync(capturesPath, 'utf8');
  const frames: CapturedFrame[] = [];
  let section = '';
  let dir: '<' | '>' | null = null;
  let hex: string[] = [];
  const flush = () => {
    if (dir && hex.length > 0) {
      const bytes = Uint8Array.from(hex.map((h) => parseInt(h, 16)));
      for (const f of new FrameReader().push(bytes)) frames.push({ section, dir, index: frames.length, bytes: f });
    }
    dir = null;
    hex = [];
  };
  for (const line of text.split('\n')) {
    const sec = /^## (\w)\./.exec(line);
    if (sec) { flush(); section = sec[1]!; continue; }
    const head = /^([<>]) length=(\d+)/.exec(line);
    if (head) { flush(); dir = head[1] as '<' | '>'; continue; }
    if (line.startsWith('--') || line.startsWith('```')) { flush(); continue; }
    if (dir && /^ [0-9a-f]{2}( |$)/.test(line)) {
      // Hex columns end where the ASCII column starts (two spaces).
      const cols = line.slice(1).split('  ')[0]!;
      hex.push(...cols.trim().split(/\s+/));
    }
  }
  flush();
  return frames;
}
