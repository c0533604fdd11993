// An AuthenticatorChannel over the mixnet: upstream's WASM client in a child process that exists only while
// registering (start → register entry and exit → close). Messages go out as anonymous messages with reply
// SURBs to the authenticator's Nym address; its answers come back through those SURBs and are handed to the
// subscribers. The process is killed on close, on abort and on any failure, so its memory is given back
// (mixnet-client-process.ts says why a process and not a worker thread).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AuthenticatorChannel } from '../nym-registration/authenticator-channel.js';
import { parseWorkerMessage, WorkerMessageError, type FromWorker, type MixnetWorkerConfig, type ToWorker } from './worker-protocol.js';

/** How long the client may take to fetch the topology, register with its gateway and connect. */
export const MIXNET_START_TIMEOUT_MS = 30_000;
/** Reply SURBs attached to a message whose sender names no count (the authenticator exchange always does). */
export const DEFAULT_REPLY_SURBS = 2;
/** A bound on one message's SURBs: a service keeps at most 200 per sender (client-core maximum_reply_surb_storage_threshold). */
const MAX_REPLY_SURBS = 200;

/**
 * The client's memory while it runs, on a router where it matters: the WASM module compiled by the baseline
 * compiler only (TurboFan's optimised code for 3.7 MB of WASM is the largest part otherwise) and a small young
 * generation. Measured in test/mixnet/mixnet-channel.test.ts: ~77 MB instead of 118–143 MB; registration is a
 * handful of messages, so the slower code costs nothing visible.
 */
export const CLIENT_NODE_FLAGS = ['--liftoff-only', '--max-semi-space-size=1'];

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
  /** Host names to reach at these addresses (those the kill switch lets through). */
  pinnedHosts?: Record<string, string>;
  /** The client process's module (tests may point at the built file). */
  workerUrl?: URL;
}

export class MixnetChannel implements AuthenticatorChannel {
  private readonly listeners = new Set<(m: Uint8Array) => void>();
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly worker: ChildProcess, readonly address: string) {}

  static start(o: MixnetChannelOptions, signal: AbortSignal): Promise<MixnetChannel> {
    const config: MixnetWorkerConfig = { nymApiUrl: o.nymApiUrl, gateway: o.gateway, replySurbs: o.replySurbs ?? DEFAULT_REPLY_SURBS, ...(o.mark !== undefined ? { mark: o.mark } : {}), ...(o.pinnedHosts ? { pinnedHosts: o.pinnedHosts } : {}) };
    // Its own flags only (not the daemon's --cpu-prof and the like). stdout (the client's chatter) is dropped;
    // stderr goes where the daemon's goes (syslog under procd).
    const worker = fork(fileURLToPath(o.workerUrl ?? new URL('./mixnet-client-process.js', import.meta.url)), [], {
      serialization: 'advanced', execArgv: CLIENT_NODE_FLAGS, stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    worker.send(config);
    return new Promise<MixnetChannel>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        // Rejected once the process is gone: a caller that moves on (the next attempt) finds no client left.
        if (worker.exitCode !== null || worker.signalCode !== null) return reject(e);
        worker.once('exit', () => reject(e));
        worker.kill('SIGKILL');
      };
      const onAbort = () => fail(new MixnetStartError('mixnet client start aborted'));
      const timer = setTimeout(() => fail(new MixnetStartError(`mixnet client not connected within ${o.startTimeoutMs ?? MIXNET_START_TIMEOUT_MS} ms`)), o.startTimeoutMs ?? MIXNET_START_TIMEOUT_MS);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.once('error', (e) => fail(new MixnetStartError(`mixnet client process failed: ${e.message}`)));
      worker.once('exit', (code, sig) => fail(new MixnetStartError(`mixnet client process exited (${sig ?? code}) before connecting`)));
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

  /** The client process (for a look at its memory). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  send(recipient: string, message: Uint8Array, signal: AbortSignal, replySurbs?: number): Promise<void> {
    if (this.closed) return Promise.reject(new MixnetSendError('the mixnet channel is closed'));
    if (signal.aborted) return Promise.reject(new MixnetSendError('send aborted'));
    if (replySurbs !== undefined && (!Number.isInteger(replySurbs) || replySurbs < 0 || replySurbs > MAX_REPLY_SURBS)) {
      return Promise.reject(new MixnetSendError(`${replySurbs} reply SURBs: between 0 and ${MAX_REPLY_SURBS}`));
    }
    const id = this.nextId++;
    // A plain Uint8Array whatever the caller passed (a Buffer, a view into a larger buffer): the IPC channel
    // serialises exactly these bytes.
    const copy = new Uint8Array(message);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => { this.pending.delete(id); reject(new MixnetSendError('send aborted')); };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: () => { signal.removeEventListener('abort', onAbort); resolve(); },
        reject: (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
      });
      const m: ToWorker = { kind: 'send', id, recipient, message: copy, ...(replySurbs !== undefined ? { replySurbs } : {}) };
      this.worker.send(m, (e) => {
        if (!e) return;
        this.pending.delete(id);
        signal.removeEventListener('abort', onAbort);
        reject(new MixnetSendError(`the mixnet client process is gone: ${e.message}`));
      });
    });
  }

  subscribe(listener: (message: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Ends the client's process (and all of its memory with it); resolves once it is gone. */
  async close(): Promise<void> {
    const w = this.worker;
    const gone = w.exitCode !== null || w.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => w.once('exit', () => r()));
    if (!this.closed) {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new MixnetSendError('the mixnet channel closed'));
      this.pending.clear();
      w.kill('SIGKILL');
    }
    await gone;
  }

  private attach(): void {
    this.worker.on('message', (raw: unknown) => {
      let m: FromWorker;
      try {
        m = parseWorkerMessage(raw);
      } catch {
        return; // a malformed message from the client process is dropped; the registrar's timeout covers a lost answer
      }
      if (m.kind === 'received') for (const l of this.listeners) l(m.message);
      else if (m.kind === 'sent') { this.pending.get(m.id)?.resolve(); this.pending.delete(m.id); }
      else if (m.kind === 'send-failed') { this.pending.get(m.id)?.reject(new MixnetSendError(m.message)); this.pending.delete(m.id); }
    });
    this.worker.on('exit', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new MixnetSendError('the mixnet client process exited'));
      this.pending.clear();
    });
    // An IPC error (the process died between a send and its delivery) is the exit's to report.
    this.worker.on('error', () => {});
  }
}
