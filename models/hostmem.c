/* Host physical memory model. See hostmem.h and docs/hostmem.md. */
#include "hostmem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prng.h"

#define PAGE HOSTMEM_PAGE_SIZE
#define PSHIFT HOSTMEM_PAGE_SHIFT
#define PFN_16M (HOSTMEM_16M >> PSHIFT)
/* prng stream of the page placement, separate from every other user of the seed */
#define PLACE_STREAM 0x686d656d706c6163ull /* "hmemplac" */
#define MAX_MAPPINGS (1u << 20)
#define VIOLATION_TEXT_LEN 200

typedef struct map_rec {
  uint64_t pa, len;
  int device_writes;
} map_rec_t;

typedef struct buf_priv {
  hostmem_buf_t pub;          /* first: a hostmem_buf_t * is a buf_priv * */
  uint8_t *base;              /* page-aligned start of the VA reservation */
  size_t map_len;
  struct buf_priv *next;
} buf_priv_t;

struct hostmem {
  uint64_t size, npages;
  int fd;
  uint8_t *phys;              /* the physical view: all of memory, MAP_SHARED */
  uint64_t *used;             /* page bitmap, 1 = allocated (page 0 always) */
  uint64_t nfree;
  uint64_t bad_frees;
  prng_t rng;                 /* placement */
  buf_priv_t *bufs;           /* live buffers */
  /* DMA tracking */
  int check;
  uint32_t *rd_refs, *wr_refs;  /* per page: mappings for device reads / device writes */
  size_t refs_bytes;
  map_rec_t *maps;
  size_t nmaps, cap_maps;
  size_t nviol;
  char viol[HOSTMEM_MAX_VIOLATION_TEXTS][VIOLATION_TEXT_LEN];
};

/* ---------------------------------------------------------------------------------------- */
/* helpers */

static int range_ok(const hostmem_t *m, uint64_t pa, uint64_t len) {
  /* [pa, pa+len) inside memory, written so that pa+len cannot overflow */
  return pa <= m->size && len <= m->size - pa;
}

static int is_used(const hostmem_t *m, uint64_t pfn) {
  return (int)((m->used[pfn >> 6] >> (pfn & 63)) & 1u);
}

static void set_used(hostmem_t *m, uint64_t pfn) {
  m->used[pfn >> 6] |= 1ull << (pfn & 63);
  m->nfree--;
}

static void clear_used(hostmem_t *m, uint64_t pfn) {
  m->used[pfn >> 6] &= ~(1ull << (pfn & 63));
  m->nfree++;
}

/* first free page in [from, to) that is none of the (up to two) pages to avoid; -1 if none */
static int64_t scan_free(const hostmem_t *m, uint64_t from, uint64_t to, uint64_t avoid_a,
                         uint64_t avoid_b) {
  uint64_t p = from;
  while (p < to) {
    if ((p & 63) == 0 && p + 64 <= to && m->used[p >> 6] == ~0ull) {
      p += 64;
      continue;
    }
    if (!is_used(m, p) && p != avoid_a && p != avoid_b) return (int64_t)p;
    p++;
  }
  return -1;
}

