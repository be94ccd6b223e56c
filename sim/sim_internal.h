/* Internals shared by the harness files (sim.c, apb_master.c, axi_mem_slave.c,
 * axi_checker.c, dmadev.c). Not for tests or drivers: they use sim.h. */
#ifndef HBASIM_SIM_INTERNAL_H
#define HBASIM_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hostmem.h"
#include "model.h"
#include "prng.h"
#include "sim.h"
#include "soc_pins.h"

#define SIM_IRQ_LINES 8u
#define SIM_MAX_ERROR_TEXTS 256u
#define SIM_IRQ_STORM 100000u      /* ISR runs in a row with the line never dropping */

/* PRNG streams derived from cfg.seed (models/prng.h): one per consumer */
enum {
  SIM_STREAM_USER = 1,        /* sim_rand() */
  SIM_STREAM_AXI_PAUSE = 16,  /* + channel */
  SIM_STREAM_DMADEV = 32      /* + channel */
};

/* ---- AXI memory slave ---------------------------------------------------------------- */
#define AXI_QDEPTH 8u          /* outstanding reads / writes the slave accepts */
#define AXI_MAX_INJECT 16u

typedef struct axi_burst {
  uint32_t addr;
  uint8_t id, len, size, burst;
  uint16_t beat;               /* beats done */
  uint8_t resp;                /* writes: worst response so far */
  uint8_t data_done;           /* writes: last W beat taken */
  uint64_t ready_at;           /* reads: first R beat / writes: B, not before this cycle */
} axi_burst_t;

typedef struct axi_inject {
  uint64_t lo, hi;
  uint8_t resp, on_read, on_write;
} axi_inject_t;

typedef struct axi_rand_pause {
  prng_t rng;
  unsigned pct;
} axi_rand_pause_t;

typedef struct axi_slave {
  axi_burst_t rq[AXI_QDEPTH];
  unsigned rq_head, rq_n;
  axi_burst_t wq[AXI_QDEPTH];
  unsigned wq_head, wq_n;
  unsigned read_lat, write_lat;
  sim_pause_fn pause[SIM_AXI_NCHAN];
  void *pause_ctx[SIM_AXI_NCHAN];
  axi_rand_pause_t rp[SIM_AXI_NCHAN];  /* sim_axi_pause_random state per channel */
  axi_inject_t inj[AXI_MAX_INJECT];
  unsigned ninj;
  /* the R beat on the pins (held until RREADY) */
  int r_presented;
  uint32_t r_data;
  uint8_t r_resp, r_last;
  sim_axi_stats_t stats;
} axi_slave_t;

/* ---- AXI protocol checker ------------------------------------------------------------- */
#define CHK_RING 32u
#define CHK_EARLY_W_MAX 64u    /* W beats accepted ahead of their AW */

typedef struct chk_ring {
  uint16_t v[CHK_RING];
  unsigned head, n;
} chk_ring_t;

typedef struct chk_read {
  uint8_t id, len;
  uint16_t beats;
} chk_read_t;

typedef struct axi_checker {
  /* stall tracking (valid && !ready at the previous edge) and the payload then */
  uint8_t st_aw, st_w, st_ar, st_b, st_r;
  uint32_t aw_addr, ar_addr, w_data, r_data;
  uint8_t aw_id, aw_len, aw_size, aw_burst, ar_id, ar_len, ar_size, ar_burst;
  uint8_t w_strb, w_last, b_id, b_resp, r_id, r_resp, r_last;
  /* write bursts */
  chk_ring_t aw_lens;          /* AWs whose W burst is not complete */
  chk_ring_t w_done;           /* complete W bursts (beat counts) still without an AW */
  unsigned wcnt;               /* beats of the W burst in progress */
  unsigned early_beats;        /* W beats not yet covered by an AW */
  chk_ring_t b_ids;            /* ids of writes whose AW and W are complete, awaiting B */
  chk_ring_t aw_ids;           /* ids of AWs in order (paired with W completion) */
  /* reads */
  chk_read_t rd[CHK_RING];
  unsigned rd_head, rd_n;
  int plant;                   /* SIM_AXI_PLANT_* armed, 0 none */
  unsigned overflow_reported;
} axi_checker_t;

