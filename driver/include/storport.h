/* hbasim DDK surface: the storport.h subset for a Storport miniport of a bus-master SCSI HBA --
 * STOR_STATUS_ codes, STOR_PHYSICAL_ADDRESS, the STOR_SCATTER_GATHER_LIST, the MapBuffers
 * values, Storport's own HW_INITIALIZATION_DATA and PORT_CONFIGURATION_INFORMATION, the
 * HW_* callback types, SCSI_NOTIFICATION_TYPE as Storport numbers it, and the StorPort*
 * library routines.
 *
 * Names, member order, member types, values and signatures follow Microsoft's documentation
 * (the storport.h reference pages; docs/ddk_headers.md lists them and the gaps). Calling
 * conventions and SAL annotations are dropped, as in srb.h.
 *
 * storport.h and srb.h. The documentation has a Storport miniport include storport.h in place
 * of the SCSI Port headers ("If both the scsi.h and storport.h header files are included, a
 * compile time error will occur", Making SCSI Port Miniport Drivers Work with Storport): the
 * real storport.h carries its own copy of the SRB definitions and its own, larger,
 * HW_INITIALIZATION_DATA and PORT_CONFIGURATION_INFORMATION under the same names. Here the
 * parts the two port drivers share (SCSI_REQUEST_BLOCK, SRB_ values, ACCESS_RANGE, SP_ codes,
 * SCSI_ADAPTER_CONTROL_TYPE ...) have one definition, in srb.h: this header defines
 * HBASIM_STORPORT_H and then includes srb.h, which leaves out its SCSI Port-only declarations
 * (PORT_CONFIGURATION_INFORMATION, SCSI_NOTIFICATION_TYPE, the PHW_ types,
 * HW_INITIALIZATION_DATA, the ScsiPort* routines) when that macro is set. A translation unit
 * therefore sees either the SCSI Port or the Storport flavour, never both: including srb.h
 * before storport.h is an error (below), and srb.h after storport.h adds nothing. Unlike the
 * real headers, the CDB and sense definitions stay in scsi.h, which a Storport miniport
 * includes too. */
#ifndef HBASIM_STORPORT_H

#ifdef HBASIM_SRB_H
#error "storport.h replaces srb.h for a Storport miniport: include storport.h (and scsi.h) only"
#endif

#define HBASIM_STORPORT_H

#include <stddef.h>

#include "miniport.h"
#include "srb.h" /* the declarations common to SCSI Port and Storport (see above) */

/* ---- status codes --------------------------------------------------------------------------
 * Returned as ULONG by the StorPort* routines that report a status. */

#define STOR_STATUS_SUCCESS ((ULONG)0x00000000u)
#define STOR_STATUS_UNSUCCESSFUL ((ULONG)0xC1000001u)
#define STOR_STATUS_NOT_IMPLEMENTED ((ULONG)0xC1000002u)
#define STOR_STATUS_INSUFFICIENT_RESOURCES ((ULONG)0xC1000003u)
#define STOR_STATUS_BUFFER_TOO_SMALL ((ULONG)0xC1000004u)
#define STOR_STATUS_ACCESS_DENIED ((ULONG)0xC1000005u)
#define STOR_STATUS_INVALID_PARAMETER ((ULONG)0xC1000006u)
#define STOR_STATUS_INVALID_DEVICE_REQUEST ((ULONG)0xC1000007u)
#define STOR_STATUS_INVALID_IRQL ((ULONG)0xC1000008u)
#define STOR_STATUS_INVALID_DEVICE_STATE ((ULONG)0xC1000009u)
#define STOR_STATUS_INVALID_BUFFER_SIZE ((ULONG)0xC100000Au)
#define STOR_STATUS_UNSUPPORTED_VERSION ((ULONG)0xC100000Bu)
#define STOR_STATUS_BUSY ((ULONG)0xC100000Cu)

