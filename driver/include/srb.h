/* hbasim DDK surface: the srb.h subset for SCSI Port miniports -- SCSI_REQUEST_BLOCK and its
 * SRB_FUNCTION_ / SRB_STATUS_ / SRB_FLAGS_ values, HW_INITIALIZATION_DATA,
 * PORT_CONFIGURATION_INFORMATION, ACCESS_RANGE, the Hw* callback types, the notification
 * and adapter-control enumerations and the ScsiPort* library routines.
 *
 * Names, member order, member types, values and signatures follow Microsoft's documentation
 * (the srb.h reference pages: SCSI_REQUEST_BLOCK, HW_INITIALIZATION_DATA (SCSI),
 * PORT_CONFIGURATION_INFORMATION (SCSI), ACCESS_RANGE, ScsiPortNotification, PHW_* and each
 * ScsiPort* routine). Calling conventions and SAL annotations are dropped (one ABI on
 * x86-64 Linux). docs/ddk_headers.md lists the subset, its sources and its differences.
 *
 * Included from storport.h (HBASIM_STORPORT_H defined), this header supplies only what SCSI
 * Port and Storport share; the blocks marked !HBASIM_STORPORT_H are SCSI Port's and storport.h
 * declares Storport's versions of them. */
#ifndef HBASIM_SRB_H
#define HBASIM_SRB_H

#include <stddef.h>

#include "miniport.h"

/* ---- limits and special values ---------------------------------------------------------- */

#define SCSI_MAXIMUM_TARGETS_PER_BUS 128
#define SCSI_MAXIMUM_LUNS_PER_TARGET 255
#define SCSI_MINIMUM_PHYSICAL_BREAKS 16
#define SCSI_MAXIMUM_PHYSICAL_BREAKS 255
/* the historical maxima, kept for miniports that size arrays with them */
#define SCSI_MAXIMUM_BUSES 8
#define SCSI_MAXIMUM_TARGETS 8
#define SCSI_MAXIMUM_LOGICAL_UNITS 8

/* "not set" in PORT_CONFIGURATION_INFORMATION (DmaChannel, DmaPort, MaximumTransferLength,
 * NumberOfPhysicalBreaks); a QueueTag of SP_UNTAGGED means an untagged request */
#define SP_UNINITIALIZED_VALUE ((ULONG)~0u)
#define SP_UNTAGGED ((UCHAR)~0u)

/* PORT_CONFIGURATION_INFORMATION.Dma64BitAddresses */
#define SCSI_DMA64_MINIPORT_SUPPORTED 0x01
#define SCSI_DMA64_SYSTEM_SUPPORTED 0x80

/* ---- SCSI_REQUEST_BLOCK ------------------------------------------------------------------ */

typedef struct _SCSI_REQUEST_BLOCK {
  USHORT Length;             /* sizeof(SCSI_REQUEST_BLOCK) */
  UCHAR Function;            /* SRB_FUNCTION_* */
  UCHAR SrbStatus;           /* SRB_STATUS_*, set by the miniport before RequestComplete */
  UCHAR ScsiStatus;          /* the target's status byte (SCSISTAT_* in scsi.h) */
  UCHAR PathId;
  UCHAR TargetId;
  UCHAR Lun;
  UCHAR QueueTag;
  UCHAR QueueAction;         /* SRB_*_TAG_REQUEST */
  UCHAR CdbLength;
  UCHAR SenseInfoBufferLength;
  ULONG SrbFlags;            /* SRB_FLAGS_* */
  ULONG DataTransferLength;  /* bytes; the miniport lowers it on an underrun */
  ULONG TimeOutValue;        /* seconds */
  PVOID DataBuffer;          /* not to be dereferenced unless MapBuffers is TRUE */
  PVOID SenseInfoBuffer;
  struct _SCSI_REQUEST_BLOCK *NextSrb;
  PVOID OriginalRequest;
  PVOID SrbExtension;
  union {
    ULONG InternalStatus;
    ULONG QueueSortKey;
    ULONG LinkTimeoutValue;
  };
  ULONG Reserved;            /* present on 64-bit Windows (_WIN64) */
  UCHAR Cdb[16];
} SCSI_REQUEST_BLOCK, *PSCSI_REQUEST_BLOCK;

#define SCSI_REQUEST_BLOCK_SIZE sizeof(SCSI_REQUEST_BLOCK)

