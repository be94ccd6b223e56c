/* hbasim's SCSI Port (docs/scsiport.md): ScsiPortInitialize and the ScsiPort* library over a
 * simulated system -- per-LU request queues, HwScsiStartIo synchronised with the ISR, the ISR
 * at DIRQL, completions and DMA work in a DPC, subordinate DMA through the HAL adapter
 * (ScsiPortIoMapTransfer -> MapTransfer -> HwScsiDmaStarted, ScsiPortFlushDma), SRB timeouts,
 * port-side autosense, register access as real APB transactions, and the verifier's SCSI
 * checks. No globals: everything hangs off the sp_system_t the DRIVER_OBJECT belongs to, and
 * a register pointer finds its port through the header page of its mapping.
 *
 * The request machinery Storport has too -- LU queues, round-robin start, done list, DPC,
 * port autosense, the one-second tick, RequestTimerCall, miniport context, teardown -- is
 * driver/port/port_queue.c; this file keeps what is SCSI Port's own: HwScsiStartIo's start
 * rules, subordinate DMA (ScsiPortIoMapTransfer, ScsiPortFlushDma, the HwScsiDmaStarted
 * window), interrupt enable/disable callbacks, the post-reset hold and the DDK entry points. */
#include "scsiport.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hostmem.h"
#include "port_common.h"
#include "port_queue.h"
#include "prng.h"
#include "scsi.h"

#define SP_MAGIC 0x5350525455ull          /* "SPRTU" */
#define SP_TARGETS PORT_TARGETS
#define SP_LUNS PORT_LUNS
#define SP_MAX_MAPPINGS 8u
#define SP_SENSE_BYTES 255u
#define SP_STREAM 0x5343534950ull          /* prng stream: "SCSIP" */

/* ---- structures ------------------------------------------------------------------------- */

/* a request and an LU are the common ones (port_queue.h): SCSI Port keeps nothing more */
typedef port_req_t sp_req_t;
typedef port_lu_t sp_lu_t;

typedef enum { DMA_IDLE, DMA_PENDING, DMA_WAIT_CHANNEL, DMA_MAPPED_WAIT_START, DMA_STARTED }
    dma_state_t;

struct sp_port {
  sp_system_t *sys;
  unsigned index;
  HW_INITIALIZATION_DATA hw;
  void *devext;
  PORT_CONFIGURATION_INFORMATION cfg;
  ACCESS_RANGE ranges[4];
  const sp_isa_adapter_t *isa;
  int found, initialized;
  /* mappings made by ScsiPortGetDeviceBase */
  port_window_t map[SP_MAX_MAPPINGS];
  unsigned nmaps;
  /* uncached extension */
  hostmem_buf_t *uncached;
  /* MapBuffers FALSE: one inaccessible alias window per LU for the DataBuffer the miniport
   * sees */
  port_alias_t alias;
  /* HAL */
  PDEVICE_OBJECT dev;
  PDMA_ADAPTER adapter;
  ULONG map_regs_max;
  /* LUs, queues, done list, notifications, timers (port_queue.h) */
  port_core_t core;
  int irq_connected;
  int ints_disabled;
  PHW_INTERRUPT enable_cb, disable_cb;
  /* subordinate DMA */
  dma_state_t dma;
  sp_req_t *dma_req;
  PVOID dma_va;
  ULONG dma_len;
  BOOLEAN dma_write;
  PVOID dma_base;               /* MapRegisterBase */
  int dma_flush_requested;
  int late_flush;               /* completed without ScsiPortFlushDma: stop the channel */
  int next_valid;               /* an IoMapTransfer waiting behind a requested flush */
  sp_req_t *next_req;
  PVOID next_va;
  ULONG next_len;
  BOOLEAN next_write;
  int dma_start_timer;
  uint64_t dma_apb_at_map;
  uint64_t reset_hold_until;    /* cycle before which no request is started after a reset */
  sp_port_stats_t st;
};

