// TcpClient, the pure protocol: exact SYN bytes, handshake and data against hand-built server segments,
// segmentation, windows, retransmission timing and give-up, FIN and RST, and hostile input. The test parses
// and builds packets with its own code (its own checksum too), so the client is not checked against itself.
import test from 'ava';
import fc from 'fast-check';
import { TcpClient, TcpState, type TcpClientOptions } from '../../src/net/tcp-client.js';
import { CLIENT, CPORT, F, IRS, ISS, SERVER, SPORT, add, inetSum, parse, seg, u32, type Parsed } from './tcp-packets.js';

function newClient(o: Partial<TcpClientOptions> = {}): TcpClient {
  return new TcpClient({ local: { addr: CLIENT, port: CPORT }, remote: { addr: SERVER, port: SPORT }, iss: ISS, ...o });
}

/** A client through the handshake; the server's MSS and window as given. */
function established(o: Partial<TcpClientOptions> = {}, serverMss = 1460, window = 65535): { c: TcpClient; out: Parsed[] } {
  const c = newClient(o);
  c.connect(0);
  const r = c.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK, window, options: [2, 4, serverMss >> 8, serverMss & 255] }), 10);
  return { c, out: r.packets.map(parse) };
}

function bytes(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 255;
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

test('the SYN, byte by byte: IPv4 header with DF and a correct checksum, TCP SYN with the MSS option and a correct checksum', (t) => {
  const c = newClient();
  const [syn, ...rest] = c.connect(0);
  t.is(rest.length, 0);
  const b = [...syn!];
  t.is(syn!.length, 44);  // 20 IP + 20 TCP + 4 option bytes
  t.deepEqual(b.slice(0, 4), [0x45, 0, 0, 44]);
  t.deepEqual(b.slice(6, 10), [0x40, 0, 64, 6], 'DF, no fragment offset, TTL 64, TCP');
  t.deepEqual(b.slice(12, 20), [10, 1, 0, 2, 10, 1, 0, 1]);
  t.is(inetSum(b.slice(0, 20)), 0, 'IP header checksum');
  t.deepEqual(b.slice(20, 24), [CPORT >> 8, CPORT & 255, SPORT >> 8, SPORT & 255]);
  t.deepEqual(b.slice(24, 28), u32(ISS), 'sequence number is the ISS');
  t.deepEqual(b.slice(28, 32), [0, 0, 0, 0], 'no ACK number without ACK');
  t.is(b[32], 6 << 4, 'data offset 6 words');
  t.is(b[33], F.SYN, 'only SYN');
  t.deepEqual(b.slice(34, 36), [0xff, 0xff], 'window 65535');
  t.deepEqual(b.slice(38, 40), [0, 0], 'urgent pointer');
  t.deepEqual(b.slice(40, 44), [2, 4, 1200 >> 8, 1200 & 255], 'MSS option 1200');
  t.is(inetSum([...b.slice(12, 20), 0, 6, 0, 24, ...b.slice(20, 44)]), 0, 'TCP checksum over the pseudo-header');
  t.is(c.state, TcpState.SynSent);
  t.is(c.nextTimeoutMs(), 1000);
});

test('handshake, then a request out and an answer in, each acknowledged', (t) => {
  const c = newClient();
  c.connect(0);
  t.deepEqual(c.write(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'), 1), [], 'nothing but the SYN before the handshake');
  const r = c.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK, options: [2, 4, 0x05, 0xb4] }), 50);
  t.is(c.state, TcpState.Established);
  t.is(r.packets.length, 2, 'the handshake\'s ACK, then the queued request');
  const hs = parse(r.packets[0]!);
  t.deepEqual([hs.flags, hs.seq, hs.ack, hs.payload.length], [F.ACK, add(ISS, 1), add(IRS, 1), 0]);
  const req = parse(r.packets[1]!);
  t.true(req.ipHeaderOk && req.tcpOk && req.df);
  t.is(req.flags, F.ACK | F.PSH);
  t.is(req.seq, add(ISS, 1));
  t.is(req.ack, add(IRS, 1));
  t.is(new TextDecoder().decode(req.payload), 'GET / HTTP/1.1\r\n\r\n');
  t.is(c.nextTimeoutMs(), 50 + 1000);

  const answer = new TextEncoder().encode('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  const r2 = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 18), flags: F.ACK | F.PSH, payload: answer }), 80);
  t.deepEqual(concat(r2.data), answer);
  t.is(r2.packets.length, 1);
  const ack = parse(r2.packets[0]!);
  t.is(ack.flags, F.ACK);
  t.is(ack.ack, add(IRS, 1 + answer.length));
  t.is(ack.payload.length, 0);
  t.true(c.allAcked);
  t.is(c.nextTimeoutMs(), undefined, 'nothing in flight, no timer');
  t.deepEqual(c.drops, {});
  t.is(c.counters.bytesOut, 18);
  t.is(c.counters.bytesIn, answer.length);
});

test('segments are cut at min(our MSS, the peer\'s MSS); without an MSS option the peer gets 536', (t) => {
  for (const [serverMss, expected] of [[1460, 1200], [500, 500], [undefined, 536]] as const) {
    const c = newClient();
    c.connect(0);
    const options = serverMss === undefined ? [] : [1, 1, 2, 4, serverMss >> 8, serverMss & 255, 1, 1];  // NOPs around it
    c.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK, options }), 1);
    const data = bytes(8192);
    const out = c.write(data, 2).map(parse);
    t.is(c.mss, expected);
    t.true(out.every((p) => p.payload.length <= expected && p.tcpOk && p.ipHeaderOk));
    t.is(out[0]!.payload.length, expected);
    // contiguous, in order, everything (the initial window of 10 segments may hold it back)
    let seq = add(ISS, 1);
    for (const p of out) {
      t.is(p.seq, seq);
      seq = add(seq, p.payload.length);
    }
    const sent = concat(out.map((p) => p.payload));
    t.deepEqual(sent, data.subarray(0, sent.length));
    t.is(sent.length, Math.min(8192, 10 * expected));
  }
});

