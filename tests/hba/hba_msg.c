/* HBA register-level message tests (docs/hba/programmers_guide.md section 5): COMMAND.ABORT and
 * COMMAND.BDR while a command is connected (in the middle of DATA IN / DATA OUT, both movers),
 * while it is disconnected (the HBA selecting the target first, or the target reselecting
 * first), while the HBA is idle, and where they are REJECTED; then 64-bit LBAs over the bus
 * (READ/WRITE(16), READ CAPACITY(16) and (10), the end of the medium, the 32-bit LBA field of
 * READ(10)) on a sparse disk of more than 2^32 blocks; and the bus-master error qualifiers when
 * the error comes after the last data byte (programmers_guide.md section 4, DMA_ERR and SG_ERR
 * with UNDERRUN). Every test checks the ending (INT_STATUS,
 * END, SCSI_STATUS, XFERRED, RESIDUAL, EXTRA), the bytes (memory and medium), the target's
 * statistics, and that a following command on the same target works. */
#include "hba_err_util.h"
#include "hba_xfer_util.h"

#define MSG_ID 2u           /* the target under test */
#define MSG_BLOCKS 32u      /* the command aborted while connected: 16 KiB */
#define MSG_DISC_EVERY 1024u
#define ST_PHASE_WAIT 7u    /* END.STATE: bus free seen while waiting for REQ */

/* ---- waiting on the target ----------------------------------------------------------------- */

enum { TW_IN, TW_OUT, TW_DISC_FREE, TW_ARB };

typedef struct tgt_wait {
  scsi_target_t *tg;
  int kind;
  uint64_t n;
} tgt_wait_t;

static int tgt_reached(sim_t *s, void *ctx) {
  const tgt_wait_t *w = ctx;
  scsi_target_stats_t st;
  scsi_target_stats(w->tg, &st);
  uint32_t bus = scsi_bus_resolved(sim_scsi_bus(s));
  switch (w->kind) {
    case TW_IN: return st.data_in_bytes >= w->n;
    case TW_OUT: return st.data_out_bytes >= w->n;
    case TW_DISC_FREE: return st.disconnects >= w->n && !(bus & (SCSI_BSY | SCSI_SEL));
    default: return strcmp(scsi_target_state_name(w->tg), "arbitration") == 0;
  }
}

static void wait_tgt(test_ctx_t *t, hba_rig_t *r, int kind, uint64_t n) {
  tgt_wait_t w = {.tg = r->tgt[MSG_ID], .kind = kind, .n = n};
  REQUIRE_OK(t, sim_wait_until(r->s, tgt_reached, &w, HE_BOUND));
}

/* The MESSAGE OUT bytes on the bus (the data lines when ACK rises in MESSAGE OUT: the bytes the
 * target receives), recorded every cycle until the HBA's interrupt. */
#define MO_MAX 16u
typedef struct msg_out_log {
  uint8_t b[MO_MAX];
  unsigned n;
  int ack;       /* ACK at the last cycle */
  int overflow;
} msg_out_log_t;

static int msg_out_watch(sim_t *s, void *ctx) {
  msg_out_log_t *l = ctx;
  uint32_t bus = scsi_bus_resolved(sim_scsi_bus(s));
  int ack = (bus & SCSI_ACK) != 0;
  if (ack && !l->ack && (bus & SCSI_PHASE_LINES) == (SCSI_MSG | SCSI_CD)) {
    if (l->n < MO_MAX) l->b[l->n++] = (uint8_t)(bus & SCSI_DB_MASK);
    else l->overflow = 1;
  }
  l->ack = ack;
  return sim_irq_line(s, HBA_IRQ_LINE);
}

static scsi_target_stats_t tgt_stats(hba_rig_t *r) {
  scsi_target_stats_t st;
  scsi_target_stats(r->tgt[MSG_ID], &st);
  return st;
}

/* ---- rig, buffers, commands ---------------------------------------------------------------- */

/* One disk at MSG_ID (4096 blocks, target config tc or the default, no medium timing unless
 * `timing`), the power-on unit attention consumed, blocks [0, blocks) holding seeded data
 * returned in *img (malloc'd). */
static scsi_disk_t *msg_rig(test_ctx_t *t, hba_rig_t *r, const scsi_target_config_t *tc,
                            const scsi_disk_timing_t *timing, uint32_t blocks, uint8_t **img) {
  hba_rig_init(t, r);
  scsi_disk_t *d = hx_add_disk(t, r, MSG_ID, 4096, tc, timing);
  he_clear_ua(t, r, MSG_ID);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x4D534700u);
  *img = malloc((size_t)blocks * 512u);
  REQUIRE(t, *img != NULL, "malloc");
  prng_fill(&g, *img, (size_t)blocks * 512u);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, 0, blocks, *img), 0);
  return d;
}

/* A buffer for either mover (bus master: a scattered list of odd elements at an odd offset)
 * holding src, or HE_FILL when src is NULL. */
static hx_buf_t msg_buf(test_ctx_t *t, hba_rig_t *r, prng_t *g, uint32_t len, int bm,
                        const uint8_t *src) {
  hx_buf_t b = bm ? hx_buf_bm(t, r, g, len, 1 + prng_below(g, 4095), HOSTMEM_PLACE_SCATTERED, 777,
                              0)
                  : hx_buf_sub(t, r, len);
  uint8_t *f = malloc(len);
  REQUIRE(t, f != NULL, "malloc");
  if (src) memcpy(f, src, len);
  else memset(f, HE_FILL, len);
  hx_buf_put(t, r, &b, f);
  free(f);
  return b;
}

/* READ(10)/WRITE(10) of `blocks` at `lba` of MSG_ID with the data in b, started, not waited for */
static void msg_start(test_ctx_t *t, hba_rig_t *r, int write, uint64_t lba, uint32_t blocks,
                      const hx_buf_t *b) {
  hba_cmd_t c;
  memset(&c, 0, sizeof c);
  c.id = MSG_ID;
  hx_rw_cdb(c.cdb, 10, write, lba, blocks);
  c.dir = write ? HBA_CMD_CFG_DIR_OUT : HBA_CMD_CFG_DIR_IN;
  c.len = b->len;
  if (b->bm) c.sg_list = b->list;
  else hx_program_dma(t, r, b->pa, b->len, !write, I8237_DEMAND);
  hba_start(t, r, &c);
}

/* the ending of an aborted command that moved `moved` of `len` bytes: ABORTED alone, no
 * STATUS phase */
