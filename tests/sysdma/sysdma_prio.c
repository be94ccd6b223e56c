/* sysdma conformance, priority and control: fixed and rotating priority, the cascade of
 * controller 1 into channel 4 of controller 2, memory-to-memory through the temporary
 * register, DREQ/DACK sense, controller disable, external EOP in and EOP out (dma_tc_o).
 * Facts from the Intel 8237A datasheet (231466): fixed priority ranks channel 0 highest;
 * rotating priority makes the channel just serviced the lowest; memory-to-memory reads
 * through channel 0 into the temporary register and writes it through channel 1, is started
 * by a software request on channel 0, ends at channel 1's TC, and with channel 0 address hold
 * writes one byte over the whole block; the temporary register keeps the last byte moved;
 * command bits 6/7 set the DREQ/DACK senses and bit 2 disables the controller; an external
 * EOP ends the service, sets the channel's status TC bit and autoinitializes like TC; EOP out
 * marks the transfer that reaches TC; a cascade channel passes its slave's HRQ/HLDA through
 * DREQ/DACK and takes that channel's place in the priority order. Every moved byte is checked
 * against seeded data. */
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
#define CMD_MEM2MEM SYSDMA_DMA1_COMMAND_MEM2MEM_MASK
#define CMD_ADDRHOLD SYSDMA_DMA1_COMMAND_ADDRHOLD_MASK
#define CMD_DISABLE SYSDMA_DMA1_COMMAND_DISABLE_MASK
#define CMD_ROTATE SYSDMA_DMA1_COMMAND_ROTATE_MASK
#define CMD_DREQLOW SYSDMA_DMA1_COMMAND_DREQLOW_MASK
#define CMD_DACKHIGH SYSDMA_DMA1_COMMAND_DACKHIGH_MASK




static uint32_t ctrl_read(test_ctx_t *t, sim_t *s, uint32_t reg) {
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(reg), 4, &v));
  return v;
}

/* reset, master clear of both controllers, channel 4 cascade and unmasked (a PC BIOS) */
static sim_t *pr_sim(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(s, 4));
  sd_out(t, s, SYSDMA_DMA1_MCLR, 0);
  sd_out(t, s, SYSDMA_DMA2_MCLR, 0);
  sd_out(t, s, SYSDMA_DMA2_MODE, (uint8_t)(MODE_CASCADE << SYSDMA_DMA1_MODE_MODE_SHIFT));
  sd_out(t, s, SYSDMA_DMA2_SMASK, 0);
  return s;
}



/* the 8237 address register value for byte address pa on channel ch */
static uint16_t chan_addr(unsigned ch, uint32_t pa) {
  return ch < 4 ? (uint16_t)pa : (uint16_t)(pa >> 1);
}

/* mode byte, then address, page and count; the channel's mask is set first and left set */
static void program(test_ctx_t *t, sim_t *s, unsigned ch, unsigned type, unsigned mode,
                    int autoinit, uint32_t pa, unsigned units) {
  unsigned c = ch & 3;
  uint16_t addr = chan_addr(ch, pa);
  uint8_t page = ch < 4 ? (uint8_t)(pa >> 16) : (uint8_t)((pa >> 16) & 0xFE);
  sd_out(t, s, sd_reg_port(ch, SYSDMA_DMA1_SMASK), (uint8_t)(SYSDMA_DMA1_SMASK_SET_MASK | c));
  sd_out(t, s, sd_reg_port(ch, SYSDMA_DMA1_CLRFF), 0);
  sd_out(t, s, sd_reg_port(ch, SYSDMA_DMA1_MODE),
       (uint8_t)(c | (type << SYSDMA_DMA1_MODE_TYPE_SHIFT) |
                 (autoinit ? SYSDMA_DMA1_MODE_AUTOINIT_MASK : 0) |
                 (mode << SYSDMA_DMA1_MODE_MODE_SHIFT)));
  sd_out(t, s, sd_reg_port(ch, 2 * c), (uint8_t)addr);
  sd_out(t, s, sd_reg_port(ch, 2 * c), (uint8_t)(addr >> 8));
  sd_out(t, s, sd_page_port[ch], page);
  sd_out(t, s, sd_reg_port(ch, 2 * c + 1), (uint8_t)(units - 1));
  sd_out(t, s, sd_reg_port(ch, 2 * c + 1), (uint8_t)((units - 1) >> 8));
}

static void unmask(test_ctx_t *t, sim_t *s, unsigned ch) {
  sd_out(t, s, sd_reg_port(ch, SYSDMA_DMA1_SMASK), (uint8_t)(ch & 3));
}

/* one channel's seeded transfer: memory before, the device's data */
typedef struct chx {
  unsigned ch, type, mode, units;
  int autoinit;
  uint32_t pa;
  uint8_t *mem0, *dev;
} chx_t;

/* seeds memory and device data, programs (masked), arms the device with `dc` (src/sink
 * filled in here) */
