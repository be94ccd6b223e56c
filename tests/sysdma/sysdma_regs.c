/* sysdma conformance, registers: every register of both 8237A controllers and the page
 * registers, as the Intel 8237A datasheet describes them (byte pointer flip-flop, write-only
 * registers, mode/request/mask/status/temporary, master clear) and as the PC/AT maps them
 * (controller 2 on even ports 0xC0-0xDE, page latches 0x80-0x8F). Behaviour that only shows
 * in a transfer (masks, mode) is observed through DMA devices on the pins. */
#include <stdlib.h>

#include "sysdma_util.h"

/* ---- reset and the byte pointer flip-flop --------------------------------------------- */

static void reset_values(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  for (unsigned ch = 0; ch < 8; ch++) {
    CHECK_EQ(t, sd_cur_addr(t, s, ch), 0);
    CHECK_EQ(t, sd_cur_count(t, s, ch), 0);
  }
  for (unsigned c = 0; c < 2; c++) {
    CHECK_EQ(t, sd_in(t, s, sd_ctrl[c].status), 0);
    CHECK_EQ(t, sd_in(t, s, sd_ctrl[c].temp), 0);
  }
  for (uint16_t p = 0x80; p <= 0x8F; p++) CHECK_EQ(t, sd_in(t, s, p), 0);
}

static void address_count_readback_all_channels(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  prng_t r;
  prng_seed(&r, test_seed(t), 1);
  uint16_t a[8], n[8];
  for (unsigned ch = 0; ch < 8; ch++) {
    a[ch] = (uint16_t)prng_next(&r);
    n[ch] = (uint16_t)prng_next(&r);
    sd_clrff(t, s, ch);
    sd_write16(t, s, sd_addr_port[ch], a[ch]);
    sd_write16(t, s, sd_count_port[ch], n[ch]);
  }
  /* read back after all are written: no channel's write reached another's register */
  for (unsigned ch = 0; ch < 8; ch++) {
    CHECK_EQ(t, sd_cur_addr(t, s, ch), a[ch]);
    CHECK_EQ(t, sd_cur_count(t, s, ch), n[ch]);
    /* reads do not disturb the value: a second reading agrees */
    CHECK_EQ(t, sd_cur_addr(t, s, ch), a[ch]);
  }
}

static void flipflop_toggles_on_each_access(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = 4 * c + 2;
    uint16_t ap = sd_addr_port[ch], cp = sd_count_port[ch];
    sd_clrff(t, s, ch);
    sd_write16(t, s, ap, 0xA1B2);
    sd_write16(t, s, cp, 0xC3D4);
    /* flip-flop at "low": a lone write goes to the low byte, the next to the high byte */
    sd_clrff(t, s, ch);
    sd_out(t, s, ap, 0x11);
    sd_out(t, s, ap, 0x22);
    CHECK_EQ(t, sd_cur_addr(t, s, ch), 0x2211);
    /* one write leaves the flip-flop at "high": a read now returns the high byte */
    sd_clrff(t, s, ch);
    sd_out(t, s, ap, 0x33);          /* low byte of the address */
    CHECK_EQ(t, sd_in(t, s, cp), 0xC3);   /* high byte of the count: one flip-flop for all */
    CHECK_EQ(t, sd_in(t, s, ap), 0x33);   /* and back to low */
    CHECK_EQ(t, sd_in(t, s, ap), 0x22);
    /* writes and reads alternate the same flip-flop */
    sd_clrff(t, s, ch);
    CHECK_EQ(t, sd_in(t, s, cp), 0xD4);   /* count low */
    sd_out(t, s, cp, 0x5E);               /* count high */
    CHECK_EQ(t, sd_in(t, s, ap), 0x33);   /* address low */
    sd_out(t, s, ap, 0x7F);               /* address high */
    CHECK_EQ(t, sd_cur_count(t, s, ch), 0x5ED4);
    CHECK_EQ(t, sd_cur_addr(t, s, ch), 0x7F33);
    /* clear flip-flop in the middle of a pair resets to the low byte */
    sd_clrff(t, s, ch);
    sd_out(t, s, ap, 0x44);
    sd_clrff(t, s, ch);
    sd_out(t, s, ap, 0x55);
    sd_out(t, s, ap, 0x66);
    CHECK_EQ(t, sd_cur_addr(t, s, ch), 0x6655);
  }
}

