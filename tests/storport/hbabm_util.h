/* The hbabm test rig, shared by tests/storport/hbabm_test.c (suite hbabm) and
 * hbabm_sg_test.c (suite hbabm_sg): disk class -> Storport (driver/storport) -> hbabm -> the
 * HBA's scatter/gather engine -> SCSI bus -> C disk model, and raw SRBs through stp_execute.
 * The Storport twin of tests/system/stack_util.h (which is SCSI Port only). */
#ifndef HBASIM_HBABM_UTIL_H
#define HBASIM_HBABM_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stor_port.h"   /* storport.h first: a Storport translation unit */
#include "hbabm.h"
#include "hba_common.h"
#include "hba_regs.h"
#include "disk.h"
#include "disk_rig.h"
#include "hal_dma.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"
#include "srb_req.h"
#include "test.h"
#include "verifier.h"

#define BM_BS 512u
#define BM_BLOCKS 65536u
#define BM_SEL_TIMEOUT 5000u     /* cycles: 100 us, so that the scan over empty IDs is short */
#define BM_WAIT 200000000ull
#define BM_PAGE 4096u
#define BM_MAP_PAGES 512u

typedef struct bm_rig {
  sim_t *s;
  hal_machine_t *hal;
  stp_system_t *sys;
  stp_port_t *port;
  disk_class_t *cls;
  scsi_disk_t *disk;
  scsi_target_t *tgt;
  prng_t rng;
} bm_rig_t;

/* bm_start_opts: what differs from the default rig */
typedef struct bm_opts {
  const char *args;       /* ArgumentString keywords after SelTimeout, NULL = none */
  int fast;               /* the target's REQ/ACK timing at its SCSI-2 minimum */
  uint64_t tick_cycles;   /* the port's one-second tick, 0 = the clock rate */
} bm_opts_t;

/* sim, one 512-byte-block disk at ID 0 (o->fast: minimum REQ/ACK timing), HAL, Storport system with soc_top's HBA, hbabm's
 * DriverEntry (SelTimeout, then o->args, in its ArgumentString; o->tick_cycles the port's tick), the class over port 0 (not
 * scanned) */
static inline void bm_start_opts(test_ctx_t *t, bm_rig_t *r, const bm_opts_t *o) {
  const char *extra_args = o->args;
  memset(r, 0, sizeof *r);
  prng_seed(&r->rng, test_seed(t), 0x68626162ull /* "hbab" */);
  r->s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(r->s, 4));
  REQUIRE(t, sim_scsi_bus(r->s) != NULL, "SCSI bus");

  scsi_target_config_t tc;
  scsi_target_config_default(&tc);
  if (o->fast) {
    /* the target's REQ/ACK timing at its SCSI-2 minimum (data setup 55 ns): long transfers */
    tc.timing.req_delay_ns = 0;
    tc.timing.req_hold_ns = 0;
    tc.timing.data_setup_ns = 55;
  }
  disk_rig_spec_t sp = disk_rig_spec(t, 0, BM_BLOCKS);
  sp.block_size = BM_BS;
  sp.disk_seed = test_seed(t);
  sp.target_seed = test_seed(t) ^ 0x7467ull;
  sp.tc = &tc;
  disk_rig_add(t, sim_scsi_bus(r->s), 0, &sp, &r->disk, &r->tgt);

  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  /* map registers for the miniport's whole 1 MiB (the port lowers MaximumTransferLength and
   * NumberOfPhysicalBreaks to (n - 1) pages of the n it gets: docs/storport.md) */
  hc.map_register_pages = BM_MAP_PAGES;
  r->hal = hal_machine_create(r->s, &hc);
  REQUIRE(t, r->hal != NULL, "hal_machine_create");
  stp_system_config_t pc;
  stp_system_config_hba(&pc, r->s);
  char arg[128];
  snprintf(arg, sizeof arg, HBA_ARG_SEL_TIMEOUT "=%u%s%s", BM_SEL_TIMEOUT,
           extra_args ? " " : "", extra_args ? extra_args : "");
  pc.argument_string = arg;   /* copied by the system */
  pc.tick_cycles = o->tick_cycles;
  r->sys = stp_system_create(r->s, r->hal, &pc);
  REQUIRE(t, r->sys != NULL, "stp_system_create");
  ULONG st = HbaBmDriverEntry(stp_system_driver_object(r->sys), NULL);
  REQUIRE_EQ(t, st, (ULONG)STATUS_SUCCESS);
  REQUIRE(t, stp_system_port_count(r->sys) >= 1, "the miniport found no HBA");
  r->port = stp_system_port(r->sys, 0);

  /* the miniport's programming, read back over APB */
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(r->s, pc.adapter[0].mem_base + HBA_SEL_TIMEOUT, 4, &v));
  CHECK_EQ(t, v, BM_SEL_TIMEOUT);
  REQUIRE_OK(t, sim_apb_read(r->s, pc.adapter[0].mem_base + HBA_CTRL, 4, &v));
  CHECK_EQ(t, (v & HBA_CTRL_MOVER_MASK) >> HBA_CTRL_MOVER_SHIFT, HBA_CTRL_MOVER_BUS_MASTER);
  CHECK_EQ(t, v & HBA_CTRL_ENABLE_MASK, HBA_CTRL_ENABLE_MASK);
  REQUIRE_OK(t, sim_apb_read(r->s, pc.adapter[0].mem_base + HBA_INT_ENABLE, 4, &v));
  CHECK_EQ(t, v, HBA_INT_ENABLE_MASK_MASK);

  port_if_t pif;
  stp_port_if(r->port, &pif);
  r->cls = disk_class_create(r->s, &pif, NULL);
  REQUIRE(t, r->cls != NULL, "disk_class_create");
}

