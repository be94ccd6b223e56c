/* Bus-master scatter/gather through the HAL (docs/hal.md "Bus-master scatter/gather"):
 * GetScatterGatherList / BuildScatterGatherList / PutScatterGatherList, MapTransfer's
 * bus-master form, common buffers. The "device" here is the test: it moves bytes through the
 * logical addresses the HAL handed out, by physical access to host memory, and checks before
 * every access that host memory's DMA verifier has exactly that range mapped for it. Every list
 * is compared with one worked out independently from the buffer's frames and the device's
 * reach, and every test checks the bytes it moves. */
#include "hal_test_util.h"

/* ---- set-up ------------------------------------------------------------------------------ */

/* a bus master: bits 24 / 32 / 64 through the flags (PCI), or a DEVICE_DESCRIPTION_VERSION3
 * DmaAddressWidth when width is set */
static DEVICE_DESCRIPTION sg_desc(ULONG max_len, unsigned bits, unsigned width) {
  DEVICE_DESCRIPTION d;
  memset(&d, 0, sizeof d);
  d.Version = width ? DEVICE_DESCRIPTION_VERSION3 : DEVICE_DESCRIPTION_VERSION2;
  d.Master = TRUE;
  d.ScatterGather = TRUE;
  d.Dma32BitAddresses = bits >= 32 ? TRUE : FALSE;
  d.Dma64BitAddresses = bits >= 64 ? TRUE : FALSE;
  d.InterfaceType = PCIBus;
  d.MaximumLength = max_len;
  d.DmaAddressWidth = width;
  return d;
}

typedef struct sg_env {
  sim_t *s;
  hostmem_t *mem;
  hal_machine_t *m;
  hal_vf_t *vf;
  PDEVICE_OBJECT dev;
  PDMA_ADAPTER a;
  ULONG nregs;
} sg_env_t;

static void sg_env(test_ctx_t *t, sg_env_t *e, unsigned pool_pages, ULONG max_len,
                   unsigned bits, unsigned width) {
  memset(e, 0, sizeof *e);
  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  if (pool_pages) hc.map_register_pages = pool_pages;
  e->m = ht_machine(t, &e->s, 0, &hc, NULL);
  e->mem = sim_mem(e->s);
  e->vf = hal_machine_verifier(e->m);
  e->dev = hal_device_create(e->m, 0);
  REQUIRE(t, e->dev != NULL, "device");
  DEVICE_DESCRIPTION d = sg_desc(max_len, bits, width);
  e->a = HalGetDmaAdapter(e->dev, &d, &e->nregs);
  REQUIRE(t, e->a != NULL, "IoGetDmaAdapter for a %u-bit bus master", width ? width : bits);
}

static void sg_env_done(test_ctx_t *t, sg_env_t *e) {
  HalPutDmaAdapter(e->a);
  CHECK_EQ(t, sim_error_count(e->s), 0u);
  CHECK_EQ(t, hal_pool_free_pages(e->m), hal_pool_pages(e->m));
  hal_machine_destroy(e->m);
  CHECK_EQ(t, hostmem_dma_mapping_count(e->mem), 0u);
}

/* ---- the ExecutionRoutine ---------------------------------------------------------------- */

typedef struct sg_got {
  int calls;
  PSCATTER_GATHER_LIST list;
  PDEVICE_OBJECT dev;
  PIRP irp;
  unsigned irql;
  sim_t *sim;
  uint64_t *order_counter;
  uint64_t order;
} sg_got_t;

static VOID sg_exec(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST sg,
                    PVOID Context) {
  sg_got_t *g = Context;
  g->calls++;
  g->list = sg;
  g->dev = DeviceObject;
  g->irp = Irp;
  g->irql = sim_irql(g->sim);
  if (g->order_counter) g->order = ++*g->order_counter;
}

static NTSTATUS sg_get(sg_env_t *e, PMDL mdl, PVOID va, ULONG len, sg_got_t *g, int write) {
  g->sim = e->s;
  unsigned old = sim_raise_irql(e->s, SIM_DISPATCH_LEVEL);
  NTSTATUS st = HalGetScatterGatherList(e->a, e->dev, mdl, va, len, sg_exec, g,
                                        write ? TRUE : FALSE);
  sim_lower_irql(e->s, old);
  return st;
}

static void sg_put(sg_env_t *e, PSCATTER_GATHER_LIST l, int write) {
  unsigned old = sim_raise_irql(e->s, SIM_DISPATCH_LEVEL);
  HalPutScatterGatherList(e->a, l, write ? TRUE : FALSE);
  sim_lower_irql(e->s, old);
}

/* ---- the expected list, from the buffer's frames ----------------------------------------- */

typedef struct exp_el {
  uint64_t pa;     /* the buffer's own address (bounced: where the data lives) */
  uint32_t len;
  int bounced;
} exp_el_t;

/* [off, off+len) of b for a device reaching below limit: direct pages joined while physically
 * contiguous, each page beyond reach its own element. Returns the count (<= cap). */
static unsigned expect_list(const hostmem_buf_t *b, size_t off, size_t len, uint64_t limit,
                            exp_el_t *out, unsigned cap) {
  unsigned n = 0;
  size_t pos = off;
  while (pos < off + len && n <= cap) {
    uint64_t pa = hostmem_buf_pa(b, pos);
    size_t chunk = PAGE_SIZE - (size_t)(pa & (PAGE_SIZE - 1));
    if (chunk > off + len - pos) chunk = off + len - pos;
    int bounced = pa + chunk - 1 >= limit;
    if (!bounced && n > 0 && !out[n - 1].bounced && out[n - 1].pa + out[n - 1].len == pa) {
      out[n - 1].len += (uint32_t)chunk;
    } else if (n < cap) {
      out[n].pa = pa;
      out[n].len = (uint32_t)chunk;
      out[n].bounced = bounced;
      n++;
    } else {
      return cap + 1;
    }
    pos += chunk;
  }
  return n;
}

static int in_pool(const hal_machine_t *m, uint64_t pa, uint64_t len) {
  uint64_t lo = hal_pool_base_pa(m), hi = lo + (uint64_t)hal_pool_pages(m) * PAGE_SIZE;
  return pa >= lo && pa + len <= hi;
}

/* the list is the expected one: direct elements at the buffer's addresses, bounced ones in the
 * map register pool at the same page offset, all below the device's reach */
