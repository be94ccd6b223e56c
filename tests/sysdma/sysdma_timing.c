/* sysdma conformance, timing: DMA clocks and system cycles per transfer, measured on the
 * pins by the harness's DMA device models (strobe start/end and DACK cycle records).
 *
 * The numbers asserted here are the ones docs/sysdma/theory_of_operation.md documents
 * ("Timing"): with d = DMA_CLKDIV system cycles per DMA clock and H = HOLD_DELAY,
 *  - block/demand, normal timing: S2 S3 S4 = 3 DMA clocks per transfer, 4 when S1 must put
 *    out a new A15-A8 (the first transfer of a service, or when A15-A8 change);
 *  - compressed timing: S2 S4 = 2 DMA clocks (3 with S1);
 *  - single mode: SI + S0 (H + 1 clocks) + S1..S4 = H + 6 clocks between transfers on a
 *    controller-2 channel, H + 8 on a controller-1 channel (the cascade adds a clock on each
 *    side: controller 2 sees the slave's HRQ one clock late, and the slave sees its HLDA, the
 *    master's DACK4, one clock late);
 *  - memory: the controller waits in Sw (the 8237A's READY low) until its single-beat AXI
 *    access is done: a read (memory -> device, issued when the address goes out) needs
 *    4 + Lr system cycles, a write (device -> memory, issued once the device's data has been
 *    sampled 4 cycles into S2) 9 + Lw cycles from the start of S2, with the harness memory
 *    slave's latencies Lr/Lw and no backpressure.
 * The 8237A datasheet (Intel 231466) is the source of the state names and of the rules the
 * timing follows: S1 only when A8-A15 change, compressed timing drops S3, extended write
 * moves the write strobe into S2, READY inserts Sw before S4. */
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"
#include "prng.h"
#include "sim.h"
#include "soc_ctrl_regs.h"
#include "sysdma_regs.h"
#include "test.h"
#include "sysdma_util.h"

#define CTRL(r) (SOC_CTRL_BASE + (r))
#define MAXLOG 256u

#define TYPE_WRITE SYSDMA_DMA1_MODE_TYPE_WRITE   /* device -> memory */
#define TYPE_READ SYSDMA_DMA1_MODE_TYPE_READ     /* memory -> device */
#define MODE_DEMAND SYSDMA_DMA1_MODE_MODE_DEMAND
#define MODE_SINGLE SYSDMA_DMA1_MODE_MODE_SINGLE
#define MODE_BLOCK SYSDMA_DMA1_MODE_MODE_BLOCK
#define MODE_CASCADE SYSDMA_DMA1_MODE_MODE_CASCADE
#define CMD_COMPRESSED SYSDMA_DMA1_COMMAND_COMPRESSED_MASK
#define CMD_EXTWRITE SYSDMA_DMA1_COMMAND_EXTWRITE_MASK

/* harness memory slave with no pauses: system cycles from the request to the data/response
 * being back in the controller (theory_of_operation.md, "Memory wait states") */
#define RD_ACCESS 4u  /* + Lr, counted from the read request (start of S1 or S2) */
#define WR_ACCESS 9u  /* + Lw, counted from the start of S2 */

/* the port of 8237A register offset `off` on the controller owning `ch` */



static void set_ctrl(test_ctx_t *t, sim_t *s, uint32_t reg, uint32_t v) {
  REQUIRE_OK(t, sim_apb_write(s, CTRL(reg), v, 4));
}

/* reset, master clear of both controllers, channel 4 in cascade mode and unmasked (as a PC
 * BIOS leaves it); DMA_CLKDIV d, HOLD_DELAY h */
static sim_t *tm_sim(test_ctx_t *t, unsigned d, unsigned h) {
  sim_t *s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(s, 4));
  sd_out(t, s, SYSDMA_DMA1_MCLR, 0);
  sd_out(t, s, SYSDMA_DMA2_MCLR, 0);
  sd_out(t, s, SYSDMA_DMA2_MODE, (uint8_t)(MODE_CASCADE << SYSDMA_DMA1_MODE_MODE_SHIFT));
  sd_out(t, s, SYSDMA_DMA2_SMASK, 0);
  set_ctrl(t, s, SOC_CTRL_DMA_CLKDIV, d);
  set_ctrl(t, s, SOC_CTRL_HOLD_DELAY, h);
  return s;
}

/* one channel's transfer: programmed masked; pa is the byte address of the first unit */
typedef struct xfer {
  unsigned ch;
  unsigned type, mode;
  uint8_t cmd;           /* command register of the channel's controller */
  uint32_t pa;
  unsigned units;        /* transfers (bytes on 0-3, words on 5-7) */
  sim_dreq_mode_t dreq;
  unsigned count;        /* SIM_DREQ_COUNT */
  /* filled by run_xfer */
  uint8_t *mem0;         /* memory before (seeded) */
  uint8_t *dev;          /* device source (write) or sink (read) */
  uint64_t unmask_req;   /* edge that took the unmask write */
  uint64_t end[MAXLOG], start[MAXLOG];
  size_t n_end, n_start;
  sim_dmadev_stats_t st;
} xfer_t;

