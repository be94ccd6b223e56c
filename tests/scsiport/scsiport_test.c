/* SCSI Port conformance (docs/scsiport.md, /work/shared/ddk-dma.md): the port driver under a
 * small test miniport that drives the real HBA register by register and can be told to break
 * a documented rule, so that each rule and each verifier check is shown on its own:
 * ScsiPortInitialize and ConfigInfo, subordinate DMA through ScsiPortIoMapTransfer ->
 * MapTransfer -> HwScsiDmaStarted, ScsiPortFlushDma (and cancelling with it), a subrange
 * mapped twice, bounce buffers above 16 MiB, the stale data left by a missing flush, the
 * HwScsiDmaStarted race window, port autosense, SRB timeouts with HwScsiResetBus, timers and
 * stalls, physical addresses, IRQL and completion checks. Every data-moving test checks the
 * bytes on the disk model and in the caller's buffer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk_rig.h"
#include "hal_dma.h"
#include "hba_regs.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "scsiport.h"
#include "sim.h"
#include "srb_req.h"
#include "test.h"

#define TM_ID 2u            /* the disk's SCSI ID */
#define TM_BLOCKS 4096u
#define TM_BOUND 20000000u  /* cycles for one request */

/* ---- the test miniport ------------------------------------------------------------------ */

/* what the test asks the miniport to do wrong (or specially) */
typedef struct tm_knobs {
  int skip_flush;           /* complete data SRBs without ScsiPortFlushDma */
  int map_outside;          /* ScsiPortIoMapTransfer one byte past the SRB's buffer */
  int cancel;               /* ScsiPortIoMapTransfer, then ScsiPortFlushDma at once, then
                               complete ABORTED: HwScsiDmaStarted must never run */
  int split;                /* READ/WRITE(10) done as two HBA commands, two mappings */
  int complete_twice;       /* RequestComplete twice */
  int bad_status;           /* complete with SRB_STATUS_PENDING */
  int find_not_found;       /* HwScsiFindAdapter says SP_RETURN_NOT_FOUND */
  int unmapped;             /* MapBuffers FALSE */
  int touch;                /* HwScsiStartIo reads the first byte of DataBuffer (a bug when
                               MapBuffers is FALSE) */
  int deref_registers;      /* HwScsiStartIo reads STATUS through the register pointer itself
                               (a bug: only ScsiPortReadRegister* reach the device) */
  int int_callbacks;        /* HwScsiStartIo asks for CallDisableInterrupts; that routine for
                               CallEnableInterrupts */
  unsigned disable_cb_irql, enable_cb_irql, disable_cbs, enable_cbs;
  sim_t *sim;               /* for the callbacks' IRQL checks */
  int srb_lookup_ok;        /* HwScsiStartIo found its SRB with ScsiPortGetSrb */
  PVOID seen_data_buffer;   /* DataBuffer of the last data SRB HwScsiStartIo got */
  ULONG timer_us;           /* HwScsiInitialize asks for a timer call after timer_us */
  /* what the miniport saw */
  PORT_CONFIGURATION_INFORMATION seen_cfg;
  ACCESS_RANGE seen_range0;
  PVOID ext;
  unsigned dma_started, interrupts, resets, timer_calls;
  unsigned isr_before_dma_started; /* interrupts taken while a map was pending */
  uint64_t timer_cycle, init_cycle;
  PVOID uncached;
} tm_knobs_t;

typedef struct tm_ext {
  PUCHAR regs;
  tm_knobs_t *k;
  PSCSI_REQUEST_BLOCK srb;  /* the active one */
  int pending_dma;          /* mapped, HwScsiDmaStarted not yet */
  int mapped;               /* mapped, not yet flushed */
  ULONG piece;              /* split: 0 or 1 */
  ULONG piece_bytes[2];
  ULONG done_bytes;
} tm_ext_t;

static ULONG tm_rd(tm_ext_t *e, ULONG off) { return ScsiPortReadRegisterUlong((PULONG)(e->regs + off)); }
static void tm_wr(tm_ext_t *e, ULONG off, ULONG v) {
  ScsiPortWriteRegisterUlong((PULONG)(e->regs + off), v);
}

static ULONG tm_find(PVOID ext, PVOID ctx, PVOID bus, PCHAR arg, PPORT_CONFIGURATION_INFORMATION c,
                     PBOOLEAN again) {
  (void)bus;
  (void)arg;
  tm_ext_t *e = ext;
  e->k = ctx;
  e->k->ext = ext;
  e->k->seen_cfg = *c;
  e->k->seen_range0 = (*c->AccessRanges)[0];
  *again = FALSE;
  if (e->k->find_not_found) return SP_RETURN_NOT_FOUND;
  e->regs = ScsiPortGetDeviceBase(ext, c->AdapterInterfaceType, c->SystemIoBusNumber,
                                  (*c->AccessRanges)[0].RangeStart,
                                  (*c->AccessRanges)[0].RangeLength, FALSE);
  if (!e->regs || tm_rd(e, HBA_ID) != 0x48424131u) return SP_RETURN_NOT_FOUND;
  c->Master = FALSE;
  c->ScatterGather = FALSE;
  c->DmaWidth = c->DmaChannel >= 4 ? Width16Bits : Width8Bits;
  c->DemandMode = TRUE;
  c->MaximumTransferLength = 64u * 1024u;
  e->k->uncached = ScsiPortGetUncachedExtension(ext, c, 1000);
  return SP_RETURN_FOUND;
}

static void tm_timer(PVOID ext);

static BOOLEAN tm_init(PVOID ext) {
  tm_ext_t *e = ext;
  tm_wr(e, HBA_SEL_TIMEOUT, 5000);
  tm_wr(e, HBA_INT_STATUS, 0xFFFFFFFFu);
  tm_wr(e, HBA_INT_ENABLE, 0x1FFFu);
  if (e->k->timer_us) {
    LARGE_INTEGER now;
    ScsiPortQuerySystemTime(&now);
    e->k->init_cycle = (uint64_t)now.QuadPart; /* 100 ns units */
    ScsiPortNotification(RequestTimerCall, ext, tm_timer, e->k->timer_us);
  }
  return TRUE;
}

