// Who is on the other end of a unix socket: the kernel's SO_PEERCRED (through our small N-API addon,
// Node has no API for it) and the user and group names for those ids, as getpwuid/getgrgid find
// them in /etc/passwd and /etc/group. ubusd refuses a peer whose ids have no names.

import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { PeerIdentity } from './broker-client.js';

export interface RawCred { pid: number; uid: number; gid: number }
export type PeerCredFn = (fd: number) => RawCred;

const ADDON_PATH = new URL('../../../build/Release/nym_peercred.node', import.meta.url).pathname;

/** The addon's peerCred, or null when it has not been built. */
export function loadPeerCred(path = ADDON_PATH): PeerCredFn | null {
  try {
    const mod = createRequire(import.meta.url)(path) as { peerCred?: PeerCredFn };
    return typeof mod.peerCred === 'function' ? mod.peerCred : null;
  } catch {
    return null;
  }
}

/** The file descriptor behind a connected net.Socket (libuv's pipe handle exposes it). */
export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

interface Table { key: string; byId: Map<number, string> }
const cache = new Map<string, Table>();

/** name:x:id:… lines; the first line for an id wins, as with getpwuid/getgrgid on files. */
function idTable(file: string): Map<number, string> {
  let key: string;
  try {
    const st = statSync(file);
    key = `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return new Map();
  }
  const hit = cache.get(file);
  if (hit && hit.key === key) return hit.byId;
  const byId = new Map<number, string>();
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (Number.isInteger(id) && id >= 0 && !byId.has(id)) byId.set(id, f[0]!);
  }
  cache.set(file, { key, byId });
  return byId;
}

export interface NameFiles { passwd: string; group: string }
export const SYSTEM_NAME_FILES: NameFiles = { passwd: '/etc/passwd', group: '/etc/group' };

/** Ids to names; null when either has no name (ubusd then closes the connection without HELLO). */
export function identify(cred: RawCred, files: NameFiles = SYSTEM_NAME_FILES): PeerIdentity | null {
  const user = idTable(files.passwd).get(cred.uid);
  const group = idTable(files.group).get(cred.gid);
  if (user === undefined || group === undefined) return null;
  return { ...cred, user, group };
}