struct sp_system {
  DRIVER_OBJECT drv;            /* first: a PDRIVER_OBJECT is an sp_system_t * */
  uint64_t magic;
  sim_t *s;
  hal_machine_t *hal;
  hal_vf_t *vf;
  sp_system_config_t cfg;
  prng_t rng;
  sp_port_t *port[SP_MAX_ADAPTERS];
  unsigned nports;
  char *argument_string;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static sp_system_t *sys_of(PVOID drv) {
  sp_system_t *sys = drv;
  if (!sys || sys->drv.Type != IO_TYPE_DRIVER || sys->magic != SP_MAGIC) return NULL;
  return sys;
}

/* the port whose device extension this is (the miniport passes only the extension) */
static sp_port_t *port_of(PVOID ext) {
  sp_port_t *p = port_devext_owner(ext);
  return (p && p->devext == ext) ? p : NULL;
}

#define SP_VF(p, kind, routine, ...) \
  hal_vf_report((p)->sys->vf, (kind), (routine), NULL, 0, __builtin_return_address(0), __VA_ARGS__)

static uint64_t tick_cycles(const sp_system_t *sys) {
  return sys->cfg.tick_cycles ? sys->cfg.tick_cycles : sim_clk_hz(sys->s);
}

static sp_lu_t *lu_of(sp_port_t *p, UCHAR path, UCHAR target, UCHAR lun) {
  return port_lu_at(&p->core, path, target, lun);
}

/* miniport context (port_queue.h): the current port for ScsiPortStallExecution */
typedef port_mp_frame_t mp_ctx_t;
static mp_ctx_t mp_enter(sp_port_t *p) { return port_mp_enter(&p->core, 0); }
static void mp_leave(sp_port_t *p, mp_ctx_t c) { port_mp_leave(&p->core, c); }
/* a miniport routine synchronised with the ISR: at DIRQL */
static mp_ctx_t call_sync_begin(sp_port_t *p) {
  unsigned irql = sim_raise_irql(p->sys->s, SIM_DIRQL);
  mp_ctx_t c = port_mp_enter(&p->core, 0);
  c.irql = irql;
  c.raised = 1;
  return c;
}
static void call_sync_end(sp_port_t *p, mp_ctx_t c) { port_mp_leave(&p->core, c); }

static void isr(sim_t *s, unsigned line, void *ctx);
static void queue_dpc(sp_port_t *p) { port_queue_dpc(&p->core); }

static void process(sp_port_t *p);
static void start_next(sp_port_t *p);
static void ops_process(void *p) { process(p); }
static void ops_start_next(void *p) { start_next(p); }
static void ops_reset_bus(void *port) {
  sp_port_t *p = port;
  mp_ctx_t mc = call_sync_begin(p);
  p->hw.HwResetBus(p->devext, 0);
  call_sync_end(p, mc);
}
/* the tick completes r: its mapping is flushed in the DPC */
static void ops_tick_completes(void *port, port_req_t *r) {
  sp_port_t *p = port;
  if (p->dma_req == r) p->dma_flush_requested = 1;
}
static const port_ops_t sp_ops = {
  .req_size = sizeof(sp_req_t),
  .sense_even = 1,
  .process = ops_process,
  .start_next = ops_start_next,
  .reset_bus = ops_reset_bus,
  .release = NULL,
  .tick_completes = ops_tick_completes,
};

/* ---- system ----------------------------------------------------------------------------- */

void sp_system_config_default(sp_system_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->bus_reset_hold = 0;
}

void sp_system_config_hba(sp_system_config_t *cfg, const sim_t *s) {
  sp_system_config_default(cfg);
  cfg->nadapters = 1;
  cfg->adapter[0].mem_base = 0x10010000u;
  cfg->adapter[0].mem_length = 0x1000u;
  cfg->adapter[0].irq_line = 1;
  cfg->adapter[0].dma_channel = s ? sim_hba_dma_chan(s) : 5u;
}

sp_system_t *sp_system_create(sim_t *s, hal_machine_t *hal, const sp_system_config_t *cfg) {
  if (!s || !hal || !cfg || cfg->nadapters > SP_MAX_ADAPTERS) {
    fprintf(stderr, "sp_system_create: bad arguments\n");
    return NULL;
  }
  for (unsigned i = 0; i < cfg->nadapters; i++)
    if (cfg->adapter[i].mem_length == 0 || cfg->adapter[i].mem_length > PORT_MAX_MAPPED ||
        cfg->adapter[i].irq_line >= 8 || cfg->adapter[i].dma_channel > 7 ||
        cfg->adapter[i].dma_channel == 4) {
      fprintf(stderr, "sp_system_create: adapter %u: bad resources\n", i);
      return NULL;
    }
  sp_system_t *sys = calloc(1, sizeof *sys);
  if (!sys) {
    fprintf(stderr, "sp_system_create: out of memory\n");
    return NULL;
  }
  sys->drv.Type = IO_TYPE_DRIVER;
  sys->drv.Size = (CSHORT)sizeof sys->drv;
  sys->magic = SP_MAGIC;
  sys->s = s;
  sys->hal = hal;
  sys->vf = hal_machine_verifier(hal);
  sys->cfg = *cfg;
  if (cfg->argument_string) {
    sys->argument_string = strdup(cfg->argument_string);
    if (!sys->argument_string) {
      free(sys);
      fprintf(stderr, "sp_system_create: out of memory\n");
      return NULL;
    }
  }
  sys->cfg.argument_string = sys->argument_string;
  prng_seed(&sys->rng, sim_seed(s), SP_STREAM);
  return sys;
}

static void port_free(sp_port_t *p);

void sp_system_destroy(sp_system_t *sys) {
  if (!sys) return;
  for (unsigned i = 0; i < sys->nports; i++) port_free(sys->port[i]);
  free(sys->argument_string);
  free(sys);
}

PDRIVER_OBJECT sp_system_driver_object(sp_system_t *sys) { return sys ? &sys->drv : NULL; }
unsigned sp_system_port_count(const sp_system_t *sys) { return sys ? sys->nports : 0; }
sp_port_t *sp_system_port(sp_system_t *sys, unsigned i) {
  return (sys && i < sys->nports) ? sys->port[i] : NULL;
}
sim_t *sp_system_sim(const sp_system_t *sys) { return sys ? sys->s : NULL; }
hal_vf_t *sp_system_verifier(const sp_system_t *sys) { return sys ? sys->vf : NULL; }

/* ---- ports: creation and teardown -------------------------------------------------------- */

static void port_free(sp_port_t *p) {
  if (!p) return;
  sim_t *s = p->sys->s;
  if (p->irq_connected) sim_irq_disconnect(s, p->isa->irq_line);
  if (p->core.tick_id >= 0) sim_timer_cancel(s, p->core.tick_id);
  if (p->core.timer_id >= 0) sim_timer_cancel(s, p->core.timer_id);
  if (p->dma_start_timer >= 0) sim_timer_cancel(s, p->dma_start_timer);
  /* a transfer still mapped is stopped and flushed (its request is still alive) */
  if (p->adapter && (p->dma == DMA_MAPPED_WAIT_START || p->dma == DMA_STARTED)) {
    unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL > sim_irql(s) ? SIM_DISPATCH_LEVEL
                                                                       : sim_irql(s));
    HalFlushAdapterBuffers(p->adapter, p->dma_req->mdl, p->dma_base, p->dma_va, p->dma_len,
                           p->dma_write);
    HalFreeAdapterChannel(p->adapter);
    sim_lower_irql(s, old);
    p->dma = DMA_IDLE;
  }
  /* outstanding requests end ABORTED; completed ones keep the miniport's status */
  port_core_teardown(&p->core, 0);
  if (p->adapter) HalPutDmaAdapter(p->adapter);
  if (p->dev) hal_device_destroy(p->dev);
  hostmem_t *m = sim_mem(s);
  if (p->uncached) hostmem_buf_free(m, p->uncached);
  for (unsigned i = 0; i < p->nmaps; i++) port_window_unmap(&p->map[i]);
  port_alias_unmap(&p->alias);
  port_devext_free(p->devext);
  free(p);
}

/* ScsiPortInitialize: for each adapter of the system, a device extension, ConfigInfo filled
 * from the adapter's resources, HwScsiFindAdapter, the DMA adapter, the interrupt,
 * HwScsiInitialize. Returns STATUS_SUCCESS when at least one adapter was found. */