/* CallEnableInterrupts' routine: at DIRQL, synchronised with the ISR */
static BOOLEAN tm_enable_cb(PVOID ext) {
  tm_ext_t *e = ext;
  e->k->enable_cbs++;
  e->k->enable_cb_irql = sim_irql(e->k->sim);
  return TRUE;
}

/* CallDisableInterrupts' routine: at DISPATCH_LEVEL with the port's interrupt ignored; it
 * asks for the enable callback, which ends the disabled period */
static BOOLEAN tm_disable_cb(PVOID ext) {
  tm_ext_t *e = ext;
  e->k->disable_cbs++;
  e->k->disable_cb_irql = sim_irql(e->k->sim);
  ScsiPortNotification(CallEnableInterrupts, ext, tm_enable_cb);
  return TRUE;
}

static void tm_timer(PVOID ext) {
  tm_ext_t *e = ext;
  LARGE_INTEGER now;
  ScsiPortQuerySystemTime(&now);
  e->k->timer_cycle = (uint64_t)now.QuadPart;
  e->k->timer_calls++;
}

static void tm_complete(tm_ext_t *e, UCHAR status) {
  PSCSI_REQUEST_BLOCK srb = e->srb;
  e->srb = NULL;
  srb->SrbStatus = status;
  ScsiPortNotification(RequestComplete, e, srb);
  if (e->k->complete_twice) ScsiPortNotification(RequestComplete, e, srb);
  ScsiPortNotification(NextRequest, e, NULL);
}

/* program one HBA command for the active SRB: the whole transfer, or piece e->piece */
static void tm_program(tm_ext_t *e, int start_now) {
  PSCSI_REQUEST_BLOCK srb = e->srb;
  UCHAR cdb[16];
  memcpy(cdb, srb->Cdb, 16);
  ULONG len = srb->DataTransferLength;
  if (e->k->split && len) {
    ULONG blocks0 = e->piece_bytes[0] / 512u, lba = (ULONG)cdb[2] << 24 | (ULONG)cdb[3] << 16 |
                                                   (ULONG)cdb[4] << 8 | cdb[5];
    ULONG first = e->piece ? blocks0 : 0, n = e->piece_bytes[e->piece] / 512u;
    lba += first;
    cdb[2] = (UCHAR)(lba >> 24);
    cdb[3] = (UCHAR)(lba >> 16);
    cdb[4] = (UCHAR)(lba >> 8);
    cdb[5] = (UCHAR)lba;
    cdb[7] = (UCHAR)(n >> 8);
    cdb[8] = (UCHAR)n;
    len = e->piece_bytes[e->piece];
  }
  ULONG w[4] = {0, 0, 0, 0};
  for (unsigned i = 0; i < 16; i++) w[i / 4] |= (ULONG)cdb[i] << (8 * (i % 4));
  tm_wr(e, HBA_TARGET, (ULONG)srb->Lun << HBA_TARGET_LUN_SHIFT | srb->TargetId);
  for (unsigned i = 0; i < 4; i++) tm_wr(e, HBA_CDB0 + 4 * i, w[i]);
  ULONG dir = !len ? HBA_CMD_CFG_DIR_NONE
                   : (srb->SrbFlags & SRB_FLAGS_DATA_IN) ? HBA_CMD_CFG_DIR_IN : HBA_CMD_CFG_DIR_OUT;
  tm_wr(e, HBA_CMD_CFG, dir << HBA_CMD_CFG_DIR_SHIFT);
  tm_wr(e, HBA_XFER_LEN, len);
  tm_wr(e, HBA_CTRL, tm_rd(e, HBA_CTRL) & ~HBA_CTRL_MOVER_MASK);
  if (!len) {
    if (start_now) tm_wr(e, HBA_COMMAND, HBA_COMMAND_START_MASK);
    return;
  }
  PUCHAR va = (PUCHAR)srb->DataBuffer + (e->piece ? e->piece_bytes[0] : 0);
  if (e->k->map_outside) {
    ScsiPortIoMapTransfer(e, srb, va + 1, len); /* one byte past the end */
    tm_complete(e, SRB_STATUS_ERROR);
    return;
  }
  e->pending_dma = 1;
  e->mapped = 1;
  ScsiPortIoMapTransfer(e, srb, va, len);
  if (e->k->cancel) {
    ScsiPortFlushDma(e);
    e->pending_dma = 0;
    e->mapped = 0;
    tm_complete(e, SRB_STATUS_ABORTED);
  }
}

static BOOLEAN tm_startio(PVOID ext, PSCSI_REQUEST_BLOCK srb) {
  tm_ext_t *e = ext;
  if (srb->Function != SRB_FUNCTION_EXECUTE_SCSI) {
    e->srb = srb;
    tm_complete(e, SRB_STATUS_INVALID_REQUEST);
    return TRUE;
  }
  e->srb = srb;
  if (srb->DataTransferLength) e->k->seen_data_buffer = srb->DataBuffer;
  if (e->k->deref_registers) {
    volatile ULONG status = *(volatile PULONG)(e->regs + HBA_STATUS);   /* the bug under test */
    (void)status;
  }
  if (e->k->touch && srb->DataTransferLength) {
    volatile UCHAR first = *(volatile PUCHAR)srb->DataBuffer;   /* the bug under test */
    (void)first;
  }
  e->k->srb_lookup_ok = ScsiPortGetSrb(ext, srb->PathId, srb->TargetId, srb->Lun,
                                       SP_UNTAGGED) == srb;
  if (e->k->int_callbacks) ScsiPortNotification(CallDisableInterrupts, ext, tm_disable_cb);
  e->piece = 0;
  e->done_bytes = 0;
  if (e->k->split && srb->DataTransferLength >= 1024u) {
    ULONG blocks = srb->DataTransferLength / 512u;
    e->piece_bytes[0] = (blocks / 2u) * 512u;
    e->piece_bytes[1] = srb->DataTransferLength - e->piece_bytes[0];
  }
  tm_program(e, 1);
  return TRUE;
}

