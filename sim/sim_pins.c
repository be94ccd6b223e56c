/* Read-only access to soc_top's pins for observers that sample them cycle by cycle (sim.h,
 * "additions"): the pre-edge sample the last edge took its handshakes from. */
#include "sim_internal.h"

const struct soc_pins *sim_pins_pre(const sim_t *s) { return s ? &s->pre : NULL; }
