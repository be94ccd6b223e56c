/* The SCSI bus: wired-OR resolver, client wake-up, and the bus checker (scsi_bus.h,
 * docs/scsi_bus.md). */
#include "scsi_bus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_LEN 24
#define TEXT_LEN 160

typedef struct bus_dev {
  char name[NAME_LEN];
  uint32_t lines;
  int has_client;
  scsi_bus_client_t client;
  void *ctx;
  uint32_t seen;      /* the bus at the client's previous call */
  int seen_valid;
  uint64_t calls;
} bus_dev_t;

typedef enum { CONN_FREE, CONN_SELECTING, CONN_INFO } conn_state_t;

typedef struct checker {
  int have_prev;
  uint32_t prev;
  uint64_t rst_since;
  conn_state_t conn;
  uint8_t pair;          /* the ID bits of the selection / reselection */
  int resel;             /* the connection came from a reselection */
  int cmd_seen;          /* a COMMAND phase byte went over in this connection */
  int seq_reported;      /* one PHASE_SEQUENCE text per connection */
  int req_acked;         /* ACK came while the current REQ was asserted */
  unsigned last_phase;   /* phase of the last REQ */
  int phase_valid;
  unsigned phase_bytes;  /* bytes in the current phase */
  int two_req;           /* inside an episode of REQ from two devices */
  int lun;               /* LUN of the connection (IDENTIFY), -1 unknown */
  unsigned mo_skip;      /* MESSAGE OUT bytes left of a multi-byte message */
  int mo_ext_len;        /* the next MESSAGE OUT byte is an extended message's length */
  int mo_active;         /* inside a MESSAGE OUT phase: its effects wait for its end */
  int mo_bad;            /* a MESSAGE OUT byte of this phase had bad parity */
  int mo_abort, mo_bdr;
  uint8_t outstanding[256]; /* per ID pair: a bit per LUN with a command (untagged) */
} checker_t;

typedef struct finding {
  scsi_check_kind_t kind;
  char text[TEXT_LEN];
} finding_t;

struct scsi_bus {
  bus_dev_t dev[SCSI_BUS_MAX_DEVICES];
  int ndev;
  uint32_t external;
  uint64_t last_now;
  int have_now;
  checker_t chk;
  unsigned count;
  unsigned count_kind[SCSI_CHK_MODEL + 1];
  unsigned kept;
  finding_t found[SCSI_CHECK_MAX_TEXTS];
};

const char *scsi_phase_name(unsigned phase) {
  switch (phase) {
  case SCSI_PHASE_DATA_OUT: return "DATA OUT";
  case SCSI_PHASE_DATA_IN: return "DATA IN";
  case SCSI_PHASE_COMMAND: return "COMMAND";
  case SCSI_PHASE_STATUS: return "STATUS";
  case SCSI_PHASE_MSG_OUT: return "MESSAGE OUT";
  case SCSI_PHASE_MSG_IN: return "MESSAGE IN";
  case 4: return "reserved(4)";
  case 5: return "reserved(5)";
  default: return "invalid";
  }
}

const char *scsi_bus_strerror(int err) {
  switch (err) {
  case SCSI_BUS_OK: return "ok";
  case SCSI_BUS_E_ARG: return "bad argument";
  case SCSI_BUS_E_FULL: return "too many devices on the bus";
  case SCSI_BUS_E_BUSY: return "SCSI ID or LUN already in use";
  case SCSI_BUS_E_NOMEM: return "out of memory";
  case SCSI_BUS_E_TIME: return "time went backwards";
  default: return "unknown error";
  }
}

const char *scsi_check_kind_name(scsi_check_kind_t kind) {
  switch (kind) {
  case SCSI_CHK_REQ_WITHOUT_BSY: return "REQ_WITHOUT_BSY";
  case SCSI_CHK_ACK_WITHOUT_REQ: return "ACK_WITHOUT_REQ";
  case SCSI_CHK_REQ_DROPPED: return "REQ_DROPPED";
  case SCSI_CHK_DATA_CHANGED: return "DATA_CHANGED";
  case SCSI_CHK_PHASE_CHANGED: return "PHASE_CHANGED";
  case SCSI_CHK_TWO_REQ: return "TWO_REQ";
  case SCSI_CHK_PARITY: return "PARITY";
  case SCSI_CHK_RST_SHORT: return "RST_SHORT";
  case SCSI_CHK_PHASE_SEQUENCE: return "PHASE_SEQUENCE";
  case SCSI_CHK_MODEL: return "MODEL";
  default: return "unknown";
  }
}

