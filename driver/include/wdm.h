/* hbasim DDK surface: the wdm.h subset behind the HAL DMA adapter (docs/hal.md). Names, types,
 * field order and signatures follow Microsoft's documentation for what is implemented; where a
 * structure is cut down (DEVICE_OBJECT, IRP) the members kept are in documented order and the
 * cut is said next to it.
 *
 * There is no global state behind these routines: a DEVICE_OBJECT made by hal_device_create()
 * carries the simulation's HAL "machine" in its DeviceObjectExtension (hal_dma.h), and every
 * adapter, map register base and MDL operation reaches its machine through the objects it is
 * given. */
#ifndef HBASIM_WDM_H
#define HBASIM_WDM_H

#include "ntdef.h"
#include "ntstatus.h"

/* ---- IRQL ------------------------------------------------------------------------------ */

typedef UCHAR KIRQL, *PKIRQL;
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL 15

/* ---- pages ----------------------------------------------------------------------------- */

#define PAGE_SIZE 0x1000u
#define PAGE_SHIFT 12u

typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~(ULONG_PTR)(PAGE_SIZE - 1)))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~(ULONG_PTR)(PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size)                                                                   \
  ((ULONG)(((ULONG_PTR)(Size) >> PAGE_SHIFT) + (((ULONG_PTR)(Size) & (PAGE_SIZE - 1)) != 0)))
/* pages spanned by Size bytes from Va (computed in pointer width: no 32-bit wrap) */
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)                                               \
  ((ULONG)(((ULONG_PTR)BYTE_OFFSET(Va) + (ULONG_PTR)(Size) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))

/* ---- MDL ------------------------------------------------------------------------------- */

struct _EPROCESS;
typedef struct _MDL {
  struct _MDL *Next;
  CSHORT Size;              /* bytes: this header plus the PFN array */
  CSHORT MdlFlags;
  struct _EPROCESS *Process;
  PVOID MappedSystemVa;
  PVOID StartVa;            /* page-aligned VA of the first page */
  ULONG ByteCount;
  ULONG ByteOffset;         /* offset of the first byte in the first page */
  /* followed by ADDRESS_AND_SIZE_TO_SPAN_PAGES(StartVa + ByteOffset, ByteCount) PFN_NUMBERs */
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_PARENT_MAPPED_SYSTEM_VA 0x0100
#define MDL_IO_SPACE 0x0800

#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmSizeOfMdl(Base, Length)                                                              \
  ((SIZE_T)(sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length)))
#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length)                                  \
  do {                                                                                         \
    (MemoryDescriptorList)->Next = NULL;                                                       \
    (MemoryDescriptorList)->Size = (CSHORT)MmSizeOfMdl(BaseVa, Length);                        \
    (MemoryDescriptorList)->MdlFlags = 0;                                                      \
    (MemoryDescriptorList)->Process = NULL;                                                    \
    (MemoryDescriptorList)->MappedSystemVa = NULL;                                             \
    (MemoryDescriptorList)->StartVa = PAGE_ALIGN(BaseVa);                                      \
    (MemoryDescriptorList)->ByteOffset = BYTE_OFFSET(BaseVa);                                  \
    (MemoryDescriptorList)->ByteCount = (ULONG)(Length);                                       \
  } while (0)

typedef enum _MM_PAGE_PRIORITY {
  LowPagePriority = 0,
  NormalPagePriority = 16,
  HighPagePriority = 32
} MM_PAGE_PRIORITY;
#define MdlMappingNoWrite 0x80000000u
#define MdlMappingNoExecute 0x40000000u

/* The system VA of the MDL's buffer. hbasim's MDLs describe hostmem buffers, whose VA is a
 * real mapping: an MDL built by MmBuildMdlForNonPagedPool has MappedSystemVa set; any other
 * returns NULL (no mapping is made on demand). */
#define MmGetSystemAddressForMdlSafe(Mdl, Priority)                                            \
  (((Mdl)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))                \
       ? ((void)(Priority), (Mdl)->MappedSystemVa)                                             \
       : ((void)(Priority), (PVOID)NULL))

/* ---- IRP and DEVICE_OBJECT (cut down) --------------------------------------------------- */