ULONG ScsiPortInitialize(PVOID Argument1, PVOID Argument2,
                         struct _HW_INITIALIZATION_DATA *HwInitializationData, PVOID HwContext) {
  (void)Argument2;
  sp_system_t *sys = sys_of(Argument1);
  if (!sys) return (ULONG)STATUS_INVALID_PARAMETER;
  PHW_INITIALIZATION_DATA hw = HwInitializationData;
  if (!hw || hw->HwInitializationDataSize < sizeof(HW_INITIALIZATION_DATA) ||
      !hw->HwInitialize || !hw->HwStartIo || !hw->HwFindAdapter || !hw->HwResetBus) {
    fprintf(stderr, "ScsiPortInitialize: HW_INITIALIZATION_DATA incomplete (size %u)\n",
            hw ? hw->HwInitializationDataSize : 0u);
    return (ULONG)STATUS_REVISION_MISMATCH;
  }
  if (hw->AdapterInterfaceType != Isa) return (ULONG)STATUS_NO_SUCH_DEVICE;
  unsigned found = 0;
  for (unsigned i = 0; i < sys->cfg.nadapters && sys->nports < SP_MAX_ADAPTERS; i++) {
    const sp_isa_adapter_t *isa = &sys->cfg.adapter[i];
    sp_port_t *p = calloc(1, sizeof *p);
    void *ext = p ? port_devext_alloc(p, hw->DeviceExtensionSize) : NULL;
    if (!ext) {
      free(p);
      return (ULONG)STATUS_INSUFFICIENT_RESOURCES;
    }
    p->devext = ext;
    p->sys = sys;
    p->index = sys->nports;
    p->hw = *hw;
    p->isa = isa;
    p->dma_start_timer = -1;
    port_core_init(&p->core, p, &sp_ops, "scsiport", sys->s);
    p->core.devext = p->devext;
    p->core.tick_cycles = tick_cycles(sys);
    p->core.srb_ext_size = hw->SrbExtensionSize;
    p->core.need_pa = hw->NeedPhysicalAddresses;
    p->core.n_completed = &p->st.srbs_completed;
    p->core.n_timeouts = &p->st.timeouts;
    PORT_CONFIGURATION_INFORMATION *c = &p->cfg;
    c->Length = sizeof *c;
    c->SystemIoBusNumber = 0;
    c->AdapterInterfaceType = Isa;
    c->BusInterruptLevel = isa->irq_line;
    c->BusInterruptVector = isa->irq_line;
    c->InterruptMode = LevelSensitive;
    c->MaximumTransferLength = SP_UNINITIALIZED_VALUE;
    c->NumberOfPhysicalBreaks = SP_UNINITIALIZED_VALUE;
    c->DmaChannel = isa->dma_channel;
    c->DmaPort = SP_UNINITIALIZED_VALUE;
    c->DmaWidth = Width8Bits;
    c->DmaSpeed = Compatible;
    c->NumberOfAccessRanges = hw->NumberOfAccessRanges ? hw->NumberOfAccessRanges : 1;
    if (c->NumberOfAccessRanges > 4) c->NumberOfAccessRanges = 4;
    p->ranges[0].RangeStart.QuadPart = isa->mem_base;
    p->ranges[0].RangeLength = isa->mem_length;
    p->ranges[0].RangeInMemory = TRUE;
    c->AccessRanges = (ACCESS_RANGE(*)[])p->ranges;
    c->NumberOfBuses = 1;
    memset(c->InitiatorBusId, 7, sizeof c->InitiatorBusId);
    c->MapBuffers = hw->MapBuffers;
    c->NeedPhysicalAddresses = hw->NeedPhysicalAddresses;
    c->TaggedQueuing = hw->TaggedQueuing;
    c->AutoRequestSense = hw->AutoRequestSense;
    c->MultipleRequestPerLu = hw->MultipleRequestPerLu;
    c->ReceiveEvent = hw->ReceiveEvent;
    c->MaximumNumberOfTargets = SP_TARGETS;
    c->MaximumNumberOfLogicalUnits = SP_LUNS;
    c->DeviceExtensionSize = hw->DeviceExtensionSize;
    c->SpecificLuExtensionSize = hw->SpecificLuExtensionSize;
    c->SrbExtensionSize = hw->SrbExtensionSize;
    sys->port[sys->nports++] = p; /* visible to ScsiPortGetDeviceBase during FindAdapter */
    BOOLEAN again = FALSE;
    mp_ctx_t fc = mp_enter(p); /* at the caller's IRQL (PASSIVE_LEVEL at DriverEntry) */
    /* a private copy per call: the miniport may parse it destructively */
    char *arg = sys->argument_string ? strdup(sys->argument_string) : NULL;
    ULONG r = hw->HwFindAdapter(p->devext, HwContext, NULL, arg, c, &again);
    free(arg);
    mp_leave(p, fc);
    if (r != SP_RETURN_FOUND) {
      sys->nports--;
      sys->port[sys->nports] = NULL;
      port_free(p);
      continue;
    }
    /* the DMA adapter for a system-DMA HBA */
    if (!c->Master && c->DmaChannel != SP_UNINITIALIZED_VALUE) {
      p->dev = hal_device_create(sys->hal, 0);
      DEVICE_DESCRIPTION d;
      memset(&d, 0, sizeof d);
      /* version 2: the HAL honours DemandMode only there (docs/hal.md), and ConfigInfo's
       * DemandMode is the miniport's to choose */
      d.Version = DEVICE_DESCRIPTION_VERSION2;
      d.Master = FALSE;
      d.ScatterGather = FALSE;
      d.DemandMode = c->DemandMode;
      d.Dma32BitAddresses = c->Dma32BitAddresses;
      d.DmaChannel = c->DmaChannel;
      d.InterfaceType = Isa;
      d.DmaWidth = c->DmaWidth;
      d.DmaSpeed = c->DmaSpeed;
      d.MaximumLength = c->MaximumTransferLength == SP_UNINITIALIZED_VALUE
                            ? (c->DmaChannel >= 4 ? 128u * 1024u : 64u * 1024u)
                            : c->MaximumTransferLength;
      d.DmaPort = c->DmaPort;
      p->adapter = p->dev ? HalGetDmaAdapter(p->dev, &d, &p->map_regs_max) : NULL;
      if (!p->adapter) {
        fprintf(stderr, "ScsiPortInitialize: adapter %u: IoGetDmaAdapter failed for channel "
                        "%u, width %d\n", i, (unsigned)c->DmaChannel, (int)c->DmaWidth);
        sys->nports--;
        sys->port[sys->nports] = NULL;
        port_free(p);
        continue;
      }
      /* the largest transfer the map registers allow */
      ULONG lim = (p->map_regs_max - 1u) * PAGE_SIZE;
      if (c->MaximumTransferLength == SP_UNINITIALIZED_VALUE || c->MaximumTransferLength > lim)
        c->MaximumTransferLength = lim;
      if (c->NumberOfPhysicalBreaks == SP_UNINITIALIZED_VALUE ||
          c->NumberOfPhysicalBreaks > p->map_regs_max - 1u)
        c->NumberOfPhysicalBreaks = p->map_regs_max - 1u;
    }
    /* the port's sense buffer for autosense */
    if (port_core_sense_alloc(&p->core, SP_SENSE_BYTES) != 0) {
      fprintf(stderr, "ScsiPortInitialize: out of host memory for the sense buffer\n");
      sys->nports--;
      sys->port[sys->nports] = NULL;
      port_free(p);
      continue;
    }
    if (!c->MapBuffers) {
      ULONG maxlen = c->MaximumTransferLength == SP_UNINITIALIZED_VALUE ? 1u << 20
                                                                       : c->MaximumTransferLength;
      size_t stride = ((size_t)maxlen + 3u * PAGE_SIZE) & ~(size_t)(PAGE_SIZE - 1);
      if (port_alias_map(&p->alias, "SCSI Port", stride, SP_TARGETS, SP_LUNS) != 0) {
        fprintf(stderr, "ScsiPortInitialize: cannot reserve the unmapped DataBuffer window\n");
        sys->nports--;
        sys->port[sys->nports] = NULL;
        port_free(p);
        continue;
      }
    }
    for (unsigned t = 0; t < SP_TARGETS; t++)
      for (unsigned l = 0; l < SP_LUNS; l++)
        if (hw->SpecificLuExtensionSize)
          p->core.lu[t][l].lu_ext = calloc(1, hw->SpecificLuExtensionSize);
    p->found = 1;
    /* interrupt, then HwScsiInitialize synchronised with it */
    if (hw->HwInterrupt) {
      if (sim_irq_connect(sys->s, isa->irq_line, isr, p) == 0) p->irq_connected = 1;
    }
    mp_ctx_t mc = call_sync_begin(p);
    BOOLEAN ok = hw->HwInitialize(p->devext);
    call_sync_end(p, mc);
    if (!ok) {
      fprintf(stderr, "ScsiPortInitialize: adapter %u: HwScsiInitialize returned FALSE\n", i);
      sys->nports--;
      sys->port[sys->nports] = NULL;
      port_free(p);
      continue;
    }
    p->initialized = 1;
    p->core.ready = 1;
    found++;
    (void)again;
  }
  return found ? (ULONG)STATUS_SUCCESS : (ULONG)STATUS_NO_SUCH_DEVICE;
}

