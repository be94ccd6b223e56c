/* Compile-only check of the DDK headers (driver/include/miniport.h, srb.h, scsi.h): a minimal
 * SCSI Port miniport for an ISA HBA that moves data through system DMA channel 5, written the
 * way Microsoft's documentation describes a miniport (DriverEntry, HwScsiFindAdapter,
 * HwScsiInitialize, HwScsiStartIo, HwScsiInterrupt, HwScsiDmaStarted, HwScsiResetBus,
 * HwScsiAdapterState, HwScsiAdapterControl, HwScsiTimer). It only has to compile unchanged:
 * `make check-ddk` runs it through the compiler with -fsyntax-only and it is never linked (the
 * ScsiPort* routines come later from driver/scsiport/). The "HBA" and its registers are
 * invented for the skeleton and mean nothing to the simulated hardware. */
#include "miniport.h"
#include "srb.h"
#include "scsi.h"

/* ---- the invented HBA ------------------------------------------------------------------ */

#define SKEL_IO_BASE 0x330
#define SKEL_IO_LENGTH 4
#define SKEL_MMIO_BASE 0xD8000
#define SKEL_MMIO_LENGTH 0x100
#define SKEL_DMA_CHANNEL 5
#define SKEL_IRQ 11
#define SKEL_MAX_TRANSFER (64u * 1024u)

#define SKEL_PORT_STATUS 0       /* read: status, write: command */
#define SKEL_PORT_DATA 1
#define SKEL_STATUS_BUSY 0x01
#define SKEL_STATUS_BUS_RESET 0x40
#define SKEL_STATUS_IRQ 0x80
#define SKEL_CMD_RESET 0x01
#define SKEL_CMD_START_DMA 0x02

#define SKEL_REG_CDB 0x00        /* ULONG[4]: the CDB */
#define SKEL_REG_TARGET 0x10     /* ULONG: target << 8 | lun */
#define SKEL_REG_LENGTH 0x14     /* ULONG: bytes to move */
#define SKEL_REG_RESULT 0x18     /* ULONG: residual << 8 | SCSI status */
#define SKEL_REG_STATUS_ADDR 0x1C /* ULONG: where the HBA posts its status block */

typedef struct _SKEL_DEVICE_EXTENSION {
  PUCHAR IoBase;                 /* from ScsiPortGetDeviceBase, I/O space */
  PUCHAR Registers;              /* from ScsiPortGetDeviceBase, memory space */
  PSCSI_REQUEST_BLOCK ActiveSrb;
  BOOLEAN DmaPending;            /* ScsiPortIoMapTransfer called, HwDmaStarted not yet */
  ULONG Resets;
} SKEL_DEVICE_EXTENSION, *PSKEL_DEVICE_EXTENSION;

typedef struct _SKEL_SRB_EXTENSION {
  ULONG BytesRequested;
  ULONG StatusBlock[2];          /* written by the HBA */
} SKEL_SRB_EXTENSION, *PSKEL_SRB_EXTENSION;

/* the documented routine names, as a miniport declares them */
ULONG DriverEntry(PVOID DriverObject, PVOID Argument2);
static ULONG SkelFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PVOID BusInformation,
                             PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                             PBOOLEAN Again);
static BOOLEAN SkelInitialize(PVOID HwDeviceExtension);
static BOOLEAN SkelStartIo(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb);
static BOOLEAN SkelInterrupt(PVOID HwDeviceExtension);
static VOID SkelDmaStarted(PVOID HwDeviceExtension);
static BOOLEAN SkelResetBus(PVOID HwDeviceExtension, ULONG PathId);
static BOOLEAN SkelAdapterState(PVOID HwDeviceExtension, PVOID Context, BOOLEAN SaveState);
static SCSI_ADAPTER_CONTROL_STATUS SkelAdapterControl(PVOID HwDeviceExtension,
                                                      SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                      PVOID Parameters);
static VOID SkelTimer(PVOID HwDeviceExtension);

/* ---- DriverEntry --------------------------------------------------------------------- */