static void flipflop_per_controller(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_clrff(t, s, 1);
  sd_clrff(t, s, 5);
  sd_write16(t, s, sd_addr_port[1], 0x1234);
  sd_write16(t, s, sd_addr_port[5], 0x5678);
  /* controller 1's flip-flop at "high", controller 2's at "low" */
  sd_clrff(t, s, 1);
  sd_clrff(t, s, 5);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[1]), 0x34);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[5]), 0x78);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[1]), 0x12);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[5]), 0x56);
  /* clearing one controller's flip-flop leaves the other's */
  sd_clrff(t, s, 1);
  sd_clrff(t, s, 5);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[5]), 0x78);   /* controller 2 now "high" */
  sd_clrff(t, s, 1);                                  /* controller 1 only */
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[5]), 0x56);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[1]), 0x34);
}

/* ---- write-only registers and unmapped ports ------------------------------------------ */

static void write_only_registers_read_ff(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  for (unsigned c = 0; c < 2; c++) {
    const sd_ctrl_ports_t *p = &sd_ctrl[c];
    const uint16_t wo[] = {p->request, p->smask, p->mode, p->clrff, p->clrmask, p->wrmask};
    unsigned ch = 4 * c + 3;
    sd_clrff(t, s, ch);
    sd_write16(t, s, sd_addr_port[ch], 0x9ABC);
    sd_clrff(t, s, ch);
    sd_out(t, s, sd_addr_port[ch], 0xBC);   /* flip-flop now "high" */
    for (size_t i = 0; i < sizeof wo / sizeof wo[0]; i++) {
      uint8_t v = 0;
      CHECK_EQ(t, sim_inb(s, wo[i], &v), SIM_OK);
      CHECK_EQ(t, v, 0xFF);
    }
    /* none of those reads acted as a write: the flip-flop (even through the clear flip-flop
     * port) and the address stay as they were */
    CHECK_EQ(t, sd_in(t, s, sd_addr_port[ch]), 0x9A);
    CHECK_EQ(t, sd_cur_addr(t, s, ch), 0x9ABC);
  }
  CHECK_EQ(t, sim_error_count(s), 0);
}

static void unmapped_ports_answer_slverr(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  /* state to watch: an address, a count, a flip-flop at "high", page latches */
  sd_clrff(t, s, 5);
  sd_write16(t, s, sd_addr_port[5], 0x2468);
  sd_write16(t, s, sd_count_port[6], 0x1357);
  sd_clrff(t, s, 1);
  sd_write16(t, s, sd_addr_port[1], 0xACE0);
  sd_out(t, s, sd_addr_port[1], 0x0F);   /* controller 1 flip-flop now "high" */
  sd_out(t, s, sd_addr_port[6], 0x99);   /* controller 2 flip-flop now "high" */
  for (uint16_t p = 0x80; p <= 0x8F; p++) sd_out(t, s, p, (uint8_t)(p ^ 0xA5));
  uint16_t bad[64];
  size_t nb = 0;
  for (uint16_t p = 0xC1; p <= 0xDF; p += 2) bad[nb++] = p;   /* odd ports of controller 2 */
  const uint16_t other[] = {0x10, 0x1F, 0x20, 0x40, 0x60, 0x7F, 0x90, 0x9F, 0xA0, 0xBF, 0xE0,
                            0xE1, 0xFF, 0x100, 0x180, 0x3F0, 0x480, 0x48B, 0x4D6, 0xFFFF};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) bad[nb++] = other[i];
  for (size_t i = 0; i < nb; i++) {
    uint8_t v = 0x77;
    CHECK(t, sim_outb(s, bad[i], 0x00) == SIM_E_SLVERR, "write to port 0x%x: no PSLVERR", bad[i]);
    CHECK(t, sim_outb(s, bad[i], 0xFF) == SIM_E_SLVERR, "write to port 0x%x: no PSLVERR", bad[i]);
    CHECK(t, sim_inb(s, bad[i], &v) == SIM_E_SLVERR, "read of port 0x%x: no PSLVERR", bad[i]);
  }
  /* nothing changed: both flip-flops still "high" (the odd ports next to controller 2's
   * clear flip-flop and master clear ports did not act), addresses and counts kept */
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[1]), 0xAC);
  CHECK_EQ(t, sd_cur_addr(t, s, 1), 0xAC0F);
  CHECK_EQ(t, sd_in(t, s, sd_addr_port[6]), 0x00);
  CHECK_EQ(t, sd_cur_addr(t, s, 6), 0x0099);
  CHECK_EQ(t, sd_cur_addr(t, s, 5), 0x2468);
  CHECK_EQ(t, sd_cur_count(t, s, 6), 0x1357);
  for (uint16_t p = 0x80; p <= 0x8F; p++) CHECK_EQ(t, sd_in(t, s, p), p ^ 0xA5);
  CHECK_EQ(t, sd_status(t, s, 0), 0);
  CHECK_EQ(t, sd_status(t, s, 4), 0);
  CHECK_EQ(t, sim_error_count(s), 0);   /* PSLVERR is a bus answer, not a harness error */
}

