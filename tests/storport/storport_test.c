/* Storport conformance (docs/storport.md, /work/shared/ddk-dma.md "Storport"): the port driver
 * under a small test miniport that drives the real HBA as a bus master (descriptor lists in
 * the uncached extension, docs/hba/sgdma.md), so that each documented rule is shown on its
 * own: StorPortInitialize and ConfigInfo, the SRB's scatter/gather list built before
 * HwStorBuildIo and matching the buffer's pages, READ/WRITE data (scattered, odd offset, above
 * 16 MiB direct and bounced), every StorPortBuildScatterGatherList status and its deferred
 * ExecutionRoutine, the Storport verifier checks, MapBuffers, autosense and a timeout with
 * HwStorResetBus. Every data-moving test checks the bytes on the disk model and in the
 * caller's buffer. */
#include "storport.h"

#include "stor_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "disk_rig.h"
#include "hal_dma.h"
#include "hba_regs.h"
#include "hostmem.h"
#include "prng.h"
#include "scsi.h"
#include "scsi_bus.h"
#include "scsi_disk.h"
#include "scsi_target.h"
#include "sim.h"
#include "srb_req.h"
#include "test.h"

#define TS_ID 2u
#define TS_BLOCKS 4096u
#define TS_BOUND 20000000u
#define TS_MAX_SEEN 64u

/* ---- the test miniport ------------------------------------------------------------------ */

typedef struct ts_knobs {
  sim_t *s;
  UCHAR map_buffers;        /* STOR_MAP_* */
  int dma32;                /* ConfigInfo->Dma32BitAddresses (else a 24-bit device) */
  int dma_started;          /* set HwDmaStarted (a Storport error) */
  int refuse_inquiry;       /* HwStorBuildIo completes INQUIRY itself and returns FALSE */
  int touch;                /* HwStorBuildIo writes the first byte of DataBuffer (a bug for a
                               READ/WRITE under STOR_MAP_NON_READ_WRITE_BUFFERS) */
  /* what the miniport saw */
  PORT_CONFIGURATION_INFORMATION seen_cfg;
  ACCESS_RANGE seen_range0;
  PVOID uncached;
  PHYSICAL_ADDRESS uncached_pa;
  unsigned seq, buildio_seq, startio_seq, buildio_irql, startio_irql, resets;
  PVOID seen_data_buffer;   /* DataBuffer of the last SRB with data, in HwStorBuildIo */
  PVOID seen_system_address;
  ULONG seen_nel;
  PHYSICAL_ADDRESS seen_phys;  /* StorPortGetPhysicalAddress of DataBuffer + 1 */
  ULONG seen_phys_len;
  ULONG timer_us;           /* HwStorInitialize asks for a timer call after timer_us */
  unsigned timer_calls, timer_irql;
  uint64_t timer_cycle, init_cycle;
  STOR_SCATTER_GATHER_ELEMENT seen_el[TS_MAX_SEEN];
  int sg_missing;
} ts_knobs_t;

typedef struct ts_ext {
  PUCHAR regs;
  ts_knobs_t *k;
  PUCHAR desc;              /* descriptor list in the uncached extension */
  ULONG desc_pa;
  PSCSI_REQUEST_BLOCK srb;
} ts_ext_t;

static ULONG ts_rd(ts_ext_t *e, ULONG off) {
  return StorPortReadRegisterUlong(e, (PULONG)(e->regs + off));
}
static void ts_wr(ts_ext_t *e, ULONG off, ULONG v) {
  StorPortWriteRegisterUlong(e, (PULONG)(e->regs + off), v);
}

static void ts_desc(PUCHAR d, uint64_t addr, uint32_t len, uint32_t flags) {
  for (unsigned i = 0; i < 8; i++) d[i] = (UCHAR)(addr >> (8 * i));
  for (unsigned i = 0; i < 4; i++) d[8 + i] = (UCHAR)(len >> (8 * i));
  for (unsigned i = 0; i < 4; i++) d[12 + i] = (UCHAR)(flags >> (8 * i));
}

static ULONG ts_find(PVOID ext, PVOID ctx, PVOID bus, PCHAR arg,
                     PPORT_CONFIGURATION_INFORMATION c, PBOOLEAN again) {
  (void)bus;
  (void)arg;
  ts_ext_t *e = ext;
  e->k = ctx;
  e->k->seen_cfg = *c;
  e->k->seen_range0 = (*c->AccessRanges)[0];
  *again = FALSE;
  e->regs = StorPortGetDeviceBase(ext, c->AdapterInterfaceType, c->SystemIoBusNumber,
                                  (*c->AccessRanges)[0].RangeStart,
                                  (*c->AccessRanges)[0].RangeLength, FALSE);
  if (!e->regs || ts_rd(e, HBA_ID) != 0x48424131u) return SP_RETURN_NOT_FOUND;
  c->MaximumTransferLength = 64u * 1024u;
  c->NumberOfPhysicalBreaks = TS_MAX_SEEN - 1u;
  c->Dma32BitAddresses = e->k->dma32 ? TRUE : FALSE;
  c->AlignmentMask = 0;
  e->desc = StorPortGetUncachedExtension(ext, c, 16u * TS_MAX_SEEN);
  if (!e->desc) return SP_RETURN_ERROR;
  ULONG n = 0;
  PHYSICAL_ADDRESS pa = StorPortGetPhysicalAddress(ext, NULL, e->desc, &n);
  e->desc_pa = (ULONG)pa.QuadPart;
  e->k->uncached = e->desc;
  e->k->uncached_pa = pa;
  return SP_RETURN_FOUND;
}

static void ts_timer(PVOID ext) {
  ts_ext_t *e = ext;
  e->k->timer_calls++;
  e->k->timer_irql = sim_irql(e->k->s);
  e->k->timer_cycle = sim_cycle(e->k->s);
}

static BOOLEAN ts_init(PVOID ext) {
  ts_ext_t *e = ext;
  ts_wr(e, HBA_SEL_TIMEOUT, 5000);
  ts_wr(e, HBA_INT_STATUS, 0xFFFFFFFFu);
  ts_wr(e, HBA_INT_ENABLE, 0x1FFFu);
  if (e->k->timer_us) {
    e->k->init_cycle = sim_cycle(e->k->s);
    StorPortNotification(RequestTimerCall, ext, ts_timer, e->k->timer_us);
  }
  return TRUE;
}

static void ts_complete(ts_ext_t *e, UCHAR status) {
  PSCSI_REQUEST_BLOCK srb = e->srb;
  e->srb = NULL;
  srb->SrbStatus = status;
  StorPortNotification(RequestComplete, e, srb);
  StorPortNotification(NextRequest, e);
}

