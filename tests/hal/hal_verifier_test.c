/* The driver-side verifier: each documented DMA rule broken on purpose (and declared expected),
 * caught with its kind, the cycle, the driver's call site and the rule it mirrors; an
 * unexpected violation fails the test through sim_error. Each bad argument returns its error
 * without crashing. The host memory DMA verifier is on: after the flush the device may not
 * touch the pages any more. */
#include <stdio.h>

#include "hal_test_util.h"

typedef struct vf_env {
  sim_t *s;
  hal_machine_t *m;
  hal_vf_t *vf;
  PDEVICE_OBJECT dev;
  PDMA_ADAPTER a;
  ULONG nregs;
  ht_grant_t g;
} vf_env_t;

/* a machine with one adapter on ch (allocated when alloc) */
static void env(test_ctx_t *t, vf_env_t *e, unsigned ch, int alloc) {
  memset(e, 0, sizeof *e);
  e->m = ht_machine(t, &e->s, 2, NULL, NULL);
  e->vf = hal_machine_verifier(e->m);
  e->a = ht_adapter(t, e->m, &e->dev, ch, 4 * PAGE_SIZE, 0, &e->nregs);
  if (alloc) {
    REQUIRE_EQ(t, ht_allocate(e->s, e->a, e->dev, e->nregs, &e->g), STATUS_SUCCESS);
    REQUIRE_EQ(t, e->g.calls, 1);
  }
}

static void env_done(test_ctx_t *t, vf_env_t *e, int free_channel) {
  if (free_channel) ht_free_channel(e->s, e->a);
  HalPutDmaAdapter(e->a);
  CHECK_EQ(t, sim_error_count(e->s), 0u);
  hal_machine_destroy(e->m);
}

/* the last violation is of `kind`, expected, at this file (a Hal* call site) */
#define CHECK_LAST(t, e, kind_)                                                                  \
  do {                                                                                           \
    const hal_vf_record_t *r_ = hal_vf_last((e)->vf);                                            \
    REQUIRE(t, r_ != NULL, "no violation recorded");                                             \
    CHECK(t, r_->kind == (kind_), "last violation %s, want %s", hal_vf_kind_name(r_->kind),     \
          hal_vf_kind_name(kind_));                                                              \
    CHECK(t, r_->expected, "not marked expected");                                               \
  } while (0)

static void map_without_channel(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 1, 0);
  ht_buf_t hb = ht_buf(t, e.s, 100, 0, HOSTMEM_PLACE_SCATTERED, 1);
  ULONG len = 100;
  hal_vf_expect(e.vf, HAL_VF_MAP_WITHOUT_CHANNEL, 1);
  uint64_t cycle = sim_cycle(e.s);
  int line = __LINE__ + 1;
  PHYSICAL_ADDRESS la = HalMapTransfer(e.a, hb.mdl, (PVOID)&e, hb.b->va, &len, TRUE);
  CHECK_EQ(t, la.QuadPart, 0);
  CHECK_LAST(t, &e, HAL_VF_MAP_WITHOUT_CHANNEL);
  const hal_vf_record_t *r = hal_vf_last(e.vf);
  CHECK(t, r->file && strcmp(r->file, __FILE__) == 0, "call site file %s", r->file);
  CHECK_EQ(t, r->line, line);
  CHECK_EQ(t, r->cycle, cycle);
  CHECK(t, strcmp(r->routine, "MapTransfer") == 0, "routine %s", r->routine);
  CHECK_EQ(t, hal_vf_expected_left(e.vf, HAL_VF_MAP_WITHOUT_CHANNEL), 0u);
  /* nothing was programmed: the channel stays masked, a device asking is never served */
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  REQUIRE_OK(t, sim_dmadev_config(e.s, 1, &dc));
  REQUIRE_OK(t, sim_step(e.s, 2000));
  sim_dmadev_stats_t st;
  sim_dmadev_stats(e.s, 1, &st);
  CHECK_EQ(t, st.transfers, 0u);
  REQUIRE_OK(t, sim_dmadev_stop(e.s, 1));
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 0);
}