test('sending stays inside the peer\'s window, and more goes out as ACKs open it', (t) => {
  const { c } = established({}, 1460, 3000);
  const data = bytes(8000, 7);
  const first = c.write(data, 20).map(parse);
  t.deepEqual(first.map((p) => p.payload.length), [1200, 1200, 600]);
  // ACK of the first 1200 with the window unchanged: 1200 more
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 1200), flags: F.ACK, window: 3000 }), 30);
  t.deepEqual(r.packets.map((p) => parse(p).payload.length), [1200]);
  t.is(parse(r.packets[0]!).seq, add(ISS, 1 + 3000));
  // a zero window: nothing, even though data waits
  const z = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 4200), flags: F.ACK, window: 0 }), 40);
  t.deepEqual(z.packets, []);
  // a window update (same ACK, bigger window) releases the rest
  const u = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 4200), flags: F.ACK, window: 60000 }), 50);
  const rest = u.packets.map(parse);
  t.deepEqual(concat([...first, parse(r.packets[0]!), ...rest].map((p) => p.payload)), data);
});

test('a zero window is probed with one byte when the timer fires', (t) => {
  const { c } = established({}, 1460, 0);
  t.deepEqual(c.write(bytes(100), 20), []);
  t.is(c.nextTimeoutMs(), 1020);
  const probe = c.poll(1020).map(parse);
  t.is(probe.length, 1);
  t.is(probe[0]!.payload.length, 1);
  t.is(probe[0]!.seq, add(ISS, 1));
});

