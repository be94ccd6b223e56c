/* hbabm: the Storport miniport for the hbasim HBA in bus-master mode -- the HBA's scatter/gather
 * engine (docs/hba/sgdma.md) walks a descriptor list in host memory and moves the data itself;
 * the port driver (driver/storport/) builds each SRB's STOR_SCATTER_GATHER_LIST, the miniport
 * translates it into the HBA's 16-byte descriptors. docs/miniport.md, "hbabm", has the design,
 * the configuration and the SRB_STATUS table.
 *
 * The public surface is the driver entry; the device extension is declared here so that tests
 * and diagnostics can read the miniport's per-HBA state (read only: the miniport owns it).
 * Include storport.h (never srb.h / miniport.h's SCSI Port flavour) before this header's users
 * need SCSI_REQUEST_BLOCK. */
#ifndef HBASIM_HBABM_H
#define HBASIM_HBABM_H

#include "storport.h"
#include "hba_common.h"

/* DriverEntry of the miniport: fills Storport's HW_INITIALIZATION_DATA and returns
 * StorPortInitialize's result (an NTSTATUS as ULONG). */
ULONG HbaBmDriverEntry(PVOID DriverObject, PVOID RegistryPath);

/* ArgumentString keywords: hba_common.h's (SelTimeout=<n>, Watchdog=<n>, HBA clock cycles,
 * written at HwStorInitialize; SgBuild=1: the lists come from StorPortBuildScatterGatherList,
 * docs/miniport.md "SgBuild mode"); unknown keywords are ignored. */

/* MaximumTransferLength; with the data at any byte offset such a transfer spans
 * HBABM_MAX_TRANSFER / PAGE_SIZE + 1 pages, which is the descriptor table's size. */
#define HBABM_MAX_TRANSFER (1024u * 1024u)
#define HBABM_MAX_DESCRIPTORS (HBABM_MAX_TRANSFER / 4096u + 1u)   /* 257 */
/* the descriptor length field's limit (sgdma.md: 1 .. 2^24) */
#define HBABM_MAX_ELEMENT_LENGTH 0x01000000u

/* the HBA's descriptor (sgdma.md "Descriptor format"), little-endian */
typedef struct _HBABM_DESCRIPTOR {
  ULONG AddressLow;
  ULONG AddressHigh;
  ULONG Length;
  ULONG Flags;       /* HBABM_DESC_EOL, HBABM_DESC_CHAIN */
} HBABM_DESCRIPTOR, *PHBABM_DESCRIPTOR;

#define HBABM_DESC_EOL 0x1u
#define HBABM_DESC_CHAIN 0x2u

_Static_assert(sizeof(HBABM_DESCRIPTOR) == 16, "HBA descriptor is 16 bytes");

/* SgBuild mode: the bytes of a STOR_SCATTER_GATHER_LIST of n elements; the first try builds
 * into a buffer for HBABM_SG_SMALL_ELEMENTS, a STOR_STATUS_BUFFER_TOO_SMALL retries into one
 * for HBABM_MAX_DESCRIPTORS */
#define HBABM_SG_LIST_BYTES(n) \
  (sizeof(STOR_SCATTER_GATHER_LIST) + (n) * sizeof(STOR_SCATTER_GATHER_ELEMENT))
#define HBABM_SG_SMALL_ELEMENTS 16u

/* SgBuild mode: where the adapter's one StorPortBuildScatterGatherList list is */
typedef enum _HBABM_SG_STATE {
  HbaBmSgIdle,       /* no list */
  HbaBmSgBuilding,   /* built or being built; the ExecutionRoutine has not run yet */
  HbaBmSgLive        /* delivered to the ExecutionRoutine, not put yet */
} HBABM_SG_STATE;

/* Per-SRB state, in the SRB extension. HwStorBuildIo (no lock) fills it from the port's list;
 * HwStorStartIo copies Descriptors into the adapter's one table (uncached extension). */
typedef struct _HBABM_SRB_EXTENSION {
  UCHAR BuildStatus;        /* SRB_STATUS_SUCCESS, or why HwStorStartIo refuses the SRB */
  UCHAR Direction;          /* HBA_CMD_CFG_DIR_* */
  ULONG Length;             /* XFER_LEN (0 without data) */
  ULONG DescriptorCount;
  BOOLEAN SgBuilt;          /* SgBuild mode: StorPortBuildScatterGatherList accepted this SRB's
                               list; the ExecutionRoutine translates it and starts the HBA */
  BOOLEAN SgReady;          /* ... the ExecutionRoutine ran before HwStorStartIo */
  HBABM_DESCRIPTOR Descriptors[HBABM_MAX_DESCRIPTORS];
} HBABM_SRB_EXTENSION, *PHBABM_SRB_EXTENSION;