static void arm(test_ctx_t *t, sim_t *s, chx_t *x, sim_dmadev_cfg_t dc, uint64_t stream) {
  size_t len = (size_t)x->units * sd_width(x->ch);
  x->mem0 = malloc(len);
  x->dev = malloc(len);
  REQUIRE(t, x->mem0 && x->dev, "malloc");
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, x->mem0, len);
  prng_fill(&r, x->dev, len);
  REQUIRE_EQ(t, hostmem_write(sim_mem(s), x->pa, x->mem0, len), 0);
  program(t, s, x->ch, x->type, x->mode, x->autoinit, x->pa, x->units);
  if (x->type == TYPE_WRITE) {
    dc.src = x->dev;
    dc.src_len = len;
  } else {
    memset(x->dev, 0, len);
    dc.sink = x->dev;
    dc.sink_len = len;
  }
  REQUIRE_OK(t, sim_dmadev_config(s, x->ch, &dc));
}

static sim_dmadev_cfg_t dev_cfg(sim_dreq_mode_t mode) {
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = mode;
  return dc;
}

/* the first `moved` units went the right way; the rest of the buffer is untouched */
static void check_bytes(test_ctx_t *t, sim_t *s, const chx_t *x, unsigned moved) {
  sd_check_moved(t, s, x->ch, x->type == TYPE_WRITE, x->pa, x->units, moved, x->mem0, x->dev);
}

static void free_chx(chx_t *x) {
  free(x->mem0);
  free(x->dev);
  x->mem0 = x->dev = NULL;
}

typedef struct tc_all_ctx {
  const unsigned *chs;
  unsigned n;
} tc_all_ctx_t;

static int all_tc(sim_t *s, void *ctx) {
  const tc_all_ctx_t *c = ctx;
  for (unsigned i = 0; i < c->n; i++) {
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, c->chs[i], &st);
    if (st.tc_count == 0) return 0;
  }
  return 1;
}

static void wait_all_tc(test_ctx_t *t, sim_t *s, const unsigned *chs, unsigned n,
                        uint64_t bound) {
  tc_all_ctx_t c = {chs, n};
  REQUIRE_OK(t, sim_wait_until(s, all_tc, &c, bound));
  REQUIRE_OK(t, sim_step(s, 300));
}

/* the service order: the channel of every transfer, by the cycle its strobe ended */
static size_t service_order(sim_t *s, const unsigned *chs, unsigned n, unsigned *order,
                            size_t max) {
  uint64_t logs[8][MAXLOG];
  size_t cnt[8], pos[8];
  for (unsigned i = 0; i < n; i++) {
    cnt[i] = sim_dmadev_transfer_cycles(s, chs[i], logs[i], MAXLOG);
    pos[i] = 0;
  }
  size_t k = 0;
  while (k < max) {
    int best = -1;
    for (unsigned i = 0; i < n; i++) {
      if (pos[i] < cnt[i] && (best < 0 || logs[i][pos[i]] < logs[best][pos[best]]))
        best = (int)i;
    }
    if (best < 0) break;
    order[k++] = chs[best];
    pos[best]++;
  }
  return k;
}

static void check_order(test_ctx_t *t, const unsigned *got, size_t n, const unsigned *want,
                        size_t wn) {
  CHECK_EQ(t, n, wn);
  for (size_t i = 0; i < n && i < wn; i++) {
    if (got[i] != want[i]) {
      CHECK_EQ(t, got[i], want[i]);
      test_log(t, "service order differs at transfer %zu", i);
      return;
    }
  }
}

/* ---------------------------------------------------------------------------------------- */

static void fixed_priority_controller1(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  static const unsigned chs[4] = {3, 1, 2, 0};   /* armed out of order on purpose */
  chx_t x[4];
  for (unsigned i = 0; i < 4; i++) {
    x[i] = (chx_t){.ch = chs[i], .type = (i & 1) ? TYPE_READ : TYPE_WRITE,
                   .mode = MODE_SINGLE, .units = 3, .pa = 0x100000 + 0x1000 * chs[i]};
    arm(t, s, &x[i], dev_cfg(SIM_DREQ_ALWAYS), 100 + i);
  }
  /* every request is up; one write unmasks all four at the same clock */
  sd_out(t, s, SYSDMA_DMA1_WRMASK, 0x00);
  wait_all_tc(t, s, chs, 4, 200000);
  unsigned order[16];
  size_t n = service_order(s, chs, 4, order, 16);
  /* single mode re-arbitrates after every transfer: channel 0 keeps winning until its TC
   * masks it, then 1, 2, 3 */
  static const unsigned want[12] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
  check_order(t, order, n, want, 12);
  for (unsigned i = 0; i < 4; i++) {
    check_bytes(t, s, &x[i], x[i].units);
    free_chx(&x[i]);
  }
}

static void cascade_ranks_at_channel4(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  static const unsigned chs[5] = {7, 5, 3, 6, 2};
  chx_t x[5];
  for (unsigned i = 0; i < 5; i++) {
    x[i] = (chx_t){.ch = chs[i], .type = (i & 1) ? TYPE_READ : TYPE_WRITE,
                   .mode = MODE_SINGLE, .units = 2, .pa = 0x200000 + 0x1000 * chs[i]};
    arm(t, s, &x[i], dev_cfg(SIM_DREQ_ALWAYS), 200 + i);
  }
  /* controller 1 first: its HRQ reaches DREQ4 before controller 2's own requests count */
  sd_out(t, s, SYSDMA_DMA1_WRMASK, 0x00);
  sd_out(t, s, SYSDMA_DMA2_WRMASK, 0x00);   /* channel 4 stays unmasked too */
  wait_all_tc(t, s, chs, 5, 300000);
  unsigned order[16];
  size_t n = service_order(s, chs, 5, order, 16);
  /* controller 1 as a group sits at channel 4's place: above 5, 6, 7 */
  static const unsigned want[10] = {2, 2, 3, 3, 5, 5, 6, 6, 7, 7};
  check_order(t, order, n, want, 10);
  for (unsigned i = 0; i < 5; i++) {
    check_bytes(t, s, &x[i], x[i].units);
    free_chx(&x[i]);
  }
  /* channel 4 (the cascade) never reaches TC: no IRQ_STATUS bit 4 */
  CHECK_EQ(t, ctrl_read(t, s, SOC_CTRL_IRQ_STATUS) & SOC_CTRL_IRQ_STATUS_TC_MASK, 0xECu);
}

