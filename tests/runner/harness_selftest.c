/* Tests of the test framework itself (tests/harness/test.c, main.c), linked with the fake sim
 * of tests/runner/fakesim and run by tests/runner/run.sh, which checks what each one prints
 * and its exit status. Several are meant to fail: the framework's failure paths are what is
 * tested. Not part of hbasim_tests (the suite line below is indented so that the Makefile's
 * suite list, which takes TEST_SUITE( at the start of a line, does not pick it up). */
#include "test.h"

static void pass_no_sim(test_ctx_t *t) {
  CHECK(t, test_seed(t) > 0, "seed %llu", (unsigned long long)test_seed(t));
  CHECK_EQ(t, 3u, 3);
  test_log(t, "no sim, seed %llu", (unsigned long long)test_seed(t));
}

static void pass_two_sims(test_ctx_t *t) {
  sim_t *a = test_sim(t, NULL);
  sim_config_t cfg;
  sim_config_default(&cfg);
  cfg.seed = 99;
  sim_t *b = test_sim(t, &cfg);
  REQUIRE_OK(t, sim_step(a, 100));
  REQUIRE_OK(t, sim_step(b, 250));
  CHECK_EQ(t, sim_seed(a), test_seed(t));
  CHECK_EQ(t, sim_seed(b), 99);
  CHECK_EQ(t, sim_max_cycles(a), 5000);
  test_log(t, "two sims stepped");
}

static void check_continues(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  sim_step(s, 10);
  int x = -1;
  CHECK_EQ(t, x, 0);
  CHECK(t, x > 0, "x is %d", x);
  test_log(t, "still running after two CHECKs");
}

static void require_stops(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  sim_step(s, 77);
  REQUIRE_EQ(t, sim_cycle(s), 78);
  test_log(t, "not reached");
}

static void require_ok_names_status(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  REQUIRE_OK(t, sim_step(s, 5000));
  test_log(t, "not reached");
}

static void unexpected_error_fails(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  sim_step(s, 3);
  sim_error(s, "planted W before AW");
  sim_step(s, 3);
}

static void expected_error_passes(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  sim_step(s, 3);
  sim_error(s, "planted W before AW");
  CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1);
  CHECK_EQ(t, sim_error_count(s), 0);
}

static void early_destroy(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  sim_step(s, 40);
  test_sim_destroy(t, s);
  s = test_sim(t, NULL);
  sim_step(s, 2);
}

static void random_seed(test_ctx_t *t) {
  sim_t *s = test_sim(t, NULL);
  CHECK_EQ(t, sim_seed(s), test_seed(t));
  test_log(t, "seed %llu", (unsigned long long)test_seed(t));
}

static const test_def_t fw_tests[] = {
    {"pass_no_sim", pass_no_sim, 0, 0, "passes without a sim"},
    {"pass_two_sims", pass_two_sims, 0, 5000, "two sims: seeds, bound, cycles added up"},
    {"check_continues", check_continues, 0, 0, "CHECK failures are counted, the test goes on"},
    {"require_stops", require_stops, 0, 0, "REQUIRE_EQ ends the test at once"},
    {"require_ok_names_status", require_ok_names_status, 0, 1000, "max_cycles -> SIM_E_FAILED"},
    {"unexpected_error_fails", unexpected_error_fails, 0, 0, "a recorded error fails the test"},
    {"expected_error_passes", expected_error_passes, 0, 0, "TEST_EXPECT_ERRORS clears errors"},
    {"early_destroy", early_destroy, 0, 0, "test_sim_destroy keeps the cycles"},
    {"random_seed", random_seed, TEST_F_RANDOM, 0, "the sim gets the test's seed"},
};
  TEST_SUITE(fw);
