/* Host physical memory model: sparse 4 KiB pages, seeded page placement, buffers with a real
 * contiguous system VA over scattered physical pages, and an IOMMU-style DMA access checker.
 *
 * Physical memory is one memfd (pages exist only once touched). The "physical view" maps all
 * of it once; a buffer's VA maps the same memfd pages again, so bytes moved by DMA through the
 * physical view are the bytes the driver reads through the VA. Physical page 0 is reserved and
 * never handed out, so PA 0 is never a valid buffer address.
 *
 * No global state: every object is reached through its hostmem_t. Every function checks its
 * arguments and returns an error (or NULL) instead of crashing; on error, state is unchanged.
 * See docs/hostmem.md. */
#ifndef HBASIM_HOSTMEM_H
#define HBASIM_HOSTMEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct hostmem hostmem_t;
#define HOSTMEM_PAGE_SIZE 4096u
#define HOSTMEM_PAGE_SHIFT 12u
#define HOSTMEM_MAX_SIZE (4ull << 30)
#define HOSTMEM_16M (16ull << 20)

typedef enum {
  HOSTMEM_PLACE_SCATTERED,  /* random free pages anywhere, consecutive pages never adjacent
                               when free memory allows */
  HOSTMEM_PLACE_CONTIGUOUS, /* one physically contiguous run, at a seeded position */
  HOSTMEM_PLACE_BELOW_16M,  /* random free pages below 16 MiB (an ISA channel's reach) */
  HOSTMEM_PLACE_ABOVE_16M,  /* random free pages at or above 16 MiB; fails when size <= 16 MiB */
  HOSTMEM_PLACE_MIXED       /* seeded mix of contiguous runs, scattered pages and (when memory
                               allows) pages above 16 MiB */
} hostmem_place_t;

hostmem_t *hostmem_create(uint64_t size, uint64_t seed);  /* size: multiple of 4 KiB, <= 4 GiB */
void       hostmem_destroy(hostmem_t *m);                 /* also frees every live buffer */
uint64_t   hostmem_size(const hostmem_t *m);

/* physical access (device side, no checks): 0, or -1 when [pa, pa+len) is out of range */
int  hostmem_read(hostmem_t *m, uint64_t pa, void *buf, size_t len);
int  hostmem_write(hostmem_t *m, uint64_t pa, const void *buf, size_t len);

/* physical pages: 0 / -1 (nothing allocated on failure) */
int  hostmem_alloc_pages(hostmem_t *m, size_t n, hostmem_place_t place, uint64_t *pfns);
/* n contiguous pages entirely below max_pa, first page aligned to `align` bytes (a power of
 * two; values below 4 KiB mean page alignment). Lowest fitting address first. */
int  hostmem_alloc_contig(hostmem_t *m, size_t n, uint64_t max_pa, uint64_t align, uint64_t *pfn0);
/* frees the allocated pages among pfns; page 0, out-of-range and already-free frames are
 * skipped and counted (hostmem_bad_frees) */
void hostmem_free_pages(hostmem_t *m, size_t n, const uint64_t *pfns);

/* buffers: pages placed by the seed, with a real contiguous system VA over them */
typedef struct hostmem_buf {
  void     *va;           /* system VA of the first byte (page base + offset) */
  size_t    length;       /* bytes */
  size_t    offset;       /* byte offset of the first byte in the first page */
  size_t    npages;
  uint64_t *pfn;          /* physical page frame numbers, npages of them */
  int       accessible;   /* 0: the VA is PROT_NONE (a buffer the CPU must not touch) */
} hostmem_buf_t;
/* length >= 1, offset < 4096; NULL on error */
hostmem_buf_t *hostmem_buf_alloc(hostmem_t *m, size_t length, size_t offset, hostmem_place_t place);
void      hostmem_buf_free(hostmem_t *m, hostmem_buf_t *b);  /* b not a live buffer of m: ignored */
/* A buffer over frames the caller allocated (hostmem_alloc_pages / hostmem_alloc_contig):
 * pfns[0 .. pages spanned by offset + length). The buffer owns them from then on
 * (hostmem_buf_free frees them). NULL when a frame is not allocated or on error (the frames
 * stay the caller's). */
hostmem_buf_t *hostmem_buf_adopt(hostmem_t *m, size_t length, size_t offset,
                                 const uint64_t *pfns);
int       hostmem_buf_protect(hostmem_t *m, hostmem_buf_t *b, int accessible);
uint64_t  hostmem_buf_pa(const hostmem_buf_t *b, size_t byte);  /* PA of byte index `byte`;
                                                                   0 when byte >= length */

/* device-access tracking (IOMMU-style DMA verifier)
 * hostmem_dma_map: device_writes != 0 maps the range for device writes (device -> memory);
 * such a page may also be read by the device. device_writes == 0 maps for device reads only.
 * Mappings are counted per page, so overlapping mappings nest. hostmem_dma_unmap removes the
 * most recent mapping that contains [pa, pa+len) (the rest of that mapping stays mapped);
 * -1 when no mapping contains it (nothing changes). */
void hostmem_dma_check_enable(hostmem_t *m, int on);    /* default off */
int  hostmem_dma_map(hostmem_t *m, uint64_t pa, uint64_t len, int device_writes);
int  hostmem_dma_unmap(hostmem_t *m, uint64_t pa, uint64_t len);
/* called by the AXI slave for every beat: 0 ok, -1 stray (recorded). Out-of-range accesses
 * are violations even while checking is off. */
int  hostmem_dma_access(hostmem_t *m, uint64_t pa, size_t len, int is_write);
size_t hostmem_dma_violations(const hostmem_t *m);       /* count, keeps going past the list */
const char *hostmem_dma_violation_text(const hostmem_t *m, size_t i);  /* NULL past the list */
void hostmem_dma_clear_violations(hostmem_t *m);

/* --- additions beyond contract section 7 --- */
#define HOSTMEM_MAX_VIOLATION_TEXTS 64u
uint64_t hostmem_free_page_count(const hostmem_t *m);   /* pages not allocated (page 0 excluded) */
uint64_t hostmem_bad_frees(const hostmem_t *m);         /* invalid frees seen so far */
uint64_t hostmem_resident_bytes(const hostmem_t *m);    /* backing store actually allocated */
int      hostmem_dma_check_enabled(const hostmem_t *m);
/* 1 when every page of [pa, pa+len) is mapped for the access (writes need a write mapping),
 * 0 when not, -1 on bad arguments; records nothing */
int      hostmem_dma_is_mapped(const hostmem_t *m, uint64_t pa, uint64_t len, int is_write);
size_t   hostmem_dma_mapping_count(const hostmem_t *m); /* live hostmem_dma_map ranges */
int      hostmem_buf_read(hostmem_t *m, const hostmem_buf_t *b, size_t byte, void *out,
                          size_t len);                  /* through the physical view, any
                                                           protection; 0 / -1 */
int      hostmem_buf_write(hostmem_t *m, const hostmem_buf_t *b, size_t byte, const void *in,
                           size_t len);
/* 1 when the physical pages are one contiguous run (pfn[i+1] == pfn[i]+1), else 0 */
int      hostmem_buf_is_contiguous(const hostmem_buf_t *b);
const char *hostmem_place_name(hostmem_place_t place);

#endif
