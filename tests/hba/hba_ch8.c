/* The HBA's subordinate mover on an 8-bit sysdma channel: the soc_top variant built with
 * HbaDmaChan = 1 (sim_config_t.hba_dma_chan = 1, docs/harness.md "Model variants"). On a
 * byte channel the 8237 moves one byte per DACK, its count register holds bytes - 1, its
 * address is a byte address inside a 64 KiB page, and an odd XFER_LEN needs no pad byte
 * (docs/hba/programmers_guide.md 3.1). Every test checks the bytes on the disk and in memory,
 * the interrupt cause, status byte, XFERRED/RESIDUAL and the 8237's own count. */
#include "hba_err_util.h"
#include "hba_util.h"
#include "hba_xfer_util.h"

#define CH8 1u

static void ch8_rig(test_ctx_t *t, hba_rig_t *r, unsigned id, uint64_t blocks) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.hba_dma_chan = CH8;
  hba_rig_init_cfg(t, r, &cfg);
  REQUIRE_EQ(t, r->dma_chan, CH8);
  hx_add_disk(t, r, id, blocks, NULL, NULL);
  hx_clear_ua(t, r, id);
}

/* the 8237 channel 1 registers after a transfer that moved `moved` of `programmed` bytes
 * from `pa`: current address pa + moved, current count programmed - moved - 1 (0xFFFF at TC),
 * TC bit set in the status register exactly when it reached terminal count */
static void ch8_check_8237(test_ctx_t *t, hba_rig_t *r, uint32_t pa, uint32_t programmed,
                           uint32_t moved) {
  uint32_t left = 0;
  REQUIRE_EQ(t, i8237_residual(r->s, CH8, &left), I8237_OK);
  CHECK_EQ(t, left, programmed - moved);
  uint8_t lo = 0, hi = 0;
  REQUIRE_OK(t, sim_outb(r->s, 0x0C, 0)); /* clear the flip-flop */
  REQUIRE_OK(t, sim_inb(r->s, 0x02, &lo)); /* channel 1 current address, low then high */
  REQUIRE_OK(t, sim_inb(r->s, 0x02, &hi));
  CHECK_EQ(t, (uint32_t)lo | (uint32_t)hi << 8, (pa + moved) & 0xFFFFu);
}

/* WRITE then READ of random block counts and LBAs through channel 1 in demand and single
 * mode, each transfer inside one 64 KiB DMA page (a byte channel moves one byte per 8237
 * transfer cycle on the DMA clock, so the sizes stay small: 24 blocks, then 1-8) */
static void ch8_write_read(test_ctx_t *t) {
  hba_rig_t r;
  ch8_rig(t, &r, 2, 2048);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x43483857u);
  for (unsigned round = 0; round < 4; round++) {
    i8237_reqmode_t mode = (round & 1u) ? I8237_SINGLE : I8237_DEMAND;
    uint32_t blocks = round == 0 ? 24u : 1u + (uint32_t)prng_below(&g, 8);
    uint64_t lba = prng_below(&g, 2048 - blocks);
    uint32_t len = blocks * 512u;
    uint8_t *src = malloc(len), *back = malloc(len);
    REQUIRE(t, src && back, "malloc");
    prng_fill(&g, src, len);
    unsigned cdb = (unsigned[]){6, 10, 12, 16}[round % 4];
    hx_buf_t b = hx_buf_sub(t, &r, len);
    hx_buf_put(t, &r, &b, src);
    hx_write(t, &r, 2, cdb, lba, blocks, &b, src, mode);
    ch8_check_8237(t, &r, b.pa, len, len);
    hx_buf_t b2 = hx_buf_sub(t, &r, len);
    hx_read(t, &r, 2, cdb, lba, blocks, &b2, src, mode);
    ch8_check_8237(t, &r, b2.pa, len, len);
    test_log(t, "round %u: %s, %u blocks at lba %llu, CDB(%u)", round,
             mode == I8237_SINGLE ? "single" : "demand", blocks, (unsigned long long)lba, cdb);
    free(src);
    free(back);
  }
  hba_rig_done(t, &r);
}

/* odd DATA IN lengths: INQUIRY with allocation lengths 35, 1 and a random odd one moves
 * exactly that many bytes (no pad byte on a byte channel: the byte after is untouched), the
 * 8237 count is exactly the length, and the bytes equal the first bytes of the full INQUIRY
 * data fetched with an even length */
