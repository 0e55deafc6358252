// Stochastic gradient descent with L2 weight decay and optional momentum, one flat loop
// over the network's single parameter buffer:
//   g = gradient + weightDecay · w
//   v = momentum · v + g        (v is skipped when momentum is 0)
//   w = w - rate · v
// Weight decay applies to every parameter, biases included, as MXNet's SGD does.

public struct SGD: Sendable {
    public var weightDecay: Float
    public var momentum: Float
    /// Momentum buffer, same layout as the parameters; empty when momentum is 0.
    public var velocity: [Float]

    public init(parameterCount: Int, weightDecay: Float, momentum: Float = 0) {
        self.weightDecay = weightDecay
        self.momentum = momentum
        velocity = momentum == 0 ? [] : [Float](repeating: 0, count: parameterCount)
    }

    public mutating func step(parameters: inout [Float], gradients: UnsafePointer<Float>, rate: Float) {
        let decay = weightDecay
        let momentum = self.momentum
        parameters.withUnsafeMutableBufferPointer { weights in
            if momentum == 0 {
                for i in 0..<weights.count {
                    weights[i] -= rate * (gradients[i] + decay * weights[i])
                }
                return
            }
            velocity.withUnsafeMutableBufferPointer { velocity in
                for i in 0..<weights.count {
                    velocity[i] = momentum * velocity[i] + gradients[i] + decay * weights[i]
                    weights[i] -= rate * velocity[i]
                }
            }
        }
    }
}
