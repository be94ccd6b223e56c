/* The SCSI-2 target phase engine: plays a target on the bus pins (docs/scsi_bus.md).
 *
 * One engine per target ID (0-6), attached to a scsi_bus_t as a client. It answers selection,
 * takes IDENTIFY and the other MESSAGE OUT messages, reads the CDB, and moves DATA, STATUS
 * and MESSAGE IN bytes with the asynchronous REQ/ACK handshake; it disconnects and reselects
 * on long commands when the initiator granted disconnect privilege. Commands are executed by
 * a logical unit behind an ops table (the disk model of scsi_disk.h, or a test's fake), one
 * per LUN 0-7. Bus-level faults (bad parity, no answer to selection, a hang, early STATUS,
 * extra data) are injected here, per target and seeded.
 *
 * The engine is woken by the bus only when a line in scsi_target_wait_mask() changed or
 * scsi_target_deadline() is due; calling it more often changes nothing. */
#ifndef HBASIM_SCSI_TARGET_H
#define HBASIM_SCSI_TARGET_H

#include <stdint.h>

#include "scsi_bus.h"
#include "scsi_disk.h" /* scsi_task_t, scsi_dir_t */

typedef struct scsi_target scsi_target_t;

/* A logical unit at the command level (contracts.md 11.4). begin() sets t->dir, data,
 * data_len, status and service_ns, returning 0 (or <0 on a model error: the engine then
 * reports SCSI_CHK_MODEL and ends the command with the status begin left, CHECK CONDITION
 * when begin left GOOD). finish_out() is called once for a DATA OUT task, with the bytes
 * received; task_free() once for every task begin() was called on (also on abort, reset and
 * when the data was refused for bad parity, without finish_out). reset() on a bus reset
 * (SCSI_RESET_BUS) or a BUS DEVICE RESET message (SCSI_RESET_BDR). */
typedef struct scsi_lu_ops {
  int (*begin)(void *lu, scsi_task_t *t);
  int (*finish_out)(void *lu, scsi_task_t *t, uint32_t received);
  void (*task_free)(void *lu, scsi_task_t *t);
  void (*reset)(void *lu, int cause);
} scsi_lu_ops_t;

/* The disk model of scsi_disk.h as an LU: bind each of its LUNs with the scsi_disk_t as `lu`
 * (a reset reaches each distinct LU once). */
extern const scsi_lu_ops_t scsi_disk_lu_ops;

/* Timing, in ns (docs/scsi_bus.md explains each against SCSI-2 table 5). */
typedef struct scsi_target_timing {
  uint32_t sel_response_ns;   /* our ID selected -> BSY asserted (< 200 us abort time) */
  uint32_t req_delay_ns;      /* ACK released -> the next byte of the same phase starts */
  uint32_t data_setup_ns;     /* data and parity driven -> REQ asserted (>= 55 ns) */
  uint32_t req_hold_ns;       /* ACK asserted -> REQ released */
  uint32_t phase_settle_ns;   /* phase lines changed -> first byte's data driven (400 ns) */
  uint32_t reselect_delay_ns; /* DISCONNECT sent -> earliest reselection attempt */
  uint32_t bus_free_ns;       /* bus seen free -> arbitration may start (800 ns) */
  uint32_t arbitration_ns;    /* BSY + ID asserted -> look who won (2.4 us) */
  uint32_t sel_settle_ns;     /* SEL asserted (won) -> IDs and I/O, BSY released (1.2 us) */
  uint64_t reselect_timeout_ns; /* no BSY from the initiator: give up, retry later */
} scsi_target_timing_t;

/* Faults (flags may be combined; each has its byte index). A byte index of
 * SCSI_FAULT_RANDOM_BYTE is chosen per command from the target's seed in [0, data_len). */
#define SCSI_FAULT_PARITY       0x01u /* DATA IN byte `parity_byte` is sent with DBP inverted */
#define SCSI_FAULT_GONE         0x02u /* never answers selection (absent device) */
#define SCSI_FAULT_HANG         0x04u /* after `hang_after` data bytes, stops raising REQ and
                                         holds the bus until RST */
#define SCSI_FAULT_EARLY_STATUS 0x08u /* after `early_after` data bytes (< data_len), goes to
                                         STATUS with the rest not transferred */
#define SCSI_FAULT_EXTRA_DATA   0x10u /* asks for `extra_bytes` more DATA bytes than the
                                         command said (IN: seeded filler, OUT: discarded) */