scsi_bus_t *scsi_bus_create(void) {
  scsi_bus_t *b = calloc(1, sizeof *b);
  return b;
}

void scsi_bus_destroy(scsi_bus_t *b) {
  if (!b) return;
  for (int i = 0; i < b->ndev; i++)
    if (b->dev[i].has_client && b->dev[i].client.destroy) b->dev[i].client.destroy(b->dev[i].ctx);
  free(b);
}

int scsi_bus_attach(scsi_bus_t *b, const char *name, const scsi_bus_client_t *client,
                    void *ctx) {
  if (!b) return SCSI_BUS_E_ARG;
  if (client && (!client->step || !client->wait_mask || !client->deadline)) return SCSI_BUS_E_ARG;
  if (b->ndev >= SCSI_BUS_MAX_DEVICES) return SCSI_BUS_E_FULL;
  bus_dev_t *d = &b->dev[b->ndev];
  memset(d, 0, sizeof *d);
  snprintf(d->name, sizeof d->name, "%s", name ? name : "device");
  if (client) {
    d->has_client = 1;
    d->client = *client;
    d->ctx = ctx;
  }
  return b->ndev++;
}

int scsi_bus_find(const scsi_bus_t *b, const char *name) {
  if (!b || !name) return SCSI_BUS_E_ARG;
  for (int i = 0; i < b->ndev; i++)
    if (strcmp(b->dev[i].name, name) == 0) return i;
  return SCSI_BUS_E_ARG;
}

static bus_dev_t *dev_of(const scsi_bus_t *b, int dev) {
  if (!b || dev < 0 || dev >= b->ndev) return NULL;
  return (bus_dev_t *)&b->dev[dev];
}

int scsi_bus_drive(scsi_bus_t *b, int dev, uint32_t lines) {
  bus_dev_t *d = dev_of(b, dev);
  if (!d || (lines & ~SCSI_ALL_LINES)) return SCSI_BUS_E_ARG;
  d->lines = lines;
  return SCSI_BUS_OK;
}

uint32_t scsi_bus_contribution(const scsi_bus_t *b, int dev) {
  const bus_dev_t *d = dev_of(b, dev);
  return d ? d->lines : 0;
}

int scsi_bus_set_external(scsi_bus_t *b, uint32_t lines) {
  if (!b || (lines & ~SCSI_ALL_LINES)) return SCSI_BUS_E_ARG;
  b->external = lines;
  return SCSI_BUS_OK;
}

uint32_t scsi_bus_devices(const scsi_bus_t *b) {
  uint32_t v = 0;
  if (!b) return 0;
  for (int i = 0; i < b->ndev; i++) v |= b->dev[i].lines;
  return v;
}

uint32_t scsi_bus_resolved(const scsi_bus_t *b) {
  return b ? scsi_bus_devices(b) | b->external : 0;
}

uint64_t scsi_bus_client_calls(const scsi_bus_t *b, int dev) {
  const bus_dev_t *d = dev_of(b, dev);
  return d ? d->calls : 0;
}

int scsi_bus_due(const scsi_bus_t *b, uint64_t now_ns, uint32_t bus) {
  if (!b) return 0;
  if (!b->chk.have_prev || (bus & SCSI_ALL_LINES) != b->chk.prev) return 1;
  return now_ns >= scsi_bus_next_deadline(b);
}

uint64_t scsi_bus_next_deadline(const scsi_bus_t *b) {
  uint64_t dl = SCSI_BUS_NEVER;
  if (!b) return dl;
  for (int i = 0; i < b->ndev; i++) {
    if (!b->dev[i].has_client) continue;
    uint64_t d = b->dev[i].client.deadline(b->dev[i].ctx);
    if (d < dl) dl = d;
  }
  return dl;
}

/* ---- findings ----------------------------------------------------------------------------- */

