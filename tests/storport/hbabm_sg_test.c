/* hbabm_sg: the scatter/gather path of the Storport bus-master miniport (docs/miniport.md,
 * "hbabm"): lists of 1 to 257 elements and odd element lengths checked descriptor by
 * descriptor, AXI errors on descriptor and data fetches (SRB_STATUS_ERROR, then the same request
 * succeeds), the MapBuffers rule as the miniport sees it, and SgBuild mode
 * (StorPortBuildScatterGatherList: too small, exhaustion, every ending puts the list). The rig
 * is tests/storport/hbabm_util.h. */
#include "hbabm_util.h"

#define SG_MAX_RUNS 300u

/* a physically contiguous run of a buffer: one element of the HAL's list */
typedef struct sg_run {
  uint64_t pa;
  uint32_t len;
} sg_run_t;

/* the runs of hostmem buffer b's bytes [0, len): what the port's (or a built) list holds and
 * the descriptors the miniport must write; returns their count */
static unsigned sg_runs(const hostmem_buf_t *b, size_t len, sg_run_t *out, unsigned max) {
  unsigned n = 0;
  size_t pos = 0;
  while (pos < len) {
    size_t at = b->offset + pos;
    size_t chunk = BM_PAGE - at % BM_PAGE;
    if (chunk > len - pos) chunk = len - pos;
    uint64_t pa = b->pfn[at / BM_PAGE] * BM_PAGE + at % BM_PAGE;
    if (n && out[n - 1].pa + out[n - 1].len == pa) {
      out[n - 1].len += (uint32_t)chunk;
    } else {
      if (n == max) return n + 1;
      out[n].pa = pa;
      out[n].len = (uint32_t)chunk;
      n++;
    }
    pos += chunk;
  }
  return n;
}

/* the miniport's descriptor table after a command over buffer b (len bytes): one descriptor per
 * run, in order, EOL on the last only, and LastDescriptorCount / LastSgElements agree */
static void check_table(test_ctx_t *t, bm_rig_t *r, const hostmem_buf_t *b, size_t len,
                        const char *what) {
  static sg_run_t runs[SG_MAX_RUNS];
  unsigned n = sg_runs(b, len, runs, SG_MAX_RUNS);
  const HBABM_DEVICE_EXTENSION *x = bm_ext(r);
  CHECK_EQ(t, x->LastDescriptorCount, n);
  CHECK_EQ(t, x->LastSgElements, n);
  if (x->LastDescriptorCount != n || n > HBABM_MAX_DESCRIPTORS) return;
  for (unsigned i = 0; i < n; i++) {
    const HBABM_DESCRIPTOR *d = &x->Table[i];
    uint64_t a = (uint64_t)d->AddressLow | ((uint64_t)d->AddressHigh << 32);
    if (a != runs[i].pa || d->Length != runs[i].len ||
        d->Flags != (i + 1 == n ? HBABM_DESC_EOL : 0u)) {
      CHECK(t, 0, "%s: descriptor %u is {0x%llx, %u, flags %u}, the buffer's run {0x%llx, %u}",
            what, i, (unsigned long long)a, (unsigned)d->Length, (unsigned)d->Flags,
            (unsigned long long)runs[i].pa, (unsigned)runs[i].len);
      return;
    }
  }
}

/* WRITE (bytes from the rig's PRNG) then READ of `blocks` at `lba` through raw SRBs, each buffer
 * placed by `place` at its own offset: the disk holds the bytes, the READ returns them, and the
 * descriptor table matches each buffer */
static void write_read(test_ctx_t *t, bm_rig_t *r, uint32_t lba, uint32_t blocks,
                       hostmem_place_t place, size_t woff, size_t roff, const char *what) {
  size_t len = (size_t)blocks * BM_BS;
  uint8_t *disk = malloc(len);
  REQUIRE(t, disk != NULL, "malloc");
  bm_req_t q;
  bm_req_place(t, r, &q, 0, SCSIOP_WRITE, lba, blocks, place, woff);
  bm_fill(r, q.buf->va, len);
  bm_run(t, r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, (ULONG)len);
  check_table(t, r, q.buf, len, what);
  REQUIRE_EQ(t, scsi_disk_peek(r->disk, 0, lba, blocks, disk), 0);
  CHECK(t, memcmp(disk, q.buf->va, len) == 0, "%s: the disk differs from the WRITE", what);
  srb_req_free(&q);

  bm_req_place(t, r, &q, 0, SCSIOP_READ, lba, blocks, place, roff);
  memset(q.buf->va, 0x5A, len);
  bm_run(t, r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, (ULONG)len);
  check_table(t, r, q.buf, len, what);
  CHECK(t, memcmp(disk, q.buf->va, len) == 0, "%s: the READ differs from the disk", what);
  srb_req_free(&q);
  free(disk);
}

/* READ of `blocks` at `lba` (the disk filled with the rig's PRNG bytes first, no bus time)
 * into a buffer placed by `place` at offset `off`: the bytes and the descriptor table */
