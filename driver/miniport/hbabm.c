/* hbabm: Storport miniport for the hbasim HBA as a bus master (hbabm.h).
 *
 * The HBA runs one command at a time and raises one interrupt when it has ended
 * (docs/hba/programmers_guide.md). In bus-master mode (CTRL.MOVER = BUS_MASTER, guide section
 * 3.2) its scatter/gather engine reads a list of 16-byte descriptors at SG_ADDR and moves the
 * data by AXI bursts (docs/hba/sgdma.md).
 *
 * Data path. The port builds the SRB's STOR_SCATTER_GATHER_LIST before HwStorBuildIo;
 * HwStorBuildIo (no lock held, possibly while another SRB runs on the HBA) translates it into
 * HBA descriptors in the SRB extension; HwStorStartIo (at DIRQL, synchronised with the ISR)
 * copies them into the adapter's one descriptor table in the uncached extension and starts the
 * HBA. One table suffices because the HBA holds one command; the copy keeps HwStorBuildIo from
 * writing a table the engine may be walking, and the uncached extension is physically
 * contiguous and 16-byte aligned, which an SRB extension need not be.
 *
 * SgBuild mode (ArgumentString SgBuild=1): HwStorBuildIo asks StorPortBuildScatterGatherList
 * for the SRB's list instead (a small buffer first, the large one after BUFFER_TOO_SMALL); its
 * ExecutionRoutine, later at DISPATCH_LEVEL, translates the list and starts the HBA under
 * StorPortSynchronizeAccess. StorPortPutScatterGatherList may not run at DIRQL, where every
 * ending is seen, so an ending's completion is deferred to a miniport DPC that puts the list
 * first.
 *
 * Every register access goes through StorPortRead/WriteRegisterUlong on the base the port
 * mapped. docs/miniport.md, "hbabm", is the design document. */
#include "hbabm.h"

#include "hba_common.h"
#include "hba_regs.h"
#include "scsi.h"
#include "storport.h"

/* ---- constants ----------------------------------------------------------------------------- */

#define HBABM_VERSION_MAJOR \
  ((HBA_VERSION_RESET & HBA_VERSION_MAJOR_MASK) >> HBA_VERSION_MAJOR_SHIFT)
#define HBABM_REGISTER_SPAN (HBA_RESET_WIDTH + 4u)

#define HBABM_INITIATOR_ID 7u
#define HBABM_MAX_TARGETS 8u
#define HBABM_MAX_LUNS 8u
#define HBABM_MAX_CDB 16u

#define HBABM_ALL_CAUSES HBA_INT_ENABLE_MASK_MASK
#define HBABM_ENDINGS                                                                     \
  (HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SEL_TIMEOUT_MASK |                       \
   HBA_INT_STATUS_BUS_RESET_MASK | HBA_INT_STATUS_WATCHDOG_MASK | HBA_INT_STATUS_ABORTED_MASK | \
   HBA_INT_STATUS_UNEXP_FREE_MASK)

/* STATUS.SEQ_STATE values of a bus reset (programmers_guide.md section 9) */
#define HBABM_SEQ_RESET_ISSUE 18u
#define HBABM_SEQ_RESET_WAIT 19u


/* the engine's address reach: 32 bits (sgdma.md "Malformed lists") */
#define HBABM_ADDRESS_LIMIT 0x100000000ull
#define HBABM_TABLE_BYTES (HBABM_MAX_DESCRIPTORS * sizeof(HBABM_DESCRIPTOR))
#define HBABM_TABLE_ALIGN 16u

/* StorPortLogError UniqueId: HBABM_LOG_BASE + HBA_LOG_KIND, or one of the others */
#define HBABM_LOG_BASE 0x4900u
#define HBABM_LOG_REJECTED 0x4910u
#define HBABM_LOG_RESET_TIMEOUT 0x4911u

static HW_FIND_ADAPTER HbaBmFindAdapter;
static HW_INITIALIZE HbaBmInitialize;
static HW_BUILDIO HbaBmBuildIo;
static HW_STARTIO HbaBmStartIo;
static HW_INTERRUPT HbaBmInterrupt;
static HW_RESET_BUS HbaBmResetBus;
static HW_ADAPTER_CONTROL HbaBmAdapterControl;
static HW_DPC_ROUTINE HbaBmSgDpc;
static VOID HbaBmSgExecute(PVOID *DeviceObject, PVOID *Irp, PSTOR_SCATTER_GATHER_LIST List,
                           PVOID Context);
static VOID HbaBmStart(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb);

/* ---- register access ---------------------------------------------------------------------- */

static ULONG HbaBmRead(PHBABM_DEVICE_EXTENSION Ext, ULONG Offset) {
  return StorPortReadRegisterUlong(Ext, (PULONG)(Ext->Registers + Offset));
}

static VOID HbaBmWrite(PHBABM_DEVICE_EXTENSION Ext, ULONG Offset, ULONG Value) {
  StorPortWriteRegisterUlong(Ext, (PULONG)(Ext->Registers + Offset), Value);
}

/* the same for hba_common's register sequences */
static ULONG HbaBmIoRead(PVOID Ext, ULONG Offset) { return HbaBmRead(Ext, Offset); }
static VOID HbaBmIoWrite(PVOID Ext, ULONG Offset, ULONG Value) { HbaBmWrite(Ext, Offset, Value); }
static const HBA_IO_OPS HbaBmIo = {HbaBmIoRead, HbaBmIoWrite, StorPortStallExecution};

/* ---- DriverEntry ------------------------------------------------------------------------- */

