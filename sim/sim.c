/* hbasim harness core: configuration, life cycle, the per-cycle order, the failure log, and
 * the CPU side's interrupt model (IRQL, ISR dispatch with entry latency, DPCs, timers, waits).
 *
 * Per cycle (sim_tick, docs/contracts.md section 6):
 *   1. the device models and the AXI slave drive their inputs from the outputs seen after the
 *      previous edge;
 *   2. the model is evaluated with clk low; the outputs are the pre-edge sample (s->pre);
 *   3. the clock rises (edge number s->cycle);
 *   4. handshakes are taken from the pre-edge sample, the checker runs, waves are dumped;
 *   5. the IRQ lines are sampled (rising edges recorded).
 * Interrupt delivery, DPCs and timers happen at preemption points (sim_dispatch): after each
 * cycle of sim_step / waits, before each APB transaction, and when the IRQL is lowered. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

void sim_config_default(sim_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->clk_hz = 50000000u;
  cfg->seed = 1;
  cfg->mem_size = 64ull << 20;
  cfg->trace_path = NULL;
  cfg->irq_entry_latency = 0;
  cfg->max_cycles = 0;
  cfg->apb_timeout = 1000;
}

/* ---- failure log ------------------------------------------------------------------------ */

void sim_error(sim_t *s, const char *fmt, ...) {
  if (!s) return;
  char msg[512], line[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(line, sizeof line, "cycle %" PRIu64 ": %s", s->cycle, msg);
  fprintf(stderr, "sim error: %s\n", line);
  if (s->nerr < SIM_MAX_ERROR_TEXTS) s->err[s->nerr] = strdup(line);
  s->nerr++;
}

unsigned sim_error_count(const sim_t *s) { return s ? s->nerr : 0; }

const char *sim_error_text(const sim_t *s, unsigned i) {
  if (!s || i >= s->nerr) return NULL;
  if (i >= SIM_MAX_ERROR_TEXTS) return "(error text not kept: too many errors)";
  return s->err[i] ? s->err[i] : "(out of memory for the error text)";
}

void sim_clear_errors(sim_t *s) {
  if (!s) return;
  unsigned n = s->nerr < SIM_MAX_ERROR_TEXTS ? s->nerr : SIM_MAX_ERROR_TEXTS;
  for (unsigned i = 0; i < n; i++) {
    free(s->err[i]);
    s->err[i] = NULL;
  }
  s->nerr = 0;
}

int sim_status_(const sim_t *s) { return (s->bound_hit || s->nerr) ? SIM_E_FAILED : SIM_OK; }

/* ---- life cycle ------------------------------------------------------------------------- */

const model_ops_t *model_variant(unsigned hba_dma_chan) {
  switch (hba_dma_chan) {
  case 0:
  case 5: return &model_ops_ch5;
  case 1: return &model_ops_ch1;
  default: return NULL;
  }
}

sim_t *sim_create(const sim_config_t *cfg) {
  sim_config_t def;
  if (!cfg) {
    sim_config_default(&def);
    cfg = &def;
  }
  if (cfg->clk_hz == 0 || cfg->mem_size == 0 || cfg->mem_size > HOSTMEM_MAX_SIZE ||
      cfg->mem_size % HOSTMEM_PAGE_SIZE) {
    fprintf(stderr, "sim_create: bad configuration (clk_hz %" PRIu32 ", mem_size %" PRIu64
                    ")\n", cfg->clk_hz, cfg->mem_size);
    return NULL;
  }
  const model_ops_t *ops = model_variant(cfg->hba_dma_chan);
  if (!ops) {
    fprintf(stderr, "sim_create: no soc_top variant with the HBA on sysdma channel %u "
                    "(built: 5, 1)\n", cfg->hba_dma_chan);
    return NULL;
  }
  sim_t *s = calloc(1, sizeof *s);
  if (!s) {
    fprintf(stderr, "sim_create: out of memory\n");
    return NULL;
  }
  s->cfg = *cfg;
  if (cfg->trace_path) {
    s->trace_path = strdup(cfg->trace_path);
    if (!s->trace_path) goto nomem;
    s->cfg.trace_path = s->trace_path;
  }
  s->period_ps = 1000000000000ull / cfg->clk_hz;
  if (s->period_ps < 2) s->period_ps = 2;
  prng_seed(&s->rng, cfg->seed, SIM_STREAM_USER);

  s->mem = hostmem_create(cfg->mem_size, cfg->seed);
  if (!s->mem) {
    fprintf(stderr, "sim_create: hostmem_create(%" PRIu64 ") failed\n", cfg->mem_size);
    goto fail;
  }
  char err[256] = "";
  s->model = model_create(ops, cfg->seed, s->trace_path, err, sizeof err);
  if (!s->model) {
    fprintf(stderr, "sim_create: %s\n", err[0] ? err : "model_create failed");
    goto fail;
  }
  s->dpc_cap = 16;
  s->dpc = calloc(s->dpc_cap, sizeof *s->dpc);
  s->timers_cap = 16;
  s->timers = calloc(s->timers_cap, sizeof *s->timers);
  if (!s->dpc || !s->timers) goto nomem;
  s->irql = SIM_PASSIVE_LEVEL;
  axi_slave_init(s);
  axi_checker_reset(s);
  dmadev_init(s);
  apb_idle(s);

  /* Start in reset: a defined falling edge of rst_ni (the randomised initial state is then
   * cleared by the asynchronous reset), and nothing may access the RTL before sim_reset. */
  s->pins.clk_i = 0;
  s->pins.rst_ni = 1;
  model_eval(s->model, &s->pins, 0);
  s->pins.rst_ni = 0;
  model_eval(s->model, &s->pins, 0);
  model_dump(s->model, 0);
  s->pre = s->pins;
  s->in_reset = 1;
  return s;

nomem:
  fprintf(stderr, "sim_create: out of memory\n");
fail:
  sim_destroy(s);
  return NULL;
}

void sim_destroy(sim_t *s) {
  if (!s) return;
  if (s->model) {
    model_dump(s->model, s->cycle * s->period_ps);
    model_destroy(s->model);
  }
  scsi_link_free(s);
  if (s->mem) hostmem_destroy(s->mem);
  dmadev_free(s);
  sim_clear_errors(s);
  free(s->dpc);
  free(s->timers);
  free(s->trace_path);
  free(s);
}

uint64_t sim_cycle(const sim_t *s) { return s ? s->cycle : 0; }
uint64_t sim_time_ps(const sim_t *s) { return s ? s->cycle * s->period_ps : 0; }
uint64_t sim_seed(const sim_t *s) { return s ? s->cfg.seed : 0; }
struct hostmem *sim_mem(sim_t *s) { return s ? s->mem : NULL; }
uint64_t sim_rand(sim_t *s) { return s ? prng_next(&s->rng) : 0; }
int sim_in_reset(const sim_t *s) { return s ? s->in_reset : 0; }
uint64_t sim_max_cycles(const sim_t *s) { return s ? s->cfg.max_cycles : 0; }
uint32_t sim_clk_hz(const sim_t *s) { return s ? s->cfg.clk_hz : 0; }
int sim_trace_enable(sim_t *s, int on) {
  if (!s) return SIM_E_ARG;
  int was = !s->trace_paused;
  s->trace_paused = !on;
  return was;
}

unsigned sim_hba_dma_chan(const sim_t *s) { return s ? s->model->ops->hba_dma_chan : 0; }

/* ---- the clock -------------------------------------------------------------------------- */

void sim_tick(sim_t *s) {
  /* 1. models drive the inputs for the coming edge */
  if (!s->in_reset) {
    if (s->dev_active) dmadev_cycle(s);
    axi_slave_drive(s);
  }
  /* 2. clock low: combinational outputs settle; this is what the edge will see */
  uint64_t t_edge = (s->cycle + 1) * s->period_ps;
  s->pins.clk_i = 0;
  model_eval(s->model, &s->pins, t_edge - s->period_ps / 2);
  if (!s->trace_paused) model_dump(s->model, t_edge - s->period_ps / 2);
  s->pre = s->pins;
  /* 3. the rising edge */
  s->cycle++;
  s->pins.clk_i = 1;
  model_eval(s->model, &s->pins, t_edge);
  /* 4. handshakes, checks, waves */
  if (!s->in_reset) {
    axi_slave_edge(s);
    axi_checker_edge(s);
  }
  if (s->scsi) scsi_link_cycle(s);
  if (!s->trace_paused) model_dump(s->model, t_edge);
  /* 5. interrupt lines */
  uint8_t lv = s->pins.irq_o;
  uint8_t rise = (uint8_t)(lv & ~s->irq_level);
  while (rise) {
    unsigned l = (unsigned)__builtin_ctz(rise);
    rise &= (uint8_t)(rise - 1);
    s->irq[l].assert_cycle = s->cycle;
    s->irq[l].pending_since = s->cycle;
  }
  for (unsigned l = 0; l < SIM_IRQ_LINES; l++)
    if (!(lv >> l & 1u)) s->irq[l].storm = 0;
  s->irq_level = lv;

  if (s->cfg.max_cycles && s->cycle >= s->cfg.max_cycles && !s->bound_hit) {
    s->bound_hit = 1;
    sim_error(s, "max_cycles %" PRIu64 " reached: the simulation stops here",
              s->cfg.max_cycles);
  }
}

int sim_reset(sim_t *s, unsigned cycles) {
  if (!s || cycles == 0) return SIM_E_ARG;
  if (s->bound_hit) return SIM_E_FAILED;
  apb_idle(s);
  axi_slave_reset(s);
  axi_checker_reset(s);
  dmadev_reset_pins(s);
  s->pins.rst_ni = 0;
  s->in_reset = 1;
  for (unsigned i = 0; i < cycles && !s->bound_hit; i++) sim_tick(s);
  s->pins.rst_ni = 1;
  s->in_reset = 0;
  return sim_status_(s);
}

/* ---- interrupts, DPCs and timers -------------------------------------------------------- */

static void take_interrupt(sim_t *s, unsigned l) {
  irq_line_t *ln = &s->irq[l];
  /* entry latency: the CPU is committed to the vector; the clock runs, nothing preempts */
  for (uint32_t i = 0; i < s->cfg.irq_entry_latency && !s->bound_hit; i++) sim_tick(s);
  uint64_t lat = s->cycle - ln->pending_since;
  ln->last_entry = s->cycle;
  if (ln->stats.count == 0 || lat < ln->stats.lat_min) ln->stats.lat_min = lat;
  if (lat > ln->stats.lat_max) ln->stats.lat_max = lat;
  ln->stats.lat_sum += lat;
  ln->stats.count++;
  s->isr_count++;
  unsigned old = s->irql;
  s->irql = SIM_DIRQL;
  ln->fn(s, l, ln->ctx);
  s->irql = old;
  ln->ran = 1;
  ln->ret_cycle = s->cycle;
  if (s->irq_level >> l & 1u) {
    /* level-triggered: still high, so it is pending again from now */
    ln->pending_since = s->cycle;
    if (++ln->storm >= SIM_IRQ_STORM && !ln->storm_reported) {
      ln->storm_reported = 1;
      sim_error(s, "irq line %u: ISR ran %u times in a row without the line dropping "
                   "(the ISR does not clear the cause)", l, ln->storm);
    }
  }
}

static int dpc_push(sim_t *s, sim_dpc_fn fn, void *ctx) {
  if (s->dpc_n == s->dpc_cap) {
    size_t cap = s->dpc_cap * 2;
    dpc_ent_t *p = malloc(cap * sizeof *p);
    if (!p) return SIM_E_NOMEM;
    for (size_t i = 0; i < s->dpc_n; i++) p[i] = s->dpc[(s->dpc_head + i) % s->dpc_cap];
    free(s->dpc);
    s->dpc = p;
    s->dpc_cap = cap;
    s->dpc_head = 0;
  }
  s->dpc[(s->dpc_head + s->dpc_n) % s->dpc_cap] = (dpc_ent_t){fn, ctx};
  s->dpc_n++;
  return SIM_OK;
}

/* expired timers join the DPC queue in (due, id) order */
static void expire_timers(sim_t *s) {
  size_t k = 0;
  while (k < s->ntimers && s->timers[k].due <= s->cycle) {
    if (dpc_push(s, s->timers[k].fn, s->timers[k].ctx) != SIM_OK) {
      sim_error(s, "timer %d: out of memory queueing its DPC", s->timers[k].id);
    }
    k++;
  }
  if (k) {
    memmove(s->timers, s->timers + k, (s->ntimers - k) * sizeof *s->timers);
    s->ntimers -= k;
  }
}

void sim_dispatch(sim_t *s) {
  for (;;) {
    if (s->in_reset || s->bound_hit) return;
    if (s->irql < SIM_DIRQL) {
      uint8_t pend = s->irq_level & s->irq_connected;
      int taken = 0;
      while (pend) {
        unsigned l = (unsigned)__builtin_ctz(pend);
        pend &= (uint8_t)(pend - 1);
        irq_line_t *ln = &s->irq[l];
        /* an ISR that returned without time passing and left its line high is taken again
         * at the next cycle, not in a loop at this one */
        if (ln->ran && ln->ret_cycle == s->cycle) continue;
        if (ln->storm_reported) continue;
        take_interrupt(s, l);
        taken = 1;
        break;
      }
      if (taken) continue;
    }
    if (s->irql < SIM_DISPATCH_LEVEL) {
      if (s->ntimers && s->timers[0].due <= s->cycle) expire_timers(s);
      if (s->dpc_n) {
        dpc_ent_t d = s->dpc[s->dpc_head];
        s->dpc_head = (s->dpc_head + 1) % s->dpc_cap;
        s->dpc_n--;
        unsigned old = s->irql;
        s->irql = SIM_DISPATCH_LEVEL;
        d.fn(s, d.ctx);
        s->irql = old;
        continue;
      }
    }
    return;
  }
}

int sim_irq_connect(sim_t *s, unsigned line, sim_isr_fn fn, void *ctx) {
  if (!s || line >= SIM_IRQ_LINES || !fn) return SIM_E_ARG;
  s->irq[line].fn = fn;
  s->irq[line].ctx = ctx;
  s->irq[line].storm = 0;
  s->irq[line].storm_reported = 0;
  s->irq_connected |= (uint8_t)(1u << line);
  return SIM_OK;
}

int sim_irq_disconnect(sim_t *s, unsigned line) {
  if (!s || line >= SIM_IRQ_LINES) return SIM_E_ARG;
  s->irq[line].fn = NULL;
  s->irq[line].ctx = NULL;
  s->irq_connected &= (uint8_t)~(1u << line);
  return SIM_OK;
}

unsigned sim_irql(const sim_t *s) { return s ? s->irql : 0; }

unsigned sim_raise_irql(sim_t *s, unsigned new_irql) {
  if (!s) return 0;
  unsigned old = s->irql;
  if (new_irql > SIM_HIGH_LEVEL || new_irql < old) {
    sim_error(s, "sim_raise_irql(%u) at IRQL %u: the new IRQL must be >= the current one and "
                 "<= HIGH_LEVEL", new_irql, old);
    return old;
  }
  s->irql = new_irql;
  return old;
}

void sim_lower_irql(sim_t *s, unsigned old_irql) {
  if (!s) return;
  if (old_irql > s->irql) {
    sim_error(s, "sim_lower_irql(%u) at IRQL %u: cannot lower to a higher IRQL", old_irql,
              s->irql);
    return;
  }
  s->irql = old_irql;
  if (!s->bound_hit) sim_dispatch(s);
}

int sim_irq_line(const sim_t *s, unsigned line) {
  if (!s || line >= SIM_IRQ_LINES) return 0;
  return (s->irq_level >> line) & 1u;
}

uint64_t sim_irq_assert_cycle(const sim_t *s, unsigned line) {
  return (s && line < SIM_IRQ_LINES) ? s->irq[line].assert_cycle : 0;
}

void sim_irq_stats(const sim_t *s, unsigned line, sim_irq_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (s && line < SIM_IRQ_LINES) *out = s->irq[line].stats;
}

uint64_t sim_irq_last_entry_cycle(const sim_t *s, unsigned line) {
  return (s && line < SIM_IRQ_LINES) ? s->irq[line].last_entry : 0;
}

uint64_t sim_isr_count(const sim_t *s) { return s ? s->isr_count : 0; }

int sim_queue_dpc(sim_t *s, sim_dpc_fn fn, void *ctx) {
  if (!s || !fn) return SIM_E_ARG;
  return dpc_push(s, fn, ctx);
}

int sim_timer_start(sim_t *s, uint64_t delay_cycles, sim_dpc_fn fn, void *ctx) {
  if (!s || !fn || s->next_timer_id == INT32_MAX) return SIM_E_ARG;
  if (s->ntimers == s->timers_cap) {
    size_t cap = s->timers_cap * 2;
    timer_ent_t *p = realloc(s->timers, cap * sizeof *p);
    if (!p) return SIM_E_NOMEM;
    s->timers = p;
    s->timers_cap = cap;
  }
  uint64_t due = s->cycle + delay_cycles;
  if (due < s->cycle) due = UINT64_MAX;
  size_t k = s->ntimers;
  while (k > 0 && s->timers[k - 1].due > due) k--;  /* equal dues keep start order */
  memmove(s->timers + k + 1, s->timers + k, (s->ntimers - k) * sizeof *s->timers);
  int id = s->next_timer_id++;
  s->timers[k] = (timer_ent_t){due, id, fn, ctx};
  s->ntimers++;
  return id;
}

int sim_timer_cancel(sim_t *s, int id) {
  if (!s) return SIM_E_ARG;
  for (size_t k = 0; k < s->ntimers; k++) {
    if (s->timers[k].id != id) continue;
    memmove(s->timers + k, s->timers + k + 1, (s->ntimers - k - 1) * sizeof *s->timers);
    s->ntimers--;
    return SIM_OK;
  }
  return SIM_E_ARG;  /* unknown, already expired or cancelled */
}

/* ---- running ---------------------------------------------------------------------------- */

int sim_step(sim_t *s, uint64_t cycles) {
  if (!s) return SIM_E_ARG;
  if (sim_status_(s)) return SIM_E_FAILED;
  uint64_t target = s->cycle + cycles;
  if (target < s->cycle) target = UINT64_MAX;
  sim_dispatch(s);
  while (s->cycle < target) {
    if (sim_status_(s)) return SIM_E_FAILED;
    sim_tick(s);
    sim_dispatch(s);
  }
  return sim_status_(s);
}

int sim_wait_irq(sim_t *s, uint64_t max_cycles) {
  if (!s) return SIM_E_ARG;
  if (sim_status_(s)) return SIM_E_FAILED;
  uint64_t isr0 = s->isr_count, c0 = s->cycle;
  sim_dispatch(s);
  for (;;) {
    if (s->isr_count != isr0) return sim_status_(s);
    if (sim_status_(s)) return SIM_E_FAILED;
    if (s->cycle - c0 >= max_cycles) return SIM_E_TIMEOUT;
    sim_tick(s);
    sim_dispatch(s);
  }
}

int sim_wait_until(sim_t *s, sim_cond_fn cond, void *ctx, uint64_t max_cycles) {
  if (!s || !cond) return SIM_E_ARG;
  if (sim_status_(s)) return SIM_E_FAILED;
  uint64_t c0 = s->cycle;
  sim_dispatch(s);
  for (;;) {
    if (sim_status_(s)) return SIM_E_FAILED;
    if (cond(s, ctx)) return sim_status_(s);
    if (s->cycle - c0 >= max_cycles) return SIM_E_TIMEOUT;
    sim_tick(s);
    sim_dispatch(s);
  }
}
