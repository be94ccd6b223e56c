/* Target and bus faults surfacing at the block API through the whole stack, on both DMA paths
 * (suite stack_errors: SCSI Port + hbasub; stack_errors_bm: Storport + hbabm): each fault of
 * the target model (docs/scsi_bus.md) is followed through the HBA's interrupt cause, the
 * miniport's SRB_STATUS (docs/miniport.md), the port, and the disk class's retry and NTSTATUS
 * (docs/disk_class.md), and the data is checked: a one-shot fault is retried and the data
 * arrives; a lasting one ends in the documented NTSTATUS with the SRB status recorded and, for
 * writes, the medium unchanged. Subordinate only: the HAL's 64/128 KiB boundary rule on a
 * contiguous buffer that straddles it. Bus master only: AXI error responses on the data
 * buffer at the block API. */
#include "stack_util.h"
#include "scsiport.h"   /* dma_boundary_crossing's HAL adapter (never storport.h here) */

#define SE_BLOCKS 2048u

typedef struct se {
  stack_rig_t r;
  scsi_disk_t *dm;
  disk_t *d;
  uint8_t img[64 * 512];
} se_t;

/* one disk at ID 4 holding seeded data in blocks [0, 64), the stack on `path`; arg: the
 * miniport's ArgumentString (NULL: the rig's default) */
static void se_init(test_ctx_t *t, se_t *e, hbastack_path_t path, const char *arg) {
  memset(e, 0, sizeof *e);
  stack_config_t sc;
  stack_config_path(&sc, path);
  sc.argument_string = arg;
  stack_init(t, &e->r, &sc);
  e->dm = stack_add_disk(t, &e->r, 4, 1, SE_BLOCKS, 512);
  stack_fill(&e->r, e->img, sizeof e->img);
  REQUIRE_EQ(t, scsi_disk_poke(e->dm, 0, 0, 64, e->img), 0);
  stack_start(t, &e->r, NULL);
  REQUIRE_EQ(t, disk_class_scan(e->r.cls), 1);
  e->d = disk_class_get(e->r.cls, 0);
}

static void se_fault(test_ctx_t *t, se_t *e, uint32_t flags, uint32_t at) {
  disk_rig_faults(t, e->r.tgt[4], flags, at);
}

static disk_class_stats_t se_stats(se_t *e) {
  disk_class_stats_t s;
  disk_class_stats(e->r.cls, &s);
  return s;
}

/* READ of 8 blocks at 0 into a fresh buffer; returns the status, the buffer in *buf */
static NTSTATUS se_read(test_ctx_t *t, se_t *e, uint8_t **buf) {
  *buf = stack_buf(t, &e->r, 8 * 512, 0, HOSTMEM_PLACE_SCATTERED);
  memset(*buf, 0xC3, 8 * 512);
  return disk_read(e->d, 0, 8, *buf);
}

typedef struct se_one { int done; NTSTATUS st; uint64_t bytes; } se_one_t;
static void se_one_done(void *ctx, NTSTATUS st, uint64_t bytes) {
  se_one_t *o = ctx;
  o->done = 1;
  o->st = st;
  o->bytes = bytes;
}
static int se_one_is_done(sim_t *s, void *ctx) {
  (void)s;
  return ((se_one_t *)ctx)->done;
}

/* READ of 8 blocks at 0 with parity faults armed: the bus checker records each injected byte
 * as a sim error, which stops the clock; each must be exactly one parity finding, cleared,
 * and the run goes on. Returns the status; *findings the parity findings seen. */
