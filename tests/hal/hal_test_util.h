/* Helpers shared by the HAL suites (tests/hal/): a sim with a HAL machine, device objects and
 * adapters, MDLs over hostmem buffers, an AdapterControl that records what it was given, and a
 * driver-shaped transfer (MapTransfer, the DREQ/DACK device runs, FlushAdapterBuffers) whose
 * bytes are checked every time. */
#ifndef HBASIM_HAL_TEST_UTIL_H
#define HBASIM_HAL_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "hal_dma.h"
#include "hostmem.h"
#include "i8237.h"
#include "prng.h"
#include "sim.h"
#include "soc_ctrl_regs.h"
#include "test.h"

/* a sim out of reset, the DMA clock at clkdiv (0: leave the reset value, 10) and a machine */
static inline hal_machine_t *ht_machine(test_ctx_t *t, sim_t **sp, unsigned clkdiv,
                                        const hal_machine_config_t *cfg,
                                        const sim_config_t *scfg) {
  sim_t *s = test_sim(t, scfg);
  REQUIRE_OK(t, sim_reset(s, 4));
  if (clkdiv) REQUIRE_OK(t, sim_apb_write(s, SOC_CTRL_BASE + SOC_CTRL_DMA_CLKDIV, clkdiv, 4));
  hal_machine_t *m = hal_machine_create(s, cfg);
  REQUIRE(t, m != NULL, "hal_machine_create failed");
  *sp = s;
  return m;
}

static inline DEVICE_DESCRIPTION ht_desc(unsigned ch, ULONG max_len, int demand) {
  DEVICE_DESCRIPTION d;
  memset(&d, 0, sizeof d);
  d.Version = demand ? DEVICE_DESCRIPTION_VERSION2 : DEVICE_DESCRIPTION_VERSION;
  d.DemandMode = demand ? TRUE : FALSE;
  d.DmaChannel = ch;
  d.InterfaceType = Isa;
  d.DmaWidth = ch >= 4 ? Width16Bits : Width8Bits;
  d.DmaSpeed = Compatible;
  d.MaximumLength = max_len;
  return d;
}

/* a device object and an adapter for channel ch; *nregs gets the maximum */
static inline PDMA_ADAPTER ht_adapter(test_ctx_t *t, hal_machine_t *m, PDEVICE_OBJECT *devp,
                                      unsigned ch, ULONG max_len, int demand, ULONG *nregs) {
  PDEVICE_OBJECT dev = hal_device_create(m, 64);
  REQUIRE(t, dev != NULL, "hal_device_create");
  DEVICE_DESCRIPTION d = ht_desc(ch, max_len, demand);
  ULONG n = 0;
  PDMA_ADAPTER a = IoGetDmaAdapter(dev, &d, &n);
  REQUIRE(t, a != NULL, "IoGetDmaAdapter for channel %u", ch);
  if (devp) *devp = dev;
  if (nregs) *nregs = n;
  return a;
}

/* ---- AdapterControl that records ------------------------------------------------------- */

typedef struct ht_grant {
  int calls;
  PVOID base;
  PDEVICE_OBJECT dev;
  unsigned irql;
  uint64_t order;              /* the value of *order_counter when it ran */
  uint64_t *order_counter;     /* shared between grants to see the serving order */
  IO_ALLOCATION_ACTION action; /* what to return (0 means KeepObject) */
  sim_t *sim;
} ht_grant_t;

static IO_ALLOCATION_ACTION ht_adapter_control(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                               PVOID MapRegisterBase, PVOID Context) {
  (void)Irp;
  ht_grant_t *g = Context;
  g->calls++;
  g->base = MapRegisterBase;
  g->dev = DeviceObject;
  g->irql = sim_irql(g->sim);
  if (g->order_counter) g->order = ++*g->order_counter;
  return g->action ? g->action : KeepObject;
}

/* AllocateAdapterChannel at DISPATCH_LEVEL, as a driver does; returns its status */
static inline NTSTATUS ht_allocate(sim_t *s, PDMA_ADAPTER a, PDEVICE_OBJECT dev, ULONG nregs,
                                   ht_grant_t *g) {
  g->sim = s;
  unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  NTSTATUS st = HalAllocateAdapterChannel(a, dev, nregs, ht_adapter_control, g);
  sim_lower_irql(s, old);
  return st;
}

