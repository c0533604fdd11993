// tcpdump on one interface of a lab namespace: start() returns once tcpdump is listening, stop() ends it
// and returns every packet summarised (pcap.ts). Writes a pcap file in the lab's temp dir (kept if asked,
// for Wireshark), so nothing depends on tcpdump's text output format.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from './netns.js';
import { formatPacket, outsideTunnel, parsePcap, type Endpoint, type PacketSummary } from './pcap.js';

export interface CaptureOptions {
  /** Bytes kept of each packet (default 256: every header we parse, little payload). */
  snaplen?: number;
  /** Keep the pcap file after stop() (its path is in the result). */
  keepFile?: boolean;
  /** Wait this long before stopping, so packets still in flight are seen (default 100 ms). */
  settleMs?: number;
}

export interface CaptureResult {
  packets: PacketSummary[];
  count: number;
  /** Path of the pcap file (deleted unless keepFile). */
  file: string;
  /** Packets that are not link housekeeping and not UDP to/from one of the endpoints (see pcap.ts). */
  outsideTunnel(endpoints: readonly Endpoint[]): PacketSummary[];
  /** tcpdump-like lines, for failure messages. */
  describe(packets?: readonly PacketSummary[]): string;
}

let captureCounter = 0;

export class Capture {
  private stopped: Promise<CaptureResult> | undefined;

  private constructor(
    readonly ns: Netns,
    readonly iface: string,
    readonly file: string,
    private readonly child: ChildProcess,
    private readonly opts: CaptureOptions,
  ) {}

  /** Starts tcpdump on iface in ns with an optional BPF filter (e.g. 'not arp'); resolves when it listens. */
  static async start(ns: Netns, iface: string, filter: string | readonly string[] = [], workDir: string, opts: CaptureOptions = {}): Promise<Capture> {
    const file = join(workDir, `capture-${captureCounter++}-${iface}.pcap`);
    const filterArgs = typeof filter === 'string' ? (filter.trim() === '' ? [] : [filter]) : [...filter];
    // --immediate-mode: without it packets wait in the kernel's ring up to 1 s and are lost when we stop.
    // -Z root: tcpdump would otherwise drop to user tcpdump and fail to write into the lab's 0700 dir.
    const args = ['-i', iface, '-n', '-U', '--immediate-mode', '-Z', 'root', '-s', String(opts.snaplen ?? 256), '-w', file, ...filterArgs];
    const child = ns.spawn('tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump ${args.join(' ')}: not listening after 5 s: ${stderr}`)), 5000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump ${args.join(' ')} exited (${code}): ${stderr.trim()}`));
      });
      child.once('error', (e) => reject(e));
    });
    return new Capture(ns, iface, file, child, opts);
  }

  /** Stops tcpdump (SIGINT, so it flushes) and returns what it saw. Idempotent. */
  stop(): Promise<CaptureResult> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  private async finish(): Promise<CaptureResult> {
    await new Promise((r) => setTimeout(r, this.opts.settleMs ?? 100));
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    let packets: PacketSummary[] = [];
    try {
      packets = parsePcap(readFileSync(this.file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!this.opts.keepFile) rmSync(this.file, { force: true });
    return {
      packets,
      count: packets.length,
      file: this.file,
      outsideTunnel: (endpoints) => outsideTunnel(packets, endpoints),
      describe: (list = packets) => list.map(formatPacket).join('\n'),
    };
  }
}
