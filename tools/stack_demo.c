/* stack_demo: the `make run` job. Brings up the whole storage stack on a simulated PC --
 * soc_top (8237A pair + HBA) under Verilator, three SCSI disks on the bus, and the driver stack
 * on each DMA path (driver/stack/hbastack.h):
 *   subordinate  HAL system-DMA adapter (8237) / SCSI Port / hbasub miniport / disk class
 *   bus master   HAL scatter/gather adapter    / Storport  / hbabm miniport  / disk class
 * -- runs a seeded mixed workload of reads and writes (1 block to 1.5 times
 * MaximumTransferLength, buffers scattered, contiguous, above 16 MiB and unaligned, several
 * requests outstanding across the disks), checks every byte against a shadow copy of each
 * disk, and prints a summary per path and, for both, the two side by side.
 *
 *   stack_demo [--path subordinate|bus-master|both] [--seed N] [--ios N] [--sequential BLOCKS]
 *              [--waves FILE.fst] [--wave-ios N] [--report FILE] [--bench] [--quiet]
 *
 * --path: which stack (default both: the subordinate path, then the bus-master path, each on a
 * fresh simulation with the same seed and disks). --sequential BLOCKS replaces the mixed
 * workload by back-to-back BLOCKS-block I/Os on disk ID 0, alternating WRITE and READ.
 * --waves records the bring-up, the scan and the first --wave-ios I/Os (default 4; the rest
 * runs untraced, at full speed); with both paths FILE gets the path before its extension
 * (stack-subordinate.fst, stack-bus-master.fst). --report writes every I/O and the summaries to
 * FILE. --bench (`make bench`): each path runs twice, untraced and then traced from start to
 * end (to --waves, or a file in /tmp), to measure the simulation speed with and without waves;
 * the traced run must repeat the untraced one cycle for cycle.
 *
 * Exit status 0 when every check passed, 1 when any failed, 2 on a usage error. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "disk.h"
#include "hba_common.h"
#include "hbastack.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"

#define NDISKS 3
#define DEMO_LARGE (128u * 1024u) /* the large I/Os' reference size (bytes) */
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
  hbastack_path_t path;
  sim_t *s;
  hbastack_t *k;
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
  struct timespec t0;        /* wall clock at the start of the run */
  uint64_t seg_cycle;        /* the first --wave-ios I/Os (traced or not): cycles, */
  double seg_wall;           /* wall seconds (0: not reached) */
  int tracing;               /* the sim writes waves */
  /* the workload's stretch (after bring-up and scan): where it started and ended */
  uint64_t w0_cycle, w1_cycle;
  hbastack_stats_t w0, w1;
  sim_axi_stats_t a0, a1;    /* the memory side (AXI): the 8237's or the HBA engine's */
  size_t w0_lat;
  disk_class_stats_t w0_cls;
} demo_t;

static double since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

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
  d->tracing = waves != NULL;
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
  hbastack_config_t kc;
  hbastack_config_default(&kc, d->path);
  kc.dma_start_window_max = 64;             /* subordinate: the HwScsiDmaStarted window */
  kc.argument_string = HBA_ARG_SEL_TIMEOUT "=25000"; /* 0.5 ms: the scan over empty IDs */
  char err[200];
  d->k = hbastack_create(d->s, &kc, err, sizeof err);
  if (!d->k) {
    fail(d, "%s stack: %s", hbastack_path_name(d->path), err);
    return -1;
  }
  d->cls = hbastack_class(d->k);
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
  if (hbastack_capabilities(d->k, &cap) != 0) {
    fail(d, "capabilities");
    return -1;
  }
  for (int tries = 0; tries < 16; tries++) {
    disk_model_t *dm = &d->dm[prng_below(&d->rng, NDISKS)];
    /* sizes: mostly small, some around and above MaximumTransferLength -- of the subordinate
     * path (128 KiB on the word channel) on both paths, so that one seed is one workload */
    uint32_t max_blocks = (cap.MaximumTransferLength < DEMO_LARGE ? cap.MaximumTransferLength
                                                                  : DEMO_LARGE) / 512u;
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
  d->w0_cycle = sim_cycle(d->s);
  hbastack_stats(d->k, &d->w0);
  sim_axi_stats(d->s, &d->a0);
  d->w0_lat = hbastack_isr_latencies(d->k, NULL, 0);
  disk_class_stats(d->cls, &d->w0_cls);
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
    if (!d->seg_wall && d->ios_done >= d->wave_ios) {
      /* the end of the traced part (when tracing): from here on at full speed */
      d->seg_cycle = sim_cycle(d->s);
      d->seg_wall = since(&d->t0);
      if (d->tracing) {
        sim_trace_enable(d->s, 0);
        d->wave_end_cycle = d->seg_cycle;
      }
    }
  }
  d->w1_cycle = sim_cycle(d->s);
  hbastack_stats(d->k, &d->w1);
  sim_axi_stats(d->s, &d->a1);
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

