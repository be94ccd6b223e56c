/* The request machinery SCSI Port (driver/scsiport) and Storport (driver/storport) share: the
 * per-LU FIFO queues with one active (untagged) request per LU, the round-robin choice of the
 * next LU, the done list the DPC drains (with port-side autosense: a CHECK CONDITION without
 * sense data is followed by the port's own REQUEST SENSE ahead of the LU's queue), completion
 * to the caller at DISPATCH_LEVEL, the one-second tick that counts TimeOutValue down and resets
 * the bus, the miniport timer (RequestTimerCall), the ISR wrapper and its latency log, the
 * miniport-context enter/leave (the per-thread "current port" for StallExecution) and the
 * teardown that completes what is left with SRB_STATUS_ABORTED.
 *
 * A port embeds a port_core_t, makes port_req_t the first member of its own request type (SCSI
 * Port uses it as is; Storport adds the scatter/gather list) and gives a port_ops_t for what
 * differs: how the next request is started (SCSI Port: HwScsiStartIo and subordinate DMA;
 * Storport: the list, HwStorBuildIo, HwStorStartIo), what a request holds besides the common
 * fields (Storport's list, put before the caller sees the data), the bus reset call and the DPC
 * body. Include after the port's own DDK header (scsiport.h or storport.h), like
 * port_common.h. */
#ifndef HBASIM_PORT_QUEUE_H
#define HBASIM_PORT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "port_common.h"
#include "port_if.h"

#define PORT_TARGETS 8u
#define PORT_LUNS 8u
#define PORT_SENSE_MAX 254u   /* the largest REQUEST SENSE allocation length a port asks for */

/* QUEUED -> (Storport: SG_WAIT -> READY) -> MINIPORT -> DONE */
typedef enum {
  PORT_RQ_QUEUED,
  PORT_RQ_SG_WAIT,      /* waiting for its scatter/gather list (Storport) */
  PORT_RQ_READY,        /* list built, not yet given to the miniport (Storport) */
  PORT_RQ_MINIPORT,     /* with the miniport (HwStartIo called, not yet completed) */
  PORT_RQ_DONE          /* completed: on the done list or back with the caller */
} port_rq_state_t;

typedef struct port_req port_req_t;
typedef struct port_lu port_lu_t;
typedef struct port_core port_core_t;

struct port_req {
  void *port;                   /* the owning port (its port_core_t's port) */
  PSCSI_REQUEST_BLOCK srb;
  PMDL mdl;                     /* NULL without a data transfer */
  port_completion_fn done;
  void *ctx;
  port_req_t *next;             /* LU queue / done list */
  port_lu_t *lu;
  port_rq_state_t state;
  int timed_out;
  ULONG timeout_left;           /* ticks */
  void *srb_ext;
  hostmem_buf_t *srb_ext_buf;   /* NeedPhysicalAddresses: the SRB extension in host memory */
  PVOID real_va;                /* the caller's DataBuffer while the miniport sees an alias */
  /* port-side autosense: the REQUEST SENSE the port issues for a request */
  int is_sense;                 /* this request is the port's REQUEST SENSE ... */
  port_req_t *sense_for;        /* ... for that request */
  SCSI_REQUEST_BLOCK sense_srb;
};

struct port_lu {
  UCHAR target, lun;
  port_req_t *head, *tail;      /* queued, not started */
  port_req_t *active;           /* untagged: at most one */
  void *lu_ext;
};

typedef struct port_ops {
  size_t req_size;              /* the port's request type (port_req_t first) */
  int sense_even;               /* REQUEST SENSE allocation length rounded up to even */
  void (*process)(void *port);  /* act on the miniport's notifications (at DISPATCH_LEVEL) */
  void (*start_next)(void *port);
  void (*reset_bus)(void *port);                  /* HwResetBus at DIRQL (the tick) */
  /* optional: what the port holds for r besides the common fields, given back before r
   * leaves the port or its autosense is issued (Storport: the scatter/gather list) */
  void (*release)(void *port, port_req_t *r);
  /* optional: the tick is about to complete r (SCSI Port: its DMA mapping is flushed) */
  void (*tick_completes)(void *port, port_req_t *r);
} port_ops_t;

struct port_core {
  void *port;                   /* the sp_port_t / stp_port_t */
  const port_ops_t *ops;
  const char *who;              /* "scsiport" / "storport" in messages */
  sim_t *s;
  PVOID devext;
  uint64_t tick_cycles;         /* one port tick (a second) */
  ULONG srb_ext_size;
  int need_pa;                  /* SRB extensions in host memory (NeedPhysicalAddresses) */
  hostmem_buf_t *sense_buf;     /* the port's sense buffer (below 16 MiB) and its MDL */
  PMDL sense_mdl;
  uint64_t *n_completed, *n_timeouts;   /* the port's statistics */
  port_lu_t lu[PORT_TARGETS][PORT_LUNS];
  unsigned rr;                  /* round robin start */
  int ready;                    /* NextRequest seen: HwStartIo may get another SRB */
  int in_miniport;              /* a Hw* routine is running */
  port_req_t *done_head, *done_tail;
  int want_next, reset_detected, dpc_queued;
  PHW_TIMER timer_routine;
  ULONG timer_us;
  int timer_requested, timer_id, tick_id;
  port_latency_t lat;           /* ISR latencies */
};

