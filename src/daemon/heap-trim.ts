// Gives glibc's free pages back every few seconds. What C code frees stays inside glibc's heap unless it was
// at its top: V8's compiler zones (TurboFan compiles the data path when traffic starts and whenever it
// re-optimises), node's and OpenSSL's buffers. In the lab that was 1.2 MB held for good by a loaded daemon
// (`make bench`, two-hop). malloc_trim hands every free page back wherever it lies; with nothing to return it
// costs well under a millisecond, so once every 10 s is noise. musl (OpenWrt) gives freed memory back by
// itself, and there trimMalloc does nothing.

export const HEAP_TRIM_INTERVAL_MS = 10_000;

/** Calls `trim` every `intervalMs`; the timer never keeps the process alive. Returns the undo. */
export function trimPeriodically(trim: () => unknown, intervalMs = HEAP_TRIM_INTERVAL_MS): () => void {
  const timer = setInterval(() => {
    // A trim that fails only leaves memory where it was; it must not take the daemon down.
    try { trim(); } catch { /* nothing to undo */ }
  }, intervalMs);
  timer.unref();
  return () => { clearInterval(timer); };
}