/* ---- addresses and scatter/gather lists ---------------------------------------------------- */

typedef PHYSICAL_ADDRESS STOR_PHYSICAL_ADDRESS, *PSTOR_PHYSICAL_ADDRESS;

typedef struct _STOR_SCATTER_GATHER_ELEMENT {
  STOR_PHYSICAL_ADDRESS PhysicalAddress;
  ULONG Length;
  ULONG_PTR Reserved;
} STOR_SCATTER_GATHER_ELEMENT, *PSTOR_SCATTER_GATHER_ELEMENT;

/* From StorPortGetScatterGatherList: owned by the port, valid until the SRB completes, never
 * modified or freed by the miniport. From StorPortBuildScatterGatherList: built in the
 * miniport's buffer, released with StorPortPutScatterGatherList. */
typedef struct _STOR_SCATTER_GATHER_LIST {
  ULONG NumberOfElements;
  ULONG_PTR Reserved;
  STOR_SCATTER_GATHER_ELEMENT List[];
} STOR_SCATTER_GATHER_LIST, *PSTOR_SCATTER_GATHER_LIST;

#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(STOR_SCATTER_GATHER_ELEMENT) == 24, "x64 SG element size");
_Static_assert(offsetof(STOR_SCATTER_GATHER_LIST, List) == 16, "x64 SG list header size");
#endif

/* A physically contiguous region (PORT_CONFIGURATION_INFORMATION.DumpRegion). */
typedef struct _MEMORY_REGION {
  PUCHAR VirtualBase;
  PHYSICAL_ADDRESS PhysicalBase;
  ULONG Length;
} MEMORY_REGION, *PMEMORY_REGION;

/* ---- values of HW_INITIALIZATION_DATA / PORT_CONFIGURATION_INFORMATION members -------------- */

/* MapBuffers: which SRB DataBuffers the port maps to system virtual addresses. With
 * STOR_MAP_NO_BUFFERS or, for reads and writes, STOR_MAP_NON_READ_WRITE_BUFFERS the miniport
 * must not dereference Srb->DataBuffer. */
#define STOR_MAP_NO_BUFFERS 0
#define STOR_MAP_ALL_BUFFERS 1
#define STOR_MAP_NON_READ_WRITE_BUFFERS 2
#define STOR_MAP_ALL_BUFFERS_INCLUDING_READ_WRITE 3

/* SrbTypeFlags: the request block types the miniport accepts */
#define SRB_TYPE_FLAG_SCSI_REQUEST_BLOCK 0x1
#define SRB_TYPE_FLAG_STORAGE_REQUEST_BLOCK 0x2

/* SynchronizationModel: half duplex (the default) runs HwStorStartIo synchronised with
 * HwStorInterrupt; full duplex lets them run at the same time. */
typedef enum _STOR_SYNCHRONIZATION_MODEL {
  StorSynchronizeHalfDuplex,
  StorSynchronizeFullDuplex
} STOR_SYNCHRONIZATION_MODEL;

typedef enum _INTERRUPT_SYNCHRONIZATION_MODE {
  InterruptSupportNone,
  InterruptSynchronizeAll,
  InterruptSynchronizePerMessage
} INTERRUPT_SYNCHRONIZATION_MODE;

/* ---- notifications ---------------------------------------------------------------------------
 * StorPortNotification's first argument. Storport's numbering: the two SCSI Port interrupt
 * notifications are gone (their slots are placeholders), the link and later types follow;
 * the DPC/spin-lock group starts at 0x1000. The arguments each type takes are listed at
 * StorPortNotification below. */
