/* hbastack's bus-master path: Storport (driver/storport) with soc_top's HBA as a bus-master
 * scatter/gather adapter, and the hbabm miniport. */
#include "storport.h"   /* first: a Storport translation unit */
#include "stor_port.h"
#include "hbabm.h"
#include "hbastack_impl.h"

#include <stdio.h>

static int bm_create(hbastack_t *k, char *err, size_t errlen) {
  stp_system_config_t sc;
  stp_system_config_hba(&sc, k->s);
  sc.tick_cycles = k->cfg.tick_cycles;
  sc.argument_string = k->arg[0] ? k->arg : NULL;
  stp_system_t *sys = stp_system_create(k->s, k->hal, &sc);
  if (!sys) {
    snprintf(err, errlen, "stp_system_create failed (see stderr)");
    return -1;
  }
  k->sys = sys;
  ULONG st = HbaBmDriverEntry(stp_system_driver_object(sys), NULL);
  if (st != (ULONG)STATUS_SUCCESS || stp_system_port_count(sys) < 1) {
    snprintf(err, errlen, "HbaBmDriverEntry: 0x%08x, %u port(s)", (unsigned)st,
             stp_system_port_count(sys));
    return -1;
  }
  stp_port_t *p = stp_system_port(sys, 0);
  k->port = p;
  k->hba_base = sc.adapter[0].mem_base;
  stp_port_if(p, &k->pif);
  snprintf(k->layers, sizeof k->layers,
           "HAL scatter/gather (HBA bus master on AXI) / Storport / hbabm miniport / disk class");
  return 0;
}

static void bm_destroy(hbastack_t *k) { stp_system_destroy(k->sys); }

static void bm_stats(const hbastack_t *k, hbastack_stats_t *out) {
  stp_port_stats_t st;
  stp_port_stats(k->port, &st);
  out->srbs_started = st.srbs_started;
  out->srbs_completed = st.srbs_completed;
  out->interrupts = st.interrupts;
  out->interrupts_not_ours = st.interrupts_not_ours;
  out->timeouts = st.timeouts;
  out->bus_resets = st.bus_resets;
  out->apb_accesses = st.apb_accesses;
  out->apb_accesses_dma = 0;
  out->dma_setups = st.sg_lists_built;
  out->dma_cancelled = 0;
  out->isr_latency_min = st.isr_latency_min;
  out->isr_latency_max = st.isr_latency_max;
  out->isr_latency_sum = st.isr_latency_sum;
  out->isr_latency_n = st.isr_latency_n;
}

static size_t bm_isr_latencies(const hbastack_t *k, uint64_t *out, size_t max) {
  return stp_port_isr_latencies(k->port, out, max);
}

static void *bm_device_extension(const hbastack_t *k) {
  return stp_port_device_extension(k->port);
}

static hal_vf_t *bm_verifier(const hbastack_t *k) { return stp_system_verifier(k->sys); }

const hbastack_backend_t hbastack_bm_backend = {
    bm_create, bm_destroy, bm_stats, bm_isr_latencies, bm_device_extension, bm_verifier,
};
