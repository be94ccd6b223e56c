/* hbabm: smoke tests of the Storport bus-master miniport through the whole stack -- disk class
 * -> Storport (driver/storport) -> hbabm -> the HBA's scatter/gather engine (AXI bus master) ->
 * SCSI bus -> C disk model. docs/miniport.md, "hbabm".
 *
 * The rig is the Storport twin of tests/system/stack_util.h (which is SCSI Port only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stor_port.h"   /* storport.h first: a Storport translation unit */
#include "hbabm.h"
#include "hba_common.h"
#include "hba_regs.h"
#include "disk.h"
#include "hal_dma.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"
#include "test.h"
#include "verifier.h"

#define BM_BS 512u
#define BM_BLOCKS 65536u
#define BM_SEL_TIMEOUT 5000u     /* cycles: 100 us, so that the scan over empty IDs is short */
#define BM_WAIT 200000000ull
#define BM_PAGE 4096u
#define BM_MAP_PAGES 512u

typedef struct bm_rig {
  sim_t *s;
  hal_machine_t *hal;
  stp_system_t *sys;
  stp_port_t *port;
  disk_class_t *cls;
  scsi_disk_t *disk;
  prng_t rng;
} bm_rig_t;

/* sim, one 512-byte-block disk at ID 0, HAL, Storport system with soc_top's HBA, hbabm's
 * DriverEntry (SelTimeout in its ArgumentString), the class over port 0 (not scanned) */
static void bm_start(test_ctx_t *t, bm_rig_t *r) {
  memset(r, 0, sizeof *r);
  prng_seed(&r->rng, test_seed(t), 0x68626162ull /* "hbab" */);
  r->s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(r->s, 4));
  REQUIRE(t, sim_scsi_bus(r->s) != NULL, "SCSI bus");

  scsi_disk_config_t dc;
  scsi_disk_config_default(&dc);
  dc.capacity = BM_BLOCKS;
  dc.block_size = BM_BS;
  dc.lun_count = 1;
  dc.seed = test_seed(t);
  memset(&dc.timing, 0, sizeof dc.timing);
  char err[128];
  r->disk = scsi_disk_create(&dc, err, sizeof err);
  REQUIRE(t, r->disk != NULL, "scsi_disk_create: %s", err);
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  tc.seed = test_seed(t) ^ 0x7467ull;
  int e = 0;
  scsi_target_t *tg = scsi_target_create(sim_scsi_bus(r->s), 0, &tc, &e);
  REQUIRE(t, tg != NULL, "scsi_target_create: %d", e);
  REQUIRE_EQ(t, scsi_target_bind(tg, 0, &scsi_disk_lu_ops, r->disk), 0);

  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  /* map registers for the miniport's whole 1 MiB (the port lowers MaximumTransferLength and
   * NumberOfPhysicalBreaks to (n - 1) pages of the n it gets: docs/storport.md) */
  hc.map_register_pages = BM_MAP_PAGES;
  r->hal = hal_machine_create(r->s, &hc);
  REQUIRE(t, r->hal != NULL, "hal_machine_create");
  stp_system_config_t pc;
  stp_system_config_hba(&pc, r->s);
  char arg[64];
  snprintf(arg, sizeof arg, HBA_ARG_SEL_TIMEOUT "=%u", BM_SEL_TIMEOUT);
  pc.argument_string = arg;   /* copied by the system */
  r->sys = stp_system_create(r->s, r->hal, &pc);
  REQUIRE(t, r->sys != NULL, "stp_system_create");
  ULONG st = HbaBmDriverEntry(stp_system_driver_object(r->sys), NULL);
  REQUIRE_EQ(t, st, (ULONG)STATUS_SUCCESS);
  REQUIRE(t, stp_system_port_count(r->sys) >= 1, "the miniport found no HBA");
  r->port = stp_system_port(r->sys, 0);

  /* the miniport's programming, read back over APB */
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(r->s, pc.adapter[0].mem_base + HBA_SEL_TIMEOUT, 4, &v));
  CHECK_EQ(t, v, BM_SEL_TIMEOUT);
  REQUIRE_OK(t, sim_apb_read(r->s, pc.adapter[0].mem_base + HBA_CTRL, 4, &v));
  CHECK_EQ(t, (v & HBA_CTRL_MOVER_MASK) >> HBA_CTRL_MOVER_SHIFT, HBA_CTRL_MOVER_BUS_MASTER);
  CHECK_EQ(t, v & HBA_CTRL_ENABLE_MASK, HBA_CTRL_ENABLE_MASK);
  REQUIRE_OK(t, sim_apb_read(r->s, pc.adapter[0].mem_base + HBA_INT_ENABLE, 4, &v));
  CHECK_EQ(t, v, HBA_INT_ENABLE_MASK_MASK);

  port_if_t pif;
  stp_port_if(r->port, &pif);
  r->cls = disk_class_create(r->s, &pif, NULL);
  REQUIRE(t, r->cls != NULL, "disk_class_create");
}

