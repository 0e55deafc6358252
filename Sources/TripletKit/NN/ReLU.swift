// Rectified linear unit, element-wise on any layout: y = max(x, 0).

public struct ReLU: Layer {
    public let name: String
    public let inputShape: TensorShape

    public init(name: String, input: TensorShape) {
        self.name = name
        self.inputShape = input
    }

    public var outputShape: TensorShape { inputShape }

    public func forward(_ b: LayerBuffers) {
        b.backend.relu(b.input, b.output, count: b.batch * inputShape.elementCount)
    }

    /// dx = dy where y > 0, else 0 (the subgradient at 0 is taken as 0, as in PyTorch).
    public func backward(_ b: LayerBuffers) {
        guard let inputGradient = b.inputGradient else { return }
        b.backend.reluGradient(output: b.output, outputGradient: b.outputGradient, inputGradient: inputGradient,
                     count: b.batch * inputShape.elementCount)
    }
}