test('SYN retransmission: at 1, 3, 7 and 15 s (the RTO doubling), then given up at 31 s as a timeout', (t) => {
  const c = newClient();
  c.connect(0);
  const times: number[] = [];
  for (let now = 0; now <= 40_000 && c.error === undefined; now += 10) {
    const out = c.poll(now);
    if (out.length > 0) {
      times.push(now);
      const p = parse(out[0]!);
      t.is(p.flags, F.SYN);
      t.is(p.seq, ISS);
    }
  }
  t.deepEqual(times, [1000, 3000, 7000, 15000]);
  t.is(c.error, 'timeout');
  t.is(c.state, TcpState.Closed);
  t.is(c.nextTimeoutMs(), undefined);
  t.is(c.counters.timeouts, 5);
});

test('data retransmission is go-back-N from the oldest unacknowledged byte; it gives up after 5 tries with an RST', (t) => {
  const { c } = established();
  const data = bytes(3000, 3);
  const first = c.write(data, 100).map(parse);
  t.is(first.length, 3);
  // the peer got only the first segment
  c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 1200), flags: F.ACK }), 150);
  t.is(c.nextTimeoutMs(), 150 + 1000, 'the timer restarts on the ACK');
  t.deepEqual(c.poll(1149), []);
  const again = c.poll(1150).map(parse);
  t.deepEqual(again.map((p) => [p.seq, p.payload.length]), [[add(ISS, 1 + 1200), 1200]], 'one segment: the window after a timeout is one MSS');
  t.deepEqual(again[0]!.payload, data.subarray(1200, 2400));
  // the ACK of it lets the congestion window grow and the rest follows
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 2400), flags: F.ACK }), 1200);
  t.deepEqual(r.packets.map((p) => parse(p).seq), [add(ISS, 1 + 2400)]);
  // now nothing is acknowledged any more: 1, 2, 4, 8 s later (the ACK ended the backoff), then 16 s and an RST
  const at: number[] = [];
  let rst: Parsed | undefined;
  for (let now = 1200; now < 60_000 && c.error === undefined; now += 50) {
    for (const p of c.poll(now).map(parse)) {
      if (p.flags & F.RST) rst = p;
      else at.push(now);
    }
  }
  t.is(at.length, 4);
  t.is(c.error, 'timeout');
  t.truthy(rst);
  t.is(rst!.seq, add(ISS, 1 + 3000));
});

test('a late ACK for data sent before a go-back-N is still accepted', (t) => {
  const { c } = established();
  c.write(bytes(3000), 0);
  c.poll(1010);  // go-back-N: SND.NXT back to SND.UNA, one segment resent
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 3000), flags: F.ACK }), 1020);
  t.deepEqual(r.packets, []);
  t.true(c.allAcked);
  t.is(c.drops['future-ack'], undefined);
});

test('three duplicate ACKs resend the lost segment at once', (t) => {
  const { c } = established();
  c.write(bytes(6000), 0);
  const dup = seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 1200), flags: F.ACK });
  t.deepEqual(c.receive(dup, 10).packets, []);
  t.deepEqual(c.receive(dup, 11).packets, []);
  t.deepEqual(c.receive(dup, 12).packets, []);
  const fr = c.receive(dup, 13).packets.map(parse);
  t.is(fr.length, 1);
  t.is(fr[0]!.seq, add(ISS, 1 + 1200));
  t.is(fr[0]!.payload.length, 1200);
});

test('out-of-order data is dropped with a duplicate ACK and taken when it comes again in order', (t) => {
  const { c } = established();
  const a = bytes(100, 1);
  const b = bytes(100, 2);
  const r = c.receive(seg({ seq: add(IRS, 101), ack: add(ISS, 1), flags: F.ACK, payload: b }), 10);
  t.deepEqual(r.data, []);
  t.is(parse(r.packets[0]!).ack, add(IRS, 1), 'duplicate ACK for what we have');
  t.is(c.drops['out-of-order'], 1);
  t.deepEqual(concat(c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK, payload: a }), 11).data), a);
  // a retransmission overlapping what we have is trimmed, not delivered twice
  const both = concat([a, b]);
  t.deepEqual(concat(c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK, payload: both }), 12).data), b);
  // a duplicate entirely before RCV.NXT earns an ACK and delivers nothing
  const d = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK, payload: a }), 13);
  t.deepEqual(d.data, []);
  t.is(parse(d.packets[0]!).ack, add(IRS, 201));
});