static void check_list(test_ctx_t *t, sg_env_t *e, const SCATTER_GATHER_LIST *l,
                       const hostmem_buf_t *b, size_t off, size_t len, uint64_t limit) {
  exp_el_t ex[64];
  unsigned n = expect_list(b, off, len, limit, ex, 64);
  REQUIRE(t, n <= 64, "test buffer too fragmented");
  REQUIRE_EQ(t, l->NumberOfElements, n);
  for (unsigned i = 0; i < n; i++) {
    uint64_t a = (uint64_t)l->Elements[i].Address.QuadPart;
    CHECK_EQ(t, l->Elements[i].Length, ex[i].len);
    CHECK(t, a + l->Elements[i].Length - 1 < limit, "element %u at 0x%llx beyond the reach",
          i, (unsigned long long)a);
    if (ex[i].bounced) {
      CHECK(t, in_pool(e->m, a, ex[i].len), "bounced element %u at 0x%llx not a map register",
            i, (unsigned long long)a);
      CHECK_EQ(t, a & (PAGE_SIZE - 1), ex[i].pa & (PAGE_SIZE - 1));
    } else {
      CHECK_EQ(t, a, ex[i].pa);
    }
  }
}

/* ---- the device -------------------------------------------------------------------------- */

/* the device writes data[] through the list (device -> memory), each element checked mapped
 * for device writes first */
static void dev_write_list(test_ctx_t *t, sg_env_t *e, const SCATTER_GATHER_LIST *l,
                           const uint8_t *data) {
  size_t at = 0;
  for (ULONG i = 0; i < l->NumberOfElements; i++) {
    uint64_t a = (uint64_t)l->Elements[i].Address.QuadPart;
    ULONG n = l->Elements[i].Length;
    CHECK_EQ(t, hostmem_dma_is_mapped(e->mem, a, n, 1), 1);
    REQUIRE_EQ(t, hostmem_write(e->mem, a, data + at, n), 0);
    at += n;
  }
}

/* the device reads through the list into out[] (memory -> device), each element checked mapped
 * for device reads and not for device writes */
static void dev_read_list(test_ctx_t *t, sg_env_t *e, const SCATTER_GATHER_LIST *l,
                          uint8_t *out) {
  size_t at = 0;
  for (ULONG i = 0; i < l->NumberOfElements; i++) {
    uint64_t a = (uint64_t)l->Elements[i].Address.QuadPart;
    ULONG n = l->Elements[i].Length;
    CHECK_EQ(t, hostmem_dma_is_mapped(e->mem, a, n, 0), 1);
    CHECK_EQ(t, hostmem_dma_is_mapped(e->mem, a, n, 1), 0);
    REQUIRE_EQ(t, hostmem_read(e->mem, a, out + at, n), 0);
    at += n;
  }
}

static uint8_t *random_bytes(test_ctx_t *t, size_t n, uint64_t stream) {
  uint8_t *p = malloc(n ? n : 1);
  REQUIRE(t, p != NULL, "malloc");
  prng_t r;
  prng_seed(&r, test_seed(t), stream);
  prng_fill(&r, p, n);
  return p;
}

/* One whole list round trip on [off, off+len) of hb: Get, compare with the expected list,
 * the device moves the bytes, Put; the caller's buffer (device -> memory) or what the device
 * read (memory -> device) is checked, and nothing outside the range changed. */
static void round_trip(test_ctx_t *t, sg_env_t *e, ht_buf_t *hb, size_t off, size_t len,
                       int write, uint64_t stream) {
  hostmem_buf_t *b = hb->b;
  uint64_t limit = hal_dma_address_limit(e->a);
  uint8_t *before = malloc(b->length), *data = random_bytes(t, len, stream);
  REQUIRE(t, before != NULL, "malloc");
  memcpy(before, b->va, b->length);
  size_t maps0 = hostmem_dma_mapping_count(e->mem);
  sg_got_t g;
  memset(&g, 0, sizeof g);
  PVOID va = (PCHAR)MmGetMdlVirtualAddress(hb->mdl) + off;
  REQUIRE_EQ(t, sg_get(e, hb->mdl, va, (ULONG)len, &g, write), STATUS_SUCCESS);
  REQUIRE_EQ(t, g.calls, 1);
  CHECK(t, g.dev == e->dev && g.irp == NULL, "ExecutionRoutine's DeviceObject / Irp");
  CHECK_EQ(t, g.irql, (unsigned)SIM_DISPATCH_LEVEL);
  check_list(t, e, g.list, b, off, len, limit);
  /* the device was given exactly the list's elements */
  CHECK_EQ(t, hostmem_dma_mapping_count(e->mem), maps0 + g.list->NumberOfElements);
  if (write) {
    uint8_t *got = calloc(1, len);
    REQUIRE(t, got != NULL, "malloc");
    dev_read_list(t, e, g.list, got);
    CHECK(t, memcmp(got, (uint8_t *)b->va + off, len) == 0,
          "the device read other bytes than the buffer holds (%zu at +%zu)", len, off);
    free(got);
    sg_put(e, g.list, 1);
    CHECK(t, memcmp(before, b->va, b->length) == 0, "memory -> device changed the buffer");
  } else {
    dev_write_list(t, e, g.list, data);
    sg_put(e, g.list, 0);
    CHECK(t, memcmp((uint8_t *)b->va + off, data, len) == 0,
          "after the Put the buffer does not hold the device's %zu bytes at +%zu", len, off);
    CHECK(t, memcmp(b->va, before, off) == 0, "bytes before the range changed");
    CHECK(t, memcmp((uint8_t *)b->va + off + len, before + off + len, b->length - off - len) == 0,
          "bytes after the range changed");
  }
  CHECK_EQ(t, hostmem_dma_mapping_count(e->mem), maps0);
  CHECK_EQ(t, hal_sg_lists_live(e->a), 0u);
  free(before);
  free(data);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* a physically contiguous buffer is one element, whatever the offset and length */
static void coalesce_contiguous(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 64 * PAGE_SIZE, 32, 0);
  CHECK_EQ(t, e.nregs, 65u);
  ht_buf_t hb = ht_buf(t, e.s, 8 * PAGE_SIZE + 333, 0x123, HOSTMEM_PLACE_CONTIGUOUS, 1);
  REQUIRE(t, hostmem_buf_is_contiguous(hb.b), "contiguous placement");
  size_t cases[][2] = {{0, 8 * PAGE_SIZE + 333}, {1, 5 * PAGE_SIZE + 7}, {4095, 1}, {77, 3}};
  for (unsigned i = 0; i < 4; i++) {
    for (int w = 0; w < 2; w++) {
      round_trip(t, &e, &hb, cases[i][0], cases[i][1], w, 10 + i * 2 + (unsigned)w);
    }
  }
  /* and the list says so: one element at the buffer's physical address */
  sg_got_t g;
  memset(&g, 0, sizeof g);
  REQUIRE_EQ(t, sg_get(&e, hb.mdl, hb.b->va, (ULONG)hb.b->length, &g, 1), STATUS_SUCCESS);
  REQUIRE_EQ(t, g.list->NumberOfElements, 1u);
  CHECK_EQ(t, (uint64_t)g.list->Elements[0].Address.QuadPart, hostmem_buf_pa(hb.b, 0));
  CHECK_EQ(t, g.list->Elements[0].Length, (ULONG)hb.b->length);
  sg_put(&e, g.list, 1);
  ht_buf_free(e.s, &hb);
  sg_env_done(t, &e);
}