static void program(test_ctx_t *t, sim_t *s, const xfer_t *x) {
  unsigned c = x->ch & 3;
  uint16_t addr = x->ch < 4 ? (uint16_t)x->pa : (uint16_t)(x->pa >> 1);
  uint8_t page = x->ch < 4 ? (uint8_t)(x->pa >> 16) : (uint8_t)((x->pa >> 16) & 0xFE);
  sd_out(t, s, sd_reg_port(x->ch, SYSDMA_DMA1_COMMAND), x->cmd);
  sd_out(t, s, sd_reg_port(x->ch, SYSDMA_DMA1_SMASK), (uint8_t)(SYSDMA_DMA1_SMASK_SET_MASK | c));
  sd_out(t, s, sd_reg_port(x->ch, SYSDMA_DMA1_CLRFF), 0);
  sd_out(t, s, sd_reg_port(x->ch, SYSDMA_DMA1_MODE),
       (uint8_t)(c | (x->type << SYSDMA_DMA1_MODE_TYPE_SHIFT) |
                 (x->mode << SYSDMA_DMA1_MODE_MODE_SHIFT)));
  sd_out(t, s, sd_reg_port(x->ch, 2 * c), (uint8_t)addr);
  sd_out(t, s, sd_reg_port(x->ch, 2 * c), (uint8_t)(addr >> 8));
  sd_out(t, s, sd_page_port[x->ch], page);
  sd_out(t, s, sd_reg_port(x->ch, 2 * c + 1), (uint8_t)(x->units - 1));
  sd_out(t, s, sd_reg_port(x->ch, 2 * c + 1), (uint8_t)((x->units - 1) >> 8));
}

typedef struct until_ctx {
  unsigned ch;
  uint64_t n;
} until_ctx_t;

static int tc_or_n(sim_t *s, void *ctx) {
  const until_ctx_t *u = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, u->ch, &st);
  return st.tc_count > 0 || st.transfers >= u->n;
}

/* seeds memory and the device, programs, arms the device, unmasks and runs until the device
 * saw TC (or `units` transfers), then lets the last strobe and memory access finish */
static void run_xfer(test_ctx_t *t, sim_t *s, xfer_t *x, uint64_t stream) {
  size_t len = (size_t)x->units * sd_width(x->ch);
  x->mem0 = malloc(len);
  x->dev = malloc(len);
  REQUIRE(t, x->mem0 && x->dev, "malloc");
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, x->mem0, len);
  prng_fill(&r, x->dev, len);
  REQUIRE_EQ(t, hostmem_write(sim_mem(s), x->pa, x->mem0, len), 0);
  program(t, s, x);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = x->dreq;
  dc.count = x->count;
  if (x->type == TYPE_WRITE) {
    dc.src = x->dev;
    dc.src_len = len;
  } else {
    memset(x->dev, 0, len);
    dc.sink = x->dev;
    dc.sink_len = len;
  }
  REQUIRE_OK(t, sim_dmadev_config(s, x->ch, &dc));
  sd_out(t, s, sd_reg_port(x->ch, SYSDMA_DMA1_SMASK), (uint8_t)(x->ch & 3));
  x->unmask_req = sim_apb_last_req_cycle(s);
  until_ctx_t u = {x->ch, x->units};
  REQUIRE_OK(t, sim_wait_until(s, tc_or_n, &u, 400000));
  REQUIRE_OK(t, sim_step(s, 300));
  REQUIRE_OK(t, sim_dmadev_stop(s, x->ch));
  x->n_end = sim_dmadev_transfer_cycles(s, x->ch, x->end, MAXLOG);
  x->n_start = sim_dmadev_strobe_cycles(s, x->ch, x->start, MAXLOG);
  sim_dmadev_stats(s, x->ch, &x->st);
}

/* every unit moved, in the right direction, nothing else touched */
static void check_bytes(test_ctx_t *t, sim_t *s, const xfer_t *x, unsigned moved) {
  sd_check_moved(t, s, x->ch, x->type == TYPE_WRITE, x->pa, x->units, moved, x->mem0, x->dev);
}

static void free_xfer(xfer_t *x) {
  free(x->mem0);
  free(x->dev);
  x->mem0 = x->dev = NULL;
}

/* A15-A8 of the 8237 address of unit i (word channels count words) */
static unsigned hi_byte(const xfer_t *x, unsigned i) {
  uint32_t a = x->ch < 4 ? x->pa + i : (x->pa >> 1) + i;
  return (a >> 8) & 0xFF;
}

