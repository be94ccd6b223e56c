/* hbasim's Storport (docs/storport.md): StorPortInitialize and the StorPort* library over a
 * simulated system -- per-LU request queues, the SRB's scatter/gather list built by the HAL
 * (GetScatterGatherList) before HwStorBuildIo, HwStorStartIo synchronised with the ISR, the
 * ISR at DIRQL, completions in a DPC (where the list is put), StorPortBuildScatterGatherList
 * with its ExecutionRoutine deferred, SRB timeouts, port-side autosense, register access as
 * real APB transactions and the verifier's Storport checks. No globals: everything hangs off
 * the stp_system_t the DRIVER_OBJECT belongs to; a register pointer finds its port through the
 * header page of its mapping.
 *
 * The request machinery SCSI Port has too -- LU queues, round-robin choice of the LU, done
 * list, DPC, port autosense, the one-second tick, RequestTimerCall, miniport context,
 * teardown -- is driver/port/port_queue.c; this file keeps what is Storport's own: the
 * scatter/gather list built before HwStorBuildIo (one request at a time waits for map
 * registers), HwStorBuildIo, the MapBuffers modes, StorPortBuildScatterGatherList, miniport
 * DPCs, StorPortPause/Resume and the DDK entry points. */
#include "storport.h"

#include "stor_port.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hostmem.h"
#include "port_common.h"
#include "port_queue.h"
#include "scsi.h"

#define STP_MAGIC 0x53544f5250ull          /* "STORP" */
#define STP_TARGETS PORT_TARGETS
#define STP_LUNS PORT_LUNS
#define STP_MAX_MAPPINGS 8u
#define STP_SENSE_BYTES 254u
#define STP_BUILDS 32u                     /* StorPortBuildScatterGatherList lists live at once */
#define STP_PUT_HISTORY 64u                /* lists put, remembered for the double-put check */

/* ---- structures ------------------------------------------------------------------------- */

/* a request: the common one (port_queue.h) and the scatter/gather list the port builds */
typedef struct stp_req {
  port_req_t q;                 /* first: a port_req_t * is an stp_req_t * */
  BOOLEAN write;                /* memory to device */
  PSCATTER_GATHER_LIST sg;      /* the port's list for the SRB, until completion */
} stp_req_t;
typedef port_lu_t stp_lu_t;

static stp_req_t *sreq(port_req_t *r) { return (stp_req_t *)(void *)r; }

/* a StorPortBuildScatterGatherList request */
typedef enum { BL_FREE, BL_WAIT, BL_BUILT, BL_DELIVERED } bl_state_t;
typedef struct stp_build {
  stp_port_t *port;
  bl_state_t state;
  PVOID buffer;
  ULONG buffer_len;
  PSCATTER_GATHER_LIST sg;
  PPOST_SCATTER_GATHER_EXECUTE routine;
  PVOID context;
  BOOLEAN write;
  int timer;
} stp_build_t;

struct stp_port {
  stp_system_t *sys;
  unsigned index;
  HW_INITIALIZATION_DATA hw;
  void *devext;
  PORT_CONFIGURATION_INFORMATION cfg;
  ACCESS_RANGE ranges[4];
  const stp_adapter_res_t *res;
  int initialized;
  port_window_t map[STP_MAX_MAPPINGS];
  unsigned nmaps;
  /* the uncached extension: a common buffer */
  PVOID unc_va;
  PHYSICAL_ADDRESS unc_pa;
  ULONG unc_len;
  /* no-access DataBuffer aliases, one window per LU */
  port_alias_t alias;
  /* HAL */
  PDEVICE_OBJECT dev;
  PDMA_ADAPTER adapter;
  ULONG map_regs_max;
  int in_get_sg;                /* inside HalGetScatterGatherList */
  port_core_t core;             /* LUs, queues, done list, notifications, timers */
  int irq_connected;
  uint64_t hold_until;          /* StorPortPause */
  int pause_timer;
  stp_build_t builds[STP_BUILDS];
  PVOID put_hist[STP_PUT_HISTORY];
  unsigned put_next;
  stp_port_stats_t st;
};

