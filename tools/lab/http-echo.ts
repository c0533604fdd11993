#!/usr/bin/env node
// inet's web server: tells the caller its address, streams test bytes, hashes uploads.
//   GET  /             "you are <addr>\n"   (the address the request came from, as inet sees it)
//   GET  /bytes?n=N    N bytes of the lab stream (lab-bytes.ts), Content-Length N
//   POST any path      "<sha256 hex> <length>\n" of the body
// Usage: node http-echo.js --listen ADDR:PORT [--listen [ADDR6]:PORT ...]; prints {"listening":[…]} when ready.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { labBytes } from './lab-bytes.js';

const MAX_BYTES = 2 ** 40;

function callerAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '?';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

async function streamBytes(res: ServerResponse, n: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
  for (const block of labBytes(n)) {
    if (!res.write(block)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    if (res.destroyed) return;
  }
  res.end();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://lab');
  if (req.method === 'POST' || req.method === 'PUT') {
    const h = createHash('sha256');
    let length = 0;
    req.on('data', (d: Buffer) => {
      h.update(d);
      length += d.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${h.digest('hex')} ${length}\n`);
    });
    return;
  }
  if (url.pathname === '/bytes') {
    const n = Number(url.searchParams.get('n'));
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_BYTES) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`n must be an integer 0..${MAX_BYTES}\n`);
      return;
    }
    streamBytes(res, n).catch(() => res.destroy());
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`you are ${callerAddress(req)}\n`);
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  if (m === null) throw new Error(`--listen ${text}: use ADDR:PORT or [ADDR6]:PORT`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { listen: { type: 'string', multiple: true } }, strict: true });
  const listens = (values.listen ?? []).map(parseListen);
  if (listens.length === 0) throw new Error('give at least one --listen ADDR:PORT');
  for (const { host, port } of listens) {
    const server = createServer(handle);
    server.keepAliveTimeout = 1000;
    server.listen({ host, port, ipv6Only: host.includes(':') });
    await once(server, 'listening');
  }
  process.stdout.write(`${JSON.stringify({ listening: listens.map((l) => `${l.host}:${l.port}`) })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((e: Error) => {
  process.stderr.write(`http-echo: ${e.message}\n`);
  process.exit(1);
});
