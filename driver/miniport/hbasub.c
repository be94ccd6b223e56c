/* hbasub: SCSI Port miniport for the hbasim HBA as a subordinate (system DMA) device.
 *
 * The HBA (docs/hba/programmers_guide.md) runs one command at a time and raises one interrupt
 * when it has ended. In subordinate mode its data cross sysdma: the port driver programs the
 * 8237 through the HAL when the miniport calls ScsiPortIoMapTransfer, then calls
 * HwScsiDmaStarted, and only there is the HBA told to START (the guide, section 3.1: the channel
 * is programmed before START). The HBA may interrupt between the two (a bus reset, or a cause
 * left by the previous command); HwScsiInterrupt handles the slot in every state.
 *
 * Every register access goes through ScsiPortRead/WriteRegisterUlong on the base the port
 * mapped: the base is not a dereferenceable address. docs/miniport.md is the design document
 * (state machine, SRB_STATUS table, the choices the documentation leaves open). */
#include "hbasub.h"

#include "hba_common.h"
#include "hba_regs.h"
#include "miniport.h"
#include "scsi.h"
#include "srb.h"

/* ---- constants ----------------------------------------------------------------------------- */

#define HBASUB_ID_VALUE HBA_ID_RESET   /* "HBA1" */
#define HBASUB_VERSION_MAJOR \
  ((HBA_VERSION_RESET & HBA_VERSION_MAJOR_MASK) >> HBA_VERSION_MAJOR_SHIFT)
#define HBASUB_REGISTER_SPAN (HBA_RESET_WIDTH + 4u)   /* bytes of register space used */

#define HBASUB_INITIATOR_ID 7u
#define HBASUB_MAX_TARGETS 8u
#define HBASUB_MAX_LUNS 8u
#define HBASUB_MAX_CDB 16u

/* INT_STATUS groups (programmers_guide.md section 4) */
#define HBASUB_ALL_CAUSES HBA_INT_ENABLE_MASK_MASK
#define HBASUB_ENDINGS                                                                    \
  (HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SEL_TIMEOUT_MASK |                       \
   HBA_INT_STATUS_BUS_RESET_MASK | HBA_INT_STATUS_WATCHDOG_MASK | HBA_INT_STATUS_ABORTED_MASK | \
   HBA_INT_STATUS_UNEXP_FREE_MASK)

/* STATUS.SEQ_STATE values of a bus reset (programmers_guide.md section 9) */
#define HBASUB_SEQ_RESET_ISSUE 18u
#define HBASUB_SEQ_RESET_WAIT 19u

/* ScsiPortLogError UniqueId values: where in the miniport the error was seen */
#define HBASUB_LOG_PARITY 0x4801u
#define HBASUB_LOG_UNEXP_FREE 0x4802u
#define HBASUB_LOG_WATCHDOG 0x4803u
#define HBASUB_LOG_MOVER 0x4804u
#define HBASUB_LOG_REJECTED 0x4805u
#define HBASUB_LOG_RESET_TIMEOUT 0x4806u
#define HBASUB_LOG_NO_STATUS 0x4807u

/* ---- the documented routines -------------------------------------------------------------- */

static ULONG HbaSubFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PVOID BusInformation,
                               PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                               PBOOLEAN Again);
static BOOLEAN HbaSubInitialize(PVOID HwDeviceExtension);
static BOOLEAN HbaSubStartIo(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb);
static BOOLEAN HbaSubInterrupt(PVOID HwDeviceExtension);
static VOID HbaSubDmaStarted(PVOID HwDeviceExtension);
static BOOLEAN HbaSubResetBus(PVOID HwDeviceExtension, ULONG PathId);
static BOOLEAN HbaSubAdapterState(PVOID HwDeviceExtension, PVOID Context, BOOLEAN SaveState);

/* ---- register access ---------------------------------------------------------------------- */

static ULONG HbaRead(PHBASUB_DEVICE_EXTENSION Ext, ULONG Offset) {
  return ScsiPortReadRegisterUlong((PULONG)(Ext->Registers + Offset));
}

static VOID HbaWrite(PHBASUB_DEVICE_EXTENSION Ext, ULONG Offset, ULONG Value) {
  ScsiPortWriteRegisterUlong((PULONG)(Ext->Registers + Offset), Value);
}

/* the same for hba_common's register sequences */
static ULONG HbaIoRead(PVOID Ext, ULONG Offset) { return HbaRead(Ext, Offset); }
static VOID HbaIoWrite(PVOID Ext, ULONG Offset, ULONG Value) { HbaWrite(Ext, Offset, Value); }
static const HBA_IO_OPS HbaSubIo = {HbaIoRead, HbaIoWrite, ScsiPortStallExecution};

/* ---- DriverEntry ------------------------------------------------------------------------- */

