/* The HAL DMA adapter for system-DMA devices and scatter/gather bus masters: IoGetDmaAdapter
 * and the DMA_OPERATIONS entries (hal_dma.h, docs/hal.md). Every 8237 access goes through
 * i8237.{h,c}, i.e. real I/O port accesses on the simulated APB bus. Bus masters move their
 * own data: the HAL only lays out lists, bounces what the device cannot reach through the map
 * registers and tells host memory's DMA verifier what the device may touch. */
#include "hal_dma.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"
#include "i8237.h"
#include "soc_ctrl_regs.h"

#define ADAPTER_MAGIC 0x48414C41u   /* "HALA" */
#define DEVEXT_TYPE 0x4844          /* DEVOBJ_EXTENSION.Type of hbasim's device objects */
#define MAX_GRANTS 16u              /* map register grants one adapter can hold at once */
#define MAX_UNITS 65536u            /* the 8237 counts 16 bits: transfers per programming */
#define W_BYTE 16u                  /* pages in a 64 KiB page (byte channels) */
#define W_WORD 32u                  /* pages in a 128 KiB page (word channels) */
#define SETTLE_TRIES 16u

typedef struct site {
  const char *file;
  int line;
  const void *caller;
} site_t;

struct hal_adapter;

typedef struct grant {
  struct hal_adapter *adapter;
  int live;
  unsigned first;   /* pool page index */
  unsigned count;
} grant_t;

typedef enum { REQ_NONE, REQ_WAIT_CHANNEL, REQ_WAIT_REGS, REQ_RUNNING } req_state_t;

typedef struct request {
  req_state_t state;
  PDEVICE_OBJECT dev;
  ULONG nregs;
  PDRIVER_CONTROL routine;
  PVOID context;
} request_t;

typedef struct mapping {
  int active;
  PMDL mdl;
  grant_t *grant;
  PVOID va;
  ULONG length;
  int write;
  uint64_t dma_pa, dma_len;   /* what hostmem_dma_map gave the device */
  int dma_mapped;
} mapping_t;

/* one piece of a bus-master mapping: a scatter/gather element or a MapTransfer run */
typedef struct sg_piece {
  uint64_t addr;      /* logical address; before the grant a bounced piece holds its offset
                         into the request's map registers */
  ULONG len;
  int bounced;        /* through a map register (the page is beyond the device's reach) */
  size_t mdl_pos;     /* its first byte, as a byte index from the MDL's StartVa */
  int dma_mapped;     /* hostmem_dma_map gave it to the device */
} sg_piece_t;

typedef enum { SG_QUEUED, SG_LIVE, SG_PUT } sg_state_t;

/* a scatter/gather list: queued for map registers, handed out, or put (kept a while so that a
 * second put is recognised) */
typedef struct sg_rec {
  struct hal_adapter *ad;
  sg_state_t state;
  PSCATTER_GATHER_LIST list;  /* HAL-allocated (Get) or the caller's buffer (Build) */
  int caller_buffer;
  SCATTER_GATHER_ELEMENT *snap; /* Build: the list as delivered, checked at the Put */
  PMDL mdl;
  int write;
  PDEVICE_OBJECT dev;
  PDRIVER_LIST_CONTROL routine;
  PVOID context;
  sg_piece_t *pieces;
  unsigned n;
  unsigned nregs;             /* map registers (bounced pages) it holds */
  unsigned first;             /* their first pool index */
  struct sg_rec *next;        /* the adapter's records, newest first */
  struct sg_rec *qnext;       /* the machine's scatter/gather wait queue */
} sg_rec_t;

/* a common buffer */
typedef struct common_buf {
  hostmem_buf_t *b;
  uint64_t pa;
  ULONG length;
  int dma_mapped;
  struct common_buf *next;
} common_buf_t;

typedef struct hal_adapter {
  DMA_ADAPTER pub;            /* first: a PDMA_ADAPTER is a hal_adapter_t pointer */
  uint32_t magic;
  hal_machine_t *m;
  int released;
  unsigned channel;
  int word, demand;
  ULONG max_regs;
  PDEVICE_OBJECT pdo;
  int holds_channel;
  grant_t *channel_grant;     /* registers that came with the channel (KeepObject) */
  request_t req;
  grant_t grants[MAX_GRANTS];
  unsigned next_grant;
  mapping_t map;
  hal_map_info_t info;
  struct hal_adapter *next;   /* all adapters of the machine */
  struct hal_adapter *qnext;  /* channel or register wait queue */
  /* bus master with scatter/gather (docs/hal.md "Bus-master scatter/gather") */
  int master;
  uint64_t limit;             /* first physical address the device cannot reach */
  ULONG sg_max_element;       /* longest element, 0: no limit */
  uint64_t sg_boundary;       /* elements never cross a multiple of it, 0: no limit */
  sg_piece_t *bm;             /* MapTransfer's runs since the last flush */
  unsigned bm_n, bm_cap, bm_regs_used;
  sg_rec_t *lists;
  unsigned lists_put;         /* put records kept */
  common_buf_t *cbufs;
} hal_adapter_t;

typedef struct hal_device {
  DEVICE_OBJECT dev;
  DEVOBJ_EXTENSION ext;
  struct hal_device *next;
} hal_device_t;

struct hal_machine {
  sim_t *sim;
  hostmem_t *mem;
  hal_vf_t *vf;
  hal_machine_config_t cfg;
  uint64_t pool_pfn0;
  unsigned pool_pages;
  uint8_t *pool_used;
  hal_adapter_t *owner[8];
  hal_adapter_t *chq_head[8], *chq_tail[8];
  hal_adapter_t *regq_head, *regq_tail;
  sg_rec_t *sgq_head, *sgq_tail;  /* scatter/gather lists waiting for map registers */
  hal_adapter_t *adapters;
  hal_device_t *devices;
  int serving, kick_again;
  const char *site_file;
  int site_line;
  int prev_dma_check;
  DMA_OPERATIONS ops;
  uint8_t page_buf[PAGE_SIZE];
};

#define VF(m, st, kind, routine, ...)                                                         \
  hal_vf_report((m)->vf, (kind), (routine), (st).file, (st).line, (st).caller, __VA_ARGS__)

/* [CurrentVa, +len) inside the MDL and not empty, or reported (ZERO_LENGTH_MAP,
 * MAP_OUTSIDE_MDL): the range check of every mapping routine */
static int map_range_ok(hal_machine_t *m, site_t st, const char *R, PMDL Mdl, PVOID CurrentVa,
                        ULONG len) {
  if (len == 0) {
    VF(m, st, HAL_VF_ZERO_LENGTH_MAP, R, "Length is 0");
    return 0;
  }
  uintptr_t lo = (uintptr_t)MmGetMdlVirtualAddress(Mdl);
  uintptr_t va = (uintptr_t)CurrentVa;
  if (va < lo || va - lo > Mdl->ByteCount || len > Mdl->ByteCount - (va - lo)) {
    VF(m, st, HAL_VF_MAP_OUTSIDE_MDL, R,
       "CurrentVa %p + %u bytes is not inside the MDL's %u bytes at %p", CurrentVa,
       (unsigned)len, (unsigned)Mdl->ByteCount, (void *)lo);
    return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* helpers */

static hal_adapter_t *adapter_of(PDMA_ADAPTER a) {
  if (!a) return NULL;
  hal_adapter_t *ad = (hal_adapter_t *)a;
  return ad->magic == ADAPTER_MAGIC ? ad : NULL;
}

static site_t take_site(hal_machine_t *m, const void *caller) {
  site_t s = {m->site_file, m->site_line, caller};
  m->site_file = NULL;
  m->site_line = 0;
  return s;
}

void hal_dma_site_(PDMA_ADAPTER a, const char *file, int line) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad) return;
  ad->m->site_file = file;
  ad->m->site_line = line;
}

void hal_device_site_(PDEVICE_OBJECT dev, const char *file, int line) {
  hal_machine_t *m = hal_device_machine(dev);
  if (!m) return;
  m->site_file = file;
  m->site_line = line;
}

static const char *irql_name(unsigned irql) {
  switch (irql) {
    case PASSIVE_LEVEL: return "PASSIVE_LEVEL";
    case APC_LEVEL: return "APC_LEVEL";
    case DISPATCH_LEVEL: return "DISPATCH_LEVEL";
    default: return irql >= SIM_DIRQL ? "DIRQL" : "?";
  }
}

static void irql_exactly(hal_machine_t *m, site_t st, const char *routine, unsigned want) {
  unsigned now = sim_irql(m->sim);
  if (now != want)
    VF(m, st, HAL_VF_WRONG_IRQL, routine, "called at %s (%u); the routine runs at %s",
       irql_name(now), now, irql_name(want));
}

static void irql_at_most(hal_machine_t *m, site_t st, const char *routine, unsigned max) {
  unsigned now = sim_irql(m->sim);
  if (now > max)
    VF(m, st, HAL_VF_WRONG_IRQL, routine, "called at %s (%u); the routine needs <= %s",
       irql_name(now), now, irql_name(max));
}

/* common entry: the adapter must be ours and not released. NULL when the call must stop. */
static hal_adapter_t *enter(PDMA_ADAPTER a, const char *routine, const void *caller,
                            site_t *st) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad) return NULL; /* no machine to report to: the caller gets an error value */
  *st = take_site(ad->m, caller);
  if (ad->released) {
    VF(ad->m, *st, HAL_VF_ADAPTER_RELEASED, routine, "adapter %p (channel %u) was released",
       (void *)a, ad->channel);
    return NULL;
  }
  return ad;
}

static int port_ok(int rc) { return rc == I8237_OK; }

/* ---- map register pool ----------------------------------------------------------------- */

/* First fit of n pages whose first min(n, window) pages lie in one 64 KiB (byte) / 128 KiB
 * (word) page of physical memory; used NULL means an empty pool. -1 when none. */
static int pool_find(const hal_machine_t *m, unsigned n, unsigned w, const uint8_t *used) {
  if (n == 0) return 0;
  if (n > m->pool_pages) return -1;
  if (w == 0) w = m->pool_pages; /* bus master: no boundary to keep */
  unsigned dma_pages = n < w ? n : w;
  for (unsigned p = 0; p + n <= m->pool_pages; p++) {
    uint64_t first = m->pool_pfn0 + p;
    if (first / w != (first + dma_pages - 1) / w) continue;
    int free_run = 1;
    for (unsigned i = 0; used && i < n; i++) {
      if (used[p + i]) {
        free_run = 0;
        break;
      }
    }
    if (free_run) return (int)p;
  }
  return -1;
}

/* the most map registers one allocation can get from the empty pool, up to cap */
static unsigned pool_capacity(const hal_machine_t *m, unsigned w, unsigned cap) {
  for (unsigned n = cap; n > 0; n--)
    if (pool_find(m, n, w, NULL) >= 0) return n;
  return 0;
}

