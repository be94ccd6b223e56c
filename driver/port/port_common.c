/* Shared by the SCSI Port and Storport port drivers: see port_common.h. */
#include "port_common.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#define PORT_MAP_MAGIC 0x504f52544d4150ull /* "PORTMAP" */

typedef struct port_map_hdr {
  uint64_t magic;
  void *owner;
  uint64_t phys;
  uint32_t length;
  int io;
} port_map_hdr_t;

static void port_fault_report_install(void);

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
  port_fault_report_install();
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

void port_latency_summary(const port_latency_t *l, uint64_t *min, uint64_t *max,
                          uint64_t *sum, uint64_t *count) {
  *min = l->min;
  *max = l->max;
  *sum = l->sum;
  *count = l->count;
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

/* ---- no-access DataBuffer windows and the touch report ------------------------------------ */

#define PORT_ALIAS_MAGIC 0x484253414c494153ull /* "HBSALIAS" */
#define PORT_ALIAS_MIN_SHIFT 20u
#define PORT_ALIAS_MAX_SHIFT 40u

typedef struct port_alias_hdr {
  uint64_t magic;
  uint64_t len;       /* the reservation's aligned length (a power of two) */
  uint64_t stride;
  uint32_t count, luns;
  char who[24];
} port_alias_hdr_t;

/* the handler replaced by ours (process-wide, as signal dispositions are) */
static struct sigaction port_alias_old_segv, port_alias_old_bus;
static pthread_once_t port_alias_once = PTHREAD_ONCE_INIT;

/* a pipe for reading memory that may not be readable where process_vm_readv is refused
 * (a seccomp profile): made with the handler, never closed */
static int port_alias_pipe[2] = {-1, -1};

/* copies n bytes (at most 512) at address a of this process without faulting: 0, or -1 when
 * unreadable */
static int port_alias_peek(uintptr_t a, void *out, size_t n) {
  struct iovec local = {out, n}, remote = {(void *)a, n};
  ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  if (got == (ssize_t)n) return 0;
  if (got < 0 && errno != EPERM && errno != ENOSYS) return -1;   /* EFAULT: unreadable */
  /* the kernel copies from a into the pipe, or fails with EFAULT without faulting */
  if (port_alias_pipe[1] < 0 || n > 512 || write(port_alias_pipe[1], (void *)a, n) != (ssize_t)n)
    return -1;
  return read(port_alias_pipe[0], out, n) == (ssize_t)n ? 0 : -1;
}

static void port_alias_say(const char *text) {
  size_t n = strlen(text);
  while (n) {
    ssize_t w = write(2, text, n);
    if (w <= 0) return;
    text += w;
    n -= (size_t)w;
  }
}

static void port_alias_chain(int sig, siginfo_t *si, void *uc) {
  const struct sigaction *old = sig == SIGBUS ? &port_alias_old_bus : &port_alias_old_segv;
  if (old->sa_flags & SA_SIGINFO) {
    if (old->sa_sigaction) {
      old->sa_sigaction(sig, si, uc);
      return;
    }
  } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
    old->sa_handler(sig);
    return;
  }
  /* the default action: let the faulting instruction run again without us */
  signal(sig, SIG_DFL);
}

/* the faulting instruction: pc, "read"/"write" (x86-64; elsewhere 0 / "touch"), and the
 * " at pc ... names the call site" tail of a report */
static void port_fault_site(void *ucv, const char **kind, char *tail, size_t n) {
  uintptr_t pc = 0;
  *kind = "touch";
#if defined(__x86_64__)
  const ucontext_t *uc = ucv;
  pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
  *kind = (uc->uc_mcontext.gregs[REG_ERR] & 2) ? "write" : "read";
#else
  (void)ucv;
#endif
  Dl_info di;
  memset(&di, 0, sizeof di);
  int have = pc && dladdr((void *)pc, &di) && di.dli_fname;
  unsigned long off = have ? (unsigned long)(pc - (uintptr_t)di.dli_fbase) : 0ul;
  snprintf(tail, n, "at pc %p (%s+0x%lx%s%s; addr2line -f -e %s 0x%lx names the call site)",
           (void *)pc, have ? di.dli_fname : "?", off, have && di.dli_sname ? " " : "",
           have && di.dli_sname ? di.dli_sname : "", have ? di.dli_fname : "?", off);
}

