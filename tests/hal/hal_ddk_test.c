/* The wdm.h subset: type widths and field layout as documented (LP64: ULONG is 32-bit), the
 * page and MDL macros, MDLs built over hostmem buffers (the PFN array names the buffer's real
 * frames, for every placement), IRP MDL chaining, and the map register count IoGetDmaAdapter
 * returns (BYTES_TO_PAGES(MaximumLength) + 1, capped at 17 / 33, and by the pool). */
#include <stddef.h>

#include "hal_test_util.h"

static void types_and_layout(test_ctx_t *t) {
  CHECK_EQ(t, sizeof(ULONG), 4u);
  CHECK_EQ(t, sizeof(LONG), 4u);
  CHECK_EQ(t, sizeof(USHORT), 2u);
  CHECK_EQ(t, sizeof(BOOLEAN), 1u);
  CHECK_EQ(t, sizeof(KIRQL), 1u);
  CHECK_EQ(t, sizeof(NTSTATUS), 4u);
  CHECK_EQ(t, sizeof(ULONG_PTR), sizeof(void *));
  CHECK_EQ(t, sizeof(PHYSICAL_ADDRESS), 8u);
  PHYSICAL_ADDRESS pa;
  pa.QuadPart = 0x123456789abcdefLL;
  CHECK_EQ(t, pa.LowPart, 0x89abcdefu);
  CHECK_EQ(t, pa.HighPart, 0x01234567);
  CHECK_EQ(t, pa.u.LowPart, 0x89abcdefu);
  /* MDL: Next, Size, MdlFlags, Process, MappedSystemVa, StartVa, ByteCount, ByteOffset */
  CHECK_EQ(t, offsetof(MDL, Next), 0u);
  CHECK_EQ(t, offsetof(MDL, Size), 8u);
  CHECK_EQ(t, offsetof(MDL, MdlFlags), 10u);
  CHECK_EQ(t, offsetof(MDL, Process), 16u);
  CHECK_EQ(t, offsetof(MDL, MappedSystemVa), 24u);
  CHECK_EQ(t, offsetof(MDL, StartVa), 32u);
  CHECK_EQ(t, offsetof(MDL, ByteCount), 40u);
  CHECK_EQ(t, offsetof(MDL, ByteOffset), 44u);
  CHECK_EQ(t, sizeof(MDL), 48u);
  /* DEVICE_DESCRIPTION */
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, Master), 4u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, ScatterGather), 5u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, DemandMode), 6u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, AutoInitialize), 7u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, Dma32BitAddresses), 8u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, IgnoreCount), 9u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, Reserved1), 10u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, Dma64BitAddresses), 11u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, BusNumber), 12u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, DmaChannel), 16u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, InterfaceType), 20u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, DmaWidth), 24u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, DmaSpeed), 28u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, MaximumLength), 32u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, DmaPort), 36u);
  CHECK_EQ(t, offsetof(DEVICE_DESCRIPTION, DeviceAddress), 56u);
  /* DMA_ADAPTER and DMA_OPERATIONS in documented order */
  CHECK_EQ(t, offsetof(DMA_ADAPTER, Version), 0u);
  CHECK_EQ(t, offsetof(DMA_ADAPTER, Size), 2u);
  CHECK_EQ(t, offsetof(DMA_ADAPTER, DmaOperations), 8u);
  const size_t p = sizeof(void *);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, PutDmaAdapter), 1 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, AllocateCommonBuffer), 2 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, FreeCommonBuffer), 3 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, AllocateAdapterChannel), 4 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, FlushAdapterBuffers), 5 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, FreeAdapterChannel), 6 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, FreeMapRegisters), 7 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, MapTransfer), 8 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, GetDmaAlignment), 9 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, ReadDmaCounter), 10 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, GetScatterGatherList), 11 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, PutScatterGatherList), 12 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, CalculateScatterGatherList), 13 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, BuildScatterGatherList), 14 * p);
  CHECK_EQ(t, offsetof(DMA_OPERATIONS, BuildMdlFromScatterGatherList), 15 * p);
  /* enumerations and status values */
  CHECK_EQ(t, KeepObject, 1);
  CHECK_EQ(t, DeallocateObject, 2);
  CHECK_EQ(t, DeallocateObjectKeepRegisters, 3);
  CHECK_EQ(t, Isa, 1);
  CHECK_EQ(t, PCIBus, 5);
  CHECK_EQ(t, Width16Bits, 1);
  CHECK_EQ(t, TypeF, 4);
  CHECK_EQ(t, (uint32_t)STATUS_INSUFFICIENT_RESOURCES, 0xC000009Au);
  CHECK_EQ(t, (uint32_t)STATUS_INVALID_PARAMETER, 0xC000000Du);
  CHECK_EQ(t, (uint32_t)STATUS_DEVICE_DATA_ERROR, 0xC000009Cu);
  CHECK(t, NT_SUCCESS(STATUS_SUCCESS) && !NT_SUCCESS(STATUS_INVALID_PARAMETER), "NT_SUCCESS");
  CHECK_EQ(t, DISPATCH_LEVEL, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, PASSIVE_LEVEL, SIM_PASSIVE_LEVEL);
}