static void ch8_odd_data_in(test_ctx_t *t) {
  hba_rig_t r;
  ch8_rig(t, &r, 3, 64);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x4F444438u);
  uint8_t full[36];
  {
    uint32_t pa = he_filled_buffer(t, &r, 36);
    hba_program_dma(t, &r, pa, 36, 1);
    hba_cmd_t c = {.id = 3, .cdb = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0},
                   .dir = HBA_CMD_CFG_DIR_IN, .len = 36};
    hba_result_t res;
    hba_run(t, &r, &c, &res, HX_BOUND);
    HX_CHECK_GOOD(t, res, 36u);
    REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), pa, full, 36), 0);
    CHECK_EQ(t, full[4], 31); /* ADDITIONAL LENGTH of standard data */
  }
  uint32_t lens[3] = {35, 1, 1 + 2 * (uint32_t)prng_below(&g, 17)};
  for (unsigned i = 0; i < 3; i++) {
    uint32_t len = lens[i];
    uint32_t pa = he_filled_buffer(t, &r, 64);
    hba_program_dma(t, &r, pa, len, 1);
    hba_cmd_t c = {.id = 3, .cdb = {SCSI_OP_INQUIRY, 0, 0, 0, (uint8_t)len, 0},
                   .dir = HBA_CMD_CFG_DIR_IN, .len = len};
    hba_result_t res;
    hba_run(t, &r, &c, &res, HX_BOUND);
    HX_CHECK_GOOD(t, res, len);
    uint8_t back[64];
    REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), pa, back, 64), 0);
    CHECK(t, memcmp(back, full, len) == 0, "INQUIRY(%u): the bytes", len);
    for (uint32_t k = len; k < 64; k++) CHECK_EQ(t, back[k], HE_FILL);
    ch8_check_8237(t, &r, pa, len, len);
  }
  hba_rig_done(t, &r);
}

/* odd DATA OUT length: MODE SELECT(6) with a parameter list of 4 + 8 + 3 bytes would be
 * refused by the disk, so the odd DATA OUT case is a WRITE whose 8237 count is odd and one
 * byte short: the 8237 reaches TC after len - 1 bytes, the target still wants the last byte,
 * the HBA ends with UNDERRUN (0x00 pad, ATN + ABORT: ABORTED) and the medium is unchanged */
static void ch8_tc_early_write(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig_chan(t, &r, CH8, 0, 4, &img);
  uint32_t len = 2 * 512u;
  uint32_t pa = hba_dma_buffer(t, &r, len);
  uint8_t *src = malloc(len);
  REQUIRE(t, src != NULL, "malloc");
  prng_t g;
  prng_seed(&g, test_seed(t), 0x54434557u);
  prng_fill(&g, src, len);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa, src, len), 0);
  uint32_t programmed = len - 1; /* odd: only possible on a byte channel */
  i8237_xfer_desc_t d = {.channel = CH8, .phys = pa, .length = programmed,
                         .type = I8237_READ, .mode = I8237_DEMAND};
  REQUIRE_EQ(t, i8237_program(r.s, &d), I8237_OK);
  hba_cmd_t c = {.id = 0, .dir = HBA_CMD_CFG_DIR_OUT, .len = len};
  he_cdb10(c.cdb, SCSI_OP_WRITE_10, 0, 2);
  hba_result_t res;
  he_run(t, &r, &c, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_ABORTED_MASK | HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_ABORTED);
  CHECK_EQ(t, res.dma_count, programmed);
  CHECK_EQ(t, res.xferred, programmed);
  CHECK_EQ(t, res.residual, len - programmed);
  ch8_check_8237(t, &r, pa, programmed, programmed);
  uint8_t *disk = malloc(4 * 512u);
  REQUIRE(t, disk != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r.disk[0], 0, 0, 4, disk), 0);
  CHECK(t, memcmp(disk, img, 4 * 512u) == 0, "the aborted write left the medium unchanged");
  /* the HBA is reprogrammable: the same write with the full count lands */
  d.length = len;
  REQUIRE_EQ(t, i8237_program(r.s, &d), I8237_OK);
  he_run(t, &r, &c, &res);
  HX_CHECK_GOOD(t, res, len);
  REQUIRE_EQ(t, scsi_disk_peek(r.disk[0], 0, 0, 2, disk), 0);
  CHECK(t, memcmp(disk, src, len) == 0, "the second write landed");
  free(disk);
  free(src);
  free(img);
  hba_rig_done(t, &r);
}

/* TC before a READ is done, with an odd 8237 count: exactly `programmed` bytes reach memory,
 * UNDERRUN, nothing past them written, channel 1's DREQ dropped */