/* S1 precedes transfer i of a block/demand service: the first, or A15-A8 changed */
static int has_s1(const xfer_t *x, unsigned i) {
  return i == 0 || hi_byte(x, i) != hi_byte(x, i - 1);
}

/* Sw states of a transfer (the memory access outlasting the states before S4) */
static unsigned wait_states(unsigned access, unsigned states_before_check, unsigned d) {
  unsigned budget = states_before_check * d - 1;
  return access <= budget ? 0 : (access - budget + d - 1) / d;
}

/* DMA clocks from the start of S2 to the end of S4 of a block/demand transfer */
static unsigned s2_to_end_clocks(const xfer_t *x, unsigned i, unsigned d, unsigned lr,
                                 unsigned lw) {
  int compressed = (x->cmd & CMD_COMPRESSED) != 0;
  unsigned before = compressed ? 1u : 2u;  /* S2 (S3) before the READY check */
  unsigned w;
  if (x->type == TYPE_READ) {
    /* the read goes out with the address: at S1 when there is one */
    w = wait_states(RD_ACCESS + lr, before + (has_s1(x, i) ? 1u : 0u), d);
  } else {
    w = wait_states(WR_ACCESS + lw, before, d);
  }
  return before + w + 1;  /* + S4 */
}

/* DMA clocks between the ends of transfers i-1 and i (i >= 1) in one block/demand service */
static unsigned period_clocks(const xfer_t *x, unsigned i, unsigned d, unsigned lr,
                              unsigned lw) {
  return (has_s1(x, i) ? 1u : 0u) + s2_to_end_clocks(x, i, d, lr, lw);
}

/* checks every period and the first transfer of a block/demand service */
static void check_block_periods(test_ctx_t *t, const xfer_t *x, unsigned d, unsigned lr,
                                unsigned lw) {
  REQUIRE_EQ(t, x->n_end, x->units);
  /* DACK rises with S2 of the first transfer and stays for the whole service */
  CHECK_EQ(t, x->end[0] - x->st.first_dack_cycle, s2_to_end_clocks(x, 0, d, lr, lw) * d);
  for (unsigned i = 1; i < x->units; i++) {
    uint64_t got = x->end[i] - x->end[i - 1];
    uint64_t want = (uint64_t)period_clocks(x, i, d, lr, lw) * d;
    if (got != want) {
      CHECK_EQ(t, got, want);
      test_log(t, "ch%u transfer %u (A15-A8 %02x): %llu cycles", x->ch, i, hi_byte(x, i),
               (unsigned long long)got);
      break;
    }
  }
}

/* ---------------------------------------------------------------------------------------- */

static void block_mode_normal_timing(test_ctx_t *t) {
  const unsigned d = 10;
  sim_t *s = tm_sim(t, d, 1);
  /* 24 bytes across a 256-byte line: S1 returns once, at A15-A8 0x20 -> 0x21 */
  for (unsigned ty = 0; ty < 2; ty++) {
    xfer_t x = {.ch = 1, .type = ty ? TYPE_WRITE : TYPE_READ, .mode = MODE_BLOCK,
                .pa = 0x3A20F4, .units = 24, .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &x, 100 + ty);
    check_bytes(t, s, &x, x.units);
    CHECK_EQ(t, x.st.tc_count, 1);
    /* 3 clocks = 30 cycles a transfer, 40 where S1 comes back (transfer 12: 0x2100) */
    CHECK_EQ(t, x.end[11] - x.end[10], 3 * d);
    CHECK_EQ(t, x.end[12] - x.end[11], 4 * d);
    check_block_periods(t, &x, d, 0, 0);
    /* one DACK for the whole block: from S2 of the first to the end of the last S4 */
    CHECK_EQ(t, x.st.last_dack_cycle + 1 - x.st.first_dack_cycle, (23 * 3 + 1 + 3) * d);
    REQUIRE_EQ(t, x.n_start, x.units);
    for (unsigned i = 0; i < x.units; i++) {
      uint64_t s2 = x.end[i] - 3 * d;   /* S2 S3 S4, no wait states */
      if (x.type == TYPE_READ)
        CHECK_EQ(t, x.start[i], s2 + d);   /* IOW in S3 */
      else
        CHECK_EQ(t, x.start[i], s2 + 1);   /* IOR from S2 (after a one-cycle gap) */
    }
    free_xfer(&x);
  }
}

