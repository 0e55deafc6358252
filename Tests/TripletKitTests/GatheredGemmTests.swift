// The gathered GEMM behind unpadded convolutions: products against a Double reference,
// scatter-adds onto repeated elements, reads that stay inside B, and Conv2D's two paths
// against each other. These run only on CPUs with AVX-512F, the only ones that have it.

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TripletKit

/// A product case: sizes, A's layout, B's and C's offset tables, bias and accumulation.
struct GatherCase: CustomStringConvertible {
    var m: Int
    var n: Int
    var k: Int
    var transposedA = false
    /// Distance between neighbouring B columns: 1 is row-major, more gives runs of one.
    var bColumnStep = 1
    var bias = false
    var accumulate = false

    var description: String {
        "\(m)x\(n)x\(k) transposedA=\(transposedA) step=\(bColumnStep) bias=\(bias) accumulate=\(accumulate)"
    }
}

/// Runs one case on `backend` and returns the largest error against a Double reference.
func gatherError(_ test: GatherCase, backend: CPUBackend, seed: UInt64) -> Double {
    var generator = SplitMix64(seed: seed)
    let (m, n, k) = (test.m, test.n, test.k)
    let a = (0..<(m * k)).map { _ in generator.nextGaussian() }
    let bRowStride = n * test.bColumnStep
    let b = (0..<(k * bRowStride)).map { _ in generator.nextGaussian() }
    let bias = (0..<m).map { _ in generator.nextGaussian() }
    let start = (0..<(m * n)).map { _ in generator.nextGaussian() }

    // A(i, l): a[i·k + l], or a[l·m + i] when transposed.
    func elementA(_ i: Int, _ l: Int) -> Float { test.transposedA ? a[l * m + i] : a[i * k + l] }
    let bRows = (0..<k).map { Int32($0 * bRowStride) }
    let bColumns = (0..<n).map { Int32($0 * test.bColumnStep) }
    let cRows = (0..<m).map { Int32($0 * n) }
    let cColumns = (0..<n).map { Int32($0) }

    var c = start
    a.withUnsafeBufferPointer { aBuffer in
        b.withUnsafeBufferPointer { bBuffer in
            bias.withUnsafeBufferPointer { biasBuffer in
                c.withUnsafeMutableBufferPointer { cBuffer in
                    backend.gatheredGemm(m: m, n: n, k: k, a: aBuffer.baseAddress!,
                                         aRowStride: test.transposedA ? 1 : k, aColumnStride: test.transposedA ? m : 1,
                                         b: bBuffer, bRowOffsets: bRows, bColumnOffsets: bColumns,
                                         c: cBuffer.baseAddress!, cRowOffsets: cRows, cColumnOffsets: cColumns,
                                         rowBias: test.bias ? biasBuffer.baseAddress : nil, accumulate: test.accumulate)
                }
            }
        }
    }

    var worst = 0.0
    for i in 0..<m {
        for j in 0..<n {
            var expected = test.accumulate ? Double(start[i * n + j]) : 0
            if test.bias { expected += Double(bias[i]) }
            for l in 0..<k {
                expected += Double(elementA(i, l)) * Double(b[l * bRowStride + j * test.bColumnStep])
            }
            worst = max(worst, abs(Double(c[i * n + j]) - expected) / (1 + abs(expected)))
        }
    }
    return worst
}

@Suite(.enabled(if: GemmKernels.builtinAvailable, "needs AVX-512F"))
struct GatheredGemmTests {
    let backend = CPUBackend(gemmKernels: .auto)

    // Sizes below, at and above the 8-row and 16/32/48-column tiles and the 384-deep blocks.
    static let cases: [GatherCase] = [
        GatherCase(m: 1, n: 1, k: 1),
        GatherCase(m: 8, n: 48, k: 384),
        GatherCase(m: 13, n: 50, k: 300, transposedA: true),
        GatherCase(m: 17, n: 20, k: 5, bColumnStep: 3, bias: true),
        GatherCase(m: 9, n: 33, k: 769, accumulate: true),
        GatherCase(m: 24, n: 97, k: 40, transposedA: true, bColumnStep: 2, bias: true, accumulate: true),
        GatherCase(m: 3, n: 16, k: 0, bias: true),
    ]

    @Test(arguments: cases)
    func productMatchesReference(test: GatherCase) {
        let error = gatherError(test, backend: backend, seed: UInt64(test.m * 1000 + test.n))
        #expect(error <= 1e-4, "\(test): relative error \(error)")
    }

    @Test func scatterAddsEveryTerm() {
        // C(i, j) is c[i + j], so the element c[t] collects every (i, j) with i + j = t.
        let (m, n, k) = (11, 37, 9)
        var generator = SplitMix64(seed: 11)
        let a = (0..<(m * k)).map { _ in generator.nextGaussian() }
        let b = (0..<(k * n)).map { _ in generator.nextGaussian() }
        var c = [Float](repeating: 0.5, count: m + n - 1)
        b.withUnsafeBufferPointer { bBuffer in
            backend.gatheredGemm(m: m, n: n, k: k, a: a, aRowStride: k, aColumnStride: 1,
                                 b: bBuffer, bRowOffsets: (0..<k).map { Int32($0 * n) }, bColumnOffsets: (0..<n).map { Int32($0) },
                                 c: &c, cRowOffsets: (0..<m).map { Int32($0) }, cColumnOffsets: (0..<n).map { Int32($0) },
                                 rowBias: nil, accumulate: true)
        }

        var expected = [Double](repeating: 0.5, count: m + n - 1)
        for i in 0..<m {
            for j in 0..<n {
                for l in 0..<k { expected[i + j] += Double(a[i * k + l]) * Double(b[l * n + j]) }
            }
        }
        for t in expected.indices {
            #expect(abs(Double(c[t]) - expected[t]) <= 1e-4 * (1 + abs(expected[t])), "element \(t)")
        }
    }

