// What a test does from inside a namespace: HTTP with curl (text answers, uploads, hashed downloads),
// DNS questions (dns-query.js, since the machines have no dig), pings.
import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DnsAnswer, QueryType } from './dns-query.js';
import type { Netns } from './netns.js';

export const DNS_QUERY_JS = fileURLToPath(new URL('./dns-query.js', import.meta.url));

export interface CurlOptions {
  /** Seconds for the whole transfer (default 10). */
  timeoutS?: number;
  /** POST this body. */
  data?: string;
  /** Resolve a host name to an address (curl --resolve HOST:PORT:ADDR), e.g. from a lab DNS answer. */
  resolve?: readonly string[];
  /** Force IPv4 or IPv6. */
  family?: 4 | 6;
}

export interface CurlResult {
  status: number;
  body: string;
}

function curlArgs(url: string, opts: CurlOptions): string[] {
  const args = ['-sS', '--globoff', '--noproxy', '*', '-m', String(opts.timeoutS ?? 10)];
  if (opts.family !== undefined) args.push(opts.family === 6 ? '-6' : '-4');
  for (const r of opts.resolve ?? []) args.push('--resolve', r);
  if (opts.data !== undefined) args.push('--data-binary', '@-');
  args.push(url);
  return args;
}

const STATUS_MARK = '\n@@nym-lab-status ';

/** curl url from inside ns; rejects when curl fails (no answer, timeout), resolves with status and body. */
export async function curl(ns: Netns, url: string, opts: CurlOptions = {}): Promise<CurlResult> {
  const args = [...curlArgs(url, opts), '-w', `${STATUS_MARK}%{http_code}`];
  const { stdout } = await ns.exec('curl', args, { timeoutMs: ((opts.timeoutS ?? 10) + 5) * 1000, ...(opts.data !== undefined ? { input: opts.data } : {}) });
  const at = stdout.lastIndexOf(STATUS_MARK);
  return { status: Number(stdout.slice(at + STATUS_MARK.length)), body: stdout.slice(0, at) };
}

export interface DownloadResult {
  status: number;
  bytes: number;
  sha256: string;
  /** curl's own timing of the transfer. */
  seconds: number;
}

let downloadCounter = 0;

/** Downloads url from inside ns into a temp file and hashes it (for /bytes?n=N transfer tests). */
export async function download(ns: Netns, url: string, workDir: string, opts: CurlOptions = {}): Promise<DownloadResult> {
  const file = join(workDir, `download-${downloadCounter++}`);
  try {
    const args = [...curlArgs(url, { timeoutS: 120, ...opts }), '-o', file, '-w', '%{http_code} %{size_download} %{time_total}'];
    const { stdout } = await ns.exec('curl', args, { timeoutMs: ((opts.timeoutS ?? 120) + 5) * 1000 });
    const [status, bytes, seconds] = stdout.trim().split(' ').map(Number) as [number, number, number];
    const h = createHash('sha256');
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
    return { status, bytes, sha256: h.digest('hex'), seconds };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Asks a DNS server one question from inside ns; rejects on timeout. */
export async function dnsQuery(ns: Netns, server: string, name: string, type: QueryType = 'A', timeoutMs = 2000): Promise<DnsAnswer> {
  const r = await ns.exec(process.execPath, [DNS_QUERY_JS, server, name, type, '--timeout', String(timeoutMs)], { timeoutMs: timeoutMs + 5000 })
    .catch((e: { stdout?: string; message: string }) => {
      const reason = (() => {
        try {
          return (JSON.parse(e.stdout ?? '') as { error: string }).error;
        } catch {
          return e.message;
        }
      })();
      throw new Error(`DNS ${type} ${name} @${server} from ${ns.name}: ${reason}`);
    });
  return JSON.parse(r.stdout) as DnsAnswer;
}