ULONG HbaSubDriverEntry(PVOID DriverObject, PVOID RegistryPath) {
  HW_INITIALIZATION_DATA init;
  ULONG i;

  /* "must initialize with zeros and, then, fill in" */
  for (i = 0; i < sizeof init; i++) {
    ((PUCHAR)&init)[i] = 0;
  }
  init.HwInitializationDataSize = sizeof(HW_INITIALIZATION_DATA);
  init.AdapterInterfaceType = Isa;
  init.HwInitialize = HbaSubInitialize;
  init.HwStartIo = HbaSubStartIo;
  init.HwInterrupt = HbaSubInterrupt;
  init.HwFindAdapter = HbaSubFindAdapter;
  init.HwResetBus = HbaSubResetBus;
  init.HwDmaStarted = HbaSubDmaStarted;
  init.HwAdapterState = HbaSubAdapterState;
  init.DeviceExtensionSize = sizeof(HBASUB_DEVICE_EXTENSION);
  init.SpecificLuExtensionSize = 0;
  init.SrbExtensionSize = 0;           /* one command at a time: its state is in the device
                                          extension */
  init.NumberOfAccessRanges = 1;
  /* The miniport never reads or writes a data buffer (no PIO path, no INQUIRY snooping), so it
   * asks for no mapping: any touch of DataBuffer is then a fault the verifier reports. */
  init.MapBuffers = FALSE;
  init.NeedPhysicalAddresses = FALSE;
  init.TaggedQueuing = FALSE;
  /* The HBA has no data path but its movers, and a subordinate mover can only reach memory
   * through ScsiPortIoMapTransfer, whose range must lie inside the SRB's DataBuffer. The sense
   * buffer is not inside it (and a TEST UNIT READY has no data buffer at all), so the miniport
   * cannot fetch sense data itself: it reports CHECK CONDITION and the port driver issues the
   * REQUEST SENSE (docs/miniport.md, "Autosense"). */
  init.AutoRequestSense = FALSE;
  init.MultipleRequestPerLu = FALSE;
  init.ReceiveEvent = FALSE;

  return ScsiPortInitialize(DriverObject, RegistryPath, &init, NULL);
}

/* ---- ArgumentString ----------------------------------------------------------------------- */

/* The keywords (hbasub.h) are parsed by hba_common, shared with hbabm. */
static VOID HbaSubParseArguments(PHBASUB_DEVICE_EXTENSION Ext, PCHAR ArgumentString) {
  HBA_ARGUMENTS args;

  HbaCommonParseArguments(ArgumentString, &args);
  Ext->Args = args;
  if (args.Ignored != 0) {
    ScsiDebugPrint(1, "hbasub: ignored %u ArgumentString keyword(s) in \"%s\"\n",
                   (unsigned)args.Ignored, ArgumentString);
  }
}

/* ---- HwScsiFindAdapter --------------------------------------------------------------------- */

