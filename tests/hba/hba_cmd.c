/* HBA register-level command tests: the RTL HBA in soc_top, the C disk targets on the SCSI bus,
 * data through the subordinate mover (sysdma channel 5) or the bus-master scatter/gather
 * engine. Each test checks the interrupt cause, the status byte, the residual and the bytes in
 * memory and on the disk. */
#include "hba_util.h"

#define BOUND 4000000u /* cycles for one command */

/* INQUIRY is served before the power-on unit attention: GOOD, 36 bytes of standard data */
static void inquiry_subordinate(test_ctx_t *t) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hba_rig_add_disk(t, &r, 0, 2048);
  uint32_t pa = hba_dma_buffer(t, &r, 64);
  uint8_t ee[64];
  memset(ee, 0xEE, sizeof ee);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa, ee, sizeof ee), 0);
  hba_program_dma(t, &r, pa, 36, 1);
  hba_cmd_t c = {.id = 0, .cdb = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0}, .dir = HBA_CMD_CFG_DIR_IN,
                 .len = 36};
  hba_result_t res;
  hba_run(t, &r, &c, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, 36);
  CHECK_EQ(t, res.residual, 0);
  CHECK_EQ(t, res.extra, 0);
  CHECK_EQ(t, res.msg_in, SCSI_MSG_COMMAND_COMPLETE);
  uint8_t inq[64];
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), pa, inq, 64), 0);
  CHECK_EQ(t, inq[0], 0x00);                    /* direct-access block device, LUN present */
  CHECK_EQ(t, inq[4], 31);                      /* additional length: 36-byte standard data */
  CHECK(t, inq[8] != 0xEE && inq[8] >= 0x20 && inq[8] < 0x7F, "vendor id is ASCII");
  for (unsigned i = 36; i < 64; i++) CHECK_EQ(t, inq[i], 0xEE); /* nothing past 36 bytes */
  hba_rig_done(t, &r);
}

/* TEST UNIT READY: CHECK CONDITION (power-on reset), then REQUEST SENSE returns 06/29/00 and
 * the next TEST UNIT READY is GOOD */
static void unit_attention_then_sense(test_ctx_t *t) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hba_rig_add_disk(t, &r, 2, 128);
  hba_cmd_t tur = {.id = 2, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  hba_result_t res;
  hba_run(t, &r, &tur, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_CHECK_CONDITION);

  uint32_t pa = hba_dma_buffer(t, &r, 18);
  hba_program_dma(t, &r, pa, 18, 1);
  hba_cmd_t rs = {.id = 2, .cdb = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0},
                  .dir = HBA_CMD_CFG_DIR_IN, .len = 18};
  hba_run(t, &r, &rs, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, 18);
  uint8_t sense[18];
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), pa, sense, 18), 0);
  CHECK_EQ(t, sense[0] & 0x7F, 0x70);
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SK_UNIT_ATTENTION);
  CHECK_EQ(t, sense[12], 0x29);
  CHECK_EQ(t, sense[13], 0x00);

  hba_run(t, &r, &tur, &res, BOUND);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  hba_rig_done(t, &r);
}

/* clears the power-on unit attention of `id` with a TEST UNIT READY + REQUEST SENSE-free path:
 * the first TEST UNIT READY reports it (and consumes it, as SCSI-2 allows for the CHECK
 * CONDITION that reported it); the second must be GOOD */
static void clear_ua(test_ctx_t *t, hba_rig_t *r, unsigned id) {
  hba_cmd_t tur = {.id = id, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  hba_result_t res;
  hba_run(t, r, &tur, &res, BOUND);
  hba_run(t, r, &tur, &res, BOUND);
  REQUIRE_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
}

/* WRITE(10) then READ(10) of n blocks through the subordinate mover, seeded data, checked on
 * the disk and back in memory */
static void write_read_subordinate(test_ctx_t *t) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  scsi_disk_t *d = hba_rig_add_disk(t, &r, 0, 4096);
  clear_ua(t, &r, 0);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x48424131u);
  uint32_t blocks = 1 + (uint32_t)prng_below(&g, 16), lba = (uint32_t)prng_below(&g, 4000);
  uint32_t len = blocks * 512;
  uint8_t *src = malloc(len), *back = malloc(len), *disk = malloc(len);
  REQUIRE(t, src && back && disk, "malloc");
  prng_fill(&g, src, len);
  uint32_t pa = hba_dma_buffer(t, &r, len);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa, src, len), 0);
  hba_program_dma(t, &r, pa, len, 0);
  hba_cmd_t w = {.id = 0, .dir = HBA_CMD_CFG_DIR_OUT, .len = len,
                 .cdb = {SCSI_OP_WRITE_10, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16),
                         (uint8_t)(lba >> 8), (uint8_t)lba, 0, (uint8_t)(blocks >> 8),
                         (uint8_t)blocks, 0}};
  hba_result_t res;
  hba_run(t, &r, &w, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, len);
  CHECK_EQ(t, res.residual, 0);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, lba, blocks, disk), 0);
  CHECK(t, memcmp(disk, src, len) == 0, "the disk holds the written blocks");

  uint32_t pb = hba_dma_buffer(t, &r, len);
  hba_program_dma(t, &r, pb, len, 1);
  hba_cmd_t rd = w;
  rd.cdb[0] = SCSI_OP_READ_10;
  rd.dir = HBA_CMD_CFG_DIR_IN;
  hba_run(t, &r, &rd, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, len);
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), pb, back, len), 0);
  CHECK(t, memcmp(back, src, len) == 0, "the read brought the blocks back");
  free(src); free(back); free(disk);
  hba_rig_done(t, &r);
}