static NTSTATUS se_read_parity(test_ctx_t *t, se_t *e, uint8_t **buf, unsigned *findings) {
  *buf = stack_buf(t, &e->r, 8 * 512, 0, HOSTMEM_PLACE_SCATTERED);
  memset(*buf, 0xC3, 8 * 512);
  se_one_t o = {0, 0, 0};
  scsi_bus_t *bus = sim_scsi_bus(e->r.s);
  unsigned before = scsi_bus_check_count_kind(bus, SCSI_CHK_PARITY);
  REQUIRE_EQ(t, disk_read_async(e->d, 0, 8, *buf, se_one_done, &o), STATUS_PENDING);
  for (int guard = 0; guard < 8 && !o.done; guard++) {
    int rc = sim_wait_until(e->r.s, se_one_is_done, &o, 50000000ull);
    if (rc == SIM_E_FAILED) {
      REQUIRE_EQ(t, sim_error_count(e->r.s), 1);
      REQUIRE_EQ(t, scsi_bus_check_count(bus), scsi_bus_check_count_kind(bus, SCSI_CHK_PARITY));
      sim_clear_errors(e->r.s);
    } else {
      REQUIRE_OK(t, rc);
    }
  }
  REQUIRE(t, o.done, "the READ completed");
  *findings = scsi_bus_check_count_kind(bus, SCSI_CHK_PARITY) - before;
  return o.st;
}

/* a parity error on one DATA IN byte, once: SRB_STATUS_PARITY_ERROR, one transport retry,
 * the data arrives; lasting: STATUS_IO_DEVICE_ERROR after the retry */
static void parity_error_on(test_ctx_t *t, hbastack_path_t path) {
  se_t e;
  se_init(t, &e, path, NULL);
  uint8_t *buf;
  unsigned n = 0;
  se_fault(t, &e, SCSI_FAULT_PARITY | SCSI_FAULT_ONCE, 700);
  disk_class_stats_t s0 = se_stats(&e);
  CHECK_EQ(t, se_read_parity(t, &e, &buf, &n), STATUS_SUCCESS);
  CHECK_EQ(t, n, 1);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "the retried READ brought the data");
  disk_class_stats_t s1 = se_stats(&e);
  CHECK_EQ(t, s1.retries_transport - s0.retries_transport, 1);
  se_fault(t, &e, SCSI_FAULT_PARITY, 700);
  CHECK_EQ(t, se_read_parity(t, &e, &buf, &n), STATUS_IO_DEVICE_ERROR);
  CHECK_EQ(t, n, 2); /* the first try and the retry */
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_PARITY_ERROR);
  CHECK_EQ(t, se_stats(&e).retries_transport - s1.retries_transport, 1);
  se_fault(t, &e, 0, 0);
  stack_done(t, &e.r);
}

/* the target goes to STATUS after 1024 of 4096 bytes: SHORT -> SRB_STATUS_DATA_OVERRUN with
 * DataTransferLength 1024 -> STATUS_DATA_OVERRUN, 1024 bytes done and in the buffer */
static void early_status_on(test_ctx_t *t, hbastack_path_t path) {
  se_t e;
  se_init(t, &e, path, NULL);
  uint8_t *buf;
  se_fault(t, &e, SCSI_FAULT_EARLY_STATUS, 1024);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_DATA_OVERRUN);
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_DATA_OVERRUN);
  CHECK_EQ(t, er.bytes_done, 1024);
  CHECK(t, memcmp(buf, e.img, 1024) == 0, "the 1024 bytes that came");
  se_fault(t, &e, 0, 0);
  stack_done(t, &e.r);
}

/* the target asks for 512 more bytes than the command said: on a READ the extra bytes are
 * discarded (OVERRUN -> DATA_OVERRUN), every asked-for byte arrives; on a WRITE the HBA pads,
 * raises ATN and aborts (ABORTED), the class retries once and gives STATUS_IO_DEVICE_ERROR,
 * and the medium is unchanged */