static void check_aborted(test_ctx_t *t, const hba_result_t *res, uint32_t len, uint32_t moved) {
  CHECK_EQ(t, res->int_status, HBA_INT_STATUS_ABORTED_MASK);
  CHECK_EQ(t, he_reason(res), HBA_END_REASON_ABORTED);
  CHECK_EQ(t, (res->end & HBA_END_STATE_MASK) >> HBA_END_STATE_SHIFT, ST_PHASE_WAIT);
  CHECK_EQ(t, hba_status_byte(res), 0x100u);
  CHECK_EQ(t, res->xferred, moved);
  CHECK_EQ(t, res->residual, len - moved);
  CHECK_EQ(t, res->extra, 0);
}

/* memory of b: [0, moved) == img, the rest untouched; except that the 16-bit subordinate
 * channel moves words: after an odd count the drain's last word carries a 0x00 pad byte at
 * [moved] (programmers_guide.md 3.1), inside XFER_LEN */
static void check_read_mem(test_ctx_t *t, hba_rig_t *r, const hx_buf_t *b, const uint8_t *img,
                           uint32_t moved) {
  uint8_t *m = malloc(b->len);
  REQUIRE(t, m != NULL, "malloc");
  hx_buf_get(t, r, b, m);
  long dd = hx_diff(m, img, moved);
  CHECK(t, dd < 0, "the %u bytes read before the abort: memory differs at %ld", moved, dd);
  uint32_t from = moved;
  if (!b->bm && r->dma_chan >= 4 && (moved & 1u) && moved < b->len) {
    CHECK_EQ(t, m[moved], 0x00);
    from++;
  }
  uint32_t bad = 0;
  for (uint32_t i = from; i < b->len; i++) bad += m[i] != HE_FILL;
  CHECK(t, bad == 0, "%u bytes written past the %u the target sent", bad, moved);
  free(m);
}

/* the medium of MSG_ID blocks [0, blocks) still equals img */
static void check_medium(test_ctx_t *t, hba_rig_t *r, const uint8_t *img, uint32_t blocks,
                         const char *what) {
  uint8_t *m = malloc((size_t)blocks * 512u);
  REQUIRE(t, m != NULL, "malloc");
  REQUIRE_EQ(t, scsi_disk_peek(r->disk[MSG_ID], 0, 0, blocks, m), 0);
  long dd = hx_diff(m, img, (size_t)blocks * 512u);
  CHECK(t, dd < 0, "%s: medium differs at byte %ld", what, dd);
  free(m);
}

/* After an abort: the target is free with nothing outstanding, the blocks read back as img
 * (subordinate mover), and a WRITE + READ of new data through mover `bm` works. */
static void msg_good_after(test_ctx_t *t, hba_rig_t *r, prng_t *g, int bm, const uint8_t *img,
                           uint32_t blocks) {
  CHECK(t, strcmp(scsi_target_state_name(r->tgt[MSG_ID]), "free") == 0, "target state %s",
        scsi_target_state_name(r->tgt[MSG_ID]));
  he_good_read(t, r, MSG_ID, blocks, img);
  uint32_t len = 8 * 512u;
  uint8_t *src = malloc(len);
  REQUIRE(t, src != NULL, "malloc");
  prng_fill(g, src, len);
  hx_buf_t wb = msg_buf(t, r, g, len, bm, src);
  hx_write(t, r, MSG_ID, 10, 1000, 8, &wb, src, I8237_DEMAND);
  hx_buf_t rb = msg_buf(t, r, g, len, bm, NULL);
  hx_read(t, r, MSG_ID, 10, 1000, 8, &rb, src, I8237_DEMAND);
  free(src);
}

/* ---- 1 and 3: ABORT / BDR while connected -------------------------------------------------- */

/* A READ or WRITE(10) of MSG_BLOCKS through mover `bm`; after a seeded number of data bytes
 * COMMAND.ABORT (or BDR): ATN at once, the target stops after the byte in progress, takes the
 * message at MESSAGE OUT and goes bus free: ABORTED. */
static void msg_connected(test_ctx_t *t, int write, int bm, int bdr) {
  hba_rig_t r;
  uint8_t *img;
  msg_rig(t, &r, NULL, NULL, MSG_BLOCKS, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x41430000u | (unsigned)write << 2 | (unsigned)bm << 1 |
                                  (unsigned)bdr);
  uint32_t len = MSG_BLOCKS * 512u;
  uint8_t *src = NULL;
  if (write) {
    src = malloc(len);
    REQUIRE(t, src != NULL, "malloc");
    prng_fill(&g, src, len);
  }
  hx_buf_t b = msg_buf(t, &r, &g, len, bm, src);
  scsi_target_stats_t st0 = tgt_stats(&r);
  uint64_t base = write ? st0.data_out_bytes : st0.data_in_bytes;
  msg_start(t, &r, write, 0, MSG_BLOCKS, &b);
  uint32_t at = 1000 + (uint32_t)prng_below(&g, len - 2000);
  wait_tgt(t, &r, write ? TW_OUT : TW_IN, base + at);
  hba_wr(t, &r, HBA_COMMAND, bdr ? HBA_COMMAND_BDR_MASK : HBA_COMMAND_ABORT_MASK);
  scsi_target_stats_t st1 = tgt_stats(&r);
  uint32_t status = hba_rd(t, &r, HBA_STATUS);
  CHECK_EQ(t, status & (HBA_STATUS_BUSY_MASK | HBA_STATUS_CONNECTED_MASK | HBA_STATUS_ATN_MASK),
           HBA_STATUS_BUSY_MASK | HBA_STATUS_CONNECTED_MASK | HBA_STATUS_ATN_MASK);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  scsi_target_stats_t st2 = tgt_stats(&r);
  uint32_t moved = (uint32_t)((write ? st2.data_out_bytes : st2.data_in_bytes) - base);
  uint32_t at_write = (uint32_t)((write ? st1.data_out_bytes : st1.data_in_bytes) - base);
  /* ATN is honoured after the byte in progress when the register write landed */
  CHECK(t, moved >= at && moved <= at_write + 1, "the target moved %u bytes (%u at the write)",
        moved, at_write);
  check_aborted(t, &res, len, moved);
  CHECK_EQ(t, st2.aborts - st0.aborts, bdr ? 0u : 1u);
  CHECK_EQ(t, st2.bdrs - st0.bdrs, bdr ? 1u : 0u);
  CHECK_EQ(t, st2.commands - st0.commands, 1);
  CHECK_EQ(t, st2.completed, st0.completed); /* no STATUS, no COMMAND COMPLETE */
  CHECK_EQ(t, st2.selections - st0.selections, 1);
  if (write) {
    /* the mover fetched ahead into the FIFO: those bytes were flushed, never sent */
    CHECK(t, res.dma_count >= moved && res.dma_count <= moved + 66, "dma_count %u moved %u",
          res.dma_count, moved);
    check_medium(t, &r, img, MSG_BLOCKS, "an aborted WRITE writes nothing");
  } else {
    /* every byte the target sent before the abort reached memory (the FIFO is drained) */
    CHECK_EQ(t, res.dma_count, moved);
    check_read_mem(t, &r, &b, img, moved);
  }
  if (bdr) he_check_ua(t, &r, MSG_ID, 0x29, 0x04);
  msg_good_after(t, &r, &g, bm, img, MSG_BLOCKS);
  free(src);
  free(img);
  hba_rig_done(t, &r);
}

