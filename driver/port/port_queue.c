/* The request machinery shared by SCSI Port and Storport (port_queue.h). Compiled against
 * srb.h; what it uses is what srb.h shares with storport.h (the SRB, its status and flag
 * values) plus PHW_TIMER and PHW_INTERRUPT, which both headers declare with the same type. */
#include "srb.h"

#include "port_queue.h"

#include "hal_dma.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scsi.h"

/* ---- core ------------------------------------------------------------------------------- */

void port_core_init(port_core_t *c, void *port, const port_ops_t *ops, const char *who,
                    sim_t *s) {
  memset(c, 0, sizeof *c);
  c->port = port;
  c->ops = ops;
  c->who = who;
  c->s = s;
  c->timer_id = c->tick_id = -1;
  for (unsigned t = 0; t < PORT_TARGETS; t++)
    for (unsigned l = 0; l < PORT_LUNS; l++) {
      c->lu[t][l].target = (UCHAR)t;
      c->lu[t][l].lun = (UCHAR)l;
    }
}

int port_core_sense_alloc(port_core_t *c, ULONG bytes) {
  c->sense_buf = hostmem_buf_alloc(sim_mem(c->s), bytes, 0, HOSTMEM_PLACE_BELOW_16M);
  if (!c->sense_buf) return -1;
  c->sense_mdl = IoAllocateMdl(c->sense_buf->va, bytes, FALSE, FALSE, NULL);
  if (!c->sense_mdl) return -1;
  MmBuildMdlForNonPagedPool(c->sense_mdl);
  return 0;
}

port_lu_t *port_lu_at(port_core_t *c, UCHAR path, UCHAR target, UCHAR lun) {
  if (path != 0 || target >= PORT_TARGETS || lun >= PORT_LUNS) return NULL;
  return &c->lu[target][lun];
}

/* at least DISPATCH_LEVEL; returns the IRQL to go back to */
static unsigned at_dispatch(sim_t *s) {
  unsigned cur = sim_irql(s);
  return sim_raise_irql(s, cur > SIM_DISPATCH_LEVEL ? cur : SIM_DISPATCH_LEVEL);
}

/* ---- miniport context -------------------------------------------------------------------- */

/* Kept per thread and saved/restored around every call into a miniport, so interleaved
 * simulations in one process each see their own (as a kernel finds the current processor). */
static _Thread_local port_core_t *port_current_;

port_mp_frame_t port_mp_enter(port_core_t *c, unsigned irql) {
  port_mp_frame_t f = {port_current_, 0, 0};
  if (irql) {
    unsigned cur = sim_irql(c->s);
    f.irql = sim_raise_irql(c->s, irql > cur ? irql : cur);
    f.raised = 1;
  }
  port_current_ = c;
  c->in_miniport++;
  return f;
}

void port_mp_leave(port_core_t *c, port_mp_frame_t f) {
  c->in_miniport--;
  port_current_ = f.prev;
  if (f.raised) sim_lower_irql(c->s, f.irql);
}

port_core_t *port_mp_current(const port_ops_t *ops) {
  return (port_current_ && port_current_->ops == ops) ? port_current_ : NULL;
}

void port_stall(port_core_t *c, ULONG us) {
  uint64_t cyc = ((uint64_t)us * sim_clk_hz(c->s) + 999999u) / 1000000u;
  if (cyc) sim_step(c->s, cyc);
}

/* ---- DPC, timer, tick -------------------------------------------------------------------- */

static void core_dpc(sim_t *s, void *ctx) {
  (void)s;
  port_core_t *c = ctx;
  c->dpc_queued = 0;
  c->ops->process(c->port);
  c->ops->start_next(c->port);
}

void port_queue_dpc(port_core_t *c) {
  if (c->dpc_queued) return;
  if (sim_queue_dpc(c->s, core_dpc, c) == 0) c->dpc_queued = 1;
  else sim_error(c->s, "%s: DPC queue full", c->who);
}