/* scattered pages: one element per page, the first and last cut by the offset and length */
static void coalesce_scattered(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 64 * PAGE_SIZE, 32, 0);
  prng_t r;
  prng_seed(&r, test_seed(t), 99);
  for (unsigned k = 0; k < 6; k++) {
    size_t off = (size_t)prng_below(&r, PAGE_SIZE);
    size_t len = 1 + (size_t)prng_below(&r, 12 * PAGE_SIZE);
    ht_buf_t hb = ht_buf(t, e.s, len, off, HOSTMEM_PLACE_SCATTERED, 20 + k);
    round_trip(t, &e, &hb, 0, len, (int)(k & 1u), 30 + k);
    /* scattered placement never puts consecutive pages side by side: one per page */
    sg_got_t g;
    memset(&g, 0, sizeof g);
    REQUIRE_EQ(t, sg_get(&e, hb.mdl, hb.b->va, (ULONG)len, &g, 1), STATUS_SUCCESS);
    CHECK_EQ(t, g.list->NumberOfElements, (ULONG)hb.b->npages);
    CHECK_EQ(t, g.list->Elements[0].Length,
             (ULONG)(len < PAGE_SIZE - off ? len : PAGE_SIZE - off));
    sg_put(&e, g.list, 1);
    ht_buf_free(e.s, &hb);
  }
  /* mixed placement, sub-ranges at odd offsets and lengths */
  ht_buf_t hb = ht_buf(t, e.s, 40 * PAGE_SIZE, 5, HOSTMEM_PLACE_MIXED, 40);
  for (unsigned k = 0; k < 8; k++) {
    size_t off = (size_t)prng_below(&r, 20 * PAGE_SIZE);
    size_t len = 1 + (size_t)prng_below(&r, 20 * PAGE_SIZE - 1);
    round_trip(t, &e, &hb, off, len, (int)(k & 1u), 50 + k);
  }
  ht_buf_free(e.s, &hb);
  sg_env_done(t, &e);
}

/* address width: a buffer above 16 MiB bounces for a 24-bit device (one element per page, in
 * the map registers), goes direct for a 32-bit one; a 25-bit DmaAddressWidth splits a mixed
 * buffer at 32 MiB. Device -> memory data reaches the buffer only at the Put. */
static void address_width_bounce(test_ctx_t *t) {
  sg_env_t e24, e32, e25;
  sg_env(t, &e24, 0, 32 * PAGE_SIZE, 24, 0);
  CHECK_EQ(t, hal_dma_address_limit(e24.a), HOSTMEM_16M);
  ht_buf_t hb = ht_buf(t, e24.s, 6 * PAGE_SIZE + 100, 0x321, HOSTMEM_PLACE_ABOVE_16M, 1);
  REQUIRE(t, hostmem_buf_pa(hb.b, 0) >= HOSTMEM_16M, "placement");
  round_trip(t, &e24, &hb, 0, hb.b->length, 1, 2);
  round_trip(t, &e24, &hb, 0, hb.b->length, 0, 3);
  round_trip(t, &e24, &hb, 4000, 200, 0, 4);   /* across one page boundary, two registers */
  /* the copy-back happens at the Put, not before */
  uint8_t *data = random_bytes(t, hb.b->length, 5);
  uint8_t *before = malloc(hb.b->length);
  REQUIRE(t, before != NULL, "malloc");
  memcpy(before, hb.b->va, hb.b->length);
  sg_got_t g;
  memset(&g, 0, sizeof g);
  REQUIRE_EQ(t, sg_get(&e24, hb.mdl, hb.b->va, (ULONG)hb.b->length, &g, 0), STATUS_SUCCESS);
  REQUIRE_EQ(t, g.list->NumberOfElements, 7u);
  CHECK_EQ(t, hal_pool_free_pages(e24.m), hal_pool_pages(e24.m) - 7u);
  /* device -> memory bounce pages start zeroed */
  for (ULONG i = 0; i < g.list->NumberOfElements; i++) {
    uint8_t z[PAGE_SIZE], zero[PAGE_SIZE];
    memset(zero, 0, sizeof zero);
    ULONG n = g.list->Elements[i].Length;
    REQUIRE_EQ(t, hostmem_read(e24.mem, (uint64_t)g.list->Elements[i].Address.QuadPart, z, n),
               0);
    CHECK(t, memcmp(z, zero, n) == 0, "bounce page %u not zeroed", (unsigned)i);
  }
  dev_write_list(t, &e24, g.list, data);
  CHECK(t, memcmp(hb.b->va, before, hb.b->length) == 0, "data reached the buffer before Put");
  sg_put(&e24, g.list, 0);
  CHECK(t, memcmp(hb.b->va, data, hb.b->length) == 0, "copy-back at Put");
  CHECK_EQ(t, hal_pool_free_pages(e24.m), hal_pool_pages(e24.m));
  free(data);
  free(before);
  ht_buf_free(e24.s, &hb);
  sg_env_done(t, &e24);

  /* a 32-bit device reaches it directly */
  sg_env(t, &e32, 0, 32 * PAGE_SIZE, 32, 0);
  CHECK_EQ(t, hal_dma_address_limit(e32.a), 1ull << 32);
  hb = ht_buf(t, e32.s, 6 * PAGE_SIZE + 100, 0x321, HOSTMEM_PLACE_ABOVE_16M, 6);
  round_trip(t, &e32, &hb, 0, hb.b->length, 0, 7);
  round_trip(t, &e32, &hb, 0, hb.b->length, 1, 8);
  ht_buf_free(e32.s, &hb);
  sg_env_done(t, &e32);

  /* DEVICE_DESCRIPTION_VERSION3, 25 address bits: mixed pages, above 32 MiB bounced */
  sg_env(t, &e25, 0, 64 * PAGE_SIZE, 24, 25);
  CHECK_EQ(t, hal_dma_address_limit(e25.a), 32ull << 20);
  hb = ht_buf(t, e25.s, 48 * PAGE_SIZE, 0, HOSTMEM_PLACE_MIXED, 9);
  round_trip(t, &e25, &hb, 17, 40 * PAGE_SIZE, 0, 10);
  round_trip(t, &e25, &hb, 17, 40 * PAGE_SIZE, 1, 11);
  ht_buf_free(e25.s, &hb);
  sg_env_done(t, &e25);
}

