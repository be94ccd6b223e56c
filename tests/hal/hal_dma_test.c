/* The HAL DMA adapter against the real sysdma RTL: IoGetDmaAdapter, AllocateAdapterChannel,
 * MapTransfer, FlushAdapterBuffers, FreeMapRegisters / FreeAdapterChannel, ReadDmaCounter,
 * driven as a driver drives them, with DREQ/DACK device models on byte channels 1, 2 and word
 * channels 5, 6. Every transfer checks the bytes (device sink vs buffer, buffer vs device
 * source), the bounce-or-direct decision (worked out from the buffer's frames) and the address
 * the 8237 was programmed with. Random tests take everything from the test seed. */
#include <stdio.h>

#include "hal_test_util.h"

static const hostmem_place_t places[] = {HOSTMEM_PLACE_SCATTERED, HOSTMEM_PLACE_CONTIGUOUS,
                                         HOSTMEM_PLACE_ABOVE_16M, HOSTMEM_PLACE_MIXED,
                                         HOSTMEM_PLACE_BELOW_16M};
#define NPLACES (sizeof places / sizeof places[0])

/* A HAL machine on a new sim (ht_machine, DMA clock divider 2, default configs) and the PRNG
 * `r` from the test seed with `salt`. */
static hal_machine_t *hd_machine(test_ctx_t *t, sim_t **s, prng_t *r, uint64_t salt) {
  hal_machine_t *m = ht_machine(t, s, 2, NULL, NULL);
  prng_seed(r, test_seed(t), salt);
  return m;
}

/* An adapter for channel `ch` (transfers up to max_len bytes, demand mode or not) with all the
 * map registers it got (*nregs) allocated through *g (dev_out: its device object, or NULL);
 * hd_close gives it back. */
static PDMA_ADAPTER hd_open(test_ctx_t *t, sim_t *s, hal_machine_t *m, unsigned ch, ULONG max_len,
                            int demand, ULONG *nregs, ht_grant_t *g, PDEVICE_OBJECT *dev_out) {
  PDEVICE_OBJECT dev;
  PDMA_ADAPTER a = ht_adapter(t, m, &dev, ch, max_len, demand, nregs);
  memset(g, 0, sizeof *g);
  REQUIRE_EQ(t, ht_allocate(s, a, dev, *nregs, g), STATUS_SUCCESS);
  if (dev_out) *dev_out = dev;
  return a;
}

static void hd_close(sim_t *s, PDMA_ADAPTER a) {
  ht_free_channel(s, a);
  HalPutDmaAdapter(a);
}

/* one granted adapter on a channel, then transfers of seeded offset/length from buffers of
 * every placement, both directions; the decision and the programmed address checked */
static void channel_placements(test_ctx_t *t, sim_t *s, hal_machine_t *m, unsigned ch, int demand,
                               prng_t *r, unsigned rounds, uint64_t stream) {
  PDEVICE_OBJECT dev;
  ULONG nregs;
  ht_grant_t g;
  PDMA_ADAPTER a = hd_open(t, s, m, ch, 6 * PAGE_SIZE, demand, &nregs, &g, &dev);
  CHECK_EQ(t, nregs, 7u);
  REQUIRE_EQ(t, g.calls, 1);
  CHECK_EQ(t, g.irql, SIM_DISPATCH_LEVEL);
  CHECK(t, g.dev == dev, "AdapterControl got another device object");
  int word = ch >= 4;
  uint64_t regs_pa = hal_map_register_base_pa(a, g.base);
  REQUIRE(t, regs_pa != 0, "no map registers behind the base");
  CHECK(t, regs_pa + nregs * PAGE_SIZE <= HOSTMEM_16M, "map registers above 16 MiB");
  unsigned bounced = 0, direct = 0;
  for (unsigned i = 0; i < rounds; i++) {
    hostmem_place_t pl = places[i % NPLACES];
    size_t off = (size_t)prng_below(r, PAGE_SIZE), blen = 1 + (size_t)prng_below(r, 5 * PAGE_SIZE);
    if (word) {
      off &= ~(size_t)1;
      blen = (blen + 1) & ~(size_t)1;
    }
    ht_buf_t hb = ht_buf(t, s, blen, off, pl, stream * 100 + i);
    ht_xfer_t x = {0};
    x.ch = ch;
    x.write_to_device = (i / NPLACES) & 1;
    x.off = word ? prng_below(r, blen / 2) * 2 : prng_below(r, blen);
    x.len = blen - x.off;
    if (x.len > 1) x.len = 1 + (size_t)prng_below(r, x.len);
    if (word) x.len = (x.len + 1) & ~(size_t)1;
    if (x.off + x.len > blen) x.len = blen - x.off;
    REQUIRE(t, x.len > 0, "empty");
    int want_direct = ht_expect_direct(hb.b, x.off, x.len, word);
    ht_run(t, s, a, &hb, g.base, &x, stream * 100 + 50 + i);
    CHECK_EQ(t, x.info.bounced, !want_direct);
    if (want_direct) {
      CHECK_EQ(t, x.programmed_pa, hostmem_buf_pa(hb.b, x.off));
      direct++;
    } else {
      CHECK_EQ(t, x.programmed_pa, regs_pa); /* the bounce data starts at the map registers */
      bounced++;
    }
    test_log(t, "ch %u %s %s: %zu bytes at +%zu of %zu, %s at 0x%llx", ch,
             hostmem_place_name(pl), x.write_to_device ? "mem->dev" : "dev->mem", x.len, x.off,
             blen, want_direct ? "direct" : "bounced", (unsigned long long)x.programmed_pa);
    ht_buf_free(s, &hb);
  }
  CHECK(t, bounced > 0, "ch %u: no transfer went through the map registers", ch);
  ht_free_channel(s, a);
  CHECK_EQ(t, hal_pool_free_pages(m), hal_pool_pages(m));
  HalPutDmaAdapter(a);
  (void)direct;
}

