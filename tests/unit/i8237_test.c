/* Tests of driver/hal/i8237.c, the PC HAL's 8237A programming, against the RTL: what it
 * writes reads back through the flip-flop, bad requests are refused without a bus access,
 * and programmed transfers move the right bytes with the right residual. */
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"
#include "i8237.h"
#include "prng.h"
#include "sim.h"
#include "test.h"

#define DATA_STREAM 0x6938323337646174ull

typedef struct dev_wait {
  unsigned ch;
  uint64_t transfers;
} dev_wait_t;

static int dev_reached(sim_t *s, void *ctx) {
  dev_wait_t *w = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, w->ch, &st);
  return st.transfers >= w->transfers;
}

static sim_t *booted_sim(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  REQUIRE(t, s != NULL, "test_sim");
  REQUIRE_EQ(t, sim_reset(s, 4), SIM_OK); /* a new sim sits in reset (contracts.md 6) */
  REQUIRE_EQ(t, i8237_bios_init(s), I8237_OK);
  return s;
}

static void program_reads_back(test_ctx_t *t) {
  sim_t *s = booted_sim(t);
  static const struct {
    unsigned ch;
    uint32_t phys, len;
  } cases[] = {{0, 0x012345, 0x100}, {1, 0xFE0001, 1}, {2, 0x7FF00, 0x100},
               {3, 0x30000, 0x10000}, {5, 0x123456, 0x200}, {6, 0x2FFFE, 2},
               {7, 0xFE0000, 0x20000}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    i8237_xfer_desc_t x = {.channel = cases[i].ch, .phys = cases[i].phys,
                           .length = cases[i].len, .type = I8237_WRITE, .mode = I8237_SINGLE};
    REQUIRE_EQ(t, i8237_program(s, &x), I8237_OK);
    /* no device asks for service, so the registers hold what was written */
    i8237_mask(s, x.channel);
    int word = x.channel >= 4;
    uint16_t addr = 0, count = 0;
    uint32_t phys = 0, left = 0;
    REQUIRE_EQ(t, i8237_read_address(s, x.channel, &addr), I8237_OK);
    REQUIRE_EQ(t, i8237_read_count(s, x.channel, &count), I8237_OK);
    CHECK_EQ(t, addr, (uint16_t)(word ? x.phys >> 1 : x.phys));
    CHECK_EQ(t, count, (uint16_t)((word ? x.length / 2 : x.length) - 1));
    REQUIRE_EQ(t, i8237_current_phys(s, x.channel, &phys), I8237_OK);
    CHECK_EQ(t, phys, x.phys);
    REQUIRE_EQ(t, i8237_residual(s, x.channel, &left), I8237_OK);
    /* a full 64 K transfers count reads as 0 (indistinguishable from TC) */
    CHECK_EQ(t, left, (word ? x.length / 2 : x.length) == 0x10000 ? 0u : x.length);
  }
}

static void bad_requests_touch_nothing(test_ctx_t *t) {
  sim_t *s = booted_sim(t);
  static const struct {
    unsigned ch;
    uint32_t phys, len;
    int dec, want;
  } cases[] = {
    {4, 0x1000, 16, 0, I8237_E_CHANNEL},   {8, 0x1000, 16, 0, I8237_E_CHANNEL},
    {1, 0x1000, 0, 0, I8237_E_LENGTH},     {5, 0x1001, 2, 0, I8237_E_ALIGN},
    {6, 0x1000, 3, 0, I8237_E_ALIGN},      {2, 0x1000000, 1, 0, I8237_E_ADDR},
    {2, 0xFFFFFF, 2, 0, I8237_E_ADDR},     {3, 0x1FFFF, 2, 0, I8237_E_BOUNDARY},
    {3, 0x10000, 0x10001, 0, I8237_E_BOUNDARY}, {7, 0x30000, 0x20000, 0, I8237_E_BOUNDARY},
    {1, 0x10, 0x12, 1, I8237_E_ADDR},      {1, 0x1FFFF, 0x10001, 1, I8237_E_BOUNDARY},
  };
  uint64_t before = sim_apb_count(s);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    i8237_xfer_desc_t x = {.channel = cases[i].ch, .phys = cases[i].phys,
                           .length = cases[i].len, .type = I8237_READ, .mode = I8237_DEMAND,
                           .decrement = cases[i].dec};
    CHECK(t, i8237_program(s, &x) == cases[i].want, "case %zu: %s", i,
          i8237_strerror(i8237_program(s, &x)));
  }
  i8237_xfer_desc_t ok = {.channel = 1, .phys = 0x1FFFF, .length = 0x10000, .type = I8237_READ,
                          .mode = I8237_DEMAND, .decrement = 1};
  CHECK_EQ(t, i8237_check(&ok), I8237_OK);
  CHECK_EQ(t, i8237_program(NULL, &ok), I8237_E_ARG);
  CHECK_EQ(t, i8237_program(s, NULL), I8237_E_ARG);
  CHECK_EQ(t, sim_apb_count(s), before);
  uint32_t left;
  CHECK_EQ(t, i8237_residual(s, 4, &left), I8237_E_CHANNEL);
  CHECK_EQ(t, i8237_mask(s, 9), I8237_E_CHANNEL);
  CHECK_EQ(t, sim_apb_count(s), before);
}