/* map registers: a list needing more than are free waits (FIFO) and its ExecutionRoutine runs
 * inside the Put that frees them; more than the adapter maximum is refused */
static void map_register_exhaustion(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 8, 6 * PAGE_SIZE, 24, 0);
  CHECK_EQ(t, e.nregs, 7u);
  ht_buf_t a = ht_buf(t, e.s, 6 * PAGE_SIZE, 0, HOSTMEM_PLACE_ABOVE_16M, 1);
  ht_buf_t b = ht_buf(t, e.s, 4 * PAGE_SIZE, 0, HOSTMEM_PLACE_ABOVE_16M, 2);
  uint64_t order = 0;
  sg_got_t ga, gb;
  memset(&ga, 0, sizeof ga);
  memset(&gb, 0, sizeof gb);
  ga.order_counter = gb.order_counter = &order;
  REQUIRE_EQ(t, sg_get(&e, a.mdl, a.b->va, 6 * PAGE_SIZE, &ga, 0), STATUS_SUCCESS);
  REQUIRE_EQ(t, ga.calls, 1);
  CHECK_EQ(t, hal_pool_free_pages(e.m), 2u);
  REQUIRE_EQ(t, sg_get(&e, b.mdl, b.b->va, 4 * PAGE_SIZE, &gb, 1), STATUS_SUCCESS);
  CHECK_EQ(t, gb.calls, 0);   /* queued: 4 registers, 2 free */
  CHECK_EQ(t, hal_waiting_requests(e.m), 1u);
  /* the device fills list A meanwhile */
  uint8_t *data = random_bytes(t, 6 * PAGE_SIZE, 3);
  dev_write_list(t, &e, ga.list, data);
  sg_put(&e, ga.list, 0);
  REQUIRE_EQ(t, gb.calls, 1); /* ran inside the Put */
  CHECK_EQ(t, gb.irql, (unsigned)SIM_DISPATCH_LEVEL);
  CHECK(t, gb.order > ga.order, "served in order");
  CHECK_EQ(t, hal_waiting_requests(e.m), 0u);
  CHECK(t, memcmp(a.b->va, data, 6 * PAGE_SIZE) == 0, "list A's data after its Put");
  check_list(t, &e, gb.list, b.b, 0, 4 * PAGE_SIZE, HOSTMEM_16M);
  uint8_t *got = calloc(1, 4 * PAGE_SIZE);
  REQUIRE(t, got != NULL, "malloc");
  dev_read_list(t, &e, gb.list, got);
  CHECK(t, memcmp(got, b.b->va, 4 * PAGE_SIZE) == 0, "list B's bytes through the registers");
  sg_put(&e, gb.list, 1);
  /* more registers than the adapter's maximum: refused, never run */
  ht_buf_t c = ht_buf(t, e.s, 8 * PAGE_SIZE, 0, HOSTMEM_PLACE_SCATTERED, 4);
  sg_got_t gc;
  memset(&gc, 0, sizeof gc);
  CHECK_EQ(t, sg_get(&e, c.mdl, c.b->va, 8 * PAGE_SIZE, &gc, 1),
           STATUS_INSUFFICIENT_RESOURCES);
  CHECK_EQ(t, gc.calls, 0);
  /* 7 pages (the maximum) at an odd offset span 8: refused too; 7 spanned is fine */
  CHECK_EQ(t, sg_get(&e, c.mdl, (PCHAR)c.b->va + 1, 7 * PAGE_SIZE, &gc, 1),
           STATUS_INSUFFICIENT_RESOURCES);
  CHECK_EQ(t, gc.calls, 0);
  round_trip(t, &e, &c, 1, 7 * PAGE_SIZE - 1, 0, 5);
  free(data);
  free(got);
  ht_buf_free(e.s, &a);
  ht_buf_free(e.s, &b);
  ht_buf_free(e.s, &c);
  sg_env_done(t, &e);
}

/* BuildScatterGatherList: CalculateScatterGatherList's size fits, one byte less is
 * BUFFER_TOO_SMALL (routine never called), the list lands in the caller's buffer */
