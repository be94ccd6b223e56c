/* AXI4 memory slave (AMBA AXI protocol specification IHI 0022) over the host memory model.
 *
 * In order: reads are answered in AR order, writes take W data and answer B in AW order.
 * Up to AXI_QDEPTH reads and AXI_QDEPTH writes may be outstanding; AWREADY/ARREADY drop when
 * the queue is full. WREADY is offered only once the AW of the burst has been taken (the
 * slave may wait for the address before taking data, IHI 0022 A3.3).
 *
 * Timing: a read burst's first R beat is offered read_lat cycles after its AR handshake at
 * the earliest, a write's B write_lat cycles after its last W beat. Each channel has a
 * swappable pause function: while it returns non-zero the slave holds that channel's READY
 * (AR, AW, W) low, or does not raise VALID (R, B); a VALID already raised stays high until
 * its handshake, as the protocol requires.
 *
 * Every beat goes through hostmem_dma_access() (the IOMMU-style DMA verifier) and then
 * hostmem_read/hostmem_write; writes honour WSTRB. A beat touching an injected error range
 * answers SLVERR/DECERR and is not performed; a beat outside host memory answers DECERR. */
#include <string.h>

#include "sim_internal.h"

#define BURST_FIXED 0u
#define BURST_INCR 1u
#define BURST_WRAP 2u

static int pause_random(void *ctx, uint64_t cycle);

void axi_slave_init(sim_t *s) {
  axi_slave_t *a = &s->axi;
  memset(a, 0, sizeof *a);
  for (unsigned c = 0; c < SIM_AXI_NCHAN; c++)
    prng_seed(&a->rp[c].rng, s->cfg.seed, SIM_STREAM_AXI_PAUSE + c);
}

void axi_slave_reset(sim_t *s) {
  axi_slave_t *a = &s->axi;
  a->rq_head = a->rq_n = 0;
  a->wq_head = a->wq_n = 0;
  a->r_presented = 0;
  soc_pins_t *p = &s->pins;
  p->axi_awready_i = p->axi_wready_i = p->axi_arready_i = 0;
  p->axi_bvalid_i = p->axi_rvalid_i = p->axi_rlast_i = 0;
  p->axi_bid_i = p->axi_bresp_i = p->axi_rid_i = p->axi_rresp_i = 0;
  p->axi_rdata_i = 0;
}

static inline int paused(sim_t *s, sim_axi_chan_t ch) {
  axi_slave_t *a = &s->axi;
  return a->pause[ch] ? a->pause[ch](a->pause_ctx[ch], s->cycle) != 0 : 0;
}

/* address of beat n of a burst (IHI 0022 A3.4.1) */
static uint64_t beat_addr(const axi_burst_t *b, unsigned n) {
  uint64_t bytes = 1ull << b->size;
  uint64_t start = b->addr;
  if (b->burst == BURST_FIXED || n == 0) return start;
  uint64_t aligned = start & ~(bytes - 1);
  uint64_t a = aligned + n * bytes;
  if (b->burst == BURST_WRAP) {
    uint64_t total = bytes * ((uint64_t)b->len + 1);
    uint64_t lower = start & ~(total - 1);
    if (a >= lower + total) a -= total;
  }
  return a;
}

static uint8_t injected(const axi_slave_t *a, uint64_t lo, uint64_t len, int is_write) {
  for (unsigned i = 0; i < a->ninj; i++) {
    const axi_inject_t *e = &a->inj[i];
    if (is_write ? !e->on_write : !e->on_read) continue;
    if (lo < e->hi && lo + len > e->lo) return e->resp;
  }
  return SIM_AXI_OKAY;
}

static void dma_access_checked(sim_t *s, uint64_t pa, size_t len, int is_write) {
  size_t before = hostmem_dma_violations(s->mem);
  if (hostmem_dma_access(s->mem, pa, len, is_write) != 0) {
    size_t n = hostmem_dma_violations(s->mem);
    const char *txt = n > before ? hostmem_dma_violation_text(s->mem, n - 1) : NULL;
    sim_error(s, "AXI %s of %zu bytes at PA 0x%llx: stray DMA (%s)", is_write ? "write" : "read",
              len, (unsigned long long)pa, txt ? txt : "outside the mapped pages");
  }
}