static void rotating_priority(test_ctx_t *t) {
  /* all four channels of controller 1 */
  {
    sim_t *s = pr_sim(t);
    sd_out(t, s, SYSDMA_DMA1_COMMAND, CMD_ROTATE);
    static const unsigned chs[4] = {0, 1, 2, 3};
    chx_t x[4];
    for (unsigned i = 0; i < 4; i++) {
      x[i] = (chx_t){.ch = i, .type = (i & 1) ? TYPE_READ : TYPE_WRITE, .mode = MODE_SINGLE,
                     .units = 3, .pa = 0x300000 + 0x1000 * i};
      arm(t, s, &x[i], dev_cfg(SIM_DREQ_ALWAYS), 300 + i);
    }
    sd_out(t, s, SYSDMA_DMA1_WRMASK, 0x00);
    wait_all_tc(t, s, chs, 4, 200000);
    unsigned order[16];
    size_t n = service_order(s, chs, 4, order, 16);
    /* master clear leaves channel 0 highest; each serviced channel goes to the bottom */
    static const unsigned want[12] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    check_order(t, order, n, want, 12);
    for (unsigned i = 0; i < 4; i++) {
      check_bytes(t, s, &x[i], x[i].units);
      free_chx(&x[i]);
    }
  }
  /* two channels alternate, 1 first (after master clear channel 0 is highest, 1 above 3) */
  {
    sim_t *s = pr_sim(t);
    sd_out(t, s, SYSDMA_DMA1_COMMAND, CMD_ROTATE);
    static const unsigned chs[2] = {1, 3};
    chx_t x[2];
    for (unsigned i = 0; i < 2; i++) {
      x[i] = (chx_t){.ch = chs[i], .type = TYPE_WRITE, .mode = MODE_SINGLE, .units = 4,
                     .pa = 0x310000 + 0x1000 * i};
      arm(t, s, &x[i], dev_cfg(SIM_DREQ_ALWAYS), 310 + i);
    }
    sd_out(t, s, SYSDMA_DMA1_WRMASK, 0x00);
    wait_all_tc(t, s, chs, 2, 200000);
    unsigned order[16];
    size_t n = service_order(s, chs, 2, order, 16);
    static const unsigned want[8] = {1, 3, 1, 3, 1, 3, 1, 3};
    check_order(t, order, n, want, 8);
    for (unsigned i = 0; i < 2; i++) {
      check_bytes(t, s, &x[i], x[i].units);
      free_chx(&x[i]);
    }
  }
  /* controller 2 rotating: the cascade (controller 1's channel 1) takes its turn at 4 */
  {
    sim_t *s = pr_sim(t);
    sd_out(t, s, SYSDMA_DMA2_COMMAND, CMD_ROTATE);
    static const unsigned chs[3] = {1, 5, 6};
    chx_t x[3];
    for (unsigned i = 0; i < 3; i++) {
      x[i] = (chx_t){.ch = chs[i], .type = (i & 1) ? TYPE_READ : TYPE_WRITE,
                     .mode = MODE_SINGLE, .units = 3, .pa = 0x320000 + 0x1000 * i};
      arm(t, s, &x[i], dev_cfg(SIM_DREQ_ALWAYS), 320 + i);
    }
    sd_out(t, s, SYSDMA_DMA1_WRMASK, 0x00);
    sd_out(t, s, SYSDMA_DMA2_WRMASK, 0x00);
    wait_all_tc(t, s, chs, 3, 300000);
    unsigned order[16];
    size_t n = service_order(s, chs, 3, order, 16);
    static const unsigned want[9] = {1, 5, 6, 1, 5, 6, 1, 5, 6};
    check_order(t, order, n, want, 9);
    for (unsigned i = 0; i < 3; i++) {
      check_bytes(t, s, &x[i], x[i].units);
      free_chx(&x[i]);
    }
  }
}

/* a device run on channel 2 gives the DMA clock phase (strobes end at DMA clock edges) */
static uint64_t dma_clock_phase(test_ctx_t *t, sim_t *s) {
  chx_t x = {.ch = 2, .type = TYPE_WRITE, .mode = MODE_SINGLE, .units = 1, .pa = 0x7F0000};
  arm(t, s, &x, dev_cfg(SIM_DREQ_ALWAYS), 499);
  unmask(t, s, 2);
  static const unsigned chs[1] = {2};
  wait_all_tc(t, s, chs, 1, 20000);
  check_bytes(t, s, &x, 1);
  free_chx(&x);
  uint64_t end = 0;
  REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 2, &end, 1), 1);
  REQUIRE_OK(t, sim_dmadev_stop(s, 2));
  return end;
}


