/* AXI4 protocol checker on the pins of soc_top's AXI port (IHI 0022), run at every edge from
 * the pre-edge sample. It checks both sides: the RTL master (AR, AW, W, BREADY, RREADY) and
 * the harness slave (R, B).
 *
 *  - a VALID, once high, stays high with its payload stable until the handshake (A3.2.1);
 *  - bursts: no reserved burst type, no size wider than the 32-bit bus, INCR bursts never
 *    cross a 4 KiB boundary (A3.4.1), WRAP lengths 2/4/8/16 with an aligned address;
 *  - W: WLAST exactly on the last beat of the burst its AW announced; W beats ahead of their
 *    AW are allowed (AXI permits it) but bounded (CHK_EARLY_W_MAX);
 *  - B only for a write whose AW and all W beats were seen, with that write's ID;
 *  - R only for an outstanding read of that ID, RLAST exactly on its last beat: no lost or
 *    duplicated beats.
 * Each violation is one sim_error() naming the cycle and the channel. All work per edge is
 * O(1) (fixed-size rings).
 *
 * sim_axi_checker_selftest_plant() corrupts the checker's view of the next matching
 * transaction (not the pins), so a test can show each check fires. */
#include <string.h>

#include "sim_internal.h"

#define BURST_INCR 1u
#define BURST_WRAP 2u

static void ring_push(chk_ring_t *r, uint16_t v) {
  if (r->n == CHK_RING) return;
  r->v[(r->head + r->n) % CHK_RING] = v;
  r->n++;
}

static uint16_t ring_pop(chk_ring_t *r) {
  uint16_t v = r->v[r->head];
  r->head = (r->head + 1) % CHK_RING;
  r->n--;
  return v;
}

void axi_checker_reset(sim_t *s) {
  int plant = s->chk.plant;
  memset(&s->chk, 0, sizeof s->chk);
  s->chk.plant = plant;
}

int sim_axi_checker_selftest_plant(sim_t *s, int kind) {
  if (!s || kind <= 0 || kind >= SIM_AXI_PLANT_NKINDS) return SIM_E_ARG;
  s->chk.plant = kind;
  return SIM_OK;
}

int sim_axi_checker_plant_pending(const sim_t *s) { return s ? s->chk.plant : 0; }

/* burst legality of an AR or AW */
static void check_burst(sim_t *s, const char *ch, uint32_t addr, unsigned len, unsigned size,
                        unsigned burst) {
  if (burst == 3) {
    sim_error(s, "AXI %s: reserved burst type 3 (addr 0x%08x)", ch, addr);
    return;
  }
  if (size > 2) {
    sim_error(s, "AXI %s: size %u (%u bytes) is wider than the 32-bit data bus", ch, size,
              1u << size);
    return;
  }
  uint64_t bytes = 1ull << size;
  uint64_t total = bytes * (len + 1ull);
  if (burst == BURST_INCR) {
    uint64_t first = addr & ~(bytes - 1);
    uint64_t last = first + total - 1;
    if ((first >> 12) != (last >> 12))
      sim_error(s, "AXI %s: INCR burst at 0x%08x, len %u, size %u crosses a 4 KiB boundary",
                ch, addr, len + 1, (unsigned)bytes);
  } else if (burst == BURST_WRAP) {
    if (len != 1 && len != 3 && len != 7 && len != 15)
      sim_error(s, "AXI %s: WRAP burst of %u beats (must be 2, 4, 8 or 16)", ch, len + 1);
    else if (addr & (bytes - 1))
      sim_error(s, "AXI %s: WRAP burst at unaligned address 0x%08x", ch, addr);
  }
}

/* a VALID that was stalled at the previous edge: still high, same payload */
#define STALL_CHECK(name, was, valid, same)                                                  \
  do {                                                                                      \
    if (was) {                                                                              \
      if (!(valid))                                                                         \
        sim_error(s, "AXI %s: %sVALID dropped before its handshake", name, name);           \
      else if (!(same))                                                                     \
        sim_error(s, "AXI %s: payload changed while %sVALID waited for %sREADY", name,      \
                  name, name);                                                              \
    }                                                                                       \
  } while (0)

