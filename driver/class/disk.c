/* The disk class layer (disk.h, docs/disk_class.md).
 *
 * A request (class_req_t) is the caller's range of blocks, or one pass-through or scan
 * command. It is cut into pieces, one SRB each, that fit the port's IO_SCSI_CAPABILITIES:
 * MaximumTransferLength bytes and MaximumPhysicalPages pages from the piece's own first byte
 * (ADDRESS_AND_SIZE_TO_SPAN_PAGES). The data is described by MDLs over the caller's buffer --
 * or over a page-aligned bounce buffer in host memory when the buffer breaks the port's
 * AlignmentMask -- one MDL for as many consecutive pieces as an MDL can describe; each SRB's
 * DataBuffer is its piece's VA inside that MDL.
 *
 * Every piece is queued with sp_execute at DISPATCH_LEVEL (so no completion can interleave the
 * queueing). A completion (DISPATCH_LEVEL, from the port's DPC) maps the SRB's outcome through
 * disk_class_map_error; a retryable outcome with tries left is sent again from a DPC
 * (unit attention, transport failures) or from a timer after the BUSY back-off, never from
 * inside the port's completion call. When the last piece is final the request completes with
 * the status of its lowest failing piece. */
#include "disk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"
#include "wdm.h"

/* ---- constants ----------------------------------------------------------------------------- */

#define DISK_DEF_UA_RETRIES 4u
#define DISK_DEF_BUSY_RETRIES 8u
#define DISK_DEF_BUSY_BACKOFF 25000u   /* cycles: 0.5 ms at the default 50 MHz */
#define DISK_DEF_TRANSPORT_RETRIES 1u
#define DISK_DEF_IO_TIMEOUT 10u        /* seconds, SRB TimeOutValue */
#define DISK_DEF_SCAN_TIMEOUT 4u
/* one SRB at most this much when neither the port nor the configuration limits it */
#define DISK_PIECE_CAP (8u << 20)
/* an MDL's Size is a CSHORT: header + PFN array; stay well inside it */
#define DISK_MDL_MAX_PAGES 4000u
/* sense bytes asked for on block requests and scan commands (fixed format) */
#define DISK_SENSE_LEN ((UCHAR)SENSE_BUFFER_SIZE)
#define DISK_SCAN_BUF 4096u

/* ---- types --------------------------------------------------------------------------------- */

typedef enum { REQ_READ, REQ_WRITE, REQ_COMMAND } req_kind_t;

typedef struct class_req class_req_t;

typedef struct class_piece {
  SCSI_REQUEST_BLOCK srb;   /* owned by the port between sp_execute and the completion */
  UCHAR sense[255];
  class_req_t *req;
  UCHAR target, lun;
  UCHAR cdb[16];
  UCHAR cdb_len;
  UCHAR sense_len;          /* SenseInfoBufferLength asked for; 0 = autosense off */
  ULONG dir_flags;          /* SRB_FLAGS_DATA_IN / DATA_OUT / none */
  size_t offset;            /* of the piece's data in the request's DMA buffer */
  ULONG length;
  uint64_t lba;             /* block requests */
  uint32_t blocks;
  unsigned mdl;             /* index into the request's MDLs */
  unsigned ua_tries, busy_tries, transport_tries;
  int final;                /* the outcome below is the piece's last */
  NTSTATUS status;
  uint64_t bytes;           /* bytes from the piece's start known transferred */
  UCHAR srb_status, scsi_status, sense_got;
  ULONG transferred;        /* DataTransferLength at the last completion */
} class_piece_t;

struct class_req {
  disk_class_t *c;
  disk_t *d;                /* NULL for commands outside a claimed disk */
  req_kind_t kind;
  int retries;              /* retry policy on (block requests, scan) or off (pass-through) */
  ULONG timeout;
  uint8_t *user;            /* caller's buffer */
  size_t length;
  hostmem_buf_t *bounce;
  uint8_t *dma;             /* the buffer the SRBs point into: user or bounce->va */
  PMDL *mdls;
  unsigned nmdl;
  class_piece_t *piece;
  unsigned npieces;
  unsigned outstanding;     /* pieces not final, plus one while queueing */
  disk_done_fn done;
  void *ctx;
  int sync;                 /* a synchronous caller waits on `finished` */
  int finished, orphaned;
  NTSTATUS status;
  uint64_t bytes;
  disk_error_t err;
  class_req_t *next, *prev; /* the class's live requests */
};

struct disk {
  disk_class_t *c;
  disk_info_t info;
  disk_error_t last;
};

struct disk_class {
  sim_t *sim;
  port_if_t port;
  disk_class_config_t cfg;
  IO_SCSI_CAPABILITIES caps;
  hostmem_buf_t *scan_buf;  /* host memory for the scan's data-in commands */
  disk_t **disk;
  unsigned ndisks, disk_cap;
  class_req_t *live;        /* requests not yet completed */
  unsigned outstanding;
  disk_class_stats_t stats;
};

/* ---- small helpers ------------------------------------------------------------------------- */

static uint32_t be32(const UCHAR *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const UCHAR *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static void put_be(UCHAR *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (UCHAR)(v >> (8 * (n - 1 - i)));
}

static int irql_ok(disk_class_t *c, unsigned max, const char *who) {
  unsigned irql = sim_irql(c->sim);
  if (irql <= max) return 1;
  sim_error(c->sim, "disk class: %s called at IRQL %u (allowed: <= %u)", who, irql, max);
  return 0;
}

static void copy_trimmed(char *dst, const UCHAR *src, size_t n) {
  size_t len = n;
  while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == 0)) len--;
  for (size_t i = 0; i < len; i++) dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) ? (char)src[i] : '?';
  dst[len] = 0;
}

/* ---- error mapping ------------------------------------------------------------------------- */