static void map_outside_mdl(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 2, 1);
  ht_buf_t hb = ht_buf(t, e.s, 3000, 50, HOSTMEM_PLACE_SCATTERED, 2);
  PCHAR va = MmGetMdlVirtualAddress(hb.mdl);
  struct { PCHAR va; ULONG len; } bad[] = {{va - 1, 10}, {va + 2990, 11}, {va + 3000, 1},
                                          {va + 100000, 4}};
  hal_vf_expect(e.vf, HAL_VF_MAP_OUTSIDE_MDL, 4);
  for (size_t i = 0; i < 4; i++) {
    ULONG len = bad[i].len;
    PHYSICAL_ADDRESS la = HalMapTransfer(e.a, hb.mdl, e.g.base, bad[i].va, &len, FALSE);
    CHECK_EQ(t, la.QuadPart, 0);
    CHECK_LAST(t, &e, HAL_VF_MAP_OUTSIDE_MDL);
  }
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_MAP_OUTSIDE_MDL), 4u);
  /* the last byte exactly is inside: that map works */
  ht_xfer_t x = {0};
  x.ch = 2;
  x.off = 2999;
  x.len = 1;
  ht_run(t, e.s, e.a, &hb, e.g.base, &x, 3);
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 1);
}

static void map_exceeds_registers(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 1, 0);
  ht_grant_t g = {0};
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, 2, &g), STATUS_SUCCESS);
  ht_buf_t hb = ht_buf(t, e.s, 3 * PAGE_SIZE, 0, HOSTMEM_PLACE_SCATTERED, 4);
  PCHAR va = MmGetMdlVirtualAddress(hb.mdl);
  /* 2 pages exactly fit; one byte more from offset 0, or 2 pages from offset 1, do not */
  hal_vf_expect(e.vf, HAL_VF_MAP_EXCEEDS_REGISTERS, 2);
  ULONG len = 2 * PAGE_SIZE + 1;
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, g.base, va, &len, TRUE).QuadPart, 0);
  CHECK_LAST(t, &e, HAL_VF_MAP_EXCEEDS_REGISTERS);
  len = 2 * PAGE_SIZE;
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, g.base, va + 1, &len, TRUE).QuadPart, 0);
  CHECK_LAST(t, &e, HAL_VF_MAP_EXCEEDS_REGISTERS);
  ht_xfer_t x = {0};
  x.ch = 1;
  x.len = 2 * PAGE_SIZE;
  x.write_to_device = 1;
  ht_run(t, e.s, e.a, &hb, g.base, &x, 5);
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 1);
}

static void too_many_map_registers(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 5, 0);
  CHECK_EQ(t, e.nregs, 5u);
  ht_grant_t g = {0};
  hal_vf_expect(e.vf, HAL_VF_TOO_MANY_MAP_REGISTERS, 1);
  CHECK_EQ(t, ht_allocate(e.s, e.a, e.dev, e.nregs + 1, &g), STATUS_INSUFFICIENT_RESOURCES);
  CHECK_EQ(t, g.calls, 0); /* AdapterControl never called */
  CHECK_LAST(t, &e, HAL_VF_TOO_MANY_MAP_REGISTERS);
  CHECK_EQ(t, hal_waiting_requests(e.m), 0u);
  /* the maximum itself is fine */
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, e.nregs, &g), STATUS_SUCCESS);
  CHECK_EQ(t, g.calls, 1);
  env_done(t, &e, 1);
}

static void second_allocation(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 3, 1);
  ht_grant_t g = {0};
  hal_vf_expect(e.vf, HAL_VF_SECOND_ALLOCATION, 1);
  CHECK_EQ(t, ht_allocate(e.s, e.a, e.dev, 1, &g), STATUS_INVALID_DEVICE_REQUEST);
  CHECK_EQ(t, g.calls, 0);
  CHECK_LAST(t, &e, HAL_VF_SECOND_ALLOCATION);
  env_done(t, &e, 1);
}

static void registers_leaked_at_put(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 2, 0);
  unsigned pool = hal_pool_pages(e.m);
  ht_grant_t g = {.action = DeallocateObjectKeepRegisters};
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, 3, &g), STATUS_SUCCESS);
  CHECK_EQ(t, hal_pool_free_pages(e.m), pool - 3);
  hal_vf_expect(e.vf, HAL_VF_REGISTERS_LEAKED, 1);
  HalPutDmaAdapter(e.a);
  CHECK_LAST(t, &e, HAL_VF_REGISTERS_LEAKED);
  CHECK(t, strstr(hal_vf_last(e.vf)->detail, "3 map register") != NULL, "detail: %s",
        hal_vf_last(e.vf)->detail);
  CHECK_EQ(t, hal_pool_free_pages(e.m), pool); /* reclaimed */
  /* the released adapter is dead: any use is reported, nothing crashes */
  hal_vf_expect(e.vf, HAL_VF_ADAPTER_RELEASED, 2);
  CHECK_EQ(t, ht_allocate(e.s, e.a, e.dev, 1, &g), STATUS_INVALID_PARAMETER);
  HalPutDmaAdapter(e.a);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_ADAPTER_RELEASED), 2u);
  CHECK_EQ(t, sim_error_count(e.s), 0u);
  hal_machine_destroy(e.m);
}

