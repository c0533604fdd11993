// The gateway directory client: the nym-vpn-api's public directory, with the same paths and query
// parameters as upstream's nym-vpn-api-client (client.rs, routes.rs):
//
//   kind 'entry'  GET {api}/public/v1/directory/gateways/entry            …/gateways/entry/countries
//   kind 'exit'   GET {api}/public/v1/directory/gateways/exit             …/gateways/exit/countries
//   kind 'vpn'    GET {api}/public/v1/directory/gateways?show_vpn_only=true
//                                                    …/gateways/countries?show_vpn_only=true
//
// plus `mixnet_min_performance` / `vpn_min_performance` when set, written as upstream's Percent
// prints ("80%"). Two-hop WireGuard (what nym-vpnd runs) uses 'vpn' for both hops, as upstream does.
//
// Answers are kept in memory and on disk; when the API cannot be reached (or answers badly) the last
// good answer is served with `cached: true` and the reason. A background timer refreshes them.

import { DirectoryCache } from './directory-cache.js';
import { FetchError, fetchJson, type FetchFailure, type SocketFactory } from '../http/json-request.js';
import {
  DirectoryFormatError,
  parseCountryList,
  parseGatewayList,
  type Gateway,
  type GatewayIssue,
} from './gateway.js';

/** Mainnet's nym-vpn-api (nym-network-defaults NYM_VPN_API); other networks pass their own. */
export const MAINNET_VPN_API_URL = 'https://nymvpn.com/api/';

export type GatewayListKind = 'entry' | 'exit' | 'vpn';
export const GATEWAY_LIST_KINDS: readonly GatewayListKind[] = ['entry', 'exit', 'vpn'];

export type DirectoryFailure = FetchFailure | 'InvalidBody';

