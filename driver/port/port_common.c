/* Shared by the SCSI Port and Storport port drivers: see port_common.h. */
#include "port_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PORT_MAP_MAGIC 0x504f52544d4150ull /* "PORTMAP" */

typedef struct port_map_hdr {
  uint64_t magic;
  void *owner;
  uint64_t phys;
  uint32_t length;
  int io;
} port_map_hdr_t;

int port_window_map(port_window_t *w, void *owner, uint64_t phys, uint32_t length, int io) {
  memset(w, 0, sizeof *w);
  if (length == 0 || length > PORT_MAX_MAPPED) return -1;
  size_t len = 2u * PORT_WINDOW;
  char *res = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (res == MAP_FAILED) return -1;
  char *win = (char *)(((uintptr_t)res + PORT_WINDOW - 1) & ~(uintptr_t)(PORT_WINDOW - 1));
  if (mprotect(win, 4096, PROT_READ | PROT_WRITE)) {
    munmap(res, len);
    return -1;
  }
  port_map_hdr_t *h = (port_map_hdr_t *)win;
  h->magic = PORT_MAP_MAGIC;
  h->owner = owner;
  h->phys = phys;
  h->length = length;
  h->io = io ? 1 : 0;
  mprotect(win, 4096, PROT_READ);
  w->res = res;
  w->res_len = len;
  w->base = win + 4096;
  return 0;
}

void port_window_unmap(port_window_t *w) {
  if (w && w->res) munmap(w->res, w->res_len);
  if (w) memset(w, 0, sizeof *w);
}

static void *hdr_lookup(const port_map_hdr_t *h, uintptr_t v, int io, uint64_t *phys) {
  if (v < (uintptr_t)h + 4096u) return NULL;
  uint64_t off = v - (uintptr_t)h - 4096u;
  if (h->magic != PORT_MAP_MAGIC || off >= h->length || h->io != (io ? 1 : 0)) return NULL;
  *phys = h->phys + off;
  return h->owner;
}

void *port_window_owner(const volatile void *reg, int io, uint64_t *phys) {
  uintptr_t v = (uintptr_t)reg;
  const port_map_hdr_t *h = (const port_map_hdr_t *)(v & ~(uintptr_t)(PORT_WINDOW - 1));
  return hdr_lookup(h, v, io, phys);
}

void *port_window_find(const port_window_t *w, unsigned n, const volatile void *reg, int io,
                       uint64_t *phys) {
  uintptr_t v = (uintptr_t)reg;
  for (unsigned i = 0; i < n; i++) {
    if (!w[i].base) continue;
    uintptr_t hb = (uintptr_t)w[i].base - 4096u;
    if (v < (uintptr_t)w[i].base || v >= hb + PORT_WINDOW) continue;
    return hdr_lookup((const port_map_hdr_t *)hb, v, io, phys);
  }
  return NULL;
}

uint32_t port_bus_read(sim_t *s, uint64_t a, unsigned size, int io, const char *who) {
  if (io) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
      uint8_t b = 0xFF;
      if (sim_inb(s, (uint16_t)(a + i), &b))
        sim_error(s, "%s: inb(0x%x) failed", who, (unsigned)(a + i));
      v |= (uint32_t)b << (8 * i);
    }
    return v;
  }
  uint32_t v = 0xFFFFFFFFu;
  int rc = sim_apb_read(s, (uint32_t)a, size, &v);
  if (rc) sim_error(s, "%s: APB read of %u bytes at 0x%08x failed (%d)", who, size,
                    (unsigned)a, rc);
  return v;
}

void port_bus_write(sim_t *s, uint64_t a, uint32_t v, unsigned size, int io, const char *who) {
  if (io) {
    for (unsigned i = 0; i < size; i++)
      if (sim_outb(s, (uint16_t)(a + i), (uint8_t)(v >> (8 * i))))
        sim_error(s, "%s: outb(0x%x) failed", who, (unsigned)(a + i));
    return;
  }
  int rc = sim_apb_write(s, (uint32_t)a, v, size);
  if (rc) sim_error(s, "%s: APB write of %u bytes at 0x%08x failed (%d)", who, size,
                    (unsigned)a, rc);
}

static int in_mdl(PMDL mdl, PVOID va, ULONG len) {
  if (!mdl) return 0;
  uintptr_t b = (uintptr_t)MmGetMdlVirtualAddress(mdl), v = (uintptr_t)va;
  return v >= b && (uint64_t)(v - b) + len <= mdl->ByteCount;
}

