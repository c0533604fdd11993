// Message fragments (nymtech/nym b4046a89 common/nymsphinx/chunking/src/{fragment,set,reconstruction,lib}.rs):
// each Sphinx packet carries one fragment = header || payload.
//   header (7 bytes, unlinked): set id (i32 BE, top bit set as a marker) || total fragments (u8) ||
//     current fragment (u8, from 1) || 0
//   header (10 bytes, linked): the same with, instead of the 0, the linked set's id (top bit set): the
//     previous set's id on fragment 1, the next set's on fragment 255 of a full set.
// A message (a padded NymMessage) of up to 255 fragments is one set; longer messages are sets linked in a
// chain. Every fragment but a set's last is full (room − header); upstream pads messages so the last is too.
// The lab sends single-set messages and reassembles single sets; a linked fragment (only messages over 255
// fragments, about 400 kB) is refused by name. Pure: no I/O.
import { randomInt } from 'node:crypto';
import { concatBytes } from '@noble/hashes/utils.js';

export const UNLINKED_FRAGMENT_HEADER_LEN = 7;
export const LINKED_FRAGMENT_HEADER_LEN = 10;
const MAX_FRAGMENTS = 255;

export class ChunkingError extends Error {
  override readonly name = 'ChunkingError';
}

export interface Fragment {
  setId: number;
  totalFragments: number;
  currentFragment: number;
  previousSetId?: number;
  nextSetId?: number;
  payload: Uint8Array;
}

const FLAG = 0x8000_0000;

function readFlaggedId(b: Uint8Array, at: number): number {
  const v = new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0);
  if ((v & FLAG) === 0) throw new ChunkingError('a fragment header id without its marker bit');
  return v & 0x7fff_ffff;
}

export function parseFragment(b: Uint8Array): Fragment {
  if (b.length < UNLINKED_FRAGMENT_HEADER_LEN) throw new ChunkingError(`a fragment has at least ${UNLINKED_FRAGMENT_HEADER_LEN} bytes, got ${b.length}`);
  const setId = readFlaggedId(b, 0);
  const totalFragments = b[4];
  const currentFragment = b[5];
  if (setId === 0) throw new ChunkingError('fragment set id 0');
  if (totalFragments === 0 || currentFragment === 0 || currentFragment > totalFragments) throw new ChunkingError(`fragment ${currentFragment} of ${totalFragments} is not a position`);
  if (b[6] === 0) return { setId, totalFragments, currentFragment, payload: b.slice(UNLINKED_FRAGMENT_HEADER_LEN) };
  if (b.length < LINKED_FRAGMENT_HEADER_LEN) throw new ChunkingError('a linked fragment too short for its header');
  const linked = readFlaggedId(b, 6);
  if (linked === 0 || linked === setId) throw new ChunkingError('a fragment linked to itself or to set 0');
  const payload = b.slice(LINKED_FRAGMENT_HEADER_LEN);
  if (currentFragment === 1) return { setId, totalFragments, currentFragment, previousSetId: linked, payload };
  if (currentFragment === MAX_FRAGMENTS && totalFragments === MAX_FRAGMENTS) return { setId, totalFragments, currentFragment, nextSetId: linked, payload };
  throw new ChunkingError('a linked id on a fragment that cannot carry one');
}

export function encodeFragment(f: Fragment): Uint8Array {
  const linked = f.previousSetId ?? f.nextSetId;
  const header = new Uint8Array(linked === undefined ? UNLINKED_FRAGMENT_HEADER_LEN : LINKED_FRAGMENT_HEADER_LEN);
  const view = new DataView(header.buffer);
  view.setUint32(0, (f.setId | FLAG) >>> 0);
  header[4] = f.totalFragments;
  header[5] = f.currentFragment;
  if (linked !== undefined) view.setUint32(6, (linked | FLAG) >>> 0);
  return concatBytes(header, f.payload);
}

/** Upstream's set ids: a random positive i32. */
export function randomSetId(): number {
  return randomInt(1, 0x7fff_ffff);
}

/**
 * Splits a padded message into one set of fragments, each serialized into at most `room` bytes
 * (set.rs prepare_unlinked_fragmented_set). Messages needing more than 255 fragments are refused.
 */
export function splitIntoFragments(message: Uint8Array, room: number, setId: number = randomSetId()): Fragment[] {
  const perFragment = room - UNLINKED_FRAGMENT_HEADER_LEN;
  if (perFragment <= 0) throw new ChunkingError(`no room for a fragment in ${room} bytes`);
  const count = Math.max(1, Math.ceil(message.length / perFragment));
  if (count > MAX_FRAGMENTS) throw new ChunkingError(`a message of ${message.length} bytes needs ${count} fragments; the lab sends at most ${MAX_FRAGMENTS} (one set)`);
  const fragments: Fragment[] = [];
  for (let i = 0; i < count; i++) {
    fragments.push({ setId, totalFragments: count, currentFragment: i + 1, payload: message.slice(i * perFragment, (i + 1) * perFragment) });
  }
  return fragments;
}

/**
 * Collects fragments until a set is complete, then returns its payloads joined in order
 * (reconstruction.rs MessageReconstructor, for unlinked sets). A duplicate (a retransmission) of a fragment still
 * awaited replaces the copy held; one of a set already delivered is dropped.
 */
export class FragmentReassembler {
  private readonly sets = new Map<number, (Uint8Array | undefined)[]>();
  /** Sets already delivered: a retransmitted fragment of one is dropped (upstream's received buffer does the same). */
  private readonly completed = new Set<number>();
  private static readonly REMEMBERED_SETS = 1024;
  /** Fragments dropped because their set was already delivered. */
  duplicates = 0;

  /** Returns the set's joined payload once its last missing fragment arrives. */
  insert(f: Fragment): Uint8Array | undefined {
    if (f.previousSetId !== undefined || f.nextSetId !== undefined) {
      throw new ChunkingError('linked fragment sets (messages over 255 fragments) are not reassembled by the lab');
    }
    if (this.completed.has(f.setId)) {
      this.duplicates++;
      return undefined;
    }
    let set = this.sets.get(f.setId);
    if (!set) {
      set = new Array<Uint8Array | undefined>(f.totalFragments).fill(undefined);
      this.sets.set(f.setId, set);
    }
    if (set.length !== f.totalFragments) throw new ChunkingError(`fragment of set ${f.setId} says ${f.totalFragments} fragments, the set has ${set.length}`);
    set[f.currentFragment - 1] = f.payload;
    if (set.some((p) => p === undefined)) return undefined;
    this.sets.delete(f.setId);
    this.completed.add(f.setId);
    if (this.completed.size > FragmentReassembler.REMEMBERED_SETS) this.completed.delete(this.completed.values().next().value!);
    return concatBytes(...(set as Uint8Array[]));
  }

  /** Sets still incomplete (for tests and the journal). */
  get pendingSets(): number {
    return this.sets.size;
  }
}