static void channel_held_at_put(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 6, 1);
  ht_buf_t hb = ht_buf(t, e.s, 1000, 0, HOSTMEM_PLACE_SCATTERED, 6);
  ULONG len = 1000;
  (void)HalMapTransfer(e.a, hb.mdl, e.g.base, hb.b->va, &len, FALSE);
  CHECK_EQ(t, hostmem_dma_mapping_count(sim_mem(e.s)), 1u);
  /* released with a mapping and the channel: both reported, the device mapping dropped */
  hal_vf_expect(e.vf, HAL_VF_ADAPTER_BUSY_AT_PUT, 2);
  HalPutDmaAdapter(e.a);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_ADAPTER_BUSY_AT_PUT), 2u);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_REGISTERS_LEAKED), 0u); /* the channel's registers */
  CHECK_EQ(t, hostmem_dma_mapping_count(sim_mem(e.s)), 0u);
  CHECK_EQ(t, hal_pool_free_pages(e.m), hal_pool_pages(e.m));
  ht_buf_free(e.s, &hb);
  CHECK_EQ(t, sim_error_count(e.s), 0u);
  hal_machine_destroy(e.m);
}

static void registers_freed_twice(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 1, 0);
  ht_grant_t g = {.action = DeallocateObjectKeepRegisters};
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, 2, &g), STATUS_SUCCESS);
  ht_free_registers(e.s, e.a, g.base, 2);
  hal_vf_expect(e.vf, HAL_VF_REGISTERS_FREED_TWICE, 1);
  ht_free_registers(e.s, e.a, g.base, 2);
  CHECK_LAST(t, &e, HAL_VF_REGISTERS_FREED_TWICE);
  /* a base never handed out, and a count that differs from the allocation */
  hal_vf_expect(e.vf, HAL_VF_BAD_PARAMETER, 2);
  ht_free_registers(e.s, e.a, (PVOID)&g, 2);
  CHECK_LAST(t, &e, HAL_VF_BAD_PARAMETER);
  ht_grant_t g2 = {.action = DeallocateObjectKeepRegisters};
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, 3, &g2), STATUS_SUCCESS);
  ht_free_registers(e.s, e.a, g2.base, 2);
  CHECK_LAST(t, &e, HAL_VF_BAD_PARAMETER);
  CHECK_EQ(t, hal_pool_free_pages(e.m), hal_pool_pages(e.m)); /* all 3 freed anyway */
  env_done(t, &e, 0);
}

static void free_channel_without_one(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 7, 1);
  ht_free_channel(e.s, e.a);
  hal_vf_expect(e.vf, HAL_VF_CHANNEL_NOT_HELD, 2);
  ht_free_channel(e.s, e.a);
  CHECK_LAST(t, &e, HAL_VF_CHANNEL_NOT_HELD);
  env_done(t, &e, 1);
}

static void wrong_irql(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 2, 0);
  ht_grant_t g = {0};
  g.sim = e.s;
  /* AllocateAdapterChannel at PASSIVE_LEVEL: reported; AdapterControl still runs at DISPATCH */
  hal_vf_expect(e.vf, HAL_VF_WRONG_IRQL, 1);
  CHECK_EQ(t, HalAllocateAdapterChannel(e.a, e.dev, 2, ht_adapter_control, &g), STATUS_SUCCESS);
  CHECK_LAST(t, &e, HAL_VF_WRONG_IRQL);
  CHECK_EQ(t, g.irql, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, sim_irql(e.s), SIM_PASSIVE_LEVEL);
  /* MapTransfer and FlushAdapterBuffers above DISPATCH_LEVEL */
  ht_buf_t hb = ht_buf(t, e.s, 200, 9, HOSTMEM_PLACE_BELOW_16M, 7);
  unsigned old = sim_raise_irql(e.s, SIM_DIRQL);
  hal_vf_expect(e.vf, HAL_VF_WRONG_IRQL, 2);
  ULONG len = 200;
  (void)HalMapTransfer(e.a, hb.mdl, g.base, hb.b->va, &len, TRUE);
  CHECK_LAST(t, &e, HAL_VF_WRONG_IRQL);
  CHECK(t, strstr(hal_vf_last(e.vf)->detail, "DIRQL") != NULL, "detail %s",
        hal_vf_last(e.vf)->detail);
  (void)HalFlushAdapterBuffers(e.a, hb.mdl, g.base, hb.b->va, 200, TRUE);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_WRONG_IRQL), 3u);
  sim_lower_irql(e.s, old);
  /* FreeAdapterChannel at PASSIVE_LEVEL */
  hal_vf_expect(e.vf, HAL_VF_WRONG_IRQL, 1);
  HalFreeAdapterChannel(e.a);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_WRONG_IRQL), 4u);
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 0);
}

