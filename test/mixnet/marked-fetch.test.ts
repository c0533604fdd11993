// The fetch the mixnet client uses inside nym-vpnd (marked sockets past the kill switch): what reqwest reads
// of a Response — status, headers, body, and the url it parses — comes through; a body beyond the bound, a
// server that drips, a refused connection and a cancelled request each reject with a TypeError, as fetch does.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { markedFetch, MAX_NYM_API_ANSWER } from '../../src/mixnet/marked-network.js';
import { NYM_FWMARK } from '../../src/routing/policy.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const fetchMarked = markedFetch(NYM_FWMARK);

test('a topology GET: status, headers, bytes and the url come back as the client asked', async (t) => {
  const seen: { method?: string; accept?: string; url?: string }[] = [];
  const body = Buffer.from([0, 1, 2, 250, 251, 255]);
  const { url, server } = await serve((req, res) => {
    seen.push({ method: req.method, accept: req.headers.accept as string, url: req.url! });
    res.writeHead(200, { 'content-type': 'application/bincode', 'x-two': ['a', 'b'] });
    res.end(body);
  });
  t.teardown(() => server.close());
  const r = await fetchMarked(`${url}/v2/unstable/nym-nodes/skimmed/entry-gateways?output=bincode`, { headers: { accept: 'application/bincode' } });
  t.is(r.status, 200);
  t.is(r.url, `${url}/v2/unstable/nym-nodes/skimmed/entry-gateways?output=bincode`);
  t.is(r.headers.get('content-type'), 'application/bincode');
  t.is(r.headers.get('x-two'), 'a, b');
  t.deepEqual(Buffer.from(await r.arrayBuffer()), body);
  t.deepEqual(seen, [{ method: 'GET', accept: 'application/bincode', url: '/v2/unstable/nym-nodes/skimmed/entry-gateways?output=bincode' }]);
});

test('a POST carries its body; an error status is an answer, not a rejection', async (t) => {
  const { url, server } = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { res.writeHead(418, { 'content-type': 'text/plain' }); res.end(`got ${Buffer.concat(chunks).toString()}`); });
  });
  t.teardown(() => server.close());
  const r = await fetchMarked(new Request(`${url}/x`, { method: 'POST', body: 'hello' }));
  t.is(r.status, 418);
  t.is(await r.text(), 'got hello');
});

test('too large, refused and cancelled are TypeErrors naming the url; nothing hangs', async (t) => {
  const { url, server } = await serve((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(MAX_NYM_API_ANSWER + 1) });
      res.end();
      return;
    }
    res.writeHead(200);
    res.write('{'); // then nothing: a drip that never ends
  });
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const big = await t.throwsAsync(fetchMarked(`${url}/big`), { instanceOf: TypeError });
  t.regex(big!.message, /\/big.*more than the 16777216 allowed/);
  const closed = await serve(() => {});
  const port = (closed.server.address() as AddressInfo).port;
  await new Promise((r) => closed.server.close(r));
  const refused = await t.throwsAsync(fetchMarked(`http://127.0.0.1:${port}/`), { instanceOf: TypeError });
  t.regex(refused!.message, /ECONNREFUSED/);
  const cancel = new AbortController();
  const pending = fetchMarked(`${url}/drip`, { signal: cancel.signal });
  setImmediate(() => cancel.abort());
  await t.throwsAsync(pending, { instanceOf: TypeError });
});

test('a pinned host name is reached at the address the kill switch was opened for, never looked up again; the Host header keeps the name', async (t) => {
  const hosts: string[] = [];
  const { url, server } = await serve((req, res) => { hosts.push(req.headers.host!); res.end('ok'); });
  t.teardown(() => server.close());
  const port = new URL(url).port;
  // `.invalid` never resolves (RFC 6761): only the pin can get this request anywhere.
  const pinned = markedFetch(NYM_FWMARK, { 'nym-api.lab.invalid': '127.0.0.1' });
  const r = await pinned(`http://nym-api.lab.invalid:${port}/v1/epoch/key-rotation-info`);
  t.is(await r.text(), 'ok');
  t.deepEqual(hosts, [`nym-api.lab.invalid:${port}`]);
  await t.throwsAsync(fetchMarked(`http://nym-api.lab.invalid:${port}/`), { instanceOf: TypeError }, 'without the pin the name does not resolve');
});