/* HwStorBuildIo: the port's list for the SRB becomes the HBA's descriptor list */
static BOOLEAN ts_buildio(PVOID ext, PSCSI_REQUEST_BLOCK srb) {
  ts_ext_t *e = ext;
  e->k->buildio_seq = ++e->k->seq;
  e->k->buildio_irql = sim_irql(e->k->s);
  if (e->k->refuse_inquiry && srb->Cdb[0] == SCSIOP_INQUIRY) {
    srb->SrbStatus = SRB_STATUS_INVALID_REQUEST;
    StorPortNotification(RequestComplete, ext, srb);
    return FALSE;
  }
  if (!srb->DataTransferLength) return TRUE;
  e->k->seen_data_buffer = srb->DataBuffer;
  if (e->k->touch) *(volatile PUCHAR)srb->DataBuffer = 0x5A;   /* the bug under test */
  e->k->seen_system_address = NULL;
  StorPortGetSystemAddress(ext, srb, &e->k->seen_system_address);
  PSTOR_SCATTER_GATHER_LIST sg = StorPortGetScatterGatherList(ext, srb);
  if (!sg || sg->NumberOfElements == 0 || sg->NumberOfElements > TS_MAX_SEEN) {
    e->k->sg_missing++;
    srb->SrbStatus = SRB_STATUS_ERROR;
    StorPortNotification(RequestComplete, ext, srb);
    return FALSE;
  }
  e->k->seen_nel = sg->NumberOfElements;
  e->k->seen_phys_len = 0;
  e->k->seen_phys = StorPortGetPhysicalAddress(ext, srb, (PUCHAR)srb->DataBuffer + 1,
                                               &e->k->seen_phys_len);
  for (ULONG i = 0; i < sg->NumberOfElements; i++) {
    e->k->seen_el[i] = sg->List[i];
    ts_desc(e->desc + 16u * i, (uint64_t)sg->List[i].PhysicalAddress.QuadPart,
            sg->List[i].Length, i + 1 == sg->NumberOfElements ? 1u : 0u);
  }
  return TRUE;
}

static BOOLEAN ts_startio(PVOID ext, PSCSI_REQUEST_BLOCK srb) {
  ts_ext_t *e = ext;
  e->k->startio_seq = ++e->k->seq;
  e->k->startio_irql = sim_irql(e->k->s);
  e->srb = srb;
  if (srb->Function != SRB_FUNCTION_EXECUTE_SCSI) {
    ts_complete(e, SRB_STATUS_INVALID_REQUEST);
    return TRUE;
  }
  ULONG w[4] = {0, 0, 0, 0};
  for (unsigned i = 0; i < 16; i++) w[i / 4] |= (ULONG)srb->Cdb[i] << (8 * (i % 4));
  ts_wr(e, HBA_TARGET, (ULONG)srb->Lun << HBA_TARGET_LUN_SHIFT | srb->TargetId);
  for (unsigned i = 0; i < 4; i++) ts_wr(e, HBA_CDB0 + 4 * i, w[i]);
  ULONG len = srb->DataTransferLength;
  ULONG dir = !len ? HBA_CMD_CFG_DIR_NONE
                   : (srb->SrbFlags & SRB_FLAGS_DATA_IN) ? HBA_CMD_CFG_DIR_IN : HBA_CMD_CFG_DIR_OUT;
  ts_wr(e, HBA_CMD_CFG, dir << HBA_CMD_CFG_DIR_SHIFT | srb->CdbLength);
  ts_wr(e, HBA_XFER_LEN, len);
  ts_wr(e, HBA_SG_ADDR_LO, e->desc_pa);
  ts_wr(e, HBA_SG_ADDR_HI, 0);
  ts_wr(e, HBA_CTRL, ts_rd(e, HBA_CTRL) | HBA_CTRL_MOVER_MASK);
  ts_wr(e, HBA_COMMAND, HBA_COMMAND_START_MASK);
  return TRUE;
}

static BOOLEAN ts_interrupt(PVOID ext) {
  ts_ext_t *e = ext;
  ULONG c = ts_rd(e, HBA_INT_STATUS);
  if (!c) return FALSE;
  ts_wr(e, HBA_INT_STATUS, c);
  if (c & HBA_INT_STATUS_BUS_RESET_MASK) {
    StorPortNotification(ResetDetected, ext);
    if (e->srb) ts_complete(e, SRB_STATUS_BUS_RESET);
    return TRUE;
  }
  PSCSI_REQUEST_BLOCK srb = e->srb;
  if (!srb) return TRUE;
  ULONG st = ts_rd(e, HBA_SCSI_STATUS);
  srb->DataTransferLength = ts_rd(e, HBA_XFERRED);
  if (c & HBA_INT_STATUS_SEL_TIMEOUT_MASK) {
    ts_complete(e, SRB_STATUS_SELECTION_TIMEOUT);
  } else if (c & HBA_INT_STATUS_CMD_DONE_MASK) {
    srb->ScsiStatus = (UCHAR)(st & 0xFFu);
    ts_complete(e, srb->ScsiStatus == SCSISTAT_GOOD ? SRB_STATUS_SUCCESS : SRB_STATUS_ERROR);
  } else {
    ts_complete(e, SRB_STATUS_ERROR);
  }
  return TRUE;
}

static BOOLEAN ts_reset_bus(PVOID ext, ULONG path) {
  ts_ext_t *e = ext;
  e->k->resets++;
  ts_wr(e, HBA_COMMAND, HBA_COMMAND_BUS_RESET_MASK);
  for (unsigned i = 0; i < 1000 && !(ts_rd(e, HBA_INT_STATUS) & HBA_INT_STATUS_BUS_RESET_MASK);
       i++)
    StorPortStallExecution(10);
  ts_wr(e, HBA_INT_STATUS, 0xFFFFFFFFu);
  e->srb = NULL;
  StorPortCompleteRequest(ext, (UCHAR)path, 0xFF, 0xFF, SRB_STATUS_BUS_RESET);
  StorPortNotification(ResetDetected, ext);
  StorPortNotification(NextRequest, ext);
  return TRUE;
}

static void ts_dma_started(PVOID ext) { (void)ext; }