/* Offsets that follow from the documented declaration whatever the pointer size ... */
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, Function) == 2, "SRB Function offset");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, CdbLength) == 10, "SRB CdbLength offset");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, SrbFlags) == 12, "SRB SrbFlags offset");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, DataTransferLength) == 16, "SRB length offset");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, TimeOutValue) == 20, "SRB TimeOutValue offset");
/* ... and the x64 layout: the declaration under natural alignment with 8-byte pointers (no
 * `long` member, so Windows' LLP64 and Linux's LP64 lay it out alike). */
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, DataBuffer) == 24, "x64 SRB DataBuffer offset");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, SrbExtension) == 56, "x64 SRB SrbExtension offset");
_Static_assert(offsetof(SCSI_REQUEST_BLOCK, Cdb) == 72, "x64 SRB Cdb offset");
_Static_assert(sizeof(SCSI_REQUEST_BLOCK) == 88, "x64 SRB size");
#endif

/* Function (documented values) */
#define SRB_FUNCTION_EXECUTE_SCSI 0x00
#define SRB_FUNCTION_IO_CONTROL 0x02
#define SRB_FUNCTION_RECEIVE_EVENT 0x03
#define SRB_FUNCTION_SHUTDOWN 0x07
#define SRB_FUNCTION_FLUSH 0x08
#define SRB_FUNCTION_ABORT_COMMAND 0x10
#define SRB_FUNCTION_RELEASE_RECOVERY 0x11
#define SRB_FUNCTION_RESET_BUS 0x12
#define SRB_FUNCTION_RESET_DEVICE 0x13
#define SRB_FUNCTION_TERMINATE_IO 0x14
#define SRB_FUNCTION_LOCK_QUEUE 0x18
#define SRB_FUNCTION_UNLOCK_QUEUE 0x19
#define SRB_FUNCTION_RESET_LOGICAL_UNIT 0x20
#define SRB_FUNCTION_DUMP_POINTERS 0x26
#define SRB_FUNCTION_FREE_DUMP_POINTERS 0x27

/* SrbStatus */
#define SRB_STATUS_PENDING 0x00
#define SRB_STATUS_SUCCESS 0x01
#define SRB_STATUS_ABORTED 0x02
#define SRB_STATUS_ABORT_FAILED 0x03
#define SRB_STATUS_ERROR 0x04
#define SRB_STATUS_BUSY 0x05
#define SRB_STATUS_INVALID_REQUEST 0x06
#define SRB_STATUS_INVALID_PATH_ID 0x07
#define SRB_STATUS_NO_DEVICE 0x08
#define SRB_STATUS_TIMEOUT 0x09
#define SRB_STATUS_SELECTION_TIMEOUT 0x0A
#define SRB_STATUS_COMMAND_TIMEOUT 0x0B
#define SRB_STATUS_MESSAGE_REJECTED 0x0D
#define SRB_STATUS_BUS_RESET 0x0E
#define SRB_STATUS_PARITY_ERROR 0x0F
#define SRB_STATUS_REQUEST_SENSE_FAILED 0x10
#define SRB_STATUS_NO_HBA 0x11
#define SRB_STATUS_DATA_OVERRUN 0x12          /* also an underrun: lower DataTransferLength */
#define SRB_STATUS_UNEXPECTED_BUS_FREE 0x13
#define SRB_STATUS_PHASE_SEQUENCE_FAILURE 0x14
#define SRB_STATUS_BAD_SRB_BLOCK_LENGTH 0x15
#define SRB_STATUS_REQUEST_FLUSHED 0x16
#define SRB_STATUS_INVALID_LUN 0x20
#define SRB_STATUS_INVALID_TARGET_ID 0x21
#define SRB_STATUS_BAD_FUNCTION 0x22
#define SRB_STATUS_ERROR_RECOVERY 0x23
#define SRB_STATUS_NOT_POWERED 0x24
#define SRB_STATUS_LINK_DOWN 0x25
#define SRB_STATUS_INTERNAL_ERROR 0x30        /* port driver only; never from a miniport */
/* bits or'ed into SrbStatus */
#define SRB_STATUS_QUEUE_FROZEN 0x40          /* port driver only; never from a miniport */
#define SRB_STATUS_AUTOSENSE_VALID 0x80
/* the status with the two flag bits removed */
#define SRB_STATUS(Status) ((Status) & ~(SRB_STATUS_AUTOSENSE_VALID | SRB_STATUS_QUEUE_FROZEN))

