// GET a JSON document with a deadline and a size limit (global fetch, Node 20). A router must not
// hang on an API that stopped answering, nor buffer an unbounded body in a few MB of RAM.

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
}

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

async function readLimited(res: Response, url: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new FetchError('TooLarge', url, `${url}: the answer is ${declared} bytes, more than the ${maxBytes} allowed`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body === null) return Buffer.alloc(0);
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new FetchError('TooLarge', url, `${url}: the answer is more than the ${maxBytes} bytes allowed`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
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
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json', ...opts.headers }, redirect: 'follow' });
    } catch (error) {
      throw failed(error);
    }
    let bytes: Buffer;
    try {
      bytes = await readLimited(res, url, opts.maxBytes);
    } catch (error) {
      controller.abort();  // stop the transfer of a body we refuse
      throw failed(error);
    }
    const text = bytes.toString('utf8');
    if (!res.ok) {
      const summary = errorSummary(text);
      throw new FetchError('HttpStatus', url, `${url}: HTTP ${res.status}${summary === '' ? '' : `: ${summary}`}`, res.status);
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
