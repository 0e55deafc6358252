// Per-layer timing of one network's forward and backward passes, for benchmarks.

import Foundation

public struct LayerTiming {
    public var name: String
    public var forwardSeconds: Double
    public var backwardSeconds: Double
}

public enum LayerProfile {
    /// Runs `repeats` forward and backward passes over `batch` random images on the calling
    /// thread and returns the median time of each layer's forward and backward call.
    public static func measure(network: Network, batch: Int, repeats: Int, seed: UInt64 = 0) -> [LayerTiming] {
        let workspace = Workspace(network: network, capacity: batch)
        var generator = SplitMix64(seed: seed)
        for i in 0..<(batch * network.inputShape.elementCount) { workspace.input[i] = generator.nextUnitFloat() }
        for i in 0..<(batch * network.outputShape.elementCount) { workspace.outputGradient[i] = generator.nextGaussian() }

        var forward = [[Double]](repeating: [], count: network.layers.count)
        var backward = [[Double]](repeating: [], count: network.layers.count)
        // Pointers taken once for the whole measurement; the arrays are not modified meanwhile.
        let state = network.state.isEmpty ? [0] : network.state
        let parameters = network.parameters
        parameters.withUnsafeBufferPointer { parameterPointer in
            state.withUnsafeBufferPointer { statePointer in
                func buffers(_ index: Int) -> LayerBuffers {
                    workspace.buffers(layer: index, batch: batch, parameters: parameterPointer.baseAddress!,
                                      state: statePointer.baseAddress!, training: true, network: network)
                }
                for _ in 0..<repeats {
                    for index in network.layers.indices {
                        let start = DispatchTime.now().uptimeNanoseconds
                        network.layers[index].forward(buffers(index))
                        forward[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                    for index in network.layers.indices.reversed() {
                        let start = DispatchTime.now().uptimeNanoseconds
                        network.layers[index].backward(buffers(index))
                        backward[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                }
            }
        }
        return network.layers.indices.map {
            LayerTiming(name: network.layers[$0].name, forwardSeconds: median(forward[$0]), backwardSeconds: median(backward[$0]))
        }
    }
}
