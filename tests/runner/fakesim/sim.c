/* The fake sim of tests/runner/fakesim/sim.h: a cycle counter, an error log, and a "trace"
 * file that gets its last line only when the sim is destroyed (as an FST is only complete
 * once its writer is closed). */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRORS 16

struct sim {
  sim_config_t cfg;
  uint64_t cycle;
  char errors[MAX_ERRORS][160];
  unsigned nerrors;
  FILE *trace;
};

void sim_config_default(sim_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->clk_hz = 50000000;
  cfg->mem_size = 64u << 20;
  cfg->apb_timeout = 1000;
}

sim_t *sim_create(const sim_config_t *cfg) {
  sim_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cfg = *cfg;
  if (cfg->trace_path) {
    s->trace = fopen(cfg->trace_path, "w");
    if (!s->trace) {
      fprintf(stderr, "sim_create: cannot open %s\n", cfg->trace_path);
      free(s);
      return NULL;
    }
    fprintf(s->trace, "seed %llu\n", (unsigned long long)cfg->seed);
  }
  s->cfg.trace_path = NULL; /* not ours to keep */
  return s;
}

void sim_destroy(sim_t *s) {
  if (!s) return;
  if (s->trace) {
    fprintf(s->trace, "closed at cycle %llu\n", (unsigned long long)s->cycle);
    fclose(s->trace);
  }
  free(s);
}

int sim_step(sim_t *s, uint64_t cycles) {
  if (s->cfg.max_cycles && s->cycle + cycles > s->cfg.max_cycles) {
    s->cycle = s->cfg.max_cycles;
    sim_error(s, "max_cycles %llu reached", (unsigned long long)s->cfg.max_cycles);
    return SIM_E_FAILED;
  }
  s->cycle += cycles;
  return SIM_OK;
}

uint64_t sim_cycle(const sim_t *s) { return s->cycle; }
uint64_t sim_seed(const sim_t *s) { return s->cfg.seed; }
uint64_t sim_max_cycles(const sim_t *s) { return s->cfg.max_cycles; }

void sim_error(sim_t *s, const char *fmt, ...) {
  char msg[120];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (s->nerrors < MAX_ERRORS)
    snprintf(s->errors[s->nerrors++], sizeof s->errors[0], "cycle %llu: %s",
             (unsigned long long)s->cycle, msg);
  fprintf(stderr, "sim error: cycle %llu: %s\n", (unsigned long long)s->cycle, msg);
}

unsigned sim_error_count(const sim_t *s) { return s->nerrors; }
const char *sim_error_text(const sim_t *s, unsigned i) {
  return i < s->nerrors ? s->errors[i] : NULL;
}
void sim_clear_errors(sim_t *s) { s->nerrors = 0; }
