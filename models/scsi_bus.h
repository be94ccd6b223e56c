/* The parallel SCSI-2 bus: signal masks, the wired-OR resolver and the bus checker
 * (docs/contracts.md 11.1 and 11.4, docs/scsi_bus.md).
 *
 * The bus is carried as 18-bit *assertion* masks (1 = the line is asserted, pulled low on a
 * real cable), the same bit order in RTL and C. Every device on the bus has a contribution;
 * the resolved bus is the OR of all contributions plus an external one (the RTL HBA's
 * scsi_hba_o). Devices that are C state machines (the target phase engine, scsi_target.h,
 * or a test's initiator) attach as clients: the bus calls a client only when a line in its
 * wait mask changed since its last call, or when the deadline it set is due. The checker
 * watches the resolved bus and records protocol violations as texts; it never aborts.
 *
 * Per-cycle use by a harness (after each rising edge, `bus` = the resolved scsi_bus_o):
 *
 *   if (scsi_bus_due(b, now_ns, bus))            // bus changed or a deadline is due
 *     tgt_i = scsi_bus_step(b, now_ns, bus);   // drive tgt_i into scsi_tgt_i
 *
 * No global state; every function checks its arguments. */
#ifndef HBASIM_SCSI_BUS_H
#define HBASIM_SCSI_BUS_H

#include <stdint.h>

/* ---- signals (contracts.md 11.1) ----------------------------------------------------------- */
#define SCSI_DB(n) (1u << (n)) /* data bit n, 0-7 */
#define SCSI_DB0 SCSI_DB(0)
#define SCSI_DB1 SCSI_DB(1)
#define SCSI_DB2 SCSI_DB(2)
#define SCSI_DB3 SCSI_DB(3)
#define SCSI_DB4 SCSI_DB(4)
#define SCSI_DB5 SCSI_DB(5)
#define SCSI_DB6 SCSI_DB(6)
#define SCSI_DB7 SCSI_DB(7)
#define SCSI_DB_MASK 0xFFu
#define SCSI_DBP (1u << 8) /* odd parity over DB7-0 + DBP */
#define SCSI_BSY (1u << 9)
#define SCSI_SEL (1u << 10)
#define SCSI_ATN (1u << 11)
#define SCSI_RST (1u << 12)
#define SCSI_MSG (1u << 13)
#define SCSI_CD  (1u << 14) /* asserted = command, status or message */
#define SCSI_IO  (1u << 15) /* asserted = towards the initiator */
#define SCSI_REQ (1u << 16)
#define SCSI_ACK (1u << 17)
#define SCSI_DATA_LINES  (SCSI_DB_MASK | SCSI_DBP)
#define SCSI_PHASE_LINES (SCSI_MSG | SCSI_CD | SCSI_IO)
#define SCSI_ALL_LINES   0x3FFFFu

/* Information transfer phases: (MSG, C/D, I/O) as a 3-bit number. 4 and 5 are reserved. */
typedef enum scsi_phase {
  SCSI_PHASE_DATA_OUT = 0,
  SCSI_PHASE_DATA_IN = 1,
  SCSI_PHASE_COMMAND = 2,
  SCSI_PHASE_STATUS = 3,
  SCSI_PHASE_MSG_OUT = 6,
  SCSI_PHASE_MSG_IN = 7
} scsi_phase_t;

static inline unsigned scsi_phase_of(uint32_t bus) {
  return ((bus & SCSI_MSG) ? 4u : 0u) | ((bus & SCSI_CD) ? 2u : 0u) | ((bus & SCSI_IO) ? 1u : 0u);
}
static inline uint32_t scsi_phase_lines(unsigned phase) {
  return ((phase & 4u) ? SCSI_MSG : 0u) | ((phase & 2u) ? SCSI_CD : 0u) |
         ((phase & 1u) ? SCSI_IO : 0u);
}
static inline int scsi_phase_is_in(unsigned phase) { return (phase & 1u) != 0; }
static inline int scsi_phase_is_data(unsigned phase) { return phase <= 1u; }
/* "DATA OUT", ..., "reserved(4)" */
const char *scsi_phase_name(unsigned phase);

