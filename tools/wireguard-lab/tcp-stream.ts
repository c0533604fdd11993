// A deterministic byte stream over TCP, hashed on both ends: `send HOST PORT BYTES` or `recv PORT`.
// Prints one JSON line {bytes, sha256, ms}. Used to check a transfer through a tunnel end to end.
import { createCipheriv, createHash } from 'node:crypto';
import { createConnection, createServer } from 'node:net';

// 64 KiB blocks of an AES-CTR keystream: deterministic, incompressible and cheap to make.
const keystream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
const zeros = Buffer.alloc(65536);
function block(): Buffer {
  return keystream.update(zeros);
}

const [mode, a, b, c] = process.argv.slice(2);
const start = performance.now();
if (mode === 'recv') {
  const server = createServer((sock) => {
    const h = createHash('sha256');
    let bytes = 0;
    sock.on('data', (d) => { h.update(d); bytes += d.length; });
    sock.on('end', () => {
      console.log(JSON.stringify({ bytes, sha256: h.digest('hex'), ms: performance.now() - start }));
      sock.end();
      server.close();
    });
  });
  server.listen(Number(a), () => console.log(JSON.stringify({ listening: Number(a) })));
} else if (mode === 'send') {
  const total = Number(c);
  const sock = createConnection({ host: a!, port: Number(b) });
  const h = createHash('sha256');
  let sent = 0;
    const pump = (): void => {
    while (sent < total) {
      const chunk = block().subarray(0, Math.min(65536, total - sent));
      h.update(chunk);
      sent += chunk.length;
      if (!sock.write(chunk)) {
        sock.once('drain', pump);
        return;
      }
    }
    sock.end();
  };
  sock.on('connect', pump);
  sock.on('close', () => console.log(JSON.stringify({ bytes: sent, sha256: h.digest('hex'), ms: performance.now() - start })));
  sock.on('error', (e) => { console.log(JSON.stringify({ error: String(e) })); process.exitCode = 1; });
} else {
  console.error('usage: tcp-stream send HOST PORT BYTES | recv PORT');
  process.exit(2);
}