ULONG HbaBmDriverEntry(PVOID DriverObject, PVOID RegistryPath) {
  HW_INITIALIZATION_DATA init;
  ULONG i;

  for (i = 0; i < sizeof init; i++) {
    ((PUCHAR)&init)[i] = 0;
  }
  init.HwInitializationDataSize = sizeof(HW_INITIALIZATION_DATA);
  init.AdapterInterfaceType = Internal;   /* an on-chip adapter of soc_top */
  init.HwInitialize = HbaBmInitialize;
  init.HwStartIo = HbaBmStartIo;
  init.HwInterrupt = HbaBmInterrupt;
  init.HwFindAdapter = HbaBmFindAdapter;
  init.HwResetBus = HbaBmResetBus;
  init.HwDmaStarted = NULL;               /* Storport: no system DMA */
  init.HwAdapterState = NULL;
  init.HwAdapterControl = HbaBmAdapterControl;
  init.HwBuildIo = HbaBmBuildIo;
  init.DeviceExtensionSize = sizeof(HBABM_DEVICE_EXTENSION);
  init.SpecificLuExtensionSize = 0;
  init.SrbExtensionSize = sizeof(HBABM_SRB_EXTENSION);   /* the translated descriptors */
  init.NumberOfAccessRanges = 1;
  /* the miniport never touches a read/write data buffer; other buffers (INQUIRY ...) are
   * mapped, though the miniport does not read them either */
  init.MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
  init.NeedPhysicalAddresses = TRUE;      /* StorPortGetPhysicalAddress on the table */
  init.TaggedQueuing = FALSE;
  /* The engine could fetch sense data into a buffer of the miniport's, but the port's
   * autosense (REQUEST SENSE as an ordinary SRB) keeps one path for both HBA miniports. */
  init.AutoRequestSense = FALSE;
  init.MultipleRequestPerLu = FALSE;
  init.ReceiveEvent = FALSE;
  init.SrbTypeFlags = SRB_TYPE_FLAG_SCSI_REQUEST_BLOCK;

  return StorPortInitialize(DriverObject, RegistryPath, &init, NULL);
}

/* ---- HwStorFindAdapter --------------------------------------------------------------------- */

static ULONG HbaBmFindAdapter(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation,
                              PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                              PBOOLEAN Reserved3) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  PACCESS_RANGE range;
  HBA_ARGUMENTS args;
  PUCHAR uncached;
  STOR_PHYSICAL_ADDRESS physical;
  ULONG contiguous = 0;
  ULONG pad;
  ULONG version;

  UNREFERENCED_PARAMETER(HwContext);
  UNREFERENCED_PARAMETER(BusInformation);
  if (Reserved3 != NULL) {
    *Reserved3 = FALSE;
  }

  if (ConfigInfo->NumberOfAccessRanges < 1 || ConfigInfo->AccessRanges == NULL) {
    return SP_RETURN_BAD_CONFIG;
  }
  range = &(*ConfigInfo->AccessRanges)[0];
  if (range->RangeStart.QuadPart == 0 || range->RangeLength < HBABM_REGISTER_SPAN) {
    return SP_RETURN_BAD_CONFIG;
  }
  ext->Registers = StorPortGetDeviceBase(DeviceExtension, ConfigInfo->AdapterInterfaceType,
                                         ConfigInfo->SystemIoBusNumber, range->RangeStart,
                                         range->RangeLength, FALSE);
  if (ext->Registers == NULL) {
    return SP_RETURN_ERROR;
  }
  ext->RegisterLength = range->RangeLength;

  version = HbaBmRead(ext, HBA_VERSION);
  if (HbaBmRead(ext, HBA_ID) != HBA_ID_RESET ||
      ((version & HBA_VERSION_MAJOR_MASK) >> HBA_VERSION_MAJOR_SHIFT) != HBABM_VERSION_MAJOR) {
    StorPortFreeDeviceBase(DeviceExtension, ext->Registers);
    ext->Registers = NULL;
    return SP_RETURN_NOT_FOUND;
  }
  /* quiet until HwStorInitialize */
  HbaBmWrite(ext, HBA_INT_ENABLE, 0);
  HbaBmWrite(ext, HBA_INT_STATUS, HBABM_ALL_CAUSES);

  ext->InitiatorId = HBABM_INITIATOR_ID;
  HbaCommonParseArguments(ArgumentString, &args);
  ext->Args = args;
  ext->ArgumentsIgnored = args.Ignored;   /* unknown keywords: skipped, counted */
  ext->SgBuildMode = args.SgBuild != 0;
  ext->SgState = HbaBmSgIdle;
  StorPortInitializeDpc(DeviceExtension, &ext->SgDpc, HbaBmSgDpc);

  range->RangeInMemory = TRUE;
  ConfigInfo->InterruptMode = LevelSensitive;   /* irq_o is a level until INT_STATUS is clear */
  ConfigInfo->Master = TRUE;
  ConfigInfo->ScatterGather = TRUE;
  ConfigInfo->Dma32BitAddresses = TRUE;
  /* SG_ADDR_HI and the descriptors carry 64-bit addresses, but the engine's AXI port has 32
   * address lines and reports an element or list at or above 4 GiB as malformed (SG_ERR): the
   * port must keep the buffers below 4 GiB. */
  ConfigInfo->Dma64BitAddresses = 0;
  ConfigInfo->MaximumTransferLength = HBABM_MAX_TRANSFER;
  ConfigInfo->NumberOfPhysicalBreaks = HBABM_MAX_DESCRIPTORS - 1u;
  ConfigInfo->AlignmentMask = 0;                /* any byte alignment, any length */
  ConfigInfo->NumberOfBuses = 1;
  ConfigInfo->InitiatorBusId[0] = (CCHAR)ext->InitiatorId;
  ConfigInfo->MaximumNumberOfTargets = HBABM_MAX_TARGETS;
  ConfigInfo->MaximumNumberOfLogicalUnits = HBABM_MAX_LUNS;
  ConfigInfo->CachesData = FALSE;
  ConfigInfo->MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
  ConfigInfo->NeedPhysicalAddresses = TRUE;
  ConfigInfo->TaggedQueuing = FALSE;
  ConfigInfo->AutoRequestSense = FALSE;
  ConfigInfo->MultipleRequestPerLu = FALSE;
  ConfigInfo->ResetTargetSupported = TRUE;      /* RESET_DEVICE: COMMAND.BDR */
  ConfigInfo->SynchronizationModel = StorSynchronizeHalfDuplex;

  /* the descriptor table: one, 16-byte aligned on the bus, physically contiguous, below 4 GiB */
  uncached = StorPortGetUncachedExtension(DeviceExtension, ConfigInfo,
                                          (ULONG)(HBABM_TABLE_BYTES + HBABM_TABLE_ALIGN));
  if (uncached == NULL) {
    StorPortFreeDeviceBase(DeviceExtension, ext->Registers);
    ext->Registers = NULL;
    return SP_RETURN_ERROR;
  }
  physical = StorPortGetPhysicalAddress(DeviceExtension, NULL, uncached, &contiguous);
  pad = (HBABM_TABLE_ALIGN - (ULONG)(physical.QuadPart & (HBABM_TABLE_ALIGN - 1u))) &
        (HBABM_TABLE_ALIGN - 1u);
  if (physical.QuadPart == 0 || contiguous < pad + HBABM_TABLE_BYTES ||
      (ULONGLONG)physical.QuadPart + pad + HBABM_TABLE_BYTES > HBABM_ADDRESS_LIMIT) {
    StorPortFreeDeviceBase(DeviceExtension, ext->Registers);
    ext->Registers = NULL;
    return SP_RETURN_ERROR;
  }
  ext->Table = (PHBABM_DESCRIPTOR)(uncached + pad);
  ext->TablePhysical = (ULONGLONG)physical.QuadPart + pad;

  ext->ActiveSrb = NULL;
  ext->MessageSrb = NULL;
  ext->Stopped = FALSE;
  ext->StartRefused = FALSE;
  return SP_RETURN_FOUND;
}