/* one path's figures, for its summary and the side-by-side table */
typedef struct result {
  int ran;                 /* the stack came up and the workload ran */
  hbastack_path_t path;
  uint64_t seed, cycles, ios, reads, writes, bytes, srbs, pieces, interrupts;
  uint64_t wcycles;        /* the workload's cycles (after bring-up and scan) */
  uint64_t apb, apb_dma, dma_setups, dma_cancelled;
  uint64_t axi_bursts, axi_beats;   /* memory-side transactions (AR + AW) and data beats */
  uint64_t lat_min, lat_med, lat_max;
  double wall, mbs;
  unsigned failures;
  uint64_t seg_cycles;     /* the first --wave-ios I/Os: cycles and wall seconds */
  double seg_wall;
  int traced;              /* --bench: the traced repeat ran; its first --wave-ios I/Os */
  uint64_t traced_cycles, traced_total;
  double traced_wall;
  char layers[160];
} result_t;

static void collect(demo_t *d, double wall, result_t *r) {
  if (!d->w1_cycle) { /* the workload ended early (a failure): figures up to now */
    d->w1_cycle = sim_cycle(d->s);
    hbastack_stats(d->k, &d->w1);
    sim_axi_stats(d->s, &d->a1);
  }
  memset(r, 0, sizeof *r);
  r->ran = 1;
  r->path = d->path;
  r->seed = sim_seed(d->s);
  r->cycles = sim_cycle(d->s);
  r->wcycles = d->w1_cycle > d->w0_cycle ? d->w1_cycle - d->w0_cycle : 0;
  r->reads = d->reads;
  r->writes = d->writes;
  r->ios = d->reads + d->writes;
  r->bytes = d->bytes_read + d->bytes_written;
  /* the workload's stretch only: bring-up and scan are not I/O costs */
  r->interrupts = d->w1.interrupts - d->w0.interrupts;
  r->apb = d->w1.apb_accesses - d->w0.apb_accesses;
  r->apb_dma = d->w1.apb_accesses_dma - d->w0.apb_accesses_dma;
  r->dma_setups = d->w1.dma_setups - d->w0.dma_setups;
  r->dma_cancelled = d->w1.dma_cancelled - d->w0.dma_cancelled;
  r->axi_bursts = (d->a1.ar - d->a0.ar) + (d->a1.aw - d->a0.aw);
  r->axi_beats = (d->a1.r_beats - d->a0.r_beats) + (d->a1.w_beats - d->a0.w_beats);
  size_t n = hbastack_isr_latencies(d->k, NULL, 0);
  uint64_t *lat = n ? malloc(n * sizeof *lat) : NULL;
  if (lat && n > d->w0_lat) {
    hbastack_isr_latencies(d->k, lat, n);
    size_t m = n - d->w0_lat;
    qsort(lat + d->w0_lat, m, sizeof *lat, cmp_u64);
    r->lat_min = lat[d->w0_lat];
    r->lat_med = lat[d->w0_lat + m / 2];
    r->lat_max = lat[n - 1];
  }
  free(lat);
  disk_class_stats_t cs;
  disk_class_stats(d->cls, &cs);
  r->srbs = cs.srbs - d->w0_cls.srbs;
  r->pieces = cs.pieces - d->w0_cls.pieces;
  r->wall = wall;
  r->seg_cycles = d->seg_cycle;
  r->seg_wall = d->seg_wall;
  double sec = (double)r->wcycles / sim_clk_hz(d->s);
  r->mbs = sec > 0 ? (double)r->bytes / 1e6 / sec : 0.0;
  r->failures = d->failures;
  snprintf(r->layers, sizeof r->layers, "%s", hbastack_layers(d->k));
}

