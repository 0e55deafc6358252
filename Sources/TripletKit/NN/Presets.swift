// Network presets by name. A preset is one file in Presets/ that defines a static
// `NetworkPreset` and one entry in `allCases` below.

public struct NetworkPreset: RawRepresentable, Equatable, Sendable {
    /// The name used by --network and stored in checkpoints.
    public let rawValue: String
    /// The input shape the preset expects.
    public let inputShape: TensorShape
    let build: @Sendable (_ embeddingDimension: Int, _ backend: any ComputeBackend) -> Network

    init(name: String, inputShape: TensorShape,
         build: @escaping @Sendable (_ embeddingDimension: Int, _ backend: any ComputeBackend) -> Network) {
        self.rawValue = name
        self.inputShape = inputShape
        self.build = build
    }

    public init?(rawValue: String) {
        guard let preset = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = preset
    }

    public static let allCases: [NetworkPreset] = [.convnet, .resnetMini]

    public func makeNetwork(embeddingDimension: Int, backend: any ComputeBackend = CPUBackend()) -> Network {
        build(embeddingDimension, backend)
    }

    public static func == (left: NetworkPreset, right: NetworkPreset) -> Bool { left.rawValue == right.rawValue }
}
