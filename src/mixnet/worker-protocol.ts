// Messages between the daemon and its mixnet client process (IPC with advanced serialisation: bytes stay
// bytes). Everything the process sends is checked on arrival (parseWorkerMessage): it runs a large foreign WASM
// module and the daemon must not trust its shapes blindly.

export interface MixnetWorkerConfig {
  /** nym-api base URL the client reads its topology from. */
  nymApiUrl: string;
  /** The entry gateway's ed25519 identity (bs58): the client's gateway is pinned to it. */
  gateway: string;
  /** Reply SURBs sent with a message that names no count of its own. */
  replySurbs: number;
  /** The fwmark every connection of the client carries (nym-vpnd's, past its kill switch); none: the system's sockets. */
  mark?: number;
  /** Host names the client must reach at these addresses (what the kill switch was opened for). */
  pinnedHosts?: Record<string, string>;
}

export type ToWorker =
  | { kind: 'send'; id: number; recipient: string; message: Uint8Array; replySurbs?: number }
  | { kind: 'stop' };

export type FromWorker =
  | { kind: 'ready'; address: string }
  | { kind: 'failed'; message: string }
  | { kind: 'sent'; id: number }
  | { kind: 'send-failed'; id: number; message: string }
  | { kind: 'received'; message: Uint8Array };

export class WorkerMessageError extends Error {
  override readonly name = 'WorkerMessageError';
}

export function parseWorkerMessage(v: unknown): FromWorker {
  if (typeof v !== 'object' || v === null) throw new WorkerMessageError('worker message is not an object');
  const m = v as Record<string, unknown>;
  const str = (k: string) => { if (typeof m[k] !== 'string') throw new WorkerMessageError(`worker message ${String(m.kind)} without string ${k}`); return m[k] as string; };
  const id = () => { if (!Number.isSafeInteger(m.id)) throw new WorkerMessageError(`worker message ${String(m.kind)} without an id`); return m.id as number; };
  switch (m.kind) {
    case 'ready': return { kind: 'ready', address: str('address') };
    case 'failed': return { kind: 'failed', message: str('message') };
    case 'sent': return { kind: 'sent', id: id() };
    case 'send-failed': return { kind: 'send-failed', id: id(), message: str('message') };
    case 'received':
      if (!(m.message instanceof Uint8Array)) throw new WorkerMessageError('received message is not bytes');
      return { kind: 'received', message: m.message };
    default:
      throw new WorkerMessageError(`unknown worker message kind ${String(m.kind)}`);
  }
}
