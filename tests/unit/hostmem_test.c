/* Unit tests of the host memory model (models/hostmem.c): PA and VA views agree, page
 * placement keeps its promises and follows the seed, sparse memory is cheap, PROT_NONE buffers
 * fault, the DMA checker catches stray accesses, bad arguments are rejected. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostmem.h"
#include "prng.h"
#include "test.h"

#define MIB (1ull << 20)
#define PG HOSTMEM_PAGE_SIZE
#define PFN_16M (HOSTMEM_16M / PG)

/* prng stream for test data, distinct from the memory's own placement stream */
#define DATA_STREAM 0x7465737464617461ull

static void fill(test_ctx_t *t, unsigned salt, void *buf, size_t len) {
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + salt);
  prng_fill(&p, buf, len);
}

static int all_distinct_nonzero(const uint64_t *pfn, size_t n, uint64_t npages) {
  for (size_t i = 0; i < n; i++) {
    if (pfn[i] == 0 || pfn[i] >= npages) return 0;
    for (size_t j = 0; j < i; j++)
      if (pfn[i] == pfn[j]) return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------------------------------- */

static void pa_va_agree(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  const size_t len = 5 * PG + 3500, off = 0x2a7; /* 7 pages */
  hostmem_buf_t *b = hostmem_buf_alloc(m, len, off, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buf_alloc");
  CHECK_EQ(t, b->npages, (size_t)7);
  CHECK_EQ(t, b->offset, off);
  CHECK_EQ(t, b->length, len);
  CHECK_EQ(t, b->accessible, 1);
  CHECK_EQ(t, (uintptr_t)b->va & (PG - 1), off);

  uint8_t *data = malloc(len), *back = malloc(len);
  REQUIRE(t, data && back, "malloc");
  /* CPU writes through the VA; the device reads the PAs byte by byte */
  fill(t, 1, data, len);
  memcpy(b->va, data, len);
  size_t bad = 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t v = 0;
    REQUIRE_EQ(t, hostmem_read(m, hostmem_buf_pa(b, i), &v, 1), 0);
    if (v != data[i]) bad++;
  }
  CHECK_EQ(t, bad, (size_t)0);
  CHECK_EQ(t, hostmem_buf_read(m, b, 0, back, len), 0);
  CHECK(t, memcmp(back, data, len) == 0, "hostmem_buf_read differs from what the VA holds");

  /* the device writes each page's part through the physical view; the CPU reads the VA */
  fill(t, 2, data, len);
  for (size_t i = 0; i < len;) {
    uint64_t pa = hostmem_buf_pa(b, i);
    size_t chunk = PG - (size_t)(pa & (PG - 1));
    if (chunk > len - i) chunk = len - i;
    REQUIRE_EQ(t, hostmem_write(m, pa, data + i, chunk), 0);
    i += chunk;
  }
  CHECK(t, memcmp(b->va, data, len) == 0, "VA does not show what was written by PA");
  /* every page holds distinct data: the VA pages really are the listed frames, in order */
  for (size_t i = 0; i < b->npages; i++) {
    uint8_t pg[16];
    REQUIRE_EQ(t, hostmem_read(m, b->pfn[i] * PG + PG - 16, pg, 16), 0);
    CHECK(t, memcmp(pg, (uint8_t *)b->va - off + i * PG + PG - 16, 16) == 0, "page %zu", i);
  }
  fill(t, 3, data, len);
  CHECK_EQ(t, hostmem_buf_write(m, b, 0, data, len), 0);
  CHECK(t, memcmp(b->va, data, len) == 0, "hostmem_buf_write not visible through the VA");
  CHECK_EQ(t, hostmem_buf_pa(b, len), 0);  /* past the end */
  free(data);
  free(back);
  hostmem_buf_free(m, b);
  CHECK_EQ(t, hostmem_free_page_count(m), 64 * MIB / PG - 1);
  hostmem_destroy(m);
}

static void placement_scattered(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  enum { N = 200 };
  uint64_t pfn[N], lo = UINT64_MAX, hi = 0;
  REQUIRE_EQ(t, hostmem_alloc_pages(m, N, HOSTMEM_PLACE_SCATTERED, pfn), 0);
  CHECK(t, all_distinct_nonzero(pfn, N, 64 * MIB / PG), "pages repeat, are 0 or out of range");
  size_t adjacent = 0, above = 0;
  for (size_t i = 0; i < N; i++) {
    if (i && (pfn[i] == pfn[i - 1] + 1 || pfn[i] + 1 == pfn[i - 1])) adjacent++;
    if (pfn[i] >= PFN_16M) above++;
    if (pfn[i] < lo) lo = pfn[i];
    if (pfn[i] > hi) hi = pfn[i];
  }
  CHECK_EQ(t, adjacent, (size_t)0);
  /* spread over the memory: 200 uniform picks out of 16384 pages span far more than half */
  CHECK(t, hi - lo > 64 * MIB / PG / 2, "span %llu pages", (unsigned long long)(hi - lo));
  CHECK(t, above > N / 2, "%zu of %d pages above 16 MiB (anywhere means mostly above)", above, N);
  hostmem_buf_t *b = hostmem_buf_alloc(m, 8 * PG, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buf");
  CHECK_EQ(t, hostmem_buf_is_contiguous(b), 0);
  hostmem_destroy(m);

  /* crowded: half of a 1 MiB memory, where random picks alone would often be neighbours */
  size_t crowded_adjacent = 0;
  for (unsigned r = 0; r < 10; r++) {
    m = hostmem_create(MIB, test_seed(t) + r);
    REQUIRE(t, m != NULL, "create 1 MiB");
    REQUIRE_EQ(t, hostmem_alloc_pages(m, 128, HOSTMEM_PLACE_SCATTERED, pfn), 0);
    CHECK(t, all_distinct_nonzero(pfn, 128, MIB / PG), "frames");
    for (size_t i = 1; i < 128; i++)
      if (pfn[i] == pfn[i - 1] + 1 || pfn[i] + 1 == pfn[i - 1]) crowded_adjacent++;
    hostmem_destroy(m);
  }
  CHECK_EQ(t, crowded_adjacent, (size_t)0);
}

static void placement_contiguous(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  /* fragment memory first so a run has to be searched for */
  uint64_t junk[500];
  REQUIRE_EQ(t, hostmem_alloc_pages(m, 500, HOSTMEM_PLACE_SCATTERED, junk), 0);
  for (int r = 0; r < 4; r++) {
    hostmem_buf_t *b = hostmem_buf_alloc(m, 100 * PG - 17, 17, HOSTMEM_PLACE_CONTIGUOUS);
    REQUIRE(t, b != NULL, "buf %d", r);
    CHECK_EQ(t, b->npages, (size_t)100);
    CHECK_EQ(t, hostmem_buf_is_contiguous(b), 1);
    CHECK(t, all_distinct_nonzero(b->pfn, b->npages, 64 * MIB / PG), "frames");
    for (size_t i = 0; i < 500; i++)
      CHECK(t, junk[i] < b->pfn[0] || junk[i] > b->pfn[99], "run overlaps page %llu",
            (unsigned long long)junk[i]);
  }
  /* a run that cannot exist fails cleanly and allocates nothing */
  uint64_t before = hostmem_free_page_count(m), pfn0;
  uint64_t *big = malloc(sizeof(uint64_t) * 16000);
  REQUIRE(t, big != NULL, "malloc");
  CHECK_EQ(t, hostmem_alloc_pages(m, 16000, HOSTMEM_PLACE_CONTIGUOUS, big), -1);
  CHECK_EQ(t, hostmem_free_page_count(m), before);
  free(big);
  CHECK_EQ(t, hostmem_alloc_contig(m, 16000, 64 * MIB, 0, &pfn0), -1);
  CHECK_EQ(t, hostmem_free_page_count(m), before);
  hostmem_destroy(m);
}

static void placement_16m(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  enum { N = 300 };
  uint64_t pfn[N];
  REQUIRE_EQ(t, hostmem_alloc_pages(m, N, HOSTMEM_PLACE_BELOW_16M, pfn), 0);
  CHECK(t, all_distinct_nonzero(pfn, N, PFN_16M), "BELOW_16M page at or above 16 MiB or 0");
  REQUIRE_EQ(t, hostmem_alloc_pages(m, N, HOSTMEM_PLACE_ABOVE_16M, pfn), 0);
  for (size_t i = 0; i < N; i++)
    CHECK(t, pfn[i] >= PFN_16M && pfn[i] < 64 * MIB / PG, "ABOVE_16M page 0x%llx",
          (unsigned long long)pfn[i]);
  hostmem_buf_t *b = hostmem_buf_alloc(m, 3 * PG, 100, HOSTMEM_PLACE_ABOVE_16M);
  REQUIRE(t, b != NULL, "buf above");
  CHECK(t, hostmem_buf_pa(b, 0) >= HOSTMEM_16M, "buffer above 16 MiB starts below");
  hostmem_destroy(m);

  /* 16 MiB of memory: nothing is above, the request fails and changes nothing */
  m = hostmem_create(16 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create 16M");
  uint64_t before = hostmem_free_page_count(m);
  CHECK_EQ(t, hostmem_alloc_pages(m, 1, HOSTMEM_PLACE_ABOVE_16M, pfn), -1);
  CHECK(t, hostmem_buf_alloc(m, 10, 0, HOSTMEM_PLACE_ABOVE_16M) == NULL, "buf above in 16M");
  CHECK_EQ(t, hostmem_free_page_count(m), before);
  REQUIRE_EQ(t, hostmem_alloc_pages(m, 50, HOSTMEM_PLACE_MIXED, pfn), 0);
  CHECK(t, all_distinct_nonzero(pfn, 50, PFN_16M), "MIXED in 16 MiB");
  hostmem_destroy(m);
}

static void placement_mixed(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  enum { N = 400 };
  uint64_t pfn[N];
  REQUIRE_EQ(t, hostmem_alloc_pages(m, N, HOSTMEM_PLACE_MIXED, pfn), 0);
  CHECK(t, all_distinct_nonzero(pfn, N, 64 * MIB / PG), "frames");
  size_t adjacent = 0, jumps = 0, above = 0, below = 0;
  for (size_t i = 0; i < N; i++) {
    if (i && pfn[i] == pfn[i - 1] + 1) adjacent++;
    if (i && pfn[i] != pfn[i - 1] + 1) jumps++;
    if (pfn[i] >= PFN_16M) above++; else below++;
  }
  CHECK(t, adjacent > 0, "no contiguous run in a mixed placement");
  CHECK(t, jumps > 0, "no discontinuity in a mixed placement");
  CHECK(t, above > 0, "no page above 16 MiB in a mixed placement");
  CHECK(t, below > 0, "no page below 16 MiB in a mixed placement");
  test_log(t, "mixed: %zu adjacent steps, %zu jumps, %zu above 16 MiB", adjacent, jumps, above);
  hostmem_destroy(m);
}

/* a sequence of every kind of placement, recorded */
static void placement_trace(hostmem_t *m, uint64_t *out, size_t *n) {
  static const hostmem_place_t kinds[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_CONTIGUOUS,
                                          HOSTMEM_PLACE_BELOW_16M, HOSTMEM_PLACE_ABOVE_16M,
                                          HOSTMEM_PLACE_MIXED};
  *n = 0;
  for (size_t k = 0; k < 5; k++) {
    hostmem_buf_t *b = hostmem_buf_alloc(m, 20 * PG, 0, kinds[k]);
    if (!b) continue;
    for (size_t i = 0; i < b->npages; i++) out[(*n)++] = b->pfn[i];
    if (k == 2) hostmem_buf_free(m, b); /* frees feed back into later choices */
  }
  uint64_t pfn0;
  if (hostmem_alloc_contig(m, 4, 16 * MIB, 64 * 1024, &pfn0) == 0) out[(*n)++] = pfn0;
}

static void seed_reproduces_placement(test_ctx_t *t) {
  uint64_t a[128], b[128], c[128];
  size_t na, nb, nc;
  hostmem_t *m1 = hostmem_create(64 * MIB, test_seed(t));
  hostmem_t *m2 = hostmem_create(64 * MIB, test_seed(t));
  hostmem_t *m3 = hostmem_create(64 * MIB, test_seed(t) ^ 0x5a5a5a5a12345ull);
  REQUIRE(t, m1 && m2 && m3, "create");
  placement_trace(m1, a, &na);
  placement_trace(m2, b, &nb);
  placement_trace(m3, c, &nc);
  CHECK_EQ(t, na, (size_t)101);
  CHECK_EQ(t, na, nb);
  CHECK(t, memcmp(a, b, na * sizeof a[0]) == 0, "same seed, different placement");
  CHECK(t, na != nc || memcmp(a, c, na * sizeof a[0]) != 0, "different seeds, same placement");
  hostmem_destroy(m1);
  hostmem_destroy(m2);
  hostmem_destroy(m3);
}

static long rss_pages(void) {
  long size = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &size, &rss) != 2) rss = -1;
  fclose(f);
  return rss;
}

static void sparse_4g_is_cheap(test_ctx_t *t) {
  long rss0 = rss_pages();
  hostmem_t *m = hostmem_create(HOSTMEM_MAX_SIZE, test_seed(t));
  REQUIRE(t, m != NULL, "create 4 GiB");
  CHECK_EQ(t, hostmem_size(m), HOSTMEM_MAX_SIZE);
  uint8_t v = 0xA5, r = 0;
  CHECK_EQ(t, hostmem_write(m, HOSTMEM_MAX_SIZE - 1, &v, 1), 0);
  CHECK_EQ(t, hostmem_read(m, HOSTMEM_MAX_SIZE - 1, &r, 1), 0);
  CHECK_EQ(t, r, 0xA5);
  CHECK_EQ(t, hostmem_read(m, HOSTMEM_MAX_SIZE, &r, 1), -1);
  CHECK_EQ(t, hostmem_read(m, HOSTMEM_MAX_SIZE - 1, &r, 2), -1);
  /* a 1 MiB buffer above 4 GiB - 16 MiB ... anywhere: touch it all */
  hostmem_buf_t *b = hostmem_buf_alloc(m, MIB, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buf");
  memset(b->va, 0x3c, MIB);
  CHECK_EQ(t, hostmem_dma_map(m, hostmem_buf_pa(b, 0), 1, 1), 0);
  uint64_t res = hostmem_resident_bytes(m);
  test_log(t, "4 GiB memory: %llu bytes backed, RSS grew by %ld KiB",
           (unsigned long long)res, (rss_pages() - rss0) * (sysconf(_SC_PAGESIZE) / 1024));
  CHECK(t, res >= MIB && res <= MIB + 64 * PG, "backing store %llu bytes", (unsigned long long)res);
  CHECK(t, rss_pages() - rss0 < (long)(32 * MIB / (uint64_t)sysconf(_SC_PAGESIZE)),
        "RSS grew by %ld pages", rss_pages() - rss0);
  hostmem_buf_free(m, b);
  CHECK(t, hostmem_resident_bytes(m) <= 64 * PG, "freed pages still backed: %llu",
        (unsigned long long)hostmem_resident_bytes(m));
  hostmem_destroy(m);
}

/* /proc/self/maps permissions of the mapping holding addr, or "" */
static void maps_perms(const void *addr, char perms[8]) {
  perms[0] = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char p[8];
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, p) == 3 && (uintptr_t)addr >= lo &&
        (uintptr_t)addr < hi) {
      memcpy(perms, p, 8);
      break;
    }
  }
  fclose(f);
}