/* ---- bus reset ----------------------------------------------------------------------------- */

/* hba_common's bus reset (bounded poll; the causes are left set for the caller) */
static BOOLEAN HbaBmBusResetSync(PHBABM_DEVICE_EXTENSION Ext) {
  return HbaCommonBusResetSync(&HbaBmIo, Ext, &Ext->BusResetsIssued);
}

/* ---- HwStorInitialize ---------------------------------------------------------------------- */

static BOOLEAN HbaBmSetupHardware(PHBABM_DEVICE_EXTENSION Ext) {
  if (Ext->Registers == NULL) {
    return FALSE;
  }
  Ext->CtrlBase = HBA_CTRL_ENABLE_MASK | HBA_CTRL_PARITY_CHECK_MASK | HBA_CTRL_DISC_PRIV_MASK |
                  ((ULONG)Ext->InitiatorId << HBA_CTRL_INIT_ID_SHIFT) |
                  (HBA_CTRL_MOVER_BUS_MASTER << HBA_CTRL_MOVER_SHIFT);
  if (!HbaCommonProgram(&HbaBmIo, Ext, Ext->CtrlBase, &Ext->Args, HBABM_ALL_CAUSES,
                        &Ext->BusResetsIssued)) {
    StorPortLogError(Ext, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, HBABM_LOG_RESET_TIMEOUT);
    return FALSE;
  }
  Ext->ActiveSrb = NULL;
  Ext->MessageSrb = NULL;
  Ext->StartRefused = FALSE;
  Ext->RequestedLength = 0;
  Ext->Stopped = FALSE;
  return TRUE;
}

static BOOLEAN HbaBmInitialize(PVOID DeviceExtension) {
  return HbaBmSetupHardware(DeviceExtension);
}

/* ---- HwStorBuildIo ------------------------------------------------------------------------- */

static UCHAR HbaBmCheckAddress(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  if (Srb->PathId != 0) {
    return SRB_STATUS_INVALID_PATH_ID;
  }
  if (Srb->TargetId >= HBABM_MAX_TARGETS || Srb->TargetId == Ext->InitiatorId) {
    return SRB_STATUS_INVALID_TARGET_ID;
  }
  if (Srb->Lun >= HBABM_MAX_LUNS) {
    return SRB_STATUS_INVALID_LUN;
  }
  return SRB_STATUS_SUCCESS;
}

/* Translates the port's list into HBA descriptors covering exactly Length bytes: elements
 * longer than 2^24 bytes are split, zero-length elements skipped, the last descriptor gets EOL.
 * Returns SRB_STATUS_SUCCESS, or SRB_STATUS_INVALID_REQUEST when the list is missing, too
 * short, has too many pieces for the table, or reaches at or above 4 GiB. */
static UCHAR HbaBmTranslate(PHBABM_DEVICE_EXTENSION Ext, PSTOR_SCATTER_GATHER_LIST List,
                            ULONG Length, PHBABM_SRB_EXTENSION Out) {
  ULONG left = Length;
  ULONG n = 0;
  ULONG i;

  if (List == NULL) {
    return SRB_STATUS_INVALID_REQUEST;
  }
  for (i = 0; i < List->NumberOfElements && left != 0; i++) {
    ULONGLONG address = (ULONGLONG)List->List[i].PhysicalAddress.QuadPart;
    ULONG elementLeft = List->List[i].Length;
    if (elementLeft > left) {
      elementLeft = left;   /* the list may describe more than the transfer */
    }
    if (elementLeft != 0 && address + elementLeft > HBABM_ADDRESS_LIMIT) {
      return SRB_STATUS_INVALID_REQUEST;
    }
    if (elementLeft > HBABM_MAX_ELEMENT_LENGTH) {
      Ext->SplitElements++;
    }
    while (elementLeft != 0) {
      ULONG piece = elementLeft > HBABM_MAX_ELEMENT_LENGTH ? HBABM_MAX_ELEMENT_LENGTH
                                                           : elementLeft;
      if (n == HBABM_MAX_DESCRIPTORS) {
        return SRB_STATUS_INVALID_REQUEST;
      }
      Out->Descriptors[n].AddressLow = (ULONG)address;
      Out->Descriptors[n].AddressHigh = (ULONG)(address >> 32);
      Out->Descriptors[n].Length = piece;
      Out->Descriptors[n].Flags = 0;
      n++;
      address += piece;
      elementLeft -= piece;
      left -= piece;
    }
  }
  if (left != 0 || n == 0) {
    return SRB_STATUS_INVALID_REQUEST;
  }
  Out->Descriptors[n - 1].Flags = HBABM_DESC_EOL;
  Out->DescriptorCount = n;
  return SRB_STATUS_SUCCESS;
}