/* first used page in [from, to), or `to` */
static uint64_t first_used(const hostmem_t *m, uint64_t from, uint64_t to) {
  uint64_t p = from;
  while (p < to) {
    if ((p & 63) == 0 && p + 64 <= to && m->used[p >> 6] == 0) {
      p += 64;
      continue;
    }
    if (is_used(m, p)) return p;
    p++;
  }
  return to;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* first free run of n pages in [from, to) starting at a multiple of `a` pages; -1 if none */
static int64_t find_run(const hostmem_t *m, uint64_t from, uint64_t to, uint64_t n, uint64_t a) {
  if (n == 0 || to < n) return -1;
  uint64_t s = align_up(from, a);
  while (s <= to - n) {
    uint64_t u = first_used(m, s, s + n);
    if (u == s + n) return (int64_t)s;
    s = align_up(u + 1, a);
  }
  return -1;
}

/* one random free page in [lo, hi), preferably not adjacent to `prev` (UINT64_MAX: none) */
static int64_t take_random(hostmem_t *m, uint64_t lo, uint64_t hi, uint64_t prev) {
  if (hi <= lo) return -1;
  uint64_t na = prev == UINT64_MAX ? UINT64_MAX : prev + 1;
  uint64_t nb = (prev == UINT64_MAX || prev == 0) ? UINT64_MAX : prev - 1;
  for (int tries = 0; tries < 16; tries++) {
    uint64_t p = lo + prng_below(&m->rng, hi - lo);
    if (!is_used(m, p) && p != na && p != nb) {
      set_used(m, p);
      return (int64_t)p;
    }
  }
  /* crowded: scan from a random point, first avoiding the neighbours, then not */
  uint64_t start = lo + prng_below(&m->rng, hi - lo);
  int64_t p = scan_free(m, start, hi, na, nb);
  if (p < 0) p = scan_free(m, lo, start, na, nb);
  if (p < 0) p = scan_free(m, lo, hi, UINT64_MAX, UINT64_MAX);
  if (p >= 0) set_used(m, (uint64_t)p);
  return p;
}

/* a run of n pages at a seeded position in [lo, hi) */
static int64_t take_run_random(hostmem_t *m, uint64_t lo, uint64_t hi, uint64_t n) {
  if (hi <= lo || n > hi - lo) return -1;
  uint64_t start = lo + prng_below(&m->rng, hi - lo - n + 1);
  int64_t s = find_run(m, start, hi, n, 1);
  if (s < 0) s = find_run(m, lo, hi, n, 1);
  if (s < 0) return -1;
  for (uint64_t i = 0; i < n; i++) set_used(m, (uint64_t)s + i);
  return s;
}

static void release_page(hostmem_t *m, uint64_t pfn) {
  clear_used(m, pfn);
  /* give the backing page back: a freed page reads as zero and costs no memory */
  (void)fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(pfn << PSHIFT),
                  PAGE);
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* ---------------------------------------------------------------------------------------- */
/* create / destroy */

hostmem_t *hostmem_create(uint64_t size, uint64_t seed) {
  if (size == 0 || size % PAGE != 0 || size > HOSTMEM_MAX_SIZE) {
    fprintf(stderr, "hostmem: bad size 0x%" PRIx64 " (multiple of 4 KiB, at most 4 GiB)\n", size);
    return NULL;
  }
  hostmem_t *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->size = size;
  m->npages = size >> PSHIFT;
  m->fd = -1;
  m->phys = MAP_FAILED;
  m->rd_refs = MAP_FAILED;
  m->wr_refs = MAP_FAILED;
  m->used = calloc((size_t)((m->npages + 63) / 64), sizeof(uint64_t));
  if (!m->used) goto fail;
  m->nfree = m->npages;
  set_used(m, 0); /* PA 0 is never a buffer address */
  prng_seed(&m->rng, seed, PLACE_STREAM);

  m->fd = memfd_create("hbasim-hostmem", MFD_CLOEXEC);
  if (m->fd < 0) goto fail;
  if (ftruncate(m->fd, (off_t)size) != 0) goto fail;
  m->phys = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
  if (m->phys == MAP_FAILED) goto fail;
  /* per-page reference counts, anonymous and sparse: 4 GiB of memory costs nothing until a
   * page is mapped for DMA */
  m->refs_bytes = (size_t)m->npages * sizeof(uint32_t);
  m->rd_refs = mmap(NULL, m->refs_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m->rd_refs == MAP_FAILED) goto fail;
  m->wr_refs = mmap(NULL, m->refs_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m->wr_refs == MAP_FAILED) goto fail;
  return m;
fail:
  fprintf(stderr, "hostmem: cannot create %" PRIu64 " bytes of memory: %s\n", size,
          strerror(errno));
  hostmem_destroy(m);
  return NULL;
}

void hostmem_destroy(hostmem_t *m) {
  if (!m) return;
  while (m->bufs) hostmem_buf_free(m, &m->bufs->pub);
  if (m->wr_refs != MAP_FAILED) munmap(m->wr_refs, m->refs_bytes);
  if (m->rd_refs != MAP_FAILED) munmap(m->rd_refs, m->refs_bytes);
  if (m->phys != MAP_FAILED) munmap(m->phys, (size_t)m->size);
  if (m->fd >= 0) close(m->fd);
  free(m->maps);
  free(m->used);
  free(m);
}

uint64_t hostmem_size(const hostmem_t *m) { return m ? m->size : 0; }
uint64_t hostmem_free_page_count(const hostmem_t *m) { return m ? m->nfree : 0; }
uint64_t hostmem_bad_frees(const hostmem_t *m) { return m ? m->bad_frees : 0; }

uint64_t hostmem_resident_bytes(const hostmem_t *m) {
  struct stat st;
  if (!m || fstat(m->fd, &st) != 0) return 0;
  return (uint64_t)st.st_blocks * 512u;
}

/* ---------------------------------------------------------------------------------------- */
/* physical access */

int hostmem_read(hostmem_t *m, uint64_t pa, void *buf, size_t len) {
  if (!m || !range_ok(m, pa, len)) return -1;
  if (len == 0) return 0;
  if (!buf) return -1;
  memcpy(buf, m->phys + pa, len);
  return 0;
}

int hostmem_write(hostmem_t *m, uint64_t pa, const void *buf, size_t len) {
  if (!m || !range_ok(m, pa, len)) return -1;
  if (len == 0) return 0;
  if (!buf) return -1;
  memcpy(m->phys + pa, buf, len);
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* page allocation */

static void undo_pages(hostmem_t *m, size_t n, const uint64_t *pfns) {
  for (size_t i = 0; i < n; i++) release_page(m, pfns[i]);
}

/* n scattered pages in [lo, hi) into pfns; on failure none stays allocated */
static int take_scattered(hostmem_t *m, size_t n, uint64_t lo, uint64_t hi, uint64_t *pfns,
                          uint64_t prev) {
  for (size_t i = 0; i < n; i++) {
    int64_t p = take_random(m, lo, hi, i ? pfns[i - 1] : prev);
    if (p < 0) {
      undo_pages(m, i, pfns);
      return -1;
    }
    pfns[i] = (uint64_t)p;
  }
  return 0;
}

static int take_mixed(hostmem_t *m, size_t n, uint64_t *pfns) {
  int above = m->npages > PFN_16M;
  size_t i = 0;
  while (i < n) {
    size_t left = n - i;
    uint64_t kind = prng_below(&m->rng, above ? 3 : 2);
    uint64_t prev = i ? pfns[i - 1] : UINT64_MAX;
    int rc = -1;
    size_t k = 0;
    if (kind == 0) { /* a contiguous run of up to 16 pages */
      k = 1 + (size_t)prng_below(&m->rng, min_u64(left, 16));
      int64_t s = take_run_random(m, 1, m->npages, k);
      if (s >= 0) {
        for (size_t j = 0; j < k; j++) pfns[i + j] = (uint64_t)s + j;
        rc = 0;
      }
    } else if (kind == 2) { /* pages out of an ISA channel's reach */
      k = 1 + (size_t)prng_below(&m->rng, min_u64(left, 4));
      rc = take_scattered(m, k, PFN_16M, m->npages, pfns + i, prev);
    }
    if (rc != 0) { /* scattered anywhere, also the fallback of the other kinds */
      k = 1 + (size_t)prng_below(&m->rng, min_u64(left, 4));
      rc = take_scattered(m, k, 1, m->npages, pfns + i, prev);
    }
    if (rc != 0) {
      undo_pages(m, i, pfns);
      return -1;
    }
    i += k;
  }
  return 0;
}

int hostmem_alloc_pages(hostmem_t *m, size_t n, hostmem_place_t place, uint64_t *pfns) {
  if (!m || !pfns || n == 0 || n > m->nfree) return -1;
  switch (place) {
    case HOSTMEM_PLACE_SCATTERED:
      return take_scattered(m, n, 1, m->npages, pfns, UINT64_MAX);
    case HOSTMEM_PLACE_CONTIGUOUS: {
      int64_t s = take_run_random(m, 1, m->npages, n);
      if (s < 0) return -1;
      for (size_t i = 0; i < n; i++) pfns[i] = (uint64_t)s + i;
      return 0;
    }
    case HOSTMEM_PLACE_BELOW_16M:
      return take_scattered(m, n, 1, min_u64(m->npages, PFN_16M), pfns, UINT64_MAX);
    case HOSTMEM_PLACE_ABOVE_16M:
      if (m->npages <= PFN_16M) return -1;
      return take_scattered(m, n, PFN_16M, m->npages, pfns, UINT64_MAX);
    case HOSTMEM_PLACE_MIXED:
      return take_mixed(m, n, pfns);
    default:
      return -1;
  }
}

int hostmem_alloc_contig(hostmem_t *m, size_t n, uint64_t max_pa, uint64_t align, uint64_t *pfn0) {
  if (!m || !pfn0 || n == 0 || n > m->nfree) return -1;
  if (align != 0 && (align & (align - 1)) != 0) return -1;
  uint64_t a = align <= PAGE ? 1 : align >> PSHIFT;
  uint64_t hi = min_u64(max_pa >> PSHIFT, m->npages); /* pages wholly below max_pa */
  int64_t s = find_run(m, 1, hi, n, a);
  if (s < 0) return -1;
  for (size_t i = 0; i < n; i++) set_used(m, (uint64_t)s + i);
  *pfn0 = (uint64_t)s;
  return 0;
}

void hostmem_free_pages(hostmem_t *m, size_t n, const uint64_t *pfns) {
  if (!m) return;
  if (!pfns) {
    if (n) m->bad_frees++;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t p = pfns[i];
    if (p == 0 || p >= m->npages || !is_used(m, p)) {
      m->bad_frees++;
      continue;
    }
    release_page(m, p);
  }
}

const char *hostmem_place_name(hostmem_place_t place) {
  switch (place) {
    case HOSTMEM_PLACE_SCATTERED: return "scattered";
    case HOSTMEM_PLACE_CONTIGUOUS: return "contiguous";
    case HOSTMEM_PLACE_BELOW_16M: return "below16m";
    case HOSTMEM_PLACE_ABOVE_16M: return "above16m";
    case HOSTMEM_PLACE_MIXED: return "mixed";
    default: return "?";
  }
}

/* ---------------------------------------------------------------------------------------- */
/* buffers */

static buf_priv_t *find_buf(const hostmem_t *m, const hostmem_buf_t *b) {
  for (buf_priv_t *p = m->bufs; p; p = p->next)
    if (&p->pub == b) return p;
  return NULL;
}

/* maps a buffer over p->pub.pfn (npages of them, already allocated): 0, or -1 (nothing
 * mapped, the frames untouched) */
static int buf_map(hostmem_t *m, buf_priv_t *p, size_t length, size_t offset, size_t npages) {
  p->map_len = npages * PAGE;
  /* reserve one contiguous VA range, then put each physical run in place over it */
  void *base = mmap(NULL, p->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
  if (base == MAP_FAILED) return -1;
  p->base = base;
  for (size_t i = 0; i < npages;) {
    size_t run = 1;
    while (i + run < npages && p->pub.pfn[i + run] == p->pub.pfn[i] + run) run++;
    void *va = mmap(p->base + i * PAGE, run * PAGE, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_FIXED, m->fd, (off_t)(p->pub.pfn[i] << PSHIFT));
    if (va == MAP_FAILED) {
      munmap(p->base, p->map_len);
      return -1;
    }
    i += run;
  }
  p->pub.va = p->base + offset;
  p->pub.length = length;
  p->pub.offset = offset;
  p->pub.npages = npages;
  p->pub.accessible = 1;
  p->next = m->bufs;
  m->bufs = p;
  return 0;
}

static buf_priv_t *buf_new(size_t npages) {
  buf_priv_t *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->pub.pfn = calloc(npages, sizeof(uint64_t));
  if (!p->pub.pfn) {
    free(p);
    return NULL;
  }
  return p;
}

hostmem_buf_t *hostmem_buf_alloc(hostmem_t *m, size_t length, size_t offset, hostmem_place_t place) {
  if (!m || length == 0 || offset >= PAGE) return NULL;
  if (length > SIZE_MAX - offset - (PAGE - 1)) return NULL;
  size_t npages = (offset + length + PAGE - 1) / PAGE;
  if (npages > m->nfree) return NULL;
  buf_priv_t *p = buf_new(npages);
  if (!p) return NULL;
  if (hostmem_alloc_pages(m, npages, place, p->pub.pfn) != 0) {
    free(p->pub.pfn);
    free(p);
    return NULL;
  }
  if (buf_map(m, p, length, offset, npages) == 0) return &p->pub;
  undo_pages(m, npages, p->pub.pfn);
  free(p->pub.pfn);
  free(p);
  return NULL;
}

hostmem_buf_t *hostmem_buf_adopt(hostmem_t *m, size_t length, size_t offset,
                                 const uint64_t *pfns) {
  if (!m || !pfns || length == 0 || offset >= PAGE) return NULL;
  if (length > SIZE_MAX - offset - (PAGE - 1)) return NULL;
  size_t npages = (offset + length + PAGE - 1) / PAGE;
  for (size_t i = 0; i < npages; i++) /* every frame must be allocated and in range */
    if (pfns[i] == 0 || pfns[i] >= m->npages || !is_used(m, pfns[i])) return NULL;
  buf_priv_t *p = buf_new(npages);
  if (!p) return NULL;
  memcpy(p->pub.pfn, pfns, npages * sizeof *pfns);
  if (buf_map(m, p, length, offset, npages) == 0) return &p->pub;
  free(p->pub.pfn);
  free(p);
  return NULL;
}

void hostmem_buf_free(hostmem_t *m, hostmem_buf_t *b) {
  if (!m || !b) return;
  buf_priv_t **pp = &m->bufs;
  while (*pp && &(*pp)->pub != b) pp = &(*pp)->next;
  buf_priv_t *p = *pp;
  if (!p) {
    m->bad_frees++;
    return;
  }
  *pp = p->next;
  munmap(p->base, p->map_len);
  undo_pages(m, p->pub.npages, p->pub.pfn);
  free(p->pub.pfn);
  free(p);
}

int hostmem_buf_protect(hostmem_t *m, hostmem_buf_t *b, int accessible) {
  if (!m || !b) return -1;
  buf_priv_t *p = find_buf(m, b);
  if (!p) return -1;
  int prot = accessible ? PROT_READ | PROT_WRITE : PROT_NONE;
  if (mprotect(p->base, p->map_len, prot) != 0) return -1;
  p->pub.accessible = accessible ? 1 : 0;
  return 0;
}

uint64_t hostmem_buf_pa(const hostmem_buf_t *b, size_t byte) {
  if (!b || !b->pfn || byte >= b->length) return 0;
  size_t off = b->offset + byte;
  size_t i = off >> PSHIFT;
  if (i >= b->npages) return 0;
  return (b->pfn[i] << PSHIFT) + (off & (PAGE - 1));
}

int hostmem_buf_is_contiguous(const hostmem_buf_t *b) {
  if (!b || !b->pfn) return 0;
  for (size_t i = 1; i < b->npages; i++)
    if (b->pfn[i] != b->pfn[i - 1] + 1) return 0;
  return 1;
}

/* byte range of a buffer through the physical view, page by page */
static int buf_xfer(hostmem_t *m, const hostmem_buf_t *b, size_t byte, void *mem, size_t len,
                    int to_buf) {
  if (!m || !b || !find_buf(m, b)) return -1;
  if (byte > b->length || len > b->length - byte) return -1;
  if (len && !mem) return -1;
  uint8_t *q = mem;
  while (len) {
    uint64_t pa = hostmem_buf_pa(b, byte);
    size_t chunk = PAGE - (size_t)(pa & (PAGE - 1));
    if (chunk > len) chunk = len;
    if (to_buf)
      memcpy(m->phys + pa, q, chunk);
    else
      memcpy(q, m->phys + pa, chunk);
    q += chunk;
    byte += chunk;
    len -= chunk;
  }
  return 0;
}

int hostmem_buf_read(hostmem_t *m, const hostmem_buf_t *b, size_t byte, void *out, size_t len) {
  return buf_xfer(m, b, byte, out, len, 0);
}

int hostmem_buf_write(hostmem_t *m, const hostmem_buf_t *b, size_t byte, const void *in,
                      size_t len) {
  return buf_xfer(m, b, byte, (void *)(uintptr_t)in, len, 1);
}

/* ---------------------------------------------------------------------------------------- */
/* DMA access tracking */

void hostmem_dma_check_enable(hostmem_t *m, int on) {
  if (m) m->check = on ? 1 : 0;
}

int hostmem_dma_check_enabled(const hostmem_t *m) { return m ? m->check : 0; }

size_t hostmem_dma_mapping_count(const hostmem_t *m) { return m ? m->nmaps : 0; }

static int grow_maps(hostmem_t *m, size_t need) {
  if (need <= m->cap_maps) return 0;
  if (need > MAX_MAPPINGS) return -1;
  size_t cap = m->cap_maps ? m->cap_maps * 2 : 16;
  while (cap < need) cap *= 2;
  map_rec_t *n = realloc(m->maps, cap * sizeof *n);
  if (!n) return -1;
  m->maps = n;
  m->cap_maps = cap;
  return 0;
}

int hostmem_dma_map(hostmem_t *m, uint64_t pa, uint64_t len, int device_writes) {
  if (!m || len == 0 || !range_ok(m, pa, len)) return -1;
  uint32_t *refs = device_writes ? m->wr_refs : m->rd_refs;
  uint64_t first = pa >> PSHIFT, last = (pa + len - 1) >> PSHIFT;
  for (uint64_t p = first; p <= last; p++)
    if (refs[p] == UINT32_MAX) return -1;
  if (grow_maps(m, m->nmaps + 1) != 0) return -1;
  for (uint64_t p = first; p <= last; p++) refs[p]++;
  m->maps[m->nmaps++] = (map_rec_t){pa, len, device_writes ? 1 : 0};
  return 0;
}

int hostmem_dma_unmap(hostmem_t *m, uint64_t pa, uint64_t len) {
  if (!m || len == 0 || !range_ok(m, pa, len)) return -1;
  uint64_t end = pa + len;
  size_t i = m->nmaps;
  while (i > 0) {
    map_rec_t *r = &m->maps[i - 1];
    if (r->pa <= pa && end <= r->pa + r->len) break;
    i--;
  }
  if (i == 0) return -1;
  i--;
  map_rec_t r = m->maps[i];
  uint64_t r_end = r.pa + r.len;
  int has_left = pa > r.pa, has_right = end < r_end;
  if (has_left && has_right && grow_maps(m, m->nmaps + 1) != 0) return -1;
  /* Each mapping holds one reference on every page it touches. Pages the removed part shares
   * with what stays of the mapping keep their reference. */
  uint32_t *refs = r.device_writes ? m->wr_refs : m->rd_refs;
  uint64_t first = pa >> PSHIFT, last = (end - 1) >> PSHIFT;
  uint64_t left_last = has_left ? (pa - 1) >> PSHIFT : UINT64_MAX;
  uint64_t right_first = has_right ? end >> PSHIFT : UINT64_MAX;
  /* split in the middle of one page: both remainders now hold a reference on it */
  int shared = has_left && has_right && left_last == right_first;
  if (shared && refs[left_last] == UINT32_MAX) return -1;
  for (uint64_t p = first; p <= last; p++)
    if (p != left_last && p != right_first) refs[p]--;
  if (shared) refs[left_last]++;
  if (has_left && has_right) {
    memmove(&m->maps[i + 2], &m->maps[i + 1], (m->nmaps - i - 1) * sizeof *m->maps);
    m->maps[i] = (map_rec_t){r.pa, pa - r.pa, r.device_writes};
    m->maps[i + 1] = (map_rec_t){end, r_end - end, r.device_writes};
    m->nmaps++;
  } else if (has_left) {
    m->maps[i].len = pa - r.pa;
  } else if (has_right) {
    m->maps[i].pa = end;
    m->maps[i].len = r_end - end;
  } else {
    memmove(&m->maps[i], &m->maps[i + 1], (m->nmaps - i - 1) * sizeof *m->maps);
    m->nmaps--;
  }
  return 0;
}

/* first page of [pa, pa+len) not mapped for the access, or UINT64_MAX */
static uint64_t unmapped_page(const hostmem_t *m, uint64_t pa, uint64_t len, int is_write) {
  uint64_t first = pa >> PSHIFT, last = (pa + len - 1) >> PSHIFT;
  for (uint64_t p = first; p <= last; p++) {
    if (is_write ? m->wr_refs[p] == 0 : m->wr_refs[p] == 0 && m->rd_refs[p] == 0) return p;
  }
  return UINT64_MAX;
}

int hostmem_dma_is_mapped(const hostmem_t *m, uint64_t pa, uint64_t len, int is_write) {
  if (!m || len == 0 || !range_ok(m, pa, len)) return -1;
  return unmapped_page(m, pa, len, is_write) == UINT64_MAX;
}

static void record(hostmem_t *m, const char *fmt, ...) {
  if (m->nviol < HOSTMEM_MAX_VIOLATION_TEXTS) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->viol[m->nviol], VIOLATION_TEXT_LEN, fmt, ap);
    va_end(ap);
  }
  if (m->nviol < SIZE_MAX) m->nviol++;
}

int hostmem_dma_access(hostmem_t *m, uint64_t pa, size_t len, int is_write) {
  if (!m) return -1;
  const char *what = is_write ? "write" : "read";
  if (pa >= m->size || !range_ok(m, pa, len)) {
    record(m, "stray DMA %s of %zu bytes at PA 0x%" PRIx64 ": outside physical memory "
           "(0x%" PRIx64 " bytes)", what, len, pa, m->size);
    return -1;
  }
  if (!m->check || len == 0) return 0;
  uint64_t p = unmapped_page(m, pa, len, is_write);
  if (p == UINT64_MAX) return 0;
  if (is_write && m->rd_refs[p] != 0)
    record(m, "stray DMA write of %zu bytes at PA 0x%" PRIx64 ": page 0x%" PRIx64
           " is mapped only for device reads", len, pa, p);
  else
    record(m, "stray DMA %s of %zu bytes at PA 0x%" PRIx64 ": page not mapped for device access",
           what, len, pa);
  return -1;
}

size_t hostmem_dma_violations(const hostmem_t *m) { return m ? m->nviol : 0; }

const char *hostmem_dma_violation_text(const hostmem_t *m, size_t i) {
  if (!m || i >= m->nviol || i >= HOSTMEM_MAX_VIOLATION_TEXTS) return NULL;
  return m->viol[i];
}

void hostmem_dma_clear_violations(hostmem_t *m) {
  if (m) m->nviol = 0;
}
