// The blocked matrix product behind gather_gemm.h, with an AVX-512 micro-kernel.
//
// Blocking: the k dimension is cut into blocks of at most BLOCK_K. For each block, A is
// packed once into panels of PANEL_M rows. Then each panel of up to PANEL_N columns of B
// is gathered into a small buffer that stays in the L1 or L2 cache. Every A panel is
// multiplied with that buffer into one tile of C, which is written, or added, through C's
// offset tables one run of contiguous elements at a time.

#include "gather_gemm.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)

#include <immintrin.h>

enum {
    PANEL_M = 8,   // rows of a C tile: one broadcast of A each
    PANEL_N = 48,  // columns of a C tile: three 16-float AVX-512 registers
    BLOCK_K = 384, // a gathered B panel is then at most 72 KiB, within the L2 cache
    MAX_RUNS = PANEL_N,
};

bool tk_gather_gemm_available(void) {
    return __builtin_cpu_supports("avx512f");
}

// Per-thread packing buffers, kept between calls so that steady-state training allocates
// nothing. They grow to the largest request and live until the thread ends.
static _Thread_local float *packed_a;
static _Thread_local size_t packed_a_capacity;
static _Thread_local float *packed_b;

static float *reserve_a(size_t count) {
    if (count > packed_a_capacity) {
        free(packed_a);
        packed_a = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
        packed_a_capacity = packed_a ? count : 0;
    }
    return packed_a;
}

static float *reserve_b(void) {
    // 16 floats of slack take a whole-register copy that runs past the last row.
    if (!packed_b) packed_b = aligned_alloc(64, ((BLOCK_K * PANEL_N + 16) * sizeof(float) + 63) / 64 * 64);
    return packed_b;
}

// A run of columns whose elements are contiguous in memory, within one panel and within
// one 16-float register of it. Each row of a run is copied or added with one load and
// one store.
typedef struct {
    int32_t source;      // offset added to the row's offset
    int16_t destination; // column within the panel
    __mmask16 mask;      // the run's lanes within its register
} Run;

static int find_runs(const int32_t *column_offsets, int columns, Run *runs) {
    int count = 0;
    int j = 0;
    while (j < columns) {
        int length = 1;
        while (j + length < columns && (j + length) % 16 != 0
               && column_offsets[j + length] == column_offsets[j] + length) {
            length++;
        }
        runs[count].source = column_offsets[j];
        runs[count].destination = (int16_t)j;
        runs[count].mask = (__mmask16)(((1u << length) - 1u) << (j % 16));
        count++;
        j += length;
    }
    return count;
}

// Transposes an 8 x 8 block: the 8 floats at rows[r] become column r of the destination,
// whose 8 rows start `stride` floats apart.
__attribute__((target("avx512f")))
static void transpose_8x8(const float *const rows[8], float *destination, ptrdiff_t stride) {
    __m256 row[8];
    for (int r = 0; r < 8; r++) row[r] = _mm256_loadu_ps(rows[r]);

    // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves.
    __m256 pair[8];
    for (int r = 0; r < 8; r += 2) {
        pair[r] = _mm256_unpacklo_ps(row[r], row[r + 1]);
        pair[r + 1] = _mm256_unpackhi_ps(row[r], row[r + 1]);
    }
    __m256 quad[8];
    for (int r = 0; r < 8; r += 4) {
        quad[r] = _mm256_shuffle_ps(pair[r], pair[r + 2], 0x44);
        quad[r + 1] = _mm256_shuffle_ps(pair[r], pair[r + 2], 0xEE);
        quad[r + 2] = _mm256_shuffle_ps(pair[r + 1], pair[r + 3], 0x44);
        quad[r + 3] = _mm256_shuffle_ps(pair[r + 1], pair[r + 3], 0xEE);
    }
    for (int r = 0; r < 4; r++) {
        _mm256_storeu_ps(destination + r * stride, _mm256_permute2f128_ps(quad[r], quad[r + 4], 0x20));
        _mm256_storeu_ps(destination + (r + 4) * stride, _mm256_permute2f128_ps(quad[r], quad[r + 4], 0x31));
    }
}

