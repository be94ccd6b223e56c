/* hba_common: port-independent parts of the hbasim HBA miniports (hba_common.h). This
 * translation unit includes the SCSI Port flavour of srb.h for the SRB_STATUS_ and SP_ values,
 * which are the same under Storport (the shared part of srb.h). */
#include "hba_common.h"

#include "hba_regs.h"
#include "miniport.h"
#include "scsi.h"
#include "srb.h"

/* the ending causes (programmers_guide.md section 4) */
#define HBA_COMMON_ENDINGS                                                                \
  (HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SEL_TIMEOUT_MASK |                       \
   HBA_INT_STATUS_BUS_RESET_MASK | HBA_INT_STATUS_WATCHDOG_MASK | HBA_INT_STATUS_ABORTED_MASK | \
   HBA_INT_STATUS_UNEXP_FREE_MASK)

/* ---- ArgumentString ----------------------------------------------------------------------- */

static CHAR HbaCommonLower(CHAR c) {
  return (c >= 'A' && c <= 'Z') ? (CHAR)(c - 'A' + 'a') : c;
}

static BOOLEAN HbaCommonIsSeparator(CHAR c) {
  return c == ' ' || c == '\t' || c == ',' || c == ';';
}

/* TRUE when the keyword at *Cursor is Key followed by '='; then *Cursor is past the '='. */
static BOOLEAN HbaCommonMatchKey(const CHAR **Cursor, const CHAR *Key) {
  const CHAR *p = *Cursor;
  while (*Key != '\0') {
    if (HbaCommonLower(*p) != HbaCommonLower(*Key)) {
      return FALSE;
    }
    p++;
    Key++;
  }
  if (*p != '=') {
    return FALSE;
  }
  *Cursor = p + 1;
  return TRUE;
}

/* Decimal or 0x-hex up to a separator or the end; FALSE when no digit, a stray character or
 * overflow. */
static BOOLEAN HbaCommonParseUlong(const CHAR *p, PULONG Value) {
  ULONG base = 10;
  ULONG v = 0;
  BOOLEAN any = FALSE;

  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
  }
  for (;; p++) {
    CHAR c = HbaCommonLower(*p);
    ULONG d;
    if (c >= '0' && c <= '9') {
      d = (ULONG)(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = (ULONG)(c - 'a' + 10);
    } else {
      break;
    }
    if (v > (0xFFFFFFFFu - d) / base) {
      return FALSE;
    }
    v = v * base + d;
    any = TRUE;
  }
  if (!any || !(*p == '\0' || HbaCommonIsSeparator(*p))) {
    return FALSE;
  }
  *Value = v;
  return TRUE;
}

VOID HbaCommonParseArguments(const CHAR *ArgumentString, PHBA_ARGUMENTS Args) {
  const CHAR *p = ArgumentString;
  ULONG value;

  Args->SelTimeout = 0;
  Args->Watchdog = 0;
  Args->SelTimeoutSet = FALSE;
  Args->WatchdogSet = FALSE;
  Args->SgBuild = 0;
  Args->Ignored = 0;
  if (p == NULL) {
    return;
  }
  while (*p != '\0') {
    if (HbaCommonIsSeparator(*p)) {
      p++;
      continue;
    }
    if (HbaCommonMatchKey(&p, HBA_ARG_SEL_TIMEOUT) && HbaCommonParseUlong(p, &value)) {
      Args->SelTimeout = value;
      Args->SelTimeoutSet = TRUE;
    } else if (HbaCommonMatchKey(&p, HBA_ARG_WATCHDOG) && HbaCommonParseUlong(p, &value)) {
      Args->Watchdog = value;
      Args->WatchdogSet = TRUE;
    } else if (HbaCommonMatchKey(&p, HBA_ARG_SG_BUILD) && HbaCommonParseUlong(p, &value)) {
      Args->SgBuild = value;
    } else {
      Args->Ignored++;
    }
    while (*p != '\0' && !HbaCommonIsSeparator(*p)) {
      p++;
    }
  }
}

/* ---- endings -------------------------------------------------------------------------------- */

ULONG HbaCommonLogErrorCode(HBA_LOG_KIND Kind) {
  switch (Kind) {
  case HbaLogParity:
    return SP_BUS_PARITY_ERROR;
  case HbaLogNoStatus:
    return SP_PROTOCOL_ERROR;
  case HbaLogMover:
    return SP_INTERNAL_ADAPTER_ERROR;
  case HbaLogUnexpFree:
    return SP_UNEXPECTED_DISCONNECT;
  case HbaLogWatchdog:
    return SP_REQUEST_TIMEOUT;
  case HbaLogNone:
  default:
    return 0;
  }
}

static BOOLEAN HbaCommonIsGoodStatus(ULONG ScsiStatus) {
  return ScsiStatus == SCSISTAT_GOOD || ScsiStatus == SCSISTAT_CONDITION_MET ||
         ScsiStatus == SCSISTAT_INTERMEDIATE || ScsiStatus == SCSISTAT_INTERMEDIATE_COND_MET;
}