static ULONG HbaSubFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PVOID BusInformation,
                               PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                               PBOOLEAN Again) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;
  PACCESS_RANGE range;
  ULONG id;
  ULONG version;
  ULONG channel;

  UNREFERENCED_PARAMETER(HwContext);
  UNREFERENCED_PARAMETER(BusInformation);

  *Again = FALSE;   /* one HBA per call: the system description lists each adapter */

  /* the port fills the resources from the system description; without them there is nothing
   * to probe */
  if (ConfigInfo->NumberOfAccessRanges < 1 || ConfigInfo->AccessRanges == NULL) {
    return SP_RETURN_BAD_CONFIG;
  }
  range = &(*ConfigInfo->AccessRanges)[0];
  if (range->RangeStart.QuadPart == 0 || range->RangeLength < HBASUB_REGISTER_SPAN) {
    return SP_RETURN_BAD_CONFIG;
  }
  channel = ConfigInfo->DmaChannel;
  if (channel == SP_UNINITIALIZED_VALUE || channel == 4 || channel > 7) {
    return SP_RETURN_BAD_CONFIG;   /* 4 is the cascade; a subordinate HBA needs a channel */
  }

  ext->Registers = ScsiPortGetDeviceBase(HwDeviceExtension, ConfigInfo->AdapterInterfaceType,
                                         ConfigInfo->SystemIoBusNumber, range->RangeStart,
                                         range->RangeLength, FALSE);
  if (ext->Registers == NULL) {
    return SP_RETURN_ERROR;
  }
  ext->RegisterLength = range->RangeLength;

  id = HbaRead(ext, HBA_ID);
  version = HbaRead(ext, HBA_VERSION);
  if (id != HBASUB_ID_VALUE ||
      ((version & HBA_VERSION_MAJOR_MASK) >> HBA_VERSION_MAJOR_SHIFT) != HBASUB_VERSION_MAJOR) {
    ScsiPortFreeDeviceBase(HwDeviceExtension, ext->Registers);
    ext->Registers = NULL;
    return SP_RETURN_NOT_FOUND;
  }

  /* quiet until HwScsiInitialize: no interrupt before the port is ready for one */
  HbaWrite(ext, HBA_INT_ENABLE, 0);
  HbaWrite(ext, HBA_INT_STATUS, HBASUB_ALL_CAUSES);

  ext->DmaChannel = channel;
  ext->WordChannel = channel >= 5;
  ext->InitiatorId = HBASUB_INITIATOR_ID;
  ext->MaximumTransfer =
      ext->WordChannel ? HBASUB_MAX_TRANSFER_WORD_CHANNEL : HBASUB_MAX_TRANSFER_BYTE_CHANNEL;
  HbaSubParseArguments(ext, ArgumentString);

  range->RangeInMemory = TRUE;   /* memory-mapped registers */
  ConfigInfo->InterruptMode = LevelSensitive;   /* irq_o is a level until INT_STATUS is cleared */
  ConfigInfo->Master = FALSE;
  ConfigInfo->ScatterGather = FALSE;
  ConfigInfo->DmaWidth = ext->WordChannel ? Width16Bits : Width8Bits;
  ConfigInfo->DmaSpeed = Compatible;
  ConfigInfo->DemandMode = TRUE;   /* the HBA paces the 8237 by DREQ; block mode would not */
  ConfigInfo->Dma32BitAddresses = FALSE;   /* sysdma has 24 address lines */
  ConfigInfo->Dma64BitAddresses = 0;
  /* One ScsiPortIoMapTransfer per command (the mover ends at TC, it cannot be continued with a
   * second mapping), so one 8237 programming's worth; map registers make the buffer contiguous
   * for the 8237, so its pages may be anywhere: a transfer of MaximumTransferLength at any byte
   * offset spans MaximumTransferLength / PAGE_SIZE + 1 pages. */
  ConfigInfo->MaximumTransferLength = ext->MaximumTransfer;
  ConfigInfo->NumberOfPhysicalBreaks = ext->MaximumTransfer / PAGE_SIZE;
  /* word channels move words at even addresses (the HAL refuses odd ones) */
  ConfigInfo->AlignmentMask = ext->WordChannel ? 1 : 0;
  ConfigInfo->NumberOfBuses = 1;
  ConfigInfo->InitiatorBusId[0] = (UCHAR)ext->InitiatorId;
  ConfigInfo->MaximumNumberOfTargets = HBASUB_MAX_TARGETS;
  ConfigInfo->MaximumNumberOfLogicalUnits = HBASUB_MAX_LUNS;
  ConfigInfo->CachesData = FALSE;
  ConfigInfo->MapBuffers = FALSE;
  ConfigInfo->NeedPhysicalAddresses = FALSE;
  ConfigInfo->TaggedQueuing = FALSE;
  ConfigInfo->AutoRequestSense = FALSE;
  ConfigInfo->MultipleRequestPerLu = FALSE;
  ConfigInfo->ResetTargetSupported = TRUE;   /* SRB_FUNCTION_RESET_DEVICE: COMMAND.BDR */

  ext->State = HbaSubIdle;
  ext->ActiveSrb = NULL;
  ext->MessageSrb = NULL;
  ext->DmaMapped = FALSE;
  ext->StartRefused = FALSE;
  return SP_RETURN_FOUND;
}

/* ---- bus reset ----------------------------------------------------------------------------- */

/* hba_common's bus reset (bounded poll; the causes are left set for the caller) */
static BOOLEAN HbaSubBusResetSync(PHBASUB_DEVICE_EXTENSION Ext) {
  return HbaCommonBusResetSync(&HbaSubIo, Ext, &Ext->BusResetsIssued);
}

/* ---- HwScsiInitialize ---------------------------------------------------------------------- */

static BOOLEAN HbaSubInitialize(PVOID HwDeviceExtension) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;

  if (ext->Registers == NULL) {
    return FALSE;
  }
  /* the reset value of CTRL with our initiator ID: enabled, parity checked, disconnect
   * privilege granted, DREQ active high / DACK active low as the reset 8237 uses them,
   * subordinate mover */
  ext->CtrlBase = HBA_CTRL_ENABLE_MASK | HBA_CTRL_PARITY_CHECK_MASK | HBA_CTRL_DISC_PRIV_MASK |
                  ((ULONG)ext->InitiatorId << HBA_CTRL_INIT_ID_SHIFT) |
                  (HBA_CTRL_MOVER_SUBORDINATE << HBA_CTRL_MOVER_SHIFT);
  if (!HbaCommonProgram(&HbaSubIo, ext, ext->CtrlBase, &ext->Args, HBASUB_ALL_CAUSES,
                        &ext->BusResetsIssued)) {
    ScsiPortLogError(ext, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, HBASUB_LOG_RESET_TIMEOUT);
    return FALSE;
  }

  ext->State = HbaSubIdle;
  ext->ActiveSrb = NULL;
  ext->MessageSrb = NULL;
  ext->DmaMapped = FALSE;
  ext->StartRefused = FALSE;
  ext->RequestedLength = 0;
  ext->SrbLength = 0;
  return TRUE;
}

/* ---- completion helpers -------------------------------------------------------------------- */

/* Completes an SRB that does not own the slot (refused, or an ABORT/RESET_DEVICE riding). */
static VOID HbaSubCompleteSrb(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb,
                              UCHAR SrbStatus) {
  Srb->SrbStatus = SrbStatus;
  ScsiPortNotification(RequestComplete, Ext, Srb);
}