static void build_into_caller_buffer(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 32 * PAGE_SIZE, 24, 0);
  ht_buf_t hb = ht_buf(t, e.s, 9 * PAGE_SIZE + 10, 0x800, HOSTMEM_PLACE_MIXED, 1);
  ULONG len = (ULONG)hb.b->length;
  exp_el_t ex[64];
  unsigned n = expect_list(hb.b, 0, len, HOSTMEM_16M, ex, 64);
  ULONG size = 0, regs = 0;
  REQUIRE_EQ(t, HalCalculateScatterGatherList(e.a, hb.mdl, hb.b->va, len, &size, &regs),
             STATUS_SUCCESS);
  CHECK_EQ(t, size, (ULONG)(sizeof(SCATTER_GATHER_LIST) + n * sizeof(SCATTER_GATHER_ELEMENT)));
  CHECK_EQ(t, regs, ADDRESS_AND_SIZE_TO_SPAN_PAGES(hb.b->va, len));
  /* without an MDL: the worst case, one element per page */
  ULONG worst = 0;
  REQUIRE_EQ(t, HalCalculateScatterGatherList(e.a, NULL, hb.b->va, len, &worst, NULL),
             STATUS_SUCCESS);
  CHECK_EQ(t, worst, (ULONG)(sizeof(SCATTER_GATHER_LIST) +
                             ADDRESS_AND_SIZE_TO_SPAN_PAGES(hb.b->va, len) *
                                 sizeof(SCATTER_GATHER_ELEMENT)));
  CHECK(t, worst >= size, "worst case below the exact size");
  uint8_t *buf = calloc(1, size);
  REQUIRE(t, buf != NULL, "malloc");
  sg_got_t g;
  memset(&g, 0, sizeof g);
  g.sim = e.s;
  unsigned old = sim_raise_irql(e.s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, HalBuildScatterGatherList(e.a, e.dev, hb.mdl, hb.b->va, len, sg_exec, &g, FALSE,
                                        buf, size - 1),
           STATUS_BUFFER_TOO_SMALL);
  CHECK_EQ(t, g.calls, 0);
  CHECK_EQ(t, HalBuildScatterGatherList(e.a, e.dev, hb.mdl, hb.b->va, len, sg_exec, &g, FALSE,
                                        buf, size),
           STATUS_SUCCESS);
  sim_lower_irql(e.s, old);
  REQUIRE_EQ(t, g.calls, 1);
  CHECK(t, g.list == (PSCATTER_GATHER_LIST)buf, "the list is not in the caller's buffer");
  check_list(t, &e, g.list, hb.b, 0, len, HOSTMEM_16M);
  uint8_t *data = random_bytes(t, len, 2);
  dev_write_list(t, &e, g.list, data);
  sg_put(&e, g.list, 0);
  CHECK(t, memcmp(hb.b->va, data, len) == 0, "buffer after Put");
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_SG_BUFFER_CHANGED), 0u);

  /* the caller reuses its buffer while the list is live (as if freed and allocated again):
   * the Put reports SG_BUFFER_CHANGED and still puts the list as built (the bounced bytes
   * reach the caller's pages) */
  memset(&g, 0, sizeof g);
  g.sim = e.s;
  old = sim_raise_irql(e.s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, HalBuildScatterGatherList(e.a, e.dev, hb.mdl, hb.b->va, len, sg_exec, &g, FALSE,
                                        buf, size),
           STATUS_SUCCESS);
  sim_lower_irql(e.s, old);
  REQUIRE_EQ(t, g.calls, 1);
  uint8_t *data2 = random_bytes(t, len, 3);
  dev_write_list(t, &e, g.list, data2);
  memset(buf, 0x6B, size);   /* the buffer's new owner writes it */
  hal_vf_expect(e.vf, HAL_VF_SG_BUFFER_CHANGED, 1);
  sg_put(&e, (PSCATTER_GATHER_LIST)buf, 0);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_SG_BUFFER_CHANGED), 1u);
  CHECK(t, memcmp(hb.b->va, data2, len) == 0, "the data reached the buffer after the Put");
  free(data2);
  free(data);
  free(buf);
  ht_buf_free(e.s, &hb);
  sg_env_done(t, &e);
}

/* the verifier: a list put twice, a list never put (caught at PutDmaAdapter, everything
 * reclaimed), a Put of a list another adapter built; common buffers freed twice and leaked */
static void verifier_kinds(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 16 * PAGE_SIZE, 24, 0);
  ht_buf_t hb = ht_buf(t, e.s, 3 * PAGE_SIZE, 0, HOSTMEM_PLACE_ABOVE_16M, 1);
  sg_got_t g;
  memset(&g, 0, sizeof g);
  REQUIRE_EQ(t, sg_get(&e, hb.mdl, hb.b->va, 3 * PAGE_SIZE, &g, 1), STATUS_SUCCESS);
  uint8_t *got = calloc(1, 3 * PAGE_SIZE);
  REQUIRE(t, got != NULL, "malloc");
  dev_read_list(t, &e, g.list, got);
  CHECK(t, memcmp(got, hb.b->va, 3 * PAGE_SIZE) == 0, "bytes");
  sg_put(&e, g.list, 1);
  hal_vf_expect(e.vf, HAL_VF_SG_LIST_PUT_TWICE, 1);
  sg_put(&e, g.list, 1);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_SG_LIST_PUT_TWICE), 1u);
  CHECK_EQ(t, hal_pool_free_pages(e.m), hal_pool_pages(e.m));
  /* a list of another adapter */
  PDEVICE_OBJECT dev2 = hal_device_create(e.m, 0);
  DEVICE_DESCRIPTION d = sg_desc(16 * PAGE_SIZE, 24, 0);
  ULONG n2 = 0;
  PDMA_ADAPTER a2 = HalGetDmaAdapter(dev2, &d, &n2);
  REQUIRE(t, a2 != NULL, "second adapter");
  sg_got_t g2;
  memset(&g2, 0, sizeof g2);
  g2.sim = e.s;
  unsigned old = sim_raise_irql(e.s, SIM_DISPATCH_LEVEL);
  REQUIRE_EQ(t, HalGetScatterGatherList(a2, dev2, hb.mdl, hb.b->va, 3 * PAGE_SIZE, sg_exec,
                                        &g2, FALSE),
             STATUS_SUCCESS);
  hal_vf_expect(e.vf, HAL_VF_SG_LIST_FOREIGN, 1);
  HalPutScatterGatherList(e.a, g2.list, FALSE);
  sim_lower_irql(e.s, old);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_SG_LIST_FOREIGN), 1u);
  CHECK_EQ(t, hal_sg_lists_live(a2), 1u);
  /* the device fills a2's list, which is never put: PutDmaAdapter reports and reclaims */
  uint8_t *data = random_bytes(t, 3 * PAGE_SIZE, 2);
  dev_write_list(t, &e, g2.list, data);
  CHECK(t, hal_pool_free_pages(e.m) < hal_pool_pages(e.m), "registers held");
  hal_vf_expect(e.vf, HAL_VF_SG_LIST_LEAKED, 1);
  HalPutDmaAdapter(a2);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_SG_LIST_LEAKED), 1u);
  CHECK_EQ(t, hal_pool_free_pages(e.m), hal_pool_pages(e.m));
  CHECK_EQ(t, hostmem_dma_mapping_count(e.mem), 0u);
  CHECK(t, memcmp(got, hb.b->va, 3 * PAGE_SIZE) == 0, "a leaked list is not copied back");
  /* common buffers */
  PHYSICAL_ADDRESS la;
  PVOID cb = HalAllocateCommonBuffer(e.a, 100, &la, FALSE);
  REQUIRE(t, cb != NULL, "common buffer");
  HalFreeCommonBuffer(e.a, 100, la, cb, FALSE);
  hal_vf_expect(e.vf, HAL_VF_COMMON_BUFFER_FREED_TWICE, 1);
  HalFreeCommonBuffer(e.a, 100, la, cb, FALSE);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_COMMON_BUFFER_FREED_TWICE), 1u);
  cb = HalAllocateCommonBuffer(e.a, 5000, &la, FALSE);
  REQUIRE(t, cb != NULL, "common buffer");
  CHECK_EQ(t, hostmem_dma_mapping_count(e.mem), 1u);
  hal_vf_expect(e.vf, HAL_VF_COMMON_BUFFER_LEAKED, 1);
  HalPutDmaAdapter(e.a);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_COMMON_BUFFER_LEAKED), 1u);
  CHECK_EQ(t, hostmem_dma_mapping_count(e.mem), 0u);
  /* an adapter never put, holding a list and a common buffer: the machine's
   * destruction reports it and releases everything (LeakSanitizer checks the HAL's memory) */
  PDMA_ADAPTER a3 = HalGetDmaAdapter(dev2, &d, &n2);
  REQUIRE(t, a3 != NULL, "third adapter");
  PVOID cb3 = HalAllocateCommonBuffer(a3, 3000, &la, FALSE);
  REQUIRE(t, cb3 != NULL, "common buffer");
  sg_got_t g3;
  memset(&g3, 0, sizeof g3);
  g3.sim = e.s;
  old = sim_raise_irql(e.s, SIM_DISPATCH_LEVEL);
  REQUIRE_EQ(t, HalGetScatterGatherList(a3, dev2, hb.mdl, hb.b->va, 3 * PAGE_SIZE, sg_exec,
                                        &g3, TRUE),
             STATUS_SUCCESS);
  sim_lower_irql(e.s, old);
  CHECK_EQ(t, g3.calls, 1);
  hal_vf_expect(e.vf, HAL_VF_ADAPTER_LEAKED, 1);
  CHECK_EQ(t, sim_error_count(e.s), 0u);
  free(got);
  free(data);
  hal_machine_destroy(e.m);
  CHECK_EQ(t, hostmem_dma_mapping_count(e.mem), 0u);
  CHECK_EQ(t, sim_error_count(e.s), 0u);
  ht_buf_free(e.s, &hb);
}

