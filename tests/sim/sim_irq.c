/* Harness tests: interrupt delivery, IRQL, DPCs and timers, using soc_ctrl's TIMER, which
 * sets IRQ_STATUS.TIMER exactly N cycles after the edge that samples the write (docs/soc.md):
 * irq_o[0] rises at that same edge when IRQ_ENABLE.TIMER is set. */
#include "sim_test_util.h"

typedef struct isr_rec {
  unsigned runs;
  uint64_t entry[16];
  unsigned irql[16];
  int clear_on_run;      /* clear the cause from this run on (1-based); 0 = first run */
  int queue_dpc;
  unsigned dpc_runs;
  uint64_t dpc_cycle;
  unsigned dpc_irql;
  unsigned order[16];    /* 1 = ISR, 2 = DPC, 3.. = timers */
  unsigned norder;
} isr_rec_t;

static void rec_order(isr_rec_t *r, unsigned what) {
  if (r->norder < 16) r->order[r->norder++] = what;
}

static void dpc_fn(sim_t *s, void *ctx) {
  isr_rec_t *r = ctx;
  r->dpc_runs++;
  r->dpc_cycle = sim_cycle(s);
  r->dpc_irql = sim_irql(s);
  rec_order(r, 2);
}

/* reads IRQ_STATUS and acknowledges it through APB (nested accesses inside the ISR) */
static void timer_isr(sim_t *s, unsigned line, void *ctx) {
  isr_rec_t *r = ctx;
  (void)line;
  if (r->runs < 16) {
    r->entry[r->runs] = sim_cycle(s);
    r->irql[r->runs] = sim_irql(s);
  }
  r->runs++;
  rec_order(r, 1);
  if ((int)r->runs >= r->clear_on_run) {
    uint32_t st = 0;
    if (sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &st) == SIM_OK)
      sim_apb_write(s, CTRL(SOC_CTRL_IRQ_STATUS), st, 4);
  }
  if (r->queue_dpc) sim_queue_dpc(s, dpc_fn, r);
}

static void arm_timer(test_ctx_t *t, sim_t *s, uint32_t n) {
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_TIMER), n, 4));
}

static sim_t *irq_sim(test_ctx_t *t, uint32_t latency, isr_rec_t *r) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.irq_entry_latency = latency;
  sim_t *s = st_sim(t, &cfg);
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_ENABLE), SOC_CTRL_IRQ_STATUS_TIMER_MASK, 4));
  REQUIRE_OK(t, sim_irq_connect(s, 0, timer_isr, r));
  return s;
}

static void timer_irq_exact_cycle(test_ctx_t *t) {
  static const uint32_t ns[] = {1, 2, 7, 100, 1000};
  static const uint32_t lats[] = {0, 3};
  for (unsigned li = 0; li < 2; li++) {
    isr_rec_t r;
    memset(&r, 0, sizeof r);
    sim_t *s = irq_sim(t, lats[li], &r);
    for (unsigned i = 0; i < sizeof ns / sizeof ns[0]; i++) {
      unsigned runs0 = r.runs;
      arm_timer(t, s, ns[i]);
      uint64_t e = sim_apb_last_req_cycle(s);
      REQUIRE_OK(t, sim_wait_irq(s, ns[i] + 100));
      CHECK_EQ(t, r.runs, runs0 + 1);
      CHECK_EQ(t, sim_irq_assert_cycle(s, 0), e + ns[i]);
      /* N = 1, 2 rise while the write is still completing (edge e+1) or just after: the ISR
       * is entered at the first preemption point at or after the assertion */
      uint64_t pp = e + ns[i] > e + 1 ? e + ns[i] : e + 1;
      CHECK_EQ(t, sim_irq_last_entry_cycle(s, 0), pp + lats[li]);
      CHECK_EQ(t, r.entry[runs0], pp + lats[li]);
      CHECK_EQ(t, r.irql[runs0], SIM_DIRQL);
      CHECK_EQ(t, sim_irql(s), SIM_PASSIVE_LEVEL);
      CHECK_EQ(t, sim_irq_line(s, 0), 0);  /* the ISR cleared the cause */
    }
    sim_irq_stats_t st;
    sim_irq_stats(s, 0, &st);
    CHECK_EQ(t, st.count, 5);
    CHECK_EQ(t, st.lat_min, lats[li]);             /* N >= 2: entry = assert + latency */
    CHECK_EQ(t, st.lat_max, lats[li]);
    CHECK_EQ(t, st.lat_sum, 5u * lats[li]);
    test_sim_destroy(t, s);
  }
}

/* an interrupt that rises during a sequence of APB reads is taken at the start of the next
 * access, never inside one */