static void double_flush_and_mismatch(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 1, 1);
  ht_buf_t hb = ht_buf(t, e.s, 2000, 3, HOSTMEM_PLACE_SCATTERED, 8);
  ht_xfer_t x = {0};
  x.ch = 1;
  x.len = 1500;
  ht_run(t, e.s, e.a, &hb, e.g.base, &x, 9);
  PVOID va = MmGetMdlVirtualAddress(hb.mdl);
  hal_vf_expect(e.vf, HAL_VF_DOUBLE_FLUSH, 1);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, va, 1500, FALSE), FALSE);
  CHECK_LAST(t, &e, HAL_VF_DOUBLE_FLUSH);
  /* a flush that does not match the mapping: refused, the mapping stays until the right one */
  ULONG len = 1000;
  (void)HalMapTransfer(e.a, hb.mdl, e.g.base, va, &len, TRUE);
  hal_vf_expect(e.vf, HAL_VF_FLUSH_MISMATCH, 3);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, (PCHAR)va + 1, 1000, TRUE), FALSE);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, va, 999, TRUE), FALSE);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, va, 1000, FALSE), FALSE);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_FLUSH_MISMATCH), 3u);
  hal_map_info_t info;
  REQUIRE_EQ(t, hal_dma_last_map(e.a, &info), 0);
  CHECK(t, info.active, "the mapping went away");
  /* the device never ran: the right flush stops the channel and reports all 1000 left */
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, va, 1000, TRUE), FALSE);
  REQUIRE_EQ(t, hal_dma_last_map(e.a, &info), 0);
  CHECK_EQ(t, info.residual, 1000u);
  /* nothing mapped at all */
  hal_vf_expect(e.vf, HAL_VF_FLUSH_MISMATCH, 1);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, (PCHAR)va + 7, 5, TRUE), FALSE);
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 1);
}

static void map_unflushed(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 5, 1);
  ht_buf_t hb = ht_buf(t, e.s, 4000, 0, HOSTMEM_PLACE_SCATTERED, 10);
  PVOID va = MmGetMdlVirtualAddress(hb.mdl);
  ULONG len = 2000;
  PHYSICAL_ADDRESS la = HalMapTransfer(e.a, hb.mdl, e.g.base, va, &len, TRUE);
  CHECK(t, la.QuadPart != 0, "first map");
  hal_vf_expect(e.vf, HAL_VF_MAP_UNFLUSHED, 3);
  len = 2000;
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, e.g.base, (PCHAR)va + 2000, &len, TRUE).QuadPart, 0);
  CHECK_LAST(t, &e, HAL_VF_MAP_UNFLUSHED);
  /* registers in use by the mapping are not freed; the channel is stopped if freed */
  ht_free_registers(e.s, e.a, e.g.base, e.nregs);
  CHECK(t, hal_pool_free_pages(e.m) < hal_pool_pages(e.m), "registers freed under a mapping");
  ht_free_channel(e.s, e.a);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_MAP_UNFLUSHED), 3u);
  CHECK_EQ(t, hostmem_dma_mapping_count(sim_mem(e.s)), 0u);
  CHECK_EQ(t, hal_pool_free_pages(e.m), hal_pool_pages(e.m));
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 0);
}

