// Layers: forward passes on hand-computable inputs, and every backward pass against
// central finite differences.
//
// Gradient check rule: for f(x, w) = Σ g ⊙ layer(x, w) with a fixed random g, the
// analytic dF/dx and dF/dw from backward must match (f(v + h) - f(v - h)) / 2h, h = 1e-2
// unless a test passes a smaller step,
// within |analytic - numeric| <= 1e-2 + 1e-2 · |numeric|. Forward runs in Float while the
// difference quotient is taken in Double, and h is large enough that Float rounding of f
// (about 1e-7 relative) stays well under the tolerance.

import Testing
@testable import TripletKit

/// A heap buffer of floats whose address stays valid for its lifetime, so a LayerBuffers
/// built from it can be used for several calls.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = max(values.count, 1)
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
        pointer.update(from: values, count: values.count)
    }

    convenience init(count: Int, value: Float = 0) { self.init([Float](repeating: value, count: count)) }

    deinit { pointer.deallocate() }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Runs `layer` forward and backward on `batch` images and compares every input and
/// parameter gradient with finite differences; returns the largest error found.
@discardableResult
func checkGradients(_ layer: any Layer, batch: Int, seed: UInt64, step: Float = 1e-2,
                    backend: CPUBackend = CPUBackend(),
                    input makeInput: ((inout SplitMix64, Int) -> Float)? = nil) -> Float {
    var generator = SplitMix64(seed: seed)
    let inputCount = batch * layer.inputShape.elementCount
    let outputCount = batch * layer.outputShape.elementCount
    let input = FloatBuffer((0..<inputCount).map { makeInput?(&generator, $0) ?? generator.nextGaussian() })
    let parameters = FloatBuffer((0..<layer.parameterCount).map { _ in generator.nextGaussian() * 0.5 })
    let upstream = (0..<outputCount).map { _ in generator.nextGaussian() }
    let scratch = FloatBuffer(count: layer.scratchSize(batch: batch))
    let output = FloatBuffer(count: outputCount)
    let outputGradient = FloatBuffer(upstream)
    let inputGradient = FloatBuffer(count: inputCount, value: .nan)
    let parameterGradient = FloatBuffer(count: layer.parameterCount)
    let buffers = LayerBuffers(batch: batch, parameters: parameters.pointer, parameterGradients: parameterGradient.pointer,
                               input: input.pointer, output: output.pointer, outputGradient: outputGradient.pointer,
                               inputGradient: inputGradient.pointer, scratch: scratch.pointer, backend: backend)

    // f = Σ g ⊙ output, in Double.
    func objective() -> Double {
        layer.forward(buffers)
        return zip(output.array, upstream).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    // Analytic gradients first; the finite differences below rerun forward only.
    layer.forward(buffers)
    layer.backward(buffers)
    let analyticInput = inputGradient.array
    let analyticParameters = parameterGradient.array

    var worst: Float = 0
    func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
        let error = abs(Double(analytic) - numeric)
        worst = max(worst, Float(error))
        #expect(error <= 1e-2 + 1e-2 * abs(numeric), "\(layer.name) \(what): analytic \(analytic), numeric \(numeric)")
    }
    for (values, analytic, what) in [(input, analyticInput, "input"), (parameters, analyticParameters, "parameter")] {
        let count = what == "input" ? inputCount : layer.parameterCount
        for i in 0..<count {
            let saved = values.pointer[i]
            values.pointer[i] = saved + step
            let plus = objective()
            values.pointer[i] = saved - step
            let minus = objective()
            values.pointer[i] = saved
            compare(analytic[i], (plus - minus) / Double(2 * step), "\(what)[\(i)]")
        }
    }
    return worst
}

/// Runs `layer` forward on `input` and returns its output.
func forwardOutput(_ layer: any Layer, batch: Int, input: [Float], parameters: [Float] = [],
                   state: [Float] = [], isTraining: Bool = true) -> [Float] {
    let inputBuffer = FloatBuffer(input)
    let parameterBuffer = FloatBuffer(parameters)
    let stateBuffer = FloatBuffer(state)
    let output = FloatBuffer(count: batch * layer.outputShape.elementCount)
    let unusedGradients = (FloatBuffer(count: parameters.count), FloatBuffer(count: output.count))
    let scratch = FloatBuffer(count: layer.scratchSize(batch: batch))
    layer.forward(LayerBuffers(batch: batch, parameters: parameterBuffer.pointer, parameterGradients: unusedGradients.0.pointer,
                               input: inputBuffer.pointer, output: output.pointer, outputGradient: unusedGradients.1.pointer,
                               inputGradient: nil, scratch: scratch.pointer, backend: CPUBackend(),
                               state: stateBuffer.pointer, isTraining: isTraining))
    return Array(output.array.prefix(batch * layer.outputShape.elementCount))
}

