/* Small helpers shared by the sysdma conformance suites (tests/sysdma/). Every register access
 * is a real I/O port access through the APB window; port numbers and fields come from the
 * generated header sysdma_regs.h (rtl/sysdma/data/sysdma.regs). A failed port access ends the
 * test (REQUIRE), so a test body reads as the register sequence of the datasheet. */
#ifndef HBASIM_SYSDMA_UTIL_H
#define HBASIM_SYSDMA_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"
#include "prng.h"
#include "sim.h"
#include "sysdma_regs.h"
#include "test.h"

/* ---- ports ---------------------------------------------------------------------------- */

/* The per-controller registers: index 0 = controller 1 (channels 0-3), 1 = controller 2. */
typedef struct sd_ctrl_ports {
  uint16_t status, command, request, smask, mode, clrff, temp, mclr, clrmask, wrmask;
} sd_ctrl_ports_t;

static const sd_ctrl_ports_t sd_ctrl[2] = {
    {SYSDMA_DMA1_STATUS, SYSDMA_DMA1_COMMAND, SYSDMA_DMA1_REQUEST, SYSDMA_DMA1_SMASK,
     SYSDMA_DMA1_MODE, SYSDMA_DMA1_CLRFF, SYSDMA_DMA1_TEMP, SYSDMA_DMA1_MCLR,
     SYSDMA_DMA1_CLRMASK, SYSDMA_DMA1_WRMASK},
    {SYSDMA_DMA2_STATUS, SYSDMA_DMA2_COMMAND, SYSDMA_DMA2_REQUEST, SYSDMA_DMA2_SMASK,
     SYSDMA_DMA2_MODE, SYSDMA_DMA2_CLRFF, SYSDMA_DMA2_TEMP, SYSDMA_DMA2_MCLR,
     SYSDMA_DMA2_CLRMASK, SYSDMA_DMA2_WRMASK},
};

/* address / count / page port of channel 0-7 (channel 4's page latch is PAGE4 at 0x8F) */
static const uint16_t sd_addr_port[8] = {SYSDMA_DMA1_ADDR0, SYSDMA_DMA1_ADDR1, SYSDMA_DMA1_ADDR2,
                                         SYSDMA_DMA1_ADDR3, SYSDMA_DMA2_ADDR0, SYSDMA_DMA2_ADDR1,
                                         SYSDMA_DMA2_ADDR2, SYSDMA_DMA2_ADDR3};
static const uint16_t sd_count_port[8] = {
    SYSDMA_DMA1_COUNT0, SYSDMA_DMA1_COUNT1, SYSDMA_DMA1_COUNT2, SYSDMA_DMA1_COUNT3,
    SYSDMA_DMA2_COUNT0, SYSDMA_DMA2_COUNT1, SYSDMA_DMA2_COUNT2, SYSDMA_DMA2_COUNT3};
static const uint16_t sd_page_port[8] = {SYSDMA_PAGE0, SYSDMA_PAGE1, SYSDMA_PAGE2, SYSDMA_PAGE3,
                                         SYSDMA_PAGE4, SYSDMA_PAGE5, SYSDMA_PAGE6, SYSDMA_PAGE7};

/* controller (0/1) and channel bits (0-3) of channel 0-7 */
static inline unsigned sd_ctl(unsigned ch) { return ch >> 2; }
static inline unsigned sd_sel(unsigned ch) { return ch & 3u; }
/* bytes per transfer of channel 0-7 */
static inline unsigned sd_width(unsigned ch) { return ch < 4 ? 1u : 2u; }
/* the port of register offset `off` (controller 1's offsets 0-15) of the controller owning ch */
static inline uint16_t sd_reg_port(unsigned ch, unsigned off) {
  return ch < 4 ? (uint16_t)off : (uint16_t)(SYSDMA_DMA2_ADDR0 + 2 * off);
}
/* the first DMA clock edge after edge u, given one edge `phase` known to be a DMA clock edge
 * and the divider d */
static inline uint64_t sd_next_dma_edge(uint64_t u, uint64_t phase, unsigned d) {
  uint64_t e = phase;
  while (e <= u) e += d;
  while (e > u + d) e -= d;
  return e;
}

/* ---- register fields ------------------------------------------------------------------ */

enum { SD_VERIFY = SYSDMA_DMA1_MODE_TYPE_VERIFY, SD_WRITE = SYSDMA_DMA1_MODE_TYPE_WRITE,
       SD_READ = SYSDMA_DMA1_MODE_TYPE_READ };
enum { SD_DEMAND = SYSDMA_DMA1_MODE_MODE_DEMAND, SD_SINGLE = SYSDMA_DMA1_MODE_MODE_SINGLE,
       SD_BLOCK = SYSDMA_DMA1_MODE_MODE_BLOCK, SD_CASCADE = SYSDMA_DMA1_MODE_MODE_CASCADE };

