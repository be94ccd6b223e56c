/* The disk class layer on the whole stack (docs/disk_class.md): disk class -> SCSI Port ->
 * hbasub miniport -> HAL DMA adapter -> sysdma + HBA RTL -> SCSI bus -> C disk models.
 * Every data-moving test checks the bytes against the disk model (scsi_disk_peek/poke).
 *
 * The HAL machine gets a map register pool of DC_MAP_PAGES pages: the port then reports
 * MaximumTransferLength = (DC_MAP_PAGES - 1) pages (8 KiB), so requests split into several
 * SRBs with little data -- the subordinate mover moves about one byte per 36 cycles, and the
 * whole suite must stay short under the sanitizers. */
#include <stdlib.h>
#include <string.h>

#include "stack_util.h"
#include "scsiport.h"   /* the rig runs the subordinate path; port statistics */

#define DC_BS 512u
#define DC_BLOCKS 65536u
#define DC_WAIT 200000000ull  /* cycles: bound on disk_class_wait_idle */
#define DC_MAP_PAGES 3u

static void rig_init(test_ctx_t *t, stack_rig_t *r) {
  stack_config_t sc;
  stack_config_default(&sc);
  sc.stack.hal.map_register_pages = DC_MAP_PAGES;
  stack_init(t, r, &sc);
}

/* A rig with one 512-byte-block disk at ID 0 (LUN 0), the class scanned. */
static void rig_one(test_ctx_t *t, stack_rig_t *r, const disk_class_config_t *ccfg) {
  rig_init(t, r);
  stack_add_disk(t, r, 0, 1, DC_BLOCKS, DC_BS);
  stack_start(t, r, ccfg);
  REQUIRE_EQ(t, disk_class_scan(r->cls), 1);
}

static disk_class_stats_t stats_of(stack_rig_t *r) {
  disk_class_stats_t s;
  disk_class_stats(r->cls, &s);
  return s;
}

static IO_SCSI_CAPABILITIES caps_of(test_ctx_t *t, stack_rig_t *r) {
  IO_SCSI_CAPABILITIES c;
  REQUIRE_EQ(t, sp_port_capabilities(r->port, &c), 0);
  return c;
}

/* the disk's blocks [lba, lba+n) equal buf */
static void check_disk(test_ctx_t *t, scsi_disk_t *d, unsigned lun, uint64_t lba, uint64_t n,
                       const uint8_t *buf, const char *what) {
  size_t len = (size_t)(n * scsi_disk_block_size(d));
  uint8_t *m = malloc(len);
  REQUIRE(t, m != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(d, (uint8_t)lun, lba, n, m), 0);
  size_t i = 0;
  while (i < len && m[i] == buf[i]) i++;
  CHECK(t, i == len, "%s: disk LBA %llu+%llu differs at byte %zu (disk %02x, buffer %02x)", what,
        (unsigned long long)lba, (unsigned long long)n, i, i < len ? m[i] : 0,
        i < len ? buf[i] : 0);
  free(m);
}

/* ---- the error table ----------------------------------------------------------------------- */

static void map_error_table(test_ctx_t *t) {
  UCHAR sense[18];
  disk_retry_t rt;
#define SENSE(key, asc)                                                                      \
  (memset(sense, 0, sizeof sense), sense[0] = 0xF0, sense[2] = (key), sense[7] = 10,          \
   sense[12] = (asc), sense)
  struct {
    UCHAR srb, scsi, key, asc;
    int with_sense;
    NTSTATUS want;
    disk_retry_t retry;
  } rows[] = {
      {SRB_STATUS_SUCCESS, 0, 0, 0, 0, STATUS_SUCCESS, DISK_RETRY_NONE},
      {SRB_STATUS_DATA_OVERRUN, 0, 0, 0, 0, STATUS_DATA_OVERRUN, DISK_RETRY_NONE},
      {SRB_STATUS_BUSY, 0, 0, 0, 0, STATUS_DEVICE_BUSY, DISK_RETRY_BUSY},
      {SRB_STATUS_ERROR, SCSISTAT_GOOD, 0, 0, 0, STATUS_IO_DEVICE_ERROR, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_ERROR, SCSISTAT_BUSY, 0, 0, 0, STATUS_DEVICE_BUSY, DISK_RETRY_BUSY},
      {SRB_STATUS_ERROR, SCSISTAT_QUEUE_FULL, 0, 0, 0, STATUS_DEVICE_BUSY, DISK_RETRY_BUSY},
      {SRB_STATUS_ERROR, SCSISTAT_RESERVATION_CONFLICT, 0, 0, 0, STATUS_DEVICE_BUSY,
       DISK_RETRY_NONE},
      {SRB_STATUS_SELECTION_TIMEOUT, 0, 0, 0, 0, STATUS_DEVICE_DOES_NOT_EXIST, DISK_RETRY_NONE},
      {SRB_STATUS_INVALID_LUN, 0, 0, 0, 0, STATUS_NO_SUCH_DEVICE, DISK_RETRY_NONE},
      {SRB_STATUS_TIMEOUT, 0, 0, 0, 0, STATUS_IO_TIMEOUT, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_COMMAND_TIMEOUT, 0, 0, 0, 0, STATUS_IO_TIMEOUT, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_BUS_RESET, 0, 0, 0, 0, STATUS_IO_DEVICE_ERROR, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_ABORTED, 0, 0, 0, 0, STATUS_IO_DEVICE_ERROR, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_PARITY_ERROR, 0, 0, 0, 0, STATUS_IO_DEVICE_ERROR, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_INVALID_REQUEST, 0, 0, 0, 0, STATUS_INVALID_DEVICE_REQUEST, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, 0, 0, 0, STATUS_IO_DEVICE_ERROR,
       DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_RECOVERED_ERROR, 0x17, 1,
       STATUS_SUCCESS, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_NOT_READY, 0x04, 1,
       STATUS_DEVICE_NOT_READY, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_MEDIUM_ERROR, 0x11, 1,
       STATUS_DEVICE_DATA_ERROR, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_HARDWARE_ERROR, 0x44, 1,
       STATUS_IO_DEVICE_ERROR, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_ILLEGAL_REQUEST, 0x21, 1,
       STATUS_INVALID_PARAMETER, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_ILLEGAL_REQUEST, 0x24, 1,
       STATUS_INVALID_DEVICE_REQUEST, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_ILLEGAL_REQUEST, 0x25, 1,
       STATUS_NO_SUCH_DEVICE, DISK_RETRY_NONE},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_UNIT_ATTENTION, 0x29, 1,
       STATUS_IO_DEVICE_ERROR, DISK_RETRY_UNIT_ATTENTION},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_ABORTED_COMMAND, 0x4B, 1,
       STATUS_IO_DEVICE_ERROR, DISK_RETRY_TRANSPORT},
      {SRB_STATUS_ERROR, SCSISTAT_CHECK_CONDITION, SCSI_SENSE_MISCOMPARE, 0x1D, 1,
       STATUS_DEVICE_DATA_ERROR, DISK_RETRY_NONE},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    UCHAR srb = rows[i].srb | (rows[i].with_sense ? SRB_STATUS_AUTOSENSE_VALID : 0);
    const UCHAR *sp = rows[i].with_sense ? SENSE(rows[i].key, rows[i].asc) : NULL;
    rt = (disk_retry_t)99;
    NTSTATUS st = disk_class_map_error(srb, rows[i].scsi, sp, sp ? sizeof sense : 0, &rt);
    CHECK(t, st == rows[i].want,
          "row %zu (srb %02x scsi %02x key %x asc %02x): 0x%08x, want 0x%08x", i, rows[i].srb,
          rows[i].scsi, rows[i].key, rows[i].asc, (unsigned)st, (unsigned)rows[i].want);
    CHECK_EQ(t, rt, rows[i].retry);
  }
