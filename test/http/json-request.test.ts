// The caller's socket is the one used. nym-vpnd passes a factory of fwmark-ed sockets so that its own
// requests pass the kill switch; a request that silently opened a plain socket instead was refused by the
// kill switch (how the directory and account sync failed while not connected, before this test).
import test from 'ava';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { fetchJson, requestJson } from '../../src/http/json-request.js';

test('the connect factory opens every connection, for GET and POST alike', async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ method: req.method })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const opened: string[] = [];
  const factory = (host: string, p: number) => {
    opened.push(`${host}:${p}`);
    return connect(p, host);
  };
  const got = await fetchJson(`http://127.0.0.1:${port}/a`, { timeoutMs: 5000, maxBytes: 1000, connect: factory });
  t.deepEqual(got, { method: 'GET' });
  const posted = await requestJson({ method: 'POST', url: `http://127.0.0.1:${port}/b`, body: { x: 1 }, timeoutMs: 5000, maxBytes: 1000, connect: factory });
  t.deepEqual(posted.body, { method: 'POST' });
  t.deepEqual(opened, [`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
});
