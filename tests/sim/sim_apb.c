/* Harness tests: the APB master against the real soc_top (docs/harness.md). */
#include "sim_test_util.h"

/* Addresses outside every block (contract section 3) and holes inside soc_ctrl / I/O. */
static const uint32_t unmapped[] = {
    0x00040000u,                 /* just past the I/O window */
    0x0FFFFFFCu, 0x10001000u,    /* either side of soc_ctrl */
    0x10010084u, 0x10010FFCu,    /* HBA offsets without a register */
    0x20000000u, 0xFFFFFFFCu,    /* far away */
    CTRL(0x020u), CTRL(0xFFCu),  /* soc_ctrl offsets without a register */
    4u * 0x100u, 4u * 0xC1u,     /* I/O port with nothing behind it; odd port in 0xC0-0xDF */
};

static void pslverr_unmapped(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_SCRATCH), 0x5A5AA5A5u, 4));
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_IRQ_ENABLE), 0x100u, 4));
  uint8_t page = 0;
  REQUIRE_OK(t, sim_outb(s, 0x81, 0x3C));
  for (size_t i = 0; i < sizeof unmapped / sizeof unmapped[0]; i++) {
    uint32_t v = 0x12345678u;
    uint64_t n0 = sim_apb_count(s);
    CHECK_EQ(t, sim_apb_write(s, unmapped[i], 0xFFFFFFFFu, 4), SIM_E_SLVERR);
    CHECK_EQ(t, sim_apb_read(s, unmapped[i], 4, &v), SIM_E_SLVERR);
    CHECK_EQ(t, sim_apb_write(s, unmapped[i] | 2u, 0xFFFFu, 2), SIM_E_SLVERR);
    CHECK_EQ(t, sim_apb_count(s) - n0, 3);  /* a PSLVERR is a completed transaction */
    CHECK_EQ(t, sim_apb_last_wait_states(s), 1);
  }
  /* a write to the I/O window without lane 0 carries no port data: PSLVERR */
  CHECK_EQ(t, sim_apb_write_strb(s, 4u * 0x81u, 0xFFFFFF00u, 0xE), SIM_E_SLVERR);
  /* no side effects anywhere */
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_SCRATCH), 4, &v));
  CHECK_EQ(t, v, 0x5A5AA5A5u);
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_ENABLE), 4, &v));
  CHECK_EQ(t, v, 0x100u);
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_IRQ_STATUS), 4, &v));
  CHECK_EQ(t, v, 0u);
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_TIMER), 4, &v));
  CHECK_EQ(t, v, 0u);
  REQUIRE_OK(t, sim_inb(s, 0x81, &page));
  CHECK_EQ(t, page, 0x3C);
  CHECK_EQ(t, sim_irq_line(s, 0), 0);
  /* PSLVERR is a bus answer, not a harness error */
  CHECK_EQ(t, sim_error_count(s), 0);
}

static void one_wait_state(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  uint32_t v = 0;
  for (int i = 0; i < 8; i++) {
    uint64_t c0 = sim_cycle(s), n0 = sim_apb_count(s);
    if (i & 1) REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_ID), 4, &v));
    else REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_SCRATCH), (uint32_t)i, 4));
    /* setup + one access cycle with PREADY low + the completing access cycle */
    CHECK_EQ(t, sim_cycle(s) - c0, 3);
    CHECK_EQ(t, sim_apb_last_wait_states(s), 1);
    CHECK_EQ(t, sim_apb_count(s) - n0, 1);
    /* the request is sampled by the edge of the first access cycle */
    CHECK_EQ(t, sim_apb_last_req_cycle(s), c0 + 2);
  }
  CHECK_EQ(t, v, SOC_CTRL_ID_RESET);
  /* I/O ports take the same single wait state */
  uint64_t c0 = sim_cycle(s);
  uint8_t b = 0;
  REQUIRE_OK(t, sim_inb(s, 0x87, &b));
  CHECK_EQ(t, sim_cycle(s) - c0, 3);
  CHECK_EQ(t, sim_apb_last_wait_states(s), 1);
  CHECK_EQ(t, sim_time_ps(s), sim_cycle(s) * 20000u);  /* 50 MHz: 20 ns per cycle */
}

