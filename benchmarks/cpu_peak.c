/* Peak fp32 multiply-add rate of one core with AVX2 FMA: 12 independent chains of
 * 8-wide fused multiply-adds, enough to cover the instruction's latency on current x86 cores.
 * It bounds what any convolution kernel can reach on this machine.
 *
 *   cc -O2 -mavx2 -mfma benchmarks/cpu_peak.c -o /tmp/cpu_peak && /tmp/cpu_peak
 *   (run two at once, `/tmp/cpu_peak & /tmp/cpu_peak; wait`, to see both cores)
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define STEP(v) v = _mm256_fmadd_ps(v, m, c);

int main(void) {
    const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0.0f), a1 = _mm256_set1_ps(1.0f), a2 = _mm256_set1_ps(2.0f),
           a3 = _mm256_set1_ps(3.0f), a4 = _mm256_set1_ps(4.0f), a5 = _mm256_set1_ps(5.0f),
           a6 = _mm256_set1_ps(6.0f), a7 = _mm256_set1_ps(7.0f), a8 = _mm256_set1_ps(8.0f),
           a9 = _mm256_set1_ps(9.0f), a10 = _mm256_set1_ps(10.0f), a11 = _mm256_set1_ps(11.0f);
    const long iterations = 200000000L;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < iterations; i++) {
        STEP(a0) STEP(a1) STEP(a2) STEP(a3) STEP(a4) STEP(a5)
        STEP(a6) STEP(a7) STEP(a8) STEP(a9) STEP(a10) STEP(a11)
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                               _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, sum);
    /* 12 chains x 8 lanes x 2 flops per multiply-add */
    printf("%.1f GFLOP/s on one core (checksum %g)\n", (double)iterations * 12 * 16 / s / 1e9, out[0]);
    return 0;
}