/* mode register byte: channel bits of ch, transfer type, autoinit, decrement, request mode */
static inline uint8_t sd_mode_byte(unsigned ch, unsigned type, int autoinit, int dec,
                                   unsigned mode) {
  return (uint8_t)(((sd_sel(ch) << SYSDMA_DMA1_MODE_SEL_SHIFT) & SYSDMA_DMA1_MODE_SEL_MASK) |
                   ((type << SYSDMA_DMA1_MODE_TYPE_SHIFT) & SYSDMA_DMA1_MODE_TYPE_MASK) |
                   (autoinit ? SYSDMA_DMA1_MODE_AUTOINIT_MASK : 0u) |
                   (dec ? SYSDMA_DMA1_MODE_DEC_MASK : 0u) |
                   ((mode << SYSDMA_DMA1_MODE_MODE_SHIFT) & SYSDMA_DMA1_MODE_MODE_MASK));
}
/* single mask / request register byte: channel bits of ch and the set bit */
static inline uint8_t sd_smask_byte(unsigned ch, int set) {
  return (uint8_t)((sd_sel(ch) << SYSDMA_DMA1_SMASK_SEL_SHIFT) |
                   (set ? SYSDMA_DMA1_SMASK_SET_MASK : 0u));
}
static inline uint8_t sd_request_byte(unsigned ch, int set) {
  return (uint8_t)((sd_sel(ch) << SYSDMA_DMA1_REQUEST_SEL_SHIFT) |
                   (set ? SYSDMA_DMA1_REQUEST_SET_MASK : 0u));
}

/* ---- sim and port access -------------------------------------------------------------- */

/* A new sim (seeded by the test, defaults otherwise) after a 4-cycle reset. */
static inline sim_t *sd_sim(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(s, 4));
  return s;
}

/* One port write / read; any bus error ends the test. */
static inline void sd_out(test_ctx_t *t, sim_t *s, uint16_t port, uint8_t v) {
  REQUIRE(t, sim_outb(s, port, v) == SIM_OK, "outb 0x%02x <- 0x%02x failed", port, v);
}
static inline uint8_t sd_in(test_ctx_t *t, sim_t *s, uint16_t port) {
  uint8_t v = 0;
  REQUIRE(t, sim_inb(s, port, &v) == SIM_OK, "inb 0x%02x failed", port);
  return v;
}

/* Clear the byte pointer flip-flop of the controller owning channel ch. */
static inline void sd_clrff(test_ctx_t *t, sim_t *s, unsigned ch) {
  sd_out(t, s, sd_ctrl[sd_ctl(ch)].clrff, 0);
}
/* 16-bit write / read through the flip-flop: low byte then high byte (no clear first). */
static inline void sd_write16(test_ctx_t *t, sim_t *s, uint16_t port, uint16_t v) {
  sd_out(t, s, port, (uint8_t)v);
  sd_out(t, s, port, (uint8_t)(v >> 8));
}
static inline uint16_t sd_read16(test_ctx_t *t, sim_t *s, uint16_t port) {
  uint8_t lo = sd_in(t, s, port);
  uint8_t hi = sd_in(t, s, port);
  return (uint16_t)(lo | (hi << 8));
}
/* current address / current count of channel ch (clears the flip-flop first) */
static inline uint16_t sd_cur_addr(test_ctx_t *t, sim_t *s, unsigned ch) {
  sd_clrff(t, s, ch);
  return sd_read16(t, s, sd_addr_port[ch]);
}
static inline uint16_t sd_cur_count(test_ctx_t *t, sim_t *s, unsigned ch) {
  sd_clrff(t, s, ch);
  return sd_read16(t, s, sd_count_port[ch]);
}
/* After a transfer of `units` units on channel ch at pa, of which `moved` happened: for a
 * device -> memory (write) transfer memory holds the device's bytes `dev` and is unchanged
 * (`mem0`) past them; for memory -> device the device got memory's bytes and memory is
 * unchanged. */
static inline void sd_check_moved(test_ctx_t *t, sim_t *s, unsigned ch, int to_memory,
                                  uint64_t pa, unsigned units, unsigned moved,
                                  const uint8_t *mem0, const uint8_t *dev) {
  size_t len = (size_t)units * sd_width(ch), m = (size_t)moved * sd_width(ch);
  uint8_t *now = malloc(len);
  REQUIRE(t, now != NULL, "malloc");
  REQUIRE_EQ(t, hostmem_read(sim_mem(s), pa, now, len), 0);
  if (to_memory) {
    CHECK(t, memcmp(now, dev, m) == 0, "ch%u: memory holds the device's %zu bytes", ch, m);
    CHECK(t, memcmp(now + m, mem0 + m, len - m) == 0, "ch%u: nothing past them", ch);
  } else {
    CHECK(t, memcmp(dev, mem0, m) == 0, "ch%u: the device got memory's %zu bytes", ch, m);
    CHECK(t, memcmp(now, mem0, len) == 0, "ch%u: memory unchanged by a read", ch);
  }
  free(now);
}

