/* The SCSI-2 target phase engine (scsi_target.h, docs/scsi_bus.md).
 *
 * Layered as a target on the pins: a bus-level state machine (free, selection response,
 * arbitration and reselection, the byte handshake), and above it the nexus logic that picks
 * the next information phase from the task's stage (advance()). Every state names the lines
 * it waits on and its deadline; the handlers look only at those lines, so a harness that
 * skips calls while nothing it waits on changes gets exactly the same bus traffic. */
#include "scsi_target.h"

#include <stdlib.h>
#include <string.h>

#include "prng.h"
#include "scsi_defs.h"

#define NLUN 8
#define MSG_OUT_MAX 16
#define MSG_IN_MAX 8
#define IDE_RETRIES 3
#define OWN_MAX 36
#define PRNG_STREAM_FAULT 0x7363736966617531ull /* "scsifau1" */

typedef enum {
  TS_FREE,          /* not connected: watch for selection, reselect when a task is ready */
  TS_SEL_RESPOND,   /* selected: BSY goes out at the deadline */
  TS_SEL_WAIT_SEL,  /* BSY asserted: wait for the initiator to release SEL */
  TS_PREP,          /* deadline: drive the byte (IN) or raise REQ (OUT) */
  TS_SETUP,         /* deadline: data has been set up, raise REQ */
  TS_WAIT_ACK,      /* REQ asserted: wait for ACK */
  TS_HOLD,          /* ACK seen: release REQ at the deadline */
  TS_WAIT_ACK_OFF,  /* REQ released: wait for ACK to go */
  TS_SERVICE,       /* connected, the LU is busy until the deadline */
  TS_ARB,           /* arbitrating for reselection */
  TS_RESEL_SEL,     /* won: SEL asserted, IDs and I/O at the deadline */
  TS_RESEL_IDS,     /* IDs and I/O asserted: release BSY at the deadline */
  TS_RESEL_WAIT_BSY,/* wait for the initiator's BSY (or time out) */
  TS_HUNG,          /* fault: holds the bus until RST */
  TS_RESET          /* RST asserted */
} tstate_t;

static const char *const state_names[] = {
    "free", "sel_respond", "sel_wait_sel", "prep", "setup", "wait_ack", "hold", "wait_ack_off",
    "service", "arbitration", "resel_sel", "resel_ids", "resel_wait_bsy", "hung", "reset"};

typedef enum { NX_NONE, NX_SERVICE_PRE, NX_DATA, NX_FINISH_OUT, NX_SERVICE_POST, NX_STATUS,
               NX_COMPLETE } nx_stage_t;

typedef enum { AFTER_NONE, AFTER_DISCONNECT, AFTER_COMPLETE, AFTER_FREE } after_t;

typedef struct nexus {
  int active;            /* a command is in progress (connected or disconnected) */
  int lu_task;           /* begin() was called: task_free() is owed */
  int own;               /* the engine answers this command itself (own[] data) */
  scsi_task_t task;
  uint8_t own_data[OWN_MAX];
  uint8_t status;
  int disc_priv;
  int disc_refused;      /* the initiator rejected DISCONNECT: stay connected */
  nx_stage_t stage;
  uint32_t total;        /* data bytes the target will ask for (data_len + extra fault) */
  uint32_t ptr, saved;   /* current and saved data pointer */
  int bad_parity;        /* a DATA OUT byte came with bad parity */
  uint64_t ready_ns;     /* the LU's service ends */
  int disconnected;
  uint64_t resel_at;
  unsigned retries;      /* DATA IN restarts after INITIATOR DETECTED ERROR */
  uint32_t faults;       /* fault flags armed for this command */
  uint32_t parity_at, hang_at, early_at;
} nexus_t;

typedef struct own_sense {
  int valid;
  uint8_t initiator, key, asc, ascq;
} own_sense_t;

struct scsi_target {
  scsi_bus_t *bus;
  int handle;
  uint8_t id;
  scsi_target_config_t cfg;
  prng_t rng;
  struct {
    const scsi_lu_ops_t *ops;
    void *lu;
  } lun[NLUN];
  nexus_t nx[NLUN];
  own_sense_t sense[NLUN];

  tstate_t state;
  uint32_t out;
  uint32_t mask;
  uint64_t deadline;
  int recheck;           /* entered a line-waiting state: look at the bus again next call */
  uint64_t now;
  uint32_t bus_now;
  int called;

  /* bus free tracking and selection */
  int free_seen;
  uint64_t free_since;
  int sel_ignored;       /* a selection we refused (bad parity): wait until SEL goes */
  int resel_lun;

  /* the connection */
  uint8_t initiator;     /* 0xFF: unknown (SCSI-1 single-ID selection) */
  int cur_lun;           /* -1 until known */
  int disc_priv;
  int need_cdb;          /* selected: a new command comes before anything else */
  int phase_valid;
  unsigned phase;
  unsigned last_in_phase;
  unsigned prev_phase;   /* phase of the last byte before the current MESSAGE OUT */
  int prev_valid;
  int have_last_in;
  uint32_t conn_data;    /* data bytes moved in this connection */
  uint8_t byte;          /* the byte latched at ACK (OUT) or driven (IN) */
  int byte_parity_ok;
  int atn_at_ack;
  uint8_t cdb[16];
  unsigned cdb_len, cdb_idx;
  int cdb_bad_parity;
  uint8_t msg_out[MSG_OUT_MAX];
  unsigned msg_out_len;
  int msg_out_bad_parity;
  uint8_t msg_in[MSG_IN_MAX];
  unsigned msg_in_len, msg_in_idx;
  int msg_in_pending;    /* msg_in[msg_in_idx..] waits to be sent */
  uint8_t last_msg_in;
  after_t after;