/* SCSI_DBP when b has an even number of ones (so that DB7-0 + DBP is odd), else 0. */
static inline uint32_t scsi_parity_line(uint8_t b) {
  unsigned v = b;
  v ^= v >> 4;
  v ^= v >> 2;
  v ^= v >> 1;
  return (v & 1u) ? 0u : SCSI_DBP;
}
/* The data lines for byte b with correct parity. */
static inline uint32_t scsi_data_lines(uint8_t b) { return (uint32_t)b | scsi_parity_line(b); }
/* Non-zero when DB7-0 + DBP of `bus` hold an odd number of asserted bits. */
static inline int scsi_parity_ok(uint32_t bus) {
  return (scsi_parity_line((uint8_t)(bus & SCSI_DB_MASK)) ^ (bus & SCSI_DBP)) == 0;
}

/* ---- SCSI-2 timing (X3.131-1994 table 5), in ns ------------------------------------------- */
#define SCSI_T_ARBITRATION   2400u     /* arbitration delay */
#define SCSI_T_ASSERTION     90u       /* assertion period */
#define SCSI_T_BUS_CLEAR     800u      /* bus clear delay */
#define SCSI_T_BUS_FREE      800u      /* bus free delay */
#define SCSI_T_BUS_SET       1800u     /* bus set delay */
#define SCSI_T_BUS_SETTLE    400u      /* bus settle delay */
#define SCSI_T_DESKEW        45u       /* deskew delay */
#define SCSI_T_CABLE_SKEW    10u       /* cable skew delay */
#define SCSI_T_RESET_HOLD    25000u    /* reset hold time */
#define SCSI_T_SEL_ABORT     200000u   /* selection abort time */
#define SCSI_T_SEL_TIMEOUT   250000000ull /* selection time-out delay (recommended) */

/* ---- the bus ------------------------------------------------------------------------------ */
typedef struct scsi_bus scsi_bus_t;

#define SCSI_BUS_MAX_DEVICES 16
#define SCSI_BUS_NEVER UINT64_MAX /* "no deadline" */

enum {
  SCSI_BUS_OK = 0,
  SCSI_BUS_E_ARG = -1,   /* NULL, bad handle, bad ID or LUN, lines outside SCSI_ALL_LINES */
  SCSI_BUS_E_FULL = -2,  /* SCSI_BUS_MAX_DEVICES attached already */
  SCSI_BUS_E_BUSY = -3,  /* the SCSI ID or LUN is taken */
  SCSI_BUS_E_NOMEM = -4,
  SCSI_BUS_E_TIME = -5   /* time went backwards */
};
const char *scsi_bus_strerror(int err);

/* A device whose behaviour the bus runs (a target engine, a test initiator). The bus calls
 * step(ctx, now_ns, bus) only when (bus ^ bus at its previous call) & wait_mask(ctx) != 0 or
 * now_ns >= deadline(ctx); inside step the client may change its contribution with
 * scsi_bus_drive. destroy (may be NULL) runs in scsi_bus_destroy. */
typedef struct scsi_bus_client {
  void (*step)(void *ctx, uint64_t now_ns, uint32_t bus);
  uint32_t (*wait_mask)(const void *ctx);
  uint64_t (*deadline)(const void *ctx);
  void (*destroy)(void *ctx);
} scsi_bus_client_t;

scsi_bus_t *scsi_bus_create(void);
/* Destroys the clients (their destroy hook) and the bus; NULL is ignored. */
void scsi_bus_destroy(scsi_bus_t *b);

/* Attaches a device: client NULL for a passive device that only drives lines. Returns a
 * handle >= 0 or SCSI_BUS_E_*. `name` (copied, may be NULL) appears in checker texts. */
int scsi_bus_attach(scsi_bus_t *b, const char *name, const scsi_bus_client_t *client,
                    void *ctx);