static void abort_read_subordinate(test_ctx_t *t) { msg_connected(t, 0, 0, 0); }
static void abort_read_bus_master(test_ctx_t *t) { msg_connected(t, 0, 1, 0); }
static void abort_write_subordinate(test_ctx_t *t) { msg_connected(t, 1, 0, 0); }
static void abort_write_bus_master(test_ctx_t *t) { msg_connected(t, 1, 1, 0); }
static void bdr_read_subordinate(test_ctx_t *t) { msg_connected(t, 0, 0, 1); }
static void bdr_write_bus_master(test_ctx_t *t) { msg_connected(t, 1, 1, 1); }

/* ---- 2 and 3: ABORT / BDR while disconnected ----------------------------------------------- */

/* A READ or WRITE(10) of 8 blocks to a target that disconnects after every 1024 data bytes.
 * (An ABORT without the IDENTIFY before it would name no nexus: the target would count the
 * message but keep the task and reselect later; "no reselection later" shows the IDENTIFY.)
 * While the command is disconnected after its first 1024 bytes, COMMAND.ABORT (or BDR):
 * resel_first 0: written at once, the HBA selects the target first (IDENTIFY + ABORT, or BDR
 * alone); resel_first 1: written once the target is arbitrating to reselect, the HBA answers
 * the reselection and sends ABORT (or BDR) alone on that connection: the reselection and the
 * target's IDENTIFY already name the nexus. The MESSAGE OUT bytes on the bus are checked
 * exactly. Either way ABORTED, the task is gone (no reselection later) and nothing more
 * moved. */
static void msg_disconnected(test_ctx_t *t, int write, int bm, int bdr, int resel_first) {
  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  tc.disconnect_every = MSG_DISC_EVERY;
  hba_rig_t r;
  uint8_t *img;
  const uint32_t blocks = 8, len = blocks * 512u;
  msg_rig(t, &r, &tc, NULL, blocks, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x44490000u | (unsigned)write << 3 | (unsigned)bm << 2 |
                                  (unsigned)bdr << 1 | (unsigned)resel_first);
  uint8_t *src = NULL;
  if (write) {
    src = malloc(len);
    REQUIRE(t, src != NULL, "malloc");
    prng_fill(&g, src, len);
  }
  hx_buf_t b = msg_buf(t, &r, &g, len, bm, src);
  scsi_target_stats_t st0 = tgt_stats(&r);
  uint64_t base = write ? st0.data_out_bytes : st0.data_in_bytes;
  msg_start(t, &r, write, 0, blocks, &b);
  wait_tgt(t, &r, TW_DISC_FREE, st0.disconnects + 1);
  if (resel_first) wait_tgt(t, &r, TW_ARB, 0);
  else sim_step(r.s, 8); /* the HBA sees the bus free */
  CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & (HBA_STATUS_BUSY_MASK | HBA_STATUS_DISCONNECTED_MASK),
           HBA_STATUS_BUSY_MASK | HBA_STATUS_DISCONNECTED_MASK);
  hba_wr(t, &r, HBA_COMMAND, bdr ? HBA_COMMAND_BDR_MASK : HBA_COMMAND_ABORT_MASK);
  msg_out_log_t mo;
  memset(&mo, 0, sizeof mo);
  REQUIRE_OK(t, sim_wait_until(r.s, msg_out_watch, &mo, HE_BOUND));
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  scsi_target_stats_t st2 = tgt_stats(&r);
  uint32_t moved = (uint32_t)((write ? st2.data_out_bytes : st2.data_in_bytes) - base);
  CHECK_EQ(t, moved, MSG_DISC_EVERY);
  /* the MESSAGE OUT bytes of the connection that carried the message: IDENTIFY (disconnect
   * privilege, LUN 0) before ABORT when the HBA selected the target; the message alone after
   * a reselection (the target's IDENTIFY established the nexus) and for BDR */
  uint8_t want[2];
  unsigned nwant = 0;
  if (!resel_first && !bdr) want[nwant++] = SCSI_MSG_IDENTIFY | SCSI_MSG_IDENTIFY_DISCPRIV;
  want[nwant++] = bdr ? SCSI_MSG_BUS_DEVICE_RESET : SCSI_MSG_ABORT;
  CHECK(t, !mo.overflow, "more than %u MESSAGE OUT bytes", MO_MAX);
  CHECK_EQ(t, mo.n, nwant);
  for (unsigned i = 0; i < nwant && i < mo.n; i++)
    CHECK(t, mo.b[i] == want[i], "MESSAGE OUT byte %u: 0x%02X, expected 0x%02X", i, mo.b[i],
          want[i]);
  check_aborted(t, &res, len, MSG_DISC_EVERY);
  CHECK_EQ(t, st2.aborts - st0.aborts, bdr ? 0u : 1u);
  CHECK_EQ(t, st2.bdrs - st0.bdrs, bdr ? 1u : 0u);
  CHECK_EQ(t, st2.disconnects - st0.disconnects, 1);
  CHECK_EQ(t, st2.completed, st0.completed);
  if (resel_first) {
    /* the target's reselection was answered; its IDENTIFY was the last message in */
    CHECK_EQ(t, st2.selections - st0.selections, 1);
    CHECK_EQ(t, st2.reselections - st0.reselections, 1);
    CHECK_EQ(t, res.msg_in, SCSI_MSG_IDENTIFY | 0u);
  } else {
    /* a second selection carried the message; nothing came in after DISCONNECT */
    CHECK_EQ(t, st2.selections - st0.selections, 2);
    CHECK_EQ(t, st2.reselections, st0.reselections);
    CHECK_EQ(t, res.msg_in, SCSI_MSG_DISCONNECT);
  }
  CHECK_EQ(t, st2.arb_lost, st0.arb_lost);
  if (write) {
    CHECK(t, res.dma_count >= moved && res.dma_count <= moved + 66, "dma_count %u",
          res.dma_count);
    check_medium(t, &r, img, blocks, "a WRITE aborted between its data connections");
  } else {
    CHECK_EQ(t, res.dma_count, moved);
    check_read_mem(t, &r, &b, img, moved);
  }
  /* the task is gone: 200 us (20 reselect delays) later the target has not come back */
  sim_step(r.s, 10000);
  scsi_target_stats_t st3 = tgt_stats(&r);
  CHECK_EQ(t, st3.reselections, st2.reselections);
  CHECK_EQ(t, st3.selections, st2.selections);
  CHECK_EQ(t, scsi_bus_resolved(sim_scsi_bus(r.s)) & (SCSI_BSY | SCSI_SEL), 0);
  CHECK_EQ(t, hba_rd(t, &r, HBA_INT_STATUS), 0);
  if (bdr) he_check_ua(t, &r, MSG_ID, 0x29, 0x04);
  msg_good_after(t, &r, &g, bm, img, blocks);
  free(src);
  free(img);
  hba_rig_done(t, &r);
}