static void tm_dma_started(PVOID ext) {
  tm_ext_t *e = ext;
  e->k->dma_started++;
  if (!e->pending_dma) return;
  e->pending_dma = 0;
  tm_wr(e, HBA_COMMAND, HBA_COMMAND_START_MASK);
}

static BOOLEAN tm_interrupt(PVOID ext) {
  tm_ext_t *e = ext;
  ULONG c = tm_rd(e, HBA_INT_STATUS);
  if (!c) return FALSE;
  tm_wr(e, HBA_INT_STATUS, c);
  e->k->interrupts++;
  if (e->pending_dma) e->k->isr_before_dma_started++;
  if (c & HBA_INT_STATUS_BUS_RESET_MASK) {
    ScsiPortNotification(ResetDetected, ext);
    if (e->srb) {
      if (e->mapped) ScsiPortFlushDma(ext);
      e->mapped = e->pending_dma = 0;
      tm_complete(e, SRB_STATUS_BUS_RESET);
    }
    return TRUE;
  }
  PSCSI_REQUEST_BLOCK srb = e->srb;
  if (!srb) return TRUE;
  ULONG st = tm_rd(e, HBA_SCSI_STATUS);
  ULONG moved = tm_rd(e, HBA_XFERRED);
  if (e->mapped && !e->k->skip_flush) {
    ScsiPortFlushDma(ext);
    e->mapped = 0;
  }
  e->done_bytes += moved;
  if ((c & HBA_INT_STATUS_CMD_DONE_MASK) && e->k->split && e->piece == 0 &&
      e->piece_bytes[0] && (st & 0xFFu) == SCSISTAT_GOOD) {
    e->piece = 1; /* the rest: a second mapping of the same SRB */
    tm_program(e, 1);
    return TRUE;
  }
  srb->DataTransferLength = e->done_bytes;
  if (c & HBA_INT_STATUS_SEL_TIMEOUT_MASK) {
    tm_complete(e, SRB_STATUS_SELECTION_TIMEOUT);
  } else if (c & HBA_INT_STATUS_CMD_DONE_MASK) {
    srb->ScsiStatus = (UCHAR)(st & 0xFFu);
    UCHAR ss = srb->ScsiStatus == SCSISTAT_GOOD ? SRB_STATUS_SUCCESS : SRB_STATUS_ERROR;
    if (e->k->bad_status) ss = SRB_STATUS_PENDING;
    tm_complete(e, ss);
  } else {
    tm_complete(e, SRB_STATUS_ERROR);
  }
  return TRUE;
}

static BOOLEAN tm_reset_bus(PVOID ext, ULONG path) {
  tm_ext_t *e = ext;
  e->k->resets++;
  tm_wr(e, HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK);
  for (unsigned i = 0; i < 1000 && !(tm_rd(e, HBA_INT_STATUS) & HBA_INT_STATUS_BUS_RESET_MASK);
       i++)
    ScsiPortStallExecution(10);
  tm_wr(e, HBA_INT_STATUS, 0xFFFFFFFFu);
  if (e->mapped) ScsiPortFlushDma(ext);
  e->mapped = e->pending_dma = 0;
  e->srb = NULL;
  ScsiPortCompleteRequest(ext, (UCHAR)path, 0xFF, 0xFF, SRB_STATUS_BUS_RESET);
  ScsiPortNotification(ResetDetected, ext);
  ScsiPortNotification(NextRequest, ext, NULL);
  return TRUE;
}

static ULONG tm_driver_entry(PVOID drv, tm_knobs_t *k, ULONG size) {
  HW_INITIALIZATION_DATA hw;
  memset(&hw, 0, sizeof hw);
  hw.HwInitializationDataSize = size;
  hw.AdapterInterfaceType = Isa;
  hw.HwInitialize = tm_init;
  hw.HwStartIo = tm_startio;
  hw.HwInterrupt = tm_interrupt;
  hw.HwFindAdapter = tm_find;
  hw.HwResetBus = tm_reset_bus;
  hw.HwDmaStarted = tm_dma_started;
  hw.DeviceExtensionSize = sizeof(tm_ext_t);
  hw.SrbExtensionSize = 32;
  hw.NumberOfAccessRanges = 1;
  hw.MapBuffers = k->unmapped ? FALSE : TRUE;
  hw.AutoRequestSense = FALSE;
  return ScsiPortInitialize(drv, NULL, &hw, k);
}

/* ---- the rig ---------------------------------------------------------------------------- */

typedef struct rig {
  sim_t *s;
  hal_machine_t *hal;
  sp_system_t *sys;
  sp_port_t *port;
  port_if_t pif;          /* the port's upper edge: raw SRBs (srb_req.h) */
  scsi_disk_t *disk;
  scsi_target_t *tgt;
  tm_knobs_t k;
  prng_t g;
} rig_t;

static void rig_base(test_ctx_t *t, rig_t *r) {
  memset(r, 0, sizeof *r);
  r->s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(r->s, 4));
  prng_seed(&r->g, test_seed(t), 0x535054ull);
  disk_rig_spec_t sp = disk_rig_spec(t, TM_ID, TM_BLOCKS);
  sp.disk_seed = test_seed(t);
  sp.target_seed = test_seed(t) ^ 0x7467u;
  disk_rig_add(t, sim_scsi_bus(r->s), TM_ID, &sp, &r->disk, &r->tgt);
  r->hal = hal_machine_create(r->s, NULL);
  REQUIRE(t, r->hal != NULL, "hal_machine_create");
}

static void rig_start(test_ctx_t *t, rig_t *r, const sp_system_config_t *sc_or_null) {
  sp_system_config_t sc;
  if (sc_or_null) sc = *sc_or_null;
  else sp_system_config_hba(&sc, r->s);
  r->sys = sp_system_create(r->s, r->hal, &sc);
  REQUIRE(t, r->sys != NULL, "sp_system_create");
  REQUIRE_EQ(t, tm_driver_entry(sp_system_driver_object(r->sys), &r->k,
                                sizeof(HW_INITIALIZATION_DATA)), (ULONG)STATUS_SUCCESS);
  REQUIRE_EQ(t, sp_system_port_count(r->sys), 1);
  r->port = sp_system_port(r->sys, 0);
  sp_port_if(r->port, &r->pif);
}