/* channels ch0 and ch1 (demand mode or not) through every placement on one machine, choices
 * from the test seed with `salt`, buffers from streams `stream` and stream + 1 */
static void two_channels_every_placement(test_ctx_t *t, unsigned ch0, unsigned ch1, int demand,
                                         uint64_t salt, uint64_t stream) {
  sim_t *s;
  prng_t r;
  hal_machine_t *m = hd_machine(t, &s, &r, salt);
  channel_placements(t, s, m, ch0, demand, &r, 10, stream);
  channel_placements(t, s, m, ch1, demand, &r, 10, stream + 1);
  hal_machine_destroy(m);
}

static void byte_channels_every_placement(test_ctx_t *t) {
  two_channels_every_placement(t, 1, 2, 0, 1, 1);
}

static void word_channels_every_placement(test_ctx_t *t) {
  two_channels_every_placement(t, 5, 6, 0, 2, 3);
}

static void demand_mode_every_placement(test_ctx_t *t) {
  two_channels_every_placement(t, 2, 6, 1, 3, 5);
}

/* demand mode (DEVICE_DESCRIPTION_VERSION2 + DemandMode) runs back to back under one DACK;
 * single mode gives the bus back after every transfer: the same 512 bytes take far fewer
 * cycles. DemandMode with an older Version is ignored, as documented. */
static uint64_t span_of(test_ctx_t *t, sim_t *s, hal_machine_t *m, unsigned ch, ULONG version,
                        BOOLEAN demand, uint64_t stream) {
  PDEVICE_OBJECT dev = hal_device_create(m, 0);
  DEVICE_DESCRIPTION d = ht_desc(ch, 4096, 0);
  d.Version = version;
  d.DemandMode = demand;
  ULONG n = 0;
  PDMA_ADAPTER a = IoGetDmaAdapter(dev, &d, &n);
  REQUIRE(t, a != NULL, "adapter");
  ht_grant_t g = {0};
  REQUIRE_EQ(t, ht_allocate(s, a, dev, n, &g), STATUS_SUCCESS);
  ht_buf_t hb = ht_buf(t, s, 512, 0, HOSTMEM_PLACE_BELOW_16M, stream);
  ht_xfer_t x = {0};
  x.ch = ch;
  x.len = 512;
  ht_run(t, s, a, &hb, g.base, &x, stream + 1);
  CHECK_EQ(t, x.dev.transfers, ch >= 4 ? 256u : 512u);
  ht_buf_free(s, &hb);
  hd_close(s, a);
  return x.dev.last_dack_cycle - x.dev.first_dack_cycle;
}

static void demand_mode_needs_version2(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 2, NULL, NULL);
  for (unsigned ch = 2; ch <= 6; ch += 4) {
    uint64_t single = span_of(t, s, m, ch, DEVICE_DESCRIPTION_VERSION, FALSE, 10 + ch);
    uint64_t v0_demand = span_of(t, s, m, ch, DEVICE_DESCRIPTION_VERSION1, TRUE, 20 + ch);
    uint64_t demand = span_of(t, s, m, ch, DEVICE_DESCRIPTION_VERSION2, TRUE, 30 + ch);
    test_log(t, "ch %u: single %llu cycles, v1+DemandMode %llu, v2+DemandMode %llu", ch,
             (unsigned long long)single, (unsigned long long)v0_demand,
             (unsigned long long)demand);
    CHECK(t, demand * 3 < single * 2, "ch %u: demand mode (%llu cycles) not faster than "
          "single (%llu)", ch, (unsigned long long)demand, (unsigned long long)single);
    CHECK(t, v0_demand + v0_demand / 10 >= single && v0_demand <= single + single / 10,
          "ch %u: DemandMode without VERSION2 changed the timing", ch);
  }
  hal_machine_destroy(m);
}

/* lengths from 1 byte to the most one programming can move (64 KiB byte, 128 KiB word), at
 * seeded offsets in scattered buffers (bounced) and the full length direct where possible */
