/* The whole stack under seeded random workloads, on both DMA paths (docs/stack.md): suite
 * `stack` on the subordinate path (SCSI Port, hbasub, the 8237), suite `stack_bm` on the
 * bus-master path (Storport, hbabm, the HBA's scatter/gather engine), the same workloads and
 * checks (docs/scsiport.md, docs/storport.md, docs/miniport.md, docs/disk_class.md): several
 * disks, asynchronous reads and writes
 * interleaved across them, buffers scattered, contiguous, above 16 MiB and at odd offsets,
 * sizes from one block to several times MaximumTransferLength; a shadow copy of every disk is
 * kept and every completed read is compared with it, and at the end every disk with its
 * shadow. Also the HwScsiDmaStarted race through the stack and recovery from a bus reset in
 * the middle of a workload. Each workload is TEST_F_RANDOM: make test runs it over RESEED
 * seeds, and its variants differ in shape, so every run covers many seeds. */
#include "stack_util.h"
#include "scsiport.h"   /* the subordinate-only checks (never storport.h in this unit) */
#include "hbasub.h"

#define SW_MAX_OUT 4u
#define SW_BOUND 400000000ull

typedef struct sw_io {
  int busy, done, write;
  unsigned disk;             /* index into sw_t.ids */
  uint64_t lba;
  uint32_t blocks;
  uint8_t *buf;
  uint8_t *expect;
  NTSTATUS status;
  uint64_t bytes;
} sw_io_t;

typedef struct sw {
  stack_rig_t r;
  unsigned nids, ids[4];
  uint64_t blocks[4];
  uint8_t *shadow[4];
  disk_t *disk[4];
  sw_io_t io[SW_MAX_OUT];
  unsigned done_ios, reads, writes;
} sw_t;

typedef struct sw_shape {
  hbastack_path_t path;
  unsigned ios;
  uint32_t max_blocks;       /* upper bound of the random sizes (0: up to 2.5 x max transfer) */
  unsigned map_pages;        /* HAL map register pool (small: more splitting) */
  unsigned dma_window;       /* dma_start_window_max (subordinate) */
  int timed_disk;            /* the middle disk disconnects and reselects during transfers */
} sw_shape_t;

static void sw_done(void *ctx, NTSTATUS status, uint64_t bytes) {
  sw_io_t *io = ctx;
  io->status = status;
  io->bytes = bytes;
  io->done = 1;
}

static int sw_any_done(sim_t *s, void *ctx) {
  (void)s;
  sw_t *w = ctx;
  for (unsigned i = 0; i < SW_MAX_OUT; i++)
    if (w->io[i].busy && w->io[i].done) return 1;
  return 0;
}

static void sw_setup(test_ctx_t *t, sw_t *w, const sw_shape_t *sh) {
  memset(w, 0, sizeof *w);
  stack_config_t sc;
  stack_config_path(&sc, sh->path);
  if (sh->map_pages) sc.stack.hal.map_register_pages = sh->map_pages;
  sc.stack.dma_start_window_max = sh->dma_window;
  stack_init(t, &w->r, &sc);
  static const unsigned ids[3] = {0, 2, 5};
  static const uint64_t sizes[3] = {4096, 8192, 2048};
  w->nids = 3;
  for (unsigned k = 0; k < w->nids; k++) {
    w->ids[k] = ids[k];
    w->blocks[k] = sizes[k];
    /* the middle disk disconnects every 3000 bytes and reselects (timed_disk) */
    scsi_target_config_t tc;
    scsi_target_config_default(&tc);
    tc.disconnect_every = 3000;
    scsi_disk_t *d = stack_add_disk_cfg(t, &w->r, ids[k], 1, sizes[k], 512,
                                        (sh->timed_disk && k == 1) ? &tc : NULL, NULL);
    w->shadow[k] = malloc(sizes[k] * 512u);
    REQUIRE(t, w->shadow[k] != NULL, "malloc");
    stack_fill(&w->r, w->shadow[k], sizes[k] * 512u);
    REQUIRE_EQ(t, scsi_disk_poke(d, 0, 0, sizes[k], w->shadow[k]), 0);
  }
  stack_start(t, &w->r, NULL);
  REQUIRE_EQ(t, disk_class_scan(w->r.cls), (int)w->nids);
  for (unsigned i = 0; i < w->nids; i++) {
    disk_t *d = disk_class_get(w->r.cls, i);
    disk_info_t info;
    disk_info(d, &info);
    for (unsigned k = 0; k < w->nids; k++)
      if (w->ids[k] == info.target) w->disk[k] = d;
  }
  for (unsigned k = 0; k < w->nids; k++) REQUIRE(t, w->disk[k] != NULL, "disk %u", w->ids[k]);
}

