/* stack_demo: the `make run` job. Brings up the whole storage stack on a simulated PC --
 * soc_top (8237A pair + HBA) under Verilator, three SCSI disks on the bus, the HAL DMA adapter,
 * SCSI Port, the hbasub subordinate-DMA miniport and the disk class layer -- runs a seeded
 * mixed workload of reads and writes (1 block to 1.5 times MaximumTransferLength, buffers
 * scattered, contiguous, above 16 MiB and unaligned, several requests outstanding across the
 * disks), checks every byte against a shadow copy of each disk, and prints a summary.
 *
 *   stack_demo [--seed N] [--ios N] [--sequential BLOCKS] [--waves FILE.fst] [--wave-ios N]
 *              [--report FILE] [--quiet]
 *
 * --sequential BLOCKS replaces the mixed workload by back-to-back BLOCKS-block I/Os on disk ID
 * 0, alternating WRITE and READ (the `make bench` figures of the subordinate path).
 * --waves records the bring-up, the scan and the first --wave-ios I/Os (default 4; the rest
 * runs untraced, at full speed); --report writes every I/O and the summary to FILE.
 *
 * Exit status 0 when every check passed, 1 when any failed, 2 on a usage error. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disk.h"
#include "hal_dma.h"
#include "hbasub.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "scsiport.h"
#include "sim.h"

#define NDISKS 3
#define MAX_OUTSTANDING 6
#define SHADOW_STREAM 0x736861646f77ull /* "shadow" */

typedef struct disk_model {
  unsigned id;
  uint64_t blocks;
  scsi_disk_t *model;
  scsi_target_t *tgt;
  disk_t *d;               /* the class's disk */
  uint8_t *shadow;         /* what the disk must hold */
} disk_model_t;

typedef struct io {
  int busy;
  int write;
  disk_model_t *dm;
  uint64_t lba;
  uint32_t blocks;
  hostmem_buf_t *buf;
  hostmem_place_t place;
  uint8_t *expect;         /* read: the shadow at submit time */
  NTSTATUS status;
  uint64_t bytes;
  int done;
  uint64_t submit_cycle;
  struct demo *demo;
} io_t;

typedef struct demo {
  sim_t *s;
  hal_machine_t *hal;
  sp_system_t *sys;
  sp_port_t *port;
  disk_class_t *cls;
  disk_model_t dm[NDISKS];
  prng_t rng;
  io_t io[MAX_OUTSTANDING];
  unsigned failures;
  int quiet;
  FILE *report;
  /* results */
  uint64_t reads, writes, bytes_read, bytes_written, ios_done;
  uint64_t by_place[5];
  unsigned wave_ios;
  uint32_t seq_blocks;       /* --sequential N: N-block I/Os, in order, on disk ID 0 */
  uint64_t seq_next, seq_count;
  uint64_t wave_end_cycle;   /* the cycle tracing stopped (0: it did not) */
} demo_t;

static void fail(demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(demo_t *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "stack_demo: FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if (d->report) {
    va_start(ap, fmt);
    fprintf(d->report, "FAIL: ");
    vfprintf(d->report, fmt, ap);
    fprintf(d->report, "\n");
    va_end(ap);
  }
  d->failures++;
}

static long first_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return (long)i;
  return -1;
}

/* ---- bring-up ----------------------------------------------------------------------------- */