static ULONG ts_driver_entry(PVOID drv, ts_knobs_t *k) {
  HW_INITIALIZATION_DATA hw;
  memset(&hw, 0, sizeof hw);
  hw.HwInitializationDataSize = sizeof hw;
  hw.AdapterInterfaceType = PCIBus;
  hw.HwInitialize = ts_init;
  hw.HwBuildIo = ts_buildio;
  hw.HwStartIo = ts_startio;
  hw.HwInterrupt = ts_interrupt;
  hw.HwFindAdapter = ts_find;
  hw.HwResetBus = ts_reset_bus;
  hw.HwDmaStarted = k->dma_started ? ts_dma_started : NULL;
  hw.DeviceExtensionSize = sizeof(ts_ext_t);
  hw.SrbExtensionSize = 32;
  hw.NumberOfAccessRanges = 1;
  hw.MapBuffers = k->map_buffers;
  hw.AutoRequestSense = FALSE;
  hw.SrbTypeFlags = SRB_TYPE_FLAG_SCSI_REQUEST_BLOCK;
  return StorPortInitialize(drv, NULL, &hw, k);
}

/* ---- the rig ---------------------------------------------------------------------------- */

typedef struct rig {
  sim_t *s;
  hal_machine_t *hal;
  stp_system_t *sys;
  stp_port_t *port;
  port_if_t pif;          /* the port's upper edge: raw SRBs (srb_req.h) */
  PVOID ext;
  scsi_disk_t *disk;
  scsi_target_t *tgt;
  ts_knobs_t k;
  prng_t g;
} rig_t;

static void rig_base_pool(test_ctx_t *t, rig_t *r, unsigned pool_pages) {
  memset(r, 0, sizeof *r);
  r->s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_reset(r->s, 4));
  prng_seed(&r->g, test_seed(t), 0x53544full);
  disk_rig_spec_t sp = disk_rig_spec(t, TS_ID, TS_BLOCKS);
  sp.disk_seed = test_seed(t);
  sp.target_seed = test_seed(t) ^ 0x7467u;
  disk_rig_add(t, sim_scsi_bus(r->s), TS_ID, &sp, &r->disk, &r->tgt);
  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  if (pool_pages) hc.map_register_pages = pool_pages;
  r->hal = hal_machine_create(r->s, &hc);
  REQUIRE(t, r->hal != NULL, "hal_machine_create");
  r->k.dma32 = 1;
  r->k.s = r->s;
  r->k.map_buffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
}

static void rig_base(test_ctx_t *t, rig_t *r) { rig_base_pool(t, r, 0); }

static void rig_start(test_ctx_t *t, rig_t *r, const stp_system_config_t *sc_or_null) {
  stp_system_config_t sc;
  if (sc_or_null) sc = *sc_or_null;
  else stp_system_config_hba(&sc, r->s);
  r->sys = stp_system_create(r->s, r->hal, &sc);
  REQUIRE(t, r->sys != NULL, "stp_system_create");
  REQUIRE_EQ(t, ts_driver_entry(stp_system_driver_object(r->sys), &r->k), (ULONG)STATUS_SUCCESS);
  REQUIRE_EQ(t, stp_system_port_count(r->sys), 1);
  r->port = stp_system_port(r->sys, 0);
  stp_port_if(r->port, &r->pif);
  r->ext = stp_port_device_extension(r->port);
}

static void rig_done(test_ctx_t *t, rig_t *r) {
  stp_system_destroy(r->sys);
  hal_machine_destroy(r->hal);
  test_sim_destroy(t, r->s);
  scsi_disk_destroy(r->disk);
}

/* the list the miniport saw covers the buffer: direct elements are the buffer's own pages */
static void check_list(test_ctx_t *t, rig_t *r, const hostmem_buf_t *b, uint32_t len,
                       int bounced) {
  uint64_t total = 0;
  for (ULONG i = 0; i < r->k.seen_nel; i++) {
    const STOR_SCATTER_GATHER_ELEMENT *e = &r->k.seen_el[i];
    uint64_t a = (uint64_t)e->PhysicalAddress.QuadPart;
    if (bounced) {
      CHECK(t, a + e->Length <= 16u * 1024u * 1024u, "bounced element %u at 0x%llx", i,
            (unsigned long long)a);
    } else {
      /* every page start inside the element is the buffer's frame at that offset */
      for (uint64_t d = 0; d < e->Length; d = (d + HOSTMEM_PAGE_SIZE) & ~(uint64_t)(HOSTMEM_PAGE_SIZE - 1)) {
        uint64_t want = hostmem_buf_pa(b, total + d);
        CHECK(t, a + d == want, "element %u +%llu: 0x%llx, the buffer's page says 0x%llx", i,
              (unsigned long long)d, (unsigned long long)(a + d), (unsigned long long)want);
        if (a + d != want) break;
      }
    }
    total += e->Length;
  }
  CHECK_EQ(t, total, len);
}

