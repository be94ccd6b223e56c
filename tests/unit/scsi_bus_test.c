/* Tests of the SCSI bus model (models/scsi_bus.c) and the target phase engine
 * (models/scsi_target.c), driven by a C initiator state machine defined here that plays the
 * HBA's role on the pins: it arbitrates, selects with or without ATN, sends IDENTIFY and a CDB,
 * moves data, reads status and messages, follows disconnect/reselect, and can misbehave on
 * request (bad parity, ATN messages, rejected DISCONNECT). Time steps deterministically in
 * 20 ns cycles, as in the 50 MHz harness: after each cycle's sample of the resolved bus,
 * scsi_bus_step runs (gated by the wake contract unless a test turns that off) and the
 * initiator steps on the same sample. */
#include <stdlib.h>
#include <string.h>

#include "disk_rig.h"
#include "prng.h"
#include "scsi_defs.h"
#include "scsi_bus.h"
#include "scsi_target.h"
#include "test.h"

#define DATA_STREAM 0x7363736962757364ull
#define PERIOD_NS 20u
#define BLK 512u
#define INI_ID 7u

/* ---- a fake logical unit: READ(10)/WRITE(10)/TEST UNIT READY over a byte array ------------- */

typedef struct fake_lu {
  uint8_t *disk;
  uint32_t blocks;
  uint64_t service_ns;
  unsigned begins, finishes, frees, resets, live;
  int last_reset;
  uint32_t last_received;
} fake_lu_t;

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int fake_begin(void *ctx, scsi_task_t *t) {
  fake_lu_t *f = ctx;
  f->begins++;
  f->live++;
  t->dir = SCSI_DIR_NONE;
  t->data = NULL;
  t->data_len = 0;
  t->status = SCSI_STATUS_GOOD;
  t->service_ns = f->service_ns;
  uint8_t op = t->cdb[0];
  if (op == SCSI_OP_READ_10 || op == SCSI_OP_WRITE_10) {
    uint32_t lba = be32(t->cdb + 2), n = ((uint32_t)t->cdb[7] << 8) | t->cdb[8];
    if ((uint64_t)lba + n > f->blocks) {
      t->status = SCSI_STATUS_CHECK_CONDITION;
      return 0;
    }
    t->data_len = n * BLK;
    t->data = malloc(t->data_len ? t->data_len : 1);
    if (!t->data) return -4;
    if (op == SCSI_OP_READ_10) {
      t->dir = SCSI_DIR_IN;
      memcpy(t->data, f->disk + (size_t)lba * BLK, t->data_len);
    } else {
      t->dir = SCSI_DIR_OUT;
    }
  } else if (op != SCSI_OP_TEST_UNIT_READY) {
    t->status = SCSI_STATUS_CHECK_CONDITION;
  }
  return 0;
}

static int fake_finish_out(void *ctx, scsi_task_t *t, uint32_t received) {
  fake_lu_t *f = ctx;
  f->finishes++;
  f->last_received = received;
  if (received != t->data_len) {
    t->status = SCSI_STATUS_CHECK_CONDITION;
    return 0;
  }
  memcpy(f->disk + (size_t)be32(t->cdb + 2) * BLK, t->data, t->data_len);
  t->status = SCSI_STATUS_GOOD;
  return 0;
}

static void fake_task_free(void *ctx, scsi_task_t *t) {
  fake_lu_t *f = ctx;
  f->frees++;
  f->live--;
  free(t->data);
  t->data = NULL;
}

static void fake_reset(void *ctx, int cause) {
  fake_lu_t *f = ctx;
  f->resets++;
  f->last_reset = cause;
}

static const scsi_lu_ops_t fake_ops = {fake_begin, fake_finish_out, fake_task_free, fake_reset};

/* ---- the test initiator ------------------------------------------------------------------- */

enum { CMD_QUEUED, CMD_ACTIVE, CMD_DISCONNECTED, CMD_DONE, CMD_SEL_TIMEOUT, CMD_BUS_FREE,
       CMD_RESET };

typedef struct ini_cmd {
  uint8_t target, lun;
  uint8_t cdb[16];
  unsigned cdb_len;
  int atn, disc;                 /* select with ATN (IDENTIFY), grant disconnect privilege */
  uint8_t *in;                   /* DATA IN lands here (in_cap bytes kept) */
  uint32_t in_cap;
  const uint8_t *out;            /* DATA OUT source (out_len bytes, then 0xEE filler) */
  uint32_t out_len;
  uint8_t extra_msg[4];          /* sent after IDENTIFY at selection */
  unsigned extra_len;
  /* misbehaviour on request */
  int64_t atn_at_data;           /* raise ATN before data byte N (-1 never) ... */
  uint8_t atn_msg;               /* ... and send this message */
  int reject_disconnect;
  int ide_on_parity;             /* answer a DATA IN parity error with INITIATOR DETECTED ERROR */
  int mpe_on_complete;           /* answer the first COMMAND COMPLETE with MESSAGE PARITY ERROR */
  int64_t bad_out_parity_at;     /* DATA OUT byte N goes with bad parity (-1 never) */
  int64_t bad_cdb_parity_at;     /* CDB byte N goes with bad parity (-1 never) */
  /* results */
  int state;
  uint32_t ptr, saved;
  uint32_t in_bytes, out_bytes;  /* bytes moved in DATA phases (retries included) */
  unsigned cdb_sent;
  int status;                    /* -1: no STATUS phase */
  unsigned disconnects, reselections, parity_errors, rejects_seen, restores;
  int64_t first_parity_at;
  uint8_t msgs[32];
  unsigned nmsgs;
  uint64_t selected_ns, done_ns, resel_ns; /* resel_ns: the first reselection */
} ini_cmd_t;

typedef enum { I_IDLE, I_ARB, I_SEL_IDS, I_SEL_DROP_BSY, I_SEL_WAIT, I_RESEL_WAIT_SEL, I_CONN,
               I_OUT_SETUP, I_WAIT_REQ_OFF, I_RESET } ini_state_t;

typedef struct ini {
  scsi_bus_t *bus;
  uint32_t out;
  ini_state_t state;
  uint64_t deadline;
  ini_cmd_t *cmds[8];
  unsigned ncmds;
  ini_cmd_t *cur, *sel;
  uint8_t resel_target;
  uint64_t sel_timeout_ns;
  int free_seen;
  uint64_t free_since;
  uint8_t mo[8];
  unsigned mo_len, mo_idx;
  int expect_free;
  unsigned unexpected_free;
  unsigned unknown_resel;
  uint64_t rst_until;
  uint64_t now;
} ini_t;

static void ini_drive(ini_t *in, uint32_t v) {
  in->out = v;
  scsi_bus_set_external(in->bus, v);
}

static void ini_queue_msg(ini_t *in, uint8_t m) {
  if (in->mo_len < sizeof in->mo) in->mo[in->mo_len++] = m;
}

static void ini_to_free(ini_t *in) {
  ini_drive(in, 0);
  in->state = I_IDLE;
  in->cur = NULL;
  in->free_seen = 0;
  in->expect_free = 0;
  in->mo_len = in->mo_idx = 0;
}

static ini_cmd_t *ini_next_queued(ini_t *in) {
  for (unsigned i = 0; i < in->ncmds; i++)
    if (in->cmds[i]->state == CMD_QUEUED) return in->cmds[i];
  return NULL;
}

/* An IN byte arrived (REQ seen); returns the lines to assert with ACK (ATN for a reply). */
static void ini_take_in(ini_t *in, unsigned phase, uint32_t bus) {
  ini_cmd_t *c = in->cur;
  uint8_t b = (uint8_t)(bus & SCSI_DB_MASK);
  int par_ok = scsi_parity_ok(bus);
  switch (phase) {
  case SCSI_PHASE_DATA_IN:
    if (!c) break;
    if (!par_ok) {
      if (c->first_parity_at < 0) c->first_parity_at = c->ptr;
      c->parity_errors++;
      if (c->ide_on_parity) ini_queue_msg(in, SCSI_MSG_INITIATOR_DET_ERROR);
    }
    if (c->ptr < c->in_cap) c->in[c->ptr] = b;
    c->ptr++;
    c->in_bytes++;
    break;
  case SCSI_PHASE_STATUS:
    if (c) c->status = b;
    break;
  case SCSI_PHASE_MSG_IN:
    if (c && c->nmsgs < sizeof c->msgs) c->msgs[c->nmsgs++] = b;
    if (b & SCSI_MSG_IDENTIFY) {
      c = NULL;
      for (unsigned i = 0; i < in->ncmds; i++)
        if (in->cmds[i]->state == CMD_DISCONNECTED && in->cmds[i]->target == in->resel_target &&
            in->cmds[i]->lun == (b & 7u))
          c = in->cmds[i];
      if (!c) {
        in->unknown_resel++;
        ini_queue_msg(in, SCSI_MSG_ABORT);
        break;
      }
      in->cur = c;
      c->state = CMD_ACTIVE;
      c->ptr = c->saved;
      if (!c->reselections) c->resel_ns = in->now;
      c->reselections++;
      if (c->nmsgs < sizeof c->msgs) c->msgs[c->nmsgs++] = b;
      break;
    }
    if (!c) break;
    switch (b) {
    case SCSI_MSG_COMMAND_COMPLETE:
      if (c->mpe_on_complete) {
        c->mpe_on_complete = 0;
        ini_queue_msg(in, SCSI_MSG_PARITY_ERROR);
        break;
      }
      c->state = CMD_DONE;
      c->done_ns = in->now;
      in->expect_free = 1;
      break;
    case SCSI_MSG_SAVE_DATA_POINTER: c->saved = c->ptr; break;
    case SCSI_MSG_RESTORE_POINTERS:
      c->ptr = c->saved;
      c->restores++;
      break;
    case SCSI_MSG_DISCONNECT:
      if (c->reject_disconnect) {
        ini_queue_msg(in, SCSI_MSG_MESSAGE_REJECT);
      } else {
        c->state = CMD_DISCONNECTED;
        c->disconnects++;
        in->expect_free = 1;
      }
      break;
    case SCSI_MSG_MESSAGE_REJECT: c->rejects_seen++; break;
    default: ini_queue_msg(in, SCSI_MSG_MESSAGE_REJECT); break;
    }
    break;
  default: break;
  }
}

/* The byte for an OUT phase and whether it carries bad parity. */
static uint8_t ini_out_byte(ini_t *in, unsigned phase, int *bad) {
  ini_cmd_t *c = in->cur;
  *bad = 0;
  switch (phase) {
  case SCSI_PHASE_MSG_OUT:
    return in->mo_idx < in->mo_len ? in->mo[in->mo_idx++] : SCSI_MSG_NO_OPERATION;
  case SCSI_PHASE_COMMAND:
    if (!c) return 0;
    *bad = (int64_t)c->cdb_sent == c->bad_cdb_parity_at;
    return c->cdb_sent < c->cdb_len ? c->cdb[c->cdb_sent++] : 0;
  case SCSI_PHASE_DATA_OUT: {
    if (!c) return 0;
    uint8_t b = c->ptr < c->out_len ? c->out[c->ptr] : 0xEE;
    *bad = (int64_t)c->out_bytes == c->bad_out_parity_at;
    c->ptr++;
    c->out_bytes++;
    return b;
  }
  default: return 0;
  }
}

