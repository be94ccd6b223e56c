/* hbasim harness C API (docs/contracts.md section 6, docs/harness.md): the only interface C
 * code has to the RTL. One sim_t is one simulated soc_top with its host memory, APB master,
 * AXI memory slave, protocol checker, ISA-style DMA devices, interrupt/IRQL/DPC/timer model.
 * No global state: any number of sims can live (and be stepped interleaved) in one process. */
#ifndef HBASIM_SIM_H
#define HBASIM_SIM_H

#include <stddef.h>
#include <stdint.h>

struct hostmem;

typedef enum {
  SIM_OK = 0,
  SIM_E_SLVERR = -1,  /* PSLVERR */
  SIM_E_RESET = -2,   /* access while in reset */
  SIM_E_TIMEOUT = -3, /* no PREADY / no interrupt / condition within the bound */
  SIM_E_ARG = -4,
  SIM_E_FAILED = -5,  /* the simulation has recorded a protocol or model error, or ran past
                         max_cycles */
  SIM_E_NOMEM = -6
} sim_status_t;

typedef struct sim sim_t;
typedef struct sim_config {
  uint32_t clk_hz;            /* default 50000000 */
  uint64_t seed;              /* every random choice derives from it */
  uint64_t mem_size;          /* host memory bytes, default 64 MiB, up to 4 GiB */
  const char *trace_path;     /* FST file, NULL = no waves */
  uint32_t irq_entry_latency; /* cycles from preemption point to ISR entry, default 0 */
  uint64_t max_cycles;        /* 0 = no bound; past it every call returns SIM_E_FAILED */
  uint32_t apb_timeout;       /* cycles to wait for PREADY, default 1000 */
  unsigned hba_dma_chan;      /* soc_top variant: the sysdma channel of the HBA's subordinate
                                 mover, 0 = default (5); 1 selects the 8-bit-channel variant
                                 (docs/harness.md "Model variants"); others: sim_create fails */
} sim_config_t;

void      sim_config_default(sim_config_t *cfg);
sim_t    *sim_create(const sim_config_t *cfg);          /* NULL on error, message on stderr */
void      sim_destroy(sim_t *s);
int       sim_reset(sim_t *s, unsigned cycles);          /* rst_ni low for cycles (>=1), then high */
int       sim_step(sim_t *s, uint64_t cycles);           /* run; interrupts taken at each cycle */
uint64_t  sim_cycle(const sim_t *s);
uint64_t  sim_time_ps(const sim_t *s);
uint64_t  sim_seed(const sim_t *s);
struct hostmem *sim_mem(sim_t *s);
uint64_t  sim_rand(sim_t *s);                           /* the sim's seeded PRNG stream */