static void read_check(test_ctx_t *t, bm_rig_t *r, uint32_t lba, uint32_t blocks,
                       hostmem_place_t place, size_t off, const char *what) {
  size_t len = (size_t)blocks * BM_BS;
  uint8_t *disk = malloc(len);
  REQUIRE(t, disk != NULL, "malloc");
  bm_fill(r, disk, len);
  REQUIRE_EQ(t, scsi_disk_poke(r->disk, 0, lba, blocks, disk), 0);
  bm_req_t q;
  bm_req_place(t, r, &q, 0, SCSIOP_READ, lba, blocks, place, off);
  memset(q.buf->va, 0xC3, len);
  bm_run(t, r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, (ULONG)len);
  check_table(t, r, q.buf, len, what);
  CHECK(t, memcmp(disk, q.buf->va, len) == 0, "%s: the READ differs from the disk", what);
  srb_req_free(&q);
  free(disk);
}

/* the power-on unit attention out of the way (its CHECK CONDITION is another suite's case) */
static void clear_unit_attention(test_ctx_t *t, bm_rig_t *r) {
  bm_req_t q;
  bm_req(t, r, &q, 0, SCSIOP_TEST_UNIT_READY, 0, 0);
  bm_run(t, r, &q);
  CHECK_EQ(t, q.srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
}

/* bm_start with the unit attention cleared, and `len` bytes of scratch (malloc'd; the caller
 * frees them) */
static uint8_t *bm_ready(test_ctx_t *t, bm_rig_t *r, size_t len) {
  bm_start(t, r);
  clear_unit_attention(t, r);
  uint8_t *p = malloc(len);
  REQUIRE(t, p != NULL, "malloc");
  return p;
}

/* ---- list sizes ---------------------------------------------------------------------------- */

/* 1 element (a physically contiguous buffer) and a seeded mix of placements and odd offsets
 * (first and last elements of odd length); every byte and every descriptor checked */
static void list_lengths(test_ctx_t *t) {
  bm_rig_t r;
  bm_start(t, &r);
  clear_unit_attention(t, &r);

  /* one element: 16 KiB physically contiguous at an odd offset */
  write_read(t, &r, 10, 32, HOSTMEM_PLACE_CONTIGUOUS, 1, 4095, "contiguous 16 KiB");
  CHECK_EQ(t, bm_ext(&r)->LastDescriptorCount, 1u);

  /* a seeded count of blocks, placement and odd offsets */
  static const hostmem_place_t places[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_MIXED,
                                           HOSTMEM_PLACE_CONTIGUOUS, HOSTMEM_PLACE_BELOW_16M};
  uint32_t blocks = 1u + (uint32_t)(prng_next(&r.rng) % 32u);
  hostmem_place_t place = places[prng_next(&r.rng) % 4u];
  size_t woff = 1u + 2u * (size_t)(prng_next(&r.rng) % 2048u);
  size_t roff = 1u + 2u * (size_t)(prng_next(&r.rng) % 2048u);
  write_read(t, &r, 3000, blocks, place, woff, roff, "seeded");
  bm_done(t, &r);
}

/* the maximum: 257 elements */
static void max_elements(test_ctx_t *t) {
  bm_rig_t r;
  const bm_opts_t o = {NULL, 1, 0};
  bm_start_opts(t, &r, &o);
  clear_unit_attention(t, &r);

  /* 257 elements: 1 MiB READ into scattered pages at offset 2049 (first element 2047 bytes,
   * last 2049); the disk is filled directly (a WRITE of 1 MiB would double the time) */
  read_check(t, &r, 20000, HBABM_MAX_TRANSFER / BM_BS, HOSTMEM_PLACE_SCATTERED, 2049, "1 MiB");
  CHECK_EQ(t, bm_ext(&r)->LastDescriptorCount, HBABM_MAX_DESCRIPTORS);
  CHECK_EQ(t, bm_ext(&r)->SplitElements, 0u);
  bm_done(t, &r);
}

/* INQUIRY with odd allocation lengths (35 and 5) into a buffer at 19 bytes before a page break
 * (35: two elements of 19 and 16 bytes): DataTransferLength is the odd length, the bytes equal
 * the prefix of the disk's whole 36-byte INQUIRY data, the byte after the buffer is untouched */
static void odd_length_inquiry(test_ctx_t *t) {
  bm_rig_t r;
  bm_start(t, &r);
  clear_unit_attention(t, &r);
  uint8_t full[36];
  static const ULONG lens[] = {36, 35, 5};
  for (unsigned k = 0; k < 3; k++) {
    ULONG len = lens[k];
    size_t off = k == 0 ? 1 : BM_PAGE - 19u;   /* 19 bytes in the first page */
    bm_req_t q;
    memset(&q, 0, sizeof q);
    q.s = r.s;   /* the buffer's sim (bm_run, srb_req_free) */
    PSCSI_REQUEST_BLOCK srb = &q.srb;
    srb->Length = sizeof *srb;
    srb->Function = SRB_FUNCTION_EXECUTE_SCSI;
    srb->Cdb[0] = SCSIOP_INQUIRY;
    srb->Cdb[4] = (UCHAR)len;
    srb->CdbLength = 6;
    srb->TimeOutValue = 10;
    srb->SenseInfoBuffer = q.sense;
    srb->SenseInfoBufferLength = sizeof q.sense;
    srb->SrbFlags = SRB_FLAGS_DATA_IN;
    q.buf = hostmem_buf_alloc(sim_mem(r.s), len + 1, off, HOSTMEM_PLACE_SCATTERED);
    REQUIRE(t, q.buf != NULL, "hostmem_buf_alloc");
    memset(q.buf->va, 0xEE, len + 1);
    q.mdl = IoAllocateMdl(q.buf->va, len, FALSE, FALSE, NULL);
    REQUIRE(t, q.mdl != NULL, "IoAllocateMdl");
    MmBuildMdlForNonPagedPool(q.mdl);
    srb->DataBuffer = q.buf->va;
    srb->DataTransferLength = len;
    bm_run(t, &r, &q);
    CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
    CHECK_EQ(t, q.srb.DataTransferLength, len);
    check_table(t, &r, q.buf, len, "INQUIRY");
    uint8_t *b = q.buf->va;
    if (k == 0) {
      memcpy(full, b, sizeof full);
      CHECK_EQ(t, full[0] & 0x1F, 0u);   /* direct-access device */
      CHECK(t, full[4] >= 31, "additional length %u", full[4]);
    } else {
      CHECK(t, memcmp(b, full, len) == 0, "INQUIRY(%u) is not the prefix of INQUIRY(36)",
            (unsigned)len);
      CHECK_EQ(t, b[len], 0xEE);
      CHECK_EQ(t, bm_ext(&r)->LastDescriptorCount, len > 19 ? 2u : 1u);
    }
    /* the port gave the miniport the caller's VA (not a READ/WRITE) */
    CHECK(t, bm_ext(&r)->LastOtherDataBuffer == q.buf->va, "INQUIRY DataBuffer %p, caller %p",
          bm_ext(&r)->LastOtherDataBuffer, q.buf->va);
    srb_req_free(&q);
  }
  bm_done(t, &r);
}

/* ---- AXI errors -------------------------------------------------------------------------- */

/* an error response on the descriptor table's first descriptor (the engine's first fetch):
 * DATA IN ends CMD_DONE + DMA_ERR with nothing in memory, DATA OUT is padded and aborted by the
 * HBA (ABORTED + DMA_ERR) with the medium unchanged; both SRB_STATUS_ERROR, and the same SRB
 * succeeds right after, the bytes checked */
static void descriptor_fetch_error(test_ctx_t *t) {
  const uint32_t lba = 500, blocks = 16;
  const size_t len = (size_t)blocks * BM_BS;
  bm_rig_t r;
  uint8_t *disk = bm_ready(t, &r, len), *before = malloc(len);
  REQUIRE(t, before != NULL, "malloc");
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  uint64_t table = x->TablePhysical;

  for (int dir = 0; dir < 2; dir++) {
    int out = dir == 1;
    bm_req_t q;
    bm_req_place(t, &r, &q, 0, out ? SCSIOP_WRITE : SCSIOP_READ, lba, blocks,
                 HOSTMEM_PLACE_SCATTERED, 3);
    if (out) bm_fill(&r, q.buf->va, len);
    else memset(q.buf->va, 0x77, len);
    REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, before), 0);
    REQUIRE_OK(t, sim_axi_inject_error(r.s, table, table + 16, SIM_AXI_SLVERR, 1, 0));
    bm_run(t, &r, &q);
    sim_axi_clear_errors_injected(r.s);
    CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
    CHECK(t, x->LastCauses & HBA_INT_STATUS_DMA_ERR_MASK, "%s: INT_STATUS 0x%x", out ? "OUT" : "IN",
          (unsigned)x->LastCauses);
    CHECK_EQ(t, x->LastCauses & HBA_INT_STATUS_ABORTED_MASK,
             out ? HBA_INT_STATUS_ABORTED_MASK : 0u);
    if (!out) {
      CHECK_EQ(t, q.srb.DataTransferLength, 0u);
      uint8_t *b = q.buf->va;
      size_t bad = 0;
      for (size_t i = 0; i < len; i++) bad += b[i] != 0x77;
      CHECK_EQ(t, bad, (size_t)0);   /* nothing reached memory */
    } else {
      REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
      CHECK(t, memcmp(disk, before, len) == 0, "aborted WRITE changed the medium");
    }
    /* the same SRB again */
    srb_req_again(&q, (ULONG)len);
    bm_run(t, &r, &q);
    CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
    CHECK_EQ(t, q.srb.DataTransferLength, (ULONG)len);
    REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
    CHECK(t, memcmp(disk, q.buf->va, len) == 0, "%s after the error: data differ",
          out ? "WRITE" : "READ");
    check_table(t, &r, q.buf, len, out ? "WRITE" : "READ");
    srb_req_free(&q);
  }
  CHECK_EQ(t, x->Rejected, 0u);
  free(disk);
  free(before);
  bm_done(t, &r);
}

