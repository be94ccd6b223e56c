/* Compile-only check of driver/include/storport.h: a minimal Storport miniport for a PCI
 * bus-master SCSI HBA with a scatter/gather descriptor table, written the way Microsoft's
 * documentation describes one (DriverEntry, HwStorFindAdapter, HwStorInitialize,
 * HwStorBuildIo, HwStorStartIo, HwStorInterrupt, HwStorResetBus, HwStorAdapterControl,
 * HwStorTimer, and an ExecutionRoutine for StorPortBuildScatterGatherList). It only has to
 * compile unchanged: `make check-ddk` runs it through the compiler with -fsyntax-only and it is
 * never linked (the StorPort* routines come later from driver/storport/). The HBA, its
 * registers and its descriptor format are invented for the skeleton and mean nothing to the
 * simulated hardware.
 *
 * Data path: HwStorBuildIo (no lock held) turns the port's STOR_SCATTER_GATHER_LIST into the
 * HBA's descriptors in the SRB extension; HwStorStartIo (synchronised with the interrupt, half
 * duplex) copies them into the descriptor table in the uncached extension and starts the HBA;
 * HwStorInterrupt completes the SRB. When the HBA reports that it stopped part-way through the
 * data phase, the rest of the buffer is re-driven from HwStorTimer (DISPATCH_LEVEL, where
 * StorPortBuildScatterGatherList may be called): a list for the remaining bytes is built from
 * the SRB's original MDL, the ExecutionRoutine restarts the HBA, and the list is released with
 * StorPortPutScatterGatherList before the SRB completes. */
#include "storport.h"
#include "scsi.h"

/* ---- the invented HBA --------------------------------------------------------------------- */

#define SKEL_MAX_SG 17                  /* descriptors per command: 64 KiB + one partial page */
#define SKEL_MAX_TRANSFER (64u * 1024u)
#define SKEL_REGISTER_BYTES 0x40

/* ULONG register indexes in the memory BAR */
#define SKEL_REG_CONTROL 0
#define SKEL_REG_STATUS 1               /* write 1s to clear */
#define SKEL_REG_TARGET 2               /* target << 8 | lun */
#define SKEL_REG_CDB 4                  /* 4 ULONGs: the CDB, byte 0 in the low byte */
#define SKEL_REG_TABLE_LOW 8            /* descriptor table, physical */
#define SKEL_REG_TABLE_HIGH 9
#define SKEL_REG_TABLE_COUNT 10
#define SKEL_REG_FLAGS 11
#define SKEL_REG_SCSI_STATUS 12
#define SKEL_REG_RESIDUAL 13            /* bytes of the command not moved */

#define SKEL_CONTROL_RESET 0x01
#define SKEL_CONTROL_START 0x02
#define SKEL_CONTROL_BUS_RESET 0x04
#define SKEL_CONTROL_IRQ_ENABLE 0x80

#define SKEL_STATUS_BUSY 0x01
#define SKEL_STATUS_STOPPED 0x02        /* data phase interrupted: re-drive the rest */
#define SKEL_STATUS_DONE 0x80

#define SKEL_FLAGS_DATA_IN 0x01
#define SKEL_FLAGS_DATA_OUT 0x02

#define SKEL_DESC_LAST 0x80000000u

typedef struct _SKEL_DESCRIPTOR {
  ULONG AddressLow;
  ULONG AddressHigh;
  ULONG Length;
  ULONG Flags;
} SKEL_DESCRIPTOR, *PSKEL_DESCRIPTOR;

/* the uncached extension: what the HBA reads by DMA */
typedef struct _SKEL_SHARED {
  SKEL_DESCRIPTOR Table[SKEL_MAX_SG];
} SKEL_SHARED, *PSKEL_SHARED;

typedef enum _SKEL_TIMER_WORK {
  SkelTimerIdle,
  SkelTimerResume,                      /* build a list for the rest of ResumeSrb */
  SkelTimerFinish                       /* put the built list, then complete ResumeSrb */
} SKEL_TIMER_WORK;