static int add_disk(demo_t *d, disk_model_t *dm, unsigned id, uint64_t blocks, int timed,
                    uint64_t seed) {
  scsi_disk_config_t dc;
  scsi_disk_config_default(&dc);
  dc.capacity = blocks;
  dc.seed = seed + id;
  if (!timed) memset(&dc.timing, 0, sizeof dc.timing);
  char err[160];
  dm->model = scsi_disk_create(&dc, err, sizeof err);
  if (!dm->model) {
    fail(d, "scsi_disk_create: %s", err);
    return -1;
  }
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  tc.seed = seed ^ (0x7467ull << 8) ^ id;
  if (timed) tc.disconnect_every = 16384; /* long transfers disconnect and reselect */
  int e = 0;
  dm->tgt = scsi_target_create(sim_scsi_bus(d->s), id, &tc, &e);
  if (!dm->tgt || scsi_target_bind(dm->tgt, 0, &scsi_disk_lu_ops, dm->model)) {
    fail(d, "scsi_target_create(%u): %d", id, e);
    return -1;
  }
  dm->id = id;
  dm->blocks = blocks;
  dm->shadow = calloc(blocks, 512);
  if (!dm->shadow) {
    fail(d, "out of memory for the shadow of disk %u", id);
    return -1;
  }
  /* seeded initial contents, on the disk and in the shadow */
  prng_t g;
  prng_seed(&g, seed, SHADOW_STREAM + id);
  prng_fill(&g, dm->shadow, blocks * 512u);
  if (scsi_disk_poke(dm->model, 0, 0, blocks, dm->shadow)) {
    fail(d, "scsi_disk_poke(%u)", id);
    return -1;
  }
  return 0;
}

static int bring_up(demo_t *d, uint64_t seed, const char *waves) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.seed = seed;
  cfg.trace_path = waves;
  cfg.irq_entry_latency = 50; /* 1 us from the interrupt to the ISR: a plausible PC's cost */
  d->s = sim_create(&cfg);
  if (!d->s) return -1;
  if (sim_reset(d->s, 4) || !sim_scsi_bus(d->s)) {
    fail(d, "reset / SCSI bus");
    return -1;
  }
  /* ID 0: 8 MiB, no medium timing; ID 1: 32 MiB with seek/rate timing and disconnects;
   * ID 3: 4 MiB */
  static const struct { unsigned id; uint64_t blocks; int timed; } spec[NDISKS] = {
      {0, 16384, 0}, {1, 65536, 1}, {3, 8192, 0}};
  for (unsigned i = 0; i < NDISKS; i++)
    if (add_disk(d, &d->dm[i], spec[i].id, spec[i].blocks, spec[i].timed, seed)) return -1;
  d->hal = hal_machine_create(d->s, NULL);
  if (!d->hal) {
    fail(d, "hal_machine_create");
    return -1;
  }
  sp_system_config_t sc;
  sp_system_config_hba(&sc, d->s);
  sc.dma_start_window_max = 64;          /* the HwScsiDmaStarted race window, seeded */
  sc.argument_string = "SelTimeout=25000"; /* 0.5 ms: the scan over empty IDs stays short */
  d->sys = sp_system_create(d->s, d->hal, &sc);
  if (!d->sys) {
    fail(d, "sp_system_create");
    return -1;
  }
  ULONG st = HbaSubDriverEntry(sp_system_driver_object(d->sys), NULL);
  if (st != (ULONG)STATUS_SUCCESS || sp_system_port_count(d->sys) != 1) {
    fail(d, "HbaSubDriverEntry: 0x%08x, %u port(s)", (unsigned)st,
         sp_system_port_count(d->sys));
    return -1;
  }
  d->port = sp_system_port(d->sys, 0);
  port_if_t pif;
  sp_port_if(d->port, &pif);
  d->cls = disk_class_create(d->s, &pif, NULL);
  if (!d->cls) {
    fail(d, "disk_class_create");
    return -1;
  }
  int n = disk_class_scan(d->cls);
  if (n != NDISKS) {
    fail(d, "the scan found %d disks, expected %d", n, NDISKS);
    return -1;
  }
  for (unsigned i = 0; i < NDISKS; i++) {
    disk_t *dk = disk_class_get(d->cls, i);
    disk_info_t info;
    disk_info(dk, &info);
    for (unsigned k = 0; k < NDISKS; k++)
      if (d->dm[k].id == info.target) d->dm[k].d = dk;
  }
  for (unsigned k = 0; k < NDISKS; k++) {
    if (!d->dm[k].d) {
      fail(d, "disk at ID %u not claimed", d->dm[k].id);
      return -1;
    }
    disk_info_t info;
    disk_info(d->dm[k].d, &info);
    if (info.blocks != d->dm[k].blocks || info.block_size != 512)
      fail(d, "ID %u: capacity %" PRIu64 " x %u, expected %" PRIu64 " x 512", d->dm[k].id,
           info.blocks, info.block_size, d->dm[k].blocks);
  }
  return 0;
}

