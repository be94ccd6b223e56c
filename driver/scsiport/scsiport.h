/* hbasim's SCSI Port: the system side of the documented SCSI Port interface (srb.h) plus the
 * upper edge a class driver uses in place of IRP_MJ_SCSI (docs/scsiport.md).
 *
 * A "system" is what the port driver runs on: one simulation, its HAL machine and the ISA
 * adapters present (their resources, as a PnP enumerator would report them). A miniport's
 * DriverEntry receives a DRIVER_OBJECT made here and calls ScsiPortInitialize with it; every
 * adapter the miniport's HwScsiFindAdapter claims becomes a port (sp_port_t). No globals: two
 * systems in one process share nothing. */
#ifndef HBASIM_SCSIPORT_H
#define HBASIM_SCSIPORT_H

#include <stdint.h>

#include "hal_dma.h"
#include "sim.h"
#include "port_if.h"
#include "srb.h"

#define SP_MAX_ADAPTERS 4u

/* One ISA adapter the system has: what PnP would hand the miniport in ConfigInfo. */
typedef struct sp_isa_adapter {
  uint32_t mem_base;          /* AccessRanges[0]: memory-mapped registers (APB address) */
  uint32_t mem_length;        /* bytes (at most 60 KiB, see docs/scsiport.md) */
  unsigned irq_line;          /* BusInterruptLevel: the sim's interrupt line */
  unsigned dma_channel;       /* DmaChannel (system DMA) */
} sp_isa_adapter_t;

typedef struct sp_system_config {
  unsigned nadapters;
  sp_isa_adapter_t adapter[SP_MAX_ADAPTERS];
  uint64_t tick_cycles;       /* the port's one-second timer: cycles per TimeOutValue unit and
                                 per RequestTimerCall microsecond * 1e6 (0 = clk_hz, one
                                 simulated second) */
  uint32_t dma_start_window_max; /* cycles between programming the 8237 and HwDmaStarted:
                                 seeded uniformly in [0, max] per transfer (default 0) */
  uint32_t bus_reset_hold;    /* requests are held this many ticks after a bus reset
                                 (default 0) */
  const char *argument_string; /* HwScsiFindAdapter's ArgumentString (the registry's
                                 DriverParameter value), NULL = none; copied */
} sp_system_config_t;

typedef struct sp_system sp_system_t;
typedef struct sp_port sp_port_t;

void sp_system_config_default(sp_system_config_t *cfg);
/* The HBA of soc_top as adapter 0 (APB 0x1001_0000, 4 KiB, IRQ line 1, the sim's
 * sim_hba_dma_chan()). */
void sp_system_config_hba(sp_system_config_t *cfg, const sim_t *s);
/* NULL on error (message on stderr). The HAL machine must outlive the system. */
sp_system_t *sp_system_create(sim_t *s, hal_machine_t *hal, const sp_system_config_t *cfg);
/* Stops every port (interrupts disconnected, timers cancelled); outstanding requests are
 * completed with SRB_STATUS_ABORTED first. Then frees everything. */
void sp_system_destroy(sp_system_t *sys);
/* The DRIVER_OBJECT to pass to the miniport's DriverEntry (Argument1 of ScsiPortInitialize). */
PDRIVER_OBJECT sp_system_driver_object(sp_system_t *sys);
unsigned   sp_system_port_count(const sp_system_t *sys);
sp_port_t *sp_system_port(sp_system_t *sys, unsigned i);
sim_t     *sp_system_sim(const sp_system_t *sys);
hal_vf_t  *sp_system_verifier(const sp_system_t *sys);

/* ---- the upper edge ---------------------------------------------------------------------- */

int sp_port_capabilities(const sp_port_t *p, IO_SCSI_CAPABILITIES *out);  /* 0 or -1 */
/* the port's upper edge as a port_if_t (for the class layer) */
void sp_port_if(sp_port_t *p, port_if_t *out);
UCHAR sp_port_initiator_id(const sp_port_t *p);  /* ConfigInfo->InitiatorBusId[0] */
/* the miniport's device extension (diagnostics and tests: read it, do not change it) */
PVOID sp_port_device_extension(const sp_port_t *p);
sim_t *sp_port_sim(const sp_port_t *p);
/* the HAL adapter of a system-DMA port (hal_dma_last_map and friends), NULL otherwise */
PDMA_ADAPTER sp_port_dma_adapter(const sp_port_t *p);
UCHAR sp_port_max_targets(const sp_port_t *p);   /* ConfigInfo->MaximumNumberOfTargets */
UCHAR sp_port_max_luns(const sp_port_t *p);      /* ConfigInfo->MaximumNumberOfLogicalUnits */

/* Completion of an SRB passed to sp_execute: runs at DISPATCH_LEVEL from the port's DPC after
 * the miniport's RequestComplete (port_if.h) */
typedef port_completion_fn sp_completion_fn;

/* Queues Srb (Function SRB_FUNCTION_EXECUTE_SCSI, or SRB_FUNCTION_RESET_BUS / ABORT_COMMAND
 * / RESET_DEVICE) on its logical unit, at IRQL <= DISPATCH_LEVEL. For a data transfer,
 * Srb->DataBuffer is a VA inside Mdl (built with MmBuildMdlForNonPagedPool) and
 * DataTransferLength its length; SenseInfoBuffer/SenseInfoBufferLength the caller's sense
 * buffer (any memory). The port owns the SRB until the completion routine runs.
 * STATUS_PENDING: queued (done will run); STATUS_INVALID_PARAMETER: malformed (done never
 * runs; the reason is on stderr); STATUS_DEVICE_DOES_NOT_EXIST: no such LU address;
 * STATUS_INSUFFICIENT_RESOURCES: out of memory. */
NTSTATUS sp_execute(sp_port_t *p, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, sp_completion_fn done,
                    void *ctx);

/* Statistics of a port: for reports and tests. */
typedef struct sp_port_stats {
  uint64_t srbs_started, srbs_completed, io_map_transfers, flushes, dma_started_calls,
           dma_cancelled, interrupts, interrupts_not_ours, timeouts, bus_resets, apb_accesses,
           apb_accesses_dma; /* APB accesses made while programming the 8237 for a transfer */
  uint64_t isr_latency_min, isr_latency_max, isr_latency_sum, isr_latency_n; /* cycles from
                                 the IRQ's rise to HwScsiInterrupt */
} sp_port_stats_t;
void sp_port_stats(const sp_port_t *p, sp_port_stats_t *out);
/* ISR latencies recorded so far (cycles), for medians; returns the count (out may be NULL) */
size_t sp_port_isr_latencies(const sp_port_t *p, uint64_t *out, size_t max);

#endif