// Packs columns [l0, l0 + depth) of A into panels: panel p stores A(p*8 + r, l0 + l) at
// [(p * depth + l) * 8 + r], with zeros below the last row. Row-major A goes through
// 8 x 8 transposes, because copying it element by element costs as much as a thin product.
__attribute__((target("avx512f")))
static void pack_a(int m, int depth, int l0, const float *a, ptrdiff_t row_stride,
                   ptrdiff_t column_stride, float *packed) {
    int panels = (m + PANEL_M - 1) / PANEL_M;
    for (int p = 0; p < panels; p++) {
        float *panel = packed + (size_t)p * depth * PANEL_M;
        int rows = m - p * PANEL_M < PANEL_M ? m - p * PANEL_M : PANEL_M;
        const float *first = a + l0 * column_stride + (ptrdiff_t)p * PANEL_M * row_stride;
        int l = 0;
        if (column_stride == 1 && rows == PANEL_M) {
            for (; l + 8 <= depth; l += 8) {
                const float *sources[8];
                for (int r = 0; r < 8; r++) sources[r] = first + l + r * row_stride;
                transpose_8x8(sources, panel + l * PANEL_M, PANEL_M);
            }
        }
        for (; l < depth; l++) {
            const float *column = first + l * column_stride;
            for (int r = 0; r < rows; r++) panel[l * PANEL_M + r] = column[r * row_stride];
            for (int r = rows; r < PANEL_M; r++) panel[l * PANEL_M + r] = 0;
        }
    }
}

// Gathers rows [0, depth) of one B panel. Each run is copied with one whole 16-float load
// and store where those stay inside b's `extent` floats. The extra elements land in the
// next run's place, which that run then overwrites, or in the buffer's slack. Masked
// loads and stores, which are slower, serve the runs near the end of b.
__attribute__((target("avx512f")))
static void pack_b(int depth, int width, const float *b, ptrdiff_t extent, const int32_t *row_offsets,
                   const Run *runs, int run_count, float *packed) {
    int32_t farthest_row = 0;
    for (int l = 0; l < depth; l++) {
        if (row_offsets[l] > farthest_row) farthest_row = row_offsets[l];
    }
    int32_t farthest_run = 0;
    int32_t sources[MAX_RUNS];
    int32_t destinations[MAX_RUNS];
    for (int i = 0; i < run_count; i++) {
        sources[i] = runs[i].source;
        destinations[i] = runs[i].destination;
        if (runs[i].source > farthest_run) farthest_run = runs[i].source;
    }

    // The common case: every whole-register read of the panel stays inside b.
    if ((ptrdiff_t)farthest_row + farthest_run + 16 <= extent) {
        for (int l = 0; l < depth; l++) {
            const float *row = b + row_offsets[l];
            float *destination = packed + l * width;
            for (int i = 0; i < run_count; i++) {
                _mm512_storeu_ps(destination + destinations[i], _mm512_loadu_ps(row + sources[i]));
            }
        }
        return;
    }

    for (int l = 0; l < depth; l++) {
        const float *row = b + row_offsets[l];
        float *destination = packed + l * width;
        for (int i = 0; i < run_count; i++) {
            float *target = destination + runs[i].destination;
            if (row_offsets[l] + runs[i].source + 16 <= extent) {
                _mm512_storeu_ps(target, _mm512_loadu_ps(row + runs[i].source));
            } else {
                // Both sides shift back by the run's first lane, so that the mask's lanes
                // line up with the run's elements.
                int lane = runs[i].destination % 16;
                __m512 values = _mm512_maskz_loadu_ps(runs[i].mask, row + runs[i].source - lane);
                _mm512_mask_storeu_ps(target - lane, runs[i].mask, values);
            }
        }
    }
}