struct stp_system {
  DRIVER_OBJECT drv;            /* first: a PDRIVER_OBJECT is an stp_system_t * */
  uint64_t magic;
  sim_t *s;
  hal_machine_t *hal;
  hal_vf_t *vf;
  stp_system_config_t cfg;
  stp_port_t *port[STP_MAX_ADAPTERS];
  unsigned nports;
  char *argument_string;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static stp_system_t *sys_of(PVOID drv) {
  stp_system_t *sys = drv;
  if (!sys || sys->drv.Type != IO_TYPE_DRIVER || sys->magic != STP_MAGIC) return NULL;
  return sys;
}

/* the device extension is preceded by its port's pointer (16 bytes, keeps the alignment) */
static stp_port_t *port_of(PVOID ext) {
  stp_port_t *p = port_devext_owner(ext);
  return (p && p->devext == ext) ? p : NULL;
}

#define STP_VF(p, kind, routine, ...) \
  hal_vf_report((p)->sys->vf, (kind), (routine), NULL, 0, __builtin_return_address(0), __VA_ARGS__)

static uint64_t tick_len(const stp_system_t *sys) {
  return sys->cfg.tick_cycles ? sys->cfg.tick_cycles : sim_clk_hz(sys->s);
}

static stp_lu_t *lu_at(stp_port_t *p, UCHAR path, UCHAR target, UCHAR lun) {
  return port_lu_at(&p->core, path, target, lun);
}

/* miniport context (port_queue.h): irql 0 at the caller's IRQL, else raised to at least irql */
typedef port_mp_frame_t mp_frame_t;
static mp_frame_t mp_in(stp_port_t *p, unsigned irql) { return port_mp_enter(&p->core, irql); }
static void mp_out(stp_port_t *p, mp_frame_t f) { port_mp_leave(&p->core, f); }

/* at least DISPATCH_LEVEL for a HAL call; returns the IRQL to go back to */
static unsigned at_dispatch(sim_t *s) {
  unsigned cur = sim_irql(s);
  return sim_raise_irql(s, cur > SIM_DISPATCH_LEVEL ? cur : SIM_DISPATCH_LEVEL);
}

static void queue_dpc(stp_port_t *p) { port_queue_dpc(&p->core); }

static int is_read_write(UCHAR op) {
  switch (op) {
    case SCSIOP_READ6: case SCSIOP_WRITE6: case SCSIOP_READ: case SCSIOP_WRITE:
    case SCSIOP_READ12: case SCSIOP_WRITE12: case SCSIOP_READ16: case SCSIOP_WRITE16:
      return 1;
    default:
      return 0;
  }
}

/* ---- system ----------------------------------------------------------------------------- */

void stp_system_config_default(stp_system_config_t *cfg) {
  if (cfg) memset(cfg, 0, sizeof *cfg);
}

void stp_system_config_hba(stp_system_config_t *cfg, const sim_t *s) {
  (void)s;
  stp_system_config_default(cfg);
  if (!cfg) return;
  cfg->nadapters = 1;
  cfg->adapter[0].mem_base = 0x10010000u;
  cfg->adapter[0].mem_length = 0x1000u;
  cfg->adapter[0].irq_line = 1;
}

stp_system_t *stp_system_create(sim_t *s, hal_machine_t *hal, const stp_system_config_t *cfg) {
  if (!s || !hal || !cfg || cfg->nadapters > STP_MAX_ADAPTERS) {
    fprintf(stderr, "stp_system_create: bad arguments\n");
    return NULL;
  }
  for (unsigned i = 0; i < cfg->nadapters; i++)
    if (cfg->adapter[i].mem_length == 0 || cfg->adapter[i].mem_length > PORT_MAX_MAPPED ||
        cfg->adapter[i].irq_line >= 8) {
      fprintf(stderr, "stp_system_create: adapter %u: bad resources\n", i);
      return NULL;
    }
  stp_system_t *sys = calloc(1, sizeof *sys);
  if (!sys) {
    fprintf(stderr, "stp_system_create: out of memory\n");
    return NULL;
  }
  sys->drv.Type = IO_TYPE_DRIVER;
  sys->drv.Size = (CSHORT)sizeof sys->drv;
  sys->magic = STP_MAGIC;
  sys->s = s;
  sys->hal = hal;
  sys->vf = hal_machine_verifier(hal);
  sys->cfg = *cfg;
  if (cfg->argument_string && !(sys->argument_string = strdup(cfg->argument_string))) {
    free(sys);
    fprintf(stderr, "stp_system_create: out of memory\n");
    return NULL;
  }
  sys->cfg.argument_string = sys->argument_string;
  return sys;
}

static void port_free(stp_port_t *p);

void stp_system_destroy(stp_system_t *sys) {
  if (!sys) return;
  for (unsigned i = 0; i < sys->nports; i++) port_free(sys->port[i]);
  free(sys->argument_string);
  free(sys);
}

PDRIVER_OBJECT stp_system_driver_object(stp_system_t *sys) { return sys ? &sys->drv : NULL; }
unsigned stp_system_port_count(const stp_system_t *sys) { return sys ? sys->nports : 0; }
stp_port_t *stp_system_port(stp_system_t *sys, unsigned i) {
  return (sys && i < sys->nports) ? sys->port[i] : NULL;
}
sim_t *stp_system_sim(const stp_system_t *sys) { return sys ? sys->s : NULL; }
hal_vf_t *stp_system_verifier(const stp_system_t *sys) { return sys ? sys->vf : NULL; }

/* ---- Storport's steps in the common request machinery (port_queue.h) -------------------- */

/* the SRB's list goes back to the HAL (bounced device-to-memory data reaches the caller's
 * pages here); the common code calls it before a request leaves the port or its autosense */
static void put_srb_list(stp_port_t *p, port_req_t *r) {
  stp_req_t *sr = sreq(r);
  if (!sr->sg) return;
  unsigned old = at_dispatch(p->sys->s);
  HalPutScatterGatherList(p->adapter, sr->sg, sr->write);
  sim_lower_irql(p->sys->s, old);
  sr->sg = NULL;
}

static void process(stp_port_t *p);
static void start_next(stp_port_t *p);
static void ops_process(void *p) { process(p); }
static void ops_start_next(void *p) { start_next(p); }
static void ops_release(void *p, port_req_t *r) { put_srb_list(p, r); }
static void ops_reset_bus(void *port) {
  stp_port_t *p = port;
  mp_frame_t f = mp_in(p, SIM_DIRQL);
  p->hw.HwResetBus(p->devext, 0);
  mp_out(p, f);
}
static const port_ops_t stp_ops = {
  .req_size = sizeof(stp_req_t),
  .sense_even = 0,
  .process = ops_process,
  .start_next = ops_start_next,
  .reset_bus = ops_reset_bus,
  .release = ops_release,
  .tick_completes = NULL,
};

static void port_free(stp_port_t *p) {
  if (!p) return;
  sim_t *s = p->sys->s;
  if (p->irq_connected) sim_irq_disconnect(s, p->res->irq_line);
  if (p->core.tick_id >= 0) sim_timer_cancel(s, p->core.tick_id);
  if (p->core.timer_id >= 0) sim_timer_cancel(s, p->core.timer_id);
  if (p->pause_timer >= 0) sim_timer_cancel(s, p->pause_timer);
  for (unsigned i = 0; i < STP_BUILDS; i++) {
    stp_build_t *b = &p->builds[i];
    if (b->timer >= 0 && b->state == BL_BUILT) sim_timer_cancel(s, b->timer);
    if (b->state == BL_BUILT || b->state == BL_DELIVERED) {
      unsigned old = at_dispatch(s);
      HalPutScatterGatherList(p->adapter, b->sg, b->write);
      sim_lower_irql(s, old);
    }
    b->state = BL_FREE;
  }
  /* everything still with the port ends ABORTED */
  port_core_teardown(&p->core, 1);
  if (p->unc_va) HalFreeCommonBuffer(p->adapter, p->unc_len, p->unc_pa, p->unc_va, FALSE);
  if (p->adapter) HalPutDmaAdapter(p->adapter);
  if (p->dev) hal_device_destroy(p->dev);
  for (unsigned i = 0; i < p->nmaps; i++) port_window_unmap(&p->map[i]);
  port_alias_unmap(&p->alias);
  port_devext_free(p->devext);
  free(p);
}

/* ---- StorPortInitialize ------------------------------------------------------------------- */

/* the bus-master DMA adapter, from ConfigInfo as it stands (HwStorFindAdapter's values) */
static int make_dma_adapter(stp_port_t *p) {
  if (p->adapter) return 0;
  PORT_CONFIGURATION_INFORMATION *c = &p->cfg;
  if (!p->dev) p->dev = hal_device_create(p->sys->hal, 0);
  if (!p->dev) return -1;
  DEVICE_DESCRIPTION d;
  memset(&d, 0, sizeof d);
  d.Version = DEVICE_DESCRIPTION_VERSION;
  d.Master = TRUE;
  d.ScatterGather = TRUE;
  d.Dma32BitAddresses = c->Dma32BitAddresses;
  d.Dma64BitAddresses = c->Dma64BitAddresses ? TRUE : FALSE;
  d.InterfaceType = c->AdapterInterfaceType;
  d.MaximumLength = (c->MaximumTransferLength == SP_UNINITIALIZED_VALUE ||
                     c->MaximumTransferLength == 0) ? 1024u * 1024u : c->MaximumTransferLength;
  p->adapter = HalGetDmaAdapter(p->dev, &d, &p->map_regs_max);
  return p->adapter ? 0 : -1;
}

static void isr(sim_t *s, unsigned line, void *ctx);

static void drop_port(stp_system_t *sys, stp_port_t *p) {
  sys->nports--;
  sys->port[sys->nports] = NULL;
  port_free(p);
}

ULONG StorPortInitialize(PVOID Argument1, PVOID Argument2,
                         struct _HW_INITIALIZATION_DATA *HwInitializationData, PVOID HwContext) {
  (void)Argument2;
  stp_system_t *sys = sys_of(Argument1);
  if (!sys) return (ULONG)STATUS_INVALID_PARAMETER;
  PHW_INITIALIZATION_DATA hw = HwInitializationData;
  if (!hw || hw->HwInitializationDataSize < sizeof(HW_INITIALIZATION_DATA) ||
      !hw->HwInitialize || !hw->HwStartIo || !hw->HwFindAdapter || !hw->HwResetBus ||
      !hw->HwInterrupt) {
    fprintf(stderr, "StorPortInitialize: HW_INITIALIZATION_DATA incomplete (size %u)\n",
            hw ? hw->HwInitializationDataSize : 0u);
    return (ULONG)STATUS_REVISION_MISMATCH;
  }
  unsigned found = 0;
  for (unsigned i = 0; i < sys->cfg.nadapters && sys->nports < STP_MAX_ADAPTERS; i++) {
    const stp_adapter_res_t *res = &sys->cfg.adapter[i];
    stp_port_t *p = calloc(1, sizeof *p);
    void *ext = p ? port_devext_alloc(p, hw->DeviceExtensionSize) : NULL;
    if (!ext) {
      free(p);
      return (ULONG)STATUS_INSUFFICIENT_RESOURCES;
    }
    p->devext = ext;
    p->sys = sys;
    p->index = sys->nports;
    p->hw = *hw;
    p->res = res;
    p->pause_timer = -1;
    port_core_init(&p->core, p, &stp_ops, "storport", sys->s);
    p->core.devext = p->devext;
    p->core.tick_cycles = tick_len(sys);
    p->core.srb_ext_size = hw->SrbExtensionSize;
    p->core.need_pa = hw->NeedPhysicalAddresses;
    p->core.n_completed = &p->st.srbs_completed;
    p->core.n_timeouts = &p->st.timeouts;
    for (unsigned k = 0; k < STP_BUILDS; k++) p->builds[k].timer = -1;
    if (hw->HwDmaStarted) {
      STP_VF(p, HAL_VF_STOR_HW_DMA_STARTED, "StorPortInitialize",
             "HwDmaStarted is set (%p); Storport never calls it", (void *)hw->HwDmaStarted);
      p->hw.HwDmaStarted = NULL;
    }
    PORT_CONFIGURATION_INFORMATION *c = &p->cfg;
    c->Length = sizeof *c;
    c->AdapterInterfaceType = hw->AdapterInterfaceType;
    c->BusInterruptLevel = res->irq_line;
    c->BusInterruptVector = res->irq_line;
    c->InterruptMode = LevelSensitive;
    c->MaximumTransferLength = SP_UNINITIALIZED_VALUE;
    c->NumberOfPhysicalBreaks = SP_UNINITIALIZED_VALUE;
    c->DmaChannel = SP_UNINITIALIZED_VALUE;
    c->DmaPort = SP_UNINITIALIZED_VALUE;
    c->NumberOfAccessRanges = hw->NumberOfAccessRanges ? hw->NumberOfAccessRanges : 1;
    if (c->NumberOfAccessRanges > 4) c->NumberOfAccessRanges = 4;
    p->ranges[0].RangeStart.QuadPart = res->mem_base;
    p->ranges[0].RangeLength = res->mem_length;
    p->ranges[0].RangeInMemory = TRUE;
    c->AccessRanges = (ACCESS_RANGE(*)[])p->ranges;
    c->NumberOfBuses = 1;
    memset(c->InitiatorBusId, 7, sizeof c->InitiatorBusId);
    c->ScatterGather = TRUE;
    c->Master = TRUE;
    c->MapBuffers = hw->MapBuffers;
    c->NeedPhysicalAddresses = hw->NeedPhysicalAddresses;
    c->TaggedQueuing = hw->TaggedQueuing;
    c->AutoRequestSense = hw->AutoRequestSense;
    c->MultipleRequestPerLu = hw->MultipleRequestPerLu;
    c->ReceiveEvent = hw->ReceiveEvent;
    c->MaximumNumberOfTargets = STP_TARGETS;
    c->MaximumNumberOfLogicalUnits = STP_LUNS;
    c->DeviceExtensionSize = hw->DeviceExtensionSize;
    c->SpecificLuExtensionSize = hw->SpecificLuExtensionSize;
    c->SrbExtensionSize = hw->SrbExtensionSize;
    c->SynchronizationModel = StorSynchronizeHalfDuplex;
    sys->port[sys->nports++] = p; /* visible to StorPortGetDeviceBase during FindAdapter */
    BOOLEAN again = FALSE;
    char *arg = sys->argument_string ? strdup(sys->argument_string) : NULL;
    mp_frame_t f = mp_in(p, 0);
    ULONG rv = hw->HwFindAdapter(p->devext, HwContext, NULL, arg, c, &again);
    mp_out(p, f);
    free(arg);
    if (rv != SP_RETURN_FOUND) {
      drop_port(sys, p);
      continue;
    }
    if (!c->Master || !c->ScatterGather || make_dma_adapter(p)) {
      fprintf(stderr, "StorPortInitialize: adapter %u: no bus-master scatter/gather DMA "
                      "adapter (Master %d, ScatterGather %d)\n", i, c->Master, c->ScatterGather);
      drop_port(sys, p);
      continue;
    }
    ULONG lim = (p->map_regs_max - 1u) * PAGE_SIZE;
    if (c->MaximumTransferLength == SP_UNINITIALIZED_VALUE || c->MaximumTransferLength > lim)
      c->MaximumTransferLength = lim;
    if (c->NumberOfPhysicalBreaks == SP_UNINITIALIZED_VALUE ||
        c->NumberOfPhysicalBreaks > p->map_regs_max - 1u)
      c->NumberOfPhysicalBreaks = p->map_regs_max - 1u;
    int sense_ok = port_core_sense_alloc(&p->core, STP_SENSE_BYTES) == 0;
    if (c->MapBuffers != STOR_MAP_ALL_BUFFERS_INCLUDING_READ_WRITE) {
      size_t stride = ((size_t)c->MaximumTransferLength + 3u * PAGE_SIZE) &
                      ~(size_t)(PAGE_SIZE - 1);
      (void)port_alias_map(&p->alias, "Storport", stride, STP_TARGETS, STP_LUNS);
    }
    int ok = sense_ok &&
             (p->alias.base || c->MapBuffers == STOR_MAP_ALL_BUFFERS_INCLUDING_READ_WRITE);
    for (unsigned t = 0; t < STP_TARGETS && ok; t++)
      for (unsigned l = 0; l < STP_LUNS && ok; l++)
        if (hw->SpecificLuExtensionSize &&
            !(p->core.lu[t][l].lu_ext = calloc(1, hw->SpecificLuExtensionSize)))
          ok = 0;
    if (!ok) {
      fprintf(stderr, "StorPortInitialize: adapter %u: out of memory\n", i);
      drop_port(sys, p);
      continue;
    }
    if (sim_irq_connect(sys->s, res->irq_line, isr, p) == 0) p->irq_connected = 1;
    f = mp_in(p, SIM_DIRQL);
    BOOLEAN iok = hw->HwInitialize(p->devext);
    mp_out(p, f);
    if (!iok) {
      fprintf(stderr, "StorPortInitialize: adapter %u: HwStorInitialize returned FALSE\n", i);
      drop_port(sys, p);
      continue;
    }
    p->initialized = 1;
    p->core.ready = 1;
    found++;
  }
  return found ? (ULONG)STATUS_SUCCESS : (ULONG)STATUS_NO_SUCH_DEVICE;
}

/* ---- upper edge ------------------------------------------------------------------------- */

int stp_port_capabilities(const stp_port_t *p, IO_SCSI_CAPABILITIES *out) {
  if (!p || !out) return -1;
  memset(out, 0, sizeof *out);
  out->Length = sizeof *out;
  out->MaximumTransferLength = p->cfg.MaximumTransferLength;
  out->MaximumPhysicalPages = p->cfg.NumberOfPhysicalBreaks + 1u;
  out->AlignmentMask = p->cfg.AlignmentMask;
  out->TaggedQueuing = p->cfg.TaggedQueuing;
  out->AdapterScansDown = p->cfg.AdapterScansDown;
  return 0;
}
PVOID stp_port_device_extension(const stp_port_t *p) { return p ? p->devext : NULL; }
sim_t *stp_port_sim(const stp_port_t *p) { return p ? p->sys->s : NULL; }
PDMA_ADAPTER stp_port_dma_adapter(const stp_port_t *p) { return p ? p->adapter : NULL; }
UCHAR stp_port_initiator_id(const stp_port_t *p) { return p ? p->cfg.InitiatorBusId[0] : 0; }
UCHAR stp_port_max_targets(const stp_port_t *p) {
  if (!p) return 0;
  return p->cfg.MaximumNumberOfTargets > STP_TARGETS ? STP_TARGETS
                                                     : p->cfg.MaximumNumberOfTargets;
}
UCHAR stp_port_max_luns(const stp_port_t *p) {
  if (!p) return 0;
  return p->cfg.MaximumNumberOfLogicalUnits > STP_LUNS ? STP_LUNS
                                                       : p->cfg.MaximumNumberOfLogicalUnits;
}
void stp_port_stats(const stp_port_t *p, stp_port_stats_t *out) {
  if (!out) return;
  if (!p) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = p->st;
  port_latency_summary(&p->core.lat, &out->isr_latency_min, &out->isr_latency_max,
                       &out->isr_latency_sum, &out->isr_latency_n);
}
size_t stp_port_isr_latencies(const stp_port_t *p, uint64_t *out, size_t max) {
  return p ? port_latency_copy(&p->core.lat, out, max) : 0;
}

static NTSTATUS pi_execute(void *p, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done,
                           void *ctx) {
  return stp_execute(p, Srb, Mdl, done, ctx);
}
static int pi_caps(const void *p, IO_SCSI_CAPABILITIES *out) {
  return stp_port_capabilities(p, out);
}
static UCHAR pi_init_id(const void *p) { return stp_port_initiator_id(p); }
static UCHAR pi_targets(const void *p) { return stp_port_max_targets(p); }
static UCHAR pi_luns(const void *p) { return stp_port_max_luns(p); }

void stp_port_if(stp_port_t *p, port_if_t *out) {
  if (!out) return;
  out->port = p;
  out->execute = pi_execute;
  out->capabilities = pi_caps;
  out->initiator_id = pi_init_id;
  out->max_targets = pi_targets;
  out->max_luns = pi_luns;
}

NTSTATUS stp_execute(stp_port_t *p, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done,
                     void *ctx) {
  if (!p || !Srb || !done || !p->initialized) return STATUS_INVALID_PARAMETER;
  return port_execute(&p->core, "stp_execute", p->sys->vf, __builtin_return_address(0), Srb,
                      Mdl, done, ctx, p->cfg.MaximumTransferLength, p->cfg.InitiatorBusId[0]);
}

/* ---- starting requests: list, HwStorBuildIo, HwStorStartIo ------------------------------- */

static void srb_list_ready(PDEVICE_OBJECT d, PIRP irp, PSCATTER_GATHER_LIST sg, PVOID ctx) {
  (void)d;
  (void)irp;
  port_req_t *r = ctx;
  stp_port_t *p = r->port;
  sreq(r)->sg = sg;
  r->state = PORT_RQ_READY;
  p->st.sg_lists_built++;
  if (!p->in_get_sg) queue_dpc(p); /* granted later (inside a Put): dispatch from the DPC */
}

static void complete_now(stp_port_t *p, port_req_t *r, UCHAR status) {
  port_complete_now(&p->core, r, status);
}

/* an LU's next request becomes active and gets its list (possibly later) */
static void prepare(stp_port_t *p, stp_lu_t *lu) {
  port_req_t *r = port_lu_take(lu);
  sreq(r)->write = (r->srb->SrbFlags & SRB_FLAGS_DATA_OUT) ? TRUE : FALSE;
  if (!r->mdl) {
    r->state = PORT_RQ_READY;
    return;
  }
  r->state = PORT_RQ_SG_WAIT;
  p->in_get_sg = 1;
  unsigned old = at_dispatch(p->sys->s);
  NTSTATUS st = HalGetScatterGatherList(p->adapter, p->dev, r->mdl, r->srb->DataBuffer,
                                        r->srb->DataTransferLength, srb_list_ready, r,
                                        sreq(r)->write);
  sim_lower_irql(p->sys->s, old);
  p->in_get_sg = 0;
  if (st != STATUS_SUCCESS) {
    fprintf(stderr, "storport: GetScatterGatherList for %u bytes failed (0x%08x)\n",
            (unsigned)r->srb->DataTransferLength, (unsigned)st);
    complete_now(p, r, SRB_STATUS_ERROR);
  } else if (r->state == PORT_RQ_SG_WAIT) {
    p->st.sg_waits++;
  }
}

/* a request with its list goes to the miniport */
static void dispatch(stp_port_t *p, port_req_t *r) {
  PSCSI_REQUEST_BLOCK srb = r->srb;
  port_core_t *c = &p->core;
  UCHAR mb = p->cfg.MapBuffers;
  int hide = r->mdl && p->alias.base &&
             (mb == STOR_MAP_NO_BUFFERS ||
              ((mb == STOR_MAP_NON_READ_WRITE_BUFFERS || mb == STOR_MAP_ALL_BUFFERS) &&
               srb->Function == SRB_FUNCTION_EXECUTE_SCSI && is_read_write(srb->Cdb[0])));
  if (hide && !r->real_va) port_req_hide(r, &p->alias);
  r->state = PORT_RQ_MINIPORT;
  srb->SrbFlags |= SRB_FLAGS_IS_ACTIVE;
  p->st.srbs_started++;
  c->ready = 0;
  port_tick_arm(c);
  if (p->hw.HwBuildIo) {
    mp_frame_t f = mp_in(p, SIM_DISPATCH_LEVEL); /* no lock held */
    BOOLEAN go = p->hw.HwBuildIo(p->devext, srb);
    mp_out(p, f);
    if (!go) { /* the miniport completed it (or will): HwStorStartIo is not called */
      c->ready = 1;
      return;
    }
  }
  if (r->state != PORT_RQ_MINIPORT) {
    c->ready = 1;
    return;
  }
  mp_frame_t f = mp_in(p, SIM_DIRQL);
  BOOLEAN ok = p->hw.HwStartIo(p->devext, srb);
  mp_out(p, f);
  if (!ok && r->state == PORT_RQ_MINIPORT) {
    complete_now(p, r, SRB_STATUS_ERROR);
    c->ready = 1;
  }
}

/* at DISPATCH_LEVEL */
static void start_next(stp_port_t *p) {
  sim_t *s = p->sys->s;
  port_core_t *c = &p->core;
  int guard = 0;
  while (!c->in_miniport && sim_cycle(s) >= p->hold_until && guard++ < 1024) {
    process(p);
    /* one request at a time is prepared: the head of the line waits for its map registers */
    port_req_t *waiting = NULL, *ready = NULL;
    for (unsigned t = 0; t < STP_TARGETS; t++)
      for (unsigned l = 0; l < STP_LUNS; l++) {
        port_req_t *a = c->lu[t][l].active;
        if (a && a->state == PORT_RQ_SG_WAIT) waiting = a;
        if (a && a->state == PORT_RQ_READY && !ready) ready = a;
      }
    if (ready) {
      if (!c->ready) return;
      dispatch(p, ready);
      continue;
    }
    if (waiting) return;
    stp_lu_t *lu = port_pick_lu(c);
    if (!lu || !c->ready) return;
    prepare(p, lu);
  }
}

/* ---- interrupts, what the DPC does ------------------------------------------------------ */

static void isr(sim_t *s, unsigned line, void *ctx) {
  (void)s;
  stp_port_t *p = ctx;
  if (port_isr(&p->core, p->hw.HwInterrupt, line)) p->st.interrupts++;
  else p->st.interrupts_not_ours++;
}

static void miniport_dpc(sim_t *s, void *ctx);

/* at DISPATCH_LEVEL: act on the miniport's notifications */
static void process(stp_port_t *p) {
  port_req_t *r;
  while ((r = port_done_take(&p->core))) port_finish(&p->core, r);
  if (port_take_reset(&p->core)) p->st.bus_resets++;
  port_take_next(&p->core);
  port_take_timer(&p->core);
}

/* a miniport DPC (StorPortIssueDpc): at DISPATCH_LEVEL, then the notifications it made */
static void miniport_dpc(sim_t *s, void *ctx) {
  (void)s;
  PSTOR_DPC d = ctx;
  stp_port_t *p = d->Port;
  d->Queued = 0;
  mp_frame_t f = mp_in(p, SIM_DISPATCH_LEVEL);
  d->Routine(d, p->devext, d->SystemArgument1, d->SystemArgument2);
  mp_out(p, f);
  process(p);
  start_next(p);
}

/* ---- StorPortNotification and friends ---------------------------------------------------- */

static void request_complete(stp_port_t *p, PSCSI_REQUEST_BLOCK srb, const char *routine) {
  port_req_t *r = port_active_req(&p->core, srb);
  if (!r) {
    STP_VF(p, HAL_VF_SRB_COMPLETED_TWICE, routine, "SRB %p is not an active request",
           (void *)srb);
    return;
  }
  if (port_srb_status_bad(srb->SrbStatus)) {
    STP_VF(p, HAL_VF_SRB_BAD_STATUS, routine, "SRB %p completed with SrbStatus 0x%02x",
           (void *)srb, srb->SrbStatus);
    srb->SrbStatus = SRB_STATUS_ERROR;
  }
  complete_now(p, r, srb->SrbStatus);
  queue_dpc(p);
}

VOID StorPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension,
                          ...) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return;
  va_list ap;
  va_start(ap, HwDeviceExtension);
  switch (NotificationType) {
    case RequestComplete:
      request_complete(p, va_arg(ap, PSCSI_REQUEST_BLOCK), "StorPortNotification(RequestComplete)");
      break;
    case NextRequest:
      port_note_next(&p->core);
      break;
    case NextLuRequest: {
      UCHAR path = (UCHAR)va_arg(ap, int), target = (UCHAR)va_arg(ap, int),
            lun = (UCHAR)va_arg(ap, int);
      stp_lu_t *lu = lu_at(p, path, target, lun);
      if (lu && lu->active && lu->active->state == PORT_RQ_MINIPORT && !p->cfg.TaggedQueuing)
        STP_VF(p, HAL_VF_NEXTLU_WHILE_ACTIVE, "StorPortNotification(NextLuRequest)",
               "target %u lun %u still has an untagged request active", target, lun);
      port_note_next(&p->core);
      break;
    }
    case ResetDetected:
      port_note_reset(&p->core);
      break;
    case RequestTimerCall: {
      PHW_TIMER fn = va_arg(ap, PHW_TIMER);
      ULONG us = va_arg(ap, ULONG);
      port_note_timer(&p->core, fn, us);
      break;
    }
    case QueryTickCount: {
      PLARGE_INTEGER tc = va_arg(ap, PLARGE_INTEGER);
      if (tc) tc->QuadPart = (LONGLONG)(sim_cycle(p->sys->s) / tick_len(p->sys));
      break;
    }
    case InitializeDpc: {
      PSTOR_DPC d = va_arg(ap, PSTOR_DPC);
      PHW_DPC_ROUTINE fn = va_arg(ap, PHW_DPC_ROUTINE);
      if (d) {
        d->Port = p;
        d->Routine = fn;
        d->Queued = 0;
      }
      break;
    }
    case IssueDpc: {
      PSTOR_DPC d = va_arg(ap, PSTOR_DPC);
      PVOID a1 = va_arg(ap, PVOID), a2 = va_arg(ap, PVOID);
      PBOOLEAN queued = va_arg(ap, PBOOLEAN);
      BOOLEAN ok = FALSE;
      if (!d || d->Port != (PVOID)p || !d->Routine) {
        STP_VF(p, HAL_VF_STOR_MISUSE, "StorPortIssueDpc", "DPC %p not initialised", (void *)d);
      } else if (!d->Queued) {
        d->SystemArgument1 = a1;
        d->SystemArgument2 = a2;
        if (sim_queue_dpc(p->sys->s, miniport_dpc, d) == 0) {
          d->Queued = 1;
          ok = TRUE;
        } else {
          sim_error(p->sys->s, "storport: DPC queue full");
        }
      }
      if (queued) *queued = ok;
      break;
    }
    case BusChangeDetected:
    case LinkUp:
    case LinkDown:
      break; /* nothing to rescan in the simulation */
    default:
      STP_VF(p, HAL_VF_STOR_MISUSE, "StorPortNotification",
             "notification type 0x%x is not implemented", (unsigned)NotificationType);
      break;
  }
  va_end(ap);
}

