/* The SCSI bus between the HBA (RTL, soc_top scsi_hba_o) and the C target models
 * (models/scsi_bus.h, models/scsi_target.h), stepped by the harness after each rising edge. */
#include "scsi_bus.h"
#include "sim_internal.h"

struct scsi_bus *sim_scsi_bus(sim_t *s) {
  if (!s) return NULL;
  if (!s->scsi) {
    s->scsi = scsi_bus_create();
    s->scsi_checks_seen = 0;
  }
  return s->scsi;
}

/* step 4 of the cycle: the targets sample the resolved bus after the edge and answer with
 * their contribution for the next edge; new checker findings become sim errors */
void scsi_link_cycle(sim_t *s) {
  scsi_bus_t *b = s->scsi;
  uint64_t now_ns = s->cycle * s->period_ps / 1000u;
  uint32_t bus = s->pins.scsi_bus_o & SCSI_ALL_LINES;
  scsi_bus_set_external(b, s->pins.scsi_hba_o & SCSI_ALL_LINES);
  if (scsi_bus_due(b, now_ns, bus)) s->pins.scsi_tgt_i = scsi_bus_step(b, now_ns, bus);

  unsigned n = scsi_bus_check_count(b);
  if (n < s->scsi_checks_seen) s->scsi_checks_seen = 0; /* a test cleared the checker */
  for (unsigned i = s->scsi_checks_seen; i < n; i++) {
    const char *txt = scsi_bus_check_text(b, i);
    sim_error(s, "SCSI bus: %s", txt ? txt : "(finding text not kept)");
  }
  s->scsi_checks_seen = n;
}

void scsi_link_free(sim_t *s) {
  scsi_bus_destroy(s->scsi);
  s->scsi = NULL;
}