/* ---- the workload ------------------------------------------------------------------------- */

static void io_done(void *ctx, NTSTATUS status, uint64_t bytes) {
  io_t *io = ctx;
  io->status = status;
  io->bytes = bytes;
  io->done = 1;
}

static void io_finish(demo_t *d, io_t *io) {
  size_t len = (size_t)io->blocks * 512u;
  const char *what = io->write ? "WRITE" : "READ";
  if (io->status != STATUS_SUCCESS || io->bytes != len) {
    disk_error_t e;
    disk_last_error(io->dm->d, &e);
    fail(d, "%s ID %u lba %" PRIu64 " x%u (%s, buffer offset %zu): status 0x%08x, %" PRIu64
         " bytes; SRB status 0x%02x, SCSI status 0x%02x, sense %s %x/%02x/%02x", what,
         io->dm->id, io->lba, io->blocks, hostmem_place_name(io->place), io->buf->offset,
         (unsigned)io->status, io->bytes, e.srb_status, e.scsi_status,
         e.sense_valid ? "valid" : "none", e.sense_key, e.asc, e.ascq);
    if (io->write) /* what a failed write left on the disk is open: the shadow takes it */
      scsi_disk_peek(io->dm->model, 0, io->lba, io->blocks, io->dm->shadow + io->lba * 512u);
  } else if (!io->write) {
    long k = first_diff(io->buf->va, io->expect, len);
    if (k >= 0)
      fail(d, "READ ID %u lba %" PRIu64 " x%u (%s): differs from the shadow at byte %ld",
           io->dm->id, io->lba, io->blocks, hostmem_place_name(io->place), k);
    d->reads++;
    d->bytes_read += len;
  } else {
    d->writes++;
    d->bytes_written += len;
  }
  if (d->report)
    fprintf(d->report, "%-5s id %u lba %8" PRIu64 " blocks %4u %-11s %s  cycles %" PRIu64 "\n",
            what, io->dm->id, io->lba, io->blocks, hostmem_place_name(io->place),
            io->status == STATUS_SUCCESS ? "ok" : "FAILED", sim_cycle(d->s) - io->submit_cycle);
  d->ios_done++;
  hostmem_buf_free(sim_mem(d->s), io->buf);
  free(io->expect);
  memset(io, 0, sizeof *io);
}

/* ranges of outstanding I/Os must not overlap a write (the order between them is open) */
static int overlaps(demo_t *d, disk_model_t *dm, uint64_t lba, uint32_t blocks) {
  for (unsigned i = 0; i < MAX_OUTSTANDING; i++) {
    io_t *o = &d->io[i];
    if (o->busy && o->dm == dm && lba < o->lba + o->blocks && o->lba < lba + blocks) return 1;
  }
  return 0;
}

/* issues io (dm, lba, blocks, write and place chosen): a buffer, the shadow, the async call;
 * 0, or -1 on a failure recorded */
static int issue(demo_t *d, io_t *io, size_t offset) {
  size_t len = (size_t)io->blocks * 512u;
  io->buf = hostmem_buf_alloc(sim_mem(d->s), len, offset, io->place);
  if (!io->buf) { /* placement impossible for this size: scattered pages always are */
    io->place = HOSTMEM_PLACE_SCATTERED;
    io->buf = hostmem_buf_alloc(sim_mem(d->s), len, offset, io->place);
    if (!io->buf) {
      fail(d, "host memory for %zu bytes", len);
      return -1;
    }
  }
  d->by_place[io->place]++;
  uint8_t *sh = io->dm->shadow + io->lba * 512u;
  NTSTATUS st;
  io->busy = 1;
  io->demo = d;
  io->submit_cycle = sim_cycle(d->s);
  if (io->write) {
    prng_fill(&d->rng, io->buf->va, len);
    memcpy(sh, io->buf->va, len); /* the shadow takes the new data now: no overlap allowed */
    st = disk_write_async(io->dm->d, io->lba, io->blocks, io->buf->va, io_done, io);
  } else {
    io->expect = malloc(len);
    if (!io->expect) {
      fail(d, "out of memory");
      return -1;
    }
    memcpy(io->expect, sh, len);
    memset(io->buf->va, 0xA5, len);
    st = disk_read_async(io->dm->d, io->lba, io->blocks, io->buf->va, io_done, io);
  }
  if (st != STATUS_PENDING) {
    fail(d, "submit: 0x%08x", (unsigned)st);
    io->status = st;
    io->done = 1;
  }
  return 0;
}