static double per(uint64_t x, uint64_t n) { return n ? (double)x / (double)n : 0.0; }

static void summary(demo_t *d, const result_t *r, FILE *f, const char *waves,
                    const char *report) {
  double sec = (double)r->wcycles / sim_clk_hz(d->s);
  fprintf(f, "\n== hbasim storage stack, %s path: summary (seed %" PRIu64 ")\n",
          hbastack_path_name(r->path), r->seed);
  fprintf(f, "stack          soc_top (8237A pair + HBA) / %s\n", r->layers);
  fprintf(f, "disks          %u (IDs", NDISKS);
  for (unsigned k = 0; k < NDISKS; k++)
    fprintf(f, " %u:%" PRIu64 "MiB", d->dm[k].id, d->dm[k].blocks * 512u >> 20);
  fprintf(f, ")\n");
  fprintf(f, "I/Os           %" PRIu64 " (%" PRIu64 " reads, %" PRIu64 " writes) in %" PRIu64
             " pieces; %" PRIu64 " SRBs (sense, retries included)\n", r->ios, r->reads,
          r->writes, r->pieces, r->srbs);
  fprintf(f, "buffers        scattered %" PRIu64 ", contiguous %" PRIu64 ", below 16 MiB %" PRIu64
             ", above 16 MiB %" PRIu64 ", mixed %" PRIu64 "\n", d->by_place[0], d->by_place[1],
          d->by_place[2], d->by_place[3], d->by_place[4]);
  fprintf(f, "bytes          %" PRIu64 " read, %" PRIu64 " written, every byte checked\n",
          d->bytes_read, d->bytes_written);
  fprintf(f, "cycles         %" PRIu64 " for the I/Os (%.3f ms simulated at %u MHz), %.0f per "
             "I/O; %" PRIu64 " in all with bring-up and scan\n", r->wcycles, sec * 1e3,
          sim_clk_hz(d->s) / 1000000u, per(r->wcycles, r->ios), r->cycles);
  fprintf(f, "throughput     %.2f MB/s simulated\n", r->mbs);
  fprintf(f, "interrupts     %" PRIu64 " ours; ISR latency min/median/max %" PRIu64 "/%" PRIu64
             "/%" PRIu64 " cycles\n", r->interrupts, r->lat_min, r->lat_med, r->lat_max);
  if (r->path == HBASTACK_SUBORDINATE)
    fprintf(f, "DMA mapping    %" PRIu64 " ScsiPortIoMapTransfer, %" PRIu64 " cancelled before "
               "HwScsiDmaStarted; 8237 programming %.1f APB accesses per map, %.1f per I/O\n",
            r->dma_setups, r->dma_cancelled, per(r->apb_dma, r->dma_setups),
            per(r->apb_dma, r->ios));
  else
    fprintf(f, "DMA mapping    %" PRIu64 " scatter/gather lists built by Storport; the HBA "
               "fetches its descriptors itself (no system DMA programming)\n", r->dma_setups);
  fprintf(f, "miniport       %.1f HBA register accesses per I/O\n", per(r->apb, r->ios));
  fprintf(f, "memory side    %.1f AXI transactions and %.1f data beats per I/O (%s)\n",
          per(r->axi_bursts, r->ios), per(r->axi_beats, r->ios),
          r->path == HBASTACK_SUBORDINATE ? "the 8237's single-word accesses"
                                          : "the HBA's bursts and descriptor fetches");
  fprintf(f, "simulation     %.2f s wall, %.0f cycles/s\n", r->wall,
          r->wall > 0 ? (double)r->cycles / r->wall : 0.0);
  if (waves && d->wave_end_cycle)
    fprintf(f, "waves          %s (bring-up, scan and the first %u I/Os: cycles 0-%" PRIu64
               "; open with gtkwave %s waves/hba.gtkw)\n", waves, d->wave_ios,
            d->wave_end_cycle, waves);
  else if (waves)
    fprintf(f, "waves          %s (the whole run)\n", waves);
  else
    fprintf(f, "waves          (off: --waves FILE.fst)\n");
  fprintf(f, "report         %s\n", report ? report : "(off: --report FILE)");
  fprintf(f, "result         %s\n", r->failures ? "FAILED" : "PASS: every check passed");
}

