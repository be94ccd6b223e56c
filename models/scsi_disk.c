/* SCSI-2 disk target model, command level. See scsi_disk.h and docs/scsi_disk.md.
 *
 * Order of checks for every command (SCSI-2 7.9 gives RESERVATION CONFLICT a higher priority
 * than a pending unit attention, and a conflict leaves the unit attention pending):
 *   1. model errors (arguments)          -> return < 0
 *   2. BUSY fault                        -> BUSY
 *   3. unsupported LUN                   -> INQUIRY: PQ 011b; REQUEST SENSE: 05/25/00 data;
 *                                           REPORT LUNS: served; others 05/25/00
 *   4. reserved by another initiator     -> RESERVATION CONFLICT (not INQUIRY, REQUEST SENSE,
 *                                           RELEASE)
 *   5. pending sense cleared (any command but REQUEST SENSE: SCSI-2 7.6 keeps sense "until
 *      retrieved by a REQUEST SENSE command or until the receipt of any other command")
 *   6. unit attention                    -> INQUIRY served, REQUEST SENSE returns it,
 *                                           others CHECK CONDITION (reported once)
 *   7. operation code (05/20/00), control byte and CDB fields (05/24/00), readiness
 *      (02/04/02 stopped, 02/04/00 fault), LBA range (05/21/00), transfer limit (05/24/00),
 *      then the command itself. */
#include "scsi_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prng.h"

#define NINIT 8 /* SCSI IDs on an 8-bit bus */
#define NLUN 8
#define CHUNK_BYTES 65536u /* memory backing allocation unit */
#define ROT_STREAM 0x7363736964726f74ull /* "scsidrot": rotational positions */
#define ID_STREAM 0x7363736964696400ull  /* "scsidid": default serial and NAA id */
#define MAX_TRANSFER_LIMIT (1u << 30)

#define INQ_STD_LEN 36u
#define PAGE1_LEN 12u /* page code + length + 10 (SCSI-2 read-write error recovery) */
#define PAGE4_LEN 24u /* rigid disk geometry, length 0x16 */
#define PAGE8_LEN 12u /* SCSI-2 caching page, length 0x0A */
#define MODE_MAX_LEN (8u + 16u + PAGE1_LEN + PAGE4_LEN + PAGE8_LEN)

/* ---- state -------------------------------------------------------------------------------- */

typedef struct sense {
  uint8_t valid;      /* pending */
  uint8_t key;
  uint16_t asc;       /* ASC << 8 | ASCQ */
  uint8_t info_valid;
  uint32_t info;
} sense_t;

typedef struct mode_pages {
  uint8_t p1[PAGE1_LEN], p4[PAGE4_LEN], p8[PAGE8_LEN];
} mode_pages_t;

typedef struct lun_state {
  int holder;                 /* reserving initiator, -1 none */
  int stopped;                /* START STOP UNIT with START = 0 */
  uint32_t not_ready_left;    /* fault: medium commands still to fail with 02/04/00 */
  uint64_t cyl;               /* head position */
  sense_t sense[NINIT];
  uint16_t ua[NINIT];         /* pending unit attention ASC/ASCQ, 0 = none */
  mode_pages_t mode;          /* current values */
} lun_state_t;

typedef struct fault {
  uint8_t lun;
  unsigned ops;
  uint64_t lba, count;
} fault_t;

typedef struct chunk_slot {
  uint64_t key1;              /* chunk index + 1; 0 = empty */
  uint8_t *data;
} chunk_slot_t;

struct scsi_disk {
  uint32_t bs;
  uint64_t cap;
  uint8_t nlun;
  char vendor[9], product[17], revision[5], serial[21];
  uint64_t naa_base;
  int fd;                     /* image, or -1 for memory */
  chunk_slot_t *chunks;       /* memory backing: open-addressing table */
  size_t nslots, nused;
  uint32_t heads, spt;
  uint64_t blocks_per_cyl, cylinders;
  uint32_t max_xfer;
  scsi_disk_timing_t tm;
  prng_t rot;
  uint32_t busy_left;
  fault_t faults[SCSI_DISK_MAX_FAULTS];
  unsigned nfaults;
  uint64_t generation;
  mode_pages_t mode_default;
  lun_state_t lun[NLUN];
};

/* ---- small helpers ------------------------------------------------------------------------ */

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | get16(p + 1); }
static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t get64(const uint8_t *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 16); put16(p + 1, v); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}