/* READ/WRITE opcodes: the SRBs whose DataBuffer STOR_MAP_NON_READ_WRITE_BUFFERS leaves
 * unmapped */
static BOOLEAN HbaBmIsReadWrite(UCHAR Op) {
  switch (Op) {
  case SCSIOP_READ6:
  case SCSIOP_WRITE6:
  case SCSIOP_READ:
  case SCSIOP_WRITE:
  case SCSIOP_READ12:
  case SCSIOP_WRITE12:
  case SCSIOP_READ16:
  case SCSIOP_WRITE16:
    return TRUE;
  default:
    return FALSE;
  }
}

/* SgBuild mode, at DISPATCH_LEVEL: puts the list when no SRB owns it any more. */
static VOID HbaBmSgPut(PHBABM_DEVICE_EXTENSION Ext) {
  if (Ext->SgState != HbaBmSgLive || Ext->SgSrb != NULL) {
    return;
  }
  if (StorPortPutScatterGatherList(Ext, Ext->SgList, Ext->SgWrite) == STOR_STATUS_SUCCESS) {
    Ext->SgPuts++;
  } else {
    Ext->SgPutFailed++;
  }
  Ext->SgList = NULL;
  Ext->SgState = HbaBmSgIdle;
}

static ULONG HbaBmSgTryBuild(PHBABM_DEVICE_EXTENSION Ext, PVOID Mdl, PVOID Va, ULONG Length,
                             PVOID Buffer, ULONG BufferLength) {
  return StorPortBuildScatterGatherList(Ext, Mdl, Va, Length, HbaBmSgExecute, Ext, Ext->SgWrite,
                                        Buffer, BufferLength);
}

/* SgBuild mode, from HwStorBuildIo (DISPATCH_LEVEL): asks for the SRB's list. The buffer
 * is the caller's VA of the original MDL (DataBuffer of a READ/WRITE is the port's unmapped
 * alias and says nothing about where the data sit in the MDL; StorPortGetSystemAddress gives
 * the VA without touching the bytes). Returns the SRB_STATUS HwStorStartIo delivers when the
 * build was refused. */
static UCHAR HbaBmSgBuild(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb,
                          PHBABM_SRB_EXTENSION X) {
  PMDL mdl = NULL;
  PVOID va = NULL;
  PUCHAR first;
  ULONG st;

  HbaBmSgPut(Ext);   /* a list left by an SRB completed without the DPC (bus reset) */
  if (Ext->SgState != HbaBmSgIdle) {
    Ext->SgBuildBusy++;   /* the list of an SRB completed early has not arrived yet */
    return SRB_STATUS_BUSY;
  }
  if (StorPortGetOriginalMdl(Ext, Srb, (PVOID *)&mdl) != STOR_STATUS_SUCCESS || mdl == NULL ||
      StorPortGetSystemAddress(Ext, Srb, &va) != STOR_STATUS_SUCCESS || va == NULL) {
    Ext->SgBuildFailed++;
    return SRB_STATUS_ERROR;
  }
  first = (PUCHAR)MmGetMdlVirtualAddress(mdl);
  if ((PUCHAR)va < first ||
      (ULONGLONG)((PUCHAR)va - first) + X->Length > (ULONGLONG)MmGetMdlByteCount(mdl)) {
    Ext->SgBuildFailed++;
    return SRB_STATUS_ERROR;   /* the data are not inside the MDL */
  }
  Ext->SgWrite = X->Direction == HBA_CMD_CFG_DIR_OUT;
  Ext->SgSrb = Srb;
  Ext->SgState = HbaBmSgBuilding;   /* before the call: the ExecutionRoutine may run any time */
  st = HbaBmSgTryBuild(Ext, mdl, va, X->Length, Ext->SgSmall, sizeof Ext->SgSmall);
  if (st == STOR_STATUS_BUFFER_TOO_SMALL) {
    Ext->SgBuildTooSmall++;
    st = HbaBmSgTryBuild(Ext, mdl, va, X->Length, Ext->SgLarge, sizeof Ext->SgLarge);
    if (st == STOR_STATUS_SUCCESS) {
      Ext->SgBuildLarge++;
    }
  }
  if (st == STOR_STATUS_SUCCESS) {
    Ext->SgBuilds++;
    X->SgBuilt = TRUE;
    return SRB_STATUS_SUCCESS;
  }
  Ext->SgSrb = NULL;
  Ext->SgState = HbaBmSgIdle;
  if (st == STOR_STATUS_INSUFFICIENT_RESOURCES) {
    Ext->SgBuildBusy++;
    return SRB_STATUS_BUSY;   /* the port (class) resends it later */
  }
  Ext->SgBuildFailed++;
  return SRB_STATUS_ERROR;
}

/* No lock is held: the SRB and its extension are written, and in SgBuild mode the list
 * state, which nothing else touches while the slot is free (NextRequest is held back while it
 * is busy, so HwStorBuildIo only runs for the SRB that gets the slot next). A refusal is
 * recorded in BuildStatus and delivered by HwStorStartIo, so that every SRB completes on one
 * path. */
