// Batch normalisation over each channel of an image tensor (Ioffe and Szegedy, 2015):
//   y = γ (x - μ) / √(σ² + ε) + β
// In training mode μ and σ² are the batch's mean and biased variance over (N, H, W); in
// inference mode they are the running statistics.
//
// Letters: C channels, N batch, H×W plane. Input and output (C, N, H, W), so each
// channel's N·H·W values are contiguous. γ (C) starts at 1, β (C) at 0.
//
// Deviation from a single-device framework: each shard of a step normalises with its own
// statistics (the shards of a 96-image step see 48 images each), and the running
// statistics move towards the mean of the shards' statistics.

public struct BatchNorm2D: Layer {
    public let name: String
    public let inputShape: TensorShape
    /// Weight of the newest batch in the running statistics (PyTorch's momentum 0.1).
    public let runningMomentum: Float = 0.1
    public let epsilon: Float = 1e-5

    public init(name: String, input: TensorShape) {
        self.name = name
        self.inputShape = input
    }

    public var outputShape: TensorShape { inputShape }
    var channels: Int { inputShape.channels }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "\(name).weight", shape: [channels], initialization: .ones),
         ParameterSpec(name: "\(name).bias", shape: [channels], initialization: .zeros)]
    }

    public var stateSpecs: [ParameterSpec] {
        [ParameterSpec(name: "\(name).running_mean", shape: [channels], initialization: .zeros),
         ParameterSpec(name: "\(name).running_var", shape: [channels], initialization: .ones)]
    }

    /// Scratch: batch mean (C), 1 / √(σ² + ε) (C) and unbiased batch variance (C).
    public func scratchSize(batch: Int) -> Int { 3 * channels }

    public func forward(_ b: LayerBuffers) {
        let count = b.batch * inputShape.height * inputShape.width
        let gamma = b.parameters
        let beta = b.parameters + channels
        let mean = b.scratch
        let inverseDeviation = b.scratch + channels
        let unbiasedVariance = b.scratch + 2 * channels
        for c in 0..<channels {
            let x = b.input + c * count
            let y = b.output + c * count
            var channelMean: Float
            var variance: Float
            if b.isTraining {
                channelMean = b.backend.sum(x, count: count) / Float(count)
                var squares: Float = 0
                for i in 0..<count { squares += (x[i] - channelMean) * (x[i] - channelMean) }
                variance = squares / Float(count)
                mean[c] = channelMean
                unbiasedVariance[c] = count > 1 ? squares / Float(count - 1) : 0
            } else {
                channelMean = b.state[c]
                variance = b.state[channels + c]
            }
            let inverse = 1 / (variance + epsilon).squareRoot()
            inverseDeviation[c] = inverse
            let scale = gamma[c] * inverse
            let shift = beta[c] - channelMean * scale
            for i in 0..<count { y[i] = x[i] * scale + shift }
        }
    }

    /// With x̂ = (x - μ) / σ and M = N·H·W values per channel:
    ///   dγ = Σ dy·x̂,  dβ = Σ dy,  dx = γ / (σ M) · (M dy - Σ dy - x̂ Σ dy·x̂).
    public func backward(_ b: LayerBuffers) {
        let count = b.batch * inputShape.height * inputShape.width
        let gamma = b.parameters
        let mean = b.scratch
        let inverseDeviation = b.scratch + channels
        for c in 0..<channels {
            let x = b.input + c * count
            let dy = b.outputGradient + c * count
            let channelMean = mean[c]
            let inverse = inverseDeviation[c]
            let gradientSum = b.backend.sum(dy, count: count)
            var projection: Float = 0
            for i in 0..<count { projection += dy[i] * (x[i] - channelMean) * inverse }
            b.parameterGradients[c] += projection
            b.parameterGradients[channels + c] += gradientSum

            guard let dx = b.inputGradient.map({ $0 + c * count }) else { continue }
            let factor = gamma[c] * inverse / Float(count)
            let total = Float(count)
            for i in 0..<count {
                let normalized = (x[i] - channelMean) * inverse
                dx[i] = factor * (total * dy[i] - gradientSum - normalized * projection)
            }
        }
    }

    public func updateState(_ state: UnsafeMutablePointer<Float>, scratches: [UnsafePointer<Float>], batches: [Int]) {
        let used = zip(scratches, batches).filter { $0.1 > 0 }.map(\.0)
        guard !used.isEmpty else { return }
        for c in 0..<channels {
            var mean: Float = 0
            var variance: Float = 0
            for scratch in used {
                mean += scratch[c]
                variance += scratch[2 * channels + c]
            }
            mean /= Float(used.count)
            variance /= Float(used.count)
            state[c] = (1 - runningMomentum) * state[c] + runningMomentum * mean
            state[channels + c] = (1 - runningMomentum) * state[channels + c] + runningMomentum * variance
        }
    }
}