static int sw_overlaps(sw_t *w, unsigned k, uint64_t lba, uint32_t blocks) {
  for (unsigned i = 0; i < SW_MAX_OUT; i++) {
    sw_io_t *o = &w->io[i];
    if (o->busy && o->disk == k && lba < o->lba + o->blocks && o->lba < lba + blocks) return 1;
  }
  return 0;
}

static void sw_submit(test_ctx_t *t, sw_t *w, sw_io_t *io, const sw_shape_t *sh) {
  stack_rig_t *r = &w->r;
  IO_SCSI_CAPABILITIES cap;
  REQUIRE_EQ(t, hbastack_capabilities(r->k, &cap), 0);
  uint32_t maxb = sh->max_blocks ? sh->max_blocks : (cap.MaximumTransferLength / 512u) * 5 / 2;
  for (;;) {
    unsigned k = (unsigned)stack_rand(r, w->nids);
    uint32_t blocks = 1 + (uint32_t)stack_rand(r, stack_rand(r, 4) ? 16 : maxb);
    if (blocks > w->blocks[k]) blocks = (uint32_t)w->blocks[k];
    uint64_t lba = stack_rand(r, w->blocks[k] - blocks + 1);
    if (sw_overlaps(w, k, lba, blocks)) continue;
    static const hostmem_place_t places[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_CONTIGUOUS,
                                             HOSTMEM_PLACE_BELOW_16M, HOSTMEM_PLACE_ABOVE_16M,
                                             HOSTMEM_PLACE_MIXED};
    size_t len = (size_t)blocks * 512u;
    size_t off = stack_rand(r, 3) ? 0 : stack_rand(r, 4096);
    io->buf = stack_buf(t, r, len, off, places[stack_rand(r, 5)]);
    io->disk = k;
    io->lba = lba;
    io->blocks = blocks;
    io->write = stack_rand(r, 2) != 0;
    io->busy = 1;
    io->done = 0;
    uint8_t *shp = w->shadow[k] + lba * 512u;
    NTSTATUS st;
    if (io->write) {
      stack_fill(r, io->buf, len);
      memcpy(shp, io->buf, len);
      st = disk_write_async(w->disk[k], lba, blocks, io->buf, sw_done, io);
    } else {
      io->expect = malloc(len);
      REQUIRE(t, io->expect != NULL, "malloc");
      memcpy(io->expect, shp, len);
      memset(io->buf, 0xA5, len);
      st = disk_read_async(w->disk[k], lba, blocks, io->buf, sw_done, io);
    }
    REQUIRE_EQ(t, st, STATUS_PENDING);
    return;
  }
}

static void sw_finish(test_ctx_t *t, sw_t *w, sw_io_t *io) {
  size_t len = (size_t)io->blocks * 512u;
  CHECK(t, io->status == STATUS_SUCCESS && io->bytes == len,
        "%s ID %u lba %llu x%u: status 0x%08x, %llu bytes", io->write ? "WRITE" : "READ",
        w->ids[io->disk], (unsigned long long)io->lba, io->blocks, (unsigned)io->status,
        (unsigned long long)io->bytes);
  if (!io->write) {
    size_t i = 0;
    while (i < len && io->buf[i] == io->expect[i]) i++;
    CHECK(t, i == len, "READ ID %u lba %llu x%u differs from the shadow at byte %zu",
          w->ids[io->disk], (unsigned long long)io->lba, io->blocks, i);
    free(io->expect);
    io->expect = NULL;
    w->reads++;
  } else {
    w->writes++;
  }
  io->busy = 0;
  w->done_ios++;
}

static void sw_run(test_ctx_t *t, sw_t *w, const sw_shape_t *sh) {
  unsigned submitted = 0;
  while (w->done_ios < sh->ios) {
    for (unsigned i = 0; i < SW_MAX_OUT && submitted < sh->ios; i++)
      if (!w->io[i].busy) {
        sw_submit(t, w, &w->io[i], sh);
        submitted++;
      }
    REQUIRE_OK(t, sim_wait_until(w->r.s, sw_any_done, w, SW_BOUND));
    for (unsigned i = 0; i < SW_MAX_OUT; i++)
      if (w->io[i].busy && w->io[i].done) sw_finish(t, w, &w->io[i]);
  }
}