typedef struct m2m_result {
  uint64_t start_edge;   /* first DMA clock after the software request */
  uint64_t irq_cycle;    /* IRQ_STATUS[1] (channel 1's TC) raised irq_o[0] */
} m2m_result_t;

static int irq0_up(sim_t *s, void *ctx) {
  (void)ctx;
  return sim_irq_line(s, 0);
}

/* memory-to-memory on controller 1: channel 0 from src, channel 1 to dst, n bytes */
static void run_m2m(test_ctx_t *t, sim_t *s, uint32_t src, uint32_t dst, unsigned n, int hold,
                    uint64_t phase, m2m_result_t *res) {
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_STATUS), 0xFFFFFFFFu, 4));
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_ENABLE), 1u << 1, 4));
  sd_out(t, s, SYSDMA_DMA1_COMMAND, (uint8_t)(CMD_MEM2MEM | (hold ? CMD_ADDRHOLD : 0)));
  program(t, s, 0, TYPE_READ, MODE_BLOCK, 0, src, n);
  program(t, s, 1, TYPE_WRITE, MODE_BLOCK, 0, dst, n);
  (void)sd_in(t, s, SYSDMA_DMA1_STATUS);   /* clear old TC bits */
  /* the software request of channel 0 starts it (a software request ignores the mask) */
  sd_out(t, s, SYSDMA_DMA1_REQUEST, (uint8_t)(SYSDMA_DMA1_REQUEST_SET_MASK | 0));
  res->start_edge = sd_next_dma_edge(sim_apb_last_req_cycle(s), phase, 10);
  REQUIRE_OK(t, sim_wait_until(s, irq0_up, NULL, 20000 + 200ull * n));
  res->irq_cycle = sim_irq_assert_cycle(s, 0);
  REQUIRE_OK(t, sim_step(s, 100));
}

static void mem_to_mem_through_temp(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  uint64_t phase = dma_clock_phase(t, s);
  prng_t r;
  prng_seed(&r, test_seed(t), 400);
  uint8_t src[64], dst0[64], now[64];
  prng_fill(&r, src, sizeof src);
  prng_fill(&r, dst0, sizeof dst0);
  const uint32_t spa = 0x4512F0, dpa = 0x4634F8;   /* different pages, A15-A8 carries */
  hostmem_t *m = sim_mem(s);

  /* copy: 16 bytes, then 48, to see the per-byte cost */
  m2m_result_t r16, r48;
  REQUIRE_EQ(t, hostmem_write(m, spa, src, 64), 0);
  REQUIRE_EQ(t, hostmem_write(m, dpa, dst0, 64), 0);
  run_m2m(t, s, spa, dpa, 16, 0, phase, &r16);
  REQUIRE_EQ(t, hostmem_read(m, dpa, now, 64), 0);
  CHECK(t, memcmp(now, src, 16) == 0, "16 bytes copied");
  CHECK(t, memcmp(now + 16, dst0 + 16, 48) == 0, "nothing past them");
  /* S0, controller 2's S0 and HLDA (HOLD_DELAY 1), the cascade's DACK4: S11 starts 4 DMA
   * clocks after the first clock that sees the request; then S11-S14 S21-S24 = 8 clocks a
   * byte; IRQ_STATUS[1] (and irq_o) set one cycle after the last S24 */
  CHECK_EQ(t, r16.irq_cycle - r16.start_edge, (4u + 8u * 16u) * 10u + 1u);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_TEMP), src[15]);   /* the last byte moved */
  /* both counts ran out: TC on channels 0 and 1; no request left */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS), 0x03);
  CHECK_EQ(t, sd_cur_addr(t, s, 0), (uint16_t)(spa + 16));
  CHECK_EQ(t, sd_cur_addr(t, s, 1), (uint16_t)(dpa + 16));
  CHECK_EQ(t, sd_cur_count(t, s, 0), 0xFFFF);
  CHECK_EQ(t, sd_cur_count(t, s, 1), 0xFFFF);
  CHECK_EQ(t, ctrl_read(t, s, SOC_CTRL_IRQ_STATUS) & SOC_CTRL_IRQ_STATUS_TC_MASK, 0x02u);

  REQUIRE_EQ(t, hostmem_write(m, dpa, dst0, 64), 0);
  run_m2m(t, s, spa + 16, dpa, 48, 0, phase, &r48);
  REQUIRE_EQ(t, hostmem_read(m, dpa, now, 64), 0);
  CHECK(t, memcmp(now, src + 16, 48) == 0, "48 bytes copied");
  CHECK(t, memcmp(now + 48, dst0 + 48, 16) == 0, "nothing past them");
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_TEMP), src[63]);
  /* S11 S12 S13 S14 S21 S22 S23 S24: 8 DMA clocks (80 cycles) per byte */
  CHECK_EQ(t, r48.irq_cycle - r48.start_edge, (4u + 8u * 48u) * 10u + 1u);

  /* channel 0 address hold: one source byte fills the block */
  REQUIRE_EQ(t, hostmem_write(m, dpa, dst0, 64), 0);
  m2m_result_t rh;
  run_m2m(t, s, spa + 5, dpa, 40, 1, phase, &rh);
  REQUIRE_EQ(t, hostmem_read(m, dpa, now, 64), 0);
  unsigned bad = 0;
  for (unsigned i = 0; i < 40; i++) bad += now[i] != src[5];
  CHECK_EQ(t, bad, 0);
  CHECK(t, memcmp(now + 40, dst0 + 40, 24) == 0, "nothing past the fill");
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_TEMP), src[5]);
  CHECK_EQ(t, sd_cur_addr(t, s, 0), (uint16_t)(spa + 5));   /* held */
  CHECK_EQ(t, sd_cur_addr(t, s, 1), (uint16_t)(dpa + 40));
  CHECK_EQ(t, sd_cur_count(t, s, 0), 0xFFFF);               /* the count still runs */
  /* the source was only read */
  REQUIRE_EQ(t, hostmem_read(m, spa, now, 64), 0);
  CHECK(t, memcmp(now, src, 64) == 0, "source unchanged");

  /* memory latency: S13 waits for the read (4 + Lr cycles from S11), S23 for the write
   * (5 + Lw from S21), each with 3 clocks - 1 cycle in hand: Lr 26 costs one Sw a byte, Lw 24
   * none, Lw 25 one */
  static const unsigned lw[2] = {24, 25}, per[2] = {9, 10};
  for (unsigned k = 0; k < 2; k++) {
    REQUIRE_OK(t, sim_axi_set_latency(s, 26, lw[k]));
    REQUIRE_EQ(t, hostmem_write(m, dpa, dst0, 64), 0);
    m2m_result_t rl;
    run_m2m(t, s, spa + 8 * k, dpa, 20, 0, phase, &rl);
    REQUIRE_EQ(t, hostmem_read(m, dpa, now, 64), 0);
    CHECK(t, memcmp(now, src + 8 * k, 20) == 0, "20 bytes copied under latency");
    CHECK(t, memcmp(now + 20, dst0 + 20, 44) == 0, "nothing past them");
    CHECK_EQ(t, rl.irq_cycle - rl.start_edge, (4u + per[k] * 20u) * 10u + 1u);
  }
}