/* a 5-element DATA IN list (16 KiB at an odd offset in scattered pages), an error response
 * (a) fetching descriptor k (prefetched when element k-1 becomes current: elements 0 .. k-2
 *     are in memory, XFERRED says exactly that), and
 * (b) on element k's data (every byte before element k is in memory, XFERRED = its offset);
 * in both SRB_STATUS_ERROR with the delivered prefix equal to the disk's bytes, and the READ
 * then succeeds */
static void mid_list_errors(test_ctx_t *t) {
  const uint32_t lba = 900, blocks = 32;
  const size_t len = (size_t)blocks * BM_BS;
  bm_rig_t r;
  uint8_t *disk = bm_ready(t, &r, len);
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
  const unsigned k = 2u + (unsigned)(prng_next(&r.rng) % 3u);   /* 2 .. 4 */
  size_t off = 1u + 2u * (size_t)(prng_next(&r.rng) % 2048u);

  for (int kind = 0; kind < 2; kind++) {
    bm_req_t q;
    bm_req_place(t, &r, &q, 0, SCSIOP_READ, lba, blocks, HOSTMEM_PLACE_SCATTERED, off);
    sg_run_t runs[16];
    unsigned n = sg_runs(q.buf, len, runs, 16);
    REQUIRE_EQ(t, n, 5u);
    uint64_t start_k = 0, start_prev = 0;
    for (unsigned i = 0; i < k; i++) start_k += runs[i].len;
    start_prev = start_k - runs[k - 1].len;
    memset(q.buf->va, 0x66, len);
    if (kind == 0) {
      uint64_t d = x->TablePhysical + 16u * k;
      REQUIRE_OK(t, sim_axi_inject_error(r.s, d, d + 16, SIM_AXI_SLVERR, 1, 0));
    } else {
      REQUIRE_OK(t, sim_axi_inject_error(r.s, runs[k].pa, runs[k].pa + runs[k].len,
                                         SIM_AXI_SLVERR, 0, 1));
    }
    bm_run(t, &r, &q);
    sim_axi_clear_errors_injected(r.s);
    const char *what = kind == 0 ? "descriptor fetch" : "data";
    CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
    CHECK(t, (x->LastCauses & (HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_DMA_ERR_MASK)) ==
                 (HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_DMA_ERR_MASK),
          "%s error: INT_STATUS 0x%x", what, (unsigned)x->LastCauses);
    CHECK_EQ(t, (uint64_t)q.srb.DataTransferLength, kind == 0 ? start_prev : start_k);
    size_t got = q.srb.DataTransferLength <= len ? q.srb.DataTransferLength : len;
    CHECK(t, memcmp(q.buf->va, disk, got) == 0, "%s error (k %u): delivered prefix differs",
          what, k);
    srb_req_again(&q, (ULONG)len);
    bm_run(t, &r, &q);
    CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
    CHECK(t, memcmp(q.buf->va, disk, len) == 0, "READ after the %s error differs", what);
    srb_req_free(&q);
  }
  free(disk);
  bm_done(t, &r);
}

