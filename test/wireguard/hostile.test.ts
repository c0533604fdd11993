// Hostile input at a live device (ours, in a namespace, with a live session to wireguard-go):
// a million random and mutated datagrams. Nothing may crash or escape, no unauthenticated datagram
// may change session state, memory must stay flat, and the tunnel must still work afterwards.
import test from 'ava';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { INNER, OUR_PORT, OUTER, startInterop } from '../../tools/wireguard-lab/interop-lab.js';

const COUNT = Number(process.env.WG_FUZZ_COUNT ?? 1_000_000);

test.serial(`fuzz: ${COUNT} random and mutated datagrams at a live device`, async (t) => {
  t.timeout(600_000);
  const x = await startInterop({ capture: 64 });
  const tmp = mkdtempSync(join(tmpdir(), 'wgfuzz-'));
  try {
    // A live session with handshakes both ways, so the corpus holds real initiations, responses,
    // data and keepalives, and real indices exist to aim at.
    t.true(await x.theirs.ping(INNER.ours, 3) || await x.theirs.ping(INNER.ours, 3));
    t.true(await x.ours.ping(INNER.theirs, 3));
    const { captured } = await x.child.request<{ captured: string[] }>({ cmd: 'captured' });
    t.true(captured.length >= 3, `corpus of ${captured.length}`);
    const corpusFile = join(tmp, 'corpus.json');
    writeFileSync(corpusFile, JSON.stringify(captured));

    const heapBefore = await x.child.request<{ heapUsed: number; gc: boolean }>({ cmd: 'heap' });
    const before = await x.child.request<{ snapshot: unknown; counters: Record<string, number> }>({ cmd: 'snapshot' });
    const fuzzer = new JsonLinesChild(x.theirs.spawn(process.execPath, [fileURLToPath(new URL('../../tools/wireguard-lab/fuzzer.js', import.meta.url)),
      OUTER.ours, String(OUR_PORT), String(COUNT), '12345', corpusFile]));
    const report = await fuzzer.next<{ sent: number; kinds: Record<string, number>; ms: number }>((m) => m.sent !== undefined, 580_000);
    t.is(report.sent, COUNT);
    await new Promise((r) => setTimeout(r, 500));
    const after = await x.child.request<{ snapshot: unknown; counters: Record<string, number> }>({ cmd: 'snapshot' });
    const heapAfter = await x.child.request<{ heapUsed: number; gc: boolean }>({ cmd: 'heap' });

    const c = after.counters;
    const drops = Object.entries(c).filter(([k]) => k.startsWith('dropped')).reduce((s, [, v]) => s + v, 0)
      - Object.entries(before.counters).filter(([k]) => k.startsWith('dropped')).reduce((s, [, v]) => s + v, 0);
    t.log(`sent ${report.sent} in ${report.ms.toFixed(0)} ms; kinds ${JSON.stringify(report.kinds)}`);
    t.log(`device counted ${drops} drops (+ ${c.cookieRepliesSent} cookie replies); ${JSON.stringify(c)}`);
    t.log(`heap ${(heapBefore.heapUsed / 1e6).toFixed(1)} MB → ${(heapAfter.heapUsed / 1e6).toFixed(1)} MB (gc: ${heapAfter.gc})`);
    t.is(c.droppedInternalError, 0, 'no exception inside the device');
    t.false(x.child.messages.some((m) => (m as { event?: string }).event === 'uncaughtException'));
    // Legitimate keepalives may arrive meanwhile; they add exactly 32 bytes each and nothing else.
    const keepalives = c.keepalivesReceived - before.counters.keepalivesReceived;
    const snapBefore = before.snapshot as Array<Record<string, unknown>>;
    const snapAfter = after.snapshot as Array<Record<string, unknown>>;
    t.is(snapAfter[0]!.rxBytes, (snapBefore[0]!.rxBytes as number) + 32 * keepalives);
    t.deepEqual({ ...snapAfter[0], rxBytes: 0 }, { ...snapBefore[0], rxBytes: 0 }, 'session state unchanged');
    t.true(drops > COUNT * 0.2, `a good share of what was sent arrived and was dropped (${drops})`);
    t.true(heapAfter.heapUsed - heapBefore.heapUsed < 8e6, 'heap flat');
    // Still alive and working.
    t.true(await x.ours.ping(INNER.theirs, 3));
  } catch (err) {
    t.log('child stderr:', x.child.stderr.slice(-3000));
    throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await x.child.request({ cmd: 'down' }).catch(() => {});
    await x.destroy();
  }
});
