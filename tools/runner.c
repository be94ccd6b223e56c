/* runner: the hbasim regression runner (docs/testing.md, docs/contracts.md section 8).
 *
 *   runner --bin build/san/hbasim_tests [-j N] [--filter GLOB[,GLOB...]] [--seed N]
 *          [--reseed N] [--timeout SEC] [--max-cycles N] [--results DIR]
 *          [--launcher 'CMD ARGS'] [--list] [-q]
 *
 * Lists the tests of the binary, then runs each selected (test, seed) in its own process
 * group, at most N at a time, optionally through a launcher command (srun, ssh ...). Each
 * run's output goes to DIR/logs/<name>.<seed>.log; the results go to DIR/junit.xml. The last
 * line printed is "N passed, N failed". Exit 0 iff nothing failed and at least one test ran;
 * 1 on failures; 2 on usage errors.
 *
 * Seeds: a test runs with the base seed (--seed, default 1). With --reseed N, each random test
 * runs N times: with the base seed, then with N-1 seeds derived from the base seed and the
 * test's full name (derive_seed below; the formula is documented in docs/testing.md).
 *
 * POSIX only: fork, exec, pselect, waitpid, kill. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the Makefile passes it; strsignal, getline, dprintf are POSIX.1-2008 */
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_LINES 40         /* log lines in a JUnit <failure> */
#define REASON_MAX 512
#define TERM_GRACE_S 3.0      /* SIGTERM, then SIGKILL this long after a timeout */

/* The only mutable file-scope state: set by the SIGINT/SIGTERM handler (a signal handler
 * cannot be given a context pointer). */
static volatile sig_atomic_t interrupted_signal;

typedef struct options {
  const char *bin;
  char **launcher;       /* words prepended to each test command, NULL-terminated */
  size_t nlauncher;
  unsigned jobs;
  char **filters;        /* globs; "!glob" excludes */
  size_t nfilters;
  uint64_t seed;
  unsigned reseed;
  double timeout;        /* seconds, 0 = none */
  uint64_t max_cycles;
  int max_cycles_set;
  const char *results;
  int list;
  int quiet;
} options_t;

typedef struct test_info {
  char *name;            /* SUITE.TEST */
  int random;
  unsigned runs;         /* runs of it selected in this invocation */
} test_info_t;

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_PASS, JOB_FAIL, JOB_NOT_RUN } job_state_t;

typedef struct job {
  const test_info_t *test;
  uint64_t seed;
  job_state_t state;
  pid_t pid;             /* also its process group */
  char *log_path;
  double start, end;     /* monotonic seconds */
  int timed_out;
  double kill_at;        /* after a timeout's SIGTERM: when to SIGKILL */
  uint64_t cycles;
  char reason[REASON_MAX];
} job_t;

typedef struct runner {
  options_t opt;
  test_info_t *tests;
  size_t ntests;
  job_t *jobs;
  size_t njobs;
  size_t next, running, done, passed, failed;
  int tty;               /* stderr is a terminal: one progress line updated in place */
  int progress_shown;
  double t0;
  time_t wall0;
  sigset_t run_mask;     /* the mask pselect waits with (our signals unblocked) */
} runner_t;

/* ---- small helpers ---------------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("runner: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) die("out of memory");
  return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) die("formatting failed");
  char *s = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return -1;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return -1;
  *out = (uint64_t)v;
  return 0;
}

static int mkdir_p(const char *path) {
  char *p = xstrdup(path);
  for (char *c = p + 1; *c; c++) {
    if (*c != '/') continue;
    *c = 0;
    if (mkdir(p, 0777) && errno != EEXIST) {
      free(p);
      return -1;
    }
    *c = '/';
  }
  int rc = mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

/* Splits a launcher string into words: whitespace separates, '...' and "..." quote,
 * backslash escapes one character. */