typedef enum _SCSI_NOTIFICATION_TYPE {
  RequestComplete,
  NextRequest,
  NextLuRequest,
  ResetDetected,
  _obsolete1,               /* SCSI Port's CallDisableInterrupts */
  _obsolete2,               /* SCSI Port's CallEnableInterrupts */
  RequestTimerCall,
  BusChangeDetected,
  WMIEvent,
  WMIReregister,
  LinkUp,
  LinkDown,
  QueryTickCount,
  BufferOverrunDetected,
  TraceNotification,
  GetExtendedFunctionTable,
  EnablePassiveInitialization = 0x1000,
  InitializeDpc,
  IssueDpc,
  AcquireSpinLock,
  ReleaseSpinLock,
  StateChangeDetectedCall,
  IoTargetRequestServiceTime
} SCSI_NOTIFICATION_TYPE, *PSCSI_NOTIFICATION_TYPE;

/* ---- unit control (HwStorUnitControl) ------------------------------------------------------- */

typedef enum _SCSI_UNIT_CONTROL_TYPE {
  ScsiQuerySupportedUnitControlTypes,
  ScsiUnitUsage,
  ScsiUnitStart,
  ScsiUnitPower,
  ScsiUnitPoFxPowerInfo,
  ScsiUnitPoFxPowerRequired,
  ScsiUnitPoFxPowerActive,
  ScsiUnitPoFxPowerSetFState,
  ScsiUnitPoFxPowerControl,
  ScsiUnitRemove,
  ScsiUnitSurpriseRemoval,
  ScsiUnitRichDescription,
  ScsiUnitQueryBusType,
  ScsiUnitQueryFruId
} SCSI_UNIT_CONTROL_TYPE, *PSCSI_UNIT_CONTROL_TYPE;

typedef enum _SCSI_UNIT_CONTROL_STATUS {
  ScsiUnitControlSuccess = 0,
  ScsiUnitControlUnsuccessful
} SCSI_UNIT_CONTROL_STATUS, *PSCSI_UNIT_CONTROL_STATUS;

/* ---- PORT_CONFIGURATION_INFORMATION (Storport) ----------------------------------------------
 * Storport's version: SCSI Port's members in the same order (MapBuffers a UCHAR taking a
 * STOR_MAP_ value, MiniportDumpData after AccessRanges, SrbType/AddressType in place of two
 * reserved bytes) followed by the Storport members. HwStorFindAdapter must set
 * MaximumTransferLength and NumberOfPhysicalBreaks; the rest of the adapter's resources are
 * filled in by the port. */

typedef BOOLEAN HW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE(PVOID HwDeviceExtension, ULONG MessageId);
typedef HW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE *PHW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE;

