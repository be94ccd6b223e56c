/* A stand-in for hbasim_tests with one test per outcome the runner must handle: pass, fail,
 * crash (a signal), hang (ignores SIGTERM, has a child of its own), exit 0 without a PASS
 * line, and a random test. Speaks the test binary protocol of docs/contracts.md section 8.
 * Built and driven by tests/runner/run.sh. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const list[] = {
    "fake.pass\t-\t1000\tprints PASS and exits 0",
    "fake.fail\t-\t1000\tprints FAIL and exits 1",
    "fake.crash\t-\t0\tdies of SIGSEGV after its first line",
    "fake.hang\t-\t0\tnever ends, ignores SIGTERM, and has a child that sleeps too",
    "fake.nopass\t-\t0\texits 0 without a PASS line",
    "fake.random\trandom\t0\tpasses with any seed and prints it",
};

int main(int argc, char **argv) {
  const char *name = NULL, *seed = "1";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--list")) {
      for (size_t k = 0; k < sizeof list / sizeof list[0]; k++) printf("%s\n", list[k]);
      return 0;
    } else if (!strcmp(argv[i], "--test") && i + 1 < argc) {
      name = argv[++i];
    } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = argv[++i];
    } else if (!strcmp(argv[i], "--max-cycles") && i + 1 < argc) {
      printf("max-cycles %s\n", argv[++i]);
    } else {
      fprintf(stderr, "fake_tests: bad argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!name) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("test %s seed %s\n", name, seed);
  const char *launched = getenv("HBASIM_FAKE_LAUNCHED");
  if (launched) printf("launched: %s\n", launched);

  if (!strcmp(name, "fake.pass")) {
    printf("PASS %s (1234 cycles)\n", name);
    return 0;
  }
  if (!strcmp(name, "fake.random")) {
    printf("PASS %s (%s cycles)\n", name, seed);
    return 0;
  }
  if (!strcmp(name, "fake.fail")) {
    printf("fake_tests.c:1: cycle 77: CHECK(x == 1) failed: x is 0\n");
    printf("FAIL %s: fake_tests.c:1: cycle 77: CHECK(x == 1) failed: x is 0\n", name);
    return 1;
  }
  if (!strcmp(name, "fake.crash")) {
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return 0;
  }
  if (!strcmp(name, "fake.nopass")) {
    printf("something went quietly wrong\n");
    return 0;
  }
  if (!strcmp(name, "fake.hang")) {
    signal(SIGTERM, SIG_IGN);
    pid_t child = fork();
    if (child == 0) {
      for (;;) pause();
    }
    const char *pidfile = getenv("HBASIM_FAKE_PIDFILE");
    if (pidfile) {
      FILE *f = fopen(pidfile, "w");
      if (f) {
        fprintf(f, "%d\n", (int)child);
        fclose(f);
      }
    }
    for (;;) pause();
  }
  fprintf(stderr, "fake_tests: no test named '%s'\n", name);
  return 2;
}