VOID StorPortCompleteRequest(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                             UCHAR SrbStatus) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return;
  port_req_t *act[STP_TARGETS * STP_LUNS];
  unsigned n = port_match_active(&p->core, PathId, TargetId, Lun, act, STP_TARGETS * STP_LUNS);
  for (unsigned i = 0; i < n; i++) {
    act[i]->srb->SrbStatus = SrbStatus;
    request_complete(p, act[i]->srb, "StorPortCompleteRequest");
  }
}

VOID StorPortLogError(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, UCHAR PathId,
                      UCHAR TargetId, UCHAR Lun, ULONG ErrorCode, ULONG UniqueId) {
  stp_port_t *p = port_of(HwDeviceExtension);
  (void)Srb;
  fprintf(stderr, "storport: adapter %u: logged error 0x%x (unique id 0x%x) at %u/%u/%u%s\n",
          p ? p->index : 0u, (unsigned)ErrorCode, (unsigned)UniqueId, PathId, TargetId, Lun,
          p ? "" : " (unknown extension)");
}

static void pause_end(sim_t *s, void *ctx) {
  (void)s;
  stp_port_t *p = ctx;
  p->pause_timer = -1;
  p->hold_until = 0;
  start_next(p);
}

/* holds new starts for TimeOut seconds (port ticks) or until StorPortResume */
BOOLEAN StorPortPause(PVOID HwDeviceExtension, ULONG TimeOut) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return FALSE;
  sim_t *s = p->sys->s;
  uint64_t d = (uint64_t)TimeOut * tick_len(p->sys);
  if (p->pause_timer >= 0) sim_timer_cancel(s, p->pause_timer);
  p->hold_until = sim_cycle(s) + d;
  p->pause_timer = sim_timer_start(s, d ? d : 1, pause_end, p);
  return TRUE;
}

