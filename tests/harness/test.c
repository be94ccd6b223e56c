/* hbasim test framework: the per-test context, assertions and the end-of-test sim checks.
 *
 * One test runs per process (main.c). All state of that run lives in the test_ctx_t that
 * test_run creates on its stack and hands to the test function. */
#include "test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REASON_MAX 600

typedef struct test_sim_rec {
  sim_t *sim;
  char *trace;        /* the trace path it was given (owned), or NULL */
} test_sim_rec_t;

struct test_ctx {
  const test_suite_t *suite;
  const test_def_t *def;
  const test_options_t *opt;
  char name[256];               /* SUITE.TEST */
  test_sim_rec_t *sims;         /* live sims, in creation order */
  size_t nsims, cap;
  unsigned sims_created;        /* numbers the trace files */
  uint64_t cycles_done;         /* cycles of sims already destroyed */
  unsigned failures;
  char reason[REASON_MAX];      /* the first failure */
  int waves_on;                 /* some sim writes a trace: close sims before exiting */
};

const char *test_status_name(int status) {
  switch (status) {
    case SIM_OK: return "SIM_OK";
    case SIM_E_SLVERR: return "SIM_E_SLVERR";
    case SIM_E_RESET: return "SIM_E_RESET";
    case SIM_E_TIMEOUT: return "SIM_E_TIMEOUT";
    case SIM_E_ARG: return "SIM_E_ARG";
    case SIM_E_FAILED: return "SIM_E_FAILED";
    case SIM_E_NOMEM: return "SIM_E_NOMEM";
    default: return "unknown status";
  }
}

uint64_t test_seed(test_ctx_t *t) { return t->opt->seed; }

int test_verbose(const test_ctx_t *t) { return t->opt->verbose; }

/* "file:line: cycle N: " (the cycle of the most recently created live sim, when there is one) */
static void where(const test_ctx_t *t, const char *file, int line, char *buf, size_t len) {
  if (t->nsims)
    snprintf(buf, len, "%s:%d: cycle %" PRIu64 ": ", file, line,
             sim_cycle(t->sims[t->nsims - 1].sim));
  else
    snprintf(buf, len, "%s:%d: ", file, line);
}

/* Records one failure: prints it and keeps the first as the reason of the FAIL line. */
static void record_failure(test_ctx_t *t, const char *msg) {
  printf("%s\n", msg);
  fflush(stdout);
  if (t->failures++ == 0) {
    size_t n = strlen(msg);
    if (n >= sizeof t->reason) n = sizeof t->reason - 1;
    memcpy(t->reason, msg, n);
    t->reason[n] = 0;
  }
}

static void vfail(test_ctx_t *t, const char *file, int line, const char *what, const char *fmt,
                  va_list ap) {
  char pre[512], detail[REASON_MAX], msg[2 * REASON_MAX];
  where(t, file, line, pre, sizeof pre);
  vsnprintf(detail, sizeof detail, fmt, ap);
  snprintf(msg, sizeof msg, "%s%s failed: %s", pre, what, detail);
  record_failure(t, msg);
}

static uint64_t total_cycles(const test_ctx_t *t) {
  uint64_t c = t->cycles_done;
  for (size_t i = 0; i < t->nsims; i++) c += sim_cycle(t->sims[i].sim);
  return c;
}

static void forget_sim(test_ctx_t *t, size_t i) {
  t->cycles_done += sim_cycle(t->sims[i].sim);
  sim_destroy(t->sims[i].sim);
  free(t->sims[i].trace);
  memmove(&t->sims[i], &t->sims[i + 1], (t->nsims - i - 1) * sizeof t->sims[0]);
  t->nsims--;
}

/* Ends a failed test: the waves are closed (a trace is only readable once its writer is
 * closed), the FAIL line is printed, and the process leaves without running exit handlers
 * (LeakSanitizer would only add noise about what the failed test still held). */
_Noreturn static void finish_failed(test_ctx_t *t) {
  if (t->waves_on) {
    while (t->nsims) forget_sim(t, t->nsims - 1);
  }
  if (t->failures > 1)
    printf("FAIL %s: %s (+%u more failures)\n", t->name, t->reason, t->failures - 1);
  else
    printf("FAIL %s: %s\n", t->name, t->reason);
  fflush(stdout);
  fflush(stderr);
  _exit(1);
}

