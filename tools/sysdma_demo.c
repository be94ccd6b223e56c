/* sysdma_demo: the `make run` job. Builds a simulated PC/AT system DMA controller, initialises
 * it as a BIOS would, then moves real data through several channels and modes with ISA-style
 * device models on DREQ/DACK, checks every byte, and prints a summary.
 *
 *   sysdma_demo [--seed N] [--waves FILE.fst] [--quiet]
 *
 * Exit status 0 when every check passed, 1 when any failed, 2 on a usage error. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostmem.h"
#include "i8237.h"
#include "prng.h"
#include "sim.h"
#include "soc_ctrl_regs.h"

/* soc_ctrl's APB base (contracts.md section 3), unless the generated header provides it */
#ifndef SOC_CTRL_BASE
#define SOC_CTRL_BASE 0x10000000u
#endif

#define DATA_STREAM 0x64656d6f64617461ull /* "demodata": prng stream of the payloads */
#define MAX_XFERS 16
#define KIB 1024u

typedef struct demo {
  sim_t *s;
  hostmem_t *mem;
  prng_t rng;
  int quiet;
  uint32_t tc_seen;         /* IRQ_STATUS bits collected by the interrupt handler */
  uint64_t irqs;
  unsigned failures;
  struct result {
    unsigned ch;
    const char *mode, *dir;
    uint32_t bytes;
    uint64_t cycles;
    int ok;
  } res[MAX_XFERS];
  unsigned nres;
} demo_t;

