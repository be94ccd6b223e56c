/* Bringing up the whole driver stack for system tests (tests/system/), on either DMA path
 * (driver/stack/hbastack.h): a sim with SCSI disk targets on its bus, then the HAL machine, the
 * port (SCSI Port + hbasub, or Storport + hbabm) with soc_top's HBA as adapter 0, and the disk
 * class over port 0 (docs/disk_class.md).
 *
 *   stack_rig_t r;
 *   stack_init(t, &r, NULL);                        // sim, reset, SCSI bus (subordinate path)
 *   stack_add_disk(t, &r, 0, 1, 65536, 512);        // targets before the port starts
 *   stack_start(t, &r, NULL);                       // HAL, port, miniport, class (no scan)
 *   REQUIRE_EQ(t, disk_class_scan(r.cls), 1);
 *   ... disk_read(disk_class_get(r.cls, 0), ...) ...
 *   stack_done(t, &r);                              // everything torn down, sim checked
 *
 * Buffers for the block API come from stack_buf (host memory, seeded placement). The header
 * includes neither port's headers: a test file that reaches into one path (r.port,
 * hbastack_device_extension) includes that path's headers itself. */
#ifndef HBASIM_STACK_UTIL_H
#define HBASIM_STACK_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk.h"
#include "disk_rig.h"
#include "hal_dma.h"
#include "hba_common.h"
#include "hba_regs.h"
#include "hbastack.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"
#include "test.h"
#include "verifier.h"

#define STACK_MAX_IDS 8u
/* cycles: 100 us instead of the HBA's 250 ms reset value, so that a scan over empty IDs stays
 * short; given to the miniport as its SelTimeout parameter */
#define STACK_SEL_TIMEOUT 5000u

typedef struct stack_config {
  sim_config_t sim;             /* sim_config_default() unless changed */
  hbastack_config_t stack;      /* hbastack_config_default(path) unless changed */
  uint32_t sel_timeout;         /* HBA SEL_TIMEOUT cycles; 0 = STACK_SEL_TIMEOUT */
  const char *argument_string;  /* the miniport's; NULL = "SelTimeout=<sel_timeout>" */
} stack_config_t;

typedef struct stack_rig {
  sim_t *s;
  hbastack_t *k;
  void *port;                          /* sp_port_t * or stp_port_t * (hbastack_port) */
  disk_class_t *cls;
  scsi_disk_t *disk[STACK_MAX_IDS];    /* per SCSI ID, NULL when absent */
  scsi_target_t *tgt[STACK_MAX_IDS];
  stack_config_t cfg;
  prng_t rng;                          /* the test's data and placement choices */
} stack_rig_t;

static inline void stack_config_path(stack_config_t *c, hbastack_path_t path) {
  memset(c, 0, sizeof *c);
  sim_config_default(&c->sim);
  hbastack_config_default(&c->stack, path);
}

static inline void stack_config_default(stack_config_t *c) {
  stack_config_path(c, HBASTACK_SUBORDINATE);
}

/* A sim (reset), its SCSI bus, and the rig's PRNG from the test seed. */
static inline void stack_init(test_ctx_t *t, stack_rig_t *r, const stack_config_t *cfg) {
  memset(r, 0, sizeof *r);
  if (cfg) r->cfg = *cfg;
  else stack_config_default(&r->cfg);
  r->s = test_sim(t, &r->cfg.sim);
  REQUIRE_OK(t, sim_reset(r->s, 4));
  REQUIRE(t, sim_scsi_bus(r->s) != NULL, "SCSI bus");
  prng_seed(&r->rng, test_seed(t), 0x737461636bull /* "stack" */);
}

/* A memory-backed disk at SCSI ID `id` with `luns` LUNs of `blocks` blocks of `block_size`
 * bytes, seeded from the test seed; tc / timing NULL: the target defaults and no medium timing
 * (functional tests). */
