/* Harness tests: the AXI memory slave (backpressure, latency, error injection) and the AXI
 * protocol checker, with sysdma as the AXI master. Kept about the harness: sysdma's own
 * behaviour is tested in tests/sysdma/. */
#include <stdlib.h>

#include "sim_test_util.h"

#define XLEN 96u

typedef struct axi_run {
  uint64_t cycles;
  uint8_t mem[XLEN], sink[XLEN];
  sim_axi_stats_t ax;
} axi_run_t;

/* device->memory then memory->device of XLEN bytes on channel 1 */
static void run_pair(test_ctx_t *t, unsigned pause_pct, unsigned rlat, unsigned wlat,
                     axi_run_t *out) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  for (unsigned c = 0; c < SIM_AXI_NCHAN; c++)
    REQUIRE_OK(t, sim_axi_pause_random(s, (sim_axi_chan_t)c, pause_pct));
  REQUIRE_OK(t, sim_axi_set_latency(s, rlat, wlat));
  uint8_t fill[XLEN], src[XLEN];
  uint32_t pa = st_dma_buffer(t, s, XLEN, fill, 11);
  prng_t r;
  prng_seed(&r, test_seed(t), 12);
  prng_fill(&r, src, XLEN);
  uint64_t c0 = sim_cycle(s);
  st_xfer_t x = {.ch = 1, .to_memory = 1, .pa = pa, .len = XLEN, .dev_src = src,
                 .dreq = SIM_DREQ_ALWAYS, .mode = I8237_SINGLE};
  st_run_xfer(t, s, &x, 400000);
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, out->mem, XLEN), 0);
  /* now read it back out to the device */
  memset(out->sink, 0, XLEN);
  x.to_memory = 0;
  x.dev_sink = out->sink;
  st_run_xfer(t, s, &x, 400000);
  out->cycles = sim_cycle(s) - c0;
  sim_axi_stats(s, &out->ax);
  CHECK(t, memcmp(out->mem, src, XLEN) == 0, "memory holds the device's bytes");
  CHECK(t, memcmp(out->sink, src, XLEN) == 0, "the device got them back");
  test_sim_destroy(t, s);
}

static void pauses_and_latency_keep_bytes(test_ctx_t *t) {
  axi_run_t *a = calloc(3, sizeof *a);
  REQUIRE(t, a != NULL, "calloc");
  run_pair(t, 0, 0, 0, &a[0]);
  run_pair(t, 60, 0, 0, &a[1]);     /* random pauses on every channel */
  run_pair(t, 0, 40, 40, &a[2]);    /* long memory latency */
  for (int i = 0; i < 3; i++) {
    CHECK(t, memcmp(a[i].mem, a[0].mem, XLEN) == 0, "run %d memory", i);
    CHECK(t, memcmp(a[i].sink, a[0].sink, XLEN) == 0, "run %d sink", i);
    CHECK_EQ(t, a[i].ax.aw, XLEN);
    CHECK_EQ(t, a[i].ax.w_beats, XLEN);
    CHECK_EQ(t, a[i].ax.b, XLEN);
    CHECK_EQ(t, a[i].ax.ar, XLEN);
    CHECK_EQ(t, a[i].ax.r_beats, XLEN);
    CHECK_EQ(t, a[i].ax.errors, 0);
  }
  test_log(t, "cycles: plain %llu, 60%% pauses %llu, latency 40 %llu",
           (unsigned long long)a[0].cycles, (unsigned long long)a[1].cycles,
           (unsigned long long)a[2].cycles);
  CHECK(t, a[1].cycles >= a[0].cycles, "pauses never speed things up");
  CHECK(t, a[2].cycles > a[0].cycles, "latency slows the transfer");
  free(a);
}

static void isr_count_axi_err(sim_t *s, unsigned line, void *ctx) {
  (void)line;
  uint32_t st = 0;
  if (sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &st) != SIM_OK) return;
  if (st & SOC_CTRL_IRQ_STATUS_AXI_ERR_MASK) ++*(unsigned *)ctx;
  sim_apb_write(s, CTRL(SOC_CTRL_IRQ_STATUS), st, 4);
}