static void ch8_tc_early_read(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig_chan(t, &r, CH8, 0, 8, &img);
  uint32_t len = 8 * 512u;
  uint32_t pa = he_filled_buffer(t, &r, len);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x54434552u);
  uint32_t programmed = 1 + 2 * (uint32_t)prng_below(&g, len / 2 - 1); /* odd, < len */
  i8237_xfer_desc_t d = {.channel = CH8, .phys = pa, .length = programmed,
                         .type = I8237_WRITE, .mode = I8237_DEMAND};
  REQUIRE_EQ(t, i8237_program(r.s, &d), I8237_OK);
  hba_cmd_t c = {.id = 0, .dir = HBA_CMD_CFG_DIR_IN, .len = len};
  he_cdb10(c.cdb, SCSI_OP_READ_10, 0, 8);
  hba_result_t res;
  he_run(t, &r, &c, &res);
  test_log(t, "8237 count %u of %u bytes", programmed, len);
  CHECK_EQ(t, res.int_status & HBA_INT_STATUS_UNDERRUN_MASK, HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, res.dma_count, programmed);
  CHECK_EQ(t, res.xferred, programmed);
  CHECK_EQ(t, res.residual, len - programmed);
  CHECK(t, he_mem_is(t, &r, pa, 0, programmed, img), "the bytes the 8237 moved");
  CHECK(t, he_mem_is(t, &r, pa, programmed, len, NULL), "nothing past them");
  uint8_t st8 = 0;
  REQUIRE_EQ(t, i8237_read_status(r.s, CH8, &st8), I8237_OK);
  CHECK_EQ(t, st8 & (0x10u << CH8), 0); /* DREQ 1 dropped */
  ch8_check_8237(t, &r, pa, programmed, programmed);
  he_good_read(t, &r, 0, 8, img); /* reprogrammable: a full read of the same blocks */
  free(img);
  hba_rig_done(t, &r);
}

/* disconnect in the middle of the data on the byte channel: a target that disconnects every
 * odd number of bytes; the 8237 keeps its place across the reselections */
static void ch8_disconnect(test_ctx_t *t) {
  hba_rig_t r;
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.hba_dma_chan = CH8;
  hba_rig_init_cfg(t, &r, &cfg);
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  tc.disconnect_every = 777;
  hx_add_disk(t, &r, 5, 256, &tc, NULL);
  hx_clear_ua(t, &r, 5);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x44495343u);
  uint32_t blocks = 24, len = blocks * 512u;
  uint8_t *src = malloc(len);
  REQUIRE(t, src != NULL, "malloc");
  prng_fill(&g, src, len);
  uint64_t lba = prng_below(&g, 256 - blocks);
  hx_buf_t b = hx_buf_sub(t, &r, len);
  hx_buf_put(t, &r, &b, src);
  hx_write(t, &r, 5, 10, lba, blocks, &b, src, I8237_DEMAND);
  hx_buf_t b2 = hx_buf_sub(t, &r, len);
  hx_read(t, &r, 5, 10, lba, blocks, &b2, src, I8237_SINGLE);
  scsi_target_stats_t st;
  scsi_target_stats(r.tgt[5], &st);
  CHECK(t, st.disconnects >= 2 * (len / 777), "disconnects %llu",
        (unsigned long long)st.disconnects);
  free(src);
  hba_rig_done(t, &r);
}

/* the variant really is a different soc_top: the default sim's HBA mover is on channel 5 and
 * a channel-1 sim cannot be confused with it; an unbuilt channel is refused */
static void ch8_variants(test_ctx_t *t) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  sim_t *a = test_sim(t, &cfg);
  CHECK_EQ(t, sim_hba_dma_chan(a), 5);
  cfg.hba_dma_chan = CH8;
  sim_t *b = test_sim(t, &cfg);
  CHECK_EQ(t, sim_hba_dma_chan(b), CH8);
  cfg.hba_dma_chan = 3;
  CHECK(t, sim_create(&cfg) == NULL, "no variant on channel 3");
  cfg.hba_dma_chan = 4;
  CHECK(t, sim_create(&cfg) == NULL, "channel 4 is the cascade");
}

static const test_def_t hba_ch8_tests[] = {
  {"write_read", ch8_write_read, TEST_F_RANDOM, 0,
   "8-bit channel 1: WRITE/READ(6/10/12/16) up to 24 blocks, demand and single, data checked"},
  {"odd_data_in", ch8_odd_data_in, TEST_F_RANDOM, 0,
   "8-bit channel 1: odd INQUIRY lengths move exactly len bytes, no pad byte"},
  {"tc_early_write", ch8_tc_early_write, TEST_F_RANDOM, 0,
   "8-bit channel 1: odd 8237 count one byte short on WRITE: UNDERRUN, ABORTED, medium intact"},
  {"tc_early_read", ch8_tc_early_read, TEST_F_RANDOM, 0,
   "8-bit channel 1: odd 8237 count short on READ: UNDERRUN, exactly count bytes in memory"},
  {"disconnect", ch8_disconnect, TEST_F_RANDOM, 0,
   "8-bit channel 1: target disconnecting every 777 bytes, WRITE and READ checked"},
  {"variants", ch8_variants, 0, 0,
   "sim_config hba_dma_chan selects the soc_top variant; unbuilt channels are refused"},
};
TEST_SUITE(hba_ch8);