@Suite struct LayerTests {
    @Test(arguments: GemmKernels.allCases)
    func conv2DGradients(kernels: GemmKernels) {
        let backend = CPUBackend(gemmKernels: kernels)
        let shape = TensorShape(channels: 2, height: 6, width: 5)
        checkGradients(Conv2D(name: "conv", input: shape, outputChannels: 3, kernelSize: 3), batch: 2, seed: 1, backend: backend)
        checkGradients(Conv2D(name: "conv", input: shape, outputChannels: 2, kernelSize: 3, stride: 2),
                       batch: 3, seed: 3, backend: backend)
        checkGradients(Conv2D(name: "conv", input: shape, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1),
                       batch: 3, seed: 2, backend: backend)
    }

    @Test func denseGradients() {
        checkGradients(Dense(name: "fc", inputFeatures: 7, outputFeatures: 4), batch: 3, seed: 3)
    }

    @Test func reluGradients() {
        // Inputs kept away from the kink at 0, where the derivative is undefined.
        checkGradients(ReLU(name: "relu", input: TensorShape(channels: 3, height: 2, width: 2)), batch: 2, seed: 4) { generator, _ in
            let value = generator.nextGaussian()
            return value + (value >= 0 ? 0.1 : -0.1)
        }
    }

    @Test func maxPoolGradients() {
        // Distinct values spaced 0.1 apart, so a step of 1e-2 never changes a window's maximum.
        let shape = TensorShape(channels: 2, height: 5, width: 4)
        var order = Array(0..<(3 * 48))  // enough for both shapes below
        var shuffler = SplitMix64(seed: 9)
        shuffler.shuffle(&order)
        checkGradients(MaxPool2D(name: "pool", input: shape), batch: 3, seed: 5) { _, index in Float(order[index]) * 0.1 }
        // An even-sized input takes the path that writes whole windows without a zero fill.
        let even = TensorShape(channels: 2, height: 4, width: 6)
        checkGradients(MaxPool2D(name: "pool", input: even), batch: 3, seed: 5) { _, index in Float(order[index]) * 0.1 }
    }

    @Test func flattenGradients() {
        checkGradients(Flatten(name: "flatten", input: TensorShape(channels: 3, height: 2, width: 2)), batch: 2, seed: 6)
    }

    @Test func batchNormGradients() {
        checkGradients(BatchNorm2D(name: "bn", input: TensorShape(channels: 3, height: 3, width: 2)), batch: 4, seed: 7)
    }

    @Test func residualBlockGradients() {
        // Every input moves all of a channel's normalised values, so a smaller step keeps
        // the block's two ReLUs from crossing their kinks.
        checkGradients(ResidualBlock(name: "block", input: TensorShape(channels: 2, height: 4, width: 3)), batch: 2, seed: 8,
                       step: 1e-3)
    }

    @Test func batchNormInferenceUsesRunningStatistics() {
        // Running mean 1 and variance 4 for the single channel: y = γ (x - 1) / 2 + β.
        let layer = BatchNorm2D(name: "bn", input: TensorShape(channels: 1, height: 1, width: 2))
        let parameters: [Float] = [3, 0.5]  // γ, β
        let state: [Float] = [1, 4 - layer.epsilon]
        let output = forwardOutput(layer, batch: 1, input: [1, 5], parameters: parameters, state: state, isTraining: false)
        #expect(output == [0.5, 6.5])
    }

