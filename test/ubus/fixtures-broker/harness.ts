// Starts an in-process broker on a socket in a fresh temp folder (readable by `nobody`, so that ACL
// tests can connect as another user) and tears everything down afterwards.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UbusBroker, type BrokerOptions } from '../../../tools/ubusd/broker.js';
import { RawClient } from './raw-client.js';

export interface Harness {
  broker: UbusBroker;
  dir: string;
  socketPath: string;
  aclDir: string;
  log: string[];
  connect(): Promise<RawClient>;
  connectAs(user: string, group: string): Promise<RawClient>;
  writeAcl(name: string, doc: unknown): void;
  close(): Promise<void>;
}

export async function startBroker(opts: Partial<BrokerOptions> = {}, acl: Record<string, unknown> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'nym-ubusd-'));
  chmodSync(dir, 0o755);
  const aclDir = join(dir, 'acl.d');
  mkdirSync(aclDir, { mode: 0o755 });
  const writeAcl = (name: string, doc: unknown) => writeFileSync(join(aclDir, name), JSON.stringify(doc), { mode: 0o644 });
  for (const [name, doc] of Object.entries(acl)) writeAcl(name, doc);
  const socketPath = join(dir, 'ubus', 'ubus.sock');
  const log: string[] = [];
  const broker = new UbusBroker({ socketPath, aclDir, log: (level, msg) => log.push(`${level}: ${msg}`), ...opts });
  await broker.start();
  const clients: RawClient[] = [];
  const track = (c: RawClient) => { clients.push(c); return c; };
  return {
    broker, dir, socketPath, aclDir, log, writeAcl,
    connect: async () => track(await RawClient.connect(socketPath)),
    connectAs: async (user, group) => track(await RawClient.connectAs(socketPath, user, group)),
    close: async () => {
      for (const c of clients) c.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