void scsi_bus_report(scsi_bus_t *b, scsi_check_kind_t kind, uint64_t now_ns, const char *fmt,
                     ...) {
  if (!b) return;
  if ((unsigned)kind > SCSI_CHK_MODEL || kind == 0) kind = SCSI_CHK_MODEL;
  b->count++;
  b->count_kind[kind]++;
  if (b->kept >= SCSI_CHECK_MAX_TEXTS) return;
  finding_t *f = &b->found[b->kept++];
  f->kind = kind;
  int n = snprintf(f->text, sizeof f->text, "t=%llu ns: ", (unsigned long long)now_ns);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof f->text) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->text + n, sizeof f->text - (size_t)n, fmt ? fmt : "(no text)", ap);
  va_end(ap);
}

unsigned scsi_bus_check_count(const scsi_bus_t *b) { return b ? b->count : 0; }

unsigned scsi_bus_check_count_kind(const scsi_bus_t *b, scsi_check_kind_t kind) {
  if (!b) return 0;
  if (kind == 0) return b->count;
  if ((unsigned)kind > SCSI_CHK_MODEL) return 0;
  return b->count_kind[kind];
}

const char *scsi_bus_check_text(const scsi_bus_t *b, unsigned i) {
  if (!b || i >= b->kept) return NULL;
  return b->found[i].text;
}

scsi_check_kind_t scsi_bus_check_kind(const scsi_bus_t *b, unsigned i) {
  if (!b || i >= b->kept) return (scsi_check_kind_t)0;
  return b->found[i].kind;
}

void scsi_bus_check_clear(scsi_bus_t *b) {
  if (!b) return;
  b->count = 0;
  b->kept = 0;
  memset(b->count_kind, 0, sizeof b->count_kind);
}

/* ---- the checker -------------------------------------------------------------------------- */

static unsigned popcount8(unsigned v) {
  unsigned n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}

/* A MESSAGE OUT phase ended: a target acts on the messages only when every byte was good
 * (the engine drops a corrupted MESSAGE OUT whole), so the checker does the same. */
static void mo_commit(checker_t *c) {
  if (c->mo_active && !c->mo_bad) {
    if (c->mo_bdr) c->outstanding[c->pair] = 0;
    else if (c->mo_abort && c->lun >= 0) c->outstanding[c->pair] &= (uint8_t)~(1u << c->lun);
  }
  c->mo_active = c->mo_bad = c->mo_abort = c->mo_bdr = 0;
}

static void conn_reset(checker_t *c) {
  mo_commit(c);
  c->conn = CONN_FREE;
  c->pair = 0;
  c->resel = 0;
  c->cmd_seen = 0;
  c->seq_reported = 0;
  c->phase_valid = 0;
  c->phase_bytes = 0;
  c->lun = -1;
  c->mo_skip = 0;
  c->mo_ext_len = 0;
}

static void seq_error(scsi_bus_t *b, uint64_t now, const char *what) {
  checker_t *c = &b->chk;
  if (c->seq_reported) return;
  c->seq_reported = 1;
  scsi_bus_report(b, SCSI_CHK_PHASE_SEQUENCE, now, "%s (IDs 0x%02x)", what, c->pair);
}