typedef struct _PORT_CONFIGURATION_INFORMATION {
  ULONG Length;
  ULONG SystemIoBusNumber;
  INTERFACE_TYPE AdapterInterfaceType;
  ULONG BusInterruptLevel;
  ULONG BusInterruptVector;
  KINTERRUPT_MODE InterruptMode;
  ULONG MaximumTransferLength;
  ULONG NumberOfPhysicalBreaks;   /* scatter/gather elements minus one */
  ULONG DmaChannel;
  ULONG DmaPort;
  DMA_WIDTH DmaWidth;
  DMA_SPEED DmaSpeed;
  ULONG AlignmentMask;
  ULONG NumberOfAccessRanges;
  ACCESS_RANGE (*AccessRanges)[]; /* NumberOfAccessRanges elements: (*AccessRanges)[i] */
  PVOID MiniportDumpData;
  PVOID Reserved;
  UCHAR NumberOfBuses;
  CCHAR InitiatorBusId[8];
  BOOLEAN ScatterGather;
  BOOLEAN Master;
  BOOLEAN CachesData;
  BOOLEAN AdapterScansDown;
  BOOLEAN AtdiskPrimaryClaimed;
  BOOLEAN AtdiskSecondaryClaimed;
  BOOLEAN Dma32BitAddresses;
  BOOLEAN DemandMode;
  UCHAR MapBuffers;               /* STOR_MAP_* */
  BOOLEAN NeedPhysicalAddresses;
  BOOLEAN TaggedQueuing;
  BOOLEAN AutoRequestSense;
  BOOLEAN MultipleRequestPerLu;
  BOOLEAN ReceiveEvent;
  BOOLEAN RealModeInitialized;
  BOOLEAN BufferAccessScsiPortControlled;
  UCHAR MaximumNumberOfTargets;
  UCHAR SrbType;
  UCHAR AddressType;
  ULONG SlotNumber;
  ULONG BusInterruptLevel2;
  ULONG BusInterruptVector2;
  KINTERRUPT_MODE InterruptMode2;
  ULONG DmaChannel2;
  ULONG DmaPort2;
  DMA_WIDTH DmaWidth2;
  DMA_SPEED DmaSpeed2;
  ULONG DeviceExtensionSize;
  ULONG SpecificLuExtensionSize;
  ULONG SrbExtensionSize;
  UCHAR Dma64BitAddresses;        /* SCSI_DMA64_* */
  BOOLEAN ResetTargetSupported;
  UCHAR MaximumNumberOfLogicalUnits;
  BOOLEAN WmiDataProvider;
  STOR_SYNCHRONIZATION_MODEL SynchronizationModel;
  PHW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE HwMSInterruptRoutine;
  INTERRUPT_SYNCHRONIZATION_MODE InterruptSynchronizationMode;
  MEMORY_REGION DumpRegion;
  ULONG RequestedDumpBufferSize;
  BOOLEAN VirtualDevice;
  UCHAR DumpMode;
  ULONG ExtendedFlags1;
  ULONG MaxNumberOfIO;
  ULONG MaxIOsPerLun;
  ULONG InitialLunQueueDepth;
  ULONG BusResetHoldTime;         /* microseconds */
  ULONG FeatureSupport;
} PORT_CONFIGURATION_INFORMATION, *PPORT_CONFIGURATION_INFORMATION;

/* the pointer-size-independent prefix, shared with SCSI Port's structure ... */
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, AdapterInterfaceType) == 8,
               "PORT_CONFIGURATION_INFORMATION AdapterInterfaceType offset");
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, DmaChannel) == 32,
               "PORT_CONFIGURATION_INFORMATION DmaChannel offset");
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, NumberOfAccessRanges) == 52,
               "PORT_CONFIGURATION_INFORMATION NumberOfAccessRanges offset");
/* ... and the x64 layout of the declaration above under natural alignment */
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, MapBuffers) == 97,
               "x64 PORT_CONFIGURATION_INFORMATION MapBuffers offset");
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, SlotNumber) == 108,
               "x64 PORT_CONFIGURATION_INFORMATION SlotNumber offset");
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, SynchronizationModel) == 156,
               "x64 PORT_CONFIGURATION_INFORMATION SynchronizationModel offset");
#endif

/* ---- miniport entry points ------------------------------------------------------------------
 * The documented function types (declare a routine as `HW_STARTIO MyStartIo;`) and the pointer
 * types HW_INITIALIZATION_DATA holds. The Hw* names are the documentation's placeholders:
 * HwStorFindAdapter, HwStorInitialize, HwStorBuildIo, HwStorStartIo, HwStorInterrupt,
 * HwStorResetBus, HwStorAdapterControl, HwStorTimer ... */

typedef ULONG HW_FIND_ADAPTER(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation,
                              PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                              PBOOLEAN Reserved3);
typedef HW_FIND_ADAPTER *PHW_FIND_ADAPTER;

typedef BOOLEAN HW_INITIALIZE(PVOID DeviceExtension);
typedef HW_INITIALIZE *PHW_INITIALIZE;

/* HwStorBuildIo: called without the StartIo lock, before HwStorStartIo; returns FALSE when it
 * completed the SRB itself (HwStorStartIo is then not called). */
typedef BOOLEAN HW_BUILDIO(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb);
typedef HW_BUILDIO *PHW_BUILDIO;

