/* Unit tests of the SCSI-2 disk target model at the command level (models/scsi_disk.c,
 * docs/scsi_disk.md): every command and sense code, the libiscsi-style LBA edge cases,
 * memory- and image-backed data round trips, unit attention per initiator, reservations,
 * faults, the timing model, and bad input refused without crashing. No simulation: the tests
 * play the bus phase engine, calling begin / finish_out / task_free directly. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prng.h"
#include "scsi_defs.h"
#include "scsi_disk.h"
#include "test.h"

#define DATA_STREAM 0x7363736964617461ull /* "scsidata" */
#define INIT 7u                          /* the usual initiator ID */

/* ---- helpers ------------------------------------------------------------------------------ */

static void fill(test_ctx_t *t, unsigned salt, void *buf, size_t len) {
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + salt);
  prng_fill(&p, buf, len);
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}
static uint32_t get16(const uint8_t *p) { return (uint32_t)(p[0] << 8) | p[1]; }
static uint32_t get24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | get16(p + 1); }
static uint32_t get32(const uint8_t *p) { return (get16(p) << 16) | get16(p + 2); }
static uint64_t get64(const uint8_t *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }

/* Timing all zero: service_ns 0, so functional tests need not care. */
static void quick_cfg(test_ctx_t *t, scsi_disk_config_t *cfg) {
  scsi_disk_config_default(cfg);
  memset(&cfg->timing, 0, sizeof cfg->timing);
  cfg->seed = test_seed(t);
}

static scsi_disk_t *mkdisk(test_ctx_t *t, const scsi_disk_config_t *cfg) {
  char err[200] = "";
  scsi_disk_t *d = scsi_disk_create(cfg, err, sizeof err);
  REQUIRE(t, d != NULL, "scsi_disk_create: %s", err);
  return d;
}

typedef struct xfer {
  int rc;             /* begin's, or finish_out's for DATA OUT */
  uint8_t status;
  scsi_dir_t dir;
  uint32_t len;       /* data_len from begin */
  uint64_t service_ns;
} xfer_t;

/* Plays one command as the phase engine would: begin; DATA OUT of out_len bytes (or fewer
 * when the command asks for fewer) then finish_out; DATA IN copied to in (up to in_cap). */
static xfer_t run_n(scsi_disk_t *d, unsigned init, unsigned lun, const uint8_t *cdb,
                    unsigned cdb_len, const void *out, uint32_t out_len, void *in,
                    uint32_t in_cap) {
  scsi_task_t tk;
  memset(&tk, 0, sizeof tk);
  tk.initiator = (uint8_t)init;
  tk.lun = (uint8_t)lun;
  memcpy(tk.cdb, cdb, cdb_len);
  tk.cdb_len = (uint8_t)cdb_len;
  xfer_t x = {0};
  x.rc = scsi_disk_begin(d, &tk);
  x.dir = tk.dir;
  x.len = tk.data_len;
  if (x.rc == 0 && tk.dir == SCSI_DIR_OUT) {
    uint32_t n = out_len < tk.data_len ? out_len : tk.data_len;
    if (out) memcpy(tk.data, out, n);
    x.rc = scsi_disk_finish_out(d, &tk, n);
  } else if (x.rc == 0 && tk.dir == SCSI_DIR_IN && in) {
    memcpy(in, tk.data, tk.data_len < in_cap ? tk.data_len : in_cap);
  }
  x.status = tk.status;
  x.service_ns = tk.service_ns;
  scsi_disk_task_free(d, &tk);
  return x;
}

static xfer_t run(scsi_disk_t *d, unsigned init, unsigned lun, const uint8_t *cdb,
                  const void *out, uint32_t out_len, void *in, uint32_t in_cap) {
  return run_n(d, init, lun, cdb, scsi_cdb_len(cdb[0]), out, out_len, in, in_cap);
}

static xfer_t run_nodata(scsi_disk_t *d, unsigned init, unsigned lun, const uint8_t *cdb) {
  return run(d, init, lun, cdb, NULL, 0, NULL, 0);
}

/* REQUEST SENSE with allocation length 18: the 18 bytes, status GOOD. */
static void req_sense(test_ctx_t *t, scsi_disk_t *d, unsigned init, unsigned lun,
                      uint8_t s[18]) {
  uint8_t c[6] = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0};
  memset(s, 0xEE, 18);
  xfer_t x = run(d, init, lun, c, NULL, 0, s, 18);
  REQUIRE_EQ(t, x.rc, 0);
  REQUIRE_EQ(t, x.status, SCSI_STATUS_GOOD);
  REQUIRE_EQ(t, x.len, 18u);
}

/* The command ended in CHECK CONDITION and REQUEST SENSE returns key/asc/ascq in fixed
 * format (0x70, additional length 10). */
#define CHECK_SENSE(t, d, init, lun, x, key, asc) \
  check_sense_(t, __LINE__, d, init, lun, x, key, asc)
static void check_sense_(test_ctx_t *t, int line, scsi_disk_t *d, unsigned init, unsigned lun,
                         xfer_t x, unsigned key, uint16_t asc) {
  CHECK(t, x.rc == 0, "line %d: rc %d", line, x.rc);
  CHECK(t, x.status == SCSI_STATUS_CHECK_CONDITION, "line %d: status 0x%02x, want CHECK CONDITION",
        line, x.status);
  uint8_t s[18];
  req_sense(t, d, init, lun, s);
  CHECK(t, (s[0] & 0x7F) == 0x70 && s[7] == 10, "line %d: sense format %02x/%u", line, s[0], s[7]);
  CHECK(t, (s[2] & 0x0F) == key && s[12] == (asc >> 8) && s[13] == (asc & 0xFF),
        "line %d: sense %X/%02X/%02X, want %X/%02X/%02X", line, s[2] & 0x0F, s[12], s[13], key,
        asc >> 8, asc & 0xFF);
}

#define CHECK_GOOD(t, x) check_good_(t, __LINE__, x)
static void check_good_(test_ctx_t *t, int line, xfer_t x) {
  CHECK(t, x.rc == 0 && x.status == SCSI_STATUS_GOOD, "line %d: rc %d status 0x%02x, want GOOD",
        line, x.rc, x.status);
}

/* Consume every pending power-on unit attention. */
static void clear_ua(test_ctx_t *t, scsi_disk_t *d) {
  uint8_t s[18];
  for (unsigned l = 0; l < scsi_disk_lun_count(d); l++)
    for (unsigned i = 0; i < 8; i++) req_sense(t, d, i, l, s);
}

static scsi_disk_t *ready_disk(test_ctx_t *t, const scsi_disk_config_t *cfg) {
  scsi_disk_t *d = mkdisk(t, cfg);
  clear_ua(t, d);
  return d;
}

static void cdb6(uint8_t c[6], uint8_t op, uint8_t b1, uint8_t b2, uint8_t b3, uint8_t b4) {
  c[0] = op, c[1] = b1, c[2] = b2, c[3] = b3, c[4] = b4, c[5] = 0;
}

/* READ/WRITE/VERIFY CDB of any size for op. */
static void cdb_rw(uint8_t c[16], uint8_t op, uint64_t lba, uint32_t n) {
  memset(c, 0, 16);
  c[0] = op;
  switch (scsi_cdb_len(op)) {
  case 6:
    c[1] = (uint8_t)((lba >> 16) & 0x1F);
    put16(c + 2, (uint32_t)lba);
    c[4] = (uint8_t)n; /* 256 -> 0 */
    break;
  case 10:
    put32(c + 2, (uint32_t)lba);
    put16(c + 7, n);
    break;
  case 12:
    put32(c + 2, (uint32_t)lba);
    put32(c + 6, n);
    break;
  default:
    put64(c + 2, lba);
    put32(c + 10, n);
    break;
  }
}

static xfer_t do_write(scsi_disk_t *d, unsigned lun, uint8_t op, uint64_t lba, uint32_t n,
                       const void *buf, uint32_t bytes) {
  uint8_t c[16];
  cdb_rw(c, op, lba, n);
  return run(d, INIT, lun, c, buf, bytes, NULL, 0);
}

static xfer_t do_read(scsi_disk_t *d, unsigned lun, uint8_t op, uint64_t lba, uint32_t n,
                      void *buf, uint32_t cap) {
  uint8_t c[16];
  cdb_rw(c, op, lba, n);
  return run(d, INIT, lun, c, NULL, 0, buf, cap);
}

static const uint8_t read_ops[] = {SCSI_OP_READ_6, SCSI_OP_READ_10, SCSI_OP_READ_12,
                                   SCSI_OP_READ_16};
static const uint8_t write_ops[] = {SCSI_OP_WRITE_6, SCSI_OP_WRITE_10, SCSI_OP_WRITE_12,
                                    SCSI_OP_WRITE_16};

/* ---- tests -------------------------------------------------------------------------------- */

static void cdb_len_from_group_code(test_ctx_t *t) {
  static const unsigned by_group[8] = {6, 10, 10, 0, 16, 12, 0, 0};
  for (unsigned op = 0; op < 256; op++) CHECK_EQ(t, scsi_cdb_len((uint8_t)op), by_group[op >> 5]);
  CHECK_EQ(t, scsi_cdb_len(SCSI_OP_READ_6), 6u);
  CHECK_EQ(t, scsi_cdb_len(SCSI_OP_READ_10), 10u);
  CHECK_EQ(t, scsi_cdb_len(SCSI_OP_READ_12), 12u);
  CHECK_EQ(t, scsi_cdb_len(SCSI_OP_READ_16), 16u);
  CHECK_EQ(t, scsi_cdb_len(SCSI_OP_REPORT_LUNS), 12u);
  CHECK_EQ(t, scsi_cdb_len(SCSI_OP_SERVICE_ACTION_IN_16), 16u);
}