static void rig_init(test_ctx_t *t, rig_t *r) {
  rig_base(t, r);
  rig_start(t, r, NULL);
}

static void rig_done(test_ctx_t *t, rig_t *r) {
  sp_system_destroy(r->sys);
  hal_machine_destroy(r->hal);
  test_sim_destroy(t, r->s);
  scsi_disk_destroy(r->disk);
}

/* WRITE `blocks` at lba from seeded data, then READ them back into a buffer placed by
 * `place`; both checked against the disk model */
static void write_read(test_ctx_t *t, rig_t *r, uint32_t lba, uint32_t blocks,
                       hostmem_place_t place) {
  uint32_t len = blocks * 512u;
  uint8_t *src = malloc(len), *back = malloc(len);
  REQUIRE(t, src && back, "malloc");
  prng_fill(&r->g, src, len);
  srb_req_t q;
  size_t off = prng_below(&r->g, 512) * 2u; /* even: the word channel needs it */
  srb_req_prepare(t, r->s, &q, TM_ID, SCSIOP_WRITE, lba, blocks, place, off);
  memcpy(q.buf->va, src, len);
  srb_req_run(t, &r->pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, len);
  REQUIRE_EQ(t, scsi_disk_peek(r->disk, 0, lba, blocks, back), 0);
  CHECK(t, memcmp(back, src, len) == 0, "WRITE landed on the disk");
  srb_req_free(&q);
  srb_req_prepare(t, r->s, &q, TM_ID, SCSIOP_READ, lba, blocks, place, off);
  memset(q.buf->va, 0xEE, len);
  srb_req_run(t, &r->pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, memcmp(q.buf->va, src, len) == 0, "READ brought the data to the caller's buffer "
        "(%s)", hostmem_place_name(place));
  srb_req_free(&q);
  free(src);
  free(back);
}

/* the port's counters since `base` (autosense requests of srb_req_clear_ua are not counted) */
static sp_port_stats_t stats_since(rig_t *r, const sp_port_stats_t *base) {
  sp_port_stats_t st;
  sp_port_stats(r->port, &st);
  st.srbs_started -= base->srbs_started;
  st.srbs_completed -= base->srbs_completed;
  st.io_map_transfers -= base->io_map_transfers;
  st.flushes -= base->flushes;
  st.dma_started_calls -= base->dma_started_calls;
  st.dma_cancelled -= base->dma_cancelled;
  st.interrupts -= base->interrupts;
  st.timeouts -= base->timeouts;
  st.bus_resets -= base->bus_resets;
  st.apb_accesses_dma -= base->apb_accesses_dma;
  return st;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* ConfigInfo as HwScsiFindAdapter sees it, the limits after IoGetDmaAdapter, capabilities */
static void init_config(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  PORT_CONFIGURATION_INFORMATION *c = &r.k.seen_cfg;
  CHECK_EQ(t, c->Length, sizeof *c);
  CHECK_EQ(t, c->AdapterInterfaceType, Isa);
  CHECK_EQ(t, c->BusInterruptLevel, 1);
  CHECK_EQ(t, c->DmaChannel, 5);
  CHECK_EQ(t, c->DmaPort, SP_UNINITIALIZED_VALUE);
  CHECK_EQ(t, c->MaximumTransferLength, SP_UNINITIALIZED_VALUE);
  CHECK_EQ(t, c->NumberOfPhysicalBreaks, SP_UNINITIALIZED_VALUE);
  CHECK_EQ(t, c->InitiatorBusId[0], 7);
  CHECK_EQ(t, c->NumberOfBuses, 1);
  CHECK_EQ(t, c->Master, FALSE);
  CHECK_EQ(t, c->MapBuffers, TRUE);
  CHECK_EQ(t, r.k.seen_range0.RangeStart.QuadPart, (LONGLONG)HBA_BASE);
  CHECK_EQ(t, r.k.seen_range0.RangeLength, 0x1000);
  CHECK_EQ(t, r.k.seen_range0.RangeInMemory, TRUE);
  IO_SCSI_CAPABILITIES cap;
  REQUIRE_EQ(t, sp_port_capabilities(r.port, &cap), 0);
  /* the miniport asked for 64 KiB; 17 map registers (64 KiB + 1 page) allow 64 KiB */
  CHECK_EQ(t, cap.MaximumTransferLength, 64u * 1024u);
  CHECK(t, cap.MaximumPhysicalPages >= 16, "MaximumPhysicalPages %u", cap.MaximumPhysicalPages);
  CHECK_EQ(t, sp_port_initiator_id(r.port), 7);
  /* HwScsiInitialize ran: the HBA's interrupts are enabled */
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(r.s, HBA_BASE + HBA_INT_ENABLE, 4, &v));
  CHECK_EQ(t, v, 0x1FFFu);
  rig_done(t, &r);
}

/* a bad HW_INITIALIZATION_DATA size and a miniport that finds nothing */
static void init_failures(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  sp_system_config_t sc;
  sp_system_config_hba(&sc, r.s);
  r.sys = sp_system_create(r.s, r.hal, &sc);
  REQUIRE(t, r.sys != NULL, "sp_system_create");
  CHECK_EQ(t, tm_driver_entry(sp_system_driver_object(r.sys), &r.k, 8),
           (ULONG)STATUS_REVISION_MISMATCH);
  r.k.find_not_found = 1;
  CHECK_EQ(t, tm_driver_entry(sp_system_driver_object(r.sys), &r.k,
                              sizeof(HW_INITIALIZATION_DATA)), (ULONG)STATUS_NO_SUCH_DEVICE);
  CHECK_EQ(t, sp_system_port_count(r.sys), 0);
  CHECK_EQ(t, ScsiPortInitialize(NULL, NULL, NULL, NULL), (ULONG)STATUS_INVALID_PARAMETER);
  rig_done(t, &r);
}