/* SrbFlags */
#define SRB_FLAGS_QUEUE_ACTION_ENABLE 0x00000002u
#define SRB_FLAGS_DISABLE_DISCONNECT 0x00000004u
#define SRB_FLAGS_DISABLE_SYNCH_TRANSFER 0x00000008u
#define SRB_FLAGS_BYPASS_FROZEN_QUEUE 0x00000010u
#define SRB_FLAGS_DISABLE_AUTOSENSE 0x00000020u
#define SRB_FLAGS_DATA_IN 0x00000040u         /* device to system */
#define SRB_FLAGS_DATA_OUT 0x00000080u        /* system to device */
#define SRB_FLAGS_NO_DATA_TRANSFER 0x00000000u
#define SRB_FLAGS_UNSPECIFIED_DIRECTION (SRB_FLAGS_DATA_IN | SRB_FLAGS_DATA_OUT)
#define SRB_FLAGS_NO_QUEUE_FREEZE 0x00000100u
#define SRB_FLAGS_ADAPTER_CACHE_ENABLE 0x00000200u
#define SRB_FLAGS_FREE_SENSE_BUFFER 0x00000400u
#define SRB_FLAGS_IS_ACTIVE 0x00010000u
#define SRB_FLAGS_ALLOCATED_FROM_ZONE 0x00020000u
#define SRB_FLAGS_SGLIST_FROM_POOL 0x00040000u
#define SRB_FLAGS_BYPASS_LOCKED_QUEUE 0x00080000u
#define SRB_FLAGS_NO_KEEP_AWAKE 0x00100000u

/* QueueAction (the SCSI queue tag message codes) */
#define SRB_SIMPLE_TAG_REQUEST 0x20
#define SRB_HEAD_OF_QUEUE_TAG_REQUEST 0x21
#define SRB_ORDERED_QUEUE_TAG_REQUEST 0x22

/* ---- ACCESS_RANGE and PORT_CONFIGURATION_INFORMATION ------------------------------------- */

typedef PHYSICAL_ADDRESS SCSI_PHYSICAL_ADDRESS, *PSCSI_PHYSICAL_ADDRESS;

typedef struct _ACCESS_RANGE {
  SCSI_PHYSICAL_ADDRESS RangeStart;
  ULONG RangeLength;
  BOOLEAN RangeInMemory;     /* FALSE: I/O ports */
} ACCESS_RANGE, *PACCESS_RANGE;

#ifndef HBASIM_STORPORT_H /* SCSI Port only: storport.h declares Storport's own */

/* Filled by the port driver, completed by HwScsiFindAdapter. Defaults the documentation gives:
 * MaximumTransferLength, NumberOfPhysicalBreaks, DmaChannel and DmaPort SP_UNINITIALIZED_VALUE;
 * DmaWidth 0 (Width8Bits); DmaSpeed Compatible; ScatterGather, Master, CachesData,
 * Dma32BitAddresses FALSE. */
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
  ULONG AlignmentMask;            /* 0, 1, 3 or 7 */
  ULONG NumberOfAccessRanges;
  ACCESS_RANGE (*AccessRanges)[]; /* NumberOfAccessRanges elements: (*AccessRanges)[i] */
  PVOID Reserved;
  UCHAR NumberOfBuses;
  UCHAR InitiatorBusId[8];
  BOOLEAN ScatterGather;
  BOOLEAN Master;
  BOOLEAN CachesData;
  BOOLEAN AdapterScansDown;
  BOOLEAN AtdiskPrimaryClaimed;
  BOOLEAN AtdiskSecondaryClaimed;
  BOOLEAN Dma32BitAddresses;      /* FALSE: 24 address lines (16 MiB) */
  BOOLEAN DemandMode;
  BOOLEAN MapBuffers;
  BOOLEAN NeedPhysicalAddresses;
  BOOLEAN TaggedQueuing;
  BOOLEAN AutoRequestSense;
  BOOLEAN MultipleRequestPerLu;
  BOOLEAN ReceiveEvent;
  BOOLEAN RealModeInitialized;
  BOOLEAN BufferAccessScsiPortControlled;
  UCHAR MaximumNumberOfTargets;
  UCHAR ReservedUchars[2];
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
} PORT_CONFIGURATION_INFORMATION, *PPORT_CONFIGURATION_INFORMATION;

/* pointer-size-independent part of the documented declaration */
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, AdapterInterfaceType) == 8,
               "PORT_CONFIGURATION_INFORMATION AdapterInterfaceType offset");
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, DmaChannel) == 32,
               "PORT_CONFIGURATION_INFORMATION DmaChannel offset");