export class DirectoryError extends Error {
  override name = 'DirectoryError';
  constructor(
    readonly code: DirectoryFailure,
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DirectoryIssue extends GatewayIssue {
  /** e.g. "gateways-vpn", "countries-exit". */
  list: string;
  fromCache: boolean;
}

export interface DirectoryOptions {
  /** The nym-vpn-api base, e.g. "https://nymvpn.com/api/" (uci api_url, else the network's). */
  apiUrl: string;
  /** Where the last good answers are kept; none: memory only. */
  cacheDir?: string;
  /** For one request, headers and body together (default 10 s). */
  timeoutMs?: number;
  /** Largest body accepted (default 4 MiB). */
  maxBytes?: number;
  /** A network answer younger than this is served from memory without asking again (default 60 s). */
  maxAgeMs?: number;
  /** Percent thresholds sent to the API; the mixnet one is also applied locally (cached lists). */
  minPerformance?: { mixnet?: number; vpn?: number };
  /** Hears each gateway or country the parser skipped or trimmed. */
  onIssue?: (issue: DirectoryIssue) => void;
  log?: (level: 'warn' | 'info' | 'debug', message: string) => void;
  now?: () => number;
  /** Opens each TCP connection (nym-vpnd: fwmark-ed while its kill switch is up); default the system's. */
  connect?: () => SocketFactory | undefined;
}

export interface DirectoryAnswer<T> {
  value: T;
  /** true: the API could not be used this time; `value` is the last good answer, from `fetchedAt`. */
  cached: boolean;
  /** When the API gave this answer (ms since the epoch). */
  fetchedAt: number;
  /** Why the API's answer was not used (cached answers only). */
  reason?: string;
  url: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Ask the API even if a recent answer is in memory. */
  fresh?: boolean;
  /**
   * Serve a kept answer (memory or disk) younger than this without asking the API. nym-vpnd uses it
   * while connecting: the list is then refreshed through the tunnel, not around it.
   */
  acceptAgeMs?: number;
}

type Resource = 'gateways' | 'countries';

interface Held {
  body: unknown;
  fetchedAt: number;
  url: string;
  /** Read back from disk: never served as if the API had just said it. */
  fromDisk?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 4 << 20;
const DEFAULT_MAX_AGE_MS = 60_000;

function checkPercent(what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 100)) throw new RangeError(`${what} must be an integer percent 0..100, got ${v}`);
}

export class DirectoryClient {
  readonly apiUrl: string;
  private readonly cache: DirectoryCache | undefined;
  private readonly memory = new Map<string, Held>();
  private readonly inFlight = new Map<string, Promise<Held>>();
  /** Lists asked for so far: what the background refresh keeps current. */
  private readonly used = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: DirectoryOptions) {
    let url: URL;
    try {
      url = new URL(opts.apiUrl);
    } catch {
      throw new TypeError(`apiUrl ${JSON.stringify(opts.apiUrl)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`apiUrl ${opts.apiUrl} is not http(s)`);
    if (url.search !== '' || url.hash !== '') throw new TypeError(`apiUrl ${opts.apiUrl} must not have a query or fragment`);
    checkPercent('minPerformance.mixnet', opts.minPerformance?.mixnet);
    checkPercent('minPerformance.vpn', opts.minPerformance?.vpn);
    this.apiUrl = url.href.replace(/\/+$/, '');
    this.cache = opts.cacheDir === undefined ? undefined : new DirectoryCache(opts.cacheDir);
    this.now = opts.now ?? Date.now;
  }

  /** The URL asked for a list. */
  urlFor(resource: Resource, kind: GatewayListKind): string {
    const path = ['public', 'v1', 'directory', 'gateways'];
    if (kind !== 'vpn') path.push(kind);
    if (resource === 'countries') path.push('countries');
    const params = new URLSearchParams();
    const { mixnet, vpn } = this.opts.minPerformance ?? {};
    if (mixnet !== undefined) params.append('mixnet_min_performance', `${mixnet}%`);
    if (vpn !== undefined) params.append('vpn_min_performance', `${vpn}%`);
    if (kind === 'vpn') params.append('show_vpn_only', 'true');
    const query = params.toString();
    return `${this.apiUrl}/${path.join('/')}${query === '' ? '' : `?${query}`}`;
  }

  /** The gateways of a list, strictly parsed (bad entries skipped and reported). */
  async gateways(kind: GatewayListKind = 'vpn', req: RequestOptions = {}): Promise<DirectoryAnswer<Gateway[]>> {
    const min = this.opts.minPerformance?.mixnet;
    return this.answer('gateways', kind, req, (body, report) =>
      parseGatewayList(body, report).filter((g) => min === undefined || g.performance >= min));
  }

  /** The two-letter country codes of a list. */
  async countries(kind: GatewayListKind = 'vpn', req: RequestOptions = {}): Promise<DirectoryAnswer<string[]>> {
    return this.answer('countries', kind, req, (body, report) => parseCountryList(body, report));
  }

  /** Asks the API again for every list asked for so far (the vpn gateways at least); never throws. */
  async refresh(signal?: AbortSignal): Promise<{ refreshed: string[]; failed: Array<{ list: string; reason: string }> }> {
    const lists = this.used.size === 0 ? ['gateways-vpn'] : [...this.used];
    const refreshed: string[] = [];
    const failed: Array<{ list: string; reason: string }> = [];
    for (const list of lists) {
      const [resource, kind] = list.split('-') as [Resource, GatewayListKind];
      try {
        const ans = resource === 'gateways' ? await this.gateways(kind, { signal, fresh: true }) : await this.countries(kind, { signal, fresh: true });
        if (ans.cached) failed.push({ list, reason: ans.reason ?? 'unknown' });
        else refreshed.push(list);
      } catch (error) {
        failed.push({ list, reason: (error as Error).message });
      }
    }
    return { refreshed, failed };
  }

  /** Refreshes every intervalMs (±10 %, so that routers do not ask in step) until stopRefresh(). */
  startRefresh(intervalMs: number): void {
    if (!(intervalMs >= 1000)) throw new RangeError(`refresh interval must be at least 1000 ms, got ${intervalMs}`);
    this.stopRefresh();
    const schedule = (): void => {
      const jitter = intervalMs * (0.9 + Math.random() * 0.2);
      this.timer = setTimeout(() => {
        void this.refresh().then(({ failed }) => {
          for (const f of failed) this.log('warn', `gateway directory refresh of ${f.list} failed: ${f.reason}`);
        }).finally(() => {
          if (this.timer !== undefined) schedule();
        });
      }, jitter);
      this.timer.unref();  // a pending refresh must not keep the daemon (or a test) alive
    };
    schedule();
  }

  stopRefresh(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private log(level: 'warn' | 'info' | 'debug', message: string): void {
    this.opts.log?.(level, message);
  }

  private async answer<T>(
    resource: Resource,
    kind: GatewayListKind,
    req: RequestOptions,
    parse: (body: unknown, report: (i: GatewayIssue) => void) => T,
  ): Promise<DirectoryAnswer<T>> {
    const key = `${resource}-${kind}`;
    const url = this.urlFor(resource, kind);
    this.used.add(key);
    const reporter = (fromCache: boolean) => (issue: GatewayIssue) => this.opts.onIssue?.({ ...issue, list: key, fromCache });

    const held = this.memory.get(key);
    if (req.fresh !== true && held !== undefined && held.fromDisk !== true && this.now() - held.fetchedAt < (this.opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
      return { value: parse(held.body, () => {}), cached: false, fetchedAt: held.fetchedAt, url: held.url };
    }
    if (req.fresh !== true && req.acceptAgeMs !== undefined) {
      const kept = held ?? (await this.fromDisk(key, new DirectoryError('Aborted', url, 'not asked')).catch(() => undefined));
      if (kept !== undefined && this.now() - kept.fetchedAt < req.acceptAgeMs) {
        try {
          return { value: parse(kept.body, () => {}), cached: kept.fromDisk === true, fetchedAt: kept.fetchedAt, url: kept.url, ...(kept.fromDisk ? { reason: 'kept copy used while connecting' } : {}) };
        } catch {
          // an unusable copy: ask the API below
        }
      }
    }

    let failure: DirectoryError;
    try {
      let got: Held;
      try {
        got = await this.fetchOnce(key, url, req.signal);
      } catch (error) {
        // Joined someone else's request and they cancelled it: ask again for ourselves.
        if (!(error instanceof FetchError && error.code === 'Aborted' && req.signal?.aborted !== true)) throw error;
        got = await this.fetchOnce(key, url, req.signal);
      }
      // Parse before keeping it: a body that is not a list must not replace a good one.
      const value = parse(got.body, reporter(false));
      this.memory.set(key, got);
      await this.store(key, got);
      return { value, cached: false, fetchedAt: got.fetchedAt, url };
    } catch (error) {
      if (error instanceof FetchError) failure = new DirectoryError(error.code, url, error.message);
      else if (error instanceof DirectoryFormatError) failure = new DirectoryError('InvalidBody', url, `${url}: ${error.message}`);
      else throw error;
    }
    if (failure.code === 'Aborted') throw failure;

    // The API did not help: the last good answer, from memory or else from disk.
    const fallback = held ?? (await this.fromDisk(key, failure));
    if (fallback === undefined) throw failure;
    const value = parse(fallback.body, held === undefined ? reporter(true) : () => {});
    this.log('warn', `gateway directory: ${failure.message}; using the list from ${new Date(fallback.fetchedAt).toISOString()}`);
    return { value, cached: true, fetchedAt: fallback.fetchedAt, reason: failure.message, url: fallback.url };
  }

  /** One network request per list at a time; concurrent callers share it. */
  private fetchOnce(key: string, url: string, signal: AbortSignal | undefined): Promise<Held> {
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const get = (): Promise<unknown> => fetchJson(url, {
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes: this.opts.maxBytes ?? DEFAULT_MAX_BYTES,
      signal,
      connect: this.opts.connect?.(),
    });
    // One retry for a connection that failed outright (a kept-alive socket the server had closed,
    // a transient refusal), as upstream's get_json_with_retry does; never after a timeout.
    const p = get()
      .catch((error: unknown) => {
        if (error instanceof FetchError && error.code === 'Unreachable') return get();
        throw error;
      })
      .then((body) => ({ body, fetchedAt: this.now(), url }));
    this.inFlight.set(key, p);
    const clear = (): void => {
      if (this.inFlight.get(key) === p) this.inFlight.delete(key);
    };
    p.then(clear, clear);
    return p;
  }

  private async store(key: string, held: Held): Promise<void> {
    if (this.cache === undefined) return;
    try {
      if (await this.cache.write(key, held)) this.log('debug', `gateway directory: cached ${key} in ${this.cache.dir}`);
    } catch (error) {
      this.log('warn', `gateway directory: could not write the cache for ${key}: ${(error as Error).message}`);
    }
  }

  private async fromDisk(key: string, failure: DirectoryError): Promise<Held | undefined> {
    if (this.cache === undefined) return undefined;
    const rec = await this.cache.read(key);
    if (rec instanceof Error) {
      this.log('warn', `gateway directory: ${failure.message}, and the cache is unusable: ${rec.message}`);
      return undefined;
    }
    if (rec === undefined) return undefined;
    try {
      // A cached body that no longer parses is as good as none.
      if (key.startsWith('gateways')) parseGatewayList(rec.body);
      else parseCountryList(rec.body);
    } catch (error) {
      this.log('warn', `gateway directory: the cache for ${key} is unusable: ${(error as Error).message}`);
      return undefined;
    }
    const held: Held = { ...rec, fromDisk: true };
    this.memory.set(key, held);
    return held;
  }
}
