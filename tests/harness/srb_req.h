/* Raw SRBs through a port's upper edge (port_if_t, driver/port/port_if.h) for the port and
 * miniport tests of both stacks (tests/scsiport, tests/storport): a READ(10), WRITE(10),
 * TEST UNIT READY or INQUIRY with a host memory buffer and its MDL, its completion, and the
 * power-on unit attention cleared.
 *
 * Only the SCSI_REQUEST_BLOCK fields common to srb.h and storport.h are used, so the includer
 * picks its DDK: a SCSI Port test includes srb.h / scsiport.h, a Storport test storport.h
 * first, then port_if.h (directly or through its port's header), then this header.
 *
 *   port_if_t pif;
 *   sp_port_if(port, &pif);                                   // or stp_port_if
 *   srb_req_t q;
 *   srb_req_prepare(t, s, &q, id, SCSIOP_READ, lba, blocks, HOSTMEM_PLACE_SCATTERED, 0);
 *   srb_req_run(t, &pif, &q, bound);                          // STATUS_PENDING, then done
 *   ... q.srb.SrbStatus, q.buf->va ...
 *   srb_req_free(&q); */
#ifndef HBASIM_SRB_REQ_H
#define HBASIM_SRB_REQ_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "hostmem.h"
#include "port_if.h"
#include "scsi.h"
#include "sim.h"
#include "test.h"

#define SRB_REQ_BLOCK 512u  /* bytes per block of READ(10)/WRITE(10) */
#define SRB_REQ_INQUIRY 36u /* INQUIRY allocation length: the standard data */

typedef struct srb_req {
  SCSI_REQUEST_BLOCK srb;
  UCHAR sense[32];
  PMDL mdl;
  hostmem_buf_t *buf;
  sim_t *s;            /* the buffer's sim */
  int done;            /* set by srb_req_done */
  unsigned done_irql;  /* the IRQL the completion ran at */
} srb_req_t;

/* A port_completion_fn with the srb_req_t as ctx. */
static inline void srb_req_done(PSCSI_REQUEST_BLOCK srb, void *ctx) {
  srb_req_t *q = ctx;
  (void)srb;
  q->done = 1;
  q->done_irql = sim_irql(q->s);
}

/* For sim_wait_until, with the srb_req_t as ctx. */
static inline int srb_req_is_done(sim_t *s, void *ctx) {
  (void)s;
  return ((srb_req_t *)ctx)->done;
}

/* An EXECUTE_SCSI SRB to target `id`, LUN 0: READ(10)/WRITE(10) of `blocks` blocks at `lba`
 * (a buffer of blocks * 512 bytes placed by `place`, at byte `offset` in its first page),
 * INQUIRY (36 bytes in, same placement) or a 6-byte CDB without data (TEST UNIT READY). */
static inline void srb_req_prepare(test_ctx_t *t, sim_t *s, srb_req_t *q, UCHAR id, UCHAR op,
                                   uint32_t lba, uint32_t blocks, hostmem_place_t place,
                                   size_t offset) {
  memset(q, 0, sizeof *q);
  q->s = s;
  PSCSI_REQUEST_BLOCK srb = &q->srb;
  srb->Length = sizeof *srb;
  srb->Function = SRB_FUNCTION_EXECUTE_SCSI;
  srb->TargetId = id;
  srb->CdbLength = (op == SCSIOP_READ || op == SCSIOP_WRITE) ? 10 : 6;
  srb->Cdb[0] = op;
  srb->TimeOutValue = 10;
  srb->SenseInfoBuffer = q->sense;
  srb->SenseInfoBufferLength = sizeof q->sense;
  uint32_t len = 0;
  if (op == SCSIOP_READ || op == SCSIOP_WRITE) {
    REQUIRE(t, blocks != 0 && blocks <= 0xFFFFu, "READ(10)/WRITE(10) of %u blocks", blocks);
    srb->Cdb[2] = (UCHAR)(lba >> 24);
    srb->Cdb[3] = (UCHAR)(lba >> 16);
    srb->Cdb[4] = (UCHAR)(lba >> 8);
    srb->Cdb[5] = (UCHAR)lba;
    srb->Cdb[7] = (UCHAR)(blocks >> 8);
    srb->Cdb[8] = (UCHAR)blocks;
    len = blocks * SRB_REQ_BLOCK;
    srb->SrbFlags = op == SCSIOP_READ ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT;
  } else if (op == SCSIOP_INQUIRY) {
    len = SRB_REQ_INQUIRY;
    srb->Cdb[4] = (UCHAR)SRB_REQ_INQUIRY;
    srb->SrbFlags = SRB_FLAGS_DATA_IN;
  }
  if (len) {
    q->buf = hostmem_buf_alloc(sim_mem(s), len, offset, place);
    REQUIRE(t, q->buf != NULL, "hostmem_buf_alloc(%u, offset %zu, %s)", len, offset,
            hostmem_place_name(place));
    q->mdl = IoAllocateMdl(q->buf->va, len, FALSE, FALSE, NULL);
    REQUIRE(t, q->mdl != NULL, "IoAllocateMdl");
    MmBuildMdlForNonPagedPool(q->mdl);
    srb->DataBuffer = q->buf->va;
    srb->DataTransferLength = len;
  }
}