/* WRITE seeded data, READ it back; both checked on the disk and in the buffer */
static void write_read(test_ctx_t *t, rig_t *r, uint32_t lba, uint32_t blocks,
                       hostmem_place_t place, size_t off, int bounced) {
  uint32_t len = blocks * 512u;
  uint8_t *src = malloc(len), *back = malloc(len);
  REQUIRE(t, src && back, "malloc");
  prng_fill(&r->g, src, len);
  srb_req_t q;
  srb_req_prepare(t, r->s, &q, TS_ID, SCSIOP_WRITE, lba, blocks, place, off);
  memcpy(q.buf->va, src, len);
  srb_req_run(t, &r->pif, &q, TS_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, q.srb.DataTransferLength, len);
  CHECK_EQ(t, q.done_irql, SIM_DISPATCH_LEVEL);
  check_list(t, r, q.buf, len, bounced);
  CHECK_EQ(t, r->k.buildio_irql, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, r->k.startio_irql, SIM_DIRQL);
  CHECK(t, r->k.buildio_seq < r->k.startio_seq, "HwStorBuildIo (%u) before HwStorStartIo (%u)",
        r->k.buildio_seq, r->k.startio_seq);
  REQUIRE_EQ(t, scsi_disk_peek(r->disk, 0, lba, blocks, back), 0);
  CHECK(t, memcmp(back, src, len) == 0, "WRITE landed on the disk (%s)", hostmem_place_name(place));
  srb_req_free(&q);
  srb_req_prepare(t, r->s, &q, TS_ID, SCSIOP_READ, lba, blocks, place, off);
  memset(q.buf->va, 0xEE, len);
  srb_req_run(t, &r->pif, &q, TS_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  check_list(t, r, q.buf, len, bounced);
  /* StorPortGetPhysicalAddress of DataBuffer + 1 (the alias for a read): through the list */
  CHECK_EQ(t, (uint64_t)r->k.seen_phys.QuadPart,
           (uint64_t)r->k.seen_el[0].PhysicalAddress.QuadPart + 1u);
  CHECK_EQ(t, r->k.seen_phys_len, r->k.seen_el[0].Length - 1u);
  CHECK(t, memcmp(q.buf->va, src, len) == 0, "READ reached the caller's buffer (%s, offset %zu)",
        hostmem_place_name(place), off);
  srb_req_free(&q);
  free(src);
  free(back);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void init_config(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.dma_started = 1; /* HwDmaStarted set: reported, never called */
  hal_vf_expect(hal_machine_verifier(r.hal), HAL_VF_STOR_HW_DMA_STARTED, 1);
  rig_start(t, &r, NULL);
  CHECK_EQ(t, hal_vf_count(hal_machine_verifier(r.hal), HAL_VF_STOR_HW_DMA_STARTED), 1u);
  PORT_CONFIGURATION_INFORMATION *c = &r.k.seen_cfg;
  CHECK_EQ(t, c->Length, sizeof *c);
  CHECK_EQ(t, c->AdapterInterfaceType, PCIBus);
  CHECK_EQ(t, c->BusInterruptLevel, 1);
  CHECK_EQ(t, c->Master, TRUE);
  CHECK_EQ(t, c->ScatterGather, TRUE);
  CHECK_EQ(t, c->MapBuffers, STOR_MAP_NON_READ_WRITE_BUFFERS);
  CHECK_EQ(t, c->MaximumTransferLength, SP_UNINITIALIZED_VALUE);
  CHECK_EQ(t, c->NumberOfPhysicalBreaks, SP_UNINITIALIZED_VALUE);
  CHECK_EQ(t, c->InitiatorBusId[0], 7);
  CHECK_EQ(t, r.k.seen_range0.RangeStart.QuadPart, (LONGLONG)HBA_BASE);
  CHECK_EQ(t, r.k.seen_range0.RangeLength, 0x1000);
  CHECK_EQ(t, r.k.seen_range0.RangeInMemory, TRUE);
  IO_SCSI_CAPABILITIES cap;
  REQUIRE_EQ(t, stp_port_capabilities(r.port, &cap), 0);
  CHECK_EQ(t, cap.MaximumTransferLength, 64u * 1024u);
  /* the miniport asked for 64 breaks; 17 map registers (64 KiB + 1 page) allow 16 */
  CHECK_EQ(t, cap.MaximumPhysicalPages, 17u);
  port_if_t pi;
  stp_port_if(r.port, &pi);
  CHECK(t, pi.port == r.port && pi.execute && pi.capabilities, "port_if filled");
  CHECK_EQ(t, pi.initiator_id(pi.port), 7);
  CHECK_EQ(t, pi.max_targets(pi.port), 8);
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(r.s, HBA_BASE + HBA_INT_ENABLE, 4, &v));
  CHECK_EQ(t, v, 0x1FFFu);
  /* the uncached extension: a common buffer, its physical address translated back */
  CHECK(t, r.k.uncached != NULL, "uncached extension");
  CHECK(t, r.k.uncached_pa.QuadPart != 0, "uncached extension PA");
  CHECK(t, StorPortGetVirtualAddress(r.ext, r.k.uncached_pa) == r.k.uncached,
        "StorPortGetVirtualAddress of the uncached extension");
  /* the VA and the PA are the same bytes */
  memset(r.k.uncached, 0x5A, 64);
  uint8_t via_pa[64];
  REQUIRE_EQ(t, hostmem_read(sim_mem(r.s), (uint64_t)r.k.uncached_pa.QuadPart, via_pa, 64), 0);
  CHECK(t, via_pa[0] == 0x5A && via_pa[63] == 0x5A, "uncached extension PA matches its VA");
  stp_port_stats_t st;
  stp_port_stats(r.port, &st);
  /* HwStorFindAdapter read ID, HwStorInitialize wrote three registers */
  CHECK_EQ(t, st.apb_accesses, 4u);
  rig_done(t, &r);
}

static void read_write(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  stp_port_stats_t b0;
  stp_port_stats(r.port, &b0);
  write_read(t, &r, 0, 16, HOSTMEM_PLACE_SCATTERED, 0, 0);
  write_read(t, &r, 40, 7, HOSTMEM_PLACE_SCATTERED, 1 + 2 * prng_below(&r.g, 2000), 0);
  write_read(t, &r, 100, 9, HOSTMEM_PLACE_ABOVE_16M, 3, 0);
  write_read(t, &r, 300, 128, HOSTMEM_PLACE_MIXED, prng_below(&r.g, 4000), 0);
  stp_port_stats_t st;
  stp_port_stats(r.port, &st);
  CHECK_EQ(t, st.srbs_started - b0.srbs_started, 8u);
  CHECK_EQ(t, st.srbs_completed - b0.srbs_completed, 8u);
  CHECK_EQ(t, st.sg_lists_built - b0.sg_lists_built, 8u);
  CHECK_EQ(t, st.interrupts - b0.interrupts, 8u);
  CHECK_EQ(t, st.isr_latency_n - b0.isr_latency_n, 8u);
  CHECK(t, st.isr_latency_max >= st.isr_latency_min, "ISR latency recorded");
  CHECK_EQ(t, hal_sg_lists_live(stp_port_dma_adapter(r.port)), 0u);
  rig_done(t, &r);
}

/* a 24-bit device: pages above 16 MiB go through map registers; still the right bytes */
static void bounced_above_16m(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.dma32 = 0;
  rig_start(t, &r, NULL);
  CHECK_EQ(t, hal_dma_address_limit(stp_port_dma_adapter(r.port)), 16u * 1024u * 1024u);
  CHECK(t, (uint64_t)r.k.uncached_pa.QuadPart < 16u * 1024u * 1024u, "uncached below reach");
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  write_read(t, &r, 8, 12, HOSTMEM_PLACE_ABOVE_16M, 1 + 2 * prng_below(&r.g, 100), 1);
  CHECK_EQ(t, hal_pool_free_pages(r.hal), hal_pool_pages(r.hal));
  rig_done(t, &r);
}

/* StorPortBuildScatterGatherList: each status from its documented condition; SUCCESS means
 * queued, the ExecutionRoutine runs later at DISPATCH_LEVEL */
typedef struct exec_rec {
  sim_t *s;
  int ran;
  unsigned irql;
  ULONG nel;
  STOR_SCATTER_GATHER_ELEMENT el[8];
  PSTOR_SCATTER_GATHER_LIST list;
} exec_rec_t;

static void exec_routine(PVOID *dev, PVOID *irp, PSTOR_SCATTER_GATHER_LIST sg, PVOID ctx) {
  (void)dev;
  (void)irp;
  exec_rec_t *x = ctx;
  x->ran++;
  x->irql = sim_irql(x->s);
  x->list = sg;
  x->nel = sg->NumberOfElements;
  for (ULONG i = 0; i < sg->NumberOfElements && i < 8; i++) x->el[i] = sg->List[i];
}

static void build_sg_status(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  rig_start(t, &r, NULL);
  hal_vf_t *vf = hal_machine_verifier(r.hal);
  hostmem_t *m = sim_mem(r.s);
  /* a 3-page scattered buffer: 3 elements */
  uint32_t len = 3u * 4096u - 100u;
  hostmem_buf_t *b = hostmem_buf_alloc(m, len, 100, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buffer");
  PMDL mdl = IoAllocateMdl(b->va, len, FALSE, FALSE, NULL);
  REQUIRE(t, mdl != NULL, "mdl");
  MmBuildMdlForNonPagedPool(mdl);
  union { STOR_SCATTER_GATHER_LIST l; UCHAR raw[1024]; } sgb, sgb2;
  exec_rec_t x;
  memset(&x, 0, sizeof x);
  x.s = r.s;
  /* INVALID_PARAMETER: no extension */
  CHECK_EQ(t, StorPortBuildScatterGatherList(NULL, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb), STOR_STATUS_INVALID_PARAMETER);
  /* INVALID_IRQL: above DISPATCH_LEVEL */
  unsigned old = sim_raise_irql(r.s, SIM_DIRQL);
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb), STOR_STATUS_INVALID_IRQL);
  sim_lower_irql(r.s, old);
  /* BUFFER_TOO_SMALL: room for the header and one element of three */
  ULONG small = (ULONG)(sizeof(STOR_SCATTER_GATHER_LIST) + sizeof(STOR_SCATTER_GATHER_ELEMENT));
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, small), STOR_STATUS_BUFFER_TOO_SMALL);
  /* INSUFFICIENT_RESOURCES: more pages than the adapter's map registers (64 KiB + 1 page) */
  uint32_t big = 20u * 4096u;
  hostmem_buf_t *bb = hostmem_buf_alloc(m, big, 0, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, bb != NULL, "big buffer");
  PMDL bmdl = IoAllocateMdl(bb->va, big, FALSE, FALSE, NULL);
  REQUIRE(t, bmdl != NULL, "big mdl");
  MmBuildMdlForNonPagedPool(bmdl);
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, bmdl, bb->va, big, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb),
           STOR_STATUS_INSUFFICIENT_RESOURCES);
  CHECK_EQ(t, x.ran, 0);
  /* SUCCESS: queued; not run when the call returns, run later at DISPATCH_LEVEL */
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb), STOR_STATUS_SUCCESS);
  CHECK_EQ(t, x.ran, 0);
  /* the buffer reused before its list is put: reported and refused */
  hal_vf_expect(vf, HAL_VF_STOR_SG_BUFFER_REUSED, 1);
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb), STOR_STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, hal_vf_count(vf, HAL_VF_STOR_SG_BUFFER_REUSED), 1u);
  REQUIRE_OK(t, sim_step(r.s, 4));
  CHECK_EQ(t, x.ran, 1);
  CHECK_EQ(t, x.irql, SIM_DISPATCH_LEVEL);
  CHECK(t, x.list == &sgb.l, "the list is built in the caller's buffer");
  CHECK_EQ(t, x.nel, 3u);
  uint64_t off = 0;
  for (ULONG i = 0; i < x.nel && i < 8; i++) {
    CHECK_EQ(t, (uint64_t)x.el[i].PhysicalAddress.QuadPart, hostmem_buf_pa(b, off));
    off += x.el[i].Length;
  }
  CHECK_EQ(t, off, len);
  /* a second list in another buffer, at DISPATCH_LEVEL: still deferred */
  exec_rec_t x2;
  memset(&x2, 0, sizeof x2);
  x2.s = r.s;
  old = sim_raise_irql(r.s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, 4096u - 100u, exec_routine, &x2,
                                             FALSE, &sgb2, sizeof sgb2), STOR_STATUS_SUCCESS);
  CHECK_EQ(t, x2.ran, 0);
  sim_lower_irql(r.s, old);
  REQUIRE_OK(t, sim_step(r.s, 4));
  CHECK_EQ(t, x2.ran, 1);
  CHECK_EQ(t, x2.nel, 1u);
  /* Put: INVALID_PARAMETER without an extension, INVALID_IRQL above DISPATCH, SUCCESS */
  CHECK_EQ(t, StorPortPutScatterGatherList(NULL, &sgb.l, TRUE), STOR_STATUS_INVALID_PARAMETER);
  old = sim_raise_irql(r.s, SIM_DIRQL);
  CHECK_EQ(t, StorPortPutScatterGatherList(r.ext, &sgb.l, TRUE), STOR_STATUS_INVALID_IRQL);
  sim_lower_irql(r.s, old);
  CHECK_EQ(t, StorPortPutScatterGatherList(r.ext, &sgb.l, TRUE), STOR_STATUS_SUCCESS);
  CHECK_EQ(t, StorPortPutScatterGatherList(r.ext, &sgb2.l, FALSE), STOR_STATUS_SUCCESS);
  /* put twice: reported */
  hal_vf_expect(vf, HAL_VF_STOR_SG_PUT_TWICE, 1);
  CHECK_EQ(t, StorPortPutScatterGatherList(r.ext, &sgb.l, TRUE), STOR_STATUS_INVALID_PARAMETER);
  CHECK_EQ(t, hal_vf_count(vf, HAL_VF_STOR_SG_PUT_TWICE), 1u);
  CHECK_EQ(t, hal_vf_expected_left(vf, HAL_VF_STOR_SG_PUT_TWICE), 0u);
  /* the buffer may be reused once put */
  memset(&x, 0, sizeof x);
  x.s = r.s;
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb), STOR_STATUS_SUCCESS);
  REQUIRE_OK(t, sim_step(r.s, 4));
  CHECK_EQ(t, x.ran, 1);
  CHECK_EQ(t, StorPortPutScatterGatherList(r.ext, &sgb.l, TRUE), STOR_STATUS_SUCCESS);
  stp_port_stats_t st;
  stp_port_stats(r.port, &st);
  CHECK_EQ(t, st.sg_builds, 3u);
  CHECK_EQ(t, hal_sg_lists_live(stp_port_dma_adapter(r.port)), 0u);
  IoFreeMdl(bmdl);
  hostmem_buf_free(m, bb);
  IoFreeMdl(mdl);
  hostmem_buf_free(m, b);
  rig_done(t, &r);
  /* NOT_IMPLEMENTED: an older port */
  rig_base(t, &r);
  stp_system_config_t sc;
  stp_system_config_hba(&sc, r.s);
  sc.port_version = STP_PORT_VERSION_OLD;
  rig_start(t, &r, &sc);
  m = sim_mem(r.s);
  b = hostmem_buf_alloc(m, len, 100, HOSTMEM_PLACE_SCATTERED);
  REQUIRE(t, b != NULL, "buffer");
  mdl = IoAllocateMdl(b->va, len, FALSE, FALSE, NULL);
  REQUIRE(t, mdl != NULL, "mdl");
  MmBuildMdlForNonPagedPool(mdl);
  memset(&x, 0, sizeof x);
  x.s = r.s;
  CHECK_EQ(t, StorPortBuildScatterGatherList(r.ext, mdl, b->va, len, exec_routine, &x, TRUE,
                                             &sgb, sizeof sgb), STOR_STATUS_NOT_IMPLEMENTED);
  REQUIRE_OK(t, sim_step(r.s, 4));
  CHECK_EQ(t, x.ran, 0);
  IoFreeMdl(mdl);
  hostmem_buf_free(m, b);
  rig_done(t, &r);
}

