// The compute-backend seam: layers reach matrix products through this interface, so a
// GPU backend can replace the CPU one without touching the layers' callers or the
// training loop.

internal import CBLAS
internal import CKernels

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

    /// Whether `gatheredGemm` runs. Layers that get false build the gathered matrix in
    /// memory and call `gemm`.
    var supportsGatheredGemm: Bool { get }
    /// Matrix product C = bias + A · B, or C += bias + A · B when `accumulate` is true, for
    /// m×k A, k×n B and m×n C. `rowBias`, when given, contains one value for each row of C.
    /// A(i, l) is a[i · aRowStride + l · aColumnStride], B(l, j) is
    /// b[bRowOffsets[l] + bColumnOffsets[j]] and C(i, j) is c[cRowOffsets[i] + cColumnOffsets[j]].
    /// With these tables a convolution reads its column matrix straight from its input. It
    /// also adds its column gradient straight onto the input gradient, because when
    /// `accumulate` is true several (i, j) may name one element of C, and each adds its term.
    func gatheredGemm(m: Int, n: Int, k: Int,
                      a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
                      b: UnsafeBufferPointer<Float>, bRowOffsets: [Int32], bColumnOffsets: [Int32],
                      c: UnsafeMutablePointer<Float>, cRowOffsets: [Int32], cColumnOffsets: [Int32],
                      rowBias: UnsafePointer<Float>?, accumulate: Bool)
}

extension ComputeBackend {
    public var supportsGatheredGemm: Bool { false }

    public func gatheredGemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
                             b: UnsafeBufferPointer<Float>, bRowOffsets: [Int32], bColumnOffsets: [Int32],
                             c: UnsafeMutablePointer<Float>, cRowOffsets: [Int32], cColumnOffsets: [Int32],
                             rowBias: UnsafePointer<Float>?, accumulate: Bool) {
        preconditionFailure("\(Self.self) has no gathered GEMM; check supportsGatheredGemm first")
    }
}

/// The matrix products the CPU backend runs.
public enum GemmKernels: String, CaseIterable, Sendable, Codable {
    /// TripletKit's AVX-512 kernel for every product where the CPU has AVX-512F, OpenBLAS
    /// elsewhere. Convolutions then read their column matrix in place.
    case auto
    /// OpenBLAS's sgemm for every product, with convolutions building the column matrix
    /// (im2col), on any CPU.
    case openblas

    /// Whether this CPU runs TripletKit's own kernel (AVX-512F).
    public static var builtinAvailable: Bool { tk_gather_gemm_available() }
}

/// Matrix products on the CPU: TripletKit's AVX-512 kernel where the CPU has AVX-512F and
/// `GemmKernels.auto` is chosen, OpenBLAS's cblas_sgemm otherwise. Both are
/// single-threaded unless OpenBLAS is given threads.
public struct CPUBackend: ComputeBackend {
    public let supportsGatheredGemm: Bool

    public init(gemmKernels: GemmKernels = .auto) {
        supportsGatheredGemm = gemmKernels == .auto && GemmKernels.builtinAvailable
    }

    public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        // Scaled products, which the layers never ask for, stay on OpenBLAS.
        if supportsGatheredGemm && alpha == 1 && (beta == 0 || beta == 1) && k > 0 {
            // op(B)(l, j) is b[l · ldb + j], or b[j · ldb + l] when transposed.
            let rowStep = transposeB ? 1 : ldb
            let columnStep = transposeB ? ldb : 1
            let rows = transposeB ? n : k
            let columns = transposeB ? k : n
            gatheredGemm(m: m, n: n, k: k, a: a, aRowStride: transposeA ? 1 : lda, aColumnStride: transposeA ? lda : 1,
                         b: UnsafeBufferPointer(start: b, count: (rows - 1) * ldb + columns),
                         bRowOffsets: (0..<k).map { Int32($0 * rowStep) }, bColumnOffsets: (0..<n).map { Int32($0 * columnStep) },
                         c: c, cRowOffsets: (0..<m).map { Int32($0 * ldc) }, cColumnOffsets: (0..<n).map { Int32($0) },
                         rowBias: nil, accumulate: beta == 1)
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    public func gatheredGemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
                             b: UnsafeBufferPointer<Float>, bRowOffsets: [Int32], bColumnOffsets: [Int32],
                             c: UnsafeMutablePointer<Float>, cRowOffsets: [Int32], cColumnOffsets: [Int32],
                             rowBias: UnsafePointer<Float>?, accumulate: Bool) {
        precondition(supportsGatheredGemm, "gathered GEMM called on a CPU backend without it")
        precondition(bRowOffsets.count >= k && bColumnOffsets.count >= n && cRowOffsets.count >= m && cColumnOffsets.count >= n,
                     "gathered GEMM: offset tables shorter than the matrices")
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max))
        tk_gather_gemm(Int32(m), Int32(n), Int32(k), a, aRowStride, aColumnStride,
                       b.baseAddress, b.count, bRowOffsets, bColumnOffsets,
                       c, cRowOffsets, cColumnOffsets, rowBias, accumulate)
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
