/* HBA register-level exception tests: one test per defined end of docs/hba/programmers_guide.md
 * section 4, provoked with the SCSI target engine's bus faults (models/scsi_target.h), the
 * disk's command faults (models/scsi_disk.h), a short 8237 count, a short or malformed SG list
 * and AXI error responses. Each test checks INT_STATUS (ending cause + qualifiers), END.REASON,
 * SCSI_STATUS, XFERRED, RESIDUAL, EXTRA, the bytes that moved (memory or disk), and then runs a
 * good command to show the HBA idle and reprogrammable. */
#include "hba_err_util.h"

#define WATCHDOG_CYCLES 20000u /* 400 us instead of 500 ms */

static void set_faults(test_ctx_t *t, hba_rig_t *r, unsigned id, uint32_t flags, uint32_t at) {
  disk_rig_faults(t, r->tgt[id], flags, at);
}

static void clear_faults(test_ctx_t *t, hba_rig_t *r, unsigned id) {
  set_faults(t, r, id, 0, 0);
}

/* READ(10) of `blocks` at LBA 0 into a filled buffer through the subordinate mover whose 8237
 * channel is programmed for dma_len bytes */
static uint32_t read_sub(test_ctx_t *t, hba_rig_t *r, unsigned id, uint32_t blocks,
                         uint32_t xfer_len, uint32_t dma_len, uint32_t buf_len,
                         hba_result_t *res) {
  uint32_t pa = he_filled_buffer(t, r, buf_len);
  hba_program_dma(t, r, pa, dma_len, 1);
  hba_cmd_t c = {.id = id, .dir = HBA_CMD_CFG_DIR_IN, .len = xfer_len};
  he_cdb10(c.cdb, SCSI_OP_READ_10, 0, (uint16_t)blocks);
  he_run(t, r, &c, res);
  return pa;
}