void test_fail_(test_ctx_t *t, const char *file, int line, const char *what, const char *fmt,
                ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(t, file, line, what, fmt, ap);
  va_end(ap);
}

void test_fatal_(test_ctx_t *t, const char *file, int line, const char *what, const char *fmt,
                 ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(t, file, line, what, fmt, ap);
  va_end(ap);
  finish_failed(t);
}

/* "0x2a (42)"; a value with the top bit set was most likely negative: "0xff..fb (1844... = -5)" */
static void value_text(unsigned long long v, char *buf, size_t len) {
  if (v >> 63)
    snprintf(buf, len, "0x%llx (%llu = %lld)", v, v, (long long)v);
  else
    snprintf(buf, len, "0x%llx (%llu)", v, v);
}

static void fail_eq(test_ctx_t *t, const char *file, int line, const char *what,
                    const char *a_txt, const char *b_txt, unsigned long long a,
                    unsigned long long b) {
  char pre[512], msg[2 * REASON_MAX], av[96], bv[96];
  where(t, file, line, pre, sizeof pre);
  value_text(a, av, sizeof av);
  value_text(b, bv, sizeof bv);
  snprintf(msg, sizeof msg, "%s%s(%s, %s) failed: %s = %s, %s = %s", pre, what, a_txt, b_txt,
           a_txt, av, b_txt, bv);
  record_failure(t, msg);
}

void test_fail_eq_(test_ctx_t *t, const char *file, int line, const char *what,
                   const char *a_txt, const char *b_txt, unsigned long long a,
                   unsigned long long b) {
  fail_eq(t, file, line, what, a_txt, b_txt, a, b);
}

void test_fatal_eq_(test_ctx_t *t, const char *file, int line, const char *what,
                    const char *a_txt, const char *b_txt, unsigned long long a,
                    unsigned long long b) {
  fail_eq(t, file, line, what, a_txt, b_txt, a, b);
  finish_failed(t);
}

void test_fail_status_(test_ctx_t *t, const char *file, int line, const char *expr,
                       int status) {
  char pre[512], msg[2 * REASON_MAX];
  where(t, file, line, pre, sizeof pre);
  snprintf(msg, sizeof msg, "%sREQUIRE_OK(%s) failed: returned %s (%d)", pre, expr,
           test_status_name(status), status);
  record_failure(t, msg);
  /* SIM_E_FAILED means a sim recorded an error (or ran past max_cycles): say which */
  for (size_t i = 0; i < t->nsims; i++) {
    unsigned n = sim_error_count(t->sims[i].sim);
    for (unsigned k = 0; k < n; k++)
      printf("  sim %zu error: %s\n", i + 1, sim_error_text(t->sims[i].sim, k));
  }
  finish_failed(t);
}

void test_log(test_ctx_t *t, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (t->nsims)
    printf("log: cycle %" PRIu64 ": %s\n", sim_cycle(t->sims[t->nsims - 1].sim), msg);
  else
    printf("log: %s\n", msg);
  fflush(stdout);
}

unsigned test_expect_errors_(test_ctx_t *t, sim_t *s, const char *file, int line) {
  unsigned n = sim_error_count(s);
  for (unsigned i = 0; i < n; i++)
    printf("%s:%d: expected sim error: %s\n", file, line, sim_error_text(s, i));
  sim_clear_errors(s);
  (void)t;
  return n;
}

/* "dir/x.fst" + 2 -> "dir/x.2.fst"; "dir/x" + 2 -> "dir/x.2" */
static char *numbered_path(const char *path, unsigned n) {
  size_t len = strlen(path);
  char *out = malloc(len + 16);
  if (!out) return NULL;
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1)) {
    snprintf(out, len + 16, "%s.%u", path, n);
  } else {
    size_t stem = (size_t)(dot - path);
    snprintf(out, len + 16, "%.*s.%u%s", (int)stem, path, n, dot);
  }
  return out;
}

