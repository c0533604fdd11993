// The ticketbook store: which book pays (upstream's order), counts per type, and the promise that matters —
// no spend index is ever handed out twice, whatever happens: concurrent takes, a process killed mid-write
// (SIGKILL at random moments, many times), a full disk; and nothing stored is lost to a damaged file.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TicketbookStore, TicketbookStoreError, type NewTicketbook } from '../../src/zk-nym/ticketbook-store.js';
import { remainingTickets, ticketTypesRunningLow, ecashToday } from '../../src/zk-nym/ticket-policy.js';

const child = fileURLToPath(new URL('./store-child.js', import.meta.url));

function tmp(t: import('ava').ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'nym-books-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

let seq = 0;
function book(over: Partial<NewTicketbook> = {}): NewTicketbook {
  const data = new Uint8Array(600);
  data.set(Buffer.from(`book ${seq++} ${Math.random()}`));
  return { type: 'v1-wireguard-entry', data, revision: 1, expirationDate: '2026-12-31', epochId: 3, total: 50, ...over };
}

test('the earliest-expiring unexpired book pays; counts per type leave out books expiring today', async (t) => {
  const s = new TicketbookStore(tmp(t));
  const late = await s.add(book({ expirationDate: '2026-12-30' }));
  const early = await s.add(book({ expirationDate: '2026-12-10' }));
  await s.add(book({ expirationDate: '2026-12-04' }));
  await s.add(book({ type: 'v1-wireguard-exit', total: 20 }));
  const { books } = await s.list();
  t.deepEqual(remainingTickets(books, '2026-12-04'), { 'v1-wireguard-entry': 100, 'v1-wireguard-exit': 20, 'v1-mixnet-entry': 0, 'v1-mixnet-exit': 0 });
  t.deepEqual(ticketTypesRunningLow(books, '2026-12-04'), ['v1-wireguard-exit', 'v1-mixnet-entry'], 'mixnet exit is never requested (upstream)');
  const first = await s.take('v1-wireguard-entry', '2026-12-05');
  t.is(first?.book.id, early);
  t.is(first?.firstIndex, 0);
  t.is((await s.take('v1-wireguard-entry', '2026-12-05', 49))?.firstIndex, 1);
  const next = await s.take('v1-wireguard-entry', '2026-12-05');
  t.is(next?.book.id, late, 'the first book is used up');
  t.is(next?.firstIndex, 0);
  t.is(await s.take('v1-mixnet-entry', '2026-12-05'), undefined);
  t.is(ecashToday(Date.UTC(2026, 11, 4, 23, 59)), '2026-12-04');
});

test('files are private, the same book is stored once, bad books are refused before anything is written', async (t) => {
  const dir = tmp(t);
  const s = new TicketbookStore(dir);
  const b = book();
  const id = await s.add(b);
  t.is(await s.add(b), id);
  const files = readdirSync(join(dir, 'ticketbooks')).sort();
  t.deepEqual(files, [`${id}.book`, `${id}.used`]);
  for (const f of files) t.is(statSync(join(dir, 'ticketbooks', f)).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'ticketbooks')).mode & 0o777, 0o700);
  for (const bad of [book({ type: 'v2-bogus' as never }), book({ expirationDate: '2026-13-01' }), book({ total: 0 }), book({ epochId: -1 }), book({ data: new Uint8Array(0) }), book({ revision: 300 })]) {
    t.throws(() => s.add(bad), { instanceOf: TicketbookStoreError });
  }
  t.is(readdirSync(join(dir, 'ticketbooks')).length, 2);
});

test('200 concurrent takes: 200 different indexes, and the counts on disk agree', async (t) => {
  const s = new TicketbookStore(tmp(t));
  const a = await s.add(book({ total: 120 }));
  const b = await s.add(book({ total: 120, expirationDate: '2027-01-31' }));
  const taken = await Promise.all(Array.from({ length: 200 }, () => s.take('v1-wireguard-entry', '2026-12-05')));
  const keys = taken.map((x) => `${x!.book.id}:${x!.firstIndex}`);
  t.is(new Set(keys).size, 200);
  const { books } = await s.list();
  t.deepEqual(books.map((x) => [x.id, x.used]).sort(), [[a, 120], [b, 80]].sort());
});