/* every disk equals its shadow */
static void sw_check_disks(test_ctx_t *t, sw_t *w) {
  for (unsigned k = 0; k < w->nids; k++) {
    size_t len = w->blocks[k] * 512u;
    uint8_t *img = malloc(len);
    REQUIRE(t, img != NULL, "malloc");
    REQUIRE_EQ(t, scsi_disk_peek(w->r.disk[w->ids[k]], 0, 0, w->blocks[k], img), 0);
    size_t i = 0;
    while (i < len && img[i] == w->shadow[k][i]) i++;
    CHECK(t, i == len, "disk ID %u differs from its shadow at byte %zu", w->ids[k], i);
    free(img);
  }
}

static void sw_teardown(test_ctx_t *t, sw_t *w) {
  hbastack_stats_t st;
  hbastack_stats(w->r.k, &st);
  disk_class_stats_t cs;
  disk_class_stats(w->r.cls, &cs);
  test_log(t, "%s: %u reads, %u writes, %llu SRBs, %llu DMA setups, %llu cancelled, %llu cycles",
           hbastack_path_name(stack_path(&w->r)), w->reads, w->writes,
           (unsigned long long)cs.srbs, (unsigned long long)st.dma_setups,
           (unsigned long long)st.dma_cancelled, (unsigned long long)sim_cycle(w->r.s));
  CHECK_EQ(t, st.srbs_completed, cs.srbs);
  if (stack_path(&w->r) == HBASTACK_SUBORDINATE) {
    /* every mapping ended in a flush or was cancelled before HwScsiDmaStarted */
    sp_port_stats_t sp;
    sp_port_stats(w->r.port, &sp);
    CHECK_EQ(t, sp.io_map_transfers, sp.flushes + sp.dma_cancelled);
  }
  stack_done(t, &w->r);
  for (unsigned k = 0; k < w->nids; k++) free(w->shadow[k]);
}

static void workload(test_ctx_t *t, const sw_shape_t *sh) {
  sw_t *w = calloc(1, sizeof *w);
  REQUIRE(t, w != NULL, "calloc");
  sw_setup(t, w, sh);
  sw_run(t, w, sh);
  sw_check_disks(t, w);
  sw_teardown(t, w);
  free(w);
}

/* small I/Os, default map registers */
static void workload_small_on(test_ctx_t *t, hbastack_path_t path) {
  sw_shape_t sh = {.path = path, .ios = 14, .max_blocks = 16, .timed_disk = 1};
  workload(t, &sh);
}
static void workload_small(test_ctx_t *t) { workload_small_on(t, HBASTACK_SUBORDINATE); }
static void bm_workload_small(test_ctx_t *t) { workload_small_on(t, HBASTACK_BUS_MASTER); }

/* sizes up to 2.5 x MaximumTransferLength with a 3-page map register pool: every large
 * request is split by the class (subordinate: every piece bounced or direct as the HAL
 * decides; bus master: the port lowers MaximumTransferLength to 2 pages) */
static void workload_split_on(test_ctx_t *t, hbastack_path_t path) {
  sw_shape_t sh = {.path = path, .ios = 10, .map_pages = 3};
  workload(t, &sh);
}
static void workload_split(test_ctx_t *t) { workload_split_on(t, HBASTACK_SUBORDINATE); }
static void bm_workload_split(test_ctx_t *t) { workload_split_on(t, HBASTACK_BUS_MASTER); }

/* the HwScsiDmaStarted window open (seeded up to 3000 cycles) for every transfer */
static void workload_window(test_ctx_t *t) {
  sw_shape_t sh = {.ios = 10, .max_blocks = 16, .map_pages = 5, .dma_window = 3000};
  workload(t, &sh);
}


