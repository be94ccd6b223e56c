/* Helpers for the HBA register-level tests (tests/hba/): a booted sim with disk targets on the
 * SCSI bus, HBA register access, and one-command runs in either data-mover mode, following
 * docs/hba/programmers_guide.md. No driver stack: every step is a register access. */
#ifndef HBASIM_HBA_UTIL_H
#define HBASIM_HBA_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "disk_rig.h"
#include "hba_regs.h"
#include "hostmem.h"
#include "i8237.h"
#include "prng.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"
#include "test.h"

#define HBA_IRQ_LINE 1u
#define HBA_TEST_SEL_TIMEOUT 5000u   /* cycles: 100 us instead of 250 ms, to keep tests short */

typedef struct hba_rig {
  sim_t *s;
  unsigned dma_chan;         /* the sysdma channel of the subordinate mover (5, or 1 on the
                                8-bit-channel soc_top variant) */
  scsi_disk_t *disk[7];      /* per SCSI ID, NULL when absent */
  scsi_target_t *tgt[7];
} hba_rig_t;

static inline uint32_t hba_rd(test_ctx_t *t, hba_rig_t *r, uint32_t off) {
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(r->s, HBA_BASE + off, 4, &v));
  return v;
}

static inline void hba_wr(test_ctx_t *t, hba_rig_t *r, uint32_t off, uint32_t v) {
  REQUIRE_OK(t, sim_apb_write(r->s, HBA_BASE + off, v, 4));
}

/* A sim (cfg NULL: the defaults; cfg->hba_dma_chan picks the soc_top variant), reset, 8237s
 * initialised as a PC BIOS does, the HBA's interrupts enabled and its selection timeout
 * shortened. Targets are added with hba_rig_add_disk. */
static inline void hba_rig_init_cfg(test_ctx_t *t, hba_rig_t *r, const sim_config_t *cfg) {
  memset(r, 0, sizeof *r);
  r->s = test_sim(t, cfg);
  r->dma_chan = sim_hba_dma_chan(r->s);
  REQUIRE_OK(t, sim_reset(r->s, 4));
  REQUIRE_EQ(t, i8237_bios_init(r->s), I8237_OK);
  REQUIRE(t, sim_scsi_bus(r->s) != NULL, "SCSI bus");
  hba_wr(t, r, HBA_SEL_TIMEOUT, HBA_TEST_SEL_TIMEOUT);
  hba_wr(t, r, HBA_INT_ENABLE, 0x1FFFu);
}

static inline void hba_rig_init(test_ctx_t *t, hba_rig_t *r) { hba_rig_init_cfg(t, r, NULL); }

/* A memory-backed disk of `blocks` 512-byte blocks at SCSI ID `id`, LUN 0, no medium timing. */
static inline scsi_disk_t *hba_rig_add_disk(test_ctx_t *t, hba_rig_t *r, unsigned id,
                                            uint64_t blocks) {
  const disk_rig_spec_t sp = disk_rig_spec(t, id, blocks);
  disk_rig_add(t, sim_scsi_bus(r->s), id, &sp, &r->disk[id], &r->tgt[id]);
  return r->disk[id];
}

/* Destroys the sim (and with it the bus and the target engines), then the disks. */
static inline void hba_rig_done(test_ctx_t *t, hba_rig_t *r) {
  test_sim_destroy(t, r->s);
  r->s = NULL;
  for (unsigned i = 0; i < 7; i++) scsi_disk_destroy(r->disk[i]);
  memset(r->disk, 0, sizeof r->disk);
}

typedef struct hba_cmd {
  unsigned id, lun;
  uint8_t cdb[16];
  unsigned cdb_len;         /* 0: from the group code */
  unsigned dir;             /* HBA_CMD_CFG_DIR_* */
  uint32_t len;             /* XFER_LEN */
  uint64_t sg_list;         /* bus master: descriptor list PA (0 = subordinate mover) */
} hba_cmd_t;

typedef struct hba_result {
  uint32_t int_status, scsi_status, xferred, residual, extra, end, msg_in, dma_count;
  uint64_t irq_cycle;       /* the cycle irq_o[1] rose */
} hba_result_t;

static inline int hba_irq_up(sim_t *s, void *ctx) {
  (void)ctx;
  return sim_irq_line(s, HBA_IRQ_LINE);
}

/* Writes the command registers of `c` and START, without waiting. The data mover must have
 * been set up by the caller (8237 channel 5 for the subordinate mover, or c->sg_list). */