_Static_assert(offsetof(PORT_CONFIGURATION_INFORMATION, NumberOfAccessRanges) == 52,
               "PORT_CONFIGURATION_INFORMATION NumberOfAccessRanges offset");

#endif /* !HBASIM_STORPORT_H */

/* ---- HwScsiFindAdapter results and ScsiPortLogError codes -------------------------------- */

#define SP_RETURN_NOT_FOUND 0
#define SP_RETURN_FOUND 1
#define SP_RETURN_ERROR 2
#define SP_RETURN_BAD_CONFIG 3

#define SP_BUS_PARITY_ERROR 0x0001
#define SP_UNEXPECTED_DISCONNECT 0x0002
#define SP_INVALID_RESELECTION 0x0003
#define SP_BUS_TIME_OUT 0x0004
#define SP_PROTOCOL_ERROR 0x0005
#define SP_INTERNAL_ADAPTER_ERROR 0x0006
#define SP_REQUEST_TIMEOUT 0x0007
#define SP_IRQ_NOT_RESPONDING 0x0008
#define SP_BAD_FW_WARNING 0x0009
#define SP_BAD_FW_ERROR 0x000a
#define SP_LOST_WMI_MINIPORT_REQUEST 0x000b

/* ---- notifications and adapter control --------------------------------------------------- */

#ifndef HBASIM_STORPORT_H /* SCSI Port only: storport.h declares Storport's own */

/* ScsiPortNotification's first argument; the extra arguments each one takes are listed at
 * ScsiPortNotification below. */
typedef enum _SCSI_NOTIFICATION_TYPE {
  RequestComplete,
  NextRequest,
  NextLuRequest,
  ResetDetected,
  CallDisableInterrupts,
  CallEnableInterrupts,
  RequestTimerCall,
  BusChangeDetected,
  WMIEvent,
  WMIReregister
} SCSI_NOTIFICATION_TYPE, *PSCSI_NOTIFICATION_TYPE;

#endif /* !HBASIM_STORPORT_H */

typedef enum _SCSI_ADAPTER_CONTROL_TYPE {
  ScsiQuerySupportedControlTypes = 0,
  ScsiStopAdapter,
  ScsiRestartAdapter,
  ScsiSetBootConfig,
  ScsiSetRunningConfig,
  ScsiAdapterControlMax
} SCSI_ADAPTER_CONTROL_TYPE, *PSCSI_ADAPTER_CONTROL_TYPE;

typedef enum _SCSI_ADAPTER_CONTROL_STATUS {
  ScsiAdapterControlSuccess = 0,
  ScsiAdapterControlUnsuccessful
} SCSI_ADAPTER_CONTROL_STATUS, *PSCSI_ADAPTER_CONTROL_STATUS;

/* Parameters of ScsiQuerySupportedControlTypes: the miniport sets SupportedTypeList[t] TRUE
 * for each type t < MaxControlType it handles. */
typedef struct _SCSI_SUPPORTED_CONTROL_TYPE_LIST {
  ULONG MaxControlType;
  BOOLEAN SupportedTypeList[];
} SCSI_SUPPORTED_CONTROL_TYPE_LIST, *PSCSI_SUPPORTED_CONTROL_TYPE_LIST;

#ifndef HBASIM_STORPORT_H /* SCSI Port only: storport.h declares Storport's own */

/* ---- miniport entry points (HW_INITIALIZATION_DATA members) ------------------------------ */

typedef BOOLEAN (*PHW_INITIALIZE)(PVOID DeviceExtension);
typedef BOOLEAN (*PHW_STARTIO)(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb);
typedef BOOLEAN (*PHW_INTERRUPT)(PVOID DeviceExtension);
typedef VOID (*PHW_TIMER)(PVOID DeviceExtension);
typedef VOID (*PHW_DMA_STARTED)(PVOID DeviceExtension);
typedef ULONG (*PHW_FIND_ADAPTER)(PVOID HwDeviceExtension, PVOID HwContext, PVOID BusInformation,
                                  PCHAR ArgumentString,
                                  PPORT_CONFIGURATION_INFORMATION ConfigInfo, PBOOLEAN Again);
typedef BOOLEAN (*PHW_RESET_BUS)(PVOID DeviceExtension, ULONG PathId);
typedef BOOLEAN (*PHW_ADAPTER_STATE)(PVOID DeviceExtension, PVOID Context, BOOLEAN SaveState);
typedef SCSI_ADAPTER_CONTROL_STATUS (*PHW_ADAPTER_CONTROL)(PVOID DeviceExtension,
                                                           SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                           PVOID Parameters);