static void split_words(const char *s, options_t *o) {
  char *buf = xmalloc(strlen(s) + 1);
  const char *c = s;
  for (;;) {
    while (*c && isspace((unsigned char)*c)) c++;
    if (!*c) break;
    size_t n = 0;
    char quote = 0;
    while (*c && (quote || !isspace((unsigned char)*c))) {
      if (quote) {
        if (*c == quote) quote = 0;
        else if (*c == '\\' && quote == '"' && c[1]) buf[n++] = *++c;
        else buf[n++] = *c;
      } else if (*c == '\'' || *c == '"') {
        quote = *c;
      } else if (*c == '\\' && c[1]) {
        buf[n++] = *++c;
      } else {
        buf[n++] = *c;
      }
      c++;
    }
    if (quote) die("unbalanced quote in --launcher '%s'", s);
    buf[n] = 0;
    o->launcher = xrealloc(o->launcher, (o->nlauncher + 2) * sizeof *o->launcher);
    o->launcher[o->nlauncher++] = xstrdup(buf);
    o->launcher[o->nlauncher] = NULL;
  }
  free(buf);
}

static void add_filters(const char *s, options_t *o) {
  char *copy = xstrdup(s), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (isspace((unsigned char)*tok)) tok++;
    size_t len = strlen(tok);
    while (len && isspace((unsigned char)tok[len - 1])) tok[--len] = 0;
    if (!len) continue;
    o->filters = xrealloc(o->filters, (o->nfilters + 1) * sizeof *o->filters);
    o->filters[o->nfilters++] = xstrdup(tok);
  }
  free(copy);
}

/* Included when it matches an include glob (or there are none) and no "!" glob. */
static int selected(const options_t *o, const char *name) {
  int includes = 0, included = 0;
  for (size_t i = 0; i < o->nfilters; i++) {
    const char *f = o->filters[i];
    if (f[0] == '!') {
      if (fnmatch(f + 1, name, 0) == 0) return 0;
    } else {
      includes = 1;
      if (fnmatch(f, name, 0) == 0) included = 1;
    }
  }
  return !includes || included;
}

/* ---- seeds ------------------------------------------------------------------------------ */

