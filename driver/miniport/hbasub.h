/* hbasub: the SCSI Port miniport for the hbasim HBA in subordinate mode -- the HBA's data go
 * through the system DMA controller (sysdma channel 5 in soc_top), programmed by the port
 * driver through ScsiPortIoMapTransfer / the HAL, never by the miniport. docs/miniport.md has
 * the design, the SRB_STATUS table and the choices the documentation leaves open.
 *
 * The public surface is the driver entry; the device extension is declared here so that tests
 * and diagnostics can read the miniport's per-HBA state (read only: the miniport owns it). */
#ifndef HBASIM_HBASUB_H
#define HBASIM_HBASUB_H

#include "hba_common.h"
#include "miniport.h"
#include "srb.h"

/* DriverEntry of the miniport: fills HW_INITIALIZATION_DATA and returns ScsiPortInitialize's
 * result (an NTSTATUS as ULONG). */
ULONG HbaSubDriverEntry(PVOID DriverObject, PVOID RegistryPath);

/* ArgumentString keywords HwScsiFindAdapter understands (case-insensitive, separated by
 * blanks, commas or semicolons; values decimal or 0x-hex, in HBA clock cycles):
 *   SelTimeout=<n>  written to the HBA's SEL_TIMEOUT at HwScsiInitialize (default: untouched,
 *                   12 500 000 = 250 ms)
 *   Watchdog=<n>    written to WATCHDOG (default untouched, 500 ms; 0 disables the watchdog)
 * Unknown keywords are ignored, as a miniport ignores registry parameters it does not know.
 * The parser is hba_common's, shared with hbabm. */
#define HBASUB_ARG_SEL_TIMEOUT HBA_ARG_SEL_TIMEOUT
#define HBASUB_ARG_WATCHDOG HBA_ARG_WATCHDOG

/* Bytes one 8237 programming can move: the HBA's subordinate mover ends a command at TC, so
 * a command is one ScsiPortIoMapTransfer and these are MaximumTransferLength. */
#define HBASUB_MAX_TRANSFER_BYTE_CHANNEL (64u * 1024u)
#define HBASUB_MAX_TRANSFER_WORD_CHANNEL (128u * 1024u)

/* What the HBA's single command slot is doing. */
typedef enum _HBASUB_STATE {
  HbaSubIdle,        /* no command: the port may send the next request */
  HbaSubDmaPending,  /* ScsiPortIoMapTransfer called, HwScsiDmaStarted not yet: not started */
  HbaSubRunning      /* START (or BDR) written: the HBA owes an ending interrupt */
} HBASUB_STATE;

/* What the active slot holds. */
typedef enum _HBASUB_KIND {
  HbaSubKindExecute,     /* SRB_FUNCTION_EXECUTE_SCSI */
  HbaSubKindDeviceReset  /* SRB_FUNCTION_RESET_DEVICE as a command of its own (COMMAND.BDR) */
} HBASUB_KIND;

typedef struct _HBASUB_DEVICE_EXTENSION {
  /* configuration (HwScsiFindAdapter) */
  PUCHAR Registers;            /* ScsiPortGetDeviceBase of AccessRanges[0]: only ever passed to
                                  ScsiPortRead/WriteRegisterUlong */
  ULONG RegisterLength;
  ULONG DmaChannel;
  BOOLEAN WordChannel;         /* channels 5-7: 16-bit transfers, even address and length */
  UCHAR InitiatorId;
  ULONG MaximumTransfer;
  HBA_ARGUMENTS Args;          /* the ArgumentString, parsed (SelTimeout, Watchdog) */
  ULONG CtrlBase;              /* CTRL as HwScsiInitialize writes it (ENABLE, PARITY_CHECK,
                                  DISC_PRIV, INIT_ID, MOVER SUBORDINATE) */

  /* the command slot */
  HBASUB_STATE State;
  HBASUB_KIND Kind;
  PSCSI_REQUEST_BLOCK ActiveSrb;   /* the SRB the slot belongs to, NULL when idle */
  PSCSI_REQUEST_BLOCK MessageSrb;  /* ABORT_COMMAND / RESET_DEVICE riding on ActiveSrb's
                                      command (COMMAND.ABORT / BDR written while it ran) */
  BOOLEAN DmaMapped;           /* ScsiPortIoMapTransfer called and ScsiPortFlushDma not yet */
  BOOLEAN StartRefused;        /* the HBA answered our START / BDR with REJECTED: the command
                                  never ran (a bus reset was under way) */
  ULONG RequestedLength;       /* XFER_LEN of the active command (0 without data) */
  ULONG SrbLength;             /* the bytes the SRB asked for (RequestedLength, or one more
                                  for an odd DATA IN on a word channel) */

  /* HwScsiAdapterState(SaveState TRUE) snapshot, restored with SaveState FALSE */
  BOOLEAN StateSaved;
  ULONG SavedCtrl, SavedIntEnable, SavedSelTimeout, SavedWatchdog;

  /* diagnostics */
  ULONG LastCauses;            /* INT_STATUS of the last interrupt that was ours */
  ULONG Interrupts;            /* HwScsiInterrupt calls that found a cause */
  ULONG InterruptsNotOurs;     /* calls that found none (returned FALSE) */
  ULONG CommandsStarted;       /* COMMAND.START / BDR written */
  ULONG DmaStartedCalls;
  ULONG DmaStartedIgnored;     /* HwScsiDmaStarted with nothing pending */
  ULONG BusResetsIssued;       /* COMMAND.BUS_RESET written by the miniport */
  ULONG BusResetsDetected;     /* BUS_RESET causes seen by the ISR (ResetDetected sent) */
  ULONG Rejected;              /* INT_STATUS.REJECTED seen */
} HBASUB_DEVICE_EXTENSION, *PHBASUB_DEVICE_EXTENSION;

#endif