typedef struct _SKEL_DEVICE_EXTENSION {
  PULONG Registers;                     /* from StorPortGetDeviceBase */
  PSKEL_SHARED Shared;                  /* from StorPortGetUncachedExtension */
  STOR_PHYSICAL_ADDRESS SharedPhysical;
  PSCSI_REQUEST_BLOCK ActiveSrb;
  PSCSI_REQUEST_BLOCK ResumeSrb;
  SKEL_TIMER_WORK TimerWork;
  ULONG Resets;
} SKEL_DEVICE_EXTENSION, *PSKEL_DEVICE_EXTENSION;

/* room for a STOR_SCATTER_GATHER_LIST of SKEL_MAX_SG elements, pointer-aligned */
#define SKEL_SG_BUFFER_BYTES \
  (sizeof(STOR_SCATTER_GATHER_LIST) + SKEL_MAX_SG * sizeof(STOR_SCATTER_GATHER_ELEMENT))

typedef struct _SKEL_SRB_EXTENSION {
  PSKEL_DEVICE_EXTENSION DeviceExtension; /* for the ExecutionRoutine */
  ULONG DescriptorCount;
  ULONG BytesDone;                        /* moved before a re-drive */
  PSTOR_SCATTER_GATHER_LIST BuiltList;    /* from StorPortBuildScatterGatherList, or NULL */
  SKEL_DESCRIPTOR Descriptors[SKEL_MAX_SG];
  ULONG_PTR SgBuffer[(SKEL_SG_BUFFER_BYTES + sizeof(ULONG_PTR) - 1) / sizeof(ULONG_PTR)];
} SKEL_SRB_EXTENSION, *PSKEL_SRB_EXTENSION;

/* the documented routine types, as the documentation declares a miniport's routines */
ULONG DriverEntry(PVOID DriverObject, PVOID Argument2);
static HW_FIND_ADAPTER SkelFindAdapter;
static HW_INITIALIZE SkelInitialize;
static HW_BUILDIO SkelBuildIo;
static HW_STARTIO SkelStartIo;
static HW_INTERRUPT SkelInterrupt;
static HW_RESET_BUS SkelResetBus;
static HW_ADAPTER_CONTROL SkelAdapterControl;
static HW_TIMER SkelTimer;
static STOR_SYNCHRONIZED_ACCESS SkelRestart;
static VOID SkelResumeExecutionRoutine(PVOID *DeviceObject, PVOID *Irp,
                                       PSTOR_SCATTER_GATHER_LIST ScatterGather, PVOID Context);

static ULONG SkelRead(PSKEL_DEVICE_EXTENSION DeviceExtension, ULONG Index) {
  return StorPortReadRegisterUlong(DeviceExtension, &DeviceExtension->Registers[Index]);
}

static VOID SkelWrite(PSKEL_DEVICE_EXTENSION DeviceExtension, ULONG Index, ULONG Value) {
  StorPortWriteRegisterUlong(DeviceExtension, &DeviceExtension->Registers[Index], Value);
}

/* ---- DriverEntry -------------------------------------------------------------------------- */

ULONG DriverEntry(PVOID DriverObject, PVOID Argument2) {
  HW_INITIALIZATION_DATA hwInitializationData;
  ULONG i;

  for (i = 0; i < sizeof(HW_INITIALIZATION_DATA); i++) {
    ((PUCHAR)&hwInitializationData)[i] = 0;
  }

  hwInitializationData.HwInitializationDataSize = sizeof(HW_INITIALIZATION_DATA);
  hwInitializationData.AdapterInterfaceType = PCIBus;
  hwInitializationData.HwInitialize = SkelInitialize;
  hwInitializationData.HwStartIo = SkelStartIo;
  hwInitializationData.HwInterrupt = SkelInterrupt;
  hwInitializationData.HwFindAdapter = SkelFindAdapter;
  hwInitializationData.HwResetBus = SkelResetBus;
  hwInitializationData.HwDmaStarted = NULL;            /* Storport: no system DMA */
  hwInitializationData.HwAdapterState = NULL;
  hwInitializationData.HwAdapterControl = SkelAdapterControl;
  hwInitializationData.HwBuildIo = SkelBuildIo;
  hwInitializationData.DeviceExtensionSize = sizeof(SKEL_DEVICE_EXTENSION);
  hwInitializationData.SpecificLuExtensionSize = 0;
  hwInitializationData.SrbExtensionSize = sizeof(SKEL_SRB_EXTENSION);
  hwInitializationData.NumberOfAccessRanges = 1;
  hwInitializationData.MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
  hwInitializationData.NeedPhysicalAddresses = TRUE;
  hwInitializationData.TaggedQueuing = FALSE;
  hwInitializationData.AutoRequestSense = FALSE;
  hwInitializationData.MultipleRequestPerLu = FALSE;
  hwInitializationData.ReceiveEvent = FALSE;
  hwInitializationData.SrbTypeFlags = SRB_TYPE_FLAG_SCSI_REQUEST_BLOCK;

  return StorPortInitialize(DriverObject, Argument2, &hwInitializationData, NULL);
}