static BOOLEAN HbaBmBuildIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  PHBABM_SRB_EXTENSION x = Srb->SrbExtension;
  ULONG dirFlags;
  UCHAR status;

  if (Srb->Function != SRB_FUNCTION_EXECUTE_SCSI || x == NULL) {
    return TRUE;   /* nothing to prepare (StartIo handles a missing extension) */
  }
  x->Direction = HBA_CMD_CFG_DIR_NONE;
  x->Length = 0;
  x->DescriptorCount = 0;
  x->SgBuilt = FALSE;
  x->SgReady = FALSE;
  if (Srb->DataTransferLength != 0 && Srb->DataBuffer != NULL) {
    if (HbaBmIsReadWrite(Srb->Cdb[0])) {
      ext->LastReadWriteDataBuffer = Srb->DataBuffer;
    } else {
      ext->LastOtherDataBuffer = Srb->DataBuffer;
    }
  }
  status = HbaBmCheckAddress(ext, Srb);
  if (status == SRB_STATUS_SUCCESS && (Srb->CdbLength == 0 || Srb->CdbLength > HBABM_MAX_CDB)) {
    status = SRB_STATUS_INVALID_REQUEST;
  }
  dirFlags = Srb->SrbFlags & SRB_FLAGS_UNSPECIFIED_DIRECTION;
  if (status == SRB_STATUS_SUCCESS && Srb->DataTransferLength != 0 &&
      dirFlags != SRB_FLAGS_NO_DATA_TRANSFER) {
    if (dirFlags == SRB_FLAGS_UNSPECIFIED_DIRECTION) {
      status = SRB_STATUS_INVALID_REQUEST;   /* the HBA does not guess the direction */
    } else if (Srb->DataTransferLength > HBABM_MAX_TRANSFER) {
      status = SRB_STATUS_INVALID_REQUEST;
    } else {
      x->Direction = dirFlags == SRB_FLAGS_DATA_IN ? HBA_CMD_CFG_DIR_IN : HBA_CMD_CFG_DIR_OUT;
      x->Length = Srb->DataTransferLength;
      if (ext->SgBuildMode) {
        status = HbaBmSgBuild(ext, Srb, x);
      } else {
        PSTOR_SCATTER_GATHER_LIST list = StorPortGetScatterGatherList(ext, Srb);
        ext->LastSgElements = list != NULL ? list->NumberOfElements : 0;
        status = HbaBmTranslate(ext, list, x->Length, x);
      }
    }
  }
  x->BuildStatus = status;
  return TRUE;
}

/* ---- completion helpers -------------------------------------------------------------------- */

static VOID HbaBmCompleteSrb(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb,
                             UCHAR SrbStatus) {
  Srb->SrbStatus = SrbStatus;
  StorPortNotification(RequestComplete, Ext, Srb);
}

/* Completes the slot's SRB and frees the slot; the caller asks for the next request. */
static VOID HbaBmCompleteActive(PHBABM_DEVICE_EXTENSION Ext, UCHAR SrbStatus) {
  PSCSI_REQUEST_BLOCK srb = Ext->ActiveSrb;

  Ext->ActiveSrb = NULL;
  Ext->StartRefused = FALSE;
  Ext->WaitingForList = FALSE;
  Ext->RequestedLength = 0;
  if (srb == NULL) {
    return;
  }
  if (Ext->SgState != HbaBmSgIdle && Ext->SgSrb == srb) {
    /* SgBuild: the list is put first, at DISPATCH_LEVEL (SgDpc), then the SRB completes */
    Ext->SgSrb = NULL;
    Ext->DoneSrb = srb;
    Ext->DoneStatus = SrbStatus;
    StorPortIssueDpc(Ext, &Ext->SgDpc, NULL, NULL);
    return;
  }
  HbaBmCompleteSrb(Ext, srb, SrbStatus);
}

/* SgBuild mode, at DIRQL: the SRB owning the list is completed now (refused, bus reset):
 * the list is given up -- put by the DPC once delivered, or by the ExecutionRoutine when it
 * comes. */
static VOID HbaBmSgRelease(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  if (Ext->SgState == HbaBmSgIdle || Ext->SgSrb != Srb || Srb == NULL) {
    return;
  }
  Ext->SgSrb = NULL;
  if (Ext->SgState == HbaBmSgLive) {
    StorPortIssueDpc(Ext, &Ext->SgDpc, NULL, NULL);
  }
}

static VOID HbaBmRefuse(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb, UCHAR SrbStatus) {
  HbaBmSgRelease(Ext, Srb);
  if (Srb->Function == SRB_FUNCTION_EXECUTE_SCSI) {
    Srb->DataTransferLength = 0;
  }
  HbaBmCompleteSrb(Ext, Srb, SrbStatus);
  if (Ext->ActiveSrb == NULL) {
    StorPortNotification(NextRequest, Ext);
  }
}

static VOID HbaBmLog(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb, HBA_LOG_KIND Kind) {
  if (Kind != HbaLogNone) {
    StorPortLogError(Ext, Srb, Srb->PathId, Srb->TargetId, Srb->Lun,
                     HbaCommonLogErrorCode(Kind), HBABM_LOG_BASE + (ULONG)Kind);
  }
}

/* ---- HwStorStartIo ------------------------------------------------------------------------- */

static VOID HbaBmExecute(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  PHBABM_SRB_EXTENSION x = Srb->SrbExtension;

  if (x == NULL) {
    HbaBmRefuse(Ext, Srb, SRB_STATUS_ERROR);   /* no SRB extension: nothing was built */
    return;
  }
  if (x->BuildStatus != SRB_STATUS_SUCCESS) {
    HbaBmRefuse(Ext, Srb, x->BuildStatus);
    return;
  }
  if (x->SgBuilt && !x->SgReady) {
    /* SgBuild: the slot is this SRB's; the ExecutionRoutine starts the HBA */
    Ext->ActiveSrb = Srb;
    Ext->MessageSrb = NULL;
    Ext->Kind = HbaBmKindExecute;
    Ext->RequestedLength = x->Length;
    Ext->StartRefused = FALSE;
    Ext->WaitingForList = TRUE;
    return;
  }
  HbaBmStart(Ext, Srb);
}

