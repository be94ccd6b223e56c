/* A stand-in for sim/sim.h with just what tests/harness/test.c uses (the declarations follow
 * docs/contracts.md section 6), so that tests/runner/run.sh can check the test framework
 * without the Verilated model. */
#ifndef HBASIM_FAKESIM_H
#define HBASIM_FAKESIM_H

#include <stdint.h>

typedef enum {
  SIM_OK = 0, SIM_E_SLVERR = -1, SIM_E_RESET = -2, SIM_E_TIMEOUT = -3, SIM_E_ARG = -4,
  SIM_E_FAILED = -5, SIM_E_NOMEM = -6
} sim_status_t;

typedef struct sim sim_t;
typedef struct sim_config {
  uint32_t clk_hz;
  uint64_t seed;
  uint64_t mem_size;
  const char *trace_path;
  uint32_t irq_entry_latency;
  uint64_t max_cycles;
  uint32_t apb_timeout;
} sim_config_t;

void sim_config_default(sim_config_t *cfg);
sim_t *sim_create(const sim_config_t *cfg);
void sim_destroy(sim_t *s);
int sim_step(sim_t *s, uint64_t cycles);          /* past max_cycles: records an error */
uint64_t sim_cycle(const sim_t *s);
uint64_t sim_seed(const sim_t *s);
uint64_t sim_max_cycles(const sim_t *s);           /* fake only: the bound it was given */
void sim_error(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned sim_error_count(const sim_t *s);
const char *sim_error_text(const sim_t *s, unsigned i);
void sim_clear_errors(sim_t *s);

#endif