static void injected_errors_reach_irq_status(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t fill[64], src[64], back[64], sink[64];
  uint32_t pa = st_dma_buffer(t, s, 64, fill, 21);
  prng_t r;
  prng_seed(&r, test_seed(t), 22);
  prng_fill(&r, src, sizeof src);
  /* writes to bytes 16..31 answer SLVERR: they are dropped */
  REQUIRE_OK(t, sim_axi_inject_error(s, pa + 16, pa + 32, SIM_AXI_SLVERR, 0, 1));
  st_xfer_t x = {.ch = 1, .to_memory = 1, .pa = pa, .len = 64, .dev_src = src,
                 .dreq = SIM_DREQ_ALWAYS, .mode = I8237_SINGLE};
  st_run_xfer(t, s, &x, 400000);
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &v));
  CHECK(t, v & SOC_CTRL_IRQ_STATUS_AXI_ERR_MASK, "IRQ_STATUS.AXI_ERR set (0x%x)", v);
  sim_axi_stats_t ax;
  sim_axi_stats(s, &ax);
  CHECK_EQ(t, ax.errors, 16);
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, back, 64), 0);
  CHECK(t, memcmp(back, src, 16) == 0, "bytes 0-15 written");
  CHECK(t, memcmp(back + 16, fill + 16, 16) == 0, "bytes 16-31 dropped");
  CHECK(t, memcmp(back + 32, src + 32, 32) == 0, "bytes 32-63 written");
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_STATUS), 0xFFFFFFFFu, 4));

  /* reads of bytes 0..7 answer DECERR: the device gets 0xFF; the interrupt reaches an ISR */
  unsigned hits = 0;
  REQUIRE_OK(t, sim_irq_connect(s, 0, isr_count_axi_err, &hits));
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_ENABLE), SOC_CTRL_IRQ_STATUS_AXI_ERR_MASK, 4));
  sim_axi_clear_errors_injected(s);
  REQUIRE_OK(t, sim_axi_inject_error(s, pa, pa + 8, SIM_AXI_DECERR, 1, 0));
  x.to_memory = 0;
  x.dev_sink = sink;
  st_run_xfer(t, s, &x, 400000);
  for (int i = 0; i < 8; i++) CHECK_EQ(t, sink[i], 0xFF);
  CHECK(t, memcmp(sink + 8, back + 8, 56) == 0, "bytes 8-63 read normally");
  CHECK(t, hits >= 1, "the ISR saw AXI_ERR");
  sim_axi_stats(s, &ax);
  CHECK_EQ(t, ax.errors, 16 + 8);
  CHECK_EQ(t, sim_axi_inject_error(s, 10, 10, SIM_AXI_SLVERR, 1, 1), SIM_E_ARG);
  CHECK_EQ(t, sim_axi_inject_error(s, 0, 10, SIM_AXI_OKAY, 1, 1), SIM_E_ARG);
}

/* ---- the protocol checker catches each planted violation ---------------------------------- */

/* READY low 5 cycles out of 8: with the DMA clock at 10 cycles, some request stalls */
static int pause_most(void *ctx, uint64_t cycle) {
  (void)ctx;
  return (cycle & 7u) < 5u;
}

static void plant(test_ctx_t *t, int kind, int to_memory, int pause_ch, const char *want) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  if (pause_ch >= 0) REQUIRE_OK(t, sim_axi_set_pause(s, (sim_axi_chan_t)pause_ch, pause_most, NULL));
  uint8_t fill[8], src[8] = {1, 2, 3, 4, 5, 6, 7, 8}, sink[8];
  uint32_t pa = st_dma_buffer(t, s, 8, fill, 31);
  REQUIRE_OK(t, sim_axi_checker_selftest_plant(s, kind));
  st_xfer_t x = {.ch = 1, .to_memory = to_memory, .pa = pa, .len = 8, .dev_src = src,
                 .dev_sink = sink, .dreq = SIM_DREQ_ALWAYS, .mode = I8237_SINGLE};
  i8237_xfer_desc_t d = {.channel = 1, .phys = pa, .length = 8,
                         .type = to_memory ? I8237_WRITE : I8237_READ, .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.src = src;
  dc.src_len = 8;
  dc.sink = sink;
  dc.sink_len = 8;
  REQUIRE_OK(t, sim_dmadev_config(s, 1, &dc));
  /* the run stops at the violation (SIM_E_FAILED); finish the transfer after it */
  int rc = sim_wait_until(s, st_tc_seen, &x, 100000);
  CHECK_EQ(t, rc, SIM_E_FAILED);
  CHECK_EQ(t, sim_axi_checker_plant_pending(s), 0);
  CHECK(t, st_first_error_has(s, want), "expected \"%s\", got: %s", want,
        sim_error_count(s) ? sim_error_text(s, 0) : "(no error)");
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1);
  REQUIRE_OK(t, sim_wait_until(s, st_tc_seen, &x, 100000));
  REQUIRE_OK(t, sim_step(s, 100));
  CHECK_EQ(t, sim_error_count(s), 0);   /* exactly one violation was reported */
}