/* ---- page registers ------------------------------------------------------------------- */

static void page_registers_all_latches(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  prng_t r;
  prng_seed(&r, test_seed(t), 2);
  uint8_t v[16];
  for (unsigned round = 0; round < 3; round++) {
    for (unsigned i = 0; i < 16; i++) {
      v[i] = (uint8_t)prng_next(&r);
      sd_out(t, s, (uint16_t)(0x80 + i), v[i]);
    }
    for (unsigned i = 0; i < 16; i++) CHECK_EQ(t, sd_in(t, s, (uint16_t)(0x80 + i)), v[i]);
  }
  /* the channels' page registers are the datasheet/PC AT ports */
  const uint16_t want[8] = {0x87, 0x83, 0x81, 0x82, 0x8F, 0x8B, 0x89, 0x8A};
  for (unsigned ch = 0; ch < 8; ch++) CHECK_EQ(t, sd_page_port[ch], want[ch]);
  /* page latches are not behind the controllers' flip-flops */
  sd_clrff(t, s, 0);
  sd_write16(t, s, sd_addr_port[0], 0x4321);
  sd_clrff(t, s, 0);
  sd_out(t, s, sd_addr_port[0], 0x21);
  sd_out(t, s, SYSDMA_PAGE0, 0x3C);
  sd_out(t, s, sd_addr_port[0], 0x43);
  CHECK_EQ(t, sd_cur_addr(t, s, 0), 0x4321);
  CHECK_EQ(t, sd_in(t, s, SYSDMA_PAGE0), 0x3C);
}

/* ---- mode, request, masks, status ----------------------------------------------------- */

/* Program every data channel of a controller with its own transfer type and direction, two
 * transfers each, then run them one after another: each follows its own mode register. */
