// A feed-forward stack of layers whose parameters live in one contiguous buffer, so the
// optimiser is one flat loop and a checkpoint is one blob with named views.

import Foundation

public final class Network: @unchecked Sendable {
    /// Preset name, such as "convnet"; stored in checkpoints.
    public let architecture: String
    public let layers: [any Layer]
    /// All parameters, layer after layer, each layer's tensors in `parameterSpecs` order.
    public var parameters: [Float]
    /// Offset of each layer's first parameter in `parameters`.
    public let parameterOffsets: [Int]
    /// Non-trained tensors (running statistics), layer after layer; the optimiser never
    /// touches them.
    public var state: [Float]
    public let stateOffsets: [Int]
    public let backend: any ComputeBackend

    public init(architecture: String, layers: [any Layer], backend: any ComputeBackend = CPUBackend()) {
        for (previous, next) in zip(layers, layers.dropFirst()) {
            precondition(previous.outputShape == next.inputShape,
                         "\(previous.name) outputs \(previous.outputShape) but \(next.name) takes \(next.inputShape)")
        }
        self.architecture = architecture
        self.layers = layers
        self.backend = backend
        parameterOffsets = startOffsets(layers.map(\.parameterCount))
        parameters = [Float](repeating: 0, count: layers.reduce(0) { $0 + $1.parameterCount })
        stateOffsets = startOffsets(layers.map(\.stateCount))
        state = [Float](repeating: 0, count: layers.reduce(0) { $0 + $1.stateCount })
    }

    public var inputShape: TensorShape { layers[0].inputShape }
    public var outputShape: TensorShape { layers[layers.count - 1].outputShape }
    public var parameterCount: Int { parameters.count }

    /// Every parameter tensor with its offset into `parameters`, in storage order.
    public var namedParameters: [(spec: ParameterSpec, offset: Int)] {
        Self.named(layers.map(\.parameterSpecs), offsets: parameterOffsets)
    }

    /// Every state tensor with its offset into `state`, in storage order.
    public var namedState: [(spec: ParameterSpec, offset: Int)] {
        Self.named(layers.map(\.stateSpecs), offsets: stateOffsets)
    }

    private static func named(_ specs: [[ParameterSpec]], offsets: [Int]) -> [(spec: ParameterSpec, offset: Int)] {
        var result: [(ParameterSpec, Int)] = []
        for (layerSpecs, start) in zip(specs, offsets) {
            var offset = start
            for spec in layerSpecs {
                result.append((spec, offset))
                offset += spec.elementCount
            }
        }
        return result
    }

    /// Draws every parameter afresh from `generator`, tensor by tensor in storage order,
    /// and resets the state tensors.
    public func initializeParameters(using generator: inout SplitMix64) {
        func fill(_ values: inout [Float], _ named: [(spec: ParameterSpec, offset: Int)]) {
            for (spec, offset) in named {
                for i in 0..<spec.elementCount {
                    switch spec.initialization {
                    case .heNormal(let fanIn):
                        values[offset + i] = generator.nextGaussian() * (2 / Float(fanIn)).squareRoot()
                    case .zeros:
                        values[offset + i] = 0
                    case .ones:
                        values[offset + i] = 1
                    }
                }
            }
        }
        fill(&parameters, namedParameters)
        fill(&state, namedState)
    }

    /// Runs the forward pass on the images in `workspace.input` and returns the output,
    /// (N, F) for a network that ends in a dense layer. In training mode, layers with state
    /// leave batch statistics in the workspace for `updateState`.
    public func forward(_ workspace: Workspace, batch: Int, training: Bool = false) -> UnsafeMutablePointer<Float> {
        precondition(batch <= workspace.capacity)
        withBuffers { parameters, state in
            for index in layers.indices {
                layers[index].forward(workspace.buffers(layer: index, batch: batch, parameters: parameters, state: state,
                                                        training: training, network: self))
            }
        }
        return workspace.activations[layers.count]
    }

    /// Folds the batch statistics of one step's training-mode forward passes, one
    /// workspace per shard, into the running state, in shard order.
    public func updateState(workspaces: [Workspace], batches: [Int]) {
        guard !state.isEmpty else { return }
        state.withUnsafeMutableBufferPointer { state in
            for (index, layer) in layers.enumerated() where layer.stateCount > 0 {
                layer.updateState(state.baseAddress! + stateOffsets[index],
                                  scratches: workspaces.map { UnsafePointer($0.scratch[index]) }, batches: batches)
            }
        }
    }

