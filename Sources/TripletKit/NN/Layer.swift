// The layer interface and the tensor layout conventions shared by every layer.
//
// Letters: N batch, C input channels, K output channels, H×W input height and width,
// P×Q output height and width, R×S kernel height and width, F features.
//
// Image tensors between layers are stored channel-major across the batch, (C, N, H, W):
// one GEMM over the whole batch then yields a convolution's output with no transpose,
// and each (c, n) plane of H×W stays contiguous for pooling. `Flatten` turns (C, N, H, W)
// into (N, C·H·W), the per-image order PyTorch uses, and dense layers work on (N, F).

/// The per-image shape of a tensor: channels × height × width, or features × 1 × 1.
public struct TensorShape: Equatable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    public init(features: Int) { self.init(channels: features, height: 1, width: 1) }

    public var elementCount: Int { channels * height * width }
    public var description: String { "\(channels)x\(height)x\(width)" }
}

/// A named parameter tensor of a layer, with how it is initialised.
public struct ParameterSpec: Sendable {
    public enum Initialization: Sendable {
        /// He (Kaiming) normal: N(0, 2 / fanIn), for layers followed by ReLU.
        case heNormal(fanIn: Int)
        case zeros
        case ones
    }

    public var name: String
    public var shape: [Int]
    public var initialization: Initialization

    public var elementCount: Int { shape.reduce(1, *) }
}

/// The buffers one layer call works on. Pointers stay valid for the call only.
public struct LayerBuffers {
    /// Number of images in this call.
    public var batch: Int
    /// This layer's parameters, in the order of `parameterSpecs`.
    public var parameters: UnsafePointer<Float>
    /// Gradients of this layer's parameters; backward adds into them.
    public var parameterGradients: UnsafeMutablePointer<Float>
    public var input: UnsafePointer<Float>
    public var output: UnsafeMutablePointer<Float>
    /// Gradient of the loss with respect to the output, filled by the next layer.
    public var outputGradient: UnsafeMutablePointer<Float>
    /// Gradient with respect to the input; nil for the first layer, which needs none.
    /// Backward overwrites it.
    public var inputGradient: UnsafeMutablePointer<Float>?
    /// Layer-private memory of `scratchSize(batch:)` floats, kept from forward to backward.
    public var scratch: UnsafeMutablePointer<Float>
    public var backend: any ComputeBackend
    /// This layer's non-trained state (batch normalisation's running statistics), in the
    /// order of `stateSpecs`; forward reads it in inference mode and never writes it.
    public var state: UnsafePointer<Float>
    /// Training mode: batch statistics instead of running ones.
    public var isTraining: Bool

    public init(batch: Int, parameters: UnsafePointer<Float>, parameterGradients: UnsafeMutablePointer<Float>,
                input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                outputGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                scratch: UnsafeMutablePointer<Float>, backend: any ComputeBackend,
                state: UnsafePointer<Float>? = nil, isTraining: Bool = true) {
        self.batch = batch
        self.parameters = parameters
        self.parameterGradients = parameterGradients
        self.input = input
        self.output = output
        self.outputGradient = outputGradient
        self.inputGradient = inputGradient
        self.scratch = scratch
        self.backend = backend
        self.state = state ?? parameters
        self.isTraining = isTraining
    }
}

/// One layer: a forward pass, and a backward pass that adds parameter gradients into
/// `parameterGradients` and writes the input gradient.
public protocol Layer: Sendable {
    /// Prefix of this layer's parameter names in checkpoints, such as "conv1".
    var name: String { get }
    var inputShape: TensorShape { get }
    var outputShape: TensorShape { get }
    var parameterSpecs: [ParameterSpec] { get }
    /// Non-trained tensors kept with the weights, such as running statistics.
    var stateSpecs: [ParameterSpec] { get }
    func scratchSize(batch: Int) -> Int
    func forward(_ buffers: LayerBuffers)
    func backward(_ buffers: LayerBuffers)
    /// Folds what the training-mode forward passes of one step left in their scratch
    /// memory (one per shard, with its batch size) into `state`. Runs once per step, after
    /// every shard's forward, so shards never write the shared state concurrently.
    func updateState(_ state: UnsafeMutablePointer<Float>, scratches: [UnsafePointer<Float>], batches: [Int])
}

extension Layer {
    public var parameterSpecs: [ParameterSpec] { [] }
    public var stateSpecs: [ParameterSpec] { [] }
    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.elementCount } }
    public var stateCount: Int { stateSpecs.reduce(0) { $0 + $1.elementCount } }
    public func scratchSize(batch: Int) -> Int { 0 }
    public func updateState(_ state: UnsafeMutablePointer<Float>, scratches: [UnsafePointer<Float>], batches: [Int]) {}
}

/// Returns where each of a sequence of consecutive blocks of the given sizes starts:
/// [3, 5, 2] gives [0, 3, 8]. Layers' parameters and state are laid out this way.
func startOffsets(_ counts: [Int]) -> [Int] {
    var offsets: [Int] = []
    var total = 0
    for count in counts {
        offsets.append(total)
        total += count
    }
    return offsets
}