static void ini_step(ini_t *in, uint64_t now, uint32_t bus) {
  in->now = now;
  if (in->state == I_RESET) {
    if (now >= in->rst_until) ini_to_free(in);
    return;
  }
  if (bus & SCSI_RST) { /* someone reset the bus: every command is gone */
    for (unsigned i = 0; i < in->ncmds; i++)
      if (in->cmds[i]->state == CMD_ACTIVE || in->cmds[i]->state == CMD_DISCONNECTED)
        in->cmds[i]->state = CMD_RESET;
    ini_to_free(in);
    return;
  }
  switch (in->state) {
  case I_IDLE:
    if ((bus & SCSI_SEL) && (bus & SCSI_IO) && !(bus & SCSI_BSY) && (bus & SCSI_DB(INI_ID))) {
      uint8_t ids = (uint8_t)(bus & SCSI_DB_MASK & ~SCSI_DB(INI_ID));
      in->resel_target = 0xFF;
      for (unsigned i = 0; i < 8; i++)
        if (ids & (1u << i)) in->resel_target = (uint8_t)i;
      ini_drive(in, SCSI_BSY);
      in->state = I_RESEL_WAIT_SEL;
      break;
    }
    if (bus & (SCSI_BSY | SCSI_SEL)) {
      in->free_seen = 0;
      break;
    }
    if (!in->free_seen) {
      in->free_seen = 1;
      in->free_since = now;
    }
    if (ini_next_queued(in) && now >= in->free_since + SCSI_T_BUS_FREE) {
      ini_drive(in, SCSI_BSY | SCSI_DB(INI_ID));
      in->deadline = now + SCSI_T_ARBITRATION;
      in->state = I_ARB;
    }
    break;
  case I_ARB:
    if (now < in->deadline) break;
    if ((bus & SCSI_SEL) || (bus & SCSI_DB_MASK & ~((SCSI_DB(INI_ID) << 1) - 1u))) {
      ini_to_free(in); /* lost (cannot happen at ID 7) */
      break;
    }
    in->sel = ini_next_queued(in);
    ini_drive(in, in->out | SCSI_SEL);
    in->deadline = now + SCSI_T_BUS_CLEAR + SCSI_T_BUS_SETTLE;
    in->state = I_SEL_IDS;
    break;
  case I_SEL_IDS:
    if (now < in->deadline) break;
    ini_drive(in, SCSI_BSY | SCSI_SEL | (in->sel->atn ? SCSI_ATN : 0) |
                      scsi_data_lines((uint8_t)(SCSI_DB(INI_ID) | SCSI_DB(in->sel->target))));
    in->deadline = now + 2 * SCSI_T_DESKEW;
    in->state = I_SEL_DROP_BSY;
    break;
  case I_SEL_DROP_BSY:
    if (now < in->deadline) break;
    ini_drive(in, in->out & ~SCSI_BSY);
    in->deadline = now + in->sel_timeout_ns;
    in->state = I_SEL_WAIT;
    break;
  case I_SEL_WAIT:
    if (bus & SCSI_BSY) {
      ini_cmd_t *c = in->sel;
      in->cur = c;
      c->state = CMD_ACTIVE;
      c->selected_ns = now;
      in->mo_len = in->mo_idx = 0;
      if (c->atn) {
        ini_queue_msg(in, (uint8_t)(SCSI_MSG_IDENTIFY | (c->disc ? SCSI_MSG_IDENTIFY_DISCPRIV : 0) |
                                    c->lun));
        for (unsigned i = 0; i < c->extra_len; i++) ini_queue_msg(in, c->extra_msg[i]);
      }
      ini_drive(in, c->atn ? SCSI_ATN : 0);
      in->expect_free = 0;
      in->state = I_CONN;
    } else if (now >= in->deadline) {
      in->sel->state = CMD_SEL_TIMEOUT;
      ini_to_free(in);
    }
    break;
  case I_RESEL_WAIT_SEL:
    if (!(bus & SCSI_SEL)) {
      ini_drive(in, 0);
      in->cur = NULL;
      in->mo_len = in->mo_idx = 0;
      in->expect_free = 0;
      in->state = I_CONN;
    }
    break;
  case I_CONN: {
    if (!(bus & (SCSI_BSY | SCSI_SEL))) {
      if (!in->expect_free) {
        in->unexpected_free++;
        if (in->cur && in->cur->state == CMD_ACTIVE) in->cur->state = CMD_BUS_FREE;
      }
      ini_to_free(in);
      break;
    }
    if (!(bus & SCSI_REQ)) break;
    unsigned phase = scsi_phase_of(bus);
    ini_cmd_t *c = in->cur;
    if (scsi_phase_is_in(phase)) {
      unsigned before = in->mo_len;
      ini_take_in(in, phase, bus);
      uint32_t atn = (in->mo_len > in->mo_idx) ? SCSI_ATN : 0;
      (void)before;
      ini_drive(in, (in->out & SCSI_ATN) | atn | SCSI_ACK);
      in->state = I_WAIT_REQ_OFF;
    } else {
      if (phase == SCSI_PHASE_DATA_OUT && c && c->atn_at_data >= 0 &&
          (int64_t)c->out_bytes == c->atn_at_data) {
        c->atn_at_data = -1;
        ini_queue_msg(in, c->atn_msg);
        ini_drive(in, in->out | SCSI_ATN); /* the target changes phase after this byte */
      }
      int bad = 0;
      uint8_t b = ini_out_byte(in, phase, &bad);
      uint32_t atn = in->out & SCSI_ATN;
      /* SCSI-2 6.2.1: ATN goes before ACK of the last message byte */
      if (phase == SCSI_PHASE_MSG_OUT && in->mo_idx >= in->mo_len) {
        atn = 0;
        in->mo_len = in->mo_idx = 0;
      }
      ini_drive(in, atn | (scsi_data_lines(b) ^ (bad ? SCSI_DBP : 0u)));
      in->deadline = now + 60;
      in->state = I_OUT_SETUP;
    }
    break;
  }
  case I_OUT_SETUP:
    if (now >= in->deadline) {
      ini_drive(in, in->out | SCSI_ACK);
      in->state = I_WAIT_REQ_OFF;
    }
    break;
  case I_WAIT_REQ_OFF:
    if (!(bus & SCSI_REQ)) {
      ini_drive(in, in->out & SCSI_ATN);
      in->state = I_CONN;
      /* ATN request for a data byte counted on the IN side */
      if (in->cur && in->cur->atn_at_data >= 0 &&
          (int64_t)in->cur->in_bytes == in->cur->atn_at_data && scsi_phase_is_in(scsi_phase_of(bus))) {
        in->cur->atn_at_data = -1;
        ini_queue_msg(in, in->cur->atn_msg);
        ini_drive(in, in->out | SCSI_ATN);
      }
    }
    break;
  case I_RESET: break;
  }
}

/* ---- the rig: bus, targets, initiator, time ----------------------------------------------- */

typedef struct rig {
  test_ctx_t *t;
  scsi_bus_t *bus;
  ini_t ini;
  uint64_t now;
  int ungated;          /* call scsi_bus_step, and every target directly, every cycle */
  scsi_target_t *tgs[8];
  unsigned ntgs;
  uint32_t last;
  int have_last;
  uint64_t bus_steps;
  uint64_t trace_hash;  /* over (time, value) of every bus change */
  uint64_t changes;
  struct {
    uint64_t ns;
    uint32_t bus;
  } *trace;             /* optional: every bus change */
  size_t ntrace, trace_cap;
} rig_t;

static void rig_init(test_ctx_t *t, rig_t *r) {
  memset(r, 0, sizeof *r);
  r->t = t;
  r->bus = scsi_bus_create();
  REQUIRE(t, r->bus != NULL, "scsi_bus_create");
  r->ini.bus = r->bus;
  r->ini.sel_timeout_ns = 250000; /* 250 us: the real 250 ms scaled down for speed */
  r->trace_hash = 1469598103934665603ull;
}

static void rig_done(rig_t *r) { scsi_bus_destroy(r->bus); }

static void rig_cycle(rig_t *r) {
  uint32_t bus = scsi_bus_resolved(r->bus);
  if (!r->have_last || bus != r->last) {
    r->changes++;
    r->trace_hash = (r->trace_hash ^ (r->now * 0x9e3779b97f4a7c15ull) ^ bus) * 1099511628211ull;
    if (r->trace && r->ntrace < r->trace_cap) {
      r->trace[r->ntrace].ns = r->now;
      r->trace[r->ntrace].bus = bus;
      r->ntrace++;
    }
  }
  int due = !r->have_last || bus != r->last || r->now >= scsi_bus_next_deadline(r->bus);
  CHECK_EQ(r->t, scsi_bus_due(r->bus, r->now, bus), due);
  if (r->ungated || due) {
    scsi_bus_step(r->bus, r->now, bus);
    r->bus_steps++;
  }
  /* a second call in the same cycle must change nothing (the wake contract) */
  if (r->ungated)
    for (unsigned i = 0; i < r->ntgs; i++) scsi_target_step(r->tgs[i], r->now, bus);
  ini_step(&r->ini, r->now, bus);
  r->last = bus;
  r->have_last = 1;
  r->now += PERIOD_NS;
}

static void rig_run(rig_t *r, uint64_t ns) {
  uint64_t end = r->now + ns;
  while (r->now < end) rig_cycle(r);
}

static int cmd_finished(const ini_cmd_t *c) {
  return c->state != CMD_QUEUED && c->state != CMD_ACTIVE && c->state != CMD_DISCONNECTED;
}

/* Runs until every queued command finished and the bus is free again. */
static void rig_run_cmds(rig_t *r, uint64_t max_ns) {
  uint64_t end = r->now + max_ns;
  while (r->now < end) {
    rig_cycle(r);
    int all = 1;
    for (unsigned i = 0; i < r->ini.ncmds; i++) all &= cmd_finished(r->ini.cmds[i]);
    if (all && r->ini.state == I_IDLE && !(scsi_bus_resolved(r->bus) & (SCSI_BSY | SCSI_SEL))) {
      rig_run(r, 2000);
      return;
    }
  }
  REQUIRE(r->t, 0, "commands not finished after %llu ns", (unsigned long long)max_ns);
}

static scsi_target_t *rig_target(rig_t *r, unsigned id, const scsi_target_config_t *cfg) {
  int err = 0;
  scsi_target_t *tg = scsi_target_create(r->bus, id, cfg, &err);
  REQUIRE(r->t, tg != NULL, "scsi_target_create(%u): %s", id, scsi_bus_strerror(err));
  if (r->ntgs < 8) r->tgs[r->ntgs++] = tg;
  return tg;
}

static void cmd_init(ini_cmd_t *c, uint8_t target, uint8_t lun) {
  memset(c, 0, sizeof *c);
  c->target = target;
  c->lun = lun;
  c->atn = 1;
  c->status = -1;
  c->atn_at_data = -1;
  c->bad_out_parity_at = -1;
  c->bad_cdb_parity_at = -1;
  c->first_parity_at = -1;
}

static void cmd_rw10(ini_cmd_t *c, uint8_t op, uint32_t lba, uint16_t blocks) {
  memset(c->cdb, 0, sizeof c->cdb);
  c->cdb[0] = op;
  c->cdb[2] = (uint8_t)(lba >> 24);
  c->cdb[3] = (uint8_t)(lba >> 16);
  c->cdb[4] = (uint8_t)(lba >> 8);
  c->cdb[5] = (uint8_t)lba;
  c->cdb[7] = (uint8_t)(blocks >> 8);
  c->cdb[8] = (uint8_t)blocks;
  c->cdb_len = 10;
}

static void cmd_6(ini_cmd_t *c, uint8_t op, uint8_t alloc) {
  memset(c->cdb, 0, sizeof c->cdb);
  c->cdb[0] = op;
  c->cdb[4] = alloc;
  c->cdb_len = 6;
}

static void rig_submit(rig_t *r, ini_cmd_t *c) {
  REQUIRE(r->t, r->ini.ncmds < 8, "too many commands");
  c->state = CMD_QUEUED;
  r->ini.cmds[r->ini.ncmds++] = c;
}

static void fake_init(test_ctx_t *t, fake_lu_t *f, uint32_t blocks, unsigned salt) {
  memset(f, 0, sizeof *f);
  f->blocks = blocks;
  f->disk = malloc((size_t)blocks * BLK);
  REQUIRE(t, f->disk != NULL, "malloc");
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + salt);
  prng_fill(&p, f->disk, (size_t)blocks * BLK);
}

static void fill(test_ctx_t *t, unsigned salt, void *buf, size_t len) {
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 1000 + salt);
  prng_fill(&p, buf, len);
}

/* No checker finding, or fail with the first texts. */
static void expect_clean(rig_t *r) {
  unsigned n = scsi_bus_check_count(r->bus);
  for (unsigned i = 0; i < n && i < 4; i++) test_log(r->t, "checker: %s", scsi_bus_check_text(r->bus, i));
  CHECK_EQ(r->t, n, 0u);
}

static scsi_target_config_t fast_cfg(uint64_t seed) {
  scsi_target_config_t c;
  scsi_target_config_default(&c);
  c.seed = seed;
  return c;
}

/* ---- signals and resolver ----------------------------------------------------------------- */

static void signal_bits_match_contract(test_ctx_t *t) {
  /* contracts.md 11.1 */
  CHECK_EQ(t, SCSI_DB0, 1u);
  CHECK_EQ(t, SCSI_DB7, 0x80u);
  CHECK_EQ(t, SCSI_DBP, 1u << 8);
  CHECK_EQ(t, SCSI_BSY, 1u << 9);
  CHECK_EQ(t, SCSI_SEL, 1u << 10);
  CHECK_EQ(t, SCSI_ATN, 1u << 11);
  CHECK_EQ(t, SCSI_RST, 1u << 12);
  CHECK_EQ(t, SCSI_MSG, 1u << 13);
  CHECK_EQ(t, SCSI_CD, 1u << 14);
  CHECK_EQ(t, SCSI_IO, 1u << 15);
  CHECK_EQ(t, SCSI_REQ, 1u << 16);
  CHECK_EQ(t, SCSI_ACK, 1u << 17);
  CHECK_EQ(t, SCSI_ALL_LINES, (1u << 18) - 1);
  /* phases from (MSG, C/D, I/O) */
  CHECK_EQ(t, scsi_phase_of(0), SCSI_PHASE_DATA_OUT);
  CHECK_EQ(t, scsi_phase_of(SCSI_IO), SCSI_PHASE_DATA_IN);
  CHECK_EQ(t, scsi_phase_of(SCSI_CD), SCSI_PHASE_COMMAND);
  CHECK_EQ(t, scsi_phase_of(SCSI_CD | SCSI_IO), SCSI_PHASE_STATUS);
  CHECK_EQ(t, scsi_phase_of(SCSI_MSG | SCSI_CD), SCSI_PHASE_MSG_OUT);
  CHECK_EQ(t, scsi_phase_of(SCSI_MSG | SCSI_CD | SCSI_IO | SCSI_REQ | 0xFF), SCSI_PHASE_MSG_IN);
  for (unsigned p = 0; p < 8; p++) CHECK_EQ(t, scsi_phase_of(scsi_phase_lines(p)), p);
  CHECK(t, strcmp(scsi_phase_name(SCSI_PHASE_MSG_IN), "MESSAGE IN") == 0, "name");
  /* odd parity over DB7-0 + DBP, every byte */
  for (unsigned b = 0; b < 256; b++) {
    unsigned ones = (unsigned)__builtin_popcount(scsi_data_lines((uint8_t)b));
    CHECK(t, ones % 2 == 1, "byte 0x%02x: %u ones with parity", b, ones);
    CHECK(t, scsi_parity_ok(scsi_data_lines((uint8_t)b) | SCSI_BSY), "parity_ok 0x%02x", b);
    CHECK(t, !scsi_parity_ok(scsi_data_lines((uint8_t)b) ^ SCSI_DBP), "bad parity 0x%02x", b);
  }
  CHECK_EQ(t, scsi_parity_line(0x00), SCSI_DBP);
  CHECK_EQ(t, scsi_parity_line(0x01), 0u);
  CHECK_EQ(t, scsi_parity_line(0x03), SCSI_DBP);
}

