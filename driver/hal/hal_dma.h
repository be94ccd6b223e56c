/* The HAL DMA adapter for system-DMA (subordinate, ISA-style) devices over the simulated
 * sysdma, and for bus masters with scatter/gather (docs/hal.md). A "machine" is the per-simulation HAL state: the sim it drives, the
 * shared map register pool (the PC HAL's master adapter), channel ownership and wait queues,
 * every adapter handed out, and the driver verifier. Two simulations in one process have two
 * machines and share nothing.
 *
 * Drivers reach their machine through the DEVICE_OBJECT they pass to IoGetDmaAdapter: a
 * device object made by hal_device_create() has DeviceObjectExtension pointing at a
 * DEVOBJ_EXTENSION (defined here; system-owned and opaque in the DDK) that names the machine.
 * Adapters and map register bases carry their machine with them. */
#ifndef HBASIM_HAL_DMA_H
#define HBASIM_HAL_DMA_H

#include <stdint.h>

#include "sim.h"
#include "verifier.h"
#include "wdm.h"

typedef struct hal_machine hal_machine_t;

typedef struct hal_machine_config {
  unsigned map_register_pages;  /* the shared map register pool, pages (default 128: 512 KiB,
                                   aligned to 128 KiB, below 16 MiB); at least 1 */
  int dma_check;                /* turn on host memory's DMA verifier (default 1): the device
                                   may touch only what MapTransfer mapped for it */
  int bios_init;                /* program both 8237s as a PC BIOS does first (default 1) */
  uint64_t flush_wait_cycles;   /* FlushAdapterBuffers: cycles to wait for terminal count
                                   before stopping the channel (default 0: stop at once) */
} hal_machine_config_t;

/* hbasim's DEVOBJ_EXTENSION: what the HAL needs from a device object */
typedef struct _DEVOBJ_EXTENSION {
  CSHORT Type;
  USHORT Size;
  PDEVICE_OBJECT DeviceObject;
  hal_machine_t *Machine;
} DEVOBJ_EXTENSION, *PDEVOBJ_EXTENSION;

void hal_machine_config_default(hal_machine_config_t *cfg);
/* The sim must be out of reset (sim_reset) when bios_init is set. NULL on error (message on
 * stderr): bad config, no memory below 16 MiB for the pool, a failed port access. */
hal_machine_t *hal_machine_create(sim_t *s, const hal_machine_config_t *cfg);
/* Releases everything; adapters never put are reported (ADAPTER_LEAKED). Destroy the machine
 * before its sim. */
void hal_machine_destroy(hal_machine_t *m);
sim_t    *hal_machine_sim(const hal_machine_t *m);
hal_vf_t *hal_machine_verifier(const hal_machine_t *m);

/* A device object on the machine with a zeroed DeviceExtension of extension_size bytes;
 * NULL on error. */
PDEVICE_OBJECT hal_device_create(hal_machine_t *m, ULONG extension_size);
void           hal_device_destroy(PDEVICE_OBJECT dev);
hal_machine_t *hal_device_machine(PDEVICE_OBJECT dev);   /* NULL for a foreign object */

/* ---- call sites ------------------------------------------------------------------------ */

/* The DMA_OPERATIONS entries are called through pointers, so the HAL cannot see who called.
 * These wrappers record the caller's file:line for the verifier and then call the entry; a
 * direct call through DmaOperations works the same, its violations name the caller's address
 * instead. NULL adapter: STATUS_INVALID_PARAMETER / zero / FALSE without a call. */
void hal_dma_site_(PDMA_ADAPTER a, const char *file, int line);
void hal_device_site_(PDEVICE_OBJECT dev, const char *file, int line);

static inline PDMA_ADAPTER hal_get_dma_adapter_at_(const char *f, int l, PDEVICE_OBJECT pdo,
                                                   PDEVICE_DESCRIPTION d, PULONG n) {
  hal_device_site_(pdo, f, l);
  return IoGetDmaAdapter(pdo, d, n);
}