static void zero_length_and_bad_arguments(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 6, 1);
  ht_buf_t hb = ht_buf(t, e.s, 300000, 0, HOSTMEM_PLACE_SCATTERED, 11);
  PCHAR va = MmGetMdlVirtualAddress(hb.mdl);
  ULONG len = 0;
  hal_vf_expect(e.vf, HAL_VF_ZERO_LENGTH_MAP, 1);
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, e.g.base, va, &len, TRUE).QuadPart, 0);
  CHECK_LAST(t, &e, HAL_VF_ZERO_LENGTH_MAP);
  hal_vf_expect(e.vf, HAL_VF_BAD_PARAMETER, 5);
  len = 100;
  CHECK_EQ(t, HalMapTransfer(e.a, NULL, e.g.base, va, &len, TRUE).QuadPart, 0);
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, e.g.base, va, NULL, TRUE).QuadPart, 0);
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, (PVOID)hb.b, va, &len, TRUE).QuadPart, 0);
  len = 101; /* word channel: odd length */
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, e.g.base, va, &len, TRUE).QuadPart, 0);
  len = 100; /* word channel: odd address */
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, e.g.base, va + 1, &len, TRUE).QuadPart, 0);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_BAD_PARAMETER), 5u);
  CHECK_EQ(t, hostmem_dma_mapping_count(sim_mem(e.s)), 0u);
  /* NULL adapter: nothing to report to, every entry returns its error value */
  CHECK_EQ(t, e.a->DmaOperations->MapTransfer(NULL, hb.mdl, e.g.base, va, &len, TRUE).QuadPart,
           0);
  CHECK_EQ(t, e.a->DmaOperations->AllocateAdapterChannel(NULL, e.dev, 1, ht_adapter_control,
                                                         &e.g),
           STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, e.a->DmaOperations->FlushAdapterBuffers(NULL, hb.mdl, e.g.base, va, 1, TRUE),
           FALSE);
  CHECK_EQ(t, e.a->DmaOperations->ReadDmaCounter(NULL), 0u);
  CHECK_EQ(t, e.a->DmaOperations->GetDmaAlignment(NULL), 0u);
  e.a->DmaOperations->FreeAdapterChannel(NULL);
  e.a->DmaOperations->FreeMapRegisters(NULL, e.g.base, 1);
  e.a->DmaOperations->PutDmaAdapter(NULL);
  CHECK_EQ(t, HalAllocateAdapterChannel(NULL, e.dev, 1, ht_adapter_control, &e.g),
           STATUS_INVALID_PARAMETER);
  /* NULL ExecutionRoutine */
  hal_vf_expect(e.vf, HAL_VF_BAD_PARAMETER, 1);
  ht_free_channel(e.s, e.a);
  unsigned old = sim_raise_irql(e.s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, HalAllocateAdapterChannel(e.a, e.dev, 1, NULL, NULL), STATUS_INVALID_PARAMETER);
  sim_lower_irql(e.s, old);
  /* an MDL over memory that is not host memory: its frames are 0 */
  static uint8_t not_hostmem[PAGE_SIZE * 2];
  PMDL bad = IoAllocateMdl(not_hostmem + 2, 1000, FALSE, FALSE, NULL);
  REQUIRE(t, bad != NULL, "IoAllocateMdl");
  MmBuildMdlForNonPagedPool(bad);
  CHECK_EQ(t, MmGetMdlPfnArray(bad)[0], 0u);
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, 2, &e.g), STATUS_SUCCESS);
  hal_vf_expect(e.vf, HAL_VF_MDL_NOT_BUILT, 1);
  len = 1000;
  CHECK_EQ(t, HalMapTransfer(e.a, bad, e.g.base, not_hostmem + 2, &len, TRUE).QuadPart, 0);
  CHECK_LAST(t, &e, HAL_VF_MDL_NOT_BUILT);
  IoFreeMdl(bad);
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 1);
}

/* the entries not implemented yet: each a routine (never NULL) that reports and fails */
static void unimplemented_entries_report(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 1, 0);
  const DMA_OPERATIONS *ops = e.a->DmaOperations;
  CHECK_EQ(t, ops->Size, sizeof(DMA_OPERATIONS));
  const void *const *p = (const void *const *)&ops->PutDmaAdapter;
  size_t n = (sizeof(DMA_OPERATIONS) - offsetof(DMA_OPERATIONS, PutDmaAdapter)) / sizeof(void *);
  for (size_t i = 0; i < n; i++) CHECK(t, p[i] != NULL, "DMA_OPERATIONS entry %zu is NULL", i);
  hal_vf_expect(e.vf, HAL_VF_NOT_IMPLEMENTED, 7);
  PHYSICAL_ADDRESS la;
  la.QuadPart = 123;
  CHECK(t, ops->AllocateCommonBuffer(e.a, 4096, &la, FALSE) == NULL, "common buffer");
  CHECK_EQ(t, la.QuadPart, 0);
  ops->FreeCommonBuffer(e.a, 4096, la, NULL, FALSE);
  CHECK_EQ(t, ops->GetScatterGatherList(e.a, e.dev, NULL, NULL, 1, NULL, NULL, TRUE),
           STATUS_NOT_IMPLEMENTED);
  ops->PutScatterGatherList(e.a, NULL, TRUE);
  ULONG sz = 0, nr = 0;
  CHECK_EQ(t, ops->CalculateScatterGatherList(e.a, NULL, NULL, 1, &sz, &nr),
           STATUS_NOT_IMPLEMENTED);
  CHECK_EQ(t, ops->BuildScatterGatherList(e.a, e.dev, NULL, NULL, 1, NULL, NULL, TRUE, NULL, 0),
           STATUS_NOT_IMPLEMENTED);
  PMDL target = (PMDL)&e;
  CHECK_EQ(t, ops->BuildMdlFromScatterGatherList(e.a, NULL, NULL, &target),
           STATUS_NOT_IMPLEMENTED);
  CHECK(t, target == NULL, "TargetMdl not cleared");
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_NOT_IMPLEMENTED), 7u);
  CHECK_EQ(t, hal_vf_expected_left(e.vf, HAL_VF_NOT_IMPLEMENTED), 0u);
  env_done(t, &e, 0);
}