static UCHAR HbaCommonDoneStatus(ULONG Causes, ULONG StatusByte, BOOLEAN StatusValid,
                                 ULONG Transferred, ULONG ExpectedLength,
                                 HBA_LOG_KIND *Log) {
  if (Causes & HBA_INT_STATUS_PARITY_ERR_MASK) {
    /* a byte (data, status or message) came with bad parity: none of it can be trusted */
    *Log = HbaLogParity;
    return SRB_STATUS_PARITY_ERROR;
  }
  if (!StatusValid) {
    *Log = HbaLogNoStatus;
    return SRB_STATUS_PHASE_SEQUENCE_FAILURE;   /* COMMAND COMPLETE without a STATUS phase */
  }
  if (HbaCommonIsGoodStatus(StatusByte)) {
    if (Causes & (HBA_INT_STATUS_UNDERRUN_MASK | HBA_INT_STATUS_DMA_ERR_MASK |
                  HBA_INT_STATUS_SG_ERR_MASK)) {
      /* the mover failed (8237 TC or starvation; a bus-master AXI error or malformed list)
       * while the target still moved data: the data are incomplete or the list is broken --
       * a host DMA failure, never a short transfer */
      *Log = HbaLogMover;
      return SRB_STATUS_ERROR;
    }
    if ((Causes & (HBA_INT_STATUS_OVERRUN_MASK | HBA_INT_STATUS_SHORT_MASK)) != 0 ||
        Transferred < ExpectedLength) {
      return SRB_STATUS_DATA_OVERRUN;   /* over- or underrun: DataTransferLength says what
                                           moved */
    }
    return SRB_STATUS_SUCCESS;
  }
  switch (StatusByte) {
  case SCSISTAT_BUSY:
  case SCSISTAT_QUEUE_FULL:
    return SRB_STATUS_BUSY;
  default:
    /* CHECK CONDITION (the port fetches the sense), RESERVATION CONFLICT, COMMAND TERMINATED,
     * anything else: ScsiStatus carries the byte */
    return SRB_STATUS_ERROR;
  }
}

VOID HbaCommonExecuteResult(ULONG Causes, ULONG ScsiStatusReg, ULONG Xferred,
                            ULONG RequestedLength, ULONG ExpectedLength,
                            BOOLEAN DeviceResetSent, PHBA_COMMAND_RESULT Result) {
  ULONG statusByte = (ScsiStatusReg & HBA_SCSI_STATUS_BYTE_MASK) >> HBA_SCSI_STATUS_BYTE_SHIFT;
  BOOLEAN statusValid = (ScsiStatusReg & HBA_SCSI_STATUS_VALID_MASK) != 0;

  /* a command that ended with another cause was over before any reset seen with it */
  if (Causes & HBA_COMMON_ENDINGS & ~HBA_INT_STATUS_BUS_RESET_MASK) {
    Causes &= ~HBA_INT_STATUS_BUS_RESET_MASK;
  }
  Result->Transferred = RequestedLength == 0 ? 0 : (Xferred > RequestedLength ? RequestedLength
                                                                               : Xferred);
  Result->ScsiStatus = statusValid ? (UCHAR)statusByte : SCSISTAT_GOOD;
  Result->Log = HbaLogNone;

  if (Causes & HBA_INT_STATUS_CMD_DONE_MASK) {
    Result->SrbStatus = HbaCommonDoneStatus(Causes, statusByte, statusValid, Result->Transferred,
                                            ExpectedLength, &Result->Log);
  } else if (Causes & HBA_INT_STATUS_SEL_TIMEOUT_MASK) {
    Result->SrbStatus = SRB_STATUS_SELECTION_TIMEOUT;
  } else if (Causes & HBA_INT_STATUS_ABORTED_MASK) {
    /* killed by the BUS DEVICE RESET we sent; a bus-master failure on DATA OUT (the HBA pads,
     * raises ATN and sends ABORT itself): a host DMA failure, SRB_STATUS_ERROR as on DATA IN;
     * otherwise our ABORT, or the HBA's own after an overrun / underrun on DATA OUT: the
     * command did not complete at the target */
    if (DeviceResetSent) {
      Result->SrbStatus = SRB_STATUS_BUS_RESET;
    } else if (Causes & (HBA_INT_STATUS_DMA_ERR_MASK | HBA_INT_STATUS_SG_ERR_MASK)) {
      Result->Log = HbaLogMover;
      Result->SrbStatus = SRB_STATUS_ERROR;
    } else {
      Result->SrbStatus = SRB_STATUS_ABORTED;
    }
  } else if (Causes & HBA_INT_STATUS_UNEXP_FREE_MASK) {
    Result->Log = HbaLogUnexpFree;
    Result->SrbStatus = SRB_STATUS_UNEXPECTED_BUS_FREE;
  } else if (Causes & HBA_INT_STATUS_WATCHDOG_MASK) {
    Result->Log = HbaLogWatchdog;
    Result->SrbStatus = SRB_STATUS_COMMAND_TIMEOUT;
  } else {
    Result->SrbStatus = SRB_STATUS_BUS_RESET;   /* HBA_INT_STATUS_BUS_RESET */
  }
}