static void resolver_ors_contributions(test_ctx_t *t) {
  scsi_bus_t *b = scsi_bus_create();
  REQUIRE(t, b != NULL, "create");
  int d0 = scsi_bus_attach(b, "a", NULL, NULL), d1 = scsi_bus_attach(b, "b", NULL, NULL);
  CHECK_EQ(t, d0, 0);
  CHECK_EQ(t, d1, 1);
  CHECK_EQ(t, scsi_bus_drive(b, d0, SCSI_BSY | SCSI_DB(3)), SCSI_BUS_OK);
  CHECK_EQ(t, scsi_bus_drive(b, d1, SCSI_DB(5) | SCSI_ATN), SCSI_BUS_OK);
  CHECK_EQ(t, scsi_bus_set_external(b, SCSI_SEL | SCSI_DB(7)), SCSI_BUS_OK);
  CHECK_EQ(t, scsi_bus_devices(b), SCSI_BSY | SCSI_DB(3) | SCSI_DB(5) | SCSI_ATN);
  CHECK_EQ(t, scsi_bus_resolved(b),
           SCSI_BSY | SCSI_DB(3) | SCSI_DB(5) | SCSI_ATN | SCSI_SEL | SCSI_DB(7));
  CHECK_EQ(t, scsi_bus_contribution(b, d1), SCSI_DB(5) | SCSI_ATN);
  CHECK_EQ(t, scsi_bus_find(b, "b"), d1);
  CHECK(t, scsi_bus_find(b, "zz") < 0, "unknown name");
  /* releasing is per device: d0 letting go of BSY leaves d1's lines */
  scsi_bus_drive(b, d0, 0);
  CHECK_EQ(t, scsi_bus_resolved(b), SCSI_DB(5) | SCSI_ATN | SCSI_SEL | SCSI_DB(7));
  /* bad input */
  CHECK_EQ(t, scsi_bus_drive(b, 5, SCSI_BSY), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_bus_drive(b, -1, SCSI_BSY), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_bus_drive(b, d0, 1u << 18), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_bus_set_external(b, 0xFFFFFFFFu), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_bus_attach(NULL, "x", NULL, NULL), SCSI_BUS_E_ARG);
  for (int i = 2; i < SCSI_BUS_MAX_DEVICES; i++) CHECK(t, scsi_bus_attach(b, NULL, NULL, NULL) == i, "attach %d", i);
  CHECK_EQ(t, scsi_bus_attach(b, "full", NULL, NULL), SCSI_BUS_E_FULL);
  scsi_bus_destroy(b);
  scsi_bus_destroy(NULL);
}

/* ---- commands ----------------------------------------------------------------------------- */

static void read_moves_lu_bytes(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 64, 1);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  scsi_target_t *tg = rig_target(&r, 2, &cfg);
  REQUIRE_EQ(t, scsi_target_bind(tg, 0, &fake_ops, &lu), SCSI_BUS_OK);
  scsi_target_t *bystander = rig_target(&r, 5, &cfg);
  uint8_t buf[4 * BLK];
  memset(buf, 0, sizeof buf);
  ini_cmd_t c;
  cmd_init(&c, 2, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 5, 4);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.state, CMD_DONE);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.in_bytes, sizeof buf);
  CHECK(t, memcmp(buf, lu.disk + 5 * BLK, sizeof buf) == 0, "DATA IN bytes differ from the LU's");
  CHECK_EQ(t, c.nmsgs, 1u);
  CHECK_EQ(t, c.msgs[0], SCSI_MSG_COMMAND_COMPLETE);
  CHECK_EQ(t, lu.begins, 1u);
  CHECK_EQ(t, lu.frees, 1u);
  CHECK_EQ(t, lu.live, 0u);
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.selections, 1u);
  CHECK_EQ(t, st.commands, 1u);
  CHECK_EQ(t, st.completed, 1u);
  CHECK_EQ(t, st.data_in_bytes, sizeof buf);
  CHECK_EQ(t, st.disconnects, 0u);
  CHECK_EQ(t, scsi_bus_resolved(r.bus), 0u);
  /* a free target is woken by arbitration and selection, not by other devices' bytes */
  uint64_t calls = scsi_bus_client_calls(r.bus, scsi_target_bus_handle(bystander));
  CHECK(t, calls < 16, "bystander called %llu times", (unsigned long long)calls);
  scsi_target_stats(bystander, &st);
  CHECK_EQ(t, st.selections, 0u);
  CHECK(t, strcmp(scsi_target_state_name(tg), "free") == 0, "state %s", scsi_target_state_name(tg));
  expect_clean(&r);
  /* per byte: REQ delay + data setup + REQ hold + the initiator's two cycles, at least */
  uint64_t min_ns = (uint64_t)sizeof buf * (cfg.timing.req_delay_ns + cfg.timing.data_setup_ns +
                                            cfg.timing.req_hold_ns);
  CHECK(t, c.done_ns - c.selected_ns >= min_ns, "%llu ns for %zu bytes",
        (unsigned long long)(c.done_ns - c.selected_ns), sizeof buf);
  rig_done(&r);
  free(lu.disk);
}

static void write_moves_initiator_bytes(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 64, 2);
  scsi_target_t *tg = rig_target(&r, 4, NULL);
  REQUIRE_EQ(t, scsi_target_bind(tg, 1, &fake_ops, &lu), SCSI_BUS_OK);
  uint8_t data[3 * BLK];
  fill(t, 2, data, sizeof data);
  ini_cmd_t c;
  cmd_init(&c, 4, 1);
  cmd_rw10(&c, SCSI_OP_WRITE_10, 60, 3);
  c.out = data;
  c.out_len = sizeof data;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.state, CMD_DONE);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.out_bytes, sizeof data);
  CHECK(t, memcmp(lu.disk + 60 * BLK, data, sizeof data) == 0, "LU did not get the bytes");
  CHECK_EQ(t, lu.finishes, 1u);
  CHECK_EQ(t, lu.last_received, sizeof data);
  CHECK_EQ(t, lu.live, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void selection_without_atn_is_lun0(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu0, lu1;
  fake_init(t, &lu0, 8, 3);
  fake_init(t, &lu1, 8, 4);
  scsi_target_t *tg = rig_target(&r, 0, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu0);
  scsi_target_bind(tg, 1, &fake_ops, &lu1);
  uint8_t buf[BLK];
  ini_cmd_t c;
  cmd_init(&c, 0, 1); /* the LUN field is not sent without IDENTIFY */
  c.atn = 0;
  cmd_rw10(&c, SCSI_OP_READ_10, 2, 1);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(buf, lu0.disk + 2 * BLK, BLK) == 0, "not LUN 0's data");
  CHECK_EQ(t, lu0.begins, 1u);
  CHECK_EQ(t, lu1.begins, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu0.disk);
  free(lu1.disk);
}

static void unbound_lun_answers_itself(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  rig_target(&r, 1, NULL);
  uint8_t inq[36], sense[18];
  memset(inq, 0xAA, sizeof inq);
  ini_cmd_t c1, c2, c3;
  cmd_init(&c1, 1, 3);
  cmd_6(&c1, SCSI_OP_INQUIRY, 36);
  c1.in = inq;
  c1.in_cap = sizeof inq;
  cmd_init(&c2, 1, 3);
  cmd_6(&c2, SCSI_OP_TEST_UNIT_READY, 0);
  cmd_init(&c3, 1, 3);
  cmd_6(&c3, SCSI_OP_REQUEST_SENSE, 18);
  c3.in = sense;
  c3.in_cap = sizeof sense;
  rig_submit(&r, &c1);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c1.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c1.in_bytes, 36u);
  CHECK_EQ(t, inq[0], SCSI_INQ_LUN_NOT_PRESENT);
  rig_submit(&r, &c2);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c2.status, SCSI_STATUS_CHECK_CONDITION);
  CHECK_EQ(t, c2.in_bytes, 0u);
  rig_submit(&r, &c3);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c3.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c3.in_bytes, 18u);
  CHECK_EQ(t, sense[0], 0x70u);
  CHECK_EQ(t, sense[2], SCSI_SK_ILLEGAL_REQUEST);
  CHECK_EQ(t, sense[12], 0x25u);
  CHECK_EQ(t, sense[13], 0x00u);
  expect_clean(&r);
  rig_done(&r);
}

/* The first trace entry at or after index *i whose bus satisfies (bus & mask) == want; its
 * time, or UINT64_MAX. */
static uint64_t trace_find(const rig_t *r, size_t *i, uint32_t mask, uint32_t want) {
  for (; *i < r->ntrace; (*i)++)
    if ((r->trace[*i].bus & mask) == want) return r->trace[*i].ns;
  return UINT64_MAX;
}

static void handshake_timing_follows_parameters(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  r.trace_cap = 20000;
  r.trace = calloc(r.trace_cap, sizeof *r.trace);
  REQUIRE(t, r.trace != NULL, "calloc");
  fake_lu_t lu;
  fake_init(t, &lu, 8, 27);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.timing.sel_response_ns = 1000;
  cfg.timing.req_delay_ns = 200;
  cfg.timing.data_setup_ns = 100;
  cfg.timing.req_hold_ns = 60;
  cfg.timing.phase_settle_ns = 500;
  scsi_target_t *tg = rig_target(&r, 1, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[BLK];
  ini_cmd_t c;
  cmd_init(&c, 1, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 0, 1);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(buf, lu.disk, BLK) == 0, "data differs");
  /* A target sees a sample and its answer shows in the next one: a delay from an initiator's
   * change to the target's answer is the parameter plus one 20 ns cycle; between two changes
   * of the target's own it is the parameter. */
  size_t i = 0;
  uint64_t sel = trace_find(&r, &i, SCSI_SEL | SCSI_BSY | SCSI_DB(1), SCSI_SEL | SCSI_DB(1));
  uint64_t bsy = trace_find(&r, &i, SCSI_SEL | SCSI_BSY, SCSI_SEL | SCSI_BSY);
  CHECK_EQ(t, bsy - sel, 1000u + PERIOD_NS);
  /* SEL released -> MESSAGE OUT lines, then REQ after the bus settle time */
  uint64_t sel_off = trace_find(&r, &i, SCSI_SEL | SCSI_BSY, SCSI_BSY);
  uint64_t mo = trace_find(&r, &i, SCSI_PHASE_LINES, SCSI_MSG | SCSI_CD);
  uint64_t mo_req = trace_find(&r, &i, SCSI_REQ, SCSI_REQ);
  CHECK_EQ(t, mo - sel_off, PERIOD_NS);
  CHECK_EQ(t, mo_req - mo, 500u); /* phase settle */
  /* the DATA IN handshakes */
  i = 0;
  uint64_t din = trace_find(&r, &i, SCSI_PHASE_LINES, SCSI_IO);
  REQUIRE(t, din != UINT64_MAX, "no DATA IN");
  unsigned checked = 0;
  while (checked < 20) {
    trace_find(&r, &i, SCSI_REQ | SCSI_PHASE_LINES, SCSI_REQ | SCSI_IO);
    uint64_t ack = trace_find(&r, &i, SCSI_ACK, SCSI_ACK);
    uint64_t req_off = trace_find(&r, &i, SCSI_REQ, 0);
    uint64_t ack_off = trace_find(&r, &i, SCSI_ACK, 0);
    REQUIRE(t, i + 2 < r.ntrace, "trace too short");
    uint64_t data = r.trace[i + 1].ns; /* the next change: the next byte's data */
    size_t j = i + 1;
    uint64_t next_req = trace_find(&r, &j, SCSI_REQ, SCSI_REQ);
    if (r.trace[i + 1].bus & SCSI_REQ) continue; /* the same byte again: no data change */
    CHECK_EQ(t, req_off - ack, 60u + PERIOD_NS);    /* REQ hold after ACK */
    CHECK_EQ(t, data - ack_off, 200u + PERIOD_NS);  /* REQ delay: the next byte's data */
    CHECK_EQ(t, next_req - data, 100u);             /* data setup before REQ */
    checked++;
  }
  CHECK_EQ(t, checked, 20u);
  expect_clean(&r);
  free(r.trace);
  rig_done(&r);
  free(lu.disk);
}

/* ---- disconnect / reselect ------------------------------------------------------------------ */