static void taken_before_apb_access(test_ctx_t *t) {
  isr_rec_t r;
  memset(&r, 0, sizeof r);
  sim_t *s = irq_sim(t, 0, &r);
  arm_timer(t, s, 20);
  uint64_t e = sim_apb_last_req_cycle(s);
  uint32_t v;
  for (int i = 0; i < 20 && r.runs == 0; i++) {
    uint64_t c = sim_cycle(s);
    REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_SCRATCH), 4, &v));
    if (r.runs) {
      CHECK_EQ(t, r.entry[0], c);                       /* preemption point: call start */
      CHECK(t, sim_irq_assert_cycle(s, 0) <= c, "asserted before the access began");
      CHECK(t, sim_irq_assert_cycle(s, 0) + 3 > c, "asserted during the previous access");
    }
  }
  CHECK_EQ(t, r.runs, 1);
  CHECK_EQ(t, sim_irq_assert_cycle(s, 0), e + 20);
}

static void irql_masks_interrupts(test_ctx_t *t) {
  isr_rec_t r;
  memset(&r, 0, sizeof r);
  sim_t *s = irq_sim(t, 0, &r);
  /* DISPATCH does not mask device interrupts */
  unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, old, SIM_PASSIVE_LEVEL);
  arm_timer(t, s, 10);
  REQUIRE_OK(t, sim_step(s, 20));
  CHECK_EQ(t, r.runs, 1);
  sim_lower_irql(s, old);
  /* DIRQL does */
  old = sim_raise_irql(s, SIM_DIRQL);
  arm_timer(t, s, 10);
  uint64_t e = sim_apb_last_req_cycle(s);
  REQUIRE_OK(t, sim_step(s, 200));
  CHECK_EQ(t, r.runs, 1);
  CHECK_EQ(t, sim_irq_line(s, 0), 1);
  CHECK_EQ(t, sim_irq_assert_cycle(s, 0), e + 10);
  uint32_t v;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_SCRATCH), 4, &v));  /* no preemption here */
  CHECK_EQ(t, r.runs, 1);
  uint64_t lowered = sim_cycle(s);
  sim_lower_irql(s, old);                     /* the pending ISR runs now */
  CHECK_EQ(t, r.runs, 2);
  CHECK_EQ(t, r.entry[1], lowered);
  CHECK_EQ(t, sim_irq_last_entry_cycle(s, 0), lowered);
  sim_irq_stats_t st;
  sim_irq_stats(s, 0, &st);
  CHECK_EQ(t, st.lat_max, lowered - (e + 10));
  /* raising to a lower IRQL is an API error */
  sim_raise_irql(s, SIM_DIRQL);
  sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1);
  sim_lower_irql(s, SIM_PASSIVE_LEVEL);
  /* a disconnected line is never taken */
  REQUIRE_OK(t, sim_irq_disconnect(s, 0));
  arm_timer(t, s, 5);
  REQUIRE_OK(t, sim_step(s, 20));
  CHECK_EQ(t, r.runs, 2);
  CHECK_EQ(t, sim_irq_line(s, 0), 1);
  CHECK_EQ(t, sim_wait_irq(s, 50), SIM_E_TIMEOUT);
}

/* level-triggered: an ISR that leaves the cause set is taken again at the next cycle */
static void level_retriggers(test_ctx_t *t) {
  isr_rec_t r;
  memset(&r, 0, sizeof r);
  r.clear_on_run = 3;   /* runs 1 and 2 leave IRQ_STATUS set */
  sim_t *s = irq_sim(t, 0, &r);
  arm_timer(t, s, 10);
  uint64_t e = sim_apb_last_req_cycle(s);
  REQUIRE_OK(t, sim_step(s, 30));
  CHECK_EQ(t, r.runs, 3);
  CHECK_EQ(t, r.entry[0], e + 10);
  CHECK_EQ(t, r.entry[1], e + 11);   /* returned at once, line high: next cycle */
  CHECK_EQ(t, r.entry[2], e + 12);
  CHECK_EQ(t, sim_irq_line(s, 0), 0);
  CHECK_EQ(t, sim_irq_assert_cycle(s, 0), e + 10);   /* one rising edge only */
}

static void timer_fn(sim_t *s, void *ctx) {
  isr_rec_t *r = ctx;
  rec_order(r, 3u + (unsigned)(sim_cycle(s) % 1000u));
  r->dpc_irql = sim_irql(s);
}