static void lengths_one_to_max(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 1, NULL, NULL);
  prng_t r;
  prng_seed(&r, test_seed(t), 4);
  static const size_t byte_lens[] = {1, 2, 3, 4095, 4096, 4097, 8191, 65536};
  static const size_t word_lens[] = {2, 4, 4094, 4096, 4098, 65534, 131072};
  for (int word = 0; word <= 1; word++) {
    unsigned ch = word ? 5 : 1;
    ULONG nregs;
    ht_grant_t g;
    PDMA_ADAPTER a = hd_open(t, s, m, ch, word ? 131072 : 65536, 1, &nregs, &g, NULL);
    CHECK_EQ(t, nregs, word ? HAL_MAX_MAP_REGISTERS_WORD : HAL_MAX_MAP_REGISTERS_BYTE);
    const size_t *lens = word ? word_lens : byte_lens;
    size_t nl = word ? sizeof word_lens / sizeof word_lens[0]
                     : sizeof byte_lens / sizeof byte_lens[0];
    for (size_t i = 0; i < nl; i++) {
      size_t off = (size_t)prng_below(&r, PAGE_SIZE);
      if (word) off &= ~(size_t)1;
      ht_buf_t hb = ht_buf(t, s, lens[i], off, HOSTMEM_PLACE_SCATTERED, 400 + i);
      ht_xfer_t x = {0};
      x.ch = ch;
      x.len = lens[i];
      x.write_to_device = (int)(i & 1);
      x.bound = 400000 + 20u * lens[i];
      ht_run(t, s, a, &hb, g.base, &x, 450 + i);
      CHECK_EQ(t, x.info.bounced, !ht_expect_direct(hb.b, 0, lens[i], word));
      CHECK_EQ(t, x.dev.transfers, word ? lens[i] / 2 : lens[i]);
      ht_buf_free(s, &hb);
    }
    hd_close(s, a);
  }
  hal_machine_destroy(m);
}

/* 64 KiB / 128 KiB boundaries: in one physically contiguous buffer below 16 MiB, a run inside
 * one 64 KiB page goes direct; the same run moved across a 64 KiB boundary is bounced on a
 * byte channel; on a word channel only a 128 KiB boundary forces the bounce */
static void boundary_crossings(test_ctx_t *t) {
  sim_config_t sc;
  sim_config_default(&sc);
  sc.mem_size = 16ull << 20; /* every frame below 16 MiB */
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 2, NULL, &sc);
  ht_buf_t hb = ht_buf(t, s, 48 * PAGE_SIZE, 0, HOSTMEM_PLACE_CONTIGUOUS, 5);
  REQUIRE(t, hostmem_buf_is_contiguous(hb.b), "contiguous buffer");
  uint64_t pa0 = hostmem_buf_pa(hb.b, 0);
  /* the first 64 KiB boundary inside the buffer that is not a 128 KiB boundary, and the
   * first 128 KiB boundary (both at least 1 KiB from the ends) */
  uint64_t b64 = 0, b128 = 0;
  for (uint64_t pa = (pa0 + 1024 + 0xFFFF) & ~0xFFFFull; pa + 1024 < pa0 + 48 * PAGE_SIZE;
       pa += 0x10000) {
    if ((pa & 0x1FFFF) == 0 && !b128) b128 = pa;
    if ((pa & 0x1FFFF) != 0 && !b64) b64 = pa;
  }
  REQUIRE(t, b64 && b128, "boundaries inside the buffer (pa0 0x%llx)", (unsigned long long)pa0);
  typedef struct { unsigned ch; uint64_t across; int bounced; } case_t;
  const case_t cases[] = {
      {1, b64, 1}, {1, b128, 1}, {2, b64 + 0x4000, 0}, {5, b64, 0}, {5, b128, 1},
      {6, b128 + 0x4000, 0}, {6, b64, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const case_t *c = &cases[i];
    ULONG nregs;
    ht_grant_t g;
    PDMA_ADAPTER a = hd_open(t, s, m, c->ch, 4 * PAGE_SIZE, 0, &nregs, &g, NULL);
    for (int dir = 0; dir <= 1; dir++) {
      ht_xfer_t x = {0};
      x.ch = c->ch;
      x.len = 600;
      x.off = (size_t)(c->across - pa0) - 300; /* 300 bytes on each side */
      x.write_to_device = dir;
      ht_run(t, s, a, &hb, g.base, &x, 500 + 10 * i + (uint64_t)dir);
      CHECK_EQ(t, x.info.bounced, c->bounced);
      CHECK_EQ(t, x.programmed_pa,
               c->bounced ? hal_map_register_base_pa(a, g.base) : c->across - 300);
    }
    hd_close(s, a);
  }
  ht_buf_free(s, &hb);
  hal_machine_destroy(m);
}

/* a request larger than the map registers allow, split as documented: each MapTransfer maps at
 * most PAGE_SIZE x registers minus the page offset; CurrentVa advances by Length */
static void split_transfers(test_ctx_t *t) {
  sim_t *s;
  prng_t r;
  hal_machine_t *m = hd_machine(t, &s, &r, 6);
  static const unsigned chans[] = {1, 6};
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = chans[c];
    int word = ch >= 4;
    ULONG nregs;
    ht_grant_t g;
    PDMA_ADAPTER a = hd_open(t, s, m, ch, 2 * PAGE_SIZE, 1, &nregs, &g, NULL);
    CHECK_EQ(t, nregs, 3u);
    for (int dir = 0; dir <= 1; dir++) {
      size_t off = (size_t)prng_below(&r, PAGE_SIZE) & (word ? ~(size_t)1 : ~(size_t)0);
      size_t total = 5 * PAGE_SIZE + (size_t)prng_below(&r, 3 * PAGE_SIZE);
      if (word) total &= ~(size_t)1;
      ht_buf_t hb = ht_buf(t, s, total, off, HOSTMEM_PLACE_MIXED, 600 + 10 * c + (uint64_t)dir);
      size_t done = 0;
      unsigned pieces = 0;
      while (done < total) {
        PVOID va = (PCHAR)MmGetMdlVirtualAddress(hb.mdl) + done;
        size_t room = (size_t)nregs * PAGE_SIZE - BYTE_OFFSET(va);
        size_t len = total - done < room ? total - done : room;
        CHECK(t, ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len) <= nregs, "piece spans too much");
        ht_xfer_t x = {0};
        x.ch = ch;
        x.off = done;
        x.len = len;
        x.write_to_device = dir;
        ht_run(t, s, a, &hb, g.base, &x, 700 + pieces);
        done += len;
        pieces++;
      }
      CHECK(t, pieces >= 2, "not split");
      test_log(t, "ch %u: %zu bytes in %u pieces", ch, total, pieces);
      ht_buf_free(s, &hb);
    }
    hd_close(s, a);
  }
  hal_machine_destroy(m);
}