/* Programs the command and its descriptors and starts the HBA (at DIRQL). */
static VOID HbaBmStart(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  PHBABM_SRB_EXTENSION x = Srb->SrbExtension;
  ULONG ctrl = Ext->CtrlBase;
  ULONG i;

  if (Srb->SrbFlags & SRB_FLAGS_DISABLE_DISCONNECT) {
    ctrl &= ~HBA_CTRL_DISC_PRIV_MASK;
  }
  HbaCommonWriteCommand(&HbaBmIo, Ext, Srb->TargetId, Srb->Lun, Srb->Cdb, Srb->CdbLength,
                        x->Direction, x->Length);
  if (x->Length != 0) {
    for (i = 0; i < x->DescriptorCount; i++) {
      Ext->Table[i] = x->Descriptors[i];
    }
    HbaBmWrite(Ext, HBA_SG_ADDR_LO, (ULONG)Ext->TablePhysical);
    HbaBmWrite(Ext, HBA_SG_ADDR_HI, (ULONG)(Ext->TablePhysical >> 32));
  }
  HbaBmWrite(Ext, HBA_CTRL, ctrl);

  Ext->ActiveSrb = Srb;
  Ext->MessageSrb = NULL;
  Ext->Kind = HbaBmKindExecute;
  Ext->RequestedLength = x->Length;
  Ext->StartRefused = FALSE;
  Ext->WaitingForList = FALSE;
  Ext->LastDescriptorCount = x->Length != 0 ? x->DescriptorCount : 0;
  Ext->CommandsStarted++;
  HbaBmWrite(Ext, HBA_COMMAND, HBA_COMMAND_START_MASK);
}

static VOID HbaBmStartDeviceReset(PHBABM_DEVICE_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb) {
  Ext->ActiveSrb = Srb;
  Ext->MessageSrb = NULL;
  Ext->Kind = HbaBmKindDeviceReset;
  Ext->RequestedLength = 0;
  Ext->StartRefused = FALSE;
  Ext->CommandsStarted++;
  HbaBmWrite(Ext, HBA_TARGET, (ULONG)Srb->TargetId << HBA_TARGET_ID_SHIFT);
  HbaBmWrite(Ext, HBA_COMMAND, HBA_COMMAND_BDR_MASK);
}

static BOOLEAN HbaBmStartIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  UCHAR status;

  if (ext->Stopped || ext->Registers == NULL) {
    HbaBmRefuse(ext, Srb, SRB_STATUS_BUSY);
    return TRUE;
  }
  switch (Srb->Function) {
  case SRB_FUNCTION_EXECUTE_SCSI:
    if (ext->ActiveSrb != NULL) {
      HbaBmRefuse(ext, Srb, SRB_STATUS_BUSY);   /* one slot; the port retries */
    } else {
      HbaBmExecute(ext, Srb);
    }
    break;
  case SRB_FUNCTION_RESET_BUS:
    if (Srb->PathId != 0) {
      HbaBmRefuse(ext, Srb, SRB_STATUS_INVALID_PATH_ID);
    } else {
      HbaBmResetBus(ext, Srb->PathId);   /* completes this SRB with the others */
    }
    break;
  case SRB_FUNCTION_ABORT_COMMAND:
    if (ext->ActiveSrb == NULL || ext->Kind != HbaBmKindExecute || ext->WaitingForList ||
        Srb->NextSrb != ext->ActiveSrb || ext->MessageSrb != NULL) {
      HbaBmRefuse(ext, Srb, SRB_STATUS_ABORT_FAILED);   /* not running here */
    } else {
      ext->MessageSrb = Srb;   /* ATN, ABORT at the next MESSAGE OUT (guide section 5) */
      HbaBmWrite(ext, HBA_COMMAND, HBA_COMMAND_ABORT_MASK);
    }
    break;
  case SRB_FUNCTION_RESET_DEVICE:
    status = HbaBmCheckAddress(ext, Srb);
    if (status != SRB_STATUS_SUCCESS) {
      HbaBmRefuse(ext, Srb, status);
    } else if (ext->ActiveSrb != NULL) {
      HbaBmRefuse(ext, Srb, SRB_STATUS_BUSY);
    } else {
      HbaBmStartDeviceReset(ext, Srb);
    }
    break;
  default:
    HbaBmRefuse(ext, Srb, SRB_STATUS_INVALID_REQUEST);
    break;
  }
  return TRUE;
}

/* ---- HwStorInterrupt ----------------------------------------------------------------------- */

/* The active command ended with `Causes`. Completes what the slot owned. */
static VOID HbaBmCommandEnded(PHBABM_DEVICE_EXTENSION Ext, ULONG Causes, PBOOLEAN Reset) {
  PSCSI_REQUEST_BLOCK srb = Ext->ActiveSrb;
  PSCSI_REQUEST_BLOCK message = Ext->MessageSrb;
  ULONG ending = Causes & HBABM_ENDINGS;
  UCHAR status;

  if (ending & ~HBA_INT_STATUS_BUS_RESET_MASK) {
    ending &= ~HBA_INT_STATUS_BUS_RESET_MASK;   /* the command ended first */
    Causes &= ~HBA_INT_STATUS_BUS_RESET_MASK;
  }
  if (Ext->Kind == HbaBmKindExecute) {
    HBA_COMMAND_RESULT r;
    ULONG scsi = HbaBmRead(Ext, HBA_SCSI_STATUS);
    ULONG xferred = Ext->RequestedLength != 0 ? HbaBmRead(Ext, HBA_XFERRED) : 0;
    HbaCommonExecuteResult(Causes, scsi, xferred, Ext->RequestedLength, Ext->RequestedLength,
                           FALSE, &r);
    srb->DataTransferLength = r.Transferred;
    srb->ScsiStatus = r.ScsiStatus;
    status = r.SrbStatus;
    HbaBmLog(Ext, srb, r.Log);
  } else {
    status = HbaCommonDeviceResetStatus(Causes);
  }

  /* the guide's WATCHDOG recovery: a target still holding BSY needs a bus reset */
  if ((ending & HBA_INT_STATUS_WATCHDOG_MASK) &&
      (HbaBmRead(Ext, HBA_STATUS) & HBA_STATUS_BSY_SEEN_MASK)) {
    BOOLEAN done = HbaBmBusResetSync(Ext);
    HbaBmWrite(Ext, HBA_INT_STATUS, HBABM_ALL_CAUSES);
    if (!done) {
      StorPortLogError(Ext, NULL, 0, 0, 0, SP_INTERNAL_ADAPTER_ERROR, HBABM_LOG_RESET_TIMEOUT);
    }
    *Reset = TRUE;
  }

  Ext->MessageSrb = NULL;
  HbaBmCompleteActive(Ext, status);
  if (message != NULL) {
    /* ABORT: too late when the command completed normally; otherwise it is gone */
    HbaBmCompleteSrb(Ext, message, (ending & HBA_INT_STATUS_CMD_DONE_MASK)
                                       ? SRB_STATUS_ABORT_FAILED
                                       : SRB_STATUS_SUCCESS);
  }
}