static grant_t *grant_new(hal_adapter_t *ad) {
  for (unsigned i = 0; i < MAX_GRANTS; i++) {
    unsigned k = (ad->next_grant + i) % MAX_GRANTS;
    if (!ad->grants[k].live) {
      ad->next_grant = (k + 1) % MAX_GRANTS;
      return &ad->grants[k];
    }
  }
  return NULL;
}

static unsigned grants_live(const hal_adapter_t *ad) {
  unsigned n = 0;
  for (unsigned i = 0; i < MAX_GRANTS; i++) n += ad->grants[i].live ? 1u : 0u;
  return n;
}

/* a MapRegisterBase that is one of the adapter's grant slots, live or not; NULL otherwise */
static grant_t *grant_slot(hal_adapter_t *ad, PVOID base) {
  for (unsigned i = 0; i < MAX_GRANTS; i++)
    if ((PVOID)&ad->grants[i] == base) return &ad->grants[i];
  return NULL;
}

static void grant_release(hal_machine_t *m, grant_t *g) {
  if (!g->live) return;
  for (unsigned i = 0; i < g->count; i++) m->pool_used[g->first + i] = 0;
  g->live = 0;
  if (g->adapter->channel_grant == g) g->adapter->channel_grant = NULL;
}

static uint64_t grant_pa(const hal_machine_t *m, const grant_t *g) {
  return (m->pool_pfn0 + g->first) << PAGE_SHIFT;
}

/* ---- queues ---------------------------------------------------------------------------- */

static void q_push(hal_adapter_t **head, hal_adapter_t **tail, hal_adapter_t *ad) {
  ad->qnext = NULL;
  if (*tail)
    (*tail)->qnext = ad;
  else
    *head = ad;
  *tail = ad;
}

static hal_adapter_t *q_pop(hal_adapter_t **head, hal_adapter_t **tail) {
  hal_adapter_t *ad = *head;
  if (!ad) return NULL;
  *head = ad->qnext;
  if (!*head) *tail = NULL;
  ad->qnext = NULL;
  return ad;
}

static void q_remove(hal_adapter_t **head, hal_adapter_t **tail, hal_adapter_t *ad) {
  hal_adapter_t *prev = NULL;
  for (hal_adapter_t *p = *head; p; prev = p, p = p->qnext) {
    if (p != ad) continue;
    if (prev)
      prev->qnext = p->qnext;
    else
      *head = p->qnext;
    if (*tail == p) *tail = prev;
    p->qnext = NULL;
    return;
  }
}

static void kick(hal_machine_t *m);
static void sg_run(sg_rec_t *r, unsigned first);

static void release_channel(hal_adapter_t *ad) {
  hal_machine_t *m = ad->m;
  if (!ad->holds_channel) return;
  ad->holds_channel = 0;
  if (m->owner[ad->channel] == ad) m->owner[ad->channel] = NULL;
}

/* stop the channel and drop the device's DMA mapping of an abandoned transfer */
static void bm_drop(hal_adapter_t *ad);

static void cancel_mapping(hal_adapter_t *ad) {
  hal_machine_t *m = ad->m;
  if (!ad->map.active) return;
  if (ad->master) {
    bm_drop(ad);
    return;
  }
  (void)i8237_mask(m->sim, ad->channel);
  if (ad->map.dma_mapped) (void)hostmem_dma_unmap(m->mem, ad->map.dma_pa, ad->map.dma_len);
  ad->map.active = 0;
  ad->map.dma_mapped = 0;
  ad->info.active = 0;
}

/* AdapterControl for a granted request, at DISPATCH_LEVEL, then its IO_ALLOCATION_ACTION */
static void run_request(hal_adapter_t *ad, grant_t *g) {
  hal_machine_t *m = ad->m;
  request_t r = ad->req;
  ad->req.state = REQ_RUNNING;
  ad->channel_grant = g;
  unsigned old = sim_irql(m->sim);
  int raised = old < SIM_DISPATCH_LEVEL;
  if (raised) old = sim_raise_irql(m->sim, SIM_DISPATCH_LEVEL);
  IO_ALLOCATION_ACTION act = r.routine(r.dev, r.dev ? r.dev->CurrentIrp : NULL, g, r.context);
  if (raised) sim_lower_irql(m->sim, old);
  if (ad->req.state == REQ_RUNNING) ad->req.state = REQ_NONE;
  site_t st = {NULL, 0, (const void *)r.routine};
  switch (act) {
    case KeepObject: break;
    case DeallocateObject:
      if (ad->map.active && ad->map.grant == g) {
        VF(m, st, HAL_VF_MAP_UNFLUSHED, "AdapterControl",
           "returned DeallocateObject with a transfer still mapped: the map registers stay");
      } else {
        grant_release(m, g);
      }
      /* fall through */
    case DeallocateObjectKeepRegisters:
      if (ad->channel_grant == g) ad->channel_grant = NULL;
      if (!ad->holds_channel) {
        VF(m, st, HAL_VF_CHANNEL_NOT_HELD, "AdapterControl",
           "returned %s after the channel was already freed",
           act == DeallocateObject ? "DeallocateObject" : "DeallocateObjectKeepRegisters");
      }
      release_channel(ad);
      break;
    default:
      VF(m, st, HAL_VF_BAD_PARAMETER, "AdapterControl",
         "returned %d, not an IO_ALLOCATION_ACTION: treated as KeepObject", (int)act);
      break;
  }
}

/* Grant what can be granted, first come first served: each channel to the head of its queue,
 * then map registers to the head of the register queue while they fit (a request that does not
 * fit holds up the ones behind it, so none starves). Re-entrant calls (from an AdapterControl)
 * only ask for another round. */
