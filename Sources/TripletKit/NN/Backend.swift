// The compute-backend seam: layers reach matrix products through this interface, so a
// GPU backend can replace the CPU one without touching the layers' callers or the
// training loop.

internal import CBLAS

/// Matrix products in row-major layout, C = alpha * op(A) * op(B) + beta * C, with
/// op(A) m×k and op(B) k×n.
public protocol ComputeBackend: Sendable {
    func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
              alpha: Float, a: UnsafePointer<Float>, lda: Int,
              b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)
}

/// OpenBLAS's cblas_sgemm on the CPU.
public struct CPUBackend: ComputeBackend {
    public init() {}

    public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Sets how many threads each OpenBLAS call may use. OpenBLAS keeps this setting
    /// process-wide, so the training loop sets it once before it starts.
    public static func setBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