static void bad_config_is_refused(test_ctx_t *t) {
  char err[200];
  scsi_disk_config_t cfg;
  err[0] = 0;
  CHECK(t, scsi_disk_create(NULL, err, sizeof err) == NULL, "NULL config");
  CHECK(t, err[0] != 0, "an error text for a NULL config");
  CHECK(t, scsi_disk_create(NULL, NULL, 0) == NULL, "NULL config, no error buffer");
#define BAD(stmt)                                                                           \
  do {                                                                                      \
    quick_cfg(t, &cfg);                                                                     \
    stmt;                                                                                   \
    err[0] = 0;                                                                             \
    scsi_disk_t *d_ = scsi_disk_create(&cfg, err, sizeof err);                              \
    CHECK(t, d_ == NULL, "accepted: %s", #stmt);                                            \
    CHECK(t, err[0] != 0, "no error text: %s", #stmt);                                      \
    scsi_disk_destroy(d_);                                                                  \
  } while (0)
  BAD(cfg.block_size = 513);
  BAD(cfg.block_size = 0);
  BAD(cfg.block_size = 8192);
  BAD(cfg.capacity = 0);
  BAD(cfg.capacity = 1ull << 60);
  BAD(cfg.lun_count = 0);
  BAD(cfg.lun_count = 9);
  BAD(cfg.heads = 0);
  BAD(cfg.heads = 256);
  BAD(cfg.sectors_per_track = 0);
  BAD(cfg.max_transfer_bytes = 100);
  BAD(cfg.vendor = "TOOLONGVENDOR");
  BAD(cfg.product = "A PRODUCT NAME TOO LONG");
  BAD(cfg.revision = "12345");
  BAD(cfg.serial = "");
  BAD(cfg.serial = "bad\nserial");
  BAD(cfg.vendor = "caf\xc3\xa9");
  BAD(cfg.timing.track_to_track_ns = 5; cfg.timing.full_stroke_ns = 4);
  BAD(cfg.timing.rotation = (scsi_disk_rot_t)7);
  BAD(cfg.timing.rpm = 1000000);
  BAD(cfg.image_path = "/nonexistent/dir/image.raw");
  BAD(cfg.image_path = "/tmp");
#undef BAD
  /* the limits themselves are fine */
  quick_cfg(t, &cfg);
  cfg.block_size = 4096;
  cfg.lun_count = 8;
  cfg.vendor = "VENDOR08";
  cfg.product = "PRODUCT NAME 16C";
  cfg.revision = "R004";
  cfg.serial = "SERIAL-NUMBER-20CHRS";
  scsi_disk_t *d = mkdisk(t, &cfg);
  CHECK_EQ(t, scsi_disk_block_size(d), 4096u);
  CHECK_EQ(t, scsi_disk_lun_count(d), 8u);
  CHECK_EQ(t, scsi_disk_capacity(d), cfg.capacity);
  scsi_disk_destroy(d);
  scsi_disk_destroy(NULL);
  CHECK_EQ(t, scsi_disk_capacity(NULL), 0u);
  CHECK_EQ(t, scsi_disk_block_size(NULL), 0u);
  CHECK_EQ(t, scsi_disk_lun_count(NULL), 0u);
}

static void bad_task_arguments_are_refused(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg), *d2 = ready_disk(t, &cfg);
  uint8_t c[16];
  cdb_rw(c, SCSI_OP_READ_10, 0, 1);

  scsi_task_t tk;
  CHECK_EQ(t, scsi_disk_begin(NULL, NULL), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_begin(d, NULL), SCSI_DISK_E_ARG);
  memset(&tk, 0, sizeof tk);
  memcpy(tk.cdb, c, 10);
  tk.cdb_len = 10;
  tk.data = (uint8_t *)&tk; /* garbage left by a caller: begin must not free or keep it */
  CHECK_EQ(t, scsi_disk_begin(NULL, &tk), SCSI_DISK_E_ARG);
  CHECK(t, tk.dir == SCSI_DIR_NONE && tk.data == NULL && tk.data_len == 0, "refused task clean");

  struct {
    uint8_t init, lun, len;
  } bad[] = {{8, 0, 10}, {255, 0, 10}, {7, 8, 10}, {7, 0, 6}, {7, 0, 16}, {7, 0, 0}};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&tk, 0, sizeof tk);
    memcpy(tk.cdb, c, 10);
    tk.initiator = bad[i].init;
    tk.lun = bad[i].lun;
    tk.cdb_len = bad[i].len;
    CHECK_EQ(t, scsi_disk_begin(d, &tk), SCSI_DISK_E_ARG);
    CHECK(t, tk.dir == SCSI_DIR_NONE && tk.data == NULL && tk.data_len == 0, "case %u", i);
    scsi_disk_task_free(d, &tk);
  }
  /* an unsupported group (3, 6, 7) takes any length 1-16, never 0 or 17 */
  memset(&tk, 0, sizeof tk);
  tk.cdb[0] = 0x7E;
  tk.cdb_len = 0;
  CHECK_EQ(t, scsi_disk_begin(d, &tk), SCSI_DISK_E_ARG);
  tk.cdb_len = 17;
  CHECK_EQ(t, scsi_disk_begin(d, &tk), SCSI_DISK_E_ARG);

  /* finish_out: only on a DATA OUT task of this disk, begun since the last reset */
  CHECK_EQ(t, scsi_disk_finish_out(NULL, &tk, 0), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_finish_out(d, NULL, 0), SCSI_DISK_E_ARG);
  memset(&tk, 0, sizeof tk);
  cdb_rw(tk.cdb, SCSI_OP_READ_10, 0, 1);
  tk.cdb_len = 10;
  tk.initiator = INIT;
  REQUIRE_EQ(t, scsi_disk_begin(d, &tk), 0);
  CHECK_EQ(t, tk.dir, SCSI_DIR_IN);
  CHECK_EQ(t, scsi_disk_finish_out(d, &tk, 0), SCSI_DISK_E_STATE);
  scsi_disk_task_free(d, &tk);
  scsi_disk_task_free(d, &tk); /* twice is harmless */
  CHECK(t, tk.data == NULL, "freed");

  uint8_t blk[512];
  fill(t, 1, blk, sizeof blk);
  memset(&tk, 0, sizeof tk);
  cdb_rw(tk.cdb, SCSI_OP_WRITE_10, 3, 1);
  tk.cdb_len = 10;
  tk.initiator = INIT;
  REQUIRE_EQ(t, scsi_disk_begin(d, &tk), 0);
  REQUIRE_EQ(t, tk.dir, SCSI_DIR_OUT);
  REQUIRE_EQ(t, tk.data_len, 512u);
  memcpy(tk.data, blk, 512);
  CHECK_EQ(t, scsi_disk_finish_out(d, &tk, 513), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_finish_out(d2, &tk, 512), SCSI_DISK_E_STATE); /* another disk */
  CHECK_EQ(t, scsi_disk_finish_out(d, &tk, 512), 0);
  CHECK_EQ(t, tk.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, scsi_disk_finish_out(d, &tk, 512), SCSI_DISK_E_STATE); /* only once */
  scsi_disk_task_free(d, &tk);
  uint8_t back[512];
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 3, 1, back), 0);
  CHECK(t, memcmp(back, blk, 512) == 0, "the write landed");

  /* a task begun before a reset is abandoned: finish_out refuses it, nothing is written */
  memset(&tk, 0, sizeof tk);
  cdb_rw(tk.cdb, SCSI_OP_WRITE_10, 4, 1);
  tk.cdb_len = 10;
  tk.initiator = INIT;
  REQUIRE_EQ(t, scsi_disk_begin(d, &tk), 0);
  memcpy(tk.data, blk, 512);
  CHECK_EQ(t, scsi_disk_reset(d, SCSI_RESET_BUS), 0);
  CHECK_EQ(t, scsi_disk_finish_out(d, &tk, 512), SCSI_DISK_E_STATE);
  scsi_disk_task_free(d, &tk);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 4, 1, back), 0);
  static const uint8_t zero[512];
  CHECK(t, memcmp(back, zero, 512) == 0, "the abandoned write did not land");

  CHECK_EQ(t, scsi_disk_reset(d, 3), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_reset(d, -1), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_reset(NULL, SCSI_RESET_BUS), SCSI_DISK_E_ARG);
  scsi_disk_task_free(d, NULL);
  scsi_disk_task_free(NULL, NULL);

  /* direct access and fault set-up check their ranges */
  uint64_t cap = scsi_disk_capacity(d);
  CHECK_EQ(t, scsi_disk_peek(d, 0, cap, 1, back), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_peek(d, 0, cap - 1, 2, back), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_peek(d, 1, 0, 1, back), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_peek(d, 0, 0, 1, NULL), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_peek(NULL, 0, 0, 1, back), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_poke(d, 0, UINT64_MAX, 2, back), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_poke(NULL, 0, 0, 1, back), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_medium(d, 0, 0, 0, SCSI_DISK_FAULT_READ), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_medium(d, 0, cap, 1, SCSI_DISK_FAULT_READ), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_medium(d, 0, 0, 1, 0), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_medium(d, 0, 0, 1, 4), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_medium(d, 1, 0, 1, SCSI_DISK_FAULT_READ), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_medium(NULL, 0, 0, 1, SCSI_DISK_FAULT_READ), SCSI_DISK_E_ARG);
  for (unsigned i = 0; i < SCSI_DISK_MAX_FAULTS; i++)
    CHECK_EQ(t, scsi_disk_fault_medium(d, 0, i, 1, SCSI_DISK_FAULT_READ), 0);
  CHECK_EQ(t, scsi_disk_fault_medium(d, 0, 100, 1, SCSI_DISK_FAULT_READ), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_busy(NULL, 1), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_not_ready(d, 1, 1), SCSI_DISK_E_ARG);
  CHECK_EQ(t, scsi_disk_fault_not_ready(NULL, 0, 1), SCSI_DISK_E_ARG);
  scsi_disk_fault_clear(NULL);
  CHECK(t, strcmp(scsi_disk_strerror(SCSI_DISK_E_STATE), scsi_disk_strerror(SCSI_DISK_E_ARG)) != 0,
        "distinct error texts");
  scsi_disk_destroy(d);
  scsi_disk_destroy(d2);
}

static void power_on_unit_attention_once_per_initiator(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.lun_count = 2;
  scsi_disk_t *d = mkdisk(t, &cfg);
  uint8_t tur[6] = {0}, inq[6], s[18], buf[64];
  cdb6(inq, SCSI_OP_INQUIRY, 0, 0, 0, 36);
  /* initiator 7: the first command gets the unit attention, the next one runs */
  CHECK_SENSE(t, d, 7, 0, run_nodata(d, 7, 0, tur), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_POWER_ON_RESET);
  CHECK_GOOD(t, run_nodata(d, 7, 0, tur));
  /* ... and LUN 1 has its own */
  CHECK_SENSE(t, d, 7, 1, run_nodata(d, 7, 1, tur), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_POWER_ON_RESET);
  CHECK_GOOD(t, run_nodata(d, 7, 1, tur));
  /* initiator 6 still has its own */
  CHECK_SENSE(t, d, 6, 0, run_nodata(d, 6, 0, tur), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_POWER_ON_RESET);
  CHECK_GOOD(t, run_nodata(d, 6, 0, tur));
  /* initiator 5: INQUIRY is served before it, REQUEST SENSE returns and clears it */
  xfer_t x = run(d, 5, 0, inq, NULL, 0, buf, sizeof buf);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 36u);
  CHECK_EQ(t, buf[0], SCSI_TYPE_DISK);
  req_sense(t, d, 5, 0, s);
  CHECK_EQ(t, s[2] & 0xF, SCSI_SK_UNIT_ATTENTION);
  CHECK_EQ(t, s[12], 0x29);
  CHECK_EQ(t, s[13], 0x00);
  CHECK_EQ(t, s[0], 0x70); /* no information field */
  req_sense(t, d, 5, 0, s);
  CHECK_EQ(t, s[2] & 0xF, SCSI_SK_NO_SENSE);
  CHECK_EQ(t, s[12], 0);
  CHECK_GOOD(t, run_nodata(d, 5, 0, tur));
  /* every other command gets it too, e.g. READ(10) and an unknown opcode (no data moves) */
  uint8_t rd[16];
  cdb_rw(rd, SCSI_OP_READ_10, 0, 1);
  x = run(d, 4, 0, rd, NULL, 0, buf, sizeof buf);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  CHECK_SENSE(t, d, 4, 0, x, SCSI_SK_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
  uint8_t unk[6] = {0x02, 0, 0, 0, 0, 0};
  CHECK_SENSE(t, d, 3, 0, run_nodata(d, 3, 0, unk), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_POWER_ON_RESET);
  CHECK_SENSE(t, d, 3, 0, run_nodata(d, 3, 0, unk), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_OPCODE);
  scsi_disk_destroy(d);
}

static void resets_raise_unit_attention(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t tur[6] = {0};
  static const struct {
    int cause;
    uint16_t asc;
  } cases[] = {{SCSI_RESET_BUS, SCSI_ASC_BUS_RESET},
               {SCSI_RESET_BDR, SCSI_ASC_BDR_RESET},
               {SCSI_RESET_POWER, SCSI_ASC_POWER_ON_RESET}};
  for (unsigned i = 0; i < 3; i++) {
    CHECK_GOOD(t, run_nodata(d, 0, 0, tur));
    REQUIRE_EQ(t, scsi_disk_reset(d, cases[i].cause), 0);
    for (unsigned init = 0; init < 8; init++) {
      CHECK_SENSE(t, d, init, 0, run_nodata(d, init, 0, tur), SCSI_SK_UNIT_ATTENTION,
                  cases[i].asc);
      CHECK_GOOD(t, run_nodata(d, init, 0, tur));
    }
  }
  /* a pending power-on unit attention is not replaced by a later bus reset */
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_POWER), 0);
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BUS), 0);
  CHECK_SENSE(t, d, 1, 0, run_nodata(d, 1, 0, tur), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_POWER_ON_RESET);
  /* a bus reset replaces a pending BDR one, and the pending sense of a command is cleared */
  clear_ua(t, d);
  uint8_t unk[6] = {0x02, 0, 0, 0, 0, 0};
  run_nodata(d, 2, 0, unk);
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BDR), 0);
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BUS), 0);
  uint8_t s[18];
  req_sense(t, d, 2, 0, s);
  CHECK_EQ(t, s[2] & 0xF, SCSI_SK_UNIT_ATTENTION);
  CHECK_EQ(t, s[12], 0x29);
  CHECK_EQ(t, s[13], 0x02);
  req_sense(t, d, 2, 0, s);
  CHECK_EQ(t, s[2] & 0xF, SCSI_SK_NO_SENSE);
  scsi_disk_destroy(d);
}

static void request_sense_returns_clears_and_truncates(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.lun_count = 2;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t unk[6] = {0x02, 0, 0, 0, 0, 0}, rs[6], s[32];
  /* full sense: 18 bytes of fixed format */
  CHECK_EQ(t, run_nodata(d, INIT, 0, unk).status, SCSI_STATUS_CHECK_CONDITION);
  cdb6(rs, SCSI_OP_REQUEST_SENSE, 0, 0, 0, 252);
  memset(s, 0xEE, sizeof s);
  xfer_t x = run(d, INIT, 0, rs, NULL, 0, s, sizeof s);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.dir, SCSI_DIR_IN);
  CHECK_EQ(t, x.len, 18u);
  static const uint8_t want[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0};
  CHECK(t, memcmp(s, want, 18) == 0, "sense bytes");
  /* returned once: then NO SENSE */
  x = run(d, INIT, 0, rs, NULL, 0, s, sizeof s);
  CHECK_EQ(t, x.len, 18u);
  CHECK_EQ(t, s[0], 0x70);
  CHECK_EQ(t, s[2], SCSI_SK_NO_SENSE);
  CHECK_EQ(t, s[7], 10u);
  CHECK_EQ(t, s[12], 0u);
  /* truncated to the allocation length, and still cleared */
  run_nodata(d, INIT, 0, unk);
  cdb6(rs, SCSI_OP_REQUEST_SENSE, 0, 0, 0, 8);
  x = run(d, INIT, 0, rs, NULL, 0, s, sizeof s);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 8u);
  CHECK_EQ(t, s[7], 10u); /* the additional length is not adjusted for truncation */
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[2], SCSI_SK_NO_SENSE);
  /* allocation length 0: no data, not an error (SCSI-2) */
  run_nodata(d, INIT, 0, unk);
  cdb6(rs, SCSI_OP_REQUEST_SENSE, 0, 0, 0, 0);
  x = run_nodata(d, INIT, 0, rs);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  CHECK_EQ(t, x.len, 0u);
  /* sense belongs to one initiator and LUN: another initiator's command, or a command to
   * another LUN, does not clear it; the same nexus's next command does */
  run_nodata(d, INIT, 0, unk);
  uint8_t tur[6] = {0};
  CHECK_GOOD(t, run_nodata(d, 6, 0, tur));
  CHECK_GOOD(t, run_nodata(d, INIT, 1, tur));
  req_sense(t, d, INIT, 1, s);
  CHECK_EQ(t, s[2], SCSI_SK_NO_SENSE);
  req_sense(t, d, 6, 0, s);
  CHECK_EQ(t, s[2], SCSI_SK_NO_SENSE);
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[2], SCSI_SK_ILLEGAL_REQUEST);
  CHECK_EQ(t, s[12], 0x20);
  run_nodata(d, INIT, 0, unk);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[2], SCSI_SK_NO_SENSE);
  /* DESC (descriptor format) is not supported */
  cdb6(rs, SCSI_OP_REQUEST_SENSE, 1, 0, 0, 18);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, rs), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_CDB);
  scsi_disk_destroy(d);
}