static void mode_register_per_channel(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[7] = {0, 1, 2, 3, 5, 6, 7};
  const unsigned types[7] = {SD_READ, SD_WRITE, SD_VERIFY, SD_READ, SD_WRITE, SD_READ, SD_VERIFY};
  const int decs[7] = {0, 1, 0, 1, 0, 1, 1};
  uint8_t mem[7][4], src[7][4], sink[7][4];
  for (unsigned i = 0; i < 7; i++) {
    unsigned ch = chans[i];
    uint64_t pa = 0x200000u + 0x20000u * i + 0x100u;   /* even: fine for word channels */
    uint16_t addr = (uint16_t)((pa & (ch < 4 ? 0xFFFFu : 0x1FFFFu)) >> (ch < 4 ? 0 : 1));
    sd_seed_mem(t, s, pa - 4, mem[i], 4, 10 + i);      /* the range either direction can hit */
    sd_seed_buf(t, src[i], 4, 20 + i);
    memset(sink[i], 0, 4);
    sd_program(t, s, ch, sd_mode_byte(ch, types[i], 0, decs[i], SD_SINGLE), addr,
               (uint8_t)(pa >> 16), (uint16_t)(2 / sd_width(ch) - 1));
  }
  for (unsigned i = 0; i < 7; i++) {
    unsigned ch = chans[i];
    uint64_t pa = 0x200000u + 0x20000u * i + 0x100u;
    unsigned w = sd_width(ch), n = 2 / w;
    sd_arm(t, s, ch, SIM_DREQ_ALWAYS, 0, src[i], sink[i], 4);
    sd_unmask(t, s, ch);
    sd_wait_tc(t, s, ch, 1, 20000);
    REQUIRE_OK(t, sim_dmadev_stop(s, ch));
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.transfers, n);
    CHECK_EQ(t, st.bytes_out, types[i] == SD_READ ? 2u : 0u);
    CHECK_EQ(t, st.bytes_in, types[i] == SD_WRITE ? 2u : 0u);
    uint8_t back[4];
    REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa - 4, back, 4), 0);
    uint8_t around[8];
    REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa - 4, around, 8), 0);
    /* the address runs in the channel's direction */
    uint16_t a0 = (uint16_t)((pa & (w == 1 ? 0xFFFFu : 0x1FFFFu)) >> (w - 1));
    CHECK_EQ(t, sd_cur_addr(t, s, ch), (uint16_t)(decs[i] ? a0 - n : a0 + n));
    if (types[i] == SD_READ) {
      /* memory -> device: the device got the bytes at the programmed address */
      uint8_t want[2];
      REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, want, 2), 0);
      if (w == 1 && decs[i]) {
        REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa - 1, want + 1, 1), 0);
        REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, want, 1), 0);
      }
      CHECK(t, memcmp(sink[i], want, 2) == 0, "channel %u: device data", ch);
    } else if (types[i] == SD_WRITE) {
      uint8_t got[2];
      if (w == 1 && decs[i]) {
        REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, got, 1), 0);
        REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa - 1, got + 1, 1), 0);
      } else {
        REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, got, 2), 0);
      }
      CHECK(t, memcmp(got, src[i], 2) == 0, "channel %u: memory data", ch);
    } else {
      CHECK(t, memcmp(back, mem[i], 4) == 0, "channel %u: verify moved data", ch);
    }
  }
}

static void request_register_sets_status_req(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[7] = {0, 1, 2, 3, 5, 6, 7};
  for (unsigned i = 0; i < 7; i++) {
    unsigned ch = chans[i], c = sd_ctl(ch);
    /* block mode (where software requests are honoured), controller disabled so that the
     * request stays pending */
    sd_program(t, s, ch, sd_mode_byte(ch, SD_VERIFY, 0, 0, SD_BLOCK), 0x1000, 0x10, 3);
    sd_out(t, s, sd_ctrl[c].command, SYSDMA_DMA1_COMMAND_DISABLE_MASK);
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_REQ_MASK, 0);
    sd_out(t, s, sd_ctrl[c].request, sd_request_byte(ch, 1));
    uint8_t st = sd_status(t, s, ch);
    CHECK_EQ(t, st & SYSDMA_DMA1_STATUS_REQ_MASK, 1u << (4 + sd_sel(ch)));
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_REQ_MASK, 1u << (4 + sd_sel(ch)));
    sd_out(t, s, sd_ctrl[c].request, sd_request_byte(ch, 0));
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_REQ_MASK, 0);
    sd_out(t, s, sd_ctrl[c].command, 0);
    /* nothing ran while disabled */
    CHECK_EQ(t, sd_cur_count(t, s, ch), 3);
  }
}

static void status_req_follows_dreq(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[7] = {0, 1, 2, 3, 5, 6, 7};
  for (unsigned i = 0; i < 7; i++) {
    unsigned ch = chans[i];
    /* the channel stays masked: its DREQ shows in the status but is never serviced */
    sd_arm(t, s, ch, SIM_DREQ_ALWAYS, 0, NULL, NULL, 0);
    REQUIRE_OK(t, sim_step(s, 30));
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_REQ_MASK, 1u << (4 + sd_sel(ch)));
    REQUIRE_OK(t, sim_dmadev_stop(s, ch));
    REQUIRE_OK(t, sim_step(s, 30));
    CHECK_EQ(t, sd_status(t, s, ch) & SYSDMA_DMA1_STATUS_REQ_MASK, 0);
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, ch, &st);
    CHECK_EQ(t, st.first_dack_cycle, 0);
  }
}

/* A 4-transfer memory -> device job on ch with seeded memory, left masked. */
typedef struct small_job {
  unsigned ch;
  uint64_t pa;
  uint8_t mem[8], sink[8];
} small_job_t;

