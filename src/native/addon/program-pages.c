/* The read-only pages of node's binary and its libraries that a process once touched stay in its page
 * tables for good, and count in its RSS, although most of them ran once: V8's startup snapshot, node's
 * built-in JavaScript sources and their code cache, the module loader, a connect's setup code. In the lab
 * that was 43 MB of nym-vpnd's 64 MB under load, against ~20 MB of such pages its data path uses.
 *
 * madvise(MADV_DONTNEED) on a private file mapping takes the pages out of this process's page tables; they
 * stay in the page cache, and the next access maps them again (a minor fault, or a read from flash if the
 * kernel had dropped them meanwhile). So what is in use comes back within milliseconds, and what is not
 * stays out: RSS shows the working set, the kernel may reclaim the rest first, and the OOM killer, which
 * ranks by RSS, no longer sees node's startup as the daemon's.
 *
 * It is only safe on pages that hold the file's contents: a page of a private mapping that was written
 * (relocations, RELRO, text relocations) would fall back to the file and lose what was written. So only
 * the PT_LOAD segments without PF_W of the objects dl_iterate_phdr lists are touched, never an object with
 * text relocations, and only where /proc/self/maps (read after that list) shows the range still as a
 * read-only private mapping of a file: node's --use-largepages copies .text into anonymous memory, which
 * must never be advised. A library that another thread is loading meanwhile is either not listed yet (and
 * left alone) or mapped whole already: the loader writes only its PF_W segments. /proc/self/pagemap would
 * tell file pages from copies directly, but OpenWrt builds its kernels without it by default
 * (KERNEL_PROC_PAGE_MONITOR). */
#include "nv.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
  uintptr_t lo, hi;
} pp_range;

typedef struct {
  pp_range *at;
  size_t n, cap;
  int failed;
  uintptr_t page;
} pp_ranges;

static void pp_add(pp_ranges *rs, uintptr_t lo, uintptr_t hi) {
  if (lo >= hi || rs->failed) return;
  if (rs->n == rs->cap) {
    size_t cap = rs->cap ? rs->cap * 2 : 64;
    pp_range *at = realloc(rs->at, cap * sizeof *at);
    if (at == NULL) {
      rs->failed = 1;
      return;
    }
    rs->at = at;
    rs->cap = cap;
  }
  rs->at[rs->n++] = (pp_range){ lo, hi };
}

static int pp_has_text_relocations(const struct dl_phdr_info *info) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_DYNAMIC) continue;
    for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++) {
      if (d->d_tag == DT_TEXTREL) return 1;
      if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)) return 1;
    }
  }
  return 0;
}

/* dl_iterate_phdr callback: the read-only segments of one loaded object, whole pages inside them. */
static int pp_collect(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  pp_ranges *rs = data;
  if (info->dlpi_phdr == NULL || pp_has_text_relocations(info)) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_filesz == 0) continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_filesz;
    // Rounded inwards: a page shared with a neighbouring segment is not this segment's alone.
    lo = (lo + rs->page - 1) & ~(rs->page - 1);
    hi &= ~(rs->page - 1);
    pp_add(rs, lo, hi);
  }
  return 0;
}

static int pp_by_start(const void *a, const void *b) {
  const pp_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Reads a hexadecimal number at *p and moves past it; 0 when there are no digits or it overflows. Done by
 * hand: glibc turns sscanf and (from 2.38) strtoul into versioned symbols (__isoc99_sscanf,
 * __isoc23_strtoul) that musl, OpenWrt's libc, does not have. */
static int pp_hex(const char **p, uintptr_t *out) {
  uintptr_t v = 0;
  const char *s = *p;
  for (;; s++) {
    unsigned d;
    if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
    else if (*s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
    else break;
    if (v > (UINTPTR_MAX >> 4)) return 0;
    v = (v << 4) | d;
  }
  if (s == *p) return 0;
  *p = s;
  *out = v;
  return 1;
}

/* Skips one space-separated field and the spaces after it. */
static const char *pp_next_field(const char *s) {
  while (*s != '\0' && *s != ' ') s++;
  while (*s == ' ') s++;
  return s;
}

/* Parses "lo-hi perms offset dev inode path" (proc(5)); 0 for anything else. *path points at the path or
 * at the end of the line; *file is whether the inode is not 0. */
static int pp_parse_maps_line(const char *line, uintptr_t *lo, uintptr_t *hi, char perms[4], int *file, const char **path) {
  const char *s = line;
  if (!pp_hex(&s, lo) || *s++ != '-' || !pp_hex(&s, hi) || *s++ != ' ') return 0;
  for (int i = 0; i < 4; i++) {
    if (s[i] == '\0' || s[i] == ' ') return 0;
    perms[i] = s[i];
  }
  s = pp_next_field(s);  /* perms */
  s = pp_next_field(s);  /* offset */
  s = pp_next_field(s);  /* device */
  if (*s < '0' || *s > '9') return 0;
  *file = 0;
  for (; *s >= '0' && *s <= '9'; s++) if (*s != '0') *file = 1;
  while (*s == ' ') s++;
  *path = s;
  return 1;
}

/* Reads one line of /proc/self/maps; a line longer than the buffer (a very long path) is consumed whole
 * and reported as empty, so it is skipped. */
static int pp_read_line(FILE *f, char *buf, size_t size) {
  if (fgets(buf, (int)size, f) == NULL) return 0;
  if (strchr(buf, '\n') == NULL && !feof(f)) {
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n') {}
    buf[0] = '\0';
  }
  return 1;
}

/* releaseProgramPages() -> bytes of address space advised (what was resident in them is what RSS loses). */
static napi_value js_release_program_pages(napi_env env, napi_callback_info info) {
  (void)info;
  pp_ranges segs = { .page = (uintptr_t)sysconf(_SC_PAGESIZE) };
  dl_iterate_phdr(pp_collect, &segs);
  if (segs.failed) {
    free(segs.at);
    return nv_errno_error(env, "releaseProgramPages", ENOMEM);
  }
  qsort(segs.at, segs.n, sizeof *segs.at, pp_by_start);

  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) {
    int err = errno;
    free(segs.at);
    return nv_errno_error(env, "releaseProgramPages: /proc/self/maps", err);
  }
  double advised = 0;
  char line[512];
  while (pp_read_line(maps, line, sizeof line)) {
    uintptr_t lo, hi;
    char perms[4];
    int file;
    const char *path;
    if (!pp_parse_maps_line(line, &lo, &hi, perms, &file, &path)) continue;
    // A private mapping of a file, not writable now: anything else is not the loader's read-only image.
    if (!file || path[0] != '/' || perms[1] != '-' || perms[3] != 'p') continue;
    for (size_t i = 0; i < segs.n && segs.at[i].lo < hi; i++) {
      uintptr_t a = segs.at[i].lo > lo ? segs.at[i].lo : lo;
      uintptr_t b = segs.at[i].hi < hi ? segs.at[i].hi : hi;
      // A locked or special mapping refuses (EINVAL): its pages simply stay.
      if (a < b && madvise((void *)a, b - a, MADV_DONTNEED) == 0) advised += (double)(b - a);
    }
  }
  fclose(maps);
  free(segs.at);
  napi_value out;
  if (napi_create_double(env, advised, &out) != napi_ok) return NULL;
  return out;
}

napi_value nv_program_pages_init(napi_env env, napi_value exports) {
  return nv_export(env, exports, "releaseProgramPages", js_release_program_pages) ? exports : NULL;
}