UCHAR HbaCommonDeviceResetStatus(ULONG Causes) {
  if (Causes & (HBA_INT_STATUS_ABORTED_MASK | HBA_INT_STATUS_CMD_DONE_MASK)) {
    return SRB_STATUS_SUCCESS;   /* the message went out and the target went bus free */
  }
  if (Causes & HBA_INT_STATUS_SEL_TIMEOUT_MASK) {
    return SRB_STATUS_SELECTION_TIMEOUT;
  }
  if (Causes & HBA_INT_STATUS_BUS_RESET_MASK) {
    return SRB_STATUS_SUCCESS;   /* a bus reset resets the device too */
  }
  if (Causes & HBA_INT_STATUS_WATCHDOG_MASK) {
    return SRB_STATUS_COMMAND_TIMEOUT;
  }
  return SRB_STATUS_UNEXPECTED_BUS_FREE;
}

/* ---- register sequences both miniports use -------------------------------------------------- */

/* Bus reset polling. RESET_WIDTH is in HBA clock cycles (50 per microsecond at the documented
 * 50 MHz); the wait allows ten times the programmed width plus slack for the synchronizer and
 * the APB reads, so a slower clock still fits. */
#define HBA_COMMON_CYCLES_PER_US 50u
#define HBA_COMMON_MIN_RESET_WIDTH 1250u   /* the HBA widens smaller RESET_WIDTH values */
#define HBA_COMMON_RESET_POLL_US 5u
#define HBA_COMMON_RESET_SLACK_US 200u

BOOLEAN HbaCommonBusResetSync(const HBA_IO_OPS *Io, PVOID Ext, PULONG ResetsIssued) {
  ULONG width = Io->Read(Ext, HBA_RESET_WIDTH);
  ULONG boundUs;
  ULONG waitedUs;

  if (width < HBA_COMMON_MIN_RESET_WIDTH) {
    width = HBA_COMMON_MIN_RESET_WIDTH;
  }
  boundUs = (width / HBA_COMMON_CYCLES_PER_US) * 10u + HBA_COMMON_RESET_SLACK_US;
  Io->Write(Ext, HBA_INT_STATUS, HBA_INT_STATUS_BUS_RESET_MASK);   /* a stale one must not
                                                                       end the wait early */
  Io->Write(Ext, HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK);
  (*ResetsIssued)++;
  for (waitedUs = 0;; waitedUs += HBA_COMMON_RESET_POLL_US) {
    if (Io->Read(Ext, HBA_INT_STATUS) & HBA_INT_STATUS_BUS_RESET_MASK) {
      return TRUE;
    }
    if (waitedUs >= boundUs) {
      return FALSE;
    }
    Io->Stall(HBA_COMMON_RESET_POLL_US);
  }
}

BOOLEAN HbaCommonProgram(const HBA_IO_OPS *Io, PVOID Ext, ULONG Ctrl, const HBA_ARGUMENTS *Args,
                         ULONG AllCauses, PULONG ResetsIssued) {
  Io->Write(Ext, HBA_INT_ENABLE, 0);
  /* the registers are used live: a command left running (by a previous owner) is ended by a
   * bus reset before anything is reprogrammed */
  if ((Io->Read(Ext, HBA_STATUS) & HBA_STATUS_BUSY_MASK) &&
      !HbaCommonBusResetSync(Io, Ext, ResetsIssued)) {
    return FALSE;
  }
  Io->Write(Ext, HBA_CTRL, Ctrl);
  /* the timing registers keep their SCSI-2 defaults unless ArgumentString set them */
  if (Args->SelTimeoutSet) {
    Io->Write(Ext, HBA_SEL_TIMEOUT, Args->SelTimeout);
  }
  if (Args->WatchdogSet) {
    Io->Write(Ext, HBA_WATCHDOG, Args->Watchdog);
  }
  Io->Write(Ext, HBA_INT_STATUS, AllCauses);
  Io->Write(Ext, HBA_INT_ENABLE, AllCauses);
  return TRUE;
}

VOID HbaCommonWriteCommand(const HBA_IO_OPS *Io, PVOID Ext, UCHAR TargetId, UCHAR Lun,
                           const UCHAR *Cdb, UCHAR CdbLength, ULONG Dir, ULONG Length) {
  ULONG cdb[4] = {0, 0, 0, 0};
  ULONG i;

  for (i = 0; i < CdbLength && i < 16u; i++) {
    cdb[i / 4] |= (ULONG)Cdb[i] << (8 * (i % 4));
  }
  Io->Write(Ext, HBA_TARGET, ((ULONG)Lun << HBA_TARGET_LUN_SHIFT) |
                                 ((ULONG)TargetId << HBA_TARGET_ID_SHIFT));
  for (i = 0; i < 4; i++) {
    Io->Write(Ext, HBA_CDB0 + 4 * i, cdb[i]);
  }
  Io->Write(Ext, HBA_CMD_CFG, (Dir << HBA_CMD_CFG_DIR_SHIFT) | CdbLength);
  Io->Write(Ext, HBA_XFER_LEN, Length);
}
