// The boundary between image layers and dense layers: (C, N, H, W) to (N, C·H·W), so
// each image's features are in PyTorch's flatten order (channel, row, column).

public struct Flatten: Layer {
    public let name: String
    public let inputShape: TensorShape

    public init(name: String, input: TensorShape) {
        self.name = name
        self.inputShape = input
    }

    public var outputShape: TensorShape { TensorShape(features: inputShape.elementCount) }

    public func forward(_ b: LayerBuffers) {
        let plane = inputShape.height * inputShape.width
        let features = inputShape.elementCount
        for c in 0..<inputShape.channels {
            for n in 0..<b.batch {
                (b.output + n * features + c * plane).update(from: b.input + (c * b.batch + n) * plane, count: plane)
            }
        }
    }

    public func backward(_ b: LayerBuffers) {
        guard let inputGradient = b.inputGradient else { return }
        let plane = inputShape.height * inputShape.width
        let features = inputShape.elementCount
        for c in 0..<inputShape.channels {
            for n in 0..<b.batch {
                (inputGradient + (c * b.batch + n) * plane).update(from: b.outputGradient + n * features + c * plane, count: plane)
            }
        }
    }
}