/* SCSI_FAULT_EARLY_STATUS: the target goes to STATUS after 700 of 2048 bytes */
static void early_status(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 4, &img);
  set_faults(t, &r, 0, SCSI_FAULT_EARLY_STATUS | SCSI_FAULT_ONCE, 700);
  hba_result_t res;
  uint32_t pa = read_sub(t, &r, 0, 4, 2048, 2048, 2048, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SHORT_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_COMPLETE);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.msg_in, SCSI_MSG_COMMAND_COMPLETE);
  CHECK_EQ(t, res.xferred, 700);
  CHECK_EQ(t, res.residual, 2048 - 700);
  CHECK_EQ(t, res.extra, 0);
  CHECK_EQ(t, res.dma_count, 700);
  CHECK(t, he_mem_is(t, &r, pa, 0, 700, img), "the 700 bytes that came are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 700, 2048, NULL), "nothing past them");
  he_good_read(t, &r, 0, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

/* SCSI_FAULT_EXTRA_DATA on a READ: 100 bytes beyond XFER_LEN are acknowledged and discarded */
static void overrun_in(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 2, &img);
  set_faults(t, &r, 0, SCSI_FAULT_EXTRA_DATA | SCSI_FAULT_ONCE, 100);
  hba_result_t res;
  uint32_t pa = read_sub(t, &r, 0, 2, 1024, 1024, 2048, &res);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_OVERRUN_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_GOOD, .xferred = 1024,
               .residual = 0, .extra = 100);
  CHECK_EQ(t, res.dma_count, 1024);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, img), "the 1024 programmed bytes are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 1024, 2048, NULL), "the extra bytes went nowhere");
  he_good_read(t, &r, 0, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* WRITE(10) of 2 blocks with the 8237 programmed for 600 bytes and XFER_LEN xfer_len: after
 * byte 600 the HBA pads with 0x00, raises ATN and sends ABORT (cause: OVERRUN when the target
 * wants more than XFER_LEN = 600, UNDERRUN when TC comes before XFER_LEN = 1024); the command
 * ends ABORTED and nothing reaches the medium */
static void aborted_write_after_600(test_ctx_t *t, uint32_t salt, uint32_t xfer_len,
                                    uint32_t cause) {
  hba_rig_t r;
  uint8_t *img;
  scsi_disk_t *d = he_rig(t, &r, 0, 2, &img);
  prng_t g;
  prng_seed(&g, test_seed(t), salt);
  uint8_t src[1024], disk[1024];
  prng_fill(&g, src, sizeof src);
  uint32_t pa = hba_dma_buffer(t, &r, 1024);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa, src, sizeof src), 0);
  hba_program_dma(t, &r, pa, 600, 0);
  hba_cmd_t c = {.id = 0, .dir = HBA_CMD_CFG_DIR_OUT, .len = xfer_len};
  he_cdb10(c.cdb, SCSI_OP_WRITE_10, 0, 2);
  hba_result_t res;
  he_run(t, &r, &c, &res);
  scsi_target_stats_t st;
  scsi_target_stats(r.tgt[0], &st);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_ABORTED_MASK | cause);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_ABORTED);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  CHECK_EQ(t, res.dma_count, 600);
  CHECK_EQ(t, res.xferred, 600);
  CHECK_EQ(t, res.residual, xfer_len - 600);
  CHECK_EQ(t, res.extra, 1);              /* one 0x00 pad byte with ATN, then MESSAGE OUT */
  CHECK_EQ(t, st.data_out_bytes, 601);
  CHECK_EQ(t, st.aborts, 1);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0, 2, disk), 0);
  CHECK(t, memcmp(disk, img, sizeof disk) == 0, "the aborted write left the medium unchanged");
  he_good_read(t, &r, 0, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* XFER_LEN 600 and a target that wants the 1024 bytes of its 2 blocks: OVERRUN */
static void overrun_out(test_ctx_t *t) {
  aborted_write_after_600(t, 0x4F56u, 600, HBA_INT_STATUS_OVERRUN_MASK);
}

/* DATA IN with the 8237 count (1000 bytes) smaller than the transfer (2048) */
static void underrun_tc_in(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 4, &img);
  hba_result_t res;
  uint32_t pa = read_sub(t, &r, 0, 4, 2048, 1000, 2048, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_COMPLETE);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.dma_count, 1000);
  /* XFERRED is what reached memory (the 8237 count); every other byte the target sent, those
   * left in the FIFO at TC included, was handshaken and discarded: EXTRA */
  CHECK_EQ(t, res.xferred, 1000);
  CHECK_EQ(t, res.residual, 1048);
  CHECK_EQ(t, res.extra, 1048);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1000, img), "the 1000 bytes of the 8237 count are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 1000, 2048, NULL), "nothing past the count");
  he_good_read(t, &r, 0, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

/* DATA OUT with the 8237 count (600 bytes) smaller than the transfer (1024): UNDERRUN */
static void underrun_tc_out(test_ctx_t *t) {
  aborted_write_after_600(t, 0x5554u, 1024, HBA_INT_STATUS_UNDERRUN_MASK);
}

static void bus_reset_and_ua(test_ctx_t *t, hba_rig_t *r, unsigned id) {
  hba_wr(t, r, HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK);
  hba_result_t res;
  he_wait(t, r, &res, HE_BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_BUS_RESET_MASK);
  CHECK_EQ(t, hba_rd(t, r, HBA_STATUS) & HBA_STATUS_BSY_SEEN_MASK, 0); /* bus free */
  /* the disk reports the bus reset: CHECK CONDITION, sense 06/29/02 */
  he_check_ua(t, r, id, 0x29, 0x02);
}

/* SCSI_FAULT_HANG after 300 bytes: WATCHDOG, then a bus reset recovers */
static void watchdog_hang(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 2, &img);
  hba_wr(t, &r, HBA_WATCHDOG, WATCHDOG_CYCLES);
  set_faults(t, &r, 0, SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 300);
  uint32_t pa = he_sub_read_start(t, &r, 0, 2);
  he_wait_sent(t, &r, 0, 300);
  uint64_t last = sim_cycle(r.s); /* the 300th byte's ACK: the last progress */
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  CHECK(t, res.irq_cycle - last >= WATCHDOG_CYCLES && res.irq_cycle - last < WATCHDOG_CYCLES + 200,
        "watchdog after %llu cycles", (unsigned long long)(res.irq_cycle - last));
  /* the HBA released its lines; the hung target still holds BSY */
  CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & (HBA_STATUS_BSY_SEEN_MASK | HBA_STATUS_ATN_MASK),
           HBA_STATUS_BSY_SEEN_MASK);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_WATCHDOG_MASK,
               .reason = HBA_END_REASON_WATCHDOG, .status = 0x100u, .xferred = 300, .residual = 724,
               .extra = 0);
  CHECK_EQ(t, res.dma_count, 300);
  CHECK(t, he_mem_is(t, &r, pa, 0, 300, img), "the 300 bytes before the hang are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 300, 1024, NULL), "nothing past them");
  CHECK(t, strcmp(scsi_target_state_name(r.tgt[0]), "hung") == 0, "target state %s",
        scsi_target_state_name(r.tgt[0]));
  bus_reset_and_ua(t, &r, 0);
  he_good_read(t, &r, 0, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* SCSI_FAULT_PARITY on DATA IN byte 100: PARITY_ERR, the byte used as received */
static void parity_data_in(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 1, &img);
  set_faults(t, &r, 0, SCSI_FAULT_PARITY | SCSI_FAULT_ONCE, 100);
  uint32_t pa = he_sub_read_start(t, &r, 0, 1);
  /* the bus checker flags the injected byte (a sim error): exactly that finding, then go on */
  REQUIRE_EQ(t, sim_wait_until(r.s, hba_irq_up, NULL, HE_BOUND), SIM_E_FAILED);
  scsi_bus_t *bus = sim_scsi_bus(r.s);
  CHECK_EQ(t, sim_error_count(r.s), 1);
  CHECK_EQ(t, scsi_bus_check_count(bus), 1);
  CHECK_EQ(t, scsi_bus_check_count_kind(bus, SCSI_CHK_PARITY), 1);
  sim_clear_errors(r.s);
  CHECK(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, "the command goes on");
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  CHECK_EQ(t, scsi_bus_check_count(bus), 1);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_PARITY_ERR_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_GOOD, .xferred = 512,
               .residual = 0, .extra = 0);
  CHECK(t, he_mem_is(t, &r, pa, 0, 512, img), "the block (bad-parity byte as received)");
  he_good_read(t, &r, 0, 1, img);
  free(img);
  hba_rig_done(t, &r);
}