#undef SENSE
}

/* ---- scan ---------------------------------------------------------------------------------- */

/* A logical unit of another peripheral device type (05h, CD-ROM): INQUIRY answers, every
 * other command ends GOOD without data. The class must leave it alone. */
typedef struct other_lu {
  uint8_t inquiry[36];
  uint8_t data[36];
} other_lu_t;

static int other_begin(void *lu, scsi_task_t *t) {
  other_lu_t *o = lu;
  t->service_ns = 0;
  t->status = 0;
  t->dir = SCSI_DIR_NONE;
  t->data = NULL;
  t->data_len = 0;
  if (t->cdb[0] == SCSIOP_INQUIRY) {
    memcpy(o->data, o->inquiry, sizeof o->data);
    t->dir = SCSI_DIR_IN;
    t->data = o->data;
    t->data_len = t->cdb[4] < sizeof o->data ? t->cdb[4] : (uint32_t)sizeof o->data;
  }
  return 0;
}

static void other_task_free(void *lu, scsi_task_t *t) {
  (void)lu;
  t->data = NULL;
}

static const scsi_lu_ops_t other_lu_ops = {.begin = other_begin, .task_free = other_task_free};

static void scan_claims_disks_and_capacities(test_ctx_t *t) {
  stack_rig_t r;
  rig_init(t, &r);
  const uint64_t huge = (1ull << 32) + 100;   /* last LBA above FFFFFFFEh: READ CAPACITY(16) */
  stack_add_disk(t, &r, 0, 1, DC_BLOCKS, 512);
  stack_add_disk(t, &r, 3, 2, 3000, 4096);
  stack_add_disk(t, &r, 5, 1, huge, 512);
  other_lu_t cd;
  memset(&cd, 0, sizeof cd);
  cd.inquiry[0] = READ_ONLY_DIRECT_ACCESS_DEVICE;
  cd.inquiry[2] = 2;
  cd.inquiry[3] = 2;
  cd.inquiry[4] = 31;
  memcpy(cd.inquiry + 8, "HBASIM  CD-ROM          1.0 ", 28);
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  int e = 0;
  scsi_target_t *cdt = scsi_target_create(sim_scsi_bus(r.s), 6, &tc, &e);
  REQUIRE(t, cdt != NULL, "scsi_target_create: %d", e);
  REQUIRE_EQ(t, scsi_target_bind(cdt, 0, &other_lu_ops, &cd), 0);
  stack_start(t, &r, NULL);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 4);
  REQUIRE_EQ(t, disk_class_count(r.cls), 4u);
  struct { UCHAR target, lun; uint32_t bs; uint64_t blocks; int rc16; } want[] = {
      {0, 0, 512, DC_BLOCKS, 0}, {3, 0, 4096, 3000, 0}, {3, 1, 4096, 3000, 0},
      {5, 0, 512, huge, 1}};
  for (unsigned i = 0; i < 4; i++) {
    disk_info_t in;
    disk_info(disk_class_get(r.cls, i), &in);
    CHECK_EQ(t, in.target, want[i].target);
    CHECK_EQ(t, in.lun, want[i].lun);
    CHECK_EQ(t, in.block_size, want[i].bs);
    CHECK_EQ(t, in.blocks, want[i].blocks);
    CHECK_EQ(t, in.read_capacity16, want[i].rc16);
    CHECK(t, strcmp(in.vendor, "HBASIM") == 0, "vendor '%s'", in.vendor);
    CHECK(t, strcmp(in.product, "SCSI2 DISK") == 0, "product '%s'", in.product);
    CHECK(t, strcmp(in.revision, "1.0") == 0, "revision '%s'", in.revision);
    CHECK_EQ(t, in.inquiry[0], 0x00);  /* qualifier 0, direct access */
  }
  CHECK(t, disk_class_get(r.cls, 4) == NULL, "past the count");
  /* ID 6 answered with type 05h and was left alone */
  uint8_t *inq = stack_buf(t, &r, 36, 0, HOSTMEM_PLACE_SCATTERED);
  disk_pt_t pt;
  disk_pt_result_t res;
  memset(&pt, 0, sizeof pt);
  pt.target = 6;
  pt.cdb[0] = SCSIOP_INQUIRY;
  pt.cdb[4] = 36;
  pt.cdb_length = 6;
  pt.direction = DISK_PT_DATA_IN;
  pt.data = inq;
  pt.data_length = 36;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_SUCCESS);
  CHECK_EQ(t, inq[0], READ_ONLY_DIRECT_ACCESS_DEVICE);
  /* each LUN's power-on unit attention was absorbed by TEST UNIT READY, once */
  disk_class_stats_t s = stats_of(&r);
  CHECK_EQ(t, s.retries_unit_attention, 4u);
  CHECK_EQ(t, s.retries_busy, 0u);
  /* a second scan finds nothing new and keeps the same disks */
  disk_t *first = disk_class_get(r.cls, 0);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 4);
  CHECK(t, disk_class_get(r.cls, 0) == first, "rescan kept the disk object");
  stack_done(t, &r);
}