NTSTATUS disk_class_map_error(UCHAR srb_status, UCHAR scsi_status, const UCHAR *sense,
                              size_t sense_len, disk_retry_t *retry) {
  disk_retry_t r = DISK_RETRY_NONE;
  NTSTATUS st;
  switch (SRB_STATUS(srb_status)) {
    case SRB_STATUS_SUCCESS:
      st = STATUS_SUCCESS;
      break;
    case SRB_STATUS_DATA_OVERRUN:  /* an overrun, or an underrun the miniport reported */
      st = STATUS_DATA_OVERRUN;
      break;
    case SRB_STATUS_BUSY:
      r = DISK_RETRY_BUSY;
      st = STATUS_DEVICE_BUSY;
      break;
    case SRB_STATUS_SELECTION_TIMEOUT:
      st = STATUS_DEVICE_DOES_NOT_EXIST;
      break;
    case SRB_STATUS_NO_DEVICE:
    case SRB_STATUS_INVALID_LUN:
    case SRB_STATUS_INVALID_TARGET_ID:
    case SRB_STATUS_INVALID_PATH_ID:
    case SRB_STATUS_NO_HBA:
      st = STATUS_NO_SUCH_DEVICE;
      break;
    case SRB_STATUS_TIMEOUT:
    case SRB_STATUS_COMMAND_TIMEOUT:
      r = DISK_RETRY_TRANSPORT;
      st = STATUS_IO_TIMEOUT;
      break;
    case SRB_STATUS_BUS_RESET:
    case SRB_STATUS_ABORTED:
    case SRB_STATUS_PARITY_ERROR:
    case SRB_STATUS_UNEXPECTED_BUS_FREE:
    case SRB_STATUS_PHASE_SEQUENCE_FAILURE:
    case SRB_STATUS_REQUEST_FLUSHED:
      r = DISK_RETRY_TRANSPORT;
      st = STATUS_IO_DEVICE_ERROR;
      break;
    case SRB_STATUS_INVALID_REQUEST:
    case SRB_STATUS_BAD_FUNCTION:
    case SRB_STATUS_BAD_SRB_BLOCK_LENGTH:
      st = STATUS_INVALID_DEVICE_REQUEST;
      break;
    case SRB_STATUS_ERROR:
      st = STATUS_IO_DEVICE_ERROR;
      if (scsi_status == SCSISTAT_GOOD) {
        /* the target was content: the adapter failed (host DMA error, broken list, mover
         * starved) -- a transport failure, worth one more try */
        r = DISK_RETRY_TRANSPORT;
      } else if (scsi_status == SCSISTAT_BUSY || scsi_status == SCSISTAT_QUEUE_FULL) {
        r = DISK_RETRY_BUSY;
        st = STATUS_DEVICE_BUSY;
      } else if (scsi_status == SCSISTAT_RESERVATION_CONFLICT) {
        st = STATUS_DEVICE_BUSY;
      } else if (scsi_status == SCSISTAT_CHECK_CONDITION && sense && sense_len >= 3) {
        UCHAR key = sense[2] & 0x0F;
        UCHAR asc = sense_len > 12 ? sense[12] : 0;
        switch (key) {
          case SCSI_SENSE_RECOVERED_ERROR:
            st = STATUS_SUCCESS;   /* the data is good; the target recovered */
            break;
          case SCSI_SENSE_NOT_READY:
            st = STATUS_DEVICE_NOT_READY;
            break;
          case SCSI_SENSE_MEDIUM_ERROR:
            st = STATUS_DEVICE_DATA_ERROR;
            break;
          case SCSI_SENSE_HARDWARE_ERROR:
            st = STATUS_IO_DEVICE_ERROR;
            break;
          case SCSI_SENSE_ILLEGAL_REQUEST:
            if (asc == SCSI_ADSENSE_ILLEGAL_BLOCK) st = STATUS_INVALID_PARAMETER;
            else if (asc == SCSI_ADSENSE_INVALID_LUN) st = STATUS_NO_SUCH_DEVICE;
            else st = STATUS_INVALID_DEVICE_REQUEST;
            break;
          case SCSI_SENSE_UNIT_ATTENTION:
            r = DISK_RETRY_UNIT_ATTENTION;
            st = STATUS_IO_DEVICE_ERROR;
            break;
          case SCSI_SENSE_DATA_PROTECT:
            st = STATUS_INVALID_DEVICE_REQUEST;
            break;
          case SCSI_SENSE_ABORTED_COMMAND:
            r = DISK_RETRY_TRANSPORT;
            st = STATUS_IO_DEVICE_ERROR;
            break;
          case SCSI_SENSE_MISCOMPARE:
            st = STATUS_DEVICE_DATA_ERROR;
            break;
          default:
            st = STATUS_IO_DEVICE_ERROR;
            break;
        }
      }
      break;
    default:
      st = STATUS_IO_DEVICE_ERROR;
      break;
  }
  if (retry) *retry = r;
  return st;
}

/* ---- configuration, creation ---------------------------------------------------------------- */

void disk_class_config_default(disk_class_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->unit_attention_retries = DISK_DEF_UA_RETRIES;
  cfg->busy_retries = DISK_DEF_BUSY_RETRIES;
  cfg->busy_backoff_cycles = DISK_DEF_BUSY_BACKOFF;
  cfg->transport_retries = DISK_DEF_TRANSPORT_RETRIES;
  cfg->io_timeout = DISK_DEF_IO_TIMEOUT;
  cfg->scan_timeout = DISK_DEF_SCAN_TIMEOUT;
}

disk_class_t *disk_class_create(sim_t *s, const port_if_t *port, const disk_class_config_t *cfg) {
  if (!s || !port || !port->execute || !port->capabilities || !port->initiator_id ||
      !port->max_targets || !port->max_luns) {
    fprintf(stderr, "disk_class_create: NULL %s\n", s ? "port" : "sim");
    return NULL;
  }
  disk_class_config_t def;
  if (!cfg) {
    disk_class_config_default(&def);
    cfg = &def;
  }
  if (cfg->io_timeout == 0 || cfg->scan_timeout == 0) {
    fprintf(stderr, "disk_class_create: io_timeout and scan_timeout must be >= 1\n");
    return NULL;
  }
  disk_class_t *c = calloc(1, sizeof *c);
  if (!c) {
    fprintf(stderr, "disk_class_create: out of memory\n");
    return NULL;
  }
  c->sim = s;
  c->port = *port;
  c->cfg = *cfg;
  if (port->capabilities(port->port, &c->caps) != 0) {
    fprintf(stderr, "disk_class_create: the port gave no capabilities\n");
    free(c);
    return NULL;
  }
  c->scan_buf = hostmem_buf_alloc(sim_mem(s), DISK_SCAN_BUF, 0, HOSTMEM_PLACE_SCATTERED);
  if (!c->scan_buf) {
    fprintf(stderr, "disk_class_create: no host memory for the scan buffer\n");
    free(c);
    return NULL;
  }
  return c;
}