BOOLEAN StorPortResume(PVOID HwDeviceExtension) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return FALSE;
  if (p->pause_timer >= 0) sim_timer_cancel(p->sys->s, p->pause_timer);
  p->pause_timer = -1;
  p->hold_until = 0;
  queue_dpc(p);
  return TRUE;
}

BOOLEAN StorPortSynchronizeAccess(PVOID HwDeviceExtension,
                                  PSTOR_SYNCHRONIZED_ACCESS SynchronizedAccessRoutine,
                                  PVOID Context) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !SynchronizedAccessRoutine) return FALSE;
  mp_frame_t f = mp_in(p, SIM_DIRQL);
  BOOLEAN r = SynchronizedAccessRoutine(HwDeviceExtension, Context);
  mp_out(p, f);
  return r;
}

/* ---- scatter/gather lists ---------------------------------------------------------------- */

/* the request of an SRB the miniport holds; reports when the SRB has completed */
static stp_req_t *active_req(stp_port_t *p, PSCSI_REQUEST_BLOCK Srb, const char *routine) {
  port_req_t *r = Srb ? Srb->OriginalRequest : NULL;
  for (unsigned t = 0; t < STP_TARGETS; t++)
    for (unsigned l = 0; l < STP_LUNS; l++)
      if (r && p->core.lu[t][l].active == r && r->srb == Srb && r->state == PORT_RQ_MINIPORT)
        return sreq(r);
  STP_VF(p, HAL_VF_STOR_SG_AFTER_COMPLETION, routine,
         "SRB %p is not with the miniport (completed, or never started)", (void *)Srb);
  return NULL;
}