/* A demand-mode device that stops early: ReadDmaCounter shows the bytes left, the flush stops
 * the channel, returns FALSE, copies back only what moved (bounced device -> memory) and leaves
 * the rest of the caller's buffer as it was */
static void short_transfer_reported(test_ctx_t *t) {
  sim_t *s;
  prng_t r;
  hal_machine_t *m = hd_machine(t, &s, &r, 7);
  static const unsigned chans[] = {2, 5};
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = chans[c];
    unsigned width = ch >= 4 ? 2 : 1;
    ULONG nregs;
    ht_grant_t g;
    PDMA_ADAPTER a = hd_open(t, s, m, ch, 4 * PAGE_SIZE, 1, &nregs, &g, NULL);
    for (int dir = 0; dir <= 1; dir++) {
      ht_buf_t hb = ht_buf(t, s, 3 * PAGE_SIZE, 2 * (size_t)prng_below(&r, 1000),
                           HOSTMEM_PLACE_SCATTERED, 800 + 10 * c + (uint64_t)dir);
      ht_xfer_t x = {0};
      x.ch = ch;
      x.len = 3 * PAGE_SIZE;
      x.write_to_device = dir;
      x.dreq = SIM_DREQ_COUNT;
      x.count = 1 + (unsigned)prng_below(&r, (unsigned)(x.len / width) - 1);
      x.expect_short = 1;
      ht_run(t, s, a, &hb, g.base, &x, 850 + 10 * c + (uint64_t)dir);
      CHECK(t, x.info.bounced, "scattered buffer must bounce");
      CHECK_EQ(t, x.dev.tc_count, 0);
      test_log(t, "ch %u %s: device stopped after %u units, residual %u", ch,
               dir ? "mem->dev" : "dev->mem", x.count, x.info.residual);
      ht_buf_free(s, &hb);
    }
    hd_close(s, a);
  }
  hal_machine_destroy(m);
}

/* ReadDmaCounter follows the transfer: the full length before DREQ, fewer bytes as it runs,
 * 0 at terminal count; 0 once flushed (no current operation) */
static void read_dma_counter_follows(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 2, NULL, NULL);
  ULONG nregs;
  ht_grant_t g;
  PDMA_ADAPTER a = hd_open(t, s, m, 1, 65536, 1, &nregs, &g, NULL);
  CHECK_EQ(t, a->DmaOperations->GetDmaAlignment(a), 1u);
  ht_buf_t hb = ht_buf(t, s, 65536, 0, HOSTMEM_PLACE_SCATTERED, 9);
  PVOID va = MmGetMdlVirtualAddress(hb.mdl);
  ULONG len = 65536;
  (void)HalMapTransfer(a, hb.mdl, g.base, va, &len, TRUE);
  CHECK_EQ(t, HalReadDmaCounter(a), 65536u); /* a full 64 K count before the first transfer */
  uint8_t *sink = calloc(1, 65536);
  REQUIRE(t, sink != NULL, "calloc");
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.sink = sink;
  dc.sink_len = 65536;
  REQUIRE_OK(t, sim_dmadev_config(s, 1, &dc));
  ht_units_t u = {1, 1000};
  REQUIRE_OK(t, sim_wait_until(s, ht_units_done, &u, 200000));
  /* read while demand mode moves the count every few cycles: the value lies between what
   * the device had done before and after the read */
  sim_dmadev_stats_t before, after;
  sim_dmadev_stats(s, 1, &before);
  ULONG mid = HalReadDmaCounter(a);
  sim_dmadev_stats(s, 1, &after);
  CHECK(t, mid <= 65536u - before.transfers && mid + 1 >= 65536u - after.transfers,
        "mid-transfer counter %u, device did %llu..%llu", (unsigned)mid,
        (unsigned long long)before.transfers, (unsigned long long)after.transfers);
  CHECK(t, after.transfers > before.transfers, "the transfer ran during the read");
  ht_tc_t w = {1};
  REQUIRE_OK(t, sim_wait_until(s, ht_tc_seen, &w, 20000000));
  CHECK_EQ(t, HalReadDmaCounter(a), 0u);
  CHECK_EQ(t, HalFlushAdapterBuffers(a, hb.mdl, g.base, va, 65536, TRUE), TRUE);
  CHECK(t, memcmp(sink, hb.b->va, 65536) == 0, "device bytes");
  CHECK_EQ(t, HalReadDmaCounter(a), 0u);
  free(sink);
  REQUIRE_OK(t, sim_dmadev_stop(s, 1));
  ht_buf_free(s, &hb);
  hd_close(s, a);
  hal_machine_destroy(m);
}