static void compressed_timing_two_clocks(test_ctx_t *t) {
  const unsigned d = 10;
  sim_t *s = tm_sim(t, d, 1);
  for (unsigned ty = 0; ty < 2; ty++) {
    xfer_t x = {.ch = 2, .type = ty ? TYPE_WRITE : TYPE_READ, .mode = MODE_BLOCK,
                .cmd = CMD_COMPRESSED, .pa = 0x1281F8, .units = 20, .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &x, 200 + ty);
    check_bytes(t, s, &x, x.units);
    /* S2 S4 = 20 cycles; S1 S2 S4 = 30 where A15-A8 change (transfer 8: 0x8200) */
    CHECK_EQ(t, x.end[7] - x.end[6], 2 * d);
    CHECK_EQ(t, x.end[8] - x.end[7], 3 * d);
    check_block_periods(t, &x, d, 0, 0);
    REQUIRE_EQ(t, x.n_start, x.units);
    for (unsigned i = 0; i < x.units; i++) {
      uint64_t s2 = x.end[i] - 2 * d;
      if (x.type == TYPE_READ)
        CHECK_EQ(t, x.start[i], s2 + d);   /* IOW only in S4 */
      else
        CHECK_EQ(t, x.start[i], s2 + 1);   /* IOR through S2 and S4 */
    }
    free_xfer(&x);
  }
}

static void extended_write_starts_in_s2(test_ctx_t *t) {
  const unsigned d = 10;
  sim_t *s = tm_sim(t, d, 1);
  /* memory -> device: IOW moves from S3 into S2; the transfer keeps its 3 clocks */
  xfer_t x = {.ch = 3, .type = TYPE_READ, .mode = MODE_BLOCK, .cmd = CMD_EXTWRITE,
              .pa = 0x0550FA, .units = 12, .dreq = SIM_DREQ_ALWAYS};
  run_xfer(t, s, &x, 300);
  check_bytes(t, s, &x, x.units);
  check_block_periods(t, &x, d, 0, 0);
  REQUIRE_EQ(t, x.n_start, x.units);
  for (unsigned i = 0; i < x.units; i++) {
    uint64_t s2 = x.end[i] - 3 * d;
    /* the strobe waits for the memory data: there at S2 + 1 when the read went out in S1,
     * RD_ACCESS cycles into S2 when it went out with S2 */
    uint64_t want = s2 + (has_s1(&x, i) ? 1u : RD_ACCESS);
    CHECK_EQ(t, x.start[i], want);
    CHECK(t, x.start[i] < s2 + d, "transfer %u: IOW starts inside S2", i);
  }
  free_xfer(&x);

  /* device -> memory: extended write changes nothing on IOR */
  xfer_t y = {.ch = 3, .type = TYPE_WRITE, .mode = MODE_BLOCK, .cmd = CMD_EXTWRITE,
              .pa = 0x0560FA, .units = 12, .dreq = SIM_DREQ_ALWAYS};
  run_xfer(t, s, &y, 301);
  check_bytes(t, s, &y, y.units);
  check_block_periods(t, &y, d, 0, 0);
  for (unsigned i = 0; i < y.units && i < y.n_start; i++)
    CHECK_EQ(t, y.start[i], y.end[i] - 3 * d + 1);
  free_xfer(&y);

  /* compressed timing overrides extended write (the 8237A: extended write only without
   * compressed timing): IOW stays in S4 */
  xfer_t z = {.ch = 3, .type = TYPE_READ, .mode = MODE_BLOCK,
              .cmd = CMD_EXTWRITE | CMD_COMPRESSED, .pa = 0x0570FA, .units = 12,
              .dreq = SIM_DREQ_ALWAYS};
  run_xfer(t, s, &z, 302);
  check_bytes(t, s, &z, z.units);
  check_block_periods(t, &z, d, 0, 0);
  for (unsigned i = 0; i < z.units && i < z.n_start; i++)
    CHECK_EQ(t, z.start[i], z.end[i] - d);
  free_xfer(&z);
}

typedef struct reqs_ctx {
  unsigned ch;
  uint64_t n;
} reqs_ctx_t;

static int transfers_at_least(sim_t *s, void *ctx) {
  const reqs_ctx_t *c = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, c->ch, &st);
  return st.transfers >= c->n;
}