test('data beyond the receive window is cut at its edge; data wholly beyond it is refused with an ACK', (t) => {
  const { c } = established({ receiveWindow: 1000 });
  const big = bytes(1500);
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK, payload: big }), 10);
  t.deepEqual(concat(r.data), big.subarray(0, 1000));
  const far = c.receive(seg({ seq: add(IRS, 5001), ack: add(ISS, 1), flags: F.ACK, payload: bytes(10) }), 11);
  t.deepEqual(far.data, []);
  t.is(parse(far.packets[0]!).ack, add(IRS, 1001));
  t.is(c.drops['out-of-window'], 1);
});

test('the peer\'s FIN ends the input; our FIN after end(); its ACK closes the connection (passive close)', (t) => {
  const { c } = established();
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.FIN | F.PSH, payload: bytes(10) }), 10);
  t.is(concat(r.data).length, 10);
  t.true(c.remoteEnded);
  t.is(c.state, TcpState.CloseWait);
  t.is(parse(r.packets[0]!).ack, add(IRS, 12), 'the FIN is acknowledged');
  const fin = c.end(20).map(parse);
  t.is(fin.length, 1);
  t.is(fin[0]!.flags, F.ACK | F.FIN);
  t.is(c.state, TcpState.LastAck);
  t.is(c.nextTimeoutMs(), 1020, 'the FIN is retransmitted if unacknowledged');
  t.deepEqual(c.poll(1020).map((p) => parse(p).flags), [F.ACK | F.FIN]);
  c.receive(seg({ seq: add(IRS, 12), ack: add(ISS, 2), flags: F.ACK }), 1030);
  t.is(c.state, TcpState.Closed);
  t.is(c.error, undefined, 'an orderly close is no failure');
  t.true(c.finished);
});

test('active close: data and FIN, FIN-WAIT-2, the peer\'s FIN, TIME-WAIT; a retransmitted FIN is ACKed again', (t) => {
  const { c } = established();
  c.write(bytes(50), 10);
  const f = c.end(11).map(parse);
  t.deepEqual(f.map((p) => [p.flags, p.seq, p.payload.length]), [[F.ACK | F.FIN, add(ISS, 51), 0]], 'the data went out on write; end() sends the FIN on its own');
  t.is(c.state, TcpState.FinWait1);
  c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1 + 50 + 1), flags: F.ACK }), 20);
  t.is(c.state, TcpState.FinWait2);
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 52), flags: F.ACK | F.FIN }), 30);
  t.is(c.state, TcpState.TimeWait);
  t.is(parse(r.packets[0]!).ack, add(IRS, 2));
  const again = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 52), flags: F.ACK | F.FIN }), 40);
  t.is(parse(again.packets[0]!).ack, add(IRS, 2));
  t.is(c.nextTimeoutMs(), undefined);
});

test('end() right after write: FIN rides on the last data segment; simultaneous FINs go through CLOSING', (t) => {
  const c = newClient();
  c.connect(0);
  c.write(bytes(30), 0);
  c.end(0);
  const r = c.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK, options: [2, 4, 5, 0xb4] }), 5).packets.map(parse);
  t.deepEqual(r.map((p) => [p.flags, p.payload.length]), [[F.ACK, 0], [F.ACK | F.PSH | F.FIN, 30]]);
  c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.FIN }), 6);
  t.is(c.state, TcpState.Closing);
  c.receive(seg({ seq: add(IRS, 2), ack: add(ISS, 32), flags: F.ACK }), 7);
  t.is(c.state, TcpState.TimeWait);
});

