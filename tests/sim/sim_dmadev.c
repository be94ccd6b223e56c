/* Harness tests: the ISA-style DMA device models on soc_top's DREQ/DACK pins, driven by real
 * sysdma transfers (the 8237 programmed as a PC HAL does, driver/hal/i8237.h). */
#include <stdlib.h>

#include "sim_test_util.h"

/* memory -> device and device -> memory on one channel; returns the cycles the pair took */
static void xfer_pair(test_ctx_t *t, unsigned ch, uint32_t len) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t *mem_data = malloc(len), *sink = calloc(1, len), *src = malloc(len),
          *back = malloc(len);
  REQUIRE(t, mem_data && sink && src && back, "malloc");
  uint32_t pa = st_dma_buffer(t, s, len, mem_data, 500 + ch);

  st_xfer_t x = {.ch = ch, .to_memory = 0, .pa = pa, .len = len, .dev_sink = sink,
                 .dreq = SIM_DREQ_ALWAYS, .mode = I8237_SINGLE};
  st_run_xfer(t, s, &x, 200000);
  CHECK(t, memcmp(sink, mem_data, len) == 0, "device got the memory bytes");
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, ch, &st);
  unsigned w = ch < 4 ? 1 : 2;
  CHECK_EQ(t, st.transfers, len / w);
  CHECK_EQ(t, st.bytes_out, len);
  CHECK_EQ(t, st.bytes_in, 0);
  CHECK_EQ(t, st.tc_count, 1);
  CHECK_EQ(t, sim_dmadev_verify_count(s, ch), 0);
  uint64_t *log = calloc(len, sizeof *log);
  REQUIRE(t, log != NULL, "calloc");
  CHECK_EQ(t, sim_dmadev_transfer_cycles(s, ch, log, len), len / w);
  CHECK(t, st.first_dack_cycle > 0 && st.first_dack_cycle < log[0], "DACK before the strobe");
  for (size_t i = 1; i < len / w; i++) CHECK(t, log[i] > log[i - 1], "transfer log ordered");
  CHECK(t, st.tc_cycle >= log[len / w - 2] && st.tc_cycle <= st.last_dack_cycle,
        "TC during the last transfer");

  prng_t r;
  prng_seed(&r, test_seed(t), 900 + ch);
  prng_fill(&r, src, len);
  x.to_memory = 1;
  x.dev_src = src;
  st_run_xfer(t, s, &x, 200000);
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, back, len), 0);
  CHECK(t, memcmp(back, src, len) == 0, "memory got the device bytes");
  sim_dmadev_stats(s, ch, &st);
  CHECK_EQ(t, st.transfers, len / w);
  CHECK_EQ(t, st.bytes_in, len);
  CHECK_EQ(t, st.tc_count, 1);
  /* TC raised IRQ_STATUS.TC[ch] */
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &v));
  CHECK_EQ(t, v & SOC_CTRL_IRQ_STATUS_TC_MASK, 1u << ch);
  free(mem_data); free(sink); free(src); free(back); free(log);
}

static void byte_channel_both_ways(test_ctx_t *t) { xfer_pair(t, 1, 48); }
static void word_channel_both_ways(test_ctx_t *t) { xfer_pair(t, 5, 48); }

static void verify_counted_separately(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t fill[16];
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 3);
  i8237_xfer_desc_t d = {.channel = 3, .phys = pa, .length = 6, .type = I8237_VERIFY,
                         .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  REQUIRE_OK(t, sim_dmadev_config(s, 3, &dc));
  st_xfer_t x = {.ch = 3};
  REQUIRE_OK(t, sim_wait_until(s, st_tc_seen, &x, 50000));
  REQUIRE_OK(t, sim_dmadev_stop(s, 3));
  REQUIRE_OK(t, sim_step(s, 40));
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 3, &st);
  CHECK_EQ(t, st.transfers, 6);                    /* DACK'd transfers, verifies included */
  CHECK_EQ(t, sim_dmadev_verify_count(s, 3), 6);   /* single mode: one DACK per transfer */
  CHECK_EQ(t, st.bytes_in + st.bytes_out, 0);
  uint64_t log[8];
  CHECK_EQ(t, sim_dmadev_transfer_cycles(s, 3, log, 8), 6);
  sim_axi_stats_t ax;
  sim_axi_stats(s, &ax);
  CHECK_EQ(t, ax.ar + ax.aw, 0);                   /* a verify moves no data */
}

typedef struct n_ctx {
  unsigned ch;
  uint64_t n;
} n_ctx_t;

static int transfers_reached(sim_t *s, void *ctx) {
  n_ctx_t *c = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, c->ch, &st);
  return st.transfers >= c->n;
}