static void kick(hal_machine_t *m) {
  if (m->serving) {
    m->kick_again = 1;
    return;
  }
  m->serving = 1;
  int progress;
  do {
    m->kick_again = 0;
    progress = 0;
    for (unsigned ch = 0; ch < 8; ch++) {
      if (m->owner[ch] || !m->chq_head[ch]) continue;
      hal_adapter_t *ad = q_pop(&m->chq_head[ch], &m->chq_tail[ch]);
      m->owner[ch] = ad;
      ad->holds_channel = 1;
      ad->req.state = REQ_WAIT_REGS;
      q_push(&m->regq_head, &m->regq_tail, ad);
      progress = 1;
    }
    while (m->regq_head) {
      hal_adapter_t *ad = m->regq_head;
      int p = pool_find(m, ad->req.nregs, ad->master ? 0u : ad->word ? W_WORD : W_BYTE,
                        m->pool_used);
      if (p < 0) break;
      grant_t *g = grant_new(ad); /* a free slot was checked at AllocateAdapterChannel */
      (void)q_pop(&m->regq_head, &m->regq_tail);
      if (!g) { /* cannot happen: keep the queue moving anyway */
        ad->req.state = REQ_NONE;
        release_channel(ad);
        continue;
      }
      g->adapter = ad;
      g->live = 1;
      g->first = (unsigned)p;
      g->count = ad->req.nregs;
      for (unsigned i = 0; i < g->count; i++) m->pool_used[g->first + i] = 1;
      run_request(ad, g);
      progress = 1;
    }
    while (m->sgq_head) {
      int p = pool_find(m, m->sgq_head->nregs, 0, m->pool_used);
      if (p < 0) break;
      sg_rec_t *r = m->sgq_head;
      m->sgq_head = r->qnext;
      if (!m->sgq_head) m->sgq_tail = NULL;
      r->qnext = NULL;
      sg_run(r, (unsigned)p);
      progress = 1;
    }
  } while (progress || m->kick_again);
  m->serving = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the 8237 residual: bytes of the mapped transfer that have not moved */

static int read_residual(hal_adapter_t *ad, uint32_t *bytes) {
  sim_t *s = ad->m->sim;
  uint16_t count;
  if (!port_ok(i8237_read_count_live(s, ad->channel, &count))) return -1;
  uint32_t units = ad->word ? ad->map.length / 2u : ad->map.length;
  uint32_t left;
  if (count == 0xFFFFu) {
    left = 0;
    if (units == MAX_UNITS) {
      /* a full 64 K-transfer count reads 0xFFFF both before the first transfer and at
       * terminal count: soc_ctrl's sticky TC/EOP event bit (cleared at MapTransfer) decides */
      uint32_t st = 0;
      if (sim_apb_read(s, SOC_CTRL_BASE + SOC_CTRL_IRQ_STATUS, 4, &st) != SIM_OK) return -1;
      if (!(st & (1u << ad->channel))) left = units;
    }
  } else {
    left = (uint32_t)count + 1u;
    if (left > units) left = units;
  }
  *bytes = ad->word ? left * 2u : left;
  return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* copies between the MDL's pages and the map registers, through the physical view */

static uint64_t mdl_pa(PMDL mdl, size_t pos) {
  /* pos: byte index from StartVa */
  PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
  return ((uint64_t)pfn[pos >> PAGE_SHIFT] << PAGE_SHIFT) | (pos & (PAGE_SIZE - 1));
}

static int copy_mdl_to_pa(hal_machine_t *m, PMDL mdl, size_t pos, uint64_t dst, size_t len) {
  while (len) {
    size_t chunk = PAGE_SIZE - (pos & (PAGE_SIZE - 1));
    if (chunk > len) chunk = len;
    if (hostmem_read(m->mem, mdl_pa(mdl, pos), m->page_buf, chunk) != 0) return -1;
    if (hostmem_write(m->mem, dst, m->page_buf, chunk) != 0) return -1;
    pos += chunk;
    dst += chunk;
    len -= chunk;
  }
  return 0;
}

static int copy_pa_to_mdl(hal_machine_t *m, uint64_t src, PMDL mdl, size_t pos, size_t len) {
  while (len) {
    size_t chunk = PAGE_SIZE - (pos & (PAGE_SIZE - 1));
    if (chunk > len) chunk = len;
    if (hostmem_read(m->mem, src, m->page_buf, chunk) != 0) return -1;
    if (hostmem_write(m->mem, mdl_pa(mdl, pos), m->page_buf, chunk) != 0) return -1;
    pos += chunk;
    src += chunk;
    len -= chunk;
  }
  return 0;
}

static int zero_pa(hal_machine_t *m, uint64_t dst, size_t len) {
  memset(m->page_buf, 0, sizeof m->page_buf);
  while (len) {
    size_t chunk = len < PAGE_SIZE ? len : PAGE_SIZE;
    if (hostmem_write(m->mem, dst, m->page_buf, chunk) != 0) return -1;
    dst += chunk;
    len -= chunk;
  }
  return 0;
}

static int same_mapping(const hal_adapter_t *ad, PMDL mdl, PVOID base, PVOID va, ULONG len,
                        BOOLEAN wr);

/* ---------------------------------------------------------------------------------------- */
/* bus-master scatter/gather: list layout, map register grants, copy-back (docs/hal.md) */

#define SG_PUT_KEPT 64u   /* put lists remembered to catch a second put */

typedef struct sg_vec {
  sg_piece_t *p;
  unsigned n, cap;
} sg_vec_t;

static int vec_push(sg_vec_t *v, sg_piece_t pc) {
  if (v->n == v->cap) {
    unsigned nc = v->cap ? 2u * v->cap : 16u;
    sg_piece_t *np = realloc(v->p, nc * sizeof *np);
    if (!np) return -1;
    v->p = np;
    v->cap = nc;
  }
  v->p[v->n++] = pc;
  return 0;
}

/* Append len bytes at addr (the MDL's bytes from pos) to the pieces: joined to the last piece
 * when both are direct and physically contiguous, split at the device's maximum element
 * length and boundary. Bounced pieces are never joined (one element per bounced page). */
static int sg_emit(const hal_adapter_t *ad, sg_vec_t *v, uint64_t addr, uint64_t len,
                   int bounced, size_t pos) {
  while (len) {
    sg_piece_t *last = v->n ? &v->p[v->n - 1] : NULL;
    int join = last && !bounced && !last->bounced && last->addr + last->len == addr;
    for (int pass = 0; pass < 2; pass++) {
      uint64_t start = join ? last->addr : addr, have = join ? last->len : 0;
      uint64_t room = len;
      if (ad->sg_max_element && ad->sg_max_element - have < room)
        room = ad->sg_max_element - have;
      if (ad->sg_boundary && !bounced) {
        uint64_t end = (start / ad->sg_boundary + 1u) * ad->sg_boundary;
        if (end - (start + have) < room) room = end - (start + have);
      }
      if (room == 0 && join) {
        join = 0;
        continue;
      }
      if (join) {
        last->len += (ULONG)room;
      } else {
        sg_piece_t pc = {addr, (ULONG)room, bounced, pos, 0};
        if (vec_push(v, pc) != 0) return -1;
      }
      addr += room;
      pos += room;
      len -= room;
      break;
    }
  }
  return 0;
}

/* the MDL's frames for [pos, pos+len) must be host memory; 0, or -1 after a report */
static int sg_check_frames(hal_adapter_t *ad, site_t st, const char *R, PMDL mdl, size_t pos,
                           size_t len) {
  uint64_t npages = hostmem_size(ad->m->mem) >> PAGE_SHIFT;
  PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
  for (size_t i = pos >> PAGE_SHIFT; i <= (pos + len - 1) >> PAGE_SHIFT; i++) {
    if (pfn[i] == 0 || pfn[i] >= npages) {
      VF(ad->m, st, HAL_VF_MDL_NOT_BUILT, R, "MDL page %zu has frame 0x%llx, not host memory",
         i, (unsigned long long)pfn[i]);
      return -1;
    }
  }
  return 0;
}

/* The list's layout for [pos, pos+len) of the MDL: a page (piece of a page) beyond the
 * device's reach goes through the next map register, keeping its offset in the page. *regs
 * gets the map registers needed (bounced pages). */
static int sg_layout(const hal_adapter_t *ad, PMDL mdl, size_t pos, size_t len, sg_vec_t *v,
                     unsigned *regs) {
  unsigned bidx = 0;
  while (len) {
    size_t chunk = PAGE_SIZE - (pos & (PAGE_SIZE - 1));
    if (chunk > len) chunk = len;
    uint64_t pa = mdl_pa(mdl, pos);
    int bounced = pa + chunk - 1 >= ad->limit;
    uint64_t addr = bounced ? (uint64_t)bidx * PAGE_SIZE + (pos & (PAGE_SIZE - 1)) : pa;
    if (sg_emit(ad, v, addr, chunk, bounced, pos) != 0) return -1;
    bidx += bounced ? 1u : 0u;
    pos += chunk;
    len -= chunk;
  }
  *regs = bidx;
  return 0;
}

static void pieces_unmap(hal_machine_t *m, sg_piece_t *p, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (p[i].dma_mapped) (void)hostmem_dma_unmap(m->mem, p[i].addr, p[i].len);
    p[i].dma_mapped = 0;
  }
}

/* device-to-memory: the bounced bytes back into the caller's pages */
static void pieces_copy_back(hal_machine_t *m, PMDL mdl, const sg_piece_t *p, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    if (p[i].bounced) (void)copy_pa_to_mdl(m, p[i].addr, mdl, p[i].mdl_pos, p[i].len);
}

/* fill (memory-to-device) or zero (device-to-memory) a bounced piece, give it to the device */
static int piece_prepare(hal_machine_t *m, PMDL mdl, sg_piece_t *pc, int write) {
  if (pc->bounced) {
    int rc = write ? copy_mdl_to_pa(m, mdl, pc->mdl_pos, pc->addr, pc->len)
                   : zero_pa(m, pc->addr, pc->len);
    if (rc != 0) return -1;
  }
  if (m->cfg.dma_check && hostmem_dma_map(m->mem, pc->addr, pc->len, write ? 0 : 1) == 0)
    pc->dma_mapped = 1;
  return 0;
}

static void sg_pool_release(hal_machine_t *m, sg_rec_t *r) {
  for (unsigned i = 0; i < r->nregs; i++) m->pool_used[r->first + i] = 0;
  r->nregs = 0;
}

/* map registers granted: place the bounced pieces, build the list, run ExecutionRoutine at
 * DISPATCH_LEVEL */
static void sg_run(sg_rec_t *r, unsigned first) {
  hal_adapter_t *ad = r->ad;
  hal_machine_t *m = ad->m;
  r->first = first;
  for (unsigned i = 0; i < r->nregs; i++) m->pool_used[first + i] = 1;
  uint64_t base = (m->pool_pfn0 + first) << PAGE_SHIFT;
  r->list->NumberOfElements = r->n;
  r->list->Reserved = 0;
  for (unsigned i = 0; i < r->n; i++) {
    sg_piece_t *pc = &r->pieces[i];
    if (pc->bounced) pc->addr += base;
    (void)piece_prepare(m, r->mdl, pc, r->write);
    r->list->Elements[i].Address.QuadPart = (LONGLONG)pc->addr;
    r->list->Elements[i].Length = pc->len;
    r->list->Elements[i].Reserved = 0;
  }
  r->state = SG_LIVE;
  if (r->caller_buffer && r->n) {
    r->snap = malloc((size_t)r->n * sizeof *r->snap);
    if (r->snap) memcpy(r->snap, r->list->Elements, (size_t)r->n * sizeof *r->snap);
  }
  unsigned old = sim_irql(m->sim);
  int raised = old < SIM_DISPATCH_LEVEL;
  if (raised) old = sim_raise_irql(m->sim, SIM_DISPATCH_LEVEL);
  r->routine(r->dev, NULL, r->list, r->context);
  if (raised) sim_lower_irql(m->sim, old);
}

static void sg_rec_free(sg_rec_t *r) {
  if (!r->caller_buffer) free(r->list);
  free(r->snap);
  free(r->pieces);
  free(r);
}

/* reclaim a live or queued list without copying back (adapter put, machine destroy) */
static void sg_reclaim(hal_machine_t *m, sg_rec_t *r) {
  if (r->state == SG_QUEUED) {
    sg_rec_t *prev = NULL;
    for (sg_rec_t *q = m->sgq_head; q; prev = q, q = q->qnext) {
      if (q != r) continue;
      if (prev)
        prev->qnext = q->qnext;
      else
        m->sgq_head = q->qnext;
      if (m->sgq_tail == q) m->sgq_tail = prev;
      break;
    }
    r->nregs = 0;
  } else if (r->state == SG_LIVE) {
    pieces_unmap(m, r->pieces, r->n);
    sg_pool_release(m, r);
  }
  r->state = SG_PUT;
}

/* keep at most SG_PUT_KEPT put records per adapter: free the oldest beyond that */
static void sg_trim(hal_adapter_t *ad) {
  while (ad->lists_put > SG_PUT_KEPT) {
    sg_rec_t **oldest = NULL;
    for (sg_rec_t **pp = &ad->lists; *pp; pp = &(*pp)->next)
      if ((*pp)->state == SG_PUT) oldest = pp;
    if (!oldest) return;
    sg_rec_t *r = *oldest;
    *oldest = r->next;
    sg_rec_free(r);
    ad->lists_put--;
  }
}

/* the record of a list pointer, live or queued first, then put; NULL: not this adapter's */
static sg_rec_t *sg_find(hal_adapter_t *ad, PSCATTER_GATHER_LIST l, int *put_only) {
  sg_rec_t *put = NULL;
  for (sg_rec_t *r = ad->lists; r; r = r->next) {
    if (r->list != l) continue;
    if (r->state != SG_PUT) {
      *put_only = 0;
      return r;
    }
    if (!put) put = r;
  }
  *put_only = put != NULL;
  return put;
}

/* GetScatterGatherList / BuildScatterGatherList */
static NTSTATUS sg_get(hal_adapter_t *ad, site_t st, const char *R, PDEVICE_OBJECT dev,
                       PMDL Mdl, PVOID CurrentVa, ULONG Length,
                       PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                       BOOLEAN WriteToDevice, PVOID buffer, ULONG buffer_len, int build) {
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, DISPATCH_LEVEL);
  if (!Mdl || !ExecutionRoutine || (build && !buffer)) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "%s is NULL",
       !Mdl ? "Mdl" : !ExecutionRoutine ? "ExecutionRoutine" : "ScatterGatherBuffer");
    return STATUS_INVALID_PARAMETER;
  }
  if (!map_range_ok(m, st, R, Mdl, CurrentVa, Length)) return STATUS_INVALID_PARAMETER;
  uintptr_t va = (uintptr_t)CurrentVa;
  ULONG span = ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length);
  if (span > ad->max_regs) {
    /* documented status, no verifier record: a caller may try and split */
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  size_t pos = (size_t)(va - (uintptr_t)Mdl->StartVa);
  if (sg_check_frames(ad, st, R, Mdl, pos, Length) != 0) return STATUS_INVALID_PARAMETER;
  sg_vec_t v = {NULL, 0, 0};
  unsigned regs = 0;
  if (sg_layout(ad, Mdl, pos, Length, &v, &regs) != 0) {
    free(v.p);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  size_t need = sizeof(SCATTER_GATHER_LIST) + (size_t)v.n * sizeof(SCATTER_GATHER_ELEMENT);
  if (build && need > buffer_len) {
    free(v.p);
    return STATUS_BUFFER_TOO_SMALL;
  }
  sg_rec_t *r = calloc(1, sizeof *r);
  PSCATTER_GATHER_LIST list = build ? buffer : malloc(need);
  if (!r || !list) {
    free(r);
    if (!build) free(list);
    free(v.p);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  r->ad = ad;
  r->state = SG_QUEUED;
  r->list = list;
  r->caller_buffer = build;
  r->mdl = Mdl;
  r->write = WriteToDevice ? 1 : 0;
  r->dev = dev;
  r->routine = ExecutionRoutine;
  r->context = Context;
  r->pieces = v.p;
  r->n = v.n;
  r->nregs = regs;
  r->next = ad->lists;
  ad->lists = r;
  r->qnext = NULL;
  if (m->sgq_tail)
    m->sgq_tail->qnext = r;
  else
    m->sgq_head = r;
  m->sgq_tail = r;
  kick(m);
  return STATUS_SUCCESS;
}

static void sg_put(hal_adapter_t *ad, site_t st, PSCATTER_GATHER_LIST l, BOOLEAN write) {
  static const char *R = "PutScatterGatherList";
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, DISPATCH_LEVEL);
  int put_only = 0;
  sg_rec_t *r = l ? sg_find(ad, l, &put_only) : NULL;
  if (!r) {
    VF(m, st, HAL_VF_SG_LIST_FOREIGN, R, "list %p was not built by this adapter", (void *)l);
    return;
  }
  if (put_only) {
    VF(m, st, HAL_VF_SG_LIST_PUT_TWICE, R, "list %p was already put", (void *)l);
    return;
  }
  if (r->state == SG_QUEUED) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "list %p is still waiting for map registers: its "
       "ExecutionRoutine has not run", (void *)l);
    return;
  }
  if ((write ? 1 : 0) != r->write)
    VF(m, st, HAL_VF_FLUSH_MISMATCH, R, "WriteToDevice %s, the list was built %s: handled "
       "as built", write ? "TRUE" : "FALSE", r->write ? "TRUE" : "FALSE");
  if (r->snap && (r->list->NumberOfElements != r->n ||
                 memcmp(r->list->Elements, r->snap, (size_t)r->n * sizeof *r->snap) != 0))
    VF(m, st, HAL_VF_SG_BUFFER_CHANGED, R, "the list in ScatterGatherBuffer %p changed since "
       "it was delivered: the buffer was freed or reused before this Put (put as built)",
       (void *)l);
  free(r->snap);
  r->snap = NULL;
  pieces_unmap(m, r->pieces, r->n);
  if (!r->write) pieces_copy_back(m, r->mdl, r->pieces, r->n);
  sg_pool_release(m, r);
  r->state = SG_PUT;
  ad->lists_put++;
  sg_trim(ad);
  kick(m);
}