/* failure log: models and checkers record errors; a test fails if any is unexpected */
void      sim_error(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned  sim_error_count(const sim_t *s);
const char *sim_error_text(const sim_t *s, unsigned i);
void      sim_clear_errors(sim_t *s);                   /* for tests that plant a violation */

/* APB4 master (each call is a real transaction; interrupts taken before it starts) */
int sim_apb_write(sim_t *s, uint32_t addr, uint32_t data, unsigned size);   /* 1,2,4; lanes from addr */
int sim_apb_write_strb(sim_t *s, uint32_t addr, uint32_t data, uint8_t strb);
int sim_apb_read(sim_t *s, uint32_t addr, unsigned size, uint32_t *data);
uint64_t sim_apb_count(const sim_t *s);                 /* transactions so far */
/* PC I/O ports through the I/O window */
int sim_outb(sim_t *s, uint16_t port, uint8_t v);
int sim_inb(sim_t *s, uint16_t port, uint8_t *v);

/* interrupts and IRQL */
enum { SIM_PASSIVE_LEVEL = 0, SIM_APC_LEVEL = 1, SIM_DISPATCH_LEVEL = 2, SIM_DIRQL = 5,
       SIM_HIGH_LEVEL = 15 };
typedef void (*sim_isr_fn)(sim_t *s, unsigned line, void *ctx);   /* runs at SIM_DIRQL */
int      sim_irq_connect(sim_t *s, unsigned line, sim_isr_fn fn, void *ctx);
int      sim_irq_disconnect(sim_t *s, unsigned line);
unsigned sim_irql(const sim_t *s);
unsigned sim_raise_irql(sim_t *s, unsigned new_irql);   /* returns the old one */
void     sim_lower_irql(sim_t *s, unsigned old_irql);   /* runs pending DPCs/ISRs now allowed */
int      sim_irq_line(const sim_t *s, unsigned line);   /* current level */
uint64_t sim_irq_assert_cycle(const sim_t *s, unsigned line); /* cycle of the last rising edge */
typedef struct sim_irq_stats { uint64_t count, lat_min, lat_max, lat_sum; } sim_irq_stats_t;
void     sim_irq_stats(const sim_t *s, unsigned line, sim_irq_stats_t *out);
/* latency = ISR entry cycle - assertion cycle */
uint64_t sim_irq_last_entry_cycle(const sim_t *s, unsigned line);
int      sim_wait_irq(sim_t *s, uint64_t max_cycles);   /* run until an ISR ran; SIM_E_TIMEOUT */
typedef int (*sim_cond_fn)(sim_t *s, void *ctx);
int      sim_wait_until(sim_t *s, sim_cond_fn cond, void *ctx, uint64_t max_cycles);
/* DPCs run at SIM_DISPATCH_LEVEL when the IRQL drops below DISPATCH (or at the next cycle) */
typedef void (*sim_dpc_fn)(sim_t *s, void *ctx);
int      sim_queue_dpc(sim_t *s, sim_dpc_fn fn, void *ctx);
/* timers: fn runs at SIM_DISPATCH_LEVEL at cycle now+delay */
int      sim_timer_start(sim_t *s, uint64_t delay_cycles, sim_dpc_fn fn, void *ctx); /* >=0 id */
int      sim_timer_cancel(sim_t *s, int id);

/* AXI4 memory slave over sim_mem(s) */
typedef enum { SIM_AXI_AW, SIM_AXI_W, SIM_AXI_B, SIM_AXI_AR, SIM_AXI_R, SIM_AXI_NCHAN } sim_axi_chan_t;
typedef int (*sim_pause_fn)(void *ctx, uint64_t cycle);  /* non-zero: hold ready/valid low */
int sim_axi_set_latency(sim_t *s, unsigned read_cycles, unsigned write_cycles);
int sim_axi_set_pause(sim_t *s, sim_axi_chan_t ch, sim_pause_fn fn, void *ctx); /* NULL: never */
int sim_axi_pause_random(sim_t *s, sim_axi_chan_t ch, unsigned percent);       /* seeded */
enum { SIM_AXI_OKAY = 0, SIM_AXI_SLVERR = 2, SIM_AXI_DECERR = 3 };
/* beats touching [lo, hi) (hi exclusive) answer resp, on reads and/or writes; an errored write
 * beat is not written, an errored read beat returns zero data */
int sim_axi_inject_error(sim_t *s, uint64_t lo, uint64_t hi, int resp, int on_read, int on_write);
void sim_axi_clear_errors_injected(sim_t *s);
typedef struct sim_axi_stats { uint64_t ar, aw, r_beats, w_beats, b, errors; } sim_axi_stats_t;
void sim_axi_stats(const sim_t *s, sim_axi_stats_t *out);
/* the protocol checker records violations with sim_error(); tests may plant one with: */
int sim_axi_checker_selftest_plant(sim_t *s, int kind);

/* ISA-style DMA devices, one per channel 0-7 (channel 4 unused: internal cascade) */
typedef enum { SIM_DREQ_OFF, SIM_DREQ_ALWAYS, SIM_DREQ_PULSE, SIM_DREQ_RANDOM, SIM_DREQ_COUNT }
        sim_dreq_mode_t;
typedef struct sim_dmadev_cfg {
  sim_dreq_mode_t mode;     /* ALWAYS: held while armed; PULSE: raised until DACK, then dropped
                               for gap cycles; RANDOM: seeded on/off; COUNT: held for count
                               transfers (dropped during the strobe of the last one, as a
                               demand-mode device must), then off */
  unsigned gap;             /* PULSE gap / RANDOM on-percent */
  unsigned count;           /* COUNT */
  int dreq_active_low;      /* must match the command register's DREQ sense */
  int dack_active_high;     /* must match the command register's DACK sense */
  const uint8_t *src; size_t src_len;  /* data the device gives (device -> memory) */
  uint8_t *sink; size_t sink_len;      /* where the device puts data (memory -> device) */
  uint64_t eop_after;       /* assert EOP during transfer number eop_after (1-based), 0 = never */
} sim_dmadev_cfg_t;
typedef struct sim_dmadev_stats {
  uint64_t transfers, bytes_in, bytes_out, tc_count, first_dack_cycle, last_dack_cycle,
           tc_cycle, eop_cycle;
} sim_dmadev_stats_t;
int  sim_dmadev_config(sim_t *s, unsigned ch, const sim_dmadev_cfg_t *cfg); /* arms it */
int  sim_dmadev_stop(sim_t *s, unsigned ch);
void sim_dmadev_stats(const sim_t *s, unsigned ch, sim_dmadev_stats_t *out);
/* optional per-transfer log: cycle of each DACK'd transfer, for timing tests */
size_t sim_dmadev_transfer_cycles(const sim_t *s, unsigned ch, uint64_t *out, size_t max);

/* SCSI bus (docs/contracts.md 11, models/scsi_bus.h): the bus the HBA drives, with the C
 * target models attached to it (scsi_target_create(sim_scsi_bus(s), id, ...)). Created on
 * first use and owned by the sim (its targets die with it). After every rising edge the
 * harness gives the resolved bus (soc_top scsi_bus_o) to the bus model when a line a target
 * waits on changed or a target's deadline is due, and drives the targets' contribution into
 * scsi_tgt_i for the next edge. Bus-checker findings are recorded as sim errors. NULL when out
 * of memory. */
struct scsi_bus *sim_scsi_bus(sim_t *s);

/* ---- additions beyond contract section 6 ------------------------------------------------ */

/* The cycle numbering: sim_cycle() counts rising clock edges since sim_create. An event "at
 * cycle N" happened at edge N (for an output: it changed at edge N; for a handshake: edge N
 * is the edge that completed it). */

/* APB: the edge that sampled the last transaction's request (its first access-phase cycle,
 * the edge the RTL acts on, e.g. soc_ctrl TIMER's "write's access phase"), and the number of
 * wait states (access cycles with PREADY low) it took. */
uint64_t sim_apb_last_req_cycle(const sim_t *s);
unsigned sim_apb_last_wait_states(const sim_t *s);

/* interrupts */
uint64_t sim_isr_count(const sim_t *s);                 /* ISR invocations, all lines */
int      sim_in_reset(const sim_t *s);                  /* rst_ni is low */
uint64_t sim_max_cycles(const sim_t *s);
uint32_t sim_clk_hz(const sim_t *s);
unsigned sim_hba_dma_chan(const sim_t *s);              /* the variant's HbaDmaChan (5 or 1) */
/* Waves: with on = 0 the edges that follow are not written to the trace (the FST keeps what
 * was dumped; time jumps when dumping resumes), on = 1 resumes. Returns whether dumping was
 * on. No effect without a trace_path. Tracing costs simulation speed only while on. */
int      sim_trace_enable(sim_t *s, int on);

/* DMA devices: DACK periods without any strobe (verify transfers, also included in
 * stats.transfers; in block/demand mode a run of verify transfers under one DACK counts once) */
uint64_t sim_dmadev_verify_count(const sim_t *s, unsigned ch);
/* DMA devices: the cycle each IOR/IOW strobe of the device's channel began (the edge after
 * which it was active), in order, like sim_dmadev_transfer_cycles (out NULL: the count) */
size_t   sim_dmadev_strobe_cycles(const sim_t *s, unsigned ch, uint64_t *out, size_t max);
int      sim_dmadev_armed(const sim_t *s, unsigned ch);

/* protocol checker self-test: what sim_axi_checker_selftest_plant(s, kind) corrupts in the
 * checker's view of the next matching transaction (the pins themselves are untouched) */
enum {
  SIM_AXI_PLANT_AR_PAYLOAD = 1,     /* next AR stall: the address seems to change */
  SIM_AXI_PLANT_AW_PAYLOAD,         /* next AW stall: the address seems to change */
  SIM_AXI_PLANT_W_PAYLOAD,          /* next W stall: the data seems to change */
  SIM_AXI_PLANT_AR_VALID_DROP,      /* next AR stall: ARVALID seems to drop */
  SIM_AXI_PLANT_AW_VALID_DROP,      /* next AW stall: AWVALID seems to drop */
  SIM_AXI_PLANT_W_VALID_DROP,       /* next W stall: WVALID seems to drop */
  SIM_AXI_PLANT_NO_WLAST,           /* next W beat with WLAST seems to lack it */
  SIM_AXI_PLANT_EARLY_WLAST,        /* next AW seems one beat longer: its WLAST is early */
  SIM_AXI_PLANT_4K_CROSS,           /* next AR/AW seems to cross a 4 KiB boundary */
  SIM_AXI_PLANT_LOST_AW,            /* next AW handshake is hidden: W and B lack their AW */
  SIM_AXI_PLANT_DUP_R,              /* next R beat seems to arrive twice */
  SIM_AXI_PLANT_NKINDS
};
/* the plant armed and not yet applied, 0 when none */
int sim_axi_checker_plant_pending(const sim_t *s);

/* Pin observation (read-only): the pre-edge sample of soc_top's pins (sim/soc_pins.h) that
 * the last edge took its handshakes from (both VALID and READY high in it = a handshake at
 * that edge; scsi_bus_o = the resolved SCSI bus before it). For observers that sample the pins
 * once per cycle, e.g. from a sim_wait_until condition (tools/hba_bench.c). */
struct soc_pins;
const struct soc_pins *sim_pins_pre(const sim_t *s);

#endif