/* FlushAdapterBuffers on a transfer still running stops it: FALSE, the residual is what the
 * device did not move, the moved bytes (and only those) are in the buffer, and the device gets
 * nothing more afterwards. With flush_wait_cycles the flush waits for TC instead: TRUE. */
static void flush_stops_running_transfer(test_ctx_t *t) {
  sim_t *s;
  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  hal_machine_t *m = ht_machine(t, &s, 2, &hc, NULL);
  prng_t r;
  prng_seed(&r, test_seed(t), 11);
  static const unsigned chans[] = {1, 6};
  for (unsigned c = 0; c < 2; c++) {
    unsigned ch = chans[c], width = ch >= 4 ? 2u : 1u;
    ULONG nregs;
    ht_grant_t g;
    PDMA_ADAPTER a = hd_open(t, s, m, ch, 4 * PAGE_SIZE, 0, &nregs, &g, NULL);
    size_t len = 4 * PAGE_SIZE;
    ht_buf_t hb = ht_buf(t, s, len, 0, (c & 1) ? HOSTMEM_PLACE_SCATTERED
                                              : HOSTMEM_PLACE_BELOW_16M, 1100 + c);
    uint8_t *before = malloc(len), *src = malloc(len);
    REQUIRE(t, before && src, "malloc");
    memcpy(before, hb.b->va, len);
    prng_fill(&r, src, len);
    PVOID va = MmGetMdlVirtualAddress(hb.mdl);
    ULONG l = (ULONG)len;
    (void)HalMapTransfer(a, hb.mdl, g.base, va, &l, FALSE);
    sim_dmadev_cfg_t dc;
    memset(&dc, 0, sizeof dc);
    dc.mode = SIM_DREQ_ALWAYS;
    dc.src = src;
    dc.src_len = len;
    REQUIRE_OK(t, sim_dmadev_config(s, ch, &dc));
    ht_units_t u = {ch, 100 + prng_below(&r, len / width - 200)};
    REQUIRE_OK(t, sim_wait_until(s, ht_units_done, &u, 2000000));
    CHECK_EQ(t, HalFlushAdapterBuffers(a, hb.mdl, g.base, va, (ULONG)len, FALSE), FALSE);
    hal_map_info_t info;
    REQUIRE_EQ(t, hal_dma_last_map(a, &info), 0);
    sim_dmadev_stats_t st;
    sim_dmadev_stats(s, ch, &st);
    size_t moved = (size_t)st.transfers * width;
    CHECK_EQ(t, info.residual, len - moved);
    CHECK(t, memcmp(hb.b->va, src, moved) == 0, "ch %u: the %zu moved bytes", ch, moved);
    CHECK(t, memcmp((uint8_t *)hb.b->va + moved, before + moved, len - moved) == 0,
          "ch %u: bytes past the stop changed", ch);
    REQUIRE_OK(t, sim_step(s, 3000)); /* DREQ still up: the masked channel ignores it */
    sim_dmadev_stats_t st2;
    sim_dmadev_stats(s, ch, &st2);
    CHECK_EQ(t, st2.transfers, st.transfers);
    REQUIRE_OK(t, sim_dmadev_stop(s, ch));
    test_log(t, "ch %u: stopped after %zu of %zu bytes", ch, moved, len);
    free(before);
    free(src);
    ht_buf_free(s, &hb);
    hd_close(s, a);
  }
  hal_machine_destroy(m);
  /* a machine whose flush waits for terminal count */
  hc.flush_wait_cycles = 2000000;
  sim_t *s2;
  hal_machine_t *m2 = ht_machine(t, &s2, 2, &hc, NULL);
  ULONG nregs;
  ht_grant_t g;
  PDMA_ADAPTER a = hd_open(t, s2, m2, 2, 2 * PAGE_SIZE, 0, &nregs, &g, NULL);
  ht_buf_t hb = ht_buf(t, s2, 3000, 5, HOSTMEM_PLACE_SCATTERED, 1110);
  uint8_t sink[3000];
  memset(sink, 0, sizeof sink);
  PVOID va = MmGetMdlVirtualAddress(hb.mdl);
  ULONG l = 3000;
  (void)HalMapTransfer(a, hb.mdl, g.base, va, &l, TRUE);
  sim_dmadev_cfg_t dc;
  memset(&dc, 0, sizeof dc);
  dc.mode = SIM_DREQ_ALWAYS;
  dc.sink = sink;
  dc.sink_len = sizeof sink;
  REQUIRE_OK(t, sim_dmadev_config(s2, 2, &dc));
  CHECK_EQ(t, HalFlushAdapterBuffers(a, hb.mdl, g.base, va, 3000, TRUE), TRUE);
  CHECK(t, memcmp(sink, hb.b->va, sizeof sink) == 0, "device bytes after a waiting flush");
  REQUIRE_OK(t, sim_dmadev_stop(s2, 2));
  ht_buf_free(s2, &hb);
  hd_close(s2, a);
  hal_machine_destroy(m2);
}

/* seeded memory latency and AXI backpressure only change the timing: every byte still right,
 * short transfers still measured exactly */