static void small_job_program(test_ctx_t *t, sim_t *s, small_job_t *j, unsigned ch) {
  j->ch = ch;
  j->pa = 0x300000u + 0x20000u * ch + 0x40u;
  unsigned w = sd_width(ch);
  sd_seed_mem(t, s, j->pa, j->mem, 4 * w, 40 + ch);
  memset(j->sink, 0, sizeof j->sink);
  uint16_t addr = (uint16_t)((j->pa & (w == 1 ? 0xFFFFu : 0x1FFFFu)) >> (w - 1));
  sd_program(t, s, ch, sd_mode_byte(ch, SD_READ, 0, 0, SD_SINGLE), addr, (uint8_t)(j->pa >> 16),
             3);
  sd_arm(t, s, ch, SIM_DREQ_ALWAYS, 0, NULL, j->sink, 4 * w);
}

static uint64_t small_job_transfers(sim_t *s, const small_job_t *j) {
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, j->ch, &st);
  return st.transfers;
}

static void small_job_check_done(test_ctx_t *t, sim_t *s, const small_job_t *j) {
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, j->ch, &st);
  CHECK_EQ(t, st.transfers, 4);
  CHECK_EQ(t, st.tc_count, 1);
  CHECK(t, memcmp(j->sink, j->mem, 4 * sd_width(j->ch)) == 0, "channel %u: data", j->ch);
}

static void single_mask_set_and_clear(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  const unsigned chans[7] = {0, 1, 2, 3, 5, 6, 7};
  for (unsigned i = 0; i < 7; i++) {
    small_job_t j;
    small_job_program(t, s, &j, chans[i]);
    REQUIRE_OK(t, sim_step(s, 3000));   /* masked: DREQ waits */
    CHECK_EQ(t, small_job_transfers(s, &j), 0);
    sd_unmask(t, s, j.ch);
    sd_wait_tc(t, s, j.ch, 1, 20000);
    small_job_check_done(t, s, &j);
    /* TC without autoinitialize set the mask bit: DREQ again does nothing */
    REQUIRE_OK(t, sim_step(s, 3000));
    CHECK_EQ(t, small_job_transfers(s, &j), 4);
    REQUIRE_OK(t, sim_dmadev_stop(s, j.ch));
  }
}

static void single_mask_stops_running_channel(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  enum { N = 64 };
  uint8_t mem[N], sink[N];
  uint64_t pa = 0x123400;
  sd_seed_mem(t, s, pa, mem, N, 50);
  memset(sink, 0, sizeof sink);
  sd_program(t, s, 2, sd_mode_byte(2, SD_READ, 0, 0, SD_SINGLE), (uint16_t)pa,
             (uint8_t)(pa >> 16), N - 1);
  sd_arm(t, s, 2, SIM_DREQ_ALWAYS, 0, NULL, sink, N);
  sd_unmask(t, s, 2);
  REQUIRE_OK(t, sim_step(s, 1500));
  sd_mask(t, s, 2);
  REQUIRE_OK(t, sim_step(s, 200));   /* a transfer under way completes */
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, 2, &st);
  uint64_t n = st.transfers;
  CHECK(t, n > 0 && n < N, "%llu transfers before the mask", (unsigned long long)n);
  REQUIRE_OK(t, sim_step(s, 3000));
  sim_dmadev_stats(s, 2, &st);
  CHECK_EQ(t, st.transfers, n);
  CHECK_EQ(t, sd_cur_count(t, s, 2), N - 1 - n);
  CHECK_EQ(t, sd_cur_addr(t, s, 2), (uint16_t)(pa + n));
  sd_unmask(t, s, 2);
  sd_wait_tc(t, s, 2, 1, 50000);
  sim_dmadev_stats(s, 2, &st);
  CHECK_EQ(t, st.transfers, N);
  CHECK(t, memcmp(sink, mem, N) == 0, "data across the pause");
}