static void set_err(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t n, const char *fmt, ...) {
  if (!err || n == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

const char *scsi_disk_strerror(int err) {
  switch (err) {
  case SCSI_DISK_OK: return "ok";
  case SCSI_DISK_E_ARG: return "bad argument";
  case SCSI_DISK_E_STATE: return "task not in the right state";
  case SCSI_DISK_E_IO: return "image file I/O error";
  case SCSI_DISK_E_NOMEM: return "out of memory";
  default: return "unknown error";
  }
}

/* lba and count are a valid range of the medium: overflow-safe in 64 bits. SBC: an LBA
 * past the last block is out of range even with a transfer length of zero. */
static int range_ok(const scsi_disk_t *d, uint64_t lba, uint64_t count) {
  return lba < d->cap && count <= d->cap - lba;
}

/* ---- backing store ------------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

static chunk_slot_t *chunk_find(const scsi_disk_t *d, uint64_t idx) {
  if (!d->chunks) return NULL;
  size_t mask = d->nslots - 1;
  for (size_t i = (size_t)mix64(idx) & mask;; i = (i + 1) & mask) {
    chunk_slot_t *s = &d->chunks[i];
    if (s->key1 == 0) return NULL;
    if (s->key1 == idx + 1) return s;
  }
}

static int chunk_grow(scsi_disk_t *d) {
  size_t n = d->nslots ? d->nslots * 2 : 64;
  chunk_slot_t *t = calloc(n, sizeof *t);
  if (!t) return SCSI_DISK_E_NOMEM;
  for (size_t j = 0; j < d->nslots; j++) {
    if (!d->chunks[j].key1) continue;
    size_t i = (size_t)mix64(d->chunks[j].key1 - 1) & (n - 1);
    while (t[i].key1) i = (i + 1) & (n - 1);
    t[i] = d->chunks[j];
  }
  free(d->chunks);
  d->chunks = t;
  d->nslots = n;
  return 0;
}

/* The chunk holding index idx, allocated (zeroed) when absent. */
static uint8_t *chunk_get(scsi_disk_t *d, uint64_t idx) {
  chunk_slot_t *s = chunk_find(d, idx);
  if (s) return s->data;
  if ((d->nused + 1) * 2 > d->nslots && chunk_grow(d) != 0) return NULL;
  uint8_t *data = calloc(1, CHUNK_BYTES);
  if (!data) return NULL;
  size_t mask = d->nslots - 1, i = (size_t)mix64(idx) & mask;
  while (d->chunks[i].key1) i = (i + 1) & mask;
  d->chunks[i].key1 = idx + 1;
  d->chunks[i].data = data;
  d->nused++;
  return data;
}

static uint64_t byte_addr(const scsi_disk_t *d, uint8_t lun, uint64_t lba) {
  return ((uint64_t)lun * d->cap + lba) * d->bs; /* bounded by create: < 2^63 */
}

static int medium_read(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count, uint8_t *buf) {
  uint64_t a = byte_addr(d, lun, lba), len = count * d->bs;
  if (d->fd >= 0) {
    while (len) {
      ssize_t r = pread(d->fd, buf, len, (off_t)a);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return SCSI_DISK_E_IO;
      if (r == 0) { /* past the end of a file someone shortened: zeros, as a fresh image */
        memset(buf, 0, len);
        return 0;
      }
      buf += r, a += (uint64_t)r, len -= (uint64_t)r;
    }
    return 0;
  }
  while (len) {
    uint64_t off = a % CHUNK_BYTES, n = CHUNK_BYTES - off;
    if (n > len) n = len;
    chunk_slot_t *s = chunk_find(d, a / CHUNK_BYTES);
    if (s) memcpy(buf, s->data + off, n);
    else memset(buf, 0, n);
    buf += n, a += n, len -= n;
  }
  return 0;
}

static int medium_write(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count,
                        const uint8_t *buf) {
  uint64_t a = byte_addr(d, lun, lba), len = count * d->bs;
  if (d->fd >= 0) {
    while (len) {
      ssize_t r = pwrite(d->fd, buf, len, (off_t)a);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return SCSI_DISK_E_IO;
      buf += r, a += (uint64_t)r, len -= (uint64_t)r;
    }
    return 0;
  }
  while (len) {
    uint64_t off = a % CHUNK_BYTES, n = CHUNK_BYTES - off;
    if (n > len) n = len;
    uint8_t *c = chunk_get(d, a / CHUNK_BYTES);
    if (!c) return SCSI_DISK_E_NOMEM;
    memcpy(c + off, buf, n);
    buf += n, a += n, len -= n;
  }
  return 0;
}

/* ---- timing ------------------------------------------------------------------------------- */

/* Seek + rotational latency + media transfer for count blocks at lba; moves the head. */
static uint64_t media_ns(scsi_disk_t *d, lun_state_t *lu, uint64_t lba, uint64_t count) {
  if (count == 0) return 0;
  const scsi_disk_timing_t *tm = &d->tm;
  uint64_t ns = 0, cyl = lba / d->blocks_per_cyl;
  uint64_t dist = cyl > lu->cyl ? cyl - lu->cyl : lu->cyl - cyl;
  if (dist) {
    /* linear from one cylinder (track-to-track) to the longest seek, cylinders - 1 (full
     * stroke) */
    uint64_t span = d->cylinders - 2; /* dist - 1 at the full stroke; dist > 1 means >= 1 */
    ns += tm->track_to_track_ns;
    if (dist > 1) {
      uint64_t extra = tm->full_stroke_ns - tm->track_to_track_ns;
      /* dist - 1 < span <= 2^63 / 512 and extra < 2^40 in any sane config: use a 128-bit
       * product so nothing can overflow */
      ns += (uint64_t)((unsigned __int128)extra * (dist - 1) / span);
    }
  }
  if (tm->rpm) {
    uint64_t rev = 60000000000ull / tm->rpm;
    ns += tm->rotation == SCSI_DISK_ROT_SEEDED ? prng_below(&d->rot, rev) : rev / 2;
  }
  if (tm->media_bytes_per_s)
    ns += (uint64_t)((unsigned __int128)count * d->bs * 1000000000u / tm->media_bytes_per_s);
  lu->cyl = (lba + count - 1) / d->blocks_per_cyl;
  return ns;
}

/* ---- mode pages --------------------------------------------------------------------------- */

static void mode_defaults(scsi_disk_t *d, mode_pages_t *m) {
  memset(m, 0, sizeof *m);
  /* page 01h: AWRE and ARRE on (automatic reallocation), 8 retries each way */
  m->p1[0] = SCSI_MODE_PAGE_RW_ERROR_RECOVERY;
  m->p1[1] = PAGE1_LEN - 2;
  m->p1[2] = 0xC0;
  m->p1[3] = 8;
  m->p1[8] = 8;
  /* page 04h: cylinders, heads; no write precompensation or reduced write current (their
   * starting cylinder = the number of cylinders); rotation rate */
  uint32_t cyl = d->cylinders > 0xFFFFFFu ? 0xFFFFFFu : (uint32_t)d->cylinders;
  m->p4[0] = SCSI_MODE_PAGE_RIGID_GEOMETRY;
  m->p4[1] = PAGE4_LEN - 2;
  put24(m->p4 + 2, cyl);
  m->p4[5] = (uint8_t)d->heads;
  put24(m->p4 + 6, cyl);
  put24(m->p4 + 9, cyl);
  put16(m->p4 + 20, d->tm.rpm > 0xFFFF ? 0xFFFF : d->tm.rpm);
  /* page 08h (SCSI-2 length 0Ah): WCE off, read cache on; prefetch limits */
  m->p8[0] = SCSI_MODE_PAGE_CACHING;
  m->p8[1] = PAGE8_LEN - 2;
  put16(m->p8 + 4, 0xFFFF); /* disable prefetch transfer length */
  put16(m->p8 + 8, 0xFFFF); /* maximum prefetch */
  put16(m->p8 + 10, 0xFFFF); /* maximum prefetch ceiling */
}

/* Changeable-value masks: only the caching page's WCE (bit 2) and RCD (bit 0). */
static void mode_changeable(mode_pages_t *m) {
  memset(m, 0, sizeof *m);
  m->p1[0] = SCSI_MODE_PAGE_RW_ERROR_RECOVERY;
  m->p1[1] = PAGE1_LEN - 2;
  m->p4[0] = SCSI_MODE_PAGE_RIGID_GEOMETRY;
  m->p4[1] = PAGE4_LEN - 2;
  m->p8[0] = SCSI_MODE_PAGE_CACHING;
  m->p8[1] = PAGE8_LEN - 2;
  m->p8[2] = 0x05;
}

static uint8_t *mode_page(mode_pages_t *m, unsigned code, unsigned *len) {
  switch (code) {
  case SCSI_MODE_PAGE_RW_ERROR_RECOVERY: *len = PAGE1_LEN; return m->p1;
  case SCSI_MODE_PAGE_RIGID_GEOMETRY: *len = PAGE4_LEN; return m->p4;
  case SCSI_MODE_PAGE_CACHING: *len = PAGE8_LEN; return m->p8;
  default: *len = 0; return NULL;
  }
}

/* ---- command context ---------------------------------------------------------------------- */

typedef struct cmd {
  scsi_disk_t *d;
  scsi_task_t *t;
  lun_state_t *lu;
  const uint8_t *c;
} cmd_t;

static void check_cond(cmd_t *x, uint8_t key, uint16_t asc, int info_valid, uint64_t info) {
  sense_t *s = &x->lu->sense[x->t->initiator];
  s->valid = 1;
  s->key = key;
  s->asc = asc;
  /* the fixed format's information field has 32 bits: a larger LBA cannot be reported */
  s->info_valid = info_valid && info <= 0xFFFFFFFFull;
  s->info = (uint32_t)info;
  x->t->status = SCSI_STATUS_CHECK_CONDITION;
}

static void illegal(cmd_t *x, uint16_t asc) { check_cond(x, SCSI_SK_ILLEGAL_REQUEST, asc, 0, 0); }

static void sense_bytes(const sense_t *s, uint8_t out[SCSI_SENSE_LEN]) {
  memset(out, 0, SCSI_SENSE_LEN);
  out[0] = SCSI_SENSE_FIXED_CURRENT | (s->info_valid ? SCSI_SENSE_VALID : 0);
  out[2] = s->key & 0x0F;
  put32(out + 3, s->info);
  out[7] = SCSI_SENSE_LEN - 8;
  out[12] = (uint8_t)(s->asc >> 8);
  out[13] = (uint8_t)s->asc;
}

/* Data-in of up to avail bytes of src, truncated to the allocation length. */
static int data_in(cmd_t *x, const uint8_t *src, uint32_t avail, uint32_t alloc) {
  uint32_t n = avail < alloc ? avail : alloc;
  if (n == 0) return 0;
  uint8_t *p = malloc(n);
  if (!p) {
    x->t->status = SCSI_STATUS_BUSY;
    return SCSI_DISK_E_NOMEM;
  }
  memcpy(p, src, n);
  x->t->dir = SCSI_DIR_IN;
  x->t->data = p;
  x->t->data_len = n;
  return 0;
}

/* A data-out phase of n bytes (n > 0) to be completed by scsi_disk_finish_out. */
static int data_out(cmd_t *x, uint32_t n) {
  uint8_t *p = malloc(n);
  if (!p) {
    x->t->status = SCSI_STATUS_BUSY;
    return SCSI_DISK_E_NOMEM;
  }
  x->t->dir = SCSI_DIR_OUT;
  x->t->data = p;
  x->t->data_len = n;
  x->t->priv.out_pending = 1;
  return 0;
}

/* CDB bytes [from, to] all zero (reserved), else 05/24/00. Returns 1 when they are. */
static int zero_bytes(cmd_t *x, unsigned from, unsigned to) {
  for (unsigned i = from; i <= to; i++)
    if (x->c[i]) {
      illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
      return 0;
    }
  return 1;
}

/* Reserved bits of a CDB byte must be zero. */
static int zero_bits(cmd_t *x, unsigned byte, uint8_t mask) {
  if (x->c[byte] & mask) {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  return 1;
}

/* The unit can access its medium; otherwise NOT READY sense. Returns 1 when ready. */
static int ready(cmd_t *x) {
  if (x->lu->stopped) {
    check_cond(x, SCSI_SK_NOT_READY, SCSI_ASC_NOT_READY_INIT_REQUIRED, 0, 0);
    return 0;
  }
  if (x->lu->not_ready_left) {
    x->lu->not_ready_left--;
    check_cond(x, SCSI_SK_NOT_READY, SCSI_ASC_NOT_READY, 0, 0);
    return 0;
  }
  return 1;
}

/* First block in [lba, lba + count) of a fault range for ops on this LUN, or UINT64_MAX. */
static uint64_t first_fault(const scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count,
                            unsigned ops) {
  uint64_t best = UINT64_MAX;
  for (unsigned i = 0; i < d->nfaults; i++) {
    const fault_t *f = &d->faults[i];
    if (f->lun != lun || !(f->ops & ops)) continue;
    /* overlap of [lba, lba+count) and [f->lba, f->lba+f->count); both inside the capacity */
    if (f->lba >= lba + count || lba >= f->lba + f->count) continue;
    uint64_t b = f->lba > lba ? f->lba : lba;
    if (b < best) best = b;
  }
  return best;
}

/* ---- commands ----------------------------------------------------------------------------- */

static int cmd_test_unit_ready(cmd_t *x) {
  if (!zero_bits(x, 1, 0x1F) || !zero_bytes(x, 2, 4)) return 0;
  ready(x);
  return 0;
}

static int cmd_request_sense(cmd_t *x) {
  /* byte 1 bit 0 is DESC in SPC-3: descriptor-format sense is not supported */
  if (!zero_bits(x, 1, 0x1F) || !zero_bytes(x, 2, 3)) return 0;
  sense_t s = {0};
  uint16_t *ua = &x->lu->ua[x->t->initiator];
  sense_t *pend = &x->lu->sense[x->t->initiator];
  if (*ua) {
    s.key = SCSI_SK_UNIT_ATTENTION;
    s.asc = *ua;
    *ua = 0;
  } else if (pend->valid) {
    s = *pend;
  }
  memset(pend, 0, sizeof *pend);
  uint8_t buf[SCSI_SENSE_LEN];
  sense_bytes(&s, buf);
  /* SCSI-2: an allocation length of zero transfers no data and is not an error */
  return data_in(x, buf, SCSI_SENSE_LEN, x->c[4]);
}

static void pad_copy(uint8_t *dst, const char *src, size_t n) {
  memset(dst, ' ', n);
  size_t l = strlen(src);
  memcpy(dst, src, l < n ? l : n);
}

static void lun_serial(const scsi_disk_t *d, uint8_t lun, char out[32]) {
  if (lun == 0) snprintf(out, 32, "%s", d->serial);
  else snprintf(out, 32, "%s-%u", d->serial, (unsigned)(lun & 7));
}

/* INQUIRY; byte0 is 0x00 (disk) or 0x7F (unsupported LUN). */
static int cmd_inquiry(cmd_t *x, uint8_t lun, uint8_t byte0) {
  const scsi_disk_t *d = x->d;
  if (!zero_bits(x, 1, 0x1E)) return 0;
  int evpd = x->c[1] & 1;
  uint8_t page = x->c[2];
  /* SCSI-2 allocation length is byte 4; byte 3 (reserved there) is accepted as its high
   * byte, as SPC-3 defines it, so a 16-bit allocation length also works */
  uint32_t alloc = get16(x->c + 3);
  uint8_t b[256];
  memset(b, 0, sizeof b);
  uint32_t n;
  b[0] = byte0;
  if (!evpd) {
    if (page) {
      illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
      return 0;
    }
    b[2] = 0x02;               /* ANSI version: SCSI-2 */
    b[3] = 0x02;               /* response data format: SCSI-2 */
    b[4] = INQ_STD_LEN - 5;    /* additional length */
    /* byte 7: RelAdr, WBus32/16, Sync, Linked, CmdQue, SftRe all 0: an 8-bit asynchronous
     * target without linked commands or tagged queueing */
    pad_copy(b + 8, d->vendor, 8);
    pad_copy(b + 16, d->product, 16);
    pad_copy(b + 32, d->revision, 4);
    n = INQ_STD_LEN;
  } else if (page == SCSI_VPD_SUPPORTED_PAGES) {
    b[1] = page;
    b[3] = 3;
    b[4] = SCSI_VPD_SUPPORTED_PAGES;
    b[5] = SCSI_VPD_UNIT_SERIAL;
    b[6] = SCSI_VPD_DEVICE_ID;
    n = 7;
  } else if (page == SCSI_VPD_UNIT_SERIAL) {
    char sn[32];
    lun_serial(d, lun, sn);
    size_t l = strlen(sn);
    b[1] = page;
    b[3] = (uint8_t)l;
    memcpy(b + 4, sn, l);
    n = 4 + (uint32_t)l;
  } else if (page == SCSI_VPD_DEVICE_ID) {
    /* designator 1: T10 vendor ID based (ASCII): vendor(8) product(16) serial */
    char sn[32];
    lun_serial(d, lun, sn);
    size_t l = strlen(sn);
    uint8_t *p = b + 4;
    p[0] = 0x02;               /* code set ASCII */
    p[1] = 0x01;               /* association: logical unit; type: T10 vendor ID */
    p[3] = (uint8_t)(24 + l);
    pad_copy(p + 4, d->vendor, 8);
    pad_copy(p + 12, d->product, 16);
    memcpy(p + 28, sn, l);
    p += 4 + 24 + l;
    /* designator 2: NAA 3 (locally assigned), 8 bytes from the seed and the LUN */
    p[0] = 0x01;               /* code set binary */
    p[1] = 0x03;               /* association: logical unit; type: NAA */
    p[3] = 8;
    put64(p + 4, (0x3ull << 60) | ((d->naa_base + lun) & 0x0FFFFFFFFFFFFFFFull));
    p += 12;
    n = (uint32_t)(p - b);
    b[1] = page;
    put16(b + 2, n - 4);
  } else {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  return data_in(x, b, n, alloc);
}

static int cmd_read_capacity10(cmd_t *x) {
  scsi_disk_t *d = x->d;
  if (!zero_bits(x, 1, 0x1F) || !zero_bytes(x, 6, 7) || !zero_bits(x, 8, 0xFE)) return 0;
  uint64_t lba = get32(x->c + 2);
  int pmi = x->c[8] & 1;
  if (!pmi && lba) { /* SCSI-2: LBA must be zero when PMI is zero */
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  if (!ready(x)) return 0;
  uint64_t last = d->cap - 1;
  if (pmi) {
    /* the last block before a substantial delay: the end of the cylinder holding lba */
    if (lba >= d->cap) {
      illegal(x, SCSI_ASC_LBA_OUT_OF_RANGE);
      return 0;
    }
    uint64_t end = (lba / d->blocks_per_cyl + 1) * d->blocks_per_cyl - 1;
    if (end < last) last = end;
  }
  uint8_t b[8];
  /* SBC: more blocks than the field can say -> FFFFFFFFh (use READ CAPACITY(16)) */
  put32(b, last > 0xFFFFFFFEull ? 0xFFFFFFFFu : (uint32_t)last);
  put32(b + 4, d->bs);
  return data_in(x, b, 8, 8);
}

static int cmd_service_action_in(cmd_t *x) {
  scsi_disk_t *d = x->d;
  if ((x->c[1] & 0x1F) != SCSI_SA_READ_CAPACITY_16) {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  if (!zero_bits(x, 1, 0xE0) || !zero_bits(x, 14, 0xFE)) return 0;
  uint64_t lba = get64(x->c + 2);
  uint32_t alloc = get32(x->c + 10);
  int pmi = x->c[14] & 1;
  if (!pmi && lba) {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  if (!ready(x)) return 0;
  uint64_t last = d->cap - 1;
  if (pmi) {
    if (lba >= d->cap) {
      illegal(x, SCSI_ASC_LBA_OUT_OF_RANGE);
      return 0;
    }
    uint64_t end = lba / d->blocks_per_cyl * d->blocks_per_cyl + (d->blocks_per_cyl - 1);
    if (end < last) last = end;
  }
  uint8_t b[32] = {0};
  put64(b, last);
  put32(b + 8, d->bs);
  return data_in(x, b, 32, alloc);
}

/* READ/WRITE/VERIFY decoding: lba, count from the CDB; 0 when the fields are valid. */
typedef struct rw {
  uint64_t lba, count;
  int write, verify, bytchk;
} rw_t;

static int decode_rw(cmd_t *x, rw_t *r) {
  const uint8_t *c = x->c;
  memset(r, 0, sizeof *r);
  switch (c[0]) {
  case SCSI_OP_READ_6:
  case SCSI_OP_WRITE_6:
    r->lba = get24(c + 1) & 0x1FFFFFu;
    r->count = c[4] ? c[4] : 256; /* SCSI-2: a transfer length of 0 means 256 blocks */
    r->write = c[0] == SCSI_OP_WRITE_6;
    return 1;
  case SCSI_OP_READ_10:
  case SCSI_OP_WRITE_10:
    /* byte 1: DPO (4) and FUA (3) accepted (the model always writes through); bits 2-1
     * reserved, RelAdr (0) unsupported; bits 7-5 are the SCSI-2 LUN field, ignored */
    if (!zero_bits(x, 1, 0x07) || !zero_bytes(x, 6, 6)) return 0;
    r->lba = get32(c + 2);
    r->count = get16(c + 7);
    r->write = c[0] == SCSI_OP_WRITE_10;
    return 1;
  case SCSI_OP_READ_12:
  case SCSI_OP_WRITE_12:
    if (!zero_bits(x, 1, 0x07) || !zero_bytes(x, 10, 10)) return 0;
    r->lba = get32(c + 2);
    r->count = get32(c + 6);
    r->write = c[0] == SCSI_OP_WRITE_12;
    return 1;
  case SCSI_OP_READ_16:
  case SCSI_OP_WRITE_16:
    /* byte 1 bits 7-5: RDPROTECT/WRPROTECT (no protection information here); byte 14
     * bits 4-0: group number, ignored */
    if (!zero_bits(x, 1, 0xE7) || !zero_bits(x, 14, 0xE0)) return 0;
    r->lba = get64(c + 2);
    r->count = get32(c + 10);
    r->write = c[0] == SCSI_OP_WRITE_16;
    return 1;
  case SCSI_OP_VERIFY_10:
    /* byte 1: DPO (4), BYTCHK (1); bits 3-2 reserved, RelAdr (0) unsupported */
    if (!zero_bits(x, 1, 0x0D) || !zero_bytes(x, 6, 6)) return 0;
    r->lba = get32(c + 2);
    r->count = get16(c + 7);
    r->verify = 1;
    r->bytchk = (c[1] >> 1) & 1;
    return 1;
  default:
    illegal(x, SCSI_ASC_INVALID_OPCODE);
    return 0;
  }
}

static int cmd_read_write(cmd_t *x) {
  scsi_disk_t *d = x->d;
  scsi_task_t *t = x->t;
  rw_t r;
  if (!decode_rw(x, &r) || !ready(x)) return 0;
  if (!range_ok(d, r.lba, r.count)) {
    illegal(x, SCSI_ASC_LBA_OUT_OF_RANGE);
    return 0;
  }
  int moves_data = !r.verify || r.bytchk;
  if (moves_data && r.count > d->max_xfer / d->bs) {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  if (r.count == 0) return 0; /* no blocks: GOOD, no data */
  uint32_t bytes = (uint32_t)(r.count * d->bs);
  if (r.write || (r.verify && r.bytchk)) {
    t->service_ns += media_ns(d, x->lu, r.lba, r.count);
    return data_out(x, bytes);
  }
  uint64_t bad = first_fault(d, t->lun, r.lba, r.count, SCSI_DISK_FAULT_READ);
  uint64_t good = bad == UINT64_MAX ? r.count : bad - r.lba;
  t->service_ns += media_ns(d, x->lu, r.lba, good < r.count ? good + 1 : good);
  if (!r.verify && good) {
    /* SCSI-2 disks transfer the blocks read before the bad one, then report the error */
    uint8_t *p = malloc(good * d->bs);
    if (!p) {
      t->status = SCSI_STATUS_BUSY;
      return SCSI_DISK_E_NOMEM;
    }
    int rc = medium_read(d, t->lun, r.lba, good, p);
    if (rc) {
      free(p);
      check_cond(x, SCSI_SK_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE, 0, 0);
      return rc;
    }
    t->dir = SCSI_DIR_IN;
    t->data = p;
    t->data_len = (uint32_t)(good * d->bs);
  }
  if (good < r.count)
    check_cond(x, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR, 1, bad);
  return 0;
}

static int finish_write(cmd_t *x) {
  scsi_disk_t *d = x->d;
  scsi_task_t *t = x->t;
  rw_t r;
  if (!decode_rw(x, &r)) return 0; /* cannot happen: begin accepted this CDB */
  if (r.verify) {
    /* BYTCHK = 1: compare block by block; a bad block reads as an unrecovered error */
    uint8_t *blk = malloc(d->bs);
    if (!blk) {
      t->status = SCSI_STATUS_BUSY;
      return SCSI_DISK_E_NOMEM;
    }
    int rc = 0;
    for (uint64_t i = 0; i < r.count; i++) {
      uint64_t lba = r.lba + i;
      if (first_fault(d, t->lun, lba, 1, SCSI_DISK_FAULT_READ) != UINT64_MAX) {
        check_cond(x, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR, 1, lba);
        break;
      }
      rc = medium_read(d, t->lun, lba, 1, blk);
      if (rc) {
        check_cond(x, SCSI_SK_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE, 0, 0);
        break;
      }
      if (memcmp(blk, t->data + i * d->bs, d->bs) != 0) {
        check_cond(x, SCSI_SK_MISCOMPARE, SCSI_ASC_MISCOMPARE_VERIFY, 1, lba);
        break;
      }
    }
    free(blk);
    return rc;
  }
  uint64_t bad = first_fault(d, t->lun, r.lba, r.count, SCSI_DISK_FAULT_WRITE);
  uint64_t good = bad == UINT64_MAX ? r.count : bad - r.lba;
  if (good) {
    int rc = medium_write(d, t->lun, r.lba, good, t->data);
    if (rc) {
      check_cond(x, SCSI_SK_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE, 0, 0);
      return rc;
    }
  }
  if (good < r.count) check_cond(x, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_WRITE_FAULT, 1, bad);
  return 0;
}

/* MODE SENSE(6) and (10). */
static int cmd_mode_sense(cmd_t *x) {
  scsi_disk_t *d = x->d;
  const uint8_t *c = x->c;
  int ten = c[0] == SCSI_OP_MODE_SENSE_10;
  uint32_t alloc;
  int llbaa = 0;
  if (ten) {
    if (!zero_bits(x, 1, 0x07) || !zero_bytes(x, 3, 6)) return 0;
    llbaa = (c[1] >> 4) & 1;
    alloc = get16(c + 7);
  } else {
    if (!zero_bits(x, 1, 0x17) || !zero_bytes(x, 3, 3)) return 0;
    alloc = c[4];
  }
  int dbd = (c[1] >> 3) & 1;
  unsigned pc = c[2] >> 6, code = c[2] & 0x3F;
  if (code != SCSI_MODE_PAGE_ALL && !mode_page(&x->lu->mode, code, &(unsigned){0})) {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  if (pc == SCSI_MODE_PC_SAVED) {
    illegal(x, SCSI_ASC_SAVING_NOT_SUPPORTED);
    return 0;
  }
  mode_pages_t src;
  if (pc == SCSI_MODE_PC_CURRENT) src = x->lu->mode;
  else if (pc == SCSI_MODE_PC_DEFAULT) src = d->mode_default;
  else mode_changeable(&src);

  uint8_t b[MODE_MAX_LEN];
  memset(b, 0, sizeof b);
  unsigned hdr = ten ? 8 : 4, n = hdr;
  unsigned dev_specific = 0x10; /* DPOFUA: DPO and FUA are accepted; WP = 0 */
  if (!dbd) {
    int lng = ten && llbaa && d->cap > 0xFFFFFFFFull;
    uint8_t *bd = b + hdr;
    if (pc != SCSI_MODE_PC_CHANGEABLE) { /* nothing in the block descriptor can change */
      if (lng) {
        put64(bd, d->cap);
        put32(bd + 12, d->bs);
      } else {
        /* SBC short LBA descriptor: a 32-bit number of blocks (all ones when too many). With
         * fewer than 2^24 blocks it is byte for byte the SCSI-2 descriptor with density
         * code 0 and a 24-bit number of blocks. */
        put32(bd, d->cap > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)d->cap);
        put24(bd + 5, d->bs);
      }
    }
    unsigned bdl = lng ? 16 : 8;
    if (ten) {
      b[4] = lng ? 1 : 0; /* LONGLBA */
      put16(b + 6, bdl);
    } else {
      b[3] = (uint8_t)bdl;
    }
    n += bdl;
  }
  static const unsigned all[] = {SCSI_MODE_PAGE_RW_ERROR_RECOVERY, SCSI_MODE_PAGE_RIGID_GEOMETRY,
                                 SCSI_MODE_PAGE_CACHING};
  for (unsigned i = 0; i < 3; i++) {
    if (code != SCSI_MODE_PAGE_ALL && code != all[i]) continue;
    unsigned len;
    const uint8_t *p = mode_page(&src, all[i], &len);
    memcpy(b + n, p, len);
    n += len;
  }
  if (ten) {
    put16(b, n - 2);
    b[3] = (uint8_t)dev_specific;
  } else {
    b[0] = (uint8_t)(n - 1);
    b[2] = (uint8_t)dev_specific;
  }
  return data_in(x, b, n, alloc);
}

static int cmd_mode_select(cmd_t *x) {
  const uint8_t *c = x->c;
  uint32_t len;
  /* byte 1: PF (4) accepted either way, SP (0): saving is not supported */
  if (c[0] == SCSI_OP_MODE_SELECT_10) {
    if (!zero_bits(x, 1, 0x0F) || !zero_bytes(x, 2, 6)) return 0;
    len = get16(c + 7);
  } else {
    if (!zero_bits(x, 1, 0x0F) || !zero_bytes(x, 2, 3)) return 0;
    len = c[4];
  }
  if (len == 0) return 0;
  return data_out(x, len);
}

static void param_error(cmd_t *x, uint16_t asc) { illegal(x, asc); }

static void raise_ua(scsi_disk_t *d, lun_state_t *lu, int init, uint16_t asc);

static int finish_mode_select(cmd_t *x, uint32_t n) {
  scsi_disk_t *d = x->d;
  const uint8_t *p = x->t->data;
  int ten = x->c[0] == SCSI_OP_MODE_SELECT_10;
  unsigned hdr = ten ? 8 : 4;
  if (n < hdr) {
    param_error(x, SCSI_ASC_PARAM_LIST_LENGTH_ERROR);
    return 0;
  }
  /* mode data length is reserved in MODE SELECT; medium type 0; the device-specific
   * parameter (WP, DPOFUA) is ignored */
  unsigned bdl, longlba = 0;
  int bad_hdr;
  if (ten) {
    bdl = get16(p + 6);
    longlba = p[4] & 1;
    bad_hdr = get16(p) != 0 || p[2] != 0 || (p[4] & 0xFE) || p[5] != 0 ||
              bdl != (longlba ? 16u : 8u) * (bdl != 0);
  } else {
    bdl = p[3];
    bad_hdr = p[0] != 0 || p[1] != 0 || (bdl != 0 && bdl != 8);
  }
  if (bad_hdr) {
    param_error(x, SCSI_ASC_INVALID_FIELD_IN_PARAM);
    return 0;
  }
  if (n < hdr + bdl) {
    param_error(x, SCSI_ASC_PARAM_LIST_LENGTH_ERROR);
    return 0;
  }
  if (bdl) {
    /* the block size and capacity cannot change: the descriptor must say what MODE SENSE
     * says (number of blocks 0 = "all blocks" also accepted) */
    const uint8_t *bd = p + hdr;
    uint64_t nb;
    uint32_t bl;
    int dens_ok;
    if (bdl == 16) {
      nb = get64(bd);
      bl = get32(bd + 12);
      dens_ok = get32(bd + 8) == 0;
    } else {
      nb = get32(bd);
      bl = get24(bd + 5);
      dens_ok = bd[4] == 0;
    }
    uint64_t rep = bdl == 16 ? d->cap : (d->cap > 0xFFFFFFFFull ? 0xFFFFFFFFull : d->cap);
    if (!dens_ok || bl != d->bs || (nb != 0 && nb != rep)) {
      param_error(x, SCSI_ASC_INVALID_FIELD_IN_PARAM);
      return 0;
    }
  }
  /* check every page against the current values and the changeable masks, then apply */
  mode_pages_t cur = x->lu->mode, mask;
  mode_changeable(&mask);
  for (uint32_t off = hdr + bdl; off < n;) {
    if (n - off < 2) {
      param_error(x, SCSI_ASC_PARAM_LIST_LENGTH_ERROR);
      return 0;
    }
    unsigned code = p[off] & 0x3F, len;
    uint8_t *cp = mode_page(&cur, code, &len);
    const uint8_t *mp = mode_page(&mask, code, &(unsigned){0});
    if (!cp || (p[off] & 0xC0) || p[off + 1] != len - 2) { /* PS is reserved here */
      param_error(x, SCSI_ASC_INVALID_FIELD_IN_PARAM);
      return 0;
    }
    if (n - off < len) {
      param_error(x, SCSI_ASC_PARAM_LIST_LENGTH_ERROR);
      return 0;
    }
    for (unsigned i = 2; i < len; i++) {
      if ((p[off + i] ^ cp[i]) & (uint8_t)~mp[i]) {
        param_error(x, SCSI_ASC_INVALID_FIELD_IN_PARAM);
        return 0;
      }
    }
    for (unsigned i = 2; i < len; i++) cp[i] = (uint8_t)((cp[i] & ~mp[i]) | (p[off + i] & mp[i]));
    off += len;
  }
  if (memcmp(&cur, &x->lu->mode, sizeof cur) != 0) {
    x->lu->mode = cur;
    /* SCSI-2 7.9: other initiators learn of changed parameters by a unit attention */
    for (int i = 0; i < NINIT; i++)
      if (i != x->t->initiator) raise_ua(d, x->lu, i, SCSI_ASC_MODE_PARAMS_CHANGED);
  }
  return 0;
}

static int cmd_start_stop(cmd_t *x) {
  scsi_disk_t *d = x->d;
  /* byte 1: IMMED (0); byte 4: START (0); LOEJ (1) asks to load or eject a medium a fixed
   * disk does not have, and the power-condition bits (7-4) are not supported */
  if (!zero_bits(x, 1, 0x1E) || !zero_bytes(x, 2, 3) || !zero_bits(x, 4, 0xFE)) return 0;
  int immed = x->c[1] & 1, start = x->c[4] & 1;
  if (start && x->lu->stopped && !immed) x->t->service_ns += d->tm.spin_up_ns;
  x->lu->stopped = !start;
  return 0;
}

static int cmd_sync_cache(cmd_t *x) {
  scsi_disk_t *d = x->d;
  /* byte 1: IMMED (1) accepted; bits 4-2 reserved; RelAdr (0) unsupported */
  if (!zero_bits(x, 1, 0x1D) || !zero_bytes(x, 6, 6)) return 0;
  uint64_t lba = get32(x->c + 2), count = get16(x->c + 7);
  if (!ready(x)) return 0;
  /* number of blocks 0: from lba to the end of the medium */
  if (!range_ok(d, lba, count)) {
    illegal(x, SCSI_ASC_LBA_OUT_OF_RANGE);
    return 0;
  }
  /* writes are already in the image (pwrite at completion): make them durable too */
  if (d->fd >= 0 && fdatasync(d->fd) != 0 && errno != EINVAL) {
    check_cond(x, SCSI_SK_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE, 0, 0);
    return SCSI_DISK_E_IO;
  }
  return 0;
}

static int cmd_report_luns(cmd_t *x) {
  scsi_disk_t *d = x->d;
  if (!zero_bytes(x, 1, 1) || !zero_bytes(x, 3, 5) || !zero_bytes(x, 10, 10)) return 0;
  uint8_t sel = x->c[2];
  uint32_t alloc = get32(x->c + 6);
  /* SPC: select report 0 (all logical units), 1 (well known: none here), 2 (all);
   * an allocation length below 16 is invalid */
  if (sel > 2 || alloc < 16) {
    illegal(x, SCSI_ASC_INVALID_FIELD_IN_CDB);
    return 0;
  }
  uint8_t b[8 + 8 * NLUN];
  memset(b, 0, sizeof b);
  unsigned n = sel == 1 ? 0 : d->nlun;
  put32(b, 8 * n);
  for (unsigned i = 0; i < n; i++) b[8 + 8 * i + 1] = (uint8_t)i; /* peripheral addressing */
  return data_in(x, b, 8 + 8 * n, alloc);
}

static int cmd_reserve_release(cmd_t *x) {
  /* byte 1: third-party (4), third-party ID (3-1) and extent (0) reservations are not
   * supported; bytes 2-4 (reservation ID, extent list length) only matter with extents */
  if (!zero_bits(x, 1, 0x1F)) return 0;
  int init = x->t->initiator;
  if (x->c[0] == SCSI_OP_RESERVE_6) x->lu->holder = init; /* a conflict was refused earlier */
  else if (x->lu->holder == init) x->lu->holder = -1;
  /* SCSI-2: RELEASE of a reservation held by another initiator succeeds with no effect */
  return 0;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int is_rw(uint8_t op) {
  switch (op) {
  case SCSI_OP_READ_6: case SCSI_OP_WRITE_6: case SCSI_OP_READ_10: case SCSI_OP_WRITE_10:
  case SCSI_OP_READ_12: case SCSI_OP_WRITE_12: case SCSI_OP_READ_16: case SCSI_OP_WRITE_16:
  case SCSI_OP_VERIFY_10:
    return 1;
  default:
    return 0;
  }
}

static int supported(uint8_t op) {
  switch (op) {
  case SCSI_OP_TEST_UNIT_READY: case SCSI_OP_REQUEST_SENSE: case SCSI_OP_INQUIRY:
  case SCSI_OP_MODE_SELECT_6: case SCSI_OP_RESERVE_6: case SCSI_OP_RELEASE_6:
  case SCSI_OP_MODE_SENSE_6: case SCSI_OP_START_STOP_UNIT: case SCSI_OP_READ_CAPACITY_10:
  case SCSI_OP_SYNCHRONIZE_CACHE_10: case SCSI_OP_MODE_SELECT_10: case SCSI_OP_MODE_SENSE_10:
  case SCSI_OP_SERVICE_ACTION_IN_16: case SCSI_OP_REPORT_LUNS:
    return 1;
  default:
    return is_rw(op);
  }
}

static int execute(cmd_t *x) {
  switch (x->c[0]) {
  case SCSI_OP_TEST_UNIT_READY: return cmd_test_unit_ready(x);
  case SCSI_OP_REQUEST_SENSE: return cmd_request_sense(x);
  case SCSI_OP_INQUIRY: return cmd_inquiry(x, x->t->lun, SCSI_TYPE_DISK);
  case SCSI_OP_MODE_SELECT_6:
  case SCSI_OP_MODE_SELECT_10: return cmd_mode_select(x);
  case SCSI_OP_RESERVE_6:
  case SCSI_OP_RELEASE_6: return cmd_reserve_release(x);
  case SCSI_OP_MODE_SENSE_6:
  case SCSI_OP_MODE_SENSE_10: return cmd_mode_sense(x);
  case SCSI_OP_START_STOP_UNIT: return cmd_start_stop(x);
  case SCSI_OP_READ_CAPACITY_10: return cmd_read_capacity10(x);
  case SCSI_OP_SYNCHRONIZE_CACHE_10: return cmd_sync_cache(x);
  case SCSI_OP_SERVICE_ACTION_IN_16: return cmd_service_action_in(x);
  case SCSI_OP_REPORT_LUNS: return cmd_report_luns(x);
  default: return cmd_read_write(x);
  }
}

/* An unsupported LUN (SCSI-2 7.5.3 / SPC): INQUIRY answers with peripheral qualifier 011b
 * and GOOD status, REQUEST SENSE returns 05/25/00 as its data, REPORT LUNS is served (it
 * describes the target), anything else is CHECK CONDITION 05/25/00. Nothing is stored: the
 * sense of an unsupported LUN is always 05/25/00. */
static int unsupported_lun(cmd_t *x) {
  uint8_t op = x->c[0];
  if (op == SCSI_OP_INQUIRY || op == SCSI_OP_REPORT_LUNS) {
    /* field errors still need somewhere to keep their sense: use the scratch LUN state */
    return op == SCSI_OP_INQUIRY ? cmd_inquiry(x, x->t->lun, SCSI_INQ_LUN_NOT_PRESENT)
                                 : cmd_report_luns(x);
  }
  if (op == SCSI_OP_REQUEST_SENSE) {
    if (!zero_bits(x, 1, 0x1F) || !zero_bytes(x, 2, 3)) return 0;
    sense_t s = {1, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LUN_NOT_SUPPORTED, 0, 0};
    uint8_t buf[SCSI_SENSE_LEN];
    sense_bytes(&s, buf);
    return data_in(x, buf, SCSI_SENSE_LEN, x->c[4]);
  }
  illegal(x, SCSI_ASC_LUN_NOT_SUPPORTED);
  return 0;
}

int scsi_disk_begin(scsi_disk_t *d, scsi_task_t *t) {
  if (!t) return SCSI_DISK_E_ARG;
  t->dir = SCSI_DIR_NONE;
  t->data = NULL;
  t->data_len = 0;
  t->status = SCSI_STATUS_CHECK_CONDITION;
  t->service_ns = 0;
  memset(&t->priv, 0, sizeof t->priv);
  if (!d || t->initiator >= NINIT || t->lun >= NLUN) return SCSI_DISK_E_ARG;
  unsigned want = scsi_cdb_len(t->cdb[0]);
  if (want ? t->cdb_len != want : (t->cdb_len < 1 || t->cdb_len > 16)) return SCSI_DISK_E_ARG;

  t->priv.disk = d;
  t->priv.generation = d->generation;
  t->status = SCSI_STATUS_GOOD;
  t->service_ns = d->tm.command_overhead_ns;
  if (d->busy_left) {
    d->busy_left--;
    t->status = SCSI_STATUS_BUSY;
    return 0;
  }
  uint8_t op = t->cdb[0];
  /* an unsupported LUN has no state of its own: a scratch lun_state holds any sense a field
   * error records, and is thrown away */
  lun_state_t scratch;
  cmd_t x = {d, t, &d->lun[t->lun], t->cdb};
  if (t->lun >= d->nlun) {
    memset(&scratch, 0, sizeof scratch);
    scratch.holder = -1;
    x.lu = &scratch;
    if (!supported(op)) {
      illegal(&x, SCSI_ASC_LUN_NOT_SUPPORTED);
      return 0;
    }
    return unsupported_lun(&x);
  }
  lun_state_t *lu = x.lu;
  if (lu->holder >= 0 && lu->holder != t->initiator && op != SCSI_OP_INQUIRY &&
      op != SCSI_OP_REQUEST_SENSE && op != SCSI_OP_RELEASE_6) {
    t->status = SCSI_STATUS_RESERVATION_CONFLICT;
    return 0;
  }
  if (op != SCSI_OP_REQUEST_SENSE) memset(&lu->sense[t->initiator], 0, sizeof(sense_t));
  uint16_t ua = lu->ua[t->initiator];
  if (ua && op != SCSI_OP_INQUIRY && op != SCSI_OP_REQUEST_SENSE) {
    lu->ua[t->initiator] = 0; /* reported once */
    check_cond(&x, SCSI_SK_UNIT_ATTENTION, ua, 0, 0);
    return 0;
  }
  if (!supported(op)) {
    illegal(&x, SCSI_ASC_INVALID_OPCODE);
    return 0;
  }
  /* control byte: bits 5-2 reserved (NACA in SPC), FLAG (1) and LINK (0): linked commands
   * are not supported; bits 7-6 vendor specific, ignored */
  if (!zero_bits(&x, t->cdb_len - 1u, 0x3F)) return 0;
  return execute(&x);
}

int scsi_disk_finish_out(scsi_disk_t *d, scsi_task_t *t, uint32_t received) {
  if (!d || !t) return SCSI_DISK_E_ARG;
  if (t->priv.disk != d || !t->priv.out_pending || t->dir != SCSI_DIR_OUT || !t->data ||
      t->priv.generation != d->generation || t->lun >= d->nlun || t->initiator >= NINIT)
    return SCSI_DISK_E_STATE;
  if (received > t->data_len) return SCSI_DISK_E_ARG;
  t->priv.out_pending = 0;
  t->status = SCSI_STATUS_GOOD;
  cmd_t x = {d, t, &d->lun[t->lun], t->cdb};
  if (received < t->data_len) {
    /* the initiator ended the data phase early: perform nothing */
    check_cond(&x, SCSI_SK_ABORTED_COMMAND, SCSI_ASC_DATA_PHASE_ERROR, 0, 0);
    return 0;
  }
  uint8_t op = t->cdb[0];
  if (op == SCSI_OP_MODE_SELECT_6 || op == SCSI_OP_MODE_SELECT_10)
    return finish_mode_select(&x, received);
  return finish_write(&x);
}

void scsi_disk_task_free(scsi_disk_t *d, scsi_task_t *t) {
  (void)d;
  if (!t) return;
  free(t->data);
  t->data = NULL;
  t->data_len = 0;
  t->priv.out_pending = 0;
}

static unsigned ua_priority(uint16_t asc) {
  switch (asc) {
  case SCSI_ASC_POWER_ON_RESET: return 3;
  case SCSI_ASC_BUS_RESET:
  case SCSI_ASC_BDR_RESET: return 2;
  case 0: return 0;
  default: return 1;
  }
}

/* A pending unit attention is replaced only by one at least as important: a power-on
 * reset already tells the initiator everything a later bus reset would. */
static void raise_ua(scsi_disk_t *d, lun_state_t *lu, int init, uint16_t asc) {
  (void)d;
  if (ua_priority(asc) >= ua_priority(lu->ua[init])) lu->ua[init] = asc;
}

int scsi_disk_reset(scsi_disk_t *d, int cause) {
  uint16_t asc;
  switch (cause) {
  case SCSI_RESET_POWER: asc = SCSI_ASC_POWER_ON_RESET; break;
  case SCSI_RESET_BUS: asc = SCSI_ASC_BUS_RESET; break;
  case SCSI_RESET_BDR: asc = SCSI_ASC_BDR_RESET; break;
  default: return SCSI_DISK_E_ARG;
  }
  if (!d) return SCSI_DISK_E_ARG;
  d->generation++;
  for (unsigned l = 0; l < d->nlun; l++) {
    lun_state_t *lu = &d->lun[l];
    lu->holder = -1; /* SCSI-2: a reset or BUS DEVICE RESET releases reservations */
    lu->mode = d->mode_default;
    memset(lu->sense, 0, sizeof lu->sense);
    if (cause == SCSI_RESET_POWER) {
      lu->stopped = 0;
      lu->cyl = 0;
    }
    for (int i = 0; i < NINIT; i++) raise_ua(d, lu, i, asc);
  }
  return 0;
}

/* ---- create / destroy --------------------------------------------------------------------- */

void scsi_disk_config_default(scsi_disk_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->block_size = 512;
  cfg->capacity = 65536;
  cfg->lun_count = 1;
  cfg->heads = 8;
  cfg->sectors_per_track = 63;
  cfg->max_transfer_bytes = 16u << 20;
  cfg->seed = 1;
  /* a mid-1990s 3.5" SCSI-2 disk (docs/scsi_disk.md) */
  cfg->timing.command_overhead_ns = 200000;   /* 0.2 ms */
  cfg->timing.track_to_track_ns = 1000000;    /* 1 ms */
  cfg->timing.full_stroke_ns = 20000000;      /* 20 ms */
  cfg->timing.rpm = 5400;                     /* average latency 5.56 ms */
  cfg->timing.rotation = SCSI_DISK_ROT_AVERAGE;
  cfg->timing.media_bytes_per_s = 8000000;    /* 8 MB/s */
  cfg->timing.spin_up_ns = 0;
}

static int printable(const char *s, size_t min, size_t max) {
  size_t l = strlen(s);
  if (l < min || l > max) return 0;
  for (size_t i = 0; i < l; i++)
    if (s[i] < 0x20 || s[i] > 0x7E) return 0;
  return 1;
}

scsi_disk_t *scsi_disk_create(const scsi_disk_config_t *cfg, char *err, size_t err_len) {
  if (!cfg) {
    set_err(err, err_len, "config is NULL");
    return NULL;
  }
  uint32_t bs = cfg->block_size;
  if (bs != 512 && bs != 1024 && bs != 2048 && bs != 4096) {
    set_err(err, err_len, "block_size %u: must be 512, 1024, 2048 or 4096", bs);
    return NULL;
  }
  if (cfg->lun_count < 1 || cfg->lun_count > NLUN) {
    set_err(err, err_len, "lun_count %u: must be 1-8", cfg->lun_count);
    return NULL;
  }
  if (cfg->heads < 1 || cfg->heads > 255 || cfg->sectors_per_track < 1 ||
      cfg->sectors_per_track > 65535) {
    set_err(err, err_len, "geometry: heads 1-255 and sectors_per_track 1-65535");
    return NULL;
  }
  if (cfg->max_transfer_bytes < bs || cfg->max_transfer_bytes > MAX_TRANSFER_LIMIT) {
    set_err(err, err_len, "max_transfer_bytes %u: must be block_size..1 GiB",
            cfg->max_transfer_bytes);
    return NULL;
  }
  const scsi_disk_timing_t *tm = &cfg->timing;
  if (tm->full_stroke_ns < tm->track_to_track_ns || tm->full_stroke_ns > (1ull << 40) ||
      tm->rpm > 100000 ||
      (tm->rotation != SCSI_DISK_ROT_AVERAGE && tm->rotation != SCSI_DISK_ROT_SEEDED)) {
    set_err(err, err_len,
            "timing: need track_to_track <= full_stroke <= 2^40 ns, rpm <= 100000, a known "
            "rotation mode");
    return NULL;
  }
  const char *vendor = cfg->vendor ? cfg->vendor : "HBASIM";
  const char *product = cfg->product ? cfg->product : "SCSI2 DISK";
  const char *revision = cfg->revision ? cfg->revision : "1.0";
  if (!printable(vendor, 0, 8) || !printable(product, 0, 16) || !printable(revision, 0, 4) ||
      (cfg->serial && !printable(cfg->serial, 1, 20))) {
    set_err(err, err_len,
            "INQUIRY strings: printable ASCII, vendor <= 8, product <= 16, revision <= 4, "
            "serial 1-20 characters");
    return NULL;
  }
  /* every byte address (lun * capacity + lba) * block_size must fit an off_t */
  uint64_t max_cap = (uint64_t)INT64_MAX / bs / cfg->lun_count;

  scsi_disk_t *d = calloc(1, sizeof *d);
  if (!d) {
    set_err(err, err_len, "out of memory");
    return NULL;
  }
  d->fd = -1;
  d->bs = bs;
  d->nlun = cfg->lun_count;
  d->cap = cfg->capacity;
  if (cfg->image_path) {
    d->fd = open(cfg->image_path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (d->fd < 0 || fstat(d->fd, &st) != 0) {
      set_err(err, err_len, "image %s: %s", cfg->image_path, strerror(errno));
      goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
      set_err(err, err_len, "image %s: not a regular file", cfg->image_path);
      goto fail;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (d->cap == 0) d->cap = size / bs / d->nlun;
    if (d->cap == 0) {
      set_err(err, err_len, "image %s: smaller than one block per LUN and capacity is 0",
              cfg->image_path);
      goto fail;
    }
    if (d->cap <= max_cap && size < d->cap * bs * d->nlun &&
        ftruncate(d->fd, (off_t)(d->cap * bs * d->nlun)) != 0) {
      set_err(err, err_len, "image %s: cannot extend: %s", cfg->image_path, strerror(errno));
      goto fail;
    }
  }
  if (d->cap == 0 || d->cap > max_cap) {
    set_err(err, err_len, "capacity %llu: must be 1..%llu blocks",
            (unsigned long long)d->cap, (unsigned long long)max_cap);
    goto fail;
  }
  memcpy(d->vendor, vendor, strlen(vendor) + 1);
  memcpy(d->product, product, strlen(product) + 1);
  memcpy(d->revision, revision, strlen(revision) + 1);
  uint64_t idseed = cfg->seed ^ ID_STREAM;
  uint64_t h = prng_splitmix64(&idseed);
  if (cfg->serial) memcpy(d->serial, cfg->serial, strlen(cfg->serial) + 1);
  else snprintf(d->serial, sizeof d->serial, "HS%012llX", (unsigned long long)(h >> 16));
  d->naa_base = prng_splitmix64(&idseed);
  d->heads = cfg->heads;
  d->spt = cfg->sectors_per_track;
  d->blocks_per_cyl = (uint64_t)d->heads * d->spt;
  d->cylinders = d->cap / d->blocks_per_cyl + (d->cap % d->blocks_per_cyl != 0);
  d->max_xfer = cfg->max_transfer_bytes;
  d->tm = *tm;
  prng_seed(&d->rot, cfg->seed, ROT_STREAM);
  mode_defaults(d, &d->mode_default);
  for (unsigned l = 0; l < NLUN; l++) {
    d->lun[l].holder = -1;
    d->lun[l].mode = d->mode_default;
    if (l < d->nlun)
      for (int i = 0; i < NINIT; i++) d->lun[l].ua[i] = SCSI_ASC_POWER_ON_RESET;
  }
  return d;
fail:
  if (d->fd >= 0) close(d->fd);
  free(d);
  return NULL;
}

void scsi_disk_destroy(scsi_disk_t *d) {
  if (!d) return;
  if (d->fd >= 0) close(d->fd);
  for (size_t i = 0; i < d->nslots; i++) free(d->chunks[i].data);
  free(d->chunks);
  free(d);
}

uint64_t scsi_disk_capacity(const scsi_disk_t *d) { return d ? d->cap : 0; }
uint32_t scsi_disk_block_size(const scsi_disk_t *d) { return d ? d->bs : 0; }
uint8_t scsi_disk_lun_count(const scsi_disk_t *d) { return d ? d->nlun : 0; }

int scsi_disk_peek(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count, void *buf) {
  if (!d || !buf || lun >= d->nlun || !range_ok(d, lba, count)) return SCSI_DISK_E_ARG;
  return medium_read(d, lun, lba, count, buf);
}

int scsi_disk_poke(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count, const void *buf) {
  if (!d || !buf || lun >= d->nlun || !range_ok(d, lba, count)) return SCSI_DISK_E_ARG;
  return medium_write(d, lun, lba, count, buf);
}

/* ---- faults ------------------------------------------------------------------------------- */

int scsi_disk_fault_medium(scsi_disk_t *d, uint8_t lun, uint64_t lba, uint64_t count,
                           unsigned ops) {
  if (!d || lun >= d->nlun || count == 0 || !range_ok(d, lba, count) || ops == 0 ||
      (ops & ~(SCSI_DISK_FAULT_READ | SCSI_DISK_FAULT_WRITE)) ||
      d->nfaults >= SCSI_DISK_MAX_FAULTS)
    return SCSI_DISK_E_ARG;
  d->faults[d->nfaults++] = (fault_t){lun, ops, lba, count};
  return 0;
}

int scsi_disk_fault_busy(scsi_disk_t *d, uint32_t n) {
  if (!d) return SCSI_DISK_E_ARG;
  d->busy_left = n;
  return 0;
}

int scsi_disk_fault_not_ready(scsi_disk_t *d, uint8_t lun, uint32_t n) {
  if (!d || lun >= d->nlun) return SCSI_DISK_E_ARG;
  d->lun[lun].not_ready_left = n;
  return 0;
}

void scsi_disk_fault_clear(scsi_disk_t *d) {
  if (!d) return;
  d->nfaults = 0;
  d->busy_left = 0;
  for (unsigned l = 0; l < NLUN; l++) d->lun[l].not_ready_left = 0;
}