/* MapTransfer's bus-master form, called repeatedly: each call maps one contiguous run within
 * reach (or one page through the next map register) and says how many bytes; the runs are
 * the expected list's elements; the flush copies bounced device -> memory data back */
static void map_transfer_bus_master(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 24 * PAGE_SIZE, 24, 0);
  /* 20 frames: 6 contiguous below 16 MiB, 4 above (scattered), 6 contiguous below, 4 above */
  uint64_t pfns[20];
  REQUIRE_EQ(t, hostmem_alloc_contig(e.mem, 6, HOSTMEM_16M, 0, &pfns[0]), 0);
  REQUIRE_EQ(t, hostmem_alloc_pages(e.mem, 4, HOSTMEM_PLACE_ABOVE_16M, &pfns[6]), 0);
  REQUIRE_EQ(t, hostmem_alloc_contig(e.mem, 6, HOSTMEM_16M, 0, &pfns[10]), 0);
  REQUIRE_EQ(t, hostmem_alloc_pages(e.mem, 4, HOSTMEM_PLACE_ABOVE_16M, &pfns[16]), 0);
  for (unsigned i = 1; i < 6; i++) pfns[i] = pfns[0] + i, pfns[10 + i] = pfns[10] + i;
  ht_buf_t hb;
  hb.b = hostmem_buf_adopt(e.mem, 20 * PAGE_SIZE - 0x10, 0x10, pfns);
  REQUIRE(t, hb.b != NULL, "hostmem_buf_adopt");
  {
    prng_t r;
    prng_seed(&r, test_seed(t), 1);
    prng_fill(&r, hb.b->va, hb.b->length);
  }
  hb.mdl = IoAllocateMdl(hb.b->va, (ULONG)hb.b->length, FALSE, FALSE, NULL);
  REQUIRE(t, hb.mdl != NULL, "IoAllocateMdl");
  MmBuildMdlForNonPagedPool(hb.mdl);
  size_t off = 0x7F0, len = 18 * PAGE_SIZE + 3;
  exp_el_t ex[64];
  unsigned n = expect_list(hb.b, off, len, HOSTMEM_16M, ex, 64);
  REQUIRE(t, n <= 64, "fragmented");
  /* runs of several pages and bounced pages, both */
  CHECK_EQ(t, n, 1u + 4u + 1u + 3u); /* pages 0-5, 6..9, 10-15, 16..18 */
  CHECK(t, !ex[0].bounced && ex[0].len > 4 * PAGE_SIZE && ex[1].bounced, "layout");
  for (int w = 0; w < 2; w++) {
    ht_grant_t gr;
    memset(&gr, 0, sizeof gr);
    ULONG need = ADDRESS_AND_SIZE_TO_SPAN_PAGES((PCHAR)hb.b->va + off, len);
    REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, need, &gr), STATUS_SUCCESS);
    REQUIRE_EQ(t, gr.calls, 1);
    uint8_t *before = malloc(hb.b->length), *data = random_bytes(t, len, 2 + (unsigned)w);
    REQUIRE(t, before != NULL, "malloc");
    memcpy(before, hb.b->va, hb.b->length);
    PCHAR va0 = (PCHAR)MmGetMdlVirtualAddress(hb.mdl) + off;
    size_t done = 0;
    unsigned runs = 0;
    while (done < len && runs < 64) {
      ULONG l = (ULONG)(len - done);
      PHYSICAL_ADDRESS la = HalMapTransfer(e.a, hb.mdl, gr.base, va0 + done, &l, (BOOLEAN)w);
      REQUIRE(t, la.QuadPart != 0 && l > 0, "MapTransfer at +%zu", done);
      uint64_t a = (uint64_t)la.QuadPart;
      CHECK_EQ(t, l, ex[runs].len);
      if (ex[runs].bounced) {
        CHECK(t, in_pool(e.m, a, l), "bounced run %u not in the map registers", runs);
        CHECK_EQ(t, a & (PAGE_SIZE - 1), ex[runs].pa & (PAGE_SIZE - 1));
      } else {
        CHECK_EQ(t, a, ex[runs].pa);
      }
      CHECK_EQ(t, hostmem_dma_is_mapped(e.mem, a, l, w ? 0 : 1), 1);
      if (w) {
        REQUIRE_EQ(t, hostmem_read(e.mem, a, data + done, l), 0);
        CHECK(t, memcmp(data + done, (uint8_t *)hb.b->va + off + done, l) == 0,
              "run %u bytes", runs);
      } else {
        REQUIRE_EQ(t, hostmem_write(e.mem, a, data + done, l), 0);
      }
      done += l;
      runs++;
    }
    CHECK_EQ(t, runs, n);
    CHECK_EQ(t, done, len);
    BOOLEAN ok = HalFlushAdapterBuffers(e.a, hb.mdl, gr.base, va0, (ULONG)len, (BOOLEAN)w);
    CHECK_EQ(t, ok, TRUE);
    CHECK_EQ(t, hostmem_dma_mapping_count(e.mem), 0u);
    if (w) {
      CHECK(t, memcmp(before, hb.b->va, hb.b->length) == 0, "memory -> device changed it");
    } else {
      CHECK(t, memcmp((uint8_t *)hb.b->va + off, data, len) == 0, "device -> memory bytes");
      CHECK(t, memcmp(hb.b->va, before, off) == 0, "bytes before changed");
      CHECK(t, memcmp((uint8_t *)hb.b->va + off + len, before + off + len,
                      hb.b->length - off - len) == 0,
            "bytes after changed");
    }
    ht_free_channel(e.s, e.a);
    free(before);
    free(data);
  }
  ht_buf_free(e.s, &hb);
  sg_env_done(t, &e);
}