static void invalid_opcodes_are_refused(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg);
  /* unsupported commands of every group; group 3/6/7 with a length the engine chose */
  static const struct {
    uint8_t op, len;
  } ops[] = {{0x01, 6},  {0x04, 6},  {0x1D, 6},  {0x1E, 6},  {0x2E, 10}, {0x34, 10},
             {0x3B, 10}, {0x56, 10}, {0x57, 10}, {0x8F, 16}, {0xA3, 12}, {0x7F, 10},
             {0x60, 6},  {0xC0, 6},  {0xE0, 12}, {0xFF, 1}};
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    uint8_t c[16] = {ops[i].op};
    xfer_t x = run_n(d, INIT, 0, c, ops[i].len, NULL, 0, NULL, 0);
    CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
  }
  scsi_disk_destroy(d);
}

static void reserved_cdb_fields_are_refused(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg);
  /* each CDB is valid except for one reserved field */
  static const uint8_t bad[][16] = {
      {SCSI_OP_TEST_UNIT_READY, 0, 1, 0, 0, 0},
      {SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0, 0x01},              /* LINK */
      {SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0, 0x02},              /* FLAG */
      {SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0, 0x04},              /* NACA */
      {SCSI_OP_INQUIRY, 0x02, 0, 0, 36, 0},                     /* CmdDt */
      {SCSI_OP_INQUIRY, 0, 0x80, 0, 36, 0},                     /* page without EVPD */
      {SCSI_OP_INQUIRY, 0x01, 0x81, 0, 36, 0},                  /* no such VPD page */
      {SCSI_OP_INQUIRY, 0x01, 0xB0, 0, 36, 0},
      {SCSI_OP_READ_10, 0x01, 0, 0, 0, 0, 0, 0, 1, 0},          /* RelAdr */
      {SCSI_OP_READ_10, 0x02, 0, 0, 0, 0, 0, 0, 1, 0},
      {SCSI_OP_READ_10, 0, 0, 0, 0, 0, 0x01, 0, 1, 0},
      {SCSI_OP_WRITE_10, 0x04, 0, 0, 0, 0, 0, 0, 1, 0},
      {SCSI_OP_READ_12, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0},
      {SCSI_OP_READ_12, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x01},    /* LINK */
      {SCSI_OP_READ_16, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}, /* RDPROTECT */
      {SCSI_OP_WRITE_16, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0},
      {SCSI_OP_READ_16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0},
      {SCSI_OP_VERIFY_10, 0x04, 0, 0, 0, 0, 0, 0, 1, 0},
      {SCSI_OP_VERIFY_10, 0x01, 0, 0, 0, 0, 0, 0, 1, 0},
      {SCSI_OP_READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 0, 0},    /* LBA without PMI */
      {SCSI_OP_READ_CAPACITY_10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0},
      {SCSI_OP_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0x02, 0},
      {SCSI_OP_SERVICE_ACTION_IN_16, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0},
      {SCSI_OP_SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 32, 0, 0},
      {SCSI_OP_MODE_SENSE_6, 0x01, 0x3F, 0, 255, 0},
      {SCSI_OP_MODE_SENSE_6, 0, 0x3F, 0x01, 255, 0},            /* subpage */
      {SCSI_OP_MODE_SENSE_6, 0, 0x02, 0, 255, 0},               /* no such page */
      {SCSI_OP_MODE_SENSE_6, 0, 0x00, 0, 255, 0},
      {SCSI_OP_MODE_SENSE_10, 0x04, 0x3F, 0, 0, 0, 0, 1, 0, 0},
      {SCSI_OP_MODE_SELECT_6, 0x11, 0, 0, 12, 0},               /* SP */
      {SCSI_OP_MODE_SELECT_6, 0x12, 0, 0, 12, 0},
      {SCSI_OP_START_STOP_UNIT, 0, 0, 0, 0x02, 0},              /* LOEJ */
      {SCSI_OP_START_STOP_UNIT, 0, 0, 0, 0x11, 0},              /* power condition */
      {SCSI_OP_START_STOP_UNIT, 0x02, 0, 0, 0x01, 0},
      {SCSI_OP_SYNCHRONIZE_CACHE_10, 0x01, 0, 0, 0, 0, 0, 0, 0, 0},
      {SCSI_OP_SYNCHRONIZE_CACHE_10, 0x08, 0, 0, 0, 0, 0, 0, 0, 0},
      {SCSI_OP_REPORT_LUNS, 0, 3, 0, 0, 0, 0, 0, 0, 16, 0, 0}, /* select report 3 */
      {SCSI_OP_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0}, /* allocation < 16 */
      {SCSI_OP_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {SCSI_OP_REPORT_LUNS, 1, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0},
      {SCSI_OP_RESERVE_6, 0x01, 0, 0, 0, 0},                    /* extent */
      {SCSI_OP_RESERVE_6, 0x10, 0, 0, 0, 0},                    /* third party */
      {SCSI_OP_RELEASE_6, 0x01, 0, 0, 0, 0},
  };
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    xfer_t x = run(d, INIT, 0, bad[i], NULL, 0, NULL, 0);
    CHECK(t, x.dir == SCSI_DIR_NONE, "case %u: op %02x moved data", i, bad[i][0]);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
  }
  /* the SCSI-2 LUN field (byte 1 bits 7-5) and DPO/FUA are accepted */
  uint8_t c[16];
  cdb_rw(c, SCSI_OP_READ_10, 0, 1);
  c[1] = 0xE0 | 0x18;
  CHECK_GOOD(t, run_nodata(d, INIT, 0, c));
  scsi_disk_destroy(d);
}

static void inquiry_standard_data(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.vendor = "ACME";
  cfg.product = "FASTDISK 2";
  cfg.revision = "0.9";
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t c[6], b[300];
  cdb6(c, SCSI_OP_INQUIRY, 0, 0, 0, 255);
  memset(b, 0xEE, sizeof b);
  xfer_t x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 36u);
  CHECK_EQ(t, b[0], 0x00); /* connected direct-access device */
  CHECK_EQ(t, b[1], 0x00); /* not removable */
  CHECK_EQ(t, b[2], 0x02); /* SCSI-2 */
  CHECK_EQ(t, b[3], 0x02); /* response data format */
  CHECK_EQ(t, b[4], 31u);  /* additional length */
  CHECK_EQ(t, b[7], 0x00); /* 8-bit, async, no linked commands, no tagged queueing */
  CHECK(t, memcmp(b + 8, "ACME    ", 8) == 0, "vendor");
  CHECK(t, memcmp(b + 16, "FASTDISK 2      ", 16) == 0, "product");
  CHECK(t, memcmp(b + 32, "0.9 ", 4) == 0, "revision");
  /* truncated to the allocation length */
  uint8_t full[36];
  memcpy(full, b, 36);
  cdb6(c, SCSI_OP_INQUIRY, 0, 0, 0, 5);
  memset(b, 0xEE, sizeof b);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 5u);
  CHECK(t, memcmp(b, full, 5) == 0, "truncated prefix");
  cdb6(c, SCSI_OP_INQUIRY, 0, 0, 0, 0);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 0u);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  /* byte 3 as the high byte of a 16-bit allocation length (SPC-3) */
  cdb6(c, SCSI_OP_INQUIRY, 0, 0, 1, 0);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 36u);
  scsi_disk_destroy(d);
}

static void inquiry_vpd_pages(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.serial = "SN0042";
  cfg.lun_count = 2;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t c[6], b[256];
  cdb6(c, SCSI_OP_INQUIRY, 1, 0x00, 0, 255);
  xfer_t x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  static const uint8_t p0[] = {0x00, 0x00, 0x00, 3, 0x00, 0x80, 0x83};
  CHECK_EQ(t, x.len, sizeof p0);
  CHECK(t, memcmp(b, p0, sizeof p0) == 0, "supported pages");

  cdb6(c, SCSI_OP_INQUIRY, 1, 0x80, 0, 255);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 4u + 6u);
  CHECK_EQ(t, b[1], 0x80);
  CHECK_EQ(t, b[3], 6u);
  CHECK(t, memcmp(b + 4, "SN0042", 6) == 0, "serial");
  x = run(d, INIT, 1, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.len, 4u + 8u);
  CHECK(t, memcmp(b + 4, "SN0042-1", 8) == 0, "LUN 1 serial");

  cdb6(c, SCSI_OP_INQUIRY, 1, 0x83, 0, 255);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, b[1], 0x83);
  CHECK_EQ(t, get16(b + 2) + 4, x.len);
  /* T10 vendor ID designator: ASCII, LU association */
  CHECK_EQ(t, b[4], 0x02);
  CHECK_EQ(t, b[5], 0x01);
  CHECK_EQ(t, b[7], 24u + 6u);
  CHECK(t, memcmp(b + 8, "HBASIM  SCSI2 DISK      SN0042", 30) == 0, "T10 designator");
  /* NAA designator: binary, 8 bytes, NAA 3 */
  const uint8_t *n = b + 8 + 30;
  CHECK_EQ(t, n[0], 0x01);
  CHECK_EQ(t, n[1], 0x03);
  CHECK_EQ(t, n[3], 8u);
  CHECK_EQ(t, n[4] >> 4, 3u);
  CHECK_EQ(t, x.len, 8u + 30u + 12u);
  uint64_t naa0 = get64(n + 4);
  x = run(d, INIT, 1, c, NULL, 0, b, sizeof b);
  CHECK(t, get64(b + x.len - 8) != naa0, "each LUN has its own NAA id");
  /* the same seed gives the same identifiers; the default serial comes from the seed */
  scsi_disk_t *d2 = ready_disk(t, &cfg);
  x = run(d2, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, get64(b + 8 + 30 + 4), naa0);
  scsi_disk_destroy(d2);
  cfg.serial = NULL;
  d2 = ready_disk(t, &cfg);
  cdb6(c, SCSI_OP_INQUIRY, 1, 0x80, 0, 255);
  x = run(d2, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK(t, b[3] >= 1 && b[3] <= 20, "default serial length %u", b[3]);
  uint8_t sn1[24];
  memcpy(sn1, b, sizeof sn1);
  scsi_disk_destroy(d2);
  d2 = ready_disk(t, &cfg);
  x = run(d2, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK(t, memcmp(b, sn1, 4u + sn1[3]) == 0, "default serial repeats with the seed");
  scsi_disk_destroy(d2);
  /* truncation */
  cdb6(c, SCSI_OP_INQUIRY, 1, 0x83, 0, 6);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 6u);
  scsi_disk_destroy(d);
}

static void unsupported_lun(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.lun_count = 2;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t c[16], b[64], tur[6] = {0};
  for (unsigned lun = 2; lun < 8; lun++) {
    cdb6(c, SCSI_OP_INQUIRY, 0, 0, 0, 36);
    xfer_t x = run(d, INIT, lun, c, NULL, 0, b, sizeof b);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.len, 36u);
    CHECK_EQ(t, b[0], 0x7F); /* qualifier 011b, type 1Fh */
    CHECK_SENSE(t, d, INIT, lun, run_nodata(d, INIT, lun, tur), SCSI_SK_ILLEGAL_REQUEST,
                SCSI_ASC_LUN_NOT_SUPPORTED);
    cdb_rw(c, SCSI_OP_READ_10, 0, 1);
    x = run(d, INIT, lun, c, NULL, 0, b, sizeof b);
    CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
    CHECK_SENSE(t, d, INIT, lun, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LUN_NOT_SUPPORTED);
    uint8_t unk[6] = {0x02};
    CHECK_SENSE(t, d, INIT, lun, run_nodata(d, INIT, lun, unk), SCSI_SK_ILLEGAL_REQUEST,
                SCSI_ASC_LUN_NOT_SUPPORTED);
  }
  /* no unit attention on an unsupported LUN even right after a reset */
  scsi_disk_t *d2 = mkdisk(t, &cfg);
  CHECK_SENSE(t, d2, INIT, 5, run_nodata(d2, INIT, 5, tur), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_LUN_NOT_SUPPORTED);
  /* REPORT LUNS addressed to it describes the target */
  memset(c, 0, sizeof c);
  c[0] = SCSI_OP_REPORT_LUNS;
  put32(c + 6, 64);
  xfer_t x = run(d2, INIT, 5, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 24u);
  CHECK_EQ(t, get32(b), 16u);
  scsi_disk_destroy(d2);
  scsi_disk_destroy(d);
}