/* the two paths side by side */
static void compare(const result_t *r, unsigned n, FILE *f, int workload_seq) {
  fprintf(f, "\n== side by side: the same %s workload and seed on each path\n",
          workload_seq ? "sequential" : "mixed");
  fprintf(f, "%-34s", "");
  for (unsigned i = 0; i < n; i++) fprintf(f, " %22s", hbastack_path_name(r[i].path));
  fprintf(f, "\n");
#define ROW(label, fmt, expr)                                  \
  do {                                                         \
    fprintf(f, "%-34s", label);                                \
    for (unsigned i = 0; i < n; i++) {                         \
      char cell[128];                                         \
      snprintf(cell, sizeof cell, fmt, expr);                  \
      fprintf(f, " %22s", r[i].ran ? cell : "-");              \
    }                                                          \
    fprintf(f, "\n");                                          \
  } while (0)
  ROW("I/Os (reads + writes)", "%" PRIu64, r[i].ios);
  ROW("bytes moved (every byte checked)", "%" PRIu64, r[i].bytes);
  ROW("simulated MB/s", "%.2f", r[i].mbs);
  ROW("cycles per I/O", "%.0f", per(r[i].wcycles, r[i].ios));
  ROW("APB accesses per I/O (all)", "%.1f", per(r[i].apb + r[i].apb_dma, r[i].ios));
  ROW("  HBA registers (miniport)", "%.1f", per(r[i].apb, r[i].ios));
  ROW("  8237 programming (HAL)", "%.1f", per(r[i].apb_dma, r[i].ios));
  ROW("AXI transactions per I/O (memory)", "%.1f", per(r[i].axi_bursts, r[i].ios));
  ROW("AXI data beats per I/O", "%.1f", per(r[i].axi_beats, r[i].ios));
  ROW("interrupts per I/O", "%.2f", per(r[i].interrupts, r[i].ios));
  char lat[2][48];
  for (unsigned i = 0; i < n && i < 2; i++)
    snprintf(lat[i], sizeof lat[i], "%" PRIu64 "/%" PRIu64 "/%" PRIu64, r[i].lat_min,
             r[i].lat_med, r[i].lat_max);
  ROW("ISR latency min/median/max (cyc)", "%s", lat[i]);
  int bench = 0;
  for (unsigned i = 0; i < n; i++) bench |= r[i].traced;
  ROW("simulation cycles/s (whole run)", "%.0f",
      r[i].wall > 0 ? (double)r[i].cycles / r[i].wall : 0.0);
  if (bench) {
    ROW("sim cycles/s, first I/Os, waves off", "%.0f",
        r[i].seg_wall > 0 ? (double)r[i].seg_cycles / r[i].seg_wall : 0.0);
    ROW("sim cycles/s, first I/Os, waves on", "%.0f",
        r[i].traced && r[i].traced_wall > 0 ? (double)r[i].traced_cycles / r[i].traced_wall
                                            : 0.0);
  }
  ROW("result", "%s", r[i].failures ? "FAILED" : "PASS");
#undef ROW
}

static int usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--path subordinate|bus-master|both] [--seed N] [--ios N] "
                  "[--sequential BLOCKS] [--waves FILE.fst] [--wave-ios N] [--report FILE] "
                  "[--bench] [--quiet]\n", argv0);
  return 2;
}

