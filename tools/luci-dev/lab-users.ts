// The lab's LuCI logins, written to <root>/etc/config/rpcd as rpcd's `config login` sections
// (username, crypt(3) password hash, `list read` / `list write` ACL groups).

import { join } from 'node:path';
import { addAnonymousSection, createPackage, setListValues, setOption, writeUciConfig } from '../../src/uci/index.js';
import { hashPassword } from './sha-crypt.js';

export interface LabUser {
  username: string;
  password: string;
  /** ACL groups (fnmatch patterns) this login may read / write. */
  read: string[];
  write: string[];
}

/** An administrator (every group, like OpenWrt's root login) and a user who may only look. */
export const DEFAULT_LAB_USERS: readonly LabUser[] = [
  { username: 'root', password: 'nym-lab-admin', read: ['*'], write: ['*'] },
  { username: 'viewer', password: 'nym-lab-viewer', read: ['luci-access', 'luci-app-nym-vpn'], write: [] },
];

export async function writeRpcdConfig(root: string, users: readonly LabUser[]): Promise<void> {
  const pkg = createPackage('rpcd');
  const main = addAnonymousSection(pkg, 'rpcd');
  setOption(main, 'socket', '/var/run/ubus/ubus.sock');
  setOption(main, 'timeout', '30');
  for (const u of users) {
    const s = addAnonymousSection(pkg, 'login');
    setOption(s, 'username', u.username);
    setOption(s, 'password', hashPassword(u.password));
    setListValues(s, 'read', u.read);
    setListValues(s, 'write', u.write);
  }
  await writeUciConfig(join(root, 'etc/config'), pkg);
}
