/* Helpers for the HBA data-path tests (tests/hba/hba_xfer.c): disks with a chosen target
 * configuration and medium timing, data buffers for either mover (a contiguous ISA-reachable
 * buffer for the subordinate mover, a hostmem buffer described by a scatter/gather list for the
 * bus master), READ/WRITE CDBs of every size, and one-call transfers that check the ending. */
#ifndef HBASIM_HBA_XFER_UTIL_H
#define HBASIM_HBA_XFER_UTIL_H

#include "hba_util.h"

#define HX_BOUND 30000000u /* cycles for one command (a 128 KiB transfer takes ~4M) */
#define HX_EXPLICIT 0x100u /* or'ed into a CDB size: CMD_CFG.CDB_LEN explicit, not 0 */

/* First index where a and b differ, or -1. */
static inline long hx_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return (long)i;
  return -1;
}

/* A memory-backed disk of `blocks` blocks at `id`, LUN 0; tc/timing NULL = defaults / none. */
static inline scsi_disk_t *hx_add_disk(test_ctx_t *t, hba_rig_t *r, unsigned id, uint64_t blocks,
                                       const scsi_target_config_t *tc_or_null,
                                       const scsi_disk_timing_t *timing_or_null) {
  disk_rig_spec_t sp = disk_rig_spec(t, id, blocks);
  sp.target_seed = test_seed(t) ^ (0x7867ull << 8) ^ id;
  sp.timing = timing_or_null;
  sp.tc = tc_or_null;
  disk_rig_add(t, sim_scsi_bus(r->s), id, &sp, &r->disk[id], &r->tgt[id]);
  return r->disk[id];
}

