/* hbastack: the whole storage stack over soc_top's HBA brought up the way the OS would load it,
 * on either DMA path, behind one path-neutral interface (docs/stack.md):
 *
 *   subordinate  HAL system-DMA adapter (8237) / SCSI Port / hbasub miniport / disk class
 *   bus master   HAL scatter/gather adapter   / Storport  / hbabm miniport  / disk class
 *
 * The class layer's block API (disk.h) is the same on both; tests, `make run` and `make bench`
 * use this module so that one workload runs on both paths with the same seeds. Path-specific
 * diagnostics are reached through hbastack_port / hbastack_device_extension, cast by a
 * translation unit that includes that path's headers (scsiport.h + hbasub.h, or storport.h +
 * stor_port.h + hbabm.h; never both in one unit).
 *
 * No globals: any number of stacks, each on its own sim. */
#ifndef HBASIM_HBASTACK_H
#define HBASIM_HBASTACK_H

#include <stddef.h>
#include <stdint.h>

#include "disk.h"
#include "hal_dma.h"
#include "port_if.h"
#include "sim.h"
#include "verifier.h"

typedef enum hbastack_path {
  HBASTACK_SUBORDINATE = 0,   /* SCSI Port + hbasub, data through the 8237 channel */
  HBASTACK_BUS_MASTER = 1     /* Storport + hbabm, data through the HBA's own AXI engine */
} hbastack_path_t;

typedef struct hbastack_config {
  hbastack_path_t path;
  hal_machine_config_t hal;        /* the HAL machine (map register pool ...) */
  const char *argument_string;     /* the miniport's ArgumentString (hba_common.h keywords),
                                      NULL = none; copied */
  uint32_t dma_start_window_max;   /* subordinate: cycles between programming the 8237 and
                                      HwScsiDmaStarted, seeded in [0, max] (docs/scsiport.md) */
  uint32_t bus_reset_hold;         /* subordinate: ticks requests are held after a bus reset */
  uint64_t tick_cycles;            /* the port's one-second timer (0 = the clock rate) */
  const disk_class_config_t *cls;  /* NULL = the class defaults; copied */
} hbastack_config_t;

/* Defaults for `path`: the HAL defaults, except that the bus-master path gets
 * HBASTACK_BM_MAP_PAGES map registers, enough for hbabm's whole 1 MiB transfer at any offset. */
#define HBASTACK_BM_MAP_PAGES 512u
void hbastack_config_default(hbastack_config_t *cfg, hbastack_path_t path);

typedef struct hbastack hbastack_t;

/* HAL machine, port system with soc_top's HBA as adapter 0 (on the subordinate path on the
 * sim's HBA DMA channel, sim_hba_dma_chan), the miniport's DriverEntry, the class over port 0.
 * No scan. NULL on error with the reason in err. The sim must be out of reset. */
hbastack_t *hbastack_create(sim_t *s, const hbastack_config_t *cfg, char *err, size_t errlen);
/* class, port system (outstanding requests aborted), HAL machine; NULL is fine. The caller
 * waits for idle first if it wants the requests to finish. */
void hbastack_destroy(hbastack_t *k);

disk_class_t   *hbastack_class(const hbastack_t *k);
hbastack_path_t hbastack_path(const hbastack_t *k);
sim_t          *hbastack_sim(const hbastack_t *k);
hal_machine_t  *hbastack_hal(const hbastack_t *k);
/* "subordinate" / "bus-master" */
const char     *hbastack_path_name(hbastack_path_t path);
/* one line naming the layers, e.g. "HAL system DMA (8237 channel 5) / SCSI Port / hbasub" */
const char     *hbastack_layers(const hbastack_t *k);
/* the port's upper edge (what the class uses) */
const port_if_t *hbastack_port_if(const hbastack_t *k);
int             hbastack_capabilities(const hbastack_t *k, IO_SCSI_CAPABILITIES *out);
uint32_t        hbastack_hba_base(const hbastack_t *k);      /* the HBA's APB base */
/* sp_port_t * (subordinate) or stp_port_t * (bus master) */
void           *hbastack_port(const hbastack_t *k);
/* the miniport's device extension: HBASUB_DEVICE_EXTENSION or HBABM_DEVICE_EXTENSION */
void           *hbastack_device_extension(const hbastack_t *k);
/* the verifier of the port system (HAL and port rules), NULL when off */
hal_vf_t       *hbastack_verifier(const hbastack_t *k);

/* Path-neutral port statistics. */
typedef struct hbastack_stats {
  uint64_t srbs_started, srbs_completed;
  uint64_t interrupts, interrupts_not_ours, timeouts, bus_resets;
  uint64_t apb_accesses;       /* the miniport's HBA register accesses (APB) */
  uint64_t apb_accesses_dma;   /* subordinate: APB accesses of the HAL programming the 8237
                                  for the transfers; bus master: 0 (the HBA reads its
                                  descriptor list itself, over AXI) */
  uint64_t dma_setups;         /* subordinate: ScsiPortIoMapTransfer calls; bus master:
                                  scatter/gather lists built for SRBs */
  uint64_t dma_cancelled;      /* subordinate: transfers flushed before HwScsiDmaStarted */
  uint64_t isr_latency_min, isr_latency_max, isr_latency_sum, isr_latency_n;
} hbastack_stats_t;
void   hbastack_stats(const hbastack_t *k, hbastack_stats_t *out);
/* ISR latencies (cycles) recorded so far; returns the count (out may be NULL) */
size_t hbastack_isr_latencies(const hbastack_t *k, uint64_t *out, size_t max);

#endif
