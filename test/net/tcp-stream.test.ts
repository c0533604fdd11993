// tcpStream's edge without a kernel: the Duplex against hand-built server segments, with a fake clock and
// timer, for what the kernel test cannot pin down: one timer at a time, failures that end the stream
// instead of hanging, the RST of destroy(err), the lingering FIN of destroy(), send() throwing, setTimeout.
import test from 'ava';
import { once } from 'node:events';
import { tcpStream, type TcpStream, type TcpTimers } from '../../src/net/tcp-stream.js';
import { CLIENT, CPORT, F, IRS, ISS, SERVER, SPORT, add, parse, seg, type Parsed } from './tcp-packets.js';

class FakeTimers implements TcpTimers {
  t = 0;
  private seq = 0;
  readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }

  /** Moves the clock, firing what falls due in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

function setup(o: { sendThrows?: () => boolean } = {}): { s: TcpStream; timers: FakeTimers; out: Parsed[] } {
  const timers = new FakeTimers();
  const out: Parsed[] = [];
  const s = tcpStream({
    local: { addr: CLIENT, port: CPORT }, remote: { addr: SERVER, port: SPORT }, iss: ISS, timers,
    send: (packets) => {
      assertNotEmpty(packets);
      if (o.sendThrows?.()) throw new Error('the tunnel is down');
      out.push(...packets.map(parse));
    },
  });
  return { s, timers, out };
}

function assertNotEmpty(packets: Uint8Array[]): void {
  if (packets.length === 0) throw new Error('send() with no packets');
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('the SYN goes out on the next tick; "connect" on the SYN-ACK; a write made before it follows the handshake\'s ACK', async (t) => {
  const { s, out, timers } = setup();
  t.true(s.socket.connecting);
  s.socket.write('hello');
  t.is(out.length, 0, 'nothing before the caller holds receive()');
  await tick();
  t.deepEqual(out.map((p) => p.flags), [F.SYN]);
  t.is(timers.pending.size, 1, 'one timer: the SYN\'s');
  const connected = once(s.socket, 'connect');
  s.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK, options: [2, 4, 5, 0xb4] }));
  await connected;
  t.false(s.socket.connecting);
  t.deepEqual(out.slice(1).map((p) => [p.flags, Buffer.from(p.payload).toString()]), [[F.ACK, ''], [F.ACK | F.PSH, 'hello']]);
  t.is(timers.pending.size, 1, 'still one timer, now for the data');
  s.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 6), flags: F.ACK | F.PSH, payload: Buffer.from('world') }));
  t.is(timers.pending.size, 0, 'all acknowledged: no timer');
  const [chunk] = (await once(s.socket, 'data')) as [Buffer];
  t.is(chunk.toString(), 'world');
});

test('no SYN-ACK ever: the socket errors with ETIMEDOUT after 1+2+4+8+16 s, and finished settles', async (t) => {
  const { s, timers, out } = setup();
  await tick();
  const err = once(s.socket, 'error');
  for (let i = 0; i < 40; i++) timers.advance(1000);
  const [e] = (await err) as [NodeJS.ErrnoException];
  t.is(e.code, 'ETIMEDOUT');
  t.regex(e.message, /10\.1\.0\.1:51830/);
  t.is(out.length, 5, 'five SYNs');
  await s.finished;
  t.is(timers.pending.size, 0);
  t.true(s.socket.destroyed);
});

test('an RST answering the SYN: ECONNREFUSED at once', async (t) => {
  const { s } = setup();
  await tick();
  const err = once(s.socket, 'error');
  s.receive(seg({ seq: 0, ack: add(ISS, 1), flags: F.RST | F.ACK }));
  const [e] = (await err) as [NodeJS.ErrnoException];
  t.is(e.code, 'ECONNREFUSED');
  t.is(e.syscall, 'connect');
});

test('an RST on an established connection: ECONNRESET', async (t) => {
  const { s } = setup();
  await tick();
  s.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK }));
  const err = once(s.socket, 'error');
  s.receive(seg({ seq: add(IRS, 1), flags: F.RST }));
  t.is(((await err) as [NodeJS.ErrnoException])[0].code, 'ECONNRESET');
});

test('destroy(err) resets the peer; destroy() closes gracefully and keeps resending the FIN until it is acknowledged', async (t) => {
  const a = setup();
  await tick();
  a.s.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK }));
  a.s.socket.on('error', () => {});
  a.s.socket.destroy(new Error('caller gave up'));
  t.is(a.out.at(-1)!.flags, F.RST);
  await a.s.finished;

  const b = setup();
  await tick();
  b.s.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK }));
  b.s.socket.destroy();
  t.is(b.out.at(-1)!.flags, F.ACK | F.FIN);
  b.timers.advance(1000);
  t.is(b.out.at(-1)!.flags, F.ACK | F.FIN, 'resent after the RTO although the stream is gone');
  let done = false;
  void b.s.finished.then(() => { done = true; });
  b.s.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 2), flags: F.ACK | F.FIN }));
  await tick();
  t.true(done, 'both FINs acknowledged: finished');
  t.is(b.timers.pending.size, 0);
});

test('destroy() before the SYN went out sends nothing and settles', async (t) => {
  const { s, out, timers } = setup();
  s.socket.destroy();
  await s.finished;
  await tick();
  t.is(out.length, 0);
  t.is(timers.pending.size, 0);
});

test('send() throwing is packet loss: the retransmission gets through', async (t) => {
  let fail = true;
  const { timers, out } = setup({ sendThrows: () => fail });
  await tick();
  t.is(out.length, 0);
  fail = false;
  timers.advance(1000);
  t.deepEqual(out.map((p) => p.flags), [F.SYN]);
});

test('setTimeout: "timeout" after the idle time, reset by traffic, off with 0', async (t) => {
  const { s, timers } = setup();
  await tick();
  s.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK }));
  let fired = 0;
  s.socket.setTimeout(5000, () => { fired++; });
  timers.advance(4000);
  s.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.PSH, payload: Buffer.from('x') }));
  timers.advance(4000);
  t.is(fired, 0);
  timers.advance(1000);
  t.is(fired, 1);
  s.socket.setTimeout(0);
  t.is(s.socket.setNoDelay(true), s.socket);
  t.is(s.socket.setKeepAlive(true, 1000), s.socket);
  s.socket.destroy();
});
