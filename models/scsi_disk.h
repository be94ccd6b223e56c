/* A SCSI-2 direct-access (disk) target model at the command level (docs/contracts.md 11.4,
 * docs/scsi_disk.md).
 *
 * The bus phase engine (scsi_bus.c) receives a CDB and calls scsi_disk_begin; the disk
 * decodes it, checks it, and says which way data goes and how much:
 *   - SCSI_DIR_NONE: no data; t->status is final.
 *   - SCSI_DIR_IN:   send t->data[0..data_len) to the initiator; t->status is final (a read
 *                    that meets a medium error carries the good blocks and CHECK CONDITION).
 *   - SCSI_DIR_OUT:  receive data_len bytes into t->data, then call scsi_disk_finish_out,
 *                    which performs the command and sets t->status.
 * Then scsi_disk_task_free releases t->data. CHECK CONDITION leaves fixed-format sense data
 * pending for that initiator and LUN until its next command (REQUEST SENSE returns it).
 *
 * Backed by memory (sparse: unwritten blocks read as zeros) or by a raw image file; image
 * writes go to the file with pwrite before the WRITE reports status, so a process that ends
 * abruptly leaves an image holding every completed write.
 *
 * No global state; every function checks its arguments and returns an error instead of
 * crashing. */
#ifndef HBASIM_SCSI_DISK_H
#define HBASIM_SCSI_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "scsi_defs.h"

typedef struct scsi_disk scsi_disk_t;

/* ---- command-level interface (contracts.md 11.4) ----------------------------------------- */

typedef enum { SCSI_DIR_NONE, SCSI_DIR_IN, SCSI_DIR_OUT } scsi_dir_t;

/* Private bookkeeping of the disk model: callers must not touch it (begin sets it). */
typedef struct scsi_task_priv {
  const void *disk;     /* the disk that began the task */
  uint64_t generation;  /* the disk's reset generation at begin */
  uint8_t out_pending;  /* 1 between begin (DIR_OUT) and finish_out */
} scsi_task_priv_t;

typedef struct scsi_task {
  uint8_t  initiator;      /* SCSI ID of the initiator (reservations, sense, unit attention) */
  uint8_t  lun;            /* 0-7, from IDENTIFY */
  uint8_t  cdb[16];
  uint8_t  cdb_len;        /* from the group code: scsi_cdb_len(cdb[0]) */
  /* set by scsi_disk_begin: */
  scsi_dir_t dir;
  uint8_t *data;           /* IN: the bytes to send; OUT: buffer for data_len bytes */
  uint32_t data_len;       /* bytes the command transfers */
  uint8_t  status;         /* SCSI status byte, final after begin (NONE/IN) or finish_out (OUT) */
  uint64_t service_ns;     /* modelled medium time (seek + rotation + media transfer) */
  scsi_task_priv_t priv;   /* hbasim addition: owned by the disk model */
} scsi_task_t;

/* Model error codes (not SCSI status: a SCSI error is a status byte and sense data). */
enum {
  SCSI_DISK_OK = 0,
  SCSI_DISK_E_ARG = -1,   /* NULL pointer, bad field (initiator > 7, lun > 7, cdb_len not the
                             group's length), finish_out with received > data_len */
  SCSI_DISK_E_STATE = -2, /* finish_out on a task that is not waiting for data, belongs to
                             another disk, or was begun before a reset */
  SCSI_DISK_E_IO = -3,    /* the image file failed (the task still ends: CHECK CONDITION
                             04/44/00) */
  SCSI_DISK_E_NOMEM = -4  /* out of host memory (the task ends with BUSY status) */
};
const char *scsi_disk_strerror(int err);

/* Starts a command. Returns 0 when the task is set up (dir, data, data_len, status,
 * service_ns), or <0 on a model error: SCSI_DISK_E_ARG leaves dir NONE, data NULL,
 * data_len 0 and status CHECK CONDITION (no sense recorded); SCSI_DISK_E_NOMEM leaves
 * status BUSY; SCSI_DISK_E_IO (a READ the image failed) CHECK CONDITION with sense
 * 04/44/00. cdb_len must equal scsi_cdb_len(cdb[0]); for groups where that is 0 (3, 6, 7)
 * any cdb_len 1-16 is accepted and the command ends with 05/20/00. */
int  scsi_disk_begin(scsi_disk_t *d, scsi_task_t *t);
/* Completes a DIR_OUT task after `received` bytes arrived in t->data (received <= data_len).
 * received < data_len (the initiator stopped early) performs nothing and ends the command
 * with CHECK CONDITION 0B/4B/00 (aborted command, data phase error). Returns 0 (t->status
 * is final), SCSI_DISK_E_ARG / SCSI_DISK_E_STATE (nothing done, t unchanged), or
 * SCSI_DISK_E_IO / SCSI_DISK_E_NOMEM (the command ended with CHECK CONDITION 04/44/00, or
 * BUSY when no compare buffer could be allocated). */
int  scsi_disk_finish_out(scsi_disk_t *d, scsi_task_t *t, uint32_t received);
/* Releases t->data (safe on a task begin refused, and safe twice); an OUT task freed without
 * finish_out is abandoned (nothing written). */
void scsi_disk_task_free(scsi_disk_t *d, scsi_task_t *t);
/* A reset (SCSI_RESET_BUS, SCSI_RESET_BDR, or SCSI_RESET_POWER): releases reservations,
 * clears pending sense, restores mode parameters to their defaults, abandons tasks begun
 * before it, and raises unit attention 06/29/02, 06/29/04 or 06/29/00 for every initiator on
 * every supported LUN. Returns 0, or SCSI_DISK_E_ARG (NULL disk or unknown cause). */