typedef BOOLEAN HW_STARTIO(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb);
typedef HW_STARTIO *PHW_STARTIO;

typedef BOOLEAN HW_INTERRUPT(PVOID DeviceExtension);
typedef HW_INTERRUPT *PHW_INTERRUPT;

typedef VOID HW_TIMER(PVOID DeviceExtension);
typedef HW_TIMER *PHW_TIMER;

/* Storport has no subordinate (system) DMA: HwDmaStarted must be NULL. */
typedef VOID HW_DMA_STARTED(PVOID DeviceExtension);
typedef HW_DMA_STARTED *PHW_DMA_STARTED;

typedef BOOLEAN HW_RESET_BUS(PVOID DeviceExtension, ULONG PathId);
typedef HW_RESET_BUS *PHW_RESET_BUS;

typedef BOOLEAN HW_ADAPTER_STATE(PVOID DeviceExtension, PVOID Context, BOOLEAN SaveState);
typedef HW_ADAPTER_STATE *PHW_ADAPTER_STATE;

typedef SCSI_ADAPTER_CONTROL_STATUS HW_ADAPTER_CONTROL(PVOID DeviceExtension,
                                                       SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                       PVOID Parameters);
typedef HW_ADAPTER_CONTROL *PHW_ADAPTER_CONTROL;

typedef VOID HW_FREE_ADAPTER_RESOURCES(PVOID DeviceExtension);
typedef HW_FREE_ADAPTER_RESOURCES *PHW_FREE_ADAPTER_RESOURCES;

typedef VOID HW_PROCESS_SERVICE_REQUEST(PVOID DeviceExtension, PVOID Irp);
typedef HW_PROCESS_SERVICE_REQUEST *PHW_PROCESS_SERVICE_REQUEST;

typedef VOID HW_COMPLETE_SERVICE_IRP(PVOID DeviceExtension);
typedef HW_COMPLETE_SERVICE_IRP *PHW_COMPLETE_SERVICE_IRP;

typedef VOID HW_INITIALIZE_TRACING(PVOID Arg1, PVOID Arg2);
typedef HW_INITIALIZE_TRACING *PHW_INITIALIZE_TRACING;

typedef VOID HW_CLEANUP_TRACING(PVOID Arg1);
typedef HW_CLEANUP_TRACING *PHW_CLEANUP_TRACING;

typedef VOID HW_TRACING_ENABLED(PVOID HwDeviceExtension, BOOLEAN Enabled);
typedef HW_TRACING_ENABLED *PHW_TRACING_ENABLED;

typedef SCSI_UNIT_CONTROL_STATUS HW_UNIT_CONTROL(PVOID DeviceExtension,
                                                 SCSI_UNIT_CONTROL_TYPE ControlType,
                                                 PVOID Parameters);
typedef HW_UNIT_CONTROL *PHW_UNIT_CONTROL;

/* ---- HW_INITIALIZATION_DATA (Storport) ------------------------------------------------------
 * DriverEntry zeroes it, fills what it needs and passes it to StorPortInitialize. SCSI Port's
 * members in the same order (MapBuffers a UCHAR taking a STOR_MAP_ value), then Storport's. */