ULONG DriverEntry(PVOID DriverObject, PVOID Argument2) {
  HW_INITIALIZATION_DATA hwInitializationData;
  ULONG i;

  /* "must initialize with zeros and, then, fill in" (HW_INITIALIZATION_DATA) */
  for (i = 0; i < sizeof(HW_INITIALIZATION_DATA); i++) {
    ((PUCHAR)&hwInitializationData)[i] = 0;
  }

  hwInitializationData.HwInitializationDataSize = sizeof(HW_INITIALIZATION_DATA);
  hwInitializationData.AdapterInterfaceType = Isa;
  hwInitializationData.HwInitialize = SkelInitialize;
  hwInitializationData.HwStartIo = SkelStartIo;
  hwInitializationData.HwInterrupt = SkelInterrupt;
  hwInitializationData.HwFindAdapter = SkelFindAdapter;
  hwInitializationData.HwResetBus = SkelResetBus;
  hwInitializationData.HwDmaStarted = SkelDmaStarted;
  hwInitializationData.HwAdapterState = SkelAdapterState;
  hwInitializationData.HwAdapterControl = SkelAdapterControl;
  hwInitializationData.DeviceExtensionSize = sizeof(SKEL_DEVICE_EXTENSION);
  hwInitializationData.SpecificLuExtensionSize = 0;
  hwInitializationData.SrbExtensionSize = sizeof(SKEL_SRB_EXTENSION);
  hwInitializationData.NumberOfAccessRanges = 2;
  hwInitializationData.MapBuffers = FALSE;
  hwInitializationData.NeedPhysicalAddresses = TRUE;   /* for the SRB extension's address */
  hwInitializationData.TaggedQueuing = FALSE;
  hwInitializationData.AutoRequestSense = FALSE;
  hwInitializationData.MultipleRequestPerLu = FALSE;
  hwInitializationData.ReceiveEvent = FALSE;

  return ScsiPortInitialize(DriverObject, Argument2, &hwInitializationData, NULL);
}

/* ---- HwScsiFindAdapter ------------------------------------------------------------------ */

static ULONG SkelFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PVOID BusInformation,
                             PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                             PBOOLEAN Again) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;
  PACCESS_RANGE ioRange;
  PACCESS_RANGE memoryRange;

  UNREFERENCED_PARAMETER(HwContext);
  UNREFERENCED_PARAMETER(BusInformation);
  UNREFERENCED_PARAMETER(ArgumentString);

  *Again = FALSE;

  if (!ScsiPortValidateRange(HwDeviceExtension, ConfigInfo->AdapterInterfaceType,
                             ConfigInfo->SystemIoBusNumber,
                             ScsiPortConvertUlongToPhysicalAddress(SKEL_IO_BASE), SKEL_IO_LENGTH,
                             TRUE)) {
    return SP_RETURN_NOT_FOUND;
  }

  ioRange = &(*ConfigInfo->AccessRanges)[0];
  ioRange->RangeStart = ScsiPortConvertUlongToPhysicalAddress(SKEL_IO_BASE);
  ioRange->RangeLength = SKEL_IO_LENGTH;
  ioRange->RangeInMemory = FALSE;

  memoryRange = &(*ConfigInfo->AccessRanges)[1];
  memoryRange->RangeStart = ScsiPortConvertUlongToPhysicalAddress(SKEL_MMIO_BASE);
  memoryRange->RangeLength = SKEL_MMIO_LENGTH;
  memoryRange->RangeInMemory = TRUE;

  deviceExtension->IoBase = ScsiPortGetDeviceBase(
      HwDeviceExtension, ConfigInfo->AdapterInterfaceType, ConfigInfo->SystemIoBusNumber,
      ioRange->RangeStart, ioRange->RangeLength, (BOOLEAN)!ioRange->RangeInMemory);
  deviceExtension->Registers = ScsiPortGetDeviceBase(
      HwDeviceExtension, ConfigInfo->AdapterInterfaceType, ConfigInfo->SystemIoBusNumber,
      memoryRange->RangeStart, memoryRange->RangeLength, (BOOLEAN)!memoryRange->RangeInMemory);
  if (deviceExtension->IoBase == NULL || deviceExtension->Registers == NULL) {
    ScsiPortLogError(HwDeviceExtension, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, 1);
    return SP_RETURN_ERROR;
  }

  /* a subordinate (system-DMA) HBA on word channel 5 */
  ConfigInfo->BusInterruptLevel = SKEL_IRQ;
  ConfigInfo->InterruptMode = Latched;
  ConfigInfo->DmaChannel = SKEL_DMA_CHANNEL;
  ConfigInfo->DmaPort = SP_UNINITIALIZED_VALUE;
  ConfigInfo->DmaWidth = Width16Bits;
  ConfigInfo->DmaSpeed = Compatible;
  ConfigInfo->Master = FALSE;
  ConfigInfo->ScatterGather = FALSE;
  ConfigInfo->Dma32BitAddresses = FALSE;
  ConfigInfo->DemandMode = FALSE;
  ConfigInfo->MapBuffers = FALSE;
  ConfigInfo->NeedPhysicalAddresses = TRUE;
  ConfigInfo->MaximumTransferLength = SKEL_MAX_TRANSFER;
  ConfigInfo->NumberOfPhysicalBreaks = 0;
  ConfigInfo->AlignmentMask = 1;
  ConfigInfo->NumberOfBuses = 1;
  ConfigInfo->InitiatorBusId[0] = 7;
  ConfigInfo->MaximumNumberOfTargets = SCSI_MAXIMUM_TARGETS;
  ConfigInfo->MaximumNumberOfLogicalUnits = SCSI_MAXIMUM_LOGICAL_UNITS;
  ConfigInfo->CachesData = FALSE;

  return SP_RETURN_FOUND;
}