NTSTATUS port_check_srb(const char *who, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, ULONG max_transfer,
                        int *data) {
  int d = (Srb->SrbFlags & (SRB_FLAGS_DATA_IN | SRB_FLAGS_DATA_OUT)) != 0;
  switch (Srb->Function) {
    case SRB_FUNCTION_EXECUTE_SCSI:
      if (Srb->CdbLength == 0 || Srb->CdbLength > 16) {
        fprintf(stderr, "%s: CdbLength %u\n", who, Srb->CdbLength);
        return STATUS_INVALID_PARAMETER;
      }
      if (d && (Srb->DataTransferLength == 0 || !Srb->DataBuffer ||
                !in_mdl(Mdl, Srb->DataBuffer, Srb->DataTransferLength))) {
        fprintf(stderr, "%s: a data transfer needs DataBuffer/DataTransferLength inside the "
                        "MDL\n", who);
        return STATUS_INVALID_PARAMETER;
      }
      if (d && Srb->DataTransferLength > max_transfer) {
        fprintf(stderr, "%s: DataTransferLength %u above the adapter's MaximumTransferLength "
                        "%u (the class driver splits)\n", who,
                (unsigned)Srb->DataTransferLength, (unsigned)max_transfer);
        return STATUS_INVALID_PARAMETER;
      }
      break;
    case SRB_FUNCTION_RESET_BUS:
    case SRB_FUNCTION_ABORT_COMMAND:
    case SRB_FUNCTION_RESET_DEVICE:
      d = 0;
      break;
    default:
      fprintf(stderr, "%s: Function 0x%02x not supported\n", who, Srb->Function);
      return STATUS_INVALID_PARAMETER;
  }
  *data = d;
  return STATUS_SUCCESS;
}

uint64_t port_buf_pa(const hostmem_buf_t *b, uintptr_t v, ULONG *len) {
  uintptr_t base = (uintptr_t)b->va;
  if (v < base || v >= base + b->length) return 0;
  size_t off = v - base;
  uint64_t pa = hostmem_buf_pa(b, off);
  size_t n = HOSTMEM_PAGE_SIZE - ((b->offset + off) % HOSTMEM_PAGE_SIZE);
  while (off + n < b->length && hostmem_buf_pa(b, off + n) == pa + n) n += HOSTMEM_PAGE_SIZE;
  if (off + n > b->length) n = b->length - off;
  *len = (ULONG)n;
  return pa;
}

void port_latency_record(port_latency_t *l, uint64_t cycles) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? 2 * l->cap : 256;
    uint64_t *nv = realloc(l->v, nc * sizeof *nv);
    if (nv) {
      l->v = nv;
      l->cap = nc;
    }
  }
  if (l->n < l->cap) l->v[l->n++] = cycles;
  if (!l->count || cycles < l->min) l->min = cycles;
  if (cycles > l->max) l->max = cycles;
  l->sum += cycles;
  l->count++;
}

size_t port_latency_copy(const port_latency_t *l, uint64_t *out, size_t max) {
  if (out && l->n) memcpy(out, l->v, (l->n < max ? l->n : max) * sizeof *out);
  return l->n;
}

void port_latency_free(port_latency_t *l) {
  free(l->v);
  memset(l, 0, sizeof *l);
}

NTSTATUS port_execute_check(const char *who, sim_t *s, hal_vf_t *vf, void *caller,
                            PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, ULONG max_transfer, int *data) {
  if (sim_irql(s) > SIM_DISPATCH_LEVEL) {
    hal_vf_report(vf, HAL_VF_WRONG_IRQL, who, NULL, 0, caller,
                  "called at IRQL %u; needs <= DISPATCH_LEVEL", sim_irql(s));
    return STATUS_INVALID_PARAMETER;
  }
  NTSTATUS chk = port_check_srb(who, Srb, Mdl, max_transfer, data);
  if (chk == STATUS_SUCCESS && !*data) Srb->DataTransferLength = 0;
  return chk;
}

int port_srb_ext_alloc(hostmem_t *m, ULONG size, int need_pa, hostmem_buf_t **buf, void **ext) {
  *buf = NULL;
  *ext = NULL;
  if (need_pa) {
    *buf = hostmem_buf_alloc(m, size, 0, HOSTMEM_PLACE_BELOW_16M);
    if (*buf) *ext = (*buf)->va;
  } else {
    *ext = malloc(size);
  }
  if (!*ext) return -1;
  memset(*ext, 0, size);
  return 0;
}

void port_srb_ext_free(hostmem_t *m, hostmem_buf_t *buf, void *ext) {
  if (buf) hostmem_buf_free(m, buf);
  else free(ext);
}

ULONG port_srb_accept(PSCSI_REQUEST_BLOCK Srb, void *ext, void *req) {
  Srb->SrbExtension = ext;
  Srb->OriginalRequest = req;
  Srb->SrbStatus = SRB_STATUS_PENDING;
  Srb->ScsiStatus = 0;
  Srb->SrbFlags &= ~SRB_FLAGS_IS_ACTIVE;
  return Srb->TimeOutValue ? Srb->TimeOutValue : 10u;
}
