// A process that takes tickets from a TicketbookStore until killed (for the crash test) or fills its disk
// first (for the full-disk test). Run by ticketbook-store.test.ts; prints one line per ticket handed out,
// after the store answered (that is, after the count is on disk).
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';

const [mode, dir] = process.argv.slice(2) as [string, string];
const store = new TicketbookStore(dir);

if (mode === 'take-until-killed') {
  for (;;) {
    const t = await store.take('v1-wireguard-entry', '2026-12-05');
    if (!t) { process.stdout.write('empty\n'); break; }
    process.stdout.write(`${t.book.id} ${t.firstIndex}\n`);
  }
} else if (mode === 'full-disk') {
  // Run on a tmpfs of a few pages: a book, one ticket, then the disk filled to the last byte; the take that
  // follows must fail and change nothing; with space back, the next take goes on from where it was.
  const data = new Uint8Array(600).fill(7);
  await store.add({ type: 'v1-wireguard-entry', data, revision: 1, expirationDate: '2030-06-01', epochId: 1, total: 50 });
  const first = await store.take('v1-wireguard-entry', '2030-01-01');
  const fillers: string[] = [];
  for (const size of [4096, 1]) {
    try {
      for (;;) {
        const f = join(dir, `filler-${fillers.length}`);
        writeFileSync(f, Buffer.alloc(size));
        fillers.push(f);
      }
    } catch { /* full at this size */ }
  }
  const whenFull = await store.take('v1-wireguard-entry', '2030-01-01').then((t) => `taken ${t?.firstIndex}`, (e: Error) => `refused: ${e.message}`);
  const usedWhenFull = (await store.list()).books[0]?.used;
  for (const f of fillers) rmSync(f);
  const after = await store.take('v1-wireguard-entry', '2030-01-01');
  const leftovers = readdirSync(join(dir, 'ticketbooks')).filter((n) => n.endsWith('.tmp'));
  process.stdout.write(JSON.stringify({ first: first?.firstIndex, whenFull, usedWhenFull, after: after?.firstIndex, leftovers }) + '\n');
}