/* DriverEntry zeroes it, fills what it needs and passes it to ScsiPortInitialize. */
typedef struct _HW_INITIALIZATION_DATA {
  ULONG HwInitializationDataSize;  /* sizeof(HW_INITIALIZATION_DATA) */
  INTERFACE_TYPE AdapterInterfaceType;
  PHW_INITIALIZE HwInitialize;
  PHW_STARTIO HwStartIo;
  PHW_INTERRUPT HwInterrupt;
  PHW_FIND_ADAPTER HwFindAdapter;
  PHW_RESET_BUS HwResetBus;
  PHW_DMA_STARTED HwDmaStarted;    /* system-DMA HBAs only; NULL for bus masters and PIO */
  PHW_ADAPTER_STATE HwAdapterState;
  ULONG DeviceExtensionSize;
  ULONG SpecificLuExtensionSize;
  ULONG SrbExtensionSize;
  ULONG NumberOfAccessRanges;
  PVOID Reserved;
  BOOLEAN MapBuffers;
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
} HW_INITIALIZATION_DATA, *PHW_INITIALIZATION_DATA;

_Static_assert(offsetof(HW_INITIALIZATION_DATA, AdapterInterfaceType) == 4,
               "HW_INITIALIZATION_DATA AdapterInterfaceType offset");

/* ---- SCSI Port library routines ----------------------------------------------------------
 * Prototypes only: driver/scsiport/scsiport.c (to come) implements every routine below. */

/* Initialization -- driver/scsiport/scsiport.c, to come. Returns an NTSTATUS value cast to
 * ULONG (STATUS_SUCCESS when at least one HBA was found). */
ULONG ScsiPortInitialize(PVOID Argument1, PVOID Argument2,
                         struct _HW_INITIALIZATION_DATA *HwInitializationData, PVOID HwContext);

/* Notifications -- driver/scsiport/scsiport.c, to come. The arguments after HwDeviceExtension
 * depend on NotificationType:
 *   RequestComplete         PSCSI_REQUEST_BLOCK Srb
 *   NextRequest, ResetDetected   none
 *   NextLuRequest           UCHAR PathId, UCHAR TargetId, UCHAR Lun
 *   CallEnableInterrupts, CallDisableInterrupts   PHW_INTERRUPT callback
 *   RequestTimerCall        PHW_TIMER HwScsiTimer, ULONG MiniportTimerValue (microseconds)
 *   BusChangeDetected       UCHAR PathId
 *   WMIEvent                PVOID WMIEvent, UCHAR PathId [, UCHAR TargetId, UCHAR Lun]
 *   WMIReregister           UCHAR PathId [, UCHAR TargetId, UCHAR Lun]
 * (UCHAR arguments arrive promoted to int through the ellipsis.) */
VOID ScsiPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension, ...);
VOID ScsiPortCompleteRequest(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                             UCHAR SrbStatus);
VOID ScsiPortLogError(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, UCHAR PathId,
                      UCHAR TargetId, UCHAR Lun, ULONG ErrorCode, ULONG UniqueId);

/* System DMA -- driver/scsiport/scsiport.c, to come. LogicalAddress is a virtual address
 * inside [Srb->DataBuffer, +DataTransferLength). */
VOID ScsiPortIoMapTransfer(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                           PVOID LogicalAddress, ULONG Length);
VOID ScsiPortFlushDma(PVOID DeviceExtension);

/* Addresses, extensions, SRB and LU lookup -- driver/scsiport/scsiport.c, to come. */
SCSI_PHYSICAL_ADDRESS ScsiPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                 PVOID VirtualAddress, PULONG Length);
PVOID ScsiPortGetVirtualAddress(PVOID HwDeviceExtension, SCSI_PHYSICAL_ADDRESS PhysicalAddress);
PVOID ScsiPortGetUncachedExtension(PVOID HwDeviceExtension,
                                   PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                   ULONG NumberOfBytes);
PSCSI_REQUEST_BLOCK ScsiPortGetSrb(PVOID DeviceExtension, UCHAR PathId, UCHAR TargetId,
                                   UCHAR Lun, LONG QueueTag);
PVOID ScsiPortGetLogicalUnit(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun);
SCSI_PHYSICAL_ADDRESS ScsiPortConvertUlongToPhysicalAddress(ULONG_PTR UlongAddress);
ULONG ScsiPortConvertPhysicalAddressToUlong(SCSI_PHYSICAL_ADDRESS Address);