/* MapBuffers: reads/writes show the miniport a no-access alias (same page offset); INQUIRY
 * its real buffer; STOR_MAP_NO_BUFFERS hides INQUIRY's too. Data moves either way. */
static void map_buffers(test_ctx_t *t) {
  for (int mode = 0; mode < 2; mode++) {
    rig_t r;
    rig_base(t, &r);
    r.k.map_buffers = mode ? STOR_MAP_NO_BUFFERS : STOR_MAP_NON_READ_WRITE_BUFFERS;
    rig_start(t, &r, NULL);
    srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
    srb_req_t q;
    srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_READ, 0, 2, HOSTMEM_PLACE_SCATTERED, 24);
    PVOID mine = q.srb.DataBuffer;
    srb_req_run(t, &r.pif, &q, TS_BOUND);
    CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
    CHECK(t, q.srb.DataBuffer == mine, "the caller's DataBuffer is restored");
    CHECK(t, r.k.seen_data_buffer != mine, "READ: the miniport saw another address");
    CHECK_EQ(t, BYTE_OFFSET(r.k.seen_data_buffer), BYTE_OFFSET(mine));
    CHECK(t, r.k.seen_system_address == mine, "StorPortGetSystemAddress gives the real VA");
    char perms[8];
    srb_va_perms(r.k.seen_data_buffer, perms);
    CHECK(t, !strcmp(perms, "---p"), "READ DataBuffer page is %s, not ---p", perms);
    uint8_t back[1024];
    REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, 0, 2, back), 0);
    CHECK(t, memcmp(back, mine, 1024) == 0, "READ data in the caller's buffer");
    srb_req_free(&q);
    srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_INQUIRY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
    mine = q.srb.DataBuffer;
    memset(mine, 0, 36);
    srb_req_run(t, &r.pif, &q, TS_BOUND);
    CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
    CHECK_EQ(t, ((UCHAR *)mine)[0] & 0x1F, 0); /* direct-access device */
    CHECK(t, ((UCHAR *)mine)[8] != 0, "vendor identification arrived");
    if (mode == 0) {
      CHECK(t, r.k.seen_data_buffer == mine, "INQUIRY: the miniport sees the real buffer");
    } else {
      CHECK(t, r.k.seen_data_buffer != mine, "NO_BUFFERS: INQUIRY's buffer hidden too");
      srb_va_perms(r.k.seen_data_buffer, perms);
      CHECK(t, !strcmp(perms, "---p"), "INQUIRY DataBuffer page is %s", perms);
    }
    srb_req_free(&q);
    rig_done(t, &r);
  }
}

