/* The driver-side verifier: the HAL (and later SCSI Port) records every violation of a
 * documented DMA rule with the simulation cycle, the driver's call site and the rule it
 * mirrors (Driver Verifier's DMA checks, bug check 0xE6 parameter 1). A violation is reported
 * through sim_error() -- which fails the test -- unless the test declared it expected with
 * hal_vf_expect(). docs/hal.md lists the kinds. One verifier per HAL machine: no globals. */
#ifndef HBASIM_HAL_VERIFIER_H
#define HBASIM_HAL_VERIFIER_H

#include <stdint.h>

#include "sim.h"

typedef enum hal_vf_kind {
  HAL_VF_NOT_IMPLEMENTED = 0,   /* a DMA_OPERATIONS entry or option not implemented yet */
  HAL_VF_BAD_PARAMETER,         /* an argument the documentation does not allow */
  HAL_VF_WRONG_IRQL,            /* routine called at an IRQL it does not allow (0x13) */
  HAL_VF_TOO_MANY_MAP_REGISTERS,/* AllocateAdapterChannel asks for more than the max (0x0C) */
  HAL_VF_SECOND_ALLOCATION,     /* second channel allocation on one adapter (0x0B) */
  HAL_VF_CHANNEL_NOT_HELD,      /* FreeAdapterChannel without a channel (0x04) */
  HAL_VF_REGISTERS_FREED_TWICE, /* FreeMapRegisters of registers not held (0x05) */
  HAL_VF_REGISTERS_LEAKED,      /* PutDmaAdapter while map registers are held (0x09) */
  HAL_VF_ADAPTER_BUSY_AT_PUT,   /* PutDmaAdapter with a channel, request or mapping (0x08) */
  HAL_VF_ADAPTER_RELEASED,      /* an adapter used after PutDmaAdapter (0x18) */
  HAL_VF_ADAPTER_LEAKED,        /* an adapter never released when the machine goes away */
  HAL_VF_MAP_WITHOUT_CHANNEL,   /* MapTransfer before the channel was allocated */
  HAL_VF_MAP_OUTSIDE_MDL,       /* CurrentVa/Length not inside the MDL (0x1B, 0x1F) */
  HAL_VF_MAP_EXCEEDS_REGISTERS, /* MapTransfer spans more map registers than allocated (0x15) */
  HAL_VF_MAP_UNFLUSHED,         /* map again / free registers with an unflushed map (0x0D, 0x10) */
  HAL_VF_ZERO_LENGTH_MAP,       /* MapTransfer of zero bytes (0x21) */
  HAL_VF_MDL_NOT_BUILT,         /* an MDL page not described by a host memory frame (0x0E) */
  HAL_VF_DOUBLE_FLUSH,          /* FlushAdapterBuffers of a mapping already flushed (0x16) */
  HAL_VF_FLUSH_MISMATCH,        /* flush of something not mapped / not as mapped (0x20, 0x00/1) */
  /* SCSI Port (driver/scsiport, docs/scsiport.md) */
  HAL_VF_SRB_UNFLUSHED,         /* RequestComplete / IoMapTransfer with an unflushed system-DMA
                                   mapping: ScsiPortFlushDma missing (0x0D, 0x10, 0x1D) */
  HAL_VF_IOMAP_OUTSIDE_SRB,     /* ScsiPortIoMapTransfer range outside DataBuffer/Length
                                   (0x1B, 0x1F) */
  HAL_VF_IOMAP_NOT_SYSTEM_DMA,  /* ScsiPortIoMapTransfer on an adapter without system DMA */
  HAL_VF_SRB_COMPLETED_TWICE,   /* RequestComplete of an SRB not active (0xF1/0x1003) */
  HAL_VF_SRB_BAD_STATUS,        /* completion with SRB_STATUS_PENDING or unknown (0xF1/0x1004) */
  HAL_VF_NEXTLU_WHILE_ACTIVE,   /* NextLuRequest while an untagged request is active on that LU
                                   (0xF1/0x1005) */
  HAL_VF_BAD_PHYS_ADDRESS,      /* ScsiPortGetPhysicalAddress of an address it cannot translate
                                   (0xF1/0x1006) */
  HAL_VF_SCSIPORT_MISUSE,       /* a ScsiPort* call outside what its documentation allows */
  /* bus-master scatter/gather and common buffers (docs/hal.md "Bus-master scatter/gather") */
  HAL_VF_SG_LIST_PUT_TWICE,     /* PutScatterGatherList of a list already put (0x06) */
  HAL_VF_SG_LIST_LEAKED,        /* PutDmaAdapter with scatter/gather lists not put (0x0A) */
  HAL_VF_SG_LIST_FOREIGN,       /* PutScatterGatherList of a list this adapter never built */
  HAL_VF_SG_BUFFER_CHANGED,     /* PutScatterGatherList of a list built into the caller's
                                   ScatterGatherBuffer whose contents changed meanwhile: the
                                   buffer was freed or reused before the Put */
  HAL_VF_COMMON_BUFFER_FREED_TWICE, /* FreeCommonBuffer of a buffer not allocated (0x03) */
  HAL_VF_COMMON_BUFFER_LEAKED,  /* PutDmaAdapter with common buffers not freed (0x07) */
  /* Storport (driver/storport, docs/storport.md) */
  HAL_VF_STOR_SG_PUT_TWICE,     /* StorPortPutScatterGatherList of a list already put or never
                                   built (0xE6/0x06) */
  HAL_VF_STOR_SG_BUFFER_REUSED, /* StorPortBuildScatterGatherList into a buffer whose list is
                                   not yet put */
  HAL_VF_STOR_SG_AFTER_COMPLETION, /* the port's list (or SRB data address) of an SRB asked
                                   for after the SRB completed */
  HAL_VF_STOR_HW_DMA_STARTED,   /* HwDmaStarted set in a Storport HW_INITIALIZATION_DATA */
  HAL_VF_STOR_MISUSE,           /* a StorPort* call outside what its documentation allows */
  HAL_VF_NKINDS
} hal_vf_kind_t;