static void disconnects_for_long_service(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 5);
  lu.service_ns = 500000; /* 500 us > the 100 us default threshold */
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  scsi_target_t *tg = rig_target(&r, 3, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[2 * BLK];
  ini_cmd_t c;
  cmd_init(&c, 3, 0);
  c.disc = 1;
  cmd_rw10(&c, SCSI_OP_READ_10, 7, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.state, CMD_DONE);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(buf, lu.disk + 7 * BLK, sizeof buf) == 0, "data after reselection differs");
  CHECK_EQ(t, c.disconnects, 1u);
  CHECK_EQ(t, c.reselections, 1u);
  /* DISCONNECT (no data moved yet: no SAVE DATA POINTER), IDENTIFY, COMMAND COMPLETE */
  REQUIRE_EQ(t, c.nmsgs, 3u);
  CHECK_EQ(t, c.msgs[0], SCSI_MSG_DISCONNECT);
  CHECK_EQ(t, c.msgs[1], SCSI_MSG_IDENTIFY | 0u);
  CHECK_EQ(t, c.msgs[2], SCSI_MSG_COMMAND_COMPLETE);
  CHECK(t, c.done_ns - c.selected_ns >= lu.service_ns, "service time not spent: %llu",
        (unsigned long long)(c.done_ns - c.selected_ns));
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.disconnects, 1u);
  CHECK_EQ(t, st.reselections, 1u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);

  /* without disconnect privilege the target holds the bus for the same time */
  rig_init(t, &r);
  fake_init(t, &lu, 16, 5);
  lu.service_ns = 500000;
  tg = rig_target(&r, 3, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  cmd_init(&c, 3, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 7, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.disconnects, 0u);
  CHECK(t, c.done_ns - c.selected_ns >= lu.service_ns, "service time not spent");
  CHECK(t, memcmp(buf, lu.disk + 7 * BLK, sizeof buf) == 0, "data differs");
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void disconnects_every_n_bytes(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 6);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.disconnect_every = 700;
  scsi_target_t *tg = rig_target(&r, 5, &cfg);
  scsi_target_bind(tg, 2, &fake_ops, &lu);
  uint8_t buf[4 * BLK], data[4 * BLK];
  ini_cmd_t c, w;
  cmd_init(&c, 5, 2);
  c.disc = 1;
  cmd_rw10(&c, SCSI_OP_READ_10, 1, 4);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 10000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(buf, lu.disk + BLK, sizeof buf) == 0, "read data differs");
  /* 2048 bytes in pieces of 700: disconnects after 700 and 1400 */
  CHECK_EQ(t, c.disconnects, 2u);
  CHECK_EQ(t, c.reselections, 2u);
  CHECK_EQ(t, c.in_bytes, sizeof buf);
  REQUIRE(t, c.nmsgs >= 3, "messages");
  CHECK_EQ(t, c.msgs[0], SCSI_MSG_SAVE_DATA_POINTER);
  CHECK_EQ(t, c.msgs[1], SCSI_MSG_DISCONNECT);
  CHECK_EQ(t, c.msgs[2], SCSI_MSG_IDENTIFY | 2u);

  fill(t, 6, data, sizeof data);
  cmd_init(&w, 5, 2);
  w.disc = 1;
  cmd_rw10(&w, SCSI_OP_WRITE_10, 10, 4);
  w.out = data;
  w.out_len = sizeof data;
  rig_submit(&r, &w);
  rig_run_cmds(&r, 10000000);
  CHECK_EQ(t, w.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, w.disconnects, 2u);
  CHECK_EQ(t, w.out_bytes, sizeof data);
  CHECK(t, memcmp(lu.disk + 10 * BLK, data, sizeof data) == 0, "written data differs");
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void two_targets_interleave(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t a, b;
  fake_init(t, &a, 16, 7);
  fake_init(t, &b, 16, 8);
  a.service_ns = 300000;
  b.service_ns = 200000;
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.disconnect_every = 512;
  scsi_target_t *ta = rig_target(&r, 1, &cfg);
  scsi_target_t *tb = rig_target(&r, 6, &cfg);
  scsi_target_bind(ta, 0, &fake_ops, &a);
  scsi_target_bind(tb, 0, &fake_ops, &b);
  uint8_t ra[3 * BLK], wb[2 * BLK];
  fill(t, 8, wb, sizeof wb);
  ini_cmd_t ca, cb;
  cmd_init(&ca, 1, 0);
  ca.disc = 1;
  cmd_rw10(&ca, SCSI_OP_READ_10, 3, 3);
  ca.in = ra;
  ca.in_cap = sizeof ra;
  cmd_init(&cb, 6, 0);
  cb.disc = 1;
  cmd_rw10(&cb, SCSI_OP_WRITE_10, 9, 2);
  cb.out = wb;
  cb.out_len = sizeof wb;
  rig_submit(&r, &ca);
  rig_submit(&r, &cb);
  rig_run_cmds(&r, 20000000);
  CHECK_EQ(t, ca.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, cb.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(ra, a.disk + 3 * BLK, sizeof ra) == 0, "target 1 read differs");
  CHECK(t, memcmp(b.disk + 9 * BLK, wb, sizeof wb) == 0, "target 6 write differs");
  /* the second command was selected while the first was disconnected */
  CHECK(t, cb.selected_ns < ca.done_ns, "not interleaved: B selected %llu, A done %llu",
        (unsigned long long)cb.selected_ns, (unsigned long long)ca.done_ns);
  CHECK(t, ca.disconnects >= 1 && cb.disconnects >= 1, "disconnects %u %u", ca.disconnects,
        cb.disconnects);
  CHECK_EQ(t, ca.reselections, ca.disconnects);
  CHECK_EQ(t, cb.reselections, cb.disconnects);
  CHECK_EQ(t, r.ini.unknown_resel, 0u);
  CHECK_EQ(t, r.ini.unexpected_free, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(a.disk);
  free(b.disk);
}

static void rejected_disconnect_stays_connected(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 9);
  lu.service_ns = 200000;
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.disconnect_every = 256;
  scsi_target_t *tg = rig_target(&r, 2, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[2 * BLK];
  ini_cmd_t c;
  cmd_init(&c, 2, 0);
  c.disc = 1;
  c.reject_disconnect = 1;
  cmd_rw10(&c, SCSI_OP_READ_10, 0, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.disconnects, 0u);
  CHECK(t, memcmp(buf, lu.disk, sizeof buf) == 0, "data differs");
  CHECK(t, c.done_ns - c.selected_ns >= lu.service_ns, "service not spent connected");
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.rejects_rx, 1u);
  CHECK_EQ(t, st.disconnects, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void arbitration_highest_id_wins(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t la, lb, lc;
  fake_init(t, &la, 16, 23);
  fake_init(t, &lb, 16, 24);
  fake_init(t, &lc, 16, 25);
  la.service_ns = lb.service_ns = 50000;
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.disconnect_service_ns = 10000;
  scsi_target_t *ta = rig_target(&r, 1, &cfg);
  scsi_target_t *tb = rig_target(&r, 4, &cfg);
  scsi_target_t *tc = rig_target(&r, 2, &cfg);
  scsi_target_bind(ta, 0, &fake_ops, &la);
  scsi_target_bind(tb, 0, &fake_ops, &lb);
  scsi_target_bind(tc, 0, &fake_ops, &lc);
  uint8_t ba[BLK], bb[BLK], bc[4 * BLK];
  ini_cmd_t ca, cb, cc;
  cmd_init(&ca, 1, 0);
  ca.disc = 1;
  cmd_rw10(&ca, SCSI_OP_READ_10, 1, 1);
  ca.in = ba;
  ca.in_cap = sizeof ba;
  cmd_init(&cb, 4, 0);
  cb.disc = 1;
  cmd_rw10(&cb, SCSI_OP_READ_10, 2, 1);
  cb.in = bb;
  cb.in_cap = sizeof bb;
  /* target 2 holds the bus (no disconnect privilege) while both others become ready */
  cmd_init(&cc, 2, 0);
  cmd_rw10(&cc, SCSI_OP_READ_10, 3, 4);
  cc.in = bc;
  cc.in_cap = sizeof bc;
  rig_submit(&r, &ca);
  rig_submit(&r, &cb);
  rig_submit(&r, &cc);
  rig_run_cmds(&r, 20000000);
  CHECK_EQ(t, ca.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, cb.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, cc.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(ba, la.disk + BLK, BLK) == 0, "target 1 data");
  CHECK(t, memcmp(bb, lb.disk + 2 * BLK, BLK) == 0, "target 4 data");
  CHECK(t, memcmp(bc, lc.disk + 3 * BLK, sizeof bc) == 0, "target 2 data");
  /* both were ready before target 2 let go of the bus: ID 4 wins over ID 1 */
  CHECK(t, ca.resel_ns > cc.done_ns && cb.resel_ns > cc.done_ns, "reselected while busy");
  CHECK(t, cb.resel_ns < ca.resel_ns, "ID 4 reselected at %llu, ID 1 at %llu",
        (unsigned long long)cb.resel_ns, (unsigned long long)ca.resel_ns);
  scsi_target_stats_t st;
  scsi_target_stats(ta, &st);
  CHECK(t, st.arb_lost >= 1, "ID 1 lost %llu arbitrations", (unsigned long long)st.arb_lost);
  scsi_target_stats(tb, &st);
  CHECK_EQ(t, st.arb_lost, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(la.disk);
  free(lb.disk);
  free(lc.disk);
}

static void message_parity_error_resends_last_message(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 8, 26);
  scsi_target_t *tg = rig_target(&r, 2, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[BLK];
  ini_cmd_t c1, c2;
  cmd_init(&c1, 2, 0);
  cmd_rw10(&c1, SCSI_OP_READ_10, 3, 1);
  c1.in = buf;
  c1.in_cap = sizeof buf;
  c1.mpe_on_complete = 1;
  rig_submit(&r, &c1);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c1.state, CMD_DONE);
  CHECK_EQ(t, c1.status, SCSI_STATUS_GOOD);
  REQUIRE_EQ(t, c1.nmsgs, 2u); /* COMMAND COMPLETE, and again after MESSAGE PARITY ERROR */
  CHECK_EQ(t, c1.msgs[0], SCSI_MSG_COMMAND_COMPLETE);
  CHECK_EQ(t, c1.msgs[1], SCSI_MSG_COMMAND_COMPLETE);
  CHECK(t, memcmp(buf, lu.disk + 3 * BLK, BLK) == 0, "data differs");
  /* regression: MESSAGE PARITY ERROR at selection, with no MESSAGE IN before it in this
   * connection, once resent the previous connection's messages; it must be a no-op */
  cmd_init(&c2, 2, 0);
  cmd_rw10(&c2, SCSI_OP_READ_10, 4, 1);
  c2.in = buf;
  c2.in_cap = sizeof buf;
  c2.extra_msg[0] = SCSI_MSG_PARITY_ERROR;
  c2.extra_len = 1;
  rig_submit(&r, &c2);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c2.status, SCSI_STATUS_GOOD);
  REQUIRE_EQ(t, c2.nmsgs, 1u);
  CHECK_EQ(t, c2.msgs[0], SCSI_MSG_COMMAND_COMPLETE);
  CHECK(t, memcmp(buf, lu.disk + 4 * BLK, BLK) == 0, "data differs");
  CHECK_EQ(t, lu.live, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

/* ---- selection timeout, BDR, ABORT, reset ------------------------------------------------- */

static void absent_id_times_out(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  rig_target(&r, 1, &cfg);
  /* a gone target is present on the bus but never answers */
  cfg.faults.flags = SCSI_FAULT_GONE;
  scsi_target_t *gone = rig_target(&r, 4, &cfg);
  ini_cmd_t c5, c4;
  cmd_init(&c5, 5, 0);
  cmd_6(&c5, SCSI_OP_TEST_UNIT_READY, 0);
  cmd_init(&c4, 4, 0);
  cmd_6(&c4, SCSI_OP_TEST_UNIT_READY, 0);
  rig_submit(&r, &c5);
  rig_submit(&r, &c4);
  uint64_t bsy_seen = 0;
  uint64_t end = r.now + 2000000;
  while (r.now < end && !(cmd_finished(&c5) && cmd_finished(&c4))) {
    rig_cycle(&r);
    /* while SEL is out nobody but the initiator drives BSY */
    if ((scsi_bus_resolved(r.bus) & SCSI_SEL) && (scsi_bus_devices(r.bus) & SCSI_BSY)) bsy_seen++;
  }
  CHECK_EQ(t, c5.state, CMD_SEL_TIMEOUT);
  CHECK_EQ(t, c4.state, CMD_SEL_TIMEOUT);
  CHECK_EQ(t, bsy_seen, 0u);
  scsi_target_stats_t st;
  scsi_target_stats(gone, &st);
  CHECK_EQ(t, st.selections, 0u);
  rig_run(&r, 2000);
  CHECK_EQ(t, scsi_bus_resolved(r.bus), 0u);
  expect_clean(&r);
  rig_done(&r);
}

static void bus_device_reset_clears_target(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu0, lu1;
  fake_init(t, &lu0, 16, 10);
  fake_init(t, &lu1, 16, 11);
  lu0.service_ns = 400000;
  scsi_target_t *tg = rig_target(&r, 3, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu0);
  scsi_target_bind(tg, 1, &fake_ops, &lu1);
  uint8_t buf[BLK];
  ini_cmd_t c, bdr;
  cmd_init(&c, 3, 0);
  c.disc = 1;
  cmd_rw10(&c, SCSI_OP_READ_10, 0, 1);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  while (c.state != CMD_DISCONNECTED && r.now < 2000000) rig_cycle(&r);
  REQUIRE_EQ(t, c.state, CMD_DISCONNECTED);
  CHECK_EQ(t, lu0.live, 1u);
  /* selection with ATN, IDENTIFY, BUS DEVICE RESET */
  cmd_init(&bdr, 3, 1);
  cmd_6(&bdr, SCSI_OP_TEST_UNIT_READY, 0);
  bdr.extra_msg[0] = SCSI_MSG_BUS_DEVICE_RESET;
  bdr.extra_len = 1;
  rig_submit(&r, &bdr);
  while (bdr.state == CMD_QUEUED || bdr.state == CMD_ACTIVE) rig_cycle(&r);
  CHECK_EQ(t, bdr.state, CMD_BUS_FREE); /* the target went bus free after the message */
  CHECK_EQ(t, bdr.cdb_sent, 0u);
  CHECK_EQ(t, lu0.resets, 1u);
  CHECK_EQ(t, lu1.resets, 1u);
  CHECK_EQ(t, lu0.last_reset, SCSI_RESET_BDR);
  CHECK_EQ(t, lu0.live, 0u); /* the disconnected task was freed */
  CHECK_EQ(t, lu0.frees, 1u);
  rig_run(&r, 1000000);
  CHECK_EQ(t, c.reselections, 0u); /* nothing comes back */
  CHECK_EQ(t, c.state, CMD_DISCONNECTED);
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.bdrs, 1u);
  expect_clean(&r);
  rig_done(&r);
  free(lu0.disk);
  free(lu1.disk);
}

static void abort_message_mid_data(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 12);
  scsi_target_t *tg = rig_target(&r, 0, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t data[2 * BLK];
  fill(t, 12, data, sizeof data);
  uint8_t before[2 * BLK];
  memcpy(before, lu.disk, sizeof before);
  ini_cmd_t c;
  cmd_init(&c, 0, 0);
  cmd_rw10(&c, SCSI_OP_WRITE_10, 0, 2);
  c.out = data;
  c.out_len = sizeof data;
  c.atn_at_data = 100;
  c.atn_msg = SCSI_MSG_ABORT;
  rig_submit(&r, &c);
  while (c.state == CMD_QUEUED || c.state == CMD_ACTIVE) rig_cycle(&r);
  CHECK_EQ(t, c.state, CMD_BUS_FREE);
  /* ATN raised before byte 100: the target takes that byte, then MESSAGE OUT */
  CHECK_EQ(t, c.out_bytes, 101u);
  CHECK_EQ(t, lu.finishes, 0u);
  CHECK_EQ(t, lu.live, 0u);
  CHECK(t, memcmp(lu.disk, before, sizeof before) == 0, "aborted write reached the LU");
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.aborts, 1u);
  rig_run(&r, 2000);
  CHECK_EQ(t, scsi_bus_resolved(r.bus), 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void bus_reset_mid_transfer(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 13);
  scsi_target_t *tg = rig_target(&r, 6, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[4 * BLK];
  ini_cmd_t c;
  cmd_init(&c, 6, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 0, 4);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  while (c.in_bytes < 300) rig_cycle(&r);
  /* the initiator asserts RST for 30 us */
  r.ini.state = I_RESET;
  r.ini.rst_until = r.now + 30000;
  ini_drive(&r.ini, SCSI_RST);
  rig_cycle(&r);
  rig_cycle(&r); /* the targets saw RST in the previous sample: released now */
  CHECK_EQ(t, scsi_bus_devices(r.bus), 0u);
  CHECK_EQ(t, lu.resets, 1u);
  CHECK_EQ(t, lu.last_reset, SCSI_RESET_BUS);
  CHECK_EQ(t, lu.live, 0u);
  CHECK(t, strcmp(scsi_target_state_name(tg), "reset") == 0, "state %s", scsi_target_state_name(tg));
  c.state = CMD_RESET;
  rig_run(&r, 40000);
  /* the target works again */
  ini_cmd_t c2;
  cmd_init(&c2, 6, 0);
  cmd_rw10(&c2, SCSI_OP_READ_10, 8, 1);
  c2.in = buf;
  c2.in_cap = BLK;
  rig_submit(&r, &c2);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c2.status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(buf, lu.disk + 8 * BLK, BLK) == 0, "data after reset differs");
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.bus_resets, 1u);
  expect_clean(&r); /* 30 us >= the 25 us reset hold time */
  rig_done(&r);
  free(lu.disk);
}

/* ---- parity -------------------------------------------------------------------------------- */

static void parity_fault_on_chosen_byte(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 14);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.faults.flags = SCSI_FAULT_PARITY | SCSI_FAULT_ONCE;
  cfg.faults.parity_byte = 333;
  scsi_target_t *tg = rig_target(&r, 2, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[2 * BLK];
  ini_cmd_t c;
  cmd_init(&c, 2, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 4, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.parity_errors, 1u);
  CHECK_EQ(t, c.first_parity_at, 333);
  /* the byte value itself is right; only DBP was wrong */
  CHECK(t, memcmp(buf, lu.disk + 4 * BLK, sizeof buf) == 0, "data differs");
  CHECK_EQ(t, scsi_bus_check_count_kind(r.bus, SCSI_CHK_PARITY), 1u);
  CHECK_EQ(t, scsi_bus_check_count(r.bus), 1u);
  scsi_bus_check_clear(r.bus);
  /* ONCE: the next read is clean */
  ini_cmd_t c2;
  cmd_init(&c2, 2, 0);
  cmd_rw10(&c2, SCSI_OP_READ_10, 4, 2);
  c2.in = buf;
  c2.in_cap = sizeof buf;
  rig_submit(&r, &c2);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c2.parity_errors, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void initiator_detected_error_retries(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 15);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.faults.flags = SCSI_FAULT_PARITY | SCSI_FAULT_ONCE;
  cfg.faults.parity_byte = SCSI_FAULT_RANDOM_BYTE; /* chosen from the seed */
  scsi_target_t *tg = rig_target(&r, 2, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[2 * BLK];
  memset(buf, 0, sizeof buf);
  ini_cmd_t c;
  cmd_init(&c, 2, 0);
  c.ide_on_parity = 1;
  cmd_rw10(&c, SCSI_OP_READ_10, 1, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.parity_errors, 1u);
  CHECK(t, c.first_parity_at >= 0 && c.first_parity_at < (int64_t)sizeof buf, "byte %lld",
        (long long)c.first_parity_at);
  CHECK_EQ(t, c.restores, 1u);
  /* restarted from the saved pointer (0): every byte again */
  CHECK_EQ(t, c.in_bytes, sizeof buf + (uint32_t)c.first_parity_at + 1);
  CHECK(t, memcmp(buf, lu.disk + BLK, sizeof buf) == 0, "data differs after the retry");
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.ide_rx, 1u);
  CHECK_EQ(t, st.retries, 1u);
  CHECK_EQ(t, scsi_bus_check_count_kind(r.bus, SCSI_CHK_PARITY), 1u);
  CHECK_EQ(t, scsi_bus_check_count(r.bus), 1u);
  /* the same seed chooses the same byte */
  int64_t first = c.first_parity_at;
  rig_done(&r);
  rig_init(t, &r);
  tg = rig_target(&r, 2, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  cmd_init(&c, 2, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 1, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.first_parity_at, first);
  rig_done(&r);
  free(lu.disk);
}

static void initiator_parity_errors_end_in_check_condition(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 16);
  scsi_target_t *tg = rig_target(&r, 1, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t before[BLK], data[BLK], sense[18];
  memcpy(before, lu.disk, BLK);
  fill(t, 16, data, sizeof data);
  /* bad parity on a DATA OUT byte: the LU never gets the data */
  ini_cmd_t w, rs, cdbp, rs2;
  cmd_init(&w, 1, 0);
  cmd_rw10(&w, SCSI_OP_WRITE_10, 0, 1);
  w.out = data;
  w.out_len = sizeof data;
  w.bad_out_parity_at = 17;
  rig_submit(&r, &w);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, w.status, SCSI_STATUS_CHECK_CONDITION);
  CHECK_EQ(t, w.out_bytes, sizeof data);
  CHECK_EQ(t, lu.finishes, 0u);
  CHECK_EQ(t, lu.live, 0u);
  CHECK(t, memcmp(lu.disk, before, BLK) == 0, "data with a parity error was written");
  cmd_init(&rs, 1, 0);
  cmd_6(&rs, SCSI_OP_REQUEST_SENSE, 18);
  rs.in = sense;
  rs.in_cap = sizeof sense;
  rig_submit(&r, &rs);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, rs.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, rs.in_bytes, 18u);
  CHECK_EQ(t, sense[2], SCSI_SK_ABORTED_COMMAND);
  CHECK_EQ(t, sense[12], 0x47u);
  CHECK_EQ(t, sense[13], 0x00u);
  CHECK_EQ(t, lu.begins, 1u); /* REQUEST SENSE was answered by the engine */
  /* bad parity on a CDB byte: the LU never sees the command */
  cmd_init(&cdbp, 1, 0);
  cmd_rw10(&cdbp, SCSI_OP_READ_10, 0, 1);
  cdbp.bad_cdb_parity_at = 3;
  uint8_t buf[BLK];
  cdbp.in = buf;
  cdbp.in_cap = sizeof buf;
  rig_submit(&r, &cdbp);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, cdbp.status, SCSI_STATUS_CHECK_CONDITION);
  CHECK_EQ(t, cdbp.in_bytes, 0u);
  CHECK_EQ(t, lu.begins, 1u);
  cmd_init(&rs2, 1, 0);
  cmd_6(&rs2, SCSI_OP_REQUEST_SENSE, 0); /* SCSI-2: 0 means four bytes */
  memset(sense, 0, sizeof sense);
  rs2.in = sense;
  rs2.in_cap = sizeof sense;
  rig_submit(&r, &rs2);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, rs2.in_bytes, 4u);
  CHECK_EQ(t, sense[2], SCSI_SK_ABORTED_COMMAND);
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.parity_errors, 2u);
  CHECK_EQ(t, scsi_bus_check_count_kind(r.bus, SCSI_CHK_PARITY), 2u);
  CHECK_EQ(t, scsi_bus_check_count(r.bus), 2u);
  rig_done(&r);
  free(lu.disk);
}