static NTSTATUS sg_calculate(hal_adapter_t *ad, site_t st, PMDL Mdl, PVOID CurrentVa,
                             ULONG Length, PULONG size, PULONG nregs) {
  static const char *R = "CalculateScatterGatherList";
  hal_machine_t *m = ad->m;
  irql_at_most(m, st, R, DISPATCH_LEVEL);
  if (!size || Length == 0) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "%s", !size ? "ScatterGatherListSize is NULL"
                                                   : "Length is 0");
    return STATUS_INVALID_PARAMETER;
  }
  ULONG span = ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length);
  uint64_t elems;
  if (Mdl) {
    uintptr_t lo = (uintptr_t)MmGetMdlVirtualAddress(Mdl), va = (uintptr_t)CurrentVa;
    if (va < lo || va - lo > Mdl->ByteCount || Length > Mdl->ByteCount - (va - lo)) {
      VF(m, st, HAL_VF_MAP_OUTSIDE_MDL, R,
         "CurrentVa %p + %u bytes is not inside the MDL's %u bytes at %p", CurrentVa,
         (unsigned)Length, (unsigned)Mdl->ByteCount, (void *)lo);
      return STATUS_INVALID_PARAMETER;
    }
    size_t pos = (size_t)(va - (uintptr_t)Mdl->StartVa);
    if (sg_check_frames(ad, st, R, Mdl, pos, Length) != 0) return STATUS_INVALID_PARAMETER;
    sg_vec_t v = {NULL, 0, 0};
    unsigned regs = 0;
    int rc = sg_layout(ad, Mdl, pos, Length, &v, &regs);
    free(v.p);
    if (rc != 0) return STATUS_INSUFFICIENT_RESOURCES;
    elems = v.n;
  } else {
    /* worst case: every page its own element, each split by the maximum element length */
    uint64_t per_page = 1;
    if (ad->sg_max_element && ad->sg_max_element < PAGE_SIZE)
      per_page = (PAGE_SIZE + ad->sg_max_element - 1) / ad->sg_max_element + 1u;
    elems = (uint64_t)span * per_page;
  }
  *size = (ULONG)(sizeof(SCATTER_GATHER_LIST) + elems * sizeof(SCATTER_GATHER_ELEMENT));
  if (nregs) *nregs = span;
  return STATUS_SUCCESS;
}

/* ---- bus-master MapTransfer / FlushAdapterBuffers ---------------------------------------- */

static void bm_drop(hal_adapter_t *ad) {
  pieces_unmap(ad->m, ad->bm, ad->bm_n);
  ad->bm_n = 0;
  ad->bm_regs_used = 0;
  ad->map.active = 0;
  ad->info.active = 0;
}

/* one physically contiguous run (within reach) from CurrentVa, or one page through the next
 * map register; *Length gets its bytes. Checks up to the channel were done by the caller. */
static PHYSICAL_ADDRESS bm_map_transfer(hal_adapter_t *ad, site_t st, PMDL Mdl, grant_t *g,
                                        PVOID CurrentVa, PULONG Length, BOOLEAN WriteToDevice) {
  static const char *R = "MapTransfer";
  hal_machine_t *m = ad->m;
  PHYSICAL_ADDRESS none;
  none.QuadPart = 0;
  int write = WriteToDevice ? 1 : 0;
  if (ad->map.active && (ad->map.mdl != Mdl || ad->map.grant != g || ad->map.write != write)) {
    VF(m, st, HAL_VF_MAP_UNFLUSHED, R, "the transfer of %u bytes at %p (another MDL, base or "
       "direction) was never flushed", (unsigned)ad->map.length, ad->map.va);
    return none;
  }
  ULONG len = *Length;
  if (!map_range_ok(m, st, R, Mdl, CurrentVa, len)) return none;
  uintptr_t va = (uintptr_t)CurrentVa;
  size_t pos = (size_t)(va - (uintptr_t)Mdl->StartVa);
  if (sg_check_frames(ad, st, R, Mdl, pos, len) != 0) return none;
  /* lay out the whole remainder, map its first piece */
  sg_vec_t v = {NULL, 0, 0};
  unsigned regs = 0;
  if (sg_layout(ad, Mdl, pos, len, &v, &regs) != 0 || v.n == 0) {
    free(v.p);
    return none;
  }
  sg_piece_t pc = v.p[0];
  free(v.p);
  if (pc.bounced) {
    if (ad->bm_regs_used >= g->count) {
      VF(m, st, HAL_VF_MAP_EXCEEDS_REGISTERS, R, "the page at %p needs a map register: all "
         "%u allocated are in use by this transfer", CurrentVa, g->count);
      return none;
    }
    pc.addr += grant_pa(m, g) + (uint64_t)ad->bm_regs_used * PAGE_SIZE;
  }
  if (piece_prepare(m, Mdl, &pc, write) != 0) {
    VF(m, st, HAL_VF_MDL_NOT_BUILT, R, "copy between the MDL and the map registers failed");
    return none;
  }
  sg_vec_t keep = {ad->bm, ad->bm_n, ad->bm_cap};
  if (vec_push(&keep, pc) != 0) {
    pieces_unmap(m, &pc, 1);
    return none;
  }
  ad->bm = keep.p;
  ad->bm_n = keep.n;
  ad->bm_cap = keep.cap;
  if (pc.bounced) ad->bm_regs_used++;
  if (!ad->map.active) {
    ad->map.active = 1;
    ad->map.mdl = Mdl;
    ad->map.grant = g;
    ad->map.va = CurrentVa;
    ad->map.length = 0;
    ad->map.write = write;
    ad->map.dma_mapped = 0;
    memset(&ad->info, 0, sizeof ad->info);
  }
  ad->map.length += pc.len;
  ad->info.valid = 1;
  ad->info.active = 1;
  ad->info.bounced |= pc.bounced;
  ad->info.write_to_device = write;
  ad->info.logical = pc.addr;
  ad->info.length = ad->map.length;
  ad->info.registers_spanned = ad->bm_regs_used;
  if (pc.bounced) ad->info.bounce_pa = pc.addr;
  *Length = pc.len;
  PHYSICAL_ADDRESS out;
  out.QuadPart = (LONGLONG)pc.addr;
  return out;
}

static BOOLEAN bm_flush(hal_adapter_t *ad, site_t st, PMDL Mdl, PVOID base, PVOID CurrentVa,
                        ULONG Length, BOOLEAN WriteToDevice) {
  static const char *R = "FlushAdapterBuffers";
  hal_machine_t *m = ad->m;
  if (!ad->map.active) {
    if (ad->info.valid && same_mapping(ad, Mdl, base, CurrentVa, Length, WriteToDevice))
      VF(m, st, HAL_VF_DOUBLE_FLUSH, R, "the transfer of %u bytes at %p was already flushed",
         (unsigned)Length, CurrentVa);
    else
      VF(m, st, HAL_VF_FLUSH_MISMATCH, R, "nothing is mapped on this adapter");
    return FALSE;
  }
  if (!same_mapping(ad, Mdl, base, CurrentVa, Length, WriteToDevice)) {
    VF(m, st, HAL_VF_FLUSH_MISMATCH, R,
       "flush of %u bytes at %p (%s) but MapTransfer mapped %u bytes from %p (%s)",
       (unsigned)Length, CurrentVa, WriteToDevice ? "to device" : "from device",
       (unsigned)ad->map.length, ad->map.va, ad->map.write ? "to device" : "from device");
    return FALSE;
  }
  pieces_unmap(m, ad->bm, ad->bm_n);
  if (!ad->map.write) pieces_copy_back(m, Mdl, ad->bm, ad->bm_n);
  ad->bm_n = 0;
  ad->bm_regs_used = 0;
  ad->map.active = 0;
  ad->info.active = 0;
  ad->info.residual = 0;
  ad->info.flushed_ok = 1;
  return TRUE;
}

/* ---- common buffers ---------------------------------------------------------------------- */