/* the R beat at the head of the read queue: data from memory (or an error response) */
static void present_r(sim_t *s) {
  axi_slave_t *a = &s->axi;
  axi_burst_t *b = &a->rq[a->rq_head];
  uint64_t bytes = 1ull << b->size;
  uint64_t pa = beat_addr(b, b->beat) & ~(bytes - 1);
  uint32_t data = 0;
  uint8_t resp = injected(a, pa, bytes, 0);
  if (resp == SIM_AXI_OKAY && pa + bytes > hostmem_size(s->mem)) {
    resp = SIM_AXI_DECERR;
    sim_error(s, "AXI read beat at 0x%llx: outside host memory (%llu bytes)",
              (unsigned long long)pa, (unsigned long long)hostmem_size(s->mem));
  }
  if (resp == SIM_AXI_OKAY) {
    uint8_t buf[4] = {0, 0, 0, 0};
    dma_access_checked(s, pa, (size_t)bytes, 0);
    hostmem_read(s->mem, pa, buf + (pa & 3u), (size_t)bytes);
    data = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
           (uint32_t)buf[3] << 24;
  } else {
    a->stats.errors++;
  }
  a->r_data = data;
  a->r_resp = resp;
  a->r_last = (uint8_t)(b->beat == b->len);
  a->r_presented = 1;
}

void axi_slave_drive(sim_t *s) {
  axi_slave_t *a = &s->axi;
  soc_pins_t *p = &s->pins;

  p->axi_arready_i = (uint8_t)(a->rq_n < AXI_QDEPTH && !paused(s, SIM_AXI_AR));
  p->axi_awready_i = (uint8_t)(a->wq_n < AXI_QDEPTH && !paused(s, SIM_AXI_AW));

  /* W: the oldest write whose data is not complete */
  int wtarget = 0;
  for (unsigned i = 0; i < a->wq_n; i++)
    if (!a->wq[(a->wq_head + i) % AXI_QDEPTH].data_done) {
      wtarget = 1;
      break;
    }
  int wp = paused(s, SIM_AXI_W);
  p->axi_wready_i = (uint8_t)(wtarget && !wp);

  /* R */
  if (!p->axi_rvalid_i) {
    int rp = paused(s, SIM_AXI_R);
    if (a->rq_n && s->cycle >= a->rq[a->rq_head].ready_at && !rp) {
      if (!a->r_presented) present_r(s);
      axi_burst_t *b = &a->rq[a->rq_head];
      p->axi_rvalid_i = 1;
      p->axi_rid_i = b->id;
      p->axi_rdata_i = a->r_data;
      p->axi_rresp_i = a->r_resp;
      p->axi_rlast_i = a->r_last;
    }
  }

  /* B */
  if (!p->axi_bvalid_i) {
    int bp = paused(s, SIM_AXI_B);
    if (a->wq_n) {
      axi_burst_t *b = &a->wq[a->wq_head];
      if (b->data_done && s->cycle >= b->ready_at && !bp) {
        p->axi_bvalid_i = 1;
        p->axi_bid_i = b->id;
        p->axi_bresp_i = b->resp;
      }
    }
  }
}

static void write_beat(sim_t *s, axi_burst_t *b, uint32_t data, uint8_t strb) {
  axi_slave_t *a = &s->axi;
  uint64_t word = beat_addr(b, b->beat) & ~3ull;
  if (strb == 0) return;  /* a beat without strobes writes nothing */
  unsigned lo = (unsigned)__builtin_ctz(strb), hi = 31u - (unsigned)__builtin_clz(strb);
  uint64_t pa = word + lo;
  size_t len = hi - lo + 1;
  uint8_t resp = injected(a, pa, len, 1);
  if (resp == SIM_AXI_OKAY && word + hi + 1 > hostmem_size(s->mem)) {
    resp = SIM_AXI_DECERR;
    sim_error(s, "AXI write beat at 0x%llx: outside host memory (%llu bytes)",
              (unsigned long long)pa, (unsigned long long)hostmem_size(s->mem));
  }
  if (resp != SIM_AXI_OKAY) {
    a->stats.errors++;
    if (resp > b->resp) b->resp = resp;
    return;
  }
  dma_access_checked(s, pa, len, 1);
  uint8_t bytes[4] = {(uint8_t)data, (uint8_t)(data >> 8), (uint8_t)(data >> 16),
                      (uint8_t)(data >> 24)};
  if (((strb >> lo) & ((1u << len) - 1u)) == (1u << len) - 1u) {
    hostmem_write(s->mem, pa, bytes + lo, len);
  } else {
    for (unsigned i = lo; i <= hi; i++)
      if (strb >> i & 1u) hostmem_write(s->mem, word + i, bytes + i, 1);
  }
}

