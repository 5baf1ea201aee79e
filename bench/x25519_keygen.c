/* X25519 key generation in the tuned wolfSSL: the two base-point paths.
 *
 * wolfSSL 5.9 computes X25519(k, 9) with its own x86-64 assembly
 * (curve25519_base, used by wc_curve25519_make_pub when CURVED25519_X64),
 * and offers WOLFSSL_CURVE25519_USE_ED25519, which computes it on Ed25519's
 * fixed base (ge_scalarmult_base) as ussl's own patch did for 5.7. This
 * program times both in one process, on the same scalars, checks that they
 * agree, and prints microseconds per key. docs/wolfssl-build.md records the
 * result and the decision it supports.
 *
 * Build against the tuned prefix (USSL_WOLFSSL_PREFIX in build/CMakeCache.txt):
 *   cc -O2 -I"$P/include" bench/x25519_keygen.c "$P/lib/libwolfssl.a" -lm -lpthread -o /tmp/x25519_keygen
 *   /tmp/x25519_keygen 20000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ge_operations.h>

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* X25519(k, 9) as the Montgomery u of [k]B on Ed25519: u = (Z + Y) / (Z - Y). */
static void via_ed25519(unsigned char* pub, const unsigned char* k) {
  ge_p3 a;
  fe num, den;
  ge_scalarmult_base(&a, k);
  fe_add(num, a.Z, a.Y);
  fe_sub(den, a.Z, a.Y);
  fe_invert(den, den);
  fe_mul(num, num, den);
  fe_tobytes(pub, num);
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 20000;
  unsigned char* keys = malloc((size_t)n * 32);
  unsigned char a[32], b[32];
  unsigned int seed = 1;
  int i, j, round;
  double asm_s = 0, ed_s = 0, t;
  for (i = 0; i < n * 32; ++i) keys[i] = (unsigned char)(rand_r(&seed) & 0xff);
  for (i = 0; i < n; ++i) {
    keys[i * 32] &= 248;
    keys[i * 32 + 31] &= 127;
    keys[i * 32 + 31] |= 64;
  }
  fe_init();
  for (i = 0; i < 64; ++i) {
    wc_curve25519_make_pub(32, a, 32, keys + 32 * (i % n));
    via_ed25519(b, keys + 32 * (i % n));
    if (memcmp(a, b, 32) != 0) {
      fprintf(stderr, "x25519_keygen: the two paths disagree on key %d\n", i);
      return 1;
    }
  }
  /* Alternate the two, five rounds each, so a busy machine hurts both alike. */
  for (round = 0; round < 5; ++round) {
    t = cpu_seconds();
    for (j = 0; j < n; ++j) wc_curve25519_make_pub(32, a, 32, keys + 32 * j);
    asm_s += cpu_seconds() - t;
    t = cpu_seconds();
    for (j = 0; j < n; ++j) via_ed25519(b, keys + 32 * j);
    ed_s += cpu_seconds() - t;
  }
  printf("wc_curve25519_make_pub (wolfSSL %s asm): %.2f us/key\n", "5.9", asm_s / (5.0 * n) * 1e6);
  printf("Ed25519 fixed base (WOLFSSL_CURVE25519_USE_ED25519): %.2f us/key\n", ed_s / (5.0 * n) * 1e6);
  free(keys);
  return 0;
}