PSTOR_SCATTER_GATHER_LIST StorPortGetScatterGatherList(PVOID DeviceExtension,
                                                       PSCSI_REQUEST_BLOCK Srb) {
  stp_port_t *p = port_of(DeviceExtension);
  if (!p || !Srb) return NULL;
  stp_req_t *r = active_req(p, Srb, "StorPortGetScatterGatherList");
  /* SCATTER_GATHER_LIST and STOR_SCATTER_GATHER_LIST have the same layout */
  return r ? (PSTOR_SCATTER_GATHER_LIST)(void *)r->sg : NULL;
}

_Static_assert(sizeof(SCATTER_GATHER_ELEMENT) == sizeof(STOR_SCATTER_GATHER_ELEMENT),
               "SG element layouts");
_Static_assert(offsetof(SCATTER_GATHER_LIST, Elements) == offsetof(STOR_SCATTER_GATHER_LIST, List),
               "SG list layouts");

static void build_deliver(sim_t *s, void *ctx) {
  (void)s;
  stp_build_t *b = ctx;
  stp_port_t *p = b->port;
  b->timer = -1;
  if (b->state != BL_BUILT) return;
  b->state = BL_DELIVERED;
  PVOID devobj = p->dev, irp = NULL;
  mp_frame_t f = mp_in(p, SIM_DISPATCH_LEVEL);
  b->routine(&devobj, &irp, (PSTOR_SCATTER_GATHER_LIST)(void *)b->sg, b->context);
  mp_out(p, f);
}

