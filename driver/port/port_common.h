/* What SCSI Port (driver/scsiport) and Storport (driver/storport) do the same way: register
 * windows for the miniport's device base, register/port accesses as bus transactions, the check
 * of an SRB handed to a port's upper edge, and the physically contiguous run behind a VA of a
 * host memory buffer. Only types srb.h shares with storport.h are used, so both ports include
 * this after their own DDK header. */
#ifndef HBASIM_PORT_COMMON_H
#define HBASIM_PORT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "hostmem.h"
#include "sim.h"
#include "srb.h"
#include "verifier.h"

#define PORT_WINDOW (64u * 1024u)          /* a mapping: header page + up to 60 KiB */
#define PORT_MAX_MAPPED (PORT_WINDOW - 4096u)

/* A register window: 64 KiB-aligned, a read-only header page naming its owner and physical
 * range, then PROT_NONE pages (a miniport that dereferences a register pointer faults;
 * registers are reached only through the port's read/write routines). */
typedef struct port_window {
  void *res;          /* the reservation (munmap'd by port_window_unmap) */
  size_t res_len;
  char *base;         /* what the miniport gets */
} port_window_t;

/* 0, or -1 (length 0 or above PORT_MAX_MAPPED, no memory) */
int  port_window_map(port_window_t *w, void *owner, uint64_t phys, uint32_t length, int io);
void port_window_unmap(port_window_t *w);
/* The owner of the window `reg` lies in and its physical address. Reads the header page at
 * reg's 64 KiB alignment, so reg must be one of ours or at least mapped readable there:
 * port_window_find is the safe form when the candidate windows are known. NULL when not a
 * window address of the kind io (1 = port I/O, 0 = memory). */
void *port_window_owner(const volatile void *reg, int io, uint64_t *phys);
/* The same among the windows w[0..n) only (never reads outside them); NULL when not there. */
void *port_window_find(const port_window_t *w, unsigned n, const volatile void *reg, int io,
                       uint64_t *phys);

/* ScsiPortGetDeviceBase / StorPortGetDeviceBase: a new window in map[*n] (at most max) for
 * owner; its base, or NULL when the table is full or port_window_map failed. */
char *port_window_add(port_window_t *map, unsigned *n, unsigned max, void *owner,
                      uint64_t phys, uint32_t length, int io);

/* A miniport's device extension: `size` zeroed bytes preceded by the owning port's pointer
 * (16 bytes, keeping the alignment), so that a routine given only the extension finds its
 * port (port_devext_owner; the port checks the extension is its own). NULL out of memory. */
void *port_devext_alloc(void *owner, size_t size);
void *port_devext_owner(const void *ext);   /* NULL for NULL */
void  port_devext_free(void *ext);

/* One register access of size 1, 2 or 4 at physical address a: an APB transaction (memory),
 * or one sim_inb/sim_outb per byte (port I/O). Failures are sim errors naming `who`; a failed
 * read returns all ones. */
uint32_t port_bus_read(sim_t *s, uint64_t a, unsigned size, int io, const char *who);
void     port_bus_write(sim_t *s, uint64_t a, uint32_t v, unsigned size, int io,
                        const char *who);

/* The upper edge's check of an SRB (EXECUTE_SCSI with a CDB of 1-16 bytes and, for a data
 * transfer, DataBuffer/DataTransferLength inside Mdl and at most max_transfer; RESET_BUS,
 * ABORT_COMMAND, RESET_DEVICE without data). STATUS_SUCCESS with *data set, or
 * STATUS_INVALID_PARAMETER with the reason on stderr prefixed by `who`. */
NTSTATUS port_check_srb(const char *who, PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, ULONG max_transfer,
                        int *data);
/* The upper edge's entry: the IRQL (<= DISPATCH_LEVEL, else a HAL_VF_WRONG_IRQL report naming
 * `who` at `caller` and STATUS_INVALID_PARAMETER), then port_check_srb. With no data transfer
 * DataTransferLength is zeroed. */
NTSTATUS port_execute_check(const char *who, sim_t *s, hal_vf_t *vf, void *caller,
                            PSCSI_REQUEST_BLOCK Srb, PMDL Mdl, ULONG max_transfer, int *data);