/* ---- MapBuffers ------------------------------------------------------------------------------ */

/* STOR_MAP_NON_READ_WRITE_BUFFERS as hbabm sees it, in both list modes: a READ/WRITE's
 * DataBuffer is the port's alias (same page offset, a PROT_NONE page: any touch by the miniport
 * would fault), INQUIRY's and MODE SENSE's the caller's VA; the data move either way */
static void map_buffers_seen(test_ctx_t *t) {
  for (int mode = 0; mode < 2; mode++) {
    bm_rig_t r;
    bm_start_args(t, &r, mode ? HBA_ARG_SG_BUILD "=1" : NULL);
    const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
    CHECK_EQ(t, x->SgBuildMode, (BOOLEAN)mode);
    CHECK_EQ(t, x->ArgumentsIgnored, 0u);
    clear_unit_attention(t, &r);
    write_read(t, &r, 40, 9, HOSTMEM_PLACE_SCATTERED, 7, 4001, "map_buffers");
    /* the READ's DataBuffer (write_read frees its buffer: compare the page offset) */
    const void *rw = x->LastReadWriteDataBuffer;
    CHECK(t, rw != NULL, "no READ/WRITE DataBuffer recorded");
    CHECK_EQ(t, (uintptr_t)rw % BM_PAGE, (uintptr_t)4001);
    char perms[8];
    srb_va_perms(rw, perms);
    CHECK(t, !strcmp(perms, "---p"), "mode %d: READ DataBuffer page is '%s', not ---p", mode,
          perms);

    /* MODE SENSE(6), all pages, 64 bytes: the caller's VA */
    bm_req_t q;
    bm_req_place(t, &r, &q, 0, SCSIOP_READ, 0, 1, HOSTMEM_PLACE_SCATTERED, 5);
    q.srb.Cdb[0] = SCSIOP_MODE_SENSE;
    memset(&q.srb.Cdb[1], 0, sizeof q.srb.Cdb - 1);
    q.srb.Cdb[2] = 0x3F;
    q.srb.Cdb[4] = 64;
    q.srb.CdbLength = 6;
    q.srb.DataTransferLength = 64;
    bm_run(t, &r, &q);
    CHECK(t, SRB_STATUS(q.srb.SrbStatus) == SRB_STATUS_SUCCESS ||
                 SRB_STATUS(q.srb.SrbStatus) == SRB_STATUS_DATA_OVERRUN,
          "MODE SENSE: SrbStatus 0x%x", q.srb.SrbStatus);
    CHECK(t, x->LastOtherDataBuffer == q.buf->va, "MODE SENSE DataBuffer %p, caller %p",
          x->LastOtherDataBuffer, q.buf->va);
    CHECK(t, q.srb.DataTransferLength >= 4 &&
                 ((uint8_t *)q.buf->va)[0] + 1u == q.srb.DataTransferLength,
          "MODE SENSE data length byte %u, %u moved", ((uint8_t *)q.buf->va)[0],
          (unsigned)q.srb.DataTransferLength);
    srb_req_free(&q);
    if (mode) CHECK_EQ(t, x->SgPuts, x->SgBuilds);
    bm_done(t, &r);
  }
}