/* ---- HwStorFindAdapter -------------------------------------------------------------------- */

static ULONG SkelFindAdapter(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation,
                             PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                             PBOOLEAN Reserved3) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;
  PACCESS_RANGE registerRange;
  ULONG length;

  UNREFERENCED_PARAMETER(HwContext);       /* NULL under Storport */
  UNREFERENCED_PARAMETER(BusInformation);  /* NULL under Storport */
  UNREFERENCED_PARAMETER(ArgumentString);
  UNREFERENCED_PARAMETER(Reserved3);

  /* Storport hands over the PnP resources: map the register BAR it found. */
  if (ConfigInfo->NumberOfAccessRanges < 1) {
    return SP_RETURN_NOT_FOUND;
  }
  registerRange = &(*ConfigInfo->AccessRanges)[0];
  if (!registerRange->RangeInMemory || registerRange->RangeLength < SKEL_REGISTER_BYTES) {
    return SP_RETURN_BAD_CONFIG;
  }
  deviceExtension->Registers = StorPortGetDeviceBase(
      DeviceExtension, ConfigInfo->AdapterInterfaceType, ConfigInfo->SystemIoBusNumber,
      registerRange->RangeStart, registerRange->RangeLength, FALSE);
  if (deviceExtension->Registers == NULL) {
    StorPortLogError(DeviceExtension, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, 1);
    return SP_RETURN_ERROR;
  }

  /* a 32-bit bus master with a descriptor table of SKEL_MAX_SG entries */
  ConfigInfo->MaximumTransferLength = SKEL_MAX_TRANSFER;
  ConfigInfo->NumberOfPhysicalBreaks = SKEL_MAX_SG - 1;
  ConfigInfo->ScatterGather = TRUE;
  ConfigInfo->Master = TRUE;
  ConfigInfo->Dma32BitAddresses = TRUE;
  ConfigInfo->Dma64BitAddresses = 0;
  ConfigInfo->AlignmentMask = 3;
  ConfigInfo->CachesData = FALSE;
  ConfigInfo->NumberOfBuses = 1;
  ConfigInfo->InitiatorBusId[0] = 7;
  ConfigInfo->MaximumNumberOfTargets = SCSI_MAXIMUM_TARGETS;
  ConfigInfo->MaximumNumberOfLogicalUnits = SCSI_MAXIMUM_LOGICAL_UNITS;
  ConfigInfo->MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
  ConfigInfo->NeedPhysicalAddresses = TRUE;
  ConfigInfo->SynchronizationModel = StorSynchronizeHalfDuplex;

  /* the descriptor table: allocated here, after the DMA members above are final */
  deviceExtension->Shared = StorPortGetUncachedExtension(DeviceExtension, ConfigInfo,
                                                         sizeof(SKEL_SHARED));
  if (deviceExtension->Shared == NULL) {
    StorPortLogError(DeviceExtension, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, 2);
    return SP_RETURN_ERROR;
  }
  length = sizeof(SKEL_SHARED);
  deviceExtension->SharedPhysical =
      StorPortGetPhysicalAddress(DeviceExtension, NULL, deviceExtension->Shared, &length);
  if (length < sizeof(SKEL_SHARED) || deviceExtension->SharedPhysical.HighPart != 0) {
    StorPortLogError(DeviceExtension, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, 3);
    return SP_RETURN_ERROR;
  }

  deviceExtension->ActiveSrb = NULL;
  deviceExtension->ResumeSrb = NULL;
  deviceExtension->TimerWork = SkelTimerIdle;
  deviceExtension->Resets = 0;
  return SP_RETURN_FOUND;
}

