/* hba_common: the parts of the hbasim HBA's miniports that do not depend on the port driver --
 * the mapping of a command's ending (INT_STATUS, SCSI_STATUS, XFERRED) to SRB_STATUS_ /
 * ScsiStatus / DataTransferLength, and the ArgumentString keywords. Shared by hbasub (SCSI
 * Port, srb.h) and hbabm (Storport, storport.h); this header therefore uses only ntdef.h types,
 * so that either flavour of the DDK headers can be included next to it. The SRB_STATUS_ and
 * SP_ values it returns are srb.h's (the part both port drivers share). docs/miniport.md,
 * "Completion", is the table. */
#ifndef HBASIM_HBA_COMMON_H
#define HBASIM_HBA_COMMON_H

#include "ntdef.h"

/* ArgumentString keywords (case-insensitive, separated by blanks, commas or semicolons;
 * values decimal or 0x-hex, in HBA clock cycles). Unknown keywords are skipped. */
#define HBA_ARG_SEL_TIMEOUT "SelTimeout"
#define HBA_ARG_WATCHDOG "Watchdog"
/* hbabm only (hbasub parses and ignores it): SgBuild=1 builds each SRB's scatter/gather list
 * with StorPortBuildScatterGatherList (docs/miniport.md, "SgBuild mode"); 0 = the port's list */
#define HBA_ARG_SG_BUILD "SgBuild"

typedef struct _HBA_ARGUMENTS {
  ULONG SelTimeout;     /* valid when SelTimeoutSet */
  ULONG Watchdog;       /* valid when WatchdogSet */
  BOOLEAN SelTimeoutSet;
  BOOLEAN WatchdogSet;
  ULONG SgBuild;        /* SgBuild=<n> (0 when absent) */
  ULONG Ignored;        /* keywords not understood (or with a bad value) */
} HBA_ARGUMENTS, *PHBA_ARGUMENTS;

/* Fills *Args (zeroed first) from ArgumentString (NULL: nothing set). */
VOID HbaCommonParseArguments(const CHAR *ArgumentString, PHBA_ARGUMENTS Args);

/* How a miniport reaches the HBA: its port's register routines on its device base, and its
 * port's stall routine. Ext is the miniport's device extension, passed back unchanged. */
typedef struct _HBA_IO_OPS {
  ULONG (*Read)(PVOID Ext, ULONG Offset);
  VOID (*Write)(PVOID Ext, ULONG Offset, ULONG Value);
  VOID (*Stall)(ULONG Microseconds);
} HBA_IO_OPS, *PHBA_IO_OPS;

/* COMMAND.BUS_RESET (a stale INT_STATUS.BUS_RESET cleared first), then polls
 * INT_STATUS.BUS_RESET every 5 us for 10 x RESET_WIDTH (at least 1250 cycles) at 50 cycles/us
 * + 200 us. Counts the reset in *ResetsIssued. Leaves the causes set: the caller clears them.
 * TRUE when the reset finished. */
BOOLEAN HbaCommonBusResetSync(const HBA_IO_OPS *Io, PVOID Ext, PULONG ResetsIssued);

/* HwInitialize's programming: INT_ENABLE 0; a command left running (STATUS.BUSY) ended by a
 * bus reset (FALSE when that reset never finished: the caller logs it); CTRL = Ctrl;
 * SEL_TIMEOUT / WATCHDOG when set; every cause cleared and enabled (AllCauses). */
BOOLEAN HbaCommonProgram(const HBA_IO_OPS *Io, PVOID Ext, ULONG Ctrl, const HBA_ARGUMENTS *Args,
                         ULONG AllCauses, PULONG ResetsIssued);

/* A command's registers: TARGET (ID, LUN), CDB0-3 (Cdb packed little-endian), CMD_CFG (Dir,
 * CdbLength), XFER_LEN. The caller adds its mover's registers, CTRL and COMMAND.START. */
VOID HbaCommonWriteCommand(const HBA_IO_OPS *Io, PVOID Ext, UCHAR TargetId, UCHAR Lun,
                           const UCHAR *Cdb, UCHAR CdbLength, ULONG Dir, ULONG Length);

/* What a miniport should log (its StorPort/ScsiPortLogError) for a command's ending. */
typedef enum _HBA_LOG_KIND {
  HbaLogNone,
  HbaLogParity,     /* SP_BUS_PARITY_ERROR */
  HbaLogNoStatus,   /* SP_PROTOCOL_ERROR: COMMAND COMPLETE without a STATUS phase */
  HbaLogMover,      /* SP_INTERNAL_ADAPTER_ERROR: UNDERRUN / DMA_ERR / SG_ERR */
  HbaLogUnexpFree,  /* SP_UNEXPECTED_DISCONNECT */
  HbaLogWatchdog    /* SP_REQUEST_TIMEOUT */
} HBA_LOG_KIND;

/* The SP_ error code (srb.h) of a log kind; 0 for HbaLogNone. */
ULONG HbaCommonLogErrorCode(HBA_LOG_KIND Kind);

/* The result of an EXECUTE_SCSI command's ending. */
typedef struct _HBA_COMMAND_RESULT {
  UCHAR SrbStatus;      /* SRB_STATUS_* */
  UCHAR ScsiStatus;     /* SCSI_STATUS.BYTE when VALID, else 0 (GOOD) */
  ULONG Transferred;    /* XFERRED, at most RequestedLength (0 when no data were asked) */
  HBA_LOG_KIND Log;
} HBA_COMMAND_RESULT, *PHBA_COMMAND_RESULT;

/* Maps the ending of an EXECUTE_SCSI command.
 *   Causes           INT_STATUS as read by the ISR (one ending cause and its qualifiers; a
 *                    BUS_RESET seen with another ending belongs to the bus, not the command)
 *   ScsiStatusReg    SCSI_STATUS
 *   Xferred          XFERRED (only read when RequestedLength != 0; pass 0 otherwise)
 *   RequestedLength  XFER_LEN of the command (0 without data)
 *   ExpectedLength   the bytes the SRB asked for (>= RequestedLength): fewer moved is a short
 *                    transfer (DATA_OVERRUN)
 *   DeviceResetSent  a BUS DEVICE RESET rode on the command (ABORTED means BUS_RESET then)
 * ABORTED with DMA_ERR or SG_ERR (the bus-master mover failed on DATA OUT and the HBA aborted
 * the command itself) is SRB_STATUS_ERROR, as the same failure on DATA IN; any other ABORTED
 * (our ABORT, the HBA's own after an overrun / underrun) is SRB_STATUS_ABORTED. */
VOID HbaCommonExecuteResult(ULONG Causes, ULONG ScsiStatusReg, ULONG Xferred,
                            ULONG RequestedLength, ULONG ExpectedLength,
                            BOOLEAN DeviceResetSent, PHBA_COMMAND_RESULT Result);

/* The SRB_STATUS of a BUS DEVICE RESET sent as a command of its own. */
UCHAR HbaCommonDeviceResetStatus(ULONG Causes);

#endif