static inline void ht_free_channel(sim_t *s, PDMA_ADAPTER a) {
  unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  HalFreeAdapterChannel(a);
  sim_lower_irql(s, old);
}

static inline void ht_free_registers(sim_t *s, PDMA_ADAPTER a, PVOID base, ULONG n) {
  unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  HalFreeMapRegisters(a, base, n);
  sim_lower_irql(s, old);
}

/* ---- buffers and MDLs ------------------------------------------------------------------ */

typedef struct ht_buf {
  hostmem_buf_t *b;
  PMDL mdl;
} ht_buf_t;

static inline ht_buf_t ht_buf(test_ctx_t *t, sim_t *s, size_t len, size_t off,
                              hostmem_place_t place, uint64_t stream) {
  ht_buf_t hb;
  hb.b = hostmem_buf_alloc(sim_mem(s), len, off, place);
  REQUIRE(t, hb.b != NULL, "hostmem_buf_alloc %zu bytes %s", len, hostmem_place_name(place));
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, hb.b->va, len);
  hb.mdl = IoAllocateMdl(hb.b->va, (ULONG)len, FALSE, FALSE, NULL);
  REQUIRE(t, hb.mdl != NULL, "IoAllocateMdl");
  MmBuildMdlForNonPagedPool(hb.mdl);
  return hb;
}

static inline void ht_buf_free(sim_t *s, ht_buf_t *hb) {
  IoFreeMdl(hb->mdl);
  hostmem_buf_free(sim_mem(s), hb->b);
  hb->mdl = NULL;
  hb->b = NULL;
}

/* Would a PC HAL go direct for [off, off+len) of b on a byte (word) channel: physically
 * contiguous, below 16 MiB, inside one 64 KiB (128 KiB) page. Worked out from the buffer's
 * frames, independently of the HAL. */
static inline int ht_expect_direct(const hostmem_buf_t *b, size_t off, size_t len, int word) {
  uint64_t pa = hostmem_buf_pa(b, off), last = hostmem_buf_pa(b, off + len - 1);
  if (last - pa != len - 1) return 0;  /* not one contiguous run */
  /* every page in between must follow on, not just the ends */
  for (size_t k = off; k < off + len; k += PAGE_SIZE)
    if (hostmem_buf_pa(b, k) != pa + (k - off)) return 0;
  if (last >= HOSTMEM_16M) return 0;
  unsigned shift = word ? 17u : 16u;
  return (pa >> shift) == (last >> shift);
}

/* ---- one transfer, driver-shaped -------------------------------------------------------- */

typedef struct ht_xfer {
  unsigned ch;
  int write_to_device;        /* TRUE: memory -> device */
  size_t off, len;            /* inside the buffer */
  sim_dreq_mode_t dreq;       /* default ALWAYS */
  unsigned count;             /* SIM_DREQ_COUNT: units the device moves before stopping */
  uint64_t bound;             /* cycles to wait for TC (0: 200 + 120 per unit) */
  int expect_short;           /* the device stops early: no TC, Flush reports short */
  /* results */
  hal_map_info_t info;
  uint64_t programmed_pa;     /* read back from the 8237 before the device starts */
  BOOLEAN flush_result;
  sim_dmadev_stats_t dev;
} ht_xfer_t;

typedef struct ht_tc {
  unsigned ch;
} ht_tc_t;
static inline int ht_tc_seen(sim_t *s, void *ctx) {
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, ((ht_tc_t *)ctx)->ch, &st);
  return st.tc_count >= 1;
}
typedef struct ht_units {
  unsigned ch;
  uint64_t n;
} ht_units_t;
static inline int ht_units_done(sim_t *s, void *ctx) {
  const ht_units_t *u = ctx;
  sim_dmadev_stats_t st;
  sim_dmadev_stats(s, u->ch, &st);
  return st.transfers >= u->n;
}

/* MapTransfer x->len bytes at x->off of hb through the granted MapRegisterBase, let the device
 * run, flush, and check every byte: device -> memory, the buffer holds the device's bytes and
 * nothing else changed; memory -> device, the device got the buffer's bytes. */