/* START (or BDR) answered with REJECTED: the command never ran. Returns TRUE when the SRB was
 * completed (FALSE: a bus reset is under way and its BUS_RESET interrupt completes it). */
static BOOLEAN HbaBmStartRefused(PHBABM_DEVICE_EXTENSION Ext, ULONG Causes) {
  PSCSI_REQUEST_BLOCK srb = Ext->ActiveSrb;
  UCHAR srbStatus;

  if (Causes & HBA_INT_STATUS_BUS_RESET_MASK) {
    srbStatus = Ext->Kind == HbaBmKindExecute ? SRB_STATUS_BUS_RESET : SRB_STATUS_SUCCESS;
  } else {
    ULONG st = HbaBmRead(Ext, HBA_STATUS);
    ULONG seq = (st & HBA_STATUS_SEQ_STATE_MASK) >> HBA_STATUS_SEQ_STATE_SHIFT;
    if ((st & HBA_STATUS_RST_SEEN_MASK) || seq == HBABM_SEQ_RESET_ISSUE ||
        seq == HBABM_SEQ_RESET_WAIT ||
        (HbaBmRead(Ext, HBA_INT_STATUS) & HBA_INT_STATUS_BUS_RESET_MASK)) {
      return FALSE;
    }
    StorPortLogError(Ext, srb, srb->PathId, srb->TargetId, srb->Lun, SP_INTERNAL_ADAPTER_ERROR,
                     HBABM_LOG_REJECTED);
    srbStatus = (st & (HBA_STATUS_BUSY_MASK | HBA_STATUS_MOVER_BUSY_MASK)) ? SRB_STATUS_BUSY
                                                                           : SRB_STATUS_ERROR;
  }
  if (Ext->Kind == HbaBmKindExecute) {
    srb->DataTransferLength = 0;
    srb->ScsiStatus = SCSISTAT_GOOD;
  }
  HbaBmCompleteActive(Ext, srbStatus);
  return TRUE;
}

static BOOLEAN HbaBmInterrupt(PVOID DeviceExtension) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  ULONG causes;
  BOOLEAN reset;
  BOOLEAN freed = FALSE;

  if (ext->Registers == NULL) {
    return FALSE;
  }
  causes = HbaBmRead(ext, HBA_INT_STATUS) & HBABM_ALL_CAUSES;
  if (causes == 0) {
    ext->InterruptsNotOurs++;
    return FALSE;
  }
  HbaBmWrite(ext, HBA_INT_STATUS, causes);   /* w1c: drops the level */
  ext->Interrupts++;
  ext->LastCauses = causes;
  reset = (causes & HBA_INT_STATUS_BUS_RESET_MASK) != 0;
  if (causes & HBA_INT_STATUS_REJECTED_MASK) {
    ext->Rejected++;
  }
  if (ext->ActiveSrb != NULL && ext->WaitingForList) {
    /* not started (SgBuild, list to come): only a bus reset concerns it */
    if (causes & HBA_INT_STATUS_BUS_RESET_MASK) {
      PSCSI_REQUEST_BLOCK srb = ext->ActiveSrb;
      srb->DataTransferLength = 0;
      srb->ScsiStatus = SCSISTAT_GOOD;
      HbaBmSgRelease(ext, srb);
      HbaBmCompleteActive(ext, SRB_STATUS_BUS_RESET);
      freed = TRUE;
    }
  } else if (ext->ActiveSrb != NULL) {
    if ((causes & HBA_INT_STATUS_REJECTED_MASK) && ext->MessageSrb == NULL) {
      ext->StartRefused = TRUE;   /* the only write the HBA can refuse now is our START / BDR */
    }
    if (!ext->StartRefused) {
      if (causes & HBABM_ENDINGS) {
        HbaBmCommandEnded(ext, causes, &reset);
        freed = TRUE;
      }
    } else if (HbaBmStartRefused(ext, causes)) {
      freed = TRUE;
    }
  }
  if (reset) {
    ext->BusResetsDetected++;
    StorPortNotification(ResetDetected, ext);
  }
  if (freed && ext->ActiveSrb == NULL && ext->DoneSrb == NULL) {
    StorPortNotification(NextRequest, ext);   /* else SgDpc asks, after the completion */
  }
  return TRUE;
}

/* ---- HwStorResetBus ------------------------------------------------------------------------ */