void disk_class_destroy(disk_class_t *c) {
  if (!c) return;
  if (c->outstanding) {
    sim_error(c->sim, "disk_class_destroy: %u requests still outstanding; the class is kept",
              c->outstanding);
    return;
  }
  for (unsigned i = 0; i < c->ndisks; i++) free(c->disk[i]);
  free(c->disk);
  hostmem_buf_free(sim_mem(c->sim), c->scan_buf);
  free(c);
}

unsigned disk_class_count(const disk_class_t *c) { return c ? c->ndisks : 0; }

disk_t *disk_class_get(disk_class_t *c, unsigned i) {
  return (c && i < c->ndisks) ? c->disk[i] : NULL;
}

void disk_info(const disk_t *d, disk_info_t *out) {
  if (!out) return;
  if (!d) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = d->info;
}

void disk_last_error(const disk_t *d, disk_error_t *out) {
  if (!out) return;
  if (!d) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = d->last;
}

void disk_class_stats(const disk_class_t *c, disk_class_stats_t *out) {
  if (!out) return;
  if (!c) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = c->stats;
}

unsigned disk_class_outstanding(const disk_class_t *c) { return c ? c->outstanding : 0; }

/* ---- requests: memory ---------------------------------------------------------------------- */

static void req_free(class_req_t *r) {
  if (!r) return;
  for (unsigned i = 0; i < r->nmdl; i++) IoFreeMdl(r->mdls[i]);
  free(r->mdls);
  if (r->bounce) hostmem_buf_free(sim_mem(r->c->sim), r->bounce);
  free(r->piece);
  free(r);
}

static void req_link(class_req_t *r) {
  disk_class_t *c = r->c;
  r->prev = NULL;
  r->next = c->live;
  if (c->live) c->live->prev = r;
  c->live = r;
  c->outstanding++;
}

static void req_unlink(class_req_t *r) {
  disk_class_t *c = r->c;
  if (r->prev) r->prev->next = r->next;
  else c->live = r->next;
  if (r->next) r->next->prev = r->prev;
  r->next = r->prev = NULL;
  c->outstanding--;
}

/* 1 when every page of [va, va+len) is a host memory frame (MmBuildMdlForNonPagedPool gives
 * PFN 0 to any other page), 0 when not, -1 out of memory. */
static int is_host_memory(const uint8_t *va, size_t len) {
  while (len > 0) {
    size_t room = (size_t)DISK_MDL_MAX_PAGES * PAGE_SIZE - BYTE_OFFSET(va);
    size_t n = len < room ? len : room;
    PMDL m = IoAllocateMdl((PVOID)va, (ULONG)n, FALSE, FALSE, NULL);
    if (!m) return -1;
    MmBuildMdlForNonPagedPool(m);
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, n);
    int ok = 1;
    for (ULONG i = 0; i < pages && ok; i++)
      if (MmGetMdlPfnArray(m)[i] == 0) ok = 0;
    IoFreeMdl(m);
    if (!ok) return 0;
    va += n;
    len -= n;
  }
  return 1;
}

/* Groups consecutive pieces under MDLs of at most DISK_MDL_MAX_PAGES pages and builds them.
 * STATUS_SUCCESS, STATUS_INVALID_USER_BUFFER (a page that is not host memory) or
 * STATUS_INSUFFICIENT_RESOURCES. */
static NTSTATUS req_build_mdls(class_req_t *r) {
  if (r->length == 0) return STATUS_SUCCESS;
  r->mdls = calloc(r->npieces, sizeof *r->mdls);
  if (!r->mdls) return STATUS_INSUFFICIENT_RESOURCES;
  unsigned i = 0;
  while (i < r->npieces) {
    size_t start = r->piece[i].offset, end = start + r->piece[i].length;
    unsigned j = i + 1;
    while (j < r->npieces) {
      size_t e2 = r->piece[j].offset + r->piece[j].length;
      if (ADDRESS_AND_SIZE_TO_SPAN_PAGES(r->dma + start, e2 - start) > DISK_MDL_MAX_PAGES) break;
      end = e2;
      j++;
    }
    PMDL m = IoAllocateMdl(r->dma + start, (ULONG)(end - start), FALSE, FALSE, NULL);
    if (!m) return STATUS_INSUFFICIENT_RESOURCES;
    r->mdls[r->nmdl++] = m;
    MmBuildMdlForNonPagedPool(m);
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(r->dma + start, end - start);
    for (ULONG k = 0; k < pages; k++)
      if (MmGetMdlPfnArray(m)[k] == 0) return STATUS_INVALID_USER_BUFFER;
    for (unsigned k = i; k < j; k++) r->piece[k].mdl = r->nmdl - 1;
    i = j;
  }
  return STATUS_SUCCESS;
}

/* The most bytes one SRB may carry from va on: MaximumTransferLength, the class cap, and
 * MaximumPhysicalPages pages counted from va's page. */
static uint64_t piece_limit(const disk_class_t *c, const uint8_t *va) {
  uint64_t lim = DISK_PIECE_CAP;
  ULONG mtl = c->caps.MaximumTransferLength;
  if (mtl != 0 && mtl != SP_UNINITIALIZED_VALUE && mtl < lim) lim = mtl;
  if (c->cfg.max_piece_bytes && c->cfg.max_piece_bytes < lim) lim = c->cfg.max_piece_bytes;
  ULONG mpp = c->caps.MaximumPhysicalPages;
  if (mpp != 0 && mpp != SP_UNINITIALIZED_VALUE) {
    uint64_t by_pages = (uint64_t)mpp * PAGE_SIZE - BYTE_OFFSET(va);
    if (by_pages < lim) lim = by_pages;
  }
  return lim;
}

static int needs_alignment_bounce(const disk_class_t *c, const void *va) {
  return ((uintptr_t)va & c->caps.AlignmentMask) != 0;
}

static NTSTATUS req_bounce(class_req_t *r) {
  r->bounce = hostmem_buf_alloc(sim_mem(r->c->sim), r->length, 0, HOSTMEM_PLACE_SCATTERED);
  if (!r->bounce) return STATUS_INSUFFICIENT_RESOURCES;
  r->dma = r->bounce->va;
  r->c->stats.bounced++;
  return STATUS_SUCCESS;
}