/* ---- HwScsiInitialize -------------------------------------------------------------------- */

static BOOLEAN SkelInitialize(PVOID HwDeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;
  ULONG spins;

  ScsiPortWritePortUchar(deviceExtension->IoBase + SKEL_PORT_STATUS, SKEL_CMD_RESET);
  for (spins = 0; spins < 1000; spins++) {
    if ((ScsiPortReadPortUchar(deviceExtension->IoBase + SKEL_PORT_STATUS) &
         SKEL_STATUS_BUSY) == 0) {
      ScsiPortNotification(RequestTimerCall, HwDeviceExtension, SkelTimer, 1000000);
      return TRUE;
    }
    ScsiPortStallExecution(10);
  }
  ScsiDebugPrint(1, "SkelInitialize: adapter stays busy after reset\n");
  return FALSE;
}

/* ---- HwScsiStartIo ----------------------------------------------------------------------- */

static VOID SkelCompleteSrb(PSKEL_DEVICE_EXTENSION DeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                            UCHAR SrbStatus) {
  Srb->SrbStatus = SrbStatus;
  DeviceExtension->ActiveSrb = NULL;
  ScsiPortNotification(RequestComplete, DeviceExtension, Srb);
  ScsiPortNotification(NextRequest, DeviceExtension, NULL);
}

