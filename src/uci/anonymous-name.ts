// Names libuci gives to unnamed sections: "cfg" + section counter (%02x) + 16 bits of a
// Bernstein (djb2) hash (%04x). The hash covers only the type: uci names the section the moment
// it is created, before any option is added. The counter is the package's section count after
// this section was added, named sections included (uci_alloc_section + uci_fixup_section).

const textEncoder = new TextEncoder();

/** djb2 over the bytes of `text`, as libuci computes it: 32-bit wrap, bytes as signed char. */
function djbHash(text: string): number {
  let hash = 5381;
  for (const byte of textEncoder.encode(text)) {
    const signed = byte >= 0x80 ? byte - 0x100 : byte;
    hash = (Math.imul(hash, 33) + signed) >>> 0;
  }
  return hash & 0x7fffffff;
}

export function anonymousSectionName(sectionCounter: number, type: string): string {
  const counter = (sectionCounter >>> 0).toString(16).padStart(2, '0');
  const hash = (djbHash(type) & 0xffff).toString(16).padStart(4, '0');
  return `cfg${counter}${hash}`;
}