/* Zeroes c and sets what every port needs; the port fills in devext, tick_cycles,
 * srb_ext_size, need_pa and the statistics pointers, and allocates the sense buffer. */
void port_core_init(port_core_t *c, void *port, const port_ops_t *ops, const char *who,
                    sim_t *s);
/* The sense buffer for port autosense: bytes in host memory below 16 MiB and its MDL.
 * 0, or -1 out of host memory. */
int  port_core_sense_alloc(port_core_t *c, ULONG bytes);
/* Completes everything still queued, active (not waiting for a list) or on the done list with
 * SRB_STATUS_ABORTED (a request on the done list keeps its status when abort_done is 0),
 * frees the LU extensions, the sense buffer and the latency log. Timers are the port's to
 * cancel first. */
void port_core_teardown(port_core_t *c, int abort_done);

port_lu_t *port_lu_at(port_core_t *c, UCHAR path, UCHAR target, UCHAR lun);

/* Miniport context: the port whose miniport routine runs on this thread (StallExecution has
 * no extension argument) and in_miniport. irql 0: at the caller's IRQL; else raised to at
 * least irql for the call. */
typedef struct port_mp_frame { port_core_t *prev; unsigned irql; int raised; } port_mp_frame_t;
port_mp_frame_t port_mp_enter(port_core_t *c, unsigned irql);
void port_mp_leave(port_core_t *c, port_mp_frame_t f);
/* the core whose miniport routine runs on this thread if it is a port of kind ops, else NULL */
port_core_t *port_mp_current(const port_ops_t *ops);
/* StallExecution: runs the simulation's clock for us microseconds (rounded up to a cycle) */
void port_stall(port_core_t *c, ULONG us);

void port_queue_dpc(port_core_t *c);

/* The upper edge after the port's own checks: port_execute_check, the LU (not the
 * initiator's ID), a request of ops->req_size with its SRB extension, queued at
 * DISPATCH_LEVEL, then ops->start_next. STATUS_PENDING or the error. */
NTSTATUS port_execute(port_core_t *c, const char *who, hal_vf_t *vf, void *caller,
                      PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done, void *ctx,
                      ULONG max_transfer, UCHAR initiator);

/* The next LU (round robin) with a queued request and none active; NULL when none. */
port_lu_t *port_pick_lu(port_core_t *c);
/* Takes lu's first queued request and makes it the LU's active one. */
port_req_t *port_lu_take(port_lu_t *lu);
/* The miniport sees an inaccessible alias of r's DataBuffer (same page offset). */
void port_req_hide(port_req_t *r, const port_alias_t *a);
int  port_any_active(const port_core_t *c);

/* r (active) is done with status: off its LU, onto the done list */
void port_complete_now(port_core_t *c, port_req_t *r, UCHAR status);
/* the request srb names if it is with the miniport, else NULL */
port_req_t *port_active_req(port_core_t *c, PSCSI_REQUEST_BLOCK srb);
/* a status a miniport may not complete with */
static inline int port_srb_status_bad(UCHAR SrbStatus) {
  UCHAR st = SRB_STATUS(SrbStatus);
  return st == SRB_STATUS_PENDING || (st > SRB_STATUS_LINK_DOWN && st != SRB_STATUS_INTERNAL_ERROR);
}
/* the requests with the miniport on the LUs path/target/lun names (0xFF: all), in LU order;
 * returns how many (at most max) */
unsigned port_match_active(port_core_t *c, UCHAR path, UCHAR target, UCHAR lun,
                           port_req_t **out, unsigned max);
/* first request on the done list, NULL when empty */
port_req_t *port_done_take(port_core_t *c);
/* a request off the done list: the port's REQUEST SENSE, or back to the caller */
void port_finish(port_core_t *c, port_req_t *r);

/* notifications, acted on in the DPC (port_take_* from ops->process) */
void port_note_next(port_core_t *c);
void port_note_reset(port_core_t *c);
void port_note_timer(port_core_t *c, PHW_TIMER fn, ULONG us);
int  port_take_reset(port_core_t *c);   /* 1 once after ResetDetected */
void port_take_next(port_core_t *c);    /* NextRequest: ready again */
void port_take_timer(port_core_t *c);   /* (re)starts or stops the miniport timer */

/* the one-second tick, armed when a request starts */
void port_tick_arm(port_core_t *c);

/* The ISR: the latency since the line rose, HwInterrupt in miniport context (already at
 * DIRQL); when it claims the interrupt the latency is recorded and the DPC queued. Returns
 * what HwInterrupt returned. */
BOOLEAN port_isr(port_core_t *c, PHW_INTERRUPT hw_interrupt, unsigned line);

#endif