static inline void ht_run(test_ctx_t *t, sim_t *s, PDMA_ADAPTER a, ht_buf_t *hb, PVOID base,
                          ht_xfer_t *x, uint64_t stream) {
  hostmem_buf_t *b = hb->b;
  size_t blen = b->length;
  uint8_t *before = malloc(blen), *dev = calloc(1, x->len ? x->len : 1);
  REQUIRE(t, before && dev, "malloc");
  memcpy(before, b->va, blen);
  if (!x->write_to_device) {
    prng_t r;
    prng_seed(&r, test_seed(t), stream);
    prng_fill(&r, dev, x->len);
  }
  PVOID va = (PCHAR)MmGetMdlVirtualAddress(hb->mdl) + x->off;
  ULONG len = (ULONG)x->len;
  unsigned width = x->ch >= 4 ? 2u : 1u;
  uint64_t apb0 = sim_apb_count(s);
  PHYSICAL_ADDRESS la = HalMapTransfer(a, hb->mdl, base, va, &len, x->write_to_device);
  /* a PC HAL's nine port writes: mask, flip-flop, mode, address lo/hi, page, count lo/hi,
   * unmask (plus the soc_ctrl TC bit cleared before a full 64 K-transfer count) */
  CHECK_EQ(t, sim_apb_count(s) - apb0, x->len / width == 65536u ? 10u : 9u);
  CHECK_EQ(t, len, x->len); /* system DMA: Length comes back unchanged */
  REQUIRE(t, hal_dma_last_map(a, &x->info) == 0 && x->info.active, "MapTransfer failed");
  CHECK_EQ(t, (uint64_t)la.QuadPart, x->info.logical);
  uint32_t cur = 0;
  REQUIRE_EQ(t, i8237_current_phys(s, x->ch, &cur), I8237_OK);
  x->programmed_pa = cur;
  uint16_t count = 0;
  REQUIRE_EQ(t, i8237_read_count(s, x->ch, &count), I8237_OK);
  CHECK_EQ(t, count, (uint16_t)(x->len / width - 1u));
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = x->dreq ? x->dreq : SIM_DREQ_ALWAYS;
  dc.count = x->count;
  if (x->write_to_device) {
    dc.sink = dev;
    dc.sink_len = x->len;
  } else {
    dc.src = dev;
    dc.src_len = x->len;
  }
  REQUIRE_OK(t, sim_dmadev_config(s, x->ch, &dc));
  uint64_t bound = x->bound ? x->bound : 2000u + 150u * x->len;
  if (x->expect_short) {
    ht_units_t u = {x->ch, x->count};
    REQUIRE_OK(t, sim_wait_until(s, ht_units_done, &u, bound));
    REQUIRE_OK(t, sim_step(s, 200));
  } else {
    ht_tc_t w = {x->ch};
    REQUIRE_OK(t, sim_wait_until(s, ht_tc_seen, &w, bound));
  }
  x->flush_result = HalFlushAdapterBuffers(a, hb->mdl, base, va, (ULONG)x->len,
                                           x->write_to_device);
  REQUIRE_OK(t, sim_dmadev_stop(s, x->ch));
  sim_dmadev_stats(s, x->ch, &x->dev);
  REQUIRE(t, hal_dma_last_map(a, &x->info) == 0, "last map");
  size_t moved = x->expect_short ? (size_t)x->count * width : x->len;
  CHECK_EQ(t, x->info.residual, x->len - moved);
  CHECK_EQ(t, x->flush_result, x->expect_short ? FALSE : TRUE);
  if (x->write_to_device) {
    CHECK(t, memcmp(dev, (uint8_t *)b->va + x->off, moved) == 0,
          "ch %u: the device got other bytes than the buffer holds (%zu at +%zu)", x->ch,
          moved, x->off);
    CHECK(t, memcmp(before, b->va, blen) == 0, "ch %u: memory -> device changed the buffer",
          x->ch);
  } else {
    CHECK(t, memcmp((uint8_t *)b->va + x->off, dev, moved) == 0,
          "ch %u: the buffer does not hold the device's %zu bytes at +%zu", x->ch, moved,
          x->off);
    CHECK(t, memcmp(b->va, before, x->off) == 0, "ch %u: bytes before the transfer changed",
          x->ch);
    CHECK(t, memcmp((uint8_t *)b->va + x->off + moved, before + x->off + moved,
                    blen - x->off - moved) == 0,
          "ch %u: bytes after the transferred ones changed", x->ch);
  }
  free(before);
  free(dev);
}

#endif