/* touch addr in a child; returns the signal that killed it, or 0 when it exited cleanly */
static int child_touch(const volatile uint8_t *addr) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL); /* the sanitizers' handler would turn the fault into an exit */
    signal(SIGBUS, SIG_DFL);
    volatile uint8_t v = *addr;
    (void)v;
    _exit(0);
  }
  if (pid < 0) return -1;
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return -1;
  if (WIFSIGNALED(st)) return WTERMSIG(st);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void prot_none_faults(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(32 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  hostmem_buf_t *b = hostmem_buf_alloc(m, 3 * PG, 0x80, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buf");
  uint8_t data[64], back[64];
  fill(t, 7, data, sizeof data);
  memcpy((uint8_t *)b->va + PG, data, sizeof data);
  CHECK_EQ(t, child_touch((uint8_t *)b->va + PG), 0);

  REQUIRE_EQ(t, hostmem_buf_protect(m, b, 0), 0);
  CHECK_EQ(t, b->accessible, 0);
  char perms[8];
  for (size_t i = 0; i < 3; i++) {
    maps_perms((uint8_t *)b->va - b->offset + i * PG, perms);
    CHECK(t, strncmp(perms, "---", 3) == 0, "page %zu of a protected buffer is '%s'", i, perms);
  }
  CHECK_EQ(t, child_touch((uint8_t *)b->va), SIGSEGV);
  CHECK_EQ(t, child_touch((uint8_t *)b->va + PG), SIGSEGV);
  CHECK_EQ(t, child_touch((uint8_t *)b->va + b->length - 1), SIGSEGV);
  /* the device side still sees the data */
  CHECK_EQ(t, hostmem_buf_read(m, b, PG - b->offset + 0x80, back, sizeof back), 0);
  CHECK(t, memcmp(back, data, sizeof data) == 0, "physical view lost data under PROT_NONE");

  REQUIRE_EQ(t, hostmem_buf_protect(m, b, 1), 0);
  CHECK_EQ(t, b->accessible, 1);
  maps_perms(b->va, perms);
  CHECK(t, strncmp(perms, "rw-s", 4) == 0, "restored buffer is '%s'", perms);
  CHECK_EQ(t, child_touch((uint8_t *)b->va + PG), 0);
  CHECK(t, memcmp((uint8_t *)b->va + PG, data, sizeof data) == 0, "data after unprotect");
  hostmem_destroy(m);
}

static void dma_checker_catches_stray_write(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(32 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  /* off by default: in-range accesses pass */
  CHECK_EQ(t, hostmem_dma_check_enabled(m), 0);
  CHECK_EQ(t, hostmem_dma_access(m, 0x123456, 2, 1), 0);
  CHECK_EQ(t, hostmem_dma_violations(m), (size_t)0);
  /* out of range is always a violation */
  CHECK_EQ(t, hostmem_dma_access(m, 32 * MIB - 1, 2, 0), -1);
  CHECK_EQ(t, hostmem_dma_access(m, UINT64_MAX - 1, 4, 1), -1);
  CHECK_EQ(t, hostmem_dma_violations(m), (size_t)2);
  hostmem_dma_clear_violations(m);

  hostmem_dma_check_enable(m, 1);
  CHECK_EQ(t, hostmem_dma_access(m, 0x123456, 2, 1), -1);
  REQUIRE_EQ(t, hostmem_dma_violations(m), (size_t)1);
  const char *txt = hostmem_dma_violation_text(m, 0);
  REQUIRE(t, txt != NULL, "text");
  CHECK(t, strcmp(txt, "stray DMA write of 2 bytes at PA 0x123456: page not mapped for device "
                       "access") == 0, "text: %s", txt);

  hostmem_buf_t *b = hostmem_buf_alloc(m, 2 * PG + 100, 0x10, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buf");
  for (size_t i = 0; i < b->npages; i++)
    REQUIRE_EQ(t, hostmem_dma_map(m, b->pfn[i] * PG, PG, 1), 0);
  for (size_t i = 0; i < b->length; i += 4)
    CHECK_EQ(t, hostmem_dma_access(m, hostmem_buf_pa(b, i), 4, 1), 0);
  CHECK_EQ(t, hostmem_dma_violations(m), (size_t)1);
  /* a beat that spills into the neighbouring frame is stray unless that frame is mapped */
  uint64_t last = b->pfn[b->npages - 1];
  int next_mapped = 0;
  for (size_t i = 0; i < b->npages; i++) next_mapped |= b->pfn[i] == last + 1;
  if (!next_mapped) CHECK_EQ(t, hostmem_dma_access(m, last * PG + PG - 2, 4, 1), -1);
  for (size_t i = 0; i < b->npages; i++)
    CHECK_EQ(t, hostmem_dma_unmap(m, b->pfn[i] * PG, PG), 0);
  CHECK_EQ(t, hostmem_dma_mapping_count(m), (size_t)0);
  size_t before = hostmem_dma_violations(m);
  CHECK_EQ(t, hostmem_dma_access(m, hostmem_buf_pa(b, 0), 1, 0), -1);
  CHECK_EQ(t, hostmem_dma_violations(m), before + 1);
  /* checking off again: allowed, nothing recorded */
  hostmem_dma_check_enable(m, 0);
  CHECK_EQ(t, hostmem_dma_access(m, hostmem_buf_pa(b, 0), 1, 1), 0);
  CHECK_EQ(t, hostmem_dma_violations(m), before + 1);
  hostmem_dma_clear_violations(m);
  CHECK_EQ(t, hostmem_dma_violations(m), (size_t)0);
  CHECK(t, hostmem_dma_violation_text(m, 0) == NULL, "text after clear");
  hostmem_destroy(m);
}

static void dma_direction_rules(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(32 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  hostmem_dma_check_enable(m, 1);
  const uint64_t pa = 0x200000;
  REQUIRE_EQ(t, hostmem_dma_map(m, pa, 3 * PG, 0), 0); /* memory -> device only */
  CHECK_EQ(t, hostmem_dma_access(m, pa + 100, 4, 0), 0);
  CHECK_EQ(t, hostmem_dma_is_mapped(m, pa, 3 * PG, 0), 1);
  CHECK_EQ(t, hostmem_dma_is_mapped(m, pa, 3 * PG, 1), 0);
  CHECK_EQ(t, hostmem_dma_access(m, pa + PG + 8, 2, 1), -1);
  REQUIRE_EQ(t, hostmem_dma_violations(m), (size_t)1);
  CHECK(t, strstr(hostmem_dma_violation_text(m, 0), "mapped only for device reads") != NULL,
        "text: %s", hostmem_dma_violation_text(m, 0));
  /* a write mapping of the same pages allows writes (and reads) until it goes */
  REQUIRE_EQ(t, hostmem_dma_map(m, pa + PG, PG, 1), 0);
  CHECK_EQ(t, hostmem_dma_access(m, pa + PG + 8, 2, 1), 0);
  CHECK_EQ(t, hostmem_dma_access(m, pa + 2 * PG, 2, 1), -1);
  REQUIRE_EQ(t, hostmem_dma_unmap(m, pa + PG, PG), 0); /* most recent: the write mapping */
  CHECK_EQ(t, hostmem_dma_access(m, pa + PG + 8, 2, 1), -1);
  CHECK_EQ(t, hostmem_dma_access(m, pa + PG + 8, 2, 0), 0);
  REQUIRE_EQ(t, hostmem_dma_unmap(m, pa, 3 * PG), 0);
  CHECK_EQ(t, hostmem_dma_access(m, pa + 100, 4, 0), -1);
  /* a device-write mapping permits device reads too */
  REQUIRE_EQ(t, hostmem_dma_map(m, pa, 10, 1), 0);
  CHECK_EQ(t, hostmem_dma_access(m, pa, 4, 0), 0);
  CHECK_EQ(t, hostmem_dma_unmap(m, pa, 10), 0);
  CHECK_EQ(t, hostmem_dma_violations(m), (size_t)4);
  hostmem_destroy(m);
}

static void dma_unmap_rules(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(16 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  hostmem_dma_check_enable(m, 1);
  /* unmapping what is not mapped is an error and changes nothing */
  CHECK_EQ(t, hostmem_dma_unmap(m, 0x10000, PG), -1);
  REQUIRE_EQ(t, hostmem_dma_map(m, 0x10000, 4 * PG, 1), 0);
  CHECK_EQ(t, hostmem_dma_unmap(m, 0x10000 - 1, 2), -1);         /* sticks out in front */
  CHECK_EQ(t, hostmem_dma_unmap(m, 0x10000 + 4 * PG - 1, 2), -1); /* sticks out behind */
  CHECK_EQ(t, hostmem_dma_is_mapped(m, 0x10000, 4 * PG, 1), 1);
  /* a hole in the middle of a page: the page stays mapped through both remainders */
  REQUIRE_EQ(t, hostmem_dma_unmap(m, 0x10000 + PG + 0x100, 0x10), 0);
  CHECK_EQ(t, hostmem_dma_mapping_count(m), (size_t)2);
  CHECK_EQ(t, hostmem_dma_is_mapped(m, 0x10000, 4 * PG, 1), 1);
  REQUIRE_EQ(t, hostmem_dma_unmap(m, 0x10000, PG + 0x100), 0);  /* the left remainder */
  CHECK_EQ(t, hostmem_dma_is_mapped(m, 0x10000, PG, 1), 0);
  CHECK_EQ(t, hostmem_dma_is_mapped(m, 0x10000 + PG, 3 * PG, 1), 1);
  /* the hole itself was unmapped already */
  CHECK_EQ(t, hostmem_dma_unmap(m, 0x10000 + PG + 0x100, 0x10), -1);
  REQUIRE_EQ(t, hostmem_dma_unmap(m, 0x10000 + PG + 0x110, 3 * PG - 0x110), 0);
  CHECK_EQ(t, hostmem_dma_is_mapped(m, 0x10000 + PG, 1, 0), 0);
  CHECK_EQ(t, hostmem_dma_mapping_count(m), (size_t)0);
  /* nested mappings of one page count */
  REQUIRE_EQ(t, hostmem_dma_map(m, 0x40000, 8, 1), 0);
  REQUIRE_EQ(t, hostmem_dma_map(m, 0x40800, 8, 1), 0);
  REQUIRE_EQ(t, hostmem_dma_unmap(m, 0x40000, 8), 0);
  CHECK_EQ(t, hostmem_dma_access(m, 0x40000, 1, 1), 0); /* page granular, still mapped */
  REQUIRE_EQ(t, hostmem_dma_unmap(m, 0x40800, 8), 0);
  CHECK_EQ(t, hostmem_dma_access(m, 0x40000, 1, 1), -1);
  CHECK_EQ(t, hostmem_dma_unmap(m, 0x40800, 8), -1);
  /* the violation list is bounded, the count is not */
  hostmem_dma_clear_violations(m);
  for (unsigned i = 0; i < 3 * HOSTMEM_MAX_VIOLATION_TEXTS; i++)
    CHECK_EQ(t, hostmem_dma_access(m, 0x80000 + i, 1, 1), -1);
  CHECK_EQ(t, hostmem_dma_violations(m), (size_t)(3 * HOSTMEM_MAX_VIOLATION_TEXTS));
  CHECK(t, hostmem_dma_violation_text(m, HOSTMEM_MAX_VIOLATION_TEXTS - 1) != NULL, "last kept");
  CHECK(t, hostmem_dma_violation_text(m, HOSTMEM_MAX_VIOLATION_TEXTS) == NULL, "past the list");
  hostmem_destroy(m);
}

static void alloc_contig_limits(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  uint64_t junk[300], pfn0;
  REQUIRE_EQ(t, hostmem_alloc_pages(m, 300, HOSTMEM_PLACE_BELOW_16M, junk), 0);
  for (int r = 0; r < 20; r++) {
    size_t n = 1 + (size_t)(r % 16);
    REQUIRE_EQ(t, hostmem_alloc_contig(m, n, HOSTMEM_16M, 64 * 1024, &pfn0), 0);
    CHECK(t, pfn0 != 0, "page 0 handed out");
    CHECK(t, (pfn0 + n) * PG <= HOSTMEM_16M, "run ends above max_pa");
    CHECK_EQ(t, (pfn0 * PG) % (64 * 1024), 0);
    /* aligned and at most 64 KiB: never crosses a 64 KiB boundary */
    CHECK_EQ(t, (pfn0 * PG) >> 16, ((pfn0 + n) * PG - 1) >> 16);
    for (size_t i = 0; i < 300; i++)
      CHECK(t, junk[i] < pfn0 || junk[i] >= pfn0 + n, "overlaps an allocated page");
  }
  CHECK_EQ(t, hostmem_alloc_contig(m, 1, PG, 0, &pfn0), -1);  /* only page 0 is below 4 KiB */
  /* page 1 is the only candidate below 8 KiB: free unless the seeded junk took it (the
   * 64 KiB-aligned runs above never start at page 1) */
  int page1_taken = 0;
  for (size_t i = 0; i < 300; i++) page1_taken |= junk[i] == 1;
  if (page1_taken) {
    CHECK_EQ(t, hostmem_alloc_contig(m, 1, 2 * PG, 0, &pfn0), -1);
  } else {
    CHECK_EQ(t, hostmem_alloc_contig(m, 1, 2 * PG, 0, &pfn0), 0);
    CHECK_EQ(t, pfn0, 1);
  }
  CHECK_EQ(t, hostmem_alloc_contig(m, 1, 64 * MIB, 3 * PG, &pfn0), -1);  /* not a power of 2 */
  CHECK_EQ(t, hostmem_alloc_contig(m, 2, UINT64_MAX, 0, &pfn0), 0);      /* any address */
  hostmem_destroy(m);
}

/* hostmem_buf_adopt: a buffer over frames chosen by the caller (here a contiguous run that
 * straddles a 128 KiB boundary); its VA reaches exactly those frames, freeing it frees them;
 * frames not allocated are refused */
static void buf_adopt(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(64 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  uint64_t pfn0 = 0, pf[8];
  REQUIRE_EQ(t, hostmem_alloc_contig(m, 8, HOSTMEM_16M, 128 * 1024, &pfn0), 0);
  for (unsigned i = 0; i < 8; i++) pf[i] = pfn0 + i;
  uint64_t before = hostmem_free_page_count(m);
  hostmem_buf_t *b = hostmem_buf_adopt(m, 5 * PG - 100, 100, pf + 2);
  REQUIRE(t, b != NULL, "adopt");
  CHECK_EQ(t, b->npages, 5);
  CHECK_EQ(t, hostmem_buf_pa(b, 0), (pfn0 + 2) * PG + 100);
  CHECK_EQ(t, hostmem_buf_is_contiguous(b), 1);
  uint8_t v[64];
  fill(t, 9, v, sizeof v);
  memcpy((uint8_t *)b->va + 3 * PG, v, sizeof v); /* through the VA ... */
  uint8_t back[64];
  REQUIRE_EQ(t, hostmem_read(m, (pfn0 + 2) * PG + 100 + 3 * PG, back, sizeof back), 0);
  CHECK(t, memcmp(back, v, sizeof v) == 0, "... lands in the adopted frame");
  CHECK_EQ(t, hostmem_free_page_count(m), before); /* adopting allocates nothing */
  hostmem_buf_free(m, b);
  CHECK_EQ(t, hostmem_free_page_count(m), before + 5);
  /* those frames are free now: adopting them again is refused */
  CHECK(t, hostmem_buf_adopt(m, PG, 0, pf + 2) == NULL, "unallocated frame refused");
  CHECK(t, hostmem_buf_adopt(m, PG, 0, pf) != NULL, "still-allocated frame adopted");
  uint64_t zero = 0;
  CHECK(t, hostmem_buf_adopt(m, PG, 0, &zero) == NULL, "page 0 refused");
  CHECK(t, hostmem_buf_adopt(m, PG, PG, pf + 1) == NULL, "offset >= 4096 refused");
  hostmem_destroy(m);
}

static void free_and_exhaust(test_ctx_t *t) {
  hostmem_t *m = hostmem_create(MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  const size_t n = MIB / PG - 1; /* page 0 is reserved */
  CHECK_EQ(t, hostmem_free_page_count(m), n);
  uint64_t pfn[256], extra;
  REQUIRE_EQ(t, hostmem_alloc_pages(m, n, HOSTMEM_PLACE_SCATTERED, pfn), 0);
  CHECK(t, all_distinct_nonzero(pfn, n, MIB / PG), "every page once, never page 0");
  CHECK_EQ(t, hostmem_free_page_count(m), 0);
  CHECK_EQ(t, hostmem_alloc_pages(m, 1, HOSTMEM_PLACE_SCATTERED, &extra), -1);
  CHECK(t, hostmem_buf_alloc(m, 1, 0, HOSTMEM_PLACE_MIXED) == NULL, "buf from full memory");
  uint8_t v = 0x77;
  REQUIRE_EQ(t, hostmem_write(m, pfn[10] * PG + 5, &v, 1), 0);
  hostmem_free_pages(m, 20, pfn);
  CHECK_EQ(t, hostmem_free_page_count(m), 20);
  v = 0;
  REQUIRE_EQ(t, hostmem_read(m, pfn[10] * PG + 5, &v, 1), 0);
  CHECK_EQ(t, v, 0); /* a freed page gives its backing store back and reads as zero */
  CHECK_EQ(t, hostmem_bad_frees(m), 0);
  hostmem_free_pages(m, 1, pfn); /* twice */
  uint64_t bogus[3] = {0, MIB / PG, UINT64_MAX};
  hostmem_free_pages(m, 3, bogus);
  hostmem_free_pages(m, 1, NULL);
  CHECK_EQ(t, hostmem_bad_frees(m), 5);
  CHECK_EQ(t, hostmem_free_page_count(m), 20);
  /* 20 free pages scattered over 1 MiB: a 20-page buffer still fits, a 21-page one does not */
  CHECK(t, hostmem_buf_alloc(m, 20 * PG + 1, 0, HOSTMEM_PLACE_SCATTERED) == NULL, "21 pages");
  CHECK_EQ(t, hostmem_free_page_count(m), 20);
  hostmem_buf_t *b = hostmem_buf_alloc(m, 20 * PG, 0, HOSTMEM_PLACE_SCATTERED);
  CHECK(t, b != NULL, "20 pages");
  CHECK_EQ(t, hostmem_free_page_count(m), 0);
  hostmem_destroy(m);
}

static void bad_arguments_rejected(test_ctx_t *t) {
  CHECK(t, hostmem_create(0, 1) == NULL, "size 0");
  CHECK(t, hostmem_create(PG + 1, 1) == NULL, "not a multiple of 4 KiB");
  CHECK(t, hostmem_create(HOSTMEM_MAX_SIZE + PG, 1) == NULL, "above 4 GiB");
  CHECK(t, hostmem_create(UINT64_MAX & ~(uint64_t)(PG - 1), 1) == NULL, "2^64 - 4096");
  hostmem_t *m = hostmem_create(2 * MIB, test_seed(t));
  REQUIRE(t, m != NULL, "create");
  uint8_t buf[16] = {0};
  uint64_t pfn[4];
  CHECK_EQ(t, hostmem_read(m, UINT64_MAX - 3, buf, 8), -1);
  CHECK_EQ(t, hostmem_write(m, UINT64_MAX - 3, buf, 8), -1);
  CHECK_EQ(t, hostmem_read(m, 8, buf, SIZE_MAX), -1);
  CHECK_EQ(t, hostmem_write(m, 2 * MIB, buf, 1), -1);
  CHECK_EQ(t, hostmem_read(m, 8, NULL, 4), -1);
  CHECK_EQ(t, hostmem_write(m, 8, NULL, 4), -1);
  CHECK_EQ(t, hostmem_read(m, 8, buf, 0), 0);
  CHECK_EQ(t, hostmem_read(NULL, 8, buf, 1), -1);
  CHECK_EQ(t, hostmem_alloc_pages(m, 0, HOSTMEM_PLACE_SCATTERED, pfn), -1);
  CHECK_EQ(t, hostmem_alloc_pages(m, 1, HOSTMEM_PLACE_SCATTERED, NULL), -1);
  CHECK_EQ(t, hostmem_alloc_pages(m, 1, (hostmem_place_t)99, pfn), -1);
  CHECK_EQ(t, hostmem_alloc_pages(m, SIZE_MAX, HOSTMEM_PLACE_SCATTERED, pfn), -1);
  CHECK_EQ(t, hostmem_alloc_pages(NULL, 1, HOSTMEM_PLACE_SCATTERED, pfn), -1);
  CHECK_EQ(t, hostmem_alloc_contig(m, 0, UINT64_MAX, 0, pfn), -1);
  CHECK_EQ(t, hostmem_alloc_contig(m, 1, UINT64_MAX, 0, NULL), -1);
  CHECK_EQ(t, hostmem_alloc_contig(m, SIZE_MAX, UINT64_MAX, 0, pfn), -1);
  CHECK_EQ(t, hostmem_alloc_contig(m, 1, UINT64_MAX, 1ull << 63, pfn), -1);
  CHECK(t, hostmem_buf_alloc(m, 0, 0, HOSTMEM_PLACE_SCATTERED) == NULL, "length 0");
  CHECK(t, hostmem_buf_alloc(m, 1, PG, HOSTMEM_PLACE_SCATTERED) == NULL, "offset 4096");
  CHECK(t, hostmem_buf_alloc(m, SIZE_MAX, 0, HOSTMEM_PLACE_SCATTERED) == NULL, "SIZE_MAX");
  CHECK(t, hostmem_buf_alloc(m, SIZE_MAX - PG, 100, HOSTMEM_PLACE_SCATTERED) == NULL, "huge");
  CHECK(t, hostmem_buf_alloc(m, 1, 0, (hostmem_place_t)-1) == NULL, "bad placement");
  CHECK(t, hostmem_buf_alloc(NULL, 1, 0, HOSTMEM_PLACE_SCATTERED) == NULL, "NULL memory");
  CHECK_EQ(t, hostmem_free_page_count(m), 2 * MIB / PG - 1);
  CHECK_EQ(t, hostmem_buf_protect(m, NULL, 0), -1);
  hostmem_buf_t fake = {0};
  CHECK_EQ(t, hostmem_buf_protect(m, &fake, 0), -1);
  hostmem_buf_free(m, &fake);
  hostmem_buf_free(m, NULL);
  hostmem_buf_free(NULL, &fake);
  CHECK_EQ(t, hostmem_buf_pa(NULL, 0), 0);
  CHECK_EQ(t, hostmem_buf_pa(&fake, 0), 0);
  CHECK_EQ(t, hostmem_buf_read(m, &fake, 0, buf, 1), -1);
  CHECK_EQ(t, hostmem_dma_map(m, 0, 0, 1), -1);
  CHECK_EQ(t, hostmem_dma_map(m, UINT64_MAX - 1, 4, 1), -1);
  CHECK_EQ(t, hostmem_dma_map(m, PG, UINT64_MAX, 1), -1);
  CHECK_EQ(t, hostmem_dma_map(m, 2 * MIB, 1, 0), -1);
  CHECK_EQ(t, hostmem_dma_unmap(m, UINT64_MAX, 1), -1);
  CHECK_EQ(t, hostmem_dma_unmap(m, 0, 0), -1);
  CHECK_EQ(t, hostmem_dma_is_mapped(m, UINT64_MAX, 2, 0), -1);
  CHECK_EQ(t, hostmem_dma_mapping_count(m), (size_t)0);
  CHECK_EQ(t, hostmem_dma_access(NULL, 0, 1, 1), -1);
  CHECK(t, hostmem_dma_violation_text(m, 0) == NULL, "no violation yet");
  CHECK(t, hostmem_dma_violation_text(NULL, 0) == NULL, "NULL memory");
  CHECK_EQ(t, hostmem_size(NULL), 0);
  hostmem_dma_check_enable(NULL, 1);
  hostmem_dma_clear_violations(NULL);
  hostmem_free_pages(NULL, 1, pfn);
  hostmem_destroy(NULL);
  /* still fully usable after all that */
  hostmem_buf_t *b = hostmem_buf_alloc(m, 100, 4095, HOSTMEM_PLACE_MIXED);
  REQUIRE(t, b != NULL, "buf after bad calls");
  CHECK_EQ(t, b->npages, (size_t)2);
  memset(b->va, 1, 100);
  hostmem_destroy(m); /* frees the live buffer too (the leak checker would see it otherwise) */
}

static void two_memories_independent(test_ctx_t *t) {
  hostmem_t *a = hostmem_create(32 * MIB, test_seed(t));
  hostmem_t *b = hostmem_create(32 * MIB, test_seed(t));
  REQUIRE(t, a && b, "create");
  uint8_t da[256], db[256], r[256];
  fill(t, 11, da, sizeof da);
  fill(t, 12, db, sizeof db);
  REQUIRE_EQ(t, hostmem_write(a, 0x100000, da, sizeof da), 0);
  REQUIRE_EQ(t, hostmem_write(b, 0x100000, db, sizeof db), 0);
  REQUIRE_EQ(t, hostmem_read(a, 0x100000, r, sizeof r), 0);
  CHECK(t, memcmp(r, da, sizeof r) == 0, "memory a lost its data");
  REQUIRE_EQ(t, hostmem_read(b, 0x100000, r, sizeof r), 0);
  CHECK(t, memcmp(r, db, sizeof r) == 0, "memory b lost its data");
  /* same seed, same placement, yet distinct pages behind the two VAs */
  hostmem_buf_t *ba = hostmem_buf_alloc(a, 2 * PG, 0, HOSTMEM_PLACE_SCATTERED);
  hostmem_buf_t *bb = hostmem_buf_alloc(b, 2 * PG, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, ba && bb, "bufs");
  CHECK_EQ(t, ba->pfn[0], bb->pfn[0]);
  memcpy(ba->va, da, sizeof da);
  memcpy(bb->va, db, sizeof db);
  CHECK(t, memcmp(ba->va, da, sizeof da) == 0 && memcmp(bb->va, db, sizeof db) == 0, "VAs");
  /* a buffer belongs to its own memory */
  CHECK_EQ(t, hostmem_buf_protect(b, ba, 0), -1);
  hostmem_buf_free(b, ba);
  CHECK_EQ(t, hostmem_bad_frees(b), 1);
  CHECK_EQ(t, hostmem_free_page_count(b), 32 * MIB / PG - 1 - 2);
  CHECK(t, memcmp(ba->va, da, sizeof da) == 0, "buffer of a damaged through b");
  /* DMA state is per memory */
  hostmem_dma_check_enable(a, 1);
  REQUIRE_EQ(t, hostmem_dma_map(b, 0x100000, PG, 1), 0);
  CHECK_EQ(t, hostmem_dma_access(a, 0x100000, 4, 1), -1);
  CHECK_EQ(t, hostmem_dma_access(b, 0x100000, 4, 1), 0);
  CHECK_EQ(t, hostmem_dma_violations(a), (size_t)1);
  CHECK_EQ(t, hostmem_dma_violations(b), (size_t)0);
  hostmem_destroy(a);
  /* b keeps working after a is gone */
  memcpy(bb->va, da, sizeof da);
  REQUIRE_EQ(t, hostmem_read(b, bb->pfn[0] * PG, r, sizeof r), 0);
  CHECK(t, memcmp(r, da, sizeof r) == 0, "memory b after a was destroyed");
  hostmem_buf_free(b, bb);
  CHECK_EQ(t, hostmem_free_page_count(b), 32 * MIB / PG - 1);
  hostmem_destroy(b);
}

static const test_def_t hostmem_tests[] = {
  {"pa_va_agree", pa_va_agree, TEST_F_RANDOM, 0,
   "bytes written through a buffer's VA are the bytes at its PAs, and back"},
  {"placement_scattered", placement_scattered, TEST_F_RANDOM, 0,
   "scattered pages are distinct, never adjacent, spread over all of memory"},
  {"placement_contiguous", placement_contiguous, TEST_F_RANDOM, 0,
   "contiguous placement gives one free run, or fails without allocating"},
  {"placement_16m", placement_16m, TEST_F_RANDOM, 0,
   "below/above 16 MiB placements keep to their side; above fails in 16 MiB of memory"},
  {"placement_mixed", placement_mixed, TEST_F_RANDOM, 0,
   "mixed placement has runs, jumps, and pages on both sides of 16 MiB"},
  {"seed_reproduces_placement", seed_reproduces_placement, TEST_F_RANDOM, 0,
   "the same seed gives the same pages, another seed other pages"},
  {"sparse_4g_is_cheap", sparse_4g_is_cheap, 0, 0,
   "4 GiB of memory costs only the pages touched"},
  {"prot_none_faults", prot_none_faults, TEST_F_RANDOM, 0,
   "a protected buffer faults when touched (SIGSEGV in a child) and works again after"},
  {"dma_checker_catches_stray_write", dma_checker_catches_stray_write, TEST_F_RANDOM, 0,
   "accesses to unmapped pages are recorded; mapped ones pass; out of range always fails"},
  {"dma_direction_rules", dma_direction_rules, 0, 0,
   "pages mapped for device reads only must not be DMA-written"},
  {"dma_unmap_rules", dma_unmap_rules, 0, 0,
   "unmap of what is not mapped fails; partial unmaps and nesting count per page"},
  {"buf_adopt", buf_adopt, TEST_F_RANDOM, 0,
   "hostmem_buf_adopt: a VA over caller-chosen frames, freed with the buffer, bad frames refused"},
  {"alloc_contig_limits", alloc_contig_limits, TEST_F_RANDOM, 0,
   "contiguous runs below max_pa with the alignment asked for, never page 0"},
  {"free_and_exhaust", free_and_exhaust, TEST_F_RANDOM, 0,
   "every page but page 0 can be allocated once; frees are checked and counted"},
  {"bad_arguments_rejected", bad_arguments_rejected, 0, 0,
   "NULL, zero, huge and wrapping arguments return errors and change nothing"},
  {"two_memories_independent", two_memories_independent, TEST_F_RANDOM, 0,
   "two memories in one process share no data, buffers or DMA state"},
};
TEST_SUITE(hostmem);