test('write() and end() before connect() are kept: the data and the FIN follow the handshake', (t) => {
  const c = newClient();
  t.false(c.finished);
  t.deepEqual(c.write(bytes(10), 0), []);
  t.deepEqual(c.end(0), []);
  c.connect(0);
  const r = c.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK }), 1).packets.map(parse);
  t.deepEqual(r.map((p) => [p.flags, p.payload.length]), [[F.ACK, 0], [F.ACK | F.PSH | F.FIN, 10]]);
  t.is(c.state, TcpState.FinWait1);
  t.throws(() => c.connect(2));
});

test('RST: refused in SYN-SENT, reset at exactly RCV.NXT, challenged elsewhere in the window, ignored outside it', (t) => {
  const c1 = newClient();
  c1.connect(0);
  c1.receive(seg({ seq: 0, ack: add(ISS, 1), flags: F.RST | F.ACK }), 1);
  t.is(c1.error, 'refused');
  t.is(c1.nextTimeoutMs(), undefined);

  const c2 = newClient();
  c2.connect(0);
  c2.receive(seg({ seq: 0, flags: F.RST }), 1);  // no ACK: anybody's
  t.is(c2.state, TcpState.SynSent);
  c2.receive(seg({ seq: 0, ack: add(ISS, 99), flags: F.RST | F.ACK }), 1);  // wrong ACK
  t.is(c2.state, TcpState.SynSent);

  const { c: c3 } = established();
  const ch = c3.receive(seg({ seq: add(IRS, 100), flags: F.RST }), 20);
  t.is(c3.state, TcpState.Established);
  t.is(parse(ch.packets[0]!).flags, F.ACK, 'challenge ACK');
  t.deepEqual(c3.receive(seg({ seq: add(IRS, 100_000), flags: F.RST }), 21).packets, [], 'outside the window: silently dropped');
  c3.receive(seg({ seq: add(IRS, 1), flags: F.RST }), 22);
  t.is(c3.error, 'reset');
  t.is(c3.state, TcpState.Closed);
  // and in CLOSED anything else earns an RST
  const late = c3.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK, payload: bytes(5) }), 23).packets.map(parse);
  t.is(late[0]!.flags, F.RST);
  t.is(late[0]!.seq, add(ISS, 1));
});

test('abort() sends an RST at SND.NXT once synchronized', (t) => {
  const { c } = established();
  c.write(bytes(10), 11);
  const r = c.abort().map(parse);
  t.is(r.length, 1);
  t.is(r[0]!.flags, F.RST);
  t.is(r[0]!.seq, add(ISS, 11));
  t.is(c.error, 'aborted');
  t.deepEqual(c.abort(), []);
});

test('SYN-SENT: an ACK of something we never sent is answered with an RST carrying that ACK number', (t) => {
  const c = newClient();
  c.connect(0);
  const r = c.receive(seg({ seq: IRS, ack: add(ISS, 5), flags: F.SYN | F.ACK }), 1).packets.map(parse);
  t.is(r[0]!.flags, F.RST);
  t.is(r[0]!.seq, add(ISS, 5));
  t.is(c.state, TcpState.SynSent);
});

test('ESTABLISHED: an ACK of unsent data is answered with an ACK and not taken; a SYN gets a challenge ACK', (t) => {
  const { c } = established();
  c.write(bytes(100), 10);
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 5000), flags: F.ACK, payload: bytes(10) }), 11);
  t.deepEqual(r.data, [], 'the segment is dropped, data and all');
  t.is(parse(r.packets[0]!).flags, F.ACK);
  t.is(c.drops['future-ack'], 1);
  t.false(c.allAcked);
  const s = c.receive(seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.SYN | F.ACK }), 12);
  t.is(parse(s.packets[0]!).flags, F.ACK);
  t.is(c.state, TcpState.Established);
});

