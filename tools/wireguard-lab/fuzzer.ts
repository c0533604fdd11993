// Sends a bounded number of random and mutated datagrams at a device: `fuzzer.js HOST PORT COUNT SEED
// CORPUS_FILE`. Mutations start from real captured datagrams (truncated, extended, bit-flipped,
// retyped, replayed, stale or huge counters) plus pure noise of every size up to 65507 bytes.
// Prints {sent, kinds, ms} as one JSON line.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [host, portText, countText, seedText, corpusFile] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const corpus = (JSON.parse(readFileSync(corpusFile!, 'utf8')) as string[]).map((h) => Buffer.from(h, 'hex'));

let state = (Number(seedText) >>> 0) || 0x9e3779b9;
function rand(): number {
  // xorshift32: reproducible runs from the seed
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state;
}
const below = (n: number): number => rand() % n;
function noise(len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  let i = 0;
  for (; i + 4 <= len; i += 4) b.writeUInt32LE(rand(), i);
  for (; i < len; i++) b[i] = rand() & 0xff;
  return b;
}
const pick = (): Buffer => corpus[below(corpus.length)]!;
const SIZES = [148, 92, 64, 32];

const kinds: Record<string, number> = {};
function make(): Buffer {
  const k = below(100);
  let kind: string;
  let out: Buffer;
  if (k < 15) { kind = 'noise'; out = noise(below(256)); }
  else if (k < 16 && below(10) === 0) { kind = 'huge'; out = noise(1500 + below(65507 - 1500)); }
  else if (k < 30) {
    kind = 'typed';
    const t = 1 + below(4);
    out = noise(t === 4 ? 32 + below(1500) : SIZES[t - 1]!);
    out.writeUInt32LE(t, 0);
  } else if (k < 40) { kind = 'replay'; out = Buffer.from(pick()); }
  else if (k < 60) {
    kind = 'bitflip';
    out = Buffer.from(pick());
    for (let n = 1 + below(4); n > 0; n--) out[below(out.length)]! ^= 1 << below(8);
  } else if (k < 70) { kind = 'truncated'; const c = pick(); out = Buffer.from(c.subarray(0, below(c.length))); }
  else if (k < 75) { kind = 'extended'; out = Buffer.concat([pick(), noise(1 + below(64))]); }
  else if (k < 82) {
    kind = 'retyped';
    out = Buffer.from(pick());
    if (out.length >= 4) out[below(4)] = rand() & 0xff;
  } else if (k < 92) {
    kind = 'counter';
    out = Buffer.from(pick());
    if (out.length >= 32 && out[0] === 4) {
      const v = below(3);
      if (v === 0) out.writeBigUInt64LE(0n, 8); // stale
      else if (v === 1) out.writeBigUInt64LE(0xffffffffffffffffn - BigInt(below(9000)), 8); // at RejectAfterMessages
      else out.writeBigUInt64LE(BigInt(rand()) * 65536n, 8);
    }
  } else { kind = 'badmac'; out = Buffer.from(pick()); if (out.length >= 32) out[out.length - 1 - below(32)]! ^= 0x55; }
  kinds[kind] = (kinds[kind] ?? 0) + 1;
  return out;
}

const sock = createSocket('udp4');
sock.on('error', () => {});
const start = performance.now();
let sent = 0;
function burst(): void {
  // Bounded bursts with a yield in between, so the kernel queue at the target does not just overflow.
  for (let i = 0; i < 500 && sent < count; i++, sent++) sock.send(make(), port, host);
  if (sent < count) setTimeout(burst, 1);
  else setTimeout(() => {
    console.log(JSON.stringify({ sent, kinds, ms: performance.now() - start }));
    sock.close();
  }, 200);
}
sock.bind(0, burst);
