// An AuthenticatorChannel over the mixnet: upstream's WASM client in a worker thread that exists only while
// registering (start → register entry and exit → close). Messages go out as anonymous messages with reply
// SURBs to the authenticator's Nym address; its answers come back through those SURBs and are handed to the
// subscribers. The worker is terminated on close, on abort and on any failure, so its memory is given back.
import { Worker } from 'node:worker_threads';
import type { AuthenticatorChannel } from '../nym-registration/authenticator-channel.js';
import { parseWorkerMessage, WorkerMessageError, type FromWorker, type MixnetWorkerConfig, type ToWorker } from './worker-protocol.js';

/** How long the client may take to fetch the topology, register with its gateway and connect. */
export const MIXNET_START_TIMEOUT_MS = 30_000;
/** Reply SURBs attached to a message whose sender names no count (the authenticator exchange always does). */
export const DEFAULT_REPLY_SURBS = 2;
/** A bound on one message's SURBs: a service keeps at most 200 per sender (client-core maximum_reply_surb_storage_threshold). */
const MAX_REPLY_SURBS = 200;

export class MixnetStartError extends Error {
  override readonly name = 'MixnetStartError';
}

export class MixnetSendError extends Error {
  override readonly name = 'MixnetSendError';
}

export interface MixnetChannelOptions {
  nymApiUrl: string;
  /** The entry gateway's identity key (bs58). */
  gateway: string;
  replySurbs?: number;
  startTimeoutMs?: number;
  /** The fwmark of the client's connections (nym-vpnd's own traffic, past its kill switch). */
  mark?: number;
  /** The worker's module (tests may point at the built file). */
  workerUrl?: URL;
}

export class MixnetChannel implements AuthenticatorChannel {
  private readonly listeners = new Set<(m: Uint8Array) => void>();
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly worker: Worker, readonly address: string) {}

  static start(o: MixnetChannelOptions, signal: AbortSignal): Promise<MixnetChannel> {
    const config: MixnetWorkerConfig = { nymApiUrl: o.nymApiUrl, gateway: o.gateway, replySurbs: o.replySurbs ?? DEFAULT_REPLY_SURBS, ...(o.mark !== undefined ? { mark: o.mark } : {}) };
    const worker = new Worker(o.workerUrl ?? new URL('./wasm-worker.js', import.meta.url), { workerData: config });
    return new Promise<MixnetChannel>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        void worker.terminate();
        reject(e);
      };
      const onAbort = () => fail(new MixnetStartError('mixnet client start aborted'));
      const timer = setTimeout(() => fail(new MixnetStartError(`mixnet client not connected within ${o.startTimeoutMs ?? MIXNET_START_TIMEOUT_MS} ms`)), o.startTimeoutMs ?? MIXNET_START_TIMEOUT_MS);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.once('error', (e) => fail(new MixnetStartError(`mixnet worker crashed: ${e.message}`)));
      worker.once('exit', (code) => fail(new MixnetStartError(`mixnet worker exited (${code}) before connecting`)));
      worker.on('message', function first(raw: unknown) {
        let m: FromWorker;
        try {
          m = parseWorkerMessage(raw);
        } catch (e) {
          return fail(new MixnetStartError((e as WorkerMessageError).message));
        }
        if (m.kind === 'failed') return fail(new MixnetStartError(`mixnet client failed to start: ${m.message}`));
        if (m.kind !== 'ready') return fail(new MixnetStartError(`mixnet worker sent ${m.kind} before it was ready`));
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        worker.off('message', first);
        worker.removeAllListeners('exit');
        worker.removeAllListeners('error');
        const channel = new MixnetChannel(worker, m.address);
        channel.attach();
        resolve(channel);
      });
    });
  }

  send(recipient: string, message: Uint8Array, signal: AbortSignal, replySurbs?: number): Promise<void> {
    if (this.closed) return Promise.reject(new MixnetSendError('the mixnet channel is closed'));
    if (signal.aborted) return Promise.reject(new MixnetSendError('send aborted'));
    if (replySurbs !== undefined && (!Number.isInteger(replySurbs) || replySurbs < 0 || replySurbs > MAX_REPLY_SURBS)) {
      return Promise.reject(new MixnetSendError(`${replySurbs} reply SURBs: between 0 and ${MAX_REPLY_SURBS}`));
    }
    const id = this.nextId++;
    // A copy of its own: the copy's buffer is transferred to the worker. (Buffer#slice is a view, so
    // `message.slice()` on a Buffer would detach the caller's bytes.)
    const copy = new Uint8Array(message);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => { this.pending.delete(id); reject(new MixnetSendError('send aborted')); };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: () => { signal.removeEventListener('abort', onAbort); resolve(); },
        reject: (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
      });
      const m: ToWorker = { kind: 'send', id, recipient, message: copy, ...(replySurbs !== undefined ? { replySurbs } : {}) };
      this.worker.postMessage(m, [copy.buffer as ArrayBuffer]);
    });
  }

  subscribe(listener: (message: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Ends the worker (and the WASM client's memory with it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new MixnetSendError('the mixnet channel closed'));
    this.pending.clear();
    await this.worker.terminate();
  }

  private attach(): void {
    this.worker.on('message', (raw: unknown) => {
      let m: FromWorker;
      try {
        m = parseWorkerMessage(raw);
      } catch {
        return; // a malformed message from the worker is dropped; the registrar's timeout covers a lost answer
      }
      if (m.kind === 'received') for (const l of this.listeners) l(m.message);
      else if (m.kind === 'sent') { this.pending.get(m.id)?.resolve(); this.pending.delete(m.id); }
      else if (m.kind === 'send-failed') { this.pending.get(m.id)?.reject(new MixnetSendError(m.message)); this.pending.delete(m.id); }
    });
    this.worker.on('exit', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new MixnetSendError('the mixnet worker exited'));
      this.pending.clear();
    });
  }
}