static inline void bm_start_args(test_ctx_t *t, bm_rig_t *r, const char *extra_args) {
  const bm_opts_t o = {extra_args, 0, 0};
  bm_start_opts(t, r, &o);
}
static inline void bm_start(test_ctx_t *t, bm_rig_t *r) { bm_start_args(t, r, NULL); }

static inline void bm_done(test_ctx_t *t, bm_rig_t *r) {
  if (r->cls) {
    CHECK_EQ(t, disk_class_wait_idle(r->cls, 50000000ull), 0);
    disk_class_destroy(r->cls);
  }
  if (r->sys) {
    /* no DDK rule broken by the miniport or the port (HAL and Storport verifier) */
    hal_vf_t *vf = stp_system_verifier(r->sys);
    if (vf) CHECK_EQ(t, hal_vf_count(vf, HAL_VF_NKINDS), 0u);
    stp_system_destroy(r->sys);
  }
  if (r->hal) hal_machine_destroy(r->hal);
  test_sim_destroy(t, r->s);
  scsi_disk_destroy(r->disk);
  memset(r, 0, sizeof *r);
}

static inline const HBABM_DEVICE_EXTENSION *bm_ext(bm_rig_t *r) {
  return stp_port_device_extension(r->port);
}

static inline void bm_fill(bm_rig_t *r, uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = prng_next(&r->rng);
    for (size_t k = 0; k < 8 && i + k < len; k++) p[i + k] = (uint8_t)(v >> (8 * k));
  }
}

static inline uint8_t *bm_buf(test_ctx_t *t, bm_rig_t *r, size_t len, size_t offset) {
  hostmem_buf_t *b = hostmem_buf_alloc(sim_mem(r->s), len, offset, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "hostmem_buf_alloc(%zu, offset %zu)", len, offset);
  return b->va;
}

/* pages a buffer at byte offset `off` in its first page spans */
static inline unsigned span_pages(size_t off, size_t len) {
  return (unsigned)((off + len + BM_PAGE - 1) / BM_PAGE);
}

/* ---- raw SRBs through stp_execute --------------------------------------------------------- */

typedef srb_req_t bm_req_t; /* tests/harness/srb_req.h */

/* TEST UNIT READY (blocks 0) or READ(10) / WRITE(10) of `blocks` at `lba` to target `id`, into
 * a buffer placed by `place` at byte offset `offset` in its first page */
static inline void bm_req_place(test_ctx_t *t, bm_rig_t *r, bm_req_t *q, UCHAR id, UCHAR op,
                                uint32_t lba, uint32_t blocks, hostmem_place_t place,
                                size_t offset) {
  srb_req_prepare(t, r->s, q, id, op, lba, blocks, place, offset);
}

/* ... into a buffer below 16 MiB at byte offset 1 */
static inline void bm_req(test_ctx_t *t, bm_rig_t *r, bm_req_t *q, UCHAR id, UCHAR op,
                          uint32_t lba, uint32_t blocks) {
  bm_req_place(t, r, q, id, op, lba, blocks, HOSTMEM_PLACE_BELOW_16M, 1);
}

static inline void bm_run(test_ctx_t *t, bm_rig_t *r, bm_req_t *q) {
  port_if_t pif;
  stp_port_if(r->port, &pif);
  srb_req_run(t, &pif, q, 20000000u);
}

#endif
