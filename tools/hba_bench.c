/* hba_bench: the HBA figures of `make bench` (docs/bench.md). For READ and WRITE of 4 KiB,
 * 64 KiB and 1 MiB, through both data movers (subordinate = sysdma channel 5 by DREQ/DACK, bus
 * master = the scatter/gather engine), with zero-latency memory and with a memory latency, it
 * runs the command against a memory-backed disk target at its fastest handshake timing, checks
 * every byte, and reports from the pins, sampled once per cycle:
 *
 *   - cycles from START to the completion interrupt, and of the data phase(s);
 *   - the SCSI bus limit for the same bytes (every REQ answered at once) and the fractions
 *     limit / actual, end to end and over the data phase;
 *   - the REQ/ACK handshakes the HBA delayed (its FIFO or mover not ready);
 *   - AXI beats per cycle while a burst of the mover is in flight;
 *   - descriptor fetch cycles per SG descriptor;
 *   - the simulation speed.
 *
 *   hba_bench [--seed N] [--latency R,W] [--dma-clkdiv N] [--only ITEMS] [--csv FILE]
 *             [--waves FILE.fst] [--quiet] [--verbose]
 *
 * The pins are read through sim_pins_pre() from the sim_wait_until condition that waits for
 * the HBA's interrupt; the observer never drives anything.
 *
 * Performance is reported, not asserted: exit status 0 when every run moved the right bytes
 * with a good ending, 1 when any run failed, 2 on a usage error. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hba_regs.h"
#include "hostmem.h"
#include "i8237.h"
#include "prng.h"
#include "scsi_defs.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"
#include "soc_ctrl_regs.h"
#include "soc_pins.h"

#define KIB 1024u
#define IRQ_LINE 1u
#define DMA_CHAN 5u
#define TGT_ID 0u
#define BLOCK 512u
#define DISK_BLOCKS 4096u          /* 2 MiB */
#define CMD_BOUND 60000000ull      /* cycles for one command */
#define SUB_CHUNK (128u * KIB)     /* the 8237 word channel's page: one DMA program each */
#define MAX_ELEMS 1024u
#define DATA_STREAM 0x6862656e6368ull /* "hbench" */
#define LAT_HIST 64u

/* ---------------------------------------------------------------------------------------- */
/* the per-cycle observer: SCSI REQ/ACK and the mover's AXI bursts, from the pre-edge sample */

typedef struct obs {
  uint64_t last_cycle;
  unsigned id_bit;            /* AXI ID bit 0 of the mover under test: 1 bus master, 0 sysdma */
  /* SCSI data phases */
  uint32_t prev_bus;
  int in_phase;               /* a data phase is being counted */
  uint64_t req_rise, prev_req_rise, phase_first_req, last_ack_fall;
  int req_open;               /* REQ seen, ACK not yet */
  int last_delayed;
  uint64_t bytes, phases, phase_bytes, sum_nm1;  /* sum over phases of (bytes - 1) */
  uint64_t data_cycles;
  uint64_t lat_hist[LAT_HIST];/* REQ rise -> ACK rise, cycles (last bin: that many or more) */
  uint64_t lat_min, lat_sum;
  uint64_t per_hist[LAT_HIST];/* REQ rise -> next REQ rise in one phase */
  uint64_t off_hist[LAT_HIST];/* REQ rise -> ACK release */
  uint64_t per_min;           /* REQ rise -> next REQ rise after an undelayed byte */
  uint64_t hold_min;          /* REQ rise -> ACK release of an undelayed byte */
  uint64_t ack_rise;
  uint64_t l0;                /* the undelayed REQ -> ACK latency (set before the run) */
  uint64_t delayed, delay_cycles;
  /* AXI */
  unsigned rq_len[32], rq_desc[32];
  uint64_t rq_at[32];
  unsigned rq_head, rq_n, r_beat;
  unsigned wq_len[32], wq_head, wq_n, w_beat;
  unsigned inflight, inflight_r, inflight_w;
  uint64_t perf_cycles, perf_beats, r_beats, w_beats, r_cycles, w_cycles;
  uint64_t r_stream, w_stream;/* cycles with a beat or inside a burst's beats (first to last) */
  uint8_t prev_strobe;        /* 8237 channel 5 strobe (IOR or IOW) active in the last sample */
  uint64_t strobes, strobe_first, strobe_last;
  uint64_t desc_lo, desc_hi;  /* the descriptor list [lo, hi) */
  uint64_t descs, desc_cycles, desc_max;
  int overflow;
} obs_t;

static void obs_begin(obs_t *o, unsigned id_bit, uint64_t l0, uint64_t desc_lo, uint64_t desc_hi) {
  memset(o, 0, sizeof *o);
  o->id_bit = id_bit;
  o->l0 = l0;
  o->desc_lo = desc_lo;
  o->desc_hi = desc_hi;
  o->lat_min = o->per_min = o->hold_min = UINT64_MAX;
}

static int data_phase(uint32_t bus) {
  return (bus & SCSI_BSY) && !(bus & (SCSI_MSG | SCSI_CD)) && !(bus & SCSI_SEL);
}

static void obs_phase_end(obs_t *o) {
  if (!o->in_phase) return;
  o->in_phase = 0;
  if (o->phase_bytes) {
    o->phases++;
    o->sum_nm1 += o->phase_bytes - 1;
    o->data_cycles += o->last_ack_fall - o->phase_first_req;
  }
  o->phase_bytes = 0;
  o->req_open = 0;
}

