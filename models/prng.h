/* Seeded pseudo-random numbers for every random choice in hbasim.
 *
 * xoshiro256** seeded through splitmix64 (both public-domain algorithms by Blackman and
 * Vigna, written here from their published definitions). Each user owns its own prng_t, so
 * two simulations in one process never share a stream. */
#ifndef HBASIM_PRNG_H
#define HBASIM_PRNG_H

#include <stdint.h>

typedef struct prng {
  uint64_t s[4];
} prng_t;

static inline uint64_t prng_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Seed a stream; `stream` separates independent streams derived from one test seed
 * (for example one for page placement and one for AXI backpressure). */
static inline void prng_seed(prng_t *p, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
  for (int i = 0; i < 4; i++) p->s[i] = prng_splitmix64(&x);
}

static inline uint64_t prng_rotl(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }

static inline uint64_t prng_next(prng_t *p) {
  uint64_t *s = p->s;
  uint64_t result = prng_rotl(s[1] * 5u, 7) * 9u;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = prng_rotl(s[3], 45);
  return result;
}

/* Uniform in [0, n); n == 0 returns 0. Rejection sampling keeps it unbiased. */
static inline uint64_t prng_below(prng_t *p, uint64_t n) {
  if (n == 0) return 0;
  uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  uint64_t v;
  do {
    v = prng_next(p);
  } while (v >= limit);
  return v % n;
}

/* Fill a buffer with non-periodic bytes (test data patterns). */
static inline void prng_fill(prng_t *p, void *buf, unsigned long len) {
  unsigned char *b = (unsigned char *)buf;
  while (len) {
    uint64_t v = prng_next(p);
    for (int i = 0; i < 8 && len; i++, len--) {
      *b++ = (unsigned char)v;
      v >>= 8;
    }
  }
}

#endif