static void timer_fired(sim_t *s, void *ctx) {
  (void)s;
  port_core_t *c = ctx;
  c->timer_id = -1;
  PHW_TIMER fn = c->timer_routine;
  if (!fn) return;
  port_mp_frame_t f = port_mp_enter(c, SIM_DIRQL);
  fn(c->devext);
  port_mp_leave(c, f);
  c->ops->process(c->port);
  c->ops->start_next(c->port);
}

void port_note_next(port_core_t *c) {
  c->want_next = 1;
  port_queue_dpc(c);
}

void port_note_reset(port_core_t *c) {
  c->reset_detected = 1;
  port_queue_dpc(c);
}

void port_note_timer(port_core_t *c, PHW_TIMER fn, ULONG us) {
  c->timer_routine = fn;
  c->timer_us = us;
  c->timer_requested = 1;
  port_queue_dpc(c);
}

int port_take_reset(port_core_t *c) {
  if (!c->reset_detected) return 0;
  c->reset_detected = 0;
  return 1;
}

void port_take_next(port_core_t *c) {
  if (c->want_next) {
    c->want_next = 0;
    c->ready = 1;
  }
}

void port_take_timer(port_core_t *c) {
  if (!c->timer_requested) return;
  c->timer_requested = 0;
  if (c->timer_id >= 0) sim_timer_cancel(c->s, c->timer_id);
  c->timer_id = -1;
  if (c->timer_routine && c->timer_us) {
    uint64_t cyc = (uint64_t)c->timer_us * c->tick_cycles / 1000000u;
    c->timer_id = sim_timer_start(c->s, cyc ? cyc : 1, timer_fired, c);
  }
}

int port_any_active(const port_core_t *c) {
  for (unsigned t = 0; t < PORT_TARGETS; t++)
    for (unsigned l = 0; l < PORT_LUNS; l++)
      if (c->lu[t][l].active) return 1;
  return 0;
}

static void tick(sim_t *s, void *ctx);

void port_tick_arm(port_core_t *c) {
  if (c->tick_id < 0) c->tick_id = sim_timer_start(c->s, c->tick_cycles, tick, c);
}

/* One second: each request with the miniport counts its TimeOutValue down; at zero the bus is
 * reset (ops->reset_bus: HwResetBus) and the port completes whatever the miniport did not:
 * TIMEOUT for a request that ran out, BUS_RESET for the others (a timed-out request the
 * miniport completed during the reset reports TIMEOUT too). */
static void tick(sim_t *s, void *ctx) {
  (void)s;
  port_core_t *c = ctx;
  c->tick_id = -1;
  int expired = 0;
  for (unsigned t = 0; t < PORT_TARGETS; t++)
    for (unsigned l = 0; l < PORT_LUNS; l++) {
      port_req_t *r = c->lu[t][l].active;
      if (r && r->state == PORT_RQ_MINIPORT && r->timeout_left && --r->timeout_left == 0) {
        r->timed_out = 1;
        expired = 1;
      }
    }
  if (expired) {
    (*c->n_timeouts)++;
    c->ops->reset_bus(c->port);
    for (unsigned t = 0; t < PORT_TARGETS; t++)
      for (unsigned l = 0; l < PORT_LUNS; l++) {
        port_req_t *r = c->lu[t][l].active;
        if (!r || r->state != PORT_RQ_MINIPORT) continue;
        if (c->ops->tick_completes) c->ops->tick_completes(c->port, r);
        port_complete_now(c, r, r->timed_out ? SRB_STATUS_TIMEOUT : SRB_STATUS_BUS_RESET);
      }
    for (port_req_t *r = c->done_head; r; r = r->next)
      if (r->timed_out) r->srb->SrbStatus = SRB_STATUS_TIMEOUT;
    c->ready = 1;
    c->ops->process(c->port);
    c->ops->start_next(c->port);
  }
  if (port_any_active(c)) port_tick_arm(c);
}