/* SCSI_FAULT_GONE: SEL_TIMEOUT, nothing moved */
static void target_gone(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 1, &img);
  set_faults(t, &r, 0, SCSI_FAULT_GONE, 0);
  hba_result_t res;
  uint64_t start = sim_cycle(r.s);
  uint32_t pa = read_sub(t, &r, 0, 1, 512, 512, 512, &res);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_SEL_TIMEOUT_MASK,
               .reason = HBA_END_REASON_SEL_TIMEOUT, .status = 0x100u, .xferred = 0,
               .residual = 512, .extra = 0);
  CHECK_EQ(t, res.dma_count, 0);
  CHECK(t, res.irq_cycle - start >= HBA_TEST_SEL_TIMEOUT, "timed out after %llu cycles",
        (unsigned long long)(res.irq_cycle - start));
  CHECK(t, he_mem_is(t, &r, pa, 0, 512, NULL), "nothing moved");
  clear_faults(t, &r, 0);
  he_good_read(t, &r, 0, 1, img);
  free(img);
  hba_rig_done(t, &r);
}

/* READ(10) of 4 blocks with LBA 2 bad: 2 blocks, CHECK CONDITION, sense 03/11/00 VALID LBA 2 */
static void medium_error(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  scsi_disk_t *d = he_rig(t, &r, 0, 4, &img);
  REQUIRE_EQ(t, scsi_disk_fault_medium(d, 0, 2, 1, SCSI_DISK_FAULT_READ), 0);
  hba_result_t res;
  uint32_t pa = read_sub(t, &r, 0, 4, 2048, 2048, 2048, &res);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SHORT_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_CHECK_CONDITION,
               .xferred = 1024, .residual = 1024, .extra = 0);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, img), "the two good blocks are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 1024, 2048, NULL), "nothing past them");
  uint32_t ps = he_filled_buffer(t, &r, 18);
  hba_program_dma(t, &r, ps, 18, 1);
  hba_cmd_t rs = {.id = 0, .cdb = {SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18, 0},
                  .dir = HBA_CMD_CFG_DIR_IN, .len = 18};
  he_run(t, &r, &rs, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  uint8_t sense[18];
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), ps, sense, 18), 0);
  CHECK_EQ(t, sense[0], 0xF0);                     /* VALID, current error, fixed format */
  CHECK_EQ(t, sense[2] & 0x0F, SCSI_SK_MEDIUM_ERROR);
  CHECK_EQ(t, ((uint32_t)sense[3] << 24) | ((uint32_t)sense[4] << 16) |
               ((uint32_t)sense[5] << 8) | sense[6], 2);
  CHECK_EQ(t, sense[12], 0x11);
  CHECK_EQ(t, sense[13], 0x00);
  scsi_disk_fault_clear(d);
  he_good_read(t, &r, 0, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

/* scsi_disk_fault_busy: status BUSY (0x08), no data, then the command succeeds */
static void busy_status(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  scsi_disk_t *d = he_rig(t, &r, 0, 1, &img);
  REQUIRE_EQ(t, scsi_disk_fault_busy(d, 1), 0);
  hba_result_t res;
  uint32_t pa = read_sub(t, &r, 0, 1, 512, 512, 512, &res);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SHORT_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_BUSY, .xferred = 0,
               .residual = 512, .extra = 0);
  CHECK(t, he_mem_is(t, &r, pa, 0, 512, NULL), "nothing moved");
  he_good_read(t, &r, 0, 1, img);
  free(img);
  hba_rig_done(t, &r);
}