static void plant_ar_payload_change(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_AR_PAYLOAD, 0, SIM_AXI_AR, "AR: payload changed while ARVALID");
}
static void plant_aw_payload_change(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_AW_PAYLOAD, 1, SIM_AXI_AW, "AW: payload changed while AWVALID");
}
static void plant_w_payload_change(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_W_PAYLOAD, 1, SIM_AXI_W, "W: payload changed while WVALID");
}
static void plant_ar_valid_drop(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_AR_VALID_DROP, 0, SIM_AXI_AR, "ARVALID dropped before its handshake");
}
static void plant_aw_valid_drop(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_AW_VALID_DROP, 1, SIM_AXI_AW, "AWVALID dropped before its handshake");
}
static void plant_w_valid_drop(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_W_VALID_DROP, 1, SIM_AXI_W, "WVALID dropped before its handshake");
}
static void plant_missing_wlast(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_NO_WLAST, 1, -1, "WLAST missing on the last beat");
}
static void plant_early_wlast(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_EARLY_WLAST, 1, -1, "WLAST on beat 1 of a 2-beat burst");
}
static void plant_4k_cross(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_4K_CROSS, 0, -1, "crosses a 4 KiB boundary");
}
static void plant_lost_aw(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_LOST_AW, 1, -1, "without a complete write");
}
static void plant_duplicated_r(test_ctx_t *t) {
  plant(t, SIM_AXI_PLANT_DUP_R, 0, -1, "without an outstanding read");
}

static const test_def_t sim_axi_tests[] = {
    {"pauses_and_latency_keep_bytes", pauses_and_latency_keep_bytes, TEST_F_RANDOM, 3000000,
     "random pauses on all five channels and memory latency change timing, never the bytes"},
    {"injected_errors_reach_irq_status", injected_errors_reach_irq_status, TEST_F_RANDOM,
     600000, "injected SLVERR drops writes and sets IRQ_STATUS.AXI_ERR; DECERR reads give 0xFF"},
    {"plant_ar_payload_change", plant_ar_payload_change, 0, 200000,
     "the checker reports an AR address change while ARVALID waits"},
    {"plant_aw_payload_change", plant_aw_payload_change, 0, 200000,
     "the checker reports an AW address change while AWVALID waits"},
    {"plant_w_payload_change", plant_w_payload_change, 0, 200000,
     "the checker reports W data changing while WVALID waits"},
    {"plant_ar_valid_drop", plant_ar_valid_drop, 0, 200000,
     "the checker reports ARVALID dropped before its handshake"},
    {"plant_aw_valid_drop", plant_aw_valid_drop, 0, 200000,
     "the checker reports AWVALID dropped before its handshake"},
    {"plant_w_valid_drop", plant_w_valid_drop, 0, 200000,
     "the checker reports WVALID dropped before its handshake"},
    {"plant_missing_wlast", plant_missing_wlast, 0, 200000,
     "the checker reports a missing WLAST"},
    {"plant_early_wlast", plant_early_wlast, 0, 200000,
     "the checker reports WLAST before the last beat"},
    {"plant_4k_cross", plant_4k_cross, 0, 200000,
     "the checker reports a burst crossing 4 KiB"},
    {"plant_lost_aw", plant_lost_aw, 0, 200000,
     "the checker reports a write response without its AW (W beats ahead of AW are allowed)"},
    {"plant_duplicated_r", plant_duplicated_r, 0, 200000,
     "the checker reports a duplicated R beat"},
};
TEST_SUITE(sim_axi);
