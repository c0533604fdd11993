// Loads the native addon (build/Release/nym_vpn_native.node, built from src/native/addon by `npm ci` through
// binding.gyp) and types its functions. Loading is lazy so that importing a wrapper's types never fails.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

/** An opaque native handle (a tagged JS object the addon recognises). */
export interface NativeHandle {
  readonly __nativeHandle: never;
}
export interface NativeTunHandle extends NativeHandle {
  readonly name: string;
  /** The virtio header and coalesced (GRO) writes are in effect. */
  readonly offload: boolean;
  /** Reads take TSO packets (cut into segments by the addon). */
  readonly tso: boolean;
}
export interface NativeUdpHandle extends NativeHandle {
  readonly localAddress: string;
  readonly localPort: number;
  readonly family: 4 | 6;
  /** Whether receives take merged messages (UDP GRO): asked for, room for them in slab and meta, kernel took it. */
  readonly gro: boolean;
}

/** Counters kept by the addon; lastError is the errno name of the last counted error ('' if none). */
export interface HandleStats {
  rxPackets: number;
  rxBytes: number;
  rxBatches: number;
  rxDropped: number;
  rxErrors: number;
  txPackets: number;
  txBytes: number;
  txDropped: number;
  txErrors: number;
  /** Of rxPackets, those that came in a merged read: cut from a UDP GRO message or a TUN TSO packet. */
  rxCoalesced: number;
  lastError: string;
}

/** Called once per batch with the packet count; errno != 0 means reading stopped with that error. */
export type NativeBatchCallback = (count: number, errno: number) => void;

export interface NativeUdpOpenOptions {
  address: string;
  port: number;
  fwmark: number | undefined;
  device: string | undefined;
  bufferBytes: number;
  batch: number;
  maxPacket: number;
  slab: ArrayBuffer;
  meta: Uint32Array;
  onBatch: NativeBatchCallback;
  /** UDP GSO for runs of same-size datagrams to one destination (default true; off where the kernel lacks it). */
  gso?: boolean;
  /** UDP GRO for receives (default true; needs a 64 KB slot in slab and meta for 64 datagrams). */
  gro?: boolean;
}

/** Opaque: the addon's cipher contexts, freed with the object. */
export interface NativeAeadKey {
  readonly __nativeAeadKey: never;
}

export interface NativeAddon {
  tunOpen(name: string, slab: ArrayBuffer, meta: Uint32Array, batch: number, maxPacket: number,
    onBatch: NativeBatchCallback, offload?: boolean, tso?: boolean): NativeTunHandle;
  tunWrite(handle: NativeTunHandle, packets: readonly Uint8Array[]): number;
  udpOpen(options: NativeUdpOpenOptions): NativeUdpHandle;
  udpSend(handle: NativeUdpHandle, packets: readonly Uint8Array[], dests: Uint32Array): number;
  /** Whether sends still use UDP GSO: false when not asked for, not offered by the kernel, or refused once. */
  udpGsoActive(handle: NativeUdpHandle): boolean;
  /** A non-blocking TCP socket fd with SO_MARK set, not yet connected. */
  markedTcpSocket(family: 4 | 6, mark: number): number;
  /** ChaCha20-Poly1305 cipher contexts for one 32-byte key, made once (EVP, Node's OpenSSL). */
  aeadKey(key: Uint8Array): NativeAeadKey;
  /** Seals plaintext ‖ padding zeros into out at offset; returns ciphertext‖tag length. */
  aeadSeal(key: NativeAeadKey, counterLo: number, counterHi: number, plaintext: Uint8Array, padding: number, out: Uint8Array, offset: number): number;
  /** Opens ciphertext‖tag into out (may be the same memory); the plaintext length, or -1 if the tag fails. */
  aeadOpen(key: NativeAeadKey, counterLo: number, counterHi: number, sealed: Uint8Array, out: Uint8Array): number;
  start(handle: NativeHandle): void;
  stop(handle: NativeHandle): void;
  ref(handle: NativeHandle, on: boolean): void;
  close(handle: NativeHandle): void;
  stats(handle: NativeHandle): HandleStats;
  /**
   * Fixes glibc malloc's mmap threshold (M_MMAP_THRESHOLD), which turns its dynamic raising off: large
   * buffers (a tunnel's slabs) are then always mapped and given back on free. True where it was taken
   * (glibc), false where the allocator has no such knob (musl: OpenWrt). See addon/malloc-policy.c.
   */
  pinMmapThreshold(bytes: number): boolean;
  /**
   * Hands the free pages of every glibc arena back to the system (malloc_trim): what an ended worker thread
   * freed stays in its arena otherwise. True where it was asked (glibc), false where there is no such call
   * (musl returns freed memory by itself). See addon/malloc-policy.c.
   */
  trimMalloc(): boolean;
  /**
   * Takes the pages of node's binary and libraries that hold only the files' contents (their read-only
   * segments) out of this process's page tables: they stay in the page cache, and what is used comes back
   * on its next access. Returns the bytes of address space advised. See addon/program-pages.c.
   */
  releaseProgramPages(): number;
}

const ADDON_FILE = 'build/Release/nym_vpn_native.node';
let addon: NativeAddon | undefined;
let addonPath: string | undefined;

/** The addon, loaded on first use; NYM_VPN_NATIVE may name the .node file (e.g. where a package installs it). */
export function loadNative(): NativeAddon {
  if (addon !== undefined) return addon;
  // Compiled code runs from dist/src/tun, the sources sit in src/tun: the repo root is two or three up.
  const candidates = [
    process.env.NYM_VPN_NATIVE,
    fileURLToPath(new URL(`../../../${ADDON_FILE}`, import.meta.url)),
    fileURLToPath(new URL(`../../${ADDON_FILE}`, import.meta.url)),
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(`nym-vpn native addon is not built (looked for ${candidates.join(', ')}): run \`npm ci\` or \`make build\``);
  }
  addon = createRequire(import.meta.url)(found) as NativeAddon;
  addonPath = found;
  return addon;
}

/** The .node file loadNative() loaded (it loads it first), e.g. for a child process that needs the same one. */
export function nativeAddonPath(): string {
  loadNative();
  return addonPath!;
}

/** An Error for an errno the addon reported, with code (e.g. 'EBADFD') and errno set like Node's own. */
export function errnoError(errno: number, what: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = `E${errno}`;
  }
  const err: NodeJS.ErrnoException = new Error(`${what}: ${code}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = what;
  return err;
}