/* COMMAND.BUS_RESET while a READ moves data: BUS_RESET, FIFO empty, DREQ dropped */
static void bus_reset_mid_transfer(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 16, &img);
  uint32_t len = 16 * 512;
  uint32_t pa = he_sub_read_start(t, &r, 0, 16);
  he_wait_sent(t, &r, 0, 2000);
  CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, HBA_STATUS_BUSY_MASK);
  hba_wr(t, &r, HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK);
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_BUS_RESET_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_BUS_RESET);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  /* XFERRED is what reached memory; the bytes still in the FIFO at the reset were flushed and
   * count as EXTRA (at most one FIFO's worth) */
  CHECK_EQ(t, res.xferred, res.dma_count);
  CHECK(t, res.xferred + res.extra >= 2000 && res.xferred < len, "xferred %u extra %u",
        res.xferred, res.extra);
  CHECK_EQ(t, res.residual, len - res.xferred);
  CHECK(t, res.extra <= 64, "extra %u", res.extra);
  CHECK(t, he_mem_is(t, &r, pa, 0, res.dma_count, img), "the bytes the 8237 moved");
  CHECK(t, he_mem_is(t, &r, pa, res.dma_count, len, NULL), "nothing past them");
  uint8_t st8 = 0;
  REQUIRE_EQ(t, i8237_read_status(r.s, r.dma_chan, &st8), I8237_OK);
  CHECK_EQ(t, st8 & (0x10u << (r.dma_chan & 3)), 0); /* the channel's DREQ dropped */
  sim_step(r.s, 1000);
  REQUIRE_EQ(t, i8237_read_status(r.s, r.dma_chan, &st8), I8237_OK);
  CHECK_EQ(t, st8 & (0x10u << (r.dma_chan & 3)), 0);
  uint32_t left = 0;
  REQUIRE_EQ(t, i8237_residual(r.s, r.dma_chan, &left), I8237_OK);
  CHECK_EQ(t, left, len - res.dma_count); /* the 8237 stopped where the HBA did */
  /* the disk reports the reset; then a good read */
  hba_cmd_t tur = {.id = 0, .cdb = {SCSI_OP_TEST_UNIT_READY}, .dir = HBA_CMD_CFG_DIR_NONE};
  he_run(t, &r, &tur, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_CHECK_CONDITION);
  he_good_read(t, &r, 0, 16, img);
  free(img);
  hba_rig_done(t, &r);
}

/* START while a READ runs: REJECTED at once, the READ completes normally */
static void start_while_busy(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 0, 8, &img);
  uint32_t len = 8 * 512;
  uint32_t pa = he_sub_read_start(t, &r, 0, 8);
  he_wait_sent(t, &r, 0, 500);
  REQUIRE_EQ(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, HBA_STATUS_BUSY_MASK);
  hba_wr(t, &r, HBA_COMMAND, HBA_COMMAND_START_MASK);
  sim_step(r.s, 4);
  CHECK_EQ(t, hba_rd(t, &r, HBA_INT_STATUS), HBA_INT_STATUS_REJECTED_MASK);
  CHECK_EQ(t, hba_rd(t, &r, HBA_STATUS) & HBA_STATUS_BUSY_MASK, HBA_STATUS_BUSY_MASK);
  CHECK(t, sim_irq_line(r.s, HBA_IRQ_LINE), "REJECTED raises the interrupt");
  hba_wr(t, &r, HBA_INT_STATUS, HBA_INT_STATUS_REJECTED_MASK);
  sim_step(r.s, 4);
  CHECK(t, !sim_irq_line(r.s, HBA_IRQ_LINE), "cleared");
  hba_result_t res;
  he_wait(t, &r, &res, HE_BOUND);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_GOOD, .xferred = len,
               .residual = 0, .extra = 0);
  CHECK(t, he_mem_is(t, &r, pa, 0, len, img), "the running READ delivered all blocks");
  scsi_target_stats_t st;
  scsi_target_stats(r.tgt[0], &st);
  CHECK_EQ(t, st.commands, 3); /* 2 TEST UNIT READY + this READ: the refused START sent none */
  he_good_read(t, &r, 0, 8, img);
  free(img);
  hba_rig_done(t, &r);
}

/* bus master: READ(10) of 4 blocks into one element; an AXI SLVERR on the write of the bytes
 * [1024, 1032) */