/* READ(10) through the bus-master engine into a scattered buffer described by an SG list of
 * odd-sized, odd-aligned elements */
static void read_bus_master_sg(test_ctx_t *t) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  scsi_disk_t *d = hba_rig_add_disk(t, &r, 1, 4096);
  clear_ua(t, &r, 1);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x5347u);
  uint32_t blocks = 4 + (uint32_t)prng_below(&g, 8), lba = (uint32_t)prng_below(&g, 4000);
  uint32_t len = blocks * 512;
  uint8_t *img = malloc(len), *back = malloc(len);
  REQUIRE(t, img && back, "malloc");
  prng_fill(&g, img, len);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, lba, blocks, img), 0);

  hostmem_t *m = sim_mem(r.s);
  hostmem_buf_t *buf = hostmem_buf_alloc(m, len, 1 + (size_t)prng_below(&g, 4000),
                                         HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, buf != NULL, "buffer");
  /* elements: random sizes, each split further at page boundaries of the buffer */
  enum { MAXD = 256 };
  uint8_t list[MAXD * 16];
  unsigned n = 0;
  uint32_t off = 0;
  while (off < len) {
    uint32_t want = 1 + (uint32_t)prng_below(&g, 700);
    uint64_t pa = hostmem_buf_pa(buf, off);
    uint32_t to_page = (uint32_t)(HOSTMEM_PAGE_SIZE - (pa % HOSTMEM_PAGE_SIZE));
    uint32_t el = want < to_page ? want : to_page;
    if (el > len - off) el = len - off;
    REQUIRE(t, n < MAXD, "list too long");
    uint8_t *e = &list[16 * n];
    for (unsigned i = 0; i < 8; i++) e[i] = (uint8_t)(pa >> (8 * i));
    for (unsigned i = 0; i < 4; i++) e[8 + i] = (uint8_t)(el >> (8 * i));
    memset(e + 12, 0, 4);
    off += el;
    n++;
  }
  list[16 * (n - 1) + 12] = 1; /* EOL */
  uint64_t lpfn = 0;
  REQUIRE_EQ(t, hostmem_alloc_contig(m, (16 * n + HOSTMEM_PAGE_SIZE - 1) / HOSTMEM_PAGE_SIZE,
                                     1ull << 32, 0, &lpfn), 0);
  uint64_t lpa = lpfn * HOSTMEM_PAGE_SIZE;
  REQUIRE_EQ(t, hostmem_write(m, lpa, list, 16 * n), 0);

  hba_cmd_t rd = {.id = 1, .dir = HBA_CMD_CFG_DIR_IN, .len = len, .sg_list = lpa,
                  .cdb = {SCSI_OP_READ_10, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16),
                          (uint8_t)(lba >> 8), (uint8_t)lba, 0, 0, (uint8_t)blocks, 0}};
  hba_result_t res;
  hba_run(t, &r, &rd, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, len);
  CHECK_EQ(t, res.residual, 0);
  CHECK_EQ(t, res.dma_count, len);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), n);
  REQUIRE_EQ(t, hostmem_buf_read(m, buf, 0, back, len), 0);
  CHECK(t, memcmp(back, img, len) == 0, "scattered buffer holds the blocks (%u elements)", n);
  free(img); free(back);
  hba_rig_done(t, &r);
}

/* no device at the ID: SEL_TIMEOUT after the programmed number of cycles, nothing moved */
static void selection_timeout(test_ctx_t *t) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  hba_rig_add_disk(t, &r, 0, 64);
  hba_cmd_t tur = {.id = 3, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  hba_result_t res;
  uint64_t start = sim_cycle(r.s);
  hba_run(t, &r, &tur, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_SEL_TIMEOUT_MASK);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  CHECK_EQ(t, (res.end & HBA_END_REASON_MASK) >> HBA_END_REASON_SHIFT,
           HBA_END_REASON_SEL_TIMEOUT);
  CHECK(t, res.irq_cycle - start >= HBA_TEST_SEL_TIMEOUT, "timed out after %llu cycles",
        (unsigned long long)(res.irq_cycle - start));
  CHECK(t, res.irq_cycle - start < HBA_TEST_SEL_TIMEOUT + 2000, "timed out after %llu cycles",
        (unsigned long long)(res.irq_cycle - start));
  /* the HBA is idle and reprogrammable: the disk at ID 0 answers next */
  hba_cmd_t tur0 = tur;
  tur0.id = 0;
  hba_run(t, &r, &tur0, &res, BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  hba_rig_done(t, &r);
}

static const test_def_t hba_cmd_tests[] = {
  {"inquiry_subordinate", inquiry_subordinate, 0, 0,
   "INQUIRY through sysdma channel 5: GOOD, 36 bytes, nothing written past them"},
  {"unit_attention_then_sense", unit_attention_then_sense, 0, 0,
   "TEST UNIT READY gets CHECK CONDITION, REQUEST SENSE returns 06/29/00, then GOOD"},
  {"write_read_subordinate", write_read_subordinate, TEST_F_RANDOM, 0,
   "WRITE(10)/READ(10) of seeded blocks via the 8237: bytes on the disk and back in memory"},
  {"read_bus_master_sg", read_bus_master_sg, TEST_F_RANDOM, 0,
   "READ(10) by the SG engine into a scattered, odd-aligned buffer of odd-sized elements"},
  {"selection_timeout", selection_timeout, 0, 0,
   "an absent ID ends in SEL_TIMEOUT after the programmed time; the HBA is then reusable"},
};
TEST_SUITE(hba_cmd);