static void dreq_low_dack_high_sense(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  /* controller 1, channel 2: DREQ active low, DACK active high; the device matches */
  sd_out(t, s, SYSDMA_DMA1_COMMAND, CMD_DREQLOW | CMD_DACKHIGH);
  chx_t x = {.ch = 2, .type = TYPE_WRITE, .mode = MODE_BLOCK, .units = 40, .pa = 0x5002E0};
  sim_dmadev_cfg_t dc = dev_cfg(SIM_DREQ_OFF);
  dc.dreq_active_low = 1;
  dc.dack_active_high = 1;
  arm(t, s, &x, dc, 500);
  /* idle device, pin high: no request in the status register */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS) & (0x10u << 2), 0);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.src = x.dev;
  dc.src_len = x.units;
  REQUIRE_OK(t, sim_dmadev_config(s, 2, &dc));
  REQUIRE_OK(t, sim_step(s, 5));
  /* requesting (pin low), still masked: the status shows the request */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS) & (0x10u << 2), 0x10u << 2);
  unmask(t, s, 2);
  static const unsigned c2[1] = {2};
  wait_all_tc(t, s, c2, 1, 100000);
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 2, &st);
  CHECK_EQ(t, st.transfers, 40);
  CHECK_EQ(t, st.tc_count, 1);
  check_bytes(t, s, &x, x.units);
  free_chx(&x);

  /* with the default senses a device idling active-low (pin high) looks like a request */
  chx_t y = {.ch = 3, .type = TYPE_READ, .mode = MODE_SINGLE, .units = 4, .pa = 0x501000};
  sd_out(t, s, SYSDMA_DMA1_COMMAND, 0);
  sim_dmadev_cfg_t dy = dev_cfg(SIM_DREQ_OFF);
  dy.dreq_active_low = 1;
  arm(t, s, &y, dy, 501);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS) & (0x10u << 3), 0x10u << 3);
  free_chx(&y);
  REQUIRE_OK(t, sim_dmadev_stop(s, 3));

  /* controller 2, channel 6, word: same senses. Its DREQ sense also applies to the cascade
   * input (as wired on a PC/AT), where an idle controller 1 would then look like a request,
   * so channel 4 is masked while controller 2 uses active-low DREQ */
  sd_out(t, s, SYSDMA_DMA2_SMASK, (uint8_t)(SYSDMA_DMA1_SMASK_SET_MASK | 0));
  sd_out(t, s, SYSDMA_DMA2_COMMAND, CMD_DREQLOW | CMD_DACKHIGH);
  chx_t z = {.ch = 6, .type = TYPE_READ, .mode = MODE_DEMAND, .units = 24, .pa = 0x520100};
  sim_dmadev_cfg_t dz = dev_cfg(SIM_DREQ_ALWAYS);
  dz.dreq_active_low = 1;
  dz.dack_active_high = 1;
  arm(t, s, &z, dz, 502);
  unmask(t, s, 6);
  static const unsigned c6[1] = {6};
  wait_all_tc(t, s, c6, 1, 100000);
  sim_dmadev_stats(s, 6, &st);
  CHECK_EQ(t, st.transfers, 24);
  CHECK_EQ(t, st.bytes_out, 48);
  check_bytes(t, s, &z, z.units);
  free_chx(&z);
}

