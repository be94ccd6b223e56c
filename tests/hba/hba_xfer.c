/* HBA register-level data-path tests: READ/WRITE of every CDB size through both data movers,
 * scatter/gather lists (odd elements, 4 KiB crossings, CHAIN, memory above 16 MiB), odd
 * lengths on the 16-bit subordinate channel in demand and single mode, disconnect/reselect
 * in the middle of the data, several targets and seeded random workloads against a shadow copy
 * of each disk. Every test checks the bytes: in memory after reads, on the disk after writes. */
#include "hba_xfer_util.h"

/* seeded data for one transfer */
static uint8_t *hx_data(test_ctx_t *t, prng_t *g, uint32_t len) {
  uint8_t *p = malloc(len ? len : 1);
  REQUIRE(t, p != NULL, "malloc");
  prng_fill(g, p, len);
  return p;
}

/* WRITE then READ back of `blocks` at `lba` of `id`, the write through wbm's mover and the
 * read through rbm's (0 subordinate, else bus master with a scattered odd-aligned list) */
static void write_read(test_ctx_t *t, hba_rig_t *r, prng_t *g, unsigned id, unsigned cdb_size,
                       uint64_t lba, uint32_t blocks, int wbm, int rbm, i8237_reqmode_t mode) {
  uint32_t len = blocks * 512u;
  uint8_t *src = hx_data(t, g, len);
  hx_buf_t wb = wbm ? hx_buf_bm(t, r, g, len, 1 + prng_below(g, 4095), HOSTMEM_PLACE_SCATTERED,
                                777, 0)
                    : hx_buf_sub(t, r, len);
  hx_buf_put(t, r, &wb, src);
  hx_write(t, r, id, cdb_size, lba, blocks, &wb, src, mode);
  hx_buf_t rb = rbm ? hx_buf_bm(t, r, g, len, 1 + prng_below(g, 4095), HOSTMEM_PLACE_SCATTERED,
                                777, 0)
                    : hx_buf_sub(t, r, len);
  hx_read(t, r, id, cdb_size, lba, blocks, &rb, src, mode);
  free(src);
}

/* every CDB size by group code, then 6-, 10- and 16-byte commands with an explicit CDB_LEN, via
 * the mover `bm` */
static void cdb_sizes(test_ctx_t *t, int bm) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hx_add_disk(t, &r, 0, 4096, NULL, NULL);
  hx_clear_ua(t, &r, 0);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x43444200u + (unsigned)bm);
  static const unsigned sizes[] = {6, 10, 12, 16, 6 | HX_EXPLICIT, 10 | HX_EXPLICIT,
                                   16 | HX_EXPLICIT};
  for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    uint32_t blocks = 1 + (uint32_t)prng_below(&g, 6);
    uint64_t lba = prng_below(&g, 4096 - blocks);
    write_read(t, &r, &g, 0, sizes[i], lba, blocks, bm, bm, I8237_DEMAND);
  }
  hba_rig_done(t, &r);
}
static void cdb_sizes_subordinate(test_ctx_t *t) { cdb_sizes(t, 0); }
static void cdb_sizes_bus_master(test_ctx_t *t) { cdb_sizes(t, 1); }

/* READ(6)/WRITE(6) with transfer length 0 = 256 blocks (128 KiB): write through one mover,
 * read through the other */
static void rw6_256_blocks(test_ctx_t *t) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hx_add_disk(t, &r, 0, 1024, NULL, NULL);
  hx_clear_ua(t, &r, 0);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x32353600u);
  uint64_t lba = prng_below(&g, 1024 - 256);
  int wbm = (int)prng_below(&g, 2);
  write_read(t, &r, &g, 0, 6, lba, 256, wbm, !wbm, I8237_DEMAND);
  hba_rig_done(t, &r);
}

/* bus-master WRITE from a buffer placed by `place`, elements up to max_el bytes, CHAIN every
 * chain_every descriptors; checked on the disk, then READ back into another such buffer */
