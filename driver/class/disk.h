/* hbasim's disk class layer (docs/disk_class.md): the top of the driver stack, in the place of
 * Windows' disk.sys/classpnp.sys, over a SCSI Port port's upper edge (scsiport.h sp_execute).
 *
 * It claims the direct-access LUNs behind a port (INQUIRY, TEST UNIT READY, READ CAPACITY(10)
 * and (16)), builds CDBs and SRBs, splits requests to fit the port's IO_SCSI_CAPABILITIES
 * (MaximumTransferLength, MaximumPhysicalPages, AlignmentMask), retries unit attention, BUSY and
 * transport failures within configured limits, maps SRB status and sense data to NTSTATUS
 * values, and offers a block-device API (synchronous and asynchronous reads and writes of LBAs
 * into caller buffers) and a SCSI pass-through call.
 *
 * Buffers are host memory (hostmem buffers: any VA inside one, any alignment); each request is
 * described to the port by MDLs built with MmBuildMdlForNonPagedPool. A buffer that is not host
 * memory is refused with STATUS_INVALID_USER_BUFFER.
 *
 * IRQL (sim_irql of the sim): disk_class_scan, disk_read, disk_write, disk_passthrough and
 * disk_class_wait_idle at PASSIVE_LEVEL (they run the simulation until done); the *_async calls
 * at <= DISPATCH_LEVEL; completion routines run at DISPATCH_LEVEL. A call at the wrong IRQL is
 * recorded with sim_error() and refused with STATUS_INVALID_DEVICE_STATE.
 *
 * No globals: every object is reached through its disk_class_t. */
#ifndef HBASIM_DISK_H
#define HBASIM_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "scsi.h"
#include "port_if.h"
#include "sim.h"
#include "sim.h"
#include "srb.h"

typedef struct disk_class disk_class_t;
typedef struct disk disk_t;

typedef struct disk_class_config {
  unsigned unit_attention_retries; /* CHECK CONDITION / UNIT ATTENTION resent up to this many
                                      times (default 4) */
  unsigned busy_retries;           /* SCSI BUSY, QUEUE FULL or SRB_STATUS_BUSY: resent up to
                                      this many times (default 8) ... */
  uint64_t busy_backoff_cycles;    /* ... each after this many cycles (default 25000, 0.5 ms at
                                      50 MHz) */
  unsigned transport_retries;      /* SRB TIMEOUT, COMMAND_TIMEOUT, BUS_RESET, ABORTED,
                                      PARITY_ERROR, UNEXPECTED_BUS_FREE, PHASE_SEQUENCE_FAILURE,
                                      REQUEST_FLUSHED, sense ABORTED COMMAND (default 1) */
  ULONG io_timeout;                /* SRB TimeOutValue of reads and writes (default 10) */
  ULONG scan_timeout;              /* SRB TimeOutValue of the scan's commands (default 4) */
  uint32_t max_piece_bytes;        /* the class's own cap on one SRB's data; 0 = only the
                                      port's limits (and 8 MiB when the port sets none) */
  uint64_t sync_max_cycles;        /* bound on each synchronous call's wait (0 = none: rely on
                                      the port's SRB timeouts) */
} disk_class_config_t;

void disk_class_config_default(disk_class_config_t *cfg);

/* A class over one port. The port's miniport must have been initialised (its capabilities
 * are read here). s is the port's simulation (sp_system_sim). cfg NULL: the defaults. NULL on
 * error (message on stderr). */
disk_class_t *disk_class_create(sim_t *s, const port_if_t *port, const disk_class_config_t *cfg);
/* Call with nothing outstanding (after disk_class_wait_idle) and before sp_system_destroy.
 * With requests still outstanding it records a sim error and frees nothing (their completions
 * would find freed memory). */
void disk_class_destroy(disk_class_t *c);

/* Scans every target (but the initiator's ID) and LUN: INQUIRY (36 bytes); a target that does
 * not answer selection has no device; the LUN loop stops at the first LUN that does not answer
 * or reports peripheral qualifier 3. Claims peripheral device type 0 with qualifier 0: TEST
 * UNIT READY (absorbing the power-on unit attention), READ CAPACITY(10), and READ CAPACITY(16)
 * when (10) reports FFFFFFFFh. A LUN that stays not ready, or reports no capacity, is not
 * claimed (said on stderr). Again later: new LUNs are added, claimed ones are kept. PASSIVE.
 * Returns the number of disks claimed in total, or -1 (bad argument, IRQL, out of memory). */
int disk_class_scan(disk_class_t *c);
unsigned disk_class_count(const disk_class_t *c);
disk_t *disk_class_get(disk_class_t *c, unsigned i);  /* NULL past the count */

typedef struct disk_info {
  UCHAR target, lun;
  uint32_t block_size;       /* bytes */
  uint64_t blocks;           /* last LBA + 1 */
  int read_capacity16;       /* 1: the capacity came from READ CAPACITY(16) */
  char vendor[9];            /* INQUIRY strings, trailing spaces removed, NUL-terminated */
  char product[17];
  char revision[5];
  UCHAR inquiry[INQUIRYDATABUFFERSIZE]; /* the standard INQUIRY data as received */
} disk_info_t;
void disk_info(const disk_t *d, disk_info_t *out);

/* ---- block API ----------------------------------------------------------------------------- */

/* Completion of an asynchronous request, at DISPATCH_LEVEL: the request's status and the
 * bytes from its start known transferred (all of them on success; on an error those before
 * the first failing piece plus, for a medium error, the blocks before the failing LBA). */
typedef void (*disk_done_fn)(void *ctx, NTSTATUS status, uint64_t bytes_done);