static void extra_data_on(test_ctx_t *t, hbastack_path_t path) {
  se_t e;
  se_init(t, &e, path, NULL);
  uint8_t *buf;
  se_fault(t, &e, SCSI_FAULT_EXTRA_DATA, 512);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_DATA_OVERRUN);
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_DATA_OVERRUN);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "every asked-for byte arrived");
  uint8_t *w = stack_buf(t, &e.r, 8 * 512, 0, HOSTMEM_PLACE_SCATTERED);
  stack_fill(&e.r, w, 8 * 512);
  CHECK_EQ(t, disk_write(e.d, 16, 8, w), STATUS_IO_DEVICE_ERROR);
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_ABORTED);
  uint8_t back[8 * 512];
  REQUIRE_EQ(t, scsi_disk_peek(e.dm, 0, 16, 8, back), 0);
  CHECK(t, memcmp(back, e.img + 16 * 512, sizeof back) == 0, "the aborted WRITE left the "
        "medium unchanged");
  se_fault(t, &e, 0, 0);
  CHECK_EQ(t, disk_write(e.d, 16, 8, w), STATUS_SUCCESS);
  REQUIRE_EQ(t, scsi_disk_peek(e.dm, 0, 16, 8, back), 0);
  CHECK(t, memcmp(back, w, sizeof back) == 0, "a good WRITE lands afterwards");
  stack_done(t, &e.r);
}

/* a target that hangs mid-transfer with the HBA's watchdog short (Watchdog parameter):
 * WATCHDOG -> SRB_STATUS_COMMAND_TIMEOUT (+ bus reset), retried once; lasting -> 
 * STATUS_IO_TIMEOUT; once -> the data */
static void watchdog_hang_on(test_ctx_t *t, hbastack_path_t path) {
  se_t e;
  se_init(t, &e, path, HBA_ARG_SEL_TIMEOUT "=5000 " HBA_ARG_WATCHDOG "=100000");
  uint8_t *buf;
  se_fault(t, &e, SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 1500);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "the retried READ brought the data");
  se_fault(t, &e, SCSI_FAULT_HANG, 1500);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_IO_TIMEOUT);
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_COMMAND_TIMEOUT);
  se_fault(t, &e, 0, 0);
  /* the bus resets left a unit attention; the class absorbs it and the data moves */
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "the READ after recovery");
  stack_done(t, &e.r);
}

/* a claimed disk that stops answering selection: SRB_STATUS_SELECTION_TIMEOUT ->
 * STATUS_DEVICE_DOES_NOT_EXIST; back again: the data */
static void target_gone_on(test_ctx_t *t, hbastack_path_t path) {
  se_t e;
  se_init(t, &e, path, NULL);
  uint8_t *buf;
  se_fault(t, &e, SCSI_FAULT_GONE, 0);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_DEVICE_DOES_NOT_EXIST);
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_SELECTION_TIMEOUT);
  se_fault(t, &e, 0, 0);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "the data once the target answers again");
  stack_done(t, &e.r);
}

/* a physically contiguous buffer straddling a 128 KiB boundary (word channel 5): the 8237
 * cannot cross it, so the HAL moves the transfer through map registers (hal_dma_last_map says
 * bounced); the data is right both ways */