#define SCSI_FAULT_ONCE         0x80u /* each data fault disarms after it fired once */
#define SCSI_FAULT_RANDOM_BYTE  UINT32_MAX

typedef struct scsi_target_faults {
  uint32_t flags;
  uint32_t parity_byte;
  uint32_t hang_after;
  uint32_t early_after;
  uint32_t extra_bytes;
} scsi_target_faults_t;

typedef struct scsi_target_config {
  scsi_target_timing_t timing;
  /* With disconnect privilege: disconnect while the LU works when its service_ns exceeds
   * this (before DATA IN / STATUS of reads, after DATA OUT of writes); SCSI_BUS_NEVER = never.
   * Without the privilege (or above never) the engine holds the bus for service_ns. */
  uint64_t disconnect_service_ns;
  /* With disconnect privilege: SAVE DATA POINTER + DISCONNECT after every this many data
   * bytes of one connection when more remain (0 = never). */
  uint32_t disconnect_every;
  uint8_t check_parity;       /* check DBP on bytes the target reads (default 1) */
  uint64_t seed;              /* random fault bytes and extra-data filler */
  scsi_target_faults_t faults;
} scsi_target_config_t;

void scsi_target_config_default(scsi_target_config_t *cfg);

/* Creates the engine for SCSI ID `id` (0-6) and attaches it to the bus (named "target<id>").
 * The bus owns it: scsi_bus_destroy frees it. NULL on error (bad ID, ID taken, bus full, bad
 * timing); err (may be NULL) gets SCSI_BUS_E_*. */
scsi_target_t *scsi_target_create(scsi_bus_t *bus, unsigned id, const scsi_target_config_t *cfg,
                                  int *err);
/* Binds LUN 0-7 to a logical unit. Unbound LUNs answer INQUIRY with peripheral qualifier
 * 011b (0x7F) and everything else with CHECK CONDITION 05/25/00. */
int scsi_target_bind(scsi_target_t *t, unsigned lun, const scsi_lu_ops_t *ops, void *lu);
/* Replaces the fault set (takes effect at the next command or selection). */
int scsi_target_set_faults(scsi_target_t *t, const scsi_target_faults_t *f);

/* The bus handle of the target (for scsi_bus_client_calls / scsi_bus_contribution). */
int scsi_target_bus_handle(const scsi_target_t *t);

/* The wake contract (also used by scsi_bus_step): the engine needs a call only when
 * (bus ^ bus at its last call) & wait_mask != 0, or now_ns >= deadline. */
uint32_t scsi_target_wait_mask(const scsi_target_t *t);
uint64_t scsi_target_deadline(const scsi_target_t *t);
/* Runs the engine (scsi_bus_step does this; direct calls are for harnesses without a bus
 * object). */
void scsi_target_step(scsi_target_t *t, uint64_t now_ns, uint32_t bus);

typedef struct scsi_target_stats {
  uint64_t selections;     /* selections answered */
  uint64_t commands;       /* CDBs received */
  uint64_t completed;      /* COMMAND COMPLETE sent */
  uint64_t disconnects;
  uint64_t reselections;   /* reselections that reached MESSAGE IN IDENTIFY */
  uint64_t resel_timeouts; /* reselections the initiator did not answer */
  uint64_t arb_lost;
  uint64_t data_in_bytes;  /* DATA IN bytes handed over (ACKed), filler included */
  uint64_t data_out_bytes; /* DATA OUT bytes received */
  uint64_t parity_errors;  /* bad parity on bytes the target read */
  uint64_t aborts;         /* ABORT messages taken */
  uint64_t bdrs;           /* BUS DEVICE RESET messages taken */
  uint64_t bus_resets;     /* RST assertions seen */
  uint64_t rejects_rx;     /* MESSAGE REJECT received */
  uint64_t rejects_tx;     /* MESSAGE REJECT sent */
  uint64_t ide_rx;         /* INITIATOR DETECTED ERROR received */
  uint64_t retries;        /* DATA IN restarted with RESTORE POINTERS */
  uint64_t faults_fired;   /* injected faults that took effect */
  uint64_t last_status;    /* status byte of the last STATUS phase */
} scsi_target_stats_t;

void scsi_target_stats(const scsi_target_t *t, scsi_target_stats_t *out);
/* Name of the engine's current state ("free", "data", "hung" ...). */
const char *scsi_target_state_name(const scsi_target_t *t);

#endif