/* Cuts a block request into pieces over r->dma. 1 when some piece cannot hold one block from
 * its VA (the request must be bounced to page-aligned memory), 0 done, -1 out of memory. */
static int req_split(class_req_t *r, uint64_t lba, uint32_t bs) {
  free(r->piece);
  r->piece = NULL;
  r->npieces = 0;
  unsigned cap = 0;
  size_t off = 0;
  while (off < r->length) {
    uint64_t lim = piece_limit(r->c, r->dma + off);
    uint64_t left = r->length - off;
    if (lim > left) lim = left;
    uint64_t blocks = lim / bs;
    if (blocks == 0) return 1;
    if (r->npieces == cap) {
      unsigned ncap = cap ? 2 * cap : 8;
      class_piece_t *np = realloc(r->piece, ncap * sizeof *np);
      if (!np) return -1;
      r->piece = np;
      cap = ncap;
    }
    class_piece_t *p = &r->piece[r->npieces];
    memset(p, 0, sizeof *p);
    p->req = r;
    p->offset = off;
    p->length = (ULONG)(blocks * bs);
    p->lba = lba + off / bs;
    p->blocks = (uint32_t)blocks;
    r->npieces++;
    off += p->length;
  }
  return 0;
}

/* READ/WRITE(10), or (16) when the LBA or the count does not fit the 10-byte CDB. */
static void piece_rw_cdb(class_piece_t *p, int write) {
  memset(p->cdb, 0, sizeof p->cdb);
  uint64_t last = p->lba + p->blocks - 1;
  if (p->lba > 0xFFFFFFFFull || last > 0xFFFFFFFFull || p->blocks > 0xFFFFu) {
    p->cdb[0] = write ? SCSIOP_WRITE16 : SCSIOP_READ16;
    put_be(&p->cdb[2], p->lba, 8);
    put_be(&p->cdb[10], p->blocks, 4);
    p->cdb_len = 16;
  } else {
    p->cdb[0] = write ? SCSIOP_WRITE : SCSIOP_READ;
    put_be(&p->cdb[2], p->lba, 4);
    put_be(&p->cdb[7], p->blocks, 2);
    p->cdb_len = 10;
  }
}

/* ---- requests: completion ------------------------------------------------------------------ */

static void req_finish(class_req_t *r) {
  disk_class_t *c = r->c;
  /* the first failing piece in LBA order decides */
  NTSTATUS st = STATUS_SUCCESS;
  uint64_t bytes = r->length;
  const class_piece_t *bad = NULL;
  for (unsigned i = 0; i < r->npieces; i++) {
    if (r->piece[i].status != STATUS_SUCCESS) {
      bad = &r->piece[i];
      st = bad->status;
      bytes = bad->offset + bad->bytes;
      break;
    }
  }
  if (r->npieces == 1 && r->kind == REQ_COMMAND && st == STATUS_SUCCESS)
    bytes = r->piece[0].transferred;
  memset(&r->err, 0, sizeof r->err);
  r->err.status = st;
  r->err.bytes_done = bytes;
  const class_piece_t *rep = bad ? bad : (r->npieces ? &r->piece[0] : NULL);
  if (rep && (bad || r->kind == REQ_COMMAND)) {
    r->err.srb_status = rep->srb_status;
    r->err.scsi_status = rep->scsi_status;
    if (rep->sense_got >= 3) {
      r->err.sense_valid = 1;
      r->err.sense_key = rep->sense[2] & 0x0F;
      r->err.asc = rep->sense_got > 12 ? rep->sense[12] : 0;
      r->err.ascq = rep->sense_got > 13 ? rep->sense[13] : 0;
      if ((rep->sense[0] & 0x80) && rep->sense_got >= 7) {
        r->err.lba_valid = 1;
        r->err.lba = be32(&rep->sense[3]);
      }
    }
  }
  /* data read into a bounce buffer goes back to the caller: what is known good */
  if (r->bounce && r->kind != REQ_WRITE && r->user) {
    uint64_t n = bytes < r->length ? bytes : r->length;
    if (r->kind == REQ_COMMAND && r->piece[0].dir_flags != SRB_FLAGS_DATA_IN) n = 0;
    if (n) memcpy(r->user, r->dma, (size_t)n);
  }
  r->status = st;
  r->bytes = bytes;
  if (r->d) r->d->last = r->err;
  if (st != STATUS_SUCCESS && r->kind != REQ_COMMAND) c->stats.errors++;
  req_unlink(r);
  if (r->sync) {
    r->finished = 1;
    if (r->orphaned) req_free(r);
    return;
  }
  disk_done_fn done = r->done;
  void *ctx = r->ctx;
  req_free(r);
  if (done) done(ctx, st, bytes);
}

static void req_put(class_req_t *r) {
  if (--r->outstanding == 0) req_finish(r);
}

static void piece_final(class_piece_t *p, NTSTATUS st, uint64_t bytes) {
  p->final = 1;
  p->status = st;
  p->bytes = bytes;
  req_put(p->req);
}

static void piece_done(PSCSI_REQUEST_BLOCK srb, void *ctx);

/* Builds the SRB afresh (the port changed DataTransferLength, statuses ...) and queues it. */
static NTSTATUS piece_send(class_piece_t *p) {
  class_req_t *r = p->req;
  disk_class_t *c = r->c;
  SCSI_REQUEST_BLOCK *srb = &p->srb;
  memset(srb, 0, sizeof *srb);
  srb->Length = (USHORT)sizeof *srb;
  srb->Function = SRB_FUNCTION_EXECUTE_SCSI;
  srb->PathId = 0;
  srb->TargetId = p->target;
  srb->Lun = p->lun;
  srb->QueueTag = SP_UNTAGGED;
  srb->QueueAction = SRB_SIMPLE_TAG_REQUEST;
  srb->CdbLength = p->cdb_len;
  memcpy(srb->Cdb, p->cdb, sizeof srb->Cdb);
  srb->SrbFlags = p->dir_flags | SRB_FLAGS_NO_QUEUE_FREEZE;
  if (p->sense_len) {
    srb->SenseInfoBuffer = p->sense;
    srb->SenseInfoBufferLength = p->sense_len;
  } else {
    srb->SrbFlags |= SRB_FLAGS_DISABLE_AUTOSENSE;
  }
  srb->DataTransferLength = p->length;
  srb->DataBuffer = p->length ? (PVOID)(r->dma + p->offset) : NULL;
  srb->TimeOutValue = r->timeout;
  srb->OriginalRequest = p;
  PMDL mdl = p->length ? r->mdls[p->mdl] : NULL;
  c->stats.srbs++;
  NTSTATUS st = c->port.execute(c->port.port, srb, mdl, piece_done, p);
  return st;
}