static void controller_disable_holds_off(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  static const unsigned c1[1] = {1};
  /* controller 1 disabled: its requests wait */
  sd_out(t, s, SYSDMA_DMA1_COMMAND, CMD_DISABLE);
  chx_t x = {.ch = 1, .type = TYPE_WRITE, .mode = MODE_SINGLE, .units = 8, .pa = 0x600F00};
  arm(t, s, &x, dev_cfg(SIM_DREQ_ALWAYS), 600);
  unmask(t, s, 1);
  REQUIRE_OK(t, sim_step(s, 3000));
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 1, &st);
  CHECK_EQ(t, st.transfers, 0);
  CHECK_EQ(t, st.first_dack_cycle, 0);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS), 0x10u << 1);   /* requesting, not served */
  check_bytes(t, s, &x, 0);
  sd_out(t, s, SYSDMA_DMA1_COMMAND, 0);
  wait_all_tc(t, s, c1, 1, 100000);
  sim_dmadev_stats(s, 1, &st);
  CHECK_EQ(t, st.transfers, 8);
  check_bytes(t, s, &x, 8);
  free_chx(&x);
  REQUIRE_OK(t, sim_dmadev_stop(s, 1));

  /* controller 2 disabled: its own channels and the cascade (controller 1) both wait */
  sd_out(t, s, SYSDMA_DMA2_COMMAND, CMD_DISABLE);
  chx_t y = {.ch = 1, .type = TYPE_READ, .mode = MODE_BLOCK, .units = 8, .pa = 0x601000};
  chx_t z = {.ch = 7, .type = TYPE_WRITE, .mode = MODE_BLOCK, .units = 8, .pa = 0x602000};
  arm(t, s, &y, dev_cfg(SIM_DREQ_ALWAYS), 601);
  arm(t, s, &z, dev_cfg(SIM_DREQ_ALWAYS), 602);
  unmask(t, s, 1);
  unmask(t, s, 7);
  REQUIRE_OK(t, sim_step(s, 3000));
  sim_dmadev_stats(s, 1, &st);
  CHECK_EQ(t, st.transfers, 0);
  sim_dmadev_stats(s, 7, &st);
  CHECK_EQ(t, st.transfers, 0);
  /* controller 2 sees both: channel 4 (controller 1's HRQ) and channel 7 */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA2_STATUS), 0x90);
  check_bytes(t, s, &z, 0);
  sd_out(t, s, SYSDMA_DMA2_COMMAND, 0);
  static const unsigned c17[2] = {1, 7};
  wait_all_tc(t, s, c17, 2, 100000);
  check_bytes(t, s, &y, 8);
  check_bytes(t, s, &z, 8);
  free_chx(&y);
  free_chx(&z);
}

typedef struct n_ctx {
  unsigned ch;
  uint64_t n;
} n_ctx_t;

static int transfers_at_least(sim_t *s, void *ctx) {
  const n_ctx_t *c = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, c->ch, &st);
  return st.transfers >= c->n;
}

static void external_eop_in(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  /* demand mode with autoinit on channel 3: EOP during transfer 10 of 32 ends the service
   * after it, sets TC in the status, reloads base address/count and leaves the channel
   * unmasked, so the device's next 6 requests start over at the base address */
  const unsigned k = 10, more = 6;
  chx_t x = {.ch = 3, .type = TYPE_WRITE, .mode = MODE_DEMAND, .autoinit = 1, .units = 32,
             .pa = 0x7012F0};
  sim_dmadev_cfg_t dc = dev_cfg(SIM_DREQ_COUNT);
  dc.count = k + more;
  dc.eop_after = k;
  arm(t, s, &x, dc, 700);
  unmask(t, s, 3);
  n_ctx_t c = {3, k + more};
  REQUIRE_OK(t, sim_wait_until(s, transfers_at_least, &c, 100000));
  REQUIRE_OK(t, sim_step(s, 2000));
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 3, &st);
  CHECK_EQ(t, st.transfers, k + more);
  CHECK_EQ(t, st.tc_count, 0);   /* EOP is not TC: EOP out stays quiet */
  CHECK(t, st.eop_cycle > 0, "the device drove EOP");
  /* two DACK periods: the second starts after the EOP-ended one */
  uint64_t end[32];
  REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 3, end, 32), k + more);
  CHECK(t, st.eop_cycle < end[k - 1], "EOP came during transfer %u", k);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS) & 0x0F, 1u << 3);
  CHECK_EQ(t, ctrl_read(t, s, SOC_CTRL_IRQ_STATUS) & SOC_CTRL_IRQ_STATUS_TC_MASK, 1u << 3);
  CHECK_EQ(t, sd_cur_addr(t, s, 3), (uint16_t)(x.pa + more));
  CHECK_EQ(t, sd_cur_count(t, s, 3), (uint16_t)(x.units - 1 - more));
  uint8_t now[32];
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), x.pa, now, 32), 0);
  CHECK(t, memcmp(now, x.dev + k, more) == 0, "after the reload: the base address again");
  CHECK(t, memcmp(now + more, x.dev + more, k - more) == 0, "the rest of the first part");
  CHECK(t, memcmp(now + k, x.mem0 + k, 32 - k) == 0, "nothing past the EOP");
  free_chx(&x);

  /* word channel, block mode, no autoinit: EOP during transfer 5 of 16 ends the block and
   * masks the channel; the device keeps requesting in vain. The transfer under EOP still
   * completes and counts */
  chx_t y = {.ch = 6, .type = TYPE_READ, .mode = MODE_BLOCK, .units = 16, .pa = 0x7220F0};
  sim_dmadev_cfg_t dy = dev_cfg(SIM_DREQ_ALWAYS);
  dy.eop_after = 5;
  arm(t, s, &y, dy, 701);
  unmask(t, s, 6);
  n_ctx_t c6 = {6, 5};
  REQUIRE_OK(t, sim_wait_until(s, transfers_at_least, &c6, 100000));
  REQUIRE_OK(t, sim_step(s, 3000));
  sim_dmadev_stats(s, 6, &st);
  CHECK_EQ(t, st.transfers, 5);
  CHECK_EQ(t, st.tc_count, 0);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA2_STATUS), (1u << 2) | (0x10u << 2));  /* TC, still asking */
  CHECK_EQ(t, sd_cur_addr(t, s, 6), (uint16_t)(chan_addr(6, y.pa) + 5));
  CHECK_EQ(t, sd_cur_count(t, s, 6), (uint16_t)(16 - 1 - 5));
  check_bytes(t, s, &y, 5);
  free_chx(&y);
}

