// Fully connected layer: y = x Wᵀ + b.
//
// Letters: N batch, F input features, O output features. Input (N, F), output (N, O),
// weight (O, F) as in PyTorch's Linear, bias (O).

public struct Dense: Layer {
    public let name: String
    public let inputFeatures: Int
    public let outputFeatures: Int

    public init(name: String, inputFeatures: Int, outputFeatures: Int) {
        self.name = name
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
    }

    public var inputShape: TensorShape { TensorShape(features: inputFeatures) }
    public var outputShape: TensorShape { TensorShape(features: outputFeatures) }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "\(name).weight", shape: [outputFeatures, inputFeatures],
                       initialization: .heNormal(fanIn: inputFeatures)),
         ParameterSpec(name: "\(name).bias", shape: [outputFeatures], initialization: .zeros)]
    }

    public func forward(_ b: LayerBuffers) {
        let bias = b.parameters + outputFeatures * inputFeatures

        // output (N, O) = input (N, F) × weightᵀ (F, O)
        b.backend.gemm(transposeA: false, transposeB: true, m: b.batch, n: outputFeatures, k: inputFeatures,
                       alpha: 1, a: b.input, lda: inputFeatures, b: b.parameters, ldb: inputFeatures,
                       beta: 0, c: b.output, ldc: outputFeatures)
        for n in 0..<b.batch {
            b.backend.add(bias, to: b.output + n * outputFeatures, count: outputFeatures)
        }
    }

    public func backward(_ b: LayerBuffers) {
        let biasGradient = b.parameterGradients + outputFeatures * inputFeatures

        // dWeight (O, F) += dOutputᵀ (O, N) × input (N, F)
        b.backend.gemm(transposeA: true, transposeB: false, m: outputFeatures, n: inputFeatures, k: b.batch,
                       alpha: 1, a: b.outputGradient, lda: outputFeatures, b: b.input, ldb: inputFeatures,
                       beta: 1, c: b.parameterGradients, ldc: inputFeatures)
        for n in 0..<b.batch {
            b.backend.add(b.outputGradient + n * outputFeatures, to: biasGradient, count: outputFeatures)
        }

        guard let inputGradient = b.inputGradient else { return }

        // dInput (N, F) = dOutput (N, O) × weight (O, F)
        b.backend.gemm(transposeA: false, transposeB: false, m: b.batch, n: inputFeatures, k: outputFeatures,
                       alpha: 1, a: b.outputGradient, lda: outputFeatures, b: b.parameters, ldb: inputFeatures,
                       beta: 0, c: inputGradient, ldc: inputFeatures)
    }
}