typedef struct hal_vf_record {
  hal_vf_kind_t kind;
  uint64_t cycle;
  const char *routine;          /* the DDK routine that caught it ("MapTransfer") */
  const char *file;             /* driver call site (HAL_SITE macros), or NULL when unknown */
  int line;
  int expected;                 /* declared by hal_vf_expect: not a sim error */
  char detail[200];
} hal_vf_record_t;

typedef struct hal_vf hal_vf_t;

#define HAL_VF_MAX_RECORDS 64u

hal_vf_t *hal_vf_create(sim_t *s);
void      hal_vf_destroy(hal_vf_t *vf);

/* Record one violation; the call site is file:line (file NULL: unknown, the HAL routine's
 * caller address is printed instead when caller is non-NULL). Reported through sim_error
 * unless an expectation of that kind is outstanding (then it consumes one). */
void hal_vf_report(hal_vf_t *vf, hal_vf_kind_t kind, const char *routine, const char *file,
                   int line, const void *caller, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The next n violations of `kind` are expected (n adds to what is outstanding). */
void     hal_vf_expect(hal_vf_t *vf, hal_vf_kind_t kind, unsigned n);
/* expectations of `kind` not yet consumed */
unsigned hal_vf_expected_left(const hal_vf_t *vf, hal_vf_kind_t kind);
/* violations of `kind` so far (expected or not); all kinds with HAL_VF_NKINDS */
unsigned hal_vf_count(const hal_vf_t *vf, hal_vf_kind_t kind);
/* the i-th record kept (the first HAL_VF_MAX_RECORDS), NULL past them */
const hal_vf_record_t *hal_vf_record(const hal_vf_t *vf, unsigned i);
/* the most recent violation, NULL when none */
const hal_vf_record_t *hal_vf_last(const hal_vf_t *vf);

const char *hal_vf_kind_name(hal_vf_kind_t kind);   /* "MAP_WITHOUT_CHANNEL" */
const char *hal_vf_kind_rule(hal_vf_kind_t kind);   /* the documented rule and the 0xE6 code */

#endif