/* the knob of the fault test below, set in the child process */
static void arm_touch(void *ctx) { ((rig_t *)ctx)->k.touch = 1; }

/* a miniport that writes into a READ's DataBuffer (STOR_MAP_NON_READ_WRITE_BUFFERS: not mapped)
 * in its HwStorBuildIo: the access faults and the port's handler reports it -- MAPBUFFERS_TOUCH,
 * Storport, the LU, write, the byte, and the call site -- before the process ends; run in a
 * child process. The same miniport touching an INQUIRY buffer (mapped) is fine. */
static void touch_reported(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.map_buffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_READ, 0, 2, HOSTMEM_PLACE_SCATTERED, 24);
  char want[96];
  snprintf(want, sizeof want, "MAPBUFFERS_TOUCH: Storport miniport write of the unmapped "
           "DataBuffer of target %u LUN 0", (unsigned)TS_ID);
  const char *wants[] = {want, "window byte 24, inside the alias"};
  srb_req_fault_t f = {&r.pif, &q, TS_BOUND, arm_touch, &r};
  srb_req_expect_fault(t, &f, wants, 2);
  srb_req_free(&q);
  /* the parent goes on: INQUIRY's buffer is mapped, the touching miniport is within its rights */
  r.k.touch = 1;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_INQUIRY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  srb_req_run(t, &r.pif, &q, TS_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, ((UCHAR *)q.srb.DataBuffer)[0] & 0x1F, 0);   /* the device's byte won */
  srb_req_free(&q);
  rig_done(t, &r);
}

/* a list asked for after its SRB completed: reported (the READ goes through port_if_t, the
 * class layer's path) */
static void sg_after_completion(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_READ, 0, 1, HOSTMEM_PLACE_SCATTERED, 0);
  port_if_t pi;
  stp_port_if(r.port, &pi);
  REQUIRE_EQ(t, pi.execute(pi.port, &q.srb, q.mdl, srb_req_done, &q), STATUS_PENDING);
  REQUIRE_OK(t, sim_wait_until(r.s, srb_req_is_done, &q, TS_BOUND));
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  uint8_t back[512];
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, 0, 1, back), 0);
  CHECK(t, memcmp(back, q.buf->va, 512) == 0, "READ data through port_if");
  hal_vf_t *vf = hal_machine_verifier(r.hal);
  hal_vf_expect(vf, HAL_VF_STOR_SG_AFTER_COMPLETION, 1);
  CHECK(t, StorPortGetScatterGatherList(r.ext, &q.srb) == NULL, "no list after completion");
  CHECK_EQ(t, hal_vf_count(vf, HAL_VF_STOR_SG_AFTER_COMPLETION), 1u);
  srb_req_free(&q);
  rig_done(t, &r);
}

/* map registers short: a 24-bit device, a 4-page pool, 3 pages held by a miniport-built list;
 * a READ needing 2 bounced pages waits (not started, no HwStorBuildIo) until the list is put,
 * then runs and its data arrives */