static void access_during_reset_refused(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);  /* a new sim sits in reset until sim_reset */
  uint32_t v = 0xDEADBEEFu;
  uint8_t b = 0x77;
  CHECK(t, sim_in_reset(s), "a new sim starts in reset");
  uint64_t c0 = sim_cycle(s);
  CHECK_EQ(t, sim_apb_write(s, CTRL(SOC_CTRL_SCRATCH), 1, 4), SIM_E_RESET);
  CHECK_EQ(t, sim_apb_read(s, CTRL(SOC_CTRL_ID), 4, &v), SIM_E_RESET);
  CHECK_EQ(t, sim_outb(s, 0x81, 1), SIM_E_RESET);
  CHECK_EQ(t, sim_inb(s, 0x81, &b), SIM_E_RESET);
  CHECK_EQ(t, sim_apb_count(s), 0);     /* refused, not lost inside the bus */
  CHECK_EQ(t, sim_cycle(s), c0);        /* and no time passed */
  REQUIRE_OK(t, sim_reset(s, 3));
  CHECK(t, !sim_in_reset(s), "out of reset");
  CHECK_EQ(t, sim_cycle(s), c0 + 3);
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_SCRATCH), 4, &v));
  CHECK_EQ(t, v, 0u);                   /* the refused write never happened */
  REQUIRE_OK(t, sim_apb_write(s, CTRL(SOC_CTRL_SCRATCH), 0xCAFEu, 4));
  /* a second reset clears the register again */
  REQUIRE_OK(t, sim_reset(s, 1));
  REQUIRE_OK(t, sim_apb_read(s, CTRL(SOC_CTRL_SCRATCH), 4, &v));
  CHECK_EQ(t, v, 0u);
  CHECK_EQ(t, sim_reset(s, 0), SIM_E_ARG);
}

static void scratch_byte_strobes(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  const uint32_t a = CTRL(SOC_CTRL_SCRATCH);
  uint32_t v = 0;
  REQUIRE_OK(t, sim_apb_write(s, a, 0x11223344u, 4));
  REQUIRE_OK(t, sim_apb_write(s, a + 1, 0xAB, 1));          /* byte lane 1 */
  REQUIRE_OK(t, sim_apb_read(s, a, 4, &v));
  CHECK_EQ(t, v, 0x1122AB44u);
  REQUIRE_OK(t, sim_apb_write(s, a + 3, 0xCD, 1));          /* byte lane 3 */
  REQUIRE_OK(t, sim_apb_write(s, a + 2, 0xBEEF, 2));        /* lanes 2-3 */
  REQUIRE_OK(t, sim_apb_read(s, a, 4, &v));
  CHECK_EQ(t, v, 0xBEEFAB44u);
  REQUIRE_OK(t, sim_apb_write(s, a, 0x0102, 2));            /* lanes 0-1 */
  REQUIRE_OK(t, sim_apb_read(s, a, 4, &v));
  CHECK_EQ(t, v, 0xBEEF0102u);
  REQUIRE_OK(t, sim_apb_write_strb(s, a, 0xA0B0C0D0u, 0x9)); /* lanes 0 and 3 */
  REQUIRE_OK(t, sim_apb_read(s, a, 4, &v));
  CHECK_EQ(t, v, 0xA0EF01D0u);
  REQUIRE_OK(t, sim_apb_write_strb(s, a, 0xFFFFFFFFu, 0x0)); /* no lanes: nothing */
  REQUIRE_OK(t, sim_apb_read(s, a, 4, &v));
  CHECK_EQ(t, v, 0xA0EF01D0u);
  /* narrow reads return the addressed lanes in the low bits */
  for (unsigned i = 0; i < 4; i++) {
    REQUIRE_OK(t, sim_apb_read(s, a + i, 1, &v));
    CHECK_EQ(t, v, (0xA0EF01D0u >> (8 * i)) & 0xFFu);
  }
  REQUIRE_OK(t, sim_apb_read(s, a + 2, 2, &v));
  CHECK_EQ(t, v, 0xA0EFu);
  /* misaligned or odd sizes are refused before the bus */
  CHECK_EQ(t, sim_apb_write(s, a + 1, 0, 2), SIM_E_ARG);
  CHECK_EQ(t, sim_apb_write(s, a, 0, 3), SIM_E_ARG);
  CHECK_EQ(t, sim_apb_read(s, a + 2, 4, &v), SIM_E_ARG);
  CHECK_EQ(t, sim_apb_write_strb(s, a, 0, 0x10), SIM_E_ARG);
}