/* ---- HwStorInitialize --------------------------------------------------------------------- */

static BOOLEAN SkelInitialize(PVOID DeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;
  ULONG spins;

  SkelWrite(deviceExtension, SKEL_REG_CONTROL, SKEL_CONTROL_RESET);
  for (spins = 0; spins < 1000; spins++) {
    if ((SkelRead(deviceExtension, SKEL_REG_STATUS) & SKEL_STATUS_BUSY) == 0) {
      SkelWrite(deviceExtension, SKEL_REG_TABLE_LOW, deviceExtension->SharedPhysical.LowPart);
      SkelWrite(deviceExtension, SKEL_REG_TABLE_HIGH,
                (ULONG)deviceExtension->SharedPhysical.HighPart);
      SkelWrite(deviceExtension, SKEL_REG_CONTROL, SKEL_CONTROL_IRQ_ENABLE);
      return TRUE;
    }
    StorPortStallExecution(10);
  }
  StorPortLogError(DeviceExtension, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, 4);
  return FALSE;
}

/* ---- completion --------------------------------------------------------------------------- */

static VOID SkelCompleteSrb(PSKEL_DEVICE_EXTENSION DeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                            UCHAR SrbStatus) {
  Srb->SrbStatus = SrbStatus;
  StorPortNotification(RequestComplete, DeviceExtension, Srb);
  /* the port owns Srb from here on */
  StorPortNotification(NextRequest, DeviceExtension);
}

/* the port's list (or a built one) as the HBA's descriptors */
static BOOLEAN SkelTranslateList(PSKEL_SRB_EXTENSION SrbExtension,
                                 PSTOR_SCATTER_GATHER_LIST List) {
  ULONG i;

  if (List == NULL || List->NumberOfElements == 0 || List->NumberOfElements > SKEL_MAX_SG) {
    return FALSE;
  }
  for (i = 0; i < List->NumberOfElements; i++) {
    PSKEL_DESCRIPTOR descriptor = &SrbExtension->Descriptors[i];
    if (List->List[i].PhysicalAddress.HighPart != 0) {
      return FALSE;                       /* Dma32BitAddresses: the port never does this */
    }
    descriptor->AddressLow = List->List[i].PhysicalAddress.LowPart;
    descriptor->AddressHigh = 0;
    descriptor->Length = List->List[i].Length;
    descriptor->Flags = (i + 1 == List->NumberOfElements) ? SKEL_DESC_LAST : 0;
  }
  SrbExtension->DescriptorCount = List->NumberOfElements;
  return TRUE;
}

/* ---- HwStorBuildIo ------------------------------------------------------------------------ */