static void abort_disc_sel_first_read(test_ctx_t *t) { msg_disconnected(t, 0, 0, 0, 0); }
static void abort_disc_sel_first_write(test_ctx_t *t) { msg_disconnected(t, 1, 1, 0, 0); }
static void abort_disc_resel_first_read(test_ctx_t *t) { msg_disconnected(t, 0, 1, 0, 1); }
static void abort_disc_resel_first_write(test_ctx_t *t) { msg_disconnected(t, 1, 0, 0, 1); }
static void bdr_disc_sel_first(test_ctx_t *t) { msg_disconnected(t, 0, 1, 1, 0); }
static void bdr_disc_resel_first(test_ctx_t *t) { msg_disconnected(t, 1, 0, 1, 1); }

/* A WRITE whose data all arrived: the disk performs the write when the data is in (before
 * its service time), the target disconnects for the service time, and ABORT then ends the
 * command without status: ABORTED, XFERRED = XFER_LEN, and the medium holds the new data (an
 * ABORT does not undo what the target already did). */
static void abort_disc_after_write_data(test_ctx_t *t) {
  scsi_disk_timing_t tm;
  memset(&tm, 0, sizeof tm);
  tm.command_overhead_ns = 2000000; /* 2 ms > disconnect_service_ns (100 us) */
  hba_rig_t r;
  uint8_t *img;
  const uint32_t blocks = 4, len = blocks * 512u;
  msg_rig(t, &r, NULL, &tm, blocks, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x44574400u);
  uint8_t *src = malloc(len);
  REQUIRE(t, src != NULL, "malloc");
  prng_fill(&g, src, len);
  hx_buf_t b = msg_buf(t, &r, &g, len, 0, src);
  scsi_target_stats_t st0 = tgt_stats(&r);
  msg_start(t, &r, 1, 0, blocks, &b);
  wait_tgt(t, &r, TW_DISC_FREE, st0.disconnects + 1);
  sim_step(r.s, 8);
  CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_DISCONNECTED_MASK,
           HBA_STATUS_DISCONNECTED_MASK);
  hba_wr(t, &r, HBA_COMMAND, HBA_COMMAND_ABORT_MASK);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  scsi_target_stats_t st2 = tgt_stats(&r);
  check_aborted(t, &res, len, len);
  CHECK_EQ(t, res.dma_count, len);
  CHECK_EQ(t, res.msg_in, SCSI_MSG_DISCONNECT);
  CHECK_EQ(t, st2.data_out_bytes - st0.data_out_bytes, len);
  CHECK_EQ(t, st2.aborts - st0.aborts, 1);
  CHECK_EQ(t, st2.selections - st0.selections, 2);
  CHECK_EQ(t, st2.completed, st0.completed);
  check_medium(t, &r, src, blocks, "the WRITE was performed before the abort");
  sim_step(r.s, 150000); /* 3 ms: past the service time, no reselection */
  scsi_target_stats_t st3 = tgt_stats(&r);
  CHECK_EQ(t, st3.reselections, st2.reselections);
  CHECK_EQ(t, hba_rd(t, &r, HBA_INT_STATUS), 0);
  msg_good_after(t, &r, &g, 0, src, blocks);
  free(src);
  free(img);
  hba_rig_done(t, &r);
}

/* ---- 2 and 3: ABORT / BDR while idle ------------------------------------------------------- */

/* ABORT or BDR as a command of its own to an idle target: selection with ATN, (IDENTIFY +)
 * the message, bus free: ABORTED, nothing transferred. After BDR the target reports 06/29/04;
 * after ABORT (no task to abort) the next command is GOOD at once. */
static void msg_idle(test_ctx_t *t, int bdr) {
  hba_rig_t r;
  uint8_t *img;
  msg_rig(t, &r, NULL, NULL, 4, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x49444C00u | (unsigned)bdr);
  scsi_target_stats_t st0 = tgt_stats(&r);
  hba_wr(t, &r, HBA_TARGET, MSG_ID);
  hba_wr(t, &r, HBA_COMMAND, bdr ? HBA_COMMAND_BDR_MASK : HBA_COMMAND_ABORT_MASK);
  CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, HBA_STATUS_BUSY_MASK);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  scsi_target_stats_t st2 = tgt_stats(&r);
  check_aborted(t, &res, 0, 0);
  CHECK_EQ(t, res.dma_count, 0);
  CHECK_EQ(t, st2.selections - st0.selections, 1);
  CHECK_EQ(t, st2.commands, st0.commands);
  CHECK_EQ(t, st2.aborts - st0.aborts, bdr ? 0u : 1u);
  CHECK_EQ(t, st2.bdrs - st0.bdrs, bdr ? 1u : 0u);
  CHECK_EQ(t, st2.rejects_tx, st0.rejects_tx); /* the target accepted the message(s) */
  if (bdr) {
    he_check_ua(t, &r, MSG_ID, 0x29, 0x04);
  } else {
    hba_cmd_t tur = {.id = MSG_ID, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
    he_run(t, &r, &tur, &res);
    CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
    CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  }
  msg_good_after(t, &r, &g, 1, img, 4);
  free(img);
  hba_rig_done(t, &r);
}
static void abort_idle(test_ctx_t *t) { msg_idle(t, 0); }
static void bdr_idle(test_ctx_t *t) { msg_idle(t, 1); }

/* ---- 4: REJECTED --------------------------------------------------------------------------- */

/* one refused COMMAND write: REJECTED alone, the interrupt up, BUSY unchanged, the sequencer
 * in a state in [lo, hi]; then cleared */