/* ---- capabilities and statistics --------------------------------------------------------- */

int sp_port_capabilities(const sp_port_t *p, IO_SCSI_CAPABILITIES *out) {
  if (!p || !out) return -1;
  memset(out, 0, sizeof *out);
  out->Length = sizeof *out;
  out->MaximumTransferLength = p->cfg.MaximumTransferLength;
  out->MaximumPhysicalPages = p->cfg.NumberOfPhysicalBreaks + 1u;
  out->AlignmentMask = p->cfg.AlignmentMask;
  out->TaggedQueuing = p->cfg.TaggedQueuing;
  out->AdapterScansDown = p->cfg.AdapterScansDown;
  out->AdapterUsesPio = FALSE;
  return 0;
}
PVOID sp_port_device_extension(const sp_port_t *p) { return p ? p->devext : NULL; }
sim_t *sp_port_sim(const sp_port_t *p) { return p ? p->sys->s : NULL; }
PDMA_ADAPTER sp_port_dma_adapter(const sp_port_t *p) { return p ? p->adapter : NULL; }
UCHAR sp_port_initiator_id(const sp_port_t *p) { return p ? p->cfg.InitiatorBusId[0] : 0; }
UCHAR sp_port_max_targets(const sp_port_t *p) {
  return p ? (p->cfg.MaximumNumberOfTargets > SP_TARGETS ? SP_TARGETS
                                                         : p->cfg.MaximumNumberOfTargets) : 0;
}
UCHAR sp_port_max_luns(const sp_port_t *p) {
  return p ? (p->cfg.MaximumNumberOfLogicalUnits > SP_LUNS ? SP_LUNS
                                                           : p->cfg.MaximumNumberOfLogicalUnits)
           : 0;
}
static NTSTATUS if_execute(void *p, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done,
                           void *ctx) {
  return sp_execute(p, Srb, Mdl, done, ctx);
}
static int if_caps(const void *p, IO_SCSI_CAPABILITIES *out) { return sp_port_capabilities(p, out); }
static UCHAR if_init_id(const void *p) { return sp_port_initiator_id(p); }
static UCHAR if_max_targets(const void *p) { return sp_port_max_targets(p); }
static UCHAR if_max_luns(const void *p) { return sp_port_max_luns(p); }

void sp_port_if(sp_port_t *p, port_if_t *out) {
  if (!out) return;
  out->port = p;
  out->execute = if_execute;
  out->capabilities = if_caps;
  out->initiator_id = if_init_id;
  out->max_targets = if_max_targets;
  out->max_luns = if_max_luns;
}

void sp_port_stats(const sp_port_t *p, sp_port_stats_t *out) {
  if (!out) return;
  if (!p) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = p->st;
  port_latency_summary(&p->core.lat, &out->isr_latency_min, &out->isr_latency_max,
                       &out->isr_latency_sum, &out->isr_latency_n);
}
size_t sp_port_isr_latencies(const sp_port_t *p, uint64_t *out, size_t max) {
  return p ? port_latency_copy(&p->core.lat, out, max) : 0;
}

/* ---- the upper edge: sp_execute ---------------------------------------------------------- */

NTSTATUS sp_execute(sp_port_t *p, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, sp_completion_fn done,
                    void *ctx) {
  if (!p || !Srb || !done || !p->initialized) return STATUS_INVALID_PARAMETER;
  return port_execute(&p->core, "sp_execute", p->sys->vf, __builtin_return_address(0), Srb, Mdl,
                      done, ctx, p->cfg.MaximumTransferLength, p->cfg.InitiatorBusId[0]);
}

/* ---- starting requests ------------------------------------------------------------------- */

/* At DISPATCH_LEVEL: give HwScsiStartIo the next queued request of an idle LU. */
static void start_next(sp_port_t *p) {
  sim_t *s = p->sys->s;
  port_core_t *c = &p->core;
  while (c->ready && !c->in_miniport && sim_cycle(s) >= p->reset_hold_until) {
    sp_lu_t *lu = port_pick_lu(c);
    if (!lu) return;
    sp_req_t *r = port_lu_take(lu);
    r->state = PORT_RQ_MINIPORT;
    r->srb->SrbFlags |= SRB_FLAGS_IS_ACTIVE;
    if (p->alias.base && r->mdl && !r->real_va)
      port_req_hide(r, &p->alias); /* MapBuffers FALSE: an address the miniport cannot touch */
    c->ready = 0;
    p->st.srbs_started++;
    port_tick_arm(c);
    mp_ctx_t mc = call_sync_begin(p);
    BOOLEAN ok = p->hw.HwStartIo(p->devext, r->srb);
    call_sync_end(p, mc);
    if (!ok && r->state == PORT_RQ_MINIPORT) {
      /* documented: FALSE means the miniport did not take the request; the port completes it */
      port_complete_now(c, r, SRB_STATUS_ERROR);
      c->ready = 1;
    }
    process(p);
  }
}

/* ---- interrupts -------------------------------------------------------------------------- */

static void isr(sim_t *s, unsigned line, void *ctx) {
  (void)s;
  sp_port_t *p = ctx;
  if (p->ints_disabled) return;
  if (port_isr(&p->core, p->hw.HwInterrupt, line)) p->st.interrupts++;
  else p->st.interrupts_not_ours++;
}

/* ---- subordinate DMA --------------------------------------------------------------------- */

static void dma_started(sp_port_t *p) {
  if (p->dma != DMA_MAPPED_WAIT_START) return;
  p->dma = DMA_STARTED;
  p->st.dma_started_calls++;
  if (!p->hw.HwDmaStarted) return;
  mp_ctx_t mc = call_sync_begin(p);
  p->hw.HwDmaStarted(p->devext);
  call_sync_end(p, mc);
}

static void dma_window_fired(sim_t *s, void *ctx) {
  (void)s;
  sp_port_t *p = ctx;
  p->dma_start_timer = -1;
  dma_started(p);
  process(p);
  start_next(p);
}

static IO_ALLOCATION_ACTION adapter_control(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                            PVOID MapRegisterBase, PVOID Context);

/* the mapping, once the channel is granted: MapTransfer programs the 8237, then after the
 * seeded window HwScsiDmaStarted */