static void clear_mask_register_unmasks_all(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  small_job_t j[7];
  const unsigned chans[7] = {0, 1, 2, 3, 5, 6, 7};
  for (unsigned i = 0; i < 7; i++) small_job_program(t, s, &j[i], chans[i]);
  REQUIRE_OK(t, sim_step(s, 3000));
  for (unsigned i = 0; i < 7; i++) CHECK_EQ(t, small_job_transfers(s, &j[i]), 0);
  /* controller 1 only: controller 2's channels stay masked */
  sd_out(t, s, sd_ctrl[0].clrmask, 0x5A);
  for (unsigned i = 0; i < 4; i++) sd_wait_tc(t, s, chans[i], 1, 40000);
  REQUIRE_OK(t, sim_step(s, 2000));
  for (unsigned i = 0; i < 4; i++) small_job_check_done(t, s, &j[i]);
  for (unsigned i = 4; i < 7; i++) CHECK_EQ(t, small_job_transfers(s, &j[i]), 0);
  sd_out(t, s, sd_ctrl[1].clrmask, 0x00);
  for (unsigned i = 4; i < 7; i++) sd_wait_tc(t, s, chans[i], 1, 40000);
  for (unsigned i = 4; i < 7; i++) small_job_check_done(t, s, &j[i]);
}

static void write_all_mask_register(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  small_job_t j[7];
  const unsigned chans[7] = {0, 1, 2, 3, 5, 6, 7};
  for (unsigned i = 0; i < 7; i++) small_job_program(t, s, &j[i], chans[i]);
  /* every data channel clear in turn, the others set (channel 4, the cascade, kept clear) */
  for (unsigned i = 0; i < 7; i++) {
    unsigned ch = chans[i], c = sd_ctl(ch);
    uint8_t m = (uint8_t)(0x0Fu & ~(1u << sd_sel(ch)));
    sd_out(t, s, sd_ctrl[0].wrmask, c == 0 ? m : 0x0F);
    sd_out(t, s, sd_ctrl[1].wrmask, c == 1 ? (uint8_t)(m & 0x0Eu) : 0x0E);
    sd_wait_tc(t, s, ch, 1, 40000);
    REQUIRE_OK(t, sim_step(s, 1000));
    for (unsigned k = 0; k < 7; k++)
      CHECK_EQ(t, small_job_transfers(s, &j[k]), k <= i ? 4u : 0u);
    small_job_check_done(t, s, &j[i]);
  }
  /* writing 1s masks: with controller 2's cascade masked, controller 1 is cut off */
  for (unsigned i = 0; i < 7; i++) REQUIRE_OK(t, sim_dmadev_stop(s, chans[i]));
  small_job_t k;
  small_job_program(t, s, &k, 3);
  sd_out(t, s, sd_ctrl[0].wrmask, 0x07);
  sd_out(t, s, sd_ctrl[1].wrmask, 0x0F);
  REQUIRE_OK(t, sim_step(s, 3000));
  CHECK_EQ(t, small_job_transfers(s, &k), 0);
  sd_out(t, s, sd_ctrl[1].wrmask, 0x0E);
  sd_wait_tc(t, s, 3, 1, 40000);
  small_job_check_done(t, s, &k);
}

/* run one 4-transfer job on ch to TC (used to set TC bits) */
static void run_small_job(test_ctx_t *t, sim_t *s, unsigned ch) {
  small_job_t j;
  small_job_program(t, s, &j, ch);
  sd_unmask(t, s, ch);
  sd_wait_tc(t, s, ch, 1, 40000);
  REQUIRE_OK(t, sim_dmadev_stop(s, ch));
  small_job_check_done(t, s, &j);
}

static void status_tc_set_and_cleared_by_read(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  run_small_job(t, s, 1);
  run_small_job(t, s, 3);
  run_small_job(t, s, 6);
  CHECK_EQ(t, sd_status(t, s, 0), 0x0A);    /* TC1, TC3; no requests */
  CHECK_EQ(t, sd_status(t, s, 0), 0x00);    /* cleared by the read */
  CHECK_EQ(t, sd_status(t, s, 4), 0x04);    /* TC of channel 6 = controller 2 bit 2 */
  CHECK_EQ(t, sd_status(t, s, 4), 0x00);
  /* a request bit survives the read that clears TC */
  run_small_job(t, s, 0);
  sd_out(t, s, sd_ctrl[0].command, SYSDMA_DMA1_COMMAND_DISABLE_MASK);   /* keep it pending */
  sd_out(t, s, sd_ctrl[0].mode, sd_mode_byte(2, SD_VERIFY, 0, 0, SD_BLOCK));
  sd_out(t, s, sd_ctrl[0].request, sd_request_byte(2, 1));
  CHECK_EQ(t, sd_status(t, s, 0), 0x41);
  CHECK_EQ(t, sd_status(t, s, 0), 0x40);
  sd_out(t, s, sd_ctrl[0].request, sd_request_byte(2, 0));
  sd_out(t, s, sd_ctrl[0].command, 0);
}