/* a resend from a DPC or the BUSY back-off timer (DISPATCH_LEVEL) */
static void piece_resend(sim_t *s, void *ctx) {
  (void)s;
  class_piece_t *p = ctx;
  NTSTATUS st = piece_send(p);
  if (st != STATUS_PENDING) piece_final(p, st, 0);
}

static void piece_done(PSCSI_REQUEST_BLOCK srb, void *ctx) {
  class_piece_t *p = ctx;
  class_req_t *r = p->req;
  disk_class_t *c = r->c;
  p->srb_status = srb->SrbStatus;
  p->scsi_status = srb->ScsiStatus;
  p->transferred = srb->DataTransferLength;
  p->sense_got = 0;
  const UCHAR *sense = NULL;
  if ((srb->SrbStatus & SRB_STATUS_AUTOSENSE_VALID) && p->sense_len) {
    UCHAR n = srb->SenseInfoBufferLength;
    p->sense_got = n < p->sense_len ? n : p->sense_len;
    sense = p->sense;
  }
  disk_retry_t retry;
  NTSTATUS st = disk_class_map_error(srb->SrbStatus, srb->ScsiStatus, sense, p->sense_got, &retry);

  if (!r->retries) {
    /* pass-through: the command's outcome is the caller's to read; a status byte arrived
     * unless the transport failed */
    UCHAR s = SRB_STATUS(srb->SrbStatus);
    int delivered =
        s == SRB_STATUS_SUCCESS || s == SRB_STATUS_ERROR || s == SRB_STATUS_DATA_OVERRUN;
    NTSTATUS ret = delivered ? STATUS_SUCCESS : st;
    piece_final(p, ret, p->transferred);
    return;
  }

  if (retry != DISK_RETRY_NONE) {
    int again = 0;
    uint64_t delay = 0;
    switch (retry) {
      case DISK_RETRY_UNIT_ATTENTION:
        if (p->ua_tries < c->cfg.unit_attention_retries) {
          p->ua_tries++;
          c->stats.retries_unit_attention++;
          again = 1;
        }
        break;
      case DISK_RETRY_BUSY:
        if (p->busy_tries < c->cfg.busy_retries) {
          p->busy_tries++;
          c->stats.retries_busy++;
          delay = c->cfg.busy_backoff_cycles;
          again = 1;
        }
        break;
      case DISK_RETRY_TRANSPORT:
        if (p->transport_tries < c->cfg.transport_retries) {
          p->transport_tries++;
          c->stats.retries_transport++;
          again = 1;
        }
        break;
      default:
        break;
    }
    if (again) {
      int rc = delay ? sim_timer_start(c->sim, delay, piece_resend, p)
                     : sim_queue_dpc(c->sim, piece_resend, p);
      if (rc >= 0) return;
      st = STATUS_INSUFFICIENT_RESOURCES;
    }
  }

  uint64_t bytes = 0;
  if (st == STATUS_SUCCESS) {
    bytes = p->length;
  } else if (st == STATUS_DATA_OVERRUN) {
    bytes = p->transferred < p->length ? p->transferred : p->length;
  } else if (sense && p->sense_got >= 7 && (sense[0] & 0x80) && r->kind != REQ_COMMAND) {
    /* the information field names the failing block: the ones before it moved */
    uint64_t info = be32(&sense[3]);
    if (info >= p->lba && info < p->lba + p->blocks && r->d)
      bytes = (info - p->lba) * r->d->info.block_size;
  }
  piece_final(p, st, bytes);
}

/* Queues every piece at DISPATCH_LEVEL. STATUS_PENDING when at least one went (the request
 * then completes through req_finish), else the first sp_execute error (nothing queued, the
 * request is still the caller's to free). */
static NTSTATUS req_submit(class_req_t *r) {
  disk_class_t *c = r->c;
  unsigned old = sim_raise_irql(c->sim, SIM_DISPATCH_LEVEL);
  req_link(r);
  r->outstanding = 1 + r->npieces;
  NTSTATUS first = STATUS_PENDING;
  unsigned sent = 0;
  for (unsigned i = 0; i < r->npieces; i++) {
    class_piece_t *p = &r->piece[i];
    if (first != STATUS_PENDING) {
      p->final = 1;
      p->status = first;
      r->outstanding--;
      continue;
    }
    NTSTATUS st = piece_send(p);
    if (st == STATUS_PENDING) {
      sent++;
      continue;
    }
    first = st;
    p->final = 1;
    p->status = st;
    r->outstanding--;
  }
  if (sent == 0) {
    req_unlink(r);
    sim_lower_irql(c->sim, old);
    return first;
  }
  req_put(r);  /* the queueing reference; may complete the request now */
  sim_lower_irql(c->sim, old);
  return STATUS_PENDING;
}

static int req_finished(sim_t *s, void *ctx) {
  (void)s;
  return ((const class_req_t *)ctx)->finished;
}

/* Runs the simulation until a synchronous request finished; frees it. */
static NTSTATUS req_wait(class_req_t *r, uint64_t *bytes) {
  disk_class_t *c = r->c;
  uint64_t bound = c->cfg.sync_max_cycles ? c->cfg.sync_max_cycles : UINT64_MAX;
  int rc = sim_wait_until(c->sim, req_finished, r, bound);
  if (!r->finished) {
    r->orphaned = 1;  /* freed by req_finish when the port completes it */
    fprintf(stderr,
            "cycle %llu: disk class: synchronous request not complete after %llu cycles (%s)\n",
            (unsigned long long)sim_cycle(c->sim), (unsigned long long)bound,
            rc == SIM_E_TIMEOUT ? "bound" : "simulation failed");
    return rc == SIM_E_TIMEOUT ? STATUS_IO_TIMEOUT : STATUS_UNSUCCESSFUL;
  }
  NTSTATUS st = r->status;
  if (bytes) *bytes = r->bytes;
  req_free(r);
  return st;
}