static void dma_boundary_crossing(test_ctx_t *t) {
  se_t e;
  se_init(t, &e, HBASTACK_SUBORDINATE, NULL);
  hostmem_t *m = sim_mem(e.r.s);
  /* 40 contiguous pages below 16 MiB aligned to 128 KiB: a buffer over 4 of them starting 2
   * pages below the boundary at page 32 */
  uint64_t pfn0 = 0, pf[40];
  REQUIRE_EQ(t, hostmem_alloc_contig(m, 40, 16ull << 20, 128ull << 10, &pfn0), 0);
  for (unsigned i = 0; i < 40; i++) pf[i] = pfn0 + i;
  hostmem_free_pages(m, 30, pf);      /* keep 30..33 for the buffer, */
  hostmem_free_pages(m, 6, pf + 34);  /* the rest back to the allocator */
  hostmem_buf_t *b = hostmem_buf_adopt(m, 4 * 4096, 0, pf + 30);
  REQUIRE(t, b != NULL, "hostmem_buf_adopt");
  uint64_t pa = hostmem_buf_pa(b, 0);
  REQUIRE(t, pa / (128u << 10) != (pa + 4 * 4096 - 1) / (128u << 10), "straddles 128 KiB");
  uint8_t *buf;
  buf = b->va;
  memset(buf, 0x3C, 4 * 4096);
  REQUIRE_EQ(t, disk_read(e.d, 0, 32, buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, e.img, 32 * 512) == 0, "the READ across the boundary");
  hal_map_info_t mi;
  REQUIRE_EQ(t, hal_dma_last_map(sp_port_dma_adapter(e.r.port), &mi), 0);
  CHECK_EQ(t, mi.valid, 1);
  CHECK_EQ(t, mi.bounced, 1);           /* through the map registers */
  CHECK_EQ(t, mi.length, 32u * 512u);
  /* and the other way: WRITE from the straddling buffer */
  stack_fill(&e.r, buf, 4 * 4096);
  REQUIRE_EQ(t, disk_write(e.d, 100, 32, buf), STATUS_SUCCESS);
  uint8_t back[32 * 512];
  REQUIRE_EQ(t, scsi_disk_peek(e.dm, 0, 100, 32, back), 0);
  CHECK(t, memcmp(back, buf, sizeof back) == 0, "the WRITE across the boundary");
  hostmem_buf_free(m, b);
  stack_done(t, &e.r);
}

static void parity_error(test_ctx_t *t) { parity_error_on(t, HBASTACK_SUBORDINATE); }
static void bm_parity_error(test_ctx_t *t) { parity_error_on(t, HBASTACK_BUS_MASTER); }
static void early_status(test_ctx_t *t) { early_status_on(t, HBASTACK_SUBORDINATE); }
static void bm_early_status(test_ctx_t *t) { early_status_on(t, HBASTACK_BUS_MASTER); }
static void extra_data(test_ctx_t *t) { extra_data_on(t, HBASTACK_SUBORDINATE); }
static void bm_extra_data(test_ctx_t *t) { extra_data_on(t, HBASTACK_BUS_MASTER); }
static void watchdog_hang(test_ctx_t *t) { watchdog_hang_on(t, HBASTACK_SUBORDINATE); }
static void bm_watchdog_hang(test_ctx_t *t) { watchdog_hang_on(t, HBASTACK_BUS_MASTER); }
static void target_gone(test_ctx_t *t) { target_gone_on(t, HBASTACK_SUBORDINATE); }
static void bm_target_gone(test_ctx_t *t) { target_gone_on(t, HBASTACK_BUS_MASTER); }

/* bus master: the host memory behind a READ's buffer answers the HBA's writes with SLVERR.
 * hbabm ends the SRB with SRB_STATUS_ERROR (DMA_ERR), the class retries once as a transport
 * error and gives STATUS_IO_DEVICE_ERROR with the status recorded; the memory healed, the
 * same READ brings the data (the HBA and the stack are usable again at once). The same for a
 * WRITE whose buffer cannot be read: the medium keeps its old contents. */
