/* hbasim's Storport: the system side of the documented Storport interface (storport.h) for a
 * bus-master adapter, plus the upper edge a class driver uses in place of IRP_MJ_SCSI
 * (port_if.h; docs/storport.md).
 *
 * A "system" is one simulation, its HAL machine and the bus-master adapters present (their
 * resources, as a PnP enumerator would report them). A miniport's DriverEntry receives the
 * system's DRIVER_OBJECT and calls StorPortInitialize with it; every adapter its
 * HwStorFindAdapter claims becomes a port (stp_port_t). No globals.
 *
 * Include storport.h before this header in a Storport source (never scsiport.h). */
#ifndef HBASIM_STOR_PORT_H
#define HBASIM_STOR_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "storport.h"
#include "hal_dma.h"
#include "port_if.h"
#include "sim.h"

#define STP_MAX_ADAPTERS 4u

/* port_version: 0 = the current port; STP_PORT_VERSION_OLD (any value in 1..99) marks an
 * older Storport without StorPortBuildScatterGatherList (it returns
 * STOR_STATUS_NOT_IMPLEMENTED). */
#define STP_PORT_VERSION_CURRENT 0u
#define STP_PORT_VERSION_OLD 1u

/* One bus-master adapter the system has. */
typedef struct stp_adapter_res {
  uint32_t mem_base;          /* AccessRanges[0]: memory-mapped registers (APB address) */
  uint32_t mem_length;        /* bytes (at most 60 KiB) */
  unsigned irq_line;          /* BusInterruptLevel: the sim's interrupt line */
} stp_adapter_res_t;

typedef struct stp_system_config {
  unsigned nadapters;
  stp_adapter_res_t adapter[STP_MAX_ADAPTERS];
  uint64_t tick_cycles;       /* the port's one-second timer (0 = clk_hz) */
  const char *argument_string; /* HwStorFindAdapter's ArgumentString, NULL = none; copied */
  unsigned port_version;      /* STP_PORT_VERSION_* (0 = current) */
} stp_system_config_t;

typedef struct stp_system stp_system_t;
typedef struct stp_port stp_port_t;

void stp_system_config_default(stp_system_config_t *cfg);
/* the HBA of soc_top as adapter 0: APB 0x1001_0000, 4 KiB, IRQ line 1 */
void stp_system_config_hba(stp_system_config_t *cfg, const sim_t *s);
/* NULL on error (message on stderr). The HAL machine must outlive the system. */
stp_system_t *stp_system_create(sim_t *s, hal_machine_t *hal, const stp_system_config_t *cfg);
/* Stops every port; outstanding requests are completed with SRB_STATUS_ABORTED first. */
void stp_system_destroy(stp_system_t *sys);
PDRIVER_OBJECT stp_system_driver_object(stp_system_t *sys);
unsigned    stp_system_port_count(const stp_system_t *sys);
stp_port_t *stp_system_port(stp_system_t *sys, unsigned i);
sim_t      *stp_system_sim(const stp_system_t *sys);
hal_vf_t   *stp_system_verifier(const stp_system_t *sys);

/* ---- the upper edge ---------------------------------------------------------------------- */

void stp_port_if(stp_port_t *p, port_if_t *out);
int  stp_port_capabilities(const stp_port_t *p, IO_SCSI_CAPABILITIES *out);  /* 0 or -1 */
/* Same rules and status codes as sp_execute (docs/scsiport.md), on a bus-master port. Like
 * SCSI Port, HwStorStartIo gets the next SRB only after the miniport's NextRequest (or
 * NextLuRequest) notification (the first is implicit after HwStorInitialize, and a FALSE
 * return from HwStorBuildIo frees the slot). For an SRB with data the port builds its
 * scatter/gather list (HAL GetScatterGatherList) before HwStorBuildIo; it is put when the SRB
 * completes, after which the caller's buffer holds the data. */
NTSTATUS stp_execute(stp_port_t *p, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, port_completion_fn done,
                     void *ctx);
PVOID stp_port_device_extension(const stp_port_t *p);
sim_t *stp_port_sim(const stp_port_t *p);
PDMA_ADAPTER stp_port_dma_adapter(const stp_port_t *p);
UCHAR stp_port_initiator_id(const stp_port_t *p);
UCHAR stp_port_max_targets(const stp_port_t *p);
UCHAR stp_port_max_luns(const stp_port_t *p);

typedef struct stp_port_stats {
  uint64_t srbs_started, srbs_completed, sg_lists_built, /* by the port, per SRB */
           sg_builds,             /* StorPortBuildScatterGatherList successes */
           sg_waits,              /* requests that waited for map registers */
           interrupts, interrupts_not_ours, timeouts, bus_resets, apb_accesses;
  uint64_t isr_latency_min, isr_latency_max, isr_latency_sum, isr_latency_n; /* cycles from
                                 the IRQ's rise to HwStorInterrupt */
} stp_port_stats_t;
void stp_port_stats(const stp_port_t *p, stp_port_stats_t *out);
/* ISR latencies recorded so far (cycles), for medians; returns the count (out may be NULL) */
size_t stp_port_isr_latencies(const stp_port_t *p, uint64_t *out, size_t max);

#endif