static void page_macros(test_ctx_t *t) {
  CHECK_EQ(t, PAGE_SIZE, 4096u);
  CHECK_EQ(t, BYTES_TO_PAGES(0), 0u);
  CHECK_EQ(t, BYTES_TO_PAGES(1), 1u);
  CHECK_EQ(t, BYTES_TO_PAGES(4096), 1u);
  CHECK_EQ(t, BYTES_TO_PAGES(4097), 2u);
  CHECK_EQ(t, BYTES_TO_PAGES(0xFFFFFFFFu), 0x100000u);
  CHECK_EQ(t, BYTE_OFFSET((void *)0x12345), 0x345u);
  CHECK_EQ(t, (uintptr_t)PAGE_ALIGN((void *)0x12345), 0x12000u);
  CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1000, 4096), 1u);
  CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1001, 4096), 2u);
  CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1FFF, 2), 2u);
  CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1FFF, 1), 1u);
  CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0x1800, 65536), 17u);
  CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)0xFFF, 0xFFFFFFFFu), 0x100001u);
}

/* MDLs over hostmem buffers of every placement: the PFN array is the buffer's frames */
static void mdl_over_hostmem_buffers(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(s, 4));
  hostmem_t *mem = sim_mem(s);
  prng_t r;
  prng_seed(&r, test_seed(t), 1);
  static const hostmem_place_t pl[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_CONTIGUOUS,
                                       HOSTMEM_PLACE_ABOVE_16M, HOSTMEM_PLACE_MIXED,
                                       HOSTMEM_PLACE_BELOW_16M};
  for (size_t i = 0; i < sizeof pl / sizeof pl[0]; i++) {
    size_t len = 1 + (size_t)prng_below(&r, 40000), off = (size_t)prng_below(&r, 4096);
    hostmem_buf_t *b = hostmem_buf_alloc(mem, len, off, pl[i]);
    REQUIRE(t, b != NULL, "buffer");
    PMDL mdl = IoAllocateMdl(b->va, (ULONG)len, FALSE, FALSE, NULL);
    REQUIRE(t, mdl != NULL, "IoAllocateMdl");
    CHECK(t, MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) == NULL,
          "system address before the MDL is built");
    MmBuildMdlForNonPagedPool(mdl);
    CHECK(t, MmGetMdlVirtualAddress(mdl) == b->va, "virtual address");
    CHECK_EQ(t, MmGetMdlByteCount(mdl), len);
    CHECK_EQ(t, MmGetMdlByteOffset(mdl), off);
    CHECK_EQ(t, (size_t)mdl->Size, sizeof(MDL) + b->npages * sizeof(PFN_NUMBER));
    CHECK(t, mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, "flags 0x%x", mdl->MdlFlags);
    CHECK(t, MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) == b->va, "system VA");
    CHECK_EQ(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES(b->va, len), b->npages);
    for (size_t k = 0; k < b->npages; k++)
      CHECK(t, MmGetMdlPfnArray(mdl)[k] == b->pfn[k], "%s page %zu: pfn 0x%llx, buffer 0x%llx",
            hostmem_place_name(pl[i]), k, (unsigned long long)MmGetMdlPfnArray(mdl)[k],
            (unsigned long long)b->pfn[k]);
    /* protection does not change the frames (an unmapped DataBuffer still has pages) */
    REQUIRE_EQ(t, hostmem_buf_protect(mem, b, 0), 0);
    MmBuildMdlForNonPagedPool(mdl);
    CHECK(t, MmGetMdlPfnArray(mdl)[0] == b->pfn[0], "frames of a protected buffer");
    IoFreeMdl(mdl);
    hostmem_buf_free(mem, b);
  }
}