/* the same workloads with the HBA on 8-bit channel 1 (no alignment bouncing) */
static void workload_byte_channel(test_ctx_t *t) {
  sw_shape_t sh = {.ios = 8, .max_blocks = 8, .map_pages = 4};
  (void)sh;
  sw_t *w = calloc(1, sizeof *w);
  REQUIRE(t, w != NULL, "calloc");
  /* sw_setup with a channel-1 sim */
  memset(w, 0, sizeof *w);
  stack_config_t sc;
  stack_config_default(&sc);
  sc.sim.hba_dma_chan = 1;
  sc.stack.hal.map_register_pages = sh.map_pages;
  stack_init(t, &w->r, &sc);
  static const unsigned ids[2] = {1, 4};
  w->nids = 2;
  for (unsigned k = 0; k < w->nids; k++) {
    w->ids[k] = ids[k];
    w->blocks[k] = 2048;
    scsi_disk_t *d = stack_add_disk(t, &w->r, ids[k], 1, 2048, 512);
    w->shadow[k] = malloc(2048u * 512u);
    REQUIRE(t, w->shadow[k] != NULL, "malloc");
    stack_fill(&w->r, w->shadow[k], 2048u * 512u);
    REQUIRE_EQ(t, scsi_disk_poke(d, 0, 0, 2048, w->shadow[k]), 0);
  }
  stack_start(t, &w->r, NULL);
  CHECK(t, strstr(hbastack_layers(w->r.k), "channel 1") != NULL, "%s",
        hbastack_layers(w->r.k));
  REQUIRE_EQ(t, disk_class_scan(w->r.cls), 2);
  for (unsigned i = 0; i < 2; i++) {
    disk_t *d = disk_class_get(w->r.cls, i);
    disk_info_t info;
    disk_info(d, &info);
    for (unsigned k = 0; k < 2; k++)
      if (w->ids[k] == info.target) w->disk[k] = d;
  }
  sw_run(t, w, &sh);
  sw_check_disks(t, w);
  sw_teardown(t, w);
  free(w);
}

/* another initiator resets the bus inside the HwScsiDmaStarted window: the miniport's ISR sees
 * the reset, flushes (which cancels: HwScsiDmaStarted is never called for that SRB) and
 * completes it with SRB_STATUS_BUS_RESET; the class resends it and the data arrives */
typedef struct rst { stack_rig_t *r; int fired; } rst_t;
static void other_initiator_reset(sim_t *s, void *ctx) {
  rst_t *x = ctx;
  x->fired = 1;
  sim_apb_write(s, hbastack_hba_base(x->r->k) + HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK, 4);
}
typedef struct one { int done; NTSTATUS st; uint64_t bytes; } one_t;
static void one_done(void *ctx, NTSTATUS st, uint64_t bytes) {
  one_t *o = ctx;
  o->done = 1;
  o->st = st;
  o->bytes = bytes;
}
static int one_is_done(sim_t *s, void *ctx) {
  (void)s;
  return ((one_t *)ctx)->done;
}
static void race_through_stack(test_ctx_t *t) {
  stack_rig_t r;
  stack_config_t sc;
  stack_config_default(&sc);
  sc.stack.dma_start_window_max = 100000; /* long: the reset lands inside it */
  stack_init(t, &r, &sc);
  scsi_disk_t *d = stack_add_disk(t, &r, 0, 1, 1024, 512);
  uint8_t img[8 * 512];
  stack_fill(&r, img, sizeof img);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, 100, 8, img), 0);
  stack_start(t, &r, NULL);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *dk = disk_class_get(r.cls, 0);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  uint8_t *buf = stack_buf(t, &r, sizeof img, 3, HOSTMEM_PLACE_SCATTERED);
  one_t o = {0, 0, 0};
  rst_t x = {&r, 0};
  REQUIRE_EQ(t, disk_read_async(dk, 100, 8, buf, one_done, &o), STATUS_PENDING);
  REQUIRE(t, sim_timer_start(r.s, 200, other_initiator_reset, &x) >= 0, "timer");
  REQUIRE_OK(t, sim_wait_until(r.s, one_is_done, &o, SW_BOUND));
  CHECK(t, x.fired, "the reset fired");
  CHECK_EQ(t, o.st, STATUS_SUCCESS);
  CHECK_EQ(t, o.bytes, sizeof img);
  CHECK(t, memcmp(buf, img, sizeof img) == 0, "the resent READ brought the data");
  sp_port_stats_t st;
  sp_port_stats(r.port, &st);
  CHECK_EQ(t, st.dma_cancelled - b0.dma_cancelled, 1);
  CHECK(t, st.bus_resets > b0.bus_resets, "ResetDetected reached the port");
  PHBASUB_DEVICE_EXTENSION ext = hbastack_device_extension(r.k);
  REQUIRE(t, ext != NULL, "device extension");
  CHECK(t, ext->BusResetsDetected >= 1, "the miniport saw the reset");
  /* HwScsiDmaStarted ran for the resent SRB and the sense after the reset, never for the
   * cancelled one */
  CHECK_EQ(t, st.dma_started_calls - b0.dma_started_calls,
           st.io_map_transfers - b0.io_map_transfers - 1);
  stack_done(t, &r);
}