static BOOLEAN SkelStartIo(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;
  PSKEL_SRB_EXTENSION srbExtension = Srb->SrbExtension;
  SCSI_PHYSICAL_ADDRESS statusAddress;
  ULONG length;
  ULONG i;

  switch (Srb->Function) {
  case SRB_FUNCTION_EXECUTE_SCSI:
    break;
  case SRB_FUNCTION_RESET_BUS:
    /* ScsiPortCompleteRequest in SkelResetBus completes this SRB too: only ask for more */
    SkelResetBus(HwDeviceExtension, Srb->PathId);
    ScsiPortNotification(NextRequest, HwDeviceExtension, NULL);
    return TRUE;
  case SRB_FUNCTION_ABORT_COMMAND:
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_ABORT_FAILED);
    return TRUE;
  default:
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_INVALID_REQUEST);
    return TRUE;
  }

  if (Srb->Lun != 0 || Srb->TargetId >= SCSI_MAXIMUM_TARGETS) {
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_SELECTION_TIMEOUT);
    return TRUE;
  }
  if (Srb->CdbLength > sizeof(Srb->Cdb)) {
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_INVALID_REQUEST);
    return TRUE;
  }

  deviceExtension->ActiveSrb = Srb;
  srbExtension->BytesRequested = Srb->DataTransferLength;

  for (i = 0; i < 4; i++) {
    ULONG word = 0;
    ULONG b;
    for (b = 0; b < 4; b++) {
      if (i * 4 + b < Srb->CdbLength) {
        word |= (ULONG)Srb->Cdb[i * 4 + b] << (8 * b);
      }
    }
    ScsiPortWriteRegisterUlong((PULONG)(deviceExtension->Registers + SKEL_REG_CDB) + i, word);
  }
  ScsiPortWriteRegisterUlong((PULONG)(deviceExtension->Registers + SKEL_REG_TARGET),
                             ((ULONG)Srb->TargetId << 8) | Srb->Lun);
  ScsiPortWriteRegisterUlong((PULONG)(deviceExtension->Registers + SKEL_REG_LENGTH),
                             Srb->DataTransferLength);

  /* the SRB extension may be reached by the HBA (NeedPhysicalAddresses is TRUE) */
  length = sizeof(srbExtension->StatusBlock);
  statusAddress =
      ScsiPortGetPhysicalAddress(HwDeviceExtension, NULL, srbExtension->StatusBlock, &length);
  if (statusAddress.QuadPart == 0 || length < sizeof(srbExtension->StatusBlock)) {
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_ERROR);
    return TRUE;
  }
  ScsiPortWriteRegisterUlong((PULONG)(deviceExtension->Registers + SKEL_REG_STATUS_ADDR),
                             ScsiPortConvertPhysicalAddressToUlong(statusAddress));

  if ((Srb->SrbFlags & SRB_FLAGS_UNSPECIFIED_DIRECTION) != SRB_FLAGS_NO_DATA_TRANSFER &&
      Srb->DataTransferLength != 0) {
    /* DataBuffer is only an address inside the request here (MapBuffers FALSE): it is
     * handed to the port driver, never dereferenced */
    deviceExtension->DmaPending = TRUE;
    ScsiPortIoMapTransfer(HwDeviceExtension, Srb, Srb->DataBuffer, Srb->DataTransferLength);
  } else {
    ScsiPortWritePortUchar(deviceExtension->IoBase + SKEL_PORT_STATUS, SKEL_CMD_START_DMA);
  }
  return TRUE;
}

/* ---- HwScsiDmaStarted -------------------------------------------------------------------- */

static VOID SkelDmaStarted(PVOID HwDeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;

  deviceExtension->DmaPending = FALSE;
  ScsiPortWritePortUchar(deviceExtension->IoBase + SKEL_PORT_STATUS, SKEL_CMD_START_DMA);
}

/* ---- HwScsiInterrupt --------------------------------------------------------------------- */

static BOOLEAN SkelInterrupt(PVOID HwDeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;
  PSCSI_REQUEST_BLOCK srb = deviceExtension->ActiveSrb;
  UCHAR status;
  ULONG result;
  ULONG residual;
  UCHAR scsiStatus;

  status = ScsiPortReadPortUchar(deviceExtension->IoBase + SKEL_PORT_STATUS);
  if ((status & SKEL_STATUS_IRQ) == 0) {
    return FALSE;                /* not ours */
  }
  if (status & SKEL_STATUS_BUS_RESET) {
    /* a reset someone else drove on the bus: the port driver handles the reset delay */
    ScsiPortNotification(ResetDetected, HwDeviceExtension);
    if (srb != NULL) {
      SkelCompleteSrb(deviceExtension, srb, SRB_STATUS_BUS_RESET);
    }
    return TRUE;
  }
  if (srb == NULL) {
    ScsiPortLogError(HwDeviceExtension, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, 2);
    return TRUE;
  }

  /* flush after every system-DMA transfer, before RequestComplete */
  if ((srb->SrbFlags & SRB_FLAGS_UNSPECIFIED_DIRECTION) != SRB_FLAGS_NO_DATA_TRANSFER) {
    ScsiPortFlushDma(HwDeviceExtension);
    deviceExtension->DmaPending = FALSE;
  }

  result = ScsiPortReadRegisterUlong((PULONG)(deviceExtension->Registers + SKEL_REG_RESULT));
  scsiStatus = (UCHAR)(result & 0xFF);
  residual = result >> 8;
  srb->ScsiStatus = scsiStatus;

  if (scsiStatus != SCSISTAT_GOOD) {
    /* CHECK CONDITION included: no auto request sense, the class driver asks for the sense */
    SkelCompleteSrb(deviceExtension, srb, SRB_STATUS_ERROR);
  } else if (residual != 0 && residual <= srb->DataTransferLength) {
    srb->DataTransferLength -= residual;   /* underrun: report what moved */
    SkelCompleteSrb(deviceExtension, srb, SRB_STATUS_DATA_OVERRUN);
  } else {
    SkelCompleteSrb(deviceExtension, srb, SRB_STATUS_SUCCESS);
  }
  return TRUE;
}

