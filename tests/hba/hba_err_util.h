/* Helpers for the HBA exception tests (tests/hba/hba_err.c), on top of hba_util.h: a command
 * started without waiting, its completion read separately, READ/WRITE CDBs, a disk prefilled
 * with seeded blocks, and the "idle and reprogrammable" check run after every exception. */
#ifndef HBASIM_HBA_ERR_UTIL_H
#define HBASIM_HBA_ERR_UTIL_H

#include "hba_util.h"

#define HE_BOUND 4000000u    /* cycles for one command */
#define HE_FILL 0xEEu        /* memory a command must not touch */

/* A command started without waiting: hba_start (hba_util.h). */
static inline void he_start(test_ctx_t *t, hba_rig_t *r, const hba_cmd_t *c) {
  hba_start(t, r, c);
}

/* Waits for the interrupt, reads the results, clears the causes, and checks that the HBA is
 * idle with an empty FIFO and no cause left (hba_run's second half, plus those checks). */
static inline void he_wait(test_ctx_t *t, hba_rig_t *r, hba_result_t *res, uint64_t bound) {
  hba_collect(t, r, res, bound);
  CHECK_EQ(t, hba_rd(t, r, HBA_STATUS) & (HBA_STATUS_BUSY_MASK | HBA_STATUS_CONNECTED_MASK |
                                          HBA_STATUS_DISCONNECTED_MASK), 0);
  CHECK_EQ(t, hba_rd(t, r, HBA_FIFO_LEVEL) & HBA_FIFO_LEVEL_BYTES_MASK, 0);
  hba_wr(t, r, HBA_INT_STATUS, res->int_status);
  CHECK_EQ(t, hba_rd(t, r, HBA_INT_STATUS), 0);
}

static inline void he_run(test_ctx_t *t, hba_rig_t *r, const hba_cmd_t *c, hba_result_t *res) {
  he_start(t, r, c);
  he_wait(t, r, res, HE_BOUND);
}

static inline unsigned he_reason(const hba_result_t *res) {
  return (res->end & HBA_END_REASON_MASK) >> HBA_END_REASON_SHIFT;
}

/* A 10-byte READ/WRITE/VERIFY CDB. */
static inline void he_cdb10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks) {
  memset(cdb, 0, 16);
  cdb[0] = op;
  cdb[2] = (uint8_t)(lba >> 24);
  cdb[3] = (uint8_t)(lba >> 16);
  cdb[4] = (uint8_t)(lba >> 8);
  cdb[5] = (uint8_t)lba;
  cdb[7] = (uint8_t)(blocks >> 8);
  cdb[8] = (uint8_t)blocks;
}

/* How a command must end (HE_CHECK_END): the interrupt causes, END.REASON, the status byte
 * (hba_status_byte: 0x100 = no STATUS phase), XFERRED, RESIDUAL and EXTRA, every one checked. */
typedef struct he_end {
  uint32_t int_status;
  unsigned reason;
  unsigned status;
  uint32_t xferred, residual, extra;
} he_end_t;

static inline void he_check_end_(test_ctx_t *t, const hba_result_t *res, he_end_t w, int line) {
  if (res->int_status != w.int_status || he_reason(res) != w.reason ||
      hba_status_byte(res) != w.status || res->xferred != w.xferred ||
      res->residual != w.residual || res->extra != w.extra)
    test_log(t, "the command's end checked at line %d differs:", line);
  CHECK_EQ(t, res->int_status, w.int_status);
  CHECK_EQ(t, he_reason(res), w.reason);
  CHECK_EQ(t, hba_status_byte(res), w.status);
  CHECK_EQ(t, res->xferred, w.xferred);
  CHECK_EQ(t, res->residual, w.residual);
  CHECK_EQ(t, res->extra, w.extra);
}
#define HE_CHECK_END(t, res, ...) he_check_end_((t), (res), (he_end_t){__VA_ARGS__}, __LINE__)

/* The power-on unit attention of `id` reported and consumed; the next TEST UNIT READY GOOD. */
static inline void he_clear_ua(test_ctx_t *t, hba_rig_t *r, unsigned id) {
  hba_cmd_t tur = {.id = id, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  hba_result_t res;
  he_run(t, r, &tur, &res);
  he_run(t, r, &tur, &res);
  REQUIRE_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
}

/* A rig (the HBA on sysdma channel dma_chan, 0 = the default) with one disk at `id` (no unit
 * attention pending) whose blocks [0, blocks) hold seeded data, returned in *img (malloc'd,
 * blocks * 512 bytes; the caller frees it). */
static inline scsi_disk_t *he_rig_chan(test_ctx_t *t, hba_rig_t *r, unsigned dma_chan,
                                       unsigned id, uint32_t blocks, uint8_t **img) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.hba_dma_chan = dma_chan;
  hba_rig_init_cfg(t, r, &cfg);
  scsi_disk_t *d = hba_rig_add_disk(t, r, id, 4096);
  he_clear_ua(t, r, id);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x48455252u ^ id);
  *img = malloc((size_t)blocks * 512u);
  REQUIRE(t, *img != NULL, "malloc");
  prng_fill(&g, *img, (size_t)blocks * 512u);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, 0, blocks, *img), 0);
  return d;
}