static void bm_done(test_ctx_t *t, bm_rig_t *r) {
  if (r->cls) {
    CHECK_EQ(t, disk_class_wait_idle(r->cls, 50000000ull), 0);
    disk_class_destroy(r->cls);
  }
  if (r->sys) {
    /* no DDK rule broken by the miniport or the port (HAL and Storport verifier) */
    hal_vf_t *vf = stp_system_verifier(r->sys);
    if (vf) CHECK_EQ(t, hal_vf_count(vf, HAL_VF_NKINDS), 0u);
    stp_system_destroy(r->sys);
  }
  if (r->hal) hal_machine_destroy(r->hal);
  test_sim_destroy(t, r->s);
  scsi_disk_destroy(r->disk);
  memset(r, 0, sizeof *r);
}

static const HBABM_DEVICE_EXTENSION *bm_ext(bm_rig_t *r) {
  return stp_port_device_extension(r->port);
}

static void bm_fill(bm_rig_t *r, uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = prng_next(&r->rng);
    for (size_t k = 0; k < 8 && i + k < len; k++) p[i + k] = (uint8_t)(v >> (8 * k));
  }
}

static uint8_t *bm_buf(test_ctx_t *t, bm_rig_t *r, size_t len, size_t offset) {
  hostmem_buf_t *b = hostmem_buf_alloc(sim_mem(r->s), len, offset, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "hostmem_buf_alloc(%zu, offset %zu)", len, offset);
  return b->va;
}

/* pages a buffer at byte offset `off` in its first page spans */
static unsigned span_pages(size_t off, size_t len) {
  return (unsigned)((off + len + BM_PAGE - 1) / BM_PAGE);
}

/* the bring-up: DriverEntry claims soc_top's HBA with the documented configuration, and the
 * scan (selection timeouts on the empty IDs included) finds the one disk */
static void scan_finds_disk(test_ctx_t *t) {
  bm_rig_t r;
  bm_start(t, &r);
  IO_SCSI_CAPABILITIES caps;
  REQUIRE_EQ(t, stp_port_capabilities(r.port, &caps), 0);
  CHECK_EQ(t, caps.MaximumTransferLength, HBABM_MAX_TRANSFER);
  CHECK_EQ(t, caps.MaximumPhysicalPages, HBABM_MAX_DESCRIPTORS);
  CHECK_EQ(t, caps.AlignmentMask, 0u);
  CHECK_EQ(t, stp_port_initiator_id(r.port), 7u);
  CHECK_EQ(t, stp_port_max_targets(r.port), 8u);

  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_info_t di;
  disk_info(disk_class_get(r.cls, 0), &di);
  CHECK_EQ(t, di.block_size, BM_BS);
  CHECK_EQ(t, di.blocks, (uint64_t)BM_BLOCKS);
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  CHECK(t, x->CommandsStarted > 0, "commands started");
  CHECK_EQ(t, x->Rejected, 0u);
  CHECK_EQ(t, x->SplitElements, 0u);
  CHECK(t, (x->TablePhysical & 15u) == 0 && x->TablePhysical < 0x100000000ull,
        "descriptor table at 0x%llx", (unsigned long long)x->TablePhysical);
  bm_done(t, &r);
}

/* WRITE then READ of 1 to 160 blocks in scattered pages at odd byte offsets: the disk holds
 * the written bytes, the read returns them, and the miniport built one descriptor per page */
static void scattered_odd_buffers(test_ctx_t *t) {
  bm_rig_t r;
  bm_start(t, &r);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  static const uint32_t fixed[] = {1, 160};
  const unsigned rounds = 3;   /* 1, 160, then a seeded count of 2 to 100 blocks */
  uint8_t *check = malloc(160u * BM_BS);
  REQUIRE(t, check != NULL, "malloc");

  for (unsigned i = 0; i < rounds; i++) {
    uint32_t blocks = i < 2 ? fixed[i] : 2u + (uint32_t)(prng_next(&r.rng) % 99u);
    size_t len = (size_t)blocks * BM_BS;
    size_t woff = 1u + 2u * (size_t)(prng_next(&r.rng) % 2047u);   /* odd */
    size_t roff = 1u + 2u * (size_t)(prng_next(&r.rng) % 2047u);
    uint64_t lba = prng_next(&r.rng) % (BM_BLOCKS - blocks);
    uint8_t *wb = bm_buf(t, &r, len, woff);
    uint8_t *rb = bm_buf(t, &r, len, roff);
    bm_fill(&r, wb, len);
    memset(rb, 0xA5, len);

    NTSTATUS st = disk_write(d, lba, blocks, wb);
    REQUIRE_EQ(t, st, (NTSTATUS)STATUS_SUCCESS);
    CHECK_EQ(t, bm_ext(&r)->LastDescriptorCount, span_pages(woff, len));
    REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, check), 0);
    CHECK(t, memcmp(check, wb, len) == 0, "round %u: disk LBA %llu+%u differs from the write",
          i, (unsigned long long)lba, blocks);

    st = disk_read(d, lba, blocks, rb);
    REQUIRE_EQ(t, st, (NTSTATUS)STATUS_SUCCESS);
    CHECK_EQ(t, bm_ext(&r)->LastDescriptorCount, span_pages(roff, len));
    CHECK(t, memcmp(rb, wb, len) == 0, "round %u: read of LBA %llu+%u differs", i,
          (unsigned long long)lba, blocks);
  }
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  CHECK_EQ(t, x->Rejected, 0u);
  CHECK_EQ(t, x->BusResetsIssued, 0u);
  free(check);
  bm_done(t, &r);
}