static void dma_map_now(sp_port_t *p) {
  sim_t *s = p->sys->s;
  ULONG len = p->dma_len;
  uint64_t apb0 = sim_apb_count(s);
  HalMapTransfer(p->adapter, p->dma_req->mdl, p->dma_base, p->dma_va, &len, p->dma_write);
  p->st.apb_accesses_dma += sim_apb_count(s) - apb0;
  p->dma = DMA_MAPPED_WAIT_START;
  uint32_t max = p->sys->cfg.dma_start_window_max;
  uint64_t w = max ? prng_below(&p->sys->rng, (uint64_t)max + 1u) : 0;
  if (w) {
    p->dma_start_timer = sim_timer_start(s, w, dma_window_fired, p);
    if (p->dma_start_timer < 0) dma_started(p);
  } else {
    dma_started(p);
  }
}

static IO_ALLOCATION_ACTION adapter_control(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                            PVOID MapRegisterBase, PVOID Context) {
  (void)DeviceObject;
  (void)Irp;
  sp_port_t *p = Context;
  p->dma_base = MapRegisterBase;
  if (p->dma == DMA_WAIT_CHANNEL) {
    if (p->dma_flush_requested) {  /* cancelled while waiting: give the channel back */
      p->dma = DMA_IDLE;
      p->dma_req = NULL;
      p->dma_flush_requested = 0;
      p->st.dma_cancelled++;
      return DeallocateObject;
    }
    dma_map_now(p);
  }
  return KeepObject;
}

static void dma_flush(sp_port_t *p) {
  if (p->dma == DMA_PENDING) { /* before HwScsiDmaStarted: cancelled, nothing was mapped */
    p->dma = DMA_IDLE;
    p->dma_req = NULL;
    p->st.dma_cancelled++;
    return;
  }
  if (p->dma == DMA_WAIT_CHANNEL) return; /* adapter_control gives it back */
  if (p->dma == DMA_MAPPED_WAIT_START) {  /* mapped, DmaStarted not called: cancel */
    if (p->dma_start_timer >= 0) sim_timer_cancel(p->sys->s, p->dma_start_timer);
    p->dma_start_timer = -1;
    p->st.dma_cancelled++;
  }
  if (p->dma == DMA_MAPPED_WAIT_START || p->dma == DMA_STARTED) {
    HalFlushAdapterBuffers(p->adapter, p->dma_req->mdl, p->dma_base, p->dma_va, p->dma_len,
                           p->dma_write);
    HalFreeAdapterChannel(p->adapter);
    p->st.flushes++;
  }
  p->dma = DMA_IDLE;
  p->dma_req = NULL;
}

/* At DISPATCH_LEVEL: act on what the miniport notified. Order: the DMA flush first, then the
 * pending map, then completions, then NextRequest and the rest (docs/scsiport.md). */
static void process(sp_port_t *p) {
  sim_t *s = p->sys->s;
  if (p->dma_flush_requested && p->dma != DMA_WAIT_CHANNEL) {
    p->dma_flush_requested = 0;
    dma_flush(p);
  }
  if (p->next_valid && p->dma == DMA_IDLE) {
    p->next_valid = 0;
    p->dma = DMA_PENDING;
    p->dma_req = p->next_req;
    p->dma_va = p->next_va;
    p->dma_len = p->next_len;
    p->dma_write = p->next_write;
  }
  if (p->dma == DMA_PENDING) {
    p->dma = DMA_WAIT_CHANNEL;
    p->dma_apb_at_map = sim_apb_count(s);
    ULONG regs = ADDRESS_AND_SIZE_TO_SPAN_PAGES(p->dma_va, p->dma_len);
    if (regs > p->map_regs_max) regs = p->map_regs_max;
    uint64_t apb0 = sim_apb_count(s);
    NTSTATUS st = HalAllocateAdapterChannel(p->adapter, p->dev, regs, adapter_control, p);
    p->st.apb_accesses_dma += sim_apb_count(s) - apb0;
    if (st != STATUS_SUCCESS) {
      sim_error(s, "scsiport: AllocateAdapterChannel for %u map registers failed (0x%08x)",
                (unsigned)regs, (unsigned)st);
      p->dma = DMA_IDLE;
      p->dma_req = NULL;
    }
  }
  sp_req_t *r;
  while ((r = port_done_take(&p->core))) {
    if (p->late_flush && p->dma_req == r) {
      /* completed without ScsiPortFlushDma: the port stops the channel without the flush
       * (FreeAdapterChannel; the HAL reports the unflushed mapping too) before the caller
       * sees the request, so bounced device-to-memory data never reaches its buffer */
      p->late_flush = 0;
      if (p->dma == DMA_WAIT_CHANNEL) {
        p->dma_flush_requested = 1; /* adapter_control gives the channel back */
      } else {
        if (p->dma == DMA_MAPPED_WAIT_START || p->dma == DMA_STARTED) {
          if (p->dma_start_timer >= 0) sim_timer_cancel(s, p->dma_start_timer);
          p->dma_start_timer = -1;
          HalFreeAdapterChannel(p->adapter);
        }
        p->dma = DMA_IDLE;
        p->dma_req = NULL;
      }
    }
    port_finish(&p->core, r);
  }
  if (port_take_reset(&p->core)) {
    p->st.bus_resets++;
    p->reset_hold_until = sim_cycle(s) + (uint64_t)p->sys->cfg.bus_reset_hold * tick_cycles(p->sys);
  }
  port_take_next(&p->core);
  if (p->disable_cb) {
    PHW_INTERRUPT cb = p->disable_cb;
    p->disable_cb = NULL;
    p->ints_disabled = 1;
    mp_ctx_t dc = mp_enter(p);
    cb(p->devext); /* at DISPATCH_LEVEL with the port's interrupt ignored */
    mp_leave(p, dc);
  }
  if (p->enable_cb) {
    PHW_INTERRUPT cb = p->enable_cb;
    p->enable_cb = NULL;
    p->ints_disabled = 0;
    mp_ctx_t mc = call_sync_begin(p);
    cb(p->devext);
    call_sync_end(p, mc);
  }
  port_take_timer(&p->core);
}

/* ---- ScsiPortNotification and friends ---------------------------------------------------- */

static void request_complete(sp_port_t *p, PSCSI_REQUEST_BLOCK srb, const char *routine) {
  sp_req_t *r = port_active_req(&p->core, srb);
  if (!r) {
    SP_VF(p, HAL_VF_SRB_COMPLETED_TWICE, routine,
          "SRB %p (target %u lun %u) is not an active request", (void *)srb,
          srb ? srb->TargetId : 0u, srb ? srb->Lun : 0u);
    return;
  }
  if (port_srb_status_bad(srb->SrbStatus)) {
    SP_VF(p, HAL_VF_SRB_BAD_STATUS, routine, "SRB %p completed with SrbStatus 0x%02x",
          (void *)srb, srb->SrbStatus);
    srb->SrbStatus = SRB_STATUS_ERROR;
  }
  if (p->dma_req == r && p->dma != DMA_IDLE && !p->dma_flush_requested) {
    SP_VF(p, HAL_VF_SRB_UNFLUSHED, routine,
          "SRB %p completed with its system-DMA mapping not flushed (ScsiPortFlushDma "
          "missing): a device-to-memory transfer's data is still in the map registers",
          (void *)srb);
    /* the caller gets the request as the miniport left it; the port releases the channel
     * after the completion */
    p->late_flush = 1;
  }
  port_complete_now(&p->core, r, srb->SrbStatus);
  queue_dpc(p);
}

