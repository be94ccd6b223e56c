/* The driver-side verifier's record of violations. See verifier.h and docs/hal.md. */
#include "verifier.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hal_vf {
  sim_t *sim;
  unsigned count[HAL_VF_NKINDS];
  unsigned expect[HAL_VF_NKINDS];
  unsigned total;
  unsigned nrec;
  hal_vf_record_t rec[HAL_VF_MAX_RECORDS];
  hal_vf_record_t last;
};

typedef struct kind_info {
  const char *name;
  const char *rule;
} kind_info_t;

static const kind_info_t kinds[HAL_VF_NKINDS] = {
  [HAL_VF_NOT_IMPLEMENTED] = {"NOT_IMPLEMENTED",
                              "hbasim: this DMA_OPERATIONS entry or option is not implemented "
                              "yet"},
  [HAL_VF_BAD_PARAMETER] = {"BAD_PARAMETER",
                            "argument outside what the routine's documentation allows "
                            "(0xE6/0x19 for a NULL adapter, 0x25 for an unknown version)"},
  [HAL_VF_WRONG_IRQL] = {"WRONG_IRQL",
                         "called at an IRQL the routine does not allow (0xE6/0x13)"},
  [HAL_VF_TOO_MANY_MAP_REGISTERS] = {"TOO_MANY_MAP_REGISTERS",
                                     "AllocateAdapterChannel: NumberOfMapRegisters above the "
                                     "maximum IoGetDmaAdapter returned (0xE6/0x0C)"},
  [HAL_VF_SECOND_ALLOCATION] = {"SECOND_ALLOCATION",
                                "one adapter channel per adapter: AllocateAdapterChannel "
                                "while one is held or queued (0xE6/0x0B)"},
  [HAL_VF_CHANNEL_NOT_HELD] = {"CHANNEL_NOT_HELD",
                               "FreeAdapterChannel without an allocated channel: freed "
                               "twice (0xE6/0x04)"},
  [HAL_VF_REGISTERS_FREED_TWICE] = {"REGISTERS_FREED_TWICE",
                                    "FreeMapRegisters of map registers not held: freed "
                                    "twice (0xE6/0x05)"},
  [HAL_VF_REGISTERS_LEAKED] = {"REGISTERS_LEAKED",
                               "PutDmaAdapter while map registers are still held "
                               "(0xE6/0x09)"},
  [HAL_VF_ADAPTER_BUSY_AT_PUT] = {"ADAPTER_BUSY_AT_PUT",
                                  "PutDmaAdapter while a channel, a queued request or a "
                                  "mapping is outstanding (0xE6/0x08)"},
  [HAL_VF_ADAPTER_RELEASED] = {"ADAPTER_RELEASED",
                               "DMA operation on an adapter already released with "
                               "PutDmaAdapter (0xE6/0x18)"},
  [HAL_VF_ADAPTER_LEAKED] = {"ADAPTER_LEAKED",
                             "every IoGetDmaAdapter needs its PutDmaAdapter (hbasim: checked "
                             "when the machine is destroyed)"},
  [HAL_VF_MAP_WITHOUT_CHANNEL] = {"MAP_WITHOUT_CHANNEL",
                                  "MapTransfer only after AllocateAdapterChannel granted the "
                                  "channel (AdapterControl ran, KeepObject)"},
  [HAL_VF_MAP_OUTSIDE_MDL] = {"MAP_OUTSIDE_MDL",
                              "CurrentVa and Length must lie inside the MDL's buffer "
                              "(0xE6/0x1B, 0x1F)"},
  [HAL_VF_MAP_EXCEEDS_REGISTERS] = {"MAP_EXCEEDS_REGISTERS",
                                    "MapTransfer: ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, "
                                    "Length) above the map registers allocated (0xE6/0x15)"},
  [HAL_VF_MAP_UNFLUSHED] = {"MAP_UNFLUSHED",
                            "FlushAdapterBuffers before mapping again or freeing the map "
                            "registers (0xE6/0x0D, 0x10, 0x1D)"},
  [HAL_VF_ZERO_LENGTH_MAP] = {"ZERO_LENGTH_MAP", "MapTransfer of a zero-length buffer "
                                                 "(0xE6/0x21)"},
  [HAL_VF_MDL_NOT_BUILT] = {"MDL_NOT_BUILT",
                            "the MDL's PFN array must describe locked pages "
                            "(MmBuildMdlForNonPagedPool) (0xE6/0x0E)"},
  [HAL_VF_DOUBLE_FLUSH] = {"DOUBLE_FLUSH",
                           "FlushAdapterBuffers exactly once per MapTransfer: this mapping "
                           "was already flushed (0xE6/0x16)"},
  [HAL_VF_FLUSH_MISMATCH] = {"FLUSH_MISMATCH",
                             "FlushAdapterBuffers with the Mdl, MapRegisterBase, CurrentVa, "
                             "Length and direction of the MapTransfer (0xE6/0x20, 0x00/1)"},
  [HAL_VF_SRB_UNFLUSHED] = {"SRB_UNFLUSHED",
                           "ScsiPortFlushDma after every system-DMA transfer, before "
                           "RequestComplete and before the next ScsiPortIoMapTransfer "
                           "(0xE6/0x0D, 0x10, 0x1D)"},
  [HAL_VF_IOMAP_OUTSIDE_SRB] = {"IOMAP_OUTSIDE_SRB",
                               "ScsiPortIoMapTransfer: the range must lie within the SRB's "
                               "DataBuffer and DataTransferLength (0xE6/0x1B, 0x1F)"},
  [HAL_VF_IOMAP_NOT_SYSTEM_DMA] = {"IOMAP_NOT_SYSTEM_DMA",
                                   "ScsiPortIoMapTransfer only for an adapter that uses "
                                   "system DMA (DmaChannel or DmaPort set, Master FALSE)"},
  [HAL_VF_SRB_COMPLETED_TWICE] = {"SRB_COMPLETED_TWICE",
                                  "RequestComplete of a request that is not active: "
                                  "completed twice (0xF1/0x1003)"},
  [HAL_VF_SRB_BAD_STATUS] = {"SRB_BAD_STATUS",
                             "a completed SRB must carry a final SRB_STATUS (0xF1/0x1004)"},
  [HAL_VF_NEXTLU_WHILE_ACTIVE] = {"NEXTLU_WHILE_ACTIVE",
                                  "NextLuRequest while an untagged request is active on that "
                                  "logical unit (0xF1/0x1005)"},
  [HAL_VF_BAD_PHYS_ADDRESS] = {"BAD_PHYS_ADDRESS",
                               "ScsiPortGetPhysicalAddress only for the uncached extension, "
                               "SRB extensions (NeedPhysicalAddresses) and SRB data buffers "
                               "(0xF1/0x1006)"},
  [HAL_VF_SCSIPORT_MISUSE] = {"SCSIPORT_MISUSE",
                              "a ScsiPort routine called outside what its documentation "
                              "allows (wrong context, bad argument)"},
  [HAL_VF_SG_LIST_PUT_TWICE] = {"SG_LIST_PUT_TWICE",
                                  "PutScatterGatherList exactly once per list: freed twice "
                                  "(0xE6/0x06)"},
  [HAL_VF_SG_LIST_LEAKED] = {"SG_LIST_LEAKED",
                               "every scatter/gather list put before PutDmaAdapter "
                               "(0xE6/0x0A)"},
  [HAL_VF_SG_LIST_FOREIGN] = {"SG_LIST_FOREIGN",
                                "PutScatterGatherList only of a list this adapter's "
                                "GetScatterGatherList / BuildScatterGatherList made"},
  [HAL_VF_SG_BUFFER_CHANGED] = {"SG_BUFFER_CHANGED",
                                  "a BuildScatterGatherList buffer holds its list unchanged "
                                  "until the Put: not freed or reused before it"},
  [HAL_VF_COMMON_BUFFER_FREED_TWICE] = {"COMMON_BUFFER_FREED_TWICE",
                                          "FreeCommonBuffer only of a live buffer of this "
                                          "adapter: freed twice (0xE6/0x03)"},
  [HAL_VF_COMMON_BUFFER_LEAKED] = {"COMMON_BUFFER_LEAKED",
                                     "every common buffer freed before PutDmaAdapter "
                                     "(0xE6/0x07)"},
  [HAL_VF_STOR_SG_PUT_TWICE] = {"STOR_SG_PUT_TWICE",
                               "StorPortPutScatterGatherList exactly once per list built with "
                               "StorPortBuildScatterGatherList: put twice (0xE6/0x06)"},
  [HAL_VF_STOR_SG_BUFFER_REUSED] = {"STOR_SG_BUFFER_REUSED",
                                   "StorPortPutScatterGatherList before the ScatterGatherBuffer "
                                   "is freed or reused"},
  [HAL_VF_STOR_SG_AFTER_COMPLETION] = {"STOR_SG_AFTER_COMPLETION",
                                      "the list from StorPortGetScatterGatherList is valid "
                                      "only until its SRB completes"},
  [HAL_VF_STOR_HW_DMA_STARTED] = {"STOR_HW_DMA_STARTED",
                                 "Storport has no subordinate DMA: HwDmaStarted must be NULL"},
  [HAL_VF_STOR_MISUSE] = {"STOR_MISUSE",
                         "a StorPort routine called outside what its documentation allows "
                         "(wrong context, bad argument)"},
};