    @Test func readsStayInsideB() throws {
        // B ends exactly where an inaccessible page begins, so a read past its last float
        // crashes the test. Each row of B is a run of 5, the kernel's widest-read case.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = try #require(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(memory != MAP_FAILED)
        defer { munmap(memory, 2 * page) }
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)

        let (m, n, k) = (8, 5, 6)
        let count = n * k
        let b = (memory + page - count * MemoryLayout<Float>.size).bindMemory(to: Float.self, capacity: count)
        for i in 0..<count { b[i] = Float(i) }
        let a = [Float](repeating: 1, count: m * k)
        var c = [Float](repeating: 0, count: m * n)
        backend.gatheredGemm(m: m, n: n, k: k, a: a, aRowStride: k, aColumnStride: 1,
                             b: UnsafeBufferPointer(start: b, count: count),
                             bRowOffsets: (0..<k).map { Int32($0 * n) }, bColumnOffsets: (0..<n).map { Int32($0) },
                             c: &c, cRowOffsets: (0..<m).map { Int32($0 * n) }, cColumnOffsets: (0..<n).map { Int32($0) },
                             rowBias: nil, accumulate: false)

        // Column j sums j, n + j, ..., (k - 1)·n + j.
        for j in 0..<n {
            #expect(c[j] == Float(n * k * (k - 1) / 2 + k * j), "column \(j)")
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gemmMatchesOpenBLAS(transposeA: Bool, transposeB: Bool) {
        // Odd sizes, so that 8 x 8 transposes and tiles both leave remainders.
        let (m, n, k) = (21, 45, 19)
        var generator = SplitMix64(seed: 41)
        let a = (0..<(m * k)).map { _ in generator.nextGaussian() }
        let b = (0..<(k * n)).map { _ in generator.nextGaussian() }
        let start = (0..<(m * n)).map { _ in generator.nextGaussian() }
        for beta: Float in [0, 1] {
            var results: [[Float]] = []
            for backend in [backend, CPUBackend(gemmKernels: .openblas)] {
                var c = start
                backend.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                             alpha: 1, a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n,
                             beta: beta, c: &c, ldc: n)
                results.append(c)
            }
            let worst = zip(results[0], results[1]).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
            #expect(worst <= 1e-5, "beta \(beta): relative difference \(worst)")
        }
    }

    /// Runs `layer` forward and backward on `backend` and returns output, parameter
    /// gradients and input gradient, concatenated.
    func convolutionResults(_ layer: Conv2D, batch: Int, backend: CPUBackend) -> (output: [Float], parameters: [Float], input: [Float]) {
        var generator = SplitMix64(seed: 21)
        let input = FloatBuffer((0..<(batch * layer.inputShape.elementCount)).map { _ in generator.nextGaussian() })
        let parameters = FloatBuffer((0..<layer.parameterCount).map { _ in generator.nextGaussian() * 0.1 })
        let outputGradient = FloatBuffer((0..<(batch * layer.outputShape.elementCount)).map { _ in generator.nextGaussian() })
        let output = FloatBuffer(count: batch * layer.outputShape.elementCount)
        let parameterGradient = FloatBuffer(count: layer.parameterCount, value: 0.25)
        let inputGradient = FloatBuffer(count: input.count, value: .nan)
        let scratch = FloatBuffer(count: layer.scratchSize(batch: batch))
        let buffers = LayerBuffers(batch: batch, parameters: parameters.pointer, parameterGradients: parameterGradient.pointer,
                                   input: input.pointer, output: output.pointer, outputGradient: outputGradient.pointer,
                                   inputGradient: inputGradient.pointer, scratch: scratch.pointer, backend: backend)
        layer.forward(buffers)
        layer.backward(buffers)
        return (output.array, parameterGradient.array, inputGradient.array)
    }

    @Test func convolutionMatchesOpenBLASPath() {
        // The reference network's two convolutions, and a strided one.
        let layers = [
            Conv2D(name: "conv1", input: TensorShape(channels: 1, height: 28, width: 28), outputChannels: 32, kernelSize: 5),
            Conv2D(name: "conv2", input: TensorShape(channels: 32, height: 12, width: 12), outputChannels: 64, kernelSize: 5),
            Conv2D(name: "strided", input: TensorShape(channels: 3, height: 11, width: 9), outputChannels: 5, kernelSize: 3, stride: 2),
        ]
        for layer in layers {
            #expect(layer.readsColumnsInPlace(backend))
            let gathered = convolutionResults(layer, batch: 3, backend: backend)
            let reference = convolutionResults(layer, batch: 3, backend: CPUBackend(gemmKernels: .openblas))
            for (name, values, expected) in [("output", gathered.output, reference.output),
                                             ("parameter gradient", gathered.parameters, reference.parameters),
                                             ("input gradient", gathered.input, reference.input)] {
                let worst = zip(values, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                #expect(worst <= 1e-4, "\(layer.name) \(name): relative difference \(worst)")
            }
        }
    }
}
