// Whether this node runs on glibc (Debian, the lab) rather than musl (OpenWrt): the malloc tests measure what
// glibc keeps and musl gives back by itself.
export const isGlibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime !== undefined;