static void read_capacity(test_ctx_t *t) {
  static const struct {
    uint32_t bs;
    uint64_t cap;
    uint32_t rc10;
  } cases[] = {{512, 65536, 65535},
               {4096, 1000, 999},
               {512, 0xFFFFFFFFull, 0xFFFFFFFEu},
               {512, 0x100000000ull, 0xFFFFFFFFu},
               {512, 0x100000001ull, 0xFFFFFFFFu},
               {4096, 1ull << 40, 0xFFFFFFFFu}};
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scsi_disk_config_t cfg;
    quick_cfg(t, &cfg);
    cfg.block_size = cases[i].bs;
    cfg.capacity = cases[i].cap;
    scsi_disk_t *d = ready_disk(t, &cfg);
    uint8_t c[16] = {SCSI_OP_READ_CAPACITY_10}, b[64];
    memset(b, 0xEE, sizeof b);
    xfer_t x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.len, 8u);
    CHECK_EQ(t, get32(b), cases[i].rc10);
    CHECK_EQ(t, get32(b + 4), cases[i].bs);
    memset(c, 0, sizeof c);
    c[0] = SCSI_OP_SERVICE_ACTION_IN_16;
    c[1] = SCSI_SA_READ_CAPACITY_16;
    put32(c + 10, 32);
    memset(b, 0xEE, sizeof b);
    x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.len, 32u);
    CHECK_EQ(t, get64(b), cases[i].cap - 1);
    CHECK_EQ(t, get32(b + 8), cases[i].bs);
    for (unsigned k = 12; k < 32; k++) CHECK_EQ(t, b[k], 0u);
    /* truncated to the allocation length; 0 moves nothing */
    put32(c + 10, 12);
    x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
    CHECK_EQ(t, x.len, 12u);
    put32(c + 10, 0);
    x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.len, 0u);
    scsi_disk_destroy(d);
  }
  /* PMI: the last block of the cylinder holding the LBA (8 heads x 63 = 504 per cylinder) */
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 1000;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t c[16] = {SCSI_OP_READ_CAPACITY_10}, b[8];
  put32(c + 2, 10);
  c[8] = 1;
  xfer_t x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, get32(b), 503u);
  put32(c + 2, 600);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, get32(b), 999u);
  put32(c + 2, 1000);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_LBA_OUT_OF_RANGE);
  memset(c, 0, sizeof c);
  c[0] = SCSI_OP_SERVICE_ACTION_IN_16;
  c[1] = SCSI_SA_READ_CAPACITY_16;
  put64(c + 2, 510);
  put32(c + 10, 32);
  c[14] = 1;
  uint8_t b16[32];
  x = run(d, INIT, 0, c, NULL, 0, b16, sizeof b16);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, get64(b16), 999u);
  put64(c + 2, UINT64_MAX);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_LBA_OUT_OF_RANGE);
  scsi_disk_destroy(d);
}

/* Random writes with every CDB size, read back with another size, against a shadow copy. */
static void rw_roundtrip(test_ctx_t *t, scsi_disk_config_t *cfg, unsigned salt) {
  scsi_disk_t *d = ready_disk(t, cfg);
  uint32_t bs = cfg->block_size;
  uint64_t cap = cfg->capacity;
  uint8_t *shadow = calloc(cap, bs), *buf = malloc(300u * bs), *back = malloc(300u * bs);
  REQUIRE(t, shadow && buf && back, "malloc");
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 100 + salt);
  for (unsigned i = 0; i < 60; i++) {
    unsigned wk = (unsigned)prng_below(&p, 4), rk = (unsigned)prng_below(&p, 4);
    uint32_t n = 1 + (uint32_t)prng_below(&p, 256);
    if (wk == 0 && prng_below(&p, 8) == 0) n = 256; /* READ/WRITE(6) length 0 */
    uint64_t lba = prng_below(&p, cap - n + 1);
    prng_fill(&p, buf, (size_t)n * bs);
    xfer_t x = do_write(d, 0, write_ops[wk], lba, n, buf, n * bs);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.dir, SCSI_DIR_OUT);
    CHECK_EQ(t, x.len, n * bs);
    memcpy(shadow + lba * bs, buf, (size_t)n * bs);
    /* read an overlapping window with another command size */
    uint32_t rn = 1 + (uint32_t)prng_below(&p, 256);
    uint64_t rl = prng_below(&p, cap - rn + 1);
    memset(back, 0xEE, (size_t)rn * bs);
    x = do_read(d, 0, read_ops[rk], rl, rn, back, rn * bs);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.dir, SCSI_DIR_IN);
    CHECK_EQ(t, x.len, rn * bs);
    CHECK(t, memcmp(back, shadow + rl * bs, (size_t)rn * bs) == 0,
          "round %u: READ op %02x lba %llu n %u differs from the shadow", i, read_ops[rk],
          (unsigned long long)rl, rn);
  }
  /* the whole medium matches, unwritten blocks being zeros */
  uint8_t *all = malloc((size_t)cap * bs);
  REQUIRE(t, all != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0, cap, all), 0);
  CHECK(t, memcmp(all, shadow, (size_t)cap * bs) == 0, "medium == shadow");
  free(all);
  free(shadow);
  free(buf);
  free(back);
  scsi_disk_destroy(d);
}

static void read_write_memory_512(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 4096;
  rw_roundtrip(t, &cfg, 0);
}

static void read_write_memory_4096(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.block_size = 4096;
  cfg.capacity = 1500;
  rw_roundtrip(t, &cfg, 1);
}

static void rw6_length_zero_means_256(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = (1u << 21) + 1000; /* beyond READ(6)'s 21-bit reach */
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t *buf = malloc(256 * 512), *back = malloc(256 * 512);
  REQUIRE(t, buf && back, "malloc");
  fill(t, 2, buf, 256 * 512);
  uint8_t c[6] = {SCSI_OP_WRITE_6, 0x1F, 0xFF, 0x00, 0x00, 0}; /* LBA 0x1FFF00, 256 blocks */
  xfer_t x = run(d, INIT, 0, c, buf, 256 * 512, NULL, 0);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 256u * 512u);
  c[0] = SCSI_OP_READ_6;
  x = run(d, INIT, 0, c, NULL, 0, back, 256 * 512);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 256u * 512u);
  CHECK(t, memcmp(buf, back, 256 * 512) == 0, "READ(6) of 256 blocks");
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0x1FFF00, 256, back), 0);
  CHECK(t, memcmp(buf, back, 256 * 512) == 0, "on the medium at 0x1FFF00");
  /* READ(16) reaches past 2^21 */
  x = do_read(d, 0, SCSI_OP_READ_16, 0x1FFFFF, 2, back, 1024);
  CHECK_GOOD(t, x);
  CHECK(t, memcmp(back, buf + 255 * 512, 512) == 0, "last block of the run");
  free(buf);
  free(back);
  scsi_disk_destroy(d);
}