static inline NTSTATUS hal_allocate_adapter_channel_at_(const char *f, int l, PDMA_ADAPTER a,
                                                        PDEVICE_OBJECT d, ULONG n,
                                                        PDRIVER_CONTROL r, PVOID c) {
  if (!a || !a->DmaOperations) return STATUS_INVALID_PARAMETER;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->AllocateAdapterChannel(a, d, n, r, c);
}
static inline PHYSICAL_ADDRESS hal_map_transfer_at_(const char *f, int l, PDMA_ADAPTER a,
                                                    PMDL mdl, PVOID base, PVOID va,
                                                    PULONG len, BOOLEAN wr) {
  if (!a || !a->DmaOperations) {
    PHYSICAL_ADDRESS z;
    z.QuadPart = 0;
    return z;
  }
  hal_dma_site_(a, f, l);
  return a->DmaOperations->MapTransfer(a, mdl, base, va, len, wr);
}
static inline BOOLEAN hal_flush_adapter_buffers_at_(const char *f, int l, PDMA_ADAPTER a,
                                                    PMDL mdl, PVOID base, PVOID va, ULONG len,
                                                    BOOLEAN wr) {
  if (!a || !a->DmaOperations) return FALSE;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->FlushAdapterBuffers(a, mdl, base, va, len, wr);
}
static inline VOID hal_free_adapter_channel_at_(const char *f, int l, PDMA_ADAPTER a) {
  if (!a || !a->DmaOperations) return;
  hal_dma_site_(a, f, l);
  a->DmaOperations->FreeAdapterChannel(a);
}
static inline VOID hal_free_map_registers_at_(const char *f, int l, PDMA_ADAPTER a, PVOID base,
                                              ULONG n) {
  if (!a || !a->DmaOperations) return;
  hal_dma_site_(a, f, l);
  a->DmaOperations->FreeMapRegisters(a, base, n);
}
static inline VOID hal_put_dma_adapter_at_(const char *f, int l, PDMA_ADAPTER a) {
  if (!a || !a->DmaOperations) return;
  hal_dma_site_(a, f, l);
  a->DmaOperations->PutDmaAdapter(a);
}
static inline ULONG hal_read_dma_counter_at_(const char *f, int l, PDMA_ADAPTER a) {
  if (!a || !a->DmaOperations) return 0;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->ReadDmaCounter(a);
}

static inline NTSTATUS hal_get_sg_list_at_(const char *f, int l, PDMA_ADAPTER a,
                                           PDEVICE_OBJECT d, PMDL mdl, PVOID va, ULONG len,
                                           PDRIVER_LIST_CONTROL r, PVOID c, BOOLEAN wr) {
  if (!a || !a->DmaOperations) return STATUS_INVALID_PARAMETER;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->GetScatterGatherList(a, d, mdl, va, len, r, c, wr);
}
static inline VOID hal_put_sg_list_at_(const char *f, int l, PDMA_ADAPTER a,
                                       PSCATTER_GATHER_LIST sg, BOOLEAN wr) {
  if (!a || !a->DmaOperations) return;
  hal_dma_site_(a, f, l);
  a->DmaOperations->PutScatterGatherList(a, sg, wr);
}
static inline NTSTATUS hal_build_sg_list_at_(const char *f, int l, PDMA_ADAPTER a,
                                             PDEVICE_OBJECT d, PMDL mdl, PVOID va, ULONG len,
                                             PDRIVER_LIST_CONTROL r, PVOID c, BOOLEAN wr,
                                             PVOID buf, ULONG buflen) {
  if (!a || !a->DmaOperations) return STATUS_INVALID_PARAMETER;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->BuildScatterGatherList(a, d, mdl, va, len, r, c, wr, buf, buflen);
}
static inline NTSTATUS hal_calculate_sg_list_at_(const char *f, int l, PDMA_ADAPTER a,
                                                 PMDL mdl, PVOID va, ULONG len, PULONG size,
                                                 PULONG nregs) {
  if (!a || !a->DmaOperations) return STATUS_INVALID_PARAMETER;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->CalculateScatterGatherList(a, mdl, va, len, size, nregs);
}
static inline PVOID hal_allocate_common_buffer_at_(const char *f, int l, PDMA_ADAPTER a,
                                                   ULONG len, PPHYSICAL_ADDRESS la,
                                                   BOOLEAN cached) {
  if (!a || !a->DmaOperations) return NULL;
  hal_dma_site_(a, f, l);
  return a->DmaOperations->AllocateCommonBuffer(a, len, la, cached);
}
static inline VOID hal_free_common_buffer_at_(const char *f, int l, PDMA_ADAPTER a, ULONG len,
                                              PHYSICAL_ADDRESS la, PVOID va, BOOLEAN cached) {
  if (!a || !a->DmaOperations) return;
  hal_dma_site_(a, f, l);
  a->DmaOperations->FreeCommonBuffer(a, len, la, va, cached);
}