static BOOLEAN SkelBuildIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;
  PSKEL_SRB_EXTENSION srbExtension = Srb->SrbExtension;

  switch (Srb->Function) {
    case SRB_FUNCTION_EXECUTE_SCSI:
      break;
    case SRB_FUNCTION_RESET_BUS:
      return TRUE;                        /* done in HwStorStartIo */
    case SRB_FUNCTION_FLUSH:
    case SRB_FUNCTION_SHUTDOWN:
      SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_SUCCESS);  /* nothing cached */
      return FALSE;
    default:
      SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_INVALID_REQUEST);
      return FALSE;
  }

  srbExtension->DeviceExtension = deviceExtension;
  srbExtension->DescriptorCount = 0;
  srbExtension->BytesDone = 0;
  srbExtension->BuiltList = NULL;

  if ((Srb->SrbFlags & (SRB_FLAGS_DATA_IN | SRB_FLAGS_DATA_OUT)) != 0 &&
      Srb->DataTransferLength != 0) {
    /* valid until the SRB completes; the miniport neither changes nor frees it. DataBuffer
     * itself is only mapped for non-read/write commands (STOR_MAP_NON_READ_WRITE_BUFFERS),
     * and this path never dereferences it. */
    if (!SkelTranslateList(srbExtension, StorPortGetScatterGatherList(DeviceExtension, Srb))) {
      SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_ERROR);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- bus reset ---------------------------------------------------------------------------- */

/* Pulse the SCSI bus reset and end the command the HBA was running. */
static VOID SkelResetHardware(PSKEL_DEVICE_EXTENSION DeviceExtension) {
  PSCSI_REQUEST_BLOCK srb = DeviceExtension->ActiveSrb;

  SkelWrite(DeviceExtension, SKEL_REG_CONTROL, SKEL_CONTROL_BUS_RESET);
  StorPortStallExecution(25);             /* reset hold time */
  SkelWrite(DeviceExtension, SKEL_REG_CONTROL, SKEL_CONTROL_IRQ_ENABLE);
  DeviceExtension->Resets++;
  DeviceExtension->ActiveSrb = NULL;
  if (srb == NULL) {
    return;
  }
  if (((PSKEL_SRB_EXTENSION)srb->SrbExtension)->BuiltList != NULL) {
    /* a re-driven command: its list is put back at DISPATCH_LEVEL before it completes */
    srb->SrbStatus = SRB_STATUS_BUS_RESET;
    DeviceExtension->ResumeSrb = srb;
    DeviceExtension->TimerWork = SkelTimerFinish;
    StorPortNotification(RequestTimerCall, DeviceExtension, SkelTimer, 1);
    return;
  }
  SkelCompleteSrb(DeviceExtension, srb, SRB_STATUS_BUS_RESET);
}

/* ---- HwStorStartIo ------------------------------------------------------------------------ */

/* program and start the HBA; caller is synchronised with HwStorInterrupt */
static VOID SkelStartCommand(PSKEL_DEVICE_EXTENSION DeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PSKEL_SRB_EXTENSION srbExtension = Srb->SrbExtension;
  ULONG i;
  ULONG flags = 0;

  for (i = 0; i < srbExtension->DescriptorCount; i++) {
    DeviceExtension->Shared->Table[i] = srbExtension->Descriptors[i];
  }
  for (i = 0; i < 4; i++) {
    ULONG word = 0;
    ULONG b;
    for (b = 0; b < 4; b++) {
      word |= (ULONG)Srb->Cdb[i * 4 + b] << (8 * b);
    }
    SkelWrite(DeviceExtension, SKEL_REG_CDB + i, word);
  }
  if (Srb->SrbFlags & SRB_FLAGS_DATA_IN) {
    flags |= SKEL_FLAGS_DATA_IN;
  }
  if (Srb->SrbFlags & SRB_FLAGS_DATA_OUT) {
    flags |= SKEL_FLAGS_DATA_OUT;
  }
  SkelWrite(DeviceExtension, SKEL_REG_TARGET, ((ULONG)Srb->TargetId << 8) | Srb->Lun);
  SkelWrite(DeviceExtension, SKEL_REG_FLAGS, flags);
  SkelWrite(DeviceExtension, SKEL_REG_TABLE_COUNT, srbExtension->DescriptorCount);
  DeviceExtension->ActiveSrb = Srb;
  SkelWrite(DeviceExtension, SKEL_REG_CONTROL, SKEL_CONTROL_START | SKEL_CONTROL_IRQ_ENABLE);
}

static BOOLEAN SkelStartIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;

  if (Srb->Function == SRB_FUNCTION_RESET_BUS) {
    SkelResetHardware(deviceExtension);
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_SUCCESS);
    return TRUE;
  }
  if (deviceExtension->ActiveSrb != NULL || deviceExtension->ResumeSrb != NULL) {
    SkelCompleteSrb(deviceExtension, Srb, SRB_STATUS_BUSY);  /* one command at a time */
    return TRUE;
  }
  SkelStartCommand(deviceExtension, Srb);
  return TRUE;
}

/* ---- HwStorInterrupt ---------------------------------------------------------------------- */