static void lba_range_edges(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 1000;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint64_t cap = cfg.capacity;
  uint8_t buf[2048];
  /* READ(10) of 0 blocks at LBA 0: GOOD, no data */
  xfer_t x = do_read(d, 0, SCSI_OP_READ_10, 0, 0, buf, sizeof buf);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  CHECK_EQ(t, x.len, 0u);
  x = do_read(d, 0, SCSI_OP_READ_10, cap - 1, 0, buf, sizeof buf);
  CHECK_GOOD(t, x);
  /* ... at LBA == capacity, capacity + 1, 2^31 and 0xFFFFFFFF: 05/21/00 */
  static const uint64_t oob[] = {1000, 1001, 0x80000000ull, 0xFFFFFFFFull};
  for (unsigned i = 0; i < 4; i++) {
    x = do_read(d, 0, SCSI_OP_READ_10, oob[i], 0, buf, sizeof buf);
    CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    x = do_read(d, 0, SCSI_OP_READ_10, oob[i], 1, buf, sizeof buf);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
  }
  /* the last block reads; crossing the end does not, for every size, read and write */
  for (unsigned k = 0; k < 4; k++) {
    CHECK_GOOD(t, do_read(d, 0, read_ops[k], cap - 1, 1, buf, sizeof buf));
    CHECK_GOOD(t, do_read(d, 0, read_ops[k], cap - 2, 2, buf, sizeof buf));
    x = do_read(d, 0, read_ops[k], cap - 1, 2, buf, sizeof buf);
    CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    x = do_write(d, 0, write_ops[k], cap - 3, 4, buf, sizeof buf);
    CHECK_EQ(t, x.dir, SCSI_DIR_NONE); /* no data phase for a refused write */
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
  }
  /* READ(6) length 0 at capacity - 100 is 256 blocks: crosses the end */
  CHECK_SENSE(t, d, INIT, 0, do_read(d, 0, SCSI_OP_READ_6, cap - 100, 256, buf, 0),
              SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
  /* 64-bit LBAs near 2^64: lba + count wraps, and must not look in range */
  static const struct {
    uint64_t lba;
    uint32_t n;
  } wrap[] = {{UINT64_MAX, 1}, {UINT64_MAX, 2}, {UINT64_MAX - 1, 3}, {1ull << 63, 1},
              {UINT64_MAX, 0}, {2, 0xFFFFFFFFu}, {UINT64_MAX - 0xFFFFFFFEull, 0xFFFFFFFFu}};
  for (unsigned i = 0; i < sizeof wrap / sizeof wrap[0]; i++) {
    x = do_read(d, 0, SCSI_OP_READ_16, wrap[i].lba, wrap[i].n, buf, sizeof buf);
    CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    x = do_write(d, 0, SCSI_OP_WRITE_16, wrap[i].lba, wrap[i].n, buf, sizeof buf);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
  }
  x = do_read(d, 0, SCSI_OP_READ_12, 0xFFFFFFFFu, 2, buf, sizeof buf);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
  x = do_read(d, 0, SCSI_OP_READ_12, 1, 0xFFFFFFFFu, buf, sizeof buf);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
  /* in range but larger than max_transfer_bytes: 05/24/00 */
  scsi_disk_config_t big;
  quick_cfg(t, &big);
  big.capacity = 1ull << 40;
  big.max_transfer_bytes = 64 * 512;
  scsi_disk_t *d2 = ready_disk(t, &big);
  CHECK_GOOD(t, do_read(d2, 0, SCSI_OP_READ_16, 5, 64, NULL, 0));
  x = do_read(d2, 0, SCSI_OP_READ_16, 5, 65, NULL, 0);
  CHECK_SENSE(t, d2, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
  x = do_read(d2, 0, SCSI_OP_READ_16, 5, 0xFFFFFFFFu, NULL, 0);
  CHECK_SENSE(t, d2, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
  scsi_disk_destroy(d2);
  scsi_disk_destroy(d);
}

static void sparse_memory_at_high_lba(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 1ull << 40; /* 512 TiB of address space, only written chunks are kept */
  cfg.lun_count = 2;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t buf[8 * 512], back[8 * 512];
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 3);
  for (unsigned i = 0; i < 200; i++) {
    uint64_t lba = prng_below(&p, cfg.capacity - 8);
    unsigned lun = (unsigned)prng_below(&p, 2);
    prng_fill(&p, buf, sizeof buf);
    CHECK_GOOD(t, do_write(d, lun, SCSI_OP_WRITE_16, lba, 8, buf, sizeof buf));
    CHECK_GOOD(t, do_read(d, lun, SCSI_OP_READ_16, lba, 8, back, sizeof back));
    CHECK(t, memcmp(buf, back, sizeof buf) == 0, "round %u", i);
    /* the other LUN is a separate medium */
    CHECK_GOOD(t, do_read(d, 1 - lun, SCSI_OP_READ_16, lba, 8, back, sizeof back));
    CHECK(t, memcmp(buf, back, sizeof buf) != 0, "round %u: LUNs share data", i);
  }
  CHECK_GOOD(t, do_read(d, 0, SCSI_OP_READ_16, cfg.capacity - 8, 8, back, sizeof back));
  scsi_disk_destroy(d);
}

/* An image file under /tmp (mkstemp), removed at the end. */
static void image_file_backing(test_ctx_t *t) {
  char path[] = "/tmp/hbasim_scsi_disk_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(t, fd >= 0, "mkstemp");
  const uint32_t bs = 512;
  const uint64_t cap = 2048;
  /* a pre-existing image: the bytes already there are the disk's contents */
  uint8_t *img = malloc(cap * bs);
  REQUIRE(t, img != NULL, "malloc");
  fill(t, 10, img, cap * bs);
  REQUIRE(t, pwrite(fd, img, cap * bs, 0) == (ssize_t)(cap * bs), "pwrite");

  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 0; /* from the file size */
  cfg.image_path = path;
  scsi_disk_t *d = ready_disk(t, &cfg);
  CHECK_EQ(t, scsi_disk_capacity(d), cap);
  uint8_t buf[64 * 512], back[64 * 512];
  CHECK_GOOD(t, do_read(d, 0, SCSI_OP_READ_10, 100, 64, back, sizeof back));
  CHECK(t, memcmp(back, img + 100 * bs, sizeof back) == 0, "existing image contents");

  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 11);
  for (unsigned i = 0; i < 40; i++) {
    uint32_t n = 1 + (uint32_t)prng_below(&p, 64);
    uint64_t lba = prng_below(&p, cap - n + 1);
    prng_fill(&p, buf, n * bs);
    CHECK_GOOD(t, do_write(d, 0, write_ops[i % 4], lba, n, buf, n * bs));
    memcpy(img + lba * bs, buf, n * bs);
    /* the file holds the write as soon as the command completed */
    REQUIRE(t, pread(fd, back, n * bs, (off_t)(lba * bs)) == (ssize_t)(n * bs), "pread");
    CHECK(t, memcmp(back, buf, n * bs) == 0, "round %u: file bytes after WRITE", i);
  }
  uint8_t sc[10] = {SCSI_OP_SYNCHRONIZE_CACHE_10};
  CHECK_GOOD(t, run_nodata(d, INIT, 0, sc));
  /* the whole file equals the shadow, even while the disk is still open */
  uint8_t *file = malloc(cap * bs);
  REQUIRE(t, file != NULL, "malloc");
  REQUIRE(t, pread(fd, file, cap * bs, 0) == (ssize_t)(cap * bs), "pread all");
  CHECK(t, memcmp(file, img, cap * bs) == 0, "image == shadow");
  scsi_disk_destroy(d);

  /* a second disk on the same image reads the data back */
  d = ready_disk(t, &cfg);
  for (uint64_t lba = 0; lba < cap; lba += 64) {
    CHECK_GOOD(t, do_read(d, 0, SCSI_OP_READ_16, lba, 64, back, sizeof back));
    CHECK(t, memcmp(back, img + lba * bs, sizeof back) == 0, "reopened: lba %llu",
          (unsigned long long)lba);
  }
  scsi_disk_destroy(d);

  /* two LUNs: LUN n at byte n * capacity * block_size; a short image is extended */
  REQUIRE(t, ftruncate(fd, 0) == 0, "ftruncate");
  cfg.capacity = 100;
  cfg.lun_count = 2;
  d = ready_disk(t, &cfg);
  struct stat st;
  REQUIRE(t, fstat(fd, &st) == 0, "fstat");
  CHECK_EQ(t, (uint64_t)st.st_size, 2u * 100u * 512u);
  fill(t, 12, buf, 4 * bs);
  CHECK_GOOD(t, do_write(d, 1, SCSI_OP_WRITE_10, 10, 4, buf, 4 * bs));
  REQUIRE(t, pread(fd, back, 4 * bs, (off_t)((100 + 10) * bs)) == (ssize_t)(4 * bs), "pread");
  CHECK(t, memcmp(back, buf, 4 * bs) == 0, "LUN 1 bytes in the image");
  REQUIRE(t, pread(fd, back, 4 * bs, (off_t)(10 * bs)) == (ssize_t)(4 * bs), "pread");
  static const uint8_t zero[4 * 512];
  CHECK(t, memcmp(back, zero, sizeof zero) == 0, "LUN 0 untouched");
  scsi_disk_destroy(d);

  /* an empty image with capacity 0 cannot be sized */
  REQUIRE(t, ftruncate(fd, 100) == 0, "ftruncate");
  cfg.capacity = 0;
  char err[200] = "";
  CHECK(t, scsi_disk_create(&cfg, err, sizeof err) == NULL, "image smaller than a block");
  CHECK(t, err[0] != 0, "error text");
  close(fd);
  unlink(path);
  free(img);
  free(file);
}

/* A process that dies abruptly (SIGKILL: no destroy, no close, no fsync) leaves an image
 * holding every write that completed. */
static void image_survives_abrupt_end(test_ctx_t *t) {
  char path[] = "/tmp/hbasim_scsi_crash_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(t, fd >= 0, "mkstemp");
  const uint64_t cap = 4096;
  uint8_t *shadow = calloc(cap, 512);
  REQUIRE(t, shadow != NULL, "calloc");
  REQUIRE(t, ftruncate(fd, (off_t)(cap * 512)) == 0, "ftruncate");
  /* the writes the child will make, decided here from the seed */
  enum { NW = 50 };
  uint64_t lba[NW];
  uint32_t n[NW];
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 13);
  uint8_t *data = malloc((size_t)NW * 32 * 512);
  REQUIRE(t, data != NULL, "malloc");
  for (unsigned i = 0; i < NW; i++) {
    n[i] = 1 + (uint32_t)prng_below(&p, 32);
    lba[i] = prng_below(&p, cap - n[i] + 1);
    prng_fill(&p, data + (size_t)i * 32 * 512, n[i] * 512);
    memcpy(shadow + lba[i] * 512, data + (size_t)i * 32 * 512, n[i] * 512);
  }
  fflush(NULL);
  pid_t pid = fork();
  REQUIRE(t, pid >= 0, "fork");
  if (pid == 0) {
    scsi_disk_config_t cfg;
    quick_cfg(t, &cfg);
    cfg.capacity = cap;
    cfg.image_path = path;
    scsi_disk_t *d = scsi_disk_create(&cfg, NULL, 0);
    if (!d) _exit(2);
    for (unsigned i = 0; i < NW; i++) {
      uint8_t c[16];
      cdb_rw(c, SCSI_OP_WRITE_10, lba[i], n[i]);
      xfer_t x = run(d, INIT, 0, c, data + (size_t)i * 32 * 512, n[i] * 512, NULL, 0);
      /* the first command meets the power-on unit attention: retry it once */
      if (x.status == SCSI_STATUS_CHECK_CONDITION)
        x = run(d, INIT, 0, c, data + (size_t)i * 32 * 512, n[i] * 512, NULL, 0);
      if (x.rc != 0 || x.status != SCSI_STATUS_GOOD) _exit(3);
    }
    raise(SIGKILL);
    _exit(4);
  }
  int st = 0;
  REQUIRE(t, waitpid(pid, &st, 0) == pid, "waitpid");
  CHECK(t, WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child ended by SIGKILL (status %#x)", st);
  uint8_t *file = malloc(cap * 512);
  REQUIRE(t, file != NULL, "malloc");
  REQUIRE(t, pread(fd, file, cap * 512, 0) == (ssize_t)(cap * 512), "pread");
  CHECK(t, memcmp(file, shadow, cap * 512) == 0, "image holds every completed write");
  close(fd);
  unlink(path);
  free(file);
  free(data);
  free(shadow);
}

/* The image file refusing a write (here: RLIMIT_FSIZE, in a child process) ends the command
 * in CHECK CONDITION 04/44/00 and returns SCSI_DISK_E_IO; the disk goes on working. */
static int write_error_child(test_ctx_t *t, const char *path) {
  signal(SIGXFSZ, SIG_IGN);
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 2048;
  cfg.image_path = path;
  scsi_disk_t *d = scsi_disk_create(&cfg, NULL, 0);
  if (!d) return 10;
  uint8_t s[18], blk[512], unk[6] = {0x02};
  for (unsigned i = 0; i < 8; i++) run(d, i, 0, unk, NULL, 0, NULL, 0); /* eat the UA */
  struct rlimit rl = {512 * 1024, 512 * 1024};
  if (setrlimit(RLIMIT_FSIZE, &rl) != 0) return 11;
  fill(t, 14, blk, sizeof blk);
  uint8_t c[16];
  cdb_rw(c, SCSI_OP_WRITE_10, 1500, 1); /* byte 768 KiB: beyond the limit */
  xfer_t x = run(d, INIT, 0, c, blk, 512, NULL, 0);
  if (x.rc != SCSI_DISK_E_IO) return 12;
  if (x.status != SCSI_STATUS_CHECK_CONDITION) return 13;
  uint8_t rs[6] = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0};
  x = run(d, INIT, 0, rs, NULL, 0, s, sizeof s);
  if (x.status != SCSI_STATUS_GOOD || s[2] != SCSI_SK_HARDWARE_ERROR || s[12] != 0x44 ||
      s[13] != 0)
    return 14;
  cdb_rw(c, SCSI_OP_WRITE_10, 10, 1); /* below the limit: fine */
  x = run(d, INIT, 0, c, blk, 512, NULL, 0);
  if (x.rc != 0 || x.status != SCSI_STATUS_GOOD) return 15;
  uint8_t back[512];
  cdb_rw(c, SCSI_OP_READ_10, 10, 1);
  x = run(d, INIT, 0, c, NULL, 0, back, sizeof back);
  if (x.rc != 0 || x.status != SCSI_STATUS_GOOD || memcmp(back, blk, 512) != 0) return 16;
  scsi_disk_destroy(d);
  return 0;
}

static void image_write_error_is_hardware_error(test_ctx_t *t) {
  char path[] = "/tmp/hbasim_scsi_ioerr_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(t, fd >= 0, "mkstemp");
  REQUIRE(t, ftruncate(fd, 2048 * 512) == 0, "ftruncate");
  fflush(NULL);
  pid_t pid = fork();
  REQUIRE(t, pid >= 0, "fork");
  if (pid == 0) _exit(write_error_child(t, path));
  int st = 0;
  REQUIRE(t, waitpid(pid, &st, 0) == pid, "waitpid");
  CHECK(t, WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x (exit code = failed step)",
        st);
  close(fd);
  unlink(path);
}

static void verify_command(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 500;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t buf[16 * 512], c[16];
  fill(t, 20, buf, sizeof buf);
  CHECK_GOOD(t, do_write(d, 0, SCSI_OP_WRITE_10, 40, 16, buf, sizeof buf));
  /* BYTCHK = 0: medium check only, no data */
  cdb_rw(c, SCSI_OP_VERIFY_10, 40, 16);
  xfer_t x = run_nodata(d, INIT, 0, c);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  cdb_rw(c, SCSI_OP_VERIFY_10, 40, 0);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, c));
  cdb_rw(c, SCSI_OP_VERIFY_10, 490, 11);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_LBA_OUT_OF_RANGE);
  /* BYTCHK = 1: data out, compared */
  cdb_rw(c, SCSI_OP_VERIFY_10, 40, 16);
  c[1] = 0x02;
  x = run(d, INIT, 0, c, buf, sizeof buf, NULL, 0);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.dir, SCSI_DIR_OUT);
  CHECK_EQ(t, x.len, sizeof buf);
  uint8_t bad[16 * 512];
  memcpy(bad, buf, sizeof bad);
  bad[5 * 512 + 77] ^= 0x40; /* block 45 */
  bad[9 * 512] ^= 1;         /* block 49: only the first miscompare is reported */
  x = run(d, INIT, 0, c, bad, sizeof bad, NULL, 0);
  CHECK_EQ(t, x.status, SCSI_STATUS_CHECK_CONDITION);
  uint8_t s[18];
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[0], 0xF0); /* VALID */
  CHECK_EQ(t, s[2], SCSI_SK_MISCOMPARE);
  CHECK_EQ(t, s[12], 0x1D);
  CHECK_EQ(t, s[13], 0x00);
  CHECK_EQ(t, get32(s + 3), 45u);
  /* the medium is unchanged by VERIFY */
  uint8_t back[16 * 512];
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 40, 16, back), 0);
  CHECK(t, memcmp(back, buf, sizeof buf) == 0, "medium unchanged");
  /* a bad block: unrecovered read error at it, both BYTCHK modes */
  REQUIRE_EQ(t, scsi_disk_fault_medium(d, 0, 50, 3, SCSI_DISK_FAULT_READ), 0);
  c[1] = 0;
  x = run_nodata(d, INIT, 0, c);
  CHECK_EQ(t, x.status, SCSI_STATUS_CHECK_CONDITION);
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[0], 0xF0);
  CHECK_EQ(t, s[2], SCSI_SK_MEDIUM_ERROR);
  CHECK_EQ(t, s[12], 0x11);
  CHECK_EQ(t, get32(s + 3), 50u);
  c[1] = 0x02;
  x = run(d, INIT, 0, c, buf, sizeof buf, NULL, 0);
  CHECK_EQ(t, x.status, SCSI_STATUS_CHECK_CONDITION);
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[2], SCSI_SK_MEDIUM_ERROR);
  CHECK_EQ(t, get32(s + 3), 50u);
  /* a range before the bad blocks verifies */
  cdb_rw(c, SCSI_OP_VERIFY_10, 40, 10);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, c));
  scsi_disk_destroy(d);
}

static xfer_t mode_sense6(scsi_disk_t *d, unsigned init, uint8_t b1, uint8_t b2, uint8_t alloc,
                          uint8_t *b, uint32_t cap) {
  uint8_t c[6];
  cdb6(c, SCSI_OP_MODE_SENSE_6, b1, b2, 0, alloc);
  memset(b, 0xEE, cap);
  return run(d, init, 0, c, NULL, 0, b, cap);
}

