/* Harness tests: the IOMMU-style DMA verifier seen end to end. sysdma moves bytes over AXI into
 * the host memory model; with checking on, a beat outside the pages mapped for device access
 * (or a write into a page mapped for device reads only) is recorded as a sim error naming the
 * physical address, and the run stops there. */
#include <stdio.h>
#include <stdlib.h>

#include "sim_test_util.h"

typedef struct run {
  unsigned ch;
  uint64_t transfers;
} run_t;

static int transfers_done(sim_t *s, void *ctx) {
  const run_t *r = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, r->ch, &st);
  return st.transfers >= r->transfers;
}

/* device -> memory on channel 1 (single mode): `len` seeded bytes to `pa`; returns the status of
 * the wait (SIM_OK when every byte was taken, SIM_E_FAILED when an error stopped the run) */
static int device_to_memory(test_ctx_t *t, sim_t *s, uint32_t pa, uint8_t *src, uint32_t len,
                            uint64_t stream) {
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, src, len);
  i8237_xfer_desc_t d = {.channel = 1, .phys = pa, .length = len, .type = I8237_WRITE,
                         .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.src = src;
  dc.src_len = len;
  REQUIRE_OK(t, sim_dmadev_config(s, 1, &dc));
  run_t w = {1, len};
  int rc = sim_wait_until(s, transfers_done, &w, 100000);
  if (rc == SIM_OK) rc = sim_step(s, 50); /* the last AXI write completes */
  return rc;
}

static void mapped_pages_pass_stray_write_reported(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  hostmem_t *m = sim_mem(s);
  uint8_t fill[3 * 4096], src[64], got[64];
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 71);
  hostmem_dma_check_enable(m, 1);
  REQUIRE_EQ(t, hostmem_dma_map(m, pa, 4096, 1), 0);          /* page 0: device may write */
  REQUIRE_EQ(t, hostmem_dma_map(m, pa + 4096, 4096, 0), 0);   /* page 1: device reads only */

  /* into the write-mapped page: no error, the bytes land */
  REQUIRE_OK(t, device_to_memory(t, s, pa + 100, src, 64, 72));
  CHECK_EQ(t, sim_error_count(s), 0);
  REQUIRE_EQ(t, hostmem_read(m, pa + 100, got, 64), 0);
  CHECK(t, memcmp(got, src, 64) == 0, "bytes in the mapped page");
  CHECK_EQ(t, hostmem_dma_violations(m), 0);
  REQUIRE_OK(t, sim_dmadev_stop(s, 1));

  /* into the page mapped for device reads only: the first beat is a stray write */
  int rc = device_to_memory(t, s, pa + 4096 + 8, src, 16, 73);
  CHECK_EQ(t, rc, SIM_E_FAILED);
  CHECK(t, sim_error_count(s) >= 1, "no error recorded");
  char want[64];
  snprintf(want, sizeof want, "at PA 0x%llx", (unsigned long long)(pa + 4096 + 8));
  CHECK(t, st_first_error_has(s, "stray DMA") && st_first_error_has(s, want),
        "first error: %s", sim_error_count(s) ? sim_error_text(s, 0) : "(none)");
  CHECK(t, hostmem_dma_violations(m) >= 1, "hostmem counted the violation");
  /* planted on purpose: stop the device, let the transfer under way finish (its beats are
   * just as stray), mask the channel, and forget the errors */
  sim_clear_errors(s);
  REQUIRE_OK(t, sim_dmadev_stop(s, 1));
  (void)sim_step(s, 200);
  sim_clear_errors(s);
  REQUIRE_EQ(t, i8237_mask(s, 1), I8237_OK);

  /* into the unmapped third page */
  hostmem_dma_clear_violations(m);
  rc = device_to_memory(t, s, pa + 2 * 4096, src, 4, 74);
  CHECK_EQ(t, rc, SIM_E_FAILED);
  snprintf(want, sizeof want, "at PA 0x%llx", (unsigned long long)(pa + 2 * 4096));
  CHECK(t, st_first_error_has(s, "stray DMA") && st_first_error_has(s, want),
        "first error: %s", sim_error_count(s) ? sim_error_text(s, 0) : "(none)");
  sim_clear_errors(s);
}

/* with checking off (the default) the same transfer into unmapped pages is silent */
static void checking_off_is_silent(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t fill[4096], src[32], got[32];
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 81);
  REQUIRE_OK(t, device_to_memory(t, s, pa + 7, src, 32, 82));
  CHECK_EQ(t, sim_error_count(s), 0);
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa + 7, got, 32), 0);
  CHECK(t, memcmp(got, src, 32) == 0, "bytes landed");
}

static const test_def_t sim_dmacheck_tests[] = {
  {"mapped_pages_pass_stray_write_reported", mapped_pages_pass_stray_write_reported,
   TEST_F_RANDOM, 2000000,
   "sysdma writes into a device-mapped page pass; into a read-only or unmapped page they are "
   "reported as stray DMA at the exact PA"},
  {"checking_off_is_silent", checking_off_is_silent, TEST_F_RANDOM, 2000000,
   "with the verifier off, the same transfer is not reported and its bytes land"},
};
TEST_SUITE(sim_dmacheck);