/* subordinate DMA end to end: WRITE/READ through ScsiPortIoMapTransfer -> 8237 ->
 * HwScsiDmaStarted, below 16 MiB (direct) and scattered/above 16 MiB (bounced) */
static void dma_read_write(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  unsigned ds0 = r.k.dma_started;
  write_read(t, &r, 10, 8, HOSTMEM_PLACE_BELOW_16M);
  write_read(t, &r, 100, 1, HOSTMEM_PLACE_CONTIGUOUS);
  write_read(t, &r, 200, 9, HOSTMEM_PLACE_SCATTERED);
  write_read(t, &r, 300, 5, HOSTMEM_PLACE_ABOVE_16M);
  sp_port_stats_t st = stats_since(&r, &b0);
  CHECK_EQ(t, st.io_map_transfers, 8);
  CHECK_EQ(t, st.dma_started_calls, 8);
  CHECK_EQ(t, st.flushes, 8);
  CHECK_EQ(t, r.k.dma_started - ds0, 8);
  CHECK_EQ(t, st.dma_cancelled, 0);
  /* the PC HAL sequence per transfer: flip-flop, mode, address x2, page, count x2, unmask,
   * plus the mask first */
  CHECK(t, st.apb_accesses_dma >= 8 * 8, "APB accesses programming the 8237: %llu",
        (unsigned long long)st.apb_accesses_dma);
  CHECK(t, st.isr_latency_n >= 8 && st.isr_latency_max < 100, "ISR latency n %llu max %llu",
        (unsigned long long)st.isr_latency_n, (unsigned long long)st.isr_latency_max);
  CHECK_EQ(t, st.srbs_started, st.srbs_completed);
  rig_done(t, &r);
}

/* a subrange mapped, flushed, and the rest mapped again for the same SRB */
static void split_mapping(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.split = 1;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  unsigned ds0 = r.k.dma_started;
  write_read(t, &r, 40, 9, HOSTMEM_PLACE_SCATTERED);
  sp_port_stats_t st = stats_since(&r, &b0);
  CHECK_EQ(t, st.io_map_transfers, 4);
  CHECK_EQ(t, st.flushes, 4);
  CHECK_EQ(t, r.k.dma_started - ds0, 4);
  rig_done(t, &r);
}

/* ScsiPortFlushDma before HwScsiDmaStarted cancels: HwScsiDmaStarted is never called and the
 * 8237 is never programmed; the next request works */
static void flush_cancels(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  unsigned ds0 = r.k.dma_started;
  r.k.cancel = 1;
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 0, 4, HOSTMEM_PLACE_BELOW_16M, 0);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_ABORTED);
  srb_req_free(&q);
  sp_port_stats_t st = stats_since(&r, &b0);
  CHECK_EQ(t, st.dma_cancelled, 1);
  CHECK_EQ(t, st.dma_started_calls, 0);
  CHECK_EQ(t, r.k.dma_started - ds0, 0);
  CHECK_EQ(t, st.apb_accesses_dma, 0);
  r.k.cancel = 0;
  write_read(t, &r, 7, 3, HOSTMEM_PLACE_SCATTERED);
  rig_done(t, &r);
}

/* RequestComplete without ScsiPortFlushDma: reported (SRB_UNFLUSHED), and a READ through
 * bounce buffers leaves the caller's buffer stale at completion; the port then flushes so the
 * next request works */
static void unflushed_is_stale(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  uint8_t *img = malloc(4 * 512u);
  REQUIRE(t, img != NULL, "malloc");
  prng_fill(&r.g, img, 4 * 512u);
  REQUIRE_EQ(t, scsi_disk_poke(r.disk, 0, 50, 4, img), 0);
  r.k.skip_flush = 1;
  hal_vf_expect(sp_system_verifier(r.sys), HAL_VF_SRB_UNFLUSHED, 1);
  /* the port then stops the channel without a flush: the HAL reports that mapping too */
  hal_vf_expect(sp_system_verifier(r.sys), HAL_VF_MAP_UNFLUSHED, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 50, 4, HOSTMEM_PLACE_ABOVE_16M, 0);
  memset(q.buf->va, 0x5A, 4 * 512u);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, hal_vf_count(sp_system_verifier(r.sys), HAL_VF_SRB_UNFLUSHED), 1);
  CHECK_EQ(t, hal_vf_expected_left(sp_system_verifier(r.sys), HAL_VF_SRB_UNFLUSHED), 0);
  CHECK_EQ(t, hal_vf_count(sp_system_verifier(r.sys), HAL_VF_MAP_UNFLUSHED), 1);
  size_t stale = 0;
  for (size_t i = 0; i < 4 * 512u; i++) stale += ((uint8_t *)q.buf->va)[i] == 0x5A;
  /* the buffer is above 16 MiB: the data went to the map registers and was never copied */
  CHECK(t, stale == 4 * 512u, "%zu of 2048 bytes still stale at completion", stale);
  srb_req_free(&q);
  r.k.skip_flush = 0;
  write_read(t, &r, 60, 2, HOSTMEM_PLACE_ABOVE_16M);
  free(img);
  rig_done(t, &r);
}

/* ScsiPortIoMapTransfer outside the SRB's buffer: reported, ignored */
static void iomap_outside(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  r.k.map_outside = 1;
  hal_vf_expect(sp_system_verifier(r.sys), HAL_VF_IOMAP_OUTSIDE_SRB, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 0, 1, HOSTMEM_PLACE_BELOW_16M, 0);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_ERROR);
  CHECK_EQ(t, hal_vf_count(sp_system_verifier(r.sys), HAL_VF_IOMAP_OUTSIDE_SRB), 1);
  sp_port_stats_t st = stats_since(&r, &b0);
  CHECK_EQ(t, st.io_map_transfers, 0);
  CHECK_EQ(t, st.apb_accesses_dma, 0);
  srb_req_free(&q);
  rig_done(t, &r);
}