static void bm_write_case(test_ctx_t *t, hostmem_place_t place, uint32_t max_el,
                          unsigned chain_every, unsigned want_crossings) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hx_add_disk(t, &r, 3, 4096, NULL, NULL);
  hx_clear_ua(t, &r, 3);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x424D5700u ^ (uint32_t)place ^ (max_el << 8) ^ chain_every);
  uint32_t blocks = 8 + (uint32_t)prng_below(&g, 25), len = blocks * 512u;
  uint64_t lba = prng_below(&g, 4096 - blocks);
  uint8_t *src = hx_data(t, &g, len);
  hx_buf_t wb = hx_buf_bm(t, &r, &g, len, 1 + 2 * prng_below(&g, 2047), place, max_el,
                          chain_every);
  if (want_crossings) CHECK(t, wb.crossings > 0, "some element crosses 4 KiB");
  if (chain_every) CHECK(t, wb.nchain > 0, "the list is chained");
  if (place == HOSTMEM_PLACE_ABOVE_16M)
    for (uint32_t off = 0; off < len; off++)
      REQUIRE(t, hostmem_buf_pa(wb.buf, off) >= HOSTMEM_16M, "byte %u above 16 MiB", off);
  hx_buf_put(t, &r, &wb, src);
  hx_write(t, &r, 3, 10, lba, blocks, &wb, src, I8237_DEMAND);
  hx_buf_t rb = hx_buf_bm(t, &r, &g, len, 1 + 2 * prng_below(&g, 2047), place, max_el,
                          chain_every);
  hx_read(t, &r, 3, 10, lba, blocks, &rb, src, I8237_DEMAND);
  free(src);
  hba_rig_done(t, &r);
}
static void bm_scattered_odd(test_ctx_t *t) {
  bm_write_case(t, HOSTMEM_PLACE_SCATTERED, 333, 0, 0);
}
static void bm_cross_4k(test_ctx_t *t) {
  bm_write_case(t, HOSTMEM_PLACE_CONTIGUOUS, 9001, 0, 1);
}
static void bm_chained(test_ctx_t *t) {
  bm_write_case(t, HOSTMEM_PLACE_SCATTERED, 511, 3, 0);
}
static void bm_above_16m(test_ctx_t *t) {
  bm_write_case(t, HOSTMEM_PLACE_ABOVE_16M, 1999, 5, 0);
}

/* odd XFER_LEN on the 16-bit channel 5: INQUIRY of 35 bytes and MODE SENSE(6) truncated to an
 * odd allocation length, compared with the full data fetched by the bus master; the pad byte
 * of the last word is 0x00 and nothing beyond it is written */
static void sub_odd_check(test_ctx_t *t, hba_rig_t *r, unsigned id, const uint8_t *cdb,
                          uint32_t len, const uint8_t *ref, i8237_reqmode_t mode) {
  hx_buf_t b = hx_buf_sub(t, r, len);
  uint8_t ee[300];
  memset(ee, 0xEE, sizeof ee);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r->s), b.pa, ee, sizeof ee), 0);
  hba_cmd_t c;
  memset(&c, 0, sizeof c);
  c.id = id;
  memcpy(c.cdb, cdb, 6);
  hba_result_t res;
  hx_run(t, r, &c, &b, 0, mode, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, len);
  CHECK_EQ(t, res.residual, 0);
  CHECK_EQ(t, res.extra, 0);
  CHECK_EQ(t, res.dma_count, len);
  uint8_t back[300];
  REQUIRE_EQ(t, hostmem_read(sim_mem(r->s), b.pa, back, sizeof back), 0);
  long dd = hx_diff(back, ref, len);
  CHECK(t, dd < 0, "opcode 0x%02x, %u bytes, %s mode: differs from the full data at byte %ld",
        cdb[0], len, mode == I8237_SINGLE ? "single" : "demand", dd);
  if (dd >= 0) test_log(t, "got %02x %02x %02x, want %02x %02x %02x", back[dd], back[dd + 1],
                        back[dd + 2], ref[dd], ref[dd + 1], ref[dd + 2]);
  if (len & 1u) CHECK_EQ(t, back[len], 0x00); /* high byte of the last word */
  for (uint32_t i = (len + 1u) & ~1u; i < sizeof back; i++) CHECK_EQ(t, back[i], 0xEE);
}