/* memory -> device through a byte channel of controller 1 (so through the cascade) and a word
 * channel of controller 2; the bytes the device received are the bytes in memory */
static void transfer_to_device(test_ctx_t *t) {
  sim_t *s = booted_sim(t);
  hostmem_t *m = sim_mem(s);
  prng_t rng;
  prng_seed(&rng, test_seed(t), DATA_STREAM);
  static const unsigned chans[] = {1, 6};
  for (size_t k = 0; k < 2; k++) {
    unsigned ch = chans[k];
    uint32_t len = 600, span = ch >= 4 ? 0x20000 : 0x10000;
    uint64_t pfn0;
    REQUIRE_EQ(t, hostmem_alloc_contig(m, span / HOSTMEM_PAGE_SIZE, HOSTMEM_16M, span, &pfn0), 0);
    uint32_t pa = (uint32_t)(pfn0 * HOSTMEM_PAGE_SIZE) + 2 * (uint32_t)prng_below(&rng, 1000);
    uint8_t data[600], sink[600];
    prng_fill(&rng, data, sizeof data);
    memset(sink, 0, sizeof sink);
    REQUIRE_EQ(t, hostmem_write(m, pa, data, len), 0);
    sim_dmadev_cfg_t dc = {.mode = SIM_DREQ_ALWAYS, .sink = sink, .sink_len = len};
    REQUIRE_OK(t, sim_dmadev_config(s, ch, &dc));
    i8237_xfer_desc_t x = {.channel = ch, .phys = pa, .length = len, .type = I8237_READ,
                           .mode = I8237_SINGLE};
    REQUIRE_EQ(t, i8237_program(s, &x), I8237_OK);
    dev_wait_t w = {ch, ch >= 4 ? len / 2 : len};
    REQUIRE_OK(t, sim_wait_until(s, dev_reached, &w, 200000));
    sim_step(s, 200);
    CHECK(t, memcmp(sink, data, len) == 0, "channel %u: device got other bytes", ch);
    uint8_t st = 0;
    uint32_t left = 1;
    REQUIRE_EQ(t, i8237_read_status(s, ch, &st), I8237_OK);
    CHECK(t, st & (1u << (ch & 3)), "channel %u: status 0x%02x without TC", ch, st);
    REQUIRE_EQ(t, i8237_residual(s, ch, &left), I8237_OK);
    CHECK_EQ(t, left, 0u);
    sim_dmadev_stop(s, ch);
    i8237_mask(s, ch);
  }
}

/* a device that stops early: the residual says how much is left, the address where it stands */
static void residual_of_stopped_transfer(test_ctx_t *t) {
  sim_t *s = booted_sim(t);
  hostmem_t *m = sim_mem(s);
  uint64_t pfn0;
  REQUIRE_EQ(t, hostmem_alloc_contig(m, 16, HOSTMEM_16M, 0x10000, &pfn0), 0);
  uint32_t pa = (uint32_t)(pfn0 * HOSTMEM_PAGE_SIZE) + 0x123;
  uint8_t src[300];
  prng_t rng;
  prng_seed(&rng, test_seed(t), DATA_STREAM + 1);
  prng_fill(&rng, src, sizeof src);
  sim_dmadev_cfg_t dc = {.mode = SIM_DREQ_COUNT, .count = 100, .src = src, .src_len = 300};
  REQUIRE_OK(t, sim_dmadev_config(s, 2, &dc));
  i8237_xfer_desc_t x = {.channel = 2, .phys = pa, .length = 300, .type = I8237_WRITE,
                         .mode = I8237_DEMAND};
  REQUIRE_EQ(t, i8237_program(s, &x), I8237_OK);
  dev_wait_t w = {2, 100};
  REQUIRE_OK(t, sim_wait_until(s, dev_reached, &w, 200000));
  sim_step(s, 500);
  uint32_t left = 0, phys = 0;
  REQUIRE_EQ(t, i8237_residual(s, 2, &left), I8237_OK);
  CHECK_EQ(t, left, 200u);
  REQUIRE_EQ(t, i8237_current_phys(s, 2, &phys), I8237_OK);
  CHECK_EQ(t, phys, pa + 100);
  uint8_t got[100];
  REQUIRE_EQ(t, hostmem_read(m, pa, got, 100), 0);
  CHECK(t, memcmp(got, src, 100) == 0, "first 100 bytes");
  i8237_stop(s, 2);
  sim_dmadev_stop(s, 2);
}

static const test_def_t i8237_tests[] = {
  {"program_reads_back", program_reads_back, 0, 2000000,
   "address, count and page written by i8237_program read back through the flip-flop"},
  {"bad_requests_touch_nothing", bad_requests_touch_nothing, 0, 1000000,
   "channel 4, zero length, odd word, 16 MiB and boundary errors, each with its own code, no bus access"},
  {"transfer_to_device", transfer_to_device, TEST_F_RANDOM, 5000000,
   "single-mode memory->device on channels 1 and 6 delivers memory's bytes, TC and residual 0"},
  {"residual_of_stopped_transfer", residual_of_stopped_transfer, TEST_F_RANDOM, 5000000,
   "a device stopping after 100 of 300 bytes leaves residual 200 and the address at +100"},
};
TEST_SUITE(i8237);
