// Installs, upgrades and removes .ipk files in a RouterRoot the way OpenWrt's opkg (opkg-lede) does on a
// router; opkg itself is not available here (Debian has no package of it). What is modelled, from
// opkg-lede libopkg/opkg_install.c, opkg_remove.c and pkg.c (pkg_run_script):
// - install: dependencies must be installed; a modified conffile of the old version is set aside
//   (backup_modified_conffiles), data.tar.gz is unpacked over the root with its modes and owners,
//   files the old version had and the new one has not are deleted (remove_obsolesced_files), the
//   control files go to /usr/lib/opkg/info/NAME.* with NAME.list; then resolve_conffiles: a conffile
//   the owner changed stays, and the package's differing one is put beside it as FILE-opkg.
// - the old version's prerm is NOT run on an upgrade (prerm_upgrade_old_pkg is a no-op in opkg-lede).
// - scripts run as `sh -c "/usr/lib/opkg/info/NAME.SCRIPT ARGS"` with PKG_ROOT and PKG_UPGRADE (1 on
//   an upgrade, else 0); postinst gets `configure`, prerm and postrm `remove`. Here inside the chroot.
// - remove: prerm, then every listed file except a conffile the owner changed, then postrm.
// The status file keeps, per package, its version and each conffile's sha256 ("Conffiles:" lines, as
// the status file of OpenWrt's opkg, which sysupgrade reads).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathOf, readTarGz } from './tar.js';
import type { RouterRoot } from './router-root.js';

const INFO = 'usr/lib/opkg/info';
const STATUS = 'usr/lib/opkg/status';

interface Installed { version: string; conffiles: Map<string, string> }

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function field(control: string, name: string): string {
  const m = new RegExp(`^${name}: *(.*)$`, 'm').exec(control);
  return m ? m[1]!.trim() : '';
}

export class Opkg {
  constructor(readonly root: RouterRoot) {}