/* full response of a 6-byte CDB with allocation length 255 through the bus master: its
 * length (the target ends the data phase early: SHORT) */
static uint32_t full_response(test_ctx_t *t, hba_rig_t *r, prng_t *g, unsigned id,
                              const uint8_t *cdb, uint8_t out[255]) {
  hx_buf_t full = hx_buf_bm(t, r, g, 255, 1 + prng_below(g, 4000), HOSTMEM_PLACE_SCATTERED, 97,
                            0);
  hba_cmd_t c;
  memset(&c, 0, sizeof c);
  c.id = id;
  memcpy(c.cdb, cdb, 6);
  c.cdb[4] = 255;
  hba_result_t res;
  hx_run(t, r, &c, &full, 0, I8237_DEMAND, &res);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  REQUIRE(t, res.xferred > 0 && res.xferred < 255, "response of %u bytes", res.xferred);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SHORT_MASK);
  CHECK_EQ(t, res.residual, 255 - res.xferred);
  CHECK_EQ(t, res.dma_count, res.xferred);
  hx_buf_get(t, r, &full, out);
  return res.xferred;
}

static void sub_odd_len(test_ctx_t *t, i8237_reqmode_t mode) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hx_add_disk(t, &r, 4, 256, NULL, NULL);
  hx_clear_ua(t, &r, 4);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x4F444400u + (unsigned)mode);
  uint8_t ref[255];
  uint8_t inq[6] = {SCSI_OP_INQUIRY, 0, 0, 0, 0, 0};
  uint32_t n = full_response(t, &r, &g, 4, inq, ref);
  CHECK_EQ(t, n, 36);
  inq[4] = 35;
  sub_odd_check(t, &r, 4, inq, 35, ref, mode);
  uint32_t k = 1 + 2 * (uint32_t)prng_below(&g, 17); /* 1..33, odd */
  inq[4] = (uint8_t)k;
  sub_odd_check(t, &r, 4, inq, k, ref, mode);
  /* MODE SENSE(6), all pages, DBD = 0 */
  uint8_t ms[6] = {SCSI_OP_MODE_SENSE_6, 0, 0x3F, 0, 0, 0};
  n = full_response(t, &r, &g, 4, ms, ref);
  CHECK_EQ(t, n, (uint32_t)ref[0] + 1u); /* MODE DATA LENGTH excludes itself */
  REQUIRE(t, n >= 3, "mode data of %u bytes", n);
  k = 1 + 2 * (uint32_t)prng_below(&g, (n - 1) / 2); /* odd, below n */
  ms[4] = (uint8_t)k;
  sub_odd_check(t, &r, 4, ms, k, ref, mode);
  ms[4] = (uint8_t)(n - 1 + (n & 1u)); /* the largest odd length <= n */
  if (!(ms[4] & 1u)) ms[4]--;
  sub_odd_check(t, &r, 4, ms, ms[4], ref, mode);
  hba_rig_done(t, &r);
}
static void sub_odd_demand(test_ctx_t *t) { sub_odd_len(t, I8237_DEMAND); }
static void sub_odd_single(test_ctx_t *t) { sub_odd_len(t, I8237_SINGLE); }

/* disconnect/reselect in the middle of the data: long WRITE and READ through both movers with
 * a target that disconnects every `every` bytes and/or when the disk's service time exceeds
 * `service_ns`; every transfer checks XFERRED, the bytes, and that the target did disconnect */