static void obs_scsi(obs_t *o, uint64_t c, uint32_t bus) {
  uint32_t prev = o->prev_bus;
  o->prev_bus = bus;
  int req = (bus & SCSI_REQ) != 0, ack = (bus & SCSI_ACK) != 0;
  int req_was = (prev & SCSI_REQ) != 0, ack_was = (prev & SCSI_ACK) != 0;
  /* ACK released: the target answers in the same sample, so after the last byte the phase
   * lines may already show the next phase */
  if (!ack && ack_was && o->in_phase) {
    o->last_ack_fall = c;
    o->off_hist[c - o->req_rise < LAT_HIST ? c - o->req_rise : LAT_HIST - 1]++;
    if (!o->last_delayed && c - o->req_rise < o->hold_min) o->hold_min = c - o->req_rise;
  }
  if (o->in_phase && (!data_phase(bus) || ((bus ^ prev) & SCSI_IO))) obs_phase_end(o);
  if (!data_phase(bus)) return;
  if (req && !req_was) {
    if (!o->in_phase) {
      o->in_phase = 1;
      o->phase_first_req = c;
    } else {
      o->per_hist[c - o->req_rise < LAT_HIST ? c - o->req_rise : LAT_HIST - 1]++;
      if (!o->last_delayed && c - o->req_rise < o->per_min) o->per_min = c - o->req_rise;
    }
    o->req_rise = c;
    o->req_open = 1;
  }
  if (ack && !ack_was && o->req_open && o->in_phase) {
    uint64_t lat = c - o->req_rise;
    o->req_open = 0;
    o->ack_rise = c;
    o->bytes++;
    o->phase_bytes++;
    o->lat_hist[lat < LAT_HIST ? lat : LAT_HIST - 1]++;
    o->lat_sum += lat;
    if (lat < o->lat_min) o->lat_min = lat;
    o->last_delayed = lat > o->l0;
    if (o->last_delayed) {
      o->delayed++;
      o->delay_cycles += lat - o->l0;
    }
  }
}

static void obs_axi(obs_t *o, const soc_pins_t *p) {
  if (o->inflight > 0) o->perf_cycles++;
  if (o->inflight_r > 0) o->r_cycles++;
  if (o->inflight_w > 0) o->w_cycles++;
  int r_hs = p->axi_rvalid_i && p->axi_rready_o && (p->axi_rid_i & 1u) == o->id_bit && o->rq_n;
  int w_hs = p->axi_wvalid_o && p->axi_wready_i && o->wq_n;
  if (r_hs || o->r_beat > 0) o->r_stream++;
  if (w_hs || o->w_beat > 0) o->w_stream++;
  /* the subordinate mover's 8237 transfers: DACK5 active (low, the reset sense) with a strobe */
  uint8_t strobe = !(p->dma_dack_o >> DMA_CHAN & 1u) && (!p->dma_ior_no || !p->dma_iow_no);
  if (strobe && !o->prev_strobe) {
    if (!o->strobes) o->strobe_first = o->last_cycle;
    o->strobe_last = o->last_cycle;
    o->strobes++;
  }
  o->prev_strobe = strobe;
  if (p->axi_rvalid_i && p->axi_rready_o && (p->axi_rid_i & 1u) == o->id_bit && o->rq_n) {
    o->perf_beats++;
    o->r_beats++;
    unsigned h = o->rq_head;
    if (o->r_beat == o->rq_len[h]) {
      if (o->rq_desc[h]) {
        uint64_t d = o->last_cycle - o->rq_at[h];
        o->descs++;
        o->desc_cycles += d;
        if (d > o->desc_max) o->desc_max = d;
      }
      o->rq_head = (h + 1) % 32u;
      o->rq_n--;
      o->r_beat = 0;
      o->inflight--;
      o->inflight_r--;
    } else {
      o->r_beat++;
    }
  }
  if (p->axi_arvalid_o && p->axi_arready_i && (p->axi_arid_o & 1u) == o->id_bit) {
    if (o->rq_n == 32) {
      o->overflow = 1;
    } else {
      unsigned t = (o->rq_head + o->rq_n) % 32u;
      o->rq_len[t] = p->axi_arlen_o;
      o->rq_at[t] = o->last_cycle;
      o->rq_desc[t] = p->axi_araddr_o >= o->desc_lo && p->axi_araddr_o < o->desc_hi;
      o->rq_n++;
      o->inflight++;
      o->inflight_r++;
    }
  }
  /* W beats carry no ID: only the mover under test writes during a run */
  if (p->axi_wvalid_o && p->axi_wready_i && o->wq_n) {
    o->perf_beats++;
    o->w_beats++;
    if (o->w_beat == o->wq_len[o->wq_head]) {
      o->wq_head = (o->wq_head + 1) % 32u;
      o->wq_n--;
      o->w_beat = 0;
      o->inflight--;
      o->inflight_w--;
    } else {
      o->w_beat++;
    }
  }
  if (p->axi_awvalid_o && p->axi_awready_i && (p->axi_awid_o & 1u) == o->id_bit) {
    if (o->wq_n == 32) {
      o->overflow = 1;
    } else {
      o->wq_len[(o->wq_head + o->wq_n) % 32u] = p->axi_awlen_o;
      o->wq_n++;
      o->inflight++;
      o->inflight_w++;
    }
  }
}

/* sim_wait_until condition: observe the cycle, stop at the HBA's interrupt */
static int obs_cycle(sim_t *s, void *ctx) {
  obs_t *o = ctx;
  uint64_t c = sim_cycle(s);
  if (c != o->last_cycle) {
    o->last_cycle = c;
    const soc_pins_t *p = sim_pins_pre(s);
    obs_scsi(o, c, p->scsi_bus_o);
    obs_axi(o, p);
  }
  return sim_irq_line(s, IRQ_LINE);
}

/* ---------------------------------------------------------------------------------------- */
/* the rig: one sim, one disk target, HBA register access */

typedef struct bench {
  sim_t *s;
  scsi_disk_t *disk;
  prng_t rng;
  uint64_t seed;
  unsigned rd_lat, wr_lat;
  unsigned dma_clkdiv;        /* 0: soc_ctrl's reset value */
  const char *waves;
  int quiet, verbose;
  unsigned failures;
  uint32_t handshake;         /* HBA HANDSHAKE as programmed (reset value) */
} bench_t;