static void irp_mdl_chain(test_ctx_t *t) {
  static _Alignas(4096) uint8_t buf[3 * PAGE_SIZE]; /* page-aligned: the spans below are exact */
  IRP irp;
  memset(&irp, 0, sizeof irp);
  PMDL a = IoAllocateMdl(buf + 5, 100, FALSE, FALSE, &irp);
  PMDL b = IoAllocateMdl(buf + 200, 5000, TRUE, FALSE, &irp);
  PMDL c = IoAllocateMdl(buf + 9000, 10, TRUE, FALSE, &irp);
  REQUIRE(t, a && b && c, "IoAllocateMdl");
  CHECK(t, irp.MdlAddress == a && a->Next == b && b->Next == c && c->Next == NULL, "chain");
  CHECK_EQ(t, b->Size, sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
  CHECK(t, IoAllocateMdl(buf, 0, FALSE, FALSE, NULL) == NULL, "zero length");
  CHECK(t, IoAllocateMdl(NULL, 10, FALSE, FALSE, NULL) == NULL, "NULL address");
  CHECK(t, IoAllocateMdl(buf, 0x10000000u, FALSE, FALSE, NULL) == NULL,
        "an MDL whose Size does not fit a CSHORT");
  IoFreeMdl(a);
  IoFreeMdl(b);
  IoFreeMdl(c);
  IoFreeMdl(NULL);
  KeFlushIoBuffers(NULL, TRUE, TRUE); /* documented no-op here */
}

/* NumberOfMapRegisters = BYTES_TO_PAGES(MaximumLength) + 1, capped at 17 (byte) / 33 (word)
 * and at what the pool can give one allocation; GetDmaAlignment 1 / 2; adapter versions */
static void map_register_counts(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 0, NULL, NULL);
  PDEVICE_OBJECT dev = hal_device_create(m, 0);
  typedef struct { unsigned ch; ULONG max; ULONG want; } case_t;
  const case_t c[] = {{1, 0, 1},          {1, 1, 2},           {1, 4096, 2},
                      {2, 4097, 3},       {3, 10000, 4},       {0, 65536, 17},
                      {1, 1u << 20, 17},  {5, 65536, 17},      {6, 131072, 33},
                      {7, 0xFFFFFFFFu, 33}};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    DEVICE_DESCRIPTION d = ht_desc(c[i].ch, c[i].max, 0);
    ULONG n = 0;
    PDMA_ADAPTER a = HalGetDmaAdapter(dev, &d, &n);
    REQUIRE(t, a != NULL, "adapter for channel %u", c[i].ch);
    CHECK_EQ(t, n, c[i].want);
    CHECK_EQ(t, a->DmaOperations->GetDmaAlignment(a), c[i].ch >= 4 ? 2u : 1u);
    CHECK_EQ(t, a->Version, 1u);
    CHECK_EQ(t, a->Size, sizeof(DMA_ADAPTER));
    HalPutDmaAdapter(a);
  }
  DEVICE_DESCRIPTION d2 = ht_desc(2, 4096, 1);
  ULONG n = 0;
  PDMA_ADAPTER a2 = HalGetDmaAdapter(dev, &d2, &n);
  REQUIRE(t, a2 != NULL, "v2 adapter");
  CHECK_EQ(t, a2->Version, 2u);
  HalPutDmaAdapter(a2);
  hal_machine_destroy(m);
  /* a pool of 8 pages: no allocation can exceed 8 */
  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  hc.map_register_pages = 8;
  sim_t *s2;
  hal_machine_t *m2 = ht_machine(t, &s2, 0, &hc, NULL);
  PDEVICE_OBJECT dev2 = hal_device_create(m2, 0);
  DEVICE_DESCRIPTION d3 = ht_desc(1, 65536, 0);
  PDMA_ADAPTER a3 = HalGetDmaAdapter(dev2, &d3, &n);
  REQUIRE(t, a3 != NULL, "adapter");
  CHECK_EQ(t, n, 8u);
  CHECK_EQ(t, hal_pool_pages(m2), 8u);
  CHECK(t, hal_pool_base_pa(m2) % (128u * 1024u) == 0 && hal_pool_base_pa(m2) < HOSTMEM_16M,
        "pool at 0x%llx", (unsigned long long)hal_pool_base_pa(m2));
  HalPutDmaAdapter(a3);
  hal_device_destroy(dev2);
  hal_machine_destroy(m2);
}