// Gathers rows [0, depth) of one B panel when B's rows are consecutive floats
// (B(l, j) = b[l + column_offsets[j]], a transposed matrix), through 8 x 8 transposes.
__attribute__((target("avx512f")))
static void pack_b_transposed(int depth, int width, int columns, const float *b, int32_t first_row,
                              const int32_t *column_offsets, float *packed) {
    int j = 0;
    for (; j + 8 <= columns; j += 8) {
        int l = 0;
        for (; l + 8 <= depth; l += 8) {
            const float *sources[8];
            for (int c = 0; c < 8; c++) sources[c] = b + first_row + l + column_offsets[j + c];
            transpose_8x8(sources, packed + l * width + j, width);
        }
        for (; l < depth; l++) {
            for (int c = 0; c < 8; c++) packed[l * width + j + c] = b[first_row + l + column_offsets[j + c]];
        }
    }
    for (; j < columns; j++) {
        for (int l = 0; l < depth; l++) packed[l * width + j] = b[first_row + l + column_offsets[j]];
    }
}

// Returns whether B's rows [0, depth) are consecutive floats and its columns have no two
// neighbours in one row, the layout pack_b_transposed is for.
static bool is_transposed(int depth, const int32_t *row_offsets, int run_count, int columns) {
    if (run_count != columns || columns < 8) return false;
    for (int l = 1; l < depth; l++) {
        if (row_offsets[l] != row_offsets[0] + l) return false;
    }
    return true;
}

// Computes one tile of C, 8 rows by 16 * `registers` columns, from an A panel and a B
// panel of the same depth. `bias`, when given, is each row's starting value. Rows past
// `rows` are computed from padding and not stored, and so are columns outside the runs.
__attribute__((target("avx512f"), always_inline))
static inline void multiply_tile(const int registers, int depth, const float *a, const float *b, float *c,
                                 const int32_t *row_offsets, const float *bias, int rows,
                                 const Run *runs, int run_count, bool accumulate) {
    __m512 sum[PANEL_M][3];
    for (int r = 0; r < PANEL_M; r++) {
        __m512 start = bias && r < rows ? _mm512_set1_ps(bias[r]) : _mm512_setzero_ps();
        for (int i = 0; i < registers; i++) sum[r][i] = start;
    }

    // Fully unrolled, so that the sums stay in registers.
    for (int l = 0; l < depth; l++) {
        __m512 row[3];
#pragma clang loop unroll(full)
        for (int i = 0; i < registers; i++) row[i] = _mm512_load_ps(b + 16 * i);
#pragma clang loop unroll(full)
        for (int r = 0; r < PANEL_M; r++) {
            __m512 value = _mm512_set1_ps(a[r]);
#pragma clang loop unroll(full)
            for (int i = 0; i < registers; i++) sum[r][i] = _mm512_fmadd_ps(value, row[i], sum[r][i]);
        }
        a += PANEL_M;
        b += 16 * registers;
    }

    // The store below picks registers by run, which would keep `sum` in memory during the
    // loop above, so it reads a copy.
    __m512 result[PANEL_M][3];
#pragma clang loop unroll(full)
    for (int r = 0; r < PANEL_M; r++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < registers; i++) result[r][i] = sum[r][i];
    }

    // Row by row and run by run, so that elements named twice get both terms. Whole
    // registers and aligned halves avoid masked loads and stores, which are slower.
    for (int r = 0; r < rows; r++) {
        float *row = c + row_offsets[r];
        for (int i = 0; i < run_count; i++) {
            __m512 value = result[r][runs[i].destination / 16];
            float *start = row + runs[i].source;
            switch (runs[i].mask) {
            case 0xFFFF:
                if (accumulate) value = _mm512_add_ps(value, _mm512_loadu_ps(start));
                _mm512_storeu_ps(start, value);
                break;
            case 0x00FF: {
                __m256 half = _mm512_castps512_ps256(value);
                if (accumulate) half = _mm256_add_ps(half, _mm256_loadu_ps(start));
                _mm256_storeu_ps(start, half);
                break;
            }
            case 0xFF00: {
                __m256 half = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(value), 1));
                if (accumulate) half = _mm256_add_ps(half, _mm256_loadu_ps(start));
                _mm256_storeu_ps(start, half);
                break;
            }
            default: {
                float *target = start - runs[i].destination % 16;
                if (accumulate) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(runs[i].mask, target));
                _mm512_mask_storeu_ps(target, runs[i].mask, value);
            }
            }
        }
    }
}