    private func withBuffers<T>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> T) -> T {
        parameters.withUnsafeBufferPointer { parameters in
            state.withUnsafeBufferPointer { state in
                // An empty array may have no storage; any valid pointer serves, since no
                // layer without state reads it.
                body(parameters.baseAddress!, state.baseAddress ?? parameters.baseAddress!)
            }
        }
    }

    /// Runs the backward pass from the gradient in `workspace.outputGradient` and adds the
    /// parameter gradients into `workspace.parameterGradients`. The forward pass of the
    /// same batch must come first, since backward reads its stored activations.
    public func backward(_ workspace: Workspace, batch: Int) {
        withBuffers { parameters, state in
            for index in layers.indices.reversed() {
                layers[index].backward(workspace.buffers(layer: index, batch: batch, parameters: parameters, state: state,
                                                         training: true, network: self))
            }
        }
    }

    /// Embeds `count` images produced by `fill(workspace input, first image, image count)`
    /// in chunks of the workspace's capacity; returns (count, F) row-major.
    public func embed(count: Int, workspace: Workspace,
                      fill: (UnsafeMutablePointer<Float>, Int, Int) -> Void) -> [Float] {
        let features = outputShape.elementCount
        var result = [Float](repeating: 0, count: count * features)
        var start = 0
        while start < count {
            let batch = min(workspace.capacity, count - start)
            fill(workspace.input, start, batch)
            let output = forward(workspace, batch: batch)
            result.withUnsafeMutableBufferPointer {
                ($0.baseAddress! + start * features).update(from: output, count: batch * features)
            }
            start += batch
        }
        return result
    }
}

/// The activations, gradients and scratch memory of one forward/backward pass over up to
/// `capacity` images. Each concurrent pass needs its own workspace.
public final class Workspace: @unchecked Sendable {
    public let capacity: Int
    /// activations[0] is the input, activations[i + 1] the output of layer i.
    let activations: [UnsafeMutablePointer<Float>]
    /// gradients[i] is the loss gradient with respect to activations[i]; gradients[0]
    /// (the input's) is never computed.
    let gradients: [UnsafeMutablePointer<Float>]
    let scratch: [UnsafeMutablePointer<Float>]
    /// Gradients of all parameters, same layout as `Network.parameters`.
    public let parameterGradients: UnsafeMutablePointer<Float>
    let parameterCount: Int
    private var allocations: [(UnsafeMutablePointer<Float>, Int)] = []

    public init(network: Network, capacity: Int) {
        self.capacity = capacity
        var allocations: [(UnsafeMutablePointer<Float>, Int)] = []
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            pointer.initialize(repeating: 0, count: max(count, 1))
            allocations.append((pointer, max(count, 1)))
            return pointer
        }
        let shapes = [network.inputShape] + network.layers.map(\.outputShape)
        activations = shapes.map { allocate($0.elementCount * capacity) }
        gradients = shapes.map { allocate($0.elementCount * capacity) }
        scratch = network.layers.map { allocate($0.scratchSize(batch: capacity)) }
        parameterCount = network.parameterCount
        parameterGradients = allocate(network.parameterCount)
        self.allocations = allocations
    }

    deinit {
        for (pointer, count) in allocations {
            pointer.deinitialize(count: count)
            pointer.deallocate()
        }
    }

    /// The network's input: (C, N, H, W) floats, which for one channel is (N, H, W).
    public var input: UnsafeMutablePointer<Float> { activations[0] }

    /// The buffer for the loss gradient with respect to the network's output.
    public var outputGradient: UnsafeMutablePointer<Float> { gradients[gradients.count - 1] }

    public func zeroParameterGradients() {
        parameterGradients.update(repeating: 0, count: parameterCount)
    }

    func buffers(layer index: Int, batch: Int, parameters: UnsafePointer<Float>, state: UnsafePointer<Float>,
                 training: Bool, network: Network) -> LayerBuffers {
        let offset = network.parameterOffsets[index]
        return LayerBuffers(batch: batch,
                            parameters: parameters + offset,
                            parameterGradients: parameterGradients + offset,
                            input: activations[index],
                            output: activations[index + 1],
                            outputGradient: gradients[index + 1],
                            inputGradient: index == 0 ? nil : gradients[index],
                            scratch: scratch[index],
                            backend: network.backend,
                            state: state + network.stateOffsets[index],
                            isTraining: training)
    }
}