/* Gives the SRB to the port (STATUS_PENDING required) and runs the sim until it completes,
 * at most `bound` cycles. */
static inline void srb_req_run(test_ctx_t *t, const port_if_t *pif, srb_req_t *q,
                               uint64_t bound) {
  REQUIRE_EQ(t, pif->execute(pif->port, &q->srb, q->mdl, srb_req_done, q), STATUS_PENDING);
  REQUIRE_OK(t, sim_wait_until(q->s, srb_req_is_done, q, bound));
}

/* The same SRB to be run again: not done, no status, DataTransferLength back to `len`. */
static inline void srb_req_again(srb_req_t *q, ULONG len) {
  q->done = 0;
  q->srb.SrbStatus = 0;
  q->srb.DataTransferLength = len;
}

/* The MDL and the buffer (each freed once; the SRB can be prepared again). */
static inline void srb_req_free(srb_req_t *q) {
  if (q->mdl) IoFreeMdl(q->mdl);
  if (q->buf) hostmem_buf_free(sim_mem(q->s), q->buf);
  q->mdl = NULL;
  q->buf = NULL;
}

/* The power-on unit attention of target `id`: the first TEST UNIT READY ends in CHECK
 * CONDITION (with `autosense`: the port's autosense returned UNIT ATTENTION, AUTOSENSE_VALID);
 * the second is GOOD. */
static inline void srb_req_clear_ua(test_ctx_t *t, sim_t *s, const port_if_t *pif, UCHAR id,
                                    uint64_t bound, int autosense) {
  srb_req_t q;
  srb_req_prepare(t, s, &q, id, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  srb_req_run(t, pif, &q, bound);
  CHECK_EQ(t, SRB_STATUS(q.srb.SrbStatus), SRB_STATUS_ERROR);
  CHECK_EQ(t, q.srb.ScsiStatus, SCSISTAT_CHECK_CONDITION);
  if (autosense) {
    CHECK(t, q.srb.SrbStatus & SRB_STATUS_AUTOSENSE_VALID, "port autosense: AUTOSENSE_VALID");
    CHECK_EQ(t, q.sense[2] & 0x0F, SCSI_SENSE_UNIT_ATTENTION);
    CHECK(t, q.srb.SenseInfoBufferLength >= 8, "sense length %u", q.srb.SenseInfoBufferLength);
  }
  srb_req_prepare(t, s, &q, id, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  srb_req_run(t, pif, &q, bound);
  REQUIRE_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
}

/* A request whose miniport breaks a rule that faults (touching an unmapped DataBuffer,
 * dereferencing its register base): in a child process, arm(arm_ctx) sets the miniport's knob
 * and the SRB goes to the port; the child must not survive, and its stderr must hold every
 * string of want[0..nwant) and the call site (pc, module + offset). The first line of the
 * report is logged. */
typedef struct srb_req_fault {
  const port_if_t *pif;
  srb_req_t *q;
  uint64_t bound;
  void (*arm)(void *ctx);
  void *arm_ctx;
} srb_req_fault_t;

static inline void srb_req_fault_child(void *ctx) {
  srb_req_fault_t *f = ctx;
  f->arm(f->arm_ctx);
  if (f->pif->execute(f->pif->port, &f->q->srb, f->q->mdl, srb_req_done, f->q) ==
      STATUS_PENDING)
    (void)sim_wait_until(f->q->s, srb_req_is_done, f->q, f->bound);
}

static inline void srb_req_expect_fault(test_ctx_t *t, srb_req_fault_t *f,
                                        const char *const *want, unsigned nwant) {
  char out[4096];
  int status = test_run_child(srb_req_fault_child, f, out, sizeof out);
  REQUIRE(t, status != -1, "test_run_child");
  const char *nl = strchr(out, '\n');
  test_log(t, "the child's report: %.*s", nl ? (int)(nl - out) : (int)strlen(out), out);
  CHECK(t, !(WIFEXITED(status) && WEXITSTATUS(status) == 0),
        "the faulting request did not end the process (status 0x%x)", status);
  for (unsigned i = 0; i < nwant; i++)
    CHECK(t, strstr(out, want[i]) != NULL, "no \"%s\" in the report: %s", want[i], out);
  CHECK(t, strstr(out, " at pc 0x") != NULL && strstr(out, "hbasim_tests+0x") != NULL,
        "the call site: %s", out);
}

/* MapBuffers checks: the permissions of the process mapping holding `va` ("rw-p", "---p" for
 * a port's no-access alias), "" when none holds it. */
static inline void srb_va_perms(const void *va, char out[8]) {
  out[0] = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return;
  char line[512];
  uintptr_t v = (uintptr_t)va;
  while (fgets(line, sizeof line, f)) {
    unsigned long long lo, hi;
    char perms[8];
    if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) == 3 && v >= lo && v < hi) {
      memcpy(out, perms, 8);
      break;
    }
  }
  fclose(f);
}

#endif