// Compiled for AVX-512F like the kernels it inlines; callers check the CPU first.
__attribute__((target("avx512f")))
void tk_gather_gemm(int m, int n, int k,
                    const float *a, ptrdiff_t a_row_stride, ptrdiff_t a_column_stride,
                    const float *b, ptrdiff_t b_extent, const int32_t *b_row_offsets, const int32_t *b_column_offsets,
                    float *c, const int32_t *c_row_offsets, const int32_t *c_column_offsets,
                    const float *row_bias, bool accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; i < m; i++) {
            float value = row_bias ? row_bias[i] : 0;
            for (int j = 0; j < n; j++) {
                float *target = c + c_row_offsets[i] + c_column_offsets[j];
                *target = accumulate ? *target + value : value;
            }
        }
        return;
    }

    // Equal blocks, so that no block is a short remainder.
    int blocks = (k + BLOCK_K - 1) / BLOCK_K;
    int block_depth = (k + blocks - 1) / blocks;
    int panels = (m + PANEL_M - 1) / PANEL_M;
    float *pa = reserve_a((size_t)panels * PANEL_M * block_depth);
    float *pb = reserve_b();
    if (!pa || !pb) abort();

    Run b_runs[MAX_RUNS];
    Run c_runs[MAX_RUNS];
    for (int l0 = 0; l0 < k; l0 += block_depth) {
        int depth = k - l0 < block_depth ? k - l0 : block_depth;
        pack_a(m, depth, l0, a, a_row_stride, a_column_stride, pa);

        // A thin C takes a panel just wide enough, which spares work on padding columns.
        int width = PANEL_N;
        if (n <= 32) width = 32;
        if (n <= 16) width = 16;
        for (int j0 = 0; j0 < n; j0 += width) {
            int columns = n - j0 < width ? n - j0 : width;
            int b_run_count = find_runs(b_column_offsets + j0, columns, b_runs);
            int c_run_count = find_runs(c_column_offsets + j0, columns, c_runs);
            if (is_transposed(depth, b_row_offsets + l0, b_run_count, columns)) {
                pack_b_transposed(depth, width, columns, b, b_row_offsets[l0], b_column_offsets + j0, pb);
            } else {
                pack_b(depth, width, b, b_extent, b_row_offsets + l0, b_runs, b_run_count, pb);
            }

            for (int p = 0; p < panels; p++) {
                int rows = m - p * PANEL_M < PANEL_M ? m - p * PANEL_M : PANEL_M;
                const float *panel = pa + (size_t)p * depth * PANEL_M;
                const int32_t *tile_rows = c_row_offsets + p * PANEL_M;
                const float *tile_bias = row_bias && l0 == 0 ? row_bias + p * PANEL_M : NULL;
                bool adds = accumulate || l0 > 0;
                switch (width) {
                case 16: multiply_tile(1, depth, panel, pb, c, tile_rows, tile_bias, rows, c_runs, c_run_count, adds); break;
                case 32: multiply_tile(2, depth, panel, pb, c, tile_rows, tile_bias, rows, c_runs, c_run_count, adds); break;
                default: multiply_tile(3, depth, panel, pb, c, tile_rows, tile_bias, rows, c_runs, c_run_count, adds); break;
                }
            }
        }
    }
}

#else

// Other architectures have no kernel here, and the callers use OpenBLAS.
bool tk_gather_gemm_available(void) { return false; }

void tk_gather_gemm(int m, int n, int k,
                    const float *a, ptrdiff_t a_row_stride, ptrdiff_t a_column_stride,
                    const float *b, ptrdiff_t b_extent, const int32_t *b_row_offsets, const int32_t *b_column_offsets,
                    float *c, const int32_t *c_row_offsets, const int32_t *c_column_offsets,
                    const float *row_bias, bool accumulate) {
    abort();
}

#endif
