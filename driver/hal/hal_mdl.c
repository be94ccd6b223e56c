/* MDLs over host memory buffers: IoAllocateMdl, IoFreeMdl, MmBuildMdlForNonPagedPool and
 * KeFlushIoBuffers (wdm.h; docs/hal.md "MDLs").
 *
 * The simulated page tables are the host's own: a hostmem buffer's system VA is a MAP_SHARED
 * mapping of the memory model's memfd, page by page, with frame n at file offset n * 4096
 * (models/hostmem.c). So the frame behind a VA is the file offset of its mapping, which the
 * process's /proc/self/maps states -- read-only process state, no global of ours, and right for
 * any number of simulations in one process (each has its own memfd). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wdm.h"

/* the memfd name hostmem_create gives its memory ("/memfd:NAME (deleted)" in the maps) */
#define HOSTMEM_MEMFD_TAG "/memfd:hbasim-hostmem"
/* an MDL's Size is a CSHORT: header + PFN array must fit */
#define MDL_MAX_SIZE 0x7FFF

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, PIRP Irp) {
  (void)ChargeQuota;
  if (!VirtualAddress || Length == 0) return NULL;
  SIZE_T size = MmSizeOfMdl(VirtualAddress, Length);
  if (size > MDL_MAX_SIZE) return NULL;
  PMDL mdl = calloc(1, size);
  if (!mdl) return NULL;
  MmInitializeMdl(mdl, VirtualAddress, Length);
  mdl->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
  if (Irp) {
    if (!SecondaryBuffer || !Irp->MdlAddress) {
      Irp->MdlAddress = mdl;
    } else {
      PMDL tail = Irp->MdlAddress;
      while (tail->Next) tail = tail->Next;
      tail->Next = mdl;
    }
  }
  return mdl;
}

VOID IoFreeMdl(PMDL Mdl) { free(Mdl); }

typedef struct vma {
  uintptr_t start, end;
  uint64_t offset;
} vma_t;

/* the host memory mappings among the process's VMAs that overlap [lo, hi) */
static size_t read_vmas(uintptr_t lo, uintptr_t hi, vma_t **out) {
  *out = NULL;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  char *line = NULL;
  size_t cap = 0, n = 0, max = 0;
  vma_t *v = NULL;
  while (getline(&line, &cap, f) > 0) {
    unsigned long long s, e, off;
    char perms[8];
    int pos = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &pos) < 4) continue;
    if (e <= lo || s >= hi) continue;
    if (!strstr(line + pos, HOSTMEM_MEMFD_TAG)) continue;
    if (n == max) {
      size_t nm = max ? 2 * max : 16;
      vma_t *nv = realloc(v, nm * sizeof *nv);
      if (!nv) break;
      v = nv;
      max = nm;
    }
    v[n].start = (uintptr_t)s;
    v[n].end = (uintptr_t)e;
    v[n].offset = off;
    n++;
  }
  free(line);
  fclose(f);
  *out = v;
  return n;
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList) {
  PMDL mdl = MemoryDescriptorList;
  if (!mdl) return;
  ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);
  PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
  uintptr_t base = (uintptr_t)mdl->StartVa;
  vma_t *v;
  size_t nv = read_vmas(base, base + (uintptr_t)pages * PAGE_SIZE, &v);
  for (ULONG i = 0; i < pages; i++) {
    uintptr_t va = base + (uintptr_t)i * PAGE_SIZE;
    pfn[i] = 0; /* never a valid frame: hostmem reserves page 0 */
    for (size_t k = 0; k < nv; k++) {
      if (va >= v[k].start && va < v[k].end) {
        pfn[i] = (PFN_NUMBER)((v[k].offset + (va - v[k].start)) >> PAGE_SHIFT);
        break;
      }
    }
  }
  free(v);
  mdl->MappedSystemVa = MmGetMdlVirtualAddress(mdl);
  mdl->MdlFlags = (CSHORT)(mdl->MdlFlags | MDL_SOURCE_IS_NONPAGED_POOL);
}

VOID KeFlushIoBuffers(PMDL Mdl, BOOLEAN ReadOperation, BOOLEAN DmaOperation) {
  (void)Mdl;
  (void)ReadOperation;
  (void)DmaOperation;
}