static void master_clear_acts_as_reset(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  /* controller 1 first (it needs controller 2's cascade channel), then controller 2 */
  for (unsigned c = 0; c < 2; c++) {
    unsigned base = 4 * c, ch = base + 1;
    const sd_ctrl_ports_t *p = &sd_ctrl[c];
    run_small_job(t, s, ch);                            /* TC1 */
    /* DREQ sense active low: every idle pin (low) requests; disabled, so none starts */
    sd_out(t, s, p->command,
           SYSDMA_DMA1_COMMAND_DREQLOW_MASK | SYSDMA_DMA1_COMMAND_DISABLE_MASK);
    sd_out(t, s, p->wrmask, 0x00);
    REQUIRE_OK(t, sim_step(s, 100));
    CHECK_EQ(t, sd_in(t, s, p->status), 0xF2);          /* REQ3-0, TC1; the read clears TC */
    sd_out(t, s, p->command, 0);
    run_small_job(t, s, ch);                            /* TC1 again */
    /* a programmed, requesting channel for after the master clear */
    small_job_t j;
    small_job_program(t, s, &j, base + 3);
    /* state to clear: TC bit, request bit, flip-flop at "high", every mask clear, command */
    sd_out(t, s, p->command,
           SYSDMA_DMA1_COMMAND_DREQLOW_MASK | SYSDMA_DMA1_COMMAND_DISABLE_MASK);
    sd_out(t, s, p->mode, sd_mode_byte(base + 2, SD_VERIFY, 0, 0, SD_BLOCK));
    sd_out(t, s, p->request, sd_request_byte(base + 2, 1));
    sd_out(t, s, p->wrmask, 0x00);
    uint16_t a = sd_cur_addr(t, s, ch);
    sd_out(t, s, sd_addr_port[ch], (uint8_t)a);         /* flip-flop now "high" */

    sd_out(t, s, p->mclr, 0xA5);                        /* data ignored */

    /* TC and request bits cleared; command cleared: DREQ sense active high again, so only
     * the armed device of channel 3 requests */
    CHECK_EQ(t, sd_in(t, s, p->status), 0x80);
    /* flip-flop cleared: the next read is the low byte */
    CHECK_EQ(t, sd_in(t, s, sd_addr_port[ch]), a & 0xFFu);
    CHECK_EQ(t, sd_in(t, s, sd_addr_port[ch]), a >> 8);
    /* every mask set: the requesting channel waits */
    REQUIRE_OK(t, sim_step(s, 3000));
    CHECK_EQ(t, small_job_transfers(s, &j), 0);
    /* command cleared: the controller is enabled again (mode, address and count survive:
     * the datasheet does not list them among the registers master clear resets) */
    sd_out(t, s, p->clrmask, 0);
    sd_wait_tc(t, s, base + 3, 1, 40000);
    small_job_check_done(t, s, &j);
    REQUIRE_OK(t, sim_dmadev_stop(s, base + 3));
    if (c == 0) {
      /* controller 2 still works for controller 1's cascade; leave controller 1 set up */
      sd_out(t, s, p->wrmask, 0x0F);
    }
  }
}

/* ---- temporary register --------------------------------------------------------------- */

