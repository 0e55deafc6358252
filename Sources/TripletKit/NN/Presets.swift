// Network presets by name. Adding a preset is one entry here and, for a new layer
// type, one file beside this one.

public enum NetworkPreset: String, CaseIterable, Sendable {
    /// The reference network of the tutorial-parity runs: conv 5×5×32, ReLU, max-pool 2,
    /// conv 5×5×64, ReLU, max-pool 2, dense 256, ReLU, dense to the embedding, on 1×28×28
    /// inputs. Convolutions are unpadded (28 → 24 → 12 → 8 → 4, 1024 features).
    case convnet

    /// The input shape the preset expects.
    public var inputShape: TensorShape {
        switch self {
        case .convnet: TensorShape(channels: 1, height: 28, width: 28)
        }
    }

    public func makeNetwork(embeddingDimension: Int, backend: any ComputeBackend = CPUBackend()) -> Network {
        switch self {
        case .convnet:
            let conv1 = Conv2D(name: "conv1", input: inputShape, outputChannels: 32, kernelSize: 5)
            let relu1 = ReLU(name: "relu1", input: conv1.outputShape)
            let pool1 = MaxPool2D(name: "pool1", input: relu1.outputShape)
            let conv2 = Conv2D(name: "conv2", input: pool1.outputShape, outputChannels: 64, kernelSize: 5)
            let relu2 = ReLU(name: "relu2", input: conv2.outputShape)
            let pool2 = MaxPool2D(name: "pool2", input: relu2.outputShape)
            let flatten = Flatten(name: "flatten", input: pool2.outputShape)
            let fc1 = Dense(name: "fc1", inputFeatures: flatten.outputShape.elementCount, outputFeatures: 256)
            let relu3 = ReLU(name: "relu3", input: fc1.outputShape)
            let fc2 = Dense(name: "fc2", inputFeatures: 256, outputFeatures: embeddingDimension)
            return Network(architecture: rawValue,
                           layers: [conv1, relu1, pool1, conv2, relu2, pool2, flatten, fc1, relu3, fc2],
                           backend: backend)
        }
    }
}