/* ---- block I/O ----------------------------------------------------------------------------- */

static void read_write_one_block(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *w = stack_buf(t, &r, DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  uint8_t *rd = stack_buf(t, &r, DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  for (unsigned k = 0; k < 3; k++) {
    uint64_t lba = stack_rand(&r, DC_BLOCKS);
    stack_fill(&r, w, DC_BS);
    CHECK_EQ(t, disk_write(d, lba, 1, w), STATUS_SUCCESS);
    check_disk(t, r.disk[0], 0, lba, 1, w, "write");
    uint8_t img[DC_BS];
    stack_fill(&r, img, DC_BS);
    REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, lba, 1, img), 0);
    memset(rd, 0xA5, DC_BS);
    CHECK_EQ(t, disk_read(d, lba, 1, rd), STATUS_SUCCESS);
    CHECK(t, memcmp(rd, img, DC_BS) == 0, "read of LBA %llu", (unsigned long long)lba);
    disk_error_t e;
    disk_last_error(d, &e);
    CHECK_EQ(t, e.status, STATUS_SUCCESS);
    CHECK_EQ(t, e.bytes_done, DC_BS);
  }
  disk_class_stats_t s = stats_of(&r);
  CHECK_EQ(t, s.requests, 6u);
  CHECK_EQ(t, s.pieces, 6u);
  CHECK_EQ(t, s.errors, 0u);
  stack_done(t, &r);
}

/* Buffers at odd and unaligned addresses: the class double-buffers what the port's
 * AlignmentMask refuses; the bytes around the caller's buffer are never written. */
static void odd_buffers(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  IO_SCSI_CAPABILITIES caps = caps_of(t, &r);
  static const size_t offsets[] = {1, 2, 3, 511, 2049, 4095};
  uint64_t bounced = 0;
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    uint32_t blocks = 1 + (uint32_t)stack_rand(&r, 5);
    size_t len = (size_t)blocks * DC_BS;
    /* guard bytes on both sides: the buffer is [g+1, g+1+len) */
    uint8_t *g = stack_buf(t, &r, len + 2, offsets[i] - 1, HOSTMEM_PLACE_SCATTERED);
    uint8_t *buf = g + 1;
    REQUIRE_EQ(t, (uintptr_t)buf & 4095u, offsets[i]);
    uint64_t lba = stack_rand(&r, DC_BLOCKS - blocks);
    stack_fill(&r, buf, len);
    g[0] = 0x5A;
    g[len + 1] = 0xC3;
    CHECK_EQ(t, disk_write(d, lba, blocks, buf), STATUS_SUCCESS);
    check_disk(t, r.disk[0], 0, lba, blocks, buf, "odd write");
    uint8_t *img = malloc(len);
    REQUIRE(t, img != NULL, "malloc");
    stack_fill(&r, img, len);
    REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, lba, blocks, img), 0);
    CHECK_EQ(t, disk_read(d, lba, blocks, buf), STATUS_SUCCESS);
    CHECK(t, memcmp(buf, img, len) == 0, "odd read at offset %zu", offsets[i]);
    CHECK_EQ(t, g[0], 0x5A);
    CHECK_EQ(t, g[len + 1], 0xC3);
    free(img);
    if (offsets[i] & caps.AlignmentMask) bounced += 2;
  }
  CHECK_EQ(t, stats_of(&r).bounced, bounced);
  stack_done(t, &r);
}

/* the pieces a request of len bytes at va is cut into, worked out from the capabilities */
static uint64_t expected_pieces(const IO_SCSI_CAPABILITIES *c, uintptr_t va, uint64_t len,
                                uint32_t bs) {
  uint64_t n = 0;
  while (len) {
    uint64_t lim = c->MaximumTransferLength;
    uint64_t pages = (uint64_t)c->MaximumPhysicalPages * 4096u - (va & 4095u);
    if (pages < lim) lim = pages;
    if (lim > len) lim = len;
    lim -= lim % bs;
    va += lim;
    len -= lim;
    n++;
  }
  return n;
}