void axi_slave_edge(sim_t *s) {
  axi_slave_t *a = &s->axi;
  const soc_pins_t *q = &s->pre;
  soc_pins_t *p = &s->pins;

  /* AR */
  if (q->axi_arvalid_o && q->axi_arready_i && a->rq_n < AXI_QDEPTH) {
    axi_burst_t *b = &a->rq[(a->rq_head + a->rq_n) % AXI_QDEPTH];
    memset(b, 0, sizeof *b);
    b->addr = q->axi_araddr_o;
    b->id = q->axi_arid_o;
    b->len = q->axi_arlen_o;
    b->size = q->axi_arsize_o > 2 ? 2 : q->axi_arsize_o;
    b->burst = q->axi_arburst_o;
    b->ready_at = s->cycle + a->read_lat;
    a->rq_n++;
    a->stats.ar++;
  }
  /* AW */
  if (q->axi_awvalid_o && q->axi_awready_i && a->wq_n < AXI_QDEPTH) {
    axi_burst_t *b = &a->wq[(a->wq_head + a->wq_n) % AXI_QDEPTH];
    memset(b, 0, sizeof *b);
    b->addr = q->axi_awaddr_o;
    b->id = q->axi_awid_o;
    b->len = q->axi_awlen_o;
    b->size = q->axi_awsize_o > 2 ? 2 : q->axi_awsize_o;
    b->burst = q->axi_awburst_o;
    a->wq_n++;
    a->stats.aw++;
  }
  /* W (the AW taken at this same edge cannot have been offered WREADY yet) */
  if (q->axi_wvalid_o && q->axi_wready_i) {
    for (unsigned i = 0; i < a->wq_n; i++) {
      axi_burst_t *b = &a->wq[(a->wq_head + i) % AXI_QDEPTH];
      if (b->data_done) continue;
      write_beat(s, b, q->axi_wdata_o, q->axi_wstrb_o);
      a->stats.w_beats++;
      if (b->beat == b->len || q->axi_wlast_o) {
        /* the burst ends at its last beat; a WLAST elsewhere is the checker's to report */
        b->data_done = 1;
        b->ready_at = s->cycle + a->write_lat;
      } else {
        b->beat++;
      }
      break;
    }
  }
  /* R */
  if (q->axi_rvalid_i && q->axi_rready_o) {
    axi_burst_t *b = &a->rq[a->rq_head];
    a->stats.r_beats++;
    a->r_presented = 0;
    if (b->beat == b->len) {
      a->rq_head = (a->rq_head + 1) % AXI_QDEPTH;
      a->rq_n--;
    } else {
      b->beat++;
    }
    p->axi_rvalid_i = 0;
    p->axi_rlast_i = 0;
  }
  /* B */
  if (q->axi_bvalid_i && q->axi_bready_o) {
    a->wq_head = (a->wq_head + 1) % AXI_QDEPTH;
    a->wq_n--;
    a->stats.b++;
    p->axi_bvalid_i = 0;
  }
}

/* ---- configuration ---------------------------------------------------------------------- */

int sim_axi_set_latency(sim_t *s, unsigned read_cycles, unsigned write_cycles) {
  if (!s) return SIM_E_ARG;
  s->axi.read_lat = read_cycles;
  s->axi.write_lat = write_cycles;
  return SIM_OK;
}

int sim_axi_set_pause(sim_t *s, sim_axi_chan_t ch, sim_pause_fn fn, void *ctx) {
  if (!s || (unsigned)ch >= SIM_AXI_NCHAN) return SIM_E_ARG;
  s->axi.pause[ch] = fn;
  s->axi.pause_ctx[ch] = ctx;
  return SIM_OK;
}

/* the seeded random pause: ctx is the channel's axi_rand_pause_t */
static int pause_random(void *ctx, uint64_t cycle) {
  (void)cycle;
  axi_rand_pause_t *r = ctx;
  return prng_below(&r->rng, 100) < r->pct;
}

int sim_axi_pause_random(sim_t *s, sim_axi_chan_t ch, unsigned percent) {
  if (!s || (unsigned)ch >= SIM_AXI_NCHAN || percent > 100) return SIM_E_ARG;
  if (percent == 0) return sim_axi_set_pause(s, ch, NULL, NULL);
  s->axi.rp[ch].pct = percent;
  s->axi.pause[ch] = pause_random;
  s->axi.pause_ctx[ch] = &s->axi.rp[ch];
  return SIM_OK;
}

int sim_axi_inject_error(sim_t *s, uint64_t lo, uint64_t hi, int resp, int on_read,
                         int on_write) {
  if (!s || hi <= lo || (resp != SIM_AXI_SLVERR && resp != SIM_AXI_DECERR)) return SIM_E_ARG;
  axi_slave_t *a = &s->axi;
  if (a->ninj == AXI_MAX_INJECT) return SIM_E_NOMEM;
  a->inj[a->ninj++] = (axi_inject_t){lo, hi, (uint8_t)resp, (uint8_t)(on_read != 0),
                                     (uint8_t)(on_write != 0)};
  return SIM_OK;
}

void sim_axi_clear_errors_injected(sim_t *s) {
  if (s) s->axi.ninj = 0;
}

void sim_axi_stats(const sim_t *s, sim_axi_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (s) *out = s->axi.stats;
}