typedef struct opts {
  uint64_t seed;
  unsigned nios, wave_ios, npaths;
  uint32_t seq_blocks;
  const char *waves, *report;
  int quiet, bench;
  hbastack_path_t paths[2];
} opts_t;

/* the waves file of a path: FILE itself for one path, FILE with "-<path>" before its
 * extension when both run */
static void wave_name(char *out, size_t n, const char *waves, hbastack_path_t path, int both) {
  if (!both) {
    snprintf(out, n, "%s", waves);
    return;
  }
  const char *slash = strrchr(waves, '/');
  const char *dot = strrchr(waves, '.');
  if (!dot || (slash && dot < slash)) dot = waves + strlen(waves);
  snprintf(out, n, "%.*s-%s%s", (int)(dot - waves), waves, hbastack_path_name(path), dot);
}

/* One path: bring-up, workload, checks, summary (when print), teardown. Returns the failures;
 * *res gets the figures (res->ran 0 when the stack did not come up). */
static unsigned run_path(const opts_t *o, hbastack_path_t path, const char *waves,
                         unsigned wave_ios, FILE *report, int print, result_t *res) {
  memset(res, 0, sizeof *res);
  res->path = path;
  demo_t *d = calloc(1, sizeof *d);
  if (!d) {
    fprintf(stderr, "stack_demo: out of memory\n");
    return 1;
  }
  d->path = path;
  d->wave_ios = wave_ios;
  d->seq_blocks = o->seq_blocks;
  d->quiet = o->quiet;
  d->report = report;
  prng_seed(&d->rng, o->seed, 0x776f726b6c6f6164ull /* "workload" */);
  clock_gettime(CLOCK_MONOTONIC, &d->t0);
  if (bring_up(d, o->seed, waves) == 0) workload(d, o->nios);
  double wall = since(&d->t0);
  if (d->s && sim_error_count(d->s)) {
    for (unsigned i = 0; i < sim_error_count(d->s) && i < 10; i++)
      fprintf(stderr, "stack_demo: %s: sim error: %s\n", hbastack_path_name(path),
              sim_error_text(d->s, i));
    d->failures++;
  }
  if (d->s && d->k) {
    collect(d, wall, res);
    if (print) {
      summary(d, res, stdout, waves, o->report);
      if (report) summary(d, res, report, waves, o->report);
    }
  }
  res->failures = d->failures;
  unsigned failures = d->failures;
  /* teardown: stack (class, port, HAL), sim (targets die with it), then the disk models */
  for (unsigned i = 0; i < MAX_OUTSTANDING; i++)
    if (d->io[i].busy && d->s) {
      hostmem_buf_free(sim_mem(d->s), d->io[i].buf);
      free(d->io[i].expect);
    }
  hbastack_destroy(d->k);
  sim_destroy(d->s);
  for (unsigned k = 0; k < NDISKS; k++) {
    scsi_disk_destroy(d->dm[k].model);
    free(d->dm[k].shadow);
  }
  free(d);
  return failures;
}

