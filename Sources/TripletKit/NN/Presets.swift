// Network presets by name. Adding a preset is one entry here and, for a new layer
// type, one file beside this one.

public enum NetworkPreset: String, CaseIterable, Sendable {
    /// The reference network of the tutorial-parity runs: conv 5×5×32, ReLU, max-pool 2,
    /// conv 5×5×64, ReLU, max-pool 2, dense 256, ReLU, dense to the embedding, on 1×28×28
    /// inputs. Convolutions are unpadded (28 → 24 → 12 → 8 → 4, 1024 features).
    case convnet

    /// A small residual network with batch normalisation on 3×32×32 inputs, modelled on the
    /// tutorial's backbone (ResNet-18's layers up to its first stage). It is conv 7×7×64
    /// with stride 2 and padding 3, batch norm, ReLU and max-pool 2, then two basic residual
    /// blocks of 64 channels and a dense layer from the 64×8×8 features to the embedding.
    /// Deviation: ResNet-18 pools with a 3×3 window, stride 2 and padding 1; a 2×2 window
    /// gives the same 8×8 output here.
    case resnetMini = "resnet-mini"

    /// The input shape the preset expects.
    public var inputShape: TensorShape {
        switch self {
        case .convnet: TensorShape(channels: 1, height: 28, width: 28)
        case .resnetMini: TensorShape(channels: 3, height: 32, width: 32)
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

        case .resnetMini:
            let conv1 = Conv2D(name: "conv1", input: inputShape, outputChannels: 64, kernelSize: 7, stride: 2, padding: 3)
            let bn1 = BatchNorm2D(name: "bn1", input: conv1.outputShape)
            let relu1 = ReLU(name: "relu1", input: bn1.outputShape)
            let pool1 = MaxPool2D(name: "pool1", input: relu1.outputShape)
            let block1 = ResidualBlock(name: "layer1.0", input: pool1.outputShape)
            let block2 = ResidualBlock(name: "layer1.1", input: block1.outputShape)
            let flatten = Flatten(name: "flatten", input: block2.outputShape)
            let fc = Dense(name: "fc", inputFeatures: flatten.outputShape.elementCount, outputFeatures: embeddingDimension)
            return Network(architecture: rawValue,
                           layers: [conv1, bn1, relu1, pool1, block1, block2, flatten, fc],
                           backend: backend)
        }
    }
}