/* ---- SgBuild mode -------------------------------------------------------------------------- */

/* SgBuild=1: 1 element, 16 (the small buffer's capacity), 17 scattered pages
 * (BUFFER_TOO_SMALL, then the large buffer), and class READ/WRITEs; every list put, bytes
 * checked */
static void sgbuild_read_write(test_ctx_t *t) {
  bm_rig_t r;
  bm_start_args(t, &r, HBA_ARG_SG_BUILD "=1");
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  REQUIRE(t, x->SgBuildMode, "SgBuild=1 not taken");
  clear_unit_attention(t, &r);

  write_read(t, &r, 100, 4, HOSTMEM_PLACE_CONTIGUOUS, 1, 2047, "SgBuild contiguous");
  CHECK_EQ(t, x->LastDescriptorCount, 1u);
  CHECK_EQ(t, x->SgBuildTooSmall, 0u);
  /* 113 blocks at offset 4095: 16 pages, 16 elements, the small buffer's capacity */
  read_check(t, &r, 300, 113, HOSTMEM_PLACE_SCATTERED, 4095, "SgBuild 16 elements");
  CHECK_EQ(t, x->LastDescriptorCount, HBABM_SG_SMALL_ELEMENTS);
  CHECK_EQ(t, x->SgBuildTooSmall, 0u);
  /* 121 blocks at a seeded odd offset of 3585 or more: 17 pages, too small first, the retry
   * into the large buffer succeeds */
  size_t off = 3585u + 2u * (size_t)(prng_next(&r.rng) % 256u);
  read_check(t, &r, 5000, 121, HOSTMEM_PLACE_SCATTERED, off, "SgBuild 17 pages");
  CHECK_EQ(t, x->SgBuildTooSmall, 1u);
  CHECK_EQ(t, x->SgBuildLarge, 1u);
  CHECK_EQ(t, x->LastDescriptorCount, HBABM_SG_SMALL_ELEMENTS + 1u);

  /* the class over the port: seeded READ/WRITEs through SgBuild */
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  uint8_t *check = malloc(8u * BM_BS);
  REQUIRE(t, check != NULL, "malloc");
  for (unsigned i = 0; i < 2; i++) {
    uint32_t n = 1u + (uint32_t)(prng_next(&r.rng) % 8u);
    size_t len = (size_t)n * BM_BS;
    uint64_t lba = prng_next(&r.rng) % (BM_BLOCKS - n);
    uint8_t *wb = bm_buf(t, &r, len, 1u + 2u * (size_t)(prng_next(&r.rng) % 2047u));
    uint8_t *rb = bm_buf(t, &r, len, 1u + 2u * (size_t)(prng_next(&r.rng) % 2047u));
    bm_fill(&r, wb, len);
    REQUIRE_EQ(t, disk_write(d, lba, n, wb), (NTSTATUS)STATUS_SUCCESS);
    REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, n, check), 0);
    CHECK(t, memcmp(check, wb, len) == 0, "class WRITE %u: the disk differs", i);
    REQUIRE_EQ(t, disk_read(d, lba, n, rb), (NTSTATUS)STATUS_SUCCESS);
    CHECK(t, memcmp(rb, wb, len) == 0, "class READ %u differs", i);
  }
  free(check);
  CHECK_EQ(t, disk_class_wait_idle(r.cls, 50000000ull), 0);
  stp_port_stats_t ps;
  stp_port_stats(r.port, &ps);
  CHECK_EQ(t, ps.sg_builds, (uint64_t)x->SgBuilds);
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  CHECK_EQ(t, x->SgBuildBusy, 0u);
  CHECK_EQ(t, x->SgBuildFailed, 0u);
  CHECK_EQ(t, x->SgPutFailed, 0u);
  CHECK_EQ(t, x->SgOrphans, 0u);
  bm_done(t, &r);
}

/* the test's own lists, holding the port's build slots */
typedef struct sg_hold {
  ULONGLONG buf[(HBABM_SG_LIST_BYTES(2) + 7u) / 8u];
  PSTOR_SCATTER_GATHER_LIST list;
  int delivered;
} sg_hold_t;