static void disconnect_case(test_ctx_t *t, uint32_t every, uint64_t service_ns,
                            const scsi_disk_timing_t *timing) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  tc.disconnect_every = every;
  tc.disconnect_service_ns = service_ns;
  hx_add_disk(t, &r, 1, 2048, &tc, timing);
  hx_clear_ua(t, &r, 1);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x44495300u ^ every);
  for (unsigned k = 0; k < 2; k++) {
    uint32_t blocks = 12 + (uint32_t)prng_below(&g, 8);
    uint64_t lba = prng_below(&g, 2048 - blocks);
    scsi_target_stats_t st0, st1;
    scsi_target_stats(r.tgt[1], &st0);
    /* k = 0: write by the 8237, read by SG; k = 1: the other way round */
    write_read(t, &r, &g, 1, k ? 16 : 10, lba, blocks, (int)k, (int)!k, I8237_DEMAND);
    scsi_target_stats(r.tgt[1], &st1);
    uint64_t min = every ? 2u * ((blocks * 512u - 1u) / every) : 2u;
    CHECK(t, st1.disconnects - st0.disconnects >= min, "%llu disconnects (at least %llu)",
          (unsigned long long)(st1.disconnects - st0.disconnects), (unsigned long long)min);
    CHECK_EQ(t, st1.reselections - st0.reselections, st1.disconnects - st0.disconnects);
  }
  hba_rig_done(t, &r);
}
static void disconnect_every_512(test_ctx_t *t) {
  disconnect_case(t, 512, SCSI_BUS_NEVER, NULL);
}
static void disconnect_every_odd(test_ctx_t *t) {
  disconnect_case(t, 333, SCSI_BUS_NEVER, NULL);
}
static void disconnect_service(test_ctx_t *t) {
  scsi_disk_timing_t tm;
  memset(&tm, 0, sizeof tm);
  tm.command_overhead_ns = 60000;
  tm.media_bytes_per_s = 40000000;
  disconnect_case(t, 0, 20000, &tm);
}

/* disks at IDs 0, 1, 3, 6: each gets its own data at the same LBA, one command after the
 * other, movers alternating; then each is read back (reverse order) and holds only its own */
static void multi_target(test_ctx_t *t) {
  static const unsigned ids[] = {0, 1, 3, 6};
  hba_rig_t r;
  hba_rig_init(t, &r);
  for (unsigned i = 0; i < 4; i++) hx_add_disk(t, &r, ids[i], 512, NULL, NULL);
  for (unsigned i = 0; i < 4; i++) hx_clear_ua(t, &r, ids[i]);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x4D554C00u);
  uint32_t blocks = 4 + (uint32_t)prng_below(&g, 8), len = blocks * 512u;
  uint64_t lba = prng_below(&g, 512 - blocks);
  uint8_t *src[4];
  for (unsigned i = 0; i < 4; i++) {
    src[i] = hx_data(t, &g, len);
    hx_buf_t b = (i & 1u) ? hx_buf_bm(t, &r, &g, len, prng_below(&g, 4096),
                                      HOSTMEM_PLACE_MIXED, 1500, 0)
                          : hx_buf_sub(t, &r, len);
    hx_buf_put(t, &r, &b, src[i]);
    hx_write(t, &r, ids[i], 10, lba, blocks, &b, src[i], I8237_DEMAND);
  }
  for (unsigned j = 4; j-- > 0;) {
    hx_buf_t b = (j & 1u) ? hx_buf_sub(t, &r, len)
                          : hx_buf_bm(t, &r, &g, len, prng_below(&g, 4096),
                                      HOSTMEM_PLACE_MIXED, 1500, 0);
    hx_read(t, &r, ids[j], 12, lba, blocks, &b, src[j], I8237_DEMAND);
  }
  for (unsigned i = 0; i < 4; i++) free(src[i]);
  hba_rig_done(t, &r);
}