/** After hostile input the connection must still carry a clean exchange. */
function stillWorks(t: import('ava').ExecutionContext, c: TcpClient): void {
  const out = c.write(Uint8Array.of(1, 2, 3), 500).map(parse);
  t.is(out.length, 1);
  t.deepEqual([...out[0]!.payload], [1, 2, 3]);
  const r = c.receive(seg({ seq: add(IRS, 1), ack: add(out[0]!.seq, 3), flags: F.ACK | F.PSH, payload: Uint8Array.of(9, 8) }), 501);
  t.deepEqual(r.data.map((d) => [...d]), [[9, 8]]);
  t.true(c.allAcked);
  t.is(c.drops.internal, undefined);
}

test('hostile: every truncation of a valid data segment is dropped without a throw', (t) => {
  const { c } = established();
  const valid = seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.PSH, payload: bytes(40) });
  for (let n = 0; n < valid.length; n++) {
    const r = c.receive(valid.subarray(0, n), 100);
    t.deepEqual(r, { packets: [], data: [] }, `length ${n}`);
  }
  t.is(Object.values(c.drops).reduce((a, b) => a + b, 0), valid.length);
  stillWorks(t, c);
});

test('hostile: every single flipped bit is caught (a checksum or a check) and nothing is delivered', (t) => {
  const { c } = established();
  const valid = seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.PSH, payload: bytes(24) });
  let delivered = 0;
  for (let bit = 0; bit < valid.length * 8; bit++) {
    const p = Uint8Array.from(valid);
    p[bit >> 3]! ^= 0x80 >> (bit & 7);
    const r = c.receive(p, 100);
    delivered += r.data.length;
  }
  t.is(delivered, 0);
  t.is(c.drops.internal, undefined);
  t.true((c.drops['tcp-checksum'] ?? 0) > 100);
  t.true((c.drops['ip-checksum'] ?? 0) > 50);
  stillWorks(t, c);
});

test('hostile: wrong ports and addresses are ignored', (t) => {
  const { c } = established();
  const base = { seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.PSH, payload: bytes(10) };
  for (const o of [{ sport: 80 }, { dport: 1234 }, { src: Uint8Array.of(10, 1, 0, 9) }, { dst: Uint8Array.of(10, 1, 0, 3) }]) {
    t.deepEqual(c.receive(seg({ ...base, ...o }), 10), { packets: [], data: [] });
  }
  t.is(c.drops['wrong-port'], 2);
  t.is(c.drops['wrong-address'], 2);
  // an RST for another connection does not reset ours
  c.receive(seg({ seq: add(IRS, 1), flags: F.RST, sport: 80 }), 11);
  t.is(c.state, TcpState.Established);
  stillWorks(t, c);
});

test('hostile: a 64 KB garbage packet, random garbage, an IPv4 header claiming 64 KB, fragments, other protocols: no throw', (t) => {
  const { c } = established();
  let x = 12345;
  const rnd = (): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x >>> 24;
  };
  const garbage = new Uint8Array(65536).map(rnd);
  t.notThrows(() => c.receive(garbage, 10));
  garbage[0] = 0x45;
  t.notThrows(() => c.receive(garbage, 10));
  for (let i = 0; i < 2000; i++) {
    const p = new Uint8Array(rnd() % 120).map(rnd);
    if (p.length > 0) p[0] = 0x45;
    c.receive(p, 10);
  }
  const valid = seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK, payload: bytes(10) });
  const big = new Uint8Array(65535);
  big.set(valid);
  t.deepEqual(c.receive(big, 10).data.map((d) => d.length), [10], 'trailing link padding is ignored');
  c.receive(seg({ seq: add(IRS, 11), ack: add(ISS, 1), flags: F.ACK, payload: bytes(10) }).map((v, i) => (i === 6 ? 0x20 : v)), 10);
  c.receive(Uint8Array.from(valid).fill(17, 9, 10), 10);
  t.notThrows(() => c.receive(null as unknown as Uint8Array, 10));
  t.notThrows(() => c.receive(new Uint8Array(0), 10));
  t.is(c.drops.internal, undefined);
  // the segment after what was delivered still goes through
  const r = c.receive(seg({ seq: add(IRS, 11), ack: add(ISS, 1), flags: F.ACK, payload: Uint8Array.of(7) }), 11);
  t.deepEqual(r.data.map((d) => [...d]), [[7]]);
});