static VOID sg_hold_execute(PVOID *DeviceObject, PVOID *Irp, PSTOR_SCATTER_GATHER_LIST List,
                            PVOID Context) {
  (void)DeviceObject;
  (void)Irp;
  sg_hold_t *h = Context;
  h->list = List;
  h->delivered = 1;
}

#define SG_HOLDS 64u

typedef struct sg_wait {
  const HBABM_DEVICE_EXTENSION *x;
  ULONG busy;
  int *done;
} sg_wait_t;

static int sg_busy_reached(sim_t *s, void *ctx) {
  (void)s;
  const sg_wait_t *w = ctx;
  return w->x->SgBuildBusy >= w->busy || *w->done;
}

static int sg_flag_set(sim_t *s, void *ctx) {
  (void)s;
  return *(int *)ctx;
}

typedef struct sg_io {
  int done;
  NTSTATUS status;
  uint64_t bytes;
} sg_io_t;

static void sg_io_done(void *ctx, NTSTATUS status, uint64_t bytes) {
  sg_io_t *io = ctx;
  io->status = status;
  io->bytes = bytes;
  io->done = 1;
}

/* StorPortBuildScatterGatherList exhausted: the test holds every build slot of the port (lists
 * of its own, built with the hbabm device extension at DISPATCH_LEVEL) while a class READ runs;
 * the miniport's build gets INSUFFICIENT_RESOURCES, the SRB completes BUSY, the class backs off
 * and resends; once the test puts its lists the resent READ succeeds with the disk's bytes */
static void sgbuild_exhaustion(test_ctx_t *t) {
  bm_rig_t r;
  bm_start_args(t, &r, HBA_ARG_SG_BUILD "=1");
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  PVOID ext = stp_port_device_extension(r.port);
  REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
  disk_t *d = disk_class_get(r.cls, 0);
  ULONG builds0 = x->SgBuilds;

  /* hold slots until the port says INSUFFICIENT_RESOURCES */
  hostmem_buf_t *src = hostmem_buf_alloc(sim_mem(r.s), 512, 0, HOSTMEM_PLACE_BELOW_16M);
  REQUIRE(t, src != NULL, "hostmem_buf_alloc");
  PMDL mdl = IoAllocateMdl(src->va, 512, FALSE, FALSE, NULL);
  REQUIRE(t, mdl != NULL, "IoAllocateMdl");
  MmBuildMdlForNonPagedPool(mdl);
  sg_hold_t *h = calloc(SG_HOLDS, sizeof *h);
  REQUIRE(t, h != NULL, "calloc");
  unsigned held = 0;
  ULONG st = STOR_STATUS_SUCCESS;
  unsigned old = sim_raise_irql(r.s, SIM_DISPATCH_LEVEL);
  while (held < SG_HOLDS) {
    st = StorPortBuildScatterGatherList(ext, mdl, src->va, 512, sg_hold_execute, &h[held], FALSE,
                                        h[held].buf, sizeof h[held].buf);
    if (st != STOR_STATUS_SUCCESS) break;
    CHECK(t, !h[held].delivered, "ExecutionRoutine ran inside the call");
    held++;
  }
  sim_lower_irql(r.s, old);
  CHECK_EQ(t, st, STOR_STATUS_INSUFFICIENT_RESOURCES);
  CHECK(t, held > 0 && held < SG_HOLDS, "%u lists held", held);
  REQUIRE_OK(t, sim_step(r.s, 10));   /* the ExecutionRoutines run one cycle on */
  int all = 0;
  for (unsigned i = 0; i < held; i++) all += h[i].delivered;
  CHECK_EQ(t, (unsigned)all, held);

  /* a READ through the class while every slot is held */
  const uint32_t blocks = 24;
  const uint64_t lba = 4321;
  const size_t len = (size_t)blocks * BM_BS;
  uint8_t *disk = malloc(len);
  REQUIRE(t, disk != NULL, "malloc");
  bm_fill(&r, disk, len);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk, 0, lba, blocks, disk), 0);
  uint8_t *rb = bm_buf(t, &r, len, 333);
  memset(rb, 0x11, len);
  sg_io_t io = {0, 0, 0};
  REQUIRE_EQ(t, disk_read_async(d, lba, blocks, rb, sg_io_done, &io), (NTSTATUS)STATUS_PENDING);
  sg_wait_t w = {x, 2, &io.done};   /* the first try and one resend refused */
  REQUIRE_OK(t, sim_wait_until(r.s, sg_busy_reached, &w, 20000000u));
  CHECK(t, !io.done, "the READ completed while every build slot was held (status 0x%x)",
        (unsigned)io.status);
  CHECK_EQ(t, x->SgBuilds, builds0);

  /* give the slots back; the next resend gets its list */
  old = sim_raise_irql(r.s, SIM_DISPATCH_LEVEL);
  for (unsigned i = 0; i < held; i++)
    CHECK_EQ(t, StorPortPutScatterGatherList(ext, h[i].list, FALSE), STOR_STATUS_SUCCESS);
  sim_lower_irql(r.s, old);
  REQUIRE_OK(t, sim_wait_until(r.s, sg_flag_set, &io.done, 20000000u));
  CHECK_EQ(t, io.status, (NTSTATUS)STATUS_SUCCESS);
  CHECK_EQ(t, io.bytes, (uint64_t)len);
  CHECK(t, memcmp(rb, disk, len) == 0, "the resent READ differs from the disk");
  CHECK_EQ(t, x->SgBuilds, builds0 + 1u);
  CHECK(t, x->SgBuildBusy >= 2u, "SgBuildBusy %u", (unsigned)x->SgBuildBusy);
  disk_class_stats_t cs;
  disk_class_stats(r.cls, &cs);
  CHECK_EQ(t, cs.retries_busy, (uint64_t)x->SgBuildBusy);
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  free(disk);
  free(h);
  IoFreeMdl(mdl);
  hostmem_buf_free(sim_mem(r.s), src);
  bm_done(t, &r);   /* no verifier record */
}