static void demand_mode_follows_dreq(test_ctx_t *t) {
  const unsigned d = 10;
  sim_t *s = tm_sim(t, d, 1);
  /* 30 bytes programmed; the device asks for 8, then 12, then the last 10 */
  xfer_t x = {.ch = 0, .type = TYPE_WRITE, .mode = MODE_DEMAND, .pa = 0x2240F0, .units = 30,
              .dreq = SIM_DREQ_COUNT, .count = 8};
  size_t len = x.units;
  x.mem0 = malloc(len);
  x.dev = malloc(len);
  REQUIRE(t, x.mem0 && x.dev, "malloc");
  prng_t r;
  prng_seed(&r, test_seed(t), 400);
  prng_fill(&r, x.mem0, len);
  prng_fill(&r, x.dev, len);
  REQUIRE_EQ(t, hostmem_write(sim_mem(s), x.pa, x.mem0, len), 0);
  program(t, s, &x);
  sd_out(t, s, SYSDMA_DMA1_SMASK, 0);
  static const unsigned burst[3] = {8, 12, 10};
  unsigned done = 0;
  for (unsigned b = 0; b < 3; b++) {
    sim_dmadev_cfg_t dc;
    memset(&dc, 0, sizeof dc);
    dc.mode = SIM_DREQ_COUNT;
    dc.count = burst[b];
    dc.src = x.dev + done;
    dc.src_len = burst[b];
    REQUIRE_OK(t, sim_dmadev_config(s, 0, &dc));
    reqs_ctx_t c = {0, burst[b]};
    REQUIRE_OK(t, sim_wait_until(s, transfers_at_least, &c, 100000));
    REQUIRE_OK(t, sim_step(s, 40 * d));   /* nothing more: DREQ dropped */
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, 0, &st);
    CHECK_EQ(t, st.transfers, burst[b]);
    CHECK_EQ(t, st.tc_count, b == 2 ? 1u : 0u);
    uint64_t end[16];
    REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 0, end, 16), burst[b]);
    /* one DACK per burst; back-to-back transfers at 3 clocks (4 with S1) */
    xfer_t view = x;
    view.pa = x.pa + done;
    view.units = burst[b];
    memcpy(view.end, end, sizeof end);
    view.n_end = burst[b];
    view.st = st;
    check_block_periods(t, &view, d, 0, 0);
    /* DACK ends with the S4 in which DREQ was seen inactive */
    CHECK_EQ(t, st.last_dack_cycle + 1, end[burst[b] - 1]);
    done += burst[b];
    uint16_t cnt = sd_cur_count(t, s, 0);
    uint16_t adr = sd_cur_addr(t, s, 0);
    CHECK_EQ(t, cnt, (uint16_t)(x.units - 1 - done));
    CHECK_EQ(t, adr, (uint16_t)(x.pa + done));
  }
  check_bytes(t, s, &x, x.units);
  free_xfer(&x);
}

/* the first DMA clock edge after edge u, given one edge `phase` known to be a DMA clock */

static void single_mode_hold_delay(test_ctx_t *t) {
  const unsigned d = 10;
  static const unsigned holds[] = {0, 1, 3, 8};
  for (unsigned hi = 0; hi < 4; hi++) {
    unsigned h = holds[hi];
    unsigned he = h ? h : 1;   /* HOLD_DELAY 0 acts as 1 */
    sim_t *s = tm_sim(t, d, h);
    for (unsigned k = 0; k < 2; k++) {
      unsigned ch = k ? 6 : 2;
      xfer_t x = {.ch = ch, .type = TYPE_READ, .mode = MODE_SINGLE, .pa = 0x431000 + 0x40 * k,
                  .units = 6, .dreq = SIM_DREQ_ALWAYS};
      run_xfer(t, s, &x, 500 + 10 * hi + k);
      check_bytes(t, s, &x, x.units);
      REQUIRE_EQ(t, x.n_end, x.units);
      /* SI, S0 for H+1 clocks, S1 S2 S3 S4; the cascade adds 2 clocks on controller 1 */
      unsigned per = he + 6 + (ch < 4 ? 2u : 0u);
      for (unsigned i = 1; i < x.units; i++) CHECK_EQ(t, x.end[i] - x.end[i - 1], per * d);
      /* DREQ (already up) to DACK: the first DMA clock after the unmask starts S0; HLDA
       * comes H clocks later; S1, then DACK with S2 (controller 1: + 2 cascade clocks) */
      uint64_t c1 = sd_next_dma_edge(x.unmask_req, x.end[0], d);
      unsigned to_dack = he + 2 + (ch < 4 ? 2u : 0u);
      CHECK_EQ(t, x.st.first_dack_cycle, c1 + (uint64_t)to_dack * d);
      /* each transfer: DACK for S2 S3 S4 */
      CHECK_EQ(t, x.end[0] - x.st.first_dack_cycle, 3 * d);
      free_xfer(&x);
    }
    /* compressed timing: S3 goes, one clock less per transfer */
    for (unsigned k = 0; k < 2; k++) {
      unsigned ch = k ? 7 : 0;
      xfer_t x = {.ch = ch, .type = TYPE_WRITE, .mode = MODE_SINGLE, .cmd = CMD_COMPRESSED,
                  .pa = 0x432000 + 0x40 * k, .units = 5, .dreq = SIM_DREQ_ALWAYS};
      run_xfer(t, s, &x, 540 + 10 * hi + k);
      check_bytes(t, s, &x, x.units);
      REQUIRE_EQ(t, x.n_end, x.units);
      unsigned per = he + 5 + (ch < 4 ? 2u : 0u);
      for (unsigned i = 1; i < x.units; i++) CHECK_EQ(t, x.end[i] - x.end[i - 1], per * d);
      CHECK_EQ(t, x.end[0] - x.st.first_dack_cycle, 2 * d);
      free_xfer(&x);
    }
  }
}