static inline scsi_disk_t *he_rig(test_ctx_t *t, hba_rig_t *r, unsigned id, uint32_t blocks,
                                  uint8_t **img) {
  return he_rig_chan(t, r, 0, id, blocks, img);
}

/* A DMA buffer filled with HE_FILL. */
static inline uint32_t he_filled_buffer(test_ctx_t *t, hba_rig_t *r, uint32_t len) {
  uint32_t pa = hba_dma_buffer(t, r, len);
  uint8_t *f = malloc(len);
  REQUIRE(t, f != NULL, "malloc");
  memset(f, HE_FILL, len);
  int rc = hostmem_write(sim_mem(r->s), pa, f, len);
  free(f);
  REQUIRE_EQ(t, rc, 0);
  return pa;
}

/* The unit attention a reset left at `id`: TEST UNIT READY ends CHECK CONDITION, REQUEST SENSE
 * (subordinate mover) returns fixed-format sense 06/asc/ascq, and the next TEST UNIT READY is
 * GOOD. */
static inline void he_check_ua(test_ctx_t *t, hba_rig_t *r, unsigned id, uint8_t asc,
                               uint8_t ascq) {
  hba_cmd_t tur = {.id = id, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  hba_result_t res;
  he_run(t, r, &tur, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_CHECK_CONDITION);
  uint32_t pa = he_filled_buffer(t, r, 18);
  hba_program_dma(t, r, pa, 18, 1);
  hba_cmd_t rs = {.id = id, .cdb = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0},
                  .dir = HBA_CMD_CFG_DIR_IN, .len = 18};
  he_run(t, r, &rs, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, 18);
  CHECK_EQ(t, res.residual, 0);
  uint8_t sense[18];
  REQUIRE_EQ(t, hostmem_read(sim_mem(r->s), pa, sense, 18), 0);
  CHECK_EQ(t, sense[0] & 0x7F, 0x70);
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SK_UNIT_ATTENTION);
  CHECK_EQ(t, sense[12], asc);
  CHECK_EQ(t, sense[13], ascq);
  he_run(t, r, &tur, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
}

/* memory [pa + from, pa + to) equals want[from, to) (want NULL: HE_FILL) */
static inline int he_mem_is(test_ctx_t *t, hba_rig_t *r, uint64_t pa, uint32_t from, uint32_t to,
                            const uint8_t *want) {
  if (to <= from) return 1;
  uint8_t *b = malloc(to - from);
  REQUIRE(t, b != NULL, "malloc");
  REQUIRE_EQ(t, hostmem_read(sim_mem(r->s), pa + from, b, to - from), 0);
  int ok = 1;
  for (uint32_t i = from; i < to && ok; i++)
    ok = b[i - from] == (want ? want[i] : HE_FILL);
  free(b);
  return ok;
}

/* Subordinate mover: a READ(10) of `blocks` blocks at LBA 0 of `id` into a buffer of
 * blocks * 512 bytes filled with HE_FILL, the 8237 programmed for all of it, started without
 * waiting (he_start): the buffer's PA. */
static inline uint32_t he_sub_read_start(test_ctx_t *t, hba_rig_t *r, unsigned id,
                                         uint32_t blocks) {
  uint32_t len = blocks * 512u;
  uint32_t pa = he_filled_buffer(t, r, len);
  hba_program_dma(t, r, pa, len, 1);
  hba_cmd_t c = {.id = id, .dir = HBA_CMD_CFG_DIR_IN, .len = len};
  he_cdb10(c.cdb, SCSI_OP_READ_10, 0, (uint16_t)blocks);
  he_start(t, r, &c);
  return pa;
}

/* Until target `id` has sent `bytes` DATA IN bytes (HE_BOUND cycles at most). */
typedef struct he_sent {
  scsi_target_t *tg;
  uint64_t bytes;
} he_sent_t;

static inline int he_sent_reached(sim_t *s, void *ctx) {
  (void)s;
  const he_sent_t *w = ctx;
  scsi_target_stats_t st;
  scsi_target_stats(w->tg, &st);
  return st.data_in_bytes >= w->bytes;
}