typedef struct _HW_INITIALIZATION_DATA {
  ULONG HwInitializationDataSize;  /* sizeof(HW_INITIALIZATION_DATA) */
  INTERFACE_TYPE AdapterInterfaceType;
  PHW_INITIALIZE HwInitialize;
  PHW_STARTIO HwStartIo;
  PHW_INTERRUPT HwInterrupt;
  PHW_FIND_ADAPTER HwFindAdapter;  /* documented as PVOID; see docs/ddk_headers.md */
  PHW_RESET_BUS HwResetBus;
  PHW_DMA_STARTED HwDmaStarted;    /* must be NULL under Storport */
  PHW_ADAPTER_STATE HwAdapterState;
  ULONG DeviceExtensionSize;
  ULONG SpecificLuExtensionSize;
  ULONG SrbExtensionSize;
  ULONG NumberOfAccessRanges;
  PVOID Reserved;
  UCHAR MapBuffers;                /* STOR_MAP_* */
  BOOLEAN NeedPhysicalAddresses;
  BOOLEAN TaggedQueuing;
  BOOLEAN AutoRequestSense;
  BOOLEAN MultipleRequestPerLu;
  BOOLEAN ReceiveEvent;
  USHORT VendorIdLength;
  PVOID VendorId;
  union {
    USHORT ReservedUshort;
    USHORT PortVersionFlags;
  };
  USHORT DeviceIdLength;
  PVOID DeviceId;
  PHW_ADAPTER_CONTROL HwAdapterControl;
  PHW_BUILDIO HwBuildIo;
  PHW_FREE_ADAPTER_RESOURCES HwFreeAdapterResources;
  PHW_PROCESS_SERVICE_REQUEST HwProcessServiceRequest;
  PHW_COMPLETE_SERVICE_IRP HwCompleteServiceIrp;
  PHW_INITIALIZE_TRACING HwInitializeTracing;
  PHW_CLEANUP_TRACING HwCleanupTracing;
  PHW_TRACING_ENABLED HwTracingEnabled;
  ULONG FeatureSupport;
  ULONG SrbTypeFlags;              /* SRB_TYPE_FLAG_* */
  ULONG AddressTypeFlags;
  ULONG Reserved1;
  PHW_UNIT_CONTROL HwUnitControl;
} HW_INITIALIZATION_DATA, *PHW_INITIALIZATION_DATA;

_Static_assert(offsetof(HW_INITIALIZATION_DATA, AdapterInterfaceType) == 4,
               "HW_INITIALIZATION_DATA AdapterInterfaceType offset");
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(offsetof(HW_INITIALIZATION_DATA, MapBuffers) == 88,
               "x64 HW_INITIALIZATION_DATA MapBuffers offset");
_Static_assert(offsetof(HW_INITIALIZATION_DATA, HwBuildIo) == 128,
               "x64 HW_INITIALIZATION_DATA HwBuildIo offset");
#endif

/* StorPortBuildScatterGatherList's ExecutionRoutine. Called at DISPATCH_LEVEL once the list is
 * built, possibly after StorPortBuildScatterGatherList has returned; the miniport ignores
 * DeviceObject and Irp. */
typedef VOID (*PPOST_SCATTER_GATHER_EXECUTE)(PVOID *DeviceObject, PVOID *Irp,
                                             PSTOR_SCATTER_GATHER_LIST ScatterGather,
                                             PVOID Context);

/* StorPortSynchronizeAccess's callback: runs synchronised with HwStorInterrupt. */
typedef BOOLEAN STOR_SYNCHRONIZED_ACCESS(PVOID HwDeviceExtension, PVOID Context);
typedef STOR_SYNCHRONIZED_ACCESS *PSTOR_SYNCHRONIZED_ACCESS;

/* A miniport DPC (StorPortInitializeDpc / StorPortIssueDpc below): HwDpcRoutine runs at
 * DISPATCH_LEVEL, after the IRQL of the routine that issued it has dropped -- the place for
 * work a DIRQL routine may not do (StorPortPutScatterGatherList after an interrupt). STOR_DPC
 * is storage the miniport provides (its device extension); its members belong to the port. */
typedef struct _STOR_DPC STOR_DPC, *PSTOR_DPC;
typedef VOID HW_DPC_ROUTINE(PSTOR_DPC Dpc, PVOID HwDeviceExtension, PVOID SystemArgument1,
                            PVOID SystemArgument2);
typedef HW_DPC_ROUTINE *PHW_DPC_ROUTINE;
struct _STOR_DPC {
  PVOID Port;
  PHW_DPC_ROUTINE Routine;
  PVOID SystemArgument1, SystemArgument2;
  LONG Queued;
};

