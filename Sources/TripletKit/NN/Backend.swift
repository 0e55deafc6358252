// The compute-backend seam: layers reach matrix products through this interface, so a
// GPU backend can replace the CPU one without touching the layers' callers or the
// training loop.

internal import CBLAS

/// The matrix products and element-wise kernels that layers run.
///
/// NOTE: im2col, pooling and batch-norm statistics still loop over host memory inside the
/// layers; a GPU backend would need those behind this interface too.
public protocol ComputeBackend: Sendable {
    /// Matrix product in row-major layout, C = alpha · op(A) · op(B) + beta · C, with
    /// op(A) m×k and op(B) k×n.
    func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
              alpha: Float, a: UnsafePointer<Float>, lda: Int,
              b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)
    /// y = max(x, 0); input and output may be the same buffer.
    func relu(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int)
    /// dx = dy where y > 0, else 0.
    func reluGradient(output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                      inputGradient: UnsafeMutablePointer<Float>, count: Int)
    /// y[i] += value.
    func add(_ value: Float, to values: UnsafeMutablePointer<Float>, count: Int)
    /// y[i] += x[i].
    func add(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int)
    /// Σ x[i], in an order fixed for a given count.
    func sum(_ values: UnsafePointer<Float>, count: Int) -> Float
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

    public func relu(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        reluForward(input, output, count: count)
    }

    public func reluGradient(output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                             inputGradient: UnsafeMutablePointer<Float>, count: Int) {
        reluBackward(output: output, outputGradient: outputGradient, inputGradient: inputGradient, count: count)
    }

    public func add(_ value: Float, to values: UnsafeMutablePointer<Float>, count: Int) {
        addScalar(value, to: values, count: count)
    }

    public func add(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        addVector(source, to: destination, count: count)
    }

    public func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        laneSum(values, count: count)
    }

    /// Sets how many threads each OpenBLAS call may use. OpenBLAS keeps this setting
    /// process-wide, so the training loop sets it once before it starts.
    public static func setBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
