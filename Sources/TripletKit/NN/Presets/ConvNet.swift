// The reference network of the tutorial-parity runs.

extension NetworkPreset {
    /// conv 5×5×32, ReLU, max-pool 2, conv 5×5×64, ReLU, max-pool 2, dense 256, ReLU, dense
    /// to the embedding, on 1×28×28 inputs. Convolutions are unpadded
    /// (28 → 24 → 12 → 8 → 4, 1024 features).
    ///
    /// Each ReLU runs after its max-pool. ReLU is monotonic, so max-pool then ReLU gives the
    /// same values and the same gradients as ReLU then max-pool, with a quarter of the
    /// ReLU work.
    public static let convnet = NetworkPreset(name: "convnet", inputShape: TensorShape(channels: 1, height: 28, width: 28)) {
        embeddingDimension, backend in
        let conv1 = Conv2D(name: "conv1", input: TensorShape(channels: 1, height: 28, width: 28), outputChannels: 32, kernelSize: 5)
        let pool1 = MaxPool2D(name: "pool1", input: conv1.outputShape)
        let relu1 = ReLU(name: "relu1", input: pool1.outputShape)
        let conv2 = Conv2D(name: "conv2", input: relu1.outputShape, outputChannels: 64, kernelSize: 5)
        let pool2 = MaxPool2D(name: "pool2", input: conv2.outputShape)
        let relu2 = ReLU(name: "relu2", input: pool2.outputShape)
        let flatten = Flatten(name: "flatten", input: relu2.outputShape)
        let fc1 = Dense(name: "fc1", inputFeatures: flatten.outputShape.elementCount, outputFeatures: 256)
        let relu3 = ReLU(name: "relu3", input: fc1.outputShape)
        let fc2 = Dense(name: "fc2", inputFeatures: 256, outputFeatures: embeddingDimension)
        return Network(architecture: "convnet",
                       layers: [conv1, pool1, relu1, conv2, pool2, relu2, flatten, fc1, relu3, fc2],
                       backend: backend)
    }
}