/* ---- raw SRBs through stp_execute --------------------------------------------------------- */

typedef struct bm_req {
  SCSI_REQUEST_BLOCK srb;
  UCHAR sense[32];
  PMDL mdl;
  hostmem_buf_t *buf;
  int done;
} bm_req_t;

static void bm_req_done(PSCSI_REQUEST_BLOCK srb, void *ctx) {
  (void)srb;
  ((bm_req_t *)ctx)->done = 1;
}

static int bm_req_is_done(sim_t *s, void *ctx) {
  (void)s;
  return ((bm_req_t *)ctx)->done;
}

/* TEST UNIT READY (blocks 0) or READ(10) / WRITE(10) of `blocks` at `lba` to target `id`, into
 * a buffer below 16 MiB (directly addressed by the engine) at byte offset 1 */
static void bm_req(test_ctx_t *t, bm_rig_t *r, bm_req_t *q, UCHAR id, UCHAR op, uint32_t lba,
                   uint32_t blocks) {
  memset(q, 0, sizeof *q);
  PSCSI_REQUEST_BLOCK srb = &q->srb;
  srb->Length = sizeof *srb;
  srb->Function = SRB_FUNCTION_EXECUTE_SCSI;
  srb->TargetId = id;
  srb->Cdb[0] = op;
  srb->CdbLength = op == SCSIOP_TEST_UNIT_READY ? 6 : 10;
  srb->TimeOutValue = 10;
  srb->SenseInfoBuffer = q->sense;
  srb->SenseInfoBufferLength = sizeof q->sense;
  if (blocks != 0) {
    uint32_t len = blocks * BM_BS;
    srb->Cdb[2] = (UCHAR)(lba >> 24);
    srb->Cdb[3] = (UCHAR)(lba >> 16);
    srb->Cdb[4] = (UCHAR)(lba >> 8);
    srb->Cdb[5] = (UCHAR)lba;
    srb->Cdb[7] = (UCHAR)(blocks >> 8);
    srb->Cdb[8] = (UCHAR)blocks;
    srb->SrbFlags = op == SCSIOP_READ ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT;
    q->buf = hostmem_buf_alloc(sim_mem(r->s), len, 1, HOSTMEM_PLACE_BELOW_16M);
    REQUIRE(t, q->buf != NULL, "hostmem_buf_alloc(%u)", len);
    q->mdl = IoAllocateMdl(q->buf->va, len, FALSE, FALSE, NULL);
    REQUIRE(t, q->mdl != NULL, "IoAllocateMdl");
    MmBuildMdlForNonPagedPool(q->mdl);
    srb->DataBuffer = q->buf->va;
    srb->DataTransferLength = len;
  }
}

static void bm_run(test_ctx_t *t, bm_rig_t *r, bm_req_t *q) {
  REQUIRE_EQ(t, stp_execute(r->port, &q->srb, q->mdl, bm_req_done, q), STATUS_PENDING);
  REQUIRE_OK(t, sim_wait_until(r->s, bm_req_is_done, q, 20000000u));
}

static void bm_req_free(bm_rig_t *r, bm_req_t *q) {
  if (q->mdl) IoFreeMdl(q->mdl);
  if (q->buf) hostmem_buf_free(sim_mem(r->s), q->buf);
  q->mdl = NULL;
  q->buf = NULL;
}

/* CHECK CONDITION (port autosense), selection timeout, and AXI errors on DATA IN and DATA OUT:
 * the documented SRB statuses, and the HBA usable again at once (the same READ then succeeds
 * with the disk's bytes) */