static void memory_latency_and_backpressure(test_ctx_t *t) {
  sim_t *s;
  prng_t r;
  hal_machine_t *m = hd_machine(t, &s, &r, 12);
  REQUIRE_OK(t, sim_axi_set_latency(s, 1 + (unsigned)prng_below(&r, 12),
                                    1 + (unsigned)prng_below(&r, 12)));
  for (int ch = 0; ch < SIM_AXI_NCHAN; ch++)
    REQUIRE_OK(t, sim_axi_pause_random(s, (sim_axi_chan_t)ch, 10 + (unsigned)prng_below(&r, 40)));
  static const unsigned chans[] = {1, 2, 5, 6};
  for (unsigned c = 0; c < 4; c++) {
    unsigned ch = chans[c];
    int word = ch >= 4;
    ULONG nregs;
    ht_grant_t g;
    PDMA_ADAPTER a = hd_open(t, s, m, ch, 3 * PAGE_SIZE, (int)(c & 1), &nregs, &g, NULL);
    for (int dir = 0; dir <= 1; dir++) {
      size_t off = (size_t)prng_below(&r, PAGE_SIZE) & (word ? ~(size_t)1 : ~(size_t)0);
      ht_buf_t hb = ht_buf(t, s, 2 * PAGE_SIZE, off, places[prng_below(&r, NPLACES)],
                           1200 + 10 * c + (uint64_t)dir);
      ht_xfer_t x = {0};
      x.ch = ch;
      x.len = 2 * PAGE_SIZE;
      x.write_to_device = dir;
      if (c & 1) { /* demand mode: a device that stops early */
        x.dreq = SIM_DREQ_COUNT;
        x.count = 1 + (unsigned)prng_below(&r, (unsigned)(x.len / (word ? 2 : 1)) - 1);
        x.expect_short = 1;
      }
      ht_run(t, s, a, &hb, g.base, &x, 1250 + 10 * c + (uint64_t)dir);
      ht_buf_free(s, &hb);
    }
    hd_close(s, a);
  }
  hal_machine_destroy(m);
}

/* ---- AllocateAdapterChannel queueing ------------------------------------------------------ */

/* Two devices on channels 1 and 2 share a pool of 20 map registers: the second asks for 17
 * while the first holds 17 and is queued (STATUS_SUCCESS, AdapterControl not yet run); a third
 * asking for 2 -- which would fit -- waits behind it (first come, first served). Freeing the
 * first channel runs the second's AdapterControl, then the third's, in that order. */
static void queueing_shared_map_registers(test_ctx_t *t) {
  hal_machine_config_t hc;
  hal_machine_config_default(&hc);
  hc.map_register_pages = 20;
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 2, &hc, NULL);
  uint64_t order = 0;
  PDEVICE_OBJECT d1, d2, d3;
  ULONG n1, n2, n3;
  PDMA_ADAPTER a1 = ht_adapter(t, m, &d1, 1, 65536, 0, &n1);
  PDMA_ADAPTER a2 = ht_adapter(t, m, &d2, 2, 65536, 0, &n2);
  PDMA_ADAPTER a3 = ht_adapter(t, m, &d3, 3, PAGE_SIZE, 0, &n3);
  CHECK_EQ(t, n1, 17u);
  CHECK_EQ(t, n2, 17u);
  CHECK_EQ(t, n3, 2u);
  ht_grant_t g1 = {.order_counter = &order}, g2 = {.order_counter = &order},
             g3 = {.order_counter = &order};
  REQUIRE_EQ(t, ht_allocate(s, a1, d1, 17, &g1), STATUS_SUCCESS);
  CHECK_EQ(t, g1.calls, 1);
  CHECK_EQ(t, hal_pool_free_pages(m), 3u);
  REQUIRE_EQ(t, ht_allocate(s, a2, d2, 17, &g2), STATUS_SUCCESS);
  CHECK_EQ(t, g2.calls, 0);
  REQUIRE_EQ(t, ht_allocate(s, a3, d3, 2, &g3), STATUS_SUCCESS);
  CHECK_EQ(t, g3.calls, 0);
  CHECK_EQ(t, hal_waiting_requests(m), 2u);
  /* the first device moves data meanwhile */
  ht_buf_t hb = ht_buf(t, s, 3000, 77, HOSTMEM_PLACE_SCATTERED, 10);
  ht_xfer_t x = {0};
  x.ch = 1;
  x.len = 3000;
  ht_run(t, s, a1, &hb, g1.base, &x, 11);
  ht_free_channel(s, a1);
  CHECK_EQ(t, g2.calls, 1);
  CHECK_EQ(t, g3.calls, 1);
  CHECK(t, g2.order == 2 && g3.order == 3, "served out of order: %llu %llu",
        (unsigned long long)g2.order, (unsigned long long)g3.order);
  CHECK_EQ(t, g2.irql, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, hal_waiting_requests(m), 0u);
  /* both move data with what they were given */
  ht_xfer_t y = {0};
  y.ch = 2;
  y.len = 3000;
  y.write_to_device = 1;
  ht_run(t, s, a2, &hb, g2.base, &y, 12);
  ht_xfer_t z = {0};
  z.ch = 3;
  z.len = 3000;
  ht_run(t, s, a3, &hb, g3.base, &z, 13);
  ht_free_channel(s, a2);
  ht_free_channel(s, a3);
  CHECK_EQ(t, hal_pool_free_pages(m), 20u);
  ht_buf_free(s, &hb);
  HalPutDmaAdapter(a1);
  HalPutDmaAdapter(a2);
  HalPutDmaAdapter(a3);
  hal_machine_destroy(m);
}