/* ---- HwScsiResetBus ---------------------------------------------------------------------- */

static BOOLEAN SkelResetBus(PVOID HwDeviceExtension, ULONG PathId) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;

  if (deviceExtension->DmaPending) {
    ScsiPortFlushDma(HwDeviceExtension);   /* cancels a map HwDmaStarted has not seen */
    deviceExtension->DmaPending = FALSE;
  }
  ScsiPortWritePortUchar(deviceExtension->IoBase + SKEL_PORT_STATUS, SKEL_CMD_RESET);
  ScsiPortStallExecution(25);
  deviceExtension->Resets++;
  deviceExtension->ActiveSrb = NULL;
  /* completes every active request; no RequestComplete for them afterwards */
  ScsiPortCompleteRequest(HwDeviceExtension, (UCHAR)PathId, SP_UNTAGGED, SP_UNTAGGED,
                          SRB_STATUS_BUS_RESET);
  return TRUE;
}

/* ---- HwScsiAdapterState, HwScsiAdapterControl, HwScsiTimer ------------------------------- */

static BOOLEAN SkelAdapterState(PVOID HwDeviceExtension, PVOID Context, BOOLEAN SaveState) {
  UNREFERENCED_PARAMETER(HwDeviceExtension);
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(SaveState);
  return TRUE;
}

static SCSI_ADAPTER_CONTROL_STATUS SkelAdapterControl(PVOID HwDeviceExtension,
                                                      SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                      PVOID Parameters) {
  PSCSI_SUPPORTED_CONTROL_TYPE_LIST list;
  ULONG i;

  switch (ControlType) {
  case ScsiQuerySupportedControlTypes:
    list = Parameters;
    for (i = 0; i < list->MaxControlType; i++) {
      list->SupportedTypeList[i] = (i == ScsiQuerySupportedControlTypes || i == ScsiStopAdapter ||
                                    i == ScsiRestartAdapter);
    }
    return ScsiAdapterControlSuccess;
  case ScsiStopAdapter:
    return ScsiAdapterControlSuccess;
  case ScsiRestartAdapter:
    return SkelInitialize(HwDeviceExtension) ? ScsiAdapterControlSuccess
                                             : ScsiAdapterControlUnsuccessful;
  default:
    return ScsiAdapterControlUnsuccessful;
  }
}

/* a once-a-second watchdog: the port driver's view of the active request must match ours */
static VOID SkelTimer(PVOID HwDeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = HwDeviceExtension;
  PSCSI_REQUEST_BLOCK active = deviceExtension->ActiveSrb;

  if (active != NULL &&
      ScsiPortGetSrb(HwDeviceExtension, active->PathId, active->TargetId, active->Lun,
                     SP_UNTAGGED) != active) {
    ScsiDebugPrint(1, "SkelTimer: port driver does not know SRB %p (target %u)\n",
                   (void *)active, (unsigned)active->TargetId);
  }
  if (ScsiPortGetLogicalUnit(HwDeviceExtension, 0, 0, 0) != NULL) {
    ScsiDebugPrint(3, "SkelTimer: LU 0:0:0 present\n");
  }
  ScsiPortNotification(RequestTimerCall, HwDeviceExtension, SkelTimer, 1000000);
}
