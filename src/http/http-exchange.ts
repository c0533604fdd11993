// One HTTP(S) request and its whole answer, over a connection the caller may open (nym-vpnd's fwmark-ed
// sockets while the kill switch is up), with the body read up to a bound. The JSON client (json-request.ts)
// and the mixnet client's fetch (src/mixnet/marked-fetch.ts) both go through it; deadlines and error
// wording are theirs.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import tls from 'node:tls';

export interface HttpExchangeOptions {
  method: string;
  /** Sent as given (the caller names accept, content-type, content-length). */
  headers: Record<string, string>;
  payload?: Uint8Array;
  signal: AbortSignal;
  /** Redirects to follow; a 3xx beyond them is an error when any were allowed, else an answer. */
  redirects: number;
  maxBytes: number;
  /** Opens the TCP connection to a literal IP and port (default: the system's). */
  connect?: (host: string, port: number) => Socket;
  /** The error for a body over maxBytes (the caller's own kind). */
  tooLarge?: (message: string) => Error;
  /** The address of a host name (default: the system's resolver). */
  resolve?: (name: string) => Promise<string>;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function httpExchange(url: string, opts: HttpExchangeOptions, allowed = opts.redirects): Promise<HttpAnswer> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported scheme ${u.protocol}`);
  const secure = u.protocol === 'https:';
  const port = Number(u.port || (secure ? 443 : 80));
  const name = u.hostname.replace(/^\[|\]$/g, '');
  const address = isIP(name) !== 0 ? name : await (opts.resolve ?? (async (n: string) => (await lookup(n)).address))(name);
  const open = opts.connect ?? null;
  const createConnection = open === null ? undefined : () => {
    const raw = open(address, port);
    return secure ? tls.connect({ socket: raw, servername: isIP(name) === 0 ? name : undefined, ALPNProtocols: ['http/1.1'] }) : raw;
  };
  const tooLarge = opts.tooLarge ?? ((m: string) => new Error(m));
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (secure ? https : http).request({
      host: address, port, path: `${u.pathname}${u.search}`, method: opts.method, signal: opts.signal,
      headers: { host: u.host, ...opts.headers },
      ...(secure && isIP(name) === 0 ? { servername: name } : {}),
      // No pooling either way. With `agent: false` Node makes a fresh Agent, which opens its own socket and
      // ignores createConnection: the daemon's marked socket would never be used (and the kill switch would
      // refuse the unmarked one). Without an agent, ClientRequest calls createConnection itself.
      ...(createConnection ? { createConnection } : { agent: false }),
    }, resolve);
    req.on('error', reject);
    req.end(opts.payload);
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location && opts.redirects > 0) {
    res.resume();
    const next: HttpExchangeOptions = { ...opts, redirects: opts.redirects - 1 };
    if (opts.method === 'GET') delete next.payload;
    return httpExchange(new URL(res.headers.location, url).toString(), next, allowed);
  }
  if (status >= 300 && status < 400 && res.headers.location && allowed > 0) {
    res.resume();
    throw new Error(`more than ${allowed} redirects`);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    res.destroy();
    throw tooLarge(`${url}: the answer is ${declared} bytes, more than the ${opts.maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > opts.maxBytes) {
      res.destroy();
      throw tooLarge(`${url}: the answer is more than the ${opts.maxBytes} bytes allowed`);
    }
    chunks.push(chunk);
  }
  return { status, headers: res.headers, body: Buffer.concat(chunks, total) };
}