test('killed at random moments while taking, 25 times: no index is ever handed out twice', async (t) => {
  const dir = tmp(t);
  const s = new TicketbookStore(dir);
  await s.add(book({ total: 400 }));
  await s.add(book({ total: 400, expirationDate: '2027-02-01' }));
  const seen = new Set<string>();
  let printed = 0;
  for (let round = 0; round < 25; round++) {
    const p = spawn(process.execPath, [child, 'take-until-killed', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    // Killed after a few tickets came out, at a moment that varies with the disk and the scheduler.
    const killAfter = 1 + Math.floor(Math.random() * 20);
    await new Promise<void>((resolve) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > killAfter) p.kill('SIGKILL');
      });
      p.on('exit', () => resolve());
    });
    for (const line of out.split('\n').filter((l) => /^[0-9a-f]{32} \d+$/.test(l))) {
      t.false(seen.has(line), `index handed out twice: ${line}`);
      seen.add(line);
      printed++;
    }
  }
  t.true(printed >= 25, `tickets were handed out (${printed})`);
  // What is on disk covers every index handed out; the gap is at most what was being taken at each kill.
  const { books, unusable } = await s.list();
  t.deepEqual(unusable, []);
  const used = books.reduce((n, b) => n + b.used, 0);
  t.true(used >= printed && used <= printed + 25, `used ${used}, handed out ${printed}`);
  t.log(`${printed} tickets handed out over 25 kills, ${used - printed} lost to a kill mid-take`);
});

test('a full disk refuses a take and changes nothing; with space back the next take goes on', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('skipped: needs root to mount a small tmpfs in a mount namespace');
  const dir = tmp(t);
  // A 64 KiB tmpfs, mounted only inside a private mount namespace of the child: nothing on this machine sees it.
  const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    'mount -t tmpfs -o size=64k,mode=0700 nymfull "$1" && exec "$2" "$3" full-disk "$1"', 'sh', dir, process.execPath, child], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { first: number; whenFull: string; usedWhenFull: number; after: number; leftovers: string[] };
  t.is(r.first, 0);
  t.regex(r.whenFull, /^refused: .*ENOSPC/);
  t.is(r.usedWhenFull, 1, 'the count on disk did not move');
  t.is(r.after, 1, 'index 1 next: nothing skipped, nothing repeated');
  t.deepEqual(r.leftovers, [], 'no temp file left behind');
});

test('damaged files: that book is left alone and reported, the others still pay, nothing is deleted', async (t) => {
  const dir = tmp(t);
  const s = new TicketbookStore(dir);
  const ok = await s.add(book({ expirationDate: '2027-03-01' }));
  const noCount = await s.add(book());
  const badJson = await s.add(book());
  const linked = await s.add(book());
  const over = await s.add(book());
  const d = join(dir, 'ticketbooks');
  unlinkSync(join(d, `${noCount}.used`));
  writeFileSync(join(d, `${badJson}.book`), '{"format":1,');
  unlinkSync(join(d, `${linked}.used`));
  symlinkSync('/etc/passwd', join(d, `${linked}.used`));
  writeFileSync(join(d, `${over}.used`), '51\n');
  writeFileSync(join(d, 'ffffffffffffffffffffffffffffffff.book'), readFileSync(join(d, `${ok}.book`)));
  writeFileSync(join(d, 'ffffffffffffffffffffffffffffffff.used'), '0\n');
  const { books, unusable } = await s.list();
  t.deepEqual(books.map((b) => b.id), [ok]);
  t.deepEqual(unusable.map((u) => u.id).sort(), [noCount, badJson, linked, over, 'ffffffffffffffffffffffffffffffff'].sort());
  t.regex(unusable.find((u) => u.id === noCount)!.reason, /index could repeat/);
  t.regex(unusable.find((u) => u.id === linked)!.reason, /symbolic link/);
  t.regex(unusable.find((u) => u.id === 'ffffffffffffffffffffffffffffffff')!.reason, /does not match its name/);
  t.is((await s.take('v1-wireguard-entry', '2026-12-05'))?.book.id, ok);
  const expected = [ok, noCount, badJson, linked, over, 'ffffffffffffffffffffffffffffffff'].flatMap((id) => [`${id}.book`, `${id}.used`]).filter((f) => f !== `${noCount}.used`);
  t.deepEqual(readdirSync(d).sort(), expected.sort(), 'every damaged file is still there for a person to look at');
  t.is(readFileSync('/etc/passwd', 'utf8').includes('root'), true);
});

test('removeAll forgets every book and leaves no file of ours', async (t) => {
  const dir = tmp(t);
  const s = new TicketbookStore(dir);
  await s.add(book());
  await s.add(book());
  t.is(await s.removeAll(), 2);
  t.deepEqual((await s.list()).books, []);
  t.false(readdirSync(dir).includes('ticketbooks'));
});
