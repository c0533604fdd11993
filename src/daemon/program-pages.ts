// When the daemon hands back the pages of node's binary and libraries that it is done with (the addon's
// releaseProgramPages, see native/addon/program-pages.c for why it is safe and what it frees): as soon as it
// has started, and once each connection change (connected, disconnected, an error) or zk-nym job (a worker
// thread that ended) has settled. Startup, a connect's setup (handshakes, routes, DNS, the firewall) and the
// e-cash WASM run code once; the data path's own pages come back on their next use, at the cost of a minor
// fault each. Not on a timer: pages in steady use would only be taken and faulted back.
//
// A change's last steps run just after the state moves (the kill switch lifted after a disconnect, the
// status published), so the release waits until no change has come for SETTLE_MS; a burst of changes (a
// reconnect) gives one release.

export const PROGRAM_PAGES_SETTLE_MS = 1000;

export interface ProgramPagesReleaser {
  /** Releases at once (the work is known to be done: the daemon has started); a pending release is dropped. */
  now(): void;
  /** Asks for a release once nothing has changed for the settle time. */
  settled(): void;
  /** Drops a pending release (shutdown). */
  stop(): void;
}

/** `release` is the addon's releaseProgramPages; a release that throws leaves the pages where they were. */
export function programPagesReleaser(release: () => unknown, settleMs = PROGRAM_PAGES_SETTLE_MS): ProgramPagesReleaser {
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    timer = undefined;
    try { release(); } catch { /* nothing was changed */ }
  };
  return {
    now() {
      if (timer !== undefined) clearTimeout(timer);
      run();
    },
    settled() {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(run, settleMs);
      // A pending release never keeps the daemon alive.
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