  private at(p: string): string {
    return join(this.root.dir, p.replace(/^\//, ''));
  }

  /** The status file, parsed: package -> version and conffile checksums. */
  status(): Map<string, Installed> {
    const out = new Map<string, Installed>();
    if (!existsSync(this.at(STATUS))) return out;
    for (const block of readFileSync(this.at(STATUS), 'utf8').split(/\n\n+/)) {
      const name = field(block, 'Package');
      if (!name) continue;
      const conffiles = new Map<string, string>();
      for (const m of block.matchAll(/^ (\/\S+) ([0-9a-f]{64})$/gm)) conffiles.set(m[1]!, m[2]!);
      out.set(name, { version: field(block, 'Version'), conffiles });
    }
    return out;
  }

  private writeStatus(s: Map<string, Installed>): void {
    mkdirSync(dirname(this.at(STATUS)), { recursive: true });
    const blocks = [...s].map(([name, p]) => [
      `Package: ${name}`, `Version: ${p.version}`, 'Status: install user installed',
      ...(p.conffiles.size ? ['Conffiles:', ...[...p.conffiles].map(([f, h]) => ` ${f} ${h}`)] : []),
    ].join('\n'));
    writeFileSync(this.at(STATUS), `${blocks.join('\n\n')}\n`);
  }

  /** A package the root already has from elsewhere (node, kmod-tun, ... on a real router). */
  provide(name: string, version = '1.0-1'): void {
    const s = this.status();
    s.set(name, { version, conffiles: new Map() });
    this.writeStatus(s);
  }

  private script(name: string, script: string, args: string[], upgrade: boolean): void {
    const path = `/${INFO}/${name}.${script}`;
    if (!existsSync(this.at(path))) return;
    const r = this.root.run(['/bin/sh', '-c', `${path} ${args.join(' ')}`], { PKG_ROOT: '/', PKG_UPGRADE: upgrade ? '1' : '0' });
    if (r.code !== 0) throw new Error(`${name} ${script} exited ${r.code}: ${r.stderr}`);
  }

  install(ipk: string): void {
    const outer = readTarGz(readFileSync(ipk));
    const member = (n: string) => outer.find((e) => e.name === `./${n}`)!.data;
    const control = new Map(readTarGz(member('control.tar.gz')).filter((e) => e.type === '0').map((e) => [pathOf(e).slice(1), e]));
    const controlText = control.get('control')!.data.toString();
    const name = field(controlText, 'Package');
    const status = this.status();
    for (const dep of field(controlText, 'Depends').split(',').map((d) => d.trim()).filter(Boolean)) {
      if (!status.has(dep.split(/\s/)[0]!)) throw new Error(`${name}: cannot satisfy dependency ${dep}`);
    }
    const old = status.get(name);
    const oldList = old ? this.list(name) : [];
    const conffiles = (control.get('conffiles')?.data.toString() ?? '').split('\n').filter(Boolean);

    // backup_modified_conffiles: what the owner changed is set aside before unpacking.
    const backups = new Map<string, string>();
    for (const [file, sum] of old?.conffiles ?? []) {
      if (existsSync(this.at(file)) && sha256(this.at(file)) !== sum) {
        copyFileSync(this.at(file), `${this.at(file)}-opkg.backup`);
        backups.set(file, `${this.at(file)}-opkg.backup`);
      }
    }

    const data = readTarGz(member('data.tar.gz'));
    const work = join(this.root.dir, 'tmp', `opkg-${name}`);
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'data.tar.gz'), member('data.tar.gz'));
    execFileSync('tar', ['-xzpf', join(work, 'data.tar.gz'), '-C', this.root.dir, '--numeric-owner']);
    rmSync(work, { recursive: true, force: true });
    const newList = data.filter((e) => e.type !== '5').map(pathOf).sort();

    // remove_obsolesced_files
    for (const f of oldList) if (!newList.includes(f) && existsSync(this.at(f)) && !statSync(this.at(f)).isDirectory()) unlinkSync(this.at(f));

    mkdirSync(this.at(INFO), { recursive: true });
    for (const [n, e] of control) {
      writeFileSync(this.at(`${INFO}/${name}.${n}`), e.data, { mode: e.mode });
    }
    writeFileSync(this.at(`${INFO}/${name}.list`), `${newList.join('\n')}\n`);

    // resolve_conffiles: checksums of the package's own files, then the owner's changes put back.
    const sums = new Map<string, string>();
    for (const file of conffiles) {
      if (!existsSync(this.at(file))) continue;
      sums.set(file, sha256(this.at(file)));
      const backup = backups.get(file);
      if (!backup) continue;
      if (sha256(backup) !== sums.get(file)) {
        renameSync(this.at(file), `${this.at(file)}-opkg`);
        renameSync(backup, this.at(file));
      } else {
        unlinkSync(backup);
      }
    }
    status.set(name, { version: field(controlText, 'Version'), conffiles: sums });
    this.writeStatus(status);
    this.script(name, 'postinst', ['configure'], old !== undefined);
  }

  list(name: string): string[] {
    const f = this.at(`${INFO}/${name}.list`);
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
  }

  remove(name: string): void {
    const status = this.status();
    const p = status.get(name);
    if (!p) throw new Error(`${name} is not installed`);
    this.script(name, 'prerm', ['remove'], false);
    for (const f of this.list(name)) {
      const sum = p.conffiles.get(f);
      if (sum && existsSync(this.at(f)) && sha256(this.at(f)) !== sum) continue; // "not deleting modified conffile"
      rmSync(this.at(f), { force: true });
    }
    this.script(name, 'postrm', ['remove'], false);
    for (const ext of ['control', 'conffiles', 'list', 'postinst', 'prerm', 'postinst-pkg', 'prerm-pkg', 'postrm']) {
      rmSync(this.at(`${INFO}/${name}.${ext}`), { force: true });
    }
    status.delete(name);
    this.writeStatus(status);
  }
}