static void fail(bench_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(bench_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "hba_bench: FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  b->failures++;
}

static int hba_wr(bench_t *b, uint32_t off, uint32_t v) {
  int rc = sim_apb_write(b->s, HBA_BASE + off, v, 4);
  if (rc != SIM_OK) fail(b, "APB write 0x%03x: %d", off, rc);
  return rc;
}

static int hba_rd(bench_t *b, uint32_t off, uint32_t *v) {
  int rc = sim_apb_read(b->s, HBA_BASE + off, 4, v);
  if (rc != SIM_OK) fail(b, "APB read 0x%03x: %d", off, rc);
  return rc;
}

/* the target at its fastest handshake: no REQ delay, the minimum data setup (deskew + cable
 * skew, 55 ns), no REQ hold; the other (per-phase, selection) timings stay the defaults */
static void fastest_target(scsi_target_config_t *tc) {
  scsi_target_config_default(tc);
  tc->timing.req_delay_ns = 0;
  tc->timing.data_setup_ns = SCSI_T_DESKEW + SCSI_T_CABLE_SKEW;
  tc->timing.req_hold_ns = 0;
}

static void rig_destroy(bench_t *b) {
  if (b->s) sim_destroy(b->s);
  b->s = NULL;
  scsi_disk_destroy(b->disk);
  b->disk = NULL;
}

typedef struct cmd {
  int write;
  uint32_t lba, bytes;
  uint64_t sg_list;           /* 0: subordinate */
} cmd_t;

typedef struct ending {
  uint32_t int_status, scsi_status, xferred, residual, extra, dma_count, sg_descs;
  uint64_t start_cycle, irq_cycle;
} ending_t;

/* START of one command; the mover is set up by the caller */
static int cmd_start(bench_t *b, const cmd_t *c, uint64_t *start_cycle) {
  uint32_t blocks = c->bytes / BLOCK, ctrl = 0;
  uint8_t cdb[10] = {c->write ? SCSI_OP_WRITE_10 : SCSI_OP_READ_10, 0,
                     (uint8_t)(c->lba >> 24), (uint8_t)(c->lba >> 16), (uint8_t)(c->lba >> 8),
                     (uint8_t)c->lba, 0, (uint8_t)(blocks >> 8), (uint8_t)blocks, 0};
  uint32_t w[4] = {0, 0, 0, 0};
  for (unsigned i = 0; i < 10; i++) w[i / 4] |= (uint32_t)cdb[i] << (8 * (i % 4));
  if (hba_wr(b, HBA_TARGET, TGT_ID)) return -1;
  for (unsigned i = 0; i < 4; i++)
    if (hba_wr(b, HBA_CDB0 + 4 * i, w[i])) return -1;
  uint32_t dir = c->bytes == 0 ? HBA_CMD_CFG_DIR_NONE
                 : c->write    ? HBA_CMD_CFG_DIR_OUT
                               : HBA_CMD_CFG_DIR_IN;
  if (hba_wr(b, HBA_CMD_CFG, dir << HBA_CMD_CFG_DIR_SHIFT)) return -1;
  if (hba_wr(b, HBA_XFER_LEN, c->bytes)) return -1;
  if (hba_rd(b, HBA_CTRL, &ctrl)) return -1;
  ctrl &= ~HBA_CTRL_MOVER_MASK;
  if (c->sg_list) {
    if (hba_wr(b, HBA_SG_ADDR_LO, (uint32_t)c->sg_list) ||
        hba_wr(b, HBA_SG_ADDR_HI, (uint32_t)(c->sg_list >> 32)))
      return -1;
    ctrl |= HBA_CTRL_MOVER_BUS_MASTER << HBA_CTRL_MOVER_SHIFT;
  }
  if (hba_wr(b, HBA_CTRL, ctrl) || hba_wr(b, HBA_COMMAND, HBA_COMMAND_START_MASK)) return -1;
  *start_cycle = sim_apb_last_req_cycle(b->s);
  return 0;
}

static int cmd_finish(bench_t *b, obs_t *o, ending_t *e) {
  int rc = sim_wait_until(b->s, obs_cycle, o, CMD_BOUND);
  if (rc != SIM_OK) {
    fail(b, "no completion interrupt within %llu cycles (%d)", (unsigned long long)CMD_BOUND, rc);
    return -1;
  }
  e->irq_cycle = sim_irq_assert_cycle(b->s, IRQ_LINE);
  if (hba_rd(b, HBA_INT_STATUS, &e->int_status) || hba_rd(b, HBA_SCSI_STATUS, &e->scsi_status) ||
      hba_rd(b, HBA_XFERRED, &e->xferred) || hba_rd(b, HBA_RESIDUAL, &e->residual) ||
      hba_rd(b, HBA_EXTRA, &e->extra) || hba_rd(b, HBA_DMA_COUNT, &e->dma_count) ||
      hba_rd(b, HBA_SG_DESCS, &e->sg_descs) || hba_wr(b, HBA_INT_STATUS, e->int_status))
    return -1;
  return 0;
}

static int good_ending(bench_t *b, const char *what, const ending_t *e, uint32_t bytes) {
  uint32_t status = (e->scsi_status & HBA_SCSI_STATUS_BYTE_MASK) >> HBA_SCSI_STATUS_BYTE_SHIFT;
  if (e->int_status != HBA_INT_STATUS_CMD_DONE_MASK || !(e->scsi_status & HBA_SCSI_STATUS_VALID_MASK) ||
      status != SCSI_STATUS_GOOD || e->xferred != bytes || e->residual || e->extra) {
    fail(b, "%s: INT_STATUS 0x%x, SCSI_STATUS 0x%x, XFERRED %u of %u, RESIDUAL %u, EXTRA %u", what,
         e->int_status, e->scsi_status, e->xferred, bytes, e->residual, e->extra);
    return 0;
  }
  return 1;
}

/* a fresh sim with the HBA initialised and one disk target (unit attention cleared) */
static int rig_create(bench_t *b, uint64_t run_seed) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.seed = run_seed;
  cfg.trace_path = b->waves;
  b->s = sim_create(&cfg);
  if (!b->s) {
    fail(b, "sim_create");
    return -1;
  }
  int rc = sim_reset(b->s, 4);
  if (rc != SIM_OK) {
    fail(b, "reset: %d", rc);
    return -1;
  }
  if ((rc = i8237_bios_init(b->s)) != I8237_OK) {
    fail(b, "8237 BIOS init: %s", i8237_strerror(rc));
    return -1;
  }
  if (b->dma_clkdiv &&
      (rc = sim_apb_write(b->s, SOC_CTRL_BASE + SOC_CTRL_DMA_CLKDIV, b->dma_clkdiv, 4)) != SIM_OK) {
    fail(b, "DMA_CLKDIV: %d", rc);
    return -1;
  }
  if (sim_axi_set_latency(b->s, b->rd_lat, b->wr_lat) != SIM_OK) {
    fail(b, "AXI latency");
    return -1;
  }
  scsi_disk_config_t dc;
  scsi_disk_config_default(&dc);
  dc.capacity = DISK_BLOCKS;
  dc.seed = run_seed;
  memset(&dc.timing, 0, sizeof dc.timing); /* no seek, rotation or media-rate delays */
  char err[128];
  b->disk = scsi_disk_create(&dc, err, sizeof err);
  if (!b->disk) {
    fail(b, "scsi_disk_create: %s", err);
    return -1;
  }
  scsi_target_config_t tc;
  fastest_target(&tc);
  tc.seed = run_seed;
  scsi_bus_t *bus = sim_scsi_bus(b->s);
  int e = 0;
  scsi_target_t *tg = bus ? scsi_target_create(bus, TGT_ID, &tc, &e) : NULL;
  if (!tg || scsi_target_bind(tg, 0, &scsi_disk_lu_ops, b->disk) != 0) {
    fail(b, "SCSI target: %d", e);
    return -1;
  }
  if (hba_wr(b, HBA_SEL_TIMEOUT, 5000u) || hba_wr(b, HBA_INT_ENABLE, 0x1FFFu) ||
      hba_rd(b, HBA_HANDSHAKE, &b->handshake))
    return -1;
  /* the power-on unit attention, then GOOD */
  for (int i = 0; i < 2; i++) {
    cmd_t tur = {0, 0, 0, 0};
    obs_t o;
    ending_t en;
    obs_begin(&o, 0, 0, 0, 0);
    if (cmd_start(b, &tur, &en.start_cycle) || cmd_finish(b, &o, &en)) return -1;
    if (i == 1 && en.scsi_status != HBA_SCSI_STATUS_VALID_MASK) {
      fail(b, "TEST UNIT READY: SCSI_STATUS 0x%x", en.scsi_status);
      return -1;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the bus limit (docs/bench.md): cycles of one data byte when the HBA answers at once */

typedef struct limit {
  uint64_t period;            /* REQ rise -> next REQ rise */
  uint64_t latency;           /* REQ rise -> ACK rise (L0) */
  uint64_t hold;              /* REQ rise -> ACK release */
} limit_t;

static uint64_t ns_cycles(uint64_t ns, uint32_t clk_hz) {
  uint64_t period_ps = 1000000000000ull / clk_hz;
  return (ns * 1000u + period_ps - 1) / period_ps;
}

/* Computed from the target's handshake timing (scsi_target_timing_t, ns; a target deadline
 * lands on the first edge at or after it: c(ns) = ceil(ns / clock period)) and the HBA's
 * HANDSHAKE register (ds = DATA_SETUP, at least 1; ah = ACK_HOLD), in cycles of the pre-edge
 * sample of the resolved bus:
 *   - the target sees the HBA's lines right after the edge that changed them and answers for
 *     the next edge: its reaction shows in the same sample, plus its own delay c(ns);
 *   - the HBA sees a target line through a two-flop synchronizer: a change in sample n moves
 *     the sequencer at edge n+2 and its registered answer shows in sample n+3, plus its timers.
 * One byte, REQ rising in sample 0:
 *   L0    REQ -> ACK: DATA IN 4 + ds (PhaseSettle), DATA OUT 5 + 2 ds (PhaseSettle, then the
 *         byte driven for ds cycles in DriveSetup);
 *   A     ACK width: max(3 + c(req_hold), ah + 1 + g), g = the 4-cycle echo guard the HBA adds
 *         after driving a byte (DATA OUT), 0 for DATA IN; the HBA releases ACK once its hold
 *         is over and it has seen REQ released;
 *   next  REQ: c(req_delay) after ACK released, plus c(data_setup) in DATA IN (the target
 *         drives the byte, then REQ; in DATA OUT it raises REQ with the data lines released).
 *   period P = L0 + A + c(req_delay) + (DATA IN: c(data_setup)); hold H = L0 + A (REQ rise to
 *   ACK release). */
static limit_t bus_limit(int write, uint32_t handshake, const scsi_target_timing_t *tt,
                         uint32_t clk_hz) {
  uint64_t ds = handshake & HBA_HANDSHAKE_DATA_SETUP_MASK;
  uint64_t ah = (handshake & HBA_HANDSHAKE_ACK_HOLD_MASK) >> HBA_HANDSHAKE_ACK_HOLD_SHIFT;
  if (ds == 0) ds = 1;
  uint64_t hold = ns_cycles(tt->req_hold_ns, clk_hz);
  uint64_t delay = ns_cycles(tt->req_delay_ns, clk_hz);
  uint64_t setup = write ? 0 : ns_cycles(tt->data_setup_ns, clk_hz);
  uint64_t guard = write ? 4 : 0;
  limit_t l;
  l.latency = write ? 5 + 2 * ds : 4 + ds;
  uint64_t a1 = 3 + hold, a2 = ah + 1 + guard;
  l.hold = l.latency + (a1 > a2 ? a1 : a2);
  l.period = l.hold + delay + setup;
  return l;
}

/* ---------------------------------------------------------------------------------------- */
/* one run */

enum { MOVER_SUB = 0, MOVER_BM = 1 };

typedef struct run {
  int write, mover;
  uint32_t bytes;
  unsigned rd_lat, wr_lat;
  /* results */
  int ok;
  unsigned cmds, elems, crossings;
  uint64_t e2e, data, limit, limit_data;
  limit_t lim;
  obs_t o;
  double wall, cps;
  uint64_t sim_cycles;
} run_t;

/* Bus-master buffer: a hostmem buffer at an odd offset (mixed placement; 4 KiB contiguous), cut into
 * elements of mixed sizes (a quarter of them 1-64 bytes, the rest around len / target), also
 * cut where consecutive pages are not physically adjacent. */
static int build_sg(bench_t *b, hostmem_buf_t *buf, uint32_t len, uint8_t *img, unsigned *nelems,
                    unsigned *crossings) {
  unsigned target = len <= 4 * KIB ? 6 : len <= 64 * KIB ? 16 : 48;
  uint32_t mean = len / target, off = 0;
  unsigned n = 0;
  *crossings = 0;
  while (off < len) {
    uint32_t want;
    if (prng_below(&b->rng, 4) == 0) want = 1 + (uint32_t)prng_below(&b->rng, 64);
    else want = mean / 2 + (uint32_t)prng_below(&b->rng, mean + 1);
    if (want > len - off) want = len - off;
    uint64_t pa = hostmem_buf_pa(buf, off);
    uint32_t got = 0;
    while (got < want) {
      uint64_t p = pa + got;
      uint32_t to_page = (uint32_t)(HOSTMEM_PAGE_SIZE - p % HOSTMEM_PAGE_SIZE);
      got += want - got < to_page ? want - got : to_page;
      if (got < want && hostmem_buf_pa(buf, off + got) != pa + got) break;
    }
    if (n == MAX_ELEMS) {
      fail(b, "scatter/gather list: more than %u elements", MAX_ELEMS);
      return -1;
    }
    if (pa / 4096 != (pa + got - 1) / 4096) (*crossings)++;
    uint8_t *e = &img[16 * n];
    for (unsigned i = 0; i < 8; i++) e[i] = (uint8_t)(pa >> (8 * i));
    for (unsigned i = 0; i < 4; i++) e[8 + i] = (uint8_t)(got >> (8 * i));
    memset(&e[12], 0, 4);
    n++;
    off += got;
  }
  img[16 * (n - 1) + 12] = 1; /* EOL */
  *nelems = n;
  return 0;
}

static int compare(bench_t *b, const char *what, const uint8_t *got, const uint8_t *want,
                   size_t len) {
  for (size_t i = 0; i < len; i++)
    if (got[i] != want[i]) {
      fail(b, "%s: byte %zu of %zu is 0x%02x, expected 0x%02x", what, i, len, got[i], want[i]);
      return 0;
    }
  return 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_one(bench_t *b, run_t *r) {
  char what[96];
  snprintf(what, sizeof what, "%s %u KiB %s lat %u/%u", r->write ? "WRITE" : "READ",
           r->bytes / KIB, r->mover == MOVER_BM ? "bus master" : "subordinate", r->rd_lat,
           r->wr_lat);
  double w0 = now_s();
  uint8_t *src = malloc(r->bytes), *back = malloc(r->bytes), *img = NULL;
  hostmem_buf_t *buf = NULL;
  uint64_t list = 0, list_len = 0, sub_pa = 0;
  r->ok = 0;
  b->rd_lat = r->rd_lat;
  b->wr_lat = r->wr_lat;
  /* the same data, LBA, buffer placement and list at either memory latency: the latency is
   * the only difference between a lat0 row and its latd row */
  uint64_t key = (uint64_t)r->write << 40 | (uint64_t)r->mover << 32 | r->bytes;
  uint64_t run_seed = b->seed * 1000003ull + key;
  prng_seed(&b->rng, b->seed, DATA_STREAM ^ key);
  if (!src || !back) {
    fail(b, "%s: out of memory", what);
    goto out;
  }
  if (rig_create(b, run_seed)) goto out;
  hostmem_t *m = sim_mem(b->s);
  prng_fill(&b->rng, src, r->bytes);
  /* READ: the disk holds src; WRITE: memory holds src and the disk something else */
  uint32_t lba = (uint32_t)prng_below(&b->rng, DISK_BLOCKS - r->bytes / BLOCK + 1);
  if (!r->write && scsi_disk_poke(b->disk, 0, lba, r->bytes / BLOCK, src) != 0) {
    fail(b, "%s: disk poke", what);
    goto out;
  }
  if (r->mover == MOVER_BM) {
    size_t offset = 1 + 2 * (size_t)prng_below(&b->rng, 2047); /* odd */
    /* 4 KiB spans two pages: contiguous, so that an element crosses the 4 KiB boundary */
    buf = hostmem_buf_alloc(m, r->bytes, offset,
                            r->bytes <= 4 * KIB ? HOSTMEM_PLACE_CONTIGUOUS : HOSTMEM_PLACE_MIXED);
    img = calloc(MAX_ELEMS, 16);
    if (!buf || !img) {
      fail(b, "%s: buffer allocation", what);
      goto out;
    }
    if (build_sg(b, buf, r->bytes, img, &r->elems, &r->crossings)) goto out;
    list_len = 16ull * r->elems;
    uint64_t pfn = 0;
    if (hostmem_alloc_contig(m, (list_len + HOSTMEM_PAGE_SIZE - 1) / HOSTMEM_PAGE_SIZE,
                             1ull << 32, 0, &pfn) != 0) {
      fail(b, "%s: no room for the list", what);
      goto out;
    }
    list = pfn * HOSTMEM_PAGE_SIZE;
    if (hostmem_write(m, list, img, list_len) != 0 ||
        (r->write && hostmem_buf_write(m, buf, 0, src, r->bytes) != 0)) {
      fail(b, "%s: memory write", what);
      goto out;
    }
  } else {
    /* one contiguous run below 16 MiB aligned to the word channel's 128 KiB page, at an even
     * offset when the transfer is smaller than a page */
    uint32_t span = r->bytes < SUB_CHUNK ? SUB_CHUNK : r->bytes;
    uint64_t pfn = 0;
    if (hostmem_alloc_contig(m, span / HOSTMEM_PAGE_SIZE, HOSTMEM_16M, SUB_CHUNK, &pfn) != 0) {
      fail(b, "%s: no ISA-reachable buffer", what);
      goto out;
    }
    sub_pa = pfn * HOSTMEM_PAGE_SIZE;
    if (r->bytes < SUB_CHUNK)
      sub_pa += 2 * prng_below(&b->rng, (SUB_CHUNK - r->bytes) / 2 + 1);
    if (r->write && hostmem_write(m, sub_pa, src, r->bytes) != 0) {
      fail(b, "%s: memory write", what);
      goto out;
    }
  }

  /* the command(s): one for bus master, one per 128 KiB 8237 program for subordinate */
  scsi_target_config_t tc;
  fastest_target(&tc);
  r->lim = bus_limit(r->write, b->handshake, &tc.timing, sim_clk_hz(b->s));
  obs_begin(&r->o, r->mover == MOVER_BM, r->lim.latency, list, list + list_len);
  uint64_t first_start = 0, last_irq = 0;
  uint32_t done = 0;
  r->cmds = 0;
  while (done < r->bytes) {
    uint32_t n = r->mover == MOVER_BM ? r->bytes
                 : r->bytes - done < SUB_CHUNK ? r->bytes - done : SUB_CHUNK;
    cmd_t c = {r->write, lba + done / BLOCK, n, list};
    if (r->mover == MOVER_SUB) {
      i8237_xfer_desc_t d = {.channel = DMA_CHAN, .phys = (uint32_t)(sub_pa + done), .length = n,
                             .type = r->write ? I8237_READ : I8237_WRITE, .mode = I8237_DEMAND};
      int rc = i8237_program(b->s, &d);
      if (rc != I8237_OK) {
        fail(b, "%s: 8237 program: %s", what, i8237_strerror(rc));
        goto out;
      }
    }
    ending_t e;
    if (cmd_start(b, &c, &e.start_cycle) || cmd_finish(b, &r->o, &e)) goto out;
    if (!r->cmds) first_start = e.start_cycle;
    last_irq = e.irq_cycle;
    r->cmds++;
    if (!good_ending(b, what, &e, n)) goto out;
    if (e.dma_count != n) {
      fail(b, "%s: DMA_COUNT %u, expected %u", what, e.dma_count, n);
      goto out;
    }
    if (r->mover == MOVER_BM && e.sg_descs != r->elems) {
      fail(b, "%s: SG_DESCS %u, expected %u", what, e.sg_descs, r->elems);
      goto out;
    }
    done += n;
  }
  obs_phase_end(&r->o);

  /* the bytes */
  int same;
  if (r->write) {
    if (scsi_disk_peek(b->disk, 0, lba, r->bytes / BLOCK, back) != 0) {
      fail(b, "%s: disk peek", what);
      goto out;
    }
    same = compare(b, what, back, src, r->bytes);
  } else {
    int rc = r->mover == MOVER_BM ? hostmem_buf_read(m, buf, 0, back, r->bytes)
                                  : hostmem_read(m, sub_pa, back, r->bytes);
    if (rc != 0) {
      fail(b, "%s: memory read", what);
      goto out;
    }
    same = compare(b, what, back, src, r->bytes);
  }
  unsigned ne = sim_error_count(b->s);
  for (unsigned i = 0; i < ne; i++) fail(b, "%s: simulation: %s", what, sim_error_text(b->s, i));
  if (r->o.bytes != r->bytes) {
    fail(b, "%s: %" PRIu64 " data handshakes seen on the bus, expected %u", what, r->o.bytes,
         r->bytes);
    same = 0;
  }
  if (r->o.overflow) fail(b, "%s: observer: more than 32 bursts outstanding", what);
  r->ok = same && ne == 0 && !r->o.overflow;
  r->e2e = last_irq - first_start;
  r->data = r->o.data_cycles;
  r->limit = (uint64_t)r->bytes * r->lim.period;
  r->limit_data = r->o.sum_nm1 * r->lim.period + r->o.phases * r->lim.hold;
  r->sim_cycles = sim_cycle(b->s);
out:
  r->wall = now_s() - w0;
  r->cps = r->wall > 0 ? (double)r->sim_cycles / r->wall : 0;
  rig_destroy(b);
  free(src);
  free(back);
  free(img);
}

/* ---------------------------------------------------------------------------------------- */

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--seed N] [--latency R,W] [--dma-clkdiv N] [--waves FILE.fst] [--csv FILE]\n"
          "          [--only read|write,sub|bm,4k|64k|1m,lat0|latd[,...]] [--quiet] [--verbose]\n",
          argv0);
  return 2;
}

static double frac(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

/* --only: comma-separated items; within each group (direction, mover, size, latency) a run
 * must match one of the items given, a group without items matches every run. */
typedef struct only {
  unsigned dir, mover, size, lat; /* bit masks, 0 = any */
} only_t;

static int parse_only(const char *arg, only_t *o) {
  static const struct { const char *name; int group; unsigned bit; } items[] = {
      {"read", 0, 1}, {"write", 0, 2}, {"sub", 1, 1}, {"bm", 1, 2}, {"4k", 2, 1},
      {"64k", 2, 2},  {"1m", 2, 4},    {"lat0", 3, 1}, {"latd", 3, 2}};
  memset(o, 0, sizeof *o);
  const char *p = arg;
  while (*p) {
    size_t n = strcspn(p, ",");
    int found = 0;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
      if (strlen(items[i].name) == n && !strncmp(p, items[i].name, n)) {
        unsigned *g[4] = {&o->dir, &o->mover, &o->size, &o->lat};
        *g[items[i].group] |= items[i].bit;
        found = 1;
      }
    if (!found) return -1;
    p += n;
    if (*p == ',') p++;
  }
  return 0;
}

static int selected(const only_t *o, const run_t *r) {
  unsigned dir = r->write ? 2 : 1, mover = r->mover == MOVER_BM ? 2 : 1;
  unsigned size = r->bytes == 4 * KIB ? 1 : r->bytes == 64 * KIB ? 2 : 4;
  unsigned lat = r->rd_lat || r->wr_lat ? 2 : 1;
  return (!o->dir || (o->dir & dir)) && (!o->mover || (o->mover & mover)) &&
         (!o->size || (o->size & size)) && (!o->lat || (o->lat & lat));
}

int main(int argc, char **argv) {
  bench_t b;
  memset(&b, 0, sizeof b);
  b.seed = 1;
  unsigned lat_r = 8, lat_w = 8;
  const char *csv = NULL;
  only_t only = {0, 0, 0, 0};
  for (int i = 1; i < argc; i++) {
    char *end;
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      b.seed = strtoull(argv[++i], &end, 0);
      if (*end) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--latency") && i + 1 < argc) {
      lat_r = (unsigned)strtoul(argv[++i], &end, 0);
      if (*end != ',') return usage(argv[0]);
      lat_w = (unsigned)strtoul(end + 1, &end, 0);
      if (*end) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--dma-clkdiv") && i + 1 < argc) {
      b.dma_clkdiv = (unsigned)strtoul(argv[++i], &end, 0);
      if (*end || b.dma_clkdiv == 0 || b.dma_clkdiv > 255) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
      if (parse_only(argv[++i], &only)) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--waves") && i + 1 < argc) {
      b.waves = argv[++i];
    } else if (!strcmp(argv[i], "--csv") && i + 1 < argc) {
      csv = argv[++i];
    } else if (!strcmp(argv[i], "--quiet")) {
      b.quiet = 1;
    } else if (!strcmp(argv[i], "--verbose")) {
      b.verbose = 1;
    } else {
      return usage(argv[0]);
    }
  }

  static const uint32_t sizes[] = {4 * KIB, 64 * KIB, 1024 * KIB};
  enum { NRUNS = 2 * 3 * 2 * 2 };
  run_t *runs = calloc(NRUNS, sizeof *runs);
  if (!runs) return 1;
  unsigned nr = 0;
  for (int lat = 0; lat < 2; lat++)
    for (int mover = 0; mover < 2; mover++)
      for (int write = 0; write < 2; write++)
        for (unsigned si = 0; si < 3; si++) {
          run_t *r = &runs[nr];
          r->write = write;
          r->mover = mover;
          r->bytes = sizes[si];
          r->rd_lat = lat ? lat_r : 0;
          r->wr_lat = lat ? lat_w : 0;
          if (selected(&only, r)) nr++;
        }
  if (!nr) return usage(argv[0]);

  double w0 = now_s();
  uint64_t total_cycles = 0;
  for (unsigned i = 0; i < nr; i++) {
    if (!b.quiet) {
      fprintf(stderr, "  run %2u/%u: %s %4u KiB %s ...\r", i + 1, nr,
              runs[i].write ? "WRITE" : "READ", runs[i].bytes / KIB,
              runs[i].mover == MOVER_BM ? "bus master" : "subordinate");
      fflush(stderr);
    }
    run_one(&b, &runs[i]);
    total_cycles += runs[i].sim_cycles;
  }
  if (!b.quiet) fprintf(stderr, "%60s\r", "");
  double wall = now_s() - w0;

  FILE *cf = NULL;
  if (csv) {
    cf = fopen(csv, "w");
    if (!cf) {
      fprintf(stderr, "hba_bench: cannot write %s\n", csv);
      b.failures++;
    } else {
      fprintf(cf, "dir,bytes,mover,rd_lat,wr_lat,cmds,elems,crossings,e2e_cycles,data_cycles,"
                  "limit_cycles,limit_data_cycles,frac_e2e,frac_data,byte_period,req_ack_min,"
                  "req_ack_l0,delayed,delay_cycles,r_beats,r_open_cycles,r_stream_cycles,w_beats,"
                  "w_open_cycles,w_stream_cycles,beats_per_cycle,beats_per_stream_cycle,"
                  "dma_strobes,dma_cycles_per_word,"
                  "descs,desc_cycles,cycles_per_desc,ok\n");
    }
  }
  uint32_t hs = b.handshake;
  printf("hbasim HBA benchmark, seed %" PRIu64 ", 50 MHz; target: REQ delay 0, data setup %u ns, "
         "REQ hold 0; HBA DATA_SETUP %u, ACK_HOLD %u\n",
         b.seed, SCSI_T_DESKEW + SCSI_T_CABLE_SKEW, hs & HBA_HANDSHAKE_DATA_SETUP_MASK,
         (hs & HBA_HANDSHAKE_ACK_HOLD_MASK) >> HBA_HANDSHAKE_ACK_HOLD_SHIFT);
  printf("memory latency: lat0 = 0/0 cycles, latd = %u/%u cycles (read/write)\n", lat_r, lat_w);
  printf("goals: bus fraction (end to end) >= 95%% for 64 KiB and 1 MiB; beats/cycle >= 0.90 "
         "(bus master)\n");
  if (b.dma_clkdiv) printf("soc_ctrl DMA_CLKDIV: %u (8237 clock = system clock / %u)\n",
                           b.dma_clkdiv, b.dma_clkdiv);
  printf("%-5s %4s %-3s %-4s %4s %9s %9s %9s %6s %6s %2s %6s %7s %4s %4s %5s %5s %5s  %-5s %-5s %s\n",
         "dir", "KiB", "mvr", "lat", "cmds", "e2e", "data", "limit", "e2e%", "data%", "P",
         "dlyd", "dlycyc", "b/c", "b/cs", "descs", "c/d", "c/w", "bus", "axi", "check");
  for (unsigned i = 0; i < nr; i++) {
    run_t *r = &runs[i];
    double fe = frac(r->limit, r->e2e), fd = frac(r->limit_data, r->data);
    /* the data channel: W for DATA IN (READ), R for DATA OUT (WRITE, descriptor beats
     * included: they share the channel) */
    double bpc = r->write ? frac(r->o.r_beats, r->o.r_cycles) : frac(r->o.w_beats, r->o.w_cycles);
    double bps = r->write ? frac(r->o.r_beats, r->o.r_stream) : frac(r->o.w_beats, r->o.w_stream);
    double cpd = frac(r->o.desc_cycles, r->o.descs);
    double cpw = r->o.strobes > 1 ? (double)(r->o.strobe_last - r->o.strobe_first) /
                                        (double)(r->o.strobes - 1) : 0.0;
    const char *g_bus = r->bytes < 64 * KIB ? "-" : fe >= 0.95 ? "PASS" : "BELOW";
    const char *g_axi = r->mover != MOVER_BM ? "-" : bpc >= 0.9 ? "PASS" : "BELOW";
    printf("%-5s %4u %-3s %-4s %4u %9" PRIu64 " %9" PRIu64 " %9" PRIu64
           " %5.1f%% %5.1f%% %2" PRIu64 " %6" PRIu64 " %7" PRIu64 " %4.2f %4.2f %5" PRIu64
           " %5.1f %5.1f  %-5s %-5s %s\n",
           r->write ? "WRITE" : "READ", r->bytes / KIB, r->mover == MOVER_BM ? "bm" : "sub",
           r->rd_lat || r->wr_lat ? "latd" : "lat0", r->cmds, r->e2e, r->data, r->limit,
           100 * fe, 100 * fd, r->lim.period, r->o.delayed, r->o.delay_cycles, bpc, bps,
           r->o.descs, cpd, cpw, g_bus, g_axi, r->ok ? "ok" : "FAIL");
    if (r->ok && (r->o.per_min != UINT64_MAX && r->o.per_min != r->lim.period))
      printf("      note: measured undelayed byte period %" PRIu64 " != computed %" PRIu64 "\n",
             r->o.per_min, r->lim.period);
    if (r->ok && r->o.lat_min != r->lim.latency)
      printf("      note: measured minimum REQ->ACK %" PRIu64 " != computed %" PRIu64 "\n",
             r->o.lat_min, r->lim.latency);
    if (b.verbose) {
      const char *nm[3] = {"REQ->ACK", "REQ->REQ", "REQ->ACK off"};
      const uint64_t *hh[3] = {r->o.lat_hist, r->o.per_hist, r->o.off_hist};
      for (int k = 0; k < 3; k++) {
        printf("      %-12s", nm[k]);
        for (unsigned j = 0; j < LAT_HIST; j++)
          if (hh[k][j]) printf(" %u:%" PRIu64, j, hh[k][j]);
        printf("\n");
      }
    }
    if (cf)
      fprintf(cf,
              "%s,%u,%s,%u,%u,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
              ",%.4f,%.4f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
              ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,%.4f,%" PRIu64
              ",%.2f,%" PRIu64 ",%" PRIu64 ",%.2f,%d\n",
              r->write ? "write" : "read", r->bytes, r->mover == MOVER_BM ? "bm" : "sub",
              r->rd_lat, r->wr_lat, r->cmds, r->elems, r->crossings, r->e2e, r->data, r->limit,
              r->limit_data, fe, fd, r->lim.period,
              r->o.lat_min == UINT64_MAX ? 0 : r->o.lat_min, r->lim.latency, r->o.delayed,
              r->o.delay_cycles, r->o.r_beats, r->o.r_cycles, r->o.r_stream, r->o.w_beats,
              r->o.w_cycles, r->o.w_stream, bpc, bps, r->o.strobes, cpw, r->o.descs,
              r->o.desc_cycles, cpd, r->ok);
  }
  if (cf) fclose(cf);
  unsigned xc = 0, xn = 0;
  for (unsigned i = 0; i < nr; i++) {
    const run_t *r = &runs[i];
    if (!r->ok) continue;
    xn++;
    xc += r->o.lat_min == r->lim.latency &&
          (r->o.per_min == UINT64_MAX || r->o.per_min == r->lim.period) &&
          (r->o.hold_min == UINT64_MAX || r->o.hold_min == r->lim.hold);
  }
  printf("bus limit cross-check: computed REQ->ACK, REQ->REQ and REQ->ACK-release of an "
         "undelayed byte equal the measured minima in %u of %u runs\n", xc, xn);
  printf("simulated: %" PRIu64 " cycles in %.1f s wall, simulation speed %.0f cycles/s\n",
         total_cycles, wall, wall > 0 ? (double)total_cycles / wall : 0.0);
  printf("%s\n", b.failures ? "RESULT: FAIL (data or ending wrong, see stderr)"
                            : "RESULT: every run moved the right bytes");
  free(runs);
  return b.failures ? 1 : 0;
}
