// The basic residual block of ResNet-18 (He et al., 2016), with an identity shortcut:
//   y = ReLU(BN2(conv2(ReLU(BN1(conv1(x))))) + x)
// conv1 and conv2 are 3×3 with padding 1 and keep the shape, so input and output are both
// (C, N, H, W).
//
// The block is one layer made of sublayers. Its scratch memory holds, per sublayer, the
// output, the output gradient and the sublayer's own scratch, then the block's gradient
// through the chain's input.

public struct ResidualBlock: Layer {
    public let name: String
    public let inputShape: TensorShape
    let sublayers: [any Layer]

    public init(name: String, input: TensorShape) {
        self.name = name
        self.inputShape = input
        let channels = input.channels
        sublayers = [
            Conv2D(name: "\(name).conv1", input: input, outputChannels: channels, kernelSize: 3, padding: 1),
            BatchNorm2D(name: "\(name).bn1", input: input),
            ReLU(name: "\(name).relu1", input: input),
            Conv2D(name: "\(name).conv2", input: input, outputChannels: channels, kernelSize: 3, padding: 1),
            BatchNorm2D(name: "\(name).bn2", input: input),
        ]
    }

    public var outputShape: TensorShape { inputShape }
    public var parameterSpecs: [ParameterSpec] { sublayers.flatMap(\.parameterSpecs) }
    public var stateSpecs: [ParameterSpec] { sublayers.flatMap(\.stateSpecs) }

    /// Offsets of each sublayer's region in the block's scratch memory.
    struct ScratchLayout {
        var outputs: [Int] = []
        var outputGradients: [Int] = []
        var scratches: [Int] = []
        var chainInputGradient = 0
        var total = 0
    }

    func layout(batch: Int) -> ScratchLayout {
        var layout = ScratchLayout()
        let activation = batch * inputShape.elementCount
        var offset = 0
        for layer in sublayers {
            layout.outputs.append(offset)
            layout.outputGradients.append(offset + activation)
            layout.scratches.append(offset + 2 * activation)
            offset += 2 * activation + layer.scratchSize(batch: batch)
        }
        layout.chainInputGradient = offset
        layout.total = offset + activation
        return layout
    }

    public func scratchSize(batch: Int) -> Int { layout(batch: batch).total }

    /// Carves the buffers of sublayer `index` out of the block's buffers.
    private func sublayerBuffers(_ index: Int, _ b: LayerBuffers, _ layout: ScratchLayout,
                                 parameterOffsets: [Int], stateOffsets: [Int]) -> LayerBuffers {
        LayerBuffers(batch: b.batch,
                     parameters: b.parameters + parameterOffsets[index],
                     parameterGradients: b.parameterGradients + parameterOffsets[index],
                     input: index == 0 ? b.input : UnsafePointer(b.scratch + layout.outputs[index - 1]),
                     output: b.scratch + layout.outputs[index],
                     outputGradient: b.scratch + layout.outputGradients[index],
                     inputGradient: index == 0 ? b.scratch + layout.chainInputGradient : b.scratch + layout.outputGradients[index - 1],
                     scratch: b.scratch + layout.scratches[index],
                     backend: b.backend,
                     state: b.state + stateOffsets[index],
                     isTraining: b.isTraining)
    }

    private var offsets: (parameters: [Int], state: [Int]) {
        (startOffsets(sublayers.map(\.parameterCount)), startOffsets(sublayers.map(\.stateCount)))
    }

    public func forward(_ b: LayerBuffers) {
        let layout = layout(batch: b.batch)
        let (parameterOffsets, stateOffsets) = offsets
        for index in sublayers.indices {
            sublayers[index].forward(sublayerBuffers(index, b, layout, parameterOffsets: parameterOffsets, stateOffsets: stateOffsets))
        }

        // output = ReLU(chain + shortcut)
        let count = b.batch * inputShape.elementCount
        let chain = b.scratch + layout.outputs[sublayers.count - 1]
        b.output.update(from: chain, count: count)
        b.backend.add(b.input, to: b.output, count: count)
        b.backend.relu(b.output, b.output, count: count)
    }

    public func backward(_ b: LayerBuffers) {
        let layout = layout(batch: b.batch)
        let (parameterOffsets, stateOffsets) = offsets
        let count = b.batch * inputShape.elementCount

        // Through the final ReLU; the result is the gradient of both the chain's output and
        // the shortcut.
        let last = sublayers.count - 1
        let sumGradient = b.scratch + layout.outputGradients[last]
        b.backend.reluGradient(output: b.output, outputGradient: b.outputGradient, inputGradient: sumGradient, count: count)

        for index in sublayers.indices.reversed() {
            sublayers[index].backward(sublayerBuffers(index, b, layout, parameterOffsets: parameterOffsets, stateOffsets: stateOffsets))
        }

        guard let inputGradient = b.inputGradient else { return }
        inputGradient.update(from: b.scratch + layout.chainInputGradient, count: count)
        b.backend.add(sumGradient, to: inputGradient, count: count)
    }

    public func updateState(_ state: UnsafeMutablePointer<Float>, scratches: [UnsafePointer<Float>], batches: [Int]) {
        let stateOffsets = offsets.state
        for (index, layer) in sublayers.enumerated() where layer.stateCount > 0 {
            let sublayerScratches = zip(scratches, batches).map { scratch, batch in
                scratch + layout(batch: batch).scratches[index]
            }
            layer.updateState(state + stateOffsets[index], scratches: sublayerScratches, batches: batches)
        }
    }
}