static void fail(demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(demo_t *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sysdma_demo: FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  d->failures++;
}

/* ---------------------------------------------------------------------------------------- */
/* soc_ctrl interrupt: collect and acknowledge the TC bits */

static uint32_t soc_ctrl_addr(uint32_t off) { return SOC_CTRL_BASE + off; }

static void tc_isr(sim_t *s, unsigned line, void *ctx) {
  demo_t *d = ctx;
  uint32_t st = 0;
  (void)line;
  if (sim_apb_read(s, soc_ctrl_addr(SOC_CTRL_IRQ_STATUS), 4, &st) != SIM_OK) {
    fail(d, "ISR: IRQ_STATUS read failed");
    return;
  }
  d->tc_seen |= st;
  d->irqs++;
  if (sim_apb_write(s, soc_ctrl_addr(SOC_CTRL_IRQ_STATUS), st, 4) != SIM_OK)
    fail(d, "ISR: IRQ_STATUS acknowledge failed");
}

typedef struct wait_tc {
  demo_t *d;
  uint32_t bit;
} wait_tc_t;

static int tc_arrived(sim_t *s, void *ctx) {
  wait_tc_t *w = ctx;
  (void)s;
  return (w->d->tc_seen & w->bit) != 0;
}

/* run until the handler saw TC on `ch`; 0 or -1 on timeout */
static int wait_tc(demo_t *d, unsigned ch, uint32_t units) {
  wait_tc_t w = {d, 1u << ch};
  uint64_t bound = 2000ull * units + 200000ull;
  int rc = sim_wait_until(d->s, tc_arrived, &w, bound);
  if (rc != SIM_OK) {
    fail(d, "channel %u: no terminal count within %" PRIu64 " cycles (status %d)", ch, bound, rc);
    return -1;
  }
  d->tc_seen &= ~w.bit;
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* memory: a 64 KiB (128 KiB on word channels) aligned block below 16 MiB, so a transfer
 * placed anywhere inside it never crosses the 8237's page boundary */

static uint32_t dma_block(demo_t *d, unsigned ch) {
  uint64_t span = ch >= 4 ? 128 * KIB : 64 * KIB, pfn0;
  if (hostmem_alloc_contig(d->mem, span / HOSTMEM_PAGE_SIZE, HOSTMEM_16M, span, &pfn0) != 0) {
    fail(d, "no free %" PRIu64 " KiB block below 16 MiB", span / KIB);
    return 0;
  }
  return (uint32_t)(pfn0 * HOSTMEM_PAGE_SIZE);
}

static void dma_block_free(demo_t *d, unsigned ch, uint32_t base) {
  if (!base) return;
  size_t n = (ch >= 4 ? 128 * KIB : 64 * KIB) / HOSTMEM_PAGE_SIZE;
  uint64_t pfns[32];
  for (size_t i = 0; i < n; i++) pfns[i] = base / HOSTMEM_PAGE_SIZE + i;
  hostmem_free_pages(d->mem, n, pfns);
}

/* a seeded position for len bytes inside a block (even on word channels) */
static uint32_t place_in_block(demo_t *d, unsigned ch, uint32_t base, uint32_t len) {
  uint32_t span = ch >= 4 ? 128 * KIB : 64 * KIB;
  uint32_t off = (uint32_t)prng_below(&d->rng, span - len + 1);
  if (ch >= 4) off &= ~1u;
  return base + off;
}

static uint8_t *random_bytes(demo_t *d, size_t len) {
  uint8_t *p = malloc(len ? len : 1);
  if (p) prng_fill(&d->rng, p, len);
  return p;
}

static const char *mode_name(i8237_reqmode_t m) {
  switch (m) {
    case I8237_DEMAND: return "demand";
    case I8237_SINGLE: return "single";
    case I8237_BLOCK: return "block";
    default: return "cascade";
  }
}

static const char *dir_name(i8237_xfer_t t) {
  switch (t) {
    case I8237_WRITE: return "dev->mem";
    case I8237_READ: return "mem->dev";
    default: return "verify";
  }
}

static void record(demo_t *d, unsigned ch, const char *mode, const char *dir, uint32_t bytes,
                   uint64_t cycles, int ok) {
  if (d->nres >= MAX_XFERS) return;
  d->res[d->nres++] = (struct result){ch, mode, dir, bytes, cycles, ok};
}

/* after TC: the status register shows it, the count has run out (or reloaded on autoinit) */
static int check_after_tc(demo_t *d, unsigned ch, uint32_t len, int autoinit) {
  int ok = 1, rc;
  uint8_t st = 0;
  uint32_t left = 0;
  if ((rc = i8237_read_status(d->s, ch, &st)) != I8237_OK) {
    fail(d, "channel %u: status read: %s", ch, i8237_strerror(rc));
    return 0;
  }
  if (!(st & (1u << (ch & 3u)))) {
    fail(d, "channel %u: status 0x%02x lacks the TC bit", ch, st);
    ok = 0;
  }
  if ((rc = i8237_residual(d->s, ch, &left)) != I8237_OK) {
    fail(d, "channel %u: residual read: %s", ch, i8237_strerror(rc));
    return 0;
  }
  /* autoinit reloads the base count at TC: the whole length is left again (a full 64 K
   * transfers count reads as 0 either way) */
  uint32_t units = ch >= 4 ? len / 2 : len;
  uint32_t want = autoinit && units < 0x10000u ? len : 0u;
  if (left != want) {
    fail(d, "channel %u: %u bytes left after TC, expected %u", ch, left, want);
    ok = 0;
  }
  return ok;
}

static int compare(demo_t *d, const char *what, const uint8_t *got, const uint8_t *want,
                   size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (got[i] != want[i]) {
      fail(d, "%s: byte %zu of %zu is 0x%02x, expected 0x%02x", what, i, len, got[i], want[i]);
      return 0;
    }
  }
  return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* one device transfer: program the channel, let the device run, check the bytes */

typedef struct xfer_plan {
  unsigned ch;
  i8237_xfer_t type;
  i8237_reqmode_t mode;
  uint32_t len;
  sim_dreq_mode_t dreq;
  unsigned gap;
} xfer_plan_t;

static void device_transfer(demo_t *d, const xfer_plan_t *p) {
  hostmem_t *m = d->mem;
  uint32_t base = dma_block(d, p->ch);
  if (!base) {
    record(d, p->ch, mode_name(p->mode), dir_name(p->type), p->len, 0, 0);
    return;
  }
  uint32_t pa = place_in_block(d, p->ch, base, p->len);
  uint8_t *mem_before = random_bytes(d, p->len); /* what memory holds before */
  uint8_t *dev_src = random_bytes(d, p->len);    /* what the device gives */
  uint8_t *sink = random_bytes(d, p->len);       /* where the device puts data */
  uint8_t *sink_before = malloc(p->len), *after = malloc(p->len);
  int ok = 1;
  uint64_t cycles = 0;
  if (!mem_before || !dev_src || !sink || !sink_before || !after) {
    fail(d, "out of memory");
    ok = 0;
    goto out;
  }
  memcpy(sink_before, sink, p->len);
  hostmem_write(m, pa, mem_before, p->len);
  hostmem_dma_map(m, pa, p->len, p->type == I8237_WRITE);

  sim_dmadev_cfg_t dc = {.mode = p->dreq, .gap = p->gap, .src = dev_src, .src_len = p->len,
                         .sink = sink, .sink_len = p->len};
  if (sim_dmadev_config(d->s, p->ch, &dc) != SIM_OK) {
    fail(d, "channel %u: device configuration refused", p->ch);
    ok = 0;
    goto unmap;
  }
  i8237_xfer_desc_t x = {.channel = p->ch, .phys = pa, .length = p->len, .type = p->type,
                         .mode = p->mode};
  uint64_t c0 = sim_cycle(d->s);
  int rc = i8237_program(d->s, &x);
  if (rc != I8237_OK) {
    fail(d, "channel %u: program: %s", p->ch, i8237_strerror(rc));
    ok = 0;
    goto stop;
  }
  uint32_t units = p->ch >= 4 ? p->len / 2 : p->len;
  if (wait_tc(d, p->ch, units) != 0) {
    ok = 0;
    goto stop;
  }
  cycles = sim_cycle(d->s) - c0;
  ok &= check_after_tc(d, p->ch, p->len, 0);

  char what[64];
  snprintf(what, sizeof what, "channel %u %s %s", p->ch, mode_name(p->mode), dir_name(p->type));
  hostmem_read(m, pa, after, p->len);
  sim_dmadev_stats_t st;
  sim_dmadev_stats(d->s, p->ch, &st);
  switch (p->type) {
    case I8237_READ:
      ok &= compare(d, what, sink, mem_before, p->len);
      ok &= compare(d, "memory read by DMA", after, mem_before, p->len);
      if (st.bytes_out != p->len) {
        fail(d, "%s: device took %" PRIu64 " bytes, expected %u", what, st.bytes_out, p->len);
        ok = 0;
      }
      break;
    case I8237_WRITE:
      ok &= compare(d, what, after, dev_src, p->len);
      if (st.bytes_in != p->len) {
        fail(d, "%s: device gave %" PRIu64 " bytes, expected %u", what, st.bytes_in, p->len);
        ok = 0;
      }
      break;
    default: /* verify: addresses and counts run, no data moves either way */
      ok &= compare(d, "memory under verify", after, mem_before, p->len);
      ok &= compare(d, "device sink under verify", sink, sink_before, p->len);
      if (st.bytes_in || st.bytes_out) {
        fail(d, "%s: %" PRIu64 "/%" PRIu64 " bytes moved", what, st.bytes_in, st.bytes_out);
        ok = 0;
      }
      break;
  }
  if (st.transfers != units) {
    fail(d, "%s: %" PRIu64 " DACK cycles, expected %u", what, st.transfers, units);
    ok = 0;
  }
stop:
  i8237_stop(d->s, p->ch);
  sim_dmadev_stop(d->s, p->ch);
unmap:
  hostmem_dma_unmap(m, pa, p->len);
out:
  record(d, p->ch, mode_name(p->mode), dir_name(p->type), p->len, cycles, ok);
  dma_block_free(d, p->ch, base);
  free(mem_before);
  free(dev_src);
  free(sink);
  free(sink_before);
  free(after);
}

/* memory to memory on controller 1: channel 0 reads, channel 1 writes */
static void mem2mem_transfer(demo_t *d, uint32_t len) {
  hostmem_t *m = d->mem;
  uint32_t sb = dma_block(d, 0), db = dma_block(d, 1);
  uint8_t *src = random_bytes(d, len), *dst_before = random_bytes(d, len), *after = malloc(len);
  int ok = 1, rc;
  uint64_t cycles = 0;
  if (!sb || !db || !src || !dst_before || !after) {
    ok = 0;
    goto out;
  }
  uint32_t spa = place_in_block(d, 0, sb, len), dpa = place_in_block(d, 1, db, len);
  hostmem_write(m, spa, src, len);
  hostmem_write(m, dpa, dst_before, len);
  hostmem_dma_map(m, spa, len, 0);
  hostmem_dma_map(m, dpa, len, 1);
  uint64_t c0 = sim_cycle(d->s);
  if ((rc = i8237_program_mem2mem(d->s, spa, dpa, len, 0)) != I8237_OK) {
    fail(d, "memory-to-memory: program: %s", i8237_strerror(rc));
    ok = 0;
  } else if (wait_tc(d, 1, 2 * len) != 0) {
    ok = 0;
  } else {
    cycles = sim_cycle(d->s) - c0;
    ok &= check_after_tc(d, 1, len, 0);
    hostmem_read(m, dpa, after, len);
    ok &= compare(d, "memory-to-memory copy 0->1", after, src, len);
    hostmem_read(m, spa, after, len);
    ok &= compare(d, "memory-to-memory source", after, src, len);
  }
  /* leave controller 1 as the BIOS left it: command 0, both channels masked */
  i8237_write_command(d->s, 0, 0);
  i8237_request(d->s, 0, 0);
  i8237_mask(d->s, 0);
  i8237_mask(d->s, 1);
  hostmem_dma_unmap(m, spa, len);
  hostmem_dma_unmap(m, dpa, len);
out:
  record(d, 1, "block", "mem->mem 0->1", len, cycles, ok);
  dma_block_free(d, 0, sb);
  dma_block_free(d, 1, db);
  free(src);
  free(dst_before);
  free(after);
}

/* autoinit: two rounds into the same buffer without reprogramming the channel; the device
 * stops after each round (COUNT mode) so each round's bytes can be checked */
static void autoinit_transfer(demo_t *d, unsigned ch, uint32_t len) {
  hostmem_t *m = d->mem;
  uint32_t base = dma_block(d, ch);
  uint8_t *src = random_bytes(d, 2 * (size_t)len), *after = malloc(len);
  int ok = 1, rc;
  uint64_t cycles = 0;
  uint32_t units = ch >= 4 ? len / 2 : len;
  uint32_t pa = 0;
  if (!base || !src || !after) {
    ok = 0;
    goto out;
  }
  pa = place_in_block(d, ch, base, len);
  hostmem_dma_map(m, pa, len, 1);
  i8237_xfer_desc_t x = {.channel = ch, .phys = pa, .length = len, .type = I8237_WRITE,
                         .mode = I8237_DEMAND, .autoinit = 1};
  uint64_t c0 = sim_cycle(d->s);
  for (unsigned round = 0; round < 2 && ok; round++) {
    sim_dmadev_cfg_t dc = {.mode = SIM_DREQ_COUNT, .count = units, .src = src + round * len,
                           .src_len = len};
    if (sim_dmadev_config(d->s, ch, &dc) != SIM_OK) {
      fail(d, "channel %u: device configuration refused", ch);
      ok = 0;
      break;
    }
    if (round == 0 && (rc = i8237_program(d->s, &x)) != I8237_OK) {
      fail(d, "channel %u: program: %s", ch, i8237_strerror(rc));
      ok = 0;
      break;
    }
    if (wait_tc(d, ch, units) != 0) {
      ok = 0;
      break;
    }
    ok &= check_after_tc(d, ch, len, 1);
    hostmem_read(m, pa, after, len);
    char what[64];
    snprintf(what, sizeof what, "channel %u autoinit round %u", ch, round + 1);
    ok &= compare(d, what, after, src + round * len, len);
  }
  cycles = sim_cycle(d->s) - c0;
  i8237_stop(d->s, ch);
  sim_dmadev_stop(d->s, ch);
  hostmem_dma_unmap(m, pa, len);
out:
  record(d, ch, "demand+autoinit", "dev->mem x2", 2 * len, cycles, ok);
  dma_block_free(d, ch, base);
  free(src);
  free(after);
}

/* ---------------------------------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--seed N] [--waves FILE.fst] [--quiet]\n", argv0);
  return 2;
}

int main(int argc, char **argv) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.seed = 1;
  int quiet = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      char *end;
      cfg.seed = strtoull(argv[++i], &end, 0);
      if (*end) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--waves") && i + 1 < argc) {
      cfg.trace_path = argv[++i];
    } else if (!strcmp(argv[i], "--quiet")) {
      quiet = 1;
    } else {
      return usage(argv[0]);
    }
  }

  double w0 = now_s();
  demo_t d = {.quiet = quiet};
  prng_seed(&d.rng, cfg.seed, DATA_STREAM);
  d.s = sim_create(&cfg);
  if (!d.s) return 1;
  d.mem = sim_mem(d.s);
  int rc;
  if ((rc = sim_reset(d.s, 4)) != SIM_OK) {
    fprintf(stderr, "sysdma_demo: reset failed (%d)\n", rc);
    sim_destroy(d.s);
    return 1;
  }
  /* every DMA access must hit a mapped range: the IOMMU-style checker is on */
  hostmem_dma_check_enable(d.mem, 1);
  if ((rc = i8237_bios_init(d.s)) != I8237_OK) {
    fprintf(stderr, "sysdma_demo: BIOS init: %s\n", i8237_strerror(rc));
    sim_destroy(d.s);
    return 1;
  }
  if (sim_irq_connect(d.s, 0, tc_isr, &d) != SIM_OK ||
      sim_apb_write(d.s, soc_ctrl_addr(SOC_CTRL_IRQ_ENABLE), 0xFFu, 4) != SIM_OK) {
    fprintf(stderr, "sysdma_demo: cannot enable the TC interrupt\n");
    sim_destroy(d.s);
    return 1;
  }

  static const xfer_plan_t plans[] = {
    {1, I8237_READ, I8237_SINGLE, 3000, SIM_DREQ_ALWAYS, 0},
    {2, I8237_WRITE, I8237_DEMAND, 4096, SIM_DREQ_RANDOM, 60},
    {5, I8237_READ, I8237_BLOCK, 8192, SIM_DREQ_ALWAYS, 0},
    {6, I8237_WRITE, I8237_SINGLE, 2000, SIM_DREQ_PULSE, 3},
    {3, I8237_VERIFY, I8237_SINGLE, 512, SIM_DREQ_ALWAYS, 0},
  };
  for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) device_transfer(&d, &plans[i]);
  mem2mem_transfer(&d, 1500);
  autoinit_transfer(&d, 7, 1024);

  /* checkers: stray DMA, protocol and model errors */
  size_t nv = hostmem_dma_violations(d.mem);
  for (size_t i = 0; i < nv; i++) {
    const char *t = hostmem_dma_violation_text(d.mem, i);
    fail(&d, "DMA verifier: %s", t ? t : "(more violations)");
  }
  unsigned ne = sim_error_count(d.s);
  for (unsigned i = 0; i < ne; i++) fail(&d, "simulation: %s", sim_error_text(d.s, i));

  uint64_t cycles = sim_cycle(d.s), ps = sim_time_ps(d.s), bytes = 0;
  double wall = now_s() - w0;
  if (!quiet) {
    printf("hbasim sysdma demonstration, seed %" PRIu64 ", clock %.0f MHz\n", sim_seed(d.s),
           cfg.clk_hz / 1e6);
    printf("  #  ch  mode             direction        bytes     cycles  check\n");
  }
  for (unsigned i = 0; i < d.nres; i++) {
    struct result *r = &d.res[i];
    bytes += r->bytes;
    if (!quiet)
      printf("%3u  %2u  %-15s  %-13s %8" PRIu32 " %10" PRIu64 "  %s\n", i + 1, r->ch, r->mode,
             r->dir, r->bytes, r->cycles, r->ok ? "ok" : "FAIL");
  }
  double sim_s = (double)ps * 1e-12;
  printf("transfers: %u, bytes: %" PRIu64 ", interrupts: %" PRIu64 ", DMA violations: %zu\n",
         d.nres, bytes, d.irqs, nv);
  printf("simulated: %" PRIu64 " cycles, %.3f ms, %.3f MB/s\n", cycles, sim_s * 1e3,
         sim_s > 0 ? (double)bytes / sim_s / 1e6 : 0.0);
  printf("wall time: %.3f s, simulation speed: %.0f cycles/s\n", wall,
         wall > 0 ? (double)cycles / wall : 0.0);
  printf("%s\n", d.failures ? "RESULT: FAIL" : "RESULT: all checks passed");
  sim_destroy(d.s);
  return d.failures ? 1 : 0;
}
