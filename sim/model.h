/* The Verilated soc_top behind a C API. sim/model.cpp is the only C++ of the harness: it owns
 * one VerilatedContext, one Verilated soc_top and (optionally) one FST writer per model, so any
 * number of models, of any variants, can live in one process. */
#ifndef HBASIM_MODEL_H
#define HBASIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "soc_pins.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A model is one soc_top variant behind an operations table. Variants differ only in
 * soc_top parameters fixed at Verilation (docs/harness.md "Model variants"); each is built
 * from sim/model.cpp with its own Verilator --prefix, so all of them link into one binary. */
typedef struct model model_t;
typedef struct model_ops {
  const char *name;          /* "ch5", "ch1" */
  unsigned hba_dma_chan;     /* soc_top HbaDmaChan of this variant */
  /* A new model. Verilator's randomised initial state (randReset 2) is seeded from `seed`
   * before the model is constructed. trace_path non-NULL opens an FST file (time unit: ps).
   * NULL on failure, with a message in err. */
  model_t *(*create)(uint64_t seed, const char *trace_path, char *err, size_t errlen);
  /* Closes the trace (final dump at the last time given) and frees everything. */
  void (*destroy)(model_t *m);
  /* Copies every input of p into the model (clk_i included), evaluates it at time_ps and
   * copies every output back into p. */
  void (*eval)(model_t *m, soc_pins_t *p, uint64_t time_ps);
  /* Writes the current values to the trace at time_ps (no-op without a trace). */
  void (*dump)(model_t *m, uint64_t time_ps);
  int (*tracing)(const model_t *m);
  /* Flushes the trace file (no-op without a trace). */
  void (*flush)(model_t *m);
} model_ops_t;

struct model {
  const model_ops_t *ops;    /* every variant's model starts with this */
};

extern const model_ops_t model_ops_ch5;   /* HbaDmaChan 5 (16-bit channel): the default */
extern const model_ops_t model_ops_ch1;   /* HbaDmaChan 1 (8-bit channel) */

/* The variant whose HBA subordinate mover is on sysdma channel `hba_dma_chan` (0: the
 * default, 5); NULL when no such variant is built. */
const model_ops_t *model_variant(unsigned hba_dma_chan);

static inline model_t *model_create(const model_ops_t *ops, uint64_t seed,
                                    const char *trace_path, char *err, size_t errlen) {
  return ops->create(seed, trace_path, err, errlen);
}
static inline void model_destroy(model_t *m) {
  if (m) m->ops->destroy(m);
}
static inline void model_eval(model_t *m, soc_pins_t *p, uint64_t time_ps) {
  m->ops->eval(m, p, time_ps);
}
static inline void model_dump(model_t *m, uint64_t time_ps) { m->ops->dump(m, time_ps); }
static inline int model_tracing(const model_t *m) { return m->ops->tracing(m); }
static inline void model_flush(model_t *m) { m->ops->flush(m); }

#ifdef __cplusplus
}
#endif

#endif