static void mode_sense_pages(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.timing.rpm = 5400; /* reported in page 04h */
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t b[300];
  /* all pages, current values, with the block descriptor */
  xfer_t x = mode_sense6(d, INIT, 0, 0x3F, 255, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 4u + 8u + 12u + 24u + 12u);
  CHECK_EQ(t, b[0], x.len - 1);    /* mode data length */
  CHECK_EQ(t, b[1], 0u);           /* medium type */
  CHECK_EQ(t, b[2], 0x10);         /* WP 0, DPOFUA 1 */
  CHECK_EQ(t, b[3], 8u);           /* block descriptor length */
  CHECK_EQ(t, get32(b + 4), 65536u);
  CHECK_EQ(t, b[8], 0u);
  CHECK_EQ(t, get24(b + 9), 512u);
  const uint8_t *p1 = b + 12, *p4 = b + 24, *p8 = b + 48;
  CHECK_EQ(t, p1[0], 0x01);
  CHECK_EQ(t, p1[1], 0x0A);
  CHECK_EQ(t, p1[2], 0xC0);        /* AWRE, ARRE */
  CHECK_EQ(t, p4[0], 0x04);
  CHECK_EQ(t, p4[1], 0x16);
  CHECK_EQ(t, get24(p4 + 2), 131u); /* ceil(65536 / (8 * 63)) cylinders */
  CHECK_EQ(t, p4[5], 8u);           /* heads */
  CHECK_EQ(t, get16(p4 + 20), 5400u);
  CHECK_EQ(t, p8[0], 0x08);
  CHECK_EQ(t, p8[1], 0x0A);
  CHECK_EQ(t, p8[2], 0x00);         /* WCE 0, RCD 0 */
  uint8_t all[60];
  memcpy(all, b, sizeof all);
  /* truncated to the allocation length: the header still says the full length */
  x = mode_sense6(d, INIT, 0, 0x3F, 10, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 10u);
  CHECK(t, memcmp(b, all, 10) == 0, "truncated prefix");
  x = mode_sense6(d, INIT, 0, 0x3F, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 0u);
  /* DBD: no block descriptor */
  x = mode_sense6(d, INIT, 0x08, 0x3F, 255, b, sizeof b);
  CHECK_EQ(t, x.len, 52u);
  CHECK_EQ(t, b[3], 0u);
  CHECK(t, memcmp(b + 4, all + 12, 48) == 0, "pages without the descriptor");
  /* one page at a time */
  static const struct {
    uint8_t code;
    unsigned off, len;
  } pages[] = {{0x01, 12, 12}, {0x04, 24, 24}, {0x08, 48, 12}};
  for (unsigned i = 0; i < 3; i++) {
    x = mode_sense6(d, INIT, 0x08, pages[i].code, 255, b, sizeof b);
    CHECK_GOOD(t, x);
    CHECK_EQ(t, x.len, 4 + pages[i].len);
    CHECK(t, memcmp(b + 4, all + pages[i].off, pages[i].len) == 0, "page %02x", pages[i].code);
  }
  /* changeable values: only WCE and RCD of the caching page */
  x = mode_sense6(d, INIT, 0x08, 0x40 | 0x3F, 255, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 52u);
  for (unsigned i = 4; i < 52; i++) {
    unsigned want = 0;
    if (i == 4 || i == 16 || i == 40) want = b[i]; /* page codes */
    else if (i == 5) want = 0x0A;
    else if (i == 17) want = 0x16;
    else if (i == 41) want = 0x0A;
    else if (i == 42) want = 0x05;
    CHECK(t, b[i] == want, "changeable byte %u = %02x, want %02x", i, b[i], want);
  }
  /* default values equal the current ones until MODE SELECT; saved values: 05/39/00 */
  x = mode_sense6(d, INIT, 0, 0x80 | 0x3F, 255, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK(t, memcmp(b, all, sizeof all) == 0, "default == current");
  x = mode_sense6(d, INIT, 0, 0xC0 | 0x3F, 255, b, sizeof b);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_SAVING_NOT_SUPPORTED);
  /* MODE SENSE(10): 8-byte header, same descriptor and pages */
  uint8_t c[10] = {SCSI_OP_MODE_SENSE_10, 0, 0x3F, 0, 0, 0, 0, 0x10, 0x00, 0};
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 64u);
  CHECK_EQ(t, get16(b), 62u);
  CHECK_EQ(t, b[3], 0x10);
  CHECK_EQ(t, b[4], 0u);
  CHECK_EQ(t, get16(b + 6), 8u);
  CHECK(t, memcmp(b + 8, all + 4, 56) == 0, "MODE SENSE(10) body");
  c[7] = 0;
  c[8] = 3;
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.len, 3u);
  scsi_disk_destroy(d);

  /* more than 2^32 blocks: short descriptor says FFFFFFFFh, LLBAA gives the long one */
  quick_cfg(t, &cfg);
  cfg.capacity = (1ull << 32) + 7;
  d = ready_disk(t, &cfg);
  x = mode_sense6(d, INIT, 0, 0x08, 255, b, sizeof b);
  CHECK_EQ(t, get32(b + 4), 0xFFFFFFFFu);
  uint8_t c10[10] = {SCSI_OP_MODE_SENSE_10, 0x10, 0x08, 0, 0, 0, 0, 0, 255, 0};
  x = run(d, INIT, 0, c10, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, b[4], 1u); /* LONGLBA */
  CHECK_EQ(t, get16(b + 6), 16u);
  CHECK_EQ(t, get64(b + 8), cfg.capacity);
  CHECK_EQ(t, get32(b + 20), 512u);
  CHECK_EQ(t, b[24], 0x08);
  CHECK_EQ(t, x.len, 8u + 16u + 12u);
  scsi_disk_destroy(d);
}

/* MODE SELECT(6) parameter list: 4-byte header, optional descriptor, pages. */
static xfer_t mode_select6(scsi_disk_t *d, unsigned init, const uint8_t *list, uint8_t len,
                           uint32_t send) {
  uint8_t c[6];
  cdb6(c, SCSI_OP_MODE_SELECT_6, 0x10, 0, 0, len);
  return run(d, init, 0, c, list, send, NULL, 0);
}

static void mode_select_changes_caching_page(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t b[300], cur8[12], cur4[24];
  mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  memcpy(cur8, b + 4, 12);
  mode_sense6(d, INIT, 0x08, 0x04, 255, b, sizeof b);
  memcpy(cur4, b + 4, 24);

  /* WCE on, with a block descriptor that matches */
  uint8_t l[64];
  memset(l, 0, sizeof l);
  l[3] = 8;
  put32(l + 4, 65536);
  l[9] = 0x00, l[10] = 0x02, l[11] = 0x00; /* block length 512 */
  memcpy(l + 12, cur8, 12);
  l[14] |= 0x04;
  CHECK_GOOD(t, mode_select6(d, INIT, l, 24, 24));
  xfer_t x = mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  CHECK_EQ(t, b[6], 0x04);
  /* the default values did not change */
  mode_sense6(d, INIT, 0x08, 0x80 | 0x08, 255, b, sizeof b);
  CHECK_EQ(t, b[6], 0x00);
  /* another initiator learns of it by unit attention 06/2A/01, the issuer does not */
  uint8_t tur[6] = {0};
  CHECK_SENSE(t, d, 3, 0, run_nodata(d, 3, 0, tur), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_MODE_PARAMS_CHANGED);
  CHECK_GOOD(t, run_nodata(d, 3, 0, tur));
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  /* setting the same value again is no change: no new unit attention */
  CHECK_GOOD(t, mode_select6(d, INIT, l, 24, 24));
  CHECK_GOOD(t, run_nodata(d, 3, 0, tur));
  cur8[2] |= 0x04;

  /* refused lists, each leaving the parameters unchanged (05/26/00 or 05/1A/00) */
  struct {
    const char *what;
    uint8_t list[40];
    uint8_t len;
    uint16_t asc;
  } bad[] = {
      {"block length 1024", {0, 0, 0, 8, 0, 1, 0, 0, 0, 0, 4, 0}, 12,
       SCSI_ASC_INVALID_FIELD_IN_PARAM},
      {"wrong block count", {0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 2, 0}, 12,
       SCSI_ASC_INVALID_FIELD_IN_PARAM},
      {"descriptor length 4", {0, 0, 0, 4, 0, 0, 0, 0}, 8, SCSI_ASC_INVALID_FIELD_IN_PARAM},
      {"mode data length set", {11, 0, 0, 0}, 4, SCSI_ASC_INVALID_FIELD_IN_PARAM},
      {"medium type set", {0, 1, 0, 0}, 4, SCSI_ASC_INVALID_FIELD_IN_PARAM},
      {"unknown page 02h", {0, 0, 0, 0, 0x02, 0x0E}, 20, SCSI_ASC_INVALID_FIELD_IN_PARAM},
      {"list shorter than the header", {0, 0}, 2, SCSI_ASC_PARAM_LIST_LENGTH_ERROR},
      {"descriptor cut short", {0, 0, 0, 8, 0, 0}, 6, SCSI_ASC_PARAM_LIST_LENGTH_ERROR},
      {"page header cut short", {0, 0, 0, 0, 0x08}, 5, SCSI_ASC_PARAM_LIST_LENGTH_ERROR},
  };
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    x = mode_select6(d, INIT, bad[i].list, bad[i].len, bad[i].len);
    CHECK(t, x.status == SCSI_STATUS_CHECK_CONDITION, "%s: status %02x", bad[i].what, x.status);
    CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ILLEGAL_REQUEST, bad[i].asc);
  }
  uint8_t pl[40];
  /* a non-changeable byte of the caching page differs */
  memset(pl, 0, sizeof pl);
  memcpy(pl + 4, cur8, 12);
  pl[4 + 5] ^= 0x01;
  CHECK_SENSE(t, d, INIT, 0, mode_select6(d, INIT, pl, 16, 16), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_PARAM);
  /* a non-changeable bit in the same byte as WCE (MF, bit 1) */
  memcpy(pl + 4, cur8, 12);
  pl[4 + 2] = 0x02;
  CHECK_SENSE(t, d, INIT, 0, mode_select6(d, INIT, pl, 16, 16), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_PARAM);
  /* the page length is not the page's */
  memcpy(pl + 4, cur8, 12);
  pl[5] = 0x12;
  CHECK_SENSE(t, d, INIT, 0, mode_select6(d, INIT, pl, 16, 16), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_PARAM);
  /* the PS bit is reserved in MODE SELECT */
  memcpy(pl + 4, cur8, 12);
  pl[4] |= 0x80;
  CHECK_SENSE(t, d, INIT, 0, mode_select6(d, INIT, pl, 16, 16), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_PARAM);
  /* a page cut short */
  memcpy(pl + 4, cur8, 12);
  CHECK_SENSE(t, d, INIT, 0, mode_select6(d, INIT, pl, 10, 10), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_PARAM_LIST_LENGTH_ERROR);
  /* geometry page with a changed head count; a valid caching page before it is not applied */
  memset(pl, 0, sizeof pl);
  memcpy(pl + 4, cur8, 12);
  pl[4 + 2] = 0x01; /* RCD: changeable */
  memcpy(pl + 16, cur4, 24);
  pl[16 + 5] = 4;
  CHECK_SENSE(t, d, INIT, 0, mode_select6(d, INIT, pl, 40, 40), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_PARAM);
  mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  CHECK(t, memcmp(b + 4, cur8, 12) == 0, "caching page unchanged by refused lists");
  /* both pages, geometry unchanged: accepted, RCD set and WCE cleared */
  pl[16 + 5] = cur4[5];
  CHECK_GOOD(t, mode_select6(d, INIT, pl, 40, 40));
  mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  CHECK_EQ(t, b[6], 0x01);
  /* a zero-length list is no data and GOOD */
  x = mode_select6(d, INIT, pl, 0, 0);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  /* MODE SELECT(10): 8-byte header */
  memset(pl, 0, sizeof pl);
  memcpy(pl + 8, cur8, 12);
  pl[8 + 2] = 0x04;
  uint8_t c10[10] = {SCSI_OP_MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, 20, 0};
  x = run(d, INIT, 0, c10, pl, 20, NULL, 0);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 20u);
  mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  CHECK_EQ(t, b[6], 0x04);
  /* the data phase ended early: nothing is applied, 0B/4B/00 */
  pl[8 + 2] = 0x00;
  x = run(d, INIT, 0, c10, pl, 15, NULL, 0);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ABORTED_COMMAND, SCSI_ASC_DATA_PHASE_ERROR);
  mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  CHECK_EQ(t, b[6], 0x04);
  /* a reset restores the defaults */
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BUS), 0);
  clear_ua(t, d);
  mode_sense6(d, INIT, 0x08, 0x08, 255, b, sizeof b);
  CHECK_EQ(t, b[6], 0x00);
  scsi_disk_destroy(d);
}

static void report_luns(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.lun_count = 3;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t c[12] = {SCSI_OP_REPORT_LUNS}, b[128];
  put32(c + 6, sizeof b);
  memset(b, 0xEE, sizeof b);
  xfer_t x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 32u);
  CHECK_EQ(t, get32(b), 24u);
  CHECK_EQ(t, get32(b + 4), 0u);
  for (unsigned i = 0; i < 3; i++) {
    CHECK_EQ(t, get64(b + 8 + 8 * i), (uint64_t)i << 48);
  }
  /* truncated: the list length still counts every LUN */
  put32(c + 6, 16);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 16u);
  CHECK_EQ(t, get32(b), 24u);
  /* select report 2 (all) is the same list, 1 (well-known LUNs) is empty */
  put32(c + 6, sizeof b);
  c[2] = 2;
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.len, 32u);
  c[2] = 1;
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 8u);
  CHECK_EQ(t, get32(b), 0u);
  /* an allocation length under 16: 05/24/00 */
  c[2] = 0;
  put32(c + 6, 8);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_CDB);
  scsi_disk_destroy(d);
}

static void reservations_between_initiators(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t res[6] = {SCSI_OP_RESERVE_6}, rel[6] = {SCSI_OP_RELEASE_6}, tur[6] = {0};
  uint8_t inq[6], b[64], blk[512], s[18];
  cdb6(inq, SCSI_OP_INQUIRY, 0, 0, 0, 36);
  fill(t, 30, blk, sizeof blk);
  CHECK_GOOD(t, run_nodata(d, 7, 0, res));
  CHECK_GOOD(t, run_nodata(d, 7, 0, res)); /* again, by the holder: fine */
  CHECK_GOOD(t, run_nodata(d, 7, 0, tur));
  CHECK_GOOD(t, do_write(d, 0, SCSI_OP_WRITE_10, 9, 1, blk, 512)); /* INIT is 7 */
  /* initiator 6 is refused everything but INQUIRY, REQUEST SENSE and RELEASE */
  xfer_t x = run_nodata(d, 6, 0, tur);
  CHECK_EQ(t, x.status, SCSI_STATUS_RESERVATION_CONFLICT);
  uint8_t c[16];
  cdb_rw(c, SCSI_OP_READ_10, 9, 1);
  x = run(d, 6, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.status, SCSI_STATUS_RESERVATION_CONFLICT);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  cdb_rw(c, SCSI_OP_WRITE_10, 9, 1);
  uint8_t other[512];
  fill(t, 31, other, sizeof other);
  x = run(d, 6, 0, c, other, 512, NULL, 0);
  CHECK_EQ(t, x.status, SCSI_STATUS_RESERVATION_CONFLICT);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  uint8_t back[512];
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 9, 1, back), 0);
  CHECK(t, memcmp(back, blk, 512) == 0, "the refused write did not land");
  CHECK_EQ(t, run_nodata(d, 6, 0, res).status, SCSI_STATUS_RESERVATION_CONFLICT);
  uint8_t ms[6];
  cdb6(ms, SCSI_OP_MODE_SENSE_6, 0, 0x3F, 0, 255);
  CHECK_EQ(t, run_nodata(d, 6, 0, ms).status, SCSI_STATUS_RESERVATION_CONFLICT);
  x = run(d, 6, 0, inq, NULL, 0, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.len, 36u);
  req_sense(t, d, 6, 0, s); /* a conflict leaves no sense */
  CHECK_EQ(t, s[2], SCSI_SK_NO_SENSE);
  /* RELEASE by a non-holder: GOOD, no effect */
  CHECK_GOOD(t, run_nodata(d, 6, 0, rel));
  CHECK_EQ(t, run_nodata(d, 6, 0, tur).status, SCSI_STATUS_RESERVATION_CONFLICT);
  /* the holder releases: everyone may go on */
  CHECK_GOOD(t, run_nodata(d, 7, 0, rel));
  CHECK_GOOD(t, run_nodata(d, 6, 0, tur));
  CHECK_GOOD(t, run_nodata(d, 7, 0, rel)); /* releasing nothing is fine */
  /* and the other way round */
  CHECK_GOOD(t, run_nodata(d, 6, 0, res));
  CHECK_EQ(t, run_nodata(d, 7, 0, tur).status, SCSI_STATUS_RESERVATION_CONFLICT);
  CHECK_EQ(t, run_nodata(d, 5, 0, tur).status, SCSI_STATUS_RESERVATION_CONFLICT);
  /* a bus reset releases it */
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BUS), 0);
  CHECK_SENSE(t, d, 7, 0, run_nodata(d, 7, 0, tur), SCSI_SK_UNIT_ATTENTION, SCSI_ASC_BUS_RESET);
  CHECK_GOOD(t, run_nodata(d, 7, 0, tur));
  /* RESERVATION CONFLICT comes before a pending unit attention, which stays pending */
  CHECK_GOOD(t, run_nodata(d, 7, 0, res));
  CHECK_EQ(t, run_nodata(d, 6, 0, tur).status, SCSI_STATUS_RESERVATION_CONFLICT);
  CHECK_GOOD(t, run_nodata(d, 7, 0, rel));
  CHECK_SENSE(t, d, 6, 0, run_nodata(d, 6, 0, tur), SCSI_SK_UNIT_ATTENTION, SCSI_ASC_BUS_RESET);
  /* BDR releases too */
  CHECK_GOOD(t, run_nodata(d, 7, 0, res));
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BDR), 0);
  clear_ua(t, d);
  CHECK_GOOD(t, run_nodata(d, 6, 0, tur));
  /* reservations are per LUN */
  scsi_disk_destroy(d);
  cfg.lun_count = 2;
  d = ready_disk(t, &cfg);
  CHECK_GOOD(t, run_nodata(d, 7, 0, res));
  CHECK_GOOD(t, run_nodata(d, 6, 1, tur));
  CHECK_EQ(t, run_nodata(d, 6, 0, tur).status, SCSI_STATUS_RESERVATION_CONFLICT);
  scsi_disk_destroy(d);
}