static void split_above_max_transfer(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  IO_SCSI_CAPABILITIES caps = caps_of(t, &r);
  REQUIRE_EQ(t, caps.MaximumTransferLength, (DC_MAP_PAGES - 1u) * 4096u);
  test_log(t, "MaximumTransferLength %u, MaximumPhysicalPages %u, AlignmentMask %u",
           caps.MaximumTransferLength, caps.MaximumPhysicalPages, caps.AlignmentMask);
  /* two and a half maximum transfers plus a block, at a page offset the mask allows */
  uint32_t blocks = (uint32_t)((5ull * caps.MaximumTransferLength / 2) / DC_BS + 1);
  size_t len = (size_t)blocks * DC_BS;
  size_t off = (caps.AlignmentMask + 1u) * 16u;
  uint8_t *buf = stack_buf(t, &r, len, off, HOSTMEM_PLACE_MIXED);
  uint64_t lba = stack_rand(&r, DC_BLOCKS - blocks);
  uint64_t want = expected_pieces(&caps, (uintptr_t)buf, len, DC_BS);
  CHECK(t, want >= 3, "the request needs splitting (%llu pieces)", (unsigned long long)want);
  disk_class_stats_t s0 = stats_of(&r);
  stack_fill(&r, buf, len);
  CHECK_EQ(t, disk_write(d, lba, blocks, buf), STATUS_SUCCESS);
  check_disk(t, r.disk[0], 0, lba, blocks, buf, "split write");
  disk_class_stats_t s1 = stats_of(&r);
  CHECK_EQ(t, s1.pieces - s0.pieces, want);
  CHECK_EQ(t, s1.srbs - s0.srbs, want);
  uint8_t *img = malloc(len);
  REQUIRE(t, img != NULL, "malloc");
  stack_fill(&r, img, len);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, lba, blocks, img), 0);
  memset(buf, 0, len);
  CHECK_EQ(t, disk_read(d, lba, blocks, buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, img, len) == 0, "split read");
  disk_class_stats_t s2 = stats_of(&r);
  CHECK_EQ(t, s2.pieces - s1.pieces, want);
  CHECK_EQ(t, s2.bounced, 0u);
  sp_port_stats_t ps;
  sp_port_stats(r.port, &ps);
  CHECK(t, ps.io_map_transfers >= 2 * want, "port mapped %llu transfers",
        (unsigned long long)ps.io_map_transfers);
  free(img);
  stack_done(t, &r);
}

/* The soc_top variant with the HBA on 8-bit channel 1: the port then asks no alignment, so odd
 * buffers go straight to the DMA, without double-buffering. */
static void byte_channel_odd_buffers(test_ctx_t *t) {
  stack_config_t sc;
  stack_config_default(&sc);
  sc.sim.hba_dma_chan = 1;
  sc.stack.hal.map_register_pages = DC_MAP_PAGES;
  stack_rig_t r;
  stack_init(t, &r, &sc);
  stack_add_disk(t, &r, 2, 1, DC_BLOCKS, DC_BS);
  stack_start(t, &r, NULL);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  IO_SCSI_CAPABILITIES caps = caps_of(t, &r);
  CHECK_EQ(t, caps.AlignmentMask, 0u);
  static const size_t offsets[] = {1, 2047, 4093};
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    uint32_t blocks = 1 + (uint32_t)stack_rand(&r, 3);
    size_t len = (size_t)blocks * DC_BS;
    uint8_t *buf = stack_buf(t, &r, len, offsets[i], HOSTMEM_PLACE_SCATTERED);
    uint64_t lba = stack_rand(&r, DC_BLOCKS - blocks);
    stack_fill(&r, buf, len);
    CHECK_EQ(t, disk_write(d, lba, blocks, buf), STATUS_SUCCESS);
    check_disk(t, r.disk[2], 0, lba, blocks, buf, "byte-channel write");
    uint8_t *img = malloc(len);
    REQUIRE(t, img != NULL, "malloc");
    stack_fill(&r, img, len);
    REQUIRE_EQ(t, scsi_disk_poke(r.disk[2], 0, lba, blocks, img), 0);
    CHECK_EQ(t, disk_read(d, lba, blocks, buf), STATUS_SUCCESS);
    CHECK(t, memcmp(buf, img, len) == 0, "byte-channel read at offset %zu", offsets[i]);
    free(img);
  }
  CHECK_EQ(t, stats_of(&r).bounced, 0u);
  stack_done(t, &r);
}

