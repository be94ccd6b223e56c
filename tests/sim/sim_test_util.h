/* Small helpers shared by the harness tests (tests/sim/). */
#ifndef HBASIM_SIM_TEST_UTIL_H
#define HBASIM_SIM_TEST_UTIL_H

#include <string.h>

#include "hostmem.h"
#include "i8237.h"
#include "prng.h"
#include "sim.h"
#include "soc_ctrl_regs.h"
#include "test.h"

#define CTRL(reg) (SOC_CTRL_BASE + (reg))

/* A sim with the given config tweaks applied to the defaults, reset for 4 cycles. */
static inline sim_t *st_sim(test_ctx_t *t, const sim_config_t *cfg) {
  sim_t *s = test_sim(t, cfg);
  REQUIRE_OK(t, sim_reset(s, 4));
  return s;
}

/* The first recorded error mentions `what`. */
static inline int st_first_error_has(const sim_t *s, const char *what) {
  return sim_error_count(s) > 0 && strstr(sim_error_text(s, 0), what) != NULL;
}

/* One byte-channel (1) transfer through sysdma with a DMA device on the pins.
 * to_memory: device -> memory (8237 "write"), else memory -> device ("read"). */
typedef struct st_xfer {
  unsigned ch;
  int to_memory;
  uint32_t pa;
  uint32_t len;
  uint8_t *dev_src;        /* to_memory: what the device gives */
  uint8_t *dev_sink;       /* !to_memory: where the device puts the bytes */
  sim_dreq_mode_t dreq;
  unsigned gap;
  i8237_reqmode_t mode;
} st_xfer_t;

static inline int st_tc_seen(sim_t *s, void *ctx) {
  const st_xfer_t *x = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, x->ch, &st);
  return st.tc_count > 0;
}

/* Programs the 8237 (after the BIOS init), arms the device and runs until the device saw TC. */
static inline void st_run_xfer(test_ctx_t *t, sim_t *s, st_xfer_t *x, uint64_t bound) {
  i8237_xfer_desc_t d = {.channel = x->ch, .phys = x->pa, .length = x->len,
                         .type = x->to_memory ? I8237_WRITE : I8237_READ,
                         .mode = x->mode, .autoinit = 0, .decrement = 0};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = x->dreq;
  dc.gap = x->gap;
  if (x->to_memory) {
    dc.src = x->dev_src;
    dc.src_len = x->len;
  } else {
    dc.sink = x->dev_sink;
    dc.sink_len = x->len;
  }
  REQUIRE_OK(t, sim_dmadev_config(s, x->ch, &dc));
  REQUIRE_OK(t, sim_wait_until(s, st_tc_seen, x, bound));
  REQUIRE_OK(t, sim_dmadev_stop(s, x->ch));
  REQUIRE_OK(t, sim_step(s, 50));  /* let the last memory access finish */
}

#endif

/* A physically contiguous, seeded-random-filled buffer below 16 MiB that stays inside one
 * 64 KiB page (what a byte channel can reach). Returns its PA. */
static inline uint32_t st_dma_buffer(test_ctx_t *t, sim_t *s, size_t len, uint8_t *fill,
                                     uint64_t stream) {
  hostmem_t *m = sim_mem(s);
  size_t pages = (len + HOSTMEM_PAGE_SIZE - 1) / HOSTMEM_PAGE_SIZE;
  uint64_t pfn0 = 0;
  REQUIRE(t, pages <= 16, "buffer too long for one 64 KiB page");
  REQUIRE_EQ(t, hostmem_alloc_contig(m, pages, 16ull << 20, 64ull << 10, &pfn0), 0);
  uint32_t pa = (uint32_t)(pfn0 * HOSTMEM_PAGE_SIZE);
  prng_t r;
  prng_seed(&r, sim_seed(s), stream);
  prng_fill(&r, fill, len);
  REQUIRE_EQ(t, hostmem_write(m, pa, fill, len), 0);
  return pa;
}

static inline void st_bios_init(test_ctx_t *t, sim_t *s) {
  REQUIRE_EQ(t, i8237_bios_init(s), I8237_OK);
}