static void waits_for_map_registers(test_ctx_t *t) {
  rig_t r;
  rig_base_pool(t, &r, 4);
  r.k.dma32 = 0;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  hostmem_t *m = sim_mem(r.s);
  uint32_t hl = 3u * 4096u;
  hostmem_buf_t *hb = hostmem_buf_alloc(m, hl, 0, HOSTMEM_PLACE_ABOVE_16M);
  REQUIRE(t, hb != NULL, "buffer");
  PMDL hm = IoAllocateMdl(hb->va, hl, FALSE, FALSE, NULL);
  REQUIRE(t, hm != NULL, "mdl");
  MmBuildMdlForNonPagedPool(hm);
  union { STOR_SCATTER_GATHER_LIST l; UCHAR raw[512]; } sgb;
  exec_rec_t x;
  memset(&x, 0, sizeof x);
  x.s = r.s;
  REQUIRE_EQ(t, StorPortBuildScatterGatherList(r.ext, hm, hb->va, hl, exec_routine, &x, FALSE,
                                               &sgb, sizeof sgb), STOR_STATUS_SUCCESS);
  REQUIRE_OK(t, sim_step(r.s, 4));
  REQUIRE_EQ(t, x.ran, 1);
  CHECK_EQ(t, hal_pool_free_pages(r.hal), 1u);
  stp_port_stats_t b0;
  stp_port_stats(r.port, &b0);
  unsigned seq0 = r.k.seq;
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_READ, 20, 2, HOSTMEM_PLACE_ABOVE_16M, 3500);
  memset(q.buf->va, 0xEE, 1024);
  REQUIRE_EQ(t, stp_execute(r.port, &q.srb, q.mdl, srb_req_done, &q), STATUS_PENDING);
  REQUIRE_OK(t, sim_step(r.s, 20000));
  CHECK_EQ(t, q.done, 0);
  CHECK_EQ(t, r.k.seq, seq0); /* neither HwStorBuildIo nor HwStorStartIo yet */
  stp_port_stats_t st;
  stp_port_stats(r.port, &st);
  CHECK_EQ(t, st.sg_waits - b0.sg_waits, 1u);
  CHECK_EQ(t, st.srbs_started - b0.srbs_started, 0u);
  CHECK_EQ(t, StorPortPutScatterGatherList(r.ext, &sgb.l, FALSE), STOR_STATUS_SUCCESS);
  REQUIRE_OK(t, sim_wait_until(r.s, srb_req_is_done, &q, TS_BOUND));
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, r.k.buildio_seq < r.k.startio_seq, "HwStorBuildIo before HwStorStartIo");
  CHECK_EQ(t, r.k.seen_nel, 2u);
  uint8_t back[1024];
  REQUIRE_EQ(t, scsi_disk_peek(r.disk, 0, 20, 2, back), 0);
  CHECK(t, memcmp(back, q.buf->va, 1024) == 0, "the waiting READ's data arrived");
  CHECK_EQ(t, hal_pool_free_pages(r.hal), 4u);
  srb_req_free(&q);
  IoFreeMdl(hm);
  hostmem_buf_free(m, hb);
  rig_done(t, &r);
}

/* HwStorBuildIo returning FALSE after completing the SRB itself: HwStorStartIo is not
 * called, the caller sees the miniport's status, the next SRB starts */
static void buildio_completes(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.refuse_inquiry = 1;
  rig_start(t, &r, NULL);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_INQUIRY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  unsigned starts = r.k.startio_seq;
  srb_req_run(t, &r.pif, &q, TS_BOUND);
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_INVALID_REQUEST);
  CHECK_EQ(t, r.k.startio_seq, starts);
  CHECK(t, r.k.buildio_seq > starts, "HwStorBuildIo ran");
  srb_req_free(&q);
  CHECK_EQ(t, hal_sg_lists_live(stp_port_dma_adapter(r.port)), 0u);
  write_read(t, &r, 2, 2, HOSTMEM_PLACE_SCATTERED, 0, 0);
  rig_done(t, &r);
}

/* StorPortPause holds new requests for TimeOut port ticks, then they start by themselves;
 * StorPortResume ends a pause at once */
static void pause_resume(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  stp_system_config_t sc;
  stp_system_config_hba(&sc, r.s);
  sc.tick_cycles = 20000;
  rig_start(t, &r, &sc);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  CHECK_EQ(t, StorPortPause(r.ext, 2), TRUE);
  uint64_t t0 = sim_cycle(r.s);
  REQUIRE_EQ(t, stp_execute(r.port, &q.srb, q.mdl, srb_req_done, &q), STATUS_PENDING);
  REQUIRE_OK(t, sim_step(r.s, 30000));
  CHECK_EQ(t, q.done, 0);
  REQUIRE_OK(t, sim_wait_until(r.s, srb_req_is_done, &q, TS_BOUND));
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, sim_cycle(r.s) - t0 >= 40000u, "held %llu cycles",
        (unsigned long long)(sim_cycle(r.s) - t0));
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_TEST_UNIT_READY, 0, 0, HOSTMEM_PLACE_SCATTERED, 0);
  CHECK_EQ(t, StorPortPause(r.ext, 100), TRUE);
  t0 = sim_cycle(r.s);
  REQUIRE_EQ(t, stp_execute(r.port, &q.srb, q.mdl, srb_req_done, &q), STATUS_PENDING);
  REQUIRE_OK(t, sim_step(r.s, 1000));
  CHECK_EQ(t, q.done, 0);
  CHECK_EQ(t, StorPortResume(r.ext), TRUE);
  REQUIRE_OK(t, sim_wait_until(r.s, srb_req_is_done, &q, TS_BOUND));
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, sim_cycle(r.s) - t0 < 20000u, "resumed at once (%llu cycles)",
        (unsigned long long)(sim_cycle(r.s) - t0));
  rig_done(t, &r);
}

/* two Storport systems in one process, requests outstanding on both at once: each moves its
 * own disk's data (no shared state) */