static void expect_rejected(test_ctx_t *t, hba_rig_t *r, uint32_t cmd, uint32_t lo,
                            uint32_t hi) {
  uint32_t target = hba_rd(t, r, HBA_TARGET);
  hba_wr(t, r, HBA_COMMAND, cmd);
  sim_step(r->s, 4);
  CHECK_EQ(t, hba_rd(t, r, HBA_INT_STATUS), HBA_INT_STATUS_REJECTED_MASK);
  CHECK(t, sim_irq_line(r->s, HBA_IRQ_LINE), "REJECTED raises the interrupt");
  uint32_t st = hba_rd(t, r, HBA_STATUS);
  CHECK_EQ(t, st & HBA_STATUS_BUSY_MASK, HBA_STATUS_BUSY_MASK);
  uint32_t state = (st & HBA_STATUS_SEQ_STATE_MASK) >> HBA_STATUS_SEQ_STATE_SHIFT;
  CHECK(t, state >= lo && state <= hi, "sequencer state %u", state);
  CHECK_EQ(t, hba_rd(t, r, HBA_TARGET), target);
  hba_wr(t, r, HBA_INT_STATUS, HBA_INT_STATUS_REJECTED_MASK);
  sim_step(r->s, 4);
  CHECK(t, !sim_irq_line(r->s, HBA_IRQ_LINE), "REJECTED cleared");
}

/* While an ABORT (or BDR) runs as a command of its own, both ABORT and BDR are REJECTED; the
 * running one completes as if nothing happened (one message taken, no other). */
static void reject_during_msg_cmd(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  msg_rig(t, &r, NULL, NULL, 4, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x524A4300u);
  for (int bdr = 0; bdr < 2; bdr++) {
    scsi_target_stats_t st0 = tgt_stats(&r);
    hba_wr(t, &r, HBA_TARGET, MSG_ID);
    hba_wr(t, &r, HBA_COMMAND, bdr ? HBA_COMMAND_BDR_MASK : HBA_COMMAND_ABORT_MASK);
    /* BUS_FREE, arbitration (about 200 cycles), selection: still on its way (BusFree to
     * SelRelease) */
    expect_rejected(t, &r, HBA_COMMAND_ABORT_MASK, 1, 6);
    expect_rejected(t, &r, HBA_COMMAND_BDR_MASK, 1, 6);
    hba_result_t res;
    he_wait(t, &r, &res, HE_BOUND);
    check_aborted(t, &res, 0, 0);
    scsi_target_stats_t st2 = tgt_stats(&r);
    CHECK_EQ(t, st2.selections - st0.selections, 1);
    CHECK_EQ(t, st2.aborts - st0.aborts, bdr ? 0u : 1u);
    CHECK_EQ(t, st2.bdrs - st0.bdrs, bdr ? 1u : 0u);
    if (bdr) {
      he_check_ua(t, &r, MSG_ID, 0x29, 0x04);
    } else {
      /* no BDR went out with the ABORT: no unit attention */
      hba_cmd_t tur = {.id = MSG_ID, .cdb = {SCSI_OP_TEST_UNIT_READY},
                       .dir = HBA_CMD_CFG_DIR_NONE};
      he_run(t, &r, &tur, &res);
      CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
    }
  }
  msg_good_after(t, &r, &g, 0, img, 4);
  free(img);
  hba_rig_done(t, &r);
}

/* COMMAND.BUS_RESET during a READ, then ABORT and BDR while RST is asserted: REJECTED; the READ
 * ends BUS_RESET, no message reached the target, which reports the bus reset (06/29/02). */
static void reject_during_bus_reset(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  msg_rig(t, &r, NULL, NULL, 16, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x52425200u);
  uint32_t len = 16 * 512u;
  hx_buf_t b = msg_buf(t, &r, &g, len, 0, NULL);
  scsi_target_stats_t st0 = tgt_stats(&r);
  msg_start(t, &r, 0, 0, 16, &b);
  wait_tgt(t, &r, TW_IN, st0.data_in_bytes + 1500);
  hba_wr(t, &r, HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK);
  expect_rejected(t, &r, HBA_COMMAND_ABORT_MASK, 18, 18); /* ResetIssue */
  expect_rejected(t, &r, HBA_COMMAND_BDR_MASK, 18, 18);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_BUS_RESET_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_BUS_RESET);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  CHECK_EQ(t, res.xferred, res.dma_count);
  CHECK_EQ(t, res.residual, len - res.xferred);
  CHECK(t, res.xferred >= 1400 && res.xferred < len, "xferred %u", res.xferred);
  check_read_mem(t, &r, &b, img, res.xferred);
  scsi_target_stats_t st2 = tgt_stats(&r);
  CHECK_EQ(t, st2.aborts, st0.aborts);
  CHECK_EQ(t, st2.bdrs, st0.bdrs);
  CHECK_EQ(t, st2.bus_resets - st0.bus_resets, 1);
  he_check_ua(t, &r, MSG_ID, 0x29, 0x02);
  msg_good_after(t, &r, &g, 1, img, 16);
  free(img);
  hba_rig_done(t, &r);
}

typedef struct done_wait {
  scsi_target_t *tg;
  uint64_t completed;
} done_wait_t;

static int tgt_done_free(sim_t *s, void *ctx) {
  const done_wait_t *w = ctx;
  scsi_target_stats_t st;
  scsi_target_stats(w->tg, &st);
  return st.completed >= w->completed &&
         !(scsi_bus_resolved(sim_scsi_bus(s)) & (SCSI_BSY | SCSI_SEL));
}

/* A READ whose last bytes wait in the FIFO because the driver masked 8237 channel 5: the
 * target completes and goes bus free, the HBA drains (Drain state); ABORT and BDR are
 * REJECTED; unmasked, the READ ends CMD_DONE with every byte in memory. */
static void reject_while_draining(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  msg_rig(t, &r, NULL, NULL, 4, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x52445200u);
  uint32_t len = 4 * 512u;
  hx_buf_t b = msg_buf(t, &r, &g, len, 0, NULL);
  scsi_target_stats_t st0 = tgt_stats(&r);
  msg_start(t, &r, 0, 0, 4, &b);
  wait_tgt(t, &r, TW_IN, st0.data_in_bytes + len - 30);
  REQUIRE_EQ(t, i8237_mask(r.s, r.dma_chan), I8237_OK);
  done_wait_t w = {.tg = r.tgt[MSG_ID], .completed = st0.completed + 1};
  REQUIRE_OK(t, sim_wait_until(r.s, tgt_done_free, &w, HE_BOUND));
  sim_step(r.s, 20);
  CHECK(t, (hba_rd(t, &r, HBA_FIFO_LEVEL) & HBA_FIFO_LEVEL_BYTES_MASK) > 0, "bytes wait");
  expect_rejected(t, &r, HBA_COMMAND_ABORT_MASK, 15, 15); /* Drain */
  expect_rejected(t, &r, HBA_COMMAND_BDR_MASK, 15, 15);
  REQUIRE_EQ(t, i8237_unmask(r.s, r.dma_chan), I8237_OK);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_GOOD, .xferred = len,
               .residual = 0, .extra = 0);
  CHECK_EQ(t, res.dma_count, len);
  check_read_mem(t, &r, &b, img, len);
  scsi_target_stats_t st2 = tgt_stats(&r);
  CHECK_EQ(t, st2.aborts, st0.aborts);
  CHECK_EQ(t, st2.bdrs, st0.bdrs);
  CHECK_EQ(t, st2.selections - st0.selections, 1);
  msg_good_after(t, &r, &g, 0, img, 4);
  free(img);
  hba_rig_done(t, &r);
}

