// 2-D convolution as one GEMM over the whole batch with the column matrix (im2col).
//
// Letters: N batch, C input channels, K output channels, H×W input, P×Q output,
// R×S kernel. Input (C, N, H, W), output (K, N, P, Q), weight (K, C, R, S) as in
// PyTorch, bias (K).
//
// Two ways to the same products. Where the backend has a gathered GEMM and the
// convolution is unpadded, the column matrix is read from the input through two offset
// tables and never stored. The column gradient is then added onto the input gradient
// through the same tables. Otherwise scratch contains the column matrix (C·R·S, N·P·Q),
// which forward fills and the weight gradient reuses, and the column gradient goes
// through scratch and is scattered back by col2im.

import Foundation

public struct Conv2D: Layer {
    public let name: String
    public let inputShape: TensorShape
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    /// The offset tables of the last batch size, shared by copies of the layer, so that
    /// forward and backward do not build them again on every step.
    private let offsetsCache = ColumnOffsetsCache()

    public init(name: String, input: TensorShape, outputChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0) {
        precondition(input.height + 2 * padding >= kernelSize && input.width + 2 * padding >= kernelSize,
                     "\(name): kernel \(kernelSize) larger than padded input \(input)")
        self.name = name
        self.inputShape = input
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    public var outputShape: TensorShape {
        TensorShape(channels: outputChannels,
                    height: (inputShape.height + 2 * padding - kernelSize) / stride + 1,
                    width: (inputShape.width + 2 * padding - kernelSize) / stride + 1)
    }

    /// Rows of the column matrix: C·R·S.
    var patchSize: Int { inputShape.channels * kernelSize * kernelSize }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "\(name).weight", shape: [outputChannels, inputShape.channels, kernelSize, kernelSize],
                       initialization: .heNormal(fanIn: patchSize)),
         ParameterSpec(name: "\(name).bias", shape: [outputChannels], initialization: .zeros)]
    }

    public func scratchSize(batch: Int) -> Int {
        patchSize * batch * outputShape.height * outputShape.width
    }

    public func forward(_ b: LayerBuffers) {
        let columns = b.batch * outputShape.height * outputShape.width
        let weight = b.parameters
        let bias = b.parameters + outputChannels * patchSize

        // output (K, N·P·Q) = weight (K, C·R·S) × columns (C·R·S, N·P·Q)
        if readsColumnsInPlace(b.backend) {
            let offsets = offsetsCache.offsets(for: self, batch: b.batch)
            b.backend.gatheredGemm(m: outputChannels, n: columns, k: patchSize,
                                   a: weight, aRowStride: patchSize, aColumnStride: 1,
                                   b: UnsafeBufferPointer(start: b.input, count: inputShape.elementCount * b.batch),
                                   bRowOffsets: offsets.patch, bColumnOffsets: offsets.position,
                                   c: b.output, cRowOffsets: offsets.outputRows, cColumnOffsets: offsets.outputColumns,
                                   rowBias: bias, accumulate: false)
        } else {
            im2col(b.input, batch: b.batch, into: b.scratch)
            b.backend.gemm(transposeA: false, transposeB: false, m: outputChannels, n: columns, k: patchSize,
                           alpha: 1, a: weight, lda: patchSize, b: b.scratch, ldb: columns,
                           beta: 0, c: b.output, ldc: columns)
            for k in 0..<outputChannels {
                b.backend.add(bias[k], to: b.output + k * columns, count: columns)
            }
        }
    }

    public func backward(_ b: LayerBuffers) {
        let columns = b.batch * outputShape.height * outputShape.width
        let weightGradient = b.parameterGradients
        let biasGradient = b.parameterGradients + outputChannels * patchSize

        // dWeight (K, C·R·S) += dOutput (K, N·P·Q) × columnsᵀ
        let offsets = readsColumnsInPlace(b.backend) ? offsetsCache.offsets(for: self, batch: b.batch) : nil
        if let offsets {
            b.backend.gatheredGemm(m: outputChannels, n: patchSize, k: columns,
                                   a: b.outputGradient, aRowStride: columns, aColumnStride: 1,
                                   b: UnsafeBufferPointer(start: b.input, count: inputShape.elementCount * b.batch),
                                   bRowOffsets: offsets.position, bColumnOffsets: offsets.patch,
                                   c: weightGradient, cRowOffsets: offsets.weightRows, cColumnOffsets: offsets.weightColumns,
                                   rowBias: nil, accumulate: true)
        } else {
            b.backend.gemm(transposeA: false, transposeB: true, m: outputChannels, n: patchSize, k: columns,
                           alpha: 1, a: b.outputGradient, lda: columns, b: b.scratch, ldb: columns,
                           beta: 1, c: weightGradient, ldc: patchSize)
        }
        for k in 0..<outputChannels {
            biasGradient[k] += b.backend.sum(b.outputGradient + k * columns, count: columns)
        }

        guard let inputGradient = b.inputGradient else { return }

        // dColumns (C·R·S, N·P·Q) = weightᵀ × dOutput, scattered back onto the input.
        if let offsets {
            // Each column entry adds onto the input position it was read from.
            inputGradient.update(repeating: 0, count: inputShape.elementCount * b.batch)
            b.backend.gatheredGemm(m: patchSize, n: columns, k: outputChannels,
                                   a: b.parameters, aRowStride: 1, aColumnStride: patchSize,
                                   b: UnsafeBufferPointer(start: b.outputGradient, count: outputChannels * columns),
                                   bRowOffsets: offsets.outputRows, bColumnOffsets: offsets.outputColumns,
                                   c: inputGradient, cRowOffsets: offsets.patch, cColumnOffsets: offsets.position,
                                   rowBias: nil, accumulate: true)
        } else {
            // Written over the columns that the weight gradient no longer needs.
            b.backend.gemm(transposeA: true, transposeB: false, m: patchSize, n: columns, k: outputChannels,
                           alpha: 1, a: b.parameters, lda: patchSize, b: b.outputGradient, ldb: columns,
                           beta: 0, c: b.scratch, ldc: columns)
            col2im(b.scratch, batch: b.batch, into: inputGradient)
        }
    }

    // MARK: - Column matrix through offset tables

    /// Returns whether products read the column matrix from the input in place. Padding would need
    /// zeros that the input does not contain, so padded convolutions build the matrix.
    func readsColumnsInPlace(_ backend: any ComputeBackend) -> Bool {
        padding == 0 && backend.supportsGatheredGemm
    }

    /// The column matrix of an unpadded convolution as two offset tables into the input,
    /// columns(i, j) = input[patch[i] + position[j]] with patch i = (c, r, s) and position
    /// j = (n, p, q), and the row-major tables of the output and the weight gradient.
    struct ColumnOffsets {
        let patch: [Int32]
        let position: [Int32]
        /// Output (K, N·P·Q): row k starts at k · N·P·Q.
        let outputRows: [Int32]
        let outputColumns: [Int32]
        /// Weight gradient (K, C·R·S): row k starts at k · C·R·S.
        let weightRows: [Int32]
        let weightColumns: [Int32]

        init(_ layer: Conv2D, batch: Int) {
            let shape = layer.inputShape
            let (outHeight, outWidth) = (layer.outputShape.height, layer.outputShape.width)
            let plane = shape.height * shape.width
            let columns = batch * outHeight * outWidth
            precondition(shape.channels * batch * plane <= Int(Int32.max) && layer.outputChannels * columns <= Int(Int32.max),
                         "\(layer.name): batch of \(batch) too large for 32-bit offsets")

            var patch: [Int32] = []
            patch.reserveCapacity(layer.patchSize)
            for c in 0..<shape.channels {
                for r in 0..<layer.kernelSize {
                    for s in 0..<layer.kernelSize {
                        patch.append(Int32((c * batch) * plane + r * shape.width + s))
                    }
                }
            }

            var position: [Int32] = []
            position.reserveCapacity(columns)
            for n in 0..<batch {
                for p in 0..<outHeight {
                    for q in 0..<outWidth {
                        position.append(Int32(n * plane + p * layer.stride * shape.width + q * layer.stride))
                    }
                }
            }
            self.patch = patch
            self.position = position
            outputRows = (0..<layer.outputChannels).map { Int32($0 * columns) }
            outputColumns = (0..<columns).map { Int32($0) }
            weightRows = (0..<layer.outputChannels).map { Int32($0 * layer.patchSize) }
            weightColumns = (0..<layer.patchSize).map { Int32($0) }
        }
    }

    /// The tables of one batch size at a time. Training repeats one size, and evaluation
    /// changes it only for its last, smaller batch, so one entry is enough.
    final class ColumnOffsetsCache: @unchecked Sendable {
        private let lock = NSLock()
        private var cached: (batch: Int, offsets: ColumnOffsets)?

        func offsets(for layer: Conv2D, batch: Int) -> ColumnOffsets {
            lock.lock()
            defer { lock.unlock() }
            if let cached, cached.batch == batch { return cached.offsets }
            let offsets = ColumnOffsets(layer, batch: batch)
            cached = (batch, offsets)
            return offsets
        }
    }

    // MARK: - Column matrix in memory

    /// Copies every R×S patch of `input` (C, N, H, W) into a column of `columns`
    /// (C·R·S, N·P·Q); positions in the zero padding read as 0.
    func im2col(_ input: UnsafePointer<Float>, batch: Int, into columns: UnsafeMutablePointer<Float>) {
        let (height, width) = (inputShape.height, inputShape.width)
        let (outHeight, outWidth) = (outputShape.height, outputShape.width)
        let plane = height * width
        var row = columns
        for c in 0..<inputShape.channels {
            for r in 0..<kernelSize {
                for s in 0..<kernelSize {
                    for n in 0..<batch {
                        let image = input + (c * batch + n) * plane
                        for p in 0..<outHeight {
                            let y = p * stride + r - padding
                            let destination = row + (n * outHeight + p) * outWidth
                            guard y >= 0 && y < height else {
                                destination.update(repeating: 0, count: outWidth)
                                continue
                            }
                            let source = image + y * width
                            if stride == 1 && padding == 0 {
                                copyFloats(source + s, to: destination, count: outWidth)
                            } else {
                                for q in 0..<outWidth {
                                    let x = q * stride + s - padding
                                    destination[q] = (x >= 0 && x < width) ? source[x] : 0
                                }
                            }
                        }
                    }
                    row += batch * outHeight * outWidth
                }
            }
        }
    }

    /// Adds every column entry back onto the input position it was copied from, the
    /// adjoint of `im2col`. Overwrites `inputGradient` (C, N, H, W).
    func col2im(_ columns: UnsafePointer<Float>, batch: Int, into inputGradient: UnsafeMutablePointer<Float>) {
        let (height, width) = (inputShape.height, inputShape.width)
        let (outHeight, outWidth) = (outputShape.height, outputShape.width)
        let plane = height * width
        inputGradient.update(repeating: 0, count: inputShape.channels * batch * plane)
        var row = columns
        for c in 0..<inputShape.channels {
            for r in 0..<kernelSize {
                for s in 0..<kernelSize {
                    for n in 0..<batch {
                        let image = inputGradient + (c * batch + n) * plane
                        for p in 0..<outHeight {
                            let y = p * stride + r - padding
                            guard y >= 0 && y < height else { continue }
                            let source = row + (n * outHeight + p) * outWidth
                            let destination = image + y * width
                            if stride == 1 && padding == 0 {
                                addVector(source, to: destination + s, count: outWidth)
                                continue
                            }
                            for q in 0..<outWidth {
                                let x = q * stride + s - padding
                                if x >= 0 && x < width { destination[x] += source[q] }
                            }
                        }
                    }
                    row += batch * outHeight * outWidth
                }
            }
        }
    }
}