static uint64_t fnv1a64(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Candidate k (k >= 1) of the derived seeds of a test: 32 bits, so that it is easy to type. */
static uint64_t derive_seed(uint64_t base, const char *name, uint64_t k) {
  return mix64(base ^ fnv1a64(name) ^ (k * 0x9e3779b97f4a7c15ull)) & 0xffffffffull;
}

/* ---- listing the tests ------------------------------------------------------------------ */

static void list_tests(runner_t *r) {
  const char *bin = r->opt.bin;
  if (strchr(bin, '/')) {
    struct stat st;
    if (stat(bin, &st)) die("test binary '%s' not found (%s); build it first", bin,
                            strerror(errno));
    if (!S_ISREG(st.st_mode) || access(bin, X_OK))
      die("test binary '%s' is not an executable file", bin);
  }
  int fds[2];
  if (pipe(fds)) die("pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execlp(bin, bin, "--list", (char *)NULL);
    fprintf(stderr, "runner: cannot run '%s': %s\n", bin, strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  if (!f) die("fdopen: %s", strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  size_t lineno = 0;
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (!n) continue;
    char *save = NULL;
    char *name = strtok_r(line, "\t", &save);
    char *flags = strtok_r(NULL, "\t", &save);
    if (!name || !flags || !strchr(name, '.'))
      die("'%s --list' line %zu is not 'name<TAB>flags<TAB>max_cycles<TAB>desc'", bin, lineno);
    r->tests = xrealloc(r->tests, (r->ntests + 1) * sizeof *r->tests);
    test_info_t *t = &r->tests[r->ntests++];
    t->name = xstrdup(name);
    t->random = strstr(flags, "random") != NULL;
    t->runs = 0;
  }
  free(line);
  fclose(f);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    die("'%s --list' failed (%s %d)", bin, WIFEXITED(st) ? "exit status" : "signal",
        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void add_job(runner_t *r, test_info_t *t, uint64_t seed) {
  r->jobs = xrealloc(r->jobs, (r->njobs + 1) * sizeof *r->jobs);
  job_t *j = &r->jobs[r->njobs++];
  memset(j, 0, sizeof *j);
  j->test = t;
  j->seed = seed;
  j->state = JOB_WAITING;
  t->runs++;
}

static void plan_jobs(runner_t *r) {
  for (size_t i = 0; i < r->ntests; i++) {
    test_info_t *t = &r->tests[i];
    if (!selected(&r->opt, t->name)) continue;
    unsigned runs = t->random && r->opt.reseed > 1 ? r->opt.reseed : 1;
    size_t first = r->njobs;
    add_job(r, t, r->opt.seed);
    for (uint64_t k = 1; r->njobs - first < runs; k++) {
      uint64_t s = derive_seed(r->opt.seed, t->name, k);
      int dup = 0;
      for (size_t q = first; q < r->njobs; q++) dup |= r->jobs[q].seed == s;
      if (!dup) add_job(r, t, s);
    }
  }
}

/* ---- running ---------------------------------------------------------------------------- */

static void on_interrupt(int sig) { interrupted_signal = sig; }
static void on_child(int sig) { (void)sig; } /* only wakes pselect */

static void start_job(runner_t *r, job_t *j) {
  j->log_path = xasprintf("%s/logs/%s.%" PRIu64 ".log", r->opt.results, j->test->name, j->seed);
  int fd = open(j->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) die("cannot write '%s': %s", j->log_path, strerror(errno));

  char seed[32], maxc[32];
  snprintf(seed, sizeof seed, "%" PRIu64, j->seed);
  snprintf(maxc, sizeof maxc, "%" PRIu64, r->opt.max_cycles);
  size_t n = 0;
  char **argv = xmalloc((r->opt.nlauncher + 9) * sizeof *argv);
  for (size_t i = 0; i < r->opt.nlauncher; i++) argv[n++] = r->opt.launcher[i];
  argv[n++] = (char *)r->opt.bin;
  argv[n++] = "--test";
  argv[n++] = j->test->name;
  argv[n++] = "--seed";
  argv[n++] = seed;
  if (r->opt.max_cycles_set) {
    argv[n++] = "--max-cycles";
    argv[n++] = maxc;
  }
  argv[n] = NULL;

  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    /* own process group: a timeout kills the test and everything it started */
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull > 0) {
      dup2(devnull, 0);
      close(devnull);
    }
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(argv[0], argv);
    dprintf(2, "runner: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid); /* also in the parent, so a kill right away finds the group */
  close(fd);
  free(argv);
  j->pid = pid;
  j->state = JOB_RUNNING;
  j->start = now_s();
  r->running++;
}

/* What the log says: the test's own PASS/FAIL lines, sanitizer reports, the last lines. */
typedef struct log_scan {
  int has_pass, fail_after_pass;
  uint64_t cycles;
  char fail[REASON_MAX];      /* reason of the last "FAIL name: reason" line */
  char sanitizer[REASON_MAX]; /* first sanitizer error line */
  char last[REASON_MAX];      /* last non-empty line */
} log_scan_t;

static void copy_line(char *dst, const char *src) {
  snprintf(dst, REASON_MAX, "%s", src);
}

static void scan_log(const job_t *j, log_scan_t *s) {
  memset(s, 0, sizeof *s);
  FILE *f = fopen(j->log_path, "r");
  if (!f) return;
  char *pass = xasprintf("PASS %s (", j->test->name);
  char *fail = xasprintf("FAIL %s: ", j->test->name);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) >= 0) {
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (!n || !strncmp(line, "# runner:", 9)) continue;
    copy_line(s->last, line);
    if (!strncmp(line, pass, strlen(pass))) {
      s->has_pass = 1;
      s->fail_after_pass = 0;
      s->cycles = strtoull(line + strlen(pass), NULL, 10);
    } else if (!strncmp(line, fail, strlen(fail))) {
      copy_line(s->fail, line + strlen(fail));
      if (s->has_pass) s->fail_after_pass = 1;
    } else if (!s->sanitizer[0] &&
               ((strstr(line, "Sanitizer") && strstr(line, "ERROR")) ||
                strstr(line, "runtime error:"))) {
      const char *p = line;
      while (*p == '=' || isdigit((unsigned char)*p)) p++; /* ASan's "==1234==" prefix */
      copy_line(s->sanitizer, p);
    }
  }
  free(line);
  free(pass);
  free(fail);
  fclose(f);
}

static void append_log(const job_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append_log(const job_t *j, const char *fmt, ...) {
  FILE *f = fopen(j->log_path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("# runner: ", f);
  vfprintf(f, fmt, ap);
  fputc('\n', f);
  va_end(ap);
  fclose(f);
}

static void clear_progress(runner_t *r) {
  if (r->progress_shown) {
    fputs("\r\033[K", stderr);
    r->progress_shown = 0;
  }
}

static void show_progress(runner_t *r) {
  if (!r->tty || r->opt.quiet) return;
  unsigned width = 80;
  struct winsize ws;
  if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col;
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "[%zu/%zu] %zu failed  running:", r->done, r->njobs,
                   r->failed);
  for (size_t i = 0; i < r->njobs && n > 0 && (size_t)n < sizeof buf; i++) {
    if (r->jobs[i].state != JOB_RUNNING) continue;
    n += snprintf(buf + n, sizeof buf - (size_t)n, " %s,", r->jobs[i].test->name);
  }
  if (n > 0 && (size_t)n < sizeof buf && buf[n - 1] == ',') buf[--n] = 0;
  if (n >= (int)width) {
    buf[width - 4] = 0;
    strcat(buf, "...");
  }
  fprintf(stderr, "\r\033[K%s", buf);
  r->progress_shown = 1;
}

static void finish_job(runner_t *r, job_t *j, int status) {
  j->end = now_s();
  double secs = j->end - j->start;
  /* leftovers of the test (children it forked) die with it */
  kill(-j->pid, SIGKILL);
  r->running--;
  r->done++;

  log_scan_t s;
  scan_log(j, &s);
  int pass = 0;
  if (j->timed_out) {
    snprintf(j->reason, sizeof j->reason, "TIMEOUT: no result after %g s (process group killed)",
             r->opt.timeout);
    append_log(j, "TIMEOUT after %g s: process group killed", r->opt.timeout);
  } else if (interrupted_signal && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    snprintf(j->reason, sizeof j->reason, "interrupted: the runner got signal %d",
             (int)interrupted_signal);
    append_log(j, "killed: the runner was interrupted by signal %d", (int)interrupted_signal);
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    snprintf(j->reason, sizeof j->reason, "crashed: killed by signal %d (%s)%s%.400s", sig,
             strsignal(sig), s.sanitizer[0] ? ": " : "", s.sanitizer);
    append_log(j, "killed by signal %d (%s) after %.2f s", sig, strsignal(sig), secs);
  } else {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    append_log(j, "exit status %d after %.2f s", code, secs);
    if (code == 0 && s.has_pass && !s.fail_after_pass) {
      pass = 1;
    } else if (code == 0) {
      snprintf(j->reason, sizeof j->reason, "exit status 0 without a PASS line%s%.400s",
               s.last[0] ? "; last line: " : "", s.last);
    } else if (s.fail[0]) {
      snprintf(j->reason, sizeof j->reason, "%s", s.fail);
    } else if (s.sanitizer[0]) {
      snprintf(j->reason, sizeof j->reason, "%s", s.sanitizer);
    } else {
      snprintf(j->reason, sizeof j->reason, "exit status %d without a FAIL line%s%.400s", code,
               s.last[0] ? "; last line: " : "", s.last);
    }
  }
  j->cycles = s.cycles;
  j->state = pass ? JOB_PASS : JOB_FAIL;
  if (pass) r->passed++;
  else r->failed++;

  int line = !r->tty ? (!pass || !r->opt.quiet) : !pass;
  if (line) {
    clear_progress(r);
    if (pass)
      fprintf(stderr, "PASS %s seed %" PRIu64 "  %.1fs %" PRIu64 " cycles\n", j->test->name,
              j->seed, secs, j->cycles);
    else
      fprintf(stderr, "FAIL %s seed %" PRIu64 "  %.1fs  %s\n", j->test->name, j->seed, secs,
              j->reason);
  }
}

static void kill_group(job_t *j, int sig) {
  if (kill(-j->pid, sig) && errno == ESRCH) kill(j->pid, sig);
}

static void check_timeouts(runner_t *r, double t, double *next_deadline) {
  for (size_t i = 0; i < r->njobs; i++) {
    job_t *j = &r->jobs[i];
    if (j->state != JOB_RUNNING) continue;
    if (r->opt.timeout > 0 && !j->timed_out) {
      if (t >= j->start + r->opt.timeout) {
        j->timed_out = 1;
        j->kill_at = t + TERM_GRACE_S;
        kill_group(j, SIGTERM); /* lets a launcher (srun) cancel its remote step */
      } else if (j->start + r->opt.timeout < *next_deadline) {
        *next_deadline = j->start + r->opt.timeout;
      }
    }
    if (j->timed_out) {
      if (t >= j->kill_at) kill_group(j, SIGKILL);
      else if (j->kill_at < *next_deadline) *next_deadline = j->kill_at;
    }
  }
}

static void reap(runner_t *r) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < r->njobs; i++)
      if (r->jobs[i].state == JOB_RUNNING && r->jobs[i].pid == pid) {
        finish_job(r, &r->jobs[i], status);
        break;
      }
  }
}

static void run_all(runner_t *r) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &old);
  r->run_mask = old;
  sigdelset(&r->run_mask, SIGCHLD);
  sigdelset(&r->run_mask, SIGINT);
  sigdelset(&r->run_mask, SIGTERM);
  sigdelset(&r->run_mask, SIGHUP);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = on_interrupt;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  double last_draw = 0;
  while (r->done < r->njobs) {
    if (interrupted_signal) {
      for (size_t i = 0; i < r->njobs; i++) {
        job_t *j = &r->jobs[i];
        if (j->state == JOB_RUNNING) kill_group(j, SIGKILL);
      }
      for (size_t i = 0; i < r->njobs; i++) {
        job_t *j = &r->jobs[i];
        if (j->state == JOB_RUNNING) {
          int status = 0;
          while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR) {
          }
          finish_job(r, j, status);
        } else if (j->state == JOB_WAITING) {
          j->state = JOB_NOT_RUN;
        }
      }
      break;
    }
    while (r->running < r->opt.jobs && r->next < r->njobs) start_job(r, &r->jobs[r->next++]);
    reap(r);
    double t = now_s(), deadline = t + 1.0;
    check_timeouts(r, t, &deadline);
    if (r->tty && (t - last_draw > 0.5 || r->done == r->njobs)) {
      show_progress(r);
      last_draw = t;
    }
    if (r->done == r->njobs) break;
    if (r->running < r->opt.jobs && r->next < r->njobs) continue;
    double wait = deadline - t;
    if (wait < 0.001) wait = 0.001;
    struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
    pselect(0, NULL, NULL, NULL, &ts, &r->run_mask);
    reap(r);
    if (r->tty) show_progress(r);
  }
  clear_progress(r);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- results ---------------------------------------------------------------------------- */