/* ABORT / BDR with CTRL.ENABLE 0 while idle: REJECTED, no selection; enabled again, ABORT is
 * taken. */
static void reject_while_disabled(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  msg_rig(t, &r, NULL, NULL, 4, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x52444900u);
  scsi_target_stats_t st0 = tgt_stats(&r);
  uint32_t ctrl = hba_rd(t, &r, HBA_CTRL);
  hba_wr(t, &r, HBA_TARGET, MSG_ID);
  hba_wr(t, &r, HBA_CTRL, ctrl & ~HBA_CTRL_ENABLE_MASK);
  uint32_t cmds[2] = {HBA_COMMAND_ABORT_MASK, HBA_COMMAND_BDR_MASK};
  for (unsigned i = 0; i < 2; i++) {
    hba_wr(t, &r, HBA_COMMAND, cmds[i]);
    sim_step(r.s, 4);
    CHECK_EQ(t, hba_rd(t, &r, HBA_INT_STATUS), HBA_INT_STATUS_REJECTED_MASK);
    CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, 0);
    hba_wr(t, &r, HBA_INT_STATUS, HBA_INT_STATUS_REJECTED_MASK);
  }
  sim_step(r.s, 2000);
  scsi_target_stats_t st1 = tgt_stats(&r);
  CHECK_EQ(t, st1.selections, st0.selections);
  CHECK_EQ(t, hba_rd(t, &r, HBA_INT_STATUS), 0);
  hba_wr(t, &r, HBA_CTRL, ctrl);
  hba_wr(t, &r, HBA_COMMAND, HBA_COMMAND_ABORT_MASK);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  check_aborted(t, &res, 0, 0);
  scsi_target_stats_t st2 = tgt_stats(&r);
  CHECK_EQ(t, st2.aborts - st0.aborts, 1);
  CHECK_EQ(t, st2.bdrs, st0.bdrs);
  msg_good_after(t, &r, &g, 0, img, 4);
  free(img);
  hba_rig_done(t, &r);
}

/* ---- 5: 64-bit LBAs over the bus ----------------------------------------------------------- */

#define BIG_CAP ((1ull << 32) + 0x1000u) /* blocks: 2 TiB + 2 MiB, memory-backed (sparse) */

static uint64_t be_get(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

/* a DATA IN command of `len` bytes through mover bm into a filled buffer; the bytes in *out */
static void big_in(test_ctx_t *t, hba_rig_t *r, prng_t *g, int bm, const uint8_t *cdb,
                   uint32_t len, hba_result_t *res, uint8_t *out) {
  hx_buf_t b = msg_buf(t, r, g, len, bm, NULL);
  hba_cmd_t c;
  memset(&c, 0, sizeof c);
  c.id = MSG_ID;
  memcpy(c.cdb, cdb, 16);
  hx_run(t, r, &c, &b, 0, I8237_DEMAND, res);
  hx_buf_get(t, r, &b, out);
}

static void big_sense(test_ctx_t *t, hba_rig_t *r, prng_t *g, int bm, uint8_t sense[18]) {
  uint8_t cdb[16] = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0};
  hba_result_t res;
  big_in(t, r, g, bm, cdb, 18, &res, sense);
  HX_CHECK_GOOD(t, res, 18);
}

static void lba64(test_ctx_t *t, int bm) {
  hba_rig_t r;
  hba_rig_init(t, &r);
  scsi_disk_t *d = hx_add_disk(t, &r, MSG_ID, BIG_CAP, NULL, NULL);
  hx_clear_ua(t, &r, MSG_ID);
  REQUIRE_EQ(t, scsi_disk_capacity(d), BIG_CAP);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x4C424100u | (unsigned)bm);

  /* WRITE(16) + READ(16) above 2^32 and up to the last block, checked on the medium (the
   * disk's own block accessor) and in memory */
  const uint64_t lbas[3] = {0x100000010ull, BIG_CAP - 4, 0x100000000ull - 2};
  const uint32_t counts[3] = {4, 4, 4}; /* the last one straddles 2^32 */
  uint8_t *hi = NULL;
  for (unsigned i = 0; i < 3; i++) {
    uint32_t len = counts[i] * 512u;
    uint8_t *src = malloc(len);
    REQUIRE(t, src != NULL, "malloc");
    prng_fill(&g, src, len);
    hx_buf_t wb = msg_buf(t, &r, &g, len, bm, src);
    hx_write(t, &r, MSG_ID, 16, lbas[i], counts[i], &wb, src, I8237_DEMAND);
    hx_buf_t rb = msg_buf(t, &r, &g, len, bm, NULL);
    hx_read(t, &r, MSG_ID, 16, lbas[i], counts[i], &rb, src, I8237_DEMAND);
    if (i == 0) hi = src;
    else free(src);
  }

  /* READ CAPACITY(16): the 64-bit last LBA and the block length */
  uint8_t cdb[16], out[32];
  memset(cdb, 0, sizeof cdb);
  cdb[0] = SCSI_OP_SERVICE_ACTION_IN_16;
  cdb[1] = SCSI_SA_READ_CAPACITY_16;
  cdb[13] = 32;
  hba_result_t res;
  big_in(t, &r, &g, bm, cdb, 32, &res, out);
  HX_CHECK_GOOD(t, res, 32);
  CHECK_EQ(t, be_get(out, 8), BIG_CAP - 1);
  CHECK_EQ(t, be_get(out + 8, 4), 512);
  /* READ CAPACITY(10): the last LBA does not fit: FFFFFFFFh */
  memset(cdb, 0, sizeof cdb);
  cdb[0] = SCSI_OP_READ_CAPACITY_10;
  big_in(t, &r, &g, bm, cdb, 8, &res, out);
  HX_CHECK_GOOD(t, res, 8);
  CHECK_EQ(t, be_get(out, 4), 0xFFFFFFFFull);
  CHECK_EQ(t, be_get(out + 4, 4), 512);

  /* READ(16) crossing the end: no data, CHECK CONDITION, sense 05/21/00 */
  hx_rw_cdb(cdb, 16, 0, BIG_CAP - 2, 4);
  uint8_t crossing[2048];
  big_in(t, &r, &g, bm, cdb, 2048, &res, crossing);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SHORT_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_CHECK_CONDITION);
  CHECK_EQ(t, res.xferred, 0);
  CHECK_EQ(t, res.residual, 2048);
  CHECK_EQ(t, res.extra, 0);
  unsigned touched = 0;
  for (unsigned i = 0; i < sizeof crossing; i++) touched += crossing[i] != HE_FILL;
  CHECK_EQ(t, touched, 0);
  uint8_t sense[18];
  big_sense(t, &r, &g, bm, sense);
  CHECK_EQ(t, sense[0] & 0x7F, 0x70);
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SK_ILLEGAL_REQUEST);
  CHECK_EQ(t, sense[12], 0x21);
  CHECK_EQ(t, sense[13], 0x00);

  /* READ(10): the LBA field is 32 bits. Block 0x10 holds other data than 0x1_0000_0010;
   * READ(10) given the LBA 0x1_0000_0010 can only carry its low 32 bits and reads block 0x10 */
  uint8_t lo[2048];
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0x10, 4, lo), 0);
  unsigned nz = 0;
  for (unsigned i = 0; i < sizeof lo; i++) nz += lo[i] != 0;
  CHECK(t, nz == 0, "the WRITE(16) at 0x1_0000_0010 did not land on block 0x10 (%u bytes)", nz);
  prng_fill(&g, lo, sizeof lo);
  REQUIRE_EQ(t, scsi_disk_poke(d, 0, 0x10, 4, lo), 0);
  REQUIRE(t, memcmp(lo, hi, sizeof lo) != 0, "distinct data");
  hx_rw_cdb(cdb, 10, 0, 0x100000010ull, 4);
  CHECK_EQ(t, be_get(cdb + 2, 4), 0x10);
  hx_buf_t rb = msg_buf(t, &r, &g, 2048, bm, NULL);
  hx_read(t, &r, MSG_ID, 10, 0x100000010ull, 4, &rb, lo, I8237_DEMAND);
  /* its highest LBA, FFFFFFFFh, is a real block of this disk (blocks 2^32 - 2 .. 2^32 + 1
   * were written above: their blocks 1..2 are FFFFFFFFh and 1_0000_0000h) */
  uint8_t top[1024];
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0xFFFFFFFFull, 2, top), 0);
  hx_buf_t tb = msg_buf(t, &r, &g, 1024, bm, NULL);
  hx_read(t, &r, MSG_ID, 10, 0xFFFFFFFFull, 2, &tb, top, I8237_DEMAND);
  free(hi);
  hba_rig_done(t, &r);
}
static void lba64_subordinate(test_ctx_t *t) { lba64(t, 0); }
static void lba64_bus_master(test_ctx_t *t) { lba64(t, 1); }