VOID ScsiPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension,
                          ...) {
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return;
  va_list ap;
  va_start(ap, HwDeviceExtension);
  switch (NotificationType) {
    case RequestComplete: {
      PSCSI_REQUEST_BLOCK srb = va_arg(ap, PSCSI_REQUEST_BLOCK);
      request_complete(p, srb, "ScsiPortNotification(RequestComplete)");
      break;
    }
    case NextRequest:
      port_note_next(&p->core);
      break;
    case NextLuRequest: {
      UCHAR path = (UCHAR)va_arg(ap, int), target = (UCHAR)va_arg(ap, int),
            lun = (UCHAR)va_arg(ap, int);
      sp_lu_t *lu = lu_of(p, path, target, lun);
      if (lu && lu->active && !p->cfg.TaggedQueuing)
        SP_VF(p, HAL_VF_NEXTLU_WHILE_ACTIVE, "ScsiPortNotification(NextLuRequest)",
              "target %u lun %u still has an untagged request active", target, lun);
      port_note_next(&p->core);
      break;
    }
    case ResetDetected:
      port_note_reset(&p->core);
      break;
    case CallDisableInterrupts:
      p->disable_cb = va_arg(ap, PHW_INTERRUPT);
      queue_dpc(p);
      break;
    case CallEnableInterrupts:
      p->enable_cb = va_arg(ap, PHW_INTERRUPT);
      queue_dpc(p);
      break;
    case RequestTimerCall: {
      PHW_TIMER fn = va_arg(ap, PHW_TIMER);
      ULONG us = va_arg(ap, ULONG);
      port_note_timer(&p->core, fn, us);
      break;
    }
    default:
      SP_VF(p, HAL_VF_SCSIPORT_MISUSE, "ScsiPortNotification", "notification type %d is not "
            "implemented", (int)NotificationType);
      break;
  }
  va_end(ap);
}

VOID ScsiPortCompleteRequest(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                             UCHAR SrbStatus) {
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return;
  sp_req_t *act[SP_TARGETS * SP_LUNS];
  unsigned n = port_match_active(&p->core, PathId, TargetId, Lun, act, SP_TARGETS * SP_LUNS);
  for (unsigned i = 0; i < n; i++) {
    sp_req_t *r = act[i];
    r->srb->SrbStatus = SrbStatus;
    if (p->dma_req == r && p->dma != DMA_IDLE) p->dma_flush_requested = 1;
    request_complete(p, r->srb, "ScsiPortCompleteRequest");
  }
}

VOID ScsiPortLogError(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, UCHAR PathId,
                      UCHAR TargetId, UCHAR Lun, ULONG ErrorCode, ULONG UniqueId) {
  sp_port_t *p = port_of(HwDeviceExtension);
  (void)Srb;
  fprintf(stderr, "scsiport: adapter %u: logged error 0x%x (unique id 0x%x) at %u/%u/%u%s\n",
          p ? p->index : 0u, (unsigned)ErrorCode, (unsigned)UniqueId, PathId, TargetId, Lun,
          p ? "" : " (unknown extension)");
}

/* ---- ScsiPortIoMapTransfer / ScsiPortFlushDma ------------------------------------------- */

VOID ScsiPortIoMapTransfer(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                           PVOID LogicalAddress, ULONG Length) {
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return;
  const char *R = "ScsiPortIoMapTransfer";
  if (!p->adapter) {
    SP_VF(p, HAL_VF_IOMAP_NOT_SYSTEM_DMA, R, "adapter %u has no system DMA channel", p->index);
    return;
  }
  sp_req_t *r = Srb ? Srb->OriginalRequest : NULL;
  if (!r || r->state != PORT_RQ_MINIPORT || !r->mdl) {
    SP_VF(p, HAL_VF_SCSIPORT_MISUSE, R, "SRB %p is not an active data transfer", (void *)Srb);
    return;
  }
  uintptr_t b = (uintptr_t)Srb->DataBuffer, v = (uintptr_t)LogicalAddress;
  if (Length == 0 || v < b || (uint64_t)(v - b) + Length > Srb->DataTransferLength) {
    SP_VF(p, HAL_VF_IOMAP_OUTSIDE_SRB, R,
          "range [%p, +%u) is not within DataBuffer %p, DataTransferLength %u",
          LogicalAddress, (unsigned)Length, Srb->DataBuffer, (unsigned)Srb->DataTransferLength);
    return;
  }
  if ((p->dma != DMA_IDLE && !p->dma_flush_requested) || p->next_valid) {
    SP_VF(p, HAL_VF_SRB_UNFLUSHED, R, "the previous mapping was not flushed "
          "(ScsiPortFlushDma missing)");
    return;
  }
  p->st.io_map_transfers++;
  BOOLEAN wr = (Srb->SrbFlags & SRB_FLAGS_DATA_OUT) != 0;
  if (r->real_va) LogicalAddress = (PUCHAR)r->real_va + (v - b); /* the alias's real bytes */
  if (p->dma != DMA_IDLE) { /* a flush is requested: the DPC flushes, then maps this */
    p->next_valid = 1;
    p->next_req = r;
    p->next_va = LogicalAddress;
    p->next_len = Length;
    p->next_write = wr;
  } else {
    p->dma = DMA_PENDING;
    p->dma_req = r;
    p->dma_va = LogicalAddress;
    p->dma_len = Length;
    p->dma_write = wr;
  }
  queue_dpc(p);
}

VOID ScsiPortFlushDma(PVOID DeviceExtension) {
  sp_port_t *p = port_of(DeviceExtension);
  if (!p) return;
  if (p->next_valid) { /* the map waiting behind a flush: cancelled */
    p->next_valid = 0;
    p->st.dma_cancelled++;
    return;
  }
  if (p->dma == DMA_IDLE) return;
  if (p->dma == DMA_PENDING) { /* before HwScsiDmaStarted: cancel, nothing is mapped yet */
    p->dma = DMA_IDLE;
    p->dma_req = NULL;
    p->st.dma_cancelled++;
    return;
  }
  p->dma_flush_requested = 1;
  queue_dpc(p);
}

/* ---- addresses, extensions, lookups ---------------------------------------------------- */

SCSI_PHYSICAL_ADDRESS ScsiPortConvertUlongToPhysicalAddress(ULONG_PTR UlongAddress) {
  SCSI_PHYSICAL_ADDRESS a;
  a.QuadPart = (LONGLONG)UlongAddress;
  return a;
}