/* What the HBA's single command slot holds. */
typedef enum _HBABM_KIND {
  HbaBmKindExecute,       /* SRB_FUNCTION_EXECUTE_SCSI */
  HbaBmKindDeviceReset    /* SRB_FUNCTION_RESET_DEVICE as a command of its own (COMMAND.BDR) */
} HBABM_KIND;

typedef struct _HBABM_DEVICE_EXTENSION {
  /* configuration (HwStorFindAdapter) */
  PUCHAR Registers;              /* StorPortGetDeviceBase of AccessRanges[0]: only passed to
                                    StorPortRead/WriteRegisterUlong */
  ULONG RegisterLength;
  UCHAR InitiatorId;
  HBA_ARGUMENTS Args;            /* the ArgumentString, parsed (SelTimeout, Watchdog, SgBuild) */
  ULONG ArgumentsIgnored;        /* ArgumentString keywords not understood */
  ULONG CtrlBase;                /* CTRL: ENABLE, PARITY_CHECK, DISC_PRIV, INIT_ID,
                                    MOVER BUS_MASTER */
  PHBABM_DESCRIPTOR Table;       /* HBABM_MAX_DESCRIPTORS descriptors, 16-byte aligned, in the
                                    uncached extension */
  ULONGLONG TablePhysical;       /* its bus address (below 4 GiB) */
  BOOLEAN Stopped;               /* ScsiStopAdapter until ScsiRestartAdapter */

  /* the command slot */
  PSCSI_REQUEST_BLOCK ActiveSrb; /* NULL when idle */
  PSCSI_REQUEST_BLOCK MessageSrb;/* ABORT_COMMAND riding on ActiveSrb (COMMAND.ABORT) */
  HBABM_KIND Kind;
  ULONG RequestedLength;         /* XFER_LEN of the active command */
  BOOLEAN StartRefused;          /* the HBA answered START with REJECTED */
  BOOLEAN WaitingForList;        /* SgBuild: ActiveSrb holds the slot, its list is not built yet
                                    (the HBA is not started) */

  /* SgBuild mode (ArgumentString SgBuild=1): one list at a time, in adapter-wide buffers (the
   * HBA holds one command; a port-completed SRB's extension is freed before the miniport can
   * put a list at DISPATCH_LEVEL, so the buffers are not in the SRB extension) */
  BOOLEAN SgBuildMode;
  HBABM_SG_STATE SgState;
  PSCSI_REQUEST_BLOCK SgSrb;     /* the list's SRB; NULL once the SRB was completed without it
                                    (the list is put when it arrives / by the DPC) */
  PSTOR_SCATTER_GATHER_LIST SgList;   /* valid in HbaBmSgLive */
  BOOLEAN SgWrite;               /* WriteToDevice of the list */
  STOR_DPC SgDpc;                /* DISPATCH_LEVEL after an ending: put the list, then complete */
  PSCSI_REQUEST_BLOCK DoneSrb;   /* ended, completed by SgDpc once its list is put */
  UCHAR DoneStatus;
  ULONGLONG SgSmall[(HBABM_SG_LIST_BYTES(HBABM_SG_SMALL_ELEMENTS) + 7u) / 8u];
  ULONGLONG SgLarge[(HBABM_SG_LIST_BYTES(HBABM_MAX_DESCRIPTORS) + 7u) / 8u];

  /* diagnostics */
  ULONG LastCauses;              /* INT_STATUS of the last interrupt that was ours */
  ULONG LastDescriptorCount;     /* descriptors of the last command started */
  ULONG Interrupts, InterruptsNotOurs, CommandsStarted, BusResetsIssued, BusResetsDetected,
      Rejected, SplitElements;   /* SplitElements: port elements split at 2^24 bytes */
  ULONG LastSgElements;          /* NumberOfElements of the last list translated */
  /* SgBuild: StorPortBuildScatterGatherList accepted (SgBuilds; SgBuildLarge of them in the
   * large buffer after a BUFFER_TOO_SMALL, counted in SgBuildTooSmall), refused with
   * INSUFFICIENT_RESOURCES or while a list was still out (SgBuildBusy: SRB BUSY), refused
   * otherwise (SgBuildFailed: SRB ERROR); lists put (SgPuts), put without being used because
   * their SRB had been completed (SgOrphans), StorPortPutScatterGatherList failures */
  ULONG SgBuilds, SgBuildLarge, SgBuildTooSmall, SgBuildBusy, SgBuildFailed, SgPuts, SgOrphans,
      SgPutFailed;
  /* MapBuffers as the miniport sees it: the DataBuffer of the last READ/WRITE (6/10/12/16)
   * and of the last other EXECUTE_SCSI with data, at HwStorBuildIo (compared, never
   * dereferenced) */
  PVOID LastReadWriteDataBuffer, LastOtherDataBuffer;
} HBABM_DEVICE_EXTENSION, *PHBABM_DEVICE_EXTENSION;

#endif
