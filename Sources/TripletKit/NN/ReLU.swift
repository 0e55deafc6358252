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
        let count = b.batch * inputShape.elementCount
        for i in 0..<count { b.output[i] = max(b.input[i], 0) }
    }

    /// dx = dy where y > 0, else 0 (the subgradient at 0 is taken as 0, as in PyTorch).
    public func backward(_ b: LayerBuffers) {
        guard let inputGradient = b.inputGradient else { return }
        let count = b.batch * inputShape.elementCount
        for i in 0..<count { inputGradient[i] = b.output[i] > 0 ? b.outputGradient[i] : 0 }
    }
}