/* A disk past 2^32 blocks: LBAs and ranges the 10-byte CDB cannot carry go as READ/WRITE(16). */
static void cdb16_beyond_32bit_lba(test_ctx_t *t) {
  stack_rig_t r;
  rig_init(t, &r);
  const uint64_t blocks = (1ull << 32) + 4096;
  stack_add_disk(t, &r, 2, 1, blocks, DC_BS);
  stack_start(t, &r, NULL);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *buf = stack_buf(t, &r, 8 * DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  struct { uint64_t lba; uint32_t n; unsigned cdb16; } cases[] = {
      {0xFFFFFFF0ull, 8, 0},               /* ends at FFFFFFF7h: (10) */
      {0xFFFFFFFCull, 8, 1},               /* straddles 2^32: (16) */
      {(1ull << 32) + 17, 5, 1},           /* above: (16) */
      {blocks - 3, 3, 1}};                 /* the last blocks */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    disk_class_stats_t s0 = stats_of(&r);
    size_t len = cases[i].n * DC_BS;
    stack_fill(&r, buf, len);
    CHECK_EQ(t, disk_write(d, cases[i].lba, cases[i].n, buf), STATUS_SUCCESS);
    check_disk(t, r.disk[2], 0, cases[i].lba, cases[i].n, buf, "write(16)");
    uint8_t img[8 * DC_BS];
    stack_fill(&r, img, len);
    REQUIRE_EQ(t, scsi_disk_poke(r.disk[2], 0, cases[i].lba, cases[i].n, img), 0);
    CHECK_EQ(t, disk_read(d, cases[i].lba, cases[i].n, buf), STATUS_SUCCESS);
    CHECK(t, memcmp(buf, img, len) == 0, "read at LBA %llx", (unsigned long long)cases[i].lba);
    CHECK_EQ(t, stats_of(&r).cdb16 - s0.cdb16, 2u * cases[i].cdb16);
  }
  CHECK_EQ(t, disk_read(d, blocks - 2, 3, buf), STATUS_INVALID_PARAMETER);  /* past the end */
  stack_done(t, &r);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void medium_error_reports_lba(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  IO_SCSI_CAPABILITIES caps = caps_of(t, &r);
  uint64_t bad = 1000 + stack_rand(&r, 30000);
  REQUIRE_EQ(t, scsi_disk_fault_medium(r.disk[0], 0, bad, 1,
                                       SCSI_DISK_FAULT_READ | SCSI_DISK_FAULT_WRITE), 0);
  /* a read over the bad block: the blocks before it arrive, the error names it */
  uint8_t *buf = stack_buf(t, &r, 8 * DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  uint8_t img[8 * DC_BS];
  stack_fill(&r, img, sizeof img);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, bad - 3, 8, img), 0);
  memset(buf, 0, 8 * DC_BS);
  CHECK_EQ(t, disk_read(d, bad - 3, 8, buf), STATUS_DEVICE_DATA_ERROR);
  disk_error_t e;
  disk_last_error(d, &e);
  CHECK_EQ(t, e.status, STATUS_DEVICE_DATA_ERROR);
  CHECK_EQ(t, e.lba_valid, 1);
  CHECK_EQ(t, e.lba, bad);
  CHECK_EQ(t, e.sense_key, SCSI_SENSE_MEDIUM_ERROR);
  CHECK_EQ(t, e.asc, 0x11);
  CHECK_EQ(t, SRB_STATUS(e.srb_status), SRB_STATUS_ERROR);
  CHECK_EQ(t, e.scsi_status, SCSISTAT_CHECK_CONDITION);
  CHECK_EQ(t, e.bytes_done, 3u * DC_BS);
  CHECK(t, memcmp(buf, img, 3 * DC_BS) == 0, "the good blocks before the bad one");

  /* a write over it: written up to the bad block, nothing from it on */
  uint8_t *w = stack_buf(t, &r, 4 * DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  stack_fill(&r, w, 4 * DC_BS);
  CHECK_EQ(t, disk_write(d, bad - 2, 4, w), STATUS_DEVICE_DATA_ERROR);
  disk_last_error(d, &e);
  CHECK_EQ(t, e.lba, bad);
  CHECK_EQ(t, e.sense_key, SCSI_SENSE_MEDIUM_ERROR);
  CHECK_EQ(t, e.asc, 0x03);
  CHECK_EQ(t, e.bytes_done, 2u * DC_BS);
  check_disk(t, r.disk[0], 0, bad - 2, 2, w, "written before the bad block");
  check_disk(t, r.disk[0], 0, bad, 2, img + 3 * DC_BS, "unchanged from the bad block");

  /* split: the bad block in the second piece; the first piece's bytes count as done */
  uint32_t per = caps.MaximumTransferLength / DC_BS;
  uint32_t blocks = 2 * per + 4;
  uint64_t start = bad - per - 5;  /* the bad block is the 6th of piece 2 */
  uint8_t *big = stack_buf(t, &r, (size_t)blocks * DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  CHECK_EQ(t, disk_read(d, start, blocks, big), STATUS_DEVICE_DATA_ERROR);
  disk_last_error(d, &e);
  CHECK_EQ(t, e.lba, bad);
  CHECK_EQ(t, e.bytes_done, (uint64_t)(per + 5) * DC_BS);
  uint8_t *good = malloc((size_t)(per + 5) * DC_BS);
  REQUIRE(t, good != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk[0], 0, start, per + 5, good), 0);
  CHECK(t, memcmp(big, good, (size_t)(per + 5) * DC_BS) == 0, "the blocks before the bad one");
  free(good);
  CHECK_EQ(t, stats_of(&r).errors, 3u);
  stack_done(t, &r);
}

static void unit_attention_retried(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *buf = stack_buf(t, &r, 4 * DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  uint8_t img[4 * DC_BS];
  stack_fill(&r, img, sizeof img);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, 77, 4, img), 0);
  uint64_t ua0 = stats_of(&r).retries_unit_attention;
  /* a reset the initiator did not see: the next command meets 06/29/02 */
  REQUIRE_EQ(t, scsi_disk_reset(r.disk[0], SCSI_RESET_BUS), 0);
  CHECK_EQ(t, disk_read(d, 77, 4, buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, img, sizeof img) == 0, "data after the retried unit attention");
  CHECK_EQ(t, stats_of(&r).retries_unit_attention - ua0, 1u);

  /* no retries allowed: the unit attention is the request's error */
  disk_class_config_t cc;
  disk_class_config_default(&cc);
  cc.unit_attention_retries = 0;
  disk_class_t *c0 = disk_class_create(r.s, hbastack_port_if(r.k), &cc);
  REQUIRE(t, c0 != NULL, "second class");
  REQUIRE_EQ(t, disk_class_scan(c0), 1);
  disk_t *d0 = disk_class_get(c0, 0);
  REQUIRE_EQ(t, scsi_disk_reset(r.disk[0], SCSI_RESET_BUS), 0);
  CHECK_EQ(t, disk_read(d0, 77, 4, buf), STATUS_IO_DEVICE_ERROR);
  disk_error_t e;
  disk_last_error(d0, &e);
  CHECK_EQ(t, e.sense_key, SCSI_SENSE_UNIT_ATTENTION);
  CHECK_EQ(t, e.asc, SCSI_ADSENSE_BUS_RESET);
  CHECK_EQ(t, e.bytes_done, 0u);
  /* reported once: the next read goes through */
  memset(buf, 0, 4 * DC_BS);
  CHECK_EQ(t, disk_read(d0, 77, 4, buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, img, sizeof img) == 0, "data after the unit attention");
  disk_class_destroy(c0);
  stack_done(t, &r);
}

static void busy_retried_within_limit(test_ctx_t *t) {
  disk_class_config_t cc;
  disk_class_config_default(&cc);
  cc.busy_retries = 3;
  cc.busy_backoff_cycles = 20000;
  stack_rig_t r;
  rig_one(t, &r, &cc);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *buf = stack_buf(t, &r, DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  uint8_t img[DC_BS];
  stack_fill(&r, img, sizeof img);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, 5, 1, img), 0);
  /* two BUSY answers: resent after the back-off each time */
  REQUIRE_EQ(t, scsi_disk_fault_busy(r.disk[0], 2), 0);
  uint64_t c0 = sim_cycle(r.s);
  CHECK_EQ(t, disk_read(d, 5, 1, buf), STATUS_SUCCESS);
  CHECK(t, sim_cycle(r.s) - c0 >= 2 * cc.busy_backoff_cycles, "two back-offs took %llu cycles",
        (unsigned long long)(sim_cycle(r.s) - c0));
  CHECK(t, memcmp(buf, img, DC_BS) == 0, "data after BUSY");
  CHECK_EQ(t, stats_of(&r).retries_busy, 2u);
  /* more BUSY answers than retries: STATUS_DEVICE_BUSY after 1 + 3 tries */
  REQUIRE_EQ(t, scsi_disk_fault_busy(r.disk[0], 4), 0);
  CHECK_EQ(t, disk_read(d, 5, 1, buf), STATUS_DEVICE_BUSY);
  CHECK_EQ(t, stats_of(&r).retries_busy, 5u);
  disk_error_t e;
  disk_last_error(d, &e);
  CHECK_EQ(t, e.scsi_status, SCSISTAT_BUSY);
  CHECK_EQ(t, e.bytes_done, 0u);
  /* the fault is used up */
  CHECK_EQ(t, disk_read(d, 5, 1, buf), STATUS_SUCCESS);
  stack_done(t, &r);
}