/* Completes the slot's SRB: ScsiPortFlushDma first when it was mapped (which cancels a mapping
 * HwScsiDmaStarted has not seen yet), then RequestComplete; the slot is free afterwards. The
 * caller asks for the next request. */
static VOID HbaSubCompleteActive(PHBASUB_DEVICE_EXTENSION Ext, UCHAR SrbStatus) {
  PSCSI_REQUEST_BLOCK srb = Ext->ActiveSrb;

  if (Ext->DmaMapped) {
    ScsiPortFlushDma(Ext);
    Ext->DmaMapped = FALSE;
  }
  Ext->ActiveSrb = NULL;
  Ext->State = HbaSubIdle;
  Ext->StartRefused = FALSE;
  Ext->RequestedLength = 0;
  Ext->SrbLength = 0;
  if (srb != NULL) {
    HbaSubCompleteSrb(Ext, srb, SrbStatus);
  }
}

/* Refuses Srb at HwScsiStartIo; asks for the next request when the slot is free. */
static VOID HbaSubRefuse(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb,
                         UCHAR SrbStatus) {
  if (Srb->Function == SRB_FUNCTION_EXECUTE_SCSI) {
    Srb->DataTransferLength = 0;   /* nothing moved */
  }
  HbaSubCompleteSrb(Ext, Srb, SrbStatus);
  if (Ext->State == HbaSubIdle) {
    ScsiPortNotification(NextRequest, Ext, NULL);
  }
}

/* ---- HwScsiStartIo ------------------------------------------------------------------------- */

static UCHAR HbaSubCheckAddress(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  if (Srb->PathId != 0) {
    return SRB_STATUS_INVALID_PATH_ID;
  }
  if (Srb->TargetId >= HBASUB_MAX_TARGETS || Srb->TargetId == Ext->InitiatorId) {
    return SRB_STATUS_INVALID_TARGET_ID;
  }
  if (Srb->Lun >= HBASUB_MAX_LUNS) {
    return SRB_STATUS_INVALID_LUN;
  }
  return SRB_STATUS_SUCCESS;
}

/* Programs TARGET, CDB0-3, CMD_CFG, XFER_LEN and CTRL for an EXECUTE_SCSI SRB; START follows
 * (at once without data, in HwScsiDmaStarted with data). */
static VOID HbaSubProgramCommand(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb,
                                 ULONG Dir, ULONG Length) {
  ULONG ctrl = Ext->CtrlBase;

  if (Srb->SrbFlags & SRB_FLAGS_DISABLE_DISCONNECT) {
    ctrl &= ~HBA_CTRL_DISC_PRIV_MASK;   /* IDENTIFY without the disconnect privilege */
  }
  HbaCommonWriteCommand(&HbaSubIo, Ext, Srb->TargetId, Srb->Lun, Srb->Cdb, Srb->CdbLength, Dir,
                        Length);
  HbaWrite(Ext, HBA_CTRL, ctrl);
}

static VOID HbaSubStart(PHBASUB_DEVICE_EXTENSION Ext) {
  Ext->State = HbaSubRunning;
  Ext->StartRefused = FALSE;
  Ext->CommandsStarted++;
  HbaWrite(Ext, HBA_COMMAND, HBA_COMMAND_START_MASK);
}

/* SRB_FUNCTION_RESET_DEVICE as a command of its own: BUS DEVICE RESET to the target. */
static VOID HbaSubStartDeviceReset(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  Ext->ActiveSrb = Srb;
  Ext->Kind = HbaSubKindDeviceReset;
  Ext->RequestedLength = 0;
  Ext->SrbLength = 0;
  Ext->State = HbaSubRunning;
  Ext->StartRefused = FALSE;
  Ext->CommandsStarted++;
  HbaWrite(Ext, HBA_TARGET, (ULONG)Srb->TargetId << HBA_TARGET_ID_SHIFT);
  HbaWrite(Ext, HBA_COMMAND, HBA_COMMAND_BDR_MASK);
}