static void bm_dma_err_data(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 1, 4, &img);
  uint64_t pa = he_bm_buffer(t, &r, 2048);
  uint64_t lpa = he_sg_list1(t, &r, pa, 2048);
  REQUIRE_EQ(t, sim_axi_inject_error(r.s, pa + 1024, pa + 1032, SIM_AXI_SLVERR, 0, 1), 0);
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_READ_10, 4, 2048, lpa, &res);
  /* DMA_COUNT counts the bytes of the write bursts answered OKAY before the error response
   * (sgdma.md): the burst starting at 1024 (bursts are CapBytes-aligned, the buffer is page
   * aligned) got the error, so 1024 bytes were delivered; every byte handshaken after them was
   * discarded or written with an error and counts in EXTRA, not XFERRED */
  HE_CHECK_END(t, &res,
               .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_DMA_ERR_MASK |
                 HBA_INT_STATUS_UNDERRUN_MASK, .reason = HBA_END_REASON_COMPLETE,
               .status = SCSI_STATUS_GOOD, .xferred = 1024, .residual = 2048 - 1024,
               .extra = 2048 - 1024);
  CHECK_EQ(t, res.dma_count, 1024);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 1);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, img), "the bytes before the error are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 1024, 1032, NULL), "the errored beat was not written");
  /* the rest of the errored burst and the (at most 3) bursts already issued behind it may have
   * been written (not counted); nothing after them */
  uint8_t *m = malloc(2048);
  REQUIRE(t, m != NULL, "malloc");
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), pa, m, 2048), 0);
  uint32_t end = 1032;
  while (end < 2048 && m[end] == img[end]) end++;
  CHECK(t, end <= 1024 + 4 * 64, "bytes written up to %u: more than the bursts in flight", end);
  CHECK(t, he_mem_is(t, &r, pa, end, 2048, NULL), "nothing written after byte %u", end);
  free(m);
  sim_axi_stats_t ax;
  sim_axi_stats(r.s, &ax);
  CHECK(t, ax.errors >= 1, "an error response was given");
  sim_axi_clear_errors_injected(r.s);
  he_good_read(t, &r, 1, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

/* bus master: WRITE(10) of 2 blocks; an AXI SLVERR on the read of source bytes [512, 520):
 * 0x00 pad, ATN + ABORT, the command ends ABORTED and the medium is unchanged */
static void bm_dma_err_out(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  scsi_disk_t *d = he_rig(t, &r, 1, 2, &img);
  uint64_t pa = he_bm_buffer(t, &r, 1024);
  prng_t g;
  prng_seed(&g, test_seed(t), 0x424Fu);
  uint8_t src[1024], disk[1024];
  prng_fill(&g, src, sizeof src);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa, src, sizeof src), 0);
  uint64_t lpa = he_sg_list1(t, &r, pa, 1024);
  REQUIRE_EQ(t, sim_axi_inject_error(r.s, pa + 512, pa + 520, SIM_AXI_SLVERR, 1, 0), 0);
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_WRITE_10, 2, 1024, lpa, &res);
  scsi_target_stats_t st;
  scsi_target_stats(r.tgt[1], &st);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_ABORTED_MASK | HBA_INT_STATUS_DMA_ERR_MASK |
                                 HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_ABORTED);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  /* the engine stops at the error: nothing from the errored beat on enters the FIFO, so
   * DMA_COUNT is the bytes before it; the FIFO's bytes go out until the error is reported,
   * then one 0x00 pad (the FIFO's rest is flushed) */
  CHECK(t, res.xferred <= 512 && res.xferred + 64 >= 512, "xferred %u", res.xferred);
  CHECK_EQ(t, res.dma_count, 512);
  CHECK_EQ(t, res.residual, 1024 - res.xferred);
  CHECK_EQ(t, res.extra, 1);
  CHECK_EQ(t, st.data_out_bytes, res.xferred + res.extra);
  CHECK_EQ(t, st.aborts, 1);
  REQUIRE_EQ(t, scsi_disk_peek(d, 0, 0, 2, disk), 0);
  CHECK(t, memcmp(disk, img, sizeof disk) == 0, "the aborted write left the medium unchanged");
  sim_axi_clear_errors_injected(r.s);
  he_good_read(t, &r, 1, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* A logical unit that hands every task to the disk model and keeps a copy of the DATA OUT
 * bytes of the last WRITE-direction task (taken when the task ends, whether it completed or
 * was aborted), so a test can see every byte the target received. */
typedef struct rec_lu {
  scsi_disk_t *d;
  uint8_t data[1024];
  uint32_t len;  /* bytes of data[] valid: min(data_len, sizeof data) of the last OUT task */
  unsigned outs; /* OUT tasks ended */
} rec_lu_t;

static int rec_begin(void *lu, scsi_task_t *tk) {
  return scsi_disk_lu_ops.begin(((rec_lu_t *)lu)->d, tk);
}

static int rec_finish_out(void *lu, scsi_task_t *tk, uint32_t received) {
  return scsi_disk_lu_ops.finish_out(((rec_lu_t *)lu)->d, tk, received);
}

static void rec_task_free(void *lu, scsi_task_t *tk) {
  rec_lu_t *rl = lu;
  if (tk->dir == SCSI_DIR_OUT && tk->data) {
    rl->len = tk->data_len < sizeof rl->data ? tk->data_len : (uint32_t)sizeof rl->data;
    memcpy(rl->data, tk->data, rl->len);
    rl->outs++;
  }
  scsi_disk_lu_ops.task_free(rl->d, tk);
}

static void rec_reset(void *lu, int cause) { scsi_disk_lu_ops.reset(((rec_lu_t *)lu)->d, cause); }

static const scsi_lu_ops_t rec_lu_ops = {rec_begin, rec_finish_out, rec_task_free, rec_reset};

/* An AXI R pause function: once the first error response has been taken, lets `after` more R
 * beats through, then holds RVALID low for `hold` cycles (a slow memory behind the error). */
typedef struct r_hold {
  sim_t *s;
  uint64_t after, hold;
  uint64_t r_err, until;
  int state; /* 0 no error yet, 1 letting beats through, 2 holding, 3 done */
} r_hold_t;

static int r_hold_fn(void *ctx, uint64_t cycle) {
  r_hold_t *h = ctx;
  sim_axi_stats_t ax;
  sim_axi_stats(h->s, &ax);
  if (h->state == 0) {
    if (ax.errors == 0) return 0;
    h->r_err = ax.r_beats; /* the errored beat included */
    h->state = 1;
  }
  if (h->state == 1) {
    if (ax.r_beats < h->r_err + h->after) return 0;
    h->until = cycle + h->hold;
    h->state = 2;
  }
  if (h->state == 2) {
    if (cycle < h->until) return 1;
    h->state = 3;
  }
  return 0;
}

/* bus master: WRITE(10) of 1 block (XFER_LEN 512) from a list of one 1024-byte element that
 * starts 16 bytes into a 32-byte line, so the 8-beat read burst of list bytes [496, 528)
 * crosses XFER_LEN; an AXI SLVERR on its second beat (list bytes [500, 504)), then 3-5 more
 * beats of that burst come and its last beat is held back for 4000 cycles (the engine stays
 * busy, the SCSI side drains the FIFO meanwhile). Had the beats behind the error been pushed,
 * they would close the gap: the target would get 512 bytes shifted by 4 after byte 500 and
 * complete the WRITE. The guide's promise: at most the bytes before the error go out, then only
 * 0x00 pad with ATN + ABORT, ABORTED, DMA_ERR + UNDERRUN, medium unchanged. */
static void bm_dma_err_read_no_shift(test_ctx_t *t) {
  enum { XLEN = 512, LLEN = 1024, LOFF = 16, EPOS = 500 };
  hba_rig_t r;
  hba_rig_init(t, &r);
  rec_lu_t rec;
  memset(&rec, 0, sizeof rec);
  disk_rig_spec_t sp = disk_rig_spec(t, 1, 64);
  sp.target_seed = test_seed(t) ^ 0x5348ull;
  sp.ops = &rec_lu_ops;  /* the recorder in front of the disk */
  sp.lu = &rec;
  disk_rig_add(t, sim_scsi_bus(r.s), 1, &sp, &r.disk[1], &r.tgt[1]); /* freed by hba_rig_done */
  rec.d = r.disk[1];
  he_clear_ua(t, &r, 1);

  prng_t g;
  prng_seed(&g, test_seed(t), 0x5348u);
  uint8_t img[XLEN], src[LLEN], disk[XLEN];
  prng_fill(&g, img, sizeof img);
  prng_fill(&g, src, sizeof src);
  REQUIRE_EQ(t, scsi_disk_poke(rec.d, 0, 0, 1, img), 0);
  uint64_t pa = he_bm_buffer(t, &r, LOFF + LLEN);
  REQUIRE_EQ(t, hostmem_write(sim_mem(r.s), pa + LOFF, src, sizeof src), 0);
  uint64_t lpa = he_sg_list1(t, &r, pa + LOFF, LLEN);
  REQUIRE_EQ(t, sim_axi_inject_error(r.s, pa + LOFF + EPOS, pa + LOFF + EPOS + 4, SIM_AXI_SLVERR,
                                     1, 0), 0);
  r_hold_t hold = {.s = r.s, .after = 3 + prng_below(&g, 3), .hold = 4000};
  REQUIRE_EQ(t, sim_axi_set_pause(r.s, SIM_AXI_R, r_hold_fn, &hold), 0);
  scsi_target_stats_t st0, st;
  scsi_target_stats(r.tgt[1], &st0);
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_WRITE_10, 1, XLEN, lpa, &res);
  scsi_target_stats(r.tgt[1], &st);
  uint64_t got = st.data_out_bytes - st0.data_out_bytes;
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_ABORTED_MASK | HBA_INT_STATUS_DMA_ERR_MASK |
                                 HBA_INT_STATUS_UNDERRUN_MASK);
  CHECK_EQ(t, he_reason(&res), HBA_END_REASON_ABORTED);
  CHECK_EQ(t, hba_status_byte(&res), 0x100u);
  CHECK_EQ(t, st.completed - st0.completed, 0);
  CHECK_EQ(t, st.aborts - st0.aborts, 1);
  CHECK_EQ(t, hold.state, 3);
  /* the FIFO holds exactly the good prefix: DMA_COUNT is the bytes read before the errored
   * beat; while the last beat is held they all go out, then one 0x00 pad (the target honours
   * ATN after it) */
  CHECK_EQ(t, res.dma_count, EPOS);
  CHECK_EQ(t, res.xferred, EPOS);
  CHECK_EQ(t, res.residual, XLEN - EPOS);
  CHECK_EQ(t, res.extra, 1);
  CHECK_EQ(t, got, res.xferred + res.extra);
  /* every byte the target received: the list's bytes up to the error, then only 0x00 */
  CHECK_EQ(t, rec.outs, 1);
  CHECK(t, got <= rec.len, "received %llu bytes, recorded %u", (unsigned long long)got, rec.len);
  uint32_t n = got < rec.len ? (uint32_t)got : rec.len;
  uint32_t good = res.xferred < n ? res.xferred : n;
  uint32_t i = 0;
  while (i < good && rec.data[i] == src[i]) i++;
  CHECK(t, i == good, "received byte %u is 0x%02x, the list's is 0x%02x", i,
        i < good ? rec.data[i] : 0u, i < good ? src[i] : 0u);
  i = good;
  while (i < n && rec.data[i] == 0x00) i++;
  CHECK(t, i == n, "received byte %u (error at list byte %u) is 0x%02x, not the 0x00 pad (list "
        "byte 0x%02x)", i, (unsigned)EPOS, i < n ? rec.data[i] : 0u, i < n ? src[i] : 0u);
  REQUIRE_EQ(t, scsi_disk_peek(rec.d, 0, 0, 1, disk), 0);
  CHECK(t, memcmp(disk, img, sizeof disk) == 0, "the failed write left the medium unchanged");
  sim_axi_stats_t ax;
  sim_axi_stats(r.s, &ax);
  CHECK(t, ax.errors >= 1, "an error response was given");

  /* reprogrammable: the same WRITE from an exact 512-byte list lands */
  sim_axi_clear_errors_injected(r.s);
  REQUIRE_EQ(t, sim_axi_set_pause(r.s, SIM_AXI_R, NULL, NULL), 0);
  lpa = he_sg_list1(t, &r, pa + LOFF, XLEN);
  he_bm_run(t, &r, 1, SCSI_OP_WRITE_10, 1, XLEN, lpa, &res);
  CHECK_EQ(t, res.int_status, HBA_INT_STATUS_CMD_DONE_MASK);
  CHECK_EQ(t, hba_status_byte(&res), SCSI_STATUS_GOOD);
  CHECK_EQ(t, res.xferred, XLEN);
  CHECK_EQ(t, res.dma_count, XLEN);
  CHECK_EQ(t, res.residual, 0);
  CHECK_EQ(t, res.extra, 0);
  REQUIRE_EQ(t, scsi_disk_peek(rec.d, 0, 0, 1, disk), 0);
  CHECK(t, memcmp(disk, src, sizeof disk) == 0, "the good WRITE is on the medium");
  hba_rig_done(t, &r);
}