static void xml_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&apos;", f); break;
      default:
        /* XML 1.0 forbids most control characters; logs are ASCII but may hold escapes */
        if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f) fputc('?', f);
        else fputc(c, f);
    }
  }
}

/* The last TAIL_LINES lines of a log, escaped. */
static void xml_log_tail(FILE *out, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char *ring[TAIL_LINES] = {0};
  size_t count = 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) >= 0) {
    free(ring[count % TAIL_LINES]);
    ring[count % TAIL_LINES] = xstrdup(line);
    count++;
  }
  free(line);
  fclose(f);
  size_t first = count > TAIL_LINES ? count - TAIL_LINES : 0;
  for (size_t i = first; i < count; i++) xml_escape(out, ring[i % TAIL_LINES]);
  for (size_t i = 0; i < TAIL_LINES; i++) free(ring[i]);
}

static size_t suite_len(const char *name) {
  const char *dot = strchr(name, '.');
  return dot ? (size_t)(dot - name) : strlen(name);
}

static void write_junit(const runner_t *r) {
  char *path = xasprintf("%s/junit.xml", r->opt.results);
  char *tmp = xasprintf("%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) die("cannot write '%s': %s", tmp, strerror(errno));
  double total_time = 0;
  size_t total = 0, total_fail = 0;
  for (size_t i = 0; i < r->njobs; i++) {
    if (r->jobs[i].state != JOB_PASS && r->jobs[i].state != JOB_FAIL) continue;
    total++;
    total_fail += r->jobs[i].state == JOB_FAIL;
    total_time += r->jobs[i].end - r->jobs[i].start;
  }
  char stamp[32];
  struct tm tm;
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&r->wall0, &tm));
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<testsuites name=\"hbasim\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
             "time=\"%.3f\">\n", total, total_fail, total_time);

  /* one <testsuite> per suite, in the order the suites first appear */
  for (size_t i = 0; i < r->njobs; i++) {
    const char *name = r->jobs[i].test->name;
    size_t sl = suite_len(name);
    int seen = 0;
    for (size_t k = 0; k < i && !seen; k++)
      seen = suite_len(r->jobs[k].test->name) == sl && !strncmp(r->jobs[k].test->name, name, sl);
    if (seen) continue;
    size_t n = 0, nf = 0;
    double time = 0;
    for (size_t k = i; k < r->njobs; k++) {
      const job_t *j = &r->jobs[k];
      if (suite_len(j->test->name) != sl || strncmp(j->test->name, name, sl)) continue;
      if (j->state != JOB_PASS && j->state != JOB_FAIL) continue;
      n++;
      nf += j->state == JOB_FAIL;
      time += j->end - j->start;
    }
    if (!n) continue;
    fprintf(f, "  <testsuite name=\"%.*s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
               "skipped=\"0\" time=\"%.3f\" timestamp=\"%s\">\n",
            (int)sl, name, n, nf, time, stamp);
    for (size_t k = i; k < r->njobs; k++) {
      const job_t *j = &r->jobs[k];
      if (suite_len(j->test->name) != sl || strncmp(j->test->name, name, sl)) continue;
      if (j->state != JOB_PASS && j->state != JOB_FAIL) continue;
      fprintf(f, "    <testcase name=\"");
      xml_escape(f, j->test->name + sl + 1);
      if (j->test->runs > 1) fprintf(f, "[seed=%" PRIu64 "]", j->seed);
      fprintf(f, "\" classname=\"%.*s\" time=\"%.3f\">\n", (int)sl, name, j->end - j->start);
      if (j->state == JOB_FAIL) {
        fprintf(f, "      <failure type=\"%s\" message=\"",
                j->timed_out ? "timeout" : strncmp(j->reason, "crashed", 7) ? "fail" : "crash");
        xml_escape(f, j->reason);
        fprintf(f, "\">");
        xml_log_tail(f, j->log_path);
        fprintf(f, "</failure>\n");
      }
      fprintf(f, "      <system-out>seed %" PRIu64 "; log ", j->seed);
      xml_escape(f, j->log_path);
      fprintf(f, "</system-out>\n    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n");
  }
  fprintf(f, "</testsuites>\n");
  if (fclose(f)) die("cannot write '%s': %s", tmp, strerror(errno));
  if (rename(tmp, path)) die("cannot rename '%s': %s", tmp, strerror(errno));
  free(tmp);
  free(path);
}