ULONG ScsiPortConvertPhysicalAddressToUlong(SCSI_PHYSICAL_ADDRESS Address) {
  return (ULONG)Address.QuadPart;
}

SCSI_PHYSICAL_ADDRESS ScsiPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                 PVOID VirtualAddress, PULONG Length) {
  SCSI_PHYSICAL_ADDRESS pa;
  pa.QuadPart = 0;
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !Length) return pa;
  uintptr_t v = (uintptr_t)VirtualAddress;
  ULONG n = 0;
  uint64_t a = 0;
  if (!Srb) {
    if (p->uncached) a = port_buf_pa(p->uncached, v, &n);
    if (!a) {
      /* SRB extensions of active requests (NeedPhysicalAddresses) */
      for (unsigned t = 0; t < SP_TARGETS && !a; t++)
        for (unsigned l = 0; l < SP_LUNS && !a; l++) {
          sp_req_t *r = p->core.lu[t][l].active;
          if (r && r->srb_ext_buf) a = port_buf_pa(r->srb_ext_buf, v, &n);
        }
    }
  } else {
    sp_req_t *r = Srb->OriginalRequest;
    uintptr_t b = (uintptr_t)Srb->DataBuffer;
    if (r && r->mdl && v >= b && v < b + Srb->DataTransferLength) {
      if (r->real_va) { /* translate the alias */
        v = (uintptr_t)r->real_va + (v - b);
        b = (uintptr_t)r->real_va;
      }
      PPFN_NUMBER pfn = MmGetMdlPfnArray(r->mdl);
      uintptr_t start = (uintptr_t)MmGetMdlVirtualAddress(r->mdl);
      size_t off = (size_t)(v - start) + MmGetMdlByteOffset(r->mdl);
      size_t pg = off >> PAGE_SHIFT;
      a = ((uint64_t)pfn[pg] << PAGE_SHIFT) | (off & (PAGE_SIZE - 1));
      size_t left = b + Srb->DataTransferLength - v;
      size_t run = PAGE_SIZE - (off & (PAGE_SIZE - 1));
      while (run < left && pfn[pg + 1] == pfn[pg] + 1) {
        run += PAGE_SIZE;
        pg++;
      }
      n = (ULONG)(run < left ? run : left);
    } else if (Srb->SenseInfoBuffer && v >= (uintptr_t)Srb->SenseInfoBuffer &&
               v < (uintptr_t)Srb->SenseInfoBuffer + Srb->SenseInfoBufferLength && r &&
               r->is_sense) {
      a = port_buf_pa(p->core.sense_buf, v, &n);
    }
  }
  if (!a) {
    SP_VF(p, HAL_VF_BAD_PHYS_ADDRESS, "ScsiPortGetPhysicalAddress",
          "%p (SRB %p) is not in the uncached extension, an SRB extension or the SRB's data "
          "buffer", VirtualAddress, (void *)Srb);
    *Length = 0;
    return pa;
  }
  *Length = n;
  pa.QuadPart = (LONGLONG)a;
  return pa;
}

PVOID ScsiPortGetVirtualAddress(PVOID HwDeviceExtension, SCSI_PHYSICAL_ADDRESS PhysicalAddress) {
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !p->uncached) return NULL;
  uint64_t pa = (uint64_t)PhysicalAddress.QuadPart;
  for (size_t off = 0; off < p->uncached->length;) {
    uint64_t a = hostmem_buf_pa(p->uncached, off);
    size_t in_page = HOSTMEM_PAGE_SIZE - ((p->uncached->offset + off) % HOSTMEM_PAGE_SIZE);
    if (pa >= a && pa < a + in_page) return (char *)p->uncached->va + off + (pa - a);
    off += in_page;
  }
  return NULL;
}

PVOID ScsiPortGetUncachedExtension(PVOID HwDeviceExtension,
                                   PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                   ULONG NumberOfBytes) {
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !ConfigInfo || NumberOfBytes == 0) return NULL;
  if (p->uncached) { /* documented: one per adapter, allocated in HwScsiFindAdapter */
    SP_VF(p, HAL_VF_SCSIPORT_MISUSE, "ScsiPortGetUncachedExtension",
          "a second uncached extension for adapter %u", p->index);
    return NULL;
  }
  hostmem_place_t place = ConfigInfo->Dma32BitAddresses ? HOSTMEM_PLACE_CONTIGUOUS
                                                        : HOSTMEM_PLACE_BELOW_16M;
  p->uncached = hostmem_buf_alloc(sim_mem(p->sys->s), NumberOfBytes, 0, place);
  if (!p->uncached) return NULL;
  memset(p->uncached->va, 0, NumberOfBytes);
  return p->uncached->va;
}

PSCSI_REQUEST_BLOCK ScsiPortGetSrb(PVOID DeviceExtension, UCHAR PathId, UCHAR TargetId,
                                   UCHAR Lun, LONG QueueTag) {
  (void)QueueTag;
  sp_port_t *p = port_of(DeviceExtension);
  sp_lu_t *lu = p ? lu_of(p, PathId, TargetId, Lun) : NULL;
  return (lu && lu->active) ? lu->active->srb : NULL;
}

PVOID ScsiPortGetLogicalUnit(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun) {
  sp_port_t *p = port_of(HwDeviceExtension);
  sp_lu_t *lu = p ? lu_of(p, PathId, TargetId, Lun) : NULL;
  return lu ? lu->lu_ext : NULL;
}

/* ---- register mappings ------------------------------------------------------------------ */

/* A mapping is a 64 KiB-aligned window: a read-only header page naming the port and the
 * physical range, then the range itself as PROT_NONE pages (a direct dereference faults, as
 * it must: registers are reached only through ScsiPortRead/Write*). */
PVOID ScsiPortGetDeviceBase(PVOID HwDeviceExtension, INTERFACE_TYPE BusType,
                            ULONG SystemIoBusNumber, SCSI_PHYSICAL_ADDRESS IoAddress,
                            ULONG NumberOfBytes, BOOLEAN InIoSpace) {
  (void)BusType;
  (void)SystemIoBusNumber;
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return NULL;
  return port_window_add(p->map, &p->nmaps, SP_MAX_MAPPINGS, p, (uint64_t)IoAddress.QuadPart,
                         NumberOfBytes, InIoSpace ? 1 : 0);
}

VOID ScsiPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress) {
  (void)HwDeviceExtension;
  (void)MappedAddress; /* the mapping lives until the port goes (documented as a no-op for
                          ISA mappings made during HwScsiFindAdapter) */
}

BOOLEAN ScsiPortValidateRange(PVOID HwDeviceExtension, INTERFACE_TYPE BusType,
                              ULONG SystemIoBusNumber, SCSI_PHYSICAL_ADDRESS IoAddress,
                              ULONG NumberOfBytes, BOOLEAN InIoSpace) {
  (void)BusType;
  (void)SystemIoBusNumber;
  sp_port_t *p = port_of(HwDeviceExtension);
  if (!p || InIoSpace) return FALSE;
  uint64_t a = (uint64_t)IoAddress.QuadPart;
  return (a >= p->isa->mem_base && a + NumberOfBytes <= (uint64_t)p->isa->mem_base +
                                                            p->isa->mem_length)
             ? TRUE
             : FALSE;
}