/* The handle of the device attached under `name`, or SCSI_BUS_E_ARG when there is none. */
int scsi_bus_find(const scsi_bus_t *b, const char *name);
/* Sets a device's contribution (lines it asserts). */
int scsi_bus_drive(scsi_bus_t *b, int dev, uint32_t lines);
uint32_t scsi_bus_contribution(const scsi_bus_t *b, int dev); /* 0 for a bad handle */
/* The external contribution: the RTL initiator (soc_top scsi_hba_o). */
int scsi_bus_set_external(scsi_bus_t *b, uint32_t lines);
/* OR of every attached device's contribution: what the harness drives into scsi_tgt_i. */
uint32_t scsi_bus_devices(const scsi_bus_t *b);
/* scsi_bus_devices | the external contribution. */
uint32_t scsi_bus_resolved(const scsi_bus_t *b);

/* One call per cycle in which the resolved bus changed or a deadline is due (calling more
 * often is harmless). Runs the checker on `bus`, then every client whose wake condition
 * holds, in attach order. Returns scsi_bus_devices() after the clients ran (their new
 * contribution, for the next cycle). now_ns must not decrease (else the call does nothing
 * and the checker records a model error). */
uint32_t scsi_bus_step(scsi_bus_t *b, uint64_t now_ns, uint32_t bus);
/* Non-zero when scsi_bus_step has work: `bus` differs from the value of the previous step
 * (or there was none) or now_ns >= scsi_bus_next_deadline(). */
int scsi_bus_due(const scsi_bus_t *b, uint64_t now_ns, uint32_t bus);
/* Earliest deadline over all clients (SCSI_BUS_NEVER when none). The checker needs no call
 * while the bus does not change. */
uint64_t scsi_bus_next_deadline(const scsi_bus_t *b);
/* How many times scsi_bus_step called client `dev` (for tests of the wake contract). */
uint64_t scsi_bus_client_calls(const scsi_bus_t *b, int dev);

/* ---- the checker -------------------------------------------------------------------------- */
typedef enum scsi_check_kind {
  SCSI_CHK_REQ_WITHOUT_BSY = 1, /* REQ asserted while BSY is released */
  SCSI_CHK_ACK_WITHOUT_REQ,     /* ACK asserted while REQ is not */
  SCSI_CHK_REQ_DROPPED,         /* REQ released before ACK answered it */
  SCSI_CHK_DATA_CHANGED,        /* DB/DBP changed while REQ and ACK were both asserted */
  SCSI_CHK_PHASE_CHANGED,       /* MSG/C-D/I-O changed while REQ was asserted */
  SCSI_CHK_TWO_REQ,             /* more than one device asserts REQ (two targets on the bus) */
  SCSI_CHK_PARITY,              /* a byte handed over with bad parity */
  SCSI_CHK_RST_SHORT,           /* RST held for less than the 25 us reset hold time */
  SCSI_CHK_PHASE_SEQUENCE,      /* DATA or STATUS with no COMMAND for the nexus, reserved
                                   phase, reselection with no command outstanding */
  SCSI_CHK_MODEL                /* a model reported an internal error (an LU op failed ...) */
} scsi_check_kind_t;

#define SCSI_CHECK_MAX_TEXTS 64 /* texts kept; the count goes on */

/* Records a finding (used by the checker and by models). */
void scsi_bus_report(scsi_bus_t *b, scsi_check_kind_t kind, uint64_t now_ns, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
unsigned scsi_bus_check_count(const scsi_bus_t *b);
/* Findings of one kind (0 = all kinds). */
unsigned scsi_bus_check_count_kind(const scsi_bus_t *b, scsi_check_kind_t kind);
/* The i-th kept finding: "t=<ns> ns: <text>", NULL past the kept ones. */
const char *scsi_bus_check_text(const scsi_bus_t *b, unsigned i);
scsi_check_kind_t scsi_bus_check_kind(const scsi_bus_t *b, unsigned i);
void scsi_bus_check_clear(scsi_bus_t *b);
const char *scsi_check_kind_name(scsi_check_kind_t kind);

#endif