/* SgBuild: every ending puts the list before the SRB completes -- a DATA IN AXI error (ERROR,
 * the prefix), a DATA OUT one (ERROR), a READ to an absent target (SELECTION_TIMEOUT) and a
 * RESET_BUS -- and the HBA works after each; lists put = lists built, no verifier record */
static void sgbuild_endings(test_ctx_t *t) {
  bm_rig_t r;
  bm_start_args(t, &r, HBA_ARG_SG_BUILD "=1");
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  clear_unit_attention(t, &r);
  const uint32_t lba = 77, blocks = 16;
  const size_t len = (size_t)blocks * BM_BS;
  uint8_t *disk = malloc(len);
  REQUIRE(t, disk != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
  bm_req_t q;

  /* DATA IN, error on the second page */
  bm_req_place(t, &r, &q, 0, SCSIOP_READ, lba, blocks, HOSTMEM_PLACE_SCATTERED, 9);
  uint64_t bad = q.buf->pfn[1] * BM_PAGE;
  REQUIRE_OK(t, sim_axi_inject_error(r.s, bad, bad + BM_PAGE, SIM_AXI_SLVERR, 0, 1));
  bm_run(t, &r, &q);
  sim_axi_clear_errors_injected(r.s);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK_EQ(t, q.srb.DataTransferLength, (ULONG)(BM_PAGE - 9u));
  CHECK(t, memcmp(q.buf->va, disk, q.srb.DataTransferLength) == 0, "delivered prefix");
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  srb_req_free(&q);

  /* DATA OUT, error on the first page's reads */
  bm_req_place(t, &r, &q, 0, SCSIOP_WRITE, lba, blocks, HOSTMEM_PLACE_SCATTERED, 9);
  bm_fill(&r, q.buf->va, len);
  bad = q.buf->pfn[0] * BM_PAGE;
  REQUIRE_OK(t, sim_axi_inject_error(r.s, bad, bad + BM_PAGE, SIM_AXI_SLVERR, 1, 0));
  bm_run(t, &r, &q);
  sim_axi_clear_errors_injected(r.s);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  srb_req_again(&q, (ULONG)len);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);
  CHECK(t, memcmp(disk, q.buf->va, len) == 0, "WRITE after the error: the disk holds it");
  srb_req_free(&q);

  /* a READ with data to an absent target: its list was built and is put */
  ULONG builds = x->SgBuilds;
  bm_req(t, &r, &q, 3, SCSIOP_READ, lba, blocks);
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_SELECTION_TIMEOUT);
  CHECK_EQ(t, q.srb.DataTransferLength, 0u);
  CHECK_EQ(t, x->SgBuilds, builds + 1u);
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  srb_req_free(&q);

  /* RESET_BUS, then the unit attention, then a READ with the bytes checked */
  bm_req(t, &r, &q, 0, SCSIOP_TEST_UNIT_READY, 0, 0);
  q.srb.Function = SRB_FUNCTION_RESET_BUS;
  q.srb.CdbLength = 0;
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_BUS_RESET);
  clear_unit_attention(t, &r);
  bm_req_place(t, &r, &q, 0, SCSIOP_READ, lba, blocks, HOSTMEM_PLACE_MIXED, 4095);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "READ after the bus reset");
  check_table(t, &r, q.buf, len, "after reset");
  srb_req_free(&q);

  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  CHECK_EQ(t, x->SgPutFailed, 0u);
  CHECK_EQ(t, x->SgOrphans, 0u);
  free(disk);
  bm_done(t, &r);
}

/* SgBuild and the port's timeout: the target hangs in the middle of a READ's data (the HBA's
 * watchdog off), the port's tick (2 ms here) expires TimeOutValue, calls HwStorResetBus and
 * completes the SRB SRB_STATUS_TIMEOUT; the miniport gives the list up at the reset and its DPC
 * puts it (builds = puts, no verifier record); after the unit attention the READ works */
