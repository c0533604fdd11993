// JSON over HTTP(S) with a deadline and a size limit (node:http/https): the gateway directory and the
// vpn-api. A router must not hang on an API that stopped answering (a slow drip ends at the deadline), nor
// buffer an unbounded body in a few MB of RAM. The connection can come from the caller (`connect`):
// nym-vpnd hands out fwmark-ed sockets while its kill switch is up. Redirects are followed only when asked
// (the directory); an API call carrying bearer tokens never follows one.

import type { Socket } from 'node:net';
import { httpExchange } from './http-exchange.js';

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

export interface JsonRequest extends FetchJsonOptions {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  url: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Redirects to follow (default 0: a 3xx is an answer like any other). */
  followRedirects?: number;
}

export interface JsonResponse {
  status: number;
  /** The parsed body; undefined when it was empty. */
  body: unknown;
}

/**
 * One request; the answer whatever its status (the caller reads error bodies). Throws a FetchError for what
 * is not an answer: unreachable, timeout (including a slow drip), too large, not JSON, cancelled.
 */
export async function requestJson(req: JsonRequest): Promise<JsonResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const onAbort = (): void => controller.abort();
  if (req.signal?.aborted) controller.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const url = req.url;
  const failed = (error: unknown): FetchError => {
    if (error instanceof FetchError) return error;
    if (timedOut) return new FetchError('Timeout', url, `${url}: no complete answer within ${req.timeoutMs} ms`);
    if (req.signal?.aborted) return new FetchError('Aborted', url, `${url}: cancelled`);
    return new FetchError('Unreachable', url, `${url}: ${causeOf(error)}`);
  };
  try {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const { status, body } = await send(url, req, payload, controller.signal, req.followRedirects ?? 0).catch((error: unknown) => { throw failed(error); });
    const text = body.toString('utf8');
    if (text.trim() === '') return { status, body: undefined };
    try {
      return { status, body: JSON.parse(text) };
    } catch (error) {
      if (status < 200 || status > 299) return { status, body: text.slice(0, 512) };
      throw new FetchError('InvalidJson', url, `${url}: the answer is not JSON (${(error as Error).message})`);
    }
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

/** GETs `url` (following up to 5 redirects) and parses its JSON body; a non-2xx status is a FetchError. */
export async function fetchJson(url: string, opts: FetchJsonOptions): Promise<unknown> {
  const r = await requestJson({ ...opts, method: 'GET', url, followRedirects: MAX_REDIRECTS });
  if (r.status < 200 || r.status > 299) {
    const summary = errorSummary(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? ''));
    throw new FetchError('HttpStatus', url, `${url}: HTTP ${r.status}${summary === '' ? '' : `: ${summary}`}`, r.status);
  }
  if (r.body === undefined) throw new FetchError('InvalidJson', url, `${url}: the answer is not JSON (empty)`);
  return r.body;
}

const MAX_REDIRECTS = 5;

/** One request through httpExchange with JSON's headers. */
function send(url: string, opts: JsonRequest, payload: Buffer | undefined, signal: AbortSignal, redirects: number): Promise<{ status: number; body: Buffer }> {
  return httpExchange(url, {
    method: opts.method, signal, redirects, maxBytes: opts.maxBytes, ...(opts.connect ? { connect: opts.connect } : {}),
    ...(payload ? { payload } : {}),
    headers: {
      accept: 'application/json', ...opts.headers,
      ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
    },
    tooLarge: (message) => new FetchError('TooLarge', url, message),
  });
}