/* the next I/O of the workload into io: 0 issued, 1 none free of overlaps now, -1 failed */
static int submit(demo_t *d, io_t *io) {
  static const hostmem_place_t places[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_CONTIGUOUS,
                                           HOSTMEM_PLACE_BELOW_16M, HOSTMEM_PLACE_ABOVE_16M,
                                           HOSTMEM_PLACE_MIXED};
  if (d->seq_blocks) { /* the benchmark pattern: back-to-back I/Os on disk 0, in order */
    disk_model_t *dm = &d->dm[0];
    if (d->seq_next + d->seq_blocks > dm->blocks) d->seq_next = 0;
    if (overlaps(d, dm, d->seq_next, d->seq_blocks)) return 1;
    io->dm = dm;
    io->lba = d->seq_next;
    io->blocks = d->seq_blocks;
    io->write = d->seq_count++ % 2u == 0;
    io->place = HOSTMEM_PLACE_SCATTERED;
    d->seq_next += d->seq_blocks;
    return issue(d, io, 0);
  }
  IO_SCSI_CAPABILITIES cap;
  sp_port_capabilities(d->port, &cap);
  for (int tries = 0; tries < 16; tries++) {
    disk_model_t *dm = &d->dm[prng_below(&d->rng, NDISKS)];
    /* sizes: mostly small, some around and above MaximumTransferLength */
    uint32_t max_blocks = cap.MaximumTransferLength / 512u;
    uint32_t r = (uint32_t)prng_below(&d->rng, 100), blocks;
    if (r < 60) blocks = 1 + (uint32_t)prng_below(&d->rng, 8);
    else if (r < 92) blocks = 9 + (uint32_t)prng_below(&d->rng, 56);
    else blocks = max_blocks - 8 + (uint32_t)prng_below(&d->rng, max_blocks / 2 + 16);
    if (blocks > dm->blocks) blocks = (uint32_t)dm->blocks;
    uint64_t lba = prng_below(&d->rng, dm->blocks - blocks + 1);
    if (overlaps(d, dm, lba, blocks)) continue;
    io->dm = dm;
    io->lba = lba;
    io->blocks = blocks;
    io->write = prng_below(&d->rng, 2) != 0;
    io->place = places[prng_below(&d->rng, 5)];
    size_t offset = prng_below(&d->rng, 4) ? 0 : 1 + prng_below(&d->rng, 4095);
    return issue(d, io, offset);
  }
  return 1; /* nothing free of overlaps this time */
}

static int any_done(sim_t *s, void *ctx) {
  (void)s;
  demo_t *d = ctx;
  for (unsigned i = 0; i < MAX_OUTSTANDING; i++)
    if (d->io[i].busy && d->io[i].done) return 1;
  return 0;
}

static void workload(demo_t *d, unsigned nios) {
  unsigned submitted = 0;
  while (d->ios_done < nios) {
    for (unsigned i = 0; i < MAX_OUTSTANDING && submitted < nios; i++)
      if (!d->io[i].busy && !d->failures) {
        int r = submit(d, &d->io[i]);
        if (r < 0) return;
        if (r == 0) submitted++;
      }
    if (d->failures && disk_class_outstanding(d->cls) == 0) break;
    if (sim_wait_until(d->s, any_done, d, 200000000ull)) {
      fail(d, "no completion within 200M cycles (%u outstanding)",
           disk_class_outstanding(d->cls));
      return;
    }
    for (unsigned i = 0; i < MAX_OUTSTANDING; i++)
      if (d->io[i].busy && d->io[i].done) io_finish(d, &d->io[i]);
    if (!d->wave_end_cycle && d->ios_done >= d->wave_ios) {
      sim_trace_enable(d->s, 0);
      d->wave_end_cycle = sim_cycle(d->s);
    }
  }
  /* the disks themselves equal the shadows */
  for (unsigned k = 0; k < NDISKS; k++) {
    disk_model_t *dm = &d->dm[k];
    uint8_t *img = malloc(dm->blocks * 512u);
    if (!img || scsi_disk_peek(dm->model, 0, 0, dm->blocks, img)) {
      fail(d, "scsi_disk_peek(%u)", dm->id);
    } else {
      long x = first_diff(img, dm->shadow, dm->blocks * 512u);
      if (x >= 0) fail(d, "disk ID %u differs from its shadow at byte %ld", dm->id, x);
    }
    free(img);
  }
}