    @Test func resnetMiniShapes() {
        let network = NetworkPreset.resnetMini.makeNetwork(embeddingDimension: 2)
        #expect(network.inputShape == TensorShape(channels: 3, height: 32, width: 32))
        #expect(network.layers.map(\.outputShape.description) ==
                ["64x16x16", "64x16x16", "64x16x16", "64x8x8", "64x8x8", "64x8x8", "4096x1x1", "2x1x1"])
        // conv1 64·3·49+64, bn1 2·64, each block 2·(64·64·9+64) + 2·2·64, fc 2·4096+2.
        #expect(network.parameterCount == 9472 + 128 + 2 * (2 * 36928 + 256) + 8194)
        #expect(network.state.count == 64 * 2 + 2 * 2 * 64 * 2)
        #expect(network.namedState.map(\.spec.name).contains("layer1.1.bn2.running_var"))
    }

    @Test func conv2DForwardHandComputed() {
        // One 3×3 image 0..<9 and a 2×2 kernel of ones: each output is the sum of a window.
        //   0 1 2        0+1+3+4 = 8    1+2+4+5 = 12
        //   3 4 5   ->   3+4+6+7 = 20   4+5+7+8 = 24
        //   6 7 8
        // plus the bias 0.5.
        let layer = Conv2D(name: "conv", input: TensorShape(channels: 1, height: 3, width: 3), outputChannels: 1, kernelSize: 2)
        let output = forwardOutput(layer, batch: 1, input: (0..<9).map(Float.init), parameters: [1, 1, 1, 1, 0.5])
        #expect(output == [8.5, 12.5, 20.5, 24.5])
    }

    @Test func channelMajorBatchLayout() {
        // Two images in (C, N, H, W): channel 0 of image 0, channel 0 of image 1, channel 1
        // of image 0, ... Flatten must give each image's (C, H, W) features in a row.
        let layer = Flatten(name: "flatten", input: TensorShape(channels: 2, height: 1, width: 2))
        let output = forwardOutput(layer, batch: 2, input: [1, 2,  10, 20,  3, 4,  30, 40])
        #expect(output == [1, 2, 3, 4,  10, 20, 30, 40])
    }

    @Test func maxPoolForwardHandComputed() {
        // A 4×5 plane 0..<20; windows 2×2, the last column dropped.
        //    0  1  2  3  4
        //    5  6  7  8  9     ->   6  8
        //   10 11 12 13 14         16 18
        //   15 16 17 18 19
        let layer = MaxPool2D(name: "pool", input: TensorShape(channels: 1, height: 4, width: 5))
        let output = forwardOutput(layer, batch: 1, input: (0..<20).map(Float.init))
        #expect(output == [6, 8, 16, 18])
    }

    @Test func convnetShapesAndParameterCount() {
        let network = NetworkPreset.convnet.makeNetwork(embeddingDimension: 2)
        #expect(network.layers.map(\.outputShape.description) ==
                ["32x24x24", "32x12x12", "32x12x12", "64x8x8", "64x4x4", "64x4x4", "1024x1x1", "256x1x1", "256x1x1", "2x1x1"])
        // conv1 32·25+32, conv2 64·800+64, fc1 256·1024+256, fc2 2·256+2.
        #expect(network.parameterCount == 832 + 51264 + 262400 + 514)
        #expect(network.namedParameters.reduce(0) { $0 + $1.spec.elementCount } == network.parameterCount)
    }

    @Test func convnetPoolBeforeReLUMatchesTutorialOrder() {
        // The preset pools before its ReLUs; the tutorial's order, ReLU before pooling,
        // must give the same embeddings and gradients bit for bit.
        let preset = NetworkPreset.convnet.makeNetwork(embeddingDimension: 2)
        let layers = preset.layers
        let tutorial = Network(architecture: "convnet", layers: [
            layers[0], ReLU(name: "relu1", input: layers[0].outputShape), MaxPool2D(name: "pool1", input: layers[0].outputShape),
            layers[3], ReLU(name: "relu2", input: layers[3].outputShape), MaxPool2D(name: "pool2", input: layers[3].outputShape),
            layers[6], layers[7], layers[8], layers[9],
        ])
        var generator = SplitMix64(seed: 31)
        preset.initializeParameters(using: &generator)
        tutorial.parameters = preset.parameters

        var results: [[Float]] = []
        for network in [preset, tutorial] {
            let batch = 6
            let workspace = Workspace(network: network, capacity: batch)
            var inputs = SplitMix64(seed: 32)
            for i in 0..<(batch * 784) { workspace.input[i] = max(0, inputs.nextGaussian()) }
            let output = network.forward(workspace, batch: batch, training: true)
            let embeddings = Array(UnsafeBufferPointer(start: output, count: batch * 2))
            for i in 0..<(batch * 2) { workspace.outputGradient[i] = Float(i % 3) - 1 }
            workspace.zeroParameterGradients()
            network.backward(workspace, batch: batch)
            results.append(embeddings + Array(UnsafeBufferPointer(start: workspace.parameterGradients, count: network.parameterCount)))
        }
        #expect(results[0] == results[1])
    }
}
