/* hbabm: smoke tests of the Storport bus-master miniport through the whole stack -- disk class
 * -> Storport (driver/storport) -> hbabm -> the HBA's scatter/gather engine (AXI bus master) ->
 * SCSI bus -> C disk model. docs/miniport.md, "hbabm". The rig is tests/storport/hbabm_util.h;
 * the scatter/gather cases are suite hbabm_sg (hbabm_sg_test.c). */
#include "hbabm_util.h"

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

/* WRITE then READ of 1 to 64 blocks in scattered pages at odd byte offsets: the disk holds
 * the written bytes, the read returns them, and the miniport built one descriptor per page */
static void scattered_odd_buffers(test_ctx_t *t) {
  bm_rig_t r;
  bm_start(t, &r);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  static const uint32_t fixed[] = {1, 64};
  const unsigned rounds = 3;   /* 1, 64, then a seeded count of 2 to 48 blocks (the list sizes
                                  up to 257: suite hbabm_sg) */
  uint8_t *check = malloc(64u * BM_BS);
  REQUIRE(t, check != NULL, "malloc");

  for (unsigned i = 0; i < rounds; i++) {
    uint32_t blocks = i < 2 ? fixed[i] : 2u + (uint32_t)(prng_next(&r.rng) % 47u);
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

/* CHECK CONDITION (port autosense), selection timeout, and AXI errors on DATA IN and DATA OUT
 * (both SRB_STATUS_ERROR):
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
  srb_req_free(&q);

  bm_req(t, &r, &q, 0, SCSIOP_READ, lba, blocks);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, len);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "READ after the error: the disk's bytes");
  srb_req_free(&q);

  /* DATA OUT with an error response on the first page's reads: the HBA pads, raises ATN and
   * aborts the command itself (ABORTED + DMA_ERR): a host DMA failure, SRB_STATUS_ERROR */
  bm_req(t, &r, &q, 0, SCSIOP_WRITE, lba, blocks);
  bm_fill(&r, q.buf->va, len);
  bad = q.buf->pfn[0] * BM_PAGE;
  REQUIRE_OK(t, sim_axi_inject_error(r.s, bad, bad + BM_PAGE, SIM_AXI_SLVERR, 1, 0));
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK(t, (x->LastCauses & (HBA_INT_STATUS_DMA_ERR_MASK | HBA_INT_STATUS_ABORTED_MASK)) ==
               (HBA_INT_STATUS_DMA_ERR_MASK | HBA_INT_STATUS_ABORTED_MASK),
        "INT_STATUS 0x%x", (unsigned)x->LastCauses);
  sim_axi_clear_errors_injected(r.s);
  srb_req_again(&q, len);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "WRITE after the error: the disk holds it");
  srb_req_free(&q);

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
  srb_req_free(&q);

  free(disk);
  CHECK_EQ(t, x->Rejected, 0u);
  bm_done(t, &r);
}

static const test_def_t hbabm_tests[] = {
    {"scan_finds_disk", scan_finds_disk, 0, 200000000ull,
     "hbabm's DriverEntry claims the HBA (bus-master CTRL, SEL_TIMEOUT from ArgumentString, 1 MiB "
     "/ 257 pages / any alignment) and the class scan finds the disk"},
    {"scattered_odd_buffers", scattered_odd_buffers, TEST_F_RANDOM, 400000000ull,
     "WRITE/READ of 1 to 64 blocks from scattered pages at odd offsets: bytes on the disk and "
     "in memory, one descriptor per page"},
    {"errors_and_reuse", errors_and_reuse, 0, 200000000ull,
     "CHECK CONDITION with port autosense, selection timeout, AXI errors on DATA IN (ERROR, the "
     "delivered prefix) and DATA OUT (ERROR, not ABORTED), RESET_BUS; the HBA works again at once"},
};
TEST_SUITE(hbabm);