static VOID HbaSubExecute(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  UCHAR status = HbaSubCheckAddress(Ext, Srb);
  ULONG dirFlags = Srb->SrbFlags & SRB_FLAGS_UNSPECIFIED_DIRECTION;
  ULONG dir = HBA_CMD_CFG_DIR_NONE;
  ULONG length = 0;

  if (status != SRB_STATUS_SUCCESS) {
    HbaSubRefuse(Ext, Srb, status);
    return;
  }
  if (Srb->CdbLength == 0 || Srb->CdbLength > HBASUB_MAX_CDB) {
    HbaSubRefuse(Ext, Srb, SRB_STATUS_INVALID_REQUEST);
    return;
  }
  if (Srb->DataTransferLength != 0) {
    if (dirFlags == SRB_FLAGS_DATA_IN) {
      dir = HBA_CMD_CFG_DIR_IN;
    } else if (dirFlags == SRB_FLAGS_DATA_OUT) {
      dir = HBA_CMD_CFG_DIR_OUT;
    } else if (dirFlags == SRB_FLAGS_UNSPECIFIED_DIRECTION) {
      /* the HBA does not guess the direction from the phase */
      HbaSubRefuse(Ext, Srb, SRB_STATUS_INVALID_REQUEST);
      return;
    }
    if (dir != HBA_CMD_CFG_DIR_NONE) {
      length = Srb->DataTransferLength;
    }
  }
  Ext->SrbLength = length;
  if (length != 0) {
    /* one 8237 programming per command; on a word channel the 8237 moves whole words at even
     * addresses (AlignmentMask tells the class driver) */
    if (length > Ext->MaximumTransfer || Srb->DataBuffer == NULL ||
        (Ext->WordChannel && ((ULONG_PTR)Srb->DataBuffer & 1u) != 0)) {
      HbaSubRefuse(Ext, Srb, SRB_STATUS_INVALID_REQUEST);
      return;
    }
    if (Ext->WordChannel && (length & 1u) != 0) {
      /* An odd length needs a last word whose second byte lies past the SRB's buffer, and a
       * mapping may not reach there. DATA OUT cannot be shortened (the target would get 0x00
       * in place of the last byte): refused. DATA IN moves the even part; the target's last
       * byte arrives as an overrun byte and is discarded, and the SRB completes with
       * SRB_STATUS_DATA_OVERRUN and DataTransferLength = length - 1. */
      if (dir == HBA_CMD_CFG_DIR_OUT) {
        HbaSubRefuse(Ext, Srb, SRB_STATUS_INVALID_REQUEST);
        return;
      }
      length -= 1u;
      if (length == 0) {
        dir = HBA_CMD_CFG_DIR_NONE;
      }
    }
  }

  Ext->ActiveSrb = Srb;
  Ext->Kind = HbaSubKindExecute;
  Ext->MessageSrb = NULL;
  Ext->RequestedLength = length;
  HbaSubProgramCommand(Ext, Srb, dir, length);
  if (length == 0) {
    HbaSubStart(Ext);
    return;
  }
  /* the state is set before the call: the port may run HwScsiDmaStarted (or the ISR) at any
   * point from here on */
  Ext->State = HbaSubDmaPending;
  Ext->DmaMapped = TRUE;
  ScsiPortIoMapTransfer(Ext, Srb, Srb->DataBuffer, length);
}

static VOID HbaSubAbortCommand(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  if (Ext->ActiveSrb == NULL || Ext->Kind != HbaSubKindExecute || Srb->NextSrb != Ext->ActiveSrb ||
      Ext->MessageSrb != NULL) {
    /* the request to abort is not running here (already completed, or never given to the
     * miniport): nothing to abort */
    HbaSubRefuse(Ext, Srb, SRB_STATUS_ABORT_FAILED);
    return;
  }
  if (Ext->State == HbaSubDmaPending) {
    /* not started on the bus: cancel the mapping and complete both */
    Ext->ActiveSrb->DataTransferLength = 0;
    HbaSubCompleteActive(Ext, SRB_STATUS_ABORTED);
    HbaSubCompleteSrb(Ext, Srb, SRB_STATUS_SUCCESS);
    ScsiPortNotification(NextRequest, Ext, NULL);
    return;
  }
  /* running: ATN and ABORT at the target's next MESSAGE OUT (programmers_guide.md section 5);
   * TARGET still holds the running command's nexus */
  Ext->MessageSrb = Srb;
  HbaWrite(Ext, HBA_COMMAND, HBA_COMMAND_ABORT_MASK);
}

static VOID HbaSubResetDevice(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  UCHAR status = HbaSubCheckAddress(Ext, Srb);

  if (status != SRB_STATUS_SUCCESS) {
    HbaSubRefuse(Ext, Srb, status);
    return;
  }
  if (Ext->State == HbaSubIdle) {
    HbaSubStartDeviceReset(Ext, Srb);
    return;
  }
  if (Ext->State == HbaSubRunning && Ext->Kind == HbaSubKindExecute && Ext->MessageSrb == NULL &&
      Ext->ActiveSrb->TargetId == Srb->TargetId) {
    Ext->MessageSrb = Srb;   /* BDR on the running command's connection */
    HbaWrite(Ext, HBA_COMMAND, HBA_COMMAND_BDR_MASK);
    return;
  }
  HbaSubRefuse(Ext, Srb, SRB_STATUS_BUSY);   /* the slot holds another target's command */
}