static void build_ready(PDEVICE_OBJECT d, PIRP irp, PSCATTER_GATHER_LIST sg, PVOID ctx) {
  (void)d;
  (void)irp;
  stp_build_t *b = ctx;
  stp_port_t *p = b->port;
  b->sg = sg;
  b->state = BL_BUILT;
  /* never inside StorPortBuildScatterGatherList: a timer one cycle on (DISPATCH_LEVEL) */
  b->timer = sim_timer_start(p->sys->s, 1, build_deliver, b);
  if (b->timer < 0) sim_error(p->sys->s, "storport: no timer for the ExecutionRoutine");
}

ULONG StorPortBuildScatterGatherList(PVOID HwDeviceExtension, PVOID Mdl, PVOID CurrentVa,
                                     ULONG Length, PPOST_SCATTER_GATHER_EXECUTE ExecutionRoutine,
                                     PVOID Context, BOOLEAN WriteToDevice,
                                     PVOID ScatterGatherBuffer, ULONG ScatterGatherBufferLength) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return STOR_STATUS_INVALID_PARAMETER;
  if (p->sys->cfg.port_version != STP_PORT_VERSION_CURRENT) return STOR_STATUS_NOT_IMPLEMENTED;
  sim_t *s = p->sys->s;
  if (sim_irql(s) > SIM_DISPATCH_LEVEL) return STOR_STATUS_INVALID_IRQL;
  if (!Mdl || !ExecutionRoutine || !ScatterGatherBuffer || !Length || !CurrentVa)
    return STOR_STATUS_INVALID_PARAMETER;
  stp_build_t *b = NULL;
  for (unsigned i = 0; i < STP_BUILDS; i++) {
    stp_build_t *c = &p->builds[i];
    if (c->state != BL_FREE && c->buffer == ScatterGatherBuffer) {
      STP_VF(p, HAL_VF_STOR_SG_BUFFER_REUSED, "StorPortBuildScatterGatherList",
             "ScatterGatherBuffer %p still holds a list not put", ScatterGatherBuffer);
      return STOR_STATUS_INVALID_PARAMETER;
    }
    if (c->state == BL_FREE && !b) b = c;
  }
  if (ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length) > p->map_regs_max)
    return STOR_STATUS_INSUFFICIENT_RESOURCES;
  if (!b) return STOR_STATUS_INSUFFICIENT_RESOURCES;
  b->port = p;
  b->buffer = ScatterGatherBuffer;
  b->buffer_len = ScatterGatherBufferLength;
  b->routine = ExecutionRoutine;
  b->context = Context;
  b->write = WriteToDevice;
  b->sg = NULL;
  b->state = BL_WAIT;
  b->timer = -1;
  unsigned old = at_dispatch(s);
  NTSTATUS st = HalBuildScatterGatherList(p->adapter, p->dev, (PMDL)Mdl, CurrentVa, Length,
                                          build_ready, b, WriteToDevice, ScatterGatherBuffer,
                                          ScatterGatherBufferLength);
  sim_lower_irql(s, old);
  if (st == STATUS_SUCCESS) {
    p->st.sg_builds++;
    return STOR_STATUS_SUCCESS;
  }
  if (b->timer >= 0) sim_timer_cancel(s, b->timer);
  b->state = BL_FREE;
  if (st == STATUS_BUFFER_TOO_SMALL) return STOR_STATUS_BUFFER_TOO_SMALL;
  if (st == STATUS_INSUFFICIENT_RESOURCES) return STOR_STATUS_INSUFFICIENT_RESOURCES;
  return STOR_STATUS_INVALID_PARAMETER;
}