static PVOID cb_allocate(hal_adapter_t *ad, site_t st, ULONG Length,
                         PPHYSICAL_ADDRESS LogicalAddress) {
  static const char *R = "AllocateCommonBuffer";
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, PASSIVE_LEVEL);
  if (!LogicalAddress || Length == 0) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "%s", !LogicalAddress ? "LogicalAddress is NULL"
                                                             : "Length is 0");
    return NULL;
  }
  size_t pages = BYTES_TO_PAGES(Length);
  uint64_t top = hostmem_size(m->mem);
  if (ad->limit < top) top = ad->limit;
  uint64_t *pfns = malloc(pages * sizeof *pfns);
  common_buf_t *c = calloc(1, sizeof *c);
  if (!pfns || !c || hostmem_alloc_contig(m->mem, pages, top, PAGE_SIZE, &pfns[0]) != 0) {
    free(pfns);
    free(c);
    return NULL; /* documented: NULL when the buffer cannot be allocated */
  }
  for (size_t i = 1; i < pages; i++) pfns[i] = pfns[0] + i;
  c->b = hostmem_buf_adopt(m->mem, Length, 0, pfns);
  if (!c->b) {
    hostmem_free_pages(m->mem, pages, pfns);
    free(pfns);
    free(c);
    return NULL;
  }
  free(pfns);
  memset(c->b->va, 0, Length);
  c->pa = hostmem_buf_pa(c->b, 0);
  c->length = Length;
  if (m->cfg.dma_check && hostmem_dma_map(m->mem, c->pa, Length, 1) == 0) c->dma_mapped = 1;
  c->next = ad->cbufs;
  ad->cbufs = c;
  LogicalAddress->QuadPart = (LONGLONG)c->pa;
  return c->b->va;
}

static void cb_release(hal_machine_t *m, common_buf_t *c) {
  if (c->dma_mapped) (void)hostmem_dma_unmap(m->mem, c->pa, c->length);
  hostmem_buf_free(m->mem, c->b);
  free(c);
}

static void cb_free(hal_adapter_t *ad, site_t st, ULONG Length, PHYSICAL_ADDRESS la, PVOID va) {
  static const char *R = "FreeCommonBuffer";
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, PASSIVE_LEVEL);
  common_buf_t **pp = &ad->cbufs;
  while (*pp && (*pp)->b->va != va) pp = &(*pp)->next;
  if (!*pp) {
    VF(m, st, HAL_VF_COMMON_BUFFER_FREED_TWICE, R,
       "%p is not a common buffer of this adapter (freed twice?)", va);
    return;
  }
  common_buf_t *c = *pp;
  if (c->length != Length || (uint64_t)la.QuadPart != c->pa) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "Length %u / LogicalAddress 0x%llx differ from the "
       "allocation's %u / 0x%llx: the buffer stays allocated", (unsigned)Length,
       (unsigned long long)la.QuadPart, (unsigned)c->length, (unsigned long long)c->pa);
    return;
  }
  *pp = c->next;
  cb_release(m, c);
}

/* PutDmaAdapter of a bus master: lists and common buffers still held */
static void master_put_checks(hal_adapter_t *ad, site_t st) {
  hal_machine_t *m = ad->m;
  unsigned queued = 0, live = 0, cbs = 0;
  for (sg_rec_t *r = ad->lists; r; r = r->next) {
    if (r->state == SG_QUEUED) queued++;
    if (r->state == SG_LIVE) live++;
    sg_reclaim(m, r);
  }
  if (queued)
    VF(m, st, HAL_VF_ADAPTER_BUSY_AT_PUT, "PutDmaAdapter",
       "%u scatter/gather request(s) still wait for map registers: dropped", queued);
  if (live)
    VF(m, st, HAL_VF_SG_LIST_LEAKED, "PutDmaAdapter",
       "%u scatter/gather list(s) never put (PutScatterGatherList missing)", live);
  while (ad->cbufs) {
    common_buf_t *c = ad->cbufs;
    ad->cbufs = c->next;
    cb_release(m, c);
    cbs++;
  }
  if (cbs)
    VF(m, st, HAL_VF_COMMON_BUFFER_LEAKED, "PutDmaAdapter",
       "%u common buffer(s) never freed (FreeCommonBuffer missing)", cbs);
}

/* machine destroy: everything of a bus master, silently (the adapter leak is reported) */
static void master_destroy(hal_machine_t *m, hal_adapter_t *ad) {
  while (ad->lists) {
    sg_rec_t *r = ad->lists;
    ad->lists = r->next;
    if (r->state == SG_LIVE) pieces_unmap(m, r->pieces, r->n);
    sg_rec_free(r);
  }
  while (ad->cbufs) {
    common_buf_t *c = ad->cbufs;
    ad->cbufs = c->next;
    cb_release(m, c);
  }
  free(ad->bm);
  ad->bm = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* DMA_OPERATIONS */

static VOID op_put_dma_adapter(PDMA_ADAPTER a) {
  site_t st;
  hal_adapter_t *ad = enter(a, "PutDmaAdapter", __builtin_return_address(0), &st);
  if (!ad) return;
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, "PutDmaAdapter", PASSIVE_LEVEL);
  if (ad->map.active) {
    VF(m, st, HAL_VF_ADAPTER_BUSY_AT_PUT, "PutDmaAdapter",
       "a transfer of %u bytes is still mapped (never flushed): the channel is stopped",
       (unsigned)ad->map.length);
    cancel_mapping(ad);
  }
  if (ad->req.state == REQ_WAIT_CHANNEL || ad->req.state == REQ_WAIT_REGS) {
    VF(m, st, HAL_VF_ADAPTER_BUSY_AT_PUT, "PutDmaAdapter",
       "an AllocateAdapterChannel request is still queued: it is dropped");
    q_remove(&m->chq_head[ad->channel], &m->chq_tail[ad->channel], ad);
    q_remove(&m->regq_head, &m->regq_tail, ad);
    ad->req.state = REQ_NONE;
  }
  if (ad->holds_channel) {
    VF(m, st, HAL_VF_ADAPTER_BUSY_AT_PUT, "PutDmaAdapter",
       "channel %u is still allocated (FreeAdapterChannel missing)", ad->channel);
  }
  /* registers that came with a held channel are covered by the report above */
  unsigned leaked = 0, regs = 0;
  for (unsigned i = 0; i < MAX_GRANTS; i++) {
    const grant_t *g = &ad->grants[i];
    if (!g->live || (ad->holds_channel && g == ad->channel_grant)) continue;
    leaked++;
    regs += g->count;
  }
  if (leaked > 0)
    VF(m, st, HAL_VF_REGISTERS_LEAKED, "PutDmaAdapter",
       "%u map register(s) in %u allocation(s) never freed (FreeMapRegisters missing)", regs,
       leaked);
  for (unsigned i = 0; i < MAX_GRANTS; i++) grant_release(m, &ad->grants[i]);
  release_channel(ad);
  if (ad->master) master_put_checks(ad, st);
  ad->released = 1;
  kick(m);
}

static PVOID op_allocate_common_buffer(PDMA_ADAPTER a, ULONG Length,
                                       PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled) {
  (void)CacheEnabled;
  site_t st;
  if (LogicalAddress) LogicalAddress->QuadPart = 0;
  hal_adapter_t *ad = enter(a, "AllocateCommonBuffer", __builtin_return_address(0), &st);
  if (!ad) return NULL;
  if (ad->master) return cb_allocate(ad, st, Length, LogicalAddress);
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "AllocateCommonBuffer",
     "common buffers are not implemented yet (%u bytes asked): returns NULL", (unsigned)Length);
  return NULL;
}

static VOID op_free_common_buffer(PDMA_ADAPTER a, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                                  PVOID VirtualAddress, BOOLEAN CacheEnabled) {
  (void)Length;
  (void)LogicalAddress;
  (void)VirtualAddress;
  (void)CacheEnabled;
  site_t st;
  hal_adapter_t *ad = enter(a, "FreeCommonBuffer", __builtin_return_address(0), &st);
  if (!ad) return;
  if (ad->master) {
    cb_free(ad, st, Length, LogicalAddress, VirtualAddress);
    return;
  }
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "FreeCommonBuffer",
     "common buffers are not implemented yet");
}

