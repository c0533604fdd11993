// A bare ubus peer for the broker tests: writes the bytes it is given, splits what comes back into
// messages, and lets a test wait for the one it expects. No client library on purpose: the tests
// look at the broker's bytes.

import { connect, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { decodeMessage, parseMsgAttrs, type MsgAttrs } from '../../../src/ubus/message.js';
import { FrameSplitter } from '../../../tools/ubusd/broker-wire.js';
import { MsgType } from '../../../src/ubus/constants.js';

export interface Msg {
  type: MsgType;
  seq: number;
  peer: number;
  bytes: Uint8Array;
  attrs: MsgAttrs;
}

export class RawClient {
  id = 0;
  readonly inbox: Msg[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  // Lenient splitting: the broker echoes a peer's odd version byte back, as ubusd does.
  private readonly reader = new FrameSplitter();
  private seq = 0;

  private constructor(private readonly out: Writable, input: Readable, private readonly onClose: () => void) {
    input.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) {
        // The strict decoder wants version 0 and a padded length; a relayed odd frame has neither.
        const normal = Buffer.alloc((f.bytes.length + 3) & ~3);
        normal.set(f.bytes);
        normal[0] = 0;
        const m = decodeMessage(normal);
        let attrs: MsgAttrs = {};
        try { attrs = parseMsgAttrs(m.body); } catch { /* an echoed garbage body: bytes only */ }
        this.inbox.push({ type: m.type, seq: m.seq, peer: m.peer, bytes: f.bytes, attrs });
      }
      this.wake();
    });
    input.on('close', () => { this.closed = true; this.wake(); });
    input.on('end', () => { this.closed = true; this.wake(); });
    input.on('error', () => { this.closed = true; this.wake(); });
  }

  /** Connects to a broker socket and waits for HELLO. */
  static async connect(path: string): Promise<RawClient> {
    const s: Socket = connect(path);
    s.on('error', () => {});
    const c = new RawClient(s, s, () => s.destroy());
    await c.hello();
    return c;
  }

  /**
   * Connects as another user: a tiny relay runs under setpriv with those ids, so the broker sees
   * them in SO_PEERCRED, and our bytes go through its stdin/stdout.
   */
  static async connectAs(path: string, user: string, group: string): Promise<RawClient> {
    const relay = `const s=require('net').connect(${JSON.stringify(path)});process.stdin.pipe(s);s.pipe(process.stdout);` +
      `s.on('close',()=>process.exit(0));s.on('error',()=>process.exit(1));process.stdin.on('end',()=>s.end());`;
    const child: ChildProcess = spawn('setpriv', [`--reuid=${user}`, `--regid=${group}`, '--clear-groups', process.execPath, '-e', relay], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const c = new RawClient(child.stdin!, child.stdout!, () => child.kill('SIGKILL'));
    await c.hello();
    return c;
  }

  private async hello(): Promise<void> {
    const h = await this.next((m) => m.type === MsgType.HELLO, 5000);
    this.id = h.peer;
  }

  nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  send(bytes: Uint8Array): void {
    this.out.write(bytes);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Takes the first message (in arrival order) matching `pred`, waiting up to `ms`. */
  async next(pred: (m: Msg) => boolean = () => true, ms = 3000): Promise<Msg> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      if (this.closed) throw new Error('connection closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms; inbox: ${this.inbox.map((m) => MsgType[m.type]).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Sends a request and collects its answers: DATA messages with its seq, then its STATUS. */
  async request(bytes: Uint8Array, ms = 3000): Promise<{ data: Msg[]; status: Msg }> {
    const seq = (bytes[2]! << 8) | bytes[3]!;
    this.send(bytes);
    const data: Msg[] = [];
    for (;;) {
      const m = await this.next((x) => x.seq === seq && (x.type === MsgType.DATA || x.type === MsgType.STATUS), ms);
      if (m.type === MsgType.STATUS) return { data, status: m };
      data.push(m);
    }
  }

  /** Waits a little and reports whether a message matching `pred` arrived (it stays in the inbox). */
  async nothing(pred: (m: Msg) => boolean = () => true, ms = 150): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.inbox.some(pred);
  }

  async waitClosed(ms = 3000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.onClose();
  }
}