/* ---- Storport library routines ---------------------------------------------------------------
 * Prototypes only: driver/storport/storport.c (to come) implements every routine below. */

/* Initialization -- driver/storport/storport.c, to come. Returns an NTSTATUS value cast to
 * ULONG. */
ULONG StorPortInitialize(PVOID Argument1, PVOID Argument2,
                         struct _HW_INITIALIZATION_DATA *HwInitializationData, PVOID HwContext);

/* Notifications and request completion -- driver/storport/storport.c, to come. The arguments
 * after HwDeviceExtension depend on NotificationType:
 *   RequestComplete              PSCSI_REQUEST_BLOCK Srb
 *   NextRequest, ResetDetected, LinkUp, LinkDown, BufferOverrunDetected   none
 *   NextLuRequest                UCHAR PathId, UCHAR TargetId, UCHAR Lun
 *   RequestTimerCall             PHW_TIMER HwStorTimer, ULONG MiniportTimerValue
 *                                (microseconds; 0 cancels the timer)
 *   BusChangeDetected            [UCHAR PathId]
 *   QueryTickCount               PLARGE_INTEGER TickCount
 *   IoTargetRequestServiceTime   ULONGLONG Duration (100 ns), PSCSI_REQUEST_BLOCK Srb
 *   WMIEvent                     PVOID WMIEvent, UCHAR PathId [, UCHAR TargetId, UCHAR Lun]
 *   WMIReregister                UCHAR PathId [, UCHAR TargetId, UCHAR Lun]
 * (UCHAR arguments arrive promoted to int through the ellipsis.) After RequestComplete the
 * port owns the SRB: the miniport must not touch it again. */
VOID StorPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension, ...);
/* InitializeDpc (PSTOR_DPC Dpc, PHW_DPC_ROUTINE HwDpcRoutine) and IssueDpc (PSTOR_DPC Dpc,
 * PVOID SystemArgument1, PVOID SystemArgument2, PBOOLEAN Queued: FALSE when the DPC was already
 * queued) are reached through these wrappers, as in the WDK. */
static inline VOID StorPortInitializeDpc(PVOID DeviceExtension, PSTOR_DPC Dpc,
                                         PHW_DPC_ROUTINE HwDpcRoutine) {
  StorPortNotification(InitializeDpc, DeviceExtension, Dpc, HwDpcRoutine);
}
static inline BOOLEAN StorPortIssueDpc(PVOID DeviceExtension, PSTOR_DPC Dpc,
                                       PVOID SystemArgument1, PVOID SystemArgument2) {
  BOOLEAN queued = FALSE;
  StorPortNotification(IssueDpc, DeviceExtension, Dpc, SystemArgument1, SystemArgument2,
                       &queued);
  return queued;
}
VOID StorPortCompleteRequest(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                             UCHAR SrbStatus);
VOID StorPortLogError(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, UCHAR PathId,
                      UCHAR TargetId, UCHAR Lun, ULONG ErrorCode, ULONG UniqueId);
BOOLEAN StorPortPause(PVOID HwDeviceExtension, ULONG TimeOut);
BOOLEAN StorPortResume(PVOID HwDeviceExtension);
BOOLEAN StorPortSynchronizeAccess(PVOID HwDeviceExtension,
                                  PSTOR_SYNCHRONIZED_ACCESS SynchronizedAccessRoutine,
                                  PVOID Context);

/* Scatter/gather lists -- driver/storport/storport.c, to come.
 * StorPortBuildScatterGatherList: at IRQL <= DISPATCH_LEVEL. STOR_STATUS_SUCCESS means the
 * ExecutionRoutine is queued, not that it has run; otherwise STOR_STATUS_NOT_IMPLEMENTED,
 * _INVALID_PARAMETER (NULL HwDeviceExtension), _INVALID_IRQL, _INSUFFICIENT_RESOURCES (map
 * registers), _BUFFER_TOO_SMALL (the list does not fit ScatterGatherBuffer).
 * StorPortPutScatterGatherList releases what the build allocated (not the caller's buffer);
 * it must come before that buffer is freed or reused. */