static void not_ready_and_missing_device(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *buf = stack_buf(t, &r, DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE_EQ(t, scsi_disk_fault_not_ready(r.disk[0], 0, 1), 0);
  CHECK_EQ(t, disk_read(d, 9, 1, buf), STATUS_DEVICE_NOT_READY);
  disk_error_t e;
  disk_last_error(d, &e);
  CHECK_EQ(t, e.sense_key, SCSI_SENSE_NOT_READY);
  CHECK_EQ(t, e.asc, SCSI_ADSENSE_LUN_NOT_READY);
  CHECK_EQ(t, disk_read(d, 9, 1, buf), STATUS_SUCCESS);
  /* the target stops answering selection: no device */
  disk_rig_faults(t, r.tgt[0], SCSI_FAULT_GONE, 0);
  CHECK_EQ(t, disk_read(d, 9, 1, buf), STATUS_DEVICE_DOES_NOT_EXIST);
  disk_last_error(d, &e);
  CHECK_EQ(t, SRB_STATUS(e.srb_status), SRB_STATUS_SELECTION_TIMEOUT);
  stack_done(t, &r);
}

/* A target that hangs mid-transfer: the port's timer runs out and resets the bus; the class
 * resends once (and absorbs the reset's unit attention). Hanging again: STATUS_IO_TIMEOUT. */
static void timeout_retried_once(test_ctx_t *t) {
  stack_config_t sc;
  stack_config_default(&sc);
  sc.stack.hal.map_register_pages = DC_MAP_PAGES;
  stack_rig_t r;
  stack_init(t, &r, &sc);
  r.cfg.stack.tick_cycles = 20000;   /* a short "second": timeouts in reasonable time */
  stack_add_disk(t, &r, 0, 1, DC_BLOCKS, DC_BS);
  disk_class_config_t cc;
  disk_class_config_default(&cc);
  cc.io_timeout = 5;   /* 100 000 cycles: a 512-byte read takes about 20 000 */
  stack_start(t, &r, &cc);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *buf = stack_buf(t, &r, DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  uint8_t img[DC_BS];
  stack_fill(&r, img, sizeof img);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk[0], 0, 300, 1, img), 0);

  disk_rig_faults(t, r.tgt[0], SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 100);
  disk_class_stats_t s0 = stats_of(&r);
  CHECK_EQ(t, disk_read(d, 300, 1, buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, img, sizeof img) == 0, "data after the resend");
  disk_class_stats_t s1 = stats_of(&r);
  CHECK_EQ(t, s1.retries_transport - s0.retries_transport, 1u);
  CHECK_EQ(t, s1.retries_unit_attention - s0.retries_unit_attention, 1u);
  sp_port_stats_t ps;
  sp_port_stats(r.port, &ps);
  CHECK_EQ(t, ps.timeouts, 1u);

  /* hangs every time: one resend, then the timeout is the request's error */
  disk_rig_faults(t, r.tgt[0], SCSI_FAULT_HANG, 100);
  CHECK_EQ(t, disk_read(d, 300, 1, buf), STATUS_IO_TIMEOUT);
  disk_error_t e;
  disk_last_error(d, &e);
  CHECK_EQ(t, SRB_STATUS(e.srb_status), SRB_STATUS_TIMEOUT);
  disk_class_stats_t s2 = stats_of(&r);
  CHECK_EQ(t, s2.retries_transport - s1.retries_transport, 1u);
  sp_port_stats(r.port, &ps);
  CHECK_EQ(t, ps.timeouts, 3u);
  disk_rig_faults(t, r.tgt[0], 0, 0);
  memset(buf, 0, DC_BS);
  CHECK_EQ(t, disk_read(d, 300, 1, buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, img, sizeof img) == 0, "data once the target answers again");
  stack_done(t, &r);
}

/* Requests refused before anything reaches the port. */
static void bad_requests_refused(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *buf = stack_buf(t, &r, 2 * DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  uint64_t srbs = stats_of(&r).srbs;
  uint8_t *heap = malloc(2 * DC_BS);   /* not host memory: no device can reach it */
  REQUIRE(t, heap != NULL, "malloc");
  CHECK_EQ(t, disk_read(d, 0, 1, heap), STATUS_INVALID_USER_BUFFER);
  CHECK_EQ(t, disk_write(d, 0, 2, heap), STATUS_INVALID_USER_BUFFER);
  free(heap);
  CHECK_EQ(t, disk_read(d, DC_BLOCKS, 1, buf), STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, disk_read(d, DC_BLOCKS - 1, 2, buf), STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, disk_read(d, 0, 0, buf), STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, disk_read(d, 0, 1, NULL), STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, disk_read_async(d, 0, 1, buf, NULL, NULL), STATUS_INVALID_PARAMETER);
  /* a synchronous call above PASSIVE_LEVEL is a caller bug: recorded and refused */
  unsigned old = sim_raise_irql(r.s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, disk_read(d, 0, 1, buf), STATUS_INVALID_DEVICE_STATE);
  sim_lower_irql(r.s, old);
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, r.s), 1u);
  CHECK_EQ(t, stats_of(&r).srbs, srbs);
  stack_done(t, &r);
}

/* ---- asynchronous requests ----------------------------------------------------------------- */

