// GET a JSON document with a deadline and a size limit (node:http/https). A router must not hang on
// an API that stopped answering, nor buffer an unbounded body in a few MB of RAM. The connection can
// come from the caller (`connect`): nym-vpnd hands out fwmark-ed sockets while its kill switch is up.

import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import tls from 'node:tls';

export type FetchFailure = 'Timeout' | 'Unreachable' | 'HttpStatus' | 'TooLarge' | 'InvalidJson' | 'Aborted';

export class FetchError extends Error {
  override name = 'FetchError';
  constructor(
    readonly code: FetchFailure,
    readonly url: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface FetchJsonOptions {
  timeoutMs: number;
  maxBytes: number;
  /** The caller's own cancellation (disconnect, shutdown). */
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Opens the TCP connection to an IP and port (default: the system's). */
  connect?: SocketFactory;
}

/** Opens a TCP connection to a literal IP: how nym-vpnd chooses marked or plain sockets. */
export type SocketFactory = (host: string, port: number) => Socket;


/** What a failed request's cause says, e.g. "ECONNREFUSED 127.0.0.1:9" (undici hides it in .cause). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code !== undefined) return cause.message?.includes(cause.code) ? cause.message : `${cause.code} ${cause.message ?? ''}`.trim();
  return cause?.message ?? (error as Error)?.message ?? String(error);
}

/** The API's error body ({message, status} as NymErrorResponse) or the start of whatever came back. */
function errorSummary(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body?.message === 'string') return body.message.slice(0, 200);
  } catch {
    // not JSON: fall through
  }
  const printable = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return printable.length > 120 ? `${printable.slice(0, 120)}…` : printable;
}

/** Fetches `url` and parses its JSON body; every failure is a FetchError naming the URL and the cause. */
export async function fetchJson(url: string, opts: FetchJsonOptions): Promise<unknown> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const onAbort = (): void => controller.abort();
  if (opts.signal?.aborted) controller.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const failed = (error: unknown): FetchError => {
    if (error instanceof FetchError) return error;
    if (timedOut) return new FetchError('Timeout', url, `${url}: no complete answer within ${opts.timeoutMs} ms`);
    if (opts.signal?.aborted) return new FetchError('Aborted', url, `${url}: cancelled`);
    return new FetchError('Unreachable', url, `${url}: ${causeOf(error)}`);
  };

  try {
    const { status, body } = await get(url, opts, controller.signal, 0).catch((error: unknown) => { throw failed(error); });
    const text = body.toString('utf8');
    if (status < 200 || status > 299) {
      const summary = errorSummary(text);
      throw new FetchError('HttpStatus', url, `${url}: HTTP ${status}${summary === '' ? '' : `: ${summary}`}`, status);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new FetchError('InvalidJson', url, `${url}: the answer is not JSON (${(error as Error).message})`);
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

const MAX_REDIRECTS = 5;

/** One GET (following redirects), the body read up to maxBytes. */
async function get(url: string, opts: FetchJsonOptions, signal: AbortSignal, hops: number): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported scheme ${u.protocol}`);
  const secure = u.protocol === 'https:';
  const port = Number(u.port || (secure ? 443 : 80));
  const name = u.hostname.replace(/^\[|\]$/g, '');
  const address = isIP(name) !== 0 ? name : (await lookup(name)).address;
  const open = opts.connect ?? null;
  const createConnection = open === null ? undefined : () => {
    const raw = open(address, port);
    return secure ? tls.connect({ socket: raw, servername: isIP(name) === 0 ? name : undefined, ALPNProtocols: ['http/1.1'] }) : raw;
  };
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (secure ? https : http).request({
      host: address, port, path: `${u.pathname}${u.search}`, method: 'GET', signal, agent: false,
      headers: { host: u.host, accept: 'application/json', ...opts.headers },
      ...(secure && isIP(name) === 0 ? { servername: name } : {}),
      ...(createConnection ? { createConnection } : {}),
    }, resolve);
    req.on('error', reject);
    req.end();
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) {
    res.resume();
    if (hops >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    return get(new URL(res.headers.location, url).toString(), opts, signal, hops + 1);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    res.destroy();
    throw new FetchError('TooLarge', url, `${url}: the answer is ${declared} bytes, more than the ${opts.maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > opts.maxBytes) {
      res.destroy();
      throw new FetchError('TooLarge', url, `${url}: the answer is more than the ${opts.maxBytes} bytes allowed`);
    }
    chunks.push(chunk);
  }
  return { status, body: Buffer.concat(chunks, total) };
}