/* The first TEST UNIT READY reports the power-on unit attention; the second must be GOOD. */
static inline void hx_clear_ua(test_ctx_t *t, hba_rig_t *r, unsigned id) {
  hba_cmd_t tur = {.id = id, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  hba_result_t res;
  hba_run(t, r, &tur, &res, HX_BOUND);
  hba_run(t, r, &tur, &res, HX_BOUND);
  REQUIRE_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
}

/* READ/WRITE CDB of size 6, 10, 12 or 16. For size 6, blocks 256 is encoded as 0. */
static inline void hx_rw_cdb(uint8_t cdb[16], unsigned size, int write, uint64_t lba,
                             uint32_t blocks) {
  memset(cdb, 0, 16);
  switch (size) {
    case 6:
      cdb[0] = write ? SCSI_OP_WRITE_6 : SCSI_OP_READ_6;
      cdb[1] = (uint8_t)((lba >> 16) & 0x1F);
      cdb[2] = (uint8_t)(lba >> 8);
      cdb[3] = (uint8_t)lba;
      cdb[4] = (uint8_t)(blocks & 0xFF); /* 256 -> 0 */
      break;
    case 10:
      cdb[0] = write ? SCSI_OP_WRITE_10 : SCSI_OP_READ_10;
      for (unsigned i = 0; i < 4; i++) cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
      cdb[7] = (uint8_t)(blocks >> 8);
      cdb[8] = (uint8_t)blocks;
      break;
    case 12:
      cdb[0] = write ? SCSI_OP_WRITE_12 : SCSI_OP_READ_12;
      for (unsigned i = 0; i < 4; i++) cdb[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
      for (unsigned i = 0; i < 4; i++) cdb[6 + i] = (uint8_t)(blocks >> (24 - 8 * i));
      break;
    default: /* 16 */
      cdb[0] = write ? SCSI_OP_WRITE_16 : SCSI_OP_READ_16;
      for (unsigned i = 0; i < 8; i++) cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
      for (unsigned i = 0; i < 4; i++) cdb[10 + i] = (uint8_t)(blocks >> (24 - 8 * i));
      break;
  }
}

/* A data buffer for one command: subordinate (pa, contiguous, below 16 MiB, one 128 KiB page)
 * or bus master (a hostmem buffer and the SG list describing it). */
typedef struct hx_buf {
  int bm;
  uint32_t len;
  uint32_t pa;            /* subordinate */
  hostmem_buf_t *buf;     /* bus master */
  uint64_t list;          /* bus master: PA of the first descriptor list */
  unsigned ndata, nchain; /* bus master: data descriptors, CHAIN descriptors */
  unsigned crossings;     /* bus master: elements that cross a 4 KiB boundary */
} hx_buf_t;

static inline hx_buf_t hx_buf_sub(test_ctx_t *t, hba_rig_t *r, uint32_t len) {
  hx_buf_t b;
  memset(&b, 0, sizeof b);
  b.len = len;
  b.pa = hba_dma_buffer(t, r, len + (len & 1u)); /* room for the pad byte of an odd DATA IN */
  return b;
}

/* Writes descriptor i of a list image. */
static inline void hx_desc(uint8_t *e, uint64_t addr, uint32_t len, uint32_t flags) {
  for (unsigned i = 0; i < 8; i++) e[i] = (uint8_t)(addr >> (8 * i));
  for (unsigned i = 0; i < 4; i++) e[8 + i] = (uint8_t)(len >> (8 * i));
  for (unsigned i = 0; i < 4; i++) e[12 + i] = (uint8_t)(flags >> (8 * i));
}

/* A list in its own contiguous pages below 4 GiB: its PA. */
static inline uint64_t hx_put_list(test_ctx_t *t, hba_rig_t *r, const uint8_t *img, size_t bytes) {
  uint64_t pfn = 0;
  REQUIRE_EQ(t, hostmem_alloc_contig(sim_mem(r->s), (bytes + HOSTMEM_PAGE_SIZE - 1) /
                                     HOSTMEM_PAGE_SIZE, 1ull << 32, 0, &pfn), 0);
  uint64_t pa = pfn * HOSTMEM_PAGE_SIZE;
  REQUIRE_EQ(t, hostmem_write(sim_mem(r->s), pa, img, bytes), 0);
  return pa;
}

/* Bus-master buffer of `len` bytes at byte `offset` of its first page, placed by `place`.
 * Elements are 1..max_el bytes (random from g), split only where the buffer's pages are not
 * physically adjacent (so elements cross 4 KiB wherever memory is contiguous). chain_every > 0:
 * after that many data descriptors (more if that would make over 60 lists) the list CHAINs to
 * a new list elsewhere in memory. */
static inline hx_buf_t hx_buf_bm(test_ctx_t *t, hba_rig_t *r, prng_t *g, uint32_t len,
                                 size_t offset, hostmem_place_t place, uint32_t max_el,
                                 unsigned chain_every) {
  hx_buf_t b;
  memset(&b, 0, sizeof b);
  b.bm = 1;
  b.len = len;
  hostmem_t *m = sim_mem(r->s);
  b.buf = hostmem_buf_alloc(m, len, offset, place);
  REQUIRE(t, b.buf != NULL, "hostmem_buf_alloc(%u, %zu, %d)", len, offset, (int)place);
  /* the elements */
  enum { MAXE = 4000 }; /* below the engine's 4096-descriptor runaway limit */
  uint64_t *ea = malloc(MAXE * sizeof *ea);
  uint32_t *el = malloc(MAXE * sizeof *el);
  REQUIRE(t, ea && el, "malloc");
  unsigned n = 0;
  uint32_t off = 0;
  while (off < len) {
    uint32_t want = 1 + (uint32_t)prng_below(g, max_el);
    if (want > len - off) want = len - off;
    uint64_t pa = hostmem_buf_pa(b.buf, off);
    uint32_t got = 0;
    while (got < want) { /* extend while the next byte is physically adjacent */
      uint64_t p = pa + got;
      uint32_t to_page = (uint32_t)(HOSTMEM_PAGE_SIZE - (p % HOSTMEM_PAGE_SIZE));
      uint32_t step = want - got < to_page ? want - got : to_page;
      got += step;
      if (got < want && hostmem_buf_pa(b.buf, off + got) != pa + got) break;
    }
    REQUIRE(t, n < MAXE, "too many elements");
    if (pa / 4096 != (pa + got - 1) / 4096) b.crossings++;
    ea[n] = pa;
    el[n] = got;
    n++;
    off += got;
  }
  b.ndata = n;
  /* the lists, last first so each CHAIN knows its target; at most 60 CHAINs (the engine
   * allows 64 in one walk) */
  unsigned per = chain_every ? chain_every : n;
  if (n / per > 60) per = n / 60 + 1;
  unsigned nlists = (n + per - 1) / per;
  uint8_t *img = malloc(16u * (per + 1));
  REQUIRE(t, img != NULL, "malloc");
  uint64_t next = 0;
  for (unsigned li = nlists; li-- > 0;) {
    unsigned first = li * per, cnt = n - first < per ? n - first : per;
    for (unsigned k = 0; k < cnt; k++)
      hx_desc(&img[16 * k], ea[first + k], el[first + k],
              (li == nlists - 1 && k == cnt - 1) ? 1u : 0u);
    size_t bytes = 16u * cnt;
    if (li != nlists - 1) {
      /* CHAIN with a garbage length and EOL also set: CHAIN wins, length ignored */
      hx_desc(&img[16 * cnt], next, 0xDEADu, 3u);
      bytes += 16;
      b.nchain++;
    }
    next = hx_put_list(t, r, img, bytes);
  }
  b.list = next;
  free(img);
  free(ea);
  free(el);
  return b;
}

static inline void hx_buf_put(test_ctx_t *t, hba_rig_t *r, const hx_buf_t *b, const void *src) {
  if (b->bm) REQUIRE_EQ(t, hostmem_buf_write(sim_mem(r->s), b->buf, 0, src, b->len), 0);
  else REQUIRE_EQ(t, hostmem_write(sim_mem(r->s), b->pa, src, b->len), 0);
}

static inline void hx_buf_get(test_ctx_t *t, hba_rig_t *r, const hx_buf_t *b, void *dst) {
  if (b->bm) REQUIRE_EQ(t, hostmem_buf_read(sim_mem(r->s), b->buf, 0, dst, b->len), 0);
  else REQUIRE_EQ(t, hostmem_read(sim_mem(r->s), b->pa, dst, b->len), 0);
}

/* Subordinate mover: program the rig's channel for len bytes (ceil(len / 2) words on a word
 * channel) at pa in `mode`. */
static inline void hx_program_dma(test_ctx_t *t, hba_rig_t *r, uint32_t pa, uint32_t len,
                                  int to_memory, i8237_reqmode_t mode) {
  i8237_xfer_desc_t d = {.channel = r->dma_chan, .phys = pa, .length = hba_dma_len(r, len),
                         .type = to_memory ? I8237_WRITE : I8237_READ, .mode = mode};
  REQUIRE_EQ(t, i8237_program(r->s, &d), I8237_OK);
}

/* Runs c with the data in b (c->dir and c->len are set from `write` and b->len). */
static inline void hx_run(test_ctx_t *t, hba_rig_t *r, hba_cmd_t *c, const hx_buf_t *b, int write,
                          i8237_reqmode_t mode, hba_result_t *res) {
  c->dir = write ? HBA_CMD_CFG_DIR_OUT : HBA_CMD_CFG_DIR_IN;
  c->len = b->len;
  c->sg_list = 0;
  if (b->bm) c->sg_list = b->list;
  else hx_program_dma(t, r, b->pa, b->len, !write, mode);
  hba_run(t, r, c, res, HX_BOUND);
}

/* The ending of a command that moved everything: CMD_DONE, GOOD, len bytes, no residual. */
#define HX_CHECK_GOOD(t, res, len)                                  \
  do {                                                              \
    CHECK_EQ(t, (res).int_status, HBA_INT_STATUS_CMD_DONE_MASK);    \
    CHECK_EQ(t, hba_status_byte(&(res)), SCSI_STATUS_GOOD);         \
    CHECK_EQ(t, (res).xferred, (len));                              \
    CHECK_EQ(t, (res).residual, 0);                                 \
    CHECK_EQ(t, (res).extra, 0);                                    \
    CHECK_EQ(t, (res).dma_count, (len));                            \
  } while (0)

/* WRITE of `blocks` at `lba` from b (already filled), checked on the disk against src. */
static inline void hx_write(test_ctx_t *t, hba_rig_t *r, unsigned id, unsigned cdb_size,
                            uint64_t lba, uint32_t blocks, const hx_buf_t *b, const uint8_t *src,
                            i8237_reqmode_t mode) {
  hba_cmd_t c;
  memset(&c, 0, sizeof c);
  c.id = id;
  c.cdb_len = (cdb_size & HX_EXPLICIT) ? (cdb_size & 0xFFu) : 0u;
  cdb_size &= 0xFFu;
  hx_rw_cdb(c.cdb, cdb_size, 1, lba, blocks);
  hba_result_t res;
  hx_run(t, r, &c, b, 1, mode, &res);
  HX_CHECK_GOOD(t, res, b->len);
  if (b->bm) CHECK_EQ(t, hba_rd(t, r, HBA_SG_DESCS), b->ndata + b->nchain);
  uint8_t *disk = malloc(b->len);
  REQUIRE(t, disk != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r->disk[id], 0, lba, blocks, disk), 0);
  long dd = hx_diff(disk, src, b->len);
  CHECK(t, dd < 0, "WRITE(%u) id %u lba %llu x%u %s%s: disk differs from byte %ld", cdb_size, id,
        (unsigned long long)lba, blocks, b->bm ? "bus master" : "8237",
        b->bm ? "" : (mode == I8237_SINGLE ? " single" : " demand"), dd);
  free(disk);
}

/* READ of `blocks` at `lba` into b, compared with `expect`. */
static inline void hx_read(test_ctx_t *t, hba_rig_t *r, unsigned id, unsigned cdb_size,
                           uint64_t lba, uint32_t blocks, const hx_buf_t *b,
                           const uint8_t *expect, i8237_reqmode_t mode) {
  hba_cmd_t c;
  memset(&c, 0, sizeof c);
  c.id = id;
  c.cdb_len = (cdb_size & HX_EXPLICIT) ? (cdb_size & 0xFFu) : 0u;
  cdb_size &= 0xFFu;
  hx_rw_cdb(c.cdb, cdb_size, 0, lba, blocks);
  hba_result_t res;
  hx_run(t, r, &c, b, 0, mode, &res);
  HX_CHECK_GOOD(t, res, b->len);
  if (b->bm) CHECK_EQ(t, hba_rd(t, r, HBA_SG_DESCS), b->ndata + b->nchain);
  uint8_t *back = malloc(b->len);
  REQUIRE(t, back != NULL, "malloc");
  hx_buf_get(t, r, b, back);
  long dd = hx_diff(back, expect, b->len);
  CHECK(t, dd < 0, "READ(%u) id %u lba %llu x%u %s%s: memory differs from byte %ld", cdb_size, id,
        (unsigned long long)lba, blocks, b->bm ? "bus master" : "8237",
        b->bm ? "" : (mode == I8237_SINGLE ? " single" : " demand"), dd);
  free(back);
}

#endif
