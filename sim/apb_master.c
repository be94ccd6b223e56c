/* APB4 master (AMBA APB protocol specification IHI 0024C): the CPU's register accesses.
 *
 * A transfer is a setup phase (PSEL, !PENABLE) for one edge, then access phases (PSEL,
 * PENABLE) until an edge at which PREADY was high: that edge completes it, with PRDATA and
 * PSLVERR as they were just before it. Every call is a preemption point: pending interrupts
 * (and DPCs, when the IRQL allows) run before the transfer starts, never inside it. */
#include <stdio.h>

#include "sim_internal.h"

void apb_idle(sim_t *s) {
  s->pins.apb_psel_i = 0;
  s->pins.apb_penable_i = 0;
}

static int apb_transfer(sim_t *s, int write, uint32_t addr, uint32_t wdata, uint8_t strb,
                        uint32_t *rdata) {
  if (sim_status_(s)) return SIM_E_FAILED;
  if (s->in_reset) return SIM_E_RESET;
  sim_dispatch(s);
  if (sim_status_(s)) return SIM_E_FAILED;
  if (s->in_reset) return SIM_E_RESET;  /* a DPC or ISR put the system into reset */

  /* setup phase */
  s->pins.apb_psel_i = 1;
  s->pins.apb_penable_i = 0;
  s->pins.apb_pwrite_i = (uint8_t)(write != 0);
  s->pins.apb_paddr_i = addr;
  s->pins.apb_pprot_i = 0;  /* normal, secure, data */
  s->pins.apb_pwdata_i = write ? wdata : 0;
  s->pins.apb_pstrb_i = write ? strb : 0;  /* APB4: PSTRB low on reads */
  sim_tick(s);

  /* access phase */
  s->pins.apb_penable_i = 1;
  unsigned waits = 0;
  uint64_t req_cycle = s->cycle + 1;
  for (;;) {
    sim_tick(s);
    if (s->pre.apb_pready_o) break;
    if (++waits > s->cfg.apb_timeout || s->bound_hit) {
      apb_idle(s);
      s->apb_last_req = req_cycle;
      s->apb_last_waits = waits;
      if (s->bound_hit) return SIM_E_FAILED;
      sim_error(s, "APB %s 0x%08x: no PREADY after %u wait states (apb_timeout %u)",
                write ? "write" : "read", addr, waits, s->cfg.apb_timeout);
      return SIM_E_TIMEOUT;
    }
  }
  apb_idle(s);
  s->apb_count++;
  s->apb_last_req = req_cycle;
  s->apb_last_waits = waits;
  if (rdata) *rdata = s->pre.apb_prdata_o;
  if (s->pre.apb_pslverr_o) return sim_status_(s) ? SIM_E_FAILED : SIM_E_SLVERR;
  return sim_status_(s);
}

static int size_strb(uint32_t addr, unsigned size, uint8_t *strb) {
  if (size != 1 && size != 2 && size != 4) return SIM_E_ARG;
  if (addr % size) return SIM_E_ARG;
  *strb = (uint8_t)(((1u << size) - 1u) << (addr & 3u));
  return SIM_OK;
}

int sim_apb_write(sim_t *s, uint32_t addr, uint32_t data, unsigned size) {
  uint8_t strb;
  if (!s || size_strb(addr, size, &strb) != SIM_OK) return SIM_E_ARG;
  if (size < 4) data = (data & ((1u << (8 * size)) - 1u)) << (8 * (addr & 3u));
  return apb_transfer(s, 1, addr, data, strb, NULL);
}

int sim_apb_write_strb(sim_t *s, uint32_t addr, uint32_t data, uint8_t strb) {
  if (!s || strb > 15) return SIM_E_ARG;
  return apb_transfer(s, 1, addr, data, strb, NULL);
}

int sim_apb_read(sim_t *s, uint32_t addr, unsigned size, uint32_t *data) {
  uint8_t strb;
  if (!s || !data || size_strb(addr, size, &strb) != SIM_OK) return SIM_E_ARG;
  uint32_t v = 0;
  int rc = apb_transfer(s, 0, addr, 0, 0, &v);
  if (size < 4) v = (v >> (8 * (addr & 3u))) & ((1u << (8 * size)) - 1u);
  *data = v;
  return rc;
}

uint64_t sim_apb_count(const sim_t *s) { return s ? s->apb_count : 0; }
uint64_t sim_apb_last_req_cycle(const sim_t *s) { return s ? s->apb_last_req : 0; }
unsigned sim_apb_last_wait_states(const sim_t *s) { return s ? s->apb_last_waits : 0; }

/* port p is the 32-bit word at APB address 4*p, data in bits [7:0] */
int sim_outb(sim_t *s, uint16_t port, uint8_t v) {
  if (!s) return SIM_E_ARG;
  return apb_transfer(s, 1, 4u * port, v, 0x1, NULL);
}

int sim_inb(sim_t *s, uint16_t port, uint8_t *v) {
  if (!s || !v) return SIM_E_ARG;
  uint32_t d = 0;
  int rc = apb_transfer(s, 0, 4u * port, 0, 0, &d);
  *v = (uint8_t)d;
  return rc;
}