static void bm_axi_error(test_ctx_t *t) {
  se_t e;
  se_init(t, &e, HBASTACK_BUS_MASTER, NULL);
  hostmem_t *m = sim_mem(e.r.s);
  hostmem_buf_t *b = hostmem_buf_alloc(m, 8 * 512, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "hostmem_buf_alloc");
  uint64_t bad = b->pfn[0] * 4096u;
  disk_class_stats_t s0 = se_stats(&e);
  REQUIRE_OK(t, sim_axi_inject_error(e.r.s, bad, bad + 4096u, SIM_AXI_SLVERR, 0, 1));
  memset(b->va, 0xC3, 8 * 512);
  CHECK_EQ(t, disk_read(e.d, 0, 8, b->va), STATUS_IO_DEVICE_ERROR);
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_ERROR);
  CHECK_EQ(t, se_stats(&e).retries_transport - s0.retries_transport, 1);
  sim_axi_clear_errors_injected(e.r.s);
  CHECK_EQ(t, disk_read(e.d, 0, 8, b->va), STATUS_SUCCESS);
  CHECK(t, memcmp(b->va, e.img, 8 * 512) == 0, "the READ after the memory healed");

  /* WRITE: the HBA's reads of the buffer fail */
  stack_fill(&e.r, b->va, 8 * 512);
  REQUIRE_OK(t, sim_axi_inject_error(e.r.s, bad, bad + 4096u, SIM_AXI_SLVERR, 1, 0));
  CHECK_EQ(t, disk_write(e.d, 32, 8, b->va), STATUS_IO_DEVICE_ERROR);
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_ERROR);
  uint8_t back[8 * 512];
  REQUIRE_EQ(t, scsi_disk_peek(e.dm, 0, 32, 8, back), 0);
  CHECK(t, memcmp(back, e.img + 32 * 512, sizeof back) == 0,
        "the failed WRITE left the medium unchanged");
  sim_axi_clear_errors_injected(e.r.s);
  CHECK_EQ(t, disk_write(e.d, 32, 8, b->va), STATUS_SUCCESS);
  REQUIRE_EQ(t, scsi_disk_peek(e.dm, 0, 32, 8, back), 0);
  CHECK(t, memcmp(back, b->va, sizeof back) == 0, "the WRITE after the memory healed");
  hostmem_buf_free(m, b);
  stack_done(t, &e.r);
}

/* a target that hangs mid-transfer with no HBA watchdog: the port's SRB timer runs out, the
 * port calls the miniport's HwResetBus (SCSI Port: HwScsiResetBus, Storport: HwStorResetBus)
 * and completes the SRB with SRB_STATUS_TIMEOUT; the class resends once (absorbing the reset's
 * unit attention) and the data arrives. Hanging every time: STATUS_IO_TIMEOUT after the resend;
 * then the target answers again and the stack works. */
static void srb_timeout_on(test_ctx_t *t, hbastack_path_t path) {
  se_t e;
  memset(&e, 0, sizeof e);
  stack_config_t sc;
  stack_config_path(&sc, path);
  sc.stack.tick_cycles = 20000;   /* a short "second": timeouts in reasonable time */
  stack_init(t, &e.r, &sc);
  e.dm = stack_add_disk(t, &e.r, 4, 1, SE_BLOCKS, 512);
  stack_fill(&e.r, e.img, sizeof e.img);
  REQUIRE_EQ(t, scsi_disk_poke(e.dm, 0, 0, 64, e.img), 0);
  disk_class_config_t cc;
  disk_class_config_default(&cc);
  cc.io_timeout = 5;   /* 100 000 cycles: an 8-block READ takes about 60 000 */
  stack_start(t, &e.r, &cc);
  REQUIRE_EQ(t, disk_class_scan(e.r.cls), 1);
  e.d = disk_class_get(e.r.cls, 0);
  uint8_t *buf;
  hbastack_stats_t p0, p1;
  hbastack_stats(e.r.k, &p0);
  disk_class_stats_t s0 = se_stats(&e);
  se_fault(t, &e, SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 1500);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "data after the resend");
  disk_class_stats_t s1 = se_stats(&e);
  CHECK_EQ(t, s1.retries_transport - s0.retries_transport, 1u);
  hbastack_stats(e.r.k, &p1);
  CHECK_EQ(t, p1.timeouts - p0.timeouts, 1u);
  CHECK(t, p1.bus_resets > p0.bus_resets, "the port's HwResetBus reset the bus");
  se_fault(t, &e, SCSI_FAULT_HANG, 1500);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_IO_TIMEOUT);
  disk_error_t er;
  disk_last_error(e.d, &er);
  CHECK_EQ(t, SRB_STATUS(er.srb_status), SRB_STATUS_TIMEOUT);
  CHECK_EQ(t, se_stats(&e).retries_transport - s1.retries_transport, 1u);
  se_fault(t, &e, 0, 0);
  CHECK_EQ(t, se_read(t, &e, &buf), STATUS_SUCCESS);
  CHECK(t, memcmp(buf, e.img, 8 * 512) == 0, "data once the target answers again");
  stack_done(t, &e.r);
}
static void srb_timeout(test_ctx_t *t) { srb_timeout_on(t, HBASTACK_SUBORDINATE); }
static void bm_srb_timeout(test_ctx_t *t) { srb_timeout_on(t, HBASTACK_BUS_MASTER); }