BOOLEAN port_isr(port_core_t *c, PHW_INTERRUPT hw_interrupt, unsigned line) {
  uint64_t lat = sim_cycle(c->s) - sim_irq_assert_cycle(c->s, line);
  port_mp_frame_t f = port_mp_enter(c, 0); /* the ISR already runs at DIRQL */
  BOOLEAN mine = hw_interrupt(c->devext);
  port_mp_leave(c, f);
  if (mine) {
    port_latency_record(&c->lat, lat);
    port_queue_dpc(c);
  }
  return mine;
}

/* ---- queues ------------------------------------------------------------------------------ */

NTSTATUS port_execute(port_core_t *c, const char *who, hal_vf_t *vf, void *caller,
                      PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done, void *ctx,
                      ULONG max_transfer, UCHAR initiator) {
  int data = 0;
  NTSTATUS chk = port_execute_check(who, c->s, vf, caller, Srb, Mdl, max_transfer, &data);
  if (chk != STATUS_SUCCESS) return chk;
  port_lu_t *lu = port_lu_at(c, Srb->PathId, Srb->TargetId, Srb->Lun);
  if (!lu || Srb->TargetId == initiator) return STATUS_DEVICE_DOES_NOT_EXIST;
  port_req_t *r = calloc(1, c->ops->req_size);
  if (!r) return STATUS_INSUFFICIENT_RESOURCES;
  r->port = c->port;
  r->srb = Srb;
  r->mdl = data ? Mdl : NULL;
  r->done = done;
  r->ctx = ctx;
  r->lu = lu;
  r->state = PORT_RQ_QUEUED;
  if (c->srb_ext_size &&
      port_srb_ext_alloc(sim_mem(c->s), c->srb_ext_size, c->need_pa, &r->srb_ext_buf,
                         &r->srb_ext) != 0) {
    free(r);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  r->timeout_left = port_srb_accept(Srb, r->srb_ext, r);
  unsigned old = sim_raise_irql(c->s, SIM_DISPATCH_LEVEL);
  if (lu->tail) lu->tail->next = r;
  else lu->head = r;
  lu->tail = r;
  c->ops->start_next(c->port);
  sim_lower_irql(c->s, old);
  return STATUS_PENDING;
}

port_lu_t *port_pick_lu(port_core_t *c) {
  unsigned n = PORT_TARGETS * PORT_LUNS;
  for (unsigned k = 0; k < n; k++) {
    unsigned i = (c->rr + k) % n;
    port_lu_t *lu = &c->lu[i / PORT_LUNS][i % PORT_LUNS];
    if (lu->head && !lu->active) {
      c->rr = (i + 1) % n;
      return lu;
    }
  }
  return NULL;
}

port_req_t *port_lu_take(port_lu_t *lu) {
  port_req_t *r = lu->head;
  lu->head = r->next;
  if (!lu->head) lu->tail = NULL;
  r->next = NULL;
  lu->active = r;
  return r;
}

void port_req_hide(port_req_t *r, const port_alias_t *a) {
  r->real_va = r->srb->DataBuffer;
  r->srb->DataBuffer = port_alias_at(a, (unsigned)r->lu->target * PORT_LUNS + r->lu->lun,
                                     r->real_va);
}

void port_complete_now(port_core_t *c, port_req_t *r, UCHAR status) {
  r->srb->SrbStatus = status;
  r->lu->active = NULL;
  r->state = PORT_RQ_DONE;
  r->next = NULL;
  if (c->done_tail) c->done_tail->next = r;
  else c->done_head = r;
  c->done_tail = r;
}

port_req_t *port_active_req(port_core_t *c, PSCSI_REQUEST_BLOCK srb) {
  port_req_t *r = srb ? srb->OriginalRequest : NULL;
  port_lu_t *lu = srb ? port_lu_at(c, srb->PathId, srb->TargetId, srb->Lun) : NULL;
  if (!r || !lu || lu->active != r || r->state != PORT_RQ_MINIPORT) return NULL;
  return r;
}

unsigned port_match_active(port_core_t *c, UCHAR path, UCHAR target, UCHAR lun,
                           port_req_t **out, unsigned max) {
  unsigned n = 0;
  for (unsigned t = 0; t < PORT_TARGETS; t++)
    for (unsigned l = 0; l < PORT_LUNS; l++) {
      if ((path != 0xFF && path != 0) || (target != 0xFF && target != t) ||
          (lun != 0xFF && lun != l))
        continue;
      port_req_t *r = c->lu[t][l].active;
      if (r && r->state == PORT_RQ_MINIPORT && n < max) out[n++] = r;
    }
  return n;
}

port_req_t *port_done_take(port_core_t *c) {
  port_req_t *r = c->done_head;
  if (!r) return NULL;
  c->done_head = r->next;
  if (!c->done_head) c->done_tail = NULL;
  r->next = NULL;
  return r;
}

/* ---- completion -------------------------------------------------------------------------- */

static void release(port_core_t *c, port_req_t *r) {
  if (c->ops->release) c->ops->release(c->port, r);
}

static void free_req(port_core_t *c, port_req_t *r) {
  port_srb_ext_free(sim_mem(c->s), r->srb_ext_buf, r->srb_ext);
  free(r);
}

static void to_caller(port_core_t *c, port_req_t *r) {
  PSCSI_REQUEST_BLOCK srb = r->srb;
  release(c, r); /* Storport: bounced device-to-memory data reaches the caller's pages here */
  srb->SrbFlags &= ~SRB_FLAGS_IS_ACTIVE;
  srb->SrbExtension = NULL;
  if (r->real_va) srb->DataBuffer = r->real_va;
  r->state = PORT_RQ_DONE;
  (*c->n_completed)++;
  port_completion_fn done = r->done;
  void *ctx = r->ctx;
  free_req(c, r);
  unsigned old = at_dispatch(c->s);
  done(srb, ctx);
  sim_lower_irql(c->s, old);
}

/* the port's REQUEST SENSE for r, on r's LU ahead of everything queued there; 0, or -1 out
 * of memory (r then goes back without sense) */
static int issue_sense(port_core_t *c, port_req_t *r) {
  PSCSI_REQUEST_BLOCK srb = r->srb;
  port_req_t *q = calloc(1, c->ops->req_size);
  if (!q) return -1;
  if (c->srb_ext_size && !(q->srb_ext = calloc(1, c->srb_ext_size))) {
    free(q);
    return -1;
  }
  /* SCSI Port asks for an even length (a word channel moves whole words; the port's buffer
   * holds it); only the caller's SenseInfoBufferLength is copied back */
  ULONG n = srb->SenseInfoBufferLength;
  if (c->ops->sense_even) n = (n + 1u) & ~1u;
  if (n > PORT_SENSE_MAX) n = PORT_SENSE_MAX;
  PSCSI_REQUEST_BLOCK ss = &q->sense_srb;
  ss->Length = sizeof *ss;
  ss->Function = SRB_FUNCTION_EXECUTE_SCSI;
  ss->PathId = srb->PathId;
  ss->TargetId = srb->TargetId;
  ss->Lun = srb->Lun;
  ss->CdbLength = 6;
  ss->Cdb[0] = SCSIOP_REQUEST_SENSE;
  ss->Cdb[4] = (UCHAR)n;
  ss->SrbFlags = SRB_FLAGS_DATA_IN | SRB_FLAGS_DISABLE_AUTOSENSE | SRB_FLAGS_DISABLE_DISCONNECT;
  ss->DataTransferLength = n;
  ss->DataBuffer = c->sense_buf->va;
  ss->TimeOutValue = 2;
  ss->SrbStatus = SRB_STATUS_PENDING;
  ss->OriginalRequest = q;
  ss->SrbExtension = q->srb_ext;
  q->port = c->port;
  q->srb = ss;
  q->mdl = c->sense_mdl;
  q->lu = r->lu;
  q->state = PORT_RQ_QUEUED;
  q->is_sense = 1;
  q->sense_for = r;
  q->timeout_left = 2;
  q->next = r->lu->head;
  r->lu->head = q;
  if (!r->lu->tail) r->lu->tail = q;
  return 0;
}

void port_finish(port_core_t *c, port_req_t *r) {
  PSCSI_REQUEST_BLOCK srb = r->srb;
  if (r->is_sense) {
    port_req_t *orig = r->sense_for;
    PSCSI_REQUEST_BLOCK o = orig->srb;
    release(c, r); /* Storport: the sense bytes reach the port's buffer */
    UCHAR st = SRB_STATUS(srb->SrbStatus);
    if (st == SRB_STATUS_SUCCESS || st == SRB_STATUS_DATA_OVERRUN) {
      ULONG n = srb->DataTransferLength;
      if (n > o->SenseInfoBufferLength) n = o->SenseInfoBufferLength;
      memcpy(o->SenseInfoBuffer, c->sense_buf->va, n);
      o->SenseInfoBufferLength = (UCHAR)n;
      o->SrbStatus |= SRB_STATUS_AUTOSENSE_VALID;
    } else {
      o->SenseInfoBufferLength = 0;
    }
    free_req(c, r);
    to_caller(c, orig);
    return;
  }
  if (srb->Function == SRB_FUNCTION_EXECUTE_SCSI &&
      SRB_STATUS(srb->SrbStatus) == SRB_STATUS_ERROR &&
      srb->ScsiStatus == SCSISTAT_CHECK_CONDITION &&
      !(srb->SrbStatus & SRB_STATUS_AUTOSENSE_VALID) &&
      !(srb->SrbFlags & SRB_FLAGS_DISABLE_AUTOSENSE) && srb->SenseInfoBuffer &&
      srb->SenseInfoBufferLength) {
    release(c, r); /* Storport: the failed SRB's list goes back before the REQUEST SENSE */
    if (issue_sense(c, r) == 0) return;
  }
  to_caller(c, r);
}

/* teardown: the request (or the one its REQUEST SENSE was for) goes back, ABORTED when
 * abort is set */
static void abort_req(port_core_t *c, port_req_t *r, int abort) {
  if (r->is_sense) {
    port_req_t *o = r->sense_for;
    release(c, r);
    free_req(c, r);
    r = o;
  }
  if (abort) r->srb->SrbStatus = SRB_STATUS_ABORTED;
  to_caller(c, r);
}

void port_core_teardown(port_core_t *c, int abort_done) {
  for (unsigned t = 0; t < PORT_TARGETS; t++)
    for (unsigned l = 0; l < PORT_LUNS; l++) {
      port_lu_t *lu = &c->lu[t][l];
      port_req_t *r = lu->active;
      lu->active = NULL;
      /* a request waiting for its list stays with the HAL's queue */
      if (r && r->state != PORT_RQ_DONE && r->state != PORT_RQ_SG_WAIT) abort_req(c, r, 1);
      while ((r = lu->head)) {
        lu->head = r->next;
        abort_req(c, r, 1);
      }
      lu->tail = NULL;
      free(lu->lu_ext);
      lu->lu_ext = NULL;
    }
  port_req_t *r;
  while ((r = c->done_head)) {
    c->done_head = r->next;
    abort_req(c, r, abort_done);
  }
  c->done_tail = NULL;
  if (c->sense_mdl) IoFreeMdl(c->sense_mdl);
  if (c->sense_buf) hostmem_buf_free(sim_mem(c->s), c->sense_buf);
  c->sense_mdl = NULL;
  c->sense_buf = NULL;
  port_latency_free(&c->lat);
}