static void word_channel_same_clocks(test_ctx_t *t) {
  const unsigned d = 10;
  sim_t *s = tm_sim(t, d, 1);
  for (unsigned ty = 0; ty < 2; ty++) {
    /* 20 words from word address 0x20F8: S1 again at 0x2100 (byte 0x4200 of the page) */
    xfer_t x = {.ch = 5, .type = ty ? TYPE_WRITE : TYPE_READ, .mode = MODE_BLOCK,
                .pa = 0x0641F0, .units = 20, .dreq = SIM_DREQ_ALWAYS};
    sim_axi_stats_t a0, a1;
    sim_axi_stats(s, &a0);
    run_xfer(t, s, &x, 600 + ty);
    sim_axi_stats(s, &a1);
    check_bytes(t, s, &x, x.units);
    CHECK_EQ(t, x.st.bytes_in + x.st.bytes_out, 2 * x.units);
    CHECK_EQ(t, x.end[8] - x.end[7], 4 * d);
    check_block_periods(t, &x, d, 0, 0);
    /* one single-beat AXI access per word */
    if (x.type == TYPE_READ) CHECK_EQ(t, a1.ar - a0.ar, x.units);
    else CHECK_EQ(t, a1.aw - a0.aw, x.units);
    free_xfer(&x);

    /* the byte channel at the same address: same clocks, half the bytes */
    xfer_t y = {.ch = 1, .type = x.type, .mode = MODE_BLOCK, .pa = 0x0651F0, .units = 20,
                .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &y, 610 + ty);
    check_bytes(t, s, &y, y.units);
    CHECK_EQ(t, y.st.bytes_in + y.st.bytes_out, y.units);
    CHECK_EQ(t, y.end[16] - y.end[15], 4 * d);   /* 0x51FF -> 0x5200 */
    check_block_periods(t, &y, d, 0, 0);
    free_xfer(&y);
  }
}

static void clock_divider_scales(test_ctx_t *t) {
  static const unsigned divs[] = {5, 10, 20, 40};
  for (unsigned k = 0; k < 4; k++) {
    unsigned d = divs[k];
    sim_t *s = tm_sim(t, d, 1);
    /* fast enough memory: exactly 3 clocks (normal), 2 (compressed), 9 (single, ch 0-3) */
    xfer_t x = {.ch = 1, .type = TYPE_READ, .mode = MODE_BLOCK, .pa = 0x10000, .units = 8,
                .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &x, 700 + k);
    check_bytes(t, s, &x, x.units);
    for (unsigned i = 1; i < x.units; i++) CHECK_EQ(t, x.end[i] - x.end[i - 1], 3 * d);
    free_xfer(&x);
    xfer_t y = {.ch = 1, .type = TYPE_READ, .mode = MODE_BLOCK, .cmd = CMD_COMPRESSED,
                .pa = 0x10100, .units = 8, .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &y, 710 + k);
    check_bytes(t, s, &y, y.units);
    for (unsigned i = 1; i < y.units; i++) CHECK_EQ(t, y.end[i] - y.end[i - 1], 2 * d);
    free_xfer(&y);
    xfer_t z = {.ch = 1, .type = TYPE_WRITE, .mode = MODE_SINGLE, .pa = 0x10200, .units = 4,
                .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &z, 720 + k);
    check_bytes(t, s, &z, z.units);
    for (unsigned i = 1; i < z.units; i++) CHECK_EQ(t, z.end[i] - z.end[i - 1], 9 * d);
    free_xfer(&z);
  }
  /* below that the memory access sets the pace: Sw states by the documented rule. DMA_CLKDIV
   * 0 acts as 1 (a DMA clock every system cycle) */
  for (unsigned dv = 0; dv <= 4; dv++) {
    unsigned d = dv ? dv : 1;
    sim_t *s = tm_sim(t, dv, 1);
    for (unsigned k = 0; k < 4; k++) {
      xfer_t x = {.ch = 3, .type = (k & 1) ? TYPE_WRITE : TYPE_READ, .mode = MODE_BLOCK,
                  .cmd = (k & 2) ? CMD_COMPRESSED : 0, .pa = 0x20000 + 0x100 * k, .units = 8,
                  .dreq = SIM_DREQ_ALWAYS};
      run_xfer(t, s, &x, 730 + 4 * dv + k);
      check_bytes(t, s, &x, x.units);
      check_block_periods(t, &x, d, 0, 0);
      free_xfer(&x);
    }
  }
}