typedef struct async_rec {
  int calls;
  unsigned irql;
  NTSTATUS status;
  uint64_t bytes;
  sim_t *s;
  /* chained: submitted from this completion */
  disk_t *next_d;
  uint64_t next_lba;
  uint32_t next_blocks;
  void *next_buf;
  struct async_rec *next_rec;
  NTSTATUS next_submit;
} async_rec_t;

static void async_done(void *ctx, NTSTATUS status, uint64_t bytes) {
  async_rec_t *a = ctx;
  a->calls++;
  a->irql = sim_irql(a->s);
  a->status = status;
  a->bytes = bytes;
  if (a->next_d)
    a->next_submit = disk_read_async(a->next_d, a->next_lba, a->next_blocks, a->next_buf,
                                     async_done, a->next_rec);
}

static void async_requests_complete_at_dispatch(test_ctx_t *t) {
  stack_rig_t r;
  rig_init(t, &r);
  stack_add_disk(t, &r, 1, 1, DC_BLOCKS, DC_BS);
  stack_add_disk(t, &r, 4, 1, DC_BLOCKS, DC_BS);
  stack_start(t, &r, NULL);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 2);
  disk_t *dk[2] = {disk_class_get(r.cls, 0), disk_class_get(r.cls, 1)};
  scsi_disk_t *md[2] = {r.disk[1], r.disk[4]};
  enum { N = 8 };
  async_rec_t rec[N + 1];
  uint8_t *buf[N + 1];
  uint8_t *img[N + 1];
  uint64_t lba[N + 1];
  uint32_t nb[N + 1];
  memset(rec, 0, sizeof rec);
  for (unsigned i = 0; i <= N; i++) {
    nb[i] = 1 + (uint32_t)stack_rand(&r, 24);
    lba[i] = (uint64_t)i * 4000 + stack_rand(&r, 3000);  /* disjoint ranges */
    buf[i] = stack_buf(t, &r, (size_t)nb[i] * DC_BS, stack_rand(&r, 4096),
                       HOSTMEM_PLACE_MIXED);
    img[i] = malloc((size_t)nb[i] * DC_BS);
    REQUIRE(t, img[i] != NULL, "malloc");
    stack_fill(&r, img[i], (size_t)nb[i] * DC_BS);
    rec[i].s = r.s;
  }
  /* even: writes of img; odd: reads of what was poked; the last read is chained from rec[0] */
  for (unsigned i = 1; i <= N; i += 2)
    REQUIRE_EQ(t, scsi_disk_poke(md[i % 2], 0, lba[i], nb[i], img[i]), 0);
  rec[0].next_d = dk[N % 2];
  rec[0].next_lba = lba[N];
  rec[0].next_blocks = nb[N];
  rec[0].next_buf = buf[N];
  rec[0].next_rec = &rec[N];
  REQUIRE_EQ(t, scsi_disk_poke(md[N % 2], 0, lba[N], nb[N], img[N]), 0);
  for (unsigned i = 0; i < N; i++) {
    NTSTATUS st;
    if (i % 2 == 0) {
      memcpy(buf[i], img[i], (size_t)nb[i] * DC_BS);
      st = disk_write_async(dk[i % 2], lba[i], nb[i], buf[i], async_done, &rec[i]);
    } else {
      st = disk_read_async(dk[i % 2], lba[i], nb[i], buf[i], async_done, &rec[i]);
    }
    CHECK_EQ(t, st, STATUS_PENDING);
  }
  CHECK(t, disk_class_outstanding(r.cls) > 0, "requests outstanding");
  REQUIRE_EQ(t, disk_class_wait_idle(r.cls, DC_WAIT), 0);
  for (unsigned i = 0; i <= N; i++) {
    CHECK_EQ(t, rec[i].calls, 1);
    CHECK_EQ(t, rec[i].irql, SIM_DISPATCH_LEVEL);
    CHECK_EQ(t, rec[i].status, STATUS_SUCCESS);
    CHECK_EQ(t, rec[i].bytes, (uint64_t)nb[i] * DC_BS);
    if (i % 2 == 0 && i < N) check_disk(t, md[i % 2], 0, lba[i], nb[i], img[i], "async write");
    else CHECK(t, memcmp(buf[i], img[i], (size_t)nb[i] * DC_BS) == 0, "async read %u", i);
    free(img[i]);
  }
  CHECK_EQ(t, rec[0].next_submit, STATUS_PENDING);
  stack_done(t, &r);
}

/* ---- pass-through -------------------------------------------------------------------------- */