/* bus master: READ(10) of 4 blocks over two elements; the second descriptor's fetch errors */
static void bm_dma_err_desc(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 1, 4, &img);
  uint64_t pa = he_bm_buffer(t, &r, 2048);
  uint64_t lpa = he_sg_list2(t, &r, pa, 1024, 0, pa + 1024, 1024, 1);
  REQUIRE_EQ(t, sim_axi_inject_error(r.s, lpa + 16, lpa + 32, SIM_AXI_DECERR, 1, 0), 0);
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_READ_10, 4, 2048, lpa, &res);
  /* the engine prefetches descriptor 1 before it moves element 0's data: the fetch error
   * stops it before any byte moved */
  HE_CHECK_END(t, &res,
               .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_DMA_ERR_MASK |
                 HBA_INT_STATUS_UNDERRUN_MASK, .reason = HBA_END_REASON_COMPLETE,
               .status = SCSI_STATUS_GOOD, .xferred = 0, .residual = 2048, .extra = 2048);
  CHECK_EQ(t, res.dma_count, 0);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 1);
  CHECK(t, he_mem_is(t, &r, pa, 0, 2048, NULL), "nothing written");
  sim_axi_clear_errors_injected(r.s);
  he_good_read(t, &r, 1, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

/* bus master: a zero-length second element: SG_ERR */
static void bm_sg_zero_length(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 1, 4, &img);
  uint64_t pa = he_bm_buffer(t, &r, 2048);
  uint8_t list[48];
  he_sg_desc(list, 0, pa, 1024, 0);
  he_sg_desc(list, 1, pa + 1024, 0, 0);
  he_sg_desc(list, 2, pa + 1024, 1024, 1);
  uint64_t lpa = he_sg_list(t, &r, list, 3);
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_READ_10, 4, 2048, lpa, &res);
  HE_CHECK_END(t, &res,
               .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SG_ERR_MASK |
                 HBA_INT_STATUS_UNDERRUN_MASK, .reason = HBA_END_REASON_COMPLETE,
               .status = SCSI_STATUS_GOOD, .xferred = 1024, .residual = 1024, .extra = 1024);
  CHECK_EQ(t, res.dma_count, 1024);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 2);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, img), "element 0 holds its bytes");
  CHECK(t, he_mem_is(t, &r, pa, 1024, 2048, NULL), "nothing after the malformed element");
  he_good_read(t, &r, 1, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

/* bus master: SG_ADDR not 16-byte aligned: SG_ERR before any descriptor is used */
static void bm_sg_misaligned(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 1, 2, &img);
  uint64_t pa = he_bm_buffer(t, &r, 1024);
  uint64_t lpa = he_sg_list2(t, &r, pa, 1024, 1, 0, 0, 0); /* element 1: all zero */
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_READ_10, 2, 1024, lpa + 8, &res);
  HE_CHECK_END(t, &res,
               .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_SG_ERR_MASK |
                 HBA_INT_STATUS_UNDERRUN_MASK, .reason = HBA_END_REASON_COMPLETE,
               .status = SCSI_STATUS_GOOD, .xferred = 0, .residual = 1024, .extra = 1024);
  CHECK_EQ(t, res.dma_count, 0);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, NULL), "nothing written");
  he_good_read(t, &r, 1, 2, img);
  free(img);
  hba_rig_done(t, &r);
}