/* bus master: another initiator resets the bus while a 64-block READ is in its data phase
 * (at a seeded point): hbabm completes it with SRB_STATUS_BUS_RESET and reports ResetDetected,
 * the class resends it, and the data arrives */
static void bm_reset_mid_transfer(test_ctx_t *t) {
  stack_rig_t r;
  stack_config_t sc;
  stack_config_path(&sc, HBASTACK_BUS_MASTER);
  stack_init(t, &r, &sc);
  scsi_disk_t *d = stack_add_disk(t, &r, 0, 1, 1024, 512);
  enum { N = 64 };
  uint8_t *img = malloc(N * 512);
  REQUIRE(t, img != NULL, "malloc");
  stack_fill(&r, img, N * 512);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, 200, N, img), 0);
  stack_start(t, &r, NULL);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *dk = disk_class_get(r.cls, 0);
  /* the first READ after the scan absorbs nothing: take the power-on unit attention now */
  uint8_t *warm = stack_buf(t, &r, 512, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE_EQ(t, disk_read(dk, 0, 1, warm), STATUS_SUCCESS);
  hbastack_stats_t b0;
  hbastack_stats(r.k, &b0);
  uint8_t *buf = stack_buf(t, &r, N * 512, 1 + stack_rand(&r, 4095), HOSTMEM_PLACE_SCATTERED);
  memset(buf, 0xA5, N * 512);
  one_t o = {0, 0, 0};
  rst_t x = {&r, 0};
  REQUIRE_EQ(t, disk_read_async(dk, 200, N, buf, one_done, &o), STATUS_PENDING);
  /* selection, command and a few KiB of data take well over 20000 cycles */
  REQUIRE(t, sim_timer_start(r.s, 20000 + stack_rand(&r, 40000), other_initiator_reset, &x) >= 0,
          "timer");
  REQUIRE_OK(t, sim_wait_until(r.s, one_is_done, &o, SW_BOUND));
  CHECK(t, x.fired, "the reset fired before the READ completed");
  CHECK_EQ(t, o.st, STATUS_SUCCESS);
  CHECK_EQ(t, o.bytes, (uint64_t)N * 512);
  CHECK(t, memcmp(buf, img, N * 512) == 0, "the resent READ brought the data");
  hbastack_stats_t st;
  hbastack_stats(r.k, &st);
  CHECK(t, st.bus_resets > b0.bus_resets, "ResetDetected reached the port");
  CHECK(t, st.srbs_completed - b0.srbs_completed >= 2, "the READ was sent again (%llu SRBs)",
        (unsigned long long)(st.srbs_completed - b0.srbs_completed));
  free(img);
  stack_done(t, &r);
}

static const test_def_t stack_tests[] = {
  {"workload_small", workload_small, TEST_F_RANDOM, 0,
   "3 disks (one disconnecting), 14 async I/Os of 1-16 blocks, any placement, shadow-checked"},
  {"workload_split", workload_split, TEST_F_RANDOM, 0,
   "3 disks, I/Os up to 2.5x MaximumTransferLength (3 map registers), shadow-checked"},
  {"workload_window", workload_window, TEST_F_RANDOM, 0,
   "3 disks with the HwScsiDmaStarted window open for every transfer, shadow-checked"},
  {"workload_byte_channel", workload_byte_channel, TEST_F_RANDOM, 0,
   "the stack on 8-bit channel 1: 2 disks, odd buffers unbounced, shadow-checked"},
  {"race_through_stack", race_through_stack, TEST_F_RANDOM, 0,
   "bus reset inside the DmaStarted window: cancel, BUS_RESET, class resend, data right"},
};
TEST_SUITE(stack);

static const test_def_t stack_bm_tests[] = {
  {"workload_small", bm_workload_small, TEST_F_RANDOM, 0,
   "bus master: 3 disks (one disconnecting), 14 async I/Os of 1-16 blocks, any placement, "
   "shadow-checked"},
  {"workload_split", bm_workload_split, TEST_F_RANDOM, 0,
   "bus master: 3 map registers (2-page MaximumTransferLength), I/Os split by the class, "
   "shadow-checked"},
  {"reset_mid_transfer", bm_reset_mid_transfer, TEST_F_RANDOM, 0,
   "bus master: another initiator resets the bus mid-READ: BUS_RESET, class resend, data "
   "right"},
};
TEST_SUITE(stack_bm);