/* A byte handed over (ACK rising while REQ asserted): follow the nexus (ID pair and LUN). */
static void byte_taken(scsi_bus_t *b, uint64_t now, unsigned phase, uint8_t v) {
  checker_t *c = &b->chk;
  (void)now;
  uint8_t *out = &c->outstanding[c->pair];
  switch (phase) {
  case SCSI_PHASE_COMMAND:
    if (c->phase_bytes == 0) {
      c->cmd_seen = 1;
      if (c->lun < 0) c->lun = 0; /* no IDENTIFY: LUN 0 */
      *out |= (uint8_t)(1u << c->lun);
    }
    break;
  case SCSI_PHASE_MSG_IN:
    if (v & 0x80) {
      if (c->lun < 0) c->lun = v & 7; /* IDENTIFY at reselection */
    } else if (v == 0x00) {
      *out &= (uint8_t)~(1u << (c->lun < 0 ? 0 : c->lun)); /* COMMAND COMPLETE */
    }
    break;
  case SCSI_PHASE_MSG_OUT:
    if (c->phase_bytes == 0) {
      mo_commit(c);
      c->mo_skip = 0;
      c->mo_ext_len = 0;
      c->mo_active = 1;
    }
    if (!scsi_parity_ok(b->chk.prev)) c->mo_bad = 1;
    if (c->mo_ext_len) {
      c->mo_ext_len = 0;
      c->mo_skip = v;
    } else if (c->mo_skip) {
      c->mo_skip--;
    } else if (v & 0x80) {
      if (c->lun < 0 && !(v & 0x38)) c->lun = v & 7; /* LUNTAR/reserved: rejected */
    } else if (v == 0x01) {
      c->mo_ext_len = 1;
    } else if (v >= 0x20 && v <= 0x2F) {
      c->mo_skip = 1;
    } else if (v == 0x06) {
      c->mo_abort = 1; /* ABORT */
    } else if (v == 0x0C) {
      c->mo_bdr = 1; /* BUS DEVICE RESET */
    }
    break;
  default:
    break;
  }
  c->phase_bytes++;
}