int  scsi_disk_reset(scsi_disk_t *d, int cause);

/* ---- configuration ------------------------------------------------------------------------ */

typedef enum {
  SCSI_DISK_ROT_AVERAGE = 0, /* rotational latency = half a revolution, every access */
  SCSI_DISK_ROT_SEEDED = 1   /* uniform in [0, one revolution) from the disk's seed */
} scsi_disk_rot_t;

/* Timing: service_ns = command_overhead_ns, plus for commands that access the medium
 * (READ, WRITE, VERIFY) seek + rotational latency + media transfer, plus spin_up_ns for a
 * START STOP UNIT that starts a stopped unit without IMMED. All zero: service_ns is 0. */
typedef struct scsi_disk_timing {
  uint64_t command_overhead_ns; /* decoding and status, every command */
  uint64_t track_to_track_ns;   /* seek over one cylinder */
  uint64_t full_stroke_ns;      /* seek over all cylinders; linear in distance in between */
  uint32_t rpm;                 /* 0: no rotational latency */
  scsi_disk_rot_t rotation;
  uint64_t media_bytes_per_s;   /* sustained media rate; 0: transfer takes no time */
  uint64_t spin_up_ns;          /* START after STOP */
} scsi_disk_timing_t;

typedef struct scsi_disk_config {
  uint32_t block_size;     /* 512 (default), 1024, 2048 or 4096 */
  uint64_t capacity;       /* blocks per LUN, >= 1; with an image, 0 = from the file size */
  uint8_t  lun_count;      /* 1-8: LUN n is supported when n < lun_count */
  const char *vendor;      /* INQUIRY strings, printable ASCII: vendor <= 8, product <= 16, */
  const char *product;     /*   revision <= 4, serial 1-20 characters (space padded in  */
  const char *revision;    /*   INQUIRY; NULL = defaults, serial from the seed)         */
  const char *serial;
  const char *image_path;  /* NULL: memory backing; else an existing raw image, opened
                              read/write, LUN n at byte n * capacity * block_size, extended
                              (sparse) when shorter than lun_count * capacity blocks */
  uint32_t heads;          /* geometry for the seek model and mode page 4: heads, */
  uint32_t sectors_per_track; /* blocks per track (both >= 1) */
  uint32_t max_transfer_bytes; /* larger READ/WRITE/VERIFY requests: 05/24/00 (default 16 MiB) */
  uint64_t seed;           /* deterministic choices (rotation, default serial and NAA id) */
  scsi_disk_timing_t timing;
} scsi_disk_config_t;

/* Defaults: 512-byte blocks, 65536 blocks (32 MiB), one LUN, memory backing, vendor
 * "HBASIM", product "SCSI2 DISK", revision "1.0", 8 heads, 63 blocks per track, 16 MiB max
 * transfer, seed 1, and the timing of a mid-1990s 5400 rpm SCSI-2 disk (docs/scsi_disk.md). */
void scsi_disk_config_default(scsi_disk_config_t *cfg);

/* NULL on error; when err is not NULL, a one-line reason is written there. */
scsi_disk_t *scsi_disk_create(const scsi_disk_config_t *cfg, char *err, size_t err_len);
void scsi_disk_destroy(scsi_disk_t *d); /* closes the image; NULL is ignored */

uint64_t scsi_disk_capacity(const scsi_disk_t *d);   /* blocks per LUN (0 for NULL) */
uint32_t scsi_disk_block_size(const scsi_disk_t *d); /* bytes (0 for NULL) */
uint8_t  scsi_disk_lun_count(const scsi_disk_t *d);  /* 0 for NULL */

/* Direct medium access for tests and shadow checks (no commands, no sense, no timing):
 * count blocks at lba of a supported LUN. 0, SCSI_DISK_E_ARG (range, LUN, NULL) or
 * SCSI_DISK_E_IO / SCSI_DISK_E_NOMEM. */
int scsi_disk_peek(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count, void *buf);
int scsi_disk_poke(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count, const void *buf);

/* ---- faults ------------------------------------------------------------------------------- */

#define SCSI_DISK_FAULT_READ  1u /* READ and VERIFY: 03/11/00 unrecovered read error */
#define SCSI_DISK_FAULT_WRITE 2u /* WRITE: 03/03/00 peripheral device write fault */
#define SCSI_DISK_MAX_FAULTS  16

/* A bad range [lba, lba + count) on a LUN (count >= 1, inside the capacity). Up to
 * SCSI_DISK_MAX_FAULTS ranges. The blocks before the first bad one are transferred (reads)
 * or written (writes); the command then ends with CHECK CONDITION, VALID set and the
 * information field holding the first bad LBA. */
int scsi_disk_fault_medium(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count,
                           unsigned ops);
/* The next n commands (any command, any initiator and LUN) end with BUSY status, no sense. */
int scsi_disk_fault_busy(scsi_disk_t *d, uint32_t n);
/* The next n medium-access commands (TEST UNIT READY, READ CAPACITY, READ, WRITE, VERIFY,
 * SYNCHRONIZE CACHE) on this LUN end with CHECK CONDITION 02/04/00 (becoming ready). */
int scsi_disk_fault_not_ready(scsi_disk_t *d, uint8_t lun, uint32_t n);
void scsi_disk_fault_clear(scsi_disk_t *d); /* removes every fault */

#endif