static const test_def_t stack_errors_tests[] = {
  {"parity_error", parity_error, TEST_F_RANDOM, 0,
   "DATA IN parity error: PARITY_ERROR, one retry, data; lasting: STATUS_IO_DEVICE_ERROR"},
  {"early_status", early_status, TEST_F_RANDOM, 0,
   "STATUS after 1024 of 4096 bytes: DATA_OVERRUN, STATUS_DATA_OVERRUN, 1024 bytes done"},
  {"extra_data", extra_data, TEST_F_RANDOM, 0,
   "target asks for more: READ DATA_OVERRUN with every byte; WRITE ABORTED, medium intact"},
  {"watchdog_hang", watchdog_hang, TEST_F_RANDOM, 0,
   "hung target, short HBA watchdog: COMMAND_TIMEOUT, retry; lasting: STATUS_IO_TIMEOUT"},
  {"target_gone", target_gone, TEST_F_RANDOM, 0,
   "claimed target stops answering: SELECTION_TIMEOUT, STATUS_DEVICE_DOES_NOT_EXIST"},
  {"srb_timeout", srb_timeout, TEST_F_RANDOM, 0,
   "hung target, no HBA watchdog: port timer, HwScsiResetBus, SRB_STATUS_TIMEOUT, one resend"},
  {"dma_boundary_crossing", dma_boundary_crossing, TEST_F_RANDOM, 0,
   "contiguous buffer across a 128 KiB boundary: bounced by the HAL, data right"},
};
TEST_SUITE(stack_errors);

static const test_def_t stack_errors_bm_tests[] = {
  {"parity_error", bm_parity_error, TEST_F_RANDOM, 0,
   "bus master: DATA IN parity error: PARITY_ERROR, one retry, data; lasting: IO_DEVICE_ERROR"},
  {"early_status", bm_early_status, TEST_F_RANDOM, 0,
   "bus master: STATUS after 1024 of 4096 bytes: DATA_OVERRUN, 1024 bytes done and in memory"},
  {"extra_data", bm_extra_data, TEST_F_RANDOM, 0,
   "bus master: target asks for more: READ DATA_OVERRUN, every byte; WRITE ABORTED, medium "
   "intact"},
  {"watchdog_hang", bm_watchdog_hang, TEST_F_RANDOM, 0,
   "bus master: hung target, short HBA watchdog: COMMAND_TIMEOUT, retry; lasting: IO_TIMEOUT"},
  {"target_gone", bm_target_gone, TEST_F_RANDOM, 0,
   "bus master: claimed target stops answering: SELECTION_TIMEOUT, DEVICE_DOES_NOT_EXIST"},
  {"srb_timeout", bm_srb_timeout, TEST_F_RANDOM, 0,
   "bus master: hung target, no HBA watchdog: port timer, HwStorResetBus, SRB_STATUS_TIMEOUT"},
  {"axi_error", bm_axi_error, TEST_F_RANDOM, 0,
   "bus master: SLVERR on a READ's / WRITE's buffer: SRB_STATUS_ERROR, one retry, "
   "IO_DEVICE_ERROR, medium intact; healed: the data"},
};
TEST_SUITE(stack_errors_bm);