/* completing twice and completing with SRB_STATUS_PENDING are reported */
static void completion_checks(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  hal_vf_t *vf = sp_system_verifier(r.sys);
  r.k.complete_twice = 1;
  hal_vf_expect(vf, HAL_VF_SRB_COMPLETED_TWICE, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, hal_vf_count(vf, HAL_VF_SRB_COMPLETED_TWICE), 1);
  r.k.complete_twice = 0;
  r.k.bad_status = 1;
  hal_vf_expect(vf, HAL_VF_SRB_BAD_STATUS, 1);
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_ERROR);
  CHECK_EQ(t, hal_vf_count(vf, HAL_VF_SRB_BAD_STATUS), 1);
  rig_done(t, &r);
}

/* port autosense: CHECK CONDITION without sense from the miniport -> the port's REQUEST
 * SENSE fills SenseInfoBuffer (05/21/00 for a READ past the end); DISABLE_AUTOSENSE: none */
static void autosense(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, TM_BLOCKS - 1, 2, HOSTMEM_PLACE_BELOW_16M, 0);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK_EQ(t, q.srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID, SRB_STATUS_AUTOSENSE_VALID);
  CHECK_EQ(t, q.srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
  CHECK(t, q.srb.SenseInfoBufferLength >= 18, "sense length %u", q.srb.SenseInfoBufferLength);
  CHECK_EQ(t, q.sense[0] & 0x7Fu, 0x70);
  CHECK_EQ(t, q.sense[2] & 0x0Fu, SCSI_SENSE_ILLEGAL_REQUEST);
  CHECK_EQ(t, q.sense[12], 0x21);
  CHECK_EQ(t, q.sense[13], 0x00);
  srb_req_free(&q);
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, TM_BLOCKS - 1, 2, HOSTMEM_PLACE_BELOW_16M, 0);
  q.srb.SrbFlags |= SRB_FLAGS_DISABLE_AUTOSENSE;
  memset(q.sense, 0xAB, sizeof q.sense);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_ERROR);
  CHECK_EQ(t, q.sense[0], 0xAB);
  srb_req_free(&q);
  /* the unit is fine afterwards */
  write_read(t, &r, 0, 1, HOSTMEM_PLACE_BELOW_16M);
  rig_done(t, &r);
}

/* a target that hangs mid-transfer: the SRB's TimeOutValue runs out, the port calls
 * HwScsiResetBus and completes the SRB with SRB_STATUS_TIMEOUT; the next request works */
static void srb_timeout(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  sp_system_config_t sc;
  sp_system_config_hba(&sc, r.s);
  sc.tick_cycles = 20000;
  rig_start(t, &r, &sc);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  disk_rig_faults(t, r.tgt, SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 700);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 0, 4, HOSTMEM_PLACE_BELOW_16M, 0);
  q.srb.TimeOutValue = 3;
  uint64_t t0 = sim_cycle(r.s);
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  uint64_t took = sim_cycle(r.s) - t0;
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_TIMEOUT);
  CHECK(t, took >= 2 * 20000u && took <= 5 * 20000u, "timed out after %llu cycles",
        (unsigned long long)took);
  CHECK_EQ(t, r.k.resets, 1);
  sp_port_stats_t st = stats_since(&r, &b0);
  CHECK_EQ(t, st.timeouts, 1);
  CHECK_EQ(t, st.bus_resets, 1);
  srb_req_free(&q);
  /* the bus reset left a unit attention: the next command reports it, then data moves */
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  write_read(t, &r, 5, 4, HOSTMEM_PLACE_BELOW_16M);
  rig_done(t, &r);
}

/* the HwScsiDmaStarted window: the HBA interrupts (a bus reset from another initiator) after
 * the 8237 was programmed and before HwScsiDmaStarted; the miniport's ISR flushes (which
 * cancels) and completes the SRB, and HwScsiDmaStarted is never called for it */
typedef struct race { rig_t *r; int fired; } race_t;
static void race_reset(sim_t *s, void *ctx) {
  race_t *x = ctx;
  x->fired = 1;
  sim_apb_write(s, HBA_BASE + HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK, 4);
}
static void dma_started_race(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  sp_system_config_t sc;
  sp_system_config_hba(&sc, r.s);
  sc.dma_start_window_max = 200000; /* long enough for a bus reset to land in it */
  rig_start(t, &r, &sc);
  sp_port_stats_t b0;
  sp_port_stats(r.port, &b0);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 0, 2, HOSTMEM_PLACE_BELOW_16M, 0);
  race_t x = {&r, 0};
  /* the map happens in the DPC right after sp_execute; the reset lands 50 cycles later */
  REQUIRE_EQ(t, sp_execute(r.port, &q.srb, q.mdl, srb_req_done, &q), STATUS_PENDING);
  REQUIRE(t, sim_timer_start(r.s, 50, race_reset, &x) >= 0, "timer");
  REQUIRE_OK(t, sim_wait_until(r.s, srb_req_is_done, &q, TM_BOUND));
  CHECK(t, x.fired, "the reset fired");
  sp_port_stats_t st = stats_since(&r, &b0);
  if (st.dma_started_calls == 0) {
    CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_BUS_RESET);
    CHECK_EQ(t, r.k.isr_before_dma_started, 1);
    CHECK_EQ(t, r.k.dma_started, 0);
    CHECK_EQ(t, st.dma_cancelled, 1);
    CHECK(t, st.apb_accesses_dma > 0, "the 8237 was programmed before the interrupt");
  } else {
    /* the seeded window was shorter than 50 cycles: the command started first */
    test_log(t, "window shorter than the reset delay this seed: the command started first");
    CHECK(t, SRB_STATUS(q.srb.SrbStatus) == SRB_STATUS_BUS_RESET, "status 0x%02x",
          q.srb.SrbStatus);
  }
  srb_req_free(&q);
  /* the channel is free again: data moves */
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  write_read(t, &r, 9, 2, HOSTMEM_PLACE_SCATTERED);
  rig_done(t, &r);
}

