// sgemm_peak: the single-precision matrix-product rate of OpenBLAS on this machine, the
// ceiling that a BLAS-bound training step can approach.
//
// For each size n and thread count it times C = A·B (row-major n×n, 2n³ FLOPs) with
// cblas_sgemm, repeating the product until one timing lasts at least 0.2 s, and prints
// the median of the timings as one key=value line:
//
//   sgemm n=2048 threads=2 gflops=195.3 runs=150.2,193.1,195.3,196.0,196.4
//
// Build and run (Debian: libopenblas-dev):
//   cc -O2 -o sgemm_peak bench/sgemm_peak.c -lopenblas
//   ./sgemm_peak [REPEATS]        # REPEATS timings per size and thread count, default 5

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static int compare_doubles(const void *left, const void *right) {
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

// Returns GFLOP/s of one timing: as many products as fit in 0.2 s, at least one.
static double time_products(int n, const float *a, const float *b, float *c) {
    double flops_per_product = 2.0 * (double)n * (double)n * (double)n;
    int products = 0;
    double start = seconds_now(), elapsed;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                    1.0f, a, n, b, n, 0.0f, c, n);
        products++;
        elapsed = seconds_now() - start;
    } while (elapsed < 0.2);
    return flops_per_product * products / elapsed / 1e9;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1 || repeats > 100) {
        fprintf(stderr, "sgemm_peak: invalid REPEATS '%s': expected 1 to 100\n", argv[1]);
        return 64;
    }
    const int sizes[] = {1024, 2048};
    const int thread_counts[] = {1, 2};
    double *rates = malloc(sizeof(double) * (size_t)repeats);

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        size_t count = (size_t)n * (size_t)n;
        float *a = malloc(sizeof(float) * count), *b = malloc(sizeof(float) * count),
              *c = malloc(sizeof(float) * count);
        if (!a || !b || !c || !rates) {
            fprintf(stderr, "sgemm_peak: out of memory for n=%d\n", n);
            return 1;
        }
        srand(1);
        for (size_t i = 0; i < count; i++) {
            a[i] = (float)rand() / (float)RAND_MAX - 0.5f;
            b[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        }
        for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
            openblas_set_num_threads(thread_counts[t]);
            time_products(n, a, b, c);  // warm-up: thread start, page faults, caches
            for (int r = 0; r < repeats; r++) rates[r] = time_products(n, a, b, c);
            qsort(rates, (size_t)repeats, sizeof(double), compare_doubles);
            printf("sgemm n=%d threads=%d gflops=%.1f runs=", n, thread_counts[t], rates[repeats / 2]);
            for (int r = 0; r < repeats; r++) printf(r ? ",%.1f" : "%.1f", rates[r]);
            printf("\n");
            fflush(stdout);
        }
        free(a);
        free(b);
        free(c);
    }
    free(rates);
    return 0;
}