static int parse_path(const char *v, opts_t *o) {
  if (!strcmp(v, "subordinate") || !strcmp(v, "sub")) {
    o->paths[0] = HBASTACK_SUBORDINATE;
    o->npaths = 1;
  } else if (!strcmp(v, "bus-master") || !strcmp(v, "bm")) {
    o->paths[0] = HBASTACK_BUS_MASTER;
    o->npaths = 1;
  } else if (!strcmp(v, "both")) {
    o->paths[0] = HBASTACK_SUBORDINATE;
    o->paths[1] = HBASTACK_BUS_MASTER;
    o->npaths = 2;
  } else {
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  opts_t o;
  memset(&o, 0, sizeof o);
  o.seed = 1;
  o.nios = 40;
  o.wave_ios = 4;
  parse_path("both", &o);
  for (int i = 1; i < argc; i++) {
    char *end = NULL;
    if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      o.seed = strtoull(argv[++i], &end, 0);
      if (*end) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--path") && i + 1 < argc) {
      if (parse_path(argv[++i], &o)) return usage(argv[0]);
    } else if (!strcmp(argv[i], "--ios") && i + 1 < argc) {
      unsigned long v = strtoul(argv[++i], &end, 0);
      if (*end || v == 0 || v > 1000000) return usage(argv[0]);
      o.nios = (unsigned)v;
    } else if (!strcmp(argv[i], "--waves") && i + 1 < argc) {
      o.waves = argv[++i];
    } else if (!strcmp(argv[i], "--sequential") && i + 1 < argc) {
      unsigned long v = strtoul(argv[++i], &end, 0);
      if (*end || v == 0 || v > 8192) return usage(argv[0]);
      o.seq_blocks = (uint32_t)v;
    } else if (!strcmp(argv[i], "--wave-ios") && i + 1 < argc) {
      unsigned long v = strtoul(argv[++i], &end, 0);
      if (*end || v > 1000000) return usage(argv[0]);
      o.wave_ios = (unsigned)v;
    } else if (!strcmp(argv[i], "--report") && i + 1 < argc) {
      o.report = argv[++i];
    } else if (!strcmp(argv[i], "--bench")) {
      o.bench = 1;
    } else if (!strcmp(argv[i], "--quiet")) {
      o.quiet = 1;
    } else {
      return usage(argv[0]);
    }
  }
  FILE *report = NULL;
  if (o.report) {
    report = fopen(o.report, "w");
    if (!report) {
      fprintf(stderr, "stack_demo: cannot write %s\n", o.report);
      return 2;
    }
  }
  if (!o.quiet)
    printf("stack_demo: seed %" PRIu64 ", %u I/Os, %s\n", o.seed, o.nios,
           o.npaths == 2 ? "subordinate path, then bus-master path"
                         : hbastack_path_name(o.paths[0]));
  result_t res[2];
  unsigned failures = 0;
  int both = o.npaths == 2;
  for (unsigned p = 0; p < o.npaths; p++) {
    char wn[512];
    const char *w = NULL;
    if (o.waves && !o.bench) {
      wave_name(wn, sizeof wn, o.waves, o.paths[p], both);
      w = wn;
    }
    failures += run_path(&o, o.paths[p], w, o.wave_ios, report, 1, &res[p]);
    if (o.bench && res[p].ran) {
      /* the same run again with the bring-up and the first --wave-ios I/Os traced: the cost
       * of waves over that stretch, against the same stretch untraced */
      char tmp[512];
      if (o.waves) wave_name(tmp, sizeof tmp, o.waves, o.paths[p], both);
      else snprintf(tmp, sizeof tmp, "/tmp/stack_demo_bench_%ld_%s.fst", (long)getpid(),
                    hbastack_path_name(o.paths[p]));
      result_t tr;
      opts_t q = o;
      q.quiet = 1;
      unsigned f = run_path(&q, o.paths[p], tmp, o.wave_ios, NULL, 0, &tr);
      if (!o.waves) remove(tmp);
      res[p].traced = tr.ran && tr.seg_wall > 0;
      res[p].traced_cycles = tr.seg_cycles;
      res[p].traced_wall = tr.seg_wall;
      res[p].traced_total = tr.cycles;
      if (f || !tr.ran) {
        fprintf(stderr, "stack_demo: FAIL: the traced %s run failed\n",
                hbastack_path_name(o.paths[p]));
        failures++;
      } else if (tr.cycles != res[p].cycles || tr.seg_cycles != res[p].seg_cycles) {
        fprintf(stderr, "stack_demo: FAIL: the traced %s run took %" PRIu64 " cycles, the "
                "untraced one %" PRIu64 ": tracing changed the simulation\n",
                hbastack_path_name(o.paths[p]), tr.cycles, res[p].cycles);
        failures++;
      }
    }
  }
  if (both || o.bench) {
    compare(res, o.npaths, stdout, o.seq_blocks != 0);
    if (report) compare(res, o.npaths, report, o.seq_blocks != 0);
  }
  if (report) fclose(report);
  return failures ? 1 : 0;
}