/* IoGetDmaAdapter refuses what the machine cannot serve, each with NULL and a record */
static void io_get_dma_adapter_refusals(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 0, NULL, NULL);
  hal_vf_t *vf = hal_machine_verifier(m);
  PDEVICE_OBJECT dev = hal_device_create(m, 0);
  ULONG n = 77;
  typedef struct { DEVICE_DESCRIPTION d; hal_vf_kind_t kind; const char *what; } case_t;
  case_t c[12];
  for (int i = 0; i < 12; i++) c[i].d = ht_desc(1, 4096, 0), c[i].kind = HAL_VF_BAD_PARAMETER;
  c[0].d.DmaChannel = 4, c[0].what = "channel 4 (cascade)";
  c[1].d.DmaChannel = 8, c[1].what = "channel 8";
  c[2].d.DmaWidth = Width16Bits, c[2].what = "16-bit on a byte channel";
  c[3].d = ht_desc(5, 4096, 0), c[3].d.DmaWidth = Width8Bits, c[3].what = "8-bit on channel 5";
  c[4].d.DmaWidth = Width32Bits, c[4].what = "32-bit width";
  c[5].d.InterfaceType = PCIBus, c[5].what = "PCI bus";
  c[6].d.Version = 9, c[6].what = "unknown version";
  c[7].d.Version = DEVICE_DESCRIPTION_VERSION3, c[7].kind = HAL_VF_NOT_IMPLEMENTED,
  c[7].what = "version 3";
  c[8].d.Master = TRUE, c[8].kind = HAL_VF_NOT_IMPLEMENTED, c[8].what = "bus master";
  c[9].d.AutoInitialize = TRUE, c[9].kind = HAL_VF_NOT_IMPLEMENTED, c[9].what = "autoinit";
  c[10].d.DmaSpeed = TypeA, c[10].kind = HAL_VF_NOT_IMPLEMENTED, c[10].what = "TypeA speed";
  c[11].d.Version = DEVICE_DESCRIPTION_VERSION1, c[11].d.IgnoreCount = TRUE,
  c[11].kind = HAL_VF_NOT_IMPLEMENTED, c[11].what = "IgnoreCount";
  for (int i = 0; i < 12; i++) {
    hal_vf_expect(vf, c[i].kind, 1);
    int line = __LINE__ + 1;
    CHECK(t, HalGetDmaAdapter(dev, &c[i].d, &n) == NULL, "%s accepted", c[i].what);
    const hal_vf_record_t *r = hal_vf_last(vf);
    CHECK(t, r && r->kind == c[i].kind && r->expected, "%s: recorded %s", c[i].what,
          r ? hal_vf_kind_name(r->kind) : "nothing");
    CHECK(t, r && r->file && strcmp(r->file, __FILE__) == 0 && r->line == line,
          "%s: call site not recorded", c[i].what);
  }
  CHECK_EQ(t, n, 77u); /* untouched on failure */
  /* IgnoreCount is ignored with DEVICE_DESCRIPTION_VERSION, as documented */
  DEVICE_DESCRIPTION d = ht_desc(1, 4096, 0);
  d.IgnoreCount = TRUE;
  PDMA_ADAPTER a = IoGetDmaAdapter(dev, &d, &n);
  CHECK(t, a != NULL, "IgnoreCount with version 0 refused");
  hal_vf_expect(vf, HAL_VF_BAD_PARAMETER, 2);
  CHECK(t, IoGetDmaAdapter(dev, NULL, &n) == NULL, "NULL description");
  CHECK(t, IoGetDmaAdapter(dev, &d, NULL) == NULL, "NULL count");
  DEVICE_OBJECT foreign;
  memset(&foreign, 0, sizeof foreign);
  CHECK(t, IoGetDmaAdapter(&foreign, &d, &n) == NULL, "a device object of no machine");
  CHECK(t, IoGetDmaAdapter(NULL, &d, &n) == NULL, "NULL device object");
  /* IoGetDmaAdapter above PASSIVE_LEVEL is reported, the adapter is still given */
  unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  hal_vf_expect(vf, HAL_VF_WRONG_IRQL, 1);
  PDMA_ADAPTER b = IoGetDmaAdapter(dev, &d, &n);
  sim_lower_irql(s, old);
  CHECK(t, b != NULL, "adapter");
  HalPutDmaAdapter(a);
  HalPutDmaAdapter(b);
  CHECK_EQ(t, sim_error_count(s), 0u);
  hal_machine_destroy(m);
}

