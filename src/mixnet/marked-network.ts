// The mixnet client's own connections, fwmark-ed from their first packet like the rest of nym-vpnd's own
// traffic (src/sockets/marked-tcp.ts): while the daemon registers, its kill switch is up and the TUN routes
// are not, so an unmarked socket would be refused (or routed into the tunnel that does not exist yet). The
// WASM client opens two kinds: its gateway websocket (gloo-net over `globalThis.WebSocket`, here `ws`, whose
// `createConnection` option takes our socket) and its nym-api requests (reqwest over `globalThis.fetch`,
// here a fetch of our own over httpExchange, since Node's built-in fetch cannot be handed a socket).
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { httpExchange } from '../http/http-exchange.js';
import { markedConnect, markedSocketFactory } from '../sockets/marked-tcp.js';

/** A topology answer is a few hundred kB on mainnet; anything far beyond that is not one. */
export const MAX_NYM_API_ANSWER = 16 * 1024 * 1024;
/** The client's own request timeouts are longer; a router must not hang on a drip. */
export const NYM_API_TIMEOUT_MS = 20_000;

type OnCreate = (error: Error | null, socket?: Socket) => void;

/**
 * Host names resolved to the addresses the daemon opened its kill switch for: the client must connect to
 * exactly those (a second lookup could land on another address of a round-robin name, which the kill switch
 * would refuse). Names not in the map are looked up.
 */
export type PinnedHosts = Readonly<Record<string, string>>;

function resolverWith(pinned: PinnedHosts): (name: string) => Promise<string> {
  return async (name) => pinned[name] ?? (await lookup(name)).address;
}

/**
 * `ws`'s createConnection (Node's ClientRequest calls it with the request options and a callback): a marked
 * socket to the address the URL names, resolved first when it is a name, with TLS on top for wss.
 */
export function markedWsConnection(mark: number, pinned: PinnedHosts = {}) {
  const resolve = resolverWith(pinned);
  return (options: { host?: string; port?: number | string; servername?: string; protocol?: string }, oncreate: OnCreate): Socket | undefined => {
    const host = (options.host ?? '').replace(/^\[|\]$/g, '');
    const port = Number(options.port);
    const secure = options.protocol === 'wss:' || options.protocol === 'https:';
    const open = (address: string): Socket => {
      const raw = markedConnect({ host: address, port, mark });
      return secure ? tls.connect({ socket: raw, servername: options.servername ?? (isIP(host) === 0 ? host : undefined) }) : raw;
    };
    if (isIP(host) !== 0) return open(host);
    resolve(host).then((address) => oncreate(null, open(address)), (e: Error) => oncreate(e));
    return undefined;
  };
}

/**
 * A `fetch` for the WASM client over marked sockets: the request as the client made it, the whole answer
 * read (bounded) and handed back as a Response whose `url` is the one asked for (reqwest parses it).
 */
export function markedFetch(mark: number, pinned: PinnedHosts = {}): typeof fetch {
  const connect = markedSocketFactory(mark);
  const resolve = resolverWith(pinned);
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => { headers[key] = value; });
    const payload = request.method === 'GET' || request.method === 'HEAD' ? undefined : new Uint8Array(await request.arrayBuffer());
    if (payload) headers['content-length'] = String(payload.length);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`${request.url}: no complete answer within ${NYM_API_TIMEOUT_MS} ms`)), NYM_API_TIMEOUT_MS);
    const onAbort = () => controller.abort(request.signal.reason);
    request.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const answer = await httpExchange(request.url, {
        method: request.method, headers, signal: controller.signal, redirects: request.redirect === 'follow' ? 5 : 0,
        maxBytes: MAX_NYM_API_ANSWER, connect, resolve, ...(payload ? { payload } : {}),
      });
      const out = new Headers();
      for (const [k, v] of Object.entries(answer.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
      }
      const empty = request.method === 'HEAD' || answer.status === 204 || answer.status === 304;
      const response = new Response(empty ? null : answer.body, { status: answer.status, headers: out });
      Object.defineProperty(response, 'url', { value: request.url });
      return response;
    } catch (e) {
      // fetch rejects with a TypeError for what is not an answer; the client reports its message.
      throw new TypeError(`fetch ${request.url} failed: ${(e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
    }
  };
}