static void eop_out_at_terminal_count(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  const unsigned d = 10;
  /* block, no autoinit: TC during S4 of the last transfer, one DMA clock; then masked */
  chx_t x = {.ch = 0, .type = TYPE_READ, .mode = MODE_BLOCK, .units = 12, .pa = 0x8000F8};
  arm(t, s, &x, dev_cfg(SIM_DREQ_ALWAYS), 800);
  unmask(t, s, 0);
  static const unsigned c0[1] = {0};
  wait_all_tc(t, s, c0, 1, 100000);
  REQUIRE_OK(t, sim_step(s, 2000));   /* still requesting: nothing more comes */
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 0, &st);
  uint64_t end[16];
  REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 0, end, 16), 12);
  CHECK_EQ(t, st.transfers, 12);
  CHECK_EQ(t, st.tc_count, 1);
  CHECK_EQ(t, st.tc_cycle, end[11] - d);   /* from the start of the last S4 */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS), 0x01 | 0x10);   /* TC, DREQ still up */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA1_STATUS), 0x10);          /* TC cleared by the read */
  CHECK_EQ(t, sd_cur_count(t, s, 0), 0xFFFF);
  check_bytes(t, s, &x, x.units);
  free_chx(&x);
  REQUIRE_OK(t, sim_dmadev_stop(s, 0));

  /* single mode with autoinit on word channel 5: a TC per pass, the pass restarts at the
   * base address; 3 passes of 4 words */
  chx_t y = {.ch = 5, .type = TYPE_WRITE, .mode = MODE_SINGLE, .autoinit = 1, .units = 4,
             .pa = 0x8100FC};
  uint8_t src[24];
  prng_t r;
  prng_seed(&r, test_seed(t), 801);
  prng_fill(&r, src, sizeof src);
  sim_dmadev_cfg_t dy = dev_cfg(SIM_DREQ_COUNT);
  dy.count = 12;
  arm(t, s, &y, dy, 802);
  dy.src = src;   /* re-arm with the longer source: 12 words */
  dy.src_len = sizeof src;
  REQUIRE_OK(t, sim_dmadev_config(s, 5, &dy));
  unmask(t, s, 5);
  n_ctx_t c = {5, 12};
  REQUIRE_OK(t, sim_wait_until(s, transfers_at_least, &c, 100000));
  REQUIRE_OK(t, sim_step(s, 1000));
  sim_dmadev_stats(s, 5, &st);
  CHECK_EQ(t, st.transfers, 12);
  CHECK_EQ(t, st.tc_count, 3);
  REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 5, end, 16), 12);
  CHECK_EQ(t, st.tc_cycle, end[11] - d);
  uint8_t now[8];
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), y.pa, now, 8), 0);
  CHECK(t, memcmp(now, src + 16, 8) == 0, "the third pass over the base address");
  CHECK_EQ(t, sd_cur_addr(t, s, 5), chan_addr(5, y.pa));   /* reloaded */
  CHECK_EQ(t, sd_cur_count(t, s, 5), 3);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA2_STATUS) & 0x0F, 1u << 1);
  free_chx(&y);
}