static BOOLEAN HbaBmResetBus(PVOID DeviceExtension, ULONG PathId) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  BOOLEAN done;

  if (ext->Registers == NULL) {
    return FALSE;
  }
  HbaBmWrite(ext, HBA_INT_STATUS, HBABM_ALL_CAUSES);
  done = HbaBmBusResetSync(ext);
  HbaBmWrite(ext, HBA_INT_STATUS, HBABM_ALL_CAUSES);   /* the ISR never sees this reset */
  if (!done) {
    StorPortLogError(ext, NULL, (UCHAR)PathId, 0, 0, SP_INTERNAL_ADAPTER_ERROR,
                     HBABM_LOG_RESET_TIMEOUT);
  }
  if (ext->ActiveSrb != NULL && ext->Kind == HbaBmKindExecute) {
    /* the bytes that reached memory / the target before the reset (none when not started) */
    ULONG moved = ext->RequestedLength != 0 && !ext->WaitingForList
                      ? HbaBmRead(ext, HBA_XFERRED) : 0;
    ext->ActiveSrb->DataTransferLength = moved > ext->RequestedLength ? ext->RequestedLength
                                                                      : moved;
  }
  /* SgBuild: the SRBs complete now; their list is put later at DISPATCH_LEVEL */
  HbaBmSgRelease(ext, ext->ActiveSrb);
  if (ext->DoneSrb != NULL) {
    PSCSI_REQUEST_BLOCK done = ext->DoneSrb;
    ext->DoneSrb = NULL;   /* ended before the reset: its own status */
    HbaBmCompleteSrb(ext, done, ext->DoneStatus);
  }
  ext->ActiveSrb = NULL;
  ext->WaitingForList = FALSE;
  ext->MessageSrb = NULL;
  ext->StartRefused = FALSE;
  ext->RequestedLength = 0;
  StorPortCompleteRequest(ext, (UCHAR)PathId, SP_UNTAGGED, SP_UNTAGGED, SRB_STATUS_BUS_RESET);
  StorPortNotification(ResetDetected, ext);
  StorPortNotification(NextRequest, ext);
  return done;
}

/* ---- HwStorAdapterControl ------------------------------------------------------------------ */

static SCSI_ADAPTER_CONTROL_STATUS HbaBmAdapterControl(PVOID DeviceExtension,
                                                       SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                       PVOID Parameters) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;

  switch (ControlType) {
  case ScsiQuerySupportedControlTypes: {
    PSCSI_SUPPORTED_CONTROL_TYPE_LIST list = Parameters;
    ULONG t;
    for (t = 0; t < list->MaxControlType; t++) {
      list->SupportedTypeList[t] = (t == ScsiQuerySupportedControlTypes ||
                                    t == ScsiStopAdapter || t == ScsiRestartAdapter);
    }
    return ScsiAdapterControlSuccess;
  }
  case ScsiStopAdapter:
    /* the port has no request outstanding here; interrupts off, causes cleared */
    if (ext->Registers != NULL) {
      HbaBmWrite(ext, HBA_INT_ENABLE, 0);
      HbaBmWrite(ext, HBA_INT_STATUS, HBABM_ALL_CAUSES);
    }
    ext->Stopped = TRUE;
    return ScsiAdapterControlSuccess;
  case ScsiRestartAdapter:
    return HbaBmSetupHardware(ext) ? ScsiAdapterControlSuccess : ScsiAdapterControlUnsuccessful;
  default:
    return ScsiAdapterControlUnsuccessful;
  }
}

/* ---- SgBuild mode: the ExecutionRoutine and the DPC ------------------------------------------ */

/* At DIRQL (StorPortSynchronizeAccess from the ExecutionRoutine): the list of Ext->SgSrb has
 * arrived. Translates it; starts the HBA when HwStorStartIo has given the SRB the slot,
 * otherwise leaves it ready for HwStorStartIo. */
static BOOLEAN HbaBmSgStartSync(PVOID DeviceExtension, PVOID Context) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  PSCSI_REQUEST_BLOCK srb = ext->SgSrb;
  PHBABM_SRB_EXTENSION x;
  UCHAR status;

  UNREFERENCED_PARAMETER(Context);
  if (srb == NULL) {
    return FALSE;   /* completed meanwhile: the caller puts the list */
  }
  x = srb->SrbExtension;
  ext->LastSgElements = ext->SgList->NumberOfElements;
  status = HbaBmTranslate(ext, ext->SgList, x->Length, x);
  if (ext->ActiveSrb != srb || !ext->WaitingForList) {
    x->BuildStatus = status;   /* HwStorStartIo has not run: it starts or refuses the SRB */
    x->SgReady = TRUE;
    return TRUE;
  }
  if (status != SRB_STATUS_SUCCESS) {
    srb->DataTransferLength = 0;
    HbaBmCompleteActive(ext, status);   /* deferred to SgDpc: the list is put first */
    return TRUE;
  }
  HbaBmStart(ext, srb);
  return TRUE;
}

/* StorPortBuildScatterGatherList's ExecutionRoutine, at DISPATCH_LEVEL; Context is the device
 * extension (the SRB may have been completed before the list arrived). */
static VOID HbaBmSgExecute(PVOID *DeviceObject, PVOID *Irp, PSTOR_SCATTER_GATHER_LIST List,
                           PVOID Context) {
  PHBABM_DEVICE_EXTENSION ext = Context;

  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Irp);
  ext->SgList = List;
  ext->SgState = HbaBmSgLive;
  if (ext->SgSrb == NULL) {
    ext->SgOrphans++;
    HbaBmSgPut(ext);
    return;
  }
  StorPortSynchronizeAccess(ext, HbaBmSgStartSync, NULL);
}

/* At DIRQL: completes the SRB whose list SgDpc has just put, and asks for the next one. */
static BOOLEAN HbaBmSgDoneSync(PVOID DeviceExtension, PVOID Context) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;
  PSCSI_REQUEST_BLOCK srb = ext->DoneSrb;

  UNREFERENCED_PARAMETER(Context);
  if (srb != NULL) {
    ext->DoneSrb = NULL;
    HbaBmCompleteSrb(ext, srb, ext->DoneStatus);
    if (ext->ActiveSrb == NULL) {
      StorPortNotification(NextRequest, ext);
    }
  }
  return TRUE;
}

/* The miniport DPC, at DISPATCH_LEVEL: puts a list no SRB owns any more (the one of the command
 * that ended: the HAL copies bounced bytes back here), then completes that SRB. */
static VOID HbaBmSgDpc(PSTOR_DPC Dpc, PVOID DeviceExtension, PVOID SystemArgument1,
                       PVOID SystemArgument2) {
  PHBABM_DEVICE_EXTENSION ext = DeviceExtension;

  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  HbaBmSgPut(ext);
  StorPortSynchronizeAccess(ext, HbaBmSgDoneSync, NULL);
}
