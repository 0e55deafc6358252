// Stochastic gradient descent with L2 weight decay and optional momentum, one flat loop
// over the network's single parameter buffer:
//   g = gradient + weightDecay · w
//   v = momentum · v + g        (v is skipped when momentum is 0)
//   w = w - rate · v
// Weight decay applies to every parameter, biases included, as MXNet's SGD does.

import Dispatch

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
        step(parameters: &parameters, gradientShards: [gradients], rate: rate, parallel: false)
    }

    /// Updates with the sum of `gradientShards`, added in shard order, so the result equals
    /// a step on their precomputed sum. With `parallel`, two threads update halves of the
    /// buffer, which gives the same result since each element is updated on its own.
    public mutating func step(parameters: inout [Float], gradientShards: [UnsafePointer<Float>], rate: Float,
                              parallel: Bool) {
        precondition(!gradientShards.isEmpty)
        let decay = weightDecay
        let momentum = self.momentum
        let count = parameters.count
        let parts = parallel ? 2 : 1
        let first = gradientShards[0]
        let second = gradientShards.count > 1 ? gradientShards[1] : nil
        let others = Array(gradientShards.dropFirst(2))

        // The gradient of element i: shards 0 and 1 inline, since two is the usual count.
        @inline(__always) func gradient(_ i: Int) -> Float {
            var sum = first[i]
            if let second { sum += second[i] }
            for shard in others { sum += shard[i] }
            return sum
        }

        parameters.withUnsafeMutableBufferPointer { weights in
            let weights = weights.baseAddress!
            if momentum == 0, let second, others.isEmpty {
                // The usual two shards, as a loop simple enough to vectorise, with the same
                // operations in the same order as the general loop below.
                let update = { (part: Int) in
                    for i in (part * count / parts)..<((part + 1) * count / parts) {
                        weights[i] -= rate * ((first[i] + second[i]) + decay * weights[i])
                    }
                }
                parts > 1 ? DispatchQueue.concurrentPerform(iterations: parts, execute: update) : update(0)
                return
            }
            if momentum == 0 {
                let update = { (part: Int) in
                    for i in (part * count / parts)..<((part + 1) * count / parts) {
                        weights[i] -= rate * (gradient(i) + decay * weights[i])
                    }
                }
                parts > 1 ? DispatchQueue.concurrentPerform(iterations: parts, execute: update) : update(0)
                return
            }
            velocity.withUnsafeMutableBufferPointer { velocity in
                let velocity = velocity.baseAddress!
                let update = { (part: Int) in
                    for i in (part * count / parts)..<((part + 1) * count / parts) {
                        velocity[i] = momentum * velocity[i] + gradient(i) + decay * weights[i]
                        weights[i] -= rate * velocity[i]
                    }
                }
                parts > 1 ? DispatchQueue.concurrentPerform(iterations: parts, execute: update) : update(0)
            }
        }
    }
}
