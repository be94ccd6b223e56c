// The Verilated soc_top behind the C API of model.h: the only C++ in the harness.
//
// Each model owns its VerilatedContext, so two simulations in one process never share
// Verilator state (time, random seed, trace). Verilator's randomised initial state
// (randReset 2) is seeded from the test seed before Vsoc_top is constructed: the constructor
// draws every initial value from the context's seed, so the same seed gives the same state.
//
// The file is compiled once per model variant (docs/harness.md "Model variants"): MODEL_CHAN
// is the soc_top HbaDmaChan the variant was Verilated with, and selects the generated class
// (Verilator --prefix) and the name of the exported operations table.
#include "model.h"

#include <cstdio>
#include <cstring>
#include <new>

#ifndef MODEL_CHAN
#define MODEL_CHAN 5
#endif
#if MODEL_CHAN == 5
#include "Vsoc_top.h"
#define MODEL_CLASS Vsoc_top
#define MODEL_OPS model_ops_ch5
#define MODEL_NAME "ch5"
#elif MODEL_CHAN == 1
#include "Vsoc_top_ch1.h"
#define MODEL_CLASS Vsoc_top_ch1
#define MODEL_OPS model_ops_ch1
#define MODEL_NAME "ch1"
#else
#error "no model variant for this MODEL_CHAN"
#endif
#include "verilated.h"
#include "verilated_fst_c.h"

namespace {

// one per variant translation unit (anonymous namespace: no clash between the variants)
struct impl {
  model_t base;  // first: a model_t * is an impl *
  VerilatedContext *ctx;
  MODEL_CLASS *top;
  VerilatedFstC *fst;
  bool dumped;
  uint64_t last_time;
};

impl *as_impl(model_t *m) { return reinterpret_cast<impl *>(m); }
const impl *as_impl(const model_t *m) { return reinterpret_cast<const impl *>(m); }

}  // namespace

// splitmix64 step: spreads a 64-bit test seed over Verilator's 31-bit positive seed
static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static void v_destroy(model_t *mm);

static model_t *v_create(uint64_t seed, const char *trace_path, char *err, size_t errlen) {
  impl *m = new (std::nothrow) impl;
  if (!m) {
    if (err && errlen) std::snprintf(err, errlen, "out of memory");
    return nullptr;
  }
  m->base.ops = &MODEL_OPS;
  m->ctx = nullptr;
  m->top = nullptr;
  m->fst = nullptr;
  m->dumped = false;
  m->last_time = 0;
  try {
    m->ctx = new VerilatedContext;
    m->ctx->debug(0);
    m->ctx->fatalOnError(false);
    m->ctx->randReset(2);
    // 0 would mean "seed from the clock": never pass it
    int vseed = static_cast<int>(mix64(seed ^ 0x5645524cull) & 0x7fffffffull);
    if (vseed == 0) vseed = 1;
    m->ctx->randSeed(vseed);
    if (trace_path) m->ctx->traceEverOn(true);
    m->top = new MODEL_CLASS(m->ctx, "TOP");
    if (trace_path) {
      m->fst = new VerilatedFstC;
      m->top->trace(m->fst, 99);
      m->fst->open(trace_path);
      if (!m->fst->isOpen()) {
        if (err && errlen) std::snprintf(err, errlen, "cannot open trace file %s", trace_path);
        v_destroy(&m->base);
        return nullptr;
      }
    }
  } catch (const std::exception &e) {
    if (err && errlen) std::snprintf(err, errlen, "model: %s", e.what());
    v_destroy(&m->base);
    return nullptr;
  }
  return &m->base;
}

static void v_destroy(model_t *mm) {
  if (!mm) return;
  impl *m = as_impl(mm);
  if (m->top) m->top->final();
  if (m->fst) {
    m->fst->close();
    delete m->fst;
  }
  delete m->top;
  delete m->ctx;
  delete m;
}

