// triplet-bench: measures training throughput and per-layer times of a network preset on
// this machine, for `make bench`.

import Foundation
import TripletKit

let spec = CommandSpec(
    name: "triplet-bench",
    overview: "Measure per-layer forward/backward times and training throughput of a network preset.",
    options: [
        OptionSpec("--network", value: "name", default: "convnet", help: "Network preset (values: \(NetworkPreset.allCases.map(\.rawValue).joined(separator: ", ")))."),
        OptionSpec("--batch", value: "n", default: "48", help: "Images per timed pass (one shard of a 32-triplet step is 48)."),
        OptionSpec("--repeats", value: "n", default: "30", help: "Timed passes; medians are reported."),
        OptionSpec("--embedding-dim", value: "n", default: "2", help: "Embedding size."),
    ])

runCommand(spec) { parsed in
    guard let preset = NetworkPreset(rawValue: try parsed.requiredString("--network")) else {
        throw UsageError("invalid value '\(parsed.string("--network")!)' for '--network'")
    }
    let batch = try parsed.int("--batch", min: 1)
    let repeats = try parsed.int("--repeats", min: 1)
    let network = preset.makeNetwork(embeddingDimension: try parsed.int("--embedding-dim", min: 1))
    var generator = SplitMix64(seed: 0)
    network.initializeParameters(using: &generator)
    CPUBackend.setBLASThreads(1)

    let timings = LayerProfile.measure(network: network, batch: batch, repeats: repeats)
    printOutput("layer\tforward_ms\tbackward_ms")
    var total = 0.0
    for timing in timings {
        printOutput(String(format: "%@\t%.3f\t%.3f", timing.name, timing.forwardSeconds * 1e3, timing.backwardSeconds * 1e3))
        total += timing.forwardSeconds + timing.backwardSeconds
    }
    printOutput(String(format: "total\t%.3f ms per %d images on one thread (%.0f images/s)", total * 1e3, batch, Double(batch) / total))
    return ExitStatus.success
}