/* RequestTimerCall runs the routine after the requested simulated time;
 * ScsiPortStallExecution runs the clock */
static void timer_and_stall(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.timer_us = 100; /* 100 us = 5000 cycles at 50 MHz (tick_cycles = clock) */
  rig_start(t, &r, NULL);
  uint64_t c0 = sim_cycle(r.s);
  REQUIRE_OK(t, sim_step(r.s, 6000));
  CHECK_EQ(t, r.k.timer_calls, 1);
  uint64_t dt = r.k.timer_cycle - r.k.init_cycle; /* 100 ns units */
  CHECK(t, dt >= 1000 && dt <= 1010, "timer after %llu x 100 ns", (unsigned long long)dt);
  (void)c0;
  rig_done(t, &r);
}

/* ScsiPortGetPhysicalAddress: the uncached extension translates (and is below 16 MiB); an
 * address the port does not know is reported */
static void physical_addresses(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  REQUIRE(t, r.k.uncached != NULL, "uncached extension");
  ULONG len = 0;
  SCSI_PHYSICAL_ADDRESS pa = ScsiPortGetPhysicalAddress(r.k.ext, NULL,
                                                        (PUCHAR)r.k.uncached + 10, &len);
  CHECK(t, pa.QuadPart != 0 && pa.QuadPart < (LONGLONG)(16u << 20), "PA 0x%llx",
        (unsigned long long)pa.QuadPart);
  CHECK(t, len >= 1 && len <= 990, "length %u", len);
  /* the bytes at that PA are the extension's */
  ((PUCHAR)r.k.uncached)[10] = 0x77;
  uint8_t b = 0;
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), (uint64_t)pa.QuadPart, &b, 1), 0);
  CHECK_EQ(t, b, 0x77);
  CHECK(t, ScsiPortGetVirtualAddress(r.k.ext, pa) == (PUCHAR)r.k.uncached + 10, "round trip");
  hal_vf_expect(sp_system_verifier(r.sys), HAL_VF_BAD_PHYS_ADDRESS, 1);
  int local = 0;
  pa = ScsiPortGetPhysicalAddress(r.k.ext, NULL, &local, &len);
  CHECK_EQ(t, pa.QuadPart, 0);
  CHECK_EQ(t, len, 0);
  CHECK_EQ(t, hal_vf_count(sp_system_verifier(r.sys), HAL_VF_BAD_PHYS_ADDRESS), 1);
  rig_done(t, &r);
}

/* sp_execute above DISPATCH_LEVEL is refused and reported; malformed SRBs are refused */
static void execute_checks(test_ctx_t *t) {
  rig_t r;
  rig_init(t, &r);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  hal_vf_expect(sp_system_verifier(r.sys), HAL_VF_WRONG_IRQL, 1);
  unsigned old = sim_raise_irql(r.s, SIM_DIRQL);
  CHECK_EQ(t, sp_execute(r.port, &q.srb, NULL, srb_req_done, &q), STATUS_INVALID_PARAMETER);
  sim_lower_irql(r.s, old);
  q.srb.CdbLength = 0;
  CHECK_EQ(t, sp_execute(r.port, &q.srb, NULL, srb_req_done, &q), STATUS_INVALID_PARAMETER);
  q.srb.CdbLength = 6;
  q.srb.TargetId = 7; /* the initiator */
  CHECK_EQ(t, sp_execute(r.port, &q.srb, NULL, srb_req_done, &q), STATUS_DEVICE_DOES_NOT_EXIST);
  q.srb.TargetId = TM_ID;
  q.srb.SrbFlags = SRB_FLAGS_DATA_IN; /* data without a buffer */
  q.srb.DataTransferLength = 512;
  CHECK_EQ(t, sp_execute(r.port, &q.srb, NULL, srb_req_done, &q), STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, q.done, 0);
  rig_done(t, &r);
}

/* two systems in one process, stepped interleaved: each moves its own data */
static void two_systems(test_ctx_t *t) {
  rig_t a, b;
  rig_init(t, &a);
  rig_init(t, &b);
  srb_req_clear_ua(t, a.s, &a.pif, TM_ID, TM_BOUND, 0);
  srb_req_clear_ua(t, b.s, &b.pif, TM_ID, TM_BOUND, 0);
  write_read(t, &a, 1, 3, HOSTMEM_PLACE_SCATTERED);
  write_read(t, &b, 2, 5, HOSTMEM_PLACE_ABOVE_16M);
  write_read(t, &a, 3, 2, HOSTMEM_PLACE_BELOW_16M);
  rig_done(t, &b);
  rig_done(t, &a);
}

/* MapBuffers FALSE: the miniport's DataBuffer is an address it cannot touch (a no-access
 * page with the buffer's page offset); ScsiPortIoMapTransfer still maps the caller's bytes,
 * and the caller gets its own DataBuffer back at completion */
static void unmapped_data_buffer(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.unmapped = 1;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  write_read(t, &r, 77, 5, HOSTMEM_PLACE_SCATTERED);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 77, 1, HOSTMEM_PLACE_BELOW_16M, 6);
  PVOID mine = q.srb.DataBuffer;
  srb_req_run(t, &r.pif, &q, TM_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, q.srb.DataBuffer == mine, "the caller's DataBuffer is restored at completion");
  CHECK(t, r.k.seen_data_buffer != mine, "the miniport saw another address");
  CHECK_EQ(t, BYTE_OFFSET(r.k.seen_data_buffer), BYTE_OFFSET(mine));
  char perms[8];
  srb_va_perms(r.k.seen_data_buffer, perms);
  CHECK(t, !strcmp(perms, "---p"), "the miniport's DataBuffer page is %s, not ---p", perms);
  srb_req_free(&q);
  rig_done(t, &r);
}

/* CallDisableInterrupts / CallEnableInterrupts: the routines run (disable at DISPATCH, then
 * enable), the request still completes with its data; ScsiPortGetSrb finds the active SRB */