static void two_systems(test_ctx_t *t) {
  rig_t a, b;
  rig_base(t, &a);
  rig_start(t, &a, NULL);
  rig_base(t, &b);
  b.k.dma32 = 0;
  rig_start(t, &b, NULL);
  srb_req_clear_ua(t, a.s, &a.pif, TS_ID, TS_BOUND, 1);
  srb_req_clear_ua(t, b.s, &b.pif, TS_ID, TS_BOUND, 1);
  uint8_t wa[2048], wb[2048];
  prng_fill(&a.g, wa, sizeof wa);
  prng_fill(&b.g, wb, sizeof wb);
  REQUIRE_EQ(t, scsi_disk_poke(a.disk, 0, 10, 4, wa), 0);
  REQUIRE_EQ(t, scsi_disk_poke(b.disk, 0, 10, 4, wb), 0);
  srb_req_t qa, qb;
  srb_req_prepare(t, a.s, &qa, TS_ID, SCSIOP_READ, 10, 4, HOSTMEM_PLACE_SCATTERED, 5);
  srb_req_prepare(t, b.s, &qb, TS_ID, SCSIOP_READ, 10, 4, HOSTMEM_PLACE_ABOVE_16M, 7);
  REQUIRE_EQ(t, stp_execute(a.port, &qa.srb, qa.mdl, srb_req_done, &qa), STATUS_PENDING);
  REQUIRE_EQ(t, stp_execute(b.port, &qb.srb, qb.mdl, srb_req_done, &qb), STATUS_PENDING);
  for (unsigned i = 0; i < 2000 && !(qa.done && qb.done); i++) {
    REQUIRE_OK(t, sim_step(a.s, 500));
    REQUIRE_OK(t, sim_step(b.s, 500));
  }
  CHECK(t, qa.done && qb.done, "both completed");
  CHECK_EQ(t, qa.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK_EQ(t, qb.srb.SrbStatus, SRB_STATUS_SUCCESS);
  CHECK(t, memcmp(qa.buf->va, wa, sizeof wa) == 0, "system A's data");
  CHECK(t, memcmp(qb.buf->va, wb, sizeof wb) == 0, "system B's data (bounced)");
  srb_req_free(&qa);
  srb_req_free(&qb);
  rig_done(t, &b);
  rig_done(t, &a);
}

/* RequestTimerCall from HwStorInitialize: the routine runs once, at DIRQL, after the
 * requested simulated microseconds */
static void timer_call(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  r.k.timer_us = 100; /* 100 us at the simulation clock (tick_cycles = clock) */
  rig_start(t, &r, NULL);
  uint64_t want = 100u * (uint64_t)sim_clk_hz(r.s) / 1000000u;
  REQUIRE_OK(t, sim_step(r.s, want + 100));
  CHECK_EQ(t, r.k.timer_calls, 1u);
  CHECK_EQ(t, r.k.timer_irql, SIM_DIRQL);
  uint64_t d = r.k.timer_cycle - r.k.init_cycle;
  CHECK(t, d >= want && d <= want + 10, "timer after %llu cycles, asked %llu",
        (unsigned long long)d, (unsigned long long)want);
  REQUIRE_OK(t, sim_step(r.s, 2 * want));
  CHECK_EQ(t, r.k.timer_calls, 1u);
  rig_done(t, &r);
}

/* a hung target: TimeOutValue ticks, HwStorResetBus, SRB_STATUS_TIMEOUT, the list put, and
 * the next request works */
static void srb_timeout(test_ctx_t *t) {
  rig_t r;
  rig_base(t, &r);
  stp_system_config_t sc;
  stp_system_config_hba(&sc, r.s);
  sc.tick_cycles = 20000;
  rig_start(t, &r, &sc);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  disk_rig_faults(t, r.tgt, SCSI_FAULT_HANG | SCSI_FAULT_ONCE, 700);
  stp_port_stats_t b0;
  stp_port_stats(r.port, &b0);
  srb_req_t q;
  srb_req_prepare(t, r.s, &q, TS_ID, SCSIOP_READ, 0, 4, HOSTMEM_PLACE_SCATTERED, 0);
  q.srb.TimeOutValue = 3;
  uint64_t t0 = sim_cycle(r.s);
  srb_req_run(t, &r.pif, &q, TS_BOUND);
  uint64_t took = sim_cycle(r.s) - t0;
  CHECK_EQ(t, q.srb.SrbStatus, SRB_STATUS_TIMEOUT);
  CHECK(t, took >= 2 * 20000u && took <= 5 * 20000u, "timed out after %llu cycles",
        (unsigned long long)took);
  CHECK_EQ(t, r.k.resets, 1);
  stp_port_stats_t st;
  stp_port_stats(r.port, &st);
  CHECK_EQ(t, st.timeouts - b0.timeouts, 1u);
  CHECK_EQ(t, st.bus_resets - b0.bus_resets, 1u);
  CHECK_EQ(t, hal_sg_lists_live(stp_port_dma_adapter(r.port)), 0u);
  srb_req_free(&q);
  srb_req_clear_ua(t, r.s, &r.pif, TS_ID, TS_BOUND, 1);
  write_read(t, &r, 5, 4, HOSTMEM_PLACE_SCATTERED, 0, 0);
  rig_done(t, &r);
}

static const test_def_t storport_tests[] = {
  {"touch_reported", touch_reported, 0, 0,
   "NON_READ_WRITE_BUFFERS: a miniport writing a READ's DataBuffer faults, reported with LU, "
   "byte and call site (child process); INQUIRY's buffer may be touched"},
  {"init_config", init_config, 0, 0,
   "StorPortInitialize: ConfigInfo, bus-master adapter, uncached extension, HwDmaStarted check"},
  {"read_write", read_write, TEST_F_RANDOM, 0,
   "READ/WRITE: list before HwStorBuildIo, buffer's pages, scattered/odd/above 16 MiB data"},
  {"bounced_above_16m", bounced_above_16m, TEST_F_RANDOM, 0,
   "a 24-bit bus master: pages above 16 MiB bounced through map registers, data intact"},
  {"build_sg_status", build_sg_status, 0, 0,
   "StorPortBuild/PutScatterGatherList: every status, deferred ExecutionRoutine, double put"},
  {"map_buffers", map_buffers, TEST_F_RANDOM, 0,
   "MapBuffers NON_READ_WRITE / NO_BUFFERS: no-access alias for reads/writes, INQUIRY real"},
  {"sg_after_completion", sg_after_completion, 0, 0,
   "StorPortGetScatterGatherList after the SRB completed: STOR_SG_AFTER_COMPLETION"},
  {"waits_for_map_registers", waits_for_map_registers, 0, 0,
   "map registers short: the SRB waits for its list, starts when a list is put"},
  {"buildio_completes", buildio_completes, TEST_F_RANDOM, 0,
   "HwStorBuildIo completes the SRB and returns FALSE: no HwStorStartIo, list put"},
  {"pause_resume", pause_resume, 0, 0,
   "StorPortPause holds new requests for its ticks; StorPortResume releases them at once"},
  {"two_systems", two_systems, TEST_F_RANDOM, 0,
   "two Storport systems in one process with requests outstanding on both"},
  {"timer_call", timer_call, 0, 0,
   "RequestTimerCall: the routine at DIRQL after the requested simulated time, once"},
  {"srb_timeout", srb_timeout, TEST_F_RANDOM, 0,
   "hung target: TimeOutValue, HwStorResetBus, SRB_STATUS_TIMEOUT, recovery"},
};
TEST_SUITE(storport);
