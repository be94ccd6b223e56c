/* The Verilated soc_top behind a C API. sim/model.cpp is the only C++ of the harness: it owns
 * one VerilatedContext, one Vsoc_top and (optionally) one FST writer per model, so any number
 * of models can live in one process. */
#ifndef HBASIM_MODEL_H
#define HBASIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "soc_pins.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct model model_t;

/* A new model. Verilator's randomised initial state (randReset 2) is seeded from `seed`
 * before the model is constructed. trace_path non-NULL opens an FST file (time unit: ps).
 * NULL on failure, with a message in err. */
model_t *model_create(uint64_t seed, const char *trace_path, char *err, size_t errlen);
/* Closes the trace (final dump at the last time given) and frees everything. */
void model_destroy(model_t *m);
/* Copies every input of p into the model (clk_i included), evaluates it at time_ps and copies
 * every output back into p. */
void model_eval(model_t *m, soc_pins_t *p, uint64_t time_ps);
/* Writes the current values to the trace at time_ps (no-op without a trace). */
void model_dump(model_t *m, uint64_t time_ps);
int  model_tracing(const model_t *m);
/* Flushes the trace file (no-op without a trace). */
void model_flush(model_t *m);

#ifdef __cplusplus
}
#endif

#endif