static void eop_ends_transfer(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t fill[64], src[64], back[64];
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 4);
  prng_t r;
  prng_seed(&r, test_seed(t), 44);
  prng_fill(&r, src, sizeof src);
  i8237_xfer_desc_t d = {.channel = 2, .phys = pa, .length = 64, .type = I8237_WRITE,
                         .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.src = src;
  dc.src_len = sizeof src;
  dc.eop_after = 10;
  REQUIRE_OK(t, sim_dmadev_config(s, 2, &dc));
  n_ctx_t c = {2, 10};
  REQUIRE_OK(t, sim_wait_until(s, transfers_reached, &c, 100000));
  REQUIRE_OK(t, sim_step(s, 3000));                /* nothing more comes */
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 2, &st);
  CHECK_EQ(t, st.transfers, 10);
  CHECK(t, st.eop_cycle > 0 && st.eop_cycle <= st.last_dack_cycle, "EOP driven under DACK");
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &v));
  CHECK_EQ(t, v & SOC_CTRL_IRQ_STATUS_TC_MASK, 1u << 2);   /* EOP ends the process like TC */
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, back, sizeof back), 0);
  CHECK(t, memcmp(back, src, 10) == 0, "the 10 transfers landed");
  CHECK(t, memcmp(back + 10, fill + 10, 54) == 0, "nothing after the EOP");
}

static void sense_active_low_dreq_high_dack(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  /* controller 1 command register: DREQ sense active low (bit 6), DACK active high (bit 7) */
  REQUIRE_EQ(t, i8237_write_command(s, 1, 0xC0), I8237_OK);
  uint8_t fill[32], sink[32];
  memset(sink, 0, sizeof sink);
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 5);
  i8237_xfer_desc_t d = {.channel = 1, .phys = pa, .length = 32, .type = I8237_READ,
                         .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.dreq_active_low = 1;
  dc.dack_active_high = 1;
  dc.sink = sink;
  dc.sink_len = sizeof sink;
  REQUIRE_OK(t, sim_dmadev_config(s, 1, &dc));
  st_xfer_t x = {.ch = 1};
  REQUIRE_OK(t, sim_wait_until(s, st_tc_seen, &x, 100000));
  REQUIRE_OK(t, sim_step(s, 50));   /* TC comes with the last transfer, before its strobe ends */
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 1, &st);
  CHECK_EQ(t, st.transfers, 32);
  CHECK(t, memcmp(sink, fill, sizeof sink) == 0, "bytes through inverted senses");
}

static void pulse_gap_spaces_transfers(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t fill[12], sink[12];
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 6);
  st_xfer_t x = {.ch = 1, .to_memory = 0, .pa = pa, .len = 12, .dev_sink = sink,
                 .dreq = SIM_DREQ_PULSE, .gap = 300, .mode = I8237_SINGLE};
  st_run_xfer(t, s, &x, 200000);
  CHECK(t, memcmp(sink, fill, sizeof sink) == 0, "bytes");
  uint64_t log[12];
  REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 1, log, 12), 12);
  for (int i = 1; i < 12; i++)
    CHECK(t, log[i] - log[i - 1] >= 300, "transfer %d only %llu cycles after the previous", i,
          (unsigned long long)(log[i] - log[i - 1]));
}

static void count_mode_stops_requesting(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  st_bios_init(t, s);
  uint8_t fill[32], sink[32];
  uint32_t pa = st_dma_buffer(t, s, sizeof fill, fill, 7);
  i8237_xfer_desc_t d = {.channel = 6, .phys = pa, .length = 32, .type = I8237_READ,
                         .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(s, &d), I8237_OK);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_COUNT;
  dc.count = 5;
  dc.sink = sink;
  dc.sink_len = sizeof sink;
  REQUIRE_OK(t, sim_dmadev_config(s, 6, &dc));
  n_ctx_t c = {6, 5};
  REQUIRE_OK(t, sim_wait_until(s, transfers_reached, &c, 100000));
  REQUIRE_OK(t, sim_step(s, 3000));
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 6, &st);
  CHECK_EQ(t, st.transfers, 5);
  CHECK_EQ(t, st.bytes_out, 10);                   /* word channel: 2 bytes a transfer */
  CHECK_EQ(t, st.tc_count, 0);
  CHECK(t, memcmp(sink, fill, 10) == 0, "the five words");
  CHECK_EQ(t, sim_dmadev_config(s, 4, &dc), SIM_E_ARG);   /* the cascade has no device */
}

static const test_def_t sim_dmadev_tests[] = {
    {"byte_channel_both_ways", byte_channel_both_ways, TEST_F_RANDOM, 400000,
     "channel 1: memory->device bytes reach the sink, device->memory bytes reach memory; "
     "counts, TC, transfer log"},
    {"word_channel_both_ways", word_channel_both_ways, TEST_F_RANDOM, 400000,
     "channel 5: the same with 16-bit transfers"},
    {"verify_counted_separately", verify_counted_separately, 0, 100000,
     "verify transfers (DACK, no strobe) are counted (also separately) and move no data"},
    {"eop_ends_transfer", eop_ends_transfer, TEST_F_RANDOM, 200000,
     "EOP during transfer 10 ends the process after 10 transfers and sets IRQ_STATUS.TC"},
    {"sense_active_low_dreq_high_dack", sense_active_low_dreq_high_dack, TEST_F_RANDOM, 200000,
     "devices honour DREQ active-low / DACK active-high set in the command register"},
    {"pulse_gap_spaces_transfers", pulse_gap_spaces_transfers, TEST_F_RANDOM, 400000,
     "PULSE mode: each transfer follows the previous DACK by at least the gap"},
    {"count_mode_stops_requesting", count_mode_stops_requesting, TEST_F_RANDOM, 200000,
     "COUNT mode: the device requests exactly count transfers (word channel 6)"},
};
TEST_SUITE(sim_dmadev);