static void sgbuild_port_timeout(test_ctx_t *t) {
  bm_rig_t r;
  const bm_opts_t o = {HBA_ARG_SG_BUILD "=1 " HBA_ARG_WATCHDOG "=0", 0, 100000};
  bm_start_opts(t, &r, &o);
  const HBABM_DEVICE_EXTENSION *x = bm_ext(&r);
  clear_unit_attention(t, &r);
  const uint32_t lba = 640, blocks = 16;
  const size_t len = (size_t)blocks * BM_BS;
  uint8_t *disk = malloc(len);
  REQUIRE(t, disk != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, lba, blocks, disk), 0);

  disk_rig_faults(t, r.tgt, SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 3000);
  bm_req_t q;
  bm_req_place(t, &r, &q, 0, SCSIOP_READ, lba, blocks, HOSTMEM_PLACE_SCATTERED, 1);
  q.srb.TimeOutValue = 2;
  ULONG builds0 = x->SgBuilds;   /* the unit attention's REQUEST SENSE had a list too */
  bm_run(t, &r, &q);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_TIMEOUT);
  CHECK(t, q.srb.DataTransferLength <= 3000u, "DataTransferLength %u after a hang at 3000",
        (unsigned)q.srb.DataTransferLength);
  CHECK(t, memcmp(q.buf->va, disk, q.srb.DataTransferLength) == 0, "delivered prefix");
  stp_port_stats_t ps;
  stp_port_stats(r.port, &ps);
  CHECK_EQ(t, ps.timeouts, 1u);
  CHECK_EQ(t, x->BusResetsIssued, 1u);
  CHECK_EQ(t, x->SgBuilds, builds0 + 1u);
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  srb_req_free(&q);

  disk_rig_faults(t, r.tgt, 0, 0);
  clear_unit_attention(t, &r);
  bm_req_place(t, &r, &q, 0, SCSIOP_READ, lba, blocks, HOSTMEM_PLACE_SCATTERED, 1);
  bm_run(t, &r, &q);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, memcmp(q.buf->va, disk, len) == 0, "READ after the timeout differs");
  srb_req_free(&q);
  CHECK_EQ(t, x->SgPuts, x->SgBuilds);
  CHECK_EQ(t, x->SgPutFailed, 0u);
  free(disk);
  bm_done(t, &r);
}

static const test_def_t hbabm_sg_tests[] = {
    {"list_lengths", list_lengths, TEST_F_RANDOM, 200000000ull,
     "1 element (contiguous), a seeded placement and odd offsets: every byte, every descriptor "
     "against the buffer's physical runs, EOL on the last"},
    {"max_elements", max_elements, 0, 900000000ull,
     "257 elements: a 1 MiB READ into scattered pages at offset 2049 (odd first and last "
     "elements): every byte, the 257 descriptors against the pages"},
    {"odd_length_inquiry", odd_length_inquiry, 0, 100000000ull,
     "INQUIRY of 35 and 5 bytes across a page break at an odd offset: odd DataTransferLength, "
     "the prefix of INQUIRY(36), nothing past the buffer, the caller's VA as DataBuffer"},
    {"descriptor_fetch_error", descriptor_fetch_error, 0, 200000000ull,
     "SLVERR on the first descriptor: READ ERROR with nothing moved, WRITE ERROR (HBA abort) "
     "with the medium unchanged; the same SRB then succeeds, bytes checked"},
    {"mid_list_errors", mid_list_errors, TEST_F_RANDOM, 200000000ull,
     "5-element READ: SLVERR fetching descriptor k (XFERRED = elements before k-1) vs on "
     "element k's data (XFERRED = its offset); ERROR, the prefix, then success"},
    {"map_buffers_seen", map_buffers_seen, 0, 200000000ull,
     "NON_READ_WRITE_BUFFERS through hbabm (port lists and SgBuild): READ/WRITE DataBuffer is a "
     "---p alias with the caller's page offset, MODE SENSE's is the caller's VA"},
    {"sgbuild_read_write", sgbuild_read_write, TEST_F_RANDOM, 600000000ull,
     "SgBuild=1: 1, 16 and 17 elements (BUFFER_TOO_SMALL then the large buffer), class "
     "READ/WRITEs; bytes, descriptors, builds = puts = the port's count"},
    {"sgbuild_exhaustion", sgbuild_exhaustion, 0, 200000000ull,
     "every port build slot held by the test: the miniport's build gets INSUFFICIENT_RESOURCES, "
     "the SRB BUSY, the class resends; after the puts the READ succeeds with the disk's bytes"},
    {"sgbuild_endings", sgbuild_endings, 0, 300000000ull,
     "SgBuild=1: AXI errors on DATA IN/OUT, selection timeout with data, RESET_BUS: the list is "
     "put at every ending (builds = puts, no verifier record) and the HBA works after each"},
    {"sgbuild_port_timeout", sgbuild_port_timeout, 0, 200000000ull,
     "SgBuild=1: a target hang, the port's timeout (HwStorResetBus, SRB_STATUS_TIMEOUT): the list "
     "is given up at the reset and put by the DPC; the READ then works"},
};
TEST_SUITE(hbabm_sg);