/* AllocateCommonBuffer: physically contiguous, within the device's reach, VA and logical
 * address name the same bytes, the device may use it until FreeCommonBuffer */
static void common_buffer(test_ctx_t *t) {
  static const unsigned bits[2] = {24, 32};
  for (unsigned k = 0; k < 2; k++) {
    sg_env_t e;
    sg_env(t, &e, 0, 16 * PAGE_SIZE, bits[k], 0);
    ULONG len = 3 * PAGE_SIZE + 123;
    PHYSICAL_ADDRESS la;
    la.QuadPart = 0;
    uint8_t *va = HalAllocateCommonBuffer(e.a, len, &la, TRUE);
    REQUIRE(t, va != NULL, "AllocateCommonBuffer");
    uint64_t pa = (uint64_t)la.QuadPart;
    CHECK(t, pa != 0 && pa + len - 1 < hal_dma_address_limit(e.a), "beyond the reach");
    CHECK_EQ(t, pa & (PAGE_SIZE - 1), 0u);
    CHECK_EQ(t, va[0], 0);
    CHECK_EQ(t, va[len - 1], 0);
    /* the CPU writes through the VA, the device reads the logical address, and back */
    uint8_t *cpu = random_bytes(t, len, 1 + k), *dev = random_bytes(t, len, 10 + k);
    uint8_t *got = calloc(1, len);
    REQUIRE(t, got != NULL, "malloc");
    memcpy(va, cpu, len);
    CHECK_EQ(t, hostmem_dma_is_mapped(e.mem, pa, len, 1), 1);
    REQUIRE_EQ(t, hostmem_read(e.mem, pa, got, len), 0);
    CHECK(t, memcmp(got, cpu, len) == 0, "device view of the CPU's bytes");
    REQUIRE_EQ(t, hostmem_write(e.mem, pa, dev, len), 0);
    CHECK(t, memcmp(va, dev, len) == 0, "CPU view of the device's bytes");
    HalFreeCommonBuffer(e.a, len, la, va, TRUE);
    CHECK_EQ(t, hostmem_dma_is_mapped(e.mem, pa, len, 0), 0);
    free(cpu);
    free(dev);
    free(got);
    sg_env_done(t, &e);
  }
}

/* the device's element limits (hbasim extension): no element longer than the maximum or
 * across the boundary; the bytes still arrive */
static void element_limits(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 32 * PAGE_SIZE, 32, 0);
  REQUIRE_EQ(t, hal_dma_set_sg_limits(e.a, 6000, 8192), 0);
  CHECK_EQ(t, hal_dma_set_sg_limits(e.a, 0, 3000), -1);
  ht_buf_t hb = ht_buf(t, e.s, 12 * PAGE_SIZE, 0x100, HOSTMEM_PLACE_CONTIGUOUS, 1);
  uint8_t *data = random_bytes(t, hb.b->length, 2);
  sg_got_t g;
  memset(&g, 0, sizeof g);
  REQUIRE_EQ(t, sg_get(&e, hb.mdl, hb.b->va, (ULONG)hb.b->length, &g, 0), STATUS_SUCCESS);
  uint64_t next = hostmem_buf_pa(hb.b, 0), total = 0;
  for (ULONG i = 0; i < g.list->NumberOfElements; i++) {
    uint64_t a = (uint64_t)g.list->Elements[i].Address.QuadPart;
    ULONG l = g.list->Elements[i].Length;
    CHECK(t, l >= 1 && l <= 6000, "element %u of %u bytes", (unsigned)i, (unsigned)l);
    CHECK_EQ(t, a / 8192, (a + l - 1) / 8192);
    CHECK_EQ(t, a, next);
    next = a + l;
    total += l;
  }
  CHECK_EQ(t, total, hb.b->length);
  CHECK(t, g.list->NumberOfElements >= 7u, "not split");
  dev_write_list(t, &e, g.list, data);
  sg_put(&e, g.list, 0);
  CHECK(t, memcmp(hb.b->va, data, hb.b->length) == 0, "bytes");
  free(data);
  ht_buf_free(e.s, &hb);
  sg_env_done(t, &e);
}

/* bad arguments: each refused with its status and record, nothing held afterwards; a Get at
 * PASSIVE_LEVEL and a Put with the other direction are recorded and still work */