static void io_ports_byte_lane(test_ctx_t *t) {
  sim_t *s = st_sim(t, NULL);
  prng_t r;
  prng_seed(&r, test_seed(t), 77);
  static const uint16_t pages[] = {0x81, 0x82, 0x83, 0x87, 0x89, 0x8A, 0x8B, 0x8F};
  uint8_t want[8];
  for (int i = 0; i < 8; i++) {
    want[i] = (uint8_t)prng_next(&r);
    REQUIRE_OK(t, sim_outb(s, pages[i], want[i]));
  }
  for (int i = 0; i < 8; i++) {
    uint8_t b = 0;
    uint32_t w = 0;
    REQUIRE_OK(t, sim_inb(s, pages[i], &b));
    CHECK_EQ(t, b, want[i]);
    /* the same port as a 32-bit APB word: data in bits [7:0], the rest zero */
    REQUIRE_OK(t, sim_apb_read(s, 4u * pages[i], 4, &w));
    CHECK_EQ(t, w, want[i]);
  }
}

static void timeout_recorded(test_ctx_t *t) {
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.apb_timeout = 0;  /* no wait state allowed: soc_top's one wait state times out */
  sim_t *s = st_sim(t, &cfg);
  uint32_t v = 0;
  uint64_t c0 = sim_cycle(s);
  CHECK_EQ(t, sim_apb_read(s, CTRL(SOC_CTRL_ID), 4, &v), SIM_E_TIMEOUT);
  CHECK_EQ(t, sim_cycle(s) - c0, 2);   /* setup + the one access cycle it waited */
  CHECK_EQ(t, sim_error_count(s), 1);
  CHECK(t, st_first_error_has(s, "no PREADY"), "error text: %s", sim_error_text(s, 0));
  CHECK_EQ(t, sim_apb_count(s), 0);
  /* the sim has failed until the error is acknowledged */
  CHECK_EQ(t, sim_step(s, 1), SIM_E_FAILED);
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1);
  REQUIRE_OK(t, sim_step(s, 2));
}

static const test_def_t sim_apb_tests[] = {
    {"pslverr_unmapped", pslverr_unmapped, 0, 20000,
     "unmapped APB addresses (several regions, reads and writes) answer PSLVERR and change nothing"},
    {"one_wait_state", one_wait_state, 0, 5000,
     "every APB access takes setup + one wait state + completion: 3 cycles"},
    {"access_during_reset_refused", access_during_reset_refused, 0, 5000,
     "APB accesses while rst_ni is low return SIM_E_RESET and never reach the bus"},
    {"scratch_byte_strobes", scratch_byte_strobes, 0, 5000,
     "byte/halfword writes and PSTRB merge into SCRATCH; narrow reads return the addressed lanes"},
    {"io_ports_byte_lane", io_ports_byte_lane, TEST_F_RANDOM, 5000,
     "sim_outb/sim_inb reach the page registers through the I/O window at 4*port"},
    {"timeout_recorded", timeout_recorded, 0, 5000,
     "an access without PREADY in apb_timeout cycles returns SIM_E_TIMEOUT and records an error"},
};
TEST_SUITE(sim_apb);