static void passthrough_commands(test_ctx_t *t) {
  stack_rig_t r;
  rig_one(t, &r, NULL);
  uint8_t *data = stack_buf(t, &r, 64, 1, HOSTMEM_PLACE_SCATTERED);  /* odd address */
  UCHAR sense[32];
  disk_pt_t pt;
  disk_pt_result_t res;

  /* INQUIRY */
  memset(&pt, 0, sizeof pt);
  memset(data, 0xEE, 64);
  pt.target = 0;
  pt.cdb[0] = SCSIOP_INQUIRY;
  pt.cdb[4] = 36;
  pt.cdb_length = 6;
  pt.direction = DISK_PT_DATA_IN;
  pt.data = data;
  pt.data_length = 36;
  pt.sense = sense;
  pt.sense_length = sizeof sense;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_SUCCESS);
  CHECK_EQ(t, res.scsi_status, SCSISTAT_GOOD);
  CHECK_EQ(t, SRB_STATUS(res.srb_status), SRB_STATUS_SUCCESS);
  CHECK_EQ(t, res.data_transferred, 36u);
  CHECK_EQ(t, res.sense_length, 0u);
  CHECK_EQ(t, res.mapped, STATUS_SUCCESS);
  CHECK_EQ(t, data[0], 0x00);
  CHECK(t, memcmp(data + 8, "HBASIM  SCSI2 DISK      1.0 ", 28) == 0, "INQUIRY strings");
  CHECK_EQ(t, data[36], 0xEE);  /* nothing past the data length */

  /* WRITE(10) of one block, then READ(10) past the end: CHECK CONDITION with sense, no retry */
  uint8_t *blk = stack_buf(t, &r, DC_BS, 0, HOSTMEM_PLACE_SCATTERED);
  stack_fill(&r, blk, DC_BS);
  memset(&pt, 0, sizeof pt);
  pt.cdb[0] = SCSIOP_WRITE;
  pt.cdb[5] = 42;
  pt.cdb[8] = 1;
  pt.cdb_length = 10;
  pt.direction = DISK_PT_DATA_OUT;
  pt.data = blk;
  pt.data_length = DC_BS;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_SUCCESS);
  CHECK_EQ(t, res.scsi_status, SCSISTAT_GOOD);
  CHECK_EQ(t, res.data_transferred, DC_BS);
  check_disk(t, r.disk[0], 0, 42, 1, blk, "pass-through write");

  memset(&pt, 0, sizeof pt);
  pt.cdb[0] = SCSIOP_READ;
  pt.cdb[2] = 0x00;
  pt.cdb[3] = 0x01;   /* LBA 0x10000 = 65536: one past the last */
  pt.cdb[8] = 1;
  pt.cdb_length = 10;
  pt.direction = DISK_PT_DATA_IN;
  pt.data = blk;
  pt.data_length = DC_BS;
  pt.sense = sense;
  pt.sense_length = 18;
  memset(sense, 0, sizeof sense);
  uint64_t srbs = stats_of(&r).srbs;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_SUCCESS);
  CHECK_EQ(t, stats_of(&r).srbs - srbs, 1u);
  CHECK_EQ(t, res.scsi_status, SCSISTAT_CHECK_CONDITION);
  CHECK(t, res.srb_status & SRB_STATUS_AUTOSENSE_VALID, "autosense (SrbStatus %02x)",
        res.srb_status);
  CHECK(t, res.sense_length >= 14, "sense bytes %u", res.sense_length);
  CHECK_EQ(t, sense[0] & 0x7F, 0x70);
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SENSE_ILLEGAL_REQUEST);
  CHECK_EQ(t, sense[12], SCSI_ADSENSE_ILLEGAL_BLOCK);
  CHECK_EQ(t, res.mapped, STATUS_INVALID_PARAMETER);

  /* TEST UNIT READY to an ID nobody answers */
  memset(&pt, 0, sizeof pt);
  pt.target = 4;
  pt.cdb_length = 6;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_DEVICE_DOES_NOT_EXIST);
  CHECK_EQ(t, SRB_STATUS(res.srb_status), SRB_STATUS_SELECTION_TIMEOUT);

  /* malformed requests */
  pt.target = 0;
  pt.cdb_length = 5;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_INVALID_PARAMETER);
  pt.cdb_length = 6;
  pt.direction = DISK_PT_DATA_IN;
  CHECK_EQ(t, disk_passthrough(r.cls, &pt, &res), STATUS_INVALID_PARAMETER);
  stack_done(t, &r);
}

static const test_def_t disk_class_tests[] = {
    {"map_error_table", map_error_table, 0, 0,
     "SRB status, SCSI status and sense map to the documented NTSTATUS and retry class"},
    {"scan_claims_disks_and_capacities", scan_claims_disks_and_capacities, 0, 400000000ull,
     "the scan claims every attached LUN with its block size and capacity, READ CAPACITY(16) "
     "past 2^32 blocks, absorbing one power-on unit attention per LUN"},
    {"read_write_one_block", read_write_one_block, TEST_F_RANDOM, 200000000ull,
     "one-block writes land on the disk and reads return the disk's bytes"},
    {"odd_buffers", odd_buffers, TEST_F_RANDOM, 300000000ull,
     "buffers at odd and unaligned addresses read and write correctly, bytes around them "
     "untouched, double-buffered when AlignmentMask refuses them"},
    {"split_above_max_transfer", split_above_max_transfer, TEST_F_RANDOM, 300000000ull,
     "a request above MaximumTransferLength goes as the pieces the capabilities allow"},
    {"byte_channel_odd_buffers", byte_channel_odd_buffers, TEST_F_RANDOM, 300000000ull,
     "on the 8-bit-channel variant odd buffers move without double-buffering"},
    {"cdb16_beyond_32bit_lba", cdb16_beyond_32bit_lba, TEST_F_RANDOM, 300000000ull,
     "ranges past LBA 2^32-1 use READ/WRITE(16), the rest (10)"},
    {"medium_error_reports_lba", medium_error_reports_lba, TEST_F_RANDOM, 300000000ull,
     "a medium error is STATUS_DEVICE_DATA_ERROR with the failing LBA and the good bytes "
     "before it"},
    {"unit_attention_retried", unit_attention_retried, 0, 300000000ull,
     "a unit attention is retried within the limit, and is the error when no retry is allowed"},
    {"busy_retried_within_limit", busy_retried_within_limit, 0, 300000000ull,
     "BUSY is resent after the back-off up to the limit, then STATUS_DEVICE_BUSY"},
    {"not_ready_and_missing_device", not_ready_and_missing_device, 0, 300000000ull,
     "NOT READY is STATUS_DEVICE_NOT_READY; a target gone is STATUS_DEVICE_DOES_NOT_EXIST"},
    {"timeout_retried_once", timeout_retried_once, 0, 300000000ull,
     "a command the port times out is resent once, then STATUS_IO_TIMEOUT"},
    {"bad_requests_refused", bad_requests_refused, 0, 200000000ull,
     "non-host-memory buffers, ranges past the end and wrong IRQL are refused unsent"},
    {"async_requests_complete_at_dispatch", async_requests_complete_at_dispatch, TEST_F_RANDOM,
     400000000ull,
     "asynchronous reads and writes on two disks complete once each at DISPATCH_LEVEL with "
     "their data, including one submitted from a completion routine"},
    {"passthrough_commands", passthrough_commands, 0, 300000000ull,
     "pass-through INQUIRY, WRITE and a failing READ return status, data and sense, unretried"},
};
TEST_SUITE(disk_class);