/* a violation nobody expected is a sim error naming the rule, the routine and the site */
static void unexpected_violation_fails(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 2, 0);
  ht_free_channel(e.s, e.a); /* no channel held */
  REQUIRE_EQ(t, sim_error_count(e.s), 1u);
  const char *txt = sim_error_text(e.s, 0);
  CHECK(t, strstr(txt, "driver verifier") && strstr(txt, "FreeAdapterChannel") &&
               strstr(txt, "CHANNEL_NOT_HELD") && strstr(txt, "0xE6/0x04") &&
               strstr(txt, "hal_test_util.h:"),
        "error text: %s", txt);
  CHECK_EQ(t, sim_step(e.s, 1), SIM_E_FAILED); /* the run stops at the recorded error */
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, e.s), 1u);
  /* a direct call through DMA_OPERATIONS (no Hal* macro) names the caller's address */
  unsigned old = sim_raise_irql(e.s, SIM_DISPATCH_LEVEL);
  e.a->DmaOperations->FreeAdapterChannel(e.a);
  sim_lower_irql(e.s, old);
  REQUIRE_EQ(t, sim_error_count(e.s), 1u);
  CHECK(t, strstr(sim_error_text(e.s, 0), "unknown site (caller 0x") != NULL, "error text: %s",
        sim_error_text(e.s, 0));
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, e.s), 1u);
  env_done(t, &e, 0);
}

/* an adapter never released is reported when the machine goes away */
static void adapter_leaked_at_destroy(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 0, NULL, NULL);
  PDEVICE_OBJECT dev;
  (void)ht_adapter(t, m, &dev, 3, 4096, 0, NULL);
  hal_machine_destroy(m);
  REQUIRE_EQ(t, sim_error_count(s), 1u);
  CHECK(t, strstr(sim_error_text(s, 0), "ADAPTER_LEAKED") != NULL, "error text: %s",
        sim_error_text(s, 0));
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1u);
}

/* The host memory DMA verifier: MapTransfer gives the device exactly the pages of the
 * transfer (the map registers when bounced) and the flush takes them back. A driver that
 * restarts the channel after the flush makes the device touch unmapped pages: a stray DMA. */
static void device_confined_to_mapped_pages(test_ctx_t *t) {
  vf_env_t e;
  env(t, &e, 1, 1);
  hostmem_t *mem = sim_mem(e.s);
  CHECK(t, hostmem_dma_check_enabled(mem), "DMA checking is on with the machine");
  ht_buf_t hb = ht_buf(t, e.s, 2000, 100, HOSTMEM_PLACE_BELOW_16M, 12);
  PVOID va = MmGetMdlVirtualAddress(hb.mdl);
  ULONG len = 2000;
  PHYSICAL_ADDRESS la = HalMapTransfer(e.a, hb.mdl, e.g.base, va, &len, FALSE);
  REQUIRE(t, la.QuadPart != 0, "map");
  CHECK_EQ(t, hostmem_dma_is_mapped(mem, (uint64_t)la.QuadPart, 2000, 1), 1);
  CHECK_EQ(t, hostmem_dma_mapping_count(mem), 1u);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, e.g.base, va, 2000, FALSE), FALSE);
  CHECK_EQ(t, hostmem_dma_mapping_count(mem), 0u);
  CHECK_EQ(t, hostmem_dma_is_mapped(mem, (uint64_t)la.QuadPart, 1, 0), 0);
  /* a rogue restart of the channel at the same place */
  i8237_xfer_desc_t x = {.channel = 1, .phys = (uint32_t)la.QuadPart, .length = 16,
                         .type = I8237_WRITE, .mode = I8237_SINGLE};
  REQUIRE_EQ(t, i8237_program(e.s, &x), I8237_OK);
  uint8_t src[16] = {1, 2, 3};
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.src = src;
  dc.src_len = sizeof src;
  REQUIRE_OK(t, sim_dmadev_config(e.s, 1, &dc));
  CHECK_EQ(t, sim_step(e.s, 5000), SIM_E_FAILED);
  REQUIRE(t, sim_error_count(e.s) >= 1, "no stray DMA recorded");
  CHECK(t, strstr(sim_error_text(e.s, 0), "stray DMA") != NULL, "error: %s",
        sim_error_text(e.s, 0));
  REQUIRE_OK(t, sim_dmadev_stop(e.s, 1));
  (void)TEST_EXPECT_ERRORS(t, e.s);
  (void)sim_step(e.s, 200);
  (void)TEST_EXPECT_ERRORS(t, e.s);
  REQUIRE_EQ(t, i8237_mask(e.s, 1), I8237_OK);
  hostmem_dma_clear_violations(mem);
  ht_buf_free(e.s, &hb);
  env_done(t, &e, 1);
}

