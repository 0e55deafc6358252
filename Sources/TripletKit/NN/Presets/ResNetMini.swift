// A small residual network with batch normalisation, modelled on the tutorial's backbone.

extension NetworkPreset {
    /// ResNet-18's layers up to its first stage, on 3×32×32 inputs. They are conv 7×7×64
    /// with stride 2 and padding 3, batch norm, ReLU and max-pool 2, then two basic
    /// residual blocks of 64 channels and a dense layer from the 64×8×8 features to the
    /// embedding.
    /// Deviation: ResNet-18 pools with a 3×3 window, stride 2 and padding 1; a 2×2 window
    /// gives the same 8×8 output here.
    public static let resnetMini = NetworkPreset(name: "resnet-mini", inputShape: TensorShape(channels: 3, height: 32, width: 32)) {
        embeddingDimension, backend in
        let conv1 = Conv2D(name: "conv1", input: TensorShape(channels: 3, height: 32, width: 32), outputChannels: 64,
                           kernelSize: 7, stride: 2, padding: 3)
        let bn1 = BatchNorm2D(name: "bn1", input: conv1.outputShape)
        let relu1 = ReLU(name: "relu1", input: bn1.outputShape)
        let pool1 = MaxPool2D(name: "pool1", input: relu1.outputShape)
        let block1 = ResidualBlock(name: "layer1.0", input: pool1.outputShape)
        let block2 = ResidualBlock(name: "layer1.1", input: block1.outputShape)
        let flatten = Flatten(name: "flatten", input: block2.outputShape)
        let fc = Dense(name: "fc", inputFeatures: flatten.outputShape.elementCount, outputFeatures: embeddingDimension)
        return Network(architecture: "resnet-mini",
                       layers: [conv1, bn1, relu1, pool1, block1, block2, flatten, fc],
                       backend: backend)
    }
}