/* Synchronous: PASSIVE_LEVEL; submit, then run the simulation until the request completes.
 * buf: blocks x block size bytes of host memory, any alignment. Errors before anything is
 * sent: STATUS_INVALID_PARAMETER (NULL, zero blocks, beyond the disk), STATUS_INVALID_USER_BUFFER
 * (not host memory), STATUS_INVALID_DEVICE_STATE (IRQL), STATUS_INSUFFICIENT_RESOURCES. */
NTSTATUS disk_read(disk_t *d, uint64_t lba, uint32_t blocks, void *buf);
NTSTATUS disk_write(disk_t *d, uint64_t lba, uint32_t blocks, const void *buf);
/* Asynchronous: IRQL <= DISPATCH_LEVEL. STATUS_PENDING: done(ctx, ...) will run exactly once
 * (possibly before the call returns); any other value: done never runs. buf must stay valid
 * until done runs. */
NTSTATUS disk_read_async(disk_t *d, uint64_t lba, uint32_t blocks, void *buf, disk_done_fn done,
                         void *ctx);
NTSTATUS disk_write_async(disk_t *d, uint64_t lba, uint32_t blocks, const void *buf,
                          disk_done_fn done, void *ctx);
/* Runs the simulation until no request of the class is outstanding (PASSIVE_LEVEL): 0, or -1
 * when max_cycles passed first or the simulation failed. */
int disk_class_wait_idle(disk_class_t *c, uint64_t max_cycles);
unsigned disk_class_outstanding(const disk_class_t *c);

/* What the last request of a disk that completed ended with (for a failing request, its first
 * failing piece). */
typedef struct disk_error {
  NTSTATUS status;
  uint64_t bytes_done;
  UCHAR srb_status;          /* the failing SRB's SrbStatus (flag bits included); 0 on success */
  UCHAR scsi_status;
  int sense_valid;           /* autosense data arrived */
  UCHAR sense_key, asc, ascq;
  int lba_valid;             /* the sense's VALID bit: lba is its information field */
  uint64_t lba;              /* e.g. the failing LBA of a medium error */
} disk_error_t;
void disk_last_error(const disk_t *d, disk_error_t *out);

/* ---- error mapping ------------------------------------------------------------------------- */

typedef enum {
  DISK_RETRY_NONE = 0,
  DISK_RETRY_UNIT_ATTENTION,
  DISK_RETRY_BUSY,           /* after busy_backoff_cycles */
  DISK_RETRY_TRANSPORT
} disk_retry_t;

/* The table of docs/disk_class.md: the NTSTATUS a completed SRB means for a block request
 * (the value once retries are exhausted), and which retry class it belongs to. sense: the
 * autosense bytes (NULL or sense_len 0 when none). */
NTSTATUS disk_class_map_error(UCHAR srb_status, UCHAR scsi_status, const UCHAR *sense,
                              size_t sense_len, disk_retry_t *retry);

/* ---- SCSI pass-through (SCSI_PASS_THROUGH_DIRECT in spirit) ------------------------------- */

typedef enum { DISK_PT_NO_DATA = 0, DISK_PT_DATA_IN, DISK_PT_DATA_OUT } disk_pt_dir_t;

typedef struct disk_pt {
  UCHAR target, lun;
  UCHAR cdb[16];
  UCHAR cdb_length;          /* 6-16 */
  disk_pt_dir_t direction;
  void *data;                /* host memory, any alignment; NULL with data_length 0 */
  ULONG data_length;
  ULONG timeout;             /* SRB TimeOutValue; 0 = the class's io_timeout */
  void *sense;               /* where the sense bytes go (may be NULL with sense_length 0, which
                                also turns autosense off) */
  UCHAR sense_length;
} disk_pt_t;

typedef struct disk_pt_result {
  UCHAR scsi_status;
  UCHAR srb_status;          /* as completed, flag bits included */
  ULONG data_transferred;    /* the SRB's DataTransferLength at completion */
  UCHAR sense_length;        /* sense bytes copied to req->sense */
  NTSTATUS mapped;           /* what disk_class_map_error makes of it */
} disk_pt_result_t;

/* One SRB, no retries, PASSIVE_LEVEL (runs the simulation until it completes). Returns
 * STATUS_SUCCESS when the command reached the target and ended with a status byte (GOOD, CHECK
 * CONDITION, BUSY, ... and data underruns): the caller reads res. Transport failures return
 * their mapped status (selection timeout: STATUS_DEVICE_DOES_NOT_EXIST, ...) with res filled.
 * Refused unsent, res untouched: argument errors (CDB length, direction without data, target
 * out of range, more data than one SRB carries) STATUS_INVALID_PARAMETER; a buffer not in host
 * memory STATUS_INVALID_USER_BUFFER; the initiator's own ID STATUS_DEVICE_DOES_NOT_EXIST. */
NTSTATUS disk_passthrough(disk_class_t *c, const disk_pt_t *req, disk_pt_result_t *res);

/* ---- statistics ---------------------------------------------------------------------------- */

typedef struct disk_class_stats {
  uint64_t requests;         /* block requests accepted */
  uint64_t srbs;             /* SRBs handed to sp_execute, resends included */
  uint64_t pieces;           /* pieces block requests were split into */
  uint64_t cdb16;            /* READ(16)/WRITE(16) pieces */
  uint64_t bounced;          /* requests double-buffered for AlignmentMask (or page limits) */
  uint64_t retries_unit_attention, retries_busy, retries_transport;
  uint64_t errors;           /* requests that completed with an error */
} disk_class_stats_t;
void disk_class_stats(const disk_class_t *c, disk_class_stats_t *out);

#endif
