// What nym-client-wasm 1.4.1 (a wasm-bindgen "web" build) expects from a browser and Node 20 lacks, installed
// only inside the worker that runs it:
// - `WebSocket`: the gateway connection goes through gloo-net's WebSocket (nymtech/nym
//   common/wasm/utils/src/websocket/mod.rs). `ws` provides it, with one browser behaviour added: an exception
//   thrown by an event listener is reported, not propagated. gloo-net drops its Rust closures when the
//   registration socket is dropped while the socket's `close` event is still to come; the late event then
//   throws "closure invoked recursively or after being dropped", which a browser only logs but which, through
//   ws's EventEmitter, would kill the thread.
// - `indexedDB`: the client keeps its keys and gateway details in IndexedDB (common/wasm/client-core/src/
//   storage); fake-indexeddb keeps them in memory, which is what we want: the client lives for one
//   registration and nothing of it should outlive the worker.
// Node 20 already has `fetch` (nym-api), `crypto.getRandomValues` (getrandom's "js" backend), `performance`,
// `TextEncoder`/`TextDecoder` and timers on globalThis.
import 'fake-indexeddb/auto';
import WebSocket from 'ws';

type Listener = (event: unknown) => void;

export class BrowserLikeWebSocket extends WebSocket {
  /** Listener exceptions seen (a browser would print them to its console). */
  static listenerErrors: string[] = [];

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

export function installBrowserGlobals(): void {
  (globalThis as { WebSocket?: unknown }).WebSocket = BrowserLikeWebSocket;
}