static void print_summary(const runner_t *r) {
  fflush(stderr);
  if (r->failed) {
    printf("\n%zu failure%s:\n", r->failed, r->failed == 1 ? "" : "s");
    for (size_t i = 0; i < r->njobs; i++) {
      const job_t *j = &r->jobs[i];
      if (j->state != JOB_FAIL) continue;
      printf("FAIL %s seed %" PRIu64 ": %s\n", j->test->name, j->seed, j->reason);
      printf("    log:       %s\n", j->log_path);
      printf("    reproduce: make waves TEST=%s SEED=%" PRIu64 "\n", j->test->name, j->seed);
    }
  }
  size_t not_run = 0;
  for (size_t i = 0; i < r->njobs; i++) not_run += r->jobs[i].state == JOB_NOT_RUN;
  if (interrupted_signal)
    printf("interrupted by signal %d: %zu not run\n", (int)interrupted_signal, not_run);
  printf("results: %s/junit.xml, logs in %s/logs (%.1f s)\n", r->opt.results, r->opt.results,
         now_s() - r->t0);
  printf("%zu passed, %zu failed\n", r->passed, r->failed);
  fflush(stdout);
}

/* ---- command line ----------------------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
    "usage: runner --bin PATH [options]\n"
    "  --bin PATH          the test binary (build/<variant>/hbasim_tests)\n"
    "  -j N                tests in parallel (default: the number of CPUs)\n"
    "  --filter GLOB,...   select full names SUITE.TEST by glob; '!GLOB' excludes; may repeat\n"
    "  --seed N            base seed (default 1)\n"
    "  --reseed N          run each random test N times: the base seed and N-1 derived seeds\n"
    "  --timeout SEC       wall time per test, then its process group is killed (default 300,\n"
    "                      0 = none)\n"
    "  --max-cycles N      passed to every test\n"
    "  --results DIR       logs and junit.xml (default build/results)\n"
    "  --launcher 'CMD'    prefix each test command with CMD (e.g. 'srun -n1 -c1 --')\n"
    "  --list              print the selected runs (name<TAB>seed) and exit\n"
    "  -q                  quiet: no progress, only failures and the summary\n"
    "The last line is 'N passed, N failed'. Exit 0 iff nothing failed and a test ran.\n");
}

static void parse_args(int argc, char **argv, options_t *o) {
  o->seed = 1;
  o->timeout = 300;
  o->results = "build/results";
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  o->jobs = ncpu > 0 ? (unsigned)ncpu : 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--list")) {
      o->list = 1;
      continue;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      o->quiet = 1;
      continue;
    }
    const char *v = NULL;
    const char *opt = a;
    if (!strncmp(a, "-j", 2) && a[2]) {
      opt = "-j";
      v = a + 2;
    } else if (!strncmp(a, "--", 2) && strchr(a, '=')) {
      /* --opt=value */
      static const char *const longs[] = {"--bin", "--filter", "--seed", "--reseed",
                                          "--timeout", "--max-cycles", "--results",
                                          "--launcher", "--jobs"};
      for (size_t k = 0; k < sizeof longs / sizeof longs[0]; k++) {
        size_t l = strlen(longs[k]);
        if (!strncmp(a, longs[k], l) && a[l] == '=') {
          opt = longs[k];
          v = a + l + 1;
        }
      }
      if (!v) die("unknown option '%s' (see --help)", a);
    } else {
      if (i + 1 >= argc) die("missing value after '%s' (see --help)", a);
      v = argv[++i];
    }
    uint64_t n = 0;
    if (!strcmp(opt, "--bin")) {
      o->bin = v;
    } else if (!strcmp(opt, "-j") || !strcmp(opt, "--jobs")) {
      if (parse_u64(v, &n) || n == 0 || n > 100000) die("bad -j '%s'", v);
      o->jobs = (unsigned)n;
    } else if (!strcmp(opt, "--filter")) {
      add_filters(v, o);
    } else if (!strcmp(opt, "--seed")) {
      if (parse_u64(v, &o->seed)) die("bad --seed '%s'", v);
    } else if (!strcmp(opt, "--reseed")) {
      if (parse_u64(v, &n) || n == 0 || n > 1000000) die("bad --reseed '%s'", v);
      o->reseed = (unsigned)n;
    } else if (!strcmp(opt, "--timeout")) {
      char *end = NULL;
      o->timeout = strtod(v, &end);
      if (!*v || *end || o->timeout < 0) die("bad --timeout '%s'", v);
    } else if (!strcmp(opt, "--max-cycles")) {
      if (parse_u64(v, &o->max_cycles)) die("bad --max-cycles '%s'", v);
      o->max_cycles_set = 1;
    } else if (!strcmp(opt, "--results")) {
      o->results = v;
    } else if (!strcmp(opt, "--launcher")) {
      split_words(v, o);
    } else {
      die("unknown option '%s' (see --help)", a);
    }
  }
  if (!o->bin) {
    usage(stderr);
    die("--bin PATH is required");
  }
}