/* A zeroed SRB extension of `size` bytes: in host memory below 16 MiB when the miniport needs
 * its physical address (need_pa; *buf is the buffer), else on the heap (*buf NULL). 0, or -1
 * out of memory. port_srb_ext_free releases either kind. */
int  port_srb_ext_alloc(hostmem_t *m, ULONG size, int need_pa, hostmem_buf_t **buf, void **ext);
void port_srb_ext_free(hostmem_t *m, hostmem_buf_t *buf, void *ext);
/* What a port sets in an SRB it accepts: extension, OriginalRequest (the port's request),
 * SrbStatus PENDING, ScsiStatus 0, IS_ACTIVE clear; returns the timeout in ticks
 * (TimeOutValue, 10 when 0). */
ULONG port_srb_accept(PSCSI_REQUEST_BLOCK Srb, void *ext, void *req);

/* The physical address of VA v inside host memory buffer b and, in *len, the bytes physically
 * contiguous from there to the buffer's end; 0 when v is not in b. */
uint64_t port_buf_pa(const hostmem_buf_t *b, uintptr_t v, ULONG *len);

/* The no-access DataBuffer windows of a port (MapBuffers FALSE / STOR_MAP_*): one PROT_NONE
 * reservation of `count` windows of `stride` bytes each (a window's first page is a guard; the
 * alias of a buffer is window + PAGE_SIZE + the buffer's page offset). The reservation is
 * aligned to a power of two at least its length and its first page (window 0's guard) is a
 * read-only header naming the port, so that a fault inside is attributed from the address
 * alone: the first reservation installs a SIGSEGV/SIGBUS handler that prints
 *   hbasim verifier: MAPBUFFERS_TOUCH: <port> miniport <read|write|touch> of the unmapped
 *   DataBuffer of target T LUN L (window byte N, ...) at pc <pc> (<module>+<offset> [symbol];
 *   addr2line -f -e <module> <offset> names the call site)
 * -- the call site -- and then hands the signal on to the handler it replaced (the
 * sanitizer's, with its stack trace, or the default: the process ends, as a bugcheck would).
 * The handler is process-wide (installed once, by the first alias or register window); it
 * keeps no list of ports. A fault in a register window (port_window_map: the miniport
 * dereferenced its device base) is reported the same way as REGISTER_DEREFERENCE with the
 * register's offset and physical address. */
typedef struct port_alias {
  void *res;          /* the reservation (munmap'd by port_alias_unmap) */
  size_t res_len;
  char *base;         /* window 0 (its first page is the header) */
  size_t stride;
  unsigned count;
} port_alias_t;

/* 0, or -1 (no address space). `who` names the port in reports (copied, up to 23 chars);
 * window i is target i / luns, LUN i % luns. */
int  port_alias_map(port_alias_t *a, const char *who, size_t stride, unsigned targets,
                    unsigned luns);
void port_alias_unmap(port_alias_t *a);
/* The alias of a buffer at real_va for window i. */
static inline void *port_alias_at(const port_alias_t *a, unsigned i, const void *real_va) {
  return a->base + (size_t)i * a->stride + 4096u + ((uintptr_t)real_va & 4095u);
}

/* Interrupt latencies a port records (cycles from an IRQ's rise to the miniport's ISR): min,
 * max, sum and count always, and every value while memory lasts (for medians). Zero it to
 * start; port_latency_free releases it. */
typedef struct port_latency {
  uint64_t *v;
  size_t n, cap;
  uint64_t min, max, sum, count;
} port_latency_t;

void   port_latency_record(port_latency_t *l, uint64_t cycles);
/* copies up to max recorded values into out (may be NULL); returns how many are recorded */
size_t port_latency_copy(const port_latency_t *l, uint64_t *out, size_t max);
/* the summary into a port's statistics fields */
void   port_latency_summary(const port_latency_t *l, uint64_t *min, uint64_t *max,
                            uint64_t *sum, uint64_t *count);
void   port_latency_free(port_latency_t *l);

#endif