static void dpc_after_isr_and_timer_order(test_ctx_t *t) {
  isr_rec_t r;
  memset(&r, 0, sizeof r);
  r.queue_dpc = 1;
  sim_t *s = irq_sim(t, 0, &r);
  arm_timer(t, s, 10);
  REQUIRE_OK(t, sim_wait_irq(s, 100));
  CHECK_EQ(t, r.runs, 1);
  CHECK_EQ(t, r.dpc_runs, 1);              /* the ISR's DPC ran when the ISR returned */
  CHECK_EQ(t, r.dpc_irql, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, r.norder, 2);
  CHECK_EQ(t, r.order[0], 1);
  CHECK_EQ(t, r.order[1], 2);

  /* a DPC queued at DISPATCH waits until the IRQL drops */
  unsigned old = sim_raise_irql(s, SIM_DISPATCH_LEVEL);
  REQUIRE_OK(t, sim_queue_dpc(s, dpc_fn, &r));
  REQUIRE_OK(t, sim_step(s, 10));
  CHECK_EQ(t, r.dpc_runs, 1);
  uint64_t c = sim_cycle(s);
  sim_lower_irql(s, old);
  CHECK_EQ(t, r.dpc_runs, 2);
  CHECK_EQ(t, r.dpc_cycle, c);

  /* timers fire in due order at exactly now + delay, at DISPATCH; a cancelled one never */
  memset(&r, 0, sizeof r);
  uint64_t t0 = sim_cycle(s);
  int a = sim_timer_start(s, 30, timer_fn, &r);
  int b = sim_timer_start(s, 10, timer_fn, &r);
  int c2 = sim_timer_start(s, 20, timer_fn, &r);
  int d = sim_timer_start(s, 15, timer_fn, &r);
  CHECK(t, a >= 0 && b >= 0 && c2 >= 0 && d >= 0, "timer ids");
  REQUIRE_OK(t, sim_timer_cancel(s, d));
  CHECK_EQ(t, sim_timer_cancel(s, d), SIM_E_ARG);
  REQUIRE_OK(t, sim_step(s, 40));
  CHECK_EQ(t, r.norder, 3);
  CHECK_EQ(t, r.order[0], 3u + (unsigned)((t0 + 10) % 1000u));
  CHECK_EQ(t, r.order[1], 3u + (unsigned)((t0 + 20) % 1000u));
  CHECK_EQ(t, r.order[2], 3u + (unsigned)((t0 + 30) % 1000u));
  CHECK_EQ(t, r.dpc_irql, SIM_DISPATCH_LEVEL);
  CHECK_EQ(t, sim_timer_cancel(s, a), SIM_E_ARG);   /* already fired */
}

typedef struct cond_ctx {
  uint64_t at;
} cond_ctx_t;

static int reached(sim_t *s, void *ctx) { return sim_cycle(s) >= ((cond_ctx_t *)ctx)->at; }

static void waits_and_bounds(test_ctx_t *t) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.max_cycles = 500;
  sim_t *s = st_sim(t, &cfg);
  cond_ctx_t c = {sim_cycle(s) + 37};
  REQUIRE_OK(t, sim_wait_until(s, reached, &c, 100));
  CHECK_EQ(t, sim_cycle(s), c.at);
  c.at = sim_cycle(s) + 100;
  uint64_t c0 = sim_cycle(s);
  CHECK_EQ(t, sim_wait_until(s, reached, &c, 20), SIM_E_TIMEOUT);
  CHECK_EQ(t, sim_cycle(s) - c0, 20);
  CHECK_EQ(t, sim_wait_irq(s, 10), SIM_E_TIMEOUT);   /* nothing connected */
  /* past max_cycles every call fails */
  CHECK_EQ(t, sim_step(s, 1000), SIM_E_FAILED);
  CHECK_EQ(t, sim_cycle(s), 500);
  uint32_t v;
  CHECK_EQ(t, sim_apb_read(s, CTRL(SOC_CTRL_ID), 4, &v), SIM_E_FAILED);
  CHECK_EQ(t, sim_step(s, 1), SIM_E_FAILED);
  CHECK_EQ(t, sim_cycle(s), 500);
  CHECK(t, st_first_error_has(s, "max_cycles"), "error: %s", sim_error_text(s, 0));
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1);
  CHECK_EQ(t, sim_step(s, 1), SIM_E_FAILED);   /* the bound stays */
}

static const test_def_t sim_irq_tests[] = {
    {"timer_irq_exact_cycle", timer_irq_exact_cycle, 0, 20000,
     "TIMER=N raises irq_o[0] at request edge + N; the ISR enters at the first preemption "
     "point + entry latency; latency stats"},
    {"taken_before_apb_access", taken_before_apb_access, 0, 5000,
     "an interrupt rising during APB accesses is taken at the start of the next access"},
    {"irql_masks_interrupts", irql_masks_interrupts, 0, 5000,
     "at DIRQL no ISR runs until the IRQL is lowered; DISPATCH does not mask; disconnect"},
    {"level_retriggers", level_retriggers, 0, 5000,
     "an ISR that leaves its level-triggered line high is taken again at the next cycle"},
    {"dpc_after_isr_and_timer_order", dpc_after_isr_and_timer_order, 0, 5000,
     "DPCs run at DISPATCH after the ISR / when IRQL drops; timers fire in due order at now+delay"},
    {"waits_and_bounds", waits_and_bounds, 0, 500,
     "sim_wait_until/sim_wait_irq time out at their bound; past max_cycles every call fails"},
};
TEST_SUITE(sim_irq);