int main(int argc, char **argv) {
  runner_t r;
  memset(&r, 0, sizeof r);
  parse_args(argc, argv, &r.opt);
  list_tests(&r);
  plan_jobs(&r);

  if (r.opt.list) {
    for (size_t i = 0; i < r.njobs; i++)
      printf("%s\t%" PRIu64 "\n", r.jobs[i].test->name, r.jobs[i].seed);
    return r.njobs ? 0 : 1;
  }
  if (!r.njobs) {
    if (r.ntests == 0) fprintf(stderr, "runner: %s lists no tests\n", r.opt.bin);
    else fprintf(stderr, "runner: no test of %s matches the filter\n", r.opt.bin);
    printf("0 passed, 0 failed\n");
    return 1;
  }
  char *logs = xasprintf("%s/logs", r.opt.results);
  if (mkdir_p(logs)) die("cannot create '%s': %s", logs, strerror(errno));
  free(logs);

  r.tty = isatty(2);
  r.t0 = now_s();
  r.wall0 = time(NULL);
  if (r.opt.jobs > r.njobs) r.opt.jobs = (unsigned)r.njobs;
  if (!r.opt.quiet)
    fprintf(stderr, "runner: %zu runs of %s, %u in parallel%s%s\n", r.njobs, r.opt.bin,
            r.opt.jobs, r.opt.nlauncher ? " through " : "",
            r.opt.nlauncher ? r.opt.launcher[0] : "");
  run_all(&r);
  write_junit(&r);
  print_summary(&r);
  return r.failed || interrupted_signal || !r.passed ? 1 : 0;
}
