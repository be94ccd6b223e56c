/* hbasim test framework (docs/contracts.md section 8, docs/testing.md).
 *
 * A test is a C function taking a test_ctx_t. Tests are listed in a const table per file and
 * registered with TEST_SUITE:
 *
 *   static void reset_values(test_ctx_t *t) {
 *     sim_t *s = test_sim(t, NULL);          // seeded from --seed, waves from --waves
 *     REQUIRE_OK(t, sim_reset(s, 4));
 *     uint32_t v = 0;
 *     REQUIRE_OK(t, sim_apb_read(s, 0x10000000, 4, &v));
 *     CHECK_EQ(t, v, 0x48425349u);
 *   }
 *   static const test_def_t soc_ctrl_tests[] = {
 *     {"reset_values", reset_values, 0, 100000, "ID and VERSION read their reset values"},
 *   };
 *   TEST_SUITE(soc_ctrl);
 *
 * The Makefile collects every TEST_SUITE(name) under tests/ into suites.def, so a new file
 * needs no registration anywhere else. The full name of a test is SUITE.TEST.
 *
 * CHECK records a failure and lets the test go on; REQUIRE ends the test at once. Every
 * failure message carries file:line and the current cycle of the most recently created sim.
 * At the end of a test every sim created with test_sim is checked: errors it recorded
 * (protocol checkers, stray DMA, model errors) fail the test unless the test called
 * TEST_EXPECT_ERRORS on that sim. The framework destroys those sims; tests must not. */
#ifndef HBASIM_TEST_H
#define HBASIM_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"

typedef struct test_ctx test_ctx_t;
typedef void (*test_fn_t)(test_ctx_t *t);

typedef struct test_def {
  const char *name;     /* the TEST part of SUITE.TEST: [a-z0-9_]+ */
  test_fn_t fn;
  unsigned flags;       /* TEST_F_* */
  uint64_t max_cycles;  /* bound on every sim of the test (0 = none); --max-cycles overrides */
  const char *desc;     /* one line: the behaviour the test shows */
} test_def_t;

#define TEST_F_RANDOM 1u /* the result depends on the seed: the runner reruns it over seeds */

typedef struct test_suite {
  const char *name;
  const test_def_t *tests;
  size_t count;
} test_suite_t;

