/* hbastack's subordinate path: SCSI Port (driver/scsiport) with soc_top's HBA as an ISA
 * adapter on the sim's HBA DMA channel, and the hbasub miniport. */
#include "scsiport.h"
#include "hbasub.h"
#include "hbastack_impl.h"

#include <stdio.h>

static int sub_create(hbastack_t *k, char *err, size_t errlen) {
  sp_system_config_t sc;
  sp_system_config_hba(&sc, k->s);
  sc.dma_start_window_max = k->cfg.dma_start_window_max;
  sc.bus_reset_hold = k->cfg.bus_reset_hold;
  sc.tick_cycles = k->cfg.tick_cycles;
  sc.argument_string = k->arg[0] ? k->arg : NULL;
  sp_system_t *sys = sp_system_create(k->s, k->hal, &sc);
  if (!sys) {
    snprintf(err, errlen, "sp_system_create failed (see stderr)");
    return -1;
  }
  k->sys = sys;
  ULONG st = HbaSubDriverEntry(sp_system_driver_object(sys), NULL);
  if (st != (ULONG)STATUS_SUCCESS || sp_system_port_count(sys) < 1) {
    snprintf(err, errlen, "HbaSubDriverEntry: 0x%08x, %u port(s)", (unsigned)st,
             sp_system_port_count(sys));
    return -1;
  }
  sp_port_t *p = sp_system_port(sys, 0);
  k->port = p;
  k->hba_base = sc.adapter[0].mem_base;
  sp_port_if(p, &k->pif);
  snprintf(k->layers, sizeof k->layers,
           "HAL system DMA (8237 channel %u) / SCSI Port / hbasub miniport / disk class",
           sc.adapter[0].dma_channel);
  return 0;
}

static void sub_destroy(hbastack_t *k) { sp_system_destroy(k->sys); }

static void sub_stats(const hbastack_t *k, hbastack_stats_t *out) {
  sp_port_stats_t st;
  sp_port_stats(k->port, &st);
  out->srbs_started = st.srbs_started;
  out->srbs_completed = st.srbs_completed;
  out->interrupts = st.interrupts;
  out->interrupts_not_ours = st.interrupts_not_ours;
  out->timeouts = st.timeouts;
  out->bus_resets = st.bus_resets;
  out->apb_accesses = st.apb_accesses;
  out->apb_accesses_dma = st.apb_accesses_dma;
  out->dma_setups = st.io_map_transfers;
  out->dma_cancelled = st.dma_cancelled;
  out->isr_latency_min = st.isr_latency_min;
  out->isr_latency_max = st.isr_latency_max;
  out->isr_latency_sum = st.isr_latency_sum;
  out->isr_latency_n = st.isr_latency_n;
}

static size_t sub_isr_latencies(const hbastack_t *k, uint64_t *out, size_t max) {
  return sp_port_isr_latencies(k->port, out, max);
}

static void *sub_device_extension(const hbastack_t *k) {
  return sp_port_device_extension(k->port);
}

static hal_vf_t *sub_verifier(const hbastack_t *k) { return sp_system_verifier(k->sys); }

const hbastack_backend_t hbastack_sub_backend = {
    sub_create, sub_destroy, sub_stats, sub_isr_latencies, sub_device_extension, sub_verifier,
};