static void v_eval(model_t *mm, soc_pins_t *p, uint64_t time_ps) {
  impl *m = as_impl(mm);
  MODEL_CLASS *t = m->top;
  m->ctx->time(time_ps);
  t->clk_i = p->clk_i;
  t->rst_ni = p->rst_ni;
  t->apb_psel_i = p->apb_psel_i;
  t->apb_penable_i = p->apb_penable_i;
  t->apb_pwrite_i = p->apb_pwrite_i;
  t->apb_paddr_i = p->apb_paddr_i;
  t->apb_pprot_i = p->apb_pprot_i & 7u;
  t->apb_pwdata_i = p->apb_pwdata_i;
  t->apb_pstrb_i = p->apb_pstrb_i & 15u;
  t->axi_awready_i = p->axi_awready_i;
  t->axi_wready_i = p->axi_wready_i;
  t->axi_bid_i = p->axi_bid_i & 15u;
  t->axi_bresp_i = p->axi_bresp_i & 3u;
  t->axi_bvalid_i = p->axi_bvalid_i;
  t->axi_arready_i = p->axi_arready_i;
  t->axi_rid_i = p->axi_rid_i & 15u;
  t->axi_rdata_i = p->axi_rdata_i;
  t->axi_rresp_i = p->axi_rresp_i & 3u;
  t->axi_rlast_i = p->axi_rlast_i;
  t->axi_rvalid_i = p->axi_rvalid_i;
  t->dma_dreq_i = p->dma_dreq_i;
  t->dma_eop_i = p->dma_eop_i;
  for (int w = 0; w < 4; w++)
    t->dma_data_i[w] = static_cast<uint32_t>(p->dma_data_i[2 * w]) |
                       static_cast<uint32_t>(p->dma_data_i[2 * w + 1]) << 16;
  t->scsi_tgt_i = p->scsi_tgt_i & 0x3FFFFu;

  t->eval();

  p->apb_prdata_o = t->apb_prdata_o;
  p->apb_pready_o = t->apb_pready_o;
  p->apb_pslverr_o = t->apb_pslverr_o;
  p->axi_awid_o = t->axi_awid_o;
  p->axi_awaddr_o = t->axi_awaddr_o;
  p->axi_awlen_o = t->axi_awlen_o;
  p->axi_awsize_o = t->axi_awsize_o;
  p->axi_awburst_o = t->axi_awburst_o;
  p->axi_awvalid_o = t->axi_awvalid_o;
  p->axi_wdata_o = t->axi_wdata_o;
  p->axi_wstrb_o = t->axi_wstrb_o;
  p->axi_wlast_o = t->axi_wlast_o;
  p->axi_wvalid_o = t->axi_wvalid_o;
  p->axi_bready_o = t->axi_bready_o;
  p->axi_arid_o = t->axi_arid_o;
  p->axi_araddr_o = t->axi_araddr_o;
  p->axi_arlen_o = t->axi_arlen_o;
  p->axi_arsize_o = t->axi_arsize_o;
  p->axi_arburst_o = t->axi_arburst_o;
  p->axi_arvalid_o = t->axi_arvalid_o;
  p->axi_rready_o = t->axi_rready_o;
  p->irq_o = t->irq_o;
  p->dma_dack_o = t->dma_dack_o;
  p->dma_tc_o = t->dma_tc_o;
  p->dma_ior_no = t->dma_ior_no;
  p->dma_iow_no = t->dma_iow_no;
  p->dma_data_o = t->dma_data_o;
  p->scsi_hba_o = t->scsi_hba_o;
  p->scsi_bus_o = t->scsi_bus_o;
}

static void v_dump(model_t *mm, uint64_t time_ps) {
  impl *m = as_impl(mm);
  if (!m->fst) return;
  // FST needs increasing time: a second dump at a time already written (the final dump at
  // destroy after the last edge) has nothing new to record
  if (m->dumped && time_ps <= m->last_time) return;
  m->dumped = true;
  m->last_time = time_ps;
  m->fst->dump(time_ps);
}

static int v_tracing(const model_t *m) { return as_impl(m)->fst != nullptr; }

static void v_flush(model_t *mm) {
  impl *m = as_impl(mm);
  if (m->fst) m->fst->flush();
}

extern "C" const model_ops_t MODEL_OPS = {MODEL_NAME, MODEL_CHAN, v_create, v_destroy, v_eval,
                                          v_dump, v_tracing, v_flush};