#define HalGetScatterGatherList(...) hal_get_sg_list_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalPutScatterGatherList(...) hal_put_sg_list_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalBuildScatterGatherList(...) hal_build_sg_list_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalCalculateScatterGatherList(...)                                                     \
  hal_calculate_sg_list_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalAllocateCommonBuffer(...) hal_allocate_common_buffer_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalFreeCommonBuffer(...) hal_free_common_buffer_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalGetDmaAdapter(...) hal_get_dma_adapter_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalAllocateAdapterChannel(...) hal_allocate_adapter_channel_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalMapTransfer(...) hal_map_transfer_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalFlushAdapterBuffers(...) hal_flush_adapter_buffers_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalFreeAdapterChannel(A) hal_free_adapter_channel_at_(__FILE__, __LINE__, (A))
#define HalFreeMapRegisters(...) hal_free_map_registers_at_(__FILE__, __LINE__, __VA_ARGS__)
#define HalPutDmaAdapter(A) hal_put_dma_adapter_at_(__FILE__, __LINE__, (A))
#define HalReadDmaCounter(A) hal_read_dma_counter_at_(__FILE__, __LINE__, (A))

/* ---- introspection (tests, reports) ---------------------------------------------------- */

/* What the last MapTransfer on the adapter did. */
typedef struct hal_map_info {
  int valid;                /* a MapTransfer succeeded on this adapter */
  int active;               /* not yet flushed */
  int bounced;              /* 1: through the map registers; 0: direct to the buffer */
  int write_to_device;
  unsigned channel;
  uint64_t logical;         /* the address programmed into the 8237 (and returned) */
  uint32_t length;
  uint32_t registers_spanned; /* ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length) */
  uint64_t bounce_pa;       /* first byte of the map registers used (bounced) */
  uint32_t residual;        /* after the flush: bytes that did not move */
  int flushed_ok;           /* the flush's return value */
} hal_map_info_t;
int hal_dma_last_map(PDMA_ADAPTER a, hal_map_info_t *out);   /* 0, or -1 for a bad adapter */

/* the physical address of the first map register of a MapRegisterBase, 0 when invalid */
uint64_t hal_map_register_base_pa(PDMA_ADAPTER a, PVOID MapRegisterBase);
/* the map register pool: its first byte and size in pages, pages currently free */
uint64_t hal_pool_base_pa(const hal_machine_t *m);
unsigned hal_pool_pages(const hal_machine_t *m);
unsigned hal_pool_free_pages(const hal_machine_t *m);
/* requests waiting for a channel or for map registers, all adapters */
unsigned hal_waiting_requests(const hal_machine_t *m);
/* map register cap per channel width: 64 KiB / 128 KiB of transfer + 1 (docs/hal.md) */
#define HAL_MAX_MAP_REGISTERS_BYTE 17u
#define HAL_MAX_MAP_REGISTERS_WORD 33u


/* ---- bus masters (docs/hal.md "Bus-master scatter/gather") ------------------------------ */

/* hbasim extension: the device's scatter/gather element limits, which DEVICE_DESCRIPTION
 * cannot say -- the longest element (0: none) and a power-of-two boundary >= PAGE_SIZE no
 * element crosses (0: none). Lists built afterwards respect them. 0, or -1 for an adapter that
 * is not a live bus master or a bad boundary. */
int hal_dma_set_sg_limits(PDMA_ADAPTER a, ULONG max_element, uint64_t boundary);
/* the first physical address the adapter's device cannot reach (16 MiB for system DMA) */
uint64_t hal_dma_address_limit(PDMA_ADAPTER a);
/* scatter/gather lists handed out and not yet put */
unsigned hal_sg_lists_live(PDMA_ADAPTER a);

#endif