  scsi_target_stats_t st;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static void drive(scsi_target_t *t, uint32_t lines) {
  t->out = lines & SCSI_ALL_LINES;
  scsi_bus_drive(t->bus, t->handle, t->out);
}

static void wait_for(scsi_target_t *t, tstate_t s, uint32_t mask, uint64_t deadline) {
  t->state = s;
  t->mask = mask | SCSI_RST;
  t->deadline = deadline;
}

static uint64_t after_ns(const scsi_target_t *t, uint64_t d) {
  return t->now + d < t->now ? SCSI_BUS_NEVER : t->now + d;
}

static nexus_t *cur_nx(scsi_target_t *t) {
  return t->cur_lun >= 0 ? &t->nx[t->cur_lun] : NULL;
}

static void model_error(scsi_target_t *t, const char *what, int rc) {
  scsi_bus_report(t->bus, SCSI_CHK_MODEL, t->now, "target %u LUN %d: %s returned %d", t->id,
                  t->cur_lun, what, rc);
}

static void set_own_sense(scsi_target_t *t, unsigned lun, uint8_t initiator, uint8_t key,
                          uint16_t ascq) {
  own_sense_t *s = &t->sense[lun];
  s->valid = 1;
  s->initiator = initiator;
  s->key = key;
  s->asc = (uint8_t)(ascq >> 8);
  s->ascq = (uint8_t)ascq;
}

/* Ends a nexus: the LU gets its task back. */
static void nexus_free(scsi_target_t *t, unsigned lun) {
  nexus_t *nx = &t->nx[lun];
  if (nx->active && nx->lu_task && t->lun[lun].ops && t->lun[lun].ops->task_free)
    t->lun[lun].ops->task_free(t->lun[lun].lu, &nx->task);
  memset(nx, 0, sizeof *nx);
}

static void go_free(scsi_target_t *t) {
  drive(t, 0);
  t->cur_lun = -1;
  t->phase_valid = 0;
  t->have_last_in = 0;
  t->msg_in_pending = 0;
  t->after = AFTER_NONE;
  t->free_seen = 0;
  wait_for(t, TS_FREE, SCSI_SEL | SCSI_BSY, SCSI_BUS_NEVER);
}

/* Frees every task, then resets each distinct LU once (one disk may serve several LUNs). */
static void reset_all(scsi_target_t *t, int cause) {
  for (unsigned l = 0; l < NLUN; l++) {
    nexus_free(t, l);
    t->sense[l].valid = 0;
  }
  for (unsigned l = 0; l < NLUN; l++) {
    if (!t->lun[l].ops || !t->lun[l].ops->reset) continue;
    int seen = 0;
    for (unsigned k = 0; k < l; k++)
      seen |= t->lun[k].ops == t->lun[l].ops && t->lun[k].lu == t->lun[l].lu;
    if (!seen) t->lun[l].ops->reset(t->lun[l].lu, cause);
  }
}

static int can_disconnect(const scsi_target_t *t, const nexus_t *nx) {
  return nx->disc_priv && !nx->disc_refused && t->initiator < 8;
}

/* ---- the byte handshake ------------------------------------------------------------------- */

/* Starts one byte of `phase`: a new phase waits the bus settle delay, a further byte of the
 * same phase the REQ delay. */
static void start_byte(scsi_target_t *t, unsigned phase) {
  if (!t->phase_valid || t->phase != phase) {
    t->phase_valid = 1;
    t->phase = phase;
    drive(t, (t->out & ~(SCSI_PHASE_LINES | SCSI_DATA_LINES | SCSI_REQ)) | SCSI_BSY |
                 scsi_phase_lines(phase));
    wait_for(t, TS_PREP, 0, after_ns(t, t->cfg.timing.phase_settle_ns));
  } else {
    wait_for(t, TS_PREP, 0, after_ns(t, t->cfg.timing.req_delay_ns));
  }
}

static void send_msg_in(scsi_target_t *t, const uint8_t *m, unsigned n, after_t after) {
  if (n > MSG_IN_MAX) n = MSG_IN_MAX;
  memcpy(t->msg_in, m, n);
  t->msg_in_len = n;
  t->msg_in_idx = 0;
  t->msg_in_pending = 1;
  t->after = after;
  start_byte(t, SCSI_PHASE_MSG_IN);
}

/* The byte to drive in an IN phase, with its data lines (parity fault included). */
static uint32_t in_byte_lines(scsi_target_t *t) {
  nexus_t *nx = cur_nx(t);
  uint8_t v = 0;
  int bad = 0;
  switch (t->phase) {
  case SCSI_PHASE_DATA_IN:
    if (nx) {
      const uint8_t *src = nx->own ? nx->own_data : nx->task.data;
      if (nx->ptr < nx->task.data_len && src) v = src[nx->ptr];
      else v = (uint8_t)prng_next(&t->rng); /* extra-data fault: filler */
      if ((nx->faults & SCSI_FAULT_PARITY) && nx->ptr == nx->parity_at) {
        bad = 1;
        nx->faults &= ~SCSI_FAULT_PARITY;
        t->st.faults_fired++;
        if (t->cfg.faults.flags & SCSI_FAULT_ONCE) t->cfg.faults.flags &= ~SCSI_FAULT_PARITY;
      }
    }
    break;
  case SCSI_PHASE_STATUS: v = nx ? nx->status : SCSI_STATUS_GOOD; break;
  case SCSI_PHASE_MSG_IN: v = t->msg_in_idx < t->msg_in_len ? t->msg_in[t->msg_in_idx] : 0x08; break;
  default: break;
  }
  t->byte = v;
  return scsi_data_lines(v) ^ (bad ? SCSI_DBP : 0u);
}

static void advance(scsi_target_t *t);
static void byte_done(scsi_target_t *t);

/* ---- MESSAGE OUT -------------------------------------------------------------------------- */

static void reject(scsi_target_t *t) {
  static const uint8_t m[1] = {SCSI_MSG_MESSAGE_REJECT};
  t->st.rejects_tx++;
  memcpy(t->msg_in, m, 1);
  t->msg_in_len = 1;
  t->msg_in_idx = 0;
  t->msg_in_pending = 1;
}

static void handle_reject_rx(scsi_target_t *t) {
  nexus_t *nx = cur_nx(t);
  t->st.rejects_rx++;
  switch (t->last_msg_in) {
  case SCSI_MSG_DISCONNECT:
  case SCSI_MSG_SAVE_DATA_POINTER:
    /* the initiator will not let us go: stay connected for the rest of this command */
    if (nx) nx->disc_refused = 1;
    t->msg_in_pending = 0;
    if (t->after == AFTER_DISCONNECT) t->after = AFTER_NONE;
    break;
  default:
    if (t->last_msg_in & SCSI_MSG_IDENTIFY) {
      /* IDENTIFY at reselection refused: the nexus cannot be restored, abandon the task */
      if (nx) nexus_free(t, (unsigned)t->cur_lun);
      t->after = AFTER_FREE;
      t->msg_in_pending = 0;
    }
    break; /* other rejections change nothing */
  }
}

static void handle_ide_rx(scsi_target_t *t) {
  nexus_t *nx = cur_nx(t);
  t->st.ide_rx++;
  if (!nx || !nx->active || !t->have_last_in) return;
  if (t->last_in_phase == SCSI_PHASE_DATA_IN && nx->stage == NX_DATA) {
    if (nx->retries < IDE_RETRIES) {
      static const uint8_t m[1] = {SCSI_MSG_RESTORE_POINTERS};
      nx->retries++;
      t->st.retries++;
      nx->ptr = nx->saved;
      memcpy(t->msg_in, m, 1);
      t->msg_in_len = 1;
      t->msg_in_idx = 0;
      t->msg_in_pending = 1;
    } else {
      nx->status = SCSI_STATUS_CHECK_CONDITION;
      set_own_sense(t, (unsigned)t->cur_lun, t->initiator, SCSI_SK_ABORTED_COMMAND,
                    SCSI_ASC(0x47, 0x00));
      nx->stage = NX_STATUS;
    }
  } else if (t->last_in_phase == SCSI_PHASE_STATUS && nx->stage == NX_COMPLETE) {
    nx->stage = NX_STATUS; /* send the status byte again */
  }
}

static void take_identify(scsi_target_t *t, uint8_t m) {
  if (m & 0x38) { /* LUNTAR or reserved bits: target routines are not supported */
    reject(t);
    return;
  }
  if (t->cur_lun < 0) {
    t->cur_lun = m & SCSI_MSG_IDENTIFY_LUN_MASK;
    t->disc_priv = (m & SCSI_MSG_IDENTIFY_DISCPRIV) != 0;
  }
}

/* The initiator released ATN: act on the bytes it sent. */
static void msg_out_end(scsi_target_t *t) {
  if (t->msg_out_bad_parity) {
    /* documented choice: a corrupted message cannot be trusted; drop the nexus and release
     * the bus (the initiator sees an unexpected bus free) */
    if (t->cur_lun >= 0) nexus_free(t, (unsigned)t->cur_lun);
    go_free(t);
    return;
  }
  int abort = 0, bdr = 0;
  for (unsigned i = 0; i < t->msg_out_len;) {
    uint8_t m = t->msg_out[i];
    if (m & SCSI_MSG_IDENTIFY) {
      take_identify(t, m);
      i++;
    } else if (m == SCSI_MSG_EXTENDED) {
      /* SDTR / WDTR and the rest: answered with MESSAGE REJECT (asynchronous, narrow) */
      unsigned n = i + 1 < t->msg_out_len ? t->msg_out[i + 1] : 0;
      reject(t);
      i += 2 + n;
    } else if (m >= 0x20 && m <= 0x2F) {
      reject(t); /* two-byte messages: queue tags are not supported */
      i += 2;
    } else {
      switch (m) {
      case SCSI_MSG_ABORT: abort = 1; break;
      case SCSI_MSG_BUS_DEVICE_RESET: bdr = 1; break;
      case SCSI_MSG_MESSAGE_REJECT: handle_reject_rx(t); break;
      case SCSI_MSG_INITIATOR_DET_ERROR: handle_ide_rx(t); break;
      case SCSI_MSG_PARITY_ERROR:
        /* send the last message again; only meaningful right after MESSAGE IN (else a
         * no-op) */
        if (t->msg_in_len && t->prev_valid && t->prev_phase == SCSI_PHASE_MSG_IN) {
          t->msg_in_idx = 0;
          t->msg_in_pending = 1;
        }
        break;
      case SCSI_MSG_NO_OPERATION: break;
      default: reject(t); break;
      }
      i++;
    }
  }
  t->msg_out_len = 0;
  if (bdr) {
    t->st.bdrs++;
    reset_all(t, SCSI_RESET_BDR);
    go_free(t);
    return;
  }
  if (abort) {
    t->st.aborts++;
    if (t->cur_lun >= 0) nexus_free(t, (unsigned)t->cur_lun);
    go_free(t);
    return;
  }
  advance(t);
}

/* ---- command ------------------------------------------------------------------------------ */

static void own_sense_data(nexus_t *nx, uint8_t key, uint8_t asc, uint8_t ascq, uint8_t alloc) {
  memset(nx->own_data, 0, sizeof nx->own_data);
  nx->own_data[0] = SCSI_SENSE_FIXED_CURRENT;
  nx->own_data[2] = key;
  nx->own_data[7] = SCSI_SENSE_LEN - 8;
  nx->own_data[12] = asc;
  nx->own_data[13] = ascq;
  /* SCSI-2 8.2.14: an allocation length of zero means four bytes */
  uint32_t len = alloc ? alloc : 4u;
  nx->own = 1;
  nx->task.dir = SCSI_DIR_IN;
  nx->task.data_len = len < SCSI_SENSE_LEN ? len : SCSI_SENSE_LEN;
  nx->status = SCSI_STATUS_GOOD;
}

static void arm_faults(scsi_target_t *t, nexus_t *nx) {
  const scsi_target_faults_t *f = &t->cfg.faults;
  uint32_t len = nx->task.data_len;
  nx->faults = f->flags & (SCSI_FAULT_PARITY | SCSI_FAULT_HANG | SCSI_FAULT_EARLY_STATUS |
                           SCSI_FAULT_EXTRA_DATA);
  nx->total = len;
  if ((nx->faults & SCSI_FAULT_EXTRA_DATA) && f->extra_bytes) {
    nx->total = len + f->extra_bytes < len ? UINT32_MAX : len + f->extra_bytes;
    t->st.faults_fired++;
    if (f->flags & SCSI_FAULT_ONCE) t->cfg.faults.flags &= ~SCSI_FAULT_EXTRA_DATA;
  } else {
    nx->faults &= ~SCSI_FAULT_EXTRA_DATA;
  }
  uint32_t pick = len ? (uint32_t)prng_below(&t->rng, len) : 0;
  nx->parity_at = f->parity_byte == SCSI_FAULT_RANDOM_BYTE ? pick : f->parity_byte;
  nx->hang_at = f->hang_after == SCSI_FAULT_RANDOM_BYTE ? pick : f->hang_after;
  nx->early_at = f->early_after == SCSI_FAULT_RANDOM_BYTE ? pick : f->early_after;
  if (nx->task.dir == SCSI_DIR_OUT) nx->faults &= ~SCSI_FAULT_PARITY; /* DATA IN only */
}

static void command_received(scsi_target_t *t) {
  t->st.commands++;
  t->need_cdb = 0;
  if (t->cur_lun < 0) t->cur_lun = 0; /* SCSI-1 style: no IDENTIFY means LUN 0 */
  unsigned lun = (unsigned)t->cur_lun;
  nexus_t *nx = &t->nx[lun];
  int overlapped = nx->active;
  if (overlapped) nexus_free(t, lun); /* SCSI-2 7.5.2: overlapped commands attempted */
  memset(nx, 0, sizeof *nx);
  nx->active = 1;
  nx->disc_priv = t->disc_priv;
  nx->task.initiator = t->initiator < 8 ? t->initiator : 7;
  nx->task.lun = (uint8_t)lun;
  memcpy(nx->task.cdb, t->cdb, sizeof nx->task.cdb);
  nx->task.cdb_len = (uint8_t)t->cdb_len;
  nx->task.dir = SCSI_DIR_NONE;
  nx->status = SCSI_STATUS_GOOD;
  own_sense_t *sn = &t->sense[lun];
  uint8_t op = t->cdb[0];

  if (t->cdb_bad_parity || overlapped) {
    nx->own = 1;
    nx->status = SCSI_STATUS_CHECK_CONDITION;
    set_own_sense(t, lun, nx->task.initiator, SCSI_SK_ABORTED_COMMAND,
                  overlapped ? SCSI_ASC(0x4E, 0x00) : SCSI_ASC(0x47, 0x00));
  } else if (sn->valid && sn->initiator == nx->task.initiator) {
    /* the engine's own contingent allegiance: REQUEST SENSE returns it, anything else
     * clears it and runs normally (SCSI-2 6.6) */
    sn->valid = 0;
    if (op == SCSI_OP_REQUEST_SENSE) own_sense_data(nx, sn->key, sn->asc, sn->ascq, t->cdb[4]);
  }
  if (!nx->own && !t->lun[lun].ops) {
    if (op == SCSI_OP_INQUIRY) {
      memset(nx->own_data, 0, sizeof nx->own_data);
      nx->own_data[0] = SCSI_INQ_LUN_NOT_PRESENT;
      nx->own_data[2] = 2; /* SCSI-2 */
      nx->own_data[3] = 2; /* response data format */
      nx->own_data[4] = OWN_MAX - 5;
      nx->own = 1;
      nx->task.dir = SCSI_DIR_IN;
      nx->task.data_len = t->cdb[4] < OWN_MAX ? t->cdb[4] : OWN_MAX;
    } else if (op == SCSI_OP_REQUEST_SENSE) {
      own_sense_data(nx, SCSI_SK_ILLEGAL_REQUEST, 0x25, 0x00, t->cdb[4]);
    } else {
      nx->own = 1;
      nx->status = SCSI_STATUS_CHECK_CONDITION;
      set_own_sense(t, lun, nx->task.initiator, SCSI_SK_ILLEGAL_REQUEST,
                    SCSI_ASC_LUN_NOT_SUPPORTED);
    }
  }
  if (!nx->own) {
    const scsi_lu_ops_t *ops = t->lun[lun].ops;
    nx->lu_task = 1;
    int rc = ops->begin ? ops->begin(t->lun[lun].lu, &nx->task) : -1;
    if (rc < 0 || (nx->task.dir != SCSI_DIR_NONE && nx->task.data_len && !nx->task.data) ||
        nx->task.dir > SCSI_DIR_OUT) {
      model_error(t, "begin", rc);
      nx->task.dir = SCSI_DIR_NONE;
      nx->task.data_len = 0;
      if (nx->task.status == SCSI_STATUS_GOOD) nx->task.status = SCSI_STATUS_CHECK_CONDITION;
    }
    if (nx->task.dir == SCSI_DIR_NONE) nx->task.data_len = 0;
    nx->status = nx->task.status;
  }
  arm_faults(t, nx);
  nx->ready_ns = after_ns(t, nx->own ? 0 : nx->task.service_ns);
  if (nx->task.dir == SCSI_DIR_OUT) nx->stage = nx->total ? NX_DATA : NX_FINISH_OUT;
  else nx->stage = NX_SERVICE_PRE;
}

/* ---- choosing the next phase -------------------------------------------------------------- */

static void disconnect(scsi_target_t *t, nexus_t *nx) {
  uint8_t m[2];
  unsigned n = 0;
  if (nx->ptr != nx->saved) m[n++] = SCSI_MSG_SAVE_DATA_POINTER;
  m[n++] = SCSI_MSG_DISCONNECT;
  send_msg_in(t, m, n, AFTER_DISCONNECT);
}

static void service_wait(scsi_target_t *t, nexus_t *nx) {
  uint64_t left = nx->ready_ns > t->now ? nx->ready_ns - t->now : 0;
  if (can_disconnect(t, nx) && t->cfg.disconnect_service_ns != SCSI_BUS_NEVER &&
      left > t->cfg.disconnect_service_ns) {
    disconnect(t, nx);
    return;
  }
  /* hold the bus (BSY, the current phase lines) while the LU works */
  wait_for(t, TS_SERVICE, 0, nx->ready_ns);
}

static void finish_out(scsi_target_t *t, nexus_t *nx, uint32_t received) {
  unsigned lun = (unsigned)t->cur_lun;
  if (nx->own) {
    nx->stage = NX_STATUS;
    return;
  }
  if (nx->bad_parity) {
    /* data with a parity error is never handed to the LU */
    if (t->lun[lun].ops->task_free) t->lun[lun].ops->task_free(t->lun[lun].lu, &nx->task);
    nx->lu_task = 0;
    nx->own = 1;
    nx->status = SCSI_STATUS_CHECK_CONDITION;
    set_own_sense(t, lun, nx->task.initiator, SCSI_SK_ABORTED_COMMAND, SCSI_ASC(0x47, 0x00));
    nx->stage = NX_STATUS;
    return;
  }
  int rc = t->lun[lun].ops->finish_out
               ? t->lun[lun].ops->finish_out(t->lun[lun].lu, &nx->task, received)
               : -1;
  if (rc < 0) {
    model_error(t, "finish_out", rc);
    if (nx->task.status == SCSI_STATUS_GOOD) nx->task.status = SCSI_STATUS_CHECK_CONDITION;
  }
  nx->status = nx->task.status;
}

static void advance(scsi_target_t *t) {
  if ((t->bus_now & SCSI_ATN) && !t->msg_in_pending) {
    t->msg_out_len = 0;
    t->msg_out_bad_parity = 0;
    start_byte(t, SCSI_PHASE_MSG_OUT);
    return;
  }
  if (t->msg_in_pending) {
    start_byte(t, SCSI_PHASE_MSG_IN);
    return;
  }
  if (t->after != AFTER_NONE) {
    /* the initiator's messages after DISCONNECT / COMMAND COMPLETE did not cancel them */
    after_t a = t->after;
    t->after = AFTER_NONE;
    nexus_t *nx = cur_nx(t);
    if (a == AFTER_COMPLETE) {
      if (nx) nexus_free(t, (unsigned)t->cur_lun);
      t->st.completed++;
    } else if (a == AFTER_DISCONNECT && nx) {
      nx->disconnected = 1;
      uint64_t r = after_ns(t, t->cfg.timing.reselect_delay_ns);
      nx->resel_at = nx->ready_ns > r ? nx->ready_ns : r;
      t->st.disconnects++;
    }
    go_free(t);
    return;
  }
  nexus_t *nx = cur_nx(t);
  if (t->need_cdb || !nx || !nx->active) {
    t->cdb_idx = 0;
    t->cdb_bad_parity = 0;
    start_byte(t, SCSI_PHASE_COMMAND);
    return;
  }
  switch (nx->stage) {
  case NX_SERVICE_PRE:
  case NX_SERVICE_POST:
    if (t->now >= nx->ready_ns) {
      nx->stage = nx->stage == NX_SERVICE_PRE && nx->total ? NX_DATA : NX_STATUS;
      advance(t);
    } else {
      service_wait(t, nx);
    }
    return;
  case NX_DATA:
    if (nx->ptr >= nx->total) {
      nx->stage = nx->task.dir == SCSI_DIR_OUT ? NX_FINISH_OUT : NX_STATUS;
      advance(t);
      return;
    }
    if ((nx->faults & SCSI_FAULT_HANG) && nx->ptr == nx->hang_at) {
      nx->faults &= ~SCSI_FAULT_HANG;
      t->st.faults_fired++;
      if (t->cfg.faults.flags & SCSI_FAULT_ONCE) t->cfg.faults.flags &= ~SCSI_FAULT_HANG;
      drive(t, t->out & ~(SCSI_REQ | SCSI_DATA_LINES));
      wait_for(t, TS_HUNG, 0, SCSI_BUS_NEVER);
      return;
    }
    if ((nx->faults & SCSI_FAULT_EARLY_STATUS) && nx->ptr == nx->early_at) {
      nx->faults &= ~SCSI_FAULT_EARLY_STATUS;
      t->st.faults_fired++;
      if (t->cfg.faults.flags & SCSI_FAULT_ONCE) t->cfg.faults.flags &= ~SCSI_FAULT_EARLY_STATUS;
      if (nx->task.dir == SCSI_DIR_OUT) {
        finish_out(t, nx, nx->ptr < nx->task.data_len ? nx->ptr : nx->task.data_len);
      }
      nx->stage = NX_STATUS;
      advance(t);
      return;
    }
    if (t->cfg.disconnect_every && t->conn_data >= t->cfg.disconnect_every &&
        can_disconnect(t, nx)) {
      disconnect(t, nx);
      return;
    }
    start_byte(t, nx->task.dir == SCSI_DIR_OUT ? SCSI_PHASE_DATA_OUT : SCSI_PHASE_DATA_IN);
    return;
  case NX_FINISH_OUT:
    finish_out(t, nx, nx->total < nx->task.data_len ? nx->total : nx->task.data_len);
    if (nx->stage == NX_FINISH_OUT) {
      nx->ready_ns = after_ns(t, nx->task.service_ns);
      nx->stage = NX_SERVICE_POST;
    }
    advance(t);
    return;
  case NX_STATUS:
    start_byte(t, SCSI_PHASE_STATUS);
    return;
  case NX_COMPLETE: {
    static const uint8_t m[1] = {SCSI_MSG_COMMAND_COMPLETE};
    send_msg_in(t, m, 1, AFTER_COMPLETE);
    return;
  }
  default:
    nx->stage = NX_STATUS;
    advance(t);
    return;
  }
}

/* ---- one handle_<phase> per information phase: a byte's handshake finished ---------------- */

static void handle_msg_out(scsi_target_t *t, int parity_bad) {
  if (parity_bad) t->msg_out_bad_parity = 1;
  if (t->msg_out_len < MSG_OUT_MAX) t->msg_out[t->msg_out_len++] = t->byte;
  /* SCSI-2 6.2.1: the initiator keeps ATN asserted until the ACK of its last message byte */
  if (t->atn_at_ack && t->msg_out_len < MSG_OUT_MAX) {
    start_byte(t, SCSI_PHASE_MSG_OUT);
    return;
  }
  msg_out_end(t);
}

static void handle_command(scsi_target_t *t, int parity_bad) {
  if (t->cdb_idx == 0) {
    unsigned n = scsi_cdb_len(t->byte);
    t->cdb_len = n ? n : 6; /* reserved / vendor groups: six bytes */
    memset(t->cdb, 0, sizeof t->cdb);
  }
  if (parity_bad) t->cdb_bad_parity = 1;
  t->cdb[t->cdb_idx++] = t->byte;
  if (t->cdb_idx < t->cdb_len) {
    start_byte(t, SCSI_PHASE_COMMAND);
    return;
  }
  command_received(t);
  advance(t);
}

static void handle_data_out(scsi_target_t *t, nexus_t *nx, int parity_bad) {
  if (nx && nx->active) {
    if (parity_bad) nx->bad_parity = 1;
    if (!nx->own && nx->ptr < nx->task.data_len) nx->task.data[nx->ptr] = t->byte;
    nx->ptr++; /* bytes past data_len (extra-data fault) are dropped */
  }
  t->conn_data++;
  t->st.data_out_bytes++;
  advance(t);
}

static void handle_data_in(scsi_target_t *t, nexus_t *nx) {
  if (nx && nx->active) nx->ptr++;
  t->conn_data++;
  t->st.data_in_bytes++;
  advance(t);
}

static void handle_status(scsi_target_t *t, nexus_t *nx) {
  t->st.last_status = t->byte;
  if (nx && nx->active) nx->stage = NX_COMPLETE;
  advance(t);
}

static void handle_msg_in(scsi_target_t *t, nexus_t *nx) {
  uint8_t m = t->msg_in_idx < t->msg_in_len ? t->msg_in[t->msg_in_idx] : SCSI_MSG_NO_OPERATION;
  t->msg_in_idx++;
  t->last_msg_in = m;
  if (m == SCSI_MSG_SAVE_DATA_POINTER && nx) nx->saved = nx->ptr;
  if (t->msg_in_idx >= t->msg_in_len) t->msg_in_pending = 0;
  if (t->bus_now & SCSI_ATN) {
    /* the initiator answers this message (MESSAGE REJECT, ...): the rest waits */
    t->msg_in_pending = 0;
    advance(t);
    return;
  }
  if (t->msg_in_pending) {
    start_byte(t, SCSI_PHASE_MSG_IN);
    return;
  }
  advance(t);
}

/* A byte's handshake finished (ACK released). */
static void byte_done(scsi_target_t *t) {
  nexus_t *nx = cur_nx(t);
  int parity_bad = t->cfg.check_parity && !t->byte_parity_ok;
  if (t->phase != SCSI_PHASE_MSG_OUT) {
    t->prev_phase = t->phase;
    t->prev_valid = 1;
  }
  if (scsi_phase_is_in(t->phase)) {
    t->last_in_phase = t->phase;
    t->have_last_in = 1;
  } else if (parity_bad) {
    t->st.parity_errors++;
  }
  switch (t->phase) {
  case SCSI_PHASE_MSG_OUT: handle_msg_out(t, parity_bad); return;
  case SCSI_PHASE_COMMAND: handle_command(t, parity_bad); return;
  case SCSI_PHASE_DATA_OUT: handle_data_out(t, nx, parity_bad); return;
  case SCSI_PHASE_DATA_IN: handle_data_in(t, nx); return;
  case SCSI_PHASE_STATUS: handle_status(t, nx); return;
  case SCSI_PHASE_MSG_IN: handle_msg_in(t, nx); return;
  default: go_free(t); return;
  }
}

/* ---- bus-level states --------------------------------------------------------------------- */

static int selected(const scsi_target_t *t, uint32_t bus) {
  return (bus & SCSI_SEL) && !(bus & (SCSI_BSY | SCSI_IO)) && (bus & SCSI_DB(t->id));
}

static int pending_resel(const scsi_target_t *t, uint64_t *when) {
  int any = 0;
  uint64_t w = SCSI_BUS_NEVER;
  for (unsigned l = 0; l < NLUN; l++) {
    const nexus_t *nx = &t->nx[l];
    if (nx->active && nx->disconnected && nx->resel_at < w) {
      w = nx->resel_at;
      any = 1;
    }
  }
  *when = w;
  return any;
}

static void state_free(scsi_target_t *t) {
  uint32_t bus = t->bus_now;
  /* the ID bit and I/O matter only while SEL is asserted: other devices' data bytes do not
   * wake a free target */
  uint32_t mask = SCSI_SEL | SCSI_BSY | ((bus & SCSI_SEL) ? SCSI_IO | SCSI_DB(t->id) : 0u);
  if (t->sel_ignored && !(bus & SCSI_SEL)) t->sel_ignored = 0;
  if (!(t->cfg.faults.flags & SCSI_FAULT_GONE) && !t->sel_ignored && selected(t, bus)) {
    wait_for(t, TS_SEL_RESPOND, 0, after_ns(t, t->cfg.timing.sel_response_ns));
    return;
  }
  if (!(bus & (SCSI_BSY | SCSI_SEL))) {
    if (!t->free_seen) {
      t->free_seen = 1;
      t->free_since = t->now;
    }
  } else {
    t->free_seen = 0;
  }
  uint64_t ready;
  if ((t->cfg.faults.flags & SCSI_FAULT_GONE) || !pending_resel(t, &ready) || !t->free_seen) {
    wait_for(t, TS_FREE, mask, SCSI_BUS_NEVER);
    return;
  }
  uint64_t at = t->free_since + t->cfg.timing.bus_free_ns;
  if (ready > at) at = ready;
  if (t->now < at) {
    wait_for(t, TS_FREE, mask, at);
    return;
  }
  /* SCSI-2 6.1.2: arbitration - BSY and our ID bit */
  drive(t, SCSI_BSY | SCSI_DB(t->id));
  wait_for(t, TS_ARB, 0, after_ns(t, t->cfg.timing.arbitration_ns));
}

static void state_sel_respond(scsi_target_t *t) {
  uint32_t bus = t->bus_now;
  if (!selected(t, bus)) { /* the initiator gave up before we answered */
    go_free(t);
    return;
  }
  uint8_t others = (uint8_t)(bus & SCSI_DB_MASK & ~SCSI_DB(t->id));
  int ids = 0;
  for (unsigned v = others; v; v &= v - 1) ids++;
  if (ids > 1 || (t->cfg.check_parity && !scsi_parity_ok(bus))) {
    /* SCSI-2 6.1.3: more than two IDs or bad parity: do not respond */
    if (ids <= 1) t->st.parity_errors++;
    t->sel_ignored = 1;
    go_free(t);
    return;
  }
  t->initiator = 0xFF;
  for (unsigned i = 0; i < 8; i++)
    if (others & (1u << i)) t->initiator = (uint8_t)i;
  t->st.selections++;
  drive(t, SCSI_BSY);
  wait_for(t, TS_SEL_WAIT_SEL, SCSI_SEL, SCSI_BUS_NEVER);
}

static void connection_start(scsi_target_t *t) {
  t->prev_valid = 0;
  t->msg_in_len = 0;
  t->msg_in_idx = 0;
  t->phase_valid = 0;
  t->have_last_in = 0;
  t->conn_data = 0;
  t->msg_in_pending = 0;
  t->after = AFTER_NONE;
  t->msg_out_len = 0;
}

static void state_sel_wait_sel(scsi_target_t *t) {
  if (t->bus_now & SCSI_SEL) {
    wait_for(t, TS_SEL_WAIT_SEL, SCSI_SEL, SCSI_BUS_NEVER);
    return;
  }
  connection_start(t);
  t->cur_lun = -1;
  t->disc_priv = 0;
  t->need_cdb = 1;
  advance(t); /* ATN asserted: MESSAGE OUT; otherwise COMMAND for LUN 0 */
}

static void state_prep(scsi_target_t *t) {
  if (scsi_phase_is_in(t->phase)) {
    drive(t, (t->out & ~SCSI_DATA_LINES) | in_byte_lines(t));
    wait_for(t, TS_SETUP, 0, after_ns(t, t->cfg.timing.data_setup_ns));
  } else {
    drive(t, (t->out & ~SCSI_DATA_LINES) | SCSI_REQ);
    wait_for(t, TS_WAIT_ACK, SCSI_ACK, SCSI_BUS_NEVER);
  }
}

static void state_arb(scsi_target_t *t) {
  uint32_t bus = t->bus_now;
  uint32_t higher = SCSI_DB_MASK & ~((SCSI_DB(t->id) << 1) - 1u);
  if ((bus & SCSI_SEL) || (bus & higher)) {
    t->st.arb_lost++;
    go_free(t);
    return;
  }
  drive(t, t->out | SCSI_SEL);
  wait_for(t, TS_RESEL_SEL, 0, after_ns(t, t->cfg.timing.sel_settle_ns));
}

static void state_resel_sel(scsi_target_t *t) {
  uint64_t w;
  int lun = -1;
  pending_resel(t, &w);
  for (unsigned l = 0; l < NLUN; l++)
    if (t->nx[l].active && t->nx[l].disconnected && t->nx[l].resel_at == w) {
      lun = (int)l;
      break;
    }
  if (lun < 0) { /* nothing to reselect any more */
    go_free(t);
    return;
  }
  t->resel_lun = lun;
  uint8_t ini = t->nx[lun].task.initiator;
  drive(t, SCSI_BSY | SCSI_SEL | SCSI_IO | scsi_data_lines((uint8_t)(SCSI_DB(t->id) | SCSI_DB(ini))));
  wait_for(t, TS_RESEL_IDS, 0, after_ns(t, 2u * SCSI_T_DESKEW));
}

static void state_resel_ids(scsi_target_t *t) {
  drive(t, t->out & ~SCSI_BSY);
  wait_for(t, TS_RESEL_WAIT_BSY, SCSI_BSY, after_ns(t, t->cfg.timing.reselect_timeout_ns));
}

static void state_resel_wait_bsy(scsi_target_t *t) {
  nexus_t *nx = &t->nx[t->resel_lun];
  if (!(t->bus_now & SCSI_BSY)) {
    if (t->now >= t->deadline) { /* the initiator does not answer: try again later */
      t->st.resel_timeouts++;
      nx->resel_at = after_ns(t, t->cfg.timing.reselect_delay_ns);
      go_free(t);
    } else {
      wait_for(t, TS_RESEL_WAIT_BSY, SCSI_BSY, t->deadline);
    }
    return;
  }
  /* SCSI-2 6.1.4.2: the target asserts BSY and releases SEL; MESSAGE IN IDENTIFY follows */
  drive(t, SCSI_BSY | SCSI_IO);
  connection_start(t);
  t->need_cdb = 0;
  t->cur_lun = t->resel_lun;
  t->initiator = nx->task.initiator;
  t->disc_priv = nx->disc_priv;
  nx->disconnected = 0;
  nx->ptr = nx->saved; /* reselection implies RESTORE POINTERS */
  t->st.reselections++;
  uint8_t m = (uint8_t)(SCSI_MSG_IDENTIFY | (unsigned)t->cur_lun);
  send_msg_in(t, &m, 1, AFTER_NONE);
}

static void run_state(scsi_target_t *t) {
  uint32_t bus = t->bus_now;
  switch (t->state) {
  case TS_FREE: state_free(t); break;
  case TS_SEL_RESPOND:
    if (t->now >= t->deadline) state_sel_respond(t);
    break;
  case TS_SEL_WAIT_SEL: state_sel_wait_sel(t); break;
  case TS_PREP:
    if (t->now >= t->deadline) state_prep(t);
    break;
  case TS_SETUP:
    if (t->now >= t->deadline) {
      drive(t, t->out | SCSI_REQ);
      wait_for(t, TS_WAIT_ACK, SCSI_ACK, SCSI_BUS_NEVER);
    }
    break;
  case TS_WAIT_ACK:
    if (bus & SCSI_ACK) {
      if (!scsi_phase_is_in(t->phase)) {
        t->byte = (uint8_t)(bus & SCSI_DB_MASK);
        t->byte_parity_ok = scsi_parity_ok(bus);
      } else {
        t->byte_parity_ok = 1;
      }
      t->atn_at_ack = (bus & SCSI_ATN) != 0;
      wait_for(t, TS_HOLD, 0, after_ns(t, t->cfg.timing.req_hold_ns));
    }
    break;
  case TS_HOLD:
    if (t->now >= t->deadline) {
      drive(t, t->out & ~SCSI_REQ);
      wait_for(t, TS_WAIT_ACK_OFF, SCSI_ACK, SCSI_BUS_NEVER);
    }
    break;
  case TS_WAIT_ACK_OFF:
    if (!(bus & SCSI_ACK)) byte_done(t);
    break;
  case TS_SERVICE:
    if (t->now >= t->deadline) advance(t);
    break;
  case TS_ARB:
    if (t->now >= t->deadline) state_arb(t);
    break;
  case TS_RESEL_SEL:
    if (t->now >= t->deadline) state_resel_sel(t);
    break;
  case TS_RESEL_IDS:
    if (t->now >= t->deadline) state_resel_ids(t);
    break;
  case TS_RESEL_WAIT_BSY: state_resel_wait_bsy(t); break;
  case TS_HUNG: break;
  case TS_RESET:
    if (!(bus & SCSI_RST)) go_free(t);
    break;
  }
}

void scsi_target_step(scsi_target_t *t, uint64_t now_ns, uint32_t bus) {
  if (!t || now_ns < t->now) return;
  /* the same sample again: everything it implies was done by the previous call */
  if (t->called && now_ns == t->now && (bus & SCSI_ALL_LINES) == t->bus_now) return;
  t->called = 1;
  t->now = now_ns;
  t->bus_now = bus & SCSI_ALL_LINES;
  if (t->bus_now & SCSI_RST) {
    if (t->state != TS_RESET) {
      /* SCSI-2 6.2.2: release every line at once, hard reset of every LU */
      drive(t, 0);
      t->st.bus_resets++;
      reset_all(t, SCSI_RESET_BUS);
      t->cur_lun = -1;
      t->phase_valid = 0;
      t->msg_in_pending = 0;
      t->after = AFTER_NONE;
      t->sel_ignored = 0;
      wait_for(t, TS_RESET, 0, SCSI_BUS_NEVER);
    }
    return;
  }
  /* A state entered with its deadline already due runs in the same call (the other
   * devices' lines in this sample are still current). A state entered to wait for a line
   * looks at the bus again in the next call, since this sample predates our own change. */
  t->recheck = 0;
  for (int i = 0; i < 64; i++) {
    tstate_t before = t->state;
    uint64_t dl_before = t->deadline;
    run_state(t);
    if (t->state == before && t->deadline == dl_before) break;
    if (t->deadline > t->now) {
      t->recheck = (t->mask & ~SCSI_RST) != 0;
      break;
    }
  }
}

/* ---- the disk model as a logical unit ------------------------------------------------------ */

static int disk_begin(void *lu, scsi_task_t *t) { return scsi_disk_begin(lu, t); }
static int disk_finish_out(void *lu, scsi_task_t *t, uint32_t received) {
  return scsi_disk_finish_out(lu, t, received);
}
static void disk_task_free(void *lu, scsi_task_t *t) { scsi_disk_task_free(lu, t); }
static void disk_reset(void *lu, int cause) { (void)scsi_disk_reset(lu, cause); }

const scsi_lu_ops_t scsi_disk_lu_ops = {disk_begin, disk_finish_out, disk_task_free, disk_reset};

/* ---- bus client glue ---------------------------------------------------------------------- */

static void client_step(void *ctx, uint64_t now_ns, uint32_t bus) {
  scsi_target_step(ctx, now_ns, bus);
}
static uint32_t client_mask(const void *ctx) { return scsi_target_wait_mask(ctx); }
static uint64_t client_deadline(const void *ctx) { return scsi_target_deadline(ctx); }
static void client_destroy(void *ctx) {
  scsi_target_t *t = ctx;
  for (unsigned l = 0; l < NLUN; l++) nexus_free(t, l);
  free(t);
}

static const scsi_bus_client_t target_client = {client_step, client_mask, client_deadline,
                                                client_destroy};

uint32_t scsi_target_wait_mask(const scsi_target_t *t) { return t ? t->mask : 0; }
uint64_t scsi_target_deadline(const scsi_target_t *t) {
  if (!t) return SCSI_BUS_NEVER;
  if (t->recheck && t->now + 1 < t->deadline) return t->now + 1;
  return t->deadline;
}
int scsi_target_bus_handle(const scsi_target_t *t) { return t ? t->handle : SCSI_BUS_E_ARG; }

const char *scsi_target_state_name(const scsi_target_t *t) {
  if (!t || (unsigned)t->state >= sizeof state_names / sizeof state_names[0]) return "?";
  return state_names[t->state];
}

void scsi_target_stats(const scsi_target_t *t, scsi_target_stats_t *out) {
  if (!out) return;
  if (!t) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = t->st;
}

void scsi_target_config_default(scsi_target_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->timing.sel_response_ns = 400;
  cfg->timing.req_delay_ns = 40;
  cfg->timing.data_setup_ns = 60;
  cfg->timing.req_hold_ns = 40;
  cfg->timing.phase_settle_ns = SCSI_T_BUS_SETTLE;
  cfg->timing.reselect_delay_ns = 10000;
  cfg->timing.bus_free_ns = SCSI_T_BUS_FREE;
  cfg->timing.arbitration_ns = SCSI_T_ARBITRATION;
  cfg->timing.sel_settle_ns = SCSI_T_BUS_CLEAR + SCSI_T_BUS_SETTLE;
  cfg->timing.reselect_timeout_ns = SCSI_T_SEL_TIMEOUT;
  cfg->disconnect_service_ns = 100000;
  cfg->disconnect_every = 0;
  cfg->check_parity = 1;
  cfg->seed = 1;
}

static int faults_valid(const scsi_target_faults_t *f) {
  const uint32_t known = SCSI_FAULT_PARITY | SCSI_FAULT_GONE | SCSI_FAULT_HANG |
                         SCSI_FAULT_EARLY_STATUS | SCSI_FAULT_EXTRA_DATA | SCSI_FAULT_ONCE;
  return !(f->flags & ~known);
}

scsi_target_t *scsi_target_create(scsi_bus_t *bus, unsigned id, const scsi_target_config_t *cfg,
                                  int *err) {
  int dummy;
  if (!err) err = &dummy;
  *err = SCSI_BUS_E_ARG;
  if (!bus || id > 6) return NULL;
  scsi_target_config_t c;
  if (cfg) c = *cfg;
  else scsi_target_config_default(&c);
  if (!faults_valid(&c.faults) || c.timing.sel_response_ns >= SCSI_T_SEL_ABORT ||
      c.timing.data_setup_ns < SCSI_T_DESKEW + SCSI_T_CABLE_SKEW)
    return NULL;
  scsi_target_t *t = calloc(1, sizeof *t);
  if (!t) {
    *err = SCSI_BUS_E_NOMEM;
    return NULL;
  }
  t->bus = bus;
  t->id = (uint8_t)id;
  t->cfg = c;
  prng_seed(&t->rng, c.seed, PRNG_STREAM_FAULT + id);
  t->cur_lun = -1;
  t->initiator = 0xFF;
  /* the ID must be free: every target attaches as "target<id>" */
  char name[16] = "target0";
  name[6] = (char)('0' + id);
  if (scsi_bus_find(bus, name) >= 0) {
    *err = SCSI_BUS_E_BUSY;
    free(t);
    return NULL;
  }
  int h = scsi_bus_attach(bus, name, &target_client, t);
  if (h < 0) {
    *err = h;
    free(t);
    return NULL;
  }
  t->handle = h;
  go_free(t);
  *err = SCSI_BUS_OK;
  return t;
}

int scsi_target_bind(scsi_target_t *t, unsigned lun, const scsi_lu_ops_t *ops, void *lu) {
  if (!t || lun >= NLUN || !ops || !ops->begin || !ops->task_free) return SCSI_BUS_E_ARG;
  if (t->lun[lun].ops) return SCSI_BUS_E_BUSY;
  t->lun[lun].ops = ops;
  t->lun[lun].lu = lu;
  return SCSI_BUS_OK;
}

int scsi_target_set_faults(scsi_target_t *t, const scsi_target_faults_t *f) {
  if (!t || !f || !faults_valid(f)) return SCSI_BUS_E_ARG;
  t->cfg.faults = *f;
  return SCSI_BUS_OK;
}