ULONG StorPortPutScatterGatherList(PVOID HwDeviceExtension,
                                   PSTOR_SCATTER_GATHER_LIST ScatterGatherList,
                                   BOOLEAN WriteToDevice) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !ScatterGatherList) return STOR_STATUS_INVALID_PARAMETER;
  sim_t *s = p->sys->s;
  if (sim_irql(s) > SIM_DISPATCH_LEVEL) return STOR_STATUS_INVALID_IRQL;
  for (unsigned i = 0; i < STP_BUILDS; i++) {
    stp_build_t *b = &p->builds[i];
    if (b->state != BL_DELIVERED || (void *)b->sg != (void *)ScatterGatherList) continue;
    unsigned old = at_dispatch(s);
    HalPutScatterGatherList(p->adapter, b->sg, WriteToDevice);
    sim_lower_irql(s, old);
    b->state = BL_FREE;
    p->put_hist[p->put_next++ % STP_PUT_HISTORY] = ScatterGatherList;
    return STOR_STATUS_SUCCESS;
  }
  int before = 0;
  for (unsigned i = 0; i < STP_PUT_HISTORY; i++)
    if (p->put_hist[i] == (PVOID)ScatterGatherList) before = 1;
  STP_VF(p, HAL_VF_STOR_SG_PUT_TWICE, "StorPortPutScatterGatherList",
         "list %p %s", (void *)ScatterGatherList,
         before ? "was put already" : "is not a list StorPortBuildScatterGatherList delivered");
  return STOR_STATUS_INVALID_PARAMETER;
}

/* ---- addresses, extensions ---------------------------------------------------------------- */

STOR_PHYSICAL_ADDRESS StorPortConvertUlongToPhysicalAddress(ULONG_PTR UlongAddress) {
  STOR_PHYSICAL_ADDRESS a;
  a.QuadPart = (LONGLONG)UlongAddress;
  return a;
}

STOR_PHYSICAL_ADDRESS StorPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                 PVOID VirtualAddress, PULONG Length) {
  STOR_PHYSICAL_ADDRESS pa;
  pa.QuadPart = 0;
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !Length) return pa;
  uintptr_t v = (uintptr_t)VirtualAddress;
  uint64_t a = 0;
  ULONG n = 0;
  uintptr_t ub = (uintptr_t)p->unc_va;
  if (p->unc_va && v >= ub && v < ub + p->unc_len) {
    a = (uint64_t)p->unc_pa.QuadPart + (v - ub); /* a common buffer is contiguous */
    n = (ULONG)(ub + p->unc_len - v);
  } else if (Srb) {
    stp_req_t *r = active_req(p, Srb, "StorPortGetPhysicalAddress");
    uintptr_t b = (uintptr_t)Srb->DataBuffer;
    if (r && r->sg && v >= b && v < b + Srb->DataTransferLength) {
      uint64_t off = v - b; /* through the list: what the device will really use */
      for (ULONG i = 0; i < r->sg->NumberOfElements; i++) {
        const SCATTER_GATHER_ELEMENT *e = &r->sg->Elements[i];
        if (off < e->Length) {
          a = (uint64_t)e->Address.QuadPart + off;
          n = (ULONG)(e->Length - off);
          break;
        }
        off -= e->Length;
      }
    } else if (r && r->q.srb_ext_buf) {
      a = port_buf_pa(r->q.srb_ext_buf, v, &n);
    }
    if (!r) {
      *Length = 0;
      return pa;
    }
  }
  if (!a) {
    STP_VF(p, HAL_VF_BAD_PHYS_ADDRESS, "StorPortGetPhysicalAddress",
           "%p (SRB %p) is not in the uncached extension, an SRB extension or the SRB's data "
           "buffer", VirtualAddress, (void *)Srb);
    *Length = 0;
    return pa;
  }
  *Length = n;
  pa.QuadPart = (LONGLONG)a;
  return pa;
}