void axi_checker_edge(sim_t *s) {
  axi_checker_t *c = &s->chk;
  const soc_pins_t *q = &s->pre;

  /* the checker's view: the pins, unless a planted violation alters it */
  uint8_t arvalid = q->axi_arvalid_o, awvalid = q->axi_awvalid_o, wvalid = q->axi_wvalid_o;
  uint32_t araddr = q->axi_araddr_o, awaddr = q->axi_awaddr_o, wdata = q->axi_wdata_o;
  uint8_t wlast = q->axi_wlast_o, awlen = q->axi_awlen_o, arlen = q->axi_arlen_o;
  uint8_t awsize = q->axi_awsize_o, arsize = q->axi_arsize_o;
  int aw_hs = q->axi_awvalid_o && q->axi_awready_i;
  int ar_hs = q->axi_arvalid_o && q->axi_arready_i;
  int w_hs = q->axi_wvalid_o && q->axi_wready_i;
  int r_hs = q->axi_rvalid_i && q->axi_rready_o;
  int b_hs = q->axi_bvalid_i && q->axi_bready_o;
  int r_times = r_hs;
  uint32_t ar_caddr = araddr, aw_caddr = awaddr;   /* what the burst checks see */
  unsigned ar_clen = arlen, aw_clen = awlen;

  if (c->plant) {
    switch (c->plant) {
      /* a stall at the previous edge: the view at this edge breaks stability */
      case SIM_AXI_PLANT_AR_PAYLOAD:
        if (c->st_ar) { araddr ^= 4u; c->plant = 0; }
        break;
      case SIM_AXI_PLANT_AW_PAYLOAD:
        if (c->st_aw) { awaddr ^= 4u; c->plant = 0; }
        break;
      case SIM_AXI_PLANT_W_PAYLOAD:
        if (c->st_w) { wdata ^= 1u; c->plant = 0; }
        break;
      case SIM_AXI_PLANT_AR_VALID_DROP:
        if (c->st_ar) { arvalid = 0; c->plant = 0; }
        break;
      case SIM_AXI_PLANT_AW_VALID_DROP:
        if (c->st_aw) { awvalid = 0; c->plant = 0; }
        break;
      case SIM_AXI_PLANT_W_VALID_DROP:
        if (c->st_w) { wvalid = 0; c->plant = 0; }
        break;
      case SIM_AXI_PLANT_NO_WLAST:
        if (w_hs && wlast) {
          wlast = 0;
          c->plant = 0;
        }
        break;
      case SIM_AXI_PLANT_EARLY_WLAST:
        if (aw_hs && awlen < 255) {
          awlen++;
          aw_clen = awlen;
          c->plant = 0;
        }
        break;
      case SIM_AXI_PLANT_4K_CROSS:
        if (ar_hs || aw_hs) {
          /* only the burst check sees it: the address seems to sit 4 bytes below a 4 KiB
           * boundary with at least two 4-byte beats */
          uint32_t a = ((ar_hs ? araddr : awaddr) & ~0xFFFu) | 0xFFCu;
          if (ar_hs) { ar_caddr = a; arsize = 2; if (ar_clen == 0) ar_clen = 1; }
          else       { aw_caddr = a; awsize = 2; if (aw_clen == 0) aw_clen = 1; }
          c->plant = 0;
        }
        break;
      case SIM_AXI_PLANT_LOST_AW:
        if (aw_hs) {
          aw_hs = 0;
          c->plant = 0;
        }
        break;
      case SIM_AXI_PLANT_DUP_R:
        if (r_hs) {
          r_times = 2;
          c->plant = 0;
        }
        break;
      default:
        c->plant = 0;
        break;
    }
  }

  /* ---- stability while stalled ---- */
  STALL_CHECK("AR", c->st_ar, arvalid,
              araddr == c->ar_addr && q->axi_arid_o == c->ar_id && q->axi_arlen_o == c->ar_len &&
              q->axi_arsize_o == c->ar_size && q->axi_arburst_o == c->ar_burst);
  STALL_CHECK("AW", c->st_aw, awvalid,
              awaddr == c->aw_addr && q->axi_awid_o == c->aw_id && q->axi_awlen_o == c->aw_len &&
              q->axi_awsize_o == c->aw_size && q->axi_awburst_o == c->aw_burst);
  STALL_CHECK("W", c->st_w, wvalid,
              wdata == c->w_data && q->axi_wstrb_o == c->w_strb && q->axi_wlast_o == c->w_last);
  STALL_CHECK("R", c->st_r, q->axi_rvalid_i,
              q->axi_rdata_i == c->r_data && q->axi_rid_i == c->r_id &&
              q->axi_rresp_i == c->r_resp && q->axi_rlast_i == c->r_last);
  STALL_CHECK("B", c->st_b, q->axi_bvalid_i,
              q->axi_bid_i == c->b_id && q->axi_bresp_i == c->b_resp);

  c->st_ar = q->axi_arvalid_o && !q->axi_arready_i;
  c->ar_addr = q->axi_araddr_o; c->ar_id = q->axi_arid_o; c->ar_len = q->axi_arlen_o;
  c->ar_size = q->axi_arsize_o; c->ar_burst = q->axi_arburst_o;
  c->st_aw = q->axi_awvalid_o && !q->axi_awready_i;
  c->aw_addr = q->axi_awaddr_o; c->aw_id = q->axi_awid_o; c->aw_len = q->axi_awlen_o;
  c->aw_size = q->axi_awsize_o; c->aw_burst = q->axi_awburst_o;
  c->st_w = q->axi_wvalid_o && !q->axi_wready_i;
  c->w_data = q->axi_wdata_o; c->w_strb = q->axi_wstrb_o; c->w_last = q->axi_wlast_o;
  c->st_r = q->axi_rvalid_i && !q->axi_rready_o;
  c->r_data = q->axi_rdata_i; c->r_id = q->axi_rid_i; c->r_resp = q->axi_rresp_i;
  c->r_last = q->axi_rlast_i;
  c->st_b = q->axi_bvalid_i && !q->axi_bready_o;
  c->b_id = q->axi_bid_i; c->b_resp = q->axi_bresp_i;

  /* ---- AR ---- */
  if (ar_hs) {
    check_burst(s, "AR", ar_caddr, ar_clen, arsize, q->axi_arburst_o);
    if (c->rd_n == CHK_RING) {
      if (!c->overflow_reported++) sim_error(s, "AXI AR: more than %u reads outstanding", CHK_RING);
    } else {
      c->rd[(c->rd_head + c->rd_n) % CHK_RING] = (chk_read_t){q->axi_arid_o, arlen, 0};
      c->rd_n++;
    }
  }

  /* ---- AW ---- */
  if (aw_hs) {
    check_burst(s, "AW", aw_caddr, aw_clen, awsize, q->axi_awburst_o);
    ring_push(&c->aw_ids, q->axi_awid_o);
    if (c->w_done.n) {
      /* its W burst came first */
      unsigned beats = ring_pop(&c->w_done);
      c->early_beats -= beats;
      if (beats != awlen + 1u)
        sim_error(s, "AXI W: a burst of %u beats (WLAST) for an AW of %u beats", beats,
                  awlen + 1u);
      ring_push(&c->b_ids, ring_pop(&c->aw_ids));
    } else if (c->wcnt && !c->aw_lens.n) {
      /* its W burst is under way */
      c->early_beats -= c->wcnt;
      if (c->wcnt >= awlen + 1u) {
        sim_error(s, "AXI W: %u beats without WLAST for an AW of %u beats", c->wcnt,
                  awlen + 1u);
        c->wcnt = 0;
        ring_push(&c->b_ids, ring_pop(&c->aw_ids));
      } else {
        ring_push(&c->aw_lens, awlen);
      }
    } else {
      ring_push(&c->aw_lens, awlen);
    }
  }

  /* ---- W ---- */
  if (w_hs) {
    c->wcnt++;
    if (c->aw_lens.n) {
      unsigned beats = c->aw_lens.v[c->aw_lens.head] + 1u;
      if (c->wcnt == beats || wlast) {
        if (c->wcnt == beats && !wlast)
          sim_error(s, "AXI W: WLAST missing on the last beat (beat %u of %u)", c->wcnt, beats);
        else if (c->wcnt != beats)
          sim_error(s, "AXI W: WLAST on beat %u of a %u-beat burst", c->wcnt, beats);
        ring_pop(&c->aw_lens);
        c->wcnt = 0;
        ring_push(&c->b_ids, ring_pop(&c->aw_ids));
      }
    } else {
      /* ahead of its AW: allowed, bounded */
      if (++c->early_beats > CHK_EARLY_W_MAX && !c->overflow_reported++)
        sim_error(s, "AXI W: more than %u W beats without an AW", CHK_EARLY_W_MAX);
      if (wlast) {
        ring_push(&c->w_done, (uint16_t)c->wcnt);
        c->wcnt = 0;
      }
    }
  }

  /* ---- B ---- */
  if (b_hs) {
    if (!c->b_ids.n) {
      sim_error(s, "AXI B: response (id %u) without a complete write (AW and last W beat)",
                q->axi_bid_i);
    } else {
      unsigned id = ring_pop(&c->b_ids);
      if (id != q->axi_bid_i)
        sim_error(s, "AXI B: id %u, but the oldest complete write has id %u", q->axi_bid_i, id);
    }
  }

  /* ---- R ---- */
  for (int k = 0; k < r_times; k++) {
    unsigned i;
    for (i = 0; i < c->rd_n; i++)
      if (c->rd[(c->rd_head + i) % CHK_RING].id == q->axi_rid_i) break;
    if (i == c->rd_n) {
      sim_error(s, "AXI R: beat (id %u) without an outstanding read", q->axi_rid_i);
      continue;
    }
    chk_read_t *r = &c->rd[(c->rd_head + i) % CHK_RING];
    r->beats++;
    unsigned beats = r->len + 1u;
    int done = 0;
    if (r->beats == beats && !q->axi_rlast_i) {
      sim_error(s, "AXI R: RLAST missing on the last beat (beat %u of %u)", r->beats, beats);
      done = 1;
    } else if (q->axi_rlast_i && r->beats != beats) {
      sim_error(s, "AXI R: RLAST on beat %u of a %u-beat burst", r->beats, beats);
      done = 1;
    } else if (r->beats == beats) {
      done = 1;
    }
    if (done) {
      /* remove entry i, keeping the order of the others */
      for (unsigned j = i; j + 1 < c->rd_n; j++)
        c->rd[(c->rd_head + j) % CHK_RING] = c->rd[(c->rd_head + j + 1) % CHK_RING];
      c->rd_n--;
    }
  }
}