/* ---- block requests ------------------------------------------------------------------------ */

static NTSTATUS rw_prepare(disk_t *d, int write, uint64_t lba, uint32_t blocks, const void *buf,
                           class_req_t **out) {
  *out = NULL;
  if (!d || !buf || blocks == 0) return STATUS_INVALID_PARAMETER;
  if (lba >= d->info.blocks || blocks > d->info.blocks - lba) return STATUS_INVALID_PARAMETER;
  disk_class_t *c = d->c;
  uint64_t len = (uint64_t)blocks * d->info.block_size;
  if (len > SIZE_MAX / 2) return STATUS_INVALID_PARAMETER;
  int host = is_host_memory(buf, (size_t)len);
  if (host < 0) return STATUS_INSUFFICIENT_RESOURCES;
  if (!host) return STATUS_INVALID_USER_BUFFER;
  class_req_t *r = calloc(1, sizeof *r);
  if (!r) return STATUS_INSUFFICIENT_RESOURCES;
  r->c = c;
  r->d = d;
  r->kind = write ? REQ_WRITE : REQ_READ;
  r->retries = 1;
  r->timeout = c->cfg.io_timeout;
  r->user = (uint8_t *)buf;
  r->length = (size_t)len;
  r->dma = r->user;
  NTSTATUS st = STATUS_SUCCESS;
  if (needs_alignment_bounce(c, buf)) st = req_bounce(r);
  int sp = st == STATUS_SUCCESS ? req_split(r, lba, d->info.block_size) : 0;
  if (st == STATUS_SUCCESS && sp == 1 && !r->bounce) {
    /* a piece could not hold one block from where it starts: page-aligned memory can */
    st = req_bounce(r);
    if (st == STATUS_SUCCESS) sp = req_split(r, lba, d->info.block_size);
  }
  if (st == STATUS_SUCCESS && sp == 1) st = STATUS_INVALID_DEVICE_REQUEST;
  if (st == STATUS_SUCCESS && sp < 0) st = STATUS_INSUFFICIENT_RESOURCES;
  if (st == STATUS_SUCCESS) st = req_build_mdls(r);
  if (st != STATUS_SUCCESS) {
    req_free(r);
    return st;
  }
  for (unsigned i = 0; i < r->npieces; i++) {
    class_piece_t *p = &r->piece[i];
    p->target = d->info.target;
    p->lun = d->info.lun;
    p->dir_flags = write ? SRB_FLAGS_DATA_OUT : SRB_FLAGS_DATA_IN;
    p->sense_len = DISK_SENSE_LEN;
    piece_rw_cdb(p, write);
    if (p->cdb_len == 16) c->stats.cdb16++;
  }
  if (write && r->bounce) memcpy(r->dma, r->user, r->length);
  *out = r;
  return STATUS_SUCCESS;
}

static NTSTATUS rw_async(disk_t *d, int write, uint64_t lba, uint32_t blocks, const void *buf,
                         disk_done_fn done, void *ctx) {
  if (!d) return STATUS_INVALID_PARAMETER;
  if (!irql_ok(d->c, SIM_DISPATCH_LEVEL, write ? "disk_write_async" : "disk_read_async"))
    return STATUS_INVALID_DEVICE_STATE;
  if (!done) return STATUS_INVALID_PARAMETER;
  class_req_t *r;
  NTSTATUS st = rw_prepare(d, write, lba, blocks, buf, &r);
  if (st != STATUS_SUCCESS) return st;
  r->done = done;
  r->ctx = ctx;
  d->c->stats.requests++;
  d->c->stats.pieces += r->npieces;
  st = req_submit(r);
  if (st != STATUS_PENDING) req_free(r);
  return st;
}

static NTSTATUS rw_sync(disk_t *d, int write, uint64_t lba, uint32_t blocks, const void *buf) {
  if (!d) return STATUS_INVALID_PARAMETER;
  if (!irql_ok(d->c, SIM_PASSIVE_LEVEL, write ? "disk_write" : "disk_read"))
    return STATUS_INVALID_DEVICE_STATE;
  class_req_t *r;
  NTSTATUS st = rw_prepare(d, write, lba, blocks, buf, &r);
  if (st != STATUS_SUCCESS) return st;
  r->sync = 1;
  d->c->stats.requests++;
  d->c->stats.pieces += r->npieces;
  st = req_submit(r);
  if (st != STATUS_PENDING) {
    req_free(r);
    return st;
  }
  return req_wait(r, NULL);
}

NTSTATUS disk_read(disk_t *d, uint64_t lba, uint32_t blocks, void *buf) {
  return rw_sync(d, 0, lba, blocks, buf);
}

NTSTATUS disk_write(disk_t *d, uint64_t lba, uint32_t blocks, const void *buf) {
  return rw_sync(d, 1, lba, blocks, buf);
}

NTSTATUS disk_read_async(disk_t *d, uint64_t lba, uint32_t blocks, void *buf, disk_done_fn done,
                         void *ctx) {
  return rw_async(d, 0, lba, blocks, buf, done, ctx);
}

NTSTATUS disk_write_async(disk_t *d, uint64_t lba, uint32_t blocks, const void *buf,
                          disk_done_fn done, void *ctx) {
  return rw_async(d, 1, lba, blocks, buf, done, ctx);
}

static int class_idle(sim_t *s, void *ctx) {
  (void)s;
  return ((const disk_class_t *)ctx)->outstanding == 0;
}

int disk_class_wait_idle(disk_class_t *c, uint64_t max_cycles) {
  if (!c) return -1;
  if (!irql_ok(c, SIM_PASSIVE_LEVEL, "disk_class_wait_idle")) return -1;
  int rc = sim_wait_until(c->sim, class_idle, c, max_cycles);
  return (rc == SIM_OK && c->outstanding == 0) ? 0 : -1;
}

/* ---- one command (scan, pass-through) ------------------------------------------------------ */

typedef struct class_cmd {
  UCHAR target, lun;
  const UCHAR *cdb;
  UCHAR cdb_len;
  ULONG dir_flags;
  void *data;
  ULONG length;
  ULONG timeout;
  UCHAR sense_len;
  int retries;
} class_cmd_t;