static void interrupt_callbacks(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.int_callbacks = 1;
  r.k.sim = r.s;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  write_read(t, &r, 30, 3, HOSTMEM_PLACE_SCATTERED);
  CHECK(t, r.k.disable_cbs >= 2, "disable callbacks %u", r.k.disable_cbs);
  CHECK_EQ(t, r.k.enable_cbs, r.k.disable_cbs);
  CHECK_EQ(t, r.k.disable_cb_irql, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, r.k.enable_cb_irql, SIM_DIRQL);
  CHECK_EQ(t, r.k.srb_lookup_ok, 1);
  rig_done(t, &r);
}

/* the knobs of the fault tests below, set in the child process */
static void arm_touch(void *ctx) { ((rig_t *)ctx)->k.touch = 1; }
static void arm_deref(void *ctx) { ((rig_t *)ctx)->k.deref_registers = 1; }

/* a miniport that touches an unmapped DataBuffer (MapBuffers FALSE) in its HwScsiStartIo: the
 * access faults and the port's handler reports it -- MAPBUFFERS_TOUCH, the port, the LU, read,
 * and the call site (pc, module + offset) -- before the process ends (as Windows would
 * bugcheck); run in a child process */
static void unmapped_touch_faults(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.unmapped = 1;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_READ, 7, 2, HOSTMEM_PLACE_BELOW_16M, 0);
  char want[96];
  snprintf(want, sizeof want, "MAPBUFFERS_TOUCH: SCSI Port miniport read of the unmapped "
           "DataBuffer of target %u LUN 0", (unsigned)TM_ID);
  const char *wants[] = {want, "window byte 0, inside the alias"};
  srb_req_fault_t f = {&r.pif, &q, TM_BOUND, arm_touch, &r};
  srb_req_expect_fault(t, &f, wants, 2);
  srb_req_free(&q);
  rig_done(t, &r);
}

/* a miniport that reads a register through its device base pointer instead of
 * ScsiPortReadRegisterUlong: the window faults and the port's handler names the register
 * (offset and physical address) and the call site; in a child process */
static void register_dereference_reported(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TM_ID, TM_BOUND, 0);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TM_ID, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_BELOW_16M, 0);
  char want[128];
  snprintf(want, sizeof want, "REGISTER_DEREFERENCE: miniport read of its memory base + 0x%x "
           "(physical 0x%x)", (unsigned)HBA_STATUS, (unsigned)(HBA_BASE + HBA_STATUS));
  const char *wants[] = {want};
  srb_req_fault_t f = {&r.pif, &q, TM_BOUND, arm_deref, &r};
  srb_req_expect_fault(t, &f, wants, 1);
  srb_req_free(&q);
  rig_done(t, &r);
}

static const test_def_t scsiport_tests[] = {
  {"register_dereference_reported", register_dereference_reported, 0, 0,
   "a miniport reading a register by pointer faults, reported with register and call site "
   "(child process)"},
  {"interrupt_callbacks", interrupt_callbacks, TEST_F_RANDOM, 0,
   "CallDisableInterrupts at DISPATCH then CallEnableInterrupts; ScsiPortGetSrb; data right"},
  {"unmapped_touch_faults", unmapped_touch_faults, 0, 0,
   "MapBuffers FALSE: HwScsiStartIo touching DataBuffer faults, reported with LU and call "
   "site (in a child process)"},
  {"unmapped_data_buffer", unmapped_data_buffer, TEST_F_RANDOM, 0,
   "MapBuffers FALSE: the miniport's DataBuffer is a no-access alias; data still moves"},
  {"init_config", init_config, 0, 0,
   "ScsiPortInitialize: ConfigInfo from the adapter's resources, limits, HwScsiInitialize"},
  {"init_failures", init_failures, 0, 0,
   "ScsiPortInitialize: REVISION_MISMATCH, NO_SUCH_DEVICE, bad DRIVER_OBJECT"},
  {"dma_read_write", dma_read_write, TEST_F_RANDOM, 0,
   "IoMapTransfer -> 8237 -> HwScsiDmaStarted, FlushDma: data direct and bounced"},
  {"split_mapping", split_mapping, TEST_F_RANDOM, 0,
   "a subrange mapped, flushed, then the rest mapped for the same SRB"},
  {"flush_cancels", flush_cancels, TEST_F_RANDOM, 0,
   "ScsiPortFlushDma before HwScsiDmaStarted cancels: no DmaStarted, no 8237 programming"},
  {"unflushed_is_stale", unflushed_is_stale, TEST_F_RANDOM, 0,
   "RequestComplete without FlushDma: SRB_UNFLUSHED, bounced READ data stale at completion"},
  {"iomap_outside", iomap_outside, 0, 0,
   "ScsiPortIoMapTransfer outside DataBuffer: IOMAP_OUTSIDE_SRB, ignored"},
  {"completion_checks", completion_checks, 0, 0,
   "completed twice (0xF1/0x1003) and SRB_STATUS_PENDING at completion (0x1004) reported"},
  {"autosense", autosense, TEST_F_RANDOM, 0,
   "port autosense: REQUEST SENSE into SenseInfoBuffer, AUTOSENSE_VALID; DISABLE_AUTOSENSE"},
  {"srb_timeout", srb_timeout, TEST_F_RANDOM, 0,
   "hung target: TimeOutValue ticks, HwScsiResetBus, SRB_STATUS_TIMEOUT, recovery"},
  {"dma_started_race", dma_started_race, TEST_F_RANDOM, 0,
   "interrupt between the 8237 programming and HwScsiDmaStarted: cancel, no DmaStarted"},
  {"timer_and_stall", timer_and_stall, 0, 0,
   "RequestTimerCall fires after the requested simulated microseconds"},
  {"physical_addresses", physical_addresses, 0, 0,
   "ScsiPortGetPhysicalAddress of the uncached extension; unknown address reported"},
  {"execute_checks", execute_checks, 0, 0,
   "sp_execute: WRONG_IRQL above DISPATCH, malformed SRBs refused, nothing completed"},
  {"two_systems", two_systems, TEST_F_RANDOM, 0,
   "two SCSI Port systems in one process, interleaved, each with its data"},
};
TEST_SUITE(scsiport);