static void memory_latency_wait_states(test_ctx_t *t) {
  const unsigned d = 10;
  /* Lr 15 fits S2 S3 (4 + 15 = 19 = 2 * 10 - 1); 16 needs one Sw; 25 one; 26 two */
  static const unsigned lat[] = {0, 15, 16, 25, 26, 47};
  static const unsigned sw_read[] = {0, 0, 1, 1, 2, 4};
  /* Lw 10 fits (9 + 10 = 19); 11 needs one Sw; 21 two; 47 four */
  static const unsigned wlat[] = {0, 10, 11, 20, 21, 47};
  static const unsigned sw_write[] = {0, 0, 1, 1, 2, 4};
  for (unsigned k = 0; k < 6; k++) {
    sim_t *s = tm_sim(t, d, 1);
    REQUIRE_OK(t, sim_axi_set_latency(s, lat[k], wlat[k]));
    /* 0x..FA..: S1 returns at transfer 6 (the read then has one more clock) */
    xfer_t x = {.ch = 1, .type = TYPE_READ, .mode = MODE_BLOCK, .pa = 0x5530FA, .units = 10,
                .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &x, 800 + k);
    check_bytes(t, s, &x, x.units);
    CHECK_EQ(t, x.end[2] - x.end[1], (3 + sw_read[k]) * d);
    check_block_periods(t, &x, d, lat[k], wlat[k]);
    free_xfer(&x);
    xfer_t y = {.ch = 1, .type = TYPE_WRITE, .mode = MODE_BLOCK, .pa = 0x5540FA, .units = 10,
                .dreq = SIM_DREQ_ALWAYS};
    run_xfer(t, s, &y, 810 + k);
    check_bytes(t, s, &y, y.units);
    CHECK_EQ(t, y.end[2] - y.end[1], (3 + sw_write[k]) * d);
    check_block_periods(t, &y, d, lat[k], wlat[k]);
    free_xfer(&y);
  }
}

static void random_latency_and_divider(test_ctx_t *t) {
  prng_t r;
  prng_seed(&r, test_seed(t), 900);
  for (unsigned k = 0; k < 6; k++) {
    unsigned d = 1 + (unsigned)prng_below(&r, 16);
    unsigned lr = (unsigned)prng_below(&r, 50), lw = (unsigned)prng_below(&r, 50);
    unsigned ch = (unsigned)prng_below(&r, 7);
    if (ch >= 4) ch++;   /* 0-3, 5-7 */
    sim_t *s = tm_sim(t, d, 1 + (unsigned)prng_below(&r, 4));
    REQUIRE_OK(t, sim_axi_set_latency(s, lr, lw));
    xfer_t x = {.ch = ch, .type = prng_below(&r, 2) ? TYPE_WRITE : TYPE_READ,
                .mode = prng_below(&r, 2) ? MODE_BLOCK : MODE_DEMAND,
                .cmd = (uint8_t)(prng_below(&r, 2) ? CMD_COMPRESSED : 0),
                .units = 4 + (unsigned)prng_below(&r, 40), .dreq = SIM_DREQ_ALWAYS};
    /* even, and far enough below the end of a 64 KiB page that no channel wraps */
    x.pa = (uint32_t)((1 + prng_below(&r, 60)) << 16) + (uint32_t)prng_below(&r, 0x7F00) * 2;
    test_log(t, "ch%u d=%u Lr=%u Lw=%u %s %s %s %u units at 0x%06x", ch, d, lr, lw,
             x.type == TYPE_READ ? "read" : "write", x.mode == MODE_BLOCK ? "block" : "demand",
             x.cmd ? "compressed" : "normal", x.units, x.pa);
    run_xfer(t, s, &x, 910 + k);
    check_bytes(t, s, &x, x.units);
    CHECK_EQ(t, x.st.tc_count, 1);
    check_block_periods(t, &x, d, lr, lw);
    free_xfer(&x);
  }
}

static void backpressure_keeps_bytes(test_ctx_t *t) {
  const unsigned d = 4;
  sim_t *s = tm_sim(t, d, 1);
  for (unsigned c = 0; c < SIM_AXI_NCHAN; c++)
    REQUIRE_OK(t, sim_axi_pause_random(s, (sim_axi_chan_t)c, 40));
  static const unsigned chans[] = {0, 7};
  for (unsigned k = 0; k < 2; k++) {
    for (unsigned ty = 0; ty < 2; ty++) {
      xfer_t x = {.ch = chans[k], .type = ty ? TYPE_WRITE : TYPE_READ, .mode = MODE_BLOCK,
                  .pa = 0x7F00F0 - 0x100000 * k + 0x400 * ty, .units = 48,
                  .dreq = SIM_DREQ_ALWAYS};
      run_xfer(t, s, &x, 1000 + 2 * k + ty);
      check_bytes(t, s, &x, x.units);
      CHECK_EQ(t, x.st.tc_count, 1);
      REQUIRE_EQ(t, x.n_end, x.units);
      /* the pauses only add whole Sw clocks to what the latency-free rule gives */
      for (unsigned i = 1; i < x.units; i++) {
        uint64_t got = x.end[i] - x.end[i - 1];
        CHECK(t, got % d == 0 && got >= (uint64_t)period_clocks(&x, i, d, 0, 0) * d,
              "ch%u transfer %u took %llu cycles", x.ch, i, (unsigned long long)got);
      }
      free_xfer(&x);
    }
  }
}