PSTOR_SCATTER_GATHER_LIST StorPortGetScatterGatherList(PVOID DeviceExtension,
                                                       PSCSI_REQUEST_BLOCK Srb);
ULONG StorPortBuildScatterGatherList(PVOID HwDeviceExtension, PVOID Mdl, PVOID CurrentVa,
                                     ULONG Length, PPOST_SCATTER_GATHER_EXECUTE ExecutionRoutine,
                                     PVOID Context, BOOLEAN WriteToDevice,
                                     PVOID ScatterGatherBuffer, ULONG ScatterGatherBufferLength);
ULONG StorPortPutScatterGatherList(PVOID HwDeviceExtension,
                                   PSTOR_SCATTER_GATHER_LIST ScatterGatherList,
                                   BOOLEAN WriteToDevice);

/* Addresses, extensions, buffers -- driver/storport/storport.c, to come. */
STOR_PHYSICAL_ADDRESS StorPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                 PVOID VirtualAddress, PULONG Length);
PVOID StorPortGetVirtualAddress(PVOID HwDeviceExtension, STOR_PHYSICAL_ADDRESS PhysicalAddress);
PVOID StorPortGetUncachedExtension(PVOID HwDeviceExtension,
                                   PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                   ULONG NumberOfBytes);
ULONG StorPortGetSystemAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                               PVOID *SystemAddress);
ULONG StorPortGetOriginalMdl(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, PVOID *Mdl);
STOR_PHYSICAL_ADDRESS StorPortConvertUlongToPhysicalAddress(ULONG_PTR UlongAddress);

/* Bus resources -- driver/storport/storport.c, to come. */
PVOID StorPortGetDeviceBase(PVOID HwDeviceExtension, INTERFACE_TYPE BusType,
                            ULONG SystemIoBusNumber, STOR_PHYSICAL_ADDRESS IoAddress,
                            ULONG NumberOfBytes, BOOLEAN InIoSpace);
VOID StorPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress);

/* Time -- driver/storport/storport.c, to come. The stall advances the simulated clock
 * (design.md, "The CPU"). */
VOID StorPortStallExecution(ULONG Delay);

/* Register and port access (addresses from StorPortGetDeviceBase); unlike the ScsiPort*
 * routines these take the device extension first -- driver/storport/storport.c, to come. */
UCHAR StorPortReadRegisterUchar(PVOID HwDeviceExtension, PUCHAR Register);
USHORT StorPortReadRegisterUshort(PVOID HwDeviceExtension, PUSHORT Register);
ULONG StorPortReadRegisterUlong(PVOID HwDeviceExtension, PULONG Register);
VOID StorPortWriteRegisterUchar(PVOID HwDeviceExtension, PUCHAR Register, UCHAR Value);
VOID StorPortWriteRegisterUshort(PVOID HwDeviceExtension, PUSHORT Register, USHORT Value);
VOID StorPortWriteRegisterUlong(PVOID HwDeviceExtension, PULONG Register, ULONG Value);
UCHAR StorPortReadPortUchar(PVOID HwDeviceExtension, PUCHAR Port);
USHORT StorPortReadPortUshort(PVOID HwDeviceExtension, PUSHORT Port);
ULONG StorPortReadPortUlong(PVOID HwDeviceExtension, PULONG Port);
VOID StorPortWritePortUchar(PVOID HwDeviceExtension, PUCHAR Port, UCHAR Value);
VOID StorPortWritePortUshort(PVOID HwDeviceExtension, PUSHORT Port, USHORT Value);
VOID StorPortWritePortUlong(PVOID HwDeviceExtension, PULONG Port, ULONG Value);

#endif