/* ---- DMA devices ----------------------------------------------------------------------- */
typedef struct dmadev {
  sim_dmadev_cfg_t cfg;
  int configured, armed;
  prng_t rng;
  unsigned width;              /* bytes per transfer: 1 (ch 0-3) or 2 (ch 5-7) */
  /* pin history (post-edge samples of the previous cycle) */
  uint8_t prev_dack, prev_ior, prev_iow, prev_tc;
  uint16_t iow_data;           /* dma_data_o latched while IOW was active */
  unsigned ep_strobes;         /* strobes in the current DACK period */
  /* DREQ state */
  uint8_t dreq_on;
  uint8_t pulse_state;         /* PULSE: 0 requesting, 1 waiting for DACK to end, 2 gap */
  uint64_t gap_left;
  uint8_t eop_driven;
  size_t src_pos, sink_pos;
  uint64_t verify;
  int overrun_reported;
  sim_dmadev_stats_t stats;
  uint64_t *log;
  size_t log_n, log_cap;
  uint64_t *slog;              /* cycle each strobe began (sim_dmadev_strobe_cycles) */
  size_t slog_n, slog_cap;
} dmadev_t;

/* ---- interrupts, DPCs, timers ---------------------------------------------------------- */
typedef struct irq_line {
  sim_isr_fn fn;
  void *ctx;
  uint64_t assert_cycle;       /* last rising edge */
  uint64_t pending_since;      /* rising edge, or the return of an ISR that left it high */
  uint64_t last_entry;
  uint64_t ret_cycle;          /* cycle the last ISR returned */
  int ran;                     /* an ISR ran at least once */
  unsigned storm;              /* ISR runs in a row that left the line high */
  int storm_reported;
  sim_irq_stats_t stats;
} irq_line_t;

typedef struct dpc_ent {
  sim_dpc_fn fn;
  void *ctx;
} dpc_ent_t;

typedef struct timer_ent {
  uint64_t due;
  int id;
  sim_dpc_fn fn;
  void *ctx;
} timer_ent_t;

/* ---- the simulation ------------------------------------------------------------------------ */
struct sim {
  sim_config_t cfg;
  char *trace_path;
  int trace_paused;             /* sim_trace_enable(s, 0): edges are not dumped */
  model_t *model;
  hostmem_t *mem;
  soc_pins_t pins;             /* inputs as driven; outputs as after the last evaluation */
  soc_pins_t pre;              /* the pins just before the last rising edge */
  uint64_t cycle;
  uint64_t period_ps;
  int in_reset;
  int bound_hit;
  prng_t rng;

  /* failure log */
  char *err[SIM_MAX_ERROR_TEXTS];
  unsigned nerr;               /* errors recorded (may exceed the texts kept) */

  /* APB master */
  uint64_t apb_count;
  uint64_t apb_last_req;
  unsigned apb_last_waits;

  /* interrupts */
  irq_line_t irq[SIM_IRQ_LINES];
  uint8_t irq_level;           /* irq_o after the last edge */
  uint8_t irq_connected;
  unsigned irql;
  uint64_t isr_count;
  dpc_ent_t *dpc;
  size_t dpc_head, dpc_n, dpc_cap;
  timer_ent_t *timers;         /* sorted by (due, id) */
  size_t ntimers, timers_cap;
  int next_timer_id;

  axi_slave_t axi;
  axi_checker_t chk;
  dmadev_t dev[8];
  uint8_t dev_active;          /* channels with a configured device */

  /* SCSI bus with the C targets (scsi_link.c), created on first use */
  struct scsi_bus *scsi;
  unsigned scsi_checks_seen;   /* bus-checker findings already forwarded to sim_error */
};

/* sim.c */
void sim_tick(sim_t *s);                       /* one clock cycle, no preemption */
void sim_dispatch(sim_t *s);                   /* a preemption point */
int  sim_status_(const sim_t *s);              /* SIM_E_FAILED when failed, else SIM_OK */

/* axi_mem_slave.c */
void axi_slave_init(sim_t *s);
void axi_slave_reset(sim_t *s);
void axi_slave_drive(sim_t *s);                /* step 1: inputs for the coming edge */
void axi_slave_edge(sim_t *s);                 /* step 4: handshakes of s->pre */

/* axi_checker.c */
void axi_checker_reset(sim_t *s);
void axi_checker_edge(sim_t *s);               /* step 4: checks s->pre */

/* scsi_link.c */
void scsi_link_cycle(sim_t *s);                /* step 4: targets see the bus after the edge */
void scsi_link_free(sim_t *s);

/* dmadev.c */
void dmadev_init(sim_t *s);
void dmadev_free(sim_t *s);
void dmadev_reset_pins(sim_t *s);              /* inactive DREQ/EOP, no data */
void dmadev_cycle(sim_t *s);                   /* step 1: observe outputs, drive inputs */

/* apb_master.c */
void apb_idle(sim_t *s);

#endif