/* Two devices on the same channel: the second waits for the channel although map registers
 * are free, and gets it when the first frees it */
static void queueing_same_channel(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 2, NULL, NULL);
  PDEVICE_OBJECT d1, d2;
  PDMA_ADAPTER a1 = ht_adapter(t, m, &d1, 6, 8192, 0, NULL);
  PDMA_ADAPTER a2 = ht_adapter(t, m, &d2, 6, 8192, 0, NULL);
  uint64_t order = 0;
  ht_grant_t g1 = {.order_counter = &order}, g2 = {.order_counter = &order};
  REQUIRE_EQ(t, ht_allocate(s, a1, d1, 3, &g1), STATUS_SUCCESS);
  REQUIRE_EQ(t, ht_allocate(s, a2, d2, 3, &g2), STATUS_SUCCESS);
  CHECK_EQ(t, g1.calls, 1);
  CHECK_EQ(t, g2.calls, 0);
  CHECK_EQ(t, hal_waiting_requests(m), 1u);
  ht_buf_t hb = ht_buf(t, s, 8192, 10, HOSTMEM_PLACE_MIXED, 14);
  ht_xfer_t x = {0};
  x.ch = 6;
  x.len = 8000;
  ht_run(t, s, a1, &hb, g1.base, &x, 15);
  ht_free_channel(s, a1);
  CHECK_EQ(t, g2.calls, 1);
  ht_xfer_t y = {0};
  y.ch = 6;
  y.len = 8000;
  y.write_to_device = 1;
  ht_run(t, s, a2, &hb, g2.base, &y, 16);
  ht_free_channel(s, a2);
  ht_buf_free(s, &hb);
  HalPutDmaAdapter(a1);
  HalPutDmaAdapter(a2);
  hal_machine_destroy(m);
}

/* IO_ALLOCATION_ACTION honoured: DeallocateObject frees channel and registers on return;
 * DeallocateObjectKeepRegisters frees the channel and keeps the registers until
 * FreeMapRegisters; KeepObject keeps both until FreeAdapterChannel */
static void allocation_actions(test_ctx_t *t) {
  sim_t *s;
  hal_machine_t *m = ht_machine(t, &s, 2, NULL, NULL);
  unsigned pool = hal_pool_pages(m);
  PDEVICE_OBJECT d1, d2;
  ULONG n;
  PDMA_ADAPTER a1 = ht_adapter(t, m, &d1, 2, 8 * PAGE_SIZE, 0, &n);
  PDMA_ADAPTER a2 = ht_adapter(t, m, &d2, 2, 8 * PAGE_SIZE, 0, NULL);
  ht_grant_t g = {.action = DeallocateObject};
  REQUIRE_EQ(t, ht_allocate(s, a1, d1, 5, &g), STATUS_SUCCESS);
  CHECK_EQ(t, g.calls, 1);
  CHECK(t, g.base != NULL, "no MapRegisterBase");
  CHECK_EQ(t, hal_pool_free_pages(m), pool);
  /* the channel is free again: the other device on channel 2 gets it at once */
  ht_grant_t g2 = {0};
  REQUIRE_EQ(t, ht_allocate(s, a2, d2, 2, &g2), STATUS_SUCCESS);
  CHECK_EQ(t, g2.calls, 1);
  CHECK_EQ(t, hal_pool_free_pages(m), pool - 2);
  ht_free_channel(s, a2);
  CHECK_EQ(t, hal_pool_free_pages(m), pool);
  /* keep the registers, give back the channel */
  ht_grant_t g3 = {.action = DeallocateObjectKeepRegisters};
  REQUIRE_EQ(t, ht_allocate(s, a1, d1, 4, &g3), STATUS_SUCCESS);
  CHECK_EQ(t, g3.calls, 1);
  CHECK_EQ(t, hal_pool_free_pages(m), pool - 4);
  ht_grant_t g4 = {0};
  REQUIRE_EQ(t, ht_allocate(s, a2, d2, 1, &g4), STATUS_SUCCESS);
  CHECK_EQ(t, g4.calls, 1); /* channel free although a1 still holds registers */
  CHECK_EQ(t, hal_pool_free_pages(m), pool - 5);
  ht_free_channel(s, a2);
  CHECK_EQ(t, hal_pool_free_pages(m), pool - 4);
  ht_free_registers(s, a1, g3.base, 4);
  CHECK_EQ(t, hal_pool_free_pages(m), pool);
  HalPutDmaAdapter(a1);
  HalPutDmaAdapter(a2);
  hal_machine_destroy(m);
}

/* Two simulations, each with its own machine, stepped interleaved: the same transfers give the
 * same bytes and neither sees the other's adapters, channels or map registers */