static NTSTATUS op_allocate_adapter_channel(PDMA_ADAPTER a, PDEVICE_OBJECT DeviceObject,
                                            ULONG NumberOfMapRegisters,
                                            PDRIVER_CONTROL ExecutionRoutine, PVOID Context) {
  static const char *R = "AllocateAdapterChannel";
  site_t st;
  hal_adapter_t *ad = enter(a, R, __builtin_return_address(0), &st);
  if (!ad) return STATUS_INVALID_PARAMETER;
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, DISPATCH_LEVEL);
  if (!ExecutionRoutine) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "ExecutionRoutine is NULL");
    return STATUS_INVALID_PARAMETER;
  }
  if (NumberOfMapRegisters > ad->max_regs) {
    VF(m, st, HAL_VF_TOO_MANY_MAP_REGISTERS, R,
       "%u map registers asked for, the adapter's maximum is %u",
       (unsigned)NumberOfMapRegisters, (unsigned)ad->max_regs);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  if (ad->req.state != REQ_NONE || ad->holds_channel) {
    VF(m, st, HAL_VF_SECOND_ALLOCATION, R, "channel %u is already %s by this adapter",
       ad->channel, ad->holds_channel ? "held" : "requested");
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  unsigned live = grants_live(ad);
  if (live >= MAX_GRANTS) return STATUS_INSUFFICIENT_RESOURCES;
  ad->req.state = REQ_WAIT_CHANNEL;
  ad->req.dev = DeviceObject;
  ad->req.nregs = NumberOfMapRegisters;
  ad->req.routine = ExecutionRoutine;
  ad->req.context = Context;
  if (ad->master) {
    /* a bus master's "channel" is its own adapter object: straight to the map registers */
    ad->holds_channel = 1;
    ad->req.state = REQ_WAIT_REGS;
    q_push(&m->regq_head, &m->regq_tail, ad);
  } else {
    q_push(&m->chq_head[ad->channel], &m->chq_tail[ad->channel], ad);
  }
  kick(m);
  return STATUS_SUCCESS;
}

static int same_mapping(const hal_adapter_t *ad, PMDL mdl, PVOID base, PVOID va, ULONG len,
                        BOOLEAN wr) {
  return ad->map.mdl == mdl && (PVOID)ad->map.grant == base && ad->map.va == va &&
         ad->map.length == len && ad->map.write == (wr ? 1 : 0);
}

static BOOLEAN op_flush_adapter_buffers(PDMA_ADAPTER a, PMDL Mdl, PVOID MapRegisterBase,
                                        PVOID CurrentVa, ULONG Length, BOOLEAN WriteToDevice) {
  static const char *R = "FlushAdapterBuffers";
  site_t st;
  hal_adapter_t *ad = enter(a, R, __builtin_return_address(0), &st);
  if (!ad) return FALSE;
  hal_machine_t *m = ad->m;
  sim_t *s = m->sim;
  irql_at_most(m, st, R, DISPATCH_LEVEL);
  if (ad->master) return bm_flush(ad, st, Mdl, MapRegisterBase, CurrentVa, Length, WriteToDevice);
  if (!ad->map.active) {
    if (ad->info.valid && same_mapping(ad, Mdl, MapRegisterBase, CurrentVa, Length,
                                       WriteToDevice))
      VF(m, st, HAL_VF_DOUBLE_FLUSH, R, "the transfer of %u bytes at %p was already flushed",
         (unsigned)Length, CurrentVa);
    else
      VF(m, st, HAL_VF_FLUSH_MISMATCH, R, "nothing is mapped on channel %u", ad->channel);
    return FALSE;
  }
  if (!same_mapping(ad, Mdl, MapRegisterBase, CurrentVa, Length, WriteToDevice)) {
    VF(m, st, HAL_VF_FLUSH_MISMATCH, R,
       "flush of %u bytes at %p (%s) but MapTransfer mapped %u bytes at %p (%s)",
       (unsigned)Length, CurrentVa, WriteToDevice ? "to device" : "from device",
       (unsigned)ad->map.length, ad->map.va, ad->map.write ? "to device" : "from device");
    return FALSE;
  }
  /* wait (bounded) for terminal count, then stop the channel */
  uint64_t waited = 0;
  uint16_t count = 0;
  while (waited < m->cfg.flush_wait_cycles) {
    if (!port_ok(i8237_read_count_live(s, ad->channel, &count)) || count == 0xFFFFu) break;
    uint64_t step = m->cfg.flush_wait_cycles - waited < 64 ? m->cfg.flush_wait_cycles - waited
                                                           : 64;
    if (sim_step(s, step) != SIM_OK) break;
    waited += step;
  }
  (void)i8237_mask(s, ad->channel);
  uint32_t residual = 0;
  int ok = read_residual(ad, &residual) == 0;
  if (ok && residual > 0) {
    /* stopped early: a transfer under way when the mask landed still completes; wait until
     * the count holds still over one transfer's worth of cycles */
    uint32_t div = 10, hold = 1;
    (void)sim_apb_read(s, SOC_CTRL_BASE + SOC_CTRL_DMA_CLKDIV, 4, &div);
    (void)sim_apb_read(s, SOC_CTRL_BASE + SOC_CTRL_HOLD_DELAY, 4, &hold);
    div &= 0xFFu;
    hold &= 0xFFu;
    uint64_t settle = (uint64_t)(hold + 16u) * (div ? div : 1u) + 64u;
    for (unsigned i = 0; ok && i < SETTLE_TRIES; i++) {
      if (sim_step(s, settle) != SIM_OK) break;
      uint32_t again = 0;
      ok = read_residual(ad, &again) == 0;
      if (ok && again == residual) break;
      residual = again;
    }
  }
  if (!ok) residual = ad->map.length; /* the bus failed: assume nothing moved */
  uint32_t moved = ad->map.length - residual;
  if (ad->info.bounced && !ad->map.write && moved > 0) {
    size_t pos = (size_t)((PCHAR)ad->map.va - (PCHAR)Mdl->StartVa);
    (void)copy_pa_to_mdl(m, ad->info.bounce_pa, Mdl, pos, moved);
  }
  if (ad->map.dma_mapped) (void)hostmem_dma_unmap(m->mem, ad->map.dma_pa, ad->map.dma_len);
  ad->map.dma_mapped = 0;
  ad->map.active = 0;
  ad->info.active = 0;
  ad->info.residual = residual;
  ad->info.flushed_ok = ok && residual == 0;
  return ad->info.flushed_ok ? TRUE : FALSE;
}

static VOID op_free_adapter_channel(PDMA_ADAPTER a) {
  static const char *R = "FreeAdapterChannel";
  site_t st;
  hal_adapter_t *ad = enter(a, R, __builtin_return_address(0), &st);
  if (!ad) return;
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, DISPATCH_LEVEL);
  if (!ad->holds_channel) {
    VF(m, st, HAL_VF_CHANNEL_NOT_HELD, R, "channel %u is not allocated to this adapter",
       ad->channel);
    return;
  }
  if (ad->map.active) {
    VF(m, st, HAL_VF_MAP_UNFLUSHED, R,
       "a transfer of %u bytes is still mapped: the channel is stopped without a flush",
       (unsigned)ad->map.length);
    cancel_mapping(ad);
  }
  /* FreeAdapterChannel frees the map registers allocated with the channel (KeepObject) */
  if (ad->channel_grant) grant_release(m, ad->channel_grant);
  ad->channel_grant = NULL;
  release_channel(ad);
  kick(m);
}

static VOID op_free_map_registers(PDMA_ADAPTER a, PVOID MapRegisterBase,
                                  ULONG NumberOfMapRegisters) {
  static const char *R = "FreeMapRegisters";
  site_t st;
  hal_adapter_t *ad = enter(a, R, __builtin_return_address(0), &st);
  if (!ad) return;
  hal_machine_t *m = ad->m;
  irql_exactly(m, st, R, DISPATCH_LEVEL);
  grant_t *g = grant_slot(ad, MapRegisterBase);
  if (!g) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "MapRegisterBase %p was never given to this adapter",
       MapRegisterBase);
    return;
  }
  if (!g->live) {
    VF(m, st, HAL_VF_REGISTERS_FREED_TWICE, R, "%u map register(s) at %p are not held",
       (unsigned)NumberOfMapRegisters, MapRegisterBase);
    return;
  }
  if (ad->map.active && ad->map.grant == g) {
    VF(m, st, HAL_VF_MAP_UNFLUSHED, R,
       "a transfer of %u bytes still uses these map registers: they stay allocated",
       (unsigned)ad->map.length);
    return;
  }
  if (NumberOfMapRegisters != g->count)
    VF(m, st, HAL_VF_BAD_PARAMETER, R,
       "NumberOfMapRegisters %u differs from the %u allocated (all %u are freed)",
       (unsigned)NumberOfMapRegisters, g->count, g->count);
  grant_release(m, g);
  kick(m);
}

static PHYSICAL_ADDRESS op_map_transfer(PDMA_ADAPTER a, PMDL Mdl, PVOID MapRegisterBase,
                                        PVOID CurrentVa, PULONG Length, BOOLEAN WriteToDevice) {
  static const char *R = "MapTransfer";
  PHYSICAL_ADDRESS none;
  none.QuadPart = 0;
  site_t st;
  hal_adapter_t *ad = enter(a, R, __builtin_return_address(0), &st);
  if (!ad) return none;
  hal_machine_t *m = ad->m;
  sim_t *s = m->sim;
  irql_at_most(m, st, R, DISPATCH_LEVEL);
  if (!ad->holds_channel) {
    VF(m, st, HAL_VF_MAP_WITHOUT_CHANNEL, R, "channel %u is not allocated to this adapter",
       ad->channel);
    return none;
  }
  if (!Mdl || !Length) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "%s is NULL", !Mdl ? "Mdl" : "Length");
    return none;
  }
  grant_t *g = grant_slot(ad, MapRegisterBase);
  if (!g || !g->live) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "MapRegisterBase %p is not a live allocation of "
       "this adapter", MapRegisterBase);
    return none;
  }
  if (ad->master) return bm_map_transfer(ad, st, Mdl, g, CurrentVa, Length, WriteToDevice);
  if (ad->map.active) {
    VF(m, st, HAL_VF_MAP_UNFLUSHED, R,
       "the previous transfer of %u bytes at %p was never flushed", (unsigned)ad->map.length,
       ad->map.va);
    return none;
  }
  ULONG len = *Length;
  if (!map_range_ok(m, st, R, Mdl, CurrentVa, len)) return none;
  uintptr_t va = (uintptr_t)CurrentVa;
  ULONG span = ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, len);
  if (span > g->count) {
    VF(m, st, HAL_VF_MAP_EXCEEDS_REGISTERS, R,
       "%u bytes at %p span %u pages, %u map register(s) were allocated", (unsigned)len,
       CurrentVa, (unsigned)span, g->count);
    return none;
  }
  if (ad->word && ((va & 1u) || (len & 1u))) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R,
       "word channel %u moves 16-bit words: CurrentVa %p and Length %u must be even",
       ad->channel, CurrentVa, (unsigned)len);
    return none;
  }
  uint32_t max_len = ad->word ? 2u * MAX_UNITS : MAX_UNITS;
  if (len > max_len) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "%u bytes exceed the %u one transfer on channel %u "
       "can move", (unsigned)len, max_len, ad->channel);
    return none;
  }
  /* the MDL's frames for the run, each inside host memory */
  size_t pos = (size_t)(va - (uintptr_t)Mdl->StartVa);
  size_t first = pos >> PAGE_SHIFT, last = (pos + len - 1) >> PAGE_SHIFT;
  uint64_t npages = hostmem_size(m->mem) >> PAGE_SHIFT;
  PPFN_NUMBER pfn = MmGetMdlPfnArray(Mdl);
  int contiguous = 1;
  for (size_t i = first; i <= last; i++) {
    if (pfn[i] == 0 || pfn[i] >= npages) {
      VF(m, st, HAL_VF_MDL_NOT_BUILT, R, "MDL page %zu has frame 0x%llx, not host memory", i,
         (unsigned long long)pfn[i]);
      return none;
    }
    if (i > first && pfn[i] != pfn[i - 1] + 1) contiguous = 0;
  }
  uint64_t pa = mdl_pa(Mdl, pos), pa_last = pa + len - 1;
  unsigned shift = ad->word ? 17u : 16u;
  int direct = contiguous && pa_last < HOSTMEM_16M && (pa >> shift) == (pa_last >> shift);
  uint64_t logical = pa;
  if (!direct) {
    logical = grant_pa(m, g);
    int rc = WriteToDevice ? copy_mdl_to_pa(m, Mdl, pos, logical, len)
                           : zero_pa(m, logical, len);
    if (rc != 0) {
      VF(m, st, HAL_VF_MDL_NOT_BUILT, R, "copy between the MDL and the map registers failed");
      return none;
    }
  }

  uint32_t units = ad->word ? len / 2u : len;
  if (units == MAX_UNITS)
    (void)sim_apb_write(s, SOC_CTRL_BASE + SOC_CTRL_IRQ_STATUS, 1u << ad->channel, 4);
  if (m->cfg.dma_check && hostmem_dma_map(m->mem, logical, len, WriteToDevice ? 0 : 1) == 0) {
    ad->map.dma_mapped = 1;
    ad->map.dma_pa = logical;
    ad->map.dma_len = len;
  } else {
    ad->map.dma_mapped = 0;
  }
  i8237_xfer_desc_t x = {.channel = ad->channel, .phys = (uint32_t)logical, .length = len,
                         .type = WriteToDevice ? I8237_READ : I8237_WRITE,
                         .mode = ad->demand ? I8237_DEMAND : I8237_SINGLE};
  int prc = i8237_program(s, &x);
  if (prc != I8237_OK) {
    if (ad->map.dma_mapped) (void)hostmem_dma_unmap(m->mem, logical, len);
    ad->map.dma_mapped = 0;
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "programming channel %u failed: %s", ad->channel,
       i8237_strerror(prc));
    return none;
  }
  ad->map.active = 1;
  ad->map.mdl = Mdl;
  ad->map.grant = g;
  ad->map.va = CurrentVa;
  ad->map.length = len;
  ad->map.write = WriteToDevice ? 1 : 0;
  memset(&ad->info, 0, sizeof ad->info);
  ad->info.valid = 1;
  ad->info.active = 1;
  ad->info.bounced = !direct;
  ad->info.write_to_device = ad->map.write;
  ad->info.channel = ad->channel;
  ad->info.logical = logical;
  ad->info.length = len;
  ad->info.registers_spanned = span;
  ad->info.bounce_pa = direct ? 0 : logical;
  /* Length comes back unchanged for a system-DMA device */
  PHYSICAL_ADDRESS out;
  out.QuadPart = (LONGLONG)logical;
  return out;
}