/* status register of the controller owning ch (reading it clears its TC bits) */
static inline uint8_t sd_status(test_ctx_t *t, sim_t *s, unsigned ch) {
  return sd_in(t, s, sd_ctrl[sd_ctl(ch)].status);
}

/* What a PC BIOS does: master clear and command 0 on both controllers, channel 4 in cascade
 * mode and unmasked. Every other channel stays masked. Written with the registers directly. */
static inline void sd_init(test_ctx_t *t, sim_t *s) {
  for (unsigned c = 0; c < 2; c++) {
    sd_out(t, s, sd_ctrl[c].mclr, 0);
    sd_out(t, s, sd_ctrl[c].command, 0);
  }
  sd_out(t, s, sd_ctrl[1].mode, sd_mode_byte(4, SD_VERIFY, 0, 0, SD_CASCADE));
  sd_out(t, s, sd_ctrl[1].smask, sd_smask_byte(4, 0));
}

/* Program channel ch as a PC HAL does, leaving it masked: single mask set, clear flip-flop,
 * mode, address (in the controller's units: bytes on 0-3, words on 5-7), page, count (raw
 * register value: transfers - 1). sd_unmask starts it. */
static inline void sd_program(test_ctx_t *t, sim_t *s, unsigned ch, uint8_t mode_byte,
                              uint16_t addr, uint8_t page, uint16_t count) {
  const sd_ctrl_ports_t *c = &sd_ctrl[sd_ctl(ch)];
  sd_out(t, s, c->smask, sd_smask_byte(ch, 1));
  sd_out(t, s, c->clrff, 0);
  sd_out(t, s, c->mode, mode_byte);
  sd_write16(t, s, sd_addr_port[ch], addr);
  sd_out(t, s, sd_page_port[ch], page);
  sd_write16(t, s, sd_count_port[ch], count);
}
static inline void sd_unmask(test_ctx_t *t, sim_t *s, unsigned ch) {
  sd_out(t, s, sd_ctrl[sd_ctl(ch)].smask, sd_smask_byte(ch, 0));
}
static inline void sd_mask(test_ctx_t *t, sim_t *s, unsigned ch) {
  sd_out(t, s, sd_ctrl[sd_ctl(ch)].smask, sd_smask_byte(ch, 1));
}

/* ---- devices and memory --------------------------------------------------------------- */

/* Arm the device on ch with DREQ mode `mode` (count: SIM_DREQ_COUNT's transfers), source
 * `src` (device -> memory) or sink `sink` (memory -> device) of len bytes, default senses. */
static inline void sd_arm(test_ctx_t *t, sim_t *s, unsigned ch, sim_dreq_mode_t mode,
                          unsigned count, const uint8_t *src, uint8_t *sink, size_t len) {
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = mode;
  dc.count = count;
  if (src) {
    dc.src = src;
    dc.src_len = len;
  }
  if (sink) {
    dc.sink = sink;
    dc.sink_len = len;
  }
  REQUIRE_OK(t, sim_dmadev_config(s, ch, &dc));
}

typedef struct sd_tc_wait {
  unsigned ch;
  uint64_t n;
} sd_tc_wait_t;
static inline int sd_tc_reached(sim_t *s, void *ctx) {
  const sd_tc_wait_t *w = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, w->ch, &st);
  return st.tc_count >= w->n;
}
/* Run until the device on ch has seen n terminal counts (EOP out under its DACK), then let
 * the last strobe and memory access finish. */
static inline void sd_wait_tc(test_ctx_t *t, sim_t *s, unsigned ch, uint64_t n,
                              uint64_t bound) {
  sd_tc_wait_t w = {ch, n};
  REQUIRE_OK(t, sim_wait_until(s, sd_tc_reached, &w, bound));
  REQUIRE_OK(t, sim_step(s, 60));
}

/* Fill buf with len seeded bytes (stream picks an independent sequence) and write them to
 * host memory at pa. */
static inline void sd_seed_mem(test_ctx_t *t, sim_t *s, uint64_t pa, uint8_t *buf, size_t len,
                               uint64_t stream) {
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, buf, len);
  REQUIRE_EQ(t, hostmem_write(sim_mem(s), pa, buf, len), 0);
}
/* Fill buf with len seeded bytes (device data). */
static inline void sd_seed_buf(test_ctx_t *t, uint8_t *buf, size_t len, uint64_t stream) {
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, buf, len);
}

#endif