static BOOLEAN SkelInterrupt(PVOID DeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;
  PSCSI_REQUEST_BLOCK srb;
  PSKEL_SRB_EXTENSION srbExtension;
  ULONG status;
  ULONG residual;
  UCHAR srbStatus;

  status = SkelRead(deviceExtension, SKEL_REG_STATUS);
  if ((status & SKEL_STATUS_DONE) == 0) {
    return FALSE;                         /* not ours (shared line) */
  }
  SkelWrite(deviceExtension, SKEL_REG_STATUS, status);
  srb = deviceExtension->ActiveSrb;
  if (srb == NULL) {
    return TRUE;
  }
  deviceExtension->ActiveSrb = NULL;
  srbExtension = srb->SrbExtension;
  residual = SkelRead(deviceExtension, SKEL_REG_RESIDUAL);

  if ((status & SKEL_STATUS_STOPPED) != 0 && srbExtension->BuiltList == NULL &&
      residual != 0 && residual < srb->DataTransferLength) {
    /* StorPortBuildScatterGatherList needs IRQL <= DISPATCH_LEVEL: re-drive from the timer */
    srbExtension->BytesDone = srb->DataTransferLength - residual;
    deviceExtension->ResumeSrb = srb;
    deviceExtension->TimerWork = SkelTimerResume;
    StorPortNotification(RequestTimerCall, DeviceExtension, SkelTimer, 1);
    return TRUE;
  }

  srb->ScsiStatus = (UCHAR)SkelRead(deviceExtension, SKEL_REG_SCSI_STATUS);
  if (srb->ScsiStatus != SCSISTAT_GOOD) {
    srbStatus = SRB_STATUS_ERROR;
  } else if (residual != 0 && residual <= srb->DataTransferLength - srbExtension->BytesDone) {
    srb->DataTransferLength -= residual;  /* underrun: report what moved */
    srbStatus = SRB_STATUS_DATA_OVERRUN;
  } else if (residual != 0) {
    srbStatus = SRB_STATUS_ERROR;
  } else {
    srbStatus = SRB_STATUS_SUCCESS;
  }

  if (srbExtension->BuiltList != NULL) {
    /* StorPortPutScatterGatherList, like the build, needs IRQL <= DISPATCH_LEVEL */
    srb->SrbStatus = srbStatus;
    deviceExtension->ResumeSrb = srb;
    deviceExtension->TimerWork = SkelTimerFinish;
    StorPortNotification(RequestTimerCall, DeviceExtension, SkelTimer, 1);
    return TRUE;
  }
  SkelCompleteSrb(deviceExtension, srb, srbStatus);
  return TRUE;
}

/* ---- re-driving the rest of a transfer ---------------------------------------------------- */

static BOOLEAN SkelRestart(PVOID HwDeviceExtension, PVOID Context) {
  SkelStartCommand(HwDeviceExtension, Context);
  return TRUE;
}

/* Runs at DISPATCH_LEVEL once the list is built -- possibly after
 * StorPortBuildScatterGatherList returned, so nothing after that call relies on it. */
static VOID SkelResumeExecutionRoutine(PVOID *DeviceObject, PVOID *Irp,
                                       PSTOR_SCATTER_GATHER_LIST ScatterGather, PVOID Context) {
  PSCSI_REQUEST_BLOCK srb = Context;
  PSKEL_SRB_EXTENSION srbExtension = srb->SrbExtension;
  PSKEL_DEVICE_EXTENSION deviceExtension = srbExtension->DeviceExtension;

  UNREFERENCED_PARAMETER(DeviceObject);   /* "Miniport drivers should ignore this parameter" */
  UNREFERENCED_PARAMETER(Irp);

  srbExtension->BuiltList = ScatterGather;
  if (!SkelTranslateList(srbExtension, ScatterGather)) {
    srb->SrbStatus = SRB_STATUS_ERROR;
    deviceExtension->TimerWork = SkelTimerFinish;
    StorPortNotification(RequestTimerCall, deviceExtension, SkelTimer, 1);
    return;
  }
  deviceExtension->ResumeSrb = NULL;
  StorPortSynchronizeAccess(deviceExtension, SkelRestart, srb);
}

/* ---- HwStorTimer -------------------------------------------------------------------------- */