/* Defines test_suite_<name> from the table <name>_tests[]. */
#define TEST_SUITE(name)                                                                    \
  extern const test_suite_t test_suite_##name;                                              \
  const test_suite_t test_suite_##name = {#name, name##_tests,                              \
                                          sizeof(name##_tests) / sizeof(name##_tests[0])}

/* The seed of this run (--seed, default 1). */
uint64_t test_seed(test_ctx_t *t);

/* A new simulation for this test. cfg NULL means sim_config_default(). The framework fills
 * in: the seed (the test seed, unless cfg->seed differs from the default config's seed),
 * the trace path (--waves FILE for the first sim, FILE with ".2", ".3" ... before its
 * extension for later ones, unless cfg->trace_path is set) and max_cycles (--max-cycles, else
 * the test's max_cycles; a smaller non-zero cfg->max_cycles is kept). Never NULL: a failed
 * sim_create fails the test. */
sim_t *test_sim(test_ctx_t *t, const sim_config_t *cfg_or_null);

/* Checks the sim's recorded errors and destroys it now (instead of at the end). */
void test_sim_destroy(test_ctx_t *t, sim_t *s);

/* A line in the test log ("log: ..."), prefixed with the current cycle when a sim exists. */
void test_log(test_ctx_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs fn(ctx) in a child process (fork) whose stderr is captured: up to cap - 1 bytes into
 * out, NUL-terminated. The child ends with _exit(0) when fn returns. Returns the child's wait
 * status (waitpid), or -1 when the pipe or fork failed. For behaviour that ends a process
 * (a fault a verifier reports before the process dies). */
int test_run_child(void (*fn)(void *ctx), void *ctx, char *out, size_t cap);

/* Non-zero when the test runs with -v (tests may log more). */
int test_verbose(const test_ctx_t *t);

/* The name of a sim_status_t value ("SIM_E_TIMEOUT"), or "status N" for unknown values. */
const char *test_status_name(int status);

/* ---- assertions --------------------------------------------------------------------------- */

#define CHECK(t, cond, ...)                                                                 \
  do {                                                                                      \
    if (!(cond)) test_fail_(t, __FILE__, __LINE__, "CHECK(" #cond ")", __VA_ARGS__);        \
  } while (0)

#define REQUIRE(t, cond, ...)                                                               \
  do {                                                                                      \
    if (!(cond)) test_fatal_(t, __FILE__, __LINE__, "REQUIRE(" #cond ")", __VA_ARGS__);     \
  } while (0)

/* Both sides are evaluated once and compared as unsigned long long; a failure prints both in
 * hex and decimal. */
#define CHECK_EQ(t, a, b)                                                                   \
  do {                                                                                      \
    unsigned long long test_a_ = (unsigned long long)(a);                                   \
    unsigned long long test_b_ = (unsigned long long)(b);                                   \
    if (test_a_ != test_b_)                                                                 \
      test_fail_eq_(t, __FILE__, __LINE__, "CHECK_EQ", #a, #b, test_a_, test_b_);           \
  } while (0)

#define REQUIRE_EQ(t, a, b)                                                                 \
  do {                                                                                      \
    unsigned long long test_a_ = (unsigned long long)(a);                                   \
    unsigned long long test_b_ = (unsigned long long)(b);                                   \
    if (test_a_ != test_b_)                                                                 \
      test_fatal_eq_(t, __FILE__, __LINE__, "REQUIRE_EQ", #a, #b, test_a_, test_b_);       \
  } while (0)

/* expr must return SIM_OK; otherwise the test ends, naming the status. */
#define REQUIRE_OK(t, expr)                                                                 \
  do {                                                                                      \
    int test_rc_ = (int)(expr);                                                             \
    if (test_rc_ != SIM_OK) test_fail_status_(t, __FILE__, __LINE__, #expr, test_rc_);     \
  } while (0)

/* The errors recorded so far by sim are expected (a test that plants a violation): they are
 * logged and cleared. Evaluates to how many there were, so a test can check the count:
 *   CHECK_EQ(t, TEST_EXPECT_ERRORS(t, s), 1u); */
#define TEST_EXPECT_ERRORS(t, sim) test_expect_errors_(t, sim, __FILE__, __LINE__)

/* ---- implementation of the macros (not for direct use) ----------------------------------- */
void test_fail_(test_ctx_t *t, const char *file, int line, const char *what, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
_Noreturn void test_fatal_(test_ctx_t *t, const char *file, int line, const char *what,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void test_fail_eq_(test_ctx_t *t, const char *file, int line, const char *what,
                   const char *a_txt, const char *b_txt, unsigned long long a,
                   unsigned long long b);
_Noreturn void test_fatal_eq_(test_ctx_t *t, const char *file, int line, const char *what,
                              const char *a_txt, const char *b_txt, unsigned long long a,
                              unsigned long long b);
_Noreturn void test_fail_status_(test_ctx_t *t, const char *file, int line, const char *expr,
                                 int status);
unsigned test_expect_errors_(test_ctx_t *t, sim_t *s, const char *file, int line);

/* ---- used by main.c ----------------------------------------------------------------------- */
typedef struct test_options {
  uint64_t seed;         /* --seed, default 1 */
  const char *waves;     /* --waves FILE or NULL */
  uint64_t max_cycles;   /* --max-cycles, valid when max_cycles_set */
  int max_cycles_set;
  int verbose;           /* -v */
} test_options_t;

/* Runs one test in this process and prints its first and last lines. Returns the exit code
 * (0 pass); a failing test ends the process with _exit(1) and never returns. */
int test_run(const test_suite_t *suite, const test_def_t *def, const test_options_t *opt);

#endif