/* ---- summary ------------------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void summary(demo_t *d, FILE *f, double wall, const char *waves, const char *report) {
  uint64_t cyc = sim_cycle(d->s);
  double sec = (double)cyc / sim_clk_hz(d->s);
  sp_port_stats_t st;
  sp_port_stats(d->port, &st);
  size_t n = sp_port_isr_latencies(d->port, NULL, 0);
  uint64_t *lat = n ? malloc(n * sizeof *lat) : NULL;
  uint64_t lmin = 0, lmed = 0, lmax = 0;
  if (lat) {
    sp_port_isr_latencies(d->port, lat, n);
    qsort(lat, n, sizeof *lat, cmp_u64);
    lmin = lat[0];
    lmed = lat[n / 2];
    lmax = lat[n - 1];
  }
  free(lat);
  disk_class_stats_t cs;
  disk_class_stats(d->cls, &cs);
  uint64_t ios = d->reads + d->writes;
  double mb = (double)(d->bytes_read + d->bytes_written) / 1e6;
  fprintf(f, "\n== hbasim storage stack: summary (seed %" PRIu64 ")\n", sim_seed(d->s));
  fprintf(f, "stack          soc_top (8237A pair + HBA on DMA channel %u) / HAL / SCSI Port / "
             "hbasub miniport / disk class\n", sim_hba_dma_chan(d->s));
  fprintf(f, "disks          %u (IDs", NDISKS);
  for (unsigned k = 0; k < NDISKS; k++)
    fprintf(f, " %u:%" PRIu64 "MiB", d->dm[k].id, d->dm[k].blocks * 512u >> 20);
  fprintf(f, ")\n");
  fprintf(f, "I/Os           %" PRIu64 " (%" PRIu64 " reads, %" PRIu64 " writes) in %" PRIu64
             " pieces; %" PRIu64 " SRBs in all (scan, sense, retries)\n", ios, d->reads,
          d->writes, cs.pieces, cs.srbs);
  fprintf(f, "buffers        scattered %" PRIu64 ", contiguous %" PRIu64 ", below 16 MiB %" PRIu64
             ", above 16 MiB %" PRIu64 ", mixed %" PRIu64 "\n", d->by_place[0], d->by_place[1],
          d->by_place[2], d->by_place[3], d->by_place[4]);
  fprintf(f, "bytes          %" PRIu64 " read, %" PRIu64 " written, every byte checked\n",
          d->bytes_read, d->bytes_written);
  fprintf(f, "cycles         %" PRIu64 " (%.3f ms simulated at %u MHz)\n", cyc, sec * 1e3,
          sim_clk_hz(d->s) / 1000000u);
  fprintf(f, "throughput     %.2f MB/s simulated\n", sec > 0 ? mb / sec : 0.0);
  fprintf(f, "interrupts     %" PRIu64 " ours; ISR latency min/median/max %" PRIu64 "/%" PRIu64
             "/%" PRIu64 " cycles\n", st.interrupts, lmin, lmed, lmax);
  fprintf(f, "DMA mapping    %" PRIu64 " ScsiPortIoMapTransfer, %" PRIu64 " flushes, %" PRIu64
             " cancelled; 8237 programming %.1f APB accesses per map, %.1f per I/O\n",
          st.io_map_transfers, st.flushes, st.dma_cancelled,
          st.io_map_transfers ? (double)st.apb_accesses_dma / (double)st.io_map_transfers : 0.0,
          ios ? (double)st.apb_accesses_dma / (double)ios : 0.0);
  fprintf(f, "miniport       %.1f register accesses per I/O\n",
          ios ? (double)st.apb_accesses / (double)ios : 0.0);
  fprintf(f, "simulation     %.2f s wall, %.0f cycles/s\n", wall, wall > 0 ? (double)cyc / wall
                                                                          : 0.0);
  if (waves && d->wave_end_cycle)
    fprintf(f, "waves          %s (bring-up, scan and the first %u I/Os: cycles 0-%" PRIu64
               "; open with gtkwave %s waves/hba.gtkw)\n", waves, d->wave_ios,
            d->wave_end_cycle, waves);
  else
    fprintf(f, "waves          %s\n", waves ? waves : "(off: --waves FILE.fst)");
  fprintf(f, "report         %s\n", report ? report : "(off: --report FILE)");
  fprintf(f, "result         %s\n", d->failures ? "FAILED" : "PASS: every check passed");
}

static int usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--seed N] [--ios N] [--sequential BLOCKS] [--waves FILE.fst] "
                  "[--wave-ios N] [--report FILE] [--quiet]\n", argv0);
  return 2;
}

int main(int argc, char **argv) {
  uint64_t seed = 1;
  unsigned nios = 40;
  const char *waves = NULL, *report = NULL;
  demo_t d;
  memset(&d, 0, sizeof d);
  d.wave_ios = 4;
  for (int i = 1; i < argc; i++) {
    char *end = NULL;
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = strtoull(argv[++i], &end, 0);
      if (*end) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--ios") && i + 1 < argc) {
      unsigned long v = strtoul(argv[++i], &end, 0);
      if (*end || v == 0 || v > 1000000) return usage(argv[0]);
      nios = (unsigned)v;
    } else if (!strcmp(argv[i], "--waves") && i + 1 < argc) {
      waves = argv[++i];
    } else if (!strcmp(argv[i], "--sequential") && i + 1 < argc) {
      unsigned long v = strtoul(argv[++i], &end, 0);
      if (*end || v == 0 || v > 8192) return usage(argv[0]);
      d.seq_blocks = (uint32_t)v;
    } else if (!strcmp(argv[i], "--wave-ios") && i + 1 < argc) {
      unsigned long v = strtoul(argv[++i], &end, 0);
      if (*end || v > 1000000) return usage(argv[0]);
      d.wave_ios = (unsigned)v;
    } else if (!strcmp(argv[i], "--report") && i + 1 < argc) {
      report = argv[++i];
    } else if (!strcmp(argv[i], "--quiet")) {
      d.quiet = 1;
    } else {
      return usage(argv[0]);
    }
  }
  if (report) {
    d.report = fopen(report, "w");
    if (!d.report) {
      fprintf(stderr, "stack_demo: cannot write %s\n", report);
      return 2;
    }
  }
  prng_seed(&d.rng, seed, 0x776f726b6c6f6164ull /* "workload" */);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!d.quiet) printf("stack_demo: seed %" PRIu64 ", %u I/Os\n", seed, nios);
  int up = bring_up(&d, seed, waves);
  if (up == 0) workload(&d, nios);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (d.s && d.port && d.cls) {
    summary(&d, stdout, wall, waves, report);
    if (d.report) summary(&d, d.report, wall, waves, report);
  }
  if (d.s && sim_error_count(d.s)) {
    for (unsigned i = 0; i < sim_error_count(d.s) && i < 10; i++)
      fprintf(stderr, "stack_demo: sim error: %s\n", sim_error_text(d.s, i));
    d.failures++;
  }
  int rc = d.failures ? 1 : 0;
  /* teardown: class, port, HAL, sim (targets die with it), then the disk models */
  for (unsigned i = 0; i < MAX_OUTSTANDING; i++)
    if (d.io[i].busy && d.s) {
      hostmem_buf_free(sim_mem(d.s), d.io[i].buf);
      free(d.io[i].expect);
    }
  disk_class_destroy(d.cls);
  sp_system_destroy(d.sys);
  hal_machine_destroy(d.hal);
  sim_destroy(d.s);
  for (unsigned k = 0; k < NDISKS; k++) {
    scsi_disk_destroy(d.dm[k].model);
    free(d.dm[k].shadow);
  }
  if (d.report) fclose(d.report);
  return rc;
}