/* bus master: a list of 1024 bytes for a 2048-byte READ: UNDERRUN */
static void bm_sg_short_list(test_ctx_t *t) {
  hba_rig_t r;
  uint8_t *img;
  he_rig(t, &r, 1, 4, &img);
  uint64_t pa = he_bm_buffer(t, &r, 2048);
  uint64_t lpa = he_sg_list1(t, &r, pa, 1024);
  hba_result_t res;
  he_bm_run(t, &r, 1, SCSI_OP_READ_10, 4, 2048, lpa, &res);
  HE_CHECK_END(t, &res, .int_status = HBA_INT_STATUS_CMD_DONE_MASK | HBA_INT_STATUS_UNDERRUN_MASK,
               .reason = HBA_END_REASON_COMPLETE, .status = SCSI_STATUS_GOOD, .xferred = 1024,
               .residual = 1024, .extra = 1024);
  CHECK_EQ(t, res.dma_count, 1024);
  CHECK_EQ(t, hba_rd(t, &r, HBA_SG_DESCS), 1);
  CHECK(t, he_mem_is(t, &r, pa, 0, 1024, img), "the list's 1024 bytes are in memory");
  CHECK(t, he_mem_is(t, &r, pa, 1024, 2048, NULL), "nothing past the list");
  he_good_read(t, &r, 1, 4, img);
  free(img);
  hba_rig_done(t, &r);
}

