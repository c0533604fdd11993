// Floods a WireGuard responder with handshake initiations that carry a valid mac1 (so each costs it
// a Diffie-Hellman) until it declares itself under load: `flood.js SRC DST PORT PUBKEY SECONDS`.
// Uses sendmmsg so that one JS thread outpaces a multi-core responder.
import { randomBytes } from 'node:crypto';
import { UdpBatchSocket, UdpEndpoint } from '../../src/sockets/udp-batch-socket.js';
import { CookieGenerator } from '../../src/wireguard/cookie.js';
import { defaultBackend } from '../../src/wireguard/crypto/index.js';
import { keyFromBase64 } from '../../src/wireguard/keys.js';

const [src, dst, port, pub, seconds] = process.argv.slice(2);
const macs = new CookieGenerator(defaultBackend, keyFromBase64(pub!));
const pool: Uint8Array[] = [];
for (let i = 0; i < 2048; i++) {
  const m = new Uint8Array(randomBytes(148));
  m.set([1, 0, 0, 0], 0);
  macs.addMacs(m, 0);
  pool.push(m);
}
const sock = UdpBatchSocket.bind({ address: src!, port: 0, batchSize: 256 });
const to = UdpEndpoint.parse(dst!, Number(port));
const end = performance.now() + Number(seconds) * 1000;
let sent = 0;
let i = 0;
function burst(): void {
  const batch = [];
  for (let k = 0; k < 256; k++) batch.push({ data: pool[i++ % pool.length]!, to });
  sent += sock.send(batch);
  if (performance.now() < end) setImmediate(burst);
  else {
    console.log(JSON.stringify({ sent }));
    sock.close();
  }
}
console.log(JSON.stringify({ started: true }));
burst();
