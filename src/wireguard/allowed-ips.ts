// Cryptokey routing table: longest-prefix match from an IP address to a peer, one binary trie
// per address family. Lookups read the address straight out of a packet, without copying.
import { formatCidr, maskAddress, parseCidr, type Cidr } from '../net/ip-address.js';

class TrieNode<T> {
  zero: TrieNode<T> | null = null;
  one: TrieNode<T> | null = null;
  value: T | null = null;
}

function bitAt(bytes: Uint8Array, offset: number, i: number): number {
  return (bytes[offset + (i >> 3)]! >> (7 - (i & 7))) & 1;
}

export class AllowedIps<T> {
  private readonly v4 = new TrieNode<T>();
  private readonly v6 = new TrieNode<T>();

  /** Adds `cidr` (text or parsed) for `value`, replacing whoever owned exactly that prefix. */
  insert(cidr: string | Cidr, value: T): void {
    const c = typeof cidr === 'string' ? parseCidr(cidr) : { address: maskAddress(cidr.address, cidr.bits), bits: cidr.bits };
    let node = c.address.length === 4 ? this.v4 : this.v6;
    for (let i = 0; i < c.bits; i++) {
      if (bitAt(c.address, 0, i) === 0) node = node.zero ??= new TrieNode<T>();
      else node = node.one ??= new TrieNode<T>();
    }
    node.value = value;
  }

  /** Longest-prefix match for the address at bytes[offset .. offset+4 or +16). */
  lookup(bytes: Uint8Array, offset: number, family: 4 | 6): T | null {
    let node: TrieNode<T> | null = family === 4 ? this.v4 : this.v6;
    const bits = family === 4 ? 32 : 128;
    if (offset + bits / 8 > bytes.length) return null;
    let best: T | null = node.value;
    for (let i = 0; i < bits; i++) {
      node = bitAt(bytes, offset, i) === 0 ? node.zero : node.one;
      if (node === null) break;
      if (node.value !== null) best = node.value;
    }
    return best;
  }

  /** Peer for an IP packet's destination (sending) — null for non-IP or short packets. */
  lookupDestination(packet: Uint8Array): T | null {
    const v = packet.length > 0 ? packet[0]! >> 4 : 0;
    if (v === 4 && packet.length >= 20) return this.lookup(packet, 16, 4);
    if (v === 6 && packet.length >= 40) return this.lookup(packet, 24, 6);
    return null;
  }

  /** Peer for an IP packet's source (receiving: the source check). */
  lookupSource(packet: Uint8Array): T | null {
    const v = packet.length > 0 ? packet[0]! >> 4 : 0;
    if (v === 4 && packet.length >= 20) return this.lookup(packet, 12, 4);
    if (v === 6 && packet.length >= 40) return this.lookup(packet, 8, 6);
    return null;
  }

  /** Removes every prefix owned by `value`. */
  removeValue(value: T): void {
    const prune = (n: TrieNode<T>): boolean => {
      if (n.value === value) n.value = null;
      if (n.zero !== null && prune(n.zero)) n.zero = null;
      if (n.one !== null && prune(n.one)) n.one = null;
      return n.value === null && n.zero === null && n.one === null;
    };
    prune(this.v4);
    prune(this.v6);
  }

  /** Every prefix owned by `value`, as text (for status output). */
  entriesFor(value: T): string[] {
    const out: string[] = [];
    const walk = (n: TrieNode<T>, prefix: Uint8Array, depth: number): void => {
      if (n.value === value) out.push(formatCidr({ address: prefix.slice(), bits: depth }));
      if (n.zero !== null) walk(n.zero, prefix, depth + 1);
      if (n.one !== null) {
        prefix[depth >> 3]! |= 0x80 >> (depth & 7);
        walk(n.one, prefix, depth + 1);
        prefix[depth >> 3]! &= ~(0x80 >> (depth & 7));
      }
    };
    walk(this.v4, new Uint8Array(4), 0);
    walk(this.v6, new Uint8Array(16), 0);
    return out;
  }
}