static BOOLEAN HbaSubStartIo(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;

  switch (Srb->Function) {
  case SRB_FUNCTION_EXECUTE_SCSI:
    if (ext->State != HbaSubIdle) {
      /* the HBA has one command slot and NextRequest was not given: the port retries */
      HbaSubRefuse(ext, Srb, SRB_STATUS_BUSY);
    } else {
      HbaSubExecute(ext, Srb);
    }
    break;
  case SRB_FUNCTION_RESET_BUS:
    if (Srb->PathId != 0) {
      HbaSubRefuse(ext, Srb, SRB_STATUS_INVALID_PATH_ID);
    } else {
      /* ScsiPortCompleteRequest in HbaSubResetBus completes this SRB with the others (it is
       * active in the port), with SRB_STATUS_BUS_RESET, and NextRequest follows there */
      HbaSubResetBus(ext, Srb->PathId);
    }
    break;
  case SRB_FUNCTION_ABORT_COMMAND:
    HbaSubAbortCommand(ext, Srb);
    break;
  case SRB_FUNCTION_RESET_DEVICE:
    HbaSubResetDevice(ext, Srb);
    break;
  default:
    HbaSubRefuse(ext, Srb, SRB_STATUS_INVALID_REQUEST);
    break;
  }
  return TRUE;
}

/* ---- HwScsiDmaStarted ---------------------------------------------------------------------- */

static VOID HbaSubDmaStarted(PVOID HwDeviceExtension) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;

  ext->DmaStartedCalls++;
  if (ext->State != HbaSubDmaPending || ext->ActiveSrb == NULL) {
    /* the mapping was cancelled (bus reset or abort completed the SRB first) */
    ext->DmaStartedIgnored++;
    ScsiDebugPrint(1, "hbasub: HwScsiDmaStarted with no transfer pending\n");
    return;
  }
  /* the 8237 channel is programmed and unmasked: the HBA may raise DREQ */
  HbaSubStart(ext);
}

/* ---- HwScsiInterrupt ----------------------------------------------------------------------- */

/* ScsiPortLogError UniqueId of a hba_common log kind */
static ULONG HbaSubLogId(HBA_LOG_KIND Kind) {
  switch (Kind) {
  case HbaLogParity:
    return HBASUB_LOG_PARITY;
  case HbaLogNoStatus:
    return HBASUB_LOG_NO_STATUS;
  case HbaLogMover:
    return HBASUB_LOG_MOVER;
  case HbaLogUnexpFree:
    return HBASUB_LOG_UNEXP_FREE;
  case HbaLogWatchdog:
  default:
    return HBASUB_LOG_WATCHDOG;
  }
}

/* The SRB status of an EXECUTE_SCSI command that ended with `Causes` (hba_common's mapping,
 * docs/miniport.md "Completion"); also sets ScsiStatus and DataTransferLength (the bytes that
 * reached memory / the target) and logs what the mapping asks for. */
static UCHAR HbaSubExecuteStatus(PHBASUB_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb,
                                 ULONG Causes) {
  HBA_COMMAND_RESULT r;
  ULONG scsi = HbaRead(Ext, HBA_SCSI_STATUS);
  ULONG xferred = Ext->RequestedLength != 0 ? HbaRead(Ext, HBA_XFERRED) : 0;
  BOOLEAN bdr = Ext->MessageSrb != NULL && Ext->MessageSrb->Function == SRB_FUNCTION_RESET_DEVICE;

  HbaCommonExecuteResult(Causes, scsi, xferred, Ext->RequestedLength, Ext->SrbLength, bdr, &r);
  Srb->DataTransferLength = r.Transferred;
  Srb->ScsiStatus = r.ScsiStatus;
  if (r.Log != HbaLogNone) {
    ScsiPortLogError(Ext, Srb, Srb->PathId, Srb->TargetId, Srb->Lun, HbaCommonLogErrorCode(r.Log),
                     HbaSubLogId(r.Log));
  }
  return r.SrbStatus;
}

/* The running command ended (one ending cause in `Causes`). Completes what it owned. Returns
 * TRUE when the slot is free; *ResetIssued is set when a bus reset was issued for recovery. */
static BOOLEAN HbaSubCommandEnded(PHBASUB_DEVICE_EXTENSION Ext, ULONG Causes,
                                  PBOOLEAN ResetIssued) {
  PSCSI_REQUEST_BLOCK message = Ext->MessageSrb;
  ULONG ending = Causes & HBASUB_ENDINGS;
  UCHAR status;

  /* a command that ended with another cause was over before any reset seen with it */
  if (ending & ~HBA_INT_STATUS_BUS_RESET_MASK) {
    ending &= ~HBA_INT_STATUS_BUS_RESET_MASK;
    Causes &= ~HBA_INT_STATUS_BUS_RESET_MASK;
  }
  if (Ext->Kind == HbaSubKindExecute) {
    status = HbaSubExecuteStatus(Ext, Ext->ActiveSrb, Causes);
  } else {
    status = HbaCommonDeviceResetStatus(Causes);
  }

  /* a target that stopped answering may still hold BSY: reset the bus (the guide's recovery
   * for WATCHDOG) so that the next command can arbitrate */
  if ((ending & HBA_INT_STATUS_WATCHDOG_MASK) &&
      (HbaRead(Ext, HBA_STATUS) & HBA_STATUS_BSY_SEEN_MASK)) {
    BOOLEAN done = HbaSubBusResetSync(Ext);
    HbaWrite(Ext, HBA_INT_STATUS, HBASUB_ALL_CAUSES);
    if (!done) {
      ScsiPortLogError(Ext, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, HBASUB_LOG_RESET_TIMEOUT);
    }
    *ResetIssued = TRUE;
    ending |= HBA_INT_STATUS_BUS_RESET_MASK;
  }

  Ext->MessageSrb = NULL;
  HbaSubCompleteActive(Ext, status);

  if (message == NULL) {
    return TRUE;
  }
  if (message->Function == SRB_FUNCTION_RESET_DEVICE) {
    if (ending & (HBA_INT_STATUS_ABORTED_MASK | HBA_INT_STATUS_BUS_RESET_MASK)) {
      HbaSubCompleteSrb(Ext, message, SRB_STATUS_SUCCESS);
      return TRUE;
    }
    /* the command ended before the message went out: send it as a command of its own */
    HbaSubStartDeviceReset(Ext, message);
    return FALSE;
  }
  /* ABORT: too late when the command completed normally; otherwise it is gone at the target */
  HbaSubCompleteSrb(Ext, message,
                    (ending & HBA_INT_STATUS_CMD_DONE_MASK) ? SRB_STATUS_ABORT_FAILED
                                                            : SRB_STATUS_SUCCESS);
  return TRUE;
}