static void port_alias_fault(int sig, siginfo_t *si, void *ucv) {
  uintptr_t a = (uintptr_t)si->si_addr;
  char msg[640], site[320];
  const char *kind;
  /* a register window: the miniport dereferenced its device base instead of calling the
   * port's register routines */
  port_map_hdr_t mh;
  uintptr_t mb = a & ~(uintptr_t)(PORT_WINDOW - 1);
  if (port_alias_peek(mb, &mh, sizeof mh) == 0 && mh.magic == PORT_MAP_MAGIC &&
      a >= mb + 4096u && a - mb - 4096u < PORT_MAX_MAPPED) {
    port_fault_site(ucv, &kind, site, sizeof site);
    snprintf(msg, sizeof msg,
             "hbasim verifier: REGISTER_DEREFERENCE: miniport %s of its %s base + 0x%llx "
             "(physical 0x%llx) by pointer, not through the port's register routines; %s\n",
             kind, mh.io ? "port I/O" : "memory", (unsigned long long)(a - mb - 4096u),
             (unsigned long long)(mh.phys + (a - mb - 4096u)), site);
    port_alias_say(msg);
    port_alias_chain(sig, si, ucv);
    return;
  }
  for (unsigned sh = PORT_ALIAS_MIN_SHIFT; sh <= PORT_ALIAS_MAX_SHIFT; sh++) {
    uintptr_t base = a & ~(((uintptr_t)1 << sh) - 1);
    port_alias_hdr_t h;
    if (port_alias_peek(base, &h, sizeof h) != 0 || h.magic != PORT_ALIAS_MAGIC ||
        h.len != ((uint64_t)1 << sh) || a - base >= h.stride * h.count)
      continue;
    uint64_t off = a - base, win = off / h.stride, in = off % h.stride;
    port_fault_site(ucv, &kind, site, sizeof site);
    h.who[sizeof h.who - 1] = '\0';
    snprintf(msg, sizeof msg,
             "hbasim verifier: MAPBUFFERS_TOUCH: %s miniport %s of the unmapped DataBuffer of "
             "target %u LUN %u (window byte %llu, %s) %s\n",
             h.who, kind, (unsigned)(win / h.luns), (unsigned)(win % h.luns),
             (unsigned long long)(in >= 4096u ? in - 4096u : 0),
             in >= 4096u ? "inside the alias" : "in the guard page before it", site);
    port_alias_say(msg);
    break;
  }
  port_alias_chain(sig, si, ucv);
}

static void port_alias_install(void) {
  if (pipe2(port_alias_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    port_alias_pipe[0] = port_alias_pipe[1] = -1;   /* process_vm_readv only */
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = port_alias_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &port_alias_old_segv);
  sigaction(SIGBUS, &sa, &port_alias_old_bus);
}

static void port_fault_report_install(void) {
  pthread_once(&port_alias_once, port_alias_install);
}

int port_alias_map(port_alias_t *a, const char *who, size_t stride, unsigned targets,
                   unsigned luns) {
  memset(a, 0, sizeof *a);
  if (!stride || stride % 4096u || !targets || !luns) return -1;
  size_t len = stride * targets * luns;
  unsigned sh = PORT_ALIAS_MIN_SHIFT;
  while (((size_t)1 << sh) < len && sh < PORT_ALIAS_MAX_SHIFT) sh++;
  size_t align = (size_t)1 << sh;
  if (align < len) return -1;
  size_t res_len = 2 * align;
  char *res = mmap(NULL, res_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (res == MAP_FAILED) return -1;
  char *base = (char *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
  if (mprotect(base, 4096, PROT_READ | PROT_WRITE)) {
    munmap(res, res_len);
    return -1;
  }
  port_alias_hdr_t *h = (port_alias_hdr_t *)(void *)base;
  h->magic = PORT_ALIAS_MAGIC;
  h->len = align;
  h->stride = stride;
  h->count = targets * luns;
  h->luns = luns;
  snprintf(h->who, sizeof h->who, "%s", who ? who : "port");
  mprotect(base, 4096, PROT_READ);
  port_fault_report_install();
  a->res = res;
  a->res_len = res_len;
  a->base = base;
  a->stride = stride;
  a->count = targets * luns;
  return 0;
}

void port_alias_unmap(port_alias_t *a) {
  if (a && a->res) munmap(a->res, a->res_len);
  if (a) memset(a, 0, sizeof *a);
}

/* ---- device extension, register window table --------------------------------------------- */

#define PORT_DEVEXT_PREFIX 16u

void *port_devext_alloc(void *owner, size_t size) {
  char *m = calloc(1, PORT_DEVEXT_PREFIX + size + 16u);
  if (!m) return NULL;
  *(void **)(void *)m = owner;
  return m + PORT_DEVEXT_PREFIX;
}

void *port_devext_owner(const void *ext) {
  if (!ext) return NULL;
  return *(void *const *)(const void *)((const char *)ext - PORT_DEVEXT_PREFIX);
}

void port_devext_free(void *ext) {
  if (ext) free((char *)ext - PORT_DEVEXT_PREFIX);
}

char *port_window_add(port_window_t *map, unsigned *n, unsigned max, void *owner,
                      uint64_t phys, uint32_t length, int io) {
  if (*n >= max || port_window_map(&map[*n], owner, phys, length, io)) return NULL;
  return map[(*n)++].base;
}