sim_t *test_sim(test_ctx_t *t, const sim_config_t *cfg_or_null) {
  sim_config_t def, cfg;
  sim_config_default(&def);
  cfg = cfg_or_null ? *cfg_or_null : def;
  if (cfg.seed == def.seed) cfg.seed = t->opt->seed;

  uint64_t bound = t->opt->max_cycles_set ? t->opt->max_cycles : t->def->max_cycles;
  if (bound && (cfg.max_cycles == 0 || cfg.max_cycles > bound)) cfg.max_cycles = bound;

  char *trace = NULL;
  unsigned number = ++t->sims_created;
  if (cfg.trace_path) {
    trace = strdup(cfg.trace_path);
  } else if (t->opt->waves) {
    trace = number == 1 ? strdup(t->opt->waves) : numbered_path(t->opt->waves, number);
  }
  if ((cfg.trace_path || t->opt->waves) && !trace)
    test_fatal_(t, __FILE__, __LINE__, "test_sim", "out of memory");
  cfg.trace_path = trace;

  if (t->nsims == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 4;
    test_sim_rec_t *p = realloc(t->sims, cap * sizeof *p);
    if (!p) test_fatal_(t, __FILE__, __LINE__, "test_sim", "out of memory");
    t->sims = p;
    t->cap = cap;
  }
  sim_t *s = sim_create(&cfg);
  if (!s) {
    free(trace);
    test_fatal_(t, __FILE__, __LINE__, "test_sim", "sim_create failed (seed %" PRIu64 ")",
                cfg.seed);
  }
  t->sims[t->nsims].sim = s;
  t->sims[t->nsims].trace = trace;
  t->nsims++;
  if (trace) {
    t->waves_on = 1;
    printf("waves: %s\n", trace);
  }
  if (t->opt->verbose)
    printf("sim %u: seed %" PRIu64 ", max_cycles %" PRIu64 ", clk %" PRIu32 " Hz\n", number,
           cfg.seed, cfg.max_cycles, cfg.clk_hz);
  fflush(stdout);
  return s;
}

/* Unexpected recorded errors of sim i become failures of the test. */
static void check_sim_errors(test_ctx_t *t, size_t i) {
  sim_t *s = t->sims[i].sim;
  unsigned n = sim_error_count(s);
  for (unsigned k = 0; k < n; k++) {
    char msg[2 * REASON_MAX];
    snprintf(msg, sizeof msg, "unexpected sim error: %s", sim_error_text(s, k));
    record_failure(t, msg);
  }
}

void test_sim_destroy(test_ctx_t *t, sim_t *s) {
  for (size_t i = 0; i < t->nsims; i++) {
    if (t->sims[i].sim != s) continue;
    check_sim_errors(t, i);
    forget_sim(t, i);
    return;
  }
  test_fatal_(t, __FILE__, __LINE__, "test_sim_destroy", "not a sim of this test");
}

int test_run(const test_suite_t *suite, const test_def_t *def, const test_options_t *opt) {
  test_ctx_t t;
  memset(&t, 0, sizeof t);
  t.suite = suite;
  t.def = def;
  t.opt = opt;
  snprintf(t.name, sizeof t.name, "%s.%s", suite->name, def->name);

  /* stdout and stderr share the log file the runner captures: keep their lines in order */
  setvbuf(stdout, NULL, _IOLBF, 0);
  setvbuf(stderr, NULL, _IONBF, 0);

  printf("test %s seed %" PRIu64 "\n", t.name, opt->seed);
  if (opt->verbose) printf("desc: %s\n", def->desc ? def->desc : "");
  fflush(stdout);

  def->fn(&t);

  for (size_t i = 0; i < t.nsims; i++) check_sim_errors(&t, i);
  if (t.failures) finish_failed(&t);

  uint64_t cycles = total_cycles(&t);
  while (t.nsims) forget_sim(&t, t.nsims - 1);
  free(t.sims);
  printf("PASS %s (%" PRIu64 " cycles)\n", t.name, cycles);
  fflush(stdout);
  return 0;
}

int test_run_child(void (*fn)(void *ctx), void *ctx, char *out, size_t cap) {
  int fds[2];
  if (!fn || !out || !cap || pipe(fds) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    close(fds[1]);
    fn(ctx);
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  char sink[256];
  for (;;) {
    char *dst = n + 1 < cap ? out + n : sink;
    size_t room = n + 1 < cap ? cap - 1 - n : sizeof sink;
    ssize_t r = read(fds[0], dst, room);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (dst != sink) n += (size_t)r;
  }
  out[n] = '\0';
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}