/* Bus resources and configuration -- driver/scsiport/scsiport.c, to come. */
PVOID ScsiPortGetDeviceBase(PVOID HwDeviceExtension, INTERFACE_TYPE BusType,
                            ULONG SystemIoBusNumber, SCSI_PHYSICAL_ADDRESS IoAddress,
                            ULONG NumberOfBytes, BOOLEAN InIoSpace);
VOID ScsiPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress);
BOOLEAN ScsiPortValidateRange(PVOID HwDeviceExtension, INTERFACE_TYPE BusType,
                              ULONG SystemIoBusNumber, SCSI_PHYSICAL_ADDRESS IoAddress,
                              ULONG NumberOfBytes, BOOLEAN InIoSpace);
ULONG ScsiPortGetBusData(PVOID DeviceExtension, ULONG BusDataType, ULONG SystemIoBusNumber,
                         ULONG SlotNumber, PVOID Buffer, ULONG Length);
ULONG ScsiPortSetBusDataByOffset(PVOID DeviceExtension, ULONG BusDataType,
                                 ULONG SystemIoBusNumber, ULONG SlotNumber, PVOID Buffer,
                                 ULONG Offset, ULONG Length);

/* Time, memory, debug output -- driver/scsiport/scsiport.c, to come. Stalls advance the
 * simulated clock (design.md, "The CPU"). */
VOID ScsiPortStallExecution(ULONG Delay);
VOID ScsiPortQuerySystemTime(PLARGE_INTEGER CurrentTime);
VOID ScsiPortMoveMemory(PVOID WriteBuffer, PVOID ReadBuffer, ULONG Length);
VOID ScsiDebugPrint(ULONG DebugPrintLevel, PCCHAR DebugMessage, ...);

/* I/O port access (addresses from ScsiPortGetDeviceBase with InIoSpace TRUE) --
 * driver/scsiport/scsiport.c, to come. */
UCHAR ScsiPortReadPortUchar(PUCHAR Port);
USHORT ScsiPortReadPortUshort(PUSHORT Port);
ULONG ScsiPortReadPortUlong(PULONG Port);
VOID ScsiPortReadPortBufferUchar(PUCHAR Port, PUCHAR Buffer, ULONG Count);
VOID ScsiPortReadPortBufferUshort(PUSHORT Port, PUSHORT Buffer, ULONG Count);
VOID ScsiPortReadPortBufferUlong(PULONG Port, PULONG Buffer, ULONG Count);
VOID ScsiPortWritePortUchar(PUCHAR Port, UCHAR Value);
VOID ScsiPortWritePortUshort(PUSHORT Port, USHORT Value);
VOID ScsiPortWritePortUlong(PULONG Port, ULONG Value);
VOID ScsiPortWritePortBufferUchar(PUCHAR Port, PUCHAR Buffer, ULONG Count);
VOID ScsiPortWritePortBufferUshort(PUSHORT Port, PUSHORT Buffer, ULONG Count);
VOID ScsiPortWritePortBufferUlong(PULONG Port, PULONG Buffer, ULONG Count);

/* Memory-mapped register access (addresses from ScsiPortGetDeviceBase with InIoSpace FALSE) --
 * driver/scsiport/scsiport.c, to come. */
UCHAR ScsiPortReadRegisterUchar(PUCHAR Register);
USHORT ScsiPortReadRegisterUshort(PUSHORT Register);
ULONG ScsiPortReadRegisterUlong(PULONG Register);
VOID ScsiPortReadRegisterBufferUchar(PUCHAR Register, PUCHAR Buffer, ULONG Count);
VOID ScsiPortReadRegisterBufferUshort(PUSHORT Register, PUSHORT Buffer, ULONG Count);
VOID ScsiPortReadRegisterBufferUlong(PULONG Register, PULONG Buffer, ULONG Count);
VOID ScsiPortWriteRegisterUchar(PUCHAR Register, UCHAR Value);
VOID ScsiPortWriteRegisterUshort(PUSHORT Register, USHORT Value);
VOID ScsiPortWriteRegisterUlong(PULONG Register, ULONG Value);
VOID ScsiPortWriteRegisterBufferUchar(PUCHAR Register, PUCHAR Buffer, ULONG Count);
VOID ScsiPortWriteRegisterBufferUshort(PUSHORT Register, PUSHORT Buffer, ULONG Count);
VOID ScsiPortWriteRegisterBufferUlong(PULONG Register, PULONG Buffer, ULONG Count);

#endif /* !HBASIM_STORPORT_H */

#endif
