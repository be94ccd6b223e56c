/* A memory-backed SCSI disk (models/scsi_disk.h) behind a target engine (models/scsi_target.h)
 * at one SCSI ID of a bus: the set-up every test with a disk on the sim's SCSI bus shares
 * (tests/hba, tests/scsiport, tests/storport, tests/system, tests/unit/scsi_bus_test.c).
 *
 *   disk_rig_spec_t sp = disk_rig_spec(t, id, 65536);   // seeds from the test seed and the ID
 *   sp.luns = 2;                                        // what differs from the defaults
 *   scsi_disk_t *d = NULL;
 *   scsi_target_t *tg = NULL;
 *   disk_rig_add(t, sim_scsi_bus(s), id, &sp, &d, &tg);
 *   ...
 *   test_sim_destroy(t, s);       // the bus and its target engines go with the sim
 *   scsi_disk_destroy(d);         // the disk is the caller's
 *
 * Seeds are explicit so that a rig keeps the data and the timing it had before it used this
 * header: same seeds, same disk contents and the same bus cycles. */
#ifndef HBASIM_DISK_RIG_H
#define HBASIM_DISK_RIG_H

#include <string.h>

#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "test.h"

typedef struct disk_rig_spec {
  uint64_t blocks;                  /* capacity of each LUN, in blocks */
  uint32_t block_size;              /* 0: the model's default (512) */
  unsigned luns;                    /* the disk's LUN count, each bound on the target; 0: 1 */
  uint64_t disk_seed;               /* scsi_disk_config_t.seed */
  const scsi_disk_timing_t *timing; /* medium timing; NULL: none (functional tests) ... */
  int model_timing;                 /* ... unless set: the model's default timing */
  const scsi_target_config_t *tc;   /* the target engine's; NULL: scsi_target_config_default */
  uint64_t target_seed;             /* replaces tc->seed */
  const scsi_lu_ops_t *ops;         /* what the LUNs are bound to; NULL: the disk itself ... */
  void *lu;                         /* ... else ops with this LU (which wraps the disk) */
} disk_rig_spec_t;

/* The usual spec for a disk at `id`: `blocks` 512-byte blocks, one LUN, no medium timing, the
 * disk seeded with seed + id and the target with seed ^ ("tg" << 8) ^ id. */
static inline disk_rig_spec_t disk_rig_spec(test_ctx_t *t, unsigned id, uint64_t blocks) {
  disk_rig_spec_t sp;
  memset(&sp, 0, sizeof sp);
  sp.blocks = blocks;
  sp.disk_seed = test_seed(t) + id;
  sp.target_seed = test_seed(t) ^ (0x7467ull << 8) ^ id;
  return sp;
}

/* The disk alone (no target): the test's REQUIRE fails with the model's reason. */
static inline scsi_disk_t *disk_rig_disk(test_ctx_t *t, const disk_rig_spec_t *sp) {
  scsi_disk_config_t dc;
  scsi_disk_config_default(&dc);
  dc.capacity = sp->blocks;
  if (sp->block_size) dc.block_size = sp->block_size;
  dc.lun_count = (uint8_t)(sp->luns ? sp->luns : 1u);
  dc.seed = sp->disk_seed;
  if (sp->timing) dc.timing = *sp->timing;
  else if (!sp->model_timing) memset(&dc.timing, 0, sizeof dc.timing);
  char err[128];
  scsi_disk_t *d = scsi_disk_create(&dc, err, sizeof err);
  REQUIRE(t, d != NULL, "scsi_disk_create: %s", err);
  return d;
}

/* Binds LUNs 0 .. luns-1 (0: LUN 0) of target `tg` to `ops` (NULL: the disk model) with `lu`. */
static inline void disk_rig_bind(test_ctx_t *t, scsi_target_t *tg, unsigned luns,
                                 const scsi_lu_ops_t *ops, void *lu) {
  for (unsigned l = 0; l < (luns ? luns : 1u); l++)
    REQUIRE_EQ(t, scsi_target_bind(tg, l, ops ? ops : &scsi_disk_lu_ops, lu), SCSI_BUS_OK);
}

/* The disk, a target engine at `id` on `bus` and its LUNs bound. *disk_out and *tgt_out are set
 * as soon as each exists, so that a rig's tear-down frees what was made before a failure. */
static inline void disk_rig_add(test_ctx_t *t, scsi_bus_t *bus, unsigned id,
                                const disk_rig_spec_t *sp, scsi_disk_t **disk_out,
                                scsi_target_t **tgt_out) {
  REQUIRE(t, bus != NULL, "SCSI bus");
  scsi_disk_t *d = disk_rig_disk(t, sp);
  *disk_out = d;
  scsi_target_config_t tc;
  if (sp->tc) tc = *sp->tc;
  else scsi_target_config_default(&tc);
  tc.seed = sp->target_seed;
  int e = 0;
  scsi_target_t *tg = scsi_target_create(bus, id, &tc, &e);
  REQUIRE(t, tg != NULL, "scsi_target_create(%u): %s", id, scsi_bus_strerror(e));
  *tgt_out = tg;
  disk_rig_bind(t, tg, sp->luns, sp->ops, sp->ops ? sp->lu : d);
}

/* Arms the faults `flags` (SCSI_FAULT_*; 0 disarms) on target `tg`, every fault's byte index at
 * `at` (each fault reads only its own). */
static inline void disk_rig_faults(test_ctx_t *t, scsi_target_t *tg, uint32_t flags, uint32_t at) {
  scsi_target_faults_t f = {.flags = flags, .parity_byte = at, .hang_after = at,
                            .early_after = at, .extra_bytes = at};
  REQUIRE_EQ(t, scsi_target_set_faults(tg, &f), 0);
}

#endif