static void two_machines_independent(test_ctx_t *t) {
  sim_t *s1, *s2;
  hal_machine_t *m1 = ht_machine(t, &s1, 2, NULL, NULL);
  hal_machine_t *m2 = ht_machine(t, &s2, 2, NULL, NULL);
  PDEVICE_OBJECT d1, d2;
  ULONG n1, n2;
  PDMA_ADAPTER a1 = ht_adapter(t, m1, &d1, 1, 8192, 0, &n1);
  PDMA_ADAPTER a2 = ht_adapter(t, m2, &d2, 1, 8192, 0, &n2);
  ht_grant_t g1 = {0}, g2 = {0};
  REQUIRE_EQ(t, ht_allocate(s1, a1, d1, n1, &g1), STATUS_SUCCESS);
  REQUIRE_EQ(t, ht_allocate(s2, a2, d2, n2, &g2), STATUS_SUCCESS);
  CHECK_EQ(t, g1.calls, 1);
  CHECK_EQ(t, g2.calls, 1); /* channel 1 of one machine does not block the other's */
  CHECK(t, hal_device_machine(d1) == m1 && hal_device_machine(d2) == m2, "device machines");
  for (int i = 0; i < 3; i++) {
    ht_buf_t b1 = ht_buf(t, s1, 5000, 100, HOSTMEM_PLACE_SCATTERED, 20 + (uint64_t)i);
    ht_buf_t b2 = ht_buf(t, s2, 5000, 100, HOSTMEM_PLACE_SCATTERED, 20 + (uint64_t)i);
    ht_xfer_t x1 = {0}, x2 = {0};
    x1.ch = x2.ch = 1;
    x1.len = x2.len = 5000;
    x1.write_to_device = x2.write_to_device = i & 1;
    ht_run(t, s1, a1, &b1, g1.base, &x1, 30 + (uint64_t)i);
    ht_run(t, s2, a2, &b2, g2.base, &x2, 30 + (uint64_t)i);
    CHECK(t, memcmp(b1.b->va, b2.b->va, 5000) == 0, "the two machines disagree");
    ht_buf_free(s1, &b1);
    ht_buf_free(s2, &b2);
  }
  ht_free_channel(s1, a1);
  ht_free_channel(s2, a2);
  HalPutDmaAdapter(a1);
  HalPutDmaAdapter(a2);
  hal_machine_destroy(m1);
  hal_machine_destroy(m2);
}

static const test_def_t hal_dma_tests[] = {
    {"byte_channels_every_placement", byte_channels_every_placement, TEST_F_RANDOM, 40000000,
     "channels 1, 2 single mode: scattered/contiguous/above 16 MiB/mixed buffers, odd offsets, "
     "both directions; bytes, bounce-or-direct and the programmed 8237 address checked"},
    {"word_channels_every_placement", word_channels_every_placement, TEST_F_RANDOM, 40000000,
     "channels 5, 6 single mode, every placement, even offsets/lengths, both directions"},
    {"demand_mode_every_placement", demand_mode_every_placement, TEST_F_RANDOM, 40000000,
     "DEVICE_DESCRIPTION_VERSION2 DemandMode on channels 2 and 6, every placement"},
    {"demand_mode_needs_version2", demand_mode_needs_version2, 0, 10000000,
     "DemandMode programs demand mode (faster than single) only with VERSION2, as documented"},
    {"lengths_one_to_max", lengths_one_to_max, TEST_F_RANDOM, 80000000,
     "1 byte to 64 KiB (byte channel) and 2 bytes to 128 KiB (word channel), 17/33 registers"},
    {"boundary_crossings", boundary_crossings, 0, 20000000,
     "a contiguous run across a 64 KiB boundary bounces on a byte channel, only across 128 KiB "
     "on a word channel; inside one page it goes direct"},
    {"split_transfers", split_transfers, TEST_F_RANDOM, 40000000,
     "a request larger than the map registers split by advancing CurrentVa by Length (demand mode)"},
    {"short_transfer_reported", short_transfer_reported, TEST_F_RANDOM, 20000000,
     "a device that stops early: Flush stops the channel, returns FALSE, residual right, only "
     "the moved bytes copied back"},
    {"read_dma_counter_follows", read_dma_counter_follows, 0, 30000000,
     "ReadDmaCounter: 64 KiB before the first transfer, fewer while running, 0 at TC"},
    {"flush_stops_running_transfer", flush_stops_running_transfer, TEST_F_RANDOM, 10000000,
     "Flush on a running transfer stops it: FALSE, exact residual, only moved bytes; with "
     "flush_wait_cycles it waits for TC"},
    {"memory_latency_and_backpressure", memory_latency_and_backpressure, TEST_F_RANDOM, 20000000,
     "seeded AXI latency and backpressure: bytes and residuals still exact on channels 1, 2, 5, 6"},
    {"queueing_shared_map_registers", queueing_shared_map_registers, 0, 5000000,
     "two devices sharing 20 map registers: the second is queued, a third waits behind it (FIFO); "
     "FreeAdapterChannel runs their AdapterControl in order"},
    {"queueing_same_channel", queueing_same_channel, 0, 5000000,
     "two devices on channel 6: the second waits for the channel, then moves data"},
    {"allocation_actions", allocation_actions, 0, 1000000,
     "KeepObject, DeallocateObject, DeallocateObjectKeepRegisters honoured"},
    {"two_machines_independent", two_machines_independent, 0, 5000000,
     "two simulations with their own machines share no HAL state"},
};
TEST_SUITE(hal_dma);