hal_vf_t *hal_vf_create(sim_t *s) {
  if (!s) return NULL;
  hal_vf_t *vf = calloc(1, sizeof *vf);
  if (!vf) return NULL;
  vf->sim = s;
  return vf;
}

void hal_vf_destroy(hal_vf_t *vf) { free(vf); }

static int kind_ok(hal_vf_kind_t k) { return (unsigned)k < HAL_VF_NKINDS; }

const char *hal_vf_kind_name(hal_vf_kind_t kind) {
  return kind_ok(kind) ? kinds[kind].name : "UNKNOWN";
}

const char *hal_vf_kind_rule(hal_vf_kind_t kind) {
  return kind_ok(kind) ? kinds[kind].rule : "unknown rule";
}

void hal_vf_report(hal_vf_t *vf, hal_vf_kind_t kind, const char *routine, const char *file,
                   int line, const void *caller, const char *fmt, ...) {
  if (!vf || !kind_ok(kind)) return;
  hal_vf_record_t r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.cycle = sim_cycle(vf->sim);
  r.routine = routine ? routine : "?";
  r.file = file;
  r.line = line;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r.detail, sizeof r.detail, fmt, ap);
  va_end(ap);
  if (vf->expect[kind] > 0) {
    vf->expect[kind]--;
    r.expected = 1;
  }
  vf->count[kind]++;
  vf->total++;
  if (vf->nrec < HAL_VF_MAX_RECORDS) vf->rec[vf->nrec++] = r;
  vf->last = r;
  char site[160];
  if (file)
    snprintf(site, sizeof site, "%s:%d", file, line);
  else if (caller)
    snprintf(site, sizeof site, "unknown site (caller %p)", caller);
  else
    snprintf(site, sizeof site, "unknown site");
  if (r.expected) {
    fprintf(stderr, "cycle %llu: driver verifier (expected): %s at %s: %s: %s\n",
            (unsigned long long)r.cycle, r.routine, site, kinds[kind].name, r.detail);
  } else {
    sim_error(vf->sim, "driver verifier: %s at %s: %s: %s [rule: %s]", r.routine, site,
              kinds[kind].name, r.detail, kinds[kind].rule);
  }
}

void hal_vf_expect(hal_vf_t *vf, hal_vf_kind_t kind, unsigned n) {
  if (!vf || !kind_ok(kind)) return;
  vf->expect[kind] += n;
}

unsigned hal_vf_expected_left(const hal_vf_t *vf, hal_vf_kind_t kind) {
  if (!vf || !kind_ok(kind)) return 0;
  return vf->expect[kind];
}

unsigned hal_vf_count(const hal_vf_t *vf, hal_vf_kind_t kind) {
  if (!vf) return 0;
  if (kind == HAL_VF_NKINDS) return vf->total;
  return kind_ok(kind) ? vf->count[kind] : 0;
}

const hal_vf_record_t *hal_vf_record(const hal_vf_t *vf, unsigned i) {
  if (!vf || i >= vf->nrec) return NULL;
  return &vf->rec[i];
}

const hal_vf_record_t *hal_vf_last(const hal_vf_t *vf) {
  if (!vf || vf->total == 0) return NULL;
  return &vf->last;
}