static void start_stop_and_not_ready(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.timing.spin_up_ns = 3000000000ull;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t stop[6], start[6], tur[6] = {0}, b[512], c[16];
  cdb6(stop, SCSI_OP_START_STOP_UNIT, 0, 0, 0, 0);
  cdb6(start, SCSI_OP_START_STOP_UNIT, 0, 0, 0, 1);
  xfer_t x = run_nodata(d, INIT, 0, start);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.service_ns, 0u); /* already spinning */
  CHECK_GOOD(t, run_nodata(d, INIT, 0, stop));
  /* medium commands: 02/04/02 until started */
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, tur), SCSI_SK_NOT_READY,
              SCSI_ASC_NOT_READY_INIT_REQUIRED);
  cdb_rw(c, SCSI_OP_READ_10, 0, 1);
  x = run(d, INIT, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_NOT_READY, SCSI_ASC_NOT_READY_INIT_REQUIRED);
  cdb_rw(c, SCSI_OP_WRITE_16, 0, 1);
  x = run(d, INIT, 0, c, b, sizeof b, NULL, 0);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_NOT_READY, SCSI_ASC_NOT_READY_INIT_REQUIRED);
  uint8_t rc[10] = {SCSI_OP_READ_CAPACITY_10}, sc[10] = {SCSI_OP_SYNCHRONIZE_CACHE_10};
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, rc), SCSI_SK_NOT_READY,
              SCSI_ASC_NOT_READY_INIT_REQUIRED);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, sc), SCSI_SK_NOT_READY,
              SCSI_ASC_NOT_READY_INIT_REQUIRED);
  cdb_rw(c, SCSI_OP_VERIFY_10, 0, 1);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_NOT_READY,
              SCSI_ASC_NOT_READY_INIT_REQUIRED);
  /* the stopped unit still answers INQUIRY and MODE SENSE */
  uint8_t inq[6], ms[6];
  cdb6(inq, SCSI_OP_INQUIRY, 0, 0, 0, 36);
  cdb6(ms, SCSI_OP_MODE_SENSE_6, 0, 0x3F, 0, 255);
  CHECK_GOOD(t, run(d, INIT, 0, inq, NULL, 0, b, sizeof b));
  CHECK_GOOD(t, run(d, INIT, 0, ms, NULL, 0, b, sizeof b));
  /* starting it costs the spin-up time, then it is ready */
  x = run_nodata(d, INIT, 0, start);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.service_ns, cfg.timing.spin_up_ns);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  /* IMMED: status at once */
  CHECK_GOOD(t, run_nodata(d, INIT, 0, stop));
  cdb6(start, SCSI_OP_START_STOP_UNIT, 1, 0, 0, 1);
  x = run_nodata(d, INIT, 0, start);
  CHECK_GOOD(t, x);
  CHECK_EQ(t, x.service_ns, 0u);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  /* not-ready fault: the next 2 medium commands get 02/04/00; INQUIRY does not count */
  REQUIRE_EQ(t, scsi_disk_fault_not_ready(d, 0, 2), 0);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, tur), SCSI_SK_NOT_READY, SCSI_ASC_NOT_READY);
  CHECK_GOOD(t, run(d, INIT, 0, inq, NULL, 0, b, sizeof b));
  cdb_rw(c, SCSI_OP_READ_10, 0, 1);
  CHECK_SENSE(t, d, INIT, 0, run(d, INIT, 0, c, NULL, 0, b, sizeof b), SCSI_SK_NOT_READY,
              SCSI_ASC_NOT_READY);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  REQUIRE_EQ(t, scsi_disk_fault_not_ready(d, 0, 5), 0);
  scsi_disk_fault_clear(d);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  /* a power-on reset leaves the unit spinning; a bus reset keeps it stopped */
  CHECK_GOOD(t, run_nodata(d, INIT, 0, stop));
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_BUS), 0);
  clear_ua(t, d);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, tur), SCSI_SK_NOT_READY,
              SCSI_ASC_NOT_READY_INIT_REQUIRED);
  REQUIRE_EQ(t, scsi_disk_reset(d, SCSI_RESET_POWER), 0);
  clear_ua(t, d);
  CHECK_GOOD(t, run_nodata(d, INIT, 0, tur));
  scsi_disk_destroy(d);
}

static void medium_error_on_read(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 1000;
  scsi_disk_t *d = ready_disk(t, &cfg);
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 40);
  uint64_t bad = 100 + prng_below(&p, 800), nbad = 1 + prng_below(&p, 5);
  uint8_t *img = malloc(1000 * 512), b[40 * 512];
  REQUIRE(t, img != NULL, "malloc");
  prng_fill(&p, img, 1000 * 512);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, 0, 1000, img), 0);
  REQUIRE_EQ(t, scsi_disk_fault_medium(d, 0, bad, nbad, SCSI_DISK_FAULT_READ), 0);
  test_log(t, "bad blocks %llu..%llu", (unsigned long long)bad,
           (unsigned long long)(bad + nbad - 1));
  /* a read that reaches the bad block transfers the good blocks before it, then reports
   * 03/11/00 with VALID and the first bad LBA */
  memset(b, 0xEE, sizeof b);
  xfer_t x = do_read(d, 0, SCSI_OP_READ_10, bad - 10, 20, b, sizeof b);
  CHECK_EQ(t, x.status, SCSI_STATUS_CHECK_CONDITION);
  CHECK_EQ(t, x.dir, SCSI_DIR_IN);
  CHECK_EQ(t, x.len, 10u * 512u);
  CHECK(t, memcmp(b, img + (bad - 10) * 512, 10 * 512) == 0, "good blocks before the error");
  uint8_t s[18];
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[0], 0xF0);
  CHECK_EQ(t, s[2], SCSI_SK_MEDIUM_ERROR);
  CHECK_EQ(t, s[12], 0x11);
  CHECK_EQ(t, s[13], 0x00);
  CHECK_EQ(t, get32(s + 3), bad);
  /* starting on the bad block: no data at all */
  x = do_read(d, 0, SCSI_OP_READ_16, bad + nbad - 1, 3, b, sizeof b);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  CHECK_EQ(t, x.status, SCSI_STATUS_CHECK_CONDITION);
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, get32(s + 3), bad + nbad - 1);
  /* around it: GOOD and the right bytes */
  x = do_read(d, 0, SCSI_OP_READ_10, bad - 30, 30, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK(t, memcmp(b, img + (bad - 30) * 512, 30 * 512) == 0, "before");
  x = do_read(d, 0, SCSI_OP_READ_10, bad + nbad, 10, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK(t, memcmp(b, img + (bad + nbad) * 512, 10 * 512) == 0, "after");
  /* a read-only fault: writing the block works, reading it still fails */
  CHECK_GOOD(t, do_write(d, 0, SCSI_OP_WRITE_10, bad, 1, img, 512));
  CHECK_EQ(t, do_read(d, 0, SCSI_OP_READ_10, bad, 1, b, sizeof b).status,
           SCSI_STATUS_CHECK_CONDITION);
  scsi_disk_fault_clear(d);
  x = do_read(d, 0, SCSI_OP_READ_10, bad, 1, b, sizeof b);
  CHECK_GOOD(t, x);
  CHECK(t, memcmp(b, img, 512) == 0, "the rewritten block after the fault is cleared");
  free(img);
  scsi_disk_destroy(d);
  /* above 2^32 the fixed-format information field cannot hold the LBA: VALID stays 0 */
  quick_cfg(t, &cfg);
  cfg.capacity = 1ull << 33;
  d = ready_disk(t, &cfg);
  uint64_t hi = (1ull << 32) + 5;
  REQUIRE_EQ(t, scsi_disk_fault_medium(d, 0, hi, 1, SCSI_DISK_FAULT_READ), 0);
  x = do_read(d, 0, SCSI_OP_READ_16, hi, 1, b, sizeof b);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
  do_read(d, 0, SCSI_OP_READ_16, hi, 1, b, sizeof b);
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[0], 0x70);
  scsi_disk_destroy(d);
}

static void write_fault(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 300;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t buf[20 * 512], back[20 * 512];
  static const uint8_t zero[20 * 512];
  fill(t, 50, buf, sizeof buf);
  REQUIRE_EQ(t, scsi_disk_fault_medium(d, 0, 107, 2, SCSI_DISK_FAULT_WRITE), 0);
  xfer_t x = do_write(d, 0, SCSI_OP_WRITE_10, 100, 20, buf, sizeof buf);
  CHECK_EQ(t, x.status, SCSI_STATUS_CHECK_CONDITION);
  uint8_t s[18];
  req_sense(t, d, INIT, 0, s);
  CHECK_EQ(t, s[0], 0xF0);
  CHECK_EQ(t, s[2], SCSI_SK_MEDIUM_ERROR);
  CHECK_EQ(t, s[12], 0x03);
  CHECK_EQ(t, s[13], 0x00);
  CHECK_EQ(t, get32(s + 3), 107u);
  /* blocks before the fault were written, the rest were not */
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 100, 20, back), 0);
  CHECK(t, memcmp(back, buf, 7 * 512) == 0, "written before the fault");
  CHECK(t, memcmp(back + 7 * 512, zero, 13 * 512) == 0, "nothing from the fault on");
  /* reading the write-fault blocks is fine */
  CHECK_GOOD(t, do_read(d, 0, SCSI_OP_READ_10, 100, 20, back, sizeof back));
  /* both kinds at once */
  REQUIRE_EQ(t, scsi_disk_fault_medium(d, 0, 200, 1, SCSI_DISK_FAULT_READ | SCSI_DISK_FAULT_WRITE),
             0);
  CHECK_EQ(t, do_write(d, 0, SCSI_OP_WRITE_10, 200, 1, buf, 512).status,
           SCSI_STATUS_CHECK_CONDITION);
  CHECK_EQ(t, do_read(d, 0, SCSI_OP_READ_10, 200, 1, back, 512).status,
           SCSI_STATUS_CHECK_CONDITION);
  scsi_disk_destroy(d);
}

static void busy_for_n_commands(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = mkdisk(t, &cfg); /* unit attention pending: BUSY comes first */
  uint8_t tur[6] = {0}, inq[6], b[64], c[16];
  cdb6(inq, SCSI_OP_INQUIRY, 0, 0, 0, 36);
  cdb_rw(c, SCSI_OP_READ_10, 0, 1);
  REQUIRE_EQ(t, scsi_disk_fault_busy(d, 3), 0);
  xfer_t x = run_nodata(d, 7, 0, tur);
  CHECK_EQ(t, x.status, SCSI_STATUS_BUSY);
  x = run(d, 6, 0, inq, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.status, SCSI_STATUS_BUSY);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  x = run(d, 7, 0, c, NULL, 0, b, sizeof b);
  CHECK_EQ(t, x.status, SCSI_STATUS_BUSY);
  CHECK_EQ(t, x.dir, SCSI_DIR_NONE);
  /* then the unit attention, still pending, then normal service */
  CHECK_SENSE(t, d, 7, 0, run_nodata(d, 7, 0, tur), SCSI_SK_UNIT_ATTENTION,
              SCSI_ASC_POWER_ON_RESET);
  CHECK_GOOD(t, run_nodata(d, 7, 0, tur));
  REQUIRE_EQ(t, scsi_disk_fault_busy(d, 1), 0);
  CHECK_EQ(t, run_nodata(d, 7, 0, tur).status, SCSI_STATUS_BUSY);
  CHECK_GOOD(t, run_nodata(d, 7, 0, tur));
  REQUIRE_EQ(t, scsi_disk_fault_busy(d, 10), 0);
  scsi_disk_fault_clear(d);
  CHECK_GOOD(t, run_nodata(d, 7, 0, tur));
  scsi_disk_destroy(d);
}