static void cascade_channel4(test_ctx_t *t) {
  sim_t *s = pr_sim(t);
  /* channel 4's own registers: a marker the cascade must never touch */
  sd_out(t, s, SYSDMA_DMA2_CLRFF, 0);
  sd_out(t, s, SYSDMA_DMA2_ADDR0, 0x34);
  sd_out(t, s, SYSDMA_DMA2_ADDR0, 0x12);
  sd_out(t, s, SYSDMA_DMA2_COUNT0, 0x78);
  sd_out(t, s, SYSDMA_DMA2_COUNT0, 0x56);
  /* channel 4 masked: controller 1's request reaches controller 2 (status bit 4) and waits */
  sd_out(t, s, SYSDMA_DMA2_SMASK, (uint8_t)(SYSDMA_DMA1_SMASK_SET_MASK | 0));
  chx_t x = {.ch = 2, .type = TYPE_READ, .mode = MODE_BLOCK, .units = 20, .pa = 0x9010F0};
  chx_t y = {.ch = 5, .type = TYPE_WRITE, .mode = MODE_SINGLE, .units = 6, .pa = 0x902000};
  arm(t, s, &x, dev_cfg(SIM_DREQ_ALWAYS), 900);
  arm(t, s, &y, dev_cfg(SIM_DREQ_ALWAYS), 901);
  unmask(t, s, 2);
  REQUIRE_OK(t, sim_step(s, 2000));
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 2, &st);
  CHECK_EQ(t, st.transfers, 0);
  /* channel 4 asks for controller 1; channel 5's device asks too, still masked */
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA2_STATUS), 0x30);
  /* channel 5 runs meanwhile, even though it ranks below channel 4 */
  unmask(t, s, 5);
  static const unsigned c5[1] = {5};
  wait_all_tc(t, s, c5, 1, 100000);
  sim_dmadev_stats(s, 2, &st);
  CHECK_EQ(t, st.transfers, 0);
  check_bytes(t, s, &y, y.units);
  free_chx(&y);
  REQUIRE_OK(t, sim_dmadev_stop(s, 5));

  /* rotating priority on controller 2 and a second channel 5 run waiting: the cascade,
   * once acknowledged, holds the bus for controller 1's whole block (DACK4 stays until
   * controller 1 drops HRQ) */
  sd_out(t, s, SYSDMA_DMA2_COMMAND, CMD_ROTATE);
  chx_t z = {.ch = 5, .type = TYPE_READ, .mode = MODE_SINGLE, .units = 4, .pa = 0x903000};
  arm(t, s, &z, dev_cfg(SIM_DREQ_ALWAYS), 902);
  unmask(t, s, 5);
  sd_out(t, s, SYSDMA_DMA2_SMASK, 0);   /* channel 4 unmasked */
  static const unsigned c25[2] = {2, 5};
  wait_all_tc(t, s, c25, 2, 200000);
  unsigned order[32];
  size_t n = service_order(s, c25, 2, order, 32);
  CHECK_EQ(t, n, 24);
  /* channel 5 may come first (it was being arbitrated) but never inside the block */
  size_t first2 = 0;
  while (first2 < n && order[first2] != 2) first2++;
  size_t run = 0;
  while (first2 + run < n && order[first2 + run] == 2) run++;
  CHECK_EQ(t, run, 20);
  check_bytes(t, s, &x, x.units);
  check_bytes(t, s, &z, z.units);
  sim_dmadev_stats(s, 2, &st);
  uint64_t end[20];
  REQUIRE_EQ(t, sim_dmadev_transfer_cycles(s, 2, end, 20), 20);
  CHECK_EQ(t, st.last_dack_cycle + 1, end[19]);
  CHECK_EQ(t, st.first_dack_cycle + 3 * 10, end[0]);
  /* the cascade channel's registers never moved, and it never reached TC */
  CHECK_EQ(t, sd_cur_addr(t, s, 4), 0x1234);
  CHECK_EQ(t, sd_cur_count(t, s, 4), 0x5678);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_DMA2_STATUS) & 0x01, 0);
  CHECK_EQ(t, ctrl_read(t, s, SOC_CTRL_IRQ_STATUS) & SOC_CTRL_IRQ_STATUS_TC_MASK,
           (1u << 2) | (1u << 5));
  free_chx(&x);
  free_chx(&z);
}

static const test_def_t sysdma_prio_tests[] = {
  {"fixed_priority_controller1", fixed_priority_controller1, 0, 2000000,
   "fixed priority: four channels requesting at once are served 0, 1, 2, 3"},
  {"cascade_ranks_at_channel4", cascade_ranks_at_channel4, 0, 2000000,
   "controller 1 as a group ranks at channel 4 of controller 2: above 5, 6, 7"},
  {"rotating_priority", rotating_priority, 0, 4000000,
   "rotating priority: the channel just served goes lowest (0123..., 1313, cascade 4/5/6)"},
  {"mem_to_mem_through_temp", mem_to_mem_through_temp, 0, 2000000,
   "memory-to-memory: ch 0 -> TEMP -> ch 1, 8 clocks a byte, address hold fills, Sw on latency"},
  {"dreq_low_dack_high_sense", dreq_low_dack_high_sense, 0, 2000000,
   "command bits 6/7: DREQ active low, DACK active high on both controllers; status REQ bits"},
  {"controller_disable_holds_off", controller_disable_holds_off, 0, 2000000,
   "command bit 2 holds off service until cleared (controller 2: the cascade too)"},
  {"external_eop_in", external_eop_in, 0, 2000000,
   "external EOP ends the service after the transfer, sets status TC, autoinits or masks"},
  {"eop_out_at_terminal_count", eop_out_at_terminal_count, 0, 2000000,
   "EOP out (dma_tc_o) in S4 of the transfer reaching TC, once per autoinit pass"},
  {"cascade_channel4", cascade_channel4, 0, 2000000,
   "channel 4 cascade: its mask holds controller 1 off, it holds a whole slave block"},
};
TEST_SUITE(sysdma_prio);