/* one randomly chosen READ or WRITE against a shadow copy of the disk; all choices from g */
static void random_cmd(test_ctx_t *t, hba_rig_t *r, prng_t *g, unsigned id, uint8_t *shadow,
                       uint64_t cap, uint32_t max_blocks) {
  static const unsigned sizes[] = {6, 10, 12, 16};
  static const hostmem_place_t places[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_CONTIGUOUS,
                                           HOSTMEM_PLACE_ABOVE_16M, HOSTMEM_PLACE_MIXED};
  uint32_t blocks = 1 + (uint32_t)prng_below(g, max_blocks), len = blocks * 512u;
  uint64_t lba = prng_below(g, cap - blocks + 1);
  unsigned size = sizes[prng_below(g, 4)];
  if (size == 6 && lba + blocks > (1u << 21)) size = 10;
  if (prng_below(g, 4) == 0) size |= HX_EXPLICIT;
  int write = (int)prng_below(g, 2), bm = (int)prng_below(g, 2);
  i8237_reqmode_t mode = prng_below(g, 2) ? I8237_SINGLE : I8237_DEMAND;
  hx_buf_t b;
  if (bm) {
    hostmem_place_t pl = places[prng_below(g, 4)];
    /* element sizes up to 600 or 9000 bytes, at least len/256 so lists stay below ~1000 */
    uint32_t max_el = len / 256u + 1 + (uint32_t)prng_below(g, prng_below(g, 2) ? 600 : 9000);
    unsigned chain = prng_below(g, 3) == 0 ? 1 + (unsigned)prng_below(g, 6) : 0;
    b = hx_buf_bm(t, r, g, len, prng_below(g, 4096), pl, max_el, chain);
  } else {
    b = hx_buf_sub(t, r, len);
  }
  uint8_t *sh = shadow + lba * 512u;
  if (write) {
    uint8_t *src = hx_data(t, g, len);
    hx_buf_put(t, r, &b, src);
    hx_write(t, r, id, size, lba, blocks, &b, src, mode);
    memcpy(sh, src, len);
    free(src);
  } else {
    hx_read(t, r, id, size, lba, blocks, &b, sh, mode);
  }
  if (b.bm) hostmem_buf_free(sim_mem(r->s), b.buf);
}

/* three targets, ~30 mixed READ/WRITE commands; every read is compared with a shadow copy of
 * its disk, and the whole disks are compared at the end */
static void random_workload(test_ctx_t *t) {
  static const unsigned ids[] = {0, 2, 5};
  enum { CAP = 384 };
  hba_rig_t r;
  hba_rig_init(t, &r);
  uint8_t *shadow[3];
  for (unsigned i = 0; i < 3; i++) {
    hx_add_disk(t, &r, ids[i], CAP, NULL, NULL);
    hx_clear_ua(t, &r, ids[i]);
    shadow[i] = malloc(CAP * 512u);
    REQUIRE(t, shadow[i] != NULL, "malloc");
    REQUIRE_EQ(t, scsi_disk_peek(r.disk[ids[i]], 0, 0, CAP, shadow[i]), 0);
  }
  prng_t g;
  prng_seed(&g, test_seed(t), 0x574B4C00u);
  for (unsigned k = 0; k < 30; k++) {
    unsigned i = (unsigned)prng_below(&g, 3);
    random_cmd(t, &r, &g, ids[i], shadow[i], CAP, 10);
  }
  uint8_t *img = malloc(CAP * 512u);
  REQUIRE(t, img != NULL, "malloc");
  for (unsigned i = 0; i < 3; i++) {
    REQUIRE_EQ(t, scsi_disk_peek(r.disk[ids[i]], 0, 0, CAP, img), 0);
    CHECK(t, memcmp(img, shadow[i], CAP * 512u) == 0, "disk %u matches its shadow", ids[i]);
    free(shadow[i]);
  }
  free(img);
  hba_rig_done(t, &r);
}

/* everything from the seed: target ID, disconnect behaviour, sizes, LBAs, CDB sizes, movers,
 * 8237 modes, placements, element sizes and chaining */