/* ---- the qualifiers of a bus-master error after the last SCSI byte ------------------------ */
/* UNDERRUN accompanies DMA_ERR / SG_ERR whenever bytes within XFER_LEN were not delivered (every
 * case of hba_err.c), even when the error comes after the target's last data byte. Without
 * undelivered bytes (a malformed descriptor after the data's last element) the error qualifier
 * is alone. */

/* READ(10) of 2 blocks into one element; AXI SLVERR on the write of the last 8 bytes: the last
 * burst (one CapBytes-aligned burst: [992, 1024) with the 64-byte FIFO, [960, 1024) with a
 * 128-byte one) is issued when the target's last byte is in the FIFO and its error response
 * comes after that, before the ending (which waits for every B response): its bytes were not
 * delivered, so CMD_DONE + DMA_ERR + UNDERRUN, XFERRED = DMA_COUNT = the bytes before that
 * burst, RESIDUAL and EXTRA the burst's bytes (hba_err.bm_dma_err_data likewise). */
static void bm_dma_err_last_burst(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, MSG_ID, 2, &img);
  uint64_t pa = he_bm_buffer(t, &r, 1024);
  uint64_t lpa = he_sg_list1(t, &r, pa, 1024);
  REQUIRE_EQ(t, sim_axi_inject_error(r.s, pa + 1016, pa + 1024, SIM_AXI_SLVERR, 0, 1), 0);
  hba_result_t res;
  he_bm_run(t, &r, MSG_ID, SCSI_OP_READ_10, 2, 1024, lpa, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_DMA_ERR_MASK |
                                 HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_COMPLETE);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK(t, res.dma_count == 1024 - 32 || res.dma_count == 1024 - 64,
        "dma_count %u: the bytes before the errored burst", res.dma_count);
  CHECK_EQ(t, res.xferred, res.dma_count);
  CHECK_EQ(t, res.residual, 1024 - res.xferred);
  CHECK_EQ(t, res.extra, 1024 - res.xferred);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 1);
  sim_axi_stats_t ax;
  sim_axi_stats(r.s, &ax);
  CHECK(t, ax.errors >= 1, "an error response was given");
  /* XFERRED vouches for memory: [0, XFERRED) holds the data (the errored burst's beats
   * outside the error range were written by the memory, but are not counted) */
  CHECK(t, he_mem_is(t, &r, pa, 0, res.xferred, img), "the delivered bytes are in memory");
  CHECK(t, he_mem_is(t, &r, pa, res.xferred, 1016, img), "the errored burst's other beats");
  CHECK(t, he_mem_is(t, &r, pa, 1016, 1024, NULL), "the errored beat was not written");
  sim_axi_clear_errors_injected(r.s);
  he_good_read(t, &r, MSG_ID, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* READ(10) of 2 blocks; the list: one 1024-byte element without EOL, then a zero-length one.
 * The engine reaches the malformed descriptor as soon as element 0's last burst is issued,
 * whether or not more data will come: CMD_DONE + SG_ERR, no UNDERRUN, all 1024 bytes in
 * memory. (A zero-length element is an SG_ERR, never skipped; compare hba_err.bm_dma_err_desc,
 * where an AXI error on the prefetch of descriptor 1 stops the engine before element 0's data
 * moves.) */
static void bm_sg_err_past_data(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, MSG_ID, 2, &img);
  uint64_t pa = he_bm_buffer(t, &r, 1024);
  uint64_t lpa = he_sg_list2(t, &r, pa, 1024, 0, pa + 1024, 0, 0);
  hba_result_t res;
  he_bm_run(t, &r, MSG_ID, SCSI_OP_READ_10, 2, 1024, lpa, &res);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SG_ERR_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_GOOD, .xferred = 1024,
               .residual = 0, .extra = 0);
  CHECK_EQ(t, res.dma_count, 1024);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 2);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, img), "element 0 holds its bytes");
  he_good_read(t, &r, MSG_ID, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* WRITE(10) of 2 blocks; the list: one 1024-byte element (the whole transfer) without EOL, then
 * a zero-length one. DATA OUT runs ahead: the engine reaches the malformed descriptor while the
 * SCSI side still sends from the FIFO, the mover is dead from then on, so the HBA pads with
 * 0x00 and sends ABORT: ABORTED + SG_ERR + UNDERRUN, and the medium is unchanged. */
static void bm_sg_err_out(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  scsi_disk_t *d = he_rig(t, &r, MSG_ID, 2, &img);
  uint64_t pa = he_bm_buffer(t, &r, 1024);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x53474F00u);
  uint8_t src[1024], disk[1024];
  prng_fill(&g, src, sizeof src);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa, src, sizeof src), 0);
  uint64_t lpa = he_sg_list2(t, &r, pa, 1024, 0, pa + 1024, 0, 0);
  scsi_target_stats_t st0 = tgt_stats(&r);
  hba_result_t res;
  he_bm_run(t, &r, MSG_ID, SCSI_OP_WRITE_10, 2, 1024, lpa, &res);
  scsi_target_stats_t st = tgt_stats(&r);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_ABORTED_MASK | HBA_INT_STATUS_SG_ERR_MASK |
                                 HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_ABORTED);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  CHECK_EQ(t, res.dma_count, 1024);
  CHECK(t, res.xferred < 1024 && res.xferred + 64 >= 1024, "xferred %u", res.xferred);
  CHECK_EQ(t, res.residual, 1024 - res.xferred);
  CHECK_EQ(t, res.extra, 1);
  CHECK_EQ(t, st.data_out_bytes - st0.data_out_bytes, res.xferred + res.extra);
  CHECK_EQ(t, st.aborts - st0.aborts, 1);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 2);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0, 2, disk), 0);
  CHECK(t, memcmp(disk, img, sizeof disk) == 0, "the aborted write left the medium unchanged");
  he_good_read(t, &r, MSG_ID, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

static const test_def_t hba_msg_tests[] = {
  {"abort_read_subordinate", abort_read_subordinate, TEST_F_RANDOM, 0,
   "ABORT mid DATA IN (8237): ATN, ABORT at MESSAGE OUT, ABORTED, the bytes sent are in memory"},
  {"abort_read_bus_master", abort_read_bus_master, TEST_F_RANDOM, 0,
   "ABORT mid DATA IN (SG list): ABORTED, XFERRED = bytes sent, nothing past them"},
  {"abort_write_subordinate", abort_write_subordinate, TEST_F_RANDOM, 0,
   "ABORT mid DATA OUT (8237): ABORTED, the medium unchanged"},
  {"abort_write_bus_master", abort_write_bus_master, TEST_F_RANDOM, 0,
   "ABORT mid DATA OUT (SG list): ABORTED, the medium unchanged"},
  {"bdr_read_subordinate", bdr_read_subordinate, TEST_F_RANDOM, 0,
   "BDR mid DATA IN: ABORTED, unit attention 06/29/04"},
  {"bdr_write_bus_master", bdr_write_bus_master, TEST_F_RANDOM, 0,
   "BDR mid DATA OUT (SG list): ABORTED, medium unchanged, unit attention 06/29/04"},
  {"abort_disc_sel_first_read", abort_disc_sel_first_read, TEST_F_RANDOM, 0,
   "ABORT of a disconnected READ: the HBA selects with IDENTIFY + ABORT; no reselection later"},
  {"abort_disc_sel_first_write", abort_disc_sel_first_write, TEST_F_RANDOM, 0,
   "ABORT of a disconnected WRITE (SG list): selection, ABORTED, medium unchanged"},
  {"abort_disc_resel_first_read", abort_disc_resel_first_read, TEST_F_RANDOM, 0,
   "ABORT while the target is reselecting: sent on the reselection, ABORTED"},
  {"abort_disc_resel_first_write", abort_disc_resel_first_write, TEST_F_RANDOM, 0,
   "ABORT of a WRITE while the target is reselecting: ABORTED, medium unchanged"},
  {"bdr_disc_sel_first", bdr_disc_sel_first, TEST_F_RANDOM, 0,
   "BDR of a disconnected READ: selection, BDR, ABORTED, unit attention 06/29/04"},
  {"bdr_disc_resel_first", bdr_disc_resel_first, TEST_F_RANDOM, 0,
   "BDR of a WRITE while the target is reselecting: ABORTED, unit attention 06/29/04"},
  {"abort_disc_after_write_data", abort_disc_after_write_data, TEST_F_RANDOM, 0,
   "ABORT of a WRITE disconnected after all its data: ABORTED, the write was performed"},
  {"abort_idle", abort_idle, TEST_F_RANDOM, 0,
   "ABORT as a command of its own: ABORTED, no unit attention"},
  {"bdr_idle", bdr_idle, TEST_F_RANDOM, 0,
   "BDR as a command of its own: ABORTED, unit attention 06/29/04"},
  {"reject_during_msg_cmd", reject_during_msg_cmd, TEST_F_RANDOM, 0,
   "ABORT/BDR while an ABORT/BDR command runs: REJECTED, the running one unchanged"},
  {"reject_during_bus_reset", reject_during_bus_reset, TEST_F_RANDOM, 0,
   "ABORT/BDR during a bus reset: REJECTED, no message sent, 06/29/02"},
  {"reject_while_draining", reject_while_draining, TEST_F_RANDOM, 0,
   "ABORT/BDR while the HBA drains DATA IN to memory: REJECTED, the READ completes"},
  {"reject_while_disabled", reject_while_disabled, TEST_F_RANDOM, 0,
   "ABORT/BDR with CTRL.ENABLE 0: REJECTED, no selection"},
  {"lba64_subordinate", lba64_subordinate, TEST_F_RANDOM, 0,
   "2^32+ blocks (8237): READ/WRITE(16) above 2^32, READ CAPACITY(16)/(10), 05/21/00, READ(10)"},
  {"lba64_bus_master", lba64_bus_master, TEST_F_RANDOM, 0,
   "2^32+ blocks (SG list): READ/WRITE(16) above 2^32, READ CAPACITY(16)/(10), 05/21/00, READ(10)"},
  {"bm_dma_err_last_burst", bm_dma_err_last_burst, TEST_F_RANDOM, 0,
   "bus master: AXI SLVERR on the last beat of a READ, after the last SCSI byte: DMA_ERR alone"},
  {"bm_sg_err_past_data", bm_sg_err_past_data, TEST_F_RANDOM, 0,
   "bus master: zero-length element after the data's last element (no EOL): SG_ERR alone"},
  {"bm_sg_err_out", bm_sg_err_out, TEST_F_RANDOM, 0,
   "bus master: zero-length element after a WRITE's data (no EOL): SG_ERR, UNDERRUN, ABORTED"},
};
TEST_SUITE(hba_msg);