static void bad_arguments(test_ctx_t *t) {
  sg_env_t e;
  sg_env(t, &e, 0, 4 * PAGE_SIZE, 24, 0);
  ht_buf_t hb = ht_buf(t, e.s, 2 * PAGE_SIZE, 0, HOSTMEM_PLACE_ABOVE_16M, 1);
  sg_got_t g;
  memset(&g, 0, sizeof g);
  hal_vf_expect(e.vf, HAL_VF_BAD_PARAMETER, 1);
  CHECK_EQ(t, sg_get(&e, NULL, hb.b->va, 10, &g, 1), STATUS_INVALID_PARAMETER);
  hal_vf_expect(e.vf, HAL_VF_ZERO_LENGTH_MAP, 1);
  CHECK_EQ(t, sg_get(&e, hb.mdl, hb.b->va, 0, &g, 1), STATUS_INVALID_PARAMETER);
  hal_vf_expect(e.vf, HAL_VF_MAP_OUTSIDE_MDL, 1);
  CHECK_EQ(t, sg_get(&e, hb.mdl, (PCHAR)hb.b->va + 10, 2 * PAGE_SIZE, &g, 1),
           STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, g.calls, 0);
  CHECK_EQ(t, hal_vf_expected_left(e.vf, HAL_VF_BAD_PARAMETER), 0u);
  CHECK_EQ(t, hal_vf_expected_left(e.vf, HAL_VF_ZERO_LENGTH_MAP), 0u);
  CHECK_EQ(t, hal_vf_expected_left(e.vf, HAL_VF_MAP_OUTSIDE_MDL), 0u);
  /* at PASSIVE_LEVEL: recorded, the list is still built; the routine runs at DISPATCH_LEVEL */
  g.sim = e.s;
  hal_vf_expect(e.vf, HAL_VF_WRONG_IRQL, 1);
  CHECK_EQ(t, HalGetScatterGatherList(e.a, e.dev, hb.mdl, hb.b->va, 2 * PAGE_SIZE, sg_exec, &g,
                                      FALSE),
           STATUS_SUCCESS);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_WRONG_IRQL), 1u);
  REQUIRE_EQ(t, g.calls, 1);
  CHECK_EQ(t, g.irql, (unsigned)SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, sim_irql(e.s), (unsigned)SIM_PASSIVE_LEVEL);
  uint8_t *data = random_bytes(t, 2 * PAGE_SIZE, 2);
  dev_write_list(t, &e, g.list, data);
  /* Put with WriteToDevice TRUE for a device -> memory list: recorded, handled as built */
  hal_vf_expect(e.vf, HAL_VF_FLUSH_MISMATCH, 1);
  sg_put(&e, g.list, 1);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_FLUSH_MISMATCH), 1u);
  CHECK(t, memcmp(hb.b->va, data, 2 * PAGE_SIZE) == 0, "copied back as built");
  /* MapTransfer: a bounced page beyond the registers allocated */
  ht_grant_t gr;
  memset(&gr, 0, sizeof gr);
  REQUIRE_EQ(t, ht_allocate(e.s, e.a, e.dev, 1, &gr), STATUS_SUCCESS);
  ULONG l = 2 * PAGE_SIZE;
  PHYSICAL_ADDRESS la = HalMapTransfer(e.a, hb.mdl, gr.base, hb.b->va, &l, TRUE);
  CHECK(t, la.QuadPart != 0 && l == PAGE_SIZE, "first page through the one register");
  uint8_t page[PAGE_SIZE];
  REQUIRE_EQ(t, hostmem_read(e.mem, (uint64_t)la.QuadPart, page, PAGE_SIZE), 0);
  CHECK(t, memcmp(page, hb.b->va, PAGE_SIZE) == 0, "bounce page holds the buffer's bytes");
  ULONG l2 = PAGE_SIZE;
  hal_vf_expect(e.vf, HAL_VF_MAP_EXCEEDS_REGISTERS, 1);
  CHECK_EQ(t, HalMapTransfer(e.a, hb.mdl, gr.base, (PCHAR)hb.b->va + PAGE_SIZE, &l2, TRUE)
                  .QuadPart,
           0);
  CHECK_EQ(t, hal_vf_count(e.vf, HAL_VF_MAP_EXCEEDS_REGISTERS), 1u);
  CHECK_EQ(t, HalFlushAdapterBuffers(e.a, hb.mdl, gr.base, hb.b->va, PAGE_SIZE, TRUE), TRUE);
  ht_free_channel(e.s, e.a);
  /* common buffer freed with the wrong length: refused, freed properly after */
  PHYSICAL_ADDRESS cla;
  PVOID cb = HalAllocateCommonBuffer(e.a, 64, &cla, FALSE);
  REQUIRE(t, cb != NULL, "common buffer");
  hal_vf_expect(e.vf, HAL_VF_BAD_PARAMETER, 1);
  HalFreeCommonBuffer(e.a, 65, cla, cb, FALSE);
  CHECK_EQ(t, hostmem_dma_is_mapped(e.mem, (uint64_t)cla.QuadPart, 64, 1), 1);
  HalFreeCommonBuffer(e.a, 64, cla, cb, FALSE);
  /* IoGetDmaAdapter: an address width the machine does not serve */
  DEVICE_DESCRIPTION d = sg_desc(PAGE_SIZE, 32, 20);
  ULONG n = 0;
  hal_vf_expect(e.vf, HAL_VF_BAD_PARAMETER, 1);
  CHECK(t, HalGetDmaAdapter(e.dev, &d, &n) == NULL, "20-bit DmaAddressWidth accepted");
  CHECK_EQ(t, hal_vf_expected_left(e.vf, HAL_VF_BAD_PARAMETER), 0u);
  free(data);
  ht_buf_free(e.s, &hb);
  sg_env_done(t, &e);
}

static const test_def_t hal_sg_tests[] = {
    {"coalesce_contiguous", coalesce_contiguous, 0, 100000,
     "a physically contiguous buffer is one element at any offset and length; bytes moved "
     "both ways"},
    {"coalesce_scattered", coalesce_scattered, TEST_F_RANDOM, 100000,
     "scattered pages give one element per page, mixed pages join contiguous runs; seeded "
     "offsets and lengths; bytes moved both ways"},
    {"address_width_bounce", address_width_bounce, 0, 100000,
     "24-bit device: pages above 16 MiB bounce through map registers, copied back at Put; "
     "32-bit direct; DmaAddressWidth 25 splits at 32 MiB"},
    {"map_register_exhaustion", map_register_exhaustion, 0, 100000,
     "a list needing more map registers than are free waits and runs inside the Put that frees "
     "them; above the maximum STATUS_INSUFFICIENT_RESOURCES"},
    {"build_into_caller_buffer", build_into_caller_buffer, 0, 100000,
     "CalculateScatterGatherList's size; BuildScatterGatherList BUFFER_TOO_SMALL one byte "
     "short, else the list in the caller's buffer; the buffer reused before the Put: "
     "SG_BUFFER_CHANGED"},
    {"verifier_kinds", verifier_kinds, 0, 100000,
     "SG list put twice, put by another adapter, leaked at PutDmaAdapter (reclaimed); common "
     "buffer freed twice and leaked"},
    {"map_transfer_bus_master", map_transfer_bus_master, 0, 100000,
     "MapTransfer's bus-master form called repeatedly: one run per call, Length out, bounced "
     "pages through map registers, flush copies back"},
    {"common_buffer", common_buffer, 0, 100000,
     "AllocateCommonBuffer: contiguous, within reach, VA and logical address agree, device "
     "access until FreeCommonBuffer"},
    {"element_limits", element_limits, 0, 100000,
     "hal_dma_set_sg_limits: elements no longer than the maximum, never across the boundary"},
    {"bad_arguments", bad_arguments, 0, 100000,
     "NULL MDL, zero length, range outside the MDL, registers exhausted in MapTransfer, a bad "
     "FreeCommonBuffer and address width refused; wrong IRQL and direction recorded"},
};
TEST_SUITE(hal_sg);