static void random_mix(test_ctx_t *t) {
  enum { CAP = 1024 };
  hba_rig_t r;
  hba_rig_init(t, &r);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x524E4400u);
  unsigned id = (unsigned)prng_below(&g, 7);
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  tc.disconnect_every = prng_below(&g, 2) ? 64 + (uint32_t)prng_below(&g, 2000) : 0;
  hx_add_disk(t, &r, id, CAP, &tc, NULL);
  hx_clear_ua(t, &r, id);
  uint8_t *shadow = malloc(CAP * 512u);
  REQUIRE(t, shadow != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk[id], 0, 0, CAP, shadow), 0);
  unsigned n = 6 + (unsigned)prng_below(&g, 6);
  for (unsigned k = 0; k < n; k++) random_cmd(t, &r, &g, id, shadow, CAP, 32);
  uint8_t *img = malloc(CAP * 512u);
  REQUIRE(t, img != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk[id], 0, 0, CAP, img), 0);
  CHECK(t, memcmp(img, shadow, CAP * 512u) == 0, "disk matches its shadow");
  free(img);
  free(shadow);
  hba_rig_done(t, &r);
}

static const test_def_t hba_xfer_tests[] = {
  {"cdb_sizes_subordinate", cdb_sizes_subordinate, TEST_F_RANDOM, 0,
   "READ/WRITE(6), (10), (12), (16) by group code and 6/10/16 with explicit CDB_LEN via the 8237"},
  {"cdb_sizes_bus_master", cdb_sizes_bus_master, TEST_F_RANDOM, 0,
   "READ/WRITE(6), (10), (12), (16) by group code and 6/10/16 with explicit CDB_LEN via SG"},
  {"rw6_256_blocks", rw6_256_blocks, TEST_F_RANDOM, 0,
   "READ(6)/WRITE(6) with transfer length 0 move 256 blocks, one mover each way"},
  {"bm_scattered_odd", bm_scattered_odd, TEST_F_RANDOM, 0,
   "SG WRITE/READ with scattered pages, odd-aligned buffer and odd-sized elements"},
  {"bm_cross_4k", bm_cross_4k, TEST_F_RANDOM, 0,
   "SG WRITE/READ with long elements crossing 4 KiB boundaries"},
  {"bm_chained", bm_chained, TEST_F_RANDOM, 0,
   "SG WRITE/READ with a list CHAINed every 3 descriptors (CHAIN+EOL: CHAIN wins)"},
  {"bm_above_16m", bm_above_16m, TEST_F_RANDOM, 0,
   "SG WRITE/READ of a chained list over pages above 16 MiB, out of an ISA channel's reach"},
  {"sub_odd_demand", sub_odd_demand, TEST_F_RANDOM, 0,
   "INQUIRY 35 and MODE SENSE(6) to odd lengths on channel 5 in demand mode: pad 0x00, no more"},
  {"sub_odd_single", sub_odd_single, TEST_F_RANDOM, 0,
   "INQUIRY 35 and MODE SENSE(6) to odd lengths on channel 5 in single mode: pad 0x00, no more"},
  {"disconnect_every_512", disconnect_every_512, TEST_F_RANDOM, 0,
   "target disconnects every 512 bytes: long WRITE/READ via both movers, XFERRED and bytes"},
  {"disconnect_every_odd", disconnect_every_odd, TEST_F_RANDOM, 0,
   "target disconnects every 333 bytes (odd data pointer on the 16-bit channel), both movers"},
  {"disconnect_service", disconnect_service, TEST_F_RANDOM, 0,
   "target disconnects for the disk's service time: long WRITE/READ via both movers"},
  {"multi_target", multi_target, TEST_F_RANDOM, 0,
   "disks at IDs 0, 1, 3, 6 each written and read back one after another, data kept apart"},
  {"random_workload", random_workload, TEST_F_RANDOM, 0,
   "30 seeded mixed READ/WRITE commands over 3 targets checked against shadow disks"},
  {"random_mix", random_mix, TEST_F_RANDOM, 0,
   "seeded target ID, disconnects, sizes, LBAs, CDBs, movers, modes and placements"},
};
TEST_SUITE(hba_xfer);