static inline scsi_disk_t *stack_add_disk_cfg(test_ctx_t *t, stack_rig_t *r, unsigned id,
                                              unsigned luns, uint64_t blocks, uint32_t block_size,
                                              const scsi_target_config_t *tc_or_null,
                                              const scsi_disk_timing_t *timing_or_null) {
  REQUIRE(t, id < STACK_MAX_IDS && !r->disk[id], "SCSI ID %u", id);
  disk_rig_spec_t sp = disk_rig_spec(t, id, blocks);
  sp.block_size = block_size;
  sp.luns = luns;
  sp.timing = timing_or_null;
  sp.tc = tc_or_null;
  disk_rig_add(t, sim_scsi_bus(r->s), id, &sp, &r->disk[id], &r->tgt[id]);
  return r->disk[id];
}

static inline scsi_disk_t *stack_add_disk(test_ctx_t *t, stack_rig_t *r, unsigned id,
                                          unsigned luns, uint64_t blocks, uint32_t block_size) {
  return stack_add_disk_cfg(t, r, id, luns, blocks, block_size, NULL, NULL);
}

/* The stack on the configured path (hbastack_create): HAL machine, port system, the
 * miniport's DriverEntry with the HBA's selection timeout in its ArgumentString as a registry
 * parameter would carry it, and the disk class over port 0 (ccfg NULL: the class defaults).
 * No scan. */
static inline void stack_start(test_ctx_t *t, stack_rig_t *r, const disk_class_config_t *ccfg) {
  char arg[64];
  uint32_t sel = r->cfg.sel_timeout ? r->cfg.sel_timeout : STACK_SEL_TIMEOUT;
  snprintf(arg, sizeof arg, HBA_ARG_SEL_TIMEOUT "=%u", (unsigned)sel);
  hbastack_config_t kc = r->cfg.stack;
  kc.argument_string = r->cfg.argument_string ? r->cfg.argument_string : arg; /* copied */
  kc.cls = ccfg;
  char err[160];
  r->k = hbastack_create(r->s, &kc, err, sizeof err);
  REQUIRE(t, r->k != NULL, "hbastack_create (%s): %s", hbastack_path_name(kc.path), err);
  r->port = hbastack_port(r->k);
  r->cls = hbastack_class(r->k);
  if (!r->cfg.argument_string) {
    uint32_t v = 0;
    REQUIRE_OK(t, sim_apb_read(r->s, hbastack_hba_base(r->k) + HBA_SEL_TIMEOUT, 4, &v));
    REQUIRE_EQ(t, v, sel); /* the miniport applied its parameter */
  }
}

static inline hbastack_path_t stack_path(const stack_rig_t *r) { return r->cfg.stack.path; }

/* Waits for the class to go idle, checks that the verifier saw no DDK rule broken, then tears
 * the stack down (class, port system, HAL machine), checks the sim's errors and destroys it,
 * then the disks. */
static inline void stack_done(test_ctx_t *t, stack_rig_t *r) {
  if (r->k) {
    CHECK_EQ(t, disk_class_wait_idle(r->cls, 50000000ull), 0);
    hal_vf_t *vf = hbastack_verifier(r->k);
    if (vf) CHECK_EQ(t, hal_vf_count(vf, HAL_VF_NKINDS), 0u);
    hbastack_destroy(r->k);
    r->k = NULL;
    r->cls = NULL;
    r->port = NULL;
  }
  test_sim_destroy(t, r->s);
  r->s = NULL;
  for (unsigned i = 0; i < STACK_MAX_IDS; i++) {
    scsi_disk_destroy(r->disk[i]);
    r->disk[i] = NULL;
  }
}

/* A host memory buffer of len bytes at byte offset `offset` in its first page, pages placed by
 * the seed; freed with the sim. */
static inline uint8_t *stack_buf(test_ctx_t *t, stack_rig_t *r, size_t len, size_t offset,
                                 hostmem_place_t place) {
  hostmem_buf_t *b = hostmem_buf_alloc(sim_mem(r->s), len, offset, place);
  REQUIRE(t, b != NULL, "hostmem_buf_alloc(%zu, offset %zu)", len, offset);
  return b->va;
}

/* len bytes from the rig's PRNG (never a repeating pattern) */
static inline void stack_fill(stack_rig_t *r, uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = prng_next(&r->rng);
    for (size_t k = 0; k < 8 && i + k < len; k++) p[i + k] = (uint8_t)(v >> (8 * k));
  }
}

static inline uint64_t stack_rand(stack_rig_t *r, uint64_t n) {
  return n ? prng_next(&r->rng) % n : 0;
}

#endif
