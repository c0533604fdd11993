// A process that owns a whole lab (buildLab), reports what it made, then ends as argv[3] says:
//   wait:  waits for a signal     -> the signal hooks (netns.ts + cleanup.ts) must remove everything
//   exit:  process.exit(0)        -> the exit hooks must
//   crash: SIGKILLs itself        -> nothing runs; sweepStaleLabs() must clean up later
import { readdirSync } from 'node:fs';
import { buildLab } from '../../../tools/lab/topology.js';

const [prefix, mode] = process.argv.slice(2) as [string, string];
const lab = await buildLab({ prefix, daemon: 'none' });
const pids = [...lab.gateways.values()].map((g) => g.wg.pid).filter((p): p is number => p !== undefined);
process.stdout.write(`${JSON.stringify({
  type: 'ready',
  namespaces: lab.lab.namespaces.map((n) => n.name),
  sockets: [...lab.gateways.values()].map((g) => `${g.wg.name}.sock`).filter((s) => readdirSync('/var/run/wireguard').includes(s)),
  workDir: lab.workDir,
  pids,
})}\n`);

if (mode === 'exit') process.exit(0);
else if (mode === 'crash') process.kill(process.pid, 'SIGKILL');
else setInterval(() => {}, 1000);
