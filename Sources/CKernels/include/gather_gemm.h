// A single-threaded matrix product whose right-hand matrix is read through two offset
// tables, so that a convolution's column matrix never has to be built in memory.

#ifndef TRIPLETKIT_GATHER_GEMM_H
#define TRIPLETKIT_GATHER_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU runs tk_gather_gemm: it needs AVX-512F.
bool tk_gather_gemm_available(void);

/// Computes C = bias + A·B, or C += bias + A·B when `accumulate` is true, for an m×k
/// matrix A, a k×n matrix B and an m×n matrix C. `row_bias`, when not NULL, contains m values:
/// row i of C starts its sum from row_bias[i].
///
/// A(i, l) is a[i * a_row_stride + l * a_column_stride].
/// B(l, j) is b[b_row_offsets[l] + b_column_offsets[j]]; for a row-major B the tables are
/// l * ldb and j. b_extent is the number of floats readable from b: reads never go past it.
/// C(i, j) is c[c_row_offsets[i] + c_column_offsets[j]]. Several (i, j) may name the same
/// element when `accumulate` is true: each adds its term in turn, which is how a
/// convolution's column gradient is scattered back onto the input gradient (col2im).
///
/// The order of the sums depends only on m, n, k and the tables, so equal inputs give equal
/// bits. Call only when tk_gather_gemm_available() is true.
void tk_gather_gemm(int m, int n, int k,
                    const float *a, ptrdiff_t a_row_stride, ptrdiff_t a_column_stride,
                    const float *b, ptrdiff_t b_extent, const int32_t *b_row_offsets, const int32_t *b_column_offsets,
                    float *c, const int32_t *c_row_offsets, const int32_t *c_column_offsets,
                    const float *row_bias, bool accumulate);

#endif