static ULONG op_get_dma_alignment(PDMA_ADAPTER a) {
  site_t st;
  hal_adapter_t *ad = enter(a, "GetDmaAlignment", __builtin_return_address(0), &st);
  if (!ad) return 0;
  return ad->master ? 1u : ad->word ? 2u : 1u;
}

static ULONG op_read_dma_counter(PDMA_ADAPTER a) {
  static const char *R = "ReadDmaCounter";
  site_t st;
  hal_adapter_t *ad = enter(a, R, __builtin_return_address(0), &st);
  if (!ad) return 0;
  irql_at_most(ad->m, st, R, DISPATCH_LEVEL);
  if (!ad->map.active || ad->master) return 0; /* a bus master has no DMA counter */
  uint32_t left = 0;
  if (read_residual(ad, &left) != 0) return 0;
  return left;
}

static NTSTATUS op_get_scatter_gather_list(PDMA_ADAPTER a, PDEVICE_OBJECT DeviceObject,
                                           PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                           PDRIVER_LIST_CONTROL ExecutionRoutine,
                                           PVOID Context, BOOLEAN WriteToDevice) {
  (void)DeviceObject, (void)Mdl, (void)CurrentVa, (void)Length, (void)ExecutionRoutine;
  (void)Context, (void)WriteToDevice;
  site_t st;
  hal_adapter_t *ad = enter(a, "GetScatterGatherList", __builtin_return_address(0), &st);
  if (!ad) return STATUS_INVALID_PARAMETER;
  if (ad->master)
    return sg_get(ad, st, "GetScatterGatherList", DeviceObject, Mdl, CurrentVa, Length,
                  ExecutionRoutine, Context, WriteToDevice, NULL, 0, 0);
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "GetScatterGatherList", "not implemented yet");
  return STATUS_NOT_IMPLEMENTED;
}

static VOID op_put_scatter_gather_list(PDMA_ADAPTER a, PSCATTER_GATHER_LIST ScatterGather,
                                       BOOLEAN WriteToDevice) {
  (void)ScatterGather, (void)WriteToDevice;
  site_t st;
  hal_adapter_t *ad = enter(a, "PutScatterGatherList", __builtin_return_address(0), &st);
  if (!ad) return;
  if (ad->master) {
    sg_put(ad, st, ScatterGather, WriteToDevice);
    return;
  }
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "PutScatterGatherList", "not implemented yet");
}

static NTSTATUS op_calculate_sg_list_size(PDMA_ADAPTER a, PMDL Mdl, PVOID CurrentVa,
                                          ULONG Length, PULONG ScatterGatherListSize,
                                          PULONG pNumberOfMapRegisters) {
  (void)Mdl, (void)CurrentVa, (void)Length, (void)ScatterGatherListSize;
  (void)pNumberOfMapRegisters;
  site_t st;
  hal_adapter_t *ad = enter(a, "CalculateScatterGatherList", __builtin_return_address(0), &st);
  if (!ad) return STATUS_INVALID_PARAMETER;
  if (ad->master)
    return sg_calculate(ad, st, Mdl, CurrentVa, Length, ScatterGatherListSize,
                        pNumberOfMapRegisters);
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "CalculateScatterGatherList", "not implemented yet");
  return STATUS_NOT_IMPLEMENTED;
}

static NTSTATUS op_build_sg_list(PDMA_ADAPTER a, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                 PVOID CurrentVa, ULONG Length,
                                 PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                 BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                 ULONG ScatterGatherLength) {
  (void)DeviceObject, (void)Mdl, (void)CurrentVa, (void)Length, (void)ExecutionRoutine;
  (void)Context, (void)WriteToDevice, (void)ScatterGatherBuffer, (void)ScatterGatherLength;
  site_t st;
  hal_adapter_t *ad = enter(a, "BuildScatterGatherList", __builtin_return_address(0), &st);
  if (!ad) return STATUS_INVALID_PARAMETER;
  if (ad->master)
    return sg_get(ad, st, "BuildScatterGatherList", DeviceObject, Mdl, CurrentVa, Length,
                  ExecutionRoutine, Context, WriteToDevice, ScatterGatherBuffer,
                  ScatterGatherLength, 1);
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "BuildScatterGatherList", "not implemented yet");
  return STATUS_NOT_IMPLEMENTED;
}

static NTSTATUS op_build_mdl_from_sg_list(PDMA_ADAPTER a, PSCATTER_GATHER_LIST ScatterGather,
                                          PMDL OriginalMdl, PMDL *TargetMdl) {
  (void)ScatterGather, (void)OriginalMdl;
  if (TargetMdl) *TargetMdl = NULL;
  site_t st;
  hal_adapter_t *ad =
      enter(a, "BuildMdlFromScatterGatherList", __builtin_return_address(0), &st);
  if (!ad) return STATUS_INVALID_PARAMETER;
  VF(ad->m, st, HAL_VF_NOT_IMPLEMENTED, "BuildMdlFromScatterGatherList",
     "not implemented yet");
  return STATUS_NOT_IMPLEMENTED;
}

/* ---------------------------------------------------------------------------------------- */
/* IoGetDmaAdapter */

/* a bus master with scatter/gather: reach from the address flags / width, map registers
 * BYTES_TO_PAGES(MaximumLength) + 1 capped at the pool */
static PDMA_ADAPTER master_adapter(hal_machine_t *m, site_t st, PDEVICE_OBJECT pdo,
                                   const DEVICE_DESCRIPTION *d, PULONG NumberOfMapRegisters) {
  static const char *R = "IoGetDmaAdapter";
  if ((int)d->InterfaceType < (int)InterfaceTypeUndefined ||
      (int)d->InterfaceType >= (int)MaximumInterfaceType) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "InterfaceType %d is not a bus", (int)d->InterfaceType);
    return NULL;
  }
  uint64_t limit;
  if (d->Version == DEVICE_DESCRIPTION_VERSION3 && d->DmaAddressWidth != 0) {
    if (d->DmaAddressWidth < 24 || d->DmaAddressWidth > 64) {
      VF(m, st, HAL_VF_BAD_PARAMETER, R, "DmaAddressWidth %u: 24 to 64 bits are served",
         (unsigned)d->DmaAddressWidth);
      return NULL;
    }
    limit = d->DmaAddressWidth >= 64 ? UINT64_MAX : 1ull << d->DmaAddressWidth;
  } else if (d->InterfaceType == Isa) {
    limit = HOSTMEM_16M; /* an ISA bus master drives 24 address lines */
  } else if (d->Dma64BitAddresses) {
    limit = UINT64_MAX;
  } else if (d->Dma32BitAddresses) {
    limit = 1ull << 32;
  } else {
    limit = HOSTMEM_16M; /* neither flag: a 24-bit device */
  }
  uint64_t want = (uint64_t)BYTES_TO_PAGES(d->MaximumLength) + 1u;
  uint64_t cap = m->pool_pages;
  hal_adapter_t *ad = calloc(1, sizeof *ad);
  if (!ad) return NULL;
  ad->magic = ADAPTER_MAGIC;
  ad->m = m;
  ad->master = 1;
  ad->limit = limit;
  ad->max_regs = (ULONG)(want < cap ? want : cap);
  ad->pdo = pdo;
  ad->pub.Version = d->Version >= DEVICE_DESCRIPTION_VERSION2 ? 2 : 1;
  ad->pub.Size = (USHORT)sizeof(DMA_ADAPTER);
  ad->pub.DmaOperations = &m->ops;
  ad->next = m->adapters;
  m->adapters = ad;
  *NumberOfMapRegisters = ad->max_regs;
  return &ad->pub;
}

PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
                             PDEVICE_DESCRIPTION DeviceDescription,
                             PULONG NumberOfMapRegisters) {
  static const char *R = "IoGetDmaAdapter";
  hal_machine_t *m = hal_device_machine(PhysicalDeviceObject);
  if (!m) return NULL; /* not a device object of any machine: nothing to report to */
  site_t st = take_site(m, __builtin_return_address(0));
  irql_exactly(m, st, R, PASSIVE_LEVEL);
  const DEVICE_DESCRIPTION *d = DeviceDescription;
  if (!d || !NumberOfMapRegisters) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "%s is NULL",
       !d ? "DeviceDescription" : "NumberOfMapRegisters");
    return NULL;
  }
  if (d->Version > DEVICE_DESCRIPTION_VERSION3) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "unknown DEVICE_DESCRIPTION version %u",
       (unsigned)d->Version);
    return NULL;
  }
  if (d->Master && d->ScatterGather)
    return master_adapter(m, st, PhysicalDeviceObject, d, NumberOfMapRegisters);
  if (d->Version == DEVICE_DESCRIPTION_VERSION3) {
    VF(m, st, HAL_VF_NOT_IMPLEMENTED, R, "DEVICE_DESCRIPTION_VERSION3 (DMA_OPERATIONS "
       "version 3) is not implemented for system DMA");
    return NULL;
  }
  if (d->Master) {
    VF(m, st, HAL_VF_NOT_IMPLEMENTED, R, "bus masters without ScatterGather (packet-based "
       "through map registers) are not implemented yet");
    return NULL;
  }
  if (d->InterfaceType != Isa && d->InterfaceType != Internal &&
      d->InterfaceType != InterfaceTypeUndefined) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R,
       "InterfaceType %d: this machine's system DMA controller sits on an ISA-style bus",
       (int)d->InterfaceType);
    return NULL;
  }
  unsigned ch = d->DmaChannel;
  if (ch > 7 || ch == 4) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R, "DmaChannel %u: channels 0-3 and 5-7 move data (4 is "
       "the cascade)", ch);
    return NULL;
  }
  int word = ch >= 5;
  if (d->DmaWidth != (word ? Width16Bits : Width8Bits)) {
    VF(m, st, HAL_VF_BAD_PARAMETER, R,
       "DmaWidth %d on channel %u: channels 0-3 are 8-bit only, 5-7 16-bit only",
       (int)d->DmaWidth, ch);
    return NULL;
  }
  if (d->AutoInitialize) {
    VF(m, st, HAL_VF_NOT_IMPLEMENTED, R, "autoinitialize (common-buffer system DMA) is not "
       "implemented yet");
    return NULL;
  }
  if (d->Version >= DEVICE_DESCRIPTION_VERSION1 && d->IgnoreCount) {
    VF(m, st, HAL_VF_NOT_IMPLEMENTED, R, "IgnoreCount: the 8237 keeps an accurate count; "
       "the workaround is not implemented");
    return NULL;
  }
  if (d->DmaSpeed != Compatible) {
    VF(m, st, HAL_VF_NOT_IMPLEMENTED, R, "DmaSpeed %d: only Compatible (PC/AT) timing is "
       "modelled", (int)d->DmaSpeed);
    return NULL;
  }
  unsigned cap = word ? HAL_MAX_MAP_REGISTERS_WORD : HAL_MAX_MAP_REGISTERS_BYTE;
  unsigned pool_cap = pool_capacity(m, word ? W_WORD : W_BYTE, cap);
  if (pool_cap < cap) cap = pool_cap;
  uint64_t want = (uint64_t)BYTES_TO_PAGES(d->MaximumLength) + 1u;
  hal_adapter_t *ad = calloc(1, sizeof *ad);
  if (!ad) return NULL;
  ad->magic = ADAPTER_MAGIC;
  ad->m = m;
  ad->channel = ch;
  ad->word = word;
  ad->demand = d->Version == DEVICE_DESCRIPTION_VERSION2 && d->DemandMode;
  ad->max_regs = (ULONG)(want < cap ? want : cap);
  ad->pdo = PhysicalDeviceObject;
  ad->pub.Version = d->Version == DEVICE_DESCRIPTION_VERSION2 ? 2 : 1;
  ad->pub.Size = (USHORT)sizeof(DMA_ADAPTER);
  ad->pub.DmaOperations = &m->ops;
  ad->next = m->adapters;
  m->adapters = ad;
  *NumberOfMapRegisters = ad->max_regs;
  return &ad->pub;
}