/* Our START (or BDR) was refused (INT_STATUS.REJECTED). Typically HwScsiDmaStarted wrote START
 * while a target's bus reset held the HBA busy: the reset's BUS_RESET cause then ends the
 * command as if it had run into the reset. Returns TRUE when the SRB was completed. */
static BOOLEAN HbaSubStartRefused(PHBASUB_DEVICE_EXTENSION Ext, ULONG Causes) {
  PSCSI_REQUEST_BLOCK srb = Ext->ActiveSrb;
  ULONG status;
  ULONG seq;
  UCHAR srbStatus;

  if (Causes & HBA_INT_STATUS_BUS_RESET_MASK) {
    srbStatus = Ext->Kind == HbaSubKindExecute ? SRB_STATUS_BUS_RESET
                                                : SRB_STATUS_SUCCESS;   /* the device is reset */
  } else {
    status = HbaRead(Ext, HBA_STATUS);
    seq = (status & HBA_STATUS_SEQ_STATE_MASK) >> HBA_STATUS_SEQ_STATE_SHIFT;
    if ((status & HBA_STATUS_RST_SEEN_MASK) || seq == HBASUB_SEQ_RESET_ISSUE ||
        seq == HBASUB_SEQ_RESET_WAIT ||
        (HbaRead(Ext, HBA_INT_STATUS) & HBA_INT_STATUS_BUS_RESET_MASK)) {
      return FALSE;   /* a bus reset is under way: its interrupt completes the SRB */
    }
    /* refused for another reason (disabled, busy with something unknown): no ending will come */
    ScsiPortLogError(Ext, srb, srb->PathId, srb->TargetId, srb->Lun, SP_INTERNAL_ADAPTER_ERROR,
                     HBASUB_LOG_REJECTED);
    srbStatus = (status & HBA_STATUS_BUSY_MASK) ? SRB_STATUS_BUSY : SRB_STATUS_ERROR;
  }
  if (Ext->Kind == HbaSubKindExecute) {
    srb->DataTransferLength = 0;   /* nothing moved: XFERRED belongs to an earlier command */
    srb->ScsiStatus = SCSISTAT_GOOD;
  }
  HbaSubCompleteActive(Ext, srbStatus);
  return TRUE;
}

static BOOLEAN HbaSubInterrupt(PVOID HwDeviceExtension) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;
  ULONG causes;
  BOOLEAN reset;
  BOOLEAN freed = FALSE;

  if (ext->Registers == NULL) {
    return FALSE;
  }
  causes = HbaRead(ext, HBA_INT_STATUS) & HBASUB_ALL_CAUSES;
  if (causes == 0) {
    ext->InterruptsNotOurs++;   /* a shared line: another device's interrupt */
    return FALSE;
  }
  HbaWrite(ext, HBA_INT_STATUS, causes);   /* write 1 to clear: drops the level */
  ext->Interrupts++;
  ext->LastCauses = causes;
  reset = (causes & HBA_INT_STATUS_BUS_RESET_MASK) != 0;
  if (causes & HBA_INT_STATUS_REJECTED_MASK) {
    ext->Rejected++;
  }

  switch (ext->State) {
  case HbaSubRunning:
    if ((causes & HBA_INT_STATUS_REJECTED_MASK) && ext->MessageSrb == NULL) {
      /* in this state the only write the HBA can refuse is our START (or BDR): the command
       * never ran, so no ending, now or later, is its own */
      ext->StartRefused = TRUE;
    }
    if (!ext->StartRefused) {
      if (causes & HBASUB_ENDINGS) {
        freed = HbaSubCommandEnded(ext, causes, &reset);
      }
      /* REJECTED of an ABORT/BDR: the command is ending anyway; its ending settles the
       * message */
    } else if (HbaSubStartRefused(ext, causes)) {
      freed = TRUE;
    }
    break;
  case HbaSubDmaPending:
    /* the command is not started (HwScsiDmaStarted has not run), so no ending is its own; a
     * bus reset ends it all the same, and the flush cancels the pending mapping */
    if (reset) {
      ext->ActiveSrb->DataTransferLength = 0;
      HbaSubCompleteActive(ext, SRB_STATUS_BUS_RESET);
      freed = TRUE;
    }
    break;
  case HbaSubIdle:
    break;   /* a bus reset by a target, or a stale cause: nothing owned */
  }

  if (reset) {
    ext->BusResetsDetected++;
    ScsiPortNotification(ResetDetected, ext);
  }
  if (freed && ext->State == HbaSubIdle) {
    ScsiPortNotification(NextRequest, ext, NULL);
  }
  return TRUE;
}