static void temp_register_after_mem2mem(test_ctx_t *t) {
  sim_t *s = sd_sim(t);
  sd_init(t, s);
  enum { N = 24 };
  uint8_t src[N], dst0[N], back[N];
  uint64_t spa = 0x450100, dpa = 0x460200;
  sd_seed_mem(t, s, spa, src, N, 60);
  sd_seed_mem(t, s, dpa, dst0, N, 61);
  sd_program(t, s, 0, sd_mode_byte(0, SD_READ, 0, 0, SD_BLOCK), (uint16_t)spa,
             (uint8_t)(spa >> 16), N - 1);
  sd_program(t, s, 1, sd_mode_byte(1, SD_WRITE, 0, 0, SD_BLOCK), (uint16_t)dpa,
             (uint8_t)(dpa >> 16), N - 1);
  sd_out(t, s, sd_ctrl[0].command, SYSDMA_DMA1_COMMAND_MEM2MEM_MASK);
  sd_out(t, s, sd_ctrl[0].request, sd_request_byte(0, 1));
  uint8_t st = 0;
  for (unsigned i = 0; i < 400 && !(st & 0x02u); i++) {
    REQUIRE_OK(t, sim_step(s, 100));
    st = sd_status(t, s, 0);
  }
  REQUIRE(t, st & 0x02u, "memory-to-memory never reached TC on channel 1 (status 0x%02x)", st);
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), dpa, back, N), 0);
  CHECK(t, memcmp(back, src, N) == 0, "memory-to-memory copy");
  CHECK_EQ(t, sd_in(t, s, sd_ctrl[0].temp), src[N - 1]);
  /* master clear clears it */
  sd_out(t, s, sd_ctrl[0].mclr, 0);
  CHECK_EQ(t, sd_in(t, s, sd_ctrl[0].temp), 0);
}

static const test_def_t sysdma_regs_tests[] = {
    {"reset_values", reset_values, 0, 20000,
     "after reset every address/count reads 0, status and temporary 0, page latches 0"},
    {"address_count_readback_all_channels", address_count_readback_all_channels, TEST_F_RANDOM,
     50000, "seeded base/current address and count of channels 0-7 written and read back low/high"},
    {"flipflop_toggles_on_each_access", flipflop_toggles_on_each_access, 0, 50000,
     "one byte pointer flip-flop per controller, toggled by every address/count read or write, reset by clear flip-flop"},
    {"flipflop_per_controller", flipflop_per_controller, 0, 20000,
     "each controller has its own flip-flop and clear flip-flop port"},
    {"write_only_registers_read_ff", write_only_registers_read_ff, 0, 20000,
     "request/mask/mode/clear/all-mask ports read 0xFF without error and without side effects"},
    {"unmapped_ports_answer_slverr", unmapped_ports_answer_slverr, 0, 100000,
     "odd ports 0xC1-0xDF and ports with no register answer PSLVERR on read and write; no state changes"},
    {"page_registers_all_latches", page_registers_all_latches, TEST_F_RANDOM, 20000,
     "all 16 page latches 0x80-0x8F (channels and spares) hold seeded values; independent of the flip-flop"},
    {"mode_register_per_channel", mode_register_per_channel, TEST_F_RANDOM, 200000,
     "each channel follows its own mode register: transfer type and address direction"},
    {"request_register_sets_status_req", request_register_sets_status_req, 0, 50000,
     "request register set/clear of every channel (block mode, controller disabled) shows in the status REQ bits"},
    {"status_req_follows_dreq", status_req_follows_dreq, 0, 50000,
     "status REQ bit n follows DREQn of a masked channel, which is never acknowledged"},
    {"single_mask_set_and_clear", single_mask_set_and_clear, TEST_F_RANDOM, 300000,
     "a masked channel waits; clearing its single mask bit starts it; TC sets the mask again"},
    {"single_mask_stops_running_channel", single_mask_stops_running_channel, TEST_F_RANDOM,
     100000, "setting the mask bit of a running single-mode channel stops it; clearing resumes"},
    {"clear_mask_register_unmasks_all", clear_mask_register_unmasks_all, TEST_F_RANDOM, 300000,
     "the clear mask register unmasks all four channels of its controller only"},
    {"write_all_mask_register", write_all_mask_register, TEST_F_RANDOM, 400000,
     "write all mask bits: only the channels written 0 are serviced; masking channel 4 cuts off controller 1"},
    {"status_tc_set_and_cleared_by_read", status_tc_set_and_cleared_by_read, TEST_F_RANDOM,
     300000, "status TC bits set at terminal count, cleared by the status read; REQ bits kept"},
    {"master_clear_acts_as_reset", master_clear_acts_as_reset, TEST_F_RANDOM, 300000,
     "master clear: command, status, request, flip-flop cleared, all masks set"},
    {"temp_register_after_mem2mem", temp_register_after_mem2mem, TEST_F_RANDOM, 100000,
     "temporary register holds the last byte of a memory-to-memory copy; master clear clears it"},
};
TEST_SUITE(sysdma_regs);