static inline void hba_start(test_ctx_t *t, hba_rig_t *r, const hba_cmd_t *c) {
  uint32_t cdbw[4] = {0, 0, 0, 0};
  for (unsigned i = 0; i < 16; i++) cdbw[i / 4] |= (uint32_t)c->cdb[i] << (8 * (i % 4));
  hba_wr(t, r, HBA_TARGET, (uint32_t)(c->lun << HBA_TARGET_LUN_SHIFT) | c->id);
  for (unsigned i = 0; i < 4; i++) hba_wr(t, r, HBA_CDB0 + 4 * i, cdbw[i]);
  hba_wr(t, r, HBA_CMD_CFG, (uint32_t)(c->dir << HBA_CMD_CFG_DIR_SHIFT) | c->cdb_len);
  hba_wr(t, r, HBA_XFER_LEN, c->len);
  uint32_t ctrl = hba_rd(t, r, HBA_CTRL) & ~HBA_CTRL_MOVER_MASK;
  if (c->sg_list) {
    hba_wr(t, r, HBA_SG_ADDR_LO, (uint32_t)c->sg_list);
    hba_wr(t, r, HBA_SG_ADDR_HI, (uint32_t)(c->sg_list >> 32));
    ctrl |= HBA_CTRL_MOVER_BUS_MASTER << HBA_CTRL_MOVER_SHIFT;
  }
  hba_wr(t, r, HBA_CTRL, ctrl);
  hba_wr(t, r, HBA_COMMAND, HBA_COMMAND_START_MASK);
}

/* Waits for the interrupt and reads the results (causes not yet cleared). */
static inline void hba_collect(test_ctx_t *t, hba_rig_t *r, hba_result_t *res, uint64_t bound) {
  REQUIRE_OK(t, sim_wait_until(r->s, hba_irq_up, NULL, bound));
  memset(res, 0, sizeof *res);
  res->irq_cycle = sim_irq_assert_cycle(r->s, HBA_IRQ_LINE);
  res->int_status = hba_rd(t, r, HBA_INT_STATUS);
  res->scsi_status = hba_rd(t, r, HBA_SCSI_STATUS);
  res->xferred = hba_rd(t, r, HBA_XFERRED);
  res->residual = hba_rd(t, r, HBA_RESIDUAL);
  res->extra = hba_rd(t, r, HBA_EXTRA);
  res->end = hba_rd(t, r, HBA_END);
  res->msg_in = hba_rd(t, r, HBA_MSG_IN);
  res->dma_count = hba_rd(t, r, HBA_DMA_COUNT);
}

/* hba_start, then the interrupt: reads the results, clears the causes, checks the HBA idle. */
static inline void hba_run(test_ctx_t *t, hba_rig_t *r, const hba_cmd_t *c, hba_result_t *res,
                           uint64_t bound) {
  hba_start(t, r, c);
  hba_collect(t, r, res, bound);
  hba_wr(t, r, HBA_INT_STATUS, res->int_status);
  CHECK_EQ(t, hba_rd(t, r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, 0);
}

/* The status byte of a result (SCSI_STATUS.BYTE), or 0x100 when no STATUS phase happened. */
static inline unsigned hba_status_byte(const hba_result_t *res) {
  if (!(res->scsi_status & HBA_SCSI_STATUS_VALID_MASK)) return 0x100u;
  return (res->scsi_status & HBA_SCSI_STATUS_BYTE_MASK) >> HBA_SCSI_STATUS_BYTE_SHIFT;
}

/* The 8237 byte count for `len` bytes on the rig's channel: whole words on channels 5-7. */
static inline uint32_t hba_dma_len(const hba_rig_t *r, uint32_t len) {
  return r->dma_chan >= 4 ? (len + 1u) & ~1u : len;
}

/* Subordinate mover: programs the rig's 8237 channel (demand mode) for `len` bytes at `pa`
 * (even on a word channel, inside one DMA page, below 16 MiB); to_memory = DATA IN. */
static inline void hba_program_dma(test_ctx_t *t, hba_rig_t *r, uint32_t pa, uint32_t len,
                                   int to_memory) {
  i8237_xfer_desc_t d = {.channel = r->dma_chan, .phys = pa, .length = hba_dma_len(r, len),
                         .type = to_memory ? I8237_WRITE : I8237_READ, .mode = I8237_DEMAND};
  REQUIRE_EQ(t, i8237_program(r->s, &d), I8237_OK);
}

/* A physically contiguous buffer below 16 MiB inside one DMA page of the rig's channel
 * (128 KiB on a word channel, 64 KiB on a byte channel): its PA. */
static inline uint32_t hba_dma_buffer(test_ctx_t *t, hba_rig_t *r, uint32_t len) {
  uint64_t pages = (len + HOSTMEM_PAGE_SIZE - 1) / HOSTMEM_PAGE_SIZE, pfn0 = 0;
  uint64_t page = r->dma_chan >= 4 ? 128ull << 10 : 64ull << 10;
  REQUIRE(t, pages >= 1 && pages <= page / HOSTMEM_PAGE_SIZE, "buffer size");
  REQUIRE_EQ(t, hostmem_alloc_contig(sim_mem(r->s), pages, 16ull << 20, page, &pfn0), 0);
  return (uint32_t)(pfn0 * HOSTMEM_PAGE_SIZE);
}

#endif