static void axi_error_keeps_timing(test_ctx_t *t) {
  const unsigned d = 10;
  sim_t *s = tm_sim(t, d, 1);
  /* bytes 5..8 of a 16-byte read answer SLVERR: the device gets 0xFF for them, the transfer
   * keeps its 3 clocks a byte, IRQ_STATUS[9] records the error */
  xfer_t x = {.ch = 1, .type = TYPE_READ, .mode = MODE_BLOCK, .pa = 0x0A0100, .units = 16,
              .dreq = SIM_DREQ_ALWAYS};
  REQUIRE_OK(t, sim_axi_inject_error(s, x.pa + 5, x.pa + 9, SIM_AXI_SLVERR, 1, 0));
  run_xfer(t, s, &x, 1100);
  check_block_periods(t, &x, d, 0, 0);
  for (unsigned i = 0; i < 16; i++)
    CHECK_EQ(t, x.dev[i], (i >= 5 && i < 9) ? 0xFFu : x.mem0[i]);
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &v));
  CHECK_EQ(t, v, (1u << 9) | (1u << 1));
  free_xfer(&x);
  /* a failed write is dropped, the others land, the timing holds */
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_STATUS), 0xFFFFFFFFu, 4));
  xfer_t y = {.ch = 6, .type = TYPE_WRITE, .mode = MODE_BLOCK, .pa = 0x0A2000, .units = 8,
              .dreq = SIM_DREQ_ALWAYS};
  REQUIRE_OK(t, sim_axi_inject_error(s, y.pa + 6, y.pa + 8, SIM_AXI_DECERR, 0, 1));
  run_xfer(t, s, &y, 1101);
  check_block_periods(t, &y, d, 0, 0);
  uint8_t now[16];
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), y.pa, now, 16), 0);
  CHECK(t, memcmp(now, y.dev, 6) == 0, "words 0-2 written");
  CHECK(t, memcmp(now + 6, y.mem0 + 6, 2) == 0, "word 3 dropped");
  CHECK(t, memcmp(now + 8, y.dev + 8, 8) == 0, "words 4-7 written");
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &v));
  CHECK_EQ(t, v, (1u << 9) | (1u << 6));
  free_xfer(&y);
}

static const test_def_t sysdma_timing_tests[] = {
  {"block_mode_normal_timing", block_mode_normal_timing, 0, 2000000,
   "block, normal timing: S2-S4 = 3 DMA clocks, +S1 when A15-A8 change; IOW in S3, IOR in S2"},
  {"compressed_timing_two_clocks", compressed_timing_two_clocks, 0, 2000000,
   "compressed timing drops S3: 2 DMA clocks back-to-back (3 with S1), IOW only in S4"},
  {"extended_write_starts_in_s2", extended_write_starts_in_s2, 0, 2000000,
   "extended write moves IOW into S2, same clocks; IOR unchanged; compressed overrides it"},
  {"demand_mode_follows_dreq", demand_mode_follows_dreq, 0, 2000000,
   "demand mode runs at block speed while DREQ is up, releases the bus, resumes where it was"},
  {"single_mode_hold_delay", single_mode_hold_delay, 0, 4000000,
   "single mode: H+6 DMA clocks a transfer (H+8 via the cascade, 1 less compressed)"},
  {"word_channel_same_clocks", word_channel_same_clocks, 0, 2000000,
   "word channels: byte-channel clocks, 2 bytes in one AXI beat, S1 every 256 words"},
  {"clock_divider_scales", clock_divider_scales, 0, 4000000,
   "DMA_CLKDIV scales cycles per transfer; small divisors add Sw by the documented rule"},
  {"memory_latency_wait_states", memory_latency_wait_states, 0, 4000000,
   "AXI read/write latency inserts whole Sw (READY) states where documented; bytes right"},
  {"random_latency_and_divider", random_latency_and_divider, TEST_F_RANDOM, 8000000,
   "seeded divider, hold, latencies, channel, mode, timing: every period as documented"},
  {"axi_error_keeps_timing", axi_error_keeps_timing, 0, 2000000,
   "AXI errors keep the timing: failed read gives 0xFF, failed write dropped, IRQ_STATUS[9]"},
  {"backpressure_keeps_bytes", backpressure_keeps_bytes, 0, 4000000,
   "random AXI backpressure only adds whole Sw states; bytes still right"},
};
TEST_SUITE(sysdma_timing);