/* machine creation refuses what it cannot do */
static void machine_create_errors(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  CHECK(t, hal_machine_create(NULL, NULL) == NULL, "NULL sim");
  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  hc.map_register_pages = 0;
  CHECK(t, hal_machine_create(s, &hc) == NULL, "empty pool");
  hal_machine_config_default(&hc);
  CHECK(t, hal_machine_create(s, &hc) == NULL, "BIOS init while the sim is in reset");
  CHECK_EQ(t, hostmem_free_page_count(sim_mem(s)), (hostmem_size(sim_mem(s)) >> 12) - 1);
  REQUIRE_OK(t, sim_reset(s, 4));
  hal_machine_t *m = hal_machine_create(s, &hc);
  REQUIRE(t, m != NULL, "create");
  CHECK(t, hal_machine_sim(m) == s, "sim");
  CHECK(t, hal_device_create(NULL, 0) == NULL, "device without a machine");
  hal_machine_destroy(m);
  CHECK_EQ(t, hostmem_free_page_count(sim_mem(s)), (hostmem_size(sim_mem(s)) >> 12) - 1);
}

static const test_def_t hal_ddk_tests[] = {
    {"types_and_layout", types_and_layout, 0, 0,
     "wdm.h types and MDL / DEVICE_DESCRIPTION / DMA_ADAPTER / DMA_OPERATIONS layout as "
     "documented (LP64)"},
    {"page_macros", page_macros, 0, 0,
     "BYTES_TO_PAGES, BYTE_OFFSET, PAGE_ALIGN, ADDRESS_AND_SIZE_TO_SPAN_PAGES"},
    {"mdl_over_hostmem_buffers", mdl_over_hostmem_buffers, TEST_F_RANDOM, 1000,
     "IoAllocateMdl + MmBuildMdlForNonPagedPool give the buffer's real frames for every "
     "placement; MmGetSystemAddressForMdlSafe the buffer VA"},
    {"irp_mdl_chain", irp_mdl_chain, 0, 0,
     "IoAllocateMdl with an IRP: primary then chained secondary buffers; bad sizes refused"},
    {"map_register_counts", map_register_counts, 0, 100000,
     "NumberOfMapRegisters = BYTES_TO_PAGES(MaximumLength)+1 capped at 17/33 and by the pool"},
    {"machine_create_errors", machine_create_errors, 0, 100000,
     "hal_machine_create refuses bad configs and a sim in reset, leaks no pages"},
};
TEST_SUITE(hal_ddk);