typedef struct _IO_STATUS_BLOCK {
  union {
    NTSTATUS Status;
    PVOID Pointer;
  };
  ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/* IRP: Type, Size, MdlAddress, Flags, IoStatus in documented order; the rest (AssociatedIrp,
 * ThreadListEntry, the stack locations, Tail ...) is not modelled yet. */
typedef struct _IRP {
  CSHORT Type;
  USHORT Size;
  PMDL MdlAddress;
  ULONG Flags;
  IO_STATUS_BLOCK IoStatus;
} IRP, *PIRP;

struct _DRIVER_OBJECT;
struct _DEVOBJ_EXTENSION;   /* system-owned; hbasim keeps the HAL machine there (hal_dma.h) */

/* DRIVER_OBJECT: the documented members up to DriverExtension (DriverName, the dispatch
 * table and the rest are not modelled). hbasim's SCSI Port makes one per simulated system
 * (driver/scsiport/scsiport.h) for the miniport's DriverEntry. */
#define IO_TYPE_DRIVER 4
typedef struct _DRIVER_OBJECT {
  CSHORT Type;               /* IO_TYPE_DRIVER */
  CSHORT Size;
  struct _DEVICE_OBJECT *DeviceObject;
  ULONG Flags;
  PVOID DriverStart;
  ULONG DriverSize;
  PVOID DriverSection;
  PVOID DriverExtension;
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* DEVICE_OBJECT: the documented members up to AlignmentRequirement, then
 * DeviceObjectExtension; Queue, DeviceQueue, Dpc, DeviceLock and the later members are not
 * modelled. */
typedef struct _DEVICE_OBJECT {
  CSHORT Type;
  USHORT Size;
  LONG ReferenceCount;
  struct _DRIVER_OBJECT *DriverObject;
  struct _DEVICE_OBJECT *NextDevice;
  struct _DEVICE_OBJECT *AttachedDevice;
  struct _IRP *CurrentIrp;
  PVOID Timer;
  ULONG Flags;
  ULONG Characteristics;
  PVOID Vpb;
  PVOID DeviceExtension;
  ULONG DeviceType;
  CCHAR StackSize;
  ULONG AlignmentRequirement;
  struct _DEVOBJ_EXTENSION *DeviceObjectExtension;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

/* ---- DMA: device description ------------------------------------------------------------ */

typedef enum _INTERFACE_TYPE {
  InterfaceTypeUndefined = -1,
  Internal = 0,
  Isa,
  Eisa,
  MicroChannel,
  TurboChannel,
  PCIBus,
  VMEBus,
  NuBus,
  PCMCIABus,
  CBus,
  MPIBus,
  MPSABus,
  ProcessorInternal,
  InternalPowerBus,
  PNPISABus,
  PNPBus,
  Vmcs,
  ACPIBus,
  MaximumInterfaceType
} INTERFACE_TYPE, *PINTERFACE_TYPE;

typedef enum _DMA_WIDTH {
  Width8Bits,
  Width16Bits,
  Width32Bits,
  Width64Bits,
  WidthNoWrap,
  MaximumDmaWidth
} DMA_WIDTH, *PDMA_WIDTH;

typedef enum _DMA_SPEED {
  Compatible,
  TypeA,
  TypeB,
  TypeC,
  TypeF,
  MaximumDmaSpeed
} DMA_SPEED, *PDMA_SPEED;

#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

typedef struct _DEVICE_DESCRIPTION {
  ULONG Version;
  BOOLEAN Master;
  BOOLEAN ScatterGather;
  BOOLEAN DemandMode;       /* used only with DEVICE_DESCRIPTION_VERSION2 */
  BOOLEAN AutoInitialize;
  BOOLEAN Dma32BitAddresses;
  BOOLEAN IgnoreCount;      /* ignored with DEVICE_DESCRIPTION_VERSION */
  BOOLEAN Reserved1;
  BOOLEAN Dma64BitAddresses;
  ULONG BusNumber;
  ULONG DmaChannel;
  INTERFACE_TYPE InterfaceType;
  DMA_WIDTH DmaWidth;
  DMA_SPEED DmaSpeed;
  ULONG MaximumLength;
  ULONG DmaPort;
  /* DEVICE_DESCRIPTION_VERSION3 */
  ULONG DmaAddressWidth;
  ULONG DmaControllerInstance;
  ULONG DmaRequestLine;
  PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

/* ---- DMA: adapter and operations -------------------------------------------------------- */

typedef enum _IO_ALLOCATION_ACTION {
  KeepObject = 1,
  DeallocateObject,
  DeallocateObjectKeepRegisters
} IO_ALLOCATION_ACTION, *PIO_ALLOCATION_ACTION;

typedef IO_ALLOCATION_ACTION DRIVER_CONTROL(struct _DEVICE_OBJECT *DeviceObject,
                                            struct _IRP *Irp, PVOID MapRegisterBase,
                                            PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;

typedef struct _SCATTER_GATHER_ELEMENT {
  PHYSICAL_ADDRESS Address;
  ULONG Length;
  ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
  ULONG NumberOfElements;
  ULONG_PTR Reserved;
  SCATTER_GATHER_ELEMENT Elements[];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

typedef VOID DRIVER_LIST_CONTROL(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp,
                                 struct _SCATTER_GATHER_LIST *ScatterGather, PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;

struct _DMA_ADAPTER;
typedef struct _DMA_ADAPTER *PDMA_ADAPTER;

typedef VOID (*PPUT_DMA_ADAPTER)(PDMA_ADAPTER DmaAdapter);
typedef PVOID (*PALLOCATE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length,
                                         PPHYSICAL_ADDRESS LogicalAddress,
                                         BOOLEAN CacheEnabled);
typedef VOID (*PFREE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length,
                                    PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                                    BOOLEAN CacheEnabled);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter,
                                              PDEVICE_OBJECT DeviceObject,
                                              ULONG NumberOfMapRegisters,
                                              PDRIVER_CONTROL ExecutionRoutine, PVOID Context);
typedef BOOLEAN (*PFLUSH_ADAPTER_BUFFERS)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                          PVOID MapRegisterBase, PVOID CurrentVa, ULONG Length,
                                          BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter);
typedef VOID (*PFREE_MAP_REGISTERS)(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase,
                                    ULONG NumberOfMapRegisters);
typedef PHYSICAL_ADDRESS (*PMAP_TRANSFER)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                          PVOID MapRegisterBase, PVOID CurrentVa,
                                          PULONG Length, BOOLEAN WriteToDevice);
typedef ULONG (*PGET_DMA_ALIGNMENT)(PDMA_ADAPTER DmaAdapter);
typedef ULONG (*PREAD_DMA_COUNTER)(PDMA_ADAPTER DmaAdapter);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                             PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                             PVOID CurrentVa, ULONG Length,
                                             PDRIVER_LIST_CONTROL ExecutionRoutine,
                                             PVOID Context, BOOLEAN WriteToDevice);
typedef VOID (*PPUT_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                         PSCATTER_GATHER_LIST ScatterGather,
                                         BOOLEAN WriteToDevice);
typedef NTSTATUS (*PCALCULATE_SCATTER_GATHER_LIST_SIZE)(PDMA_ADAPTER DmaAdapter,
                                                        PMDL Mdl OPTIONAL, PVOID CurrentVa,
                                                        ULONG Length,
                                                        PULONG ScatterGatherListSize,
                                                        PULONG pNumberOfMapRegisters OPTIONAL);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                               PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                               PVOID CurrentVa, ULONG Length,
                                               PDRIVER_LIST_CONTROL ExecutionRoutine,
                                               PVOID Context, BOOLEAN WriteToDevice,
                                               PVOID ScatterGatherBuffer,
                                               ULONG ScatterGatherLength);
typedef NTSTATUS (*PBUILD_MDL_FROM_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                                        PSCATTER_GATHER_LIST ScatterGather,
                                                        PMDL OriginalMdl, PMDL *TargetMdl);

/* Versions 1 and 2 of DMA_OPERATIONS (version 3, Windows 8, is not offered: IoGetDmaAdapter
 * refuses DEVICE_DESCRIPTION_VERSION3 for system DMA and gives a bus master the version-2
 * table). */
typedef struct _DMA_OPERATIONS {
  ULONG Size;
  PPUT_DMA_ADAPTER PutDmaAdapter;
  PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
  PFREE_COMMON_BUFFER FreeCommonBuffer;
  PALLOCATE_ADAPTER_CHANNEL AllocateAdapterChannel;
  PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
  PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
  PFREE_MAP_REGISTERS FreeMapRegisters;
  PMAP_TRANSFER MapTransfer;
  PGET_DMA_ALIGNMENT GetDmaAlignment;
  PREAD_DMA_COUNTER ReadDmaCounter;
  PGET_SCATTER_GATHER_LIST GetScatterGatherList;
  PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
  /* version 2 */
  PCALCULATE_SCATTER_GATHER_LIST_SIZE CalculateScatterGatherList;
  PBUILD_SCATTER_GATHER_LIST BuildScatterGatherList;
  PBUILD_MDL_FROM_SCATTER_GATHER_LIST BuildMdlFromScatterGatherList;
} DMA_OPERATIONS, *PDMA_OPERATIONS;

typedef struct _DMA_ADAPTER {
  USHORT Version;
  USHORT Size;
  PDMA_OPERATIONS DmaOperations;
  /* the HAL's private adapter data follows */
} DMA_ADAPTER;

/* ---- routines -------------------------------------------------------------------------- */

/* PASSIVE_LEVEL. NULL when the description cannot be served (docs/hal.md lists why). */
PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
                             PDEVICE_DESCRIPTION DeviceDescription,
                             PULONG NumberOfMapRegisters);

/* An MDL for [VirtualAddress, +Length), PFN array not filled (MmBuildMdlForNonPagedPool does
 * that). With Irp: the IRP's MdlAddress (SecondaryBuffer FALSE) or the end of its chain. */
PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, PIRP Irp);
VOID IoFreeMdl(PMDL Mdl);
/* Fills the PFN array from the simulated page tables (docs/hal.md), sets MappedSystemVa and
 * MDL_SOURCE_IS_NONPAGED_POOL. A page not backed by host memory gets PFN 0 (never a valid
 * frame), which MapTransfer refuses. */
VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);

/* No-op: the simulated CPU has no cache between it and host memory, and DMA is coherent, as
 * the documentation says of x86/x64. Kept so that drivers call it where the DDK wants it. */
VOID KeFlushIoBuffers(PMDL Mdl, BOOLEAN ReadOperation, BOOLEAN DmaOperation);

#endif