/* ---- HwScsiResetBus ------------------------------------------------------------------------ */

static BOOLEAN HbaSubResetBus(PVOID HwDeviceExtension, ULONG PathId) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;
  BOOLEAN done;

  if (ext->Registers == NULL) {
    return FALSE;
  }
  if (ext->DmaMapped) {
    ScsiPortFlushDma(ext);   /* before any completion; cancels a mapping not yet started */
    ext->DmaMapped = FALSE;
  }
  HbaWrite(ext, HBA_INT_STATUS, HBASUB_ALL_CAUSES);
  done = HbaSubBusResetSync(ext);
  /* the reset ended any command in progress; its causes are consumed here, not by the ISR */
  HbaWrite(ext, HBA_INT_STATUS, HBASUB_ALL_CAUSES);
  if (!done) {
    ScsiPortLogError(ext, NULL, (UCHAR)PathId, 0, 0, SP_INTERNAL_ADAPTER_ERROR,
                     HBASUB_LOG_RESET_TIMEOUT);
  }
  if (ext->ActiveSrb != NULL && ext->Kind == HbaSubKindExecute) {
    /* what moved before the reset abandoned the command (nothing when it never started) */
    ULONG moved = 0;
    if (ext->State == HbaSubRunning && ext->RequestedLength != 0) {
      moved = HbaRead(ext, HBA_XFERRED);
      if (moved > ext->RequestedLength) {
        moved = ext->RequestedLength;
      }
    }
    ext->ActiveSrb->DataTransferLength = moved;
  }
  ext->ActiveSrb = NULL;
  ext->MessageSrb = NULL;
  ext->State = HbaSubIdle;
  ext->StartRefused = FALSE;
  ext->RequestedLength = 0;
  ext->SrbLength = 0;
  /* every request the port has active on the bus (the slot's SRB, a riding ABORT / RESET_DEVICE,
   * the RESET_BUS SRB itself) */
  ScsiPortCompleteRequest(ext, (UCHAR)PathId, SP_UNTAGGED, SP_UNTAGGED, SRB_STATUS_BUS_RESET);
  /* a reset on the bus, whoever asked for it: the port applies the reset hold */
  ScsiPortNotification(ResetDetected, ext);
  ScsiPortNotification(NextRequest, ext, NULL);
  return done;
}

/* ---- HwScsiAdapterState -------------------------------------------------------------------- */

/* Saves (SaveState TRUE) or restores (FALSE) the registers an x86 BIOS / real-mode driver would
 * expect: CTRL, INT_ENABLE, SEL_TIMEOUT and WATCHDOG. The HBA has no BIOS here, so what comes
 * back is the state found before the miniport took the HBA over. A restore is skipped while
 * a command runs (the registers are used live). */
static BOOLEAN HbaSubAdapterState(PVOID HwDeviceExtension, PVOID Context, BOOLEAN SaveState) {
  PHBASUB_DEVICE_EXTENSION ext = HwDeviceExtension;

  UNREFERENCED_PARAMETER(Context);
  if (ext->Registers == NULL) {
    return TRUE;
  }
  if (SaveState) {
    ext->SavedCtrl = HbaRead(ext, HBA_CTRL);
    ext->SavedIntEnable = HbaRead(ext, HBA_INT_ENABLE);
    ext->SavedSelTimeout = HbaRead(ext, HBA_SEL_TIMEOUT);
    ext->SavedWatchdog = HbaRead(ext, HBA_WATCHDOG);
    ext->StateSaved = TRUE;
    return TRUE;
  }
  if (!ext->StateSaved || (HbaRead(ext, HBA_STATUS) & HBA_STATUS_BUSY_MASK)) {
    return TRUE;
  }
  HbaWrite(ext, HBA_INT_ENABLE, 0);
  HbaWrite(ext, HBA_CTRL, ext->SavedCtrl);
  HbaWrite(ext, HBA_SEL_TIMEOUT, ext->SavedSelTimeout);
  HbaWrite(ext, HBA_WATCHDOG, ext->SavedWatchdog);
  HbaWrite(ext, HBA_INT_STATUS, HBASUB_ALL_CAUSES);
  HbaWrite(ext, HBA_INT_ENABLE, ext->SavedIntEnable);
  return TRUE;
}