ULONG ScsiPortGetBusData(PVOID DeviceExtension, ULONG BusDataType, ULONG SystemIoBusNumber,
                         ULONG SlotNumber, PVOID Buffer, ULONG Length) {
  (void)DeviceExtension;
  (void)BusDataType;
  (void)SystemIoBusNumber;
  (void)SlotNumber;
  (void)Buffer;
  (void)Length;
  return 0; /* ISA: no configuration space */
}

ULONG ScsiPortSetBusDataByOffset(PVOID DeviceExtension, ULONG BusDataType,
                                 ULONG SystemIoBusNumber, ULONG SlotNumber, PVOID Buffer,
                                 ULONG Offset, ULONG Length) {
  (void)DeviceExtension;
  (void)BusDataType;
  (void)SystemIoBusNumber;
  (void)SlotNumber;
  (void)Buffer;
  (void)Offset;
  (void)Length;
  return 0;
}

/* A ScsiPort register routine gets only the pointer: its window's header page names the port
 * (port_common.h) */
static uint32_t reg_read(const volatile void *reg, unsigned size, int io) {
  uint64_t a = 0;
  sp_port_t *p = port_window_owner(reg, io, &a);
  if (!p) {
    fprintf(stderr, "scsiport: register read at %p: not a ScsiPortGetDeviceBase address\n",
            (const void *)reg);
    return 0xFFFFFFFFu;
  }
  p->st.apb_accesses++;
  return port_bus_read(p->sys->s, a, size, io, "scsiport");
}

static void reg_write(volatile void *reg, uint32_t v, unsigned size, int io) {
  uint64_t a = 0;
  sp_port_t *p = port_window_owner(reg, io, &a);
  if (!p) {
    fprintf(stderr, "scsiport: register write at %p: not a ScsiPortGetDeviceBase address\n",
            (void *)reg);
    return;
  }
  p->st.apb_accesses++;
  port_bus_write(p->sys->s, a, v, size, io, "scsiport");
}

UCHAR ScsiPortReadPortUchar(PUCHAR Port) { return (UCHAR)reg_read(Port, 1, 1); }
USHORT ScsiPortReadPortUshort(PUSHORT Port) { return (USHORT)reg_read(Port, 2, 1); }
ULONG ScsiPortReadPortUlong(PULONG Port) { return reg_read(Port, 4, 1); }
VOID ScsiPortWritePortUchar(PUCHAR Port, UCHAR Value) { reg_write(Port, Value, 1, 1); }
VOID ScsiPortWritePortUshort(PUSHORT Port, USHORT Value) { reg_write(Port, Value, 2, 1); }
VOID ScsiPortWritePortUlong(PULONG Port, ULONG Value) { reg_write(Port, Value, 4, 1); }
UCHAR ScsiPortReadRegisterUchar(PUCHAR Register) { return (UCHAR)reg_read(Register, 1, 0); }
USHORT ScsiPortReadRegisterUshort(PUSHORT Register) { return (USHORT)reg_read(Register, 2, 0); }
ULONG ScsiPortReadRegisterUlong(PULONG Register) { return reg_read(Register, 4, 0); }
VOID ScsiPortWriteRegisterUchar(PUCHAR Register, UCHAR Value) { reg_write(Register, Value, 1, 0); }
VOID ScsiPortWriteRegisterUshort(PUSHORT Register, USHORT Value) {
  reg_write(Register, Value, 2, 0);
}
VOID ScsiPortWriteRegisterUlong(PULONG Register, ULONG Value) { reg_write(Register, Value, 4, 0); }

#define SP_BUFFER_RW(name, type, size, io, rw)                                                 \
  VOID name(type *p, type *Buffer, ULONG Count) {                                             \
    for (ULONG i = 0; i < Count; i++) {                                                         \
      if (rw) Buffer[i] = (type)reg_read(p, size, io);                                          \
      else reg_write(p, Buffer[i], size, io);                                                   \
    }                                                                                           \
  }
SP_BUFFER_RW(ScsiPortReadPortBufferUchar, UCHAR, 1, 1, 1)
SP_BUFFER_RW(ScsiPortReadPortBufferUshort, USHORT, 2, 1, 1)
SP_BUFFER_RW(ScsiPortReadPortBufferUlong, ULONG, 4, 1, 1)
SP_BUFFER_RW(ScsiPortWritePortBufferUchar, UCHAR, 1, 1, 0)
SP_BUFFER_RW(ScsiPortWritePortBufferUshort, USHORT, 2, 1, 0)
SP_BUFFER_RW(ScsiPortWritePortBufferUlong, ULONG, 4, 1, 0)
SP_BUFFER_RW(ScsiPortReadRegisterBufferUchar, UCHAR, 1, 0, 1)
SP_BUFFER_RW(ScsiPortReadRegisterBufferUshort, USHORT, 2, 0, 1)
SP_BUFFER_RW(ScsiPortReadRegisterBufferUlong, ULONG, 4, 0, 1)
SP_BUFFER_RW(ScsiPortWriteRegisterBufferUchar, UCHAR, 1, 0, 0)
SP_BUFFER_RW(ScsiPortWriteRegisterBufferUshort, USHORT, 2, 0, 0)
SP_BUFFER_RW(ScsiPortWriteRegisterBufferUlong, ULONG, 4, 0, 0)

/* ---- time and memory -------------------------------------------------------------------- */

/* ScsiPortStallExecution has no extension argument: it cannot know which simulation to run.
 * hbasim's rule (docs/scsiport.md): the stall runs the clock of the system whose miniport
 * routine is executing; the port records that system while it calls into a miniport. */
VOID ScsiPortStallExecution(ULONG Delay) {
  port_core_t *c = port_mp_current(&sp_ops);
  if (!c) {
    fprintf(stderr, "scsiport: ScsiPortStallExecution outside a miniport routine: no clock "
                    "to run\n");
    return;
  }
  port_stall(c, Delay);
}

VOID ScsiPortQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  if (!CurrentTime) return;
  port_core_t *c = port_mp_current(&sp_ops);
  CurrentTime->QuadPart = c ? (LONGLONG)(sim_time_ps(c->s) / 100000u) : 0;
}

VOID ScsiPortMoveMemory(PVOID WriteBuffer, PVOID ReadBuffer, ULONG Length) {
  if (WriteBuffer && ReadBuffer && Length) memmove(WriteBuffer, ReadBuffer, Length);
}

VOID ScsiDebugPrint(ULONG DebugPrintLevel, PCCHAR DebugMessage, ...) {
  (void)DebugPrintLevel;
  (void)DebugMessage; /* miniport debug output is dropped (it would flood test logs) */
}
