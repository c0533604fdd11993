// Gives the memory of ended worker threads back. The daemon's zk-nym work runs in worker threads that
// exist for one job (a ticketbook's WASM, one ticket's spend); each thread's allocations land in a glibc
// arena of its own, which keeps what was freed after the thread ended (see trimMalloc in
// native/addon/malloc-policy.c): 2.6 MB for good after the first ticketbooks, in the lab. Trimming once per
// ended worker costs a few milliseconds at a moment when nothing else is hot.
import type { Worker } from 'node:worker_threads';

/** After every worker thread of this process ends, `trim` is called once. Returns the undo. */
export function trimAfterWorkers(trim: () => unknown): () => void {
  const onWorker = (worker: Worker) => {
    worker.once('exit', () => {
      // A listener that throws would take the daemon down; a trim that fails only leaves memory where it was.
      try { trim(); } catch { /* nothing to undo */ }
    });
  };
  process.on('worker', onWorker);
  return () => { process.off('worker', onWorker); };
}