PVOID StorPortGetVirtualAddress(PVOID HwDeviceExtension, STOR_PHYSICAL_ADDRESS PhysicalAddress) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !p->unc_va) return NULL;
  uint64_t a = (uint64_t)PhysicalAddress.QuadPart, b = (uint64_t)p->unc_pa.QuadPart;
  return (a >= b && a < b + p->unc_len) ? (char *)p->unc_va + (a - b) : NULL;
}

PVOID StorPortGetUncachedExtension(PVOID HwDeviceExtension,
                                   PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                   ULONG NumberOfBytes) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !ConfigInfo || NumberOfBytes == 0) return NULL;
  if (p->unc_va) {
    STP_VF(p, HAL_VF_STOR_MISUSE, "StorPortGetUncachedExtension",
           "a second uncached extension for adapter %u", p->index);
    return NULL;
  }
  if (p->initialized || ConfigInfo != &p->cfg) {
    STP_VF(p, HAL_VF_STOR_MISUSE, "StorPortGetUncachedExtension",
           "only from HwStorFindAdapter, with its ConfigInfo");
    return NULL;
  }
  /* the DMA adapter, from ConfigInfo as the miniport has set it so far (its reach decides
   * where the common buffer goes) */
  if (make_dma_adapter(p)) return NULL;
  PHYSICAL_ADDRESS la;
  la.QuadPart = 0;
  PVOID va = HalAllocateCommonBuffer(p->adapter, NumberOfBytes, &la, FALSE);
  if (!va) return NULL;
  p->unc_va = va;
  p->unc_pa = la;
  p->unc_len = NumberOfBytes;
  return va;
}

ULONG StorPortGetSystemAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                               PVOID *SystemAddress) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !Srb || !SystemAddress) return STOR_STATUS_INVALID_PARAMETER;
  stp_req_t *r = active_req(p, Srb, "StorPortGetSystemAddress");
  if (!r || !r->q.mdl) return STOR_STATUS_INVALID_PARAMETER;
  *SystemAddress = r->q.real_va ? r->q.real_va : Srb->DataBuffer;
  return STOR_STATUS_SUCCESS;
}

ULONG StorPortGetOriginalMdl(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, PVOID *Mdl) {
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p || !Srb || !Mdl) return STOR_STATUS_INVALID_PARAMETER;
  stp_req_t *r = active_req(p, Srb, "StorPortGetOriginalMdl");
  if (!r || !r->q.mdl) return STOR_STATUS_INVALID_PARAMETER;
  *Mdl = r->q.mdl;
  return STOR_STATUS_SUCCESS;
}

/* ---- register mappings ------------------------------------------------------------------- */

/* a 64 KiB-aligned window: a read-only header page naming the port and the physical range,
 * then PROT_NONE pages (registers are reached only through StorPortRead/Write*) */
PVOID StorPortGetDeviceBase(PVOID HwDeviceExtension, INTERFACE_TYPE BusType,
                            ULONG SystemIoBusNumber, STOR_PHYSICAL_ADDRESS IoAddress,
                            ULONG NumberOfBytes, BOOLEAN InIoSpace) {
  (void)BusType;
  (void)SystemIoBusNumber;
  stp_port_t *p = port_of(HwDeviceExtension);
  if (!p) return NULL;
  return port_window_add(p->map, &p->nmaps, STP_MAX_MAPPINGS, p, (uint64_t)IoAddress.QuadPart,
                         NumberOfBytes, InIoSpace ? 1 : 0);
}

VOID StorPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress) {
  (void)HwDeviceExtension;
  (void)MappedAddress; /* mappings live until the port goes */
}

/* only windows this adapter made are looked at (the extension names the adapter) */
static uint32_t reg_rd(PVOID ext, const volatile void *reg, unsigned size, int io) {
  stp_port_t *p = port_of(ext);
  uint64_t a = 0;
  if (!p || port_window_find(p->map, p->nmaps, reg, io, &a) != p) {
    fprintf(stderr, "storport: register read at %p: not a StorPortGetDeviceBase address of "
                    "this adapter\n", (const void *)reg);
    return 0xFFFFFFFFu;
  }
  p->st.apb_accesses++;
  return port_bus_read(p->sys->s, a, size, io, "storport");
}

static void reg_wr(PVOID ext, volatile void *reg, uint32_t v, unsigned size, int io) {
  stp_port_t *p = port_of(ext);
  uint64_t a = 0;
  if (!p || port_window_find(p->map, p->nmaps, reg, io, &a) != p) {
    fprintf(stderr, "storport: register write at %p: not a StorPortGetDeviceBase address of "
                    "this adapter\n", (void *)reg);
    return;
  }
  p->st.apb_accesses++;
  port_bus_write(p->sys->s, a, v, size, io, "storport");
}

UCHAR StorPortReadRegisterUchar(PVOID e, PUCHAR r) { return (UCHAR)reg_rd(e, r, 1, 0); }
USHORT StorPortReadRegisterUshort(PVOID e, PUSHORT r) { return (USHORT)reg_rd(e, r, 2, 0); }
ULONG StorPortReadRegisterUlong(PVOID e, PULONG r) { return reg_rd(e, r, 4, 0); }
VOID StorPortWriteRegisterUchar(PVOID e, PUCHAR r, UCHAR v) { reg_wr(e, r, v, 1, 0); }
VOID StorPortWriteRegisterUshort(PVOID e, PUSHORT r, USHORT v) { reg_wr(e, r, v, 2, 0); }
VOID StorPortWriteRegisterUlong(PVOID e, PULONG r, ULONG v) { reg_wr(e, r, v, 4, 0); }
UCHAR StorPortReadPortUchar(PVOID e, PUCHAR r) { return (UCHAR)reg_rd(e, r, 1, 1); }
USHORT StorPortReadPortUshort(PVOID e, PUSHORT r) { return (USHORT)reg_rd(e, r, 2, 1); }
ULONG StorPortReadPortUlong(PVOID e, PULONG r) { return reg_rd(e, r, 4, 1); }
VOID StorPortWritePortUchar(PVOID e, PUCHAR r, UCHAR v) { reg_wr(e, r, v, 1, 1); }
VOID StorPortWritePortUshort(PVOID e, PUSHORT r, USHORT v) { reg_wr(e, r, v, 2, 1); }
VOID StorPortWritePortUlong(PVOID e, PULONG r, ULONG v) { reg_wr(e, r, v, 4, 1); }

/* ---- time ------------------------------------------------------------------------------- */

/* no extension argument: the stall runs the clock of the system whose miniport routine is
 * executing on this thread (docs/storport.md) */
VOID StorPortStallExecution(ULONG Delay) {
  port_core_t *c = port_mp_current(&stp_ops);
  if (!c) {
    fprintf(stderr, "storport: StorPortStallExecution outside a miniport routine\n");
    return;
  }
  port_stall(c, Delay);
}