/* Sends one command synchronously (PASSIVE). Returns the request's status (pass-through:
 * see disk_passthrough); *out_piece receives the last completion's piece (copied). */
static NTSTATUS cmd_run(disk_class_t *c, const class_cmd_t *cmd, class_piece_t *out_piece) {
  class_req_t *r = calloc(1, sizeof *r);
  if (!r) return STATUS_INSUFFICIENT_RESOURCES;
  r->c = c;
  r->kind = REQ_COMMAND;
  r->retries = cmd->retries;
  r->timeout = cmd->timeout;
  r->user = cmd->data;
  r->length = cmd->length;
  r->dma = r->user;
  r->sync = 1;
  r->piece = calloc(1, sizeof *r->piece);
  if (!r->piece) {
    free(r);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  r->npieces = 1;
  class_piece_t *p = &r->piece[0];
  p->req = r;
  p->target = cmd->target;
  p->lun = cmd->lun;
  memcpy(p->cdb, cmd->cdb, cmd->cdb_len);
  p->cdb_len = cmd->cdb_len;
  p->dir_flags = cmd->length ? cmd->dir_flags : SRB_FLAGS_NO_DATA_TRANSFER;
  p->length = cmd->length;
  p->sense_len = cmd->sense_len;
  NTSTATUS st = STATUS_SUCCESS;
  if (cmd->length) {
    int host = is_host_memory(cmd->data, cmd->length);
    if (host < 0) st = STATUS_INSUFFICIENT_RESOURCES;
    else if (!host) st = STATUS_INVALID_USER_BUFFER;
    if (st == STATUS_SUCCESS &&
        (needs_alignment_bounce(c, cmd->data) || piece_limit(c, cmd->data) < cmd->length))
      st = req_bounce(r);
    if (st == STATUS_SUCCESS && piece_limit(c, r->dma) < cmd->length)
      st = STATUS_INVALID_PARAMETER;  /* more than one SRB can carry */
    if (st == STATUS_SUCCESS) st = req_build_mdls(r);
    if (st == STATUS_SUCCESS && r->bounce && cmd->dir_flags == SRB_FLAGS_DATA_OUT)
      memcpy(r->dma, r->user, r->length);
  }
  if (st != STATUS_SUCCESS) {
    req_free(r);
    return st;
  }
  st = req_submit(r);
  if (st != STATUS_PENDING) {
    req_free(r);
    return st;
  }
  /* keep the piece's outcome: req_wait frees the request */
  uint64_t bound = c->cfg.sync_max_cycles ? c->cfg.sync_max_cycles : UINT64_MAX;
  int rc = sim_wait_until(c->sim, req_finished, r, bound);
  if (!r->finished) {
    r->orphaned = 1;
    fprintf(stderr,
            "cycle %llu: disk class: command %02Xh to %u:%u not complete after %llu cycles\n",
            (unsigned long long)sim_cycle(c->sim), cmd->cdb[0], cmd->target, cmd->lun,
            (unsigned long long)bound);
    return rc == SIM_E_TIMEOUT ? STATUS_IO_TIMEOUT : STATUS_UNSUCCESSFUL;
  }
  if (out_piece) {
    *out_piece = r->piece[0];
    out_piece->req = NULL;
  }
  st = r->status;
  req_free(r);
  return st;
}

NTSTATUS disk_passthrough(disk_class_t *c, const disk_pt_t *req, disk_pt_result_t *res) {
  if (!c || !req || !res) return STATUS_INVALID_PARAMETER;
  if (!irql_ok(c, SIM_PASSIVE_LEVEL, "disk_passthrough")) return STATUS_INVALID_DEVICE_STATE;
  if (req->cdb_length < 6 || req->cdb_length > 16) return STATUS_INVALID_PARAMETER;
  if (req->target >= c->port.max_targets(c->port.port) || req->lun >= c->port.max_luns(c->port.port))
    return STATUS_INVALID_PARAMETER;
  if (req->sense_length && !req->sense) return STATUS_INVALID_PARAMETER;
  ULONG dir;
  switch (req->direction) {
    case DISK_PT_NO_DATA:
      if (req->data_length) return STATUS_INVALID_PARAMETER;
      dir = SRB_FLAGS_NO_DATA_TRANSFER;
      break;
    case DISK_PT_DATA_IN:
      dir = SRB_FLAGS_DATA_IN;
      break;
    case DISK_PT_DATA_OUT:
      dir = SRB_FLAGS_DATA_OUT;
      break;
    default:
      return STATUS_INVALID_PARAMETER;
  }
  if (req->direction != DISK_PT_NO_DATA && (!req->data || req->data_length == 0))
    return STATUS_INVALID_PARAMETER;
  class_cmd_t cmd = {.target = req->target, .lun = req->lun, .cdb = req->cdb,
                     .cdb_len = req->cdb_length, .dir_flags = dir, .data = req->data,
                     .length = req->data_length,
                     .timeout = req->timeout ? req->timeout : c->cfg.io_timeout,
                     .sense_len = req->sense_length, .retries = 0};
  class_piece_t *p = calloc(1, sizeof *p);
  if (!p) return STATUS_INSUFFICIENT_RESOURCES;
  p->srb_status = SRB_STATUS_PENDING;
  NTSTATUS st = cmd_run(c, &cmd, p);
  if (p->srb_status != SRB_STATUS_PENDING || st == STATUS_SUCCESS) {
    memset(res, 0, sizeof *res);
    res->scsi_status = p->scsi_status;
    res->srb_status = p->srb_status;
    res->data_transferred = p->transferred;
    res->sense_length = p->sense_got;
    if (p->sense_got) memcpy(req->sense, p->sense, p->sense_got);
    res->mapped = disk_class_map_error(p->srb_status, p->scsi_status,
                                       p->sense_got ? p->sense : NULL, p->sense_got, NULL);
  }
  free(p);
  return st;
}

/* ---- scan ---------------------------------------------------------------------------------- */

static NTSTATUS scan_cmd(disk_class_t *c, UCHAR target, UCHAR lun, const UCHAR *cdb, UCHAR len,
                         ULONG data_len, class_piece_t *out) {
  memset(c->scan_buf->va, 0, DISK_SCAN_BUF);
  class_cmd_t cmd = {.target = target, .lun = lun, .cdb = cdb, .cdb_len = len,
                     .dir_flags = data_len ? SRB_FLAGS_DATA_IN : SRB_FLAGS_NO_DATA_TRANSFER,
                     .data = data_len ? c->scan_buf->va : NULL, .length = data_len,
                     .timeout = c->cfg.scan_timeout, .sense_len = DISK_SENSE_LEN,
                     .retries = 1};
  NTSTATUS st = cmd_run(c, &cmd, out);
  /* a short answer (an underrun the miniport reports as DATA_OVERRUN) is fine here: the
   * callers check how many bytes came */
  return st == STATUS_DATA_OVERRUN ? STATUS_SUCCESS : st;
}

/* why a LUN was not claimed, on stderr with the cycle */
static void __attribute__((format(printf, 4, 5)))
scan_skip(const disk_class_t *c, UCHAR target, UCHAR lun, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "cycle %llu: disk class: %u:%u not claimed: ",
          (unsigned long long)sim_cycle(c->sim), target, lun);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static int disk_known(const disk_class_t *c, UCHAR target, UCHAR lun) {
  for (unsigned i = 0; i < c->ndisks; i++)
    if (c->disk[i]->info.target == target && c->disk[i]->info.lun == lun) return 1;
  return 0;
}

/* Claims one direct-access LUN whose INQUIRY data is in the scan buffer. 1 claimed, 0 not,
 * -1 out of memory. */
static int scan_claim(disk_class_t *c, UCHAR target, UCHAR lun, const UCHAR *inq) {
  class_piece_t *p = calloc(1, sizeof *p);
  if (!p) return -1;
  UCHAR cdb[16];
  int ret = 0;
  memset(cdb, 0, sizeof cdb);
  cdb[0] = SCSIOP_TEST_UNIT_READY;
  NTSTATUS st = scan_cmd(c, target, lun, cdb, 6, 0, p);
  if (st != STATUS_SUCCESS) {
    scan_skip(c, target, lun, "TEST UNIT READY 0x%08X", (unsigned)st);
    goto out;
  }
  memset(cdb, 0, sizeof cdb);
  cdb[0] = SCSIOP_READ_CAPACITY;
  st = scan_cmd(c, target, lun, cdb, 10, 8, p);
  if (st != STATUS_SUCCESS || p->transferred < 8) {
    scan_skip(c, target, lun, "READ CAPACITY(10) 0x%08X", (unsigned)st);
    goto out;
  }
  const UCHAR *data = c->scan_buf->va;
  uint64_t last = be32(data);
  uint32_t bs = be32(data + 4);
  int rc16 = 0;
  if (last == 0xFFFFFFFFull) {
    memset(cdb, 0, sizeof cdb);
    cdb[0] = SCSIOP_READ_CAPACITY16;
    cdb[1] = 0x10;  /* service action READ CAPACITY(16) */
    put_be(&cdb[10], 32, 4);
    st = scan_cmd(c, target, lun, cdb, 16, 32, p);
    if (st != STATUS_SUCCESS || p->transferred < 12) {
      scan_skip(c, target, lun, "READ CAPACITY(16) 0x%08X", (unsigned)st);
      goto out;
    }
    last = be64(data);
    bs = be32(data + 8);
    rc16 = 1;
  }
  if (bs == 0 || bs > (1u << 16) || last == UINT64_MAX) {
    scan_skip(c, target, lun, "capacity %llu blocks of %u bytes", (unsigned long long)last + 1,
              bs);
    goto out;
  }
  if (c->ndisks == c->disk_cap) {
    unsigned ncap = c->disk_cap ? 2 * c->disk_cap : 8;
    disk_t **nd = realloc(c->disk, ncap * sizeof *nd);
    if (!nd) {
      ret = -1;
      goto out;
    }
    c->disk = nd;
    c->disk_cap = ncap;
  }
  disk_t *d = calloc(1, sizeof *d);
  if (!d) {
    ret = -1;
    goto out;
  }
  d->c = c;
  d->info.target = target;
  d->info.lun = lun;
  d->info.block_size = bs;
  d->info.blocks = last + 1;
  d->info.read_capacity16 = rc16;
  memcpy(d->info.inquiry, inq, INQUIRYDATABUFFERSIZE);
  copy_trimmed(d->info.vendor, inq + 8, 8);
  copy_trimmed(d->info.product, inq + 16, 16);
  copy_trimmed(d->info.revision, inq + 32, 4);
  c->disk[c->ndisks++] = d;
  ret = 1;
out:
  free(p);
  return ret;
}

int disk_class_scan(disk_class_t *c) {
  if (!c) return -1;
  if (!irql_ok(c, SIM_PASSIVE_LEVEL, "disk_class_scan")) return -1;
  UCHAR initiator = c->port.initiator_id(c->port.port);
  UCHAR max_t = c->port.max_targets(c->port.port), max_l = c->port.max_luns(c->port.port);
  class_piece_t *p = calloc(1, sizeof *p);
  if (!p) return -1;
  int ret = 0;
  for (unsigned t = 0; t < max_t && ret == 0; t++) {
    if (t == initiator) continue;
    for (unsigned l = 0; l < max_l; l++) {
      UCHAR cdb[16];
      memset(cdb, 0, sizeof cdb);
      cdb[0] = SCSIOP_INQUIRY;
      cdb[4] = INQUIRYDATABUFFERSIZE;
      NTSTATUS st = scan_cmd(c, (UCHAR)t, (UCHAR)l, cdb, 6, INQUIRYDATABUFFERSIZE, p);
      if (st != STATUS_SUCCESS) break;  /* no device at this target, or no such LUN */
      UCHAR inq[INQUIRYDATABUFFERSIZE];
      memcpy(inq, c->scan_buf->va, sizeof inq);
      if (p->transferred < 5) break;
      UCHAR qualifier = inq[0] >> 5, type = inq[0] & 0x1F;
      if (qualifier == DEVICE_QUALIFIER_NOT_SUPPORTED) break;
      if (qualifier != DEVICE_QUALIFIER_ACTIVE || type != DIRECT_ACCESS_DEVICE) continue;
      if (disk_known(c, (UCHAR)t, (UCHAR)l)) continue;
      if (scan_claim(c, (UCHAR)t, (UCHAR)l, inq) < 0) {
        ret = -1;
        break;
      }
    }
  }
  free(p);
  return ret < 0 ? -1 : (int)c->ndisks;
}