static const test_def_t hal_verifier_tests[] = {
    {"map_without_channel", map_without_channel, 0, 1000000,
     "MapTransfer before the channel is granted: MAP_WITHOUT_CHANNEL with cycle and call site; "
     "nothing programmed"},
    {"map_outside_mdl", map_outside_mdl, 0, 1000000,
     "CurrentVa/Length before, across the end of, or past the MDL: MAP_OUTSIDE_MDL"},
    {"map_exceeds_registers", map_exceeds_registers, 0, 2000000,
     "a map spanning more pages than map registers allocated: MAP_EXCEEDS_REGISTERS"},
    {"too_many_map_registers", too_many_map_registers, 0, 100000,
     "more registers than the maximum: STATUS_INSUFFICIENT_RESOURCES, AdapterControl not run"},
    {"second_allocation", second_allocation, 0, 100000,
     "a second AllocateAdapterChannel while the channel is held: SECOND_ALLOCATION"},
    {"registers_leaked_at_put", registers_leaked_at_put, 0, 100000,
     "PutDmaAdapter with map registers kept: REGISTERS_LEAKED; later use: ADAPTER_RELEASED"},
    {"channel_held_at_put", channel_held_at_put, 0, 100000,
     "PutDmaAdapter with a channel and a mapping: ADAPTER_BUSY_AT_PUT, mapping dropped"},
    {"registers_freed_twice", registers_freed_twice, 0, 100000,
     "FreeMapRegisters twice: REGISTERS_FREED_TWICE; unknown base or wrong count: BAD_PARAMETER"},
    {"free_channel_without_one", free_channel_without_one, 0, 100000,
     "FreeAdapterChannel without a channel: CHANNEL_NOT_HELD"},
    {"wrong_irql", wrong_irql, 0, 200000,
     "AllocateAdapterChannel/FreeAdapterChannel off DISPATCH, MapTransfer/Flush above it: "
     "WRONG_IRQL; AdapterControl still at DISPATCH"},
    {"double_flush_and_mismatch", double_flush_and_mismatch, 0, 1000000,
     "a second flush: DOUBLE_FLUSH; a flush unlike the map or of nothing: FLUSH_MISMATCH"},
    {"map_unflushed", map_unflushed, 0, 200000,
     "map again, free registers or the channel with an unflushed mapping: MAP_UNFLUSHED"},
    {"zero_length_and_bad_arguments", zero_length_and_bad_arguments, 0, 200000,
     "zero length, NULL/odd/foreign arguments, unbuilt MDL: each its error, no crash"},
    {"unimplemented_entries_report", unimplemented_entries_report, 0, 100000,
     "every DMA_OPERATIONS entry is a routine; those not implemented report and fail"},
    {"io_get_dma_adapter_refusals", io_get_dma_adapter_refusals, 0, 100000,
     "IoGetDmaAdapter refuses channel 4, wrong widths, masters, v3, autoinit ... with NULL"},
    {"unexpected_violation_fails", unexpected_violation_fails, 0, 100000,
     "an unexpected violation is a sim error naming routine, rule (0xE6 code) and call site"},
    {"adapter_leaked_at_destroy", adapter_leaked_at_destroy, 0, 100000,
     "an adapter never released is reported when the machine is destroyed"},
    {"device_confined_to_mapped_pages", device_confined_to_mapped_pages, 0, 1000000,
     "hostmem DMA verifier: only the mapped transfer is reachable; after the flush a rogue "
     "restart is a stray DMA"},
};
TEST_SUITE(hal_verifier);