/* ---- other faults -------------------------------------------------------------------------- */

static void hang_fault_stops_req(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 17);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.faults.flags = SCSI_FAULT_HANG | SCSI_FAULT_ONCE;
  cfg.faults.hang_after = 200;
  scsi_target_t *tg = rig_target(&r, 3, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[BLK];
  ini_cmd_t c;
  cmd_init(&c, 3, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 0, 1);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run(&r, 2000000);
  CHECK_EQ(t, c.state, CMD_ACTIVE);
  CHECK_EQ(t, c.in_bytes, 200u);
  CHECK(t, memcmp(buf, lu.disk, 200) == 0, "bytes before the hang differ");
  CHECK(t, strcmp(scsi_target_state_name(tg), "hung") == 0, "state %s", scsi_target_state_name(tg));
  uint32_t held = scsi_bus_contribution(r.bus, scsi_target_bus_handle(tg));
  CHECK(t, (held & SCSI_BSY) && !(held & SCSI_REQ), "holds BSY without REQ: 0x%x", held);
  /* hung: the engine waits for RST only and needs no calls */
  uint64_t calls = scsi_bus_client_calls(r.bus, scsi_target_bus_handle(tg));
  CHECK_EQ(t, scsi_target_wait_mask(tg), SCSI_RST);
  rig_run(&r, 100000);
  CHECK_EQ(t, scsi_bus_client_calls(r.bus, scsi_target_bus_handle(tg)), calls);
  /* a bus reset frees it */
  r.ini.state = I_RESET;
  r.ini.rst_until = r.now + 26000;
  ini_drive(&r.ini, SCSI_RST);
  rig_run(&r, 40000);
  CHECK_EQ(t, lu.live, 0u);
  CHECK(t, strcmp(scsi_target_state_name(tg), "free") == 0, "state %s", scsi_target_state_name(tg));
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void early_status_fault(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 18);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.faults.flags = SCSI_FAULT_EARLY_STATUS;
  cfg.faults.early_after = 100;
  scsi_target_t *tg = rig_target(&r, 2, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[2 * BLK], data[BLK];
  memset(buf, 0, sizeof buf);
  fill(t, 18, data, sizeof data);
  ini_cmd_t c, w;
  cmd_init(&c, 2, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 0, 2);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.state, CMD_DONE);
  CHECK_EQ(t, c.in_bytes, 100u);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD); /* the LU's status; the residual tells the rest */
  CHECK(t, memcmp(buf, lu.disk, 100) == 0, "bytes before STATUS differ");
  /* a write: the LU hears that only 100 bytes came */
  cmd_init(&w, 2, 0);
  cmd_rw10(&w, SCSI_OP_WRITE_10, 3, 1);
  w.out = data;
  w.out_len = sizeof data;
  rig_submit(&r, &w);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, w.out_bytes, 100u);
  CHECK_EQ(t, lu.finishes, 1u);
  CHECK_EQ(t, lu.last_received, 100u);
  CHECK_EQ(t, w.status, SCSI_STATUS_CHECK_CONDITION);
  scsi_target_stats_t st;
  scsi_target_stats(tg, &st);
  CHECK_EQ(t, st.faults_fired, 2u);
  CHECK_EQ(t, lu.live, 0u);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void extra_data_fault(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 16, 19);
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.faults.flags = SCSI_FAULT_EXTRA_DATA;
  cfg.faults.extra_bytes = 7;
  scsi_target_t *tg = rig_target(&r, 4, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  uint8_t buf[BLK + 16], data[BLK];
  fill(t, 19, data, sizeof data);
  ini_cmd_t c, w;
  cmd_init(&c, 4, 0);
  cmd_rw10(&c, SCSI_OP_READ_10, 2, 1);
  c.in = buf;
  c.in_cap = sizeof buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.in_bytes, BLK + 7u);
  CHECK(t, memcmp(buf, lu.disk + 2 * BLK, BLK) == 0, "real data differs");
  cmd_init(&w, 4, 0);
  cmd_rw10(&w, SCSI_OP_WRITE_10, 5, 1);
  w.out = data;
  w.out_len = sizeof data;
  rig_submit(&r, &w);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, w.out_bytes, BLK + 7u); /* 7 filler bytes asked for beyond the command */
  CHECK_EQ(t, lu.last_received, BLK);
  CHECK(t, memcmp(lu.disk + 5 * BLK, data, BLK) == 0, "written data differs");
  CHECK_EQ(t, w.status, SCSI_STATUS_GOOD);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void extended_message_is_rejected(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  fake_lu_t lu;
  fake_init(t, &lu, 8, 20);
  scsi_target_t *tg = rig_target(&r, 5, NULL);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  ini_cmd_t c;
  cmd_init(&c, 5, 0);
  cmd_6(&c, SCSI_OP_TEST_UNIT_READY, 0);
  /* SDTR: the target stays asynchronous */
  c.extra_msg[0] = SCSI_MSG_EXTENDED;
  c.extra_msg[1] = 3;
  c.extra_msg[2] = 1;
  c.extra_msg[3] = 25;
  c.extra_len = 4;
  /* the fourth byte (offset) would be dropped: the queue holds 4 extra bytes + IDENTIFY */
  rig_submit(&r, &c);
  rig_run_cmds(&r, 5000000);
  CHECK_EQ(t, c.status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c.rejects_seen, 1u);
  CHECK_EQ(t, c.msgs[0], SCSI_MSG_MESSAGE_REJECT);
  CHECK_EQ(t, c.msgs[c.nmsgs - 1], SCSI_MSG_COMMAND_COMPLETE);
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

/* ---- the checker --------------------------------------------------------------------------- */

typedef struct plant {
  scsi_bus_t *b;
  int tgt, ini;
  uint64_t now;
} plant_t;

static void pl(plant_t *p, uint32_t tgt, uint32_t ini) {
  scsi_bus_drive(p->b, p->tgt, tgt);
  scsi_bus_drive(p->b, p->ini, ini);
  scsi_bus_step(p->b, p->now, scsi_bus_resolved(p->b));
  p->now += 100;
}

static plant_t plant_new(test_ctx_t *t) {
  plant_t p = {scsi_bus_create(), 0, 0, 0};
  REQUIRE(t, p.b != NULL, "create");
  p.tgt = scsi_bus_attach(p.b, "tgt", NULL, NULL);
  p.ini = scsi_bus_attach(p.b, "ini", NULL, NULL);
  pl(&p, 0, 0);
  return p;
}

/* A legal selection of target 0 by 7 and a COMMAND byte, leaving the target connected. */
static void plant_connect(plant_t *p, int with_command) {
  uint32_t ids = scsi_data_lines(0x81);
  pl(p, 0, SCSI_BSY | SCSI_DB7);
  pl(p, 0, SCSI_BSY | SCSI_SEL | SCSI_DB7);
  pl(p, 0, SCSI_BSY | SCSI_SEL | ids);
  pl(p, 0, SCSI_SEL | ids);
  pl(p, SCSI_BSY, SCSI_SEL | ids);
  pl(p, SCSI_BSY, 0);
  if (with_command) {
    uint32_t cd = SCSI_BSY | SCSI_CD;
    pl(p, cd, 0);
    pl(p, cd | SCSI_REQ, 0);
    pl(p, cd | SCSI_REQ, scsi_data_lines(0x00));
    pl(p, cd | SCSI_REQ, scsi_data_lines(0x00) | SCSI_ACK);
    pl(p, cd, scsi_data_lines(0x00) | SCSI_ACK);
    pl(p, cd, 0);
  }
}

static void checker_flags_each_violation(test_ctx_t *t) {
  /* a clean exchange first: no findings */
  plant_t p = plant_new(t);
  plant_connect(&p, 1);
  uint32_t din = SCSI_BSY | SCSI_IO;
  pl(&p, din | scsi_data_lines(0x5A), 0);
  pl(&p, din | scsi_data_lines(0x5A) | SCSI_REQ, 0);
  pl(&p, din | scsi_data_lines(0x5A) | SCSI_REQ, SCSI_ACK);
  pl(&p, din | scsi_data_lines(0x5A), SCSI_ACK);
  pl(&p, din, 0);
  pl(&p, 0, 0);
  CHECK_EQ(t, scsi_bus_check_count(p.b), 0u);

  struct {
    scsi_check_kind_t kind;
    const char *what;
  } cases[] = {
      {SCSI_CHK_REQ_WITHOUT_BSY, "REQ while BSY free"},
      {SCSI_CHK_ACK_WITHOUT_REQ, "ACK without REQ"},
      {SCSI_CHK_REQ_DROPPED, "REQ dropped before ACK"},
      {SCSI_CHK_DATA_CHANGED, "data changed during REQ+ACK"},
      {SCSI_CHK_PHASE_CHANGED, "phase changed during REQ"},
      {SCSI_CHK_TWO_REQ, "two devices with BSY+REQ"},
      {SCSI_CHK_PARITY, "parity error"},
      {SCSI_CHK_RST_SHORT, "RST shorter than 25 us"},
      {SCSI_CHK_PHASE_SEQUENCE, "DATA IN without COMMAND"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scsi_bus_check_clear(p.b);
    switch (cases[i].kind) {
    case SCSI_CHK_REQ_WITHOUT_BSY:
      pl(&p, SCSI_REQ | SCSI_IO, 0);
      pl(&p, SCSI_REQ | SCSI_IO, SCSI_ACK);
      pl(&p, SCSI_IO, SCSI_ACK);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_ACK_WITHOUT_REQ:
      plant_connect(&p, 1);
      pl(&p, SCSI_BSY | SCSI_IO, SCSI_ACK);
      pl(&p, SCSI_BSY | SCSI_IO, 0);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_REQ_DROPPED:
      plant_connect(&p, 1);
      pl(&p, din | scsi_data_lines(1) | SCSI_REQ, 0);
      pl(&p, din | scsi_data_lines(1), 0);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_DATA_CHANGED:
      plant_connect(&p, 1);
      pl(&p, din | scsi_data_lines(1) | SCSI_REQ, 0);
      pl(&p, din | scsi_data_lines(1) | SCSI_REQ, SCSI_ACK);
      pl(&p, din | scsi_data_lines(2) | SCSI_REQ, SCSI_ACK);
      pl(&p, din | scsi_data_lines(2), SCSI_ACK);
      pl(&p, din, 0);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_PHASE_CHANGED:
      plant_connect(&p, 1);
      pl(&p, din | scsi_data_lines(1) | SCSI_REQ, 0);
      pl(&p, SCSI_BSY | SCSI_CD | SCSI_IO | scsi_data_lines(1) | SCSI_REQ, 0);
      pl(&p, SCSI_BSY | SCSI_CD | SCSI_IO | scsi_data_lines(1) | SCSI_REQ, SCSI_ACK);
      pl(&p, SCSI_BSY | SCSI_CD | SCSI_IO, SCSI_ACK);
      pl(&p, SCSI_BSY, 0);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_TWO_REQ:
      plant_connect(&p, 1);
      pl(&p, din | SCSI_REQ | scsi_data_lines(1), SCSI_BSY | SCSI_REQ);
      pl(&p, din | SCSI_REQ | scsi_data_lines(1), SCSI_ACK);
      pl(&p, din, 0);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_PARITY:
      plant_connect(&p, 1);
      pl(&p, din | (scsi_data_lines(0x33) ^ SCSI_DBP), 0);
      pl(&p, din | (scsi_data_lines(0x33) ^ SCSI_DBP) | SCSI_REQ, 0);
      pl(&p, din | (scsi_data_lines(0x33) ^ SCSI_DBP) | SCSI_REQ, SCSI_ACK);
      pl(&p, din, SCSI_ACK);
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_RST_SHORT:
      pl(&p, 0, SCSI_RST);
      p.now += 20000;
      pl(&p, 0, 0);
      break;
    case SCSI_CHK_PHASE_SEQUENCE:
      plant_connect(&p, 0);
      pl(&p, din | scsi_data_lines(1), 0);
      pl(&p, din | scsi_data_lines(1) | SCSI_REQ, 0);
      pl(&p, din | scsi_data_lines(1) | SCSI_REQ, SCSI_ACK);
      pl(&p, din, SCSI_ACK);
      pl(&p, din, 0);
      pl(&p, 0, 0);
      break;
    default: break;
    }
    CHECK(t, scsi_bus_check_count(p.b) == 1, "%s: %u findings", cases[i].what,
          scsi_bus_check_count(p.b));
    CHECK(t, scsi_bus_check_kind(p.b, 0) == cases[i].kind, "%s: kind %s", cases[i].what,
          scsi_check_kind_name(scsi_bus_check_kind(p.b, 0)));
    CHECK_EQ(t, scsi_bus_check_count_kind(p.b, cases[i].kind), scsi_bus_check_count(p.b));
    const char *txt = scsi_bus_check_text(p.b, 0);
    CHECK(t, txt && strncmp(txt, "t=", 2) == 0, "text of %s", cases[i].what);
    if (txt) test_log(t, "%s -> %s", cases[i].what, txt);
  }
  /* a long RST is fine; texts are bounded, the count goes on */
  scsi_bus_check_clear(p.b);
  pl(&p, 0, SCSI_RST);
  p.now += 30000;
  pl(&p, 0, 0);
  CHECK_EQ(t, scsi_bus_check_count(p.b), 0u);
  for (unsigned i = 0; i < SCSI_CHECK_MAX_TEXTS + 10; i++) {
    pl(&p, 0, SCSI_ACK);
    pl(&p, 0, 0);
  }
  CHECK_EQ(t, scsi_bus_check_count(p.b), SCSI_CHECK_MAX_TEXTS + 10u);
  CHECK(t, scsi_bus_check_text(p.b, SCSI_CHECK_MAX_TEXTS) == NULL, "texts are bounded");
  scsi_bus_destroy(p.b);
}

/* ---- the wake contract --------------------------------------------------------------------- */

static void idle_target_needs_no_calls(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  scsi_target_t *tg = rig_target(&r, 2, NULL);
  rig_run(&r, 10000);
  uint64_t calls = scsi_bus_client_calls(r.bus, scsi_target_bus_handle(tg));
  uint64_t steps = r.bus_steps;
  CHECK(t, calls <= 2, "%llu calls while settling", (unsigned long long)calls);
  CHECK_EQ(t, scsi_target_deadline(tg), SCSI_BUS_NEVER);
  CHECK_EQ(t, scsi_target_wait_mask(tg) & (SCSI_REQ | SCSI_ACK | SCSI_ATN), 0u);
  rig_run(&r, 1000000); /* 1 ms, 50000 cycles of nothing */
  CHECK_EQ(t, scsi_bus_client_calls(r.bus, scsi_target_bus_handle(tg)), calls);
  CHECK_EQ(t, r.bus_steps, steps);
  /* a line the target does not wait on (ATN) changes: still no call */
  ini_drive(&r.ini, SCSI_ATN);
  rig_run(&r, 1000);
  ini_drive(&r.ini, 0);
  rig_run(&r, 1000);
  CHECK_EQ(t, scsi_bus_client_calls(r.bus, scsi_target_bus_handle(tg)), calls);
  CHECK_EQ(t, scsi_bus_check_count(r.bus), 0u);
  rig_done(&r);
}

typedef struct run_result {
  uint64_t hash, changes, end_ns, calls, steps, cycles;
  uint8_t buf[3 * BLK];
  int status;
} run_result_t;

static void gated_run(test_ctx_t *t, int ungated, run_result_t *out) {
  rig_t r;
  rig_init(t, &r);
  r.ungated = ungated;
  fake_lu_t lu;
  fake_init(t, &lu, 16, 21);
  lu.service_ns = 150000;
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.disconnect_every = 600;
  scsi_target_t *tg = rig_target(&r, 3, &cfg);
  scsi_target_bind(tg, 0, &fake_ops, &lu);
  ini_cmd_t c;
  cmd_init(&c, 3, 0);
  c.disc = 1;
  cmd_rw10(&c, SCSI_OP_READ_10, 2, 3);
  c.in = out->buf;
  c.in_cap = sizeof out->buf;
  rig_submit(&r, &c);
  rig_run_cmds(&r, 10000000);
  CHECK(t, memcmp(out->buf, lu.disk + 2 * BLK, sizeof out->buf) == 0, "data differs");
  out->hash = r.trace_hash;
  out->changes = r.changes;
  out->end_ns = c.done_ns;
  out->calls = scsi_bus_client_calls(r.bus, scsi_target_bus_handle(tg));
  out->steps = r.bus_steps;
  out->cycles = r.now / PERIOD_NS;
  out->status = c.status;
  expect_clean(&r);
  rig_done(&r);
  free(lu.disk);
}

static void gated_calls_match_every_cycle(test_ctx_t *t) {
  run_result_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  REQUIRE(t, a && b, "calloc");
  gated_run(t, 1, a);
  gated_run(t, 0, b);
  CHECK_EQ(t, a->status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, b->status, SCSI_STATUS_GOOD);
  /* identical bus traffic, cycle for cycle */
  CHECK_EQ(t, a->hash, b->hash);
  CHECK_EQ(t, a->changes, b->changes);
  CHECK_EQ(t, a->end_ns, b->end_ns);
  CHECK(t, memcmp(a->buf, b->buf, sizeof a->buf) == 0, "data differs");
  /* while the target works (150 us) and between bytes nobody needs to call it */
  test_log(t, "%llu cycles; every cycle: %llu bus steps; gated: %llu bus steps, %llu target calls, %llu bus changes",
           (unsigned long long)a->cycles, (unsigned long long)a->steps,
           (unsigned long long)b->steps, (unsigned long long)b->calls,
           (unsigned long long)b->changes);
  CHECK_EQ(t, a->cycles, b->cycles);
  CHECK(t, b->calls * 2 < b->cycles, "gated: %llu target calls in %llu cycles",
        (unsigned long long)b->calls, (unsigned long long)b->cycles);
  CHECK(t, b->steps < a->steps / 2, "gated %llu vs %llu steps", (unsigned long long)b->steps,
        (unsigned long long)a->steps);
  free(a);
  free(b);
}

/* ---- the real disk model behind the engine ------------------------------------------------- */

static void run_one(rig_t *r, ini_cmd_t *c) {
  rig_submit(r, c);
  rig_run_cmds(r, 200000000);
}

static void real_disk_round_trip(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  disk_rig_spec_t sp = disk_rig_spec(t, 0, 4096);
  sp.luns = 2;
  sp.model_timing = 1; /* the medium's seek and rotation, behind the bus */
  scsi_disk_t *d = disk_rig_disk(t, &sp);
  scsi_target_t *tg = rig_target(&r, 0, NULL);
  disk_rig_bind(t, tg, sp.luns, NULL, d);
  uint8_t inq[36], sense[18];
  ini_cmd_t c[8];
  /* INQUIRY is served before the power-on unit attention */
  cmd_init(&c[0], 0, 1);
  cmd_6(&c[0], SCSI_OP_INQUIRY, 36);
  c[0].in = inq;
  c[0].in_cap = sizeof inq;
  run_one(&r, &c[0]);
  CHECK_EQ(t, c[0].status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c[0].in_bytes, 36u);
  CHECK_EQ(t, inq[0], SCSI_TYPE_DISK);
  cmd_init(&c[1], 0, 1);
  cmd_6(&c[1], SCSI_OP_TEST_UNIT_READY, 0);
  run_one(&r, &c[1]);
  CHECK_EQ(t, c[1].status, SCSI_STATUS_CHECK_CONDITION);
  cmd_init(&c[2], 0, 1);
  cmd_6(&c[2], SCSI_OP_REQUEST_SENSE, 18);
  c[2].in = sense;
  c[2].in_cap = sizeof sense;
  run_one(&r, &c[2]);
  CHECK_EQ(t, c[2].status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SK_UNIT_ATTENTION);
  CHECK_EQ(t, sense[12], 0x29u);
  CHECK_EQ(t, sense[13], 0x00u);
  /* a write and a read of 16 blocks with disconnect privilege on LUN 1 */
  enum { NB = 16 };
  uint8_t *data = malloc(NB * BLK), *back = malloc(NB * BLK), *peek = malloc(NB * BLK);
  REQUIRE(t, data && back && peek, "malloc");
  fill(t, 30, data, NB * BLK);
  cmd_init(&c[3], 0, 1);
  c[3].disc = 1;
  cmd_rw10(&c[3], SCSI_OP_WRITE_10, 1000, NB);
  c[3].out = data;
  c[3].out_len = NB * BLK;
  run_one(&r, &c[3]);
  CHECK_EQ(t, c[3].status, SCSI_STATUS_GOOD);
  CHECK_EQ(t, c[3].out_bytes, NB * BLK);
  REQUIRE_EQ(t, scsi_disk_peek(d, 1, 1000, NB, peek), 0);
  CHECK(t, memcmp(peek, data, NB * BLK) == 0, "disk medium differs from the written bytes");
  cmd_init(&c[4], 0, 1);
  c[4].disc = 1;
  cmd_rw10(&c[4], SCSI_OP_READ_10, 1000, NB);
  c[4].in = back;
  c[4].in_cap = NB * BLK;
  run_one(&r, &c[4]);
  CHECK_EQ(t, c[4].status, SCSI_STATUS_GOOD);
  CHECK(t, memcmp(back, data, NB * BLK) == 0, "read back differs");
  test_log(t, "disk: write %u disconnects, read %u disconnects, read took %llu ns", c[3].disconnects,
           c[4].disconnects, (unsigned long long)(c[4].done_ns - c[4].selected_ns));
  /* a bus reset raises 06/29/02 on the disk */
  r.ini.state = I_RESET;
  r.ini.rst_until = r.now + 30000;
  ini_drive(&r.ini, SCSI_RST);
  rig_run(&r, 50000);
  cmd_init(&c[5], 0, 1); /* LUN 0 still holds the more important power-on attention */
  cmd_6(&c[5], SCSI_OP_REQUEST_SENSE, 18);
  memset(sense, 0, sizeof sense);
  c[5].in = sense;
  c[5].in_cap = sizeof sense;
  run_one(&r, &c[5]);
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SK_UNIT_ATTENTION);
  CHECK_EQ(t, sense[12], 0x29u);
  CHECK_EQ(t, sense[13], 0x02u);
  expect_clean(&r);
  rig_done(&r);
  scsi_disk_destroy(d);
  free(data);
  free(back);
  free(peek);
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void bad_input_is_refused(test_ctx_t *t) {
  scsi_bus_t *b = scsi_bus_create();
  REQUIRE(t, b != NULL, "create");
  int err = 0;
  CHECK(t, scsi_target_create(NULL, 1, NULL, &err) == NULL, "NULL bus");
  CHECK_EQ(t, err, SCSI_BUS_E_ARG);
  CHECK(t, scsi_target_create(b, 7, NULL, &err) == NULL, "ID 7");
  CHECK(t, scsi_target_create(b, 100, NULL, NULL) == NULL, "ID 100");
  scsi_target_config_t cfg;
  scsi_target_config_default(&cfg);
  cfg.timing.data_setup_ns = 10;
  CHECK(t, scsi_target_create(b, 1, &cfg, &err) == NULL, "setup below deskew+cable skew");
  scsi_target_config_default(&cfg);
  cfg.faults.flags = 0x4000;
  CHECK(t, scsi_target_create(b, 1, &cfg, &err) == NULL, "unknown fault flag");
  scsi_target_t *tg = scsi_target_create(b, 1, NULL, &err);
  REQUIRE(t, tg != NULL, "ID 1");
  CHECK(t, scsi_target_create(b, 1, NULL, &err) == NULL, "ID 1 twice");
  CHECK_EQ(t, err, SCSI_BUS_E_BUSY);
  fake_lu_t lu;
  fake_init(t, &lu, 4, 22);
  CHECK_EQ(t, scsi_target_bind(tg, 8, &fake_ops, &lu), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_target_bind(tg, 0, NULL, &lu), SCSI_BUS_E_ARG);
  scsi_lu_ops_t half = {NULL, NULL, fake_task_free, NULL};
  CHECK_EQ(t, scsi_target_bind(tg, 0, &half, &lu), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_target_bind(tg, 0, &fake_ops, &lu), SCSI_BUS_OK);
  CHECK_EQ(t, scsi_target_bind(tg, 0, &fake_ops, &lu), SCSI_BUS_E_BUSY);
  scsi_target_faults_t f = {0x4000, 0, 0, 0, 0};
  CHECK_EQ(t, scsi_target_set_faults(tg, &f), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_target_set_faults(tg, NULL), SCSI_BUS_E_ARG);
  CHECK_EQ(t, scsi_target_set_faults(NULL, &f), SCSI_BUS_E_ARG);
  scsi_target_stats_t st;
  scsi_target_stats(NULL, &st);
  CHECK_EQ(t, st.commands, 0u);
  scsi_target_stats(tg, NULL);
  scsi_target_step(NULL, 0, 0);
  CHECK_EQ(t, scsi_bus_step(NULL, 0, 0), 0u);
  CHECK(t, scsi_bus_check_text(b, 0) == NULL, "no text");
  scsi_bus_report(b, (scsi_check_kind_t)99, 5, "%s", "odd kind");
  CHECK_EQ(t, scsi_bus_check_kind(b, 0), SCSI_CHK_MODEL);
  scsi_bus_check_clear(b);
  /* time going backwards is recorded, not followed */
  scsi_bus_step(b, 1000, 0);
  scsi_bus_step(b, 500, SCSI_BSY);
  CHECK_EQ(t, scsi_bus_check_count_kind(b, SCSI_CHK_MODEL), 1u);
  scsi_bus_check_clear(b);

  /* random garbage on the pins: the engine neither crashes nor leaks a task */
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 99);
  uint64_t now = 2000;
  int ext = scsi_bus_attach(b, "noise", NULL, NULL);
  for (unsigned i = 0; i < 200000; i++) {
    uint32_t noise = (uint32_t)prng_next(&p) & SCSI_ALL_LINES;
    /* mostly plausible: keep RST rare so the engine gets somewhere */
    if (prng_below(&p, 64)) noise &= ~SCSI_RST;
    if (prng_below(&p, 4)) noise = scsi_bus_contribution(b, ext) ^ (1u << prng_below(&p, 18));
    noise &= ~SCSI_RST | (prng_below(&p, 50) == 0 ? SCSI_RST : 0u);
    scsi_bus_drive(b, ext, noise);
    scsi_bus_step(b, now, scsi_bus_resolved(b));
    now += PERIOD_NS * (1 + prng_below(&p, 50));
  }
  scsi_bus_drive(b, ext, SCSI_RST);
  scsi_bus_step(b, now, scsi_bus_resolved(b));
  now += 30000;
  scsi_bus_drive(b, ext, 0);
  scsi_bus_step(b, now, scsi_bus_resolved(b));
  CHECK_EQ(t, lu.live, 0u); /* every begun task was freed */
  test_log(t, "noise: %u commands begun, %u findings", lu.begins, scsi_bus_check_count(b));
  scsi_bus_destroy(b);
  free(lu.disk);
}

/* An initiator that follows the handshake loosely and makes random choices: selections with
 * odd ID sets, random messages and CDBs (biased towards real commands), bad parity, ATN at
 * random, late or missing ACKs, reselections answered or ignored, now and then a bus reset
 * (short or long). The engines must keep going, free every task and never crash. */
static void chaotic_initiator_never_breaks_engine(test_ctx_t *t) {
  scsi_bus_t *b = scsi_bus_create();
  REQUIRE(t, b != NULL, "create");
  fake_lu_t lu[2];
  fake_init(t, &lu[0], 8, 40);
  fake_init(t, &lu[1], 8, 41);
  lu[1].service_ns = 30000;
  scsi_target_config_t cfg = fast_cfg(test_seed(t));
  cfg.disconnect_every = 100;
  cfg.disconnect_service_ns = 10000;
  cfg.timing.reselect_timeout_ns = 50000;
  scsi_target_t *ta = scsi_target_create(b, 0, &cfg, NULL);
  cfg.faults.flags = SCSI_FAULT_PARITY | SCSI_FAULT_EARLY_STATUS | SCSI_FAULT_EXTRA_DATA;
  cfg.faults.parity_byte = SCSI_FAULT_RANDOM_BYTE;
  cfg.faults.early_after = 700;
  cfg.faults.extra_bytes = 3;
  scsi_target_t *tb = scsi_target_create(b, 3, &cfg, NULL);
  REQUIRE(t, ta && tb, "targets");
  scsi_target_bind(ta, 0, &fake_ops, &lu[0]);
  scsi_target_bind(tb, 0, &fake_ops, &lu[1]);
  scsi_target_bind(tb, 2, &fake_ops, &lu[0]);
  int ini = scsi_bus_attach(b, "chaos", NULL, NULL);
  prng_t p;
  prng_seed(&p, test_seed(t), DATA_STREAM + 77);
  static const uint8_t cdbs[][10] = {
      {SCSI_OP_READ_10, 0, 0, 0, 0, 1, 0, 0, 2, 0}, {SCSI_OP_WRITE_10, 0, 0, 0, 0, 3, 0, 0, 2, 0},
      {SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0, 0},       {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0},
      {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0},        {SCSI_OP_READ_10, 0, 0, 0, 0, 0, 0, 0, 8, 0}};
  static const uint8_t msgs[] = {0xC0, 0x80, 0xC2, SCSI_MSG_ABORT, SCSI_MSG_BUS_DEVICE_RESET,
                                 SCSI_MSG_MESSAGE_REJECT, SCSI_MSG_INITIATOR_DET_ERROR,
                                 SCSI_MSG_PARITY_ERROR, SCSI_MSG_NO_OPERATION, SCSI_MSG_EXTENDED,
                                 0x23, 0x02};
  uint32_t out = 0;
  unsigned cdb_pick = 0, cdb_i = 0;
  uint64_t now = 0, rst_until = 0, done_cmds = 0, sel_since = 0;
  for (unsigned i = 0; i < 400000; i++) {
    uint32_t bus = scsi_bus_resolved(b);
    scsi_bus_step(b, now, bus);
    if (now < rst_until) {
      out = SCSI_RST;
    } else if (out & SCSI_RST) {
      out = 0;
    } else if (prng_below(&p, 100000) == 0) {
      out = SCSI_RST; /* short or long reset */
      rst_until = now + (prng_below(&p, 2) ? 30000 : 5000);
    } else if (!(bus & (SCSI_BSY | SCSI_SEL))) {
      if (prng_below(&p, 200) == 0) { /* select: target 0, 3, an absent one, or odd sets */
        static const uint8_t tg[] = {0, 3, 3, 0, 5};
        uint8_t ids = (uint8_t)(SCSI_DB(7) | SCSI_DB(tg[prng_below(&p, 5)]));
        if (prng_below(&p, 10) == 0) ids |= (uint8_t)(1u << prng_below(&p, 8));
        out = SCSI_SEL | (prng_below(&p, 4) ? SCSI_ATN : 0) | scsi_data_lines(ids);
        if (prng_below(&p, 16) == 0) out ^= SCSI_DBP;
        sel_since = now;
        cdb_pick = (unsigned)prng_below(&p, 6);
        cdb_i = 0;
      } else {
        out = 0;
      }
    } else if ((bus & SCSI_SEL) && (bus & SCSI_IO) && !(bus & SCSI_BSY) && (bus & SCSI_DB(7))) {
      if (prng_below(&p, 8)) out |= SCSI_BSY; /* answer a reselection, mostly */
    } else if ((out & SCSI_SEL) && !(bus & SCSI_BSY) && now - sel_since > 20000) {
      out = 0; /* selection timeout */
    } else if ((out & SCSI_SEL) && (bus & SCSI_BSY)) {
      out &= ~(SCSI_SEL | SCSI_DATA_LINES); /* a target answered: release SEL */
    } else if ((out & SCSI_BSY) && !(bus & SCSI_SEL)) {
      out &= ~SCSI_BSY;
    } else if ((bus & SCSI_REQ) && !(out & SCSI_ACK)) {
      if (prng_below(&p, 3) == 0) {
        unsigned ph = scsi_phase_of(bus);
        uint8_t v = (uint8_t)prng_next(&p);
        if (ph == SCSI_PHASE_COMMAND && prng_below(&p, 8)) {
          v = cdbs[cdb_pick][cdb_i < 10 ? cdb_i : 9];
          cdb_i++;
        } else if (ph == SCSI_PHASE_MSG_OUT && prng_below(&p, 4)) {
          v = msgs[prng_below(&p, sizeof msgs)];
        }
        uint32_t atn = prng_below(&p, 6) == 0 ? SCSI_ATN : (ph == SCSI_PHASE_MSG_OUT ? 0 : out & SCSI_ATN);
        uint32_t data = scsi_phase_is_in(ph) ? 0u : scsi_data_lines(v);
        if (prng_below(&p, 64) == 0) data ^= SCSI_DBP;
        out = (out & SCSI_BSY) | atn | data | SCSI_ACK;
        if (ph == SCSI_PHASE_STATUS) done_cmds++;
      }
    } else if (!(bus & SCSI_REQ) && (out & SCSI_ACK)) {
      if (prng_below(&p, 2)) out &= ~(SCSI_ACK | SCSI_DATA_LINES);
    }
    scsi_bus_drive(b, ini, out & SCSI_ALL_LINES);
    now += PERIOD_NS;
  }
  test_log(t, "chaos end: bus 0x%05x, mine 0x%05x, target 0 %s, target 3 %s", scsi_bus_resolved(b),
           out, scsi_target_state_name(ta), scsi_target_state_name(tb));
  /* a final long reset: every task must come back to its LU */
  scsi_bus_drive(b, ini, SCSI_RST);
  scsi_bus_step(b, now, scsi_bus_resolved(b));
  now += 30000;
  scsi_bus_step(b, now, scsi_bus_resolved(b));
  scsi_bus_drive(b, ini, 0);
  now += PERIOD_NS;
  scsi_bus_step(b, now, scsi_bus_resolved(b));
  now += PERIOD_NS;
  scsi_bus_step(b, now, scsi_bus_resolved(b));
  CHECK_EQ(t, lu[0].live, 0u);
  CHECK_EQ(t, lu[1].live, 0u);
  CHECK_EQ(t, scsi_bus_devices(b), 0u);
  scsi_target_stats_t sa, sb;
  scsi_target_stats(ta, &sa);
  scsi_target_stats(tb, &sb);
  test_log(t, "chaos: %llu+%llu selections, %u+%u LU commands, %llu status bytes, %llu+%llu "
           "reselections, %u findings",
           (unsigned long long)sa.selections, (unsigned long long)sb.selections, lu[0].begins,
           lu[1].begins, (unsigned long long)done_cmds, (unsigned long long)sa.reselections,
           (unsigned long long)sb.reselections, scsi_bus_check_count(b));
  CHECK(t, sa.selections + sb.selections > 10, "the chaos never reached a target");
  /* the chaos makes parity errors and short resets; the targets must never break the
   * handshake or the phase sequence themselves */
  static const scsi_check_kind_t never[] = {SCSI_CHK_REQ_WITHOUT_BSY, SCSI_CHK_ACK_WITHOUT_REQ,
                                            SCSI_CHK_REQ_DROPPED,     SCSI_CHK_DATA_CHANGED,
                                            SCSI_CHK_PHASE_CHANGED,   SCSI_CHK_TWO_REQ,
                                            SCSI_CHK_PHASE_SEQUENCE,  SCSI_CHK_MODEL};
  for (size_t k = 0; k < sizeof never / sizeof never[0]; k++)
    CHECK(t, scsi_bus_check_count_kind(b, never[k]) == 0, "%s: %u", scsi_check_kind_name(never[k]),
          scsi_bus_check_count_kind(b, never[k]));
  for (int k = SCSI_CHK_REQ_WITHOUT_BSY; k <= SCSI_CHK_MODEL; k++)
    if (scsi_bus_check_count_kind(b, (scsi_check_kind_t)k))
      test_log(t, "  %s: %u", scsi_check_kind_name((scsi_check_kind_t)k),
               scsi_bus_check_count_kind(b, (scsi_check_kind_t)k));
  for (unsigned i = 0; i < SCSI_CHECK_MAX_TEXTS; i++) {
    scsi_check_kind_t k = scsi_bus_check_kind(b, i);
    if (test_verbose(t) && k != SCSI_CHK_PARITY && k != SCSI_CHK_RST_SHORT && k)
      test_log(t, "  %s", scsi_bus_check_text(b, i));
  }
  scsi_bus_destroy(b);
  free(lu[0].disk);
  free(lu[1].disk);
}

static const test_def_t scsi_bus_tests[] = {
    {"signal_bits_match_contract", signal_bits_match_contract, 0, 0,
     "line masks at the contracts.md 11.1 positions, phase decode, odd parity for all bytes"},
    {"resolver_ors_contributions", resolver_ors_contributions, 0, 0,
     "the resolved bus is the OR of every device and the external contribution"},
    {"read_moves_lu_bytes", read_moves_lu_bytes, TEST_F_RANDOM, 0,
     "READ(10): selection with ATN, IDENTIFY, CDB, DATA IN of the LU's bytes, GOOD, COMMAND COMPLETE"},
    {"write_moves_initiator_bytes", write_moves_initiator_bytes, TEST_F_RANDOM, 0,
     "WRITE(10): DATA OUT lands in the LU, finish_out gets the byte count"},
    {"selection_without_atn_is_lun0", selection_without_atn_is_lun0, TEST_F_RANDOM, 0,
     "selection without ATN runs the command on LUN 0 (SCSI-1 style)"},
    {"unbound_lun_answers_itself", unbound_lun_answers_itself, 0, 0,
     "an unbound LUN: INQUIRY 0x7F, other commands CHECK CONDITION, REQUEST SENSE 05/25/00"},
    {"handshake_timing_follows_parameters", handshake_timing_follows_parameters, TEST_F_RANDOM, 0,
     "selection response, bus settle, REQ hold, REQ delay and data setup are the configured ns"},
    {"disconnects_for_long_service", disconnects_for_long_service, TEST_F_RANDOM, 0,
     "service time above the threshold: DISCONNECT, reselection, IDENTIFY, data; held without privilege"},
    {"disconnects_every_n_bytes", disconnects_every_n_bytes, TEST_F_RANDOM, 0,
     "SAVE DATA POINTER + DISCONNECT every N bytes of reads and writes, data intact"},
    {"two_targets_interleave", two_targets_interleave, TEST_F_RANDOM, 0,
     "two targets with disconnected commands interleave on one bus, both transfers intact"},
    {"rejected_disconnect_stays_connected", rejected_disconnect_stays_connected, TEST_F_RANDOM, 0,
     "MESSAGE REJECT of DISCONNECT keeps the target connected for the command"},
    {"arbitration_highest_id_wins", arbitration_highest_id_wins, TEST_F_RANDOM, 0,
     "two targets reselecting at the same bus free: the higher ID wins, the other retries"},
    {"message_parity_error_resends_last_message", message_parity_error_resends_last_message,
     TEST_F_RANDOM, 0, "MESSAGE PARITY ERROR after MESSAGE IN resends it; elsewhere it is a no-op"},
    {"absent_id_times_out", absent_id_times_out, 0, 0,
     "selecting an absent ID or a gone target: no BSY, selection timeout"},
    {"bus_device_reset_clears_target", bus_device_reset_clears_target, TEST_F_RANDOM, 0,
     "BUS DEVICE RESET: every LU reset with SCSI_RESET_BDR, disconnected task freed, bus free"},
    {"abort_message_mid_data", abort_message_mid_data, TEST_F_RANDOM, 0,
     "ATN mid DATA OUT with ABORT: MESSAGE OUT at the next byte, task dropped, bus free"},
    {"bus_reset_mid_transfer", bus_reset_mid_transfer, TEST_F_RANDOM, 0,
     "RST mid DATA IN: lines released at once, LU reset with SCSI_RESET_BUS, next command works"},
    {"parity_fault_on_chosen_byte", parity_fault_on_chosen_byte, TEST_F_RANDOM, 0,
     "parity fault: DATA IN byte N with bad DBP, seen by the initiator and the checker, once"},
    {"initiator_detected_error_retries", initiator_detected_error_retries, TEST_F_RANDOM, 0,
     "INITIATOR DETECTED ERROR after a seeded parity fault: RESTORE POINTERS and a clean resend"},
    {"initiator_parity_errors_end_in_check_condition", initiator_parity_errors_end_in_check_condition,
     TEST_F_RANDOM, 0, "bad parity in DATA OUT or CDB: CHECK CONDITION, sense 0B/47/00, LU untouched"},
    {"hang_fault_stops_req", hang_fault_stops_req, TEST_F_RANDOM, 0,
     "hang fault: no REQ after N bytes, BSY held, no calls needed, RST frees"},
    {"early_status_fault", early_status_fault, TEST_F_RANDOM, 0,
     "early STATUS after N bytes; a write's LU is told how many bytes came"},
    {"extra_data_fault", extra_data_fault, TEST_F_RANDOM, 0,
     "extra data fault: the target asks for more bytes than the command said"},
    {"extended_message_is_rejected", extended_message_is_rejected, TEST_F_RANDOM, 0,
     "SDTR after IDENTIFY: MESSAGE REJECT, then the command runs asynchronously"},
    {"checker_flags_each_violation", checker_flags_each_violation, 0, 0,
     "the checker records each planted violation once, with its kind and text"},
    {"idle_target_needs_no_calls", idle_target_needs_no_calls, 0, 0,
     "a free target with nothing to do is not called while its lines stay put"},
    {"gated_calls_match_every_cycle", gated_calls_match_every_cycle, TEST_F_RANDOM, 0,
     "calling only on wake-ups gives the same bus traffic as calling every cycle, with far fewer calls"},
    {"real_disk_round_trip", real_disk_round_trip, TEST_F_RANDOM, 0,
     "the disk model behind the engine: INQUIRY, unit attention, WRITE/READ(10) with disconnects, bus reset"},
    {"chaotic_initiator_never_breaks_engine", chaotic_initiator_never_breaks_engine, TEST_F_RANDOM, 0,
     "a randomly misbehaving initiator: engines keep going, free every task, never crash"},
    {"bad_input_is_refused", bad_input_is_refused, TEST_F_RANDOM, 0,
     "bad arguments are refused; random pin noise neither crashes the engine nor leaks a task"},
};
TEST_SUITE(scsi_bus);