static VOID SkelTimer(PVOID DeviceExtension) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;
  PSCSI_REQUEST_BLOCK srb = deviceExtension->ResumeSrb;
  PSKEL_SRB_EXTENSION srbExtension;
  BOOLEAN writeToDevice;
  PVOID mdl = NULL;
  ULONG status;

  if (srb == NULL) {
    return;
  }
  srbExtension = srb->SrbExtension;
  writeToDevice = (BOOLEAN)((srb->SrbFlags & SRB_FLAGS_DATA_OUT) != 0);

  switch (deviceExtension->TimerWork) {
    case SkelTimerResume:
      status = StorPortGetOriginalMdl(DeviceExtension, srb, &mdl);
      if (status == STOR_STATUS_SUCCESS) {
        /* CurrentVa only locates the bytes inside the MDL; it is never dereferenced */
        status = StorPortBuildScatterGatherList(
            DeviceExtension, mdl, (PUCHAR)srb->DataBuffer + srbExtension->BytesDone,
            srb->DataTransferLength - srbExtension->BytesDone, SkelResumeExecutionRoutine, srb,
            writeToDevice, srbExtension->SgBuffer, sizeof(srbExtension->SgBuffer));
      }
      if (status != STOR_STATUS_SUCCESS) {
        StorPortLogError(DeviceExtension, srb, srb->PathId, srb->TargetId, srb->Lun,
                         SP_INTERNAL_ADAPTER_ERROR, status);
        deviceExtension->ResumeSrb = NULL;
        deviceExtension->TimerWork = SkelTimerIdle;
        SkelCompleteSrb(deviceExtension, srb, SRB_STATUS_ERROR);
      }
      /* on success the ExecutionRoutine takes over, now or later */
      break;
    case SkelTimerFinish:
      if (srbExtension->BuiltList != NULL) {
        StorPortPutScatterGatherList(DeviceExtension, srbExtension->BuiltList, writeToDevice);
        srbExtension->BuiltList = NULL;
      }
      deviceExtension->ResumeSrb = NULL;
      deviceExtension->TimerWork = SkelTimerIdle;
      SkelCompleteSrb(deviceExtension, srb, srb->SrbStatus);
      break;
    case SkelTimerIdle:
    default:
      break;
  }
}

/* ---- HwStorResetBus ----------------------------------------------------------------------- */

static BOOLEAN SkelResetBus(PVOID DeviceExtension, ULONG PathId) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;

  SkelResetHardware(deviceExtension);
  if (deviceExtension->ResumeSrb == NULL) {
    /* anything else still outstanding on the bus, all targets and LUNs (a request waiting
     * for its re-drive is completed by HwStorTimer, so it must not be completed here too) */
    StorPortCompleteRequest(DeviceExtension, (UCHAR)PathId, SP_UNTAGGED, SP_UNTAGGED,
                            SRB_STATUS_BUS_RESET);
  }
  StorPortNotification(ResetDetected, DeviceExtension);
  return TRUE;
}

/* ---- HwStorAdapterControl ----------------------------------------------------------------- */

static SCSI_ADAPTER_CONTROL_STATUS SkelAdapterControl(PVOID DeviceExtension,
                                                      SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                      PVOID Parameters) {
  PSKEL_DEVICE_EXTENSION deviceExtension = DeviceExtension;

  switch (ControlType) {
    case ScsiQuerySupportedControlTypes: {
      PSCSI_SUPPORTED_CONTROL_TYPE_LIST list = Parameters;
      ULONG type;
      for (type = 0; type < list->MaxControlType; type++) {
        list->SupportedTypeList[type] = (type == ScsiQuerySupportedControlTypes ||
                                         type == ScsiStopAdapter || type == ScsiRestartAdapter);
      }
      return ScsiAdapterControlSuccess;
    }
    case ScsiStopAdapter:
      SkelWrite(deviceExtension, SKEL_REG_CONTROL, 0);  /* interrupts off, HBA idle */
      return ScsiAdapterControlSuccess;
    case ScsiRestartAdapter:
      return SkelInitialize(DeviceExtension) ? ScsiAdapterControlSuccess
                                             : ScsiAdapterControlUnsuccessful;
    default:
      return ScsiAdapterControlUnsuccessful;
  }
}
