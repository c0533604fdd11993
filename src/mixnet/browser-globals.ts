// What nym-client-wasm 1.4.1 (a wasm-bindgen "web" build) expects from a browser and Node 20 lacks, installed
// only inside the child process that runs it (mixnet-client-process.ts):
// - `WebSocket`: the gateway connection goes through gloo-net's WebSocket (nymtech/nym
//   common/wasm/utils/src/websocket/mod.rs). `ws` provides it, with one browser behaviour added: an exception
//   thrown by an event listener is reported, not propagated. gloo-net drops its Rust closures when the
//   registration socket is dropped while the socket's `close` event is still to come; the late event then
//   throws "closure invoked recursively or after being dropped", which a browser only logs but which, through
//   ws's EventEmitter, would kill the thread.
// - `indexedDB`: the client keeps its keys and gateway details in IndexedDB (common/wasm/client-core/src/
//   storage); fake-indexeddb keeps them in memory, which is what we want: the client lives for one
//   registration and nothing of it should outlive that process.
// With nym-vpnd's fwmark, both the websocket and `fetch` (nym-api) open marked sockets (marked-network.ts).
// Node 20 already has `fetch` (nym-api, when no mark is set), `crypto.getRandomValues` (getrandom's "js" backend), `performance`,
// `TextEncoder`/`TextDecoder` and timers on globalThis.
import 'fake-indexeddb/auto';
import WebSocket from 'ws';
import { markedFetch, markedWsConnection, type PinnedHosts } from './marked-network.js';

type Listener = (event: unknown) => void;

export class BrowserLikeWebSocket extends WebSocket {
  /** Listener exceptions seen (a browser would print them to its console). */
  static listenerErrors: string[] = [];
  /** How every socket connects: a marked socket when the daemon set a mark (installBrowserGlobals). */
  static createConnection: ReturnType<typeof markedWsConnection> | undefined;

  constructor(url: string | URL, protocols?: string | string[]) {
    const create = BrowserLikeWebSocket.createConnection;
    // ws's typings name net's createConnection; Node's ClientRequest also takes the callback form used here.
    super(url, protocols, create ? { createConnection: create as never } : {});
  }

  private readonly wrapped = new WeakMap<Listener, Listener>();

  override addEventListener(type: 'message' | 'close' | 'error' | 'open', listener: Listener, options?: { once?: boolean }): void {
    const wrapper: Listener = (event: unknown) => {
      try {
        listener.call(this, event);
      } catch (e) {
        BrowserLikeWebSocket.listenerErrors.push(`${type}: ${(e as Error).message}`);
      }
    };
    this.wrapped.set(listener, wrapper);
    super.addEventListener(type, wrapper, options);
  }

  override removeEventListener(type: 'message' | 'close' | 'error' | 'open', listener: Listener): void {
    super.removeEventListener(type, this.wrapped.get(listener) ?? listener);
  }
}

/** With a mark, the client's websocket and fetch use marked sockets (marked-network.ts). */
export function installBrowserGlobals(mark?: number, pinned: PinnedHosts = {}): void {
  (globalThis as { WebSocket?: unknown }).WebSocket = BrowserLikeWebSocket;
  if (mark !== undefined) {
    BrowserLikeWebSocket.createConnection = markedWsConnection(mark, pinned);
    globalThis.fetch = markedFetch(mark, pinned);
  }
}