/* ---------------------------------------------------------------------------------------- */
/* machine and device objects */

void hal_machine_config_default(hal_machine_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->map_register_pages = 128;
  cfg->dma_check = 1;
  cfg->bios_init = 1;
  cfg->flush_wait_cycles = 0;
}

hal_machine_t *hal_machine_create(sim_t *s, const hal_machine_config_t *cfg) {
  hal_machine_config_t c;
  if (cfg)
    c = *cfg;
  else
    hal_machine_config_default(&c);
  if (!s || c.map_register_pages == 0 || c.map_register_pages > 4096) {
    fprintf(stderr, "hal_machine_create: bad arguments\n");
    return NULL;
  }
  hal_machine_t *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->sim = s;
  m->mem = sim_mem(s);
  m->cfg = c;
  m->vf = hal_vf_create(s);
  m->pool_used = calloc(c.map_register_pages, 1);
  if (!m->vf || !m->pool_used) goto fail;
  /* the pool: contiguous below 16 MiB, aligned to 128 KiB so that pool indices line up with
   * the 64 KiB / 128 KiB pages the 8237 cannot cross */
  if (hostmem_alloc_contig(m->mem, c.map_register_pages, HOSTMEM_16M, 128u * 1024u,
                           &m->pool_pfn0) != 0) {
    fprintf(stderr, "hal_machine_create: no %u contiguous pages below 16 MiB for the map "
            "registers\n", c.map_register_pages);
    goto fail;
  }
  m->pool_pages = c.map_register_pages;
  if (c.bios_init && i8237_bios_init(s) != I8237_OK) {
    fprintf(stderr, "hal_machine_create: BIOS initialisation of the 8237s failed (sim in "
            "reset?)\n");
    uint64_t pfns[1];
    for (unsigned i = 0; i < m->pool_pages; i++) {
      pfns[0] = m->pool_pfn0 + i;
      hostmem_free_pages(m->mem, 1, pfns);
    }
    goto fail;
  }
  m->prev_dma_check = hostmem_dma_check_enabled(m->mem);
  if (c.dma_check) hostmem_dma_check_enable(m->mem, 1);
  m->ops.Size = sizeof(DMA_OPERATIONS);
  m->ops.PutDmaAdapter = op_put_dma_adapter;
  m->ops.AllocateCommonBuffer = op_allocate_common_buffer;
  m->ops.FreeCommonBuffer = op_free_common_buffer;
  m->ops.AllocateAdapterChannel = op_allocate_adapter_channel;
  m->ops.FlushAdapterBuffers = op_flush_adapter_buffers;
  m->ops.FreeAdapterChannel = op_free_adapter_channel;
  m->ops.FreeMapRegisters = op_free_map_registers;
  m->ops.MapTransfer = op_map_transfer;
  m->ops.GetDmaAlignment = op_get_dma_alignment;
  m->ops.ReadDmaCounter = op_read_dma_counter;
  m->ops.GetScatterGatherList = op_get_scatter_gather_list;
  m->ops.PutScatterGatherList = op_put_scatter_gather_list;
  m->ops.CalculateScatterGatherList = op_calculate_sg_list_size;
  m->ops.BuildScatterGatherList = op_build_sg_list;
  m->ops.BuildMdlFromScatterGatherList = op_build_mdl_from_sg_list;
  return m;
fail:
  hal_vf_destroy(m->vf);
  free(m->pool_used);
  free(m);
  return NULL;
}

void hal_machine_destroy(hal_machine_t *m) {
  if (!m) return;
  site_t st = {NULL, 0, NULL};
  for (hal_adapter_t *ad = m->adapters; ad; ad = ad->next) {
    if (ad->released) continue;
    if (ad->master)
      VF(m, st, HAL_VF_ADAPTER_LEAKED, "hal_machine_destroy",
         "a bus-master adapter was never released (PutDmaAdapter)");
    else
      VF(m, st, HAL_VF_ADAPTER_LEAKED, "hal_machine_destroy",
         "the adapter for channel %u was never released (PutDmaAdapter)", ad->channel);
    if (ad->map.active && ad->master) bm_drop(ad);
    else if (ad->map.active && ad->map.dma_mapped)
      (void)hostmem_dma_unmap(m->mem, ad->map.dma_pa, ad->map.dma_len);
  }
  for (hal_adapter_t *ad = m->adapters; ad; ad = ad->next)
    if (ad->master) master_destroy(m, ad);
  hal_adapter_t *ad = m->adapters;
  while (ad) {
    hal_adapter_t *n = ad->next;
    ad->magic = 0;
    free(ad);
    ad = n;
  }
  hal_device_t *d = m->devices;
  while (d) {
    hal_device_t *n = d->next;
    free(d->dev.DeviceExtension);
    free(d);
    d = n;
  }
  for (unsigned i = 0; i < m->pool_pages; i++) {
    uint64_t pfn = m->pool_pfn0 + i;
    hostmem_free_pages(m->mem, 1, &pfn);
  }
  hostmem_dma_check_enable(m->mem, m->prev_dma_check);
  hal_vf_destroy(m->vf);
  free(m->pool_used);
  free(m);
}

sim_t *hal_machine_sim(const hal_machine_t *m) { return m ? m->sim : NULL; }
hal_vf_t *hal_machine_verifier(const hal_machine_t *m) { return m ? m->vf : NULL; }

PDEVICE_OBJECT hal_device_create(hal_machine_t *m, ULONG extension_size) {
  if (!m) return NULL;
  hal_device_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  if (extension_size) {
    d->dev.DeviceExtension = calloc(1, extension_size);
    if (!d->dev.DeviceExtension) {
      free(d);
      return NULL;
    }
  }
  d->dev.Type = 3; /* IO_TYPE_DEVICE */
  d->dev.Size = (USHORT)sizeof(DEVICE_OBJECT);
  d->dev.AlignmentRequirement = 0;
  d->ext.Type = DEVEXT_TYPE;
  d->ext.Size = (USHORT)sizeof(DEVOBJ_EXTENSION);
  d->ext.DeviceObject = &d->dev;
  d->ext.Machine = m;
  d->dev.DeviceObjectExtension = &d->ext;
  d->next = m->devices;
  m->devices = d;
  return &d->dev;
}

hal_machine_t *hal_device_machine(PDEVICE_OBJECT dev) {
  if (!dev || !dev->DeviceObjectExtension) return NULL;
  PDEVOBJ_EXTENSION e = dev->DeviceObjectExtension;
  if (e->Type != DEVEXT_TYPE || e->DeviceObject != dev) return NULL;
  return e->Machine;
}

void hal_device_destroy(PDEVICE_OBJECT dev) {
  hal_machine_t *m = hal_device_machine(dev);
  if (!m) return;
  hal_device_t **pp = &m->devices;
  while (*pp && &(*pp)->dev != dev) pp = &(*pp)->next;
  if (!*pp) return;
  hal_device_t *d = *pp;
  *pp = d->next;
  free(d->dev.DeviceExtension);
  free(d);
}

/* ---------------------------------------------------------------------------------------- */
/* introspection */

int hal_dma_last_map(PDMA_ADAPTER a, hal_map_info_t *out) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad || !out) return -1;
  *out = ad->info;
  return 0;
}

uint64_t hal_map_register_base_pa(PDMA_ADAPTER a, PVOID MapRegisterBase) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad) return 0;
  grant_t *g = grant_slot(ad, MapRegisterBase);
  if (!g || !g->live) return 0;
  return grant_pa(ad->m, g);
}

uint64_t hal_pool_base_pa(const hal_machine_t *m) {
  return m ? m->pool_pfn0 << PAGE_SHIFT : 0;
}
unsigned hal_pool_pages(const hal_machine_t *m) { return m ? m->pool_pages : 0; }
unsigned hal_pool_free_pages(const hal_machine_t *m) {
  if (!m) return 0;
  unsigned n = 0;
  for (unsigned i = 0; i < m->pool_pages; i++) n += m->pool_used[i] ? 0u : 1u;
  return n;
}
unsigned hal_waiting_requests(const hal_machine_t *m) {
  if (!m) return 0;
  unsigned n = 0;
  for (const hal_adapter_t *ad = m->adapters; ad; ad = ad->next)
    n += (ad->req.state == REQ_WAIT_CHANNEL || ad->req.state == REQ_WAIT_REGS) ? 1u : 0u;
  for (const sg_rec_t *r = m->sgq_head; r; r = r->qnext) n++;
  return n;
}

/* ---- bus masters ------------------------------------------------------------------------ */

int hal_dma_set_sg_limits(PDMA_ADAPTER a, ULONG max_element, uint64_t boundary) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad || !ad->master || ad->released) return -1;
  if (boundary && (boundary < PAGE_SIZE || (boundary & (boundary - 1)))) return -1;
  ad->sg_max_element = max_element;
  ad->sg_boundary = boundary;
  return 0;
}

uint64_t hal_dma_address_limit(PDMA_ADAPTER a) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad) return 0;
  return ad->master ? ad->limit : HOSTMEM_16M;
}

unsigned hal_sg_lists_live(PDMA_ADAPTER a) {
  hal_adapter_t *ad = adapter_of(a);
  if (!ad) return 0;
  unsigned n = 0;
  for (const sg_rec_t *r = ad->lists; r; r = r->next) n += r->state == SG_LIVE ? 1u : 0u;
  return n;
}