test('hostile: SYN-ACK options that lie about their length, MSS 0 or 1, a huge option list', (t) => {
  for (const options of [[2, 4, 0, 0], [2, 4, 0, 1], [2, 40, 5, 0xb4], [2, 0, 0, 0], [8, 10, 0, 0], [2, 3, 5, 0xb4], [...Array(40).fill(1)]]) {
    const c = newClient();
    c.connect(0);
    t.notThrows(() => c.receive(seg({ seq: IRS, ack: add(ISS, 1), flags: F.SYN | F.ACK, options }), 1));
    t.is(c.state, TcpState.Established);
    t.true(c.mss >= 64 && c.mss <= 1200, `mss ${c.mss} for ${options.join(',')}`);
    t.is(c.drops.internal, undefined);
  }
});

// --- properties (fast-check) -----------------------------------------------------------------------------

test('property: any mix of reordered, duplicated, overlapping and lost server segments delivers exactly a prefix of the stream, then all of it', (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 6000 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 1500 })), { maxLength: 40 }),
    fc.integer({ min: 0, max: 0xffffffff }),
    (size, chunks, irs) => {
      const c = newClient();
      c.connect(0);
      c.receive(seg({ seq: irs, ack: add(ISS, 1), flags: F.SYN | F.ACK }), 1);
      const stream = bytes(size, 17);
      const got: Uint8Array[] = [];
      const feed = (off: number, len: number): void => {
        const payload = stream.subarray(off, Math.min(size, off + len));
        const r = c.receive(seg({ seq: add(irs, 1 + off), ack: add(ISS, 1), flags: F.ACK, payload }), 2);
        got.push(...r.data);
      };
      for (const [o, len] of chunks) feed(o % size, len);
      const prefix = concat(got);
      if (!Buffer.from(prefix).equals(Buffer.from(stream.subarray(0, prefix.length)))) return false;
      // now the rest, in order, as the peer's retransmissions would bring it
      for (let off = prefix.length; off < size; off += 1000) feed(off, 1000);
      return Buffer.from(concat(got)).equals(Buffer.from(stream)) && c.drops.internal === undefined;
    },
  ), { numRuns: 300 });
  t.pass();
});

test('property: arbitrary bytes, and arbitrary byte edits of valid segments, never throw and never break the connection', (t) => {
  const valid = [
    seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.PSH, payload: bytes(64) }),
    seg({ seq: add(IRS, 1), ack: add(ISS, 1), flags: F.ACK | F.FIN }),
    seg({ seq: add(IRS, 1), flags: F.RST }),
  ];
  fc.assert(fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat())
        .map(([v, edits, cut]) => {
          const p = Uint8Array.from(v);
          for (const [i, b] of edits) p[i % p.length] = b;
          return p.subarray(0, p.length - (cut % 4 === 0 ? cut % p.length : 0));
        }),
    ),
    (p) => {
      const { c } = established();
      const r = c.receive(p, 5);
      // an edit that leaves a packet valid (both checksums) can only be a changed copy of a real segment; anything
      // else must have been dropped without an effect
      if (r.data.length === 0 && c.state === TcpState.Established) {
        const out = c.write(Uint8Array.of(1), 6).map(parse);
        if (out.length !== 1 || out[0]!.payload[0] !== 1) return false;
      }
      return c.drops.internal === undefined;
    },
  ), { numRuns: 3000 });
  t.pass();
});