static void errors_and_reuse(test_ctx_t *t) {
  bm_rig_t r;
  bm_start(t, &r);
  bm_req_t q;
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);

  /* the power-on unit attention: CHECK CONDITION, the port fetches the sense */
  bm_req(t, &r, &q, 0, SCSIOP_TEST_UNIT_READY, 0, 0);
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK_EQ(t, q.srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
  CHECK(t, q.srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID, "AUTOSENSE_VALID");
  CHECK_EQ(t, q.sense[2] & 0x0F, SCSI_SENSE_UNIT_ATTENTION);

  /* nobody at ID 3 */
  bm_req(t, &r, &q, 3, SCSIOP_TEST_UNIT_READY, 0, 0);
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_SELECTION_TIMEOUT);

  /* DATA IN with an error response on the second page's writes */
  const uint32_t blocks = 16, lba = 100;
  const uint32_t len = blocks * BM_BS;
  bm_req(t, &r, &q, 0, SCSIOP_READ, lba, blocks);
  uint64_t bad = q.buf->pfn[1] * BM_PAGE;
  REQUIRE_OK(t, sim_axi_inject_error(r.s, bad, bad + BM_PAGE, SIM_AXI_SLVERR, 0, 1));
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK(t, (x->LastCauses & HBA_INT_STATUS_DMA_ERR_MASK) != 0, "INT_STATUS 0x%x",
        (unsigned)x->LastCauses);
  CHECK(t, q.srb.DataTransferLength <= BM_PAGE - 1, "DataTransferLength %u: not past the bad page",
        (unsigned)q.srb.DataTransferLength);
  sim_axi_clear_errors_injected(r.s);
  uint8_t *disk = malloc(len);
  REQUIRE(t, disk != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
  /* what was delivered is the disk's prefix */
  CHECK(t, memcmp(q.buf->va, disk, q.srb.DataTransferLength) == 0, "delivered prefix");
  bm_req_free(&r, &q);

  bm_req(t, &r, &q, 0, SCSIOP_READ, lba, blocks);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, len);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "READ after the error: the disk's bytes");
  bm_req_free(&r, &q);

  /* DATA OUT with an error response on the first page's reads: pad, ATN, ABORT */
  bm_req(t, &r, &q, 0, SCSIOP_WRITE, lba, blocks);
  bm_fill(&r, q.buf->va, len);
  bad = q.buf->pfn[0] * BM_PAGE;
  REQUIRE_OK(t, sim_axi_inject_error(r.s, bad, bad + BM_PAGE, SIM_AXI_SLVERR, 1, 0));
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ABORTED);
  CHECK(t, (x->LastCauses & (HBA_INT_STATUS_DMA_ERR_MASK | HBA_INT_STATUS_ABORTED_MASK)) ==
               (HBA_INT_STATUS_DMA_ERR_MASK | HBA_INT_STATUS_ABORTED_MASK),
        "INT_STATUS 0x%x", (unsigned)x->LastCauses);
  sim_axi_clear_errors_injected(r.s);
  q.done = 0;
  q.srb.SrbStatus = 0;
  q.srb.DataTransferLength = len;
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "WRITE after the error: the disk holds it");
  bm_req_free(&r, &q);

  /* RESET_BUS: completed by HwStorResetBus's StorPortCompleteRequest; the disk then reports
   * the reset as a unit attention, and a READ works */
  bm_req(t, &r, &q, 0, SCSIOP_TEST_UNIT_READY, 0, 0);
  q.srb.Function = SRB_FUNCTION_RESET_BUS;
  q.srb.CdbLength = 0;
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_BUS_RESET);
  CHECK_EQ(t, x->BusResetsIssued, 1u);
  bm_req(t, &r, &q, 0, SCSIOP_TEST_UNIT_READY, 0, 0);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
  CHECK_EQ(t, q.sense[2] & 0x0F, SCSI_SENSE_UNIT_ATTENTION);
  bm_req(t, &r, &q, 0, SCSIOP_READ, lba, blocks);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "READ after the bus reset: the disk's bytes");
  bm_req_free(&r, &q);

  free(disk);
  CHECK_EQ(t, x->Rejected, 0u);
  bm_done(t, &r);
}

static const test_def_t hbabm_tests[] = {
    {"scan_finds_disk", scan_finds_disk, 0, 200000000ull,
     "hbabm's DriverEntry claims the HBA (bus-master CTRL, SEL_TIMEOUT from ArgumentString, 1 MiB "
     "/ 257 pages / any alignment) and the class scan finds the disk"},
    {"scattered_odd_buffers", scattered_odd_buffers, TEST_F_RANDOM, 400000000ull,
     "WRITE/READ of 1 to 160 blocks from scattered pages at odd offsets: bytes on the disk and "
     "in memory, one descriptor per page"},
    {"errors_and_reuse", errors_and_reuse, 0, 200000000ull,
     "CHECK CONDITION with port autosense, selection timeout, AXI errors on DATA IN (ERROR, the "
     "delivered prefix) and DATA OUT (ABORTED), RESET_BUS; the HBA works again at once"},
};
TEST_SUITE(hbabm);