static void check(scsi_bus_t *b, uint64_t now, uint32_t bus) {
  checker_t *c = &b->chk;

  /* two devices asserting REQ: needs the contributions, not just the resolved bus */
  unsigned reqs = (b->external & SCSI_REQ) ? 1u : 0u;
  for (int i = 0; i < b->ndev; i++)
    if (b->dev[i].lines & SCSI_REQ) reqs++;
  if (reqs >= 2 && !c->two_req)
    scsi_bus_report(b, SCSI_CHK_TWO_REQ, now, "REQ asserted by %u devices at once", reqs);
  c->two_req = reqs >= 2;

  if (!c->have_prev) {
    c->have_prev = 1;
    c->prev = bus;
    conn_reset(c);
    if (bus & SCSI_RST) c->rst_since = now;
    return;
  }
  uint32_t prev = c->prev;
  if (bus == prev) return;
  uint32_t rise = bus & ~prev, fall = prev & ~bus;
  c->prev = bus;

  if (rise & SCSI_RST) {
    c->rst_since = now;
    conn_reset(c);
    memset(c->outstanding, 0, sizeof c->outstanding);
  }
  if (fall & SCSI_RST) {
    if (now - c->rst_since < SCSI_T_RESET_HOLD)
      scsi_bus_report(b, SCSI_CHK_RST_SHORT, now, "RST held %llu ns, less than the %u ns reset hold time",
                      (unsigned long long)(now - c->rst_since), SCSI_T_RESET_HOLD);
  }
  if (bus & SCSI_RST) return; /* everything may drop at once during a reset */

  unsigned phase = scsi_phase_of(bus);

  /* connection tracking */
  if (!(bus & (SCSI_BSY | SCSI_SEL))) {
    conn_reset(c);
  } else if (bus & SCSI_SEL) {
    uint8_t ids = (uint8_t)(bus & SCSI_DB_MASK);
    if (popcount8(ids) == 2 || (c->conn != CONN_SELECTING && ids)) {
      c->pair = ids;
      c->resel = (bus & SCSI_IO) != 0;
    }
    if (c->conn != CONN_SELECTING) {
      c->cmd_seen = 0;
      c->seq_reported = 0;
      c->phase_valid = 0;
    }
    c->conn = CONN_SELECTING;
    c->lun = -1;
  } else if (c->conn == CONN_SELECTING && (fall & SCSI_SEL) && (bus & SCSI_BSY)) {
    c->conn = CONN_INFO;
    if (c->resel && c->outstanding[c->pair] == 0)
      seq_error(b, now, "reselection with no command outstanding for this pair");
  }

  /* handshake rules */
  if ((prev & bus & SCSI_REQ) && ((prev ^ bus) & SCSI_PHASE_LINES))
    scsi_bus_report(b, SCSI_CHK_PHASE_CHANGED, now, "phase changed from %s to %s while REQ asserted",
                    scsi_phase_name(scsi_phase_of(prev)), scsi_phase_name(phase));
  if ((prev & bus & SCSI_REQ) && (prev & bus & SCSI_ACK) && ((prev ^ bus) & SCSI_DATA_LINES))
    scsi_bus_report(b, SCSI_CHK_DATA_CHANGED, now,
                    "data changed 0x%03x -> 0x%03x while REQ and ACK asserted",
                    (unsigned)(prev & SCSI_DATA_LINES), (unsigned)(bus & SCSI_DATA_LINES));

  if (rise & SCSI_REQ) {
    c->req_acked = (bus & SCSI_ACK) != 0;
    if (!(bus & SCSI_BSY)) scsi_bus_report(b, SCSI_CHK_REQ_WITHOUT_BSY, now, "REQ asserted while BSY is released");
    if (phase == 4 || phase == 5) {
      seq_error(b, now, "REQ in a reserved phase");
    } else {
      if (!c->phase_valid || c->last_phase != phase) {
        if (phase != SCSI_PHASE_MSG_OUT) mo_commit(c);
        c->phase_valid = 1;
        c->last_phase = phase;
        c->phase_bytes = 0;
      }
      if ((phase == SCSI_PHASE_DATA_IN || phase == SCSI_PHASE_DATA_OUT ||
           phase == SCSI_PHASE_STATUS) &&
          c->conn == CONN_INFO && !c->cmd_seen &&
          !(c->resel && (c->lun < 0 ? c->outstanding[c->pair] != 0
                                    : (c->outstanding[c->pair] >> c->lun) & 1u))) {
        char what[64];
        snprintf(what, sizeof what, "%s with no COMMAND for the nexus", scsi_phase_name(phase));
        seq_error(b, now, what);
      }
    }
    if (scsi_phase_is_in(phase) && (bus & SCSI_BSY) && !scsi_parity_ok(bus))
      scsi_bus_report(b, SCSI_CHK_PARITY, now, "parity error in %s: DB 0x%02x DBP %u",
                      scsi_phase_name(phase), (unsigned)(bus & SCSI_DB_MASK),
                      (bus & SCSI_DBP) ? 1u : 0u);
  }
  if (rise & SCSI_ACK) {
    if (!(bus & SCSI_REQ)) {
      scsi_bus_report(b, SCSI_CHK_ACK_WITHOUT_REQ, now, "ACK asserted without REQ");
    } else {
      c->req_acked = 1;
      if (!scsi_phase_is_in(phase) && !scsi_parity_ok(bus))
        scsi_bus_report(b, SCSI_CHK_PARITY, now, "parity error in %s: DB 0x%02x DBP %u",
                        scsi_phase_name(phase), (unsigned)(bus & SCSI_DB_MASK),
                        (bus & SCSI_DBP) ? 1u : 0u);
      if (c->phase_valid) byte_taken(b, now, phase, (uint8_t)(bus & SCSI_DB_MASK));
    }
  }
  if ((fall & SCSI_REQ) && !c->req_acked && !(bus & SCSI_ACK))
    scsi_bus_report(b, SCSI_CHK_REQ_DROPPED, now, "REQ released before ACK in %s",
                    scsi_phase_name(scsi_phase_of(prev)));
}

/* ---- per-cycle step ----------------------------------------------------------------------- */

uint32_t scsi_bus_step(scsi_bus_t *b, uint64_t now_ns, uint32_t bus) {
  if (!b) return 0;
  if (b->have_now && now_ns < b->last_now) {
    scsi_bus_report(b, SCSI_CHK_MODEL, now_ns, "scsi_bus_step: time went backwards from %llu ns",
                    (unsigned long long)b->last_now);
    return scsi_bus_devices(b);
  }
  b->have_now = 1;
  b->last_now = now_ns;
  bus &= SCSI_ALL_LINES;
  check(b, now_ns, bus);
  for (int i = 0; i < b->ndev; i++) {
    bus_dev_t *d = &b->dev[i];
    if (!d->has_client) continue;
    uint32_t mask = d->client.wait_mask(d->ctx);
    uint64_t dl = d->client.deadline(d->ctx);
    if (d->seen_valid && !((bus ^ d->seen) & mask) && now_ns < dl) continue;
    d->seen = bus;
    d->seen_valid = 1;
    d->calls++;
    d->client.step(d->ctx, now_ns, bus);
  }
  return scsi_bus_devices(b);
}