static inline void he_wait_sent(test_ctx_t *t, hba_rig_t *r, unsigned id, uint64_t bytes) {
  he_sent_t w = {r->tgt[id], bytes};
  REQUIRE_OK(t, sim_wait_until(r->s, he_sent_reached, &w, HE_BOUND));
}

/* Bus master: a READ(10)/WRITE(10) (`op`) of `blocks` blocks at LBA 0 of `id`, XFER_LEN `len`,
 * through the descriptor list at `lpa`, run to its end (he_run). */
static inline void he_bm_run(test_ctx_t *t, hba_rig_t *r, unsigned id, uint8_t op,
                             uint16_t blocks, uint32_t len, uint64_t lpa, hba_result_t *res) {
  hba_cmd_t c = {.id = id, .len = len, .sg_list = lpa,
                 .dir = op == SCSI_OP_WRITE_10 ? HBA_CMD_CFG_DIR_OUT : HBA_CMD_CFG_DIR_IN};
  he_cdb10(c.cdb, op, 0, blocks);
  he_run(t, r, &c, res);
}

/* The HBA after an exception: a good READ(10) of `blocks` blocks at LBA 0 of `id` through the
 * subordinate mover ends CMD_DONE, GOOD, with the disk image `img` in memory. */
static inline void he_good_read(test_ctx_t *t, hba_rig_t *r, unsigned id, uint32_t blocks,
                                const uint8_t *img) {
  uint32_t len = blocks * 512u;
  uint32_t pa = he_sub_read_start(t, r, id, blocks);
  hba_result_t res;
  he_wait(t, r, &res, HE_BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, len);
  CHECK_EQ(t, res.residual, 0);
  CHECK_EQ(t, res.extra, 0);
  CHECK(t, he_mem_is(t, r, pa, 0, len, img), "the good read after the exception: the blocks");
}

/* One 16-byte SG descriptor at list[16 * i]. */
static inline void he_sg_desc(uint8_t *list, unsigned i, uint64_t pa, uint32_t len,
                              uint32_t flags) {
  uint8_t *e = &list[16 * i];
  for (unsigned k = 0; k < 8; k++) e[k] = (uint8_t)(pa >> (8 * k));
  for (unsigned k = 0; k < 4; k++) e[8 + k] = (uint8_t)(len >> (8 * k));
  for (unsigned k = 0; k < 4; k++) e[12 + k] = (uint8_t)(flags >> (8 * k));
}

/* A page-aligned contiguous region below 4 GiB filled with HE_FILL: its PA. */
static inline uint64_t he_bm_buffer(test_ctx_t *t, hba_rig_t *r, uint32_t len) {
  uint64_t pfn = 0, pages = (len + HOSTMEM_PAGE_SIZE - 1) / HOSTMEM_PAGE_SIZE;
  REQUIRE_EQ(t, hostmem_alloc_contig(sim_mem(r->s), pages, 1ull << 32, 0, &pfn), 0);
  uint64_t pa = pfn * HOSTMEM_PAGE_SIZE;
  uint8_t *f = malloc(len);
  REQUIRE(t, f != NULL, "malloc");
  memset(f, HE_FILL, len);
  int rc = hostmem_write(sim_mem(r->s), pa, f, len);
  free(f);
  REQUIRE_EQ(t, rc, 0);
  return pa;
}

/* A descriptor list of n elements written to host memory: its PA. */
static inline uint64_t he_sg_list(test_ctx_t *t, hba_rig_t *r, const uint8_t *list, unsigned n) {
  uint64_t pfn = 0;
  REQUIRE_EQ(t, hostmem_alloc_contig(sim_mem(r->s), 1, 1ull << 32, 0, &pfn), 0);
  uint64_t pa = pfn * HOSTMEM_PAGE_SIZE;
  REQUIRE_EQ(t, hostmem_write(sim_mem(r->s), pa, list, 16u * n), 0);
  return pa;
}

/* A one-element list (`len` bytes at `pa`, EOL) in host memory: its PA. */
static inline uint64_t he_sg_list1(test_ctx_t *t, hba_rig_t *r, uint64_t pa, uint32_t len) {
  uint8_t list[16];
  he_sg_desc(list, 0, pa, len, 1);
  return he_sg_list(t, r, list, 1);
}

/* A two-element list in host memory, each element's address, length and flags given: its PA. */
static inline uint64_t he_sg_list2(test_ctx_t *t, hba_rig_t *r, uint64_t pa0, uint32_t len0,
                                   uint32_t flags0, uint64_t pa1, uint32_t len1, uint32_t flags1) {
  uint8_t list[32];
  he_sg_desc(list, 0, pa0, len0, flags0);
  he_sg_desc(list, 1, pa1, len1, flags1);
  return he_sg_list(t, r, list, 2);
}

#endif