static void short_data_out_writes_nothing(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t buf[4 * 512], back[4 * 512];
  static const uint8_t zero[4 * 512];
  fill(t, 60, buf, sizeof buf);
  uint8_t c[16];
  cdb_rw(c, SCSI_OP_WRITE_10, 20, 4);
  xfer_t x = run(d, INIT, 0, c, buf, 3 * 512 + 100, NULL, 0);
  CHECK_EQ(t, x.len, 4u * 512u);
  CHECK_SENSE(t, d, INIT, 0, x, SCSI_SK_ABORTED_COMMAND, SCSI_ASC_DATA_PHASE_ERROR);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 20, 4, back), 0);
  CHECK(t, memcmp(back, zero, sizeof zero) == 0, "nothing written");
  /* an OUT task freed without finish_out (e.g. the bus was reset) writes nothing either */
  scsi_task_t tk;
  memset(&tk, 0, sizeof tk);
  memcpy(tk.cdb, c, 10);
  tk.cdb_len = 10;
  tk.initiator = INIT;
  REQUIRE_EQ(t, scsi_disk_begin(d, &tk), 0);
  REQUIRE_EQ(t, tk.dir, SCSI_DIR_OUT);
  memcpy(tk.data, buf, sizeof buf);
  scsi_disk_task_free(d, &tk);
  CHECK_EQ(t, scsi_disk_finish_out(d, &tk, 0), SCSI_DISK_E_STATE);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 20, 4, back), 0);
  CHECK(t, memcmp(back, zero, sizeof zero) == 0, "nothing written");
  scsi_disk_destroy(d);
}

static void synchronize_cache(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  quick_cfg(t, &cfg);
  cfg.capacity = 1000;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t c[10] = {SCSI_OP_SYNCHRONIZE_CACHE_10};
  CHECK_GOOD(t, run_nodata(d, INIT, 0, c)); /* everything */
  put32(c + 2, 990);
  put16(c + 7, 10);
  c[1] = 0x02; /* IMMED */
  CHECK_GOOD(t, run_nodata(d, INIT, 0, c));
  put16(c + 7, 11);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_LBA_OUT_OF_RANGE);
  put32(c + 2, 1000);
  put16(c + 7, 0);
  CHECK_SENSE(t, d, INIT, 0, run_nodata(d, INIT, 0, c), SCSI_SK_ILLEGAL_REQUEST,
              SCSI_ASC_LBA_OUT_OF_RANGE);
  scsi_disk_destroy(d);
}

static void service_time_model(test_ctx_t *t) {
  scsi_disk_config_t cfg;
  scsi_disk_config_default(&cfg);
  cfg.capacity = 504 * 100; /* 100 cylinders of 8 x 63 blocks */
  cfg.timing.command_overhead_ns = 1000;
  cfg.timing.track_to_track_ns = 1000000;
  cfg.timing.full_stroke_ns = 20000000;
  cfg.timing.rpm = 6000; /* 10 ms per revolution: 5 ms average latency */
  cfg.timing.rotation = SCSI_DISK_ROT_AVERAGE;
  cfg.timing.media_bytes_per_s = 10000000;
  scsi_disk_t *d = ready_disk(t, &cfg);
  uint8_t tur[6] = {0}, b[16 * 512];
  CHECK_EQ(t, run_nodata(d, INIT, 0, tur).service_ns, 1000u);
  /* head at cylinder 0: no seek */
  xfer_t x = do_read(d, 0, SCSI_OP_READ_10, 0, 8, b, sizeof b);
  CHECK_EQ(t, x.service_ns, 1000u + 5000000u + 8u * 512u * 100u);
  /* one cylinder: track-to-track */
  x = do_read(d, 0, SCSI_OP_READ_10, 504, 1, b, sizeof b);
  CHECK_EQ(t, x.service_ns, 1000u + 1000000u + 5000000u + 51200u);
  /* cylinder 1 -> 99: linear between track-to-track and full stroke */
  x = do_write(d, 0, SCSI_OP_WRITE_10, 504 * 99, 2, b, 1024);
  CHECK_EQ(t, x.service_ns, 1000u + 1000000u + 19000000ull * 97 / 98 + 5000000u + 102400u);
  /* back to 0: the full stroke */
  x = do_read(d, 0, SCSI_OP_READ_10, 3, 1, b, sizeof b);
  CHECK_EQ(t, x.service_ns, 1000u + 20000000u + 5000000u + 51200u);
  /* a read ending in the next cylinder leaves the head there */
  x = do_read(d, 0, SCSI_OP_READ_10, 500, 8, b, sizeof b);
  CHECK_EQ(t, x.service_ns, 1000u + 5000000u + 409600u);
  x = do_read(d, 0, SCSI_OP_READ_10, 600, 1, b, sizeof b);
  CHECK_EQ(t, x.service_ns, 1000u + 5000000u + 51200u);
  /* no blocks, or a refused command: overhead only */
  CHECK_EQ(t, do_read(d, 0, SCSI_OP_READ_10, 4000, 0, b, sizeof b).service_ns, 1000u);
  CHECK_EQ(t, do_read(d, 0, SCSI_OP_READ_10, 50400, 1, b, sizeof b).service_ns, 1000u);
  scsi_disk_destroy(d);

  /* seeded rotation: repeatable with the seed, always under one revolution */
  cfg.timing.rotation = SCSI_DISK_ROT_SEEDED;
  cfg.timing.track_to_track_ns = cfg.timing.full_stroke_ns = 0;
  cfg.timing.media_bytes_per_s = 0;
  cfg.timing.command_overhead_ns = 0;
  cfg.seed = test_seed(t);
  uint64_t lat[2][20];
  for (unsigned k = 0; k < 2; k++) {
    d = ready_disk(t, &cfg);
    for (unsigned i = 0; i < 20; i++) {
      x = do_read(d, 0, SCSI_OP_READ_10, i * 1000, 1, b, sizeof b);
      lat[k][i] = x.service_ns;
      CHECK(t, x.service_ns < 10000000u, "latency %llu", (unsigned long long)x.service_ns);
    }
    scsi_disk_destroy(d);
  }
  CHECK(t, memcmp(lat[0], lat[1], sizeof lat[0]) == 0, "same seed, same latencies");
  unsigned distinct = 0;
  for (unsigned i = 1; i < 20; i++) distinct += lat[0][i] != lat[0][0];
  CHECK(t, distinct > 0, "latencies vary");
  cfg.seed = test_seed(t) + 1;
  d = ready_disk(t, &cfg);
  unsigned same = 0;
  for (unsigned i = 0; i < 20; i++)
    same += do_read(d, 0, SCSI_OP_READ_10, i * 1000, 1, b, sizeof b).service_ns == lat[0][i];
  CHECK(t, same < 20, "another seed, other latencies");
  scsi_disk_destroy(d);
  /* the default timing is a real disk's: a read takes milliseconds */
  scsi_disk_config_default(&cfg);
  d = ready_disk(t, &cfg);
  x = do_read(d, 0, SCSI_OP_READ_10, 60000, 1, b, sizeof b);
  CHECK(t, x.service_ns > 5000000u && x.service_ns < 50000000u, "default read %llu ns",
        (unsigned long long)x.service_ns);
  scsi_disk_destroy(d);
  /* zero timing: zero */
  quick_cfg(t, &cfg);
  d = ready_disk(t, &cfg);
  CHECK_EQ(t, do_read(d, 0, SCSI_OP_READ_10, 60000, 16, b, sizeof b).service_ns, 0u);
  scsi_disk_destroy(d);
}

static const test_def_t scsi_disk_tests[] = {
    {"cdb_len_from_group_code", cdb_len_from_group_code, 0, 0,
     "scsi_cdb_len: group 0 -> 6, 1/2 -> 10, 4 -> 16, 5 -> 12, 3/6/7 -> 0"},
    {"bad_config_is_refused", bad_config_is_refused, 0, 0,
     "scsi_disk_create refuses every bad field with an error text and accepts the limits"},
    {"bad_task_arguments_are_refused", bad_task_arguments_are_refused, TEST_F_RANDOM, 0,
     "begin/finish_out/reset/peek/poke/faults refuse bad arguments and stale tasks"},
    {"power_on_unit_attention_once_per_initiator", power_on_unit_attention_once_per_initiator, 0,
     0, "06/29/00 once per initiator and LUN; INQUIRY served before it, REQUEST SENSE clears it"},
    {"resets_raise_unit_attention", resets_raise_unit_attention, 0, 0,
     "bus reset 06/29/02, BDR 06/29/04, power 06/29/00, each once per initiator"},
    {"request_sense_returns_clears_and_truncates", request_sense_returns_clears_and_truncates, 0,
     0, "fixed 18-byte sense, returned once, truncated to the allocation length, per initiator"},
    {"invalid_opcodes_are_refused", invalid_opcodes_are_refused, 0, 0,
     "unsupported operation codes of every group end in 05/20/00"},
    {"reserved_cdb_fields_are_refused", reserved_cdb_fields_are_refused, 0, 0,
     "reserved bits, link/flag, bad pages and bad allocation lengths end in 05/24/00"},
    {"inquiry_standard_data", inquiry_standard_data, 0, 0,
     "standard INQUIRY data, space-padded strings, truncation"},
    {"inquiry_vpd_pages", inquiry_vpd_pages, 0, 0,
     "VPD pages 00h, 80h (serial) and 83h (T10 vendor and NAA designators)"},
    {"unsupported_lun", unsupported_lun, 0, 0,
     "LUN >= lun_count: INQUIRY 7Fh with GOOD, other commands 05/25/00"},
    {"read_capacity", read_capacity, 0, 0,
     "READ CAPACITY(10) (FFFFFFFFh above 2^32 blocks), (16), PMI, truncation"},
    {"read_write_memory_512", read_write_memory_512, TEST_F_RANDOM, 0,
     "seeded writes and reads of every CDB size on 512-byte blocks match a shadow copy"},
    {"read_write_memory_4096", read_write_memory_4096, TEST_F_RANDOM, 0,
     "seeded writes and reads of every CDB size on 4096-byte blocks match a shadow copy"},
    {"rw6_length_zero_means_256", rw6_length_zero_means_256, TEST_F_RANDOM, 0,
     "READ/WRITE(6) with transfer length 0 move 256 blocks; 21-bit LBA"},
    {"lba_range_edges", lba_range_edges, 0, 0,
     "libiscsi-style LBA edges: 0 blocks at 0 GOOD; capacity, 2^31, FFFFFFFFh, crossing the "
     "end and 64-bit wrap are 05/21/00"},
    {"sparse_memory_at_high_lba", sparse_memory_at_high_lba, TEST_F_RANDOM, 0,
     "a 2^40-block memory disk keeps only written data; LUNs are separate media"},
    {"image_file_backing", image_file_backing, TEST_F_RANDOM, 0,
     "image writes reach the file at completion, a second disk reads them back, multi-LUN"},
    {"image_survives_abrupt_end", image_survives_abrupt_end, TEST_F_RANDOM, 0,
     "a process killed after its writes leaves the image holding every completed write"},
    {"image_write_error_is_hardware_error", image_write_error_is_hardware_error, TEST_F_RANDOM,
     0, "a failing image write ends in 04/44/00 and SCSI_DISK_E_IO; the disk keeps working"},
    {"verify_command", verify_command, TEST_F_RANDOM, 0,
     "VERIFY(10) BYTCHK 0 and 1, miscompare 0E/1D/00 with the LBA, medium errors"},
    {"mode_sense_pages", mode_sense_pages, 0, 0,
     "MODE SENSE(6)/(10): pages 01h 04h 08h 3Fh, DBD, LLBAA, page control, truncation"},
    {"mode_select_changes_caching_page", mode_select_changes_caching_page, 0, 0,
     "MODE SELECT(6)/(10) change WCE/RCD only; bad lists 05/26/00 or 05/1A/00; UA 2A/01"},
    {"report_luns", report_luns, 0, 0, "REPORT LUNS lists the LUNs, truncates, refuses < 16"},
    {"reservations_between_initiators", reservations_between_initiators, TEST_F_RANDOM, 0,
     "RESERVE/RELEASE(6): conflict for others except INQUIRY/REQUEST SENSE/RELEASE; resets"},
    {"start_stop_and_not_ready", start_stop_and_not_ready, 0, 0,
     "a stopped unit reports 02/04/02 until started; not-ready fault 02/04/00; spin-up time"},
    {"medium_error_on_read", medium_error_on_read, TEST_F_RANDOM, 0,
     "03/11/00 with the first bad LBA after the good blocks; VALID 0 above 2^32"},
    {"write_fault", write_fault, TEST_F_RANDOM, 0,
     "03/03/00 with the first bad LBA; blocks before it written, none after"},
    {"busy_for_n_commands", busy_for_n_commands, 0, 0,
     "BUSY for the next N commands, before a pending unit attention"},
    {"short_data_out_writes_nothing", short_data_out_writes_nothing, TEST_F_RANDOM, 0,
     "a DATA OUT ended early gives 0B/4B/00 and writes nothing"},
    {"synchronize_cache", synchronize_cache, 0, 0, "SYNCHRONIZE CACHE(10) and its LBA range"},
    {"service_time_model", service_time_model, TEST_F_RANDOM, 0,
     "service_ns = overhead + linear seek + rotation + media transfer; seeded rotation repeats"},
};
TEST_SUITE(scsi_disk);