static const test_def_t hba_err_tests[] = {
  {"early_status", early_status, TEST_F_RANDOM, 0,
   "target goes to STATUS after 700 of 2048 bytes: CMD_DONE + SHORT, residual 1348"},
  {"overrun_in", overrun_in, TEST_F_RANDOM, 0,
   "target sends 100 bytes past XFER_LEN: CMD_DONE + OVERRUN, EXTRA 100, memory untouched"},
  {"overrun_out", overrun_out, TEST_F_RANDOM, 0,
   "target wants more than XFER_LEN on a WRITE: OVERRUN, ATN + ABORT, ABORTED, medium intact"},
  {"underrun_tc_in", underrun_tc_in, TEST_F_RANDOM, 0,
   "8237 TC before the READ is done: CMD_DONE + UNDERRUN, the counted bytes only"},
  {"underrun_tc_out", underrun_tc_out, TEST_F_RANDOM, 0,
   "8237 TC before the WRITE is done: UNDERRUN, ABORTED, medium intact"},
  {"watchdog_hang", watchdog_hang, TEST_F_RANDOM, 0,
   "target hangs mid-transfer: WATCHDOG; bus reset recovers, unit attention 06/29/02"},
  {"parity_data_in", parity_data_in, TEST_F_RANDOM, 0,
   "DATA IN byte with bad parity: CMD_DONE + PARITY_ERR"},
  {"target_gone", target_gone, TEST_F_RANDOM, 0, "target never answers selection: SEL_TIMEOUT"},
  {"medium_error", medium_error, TEST_F_RANDOM, 0,
   "unrecovered read error: CHECK CONDITION after 2 blocks, sense 03/11/00 VALID LBA 2"},
  {"busy_status", busy_status, TEST_F_RANDOM, 0, "disk BUSY: status 0x08, no data, then success"},
  {"bus_reset_mid_transfer", bus_reset_mid_transfer, TEST_F_RANDOM, 0,
   "COMMAND.BUS_RESET during DATA IN: BUS_RESET, FIFO empty, DREQ dropped, next command works"},
  {"start_while_busy", start_while_busy, TEST_F_RANDOM, 0,
   "START while a READ runs: REJECTED, the READ completes normally"},
  {"bm_dma_err_data", bm_dma_err_data, TEST_F_RANDOM, 0,
   "bus master: AXI SLVERR writing READ data: CMD_DONE + DMA_ERR + UNDERRUN"},
  {"bm_dma_err_out", bm_dma_err_out, TEST_F_RANDOM, 0,
   "bus master: AXI SLVERR reading WRITE data: DMA_ERR, ATN + ABORT, ABORTED, medium intact"},
  {"bm_dma_err_read_no_shift", bm_dma_err_read_no_shift, TEST_F_RANDOM, 0,
   "bus master: SLVERR mid-burst reading WRITE data, list longer than XFER_LEN, slow memory "
   "behind it: no shifted byte sent, pad, ABORTED, medium intact"},
  {"bm_dma_err_desc", bm_dma_err_desc, TEST_F_RANDOM, 0,
   "bus master: AXI DECERR fetching a descriptor: DMA_ERR + UNDERRUN, nothing written"},
  {"bm_sg_zero_length", bm_sg_zero_length, TEST_F_RANDOM, 0,
   "bus master: zero-length element: SG_ERR + UNDERRUN after element 0"},
  {"bm_sg_misaligned", bm_sg_misaligned, TEST_F_RANDOM, 0,
   "bus master: list address not 16-byte aligned: SG_ERR + UNDERRUN, nothing written"},
  {"bm_sg_short_list", bm_sg_short_list, TEST_F_RANDOM, 0,
   "bus master: list shorter than the transfer: UNDERRUN"},
};
TEST_SUITE(hba_err);
