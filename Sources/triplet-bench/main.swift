// triplet-bench: measures, on this machine, the per-layer forward and backward times of a
// network preset (`layers`) or the training throughput of triplet-train's step on a packed
// dataset (`train`), for `make bench`.

import Foundation
import TripletKit

let layersSpec = CommandSpec(
    name: "triplet-bench layers",
    overview: "Print the median forward and backward time of each layer of a network preset on one thread, and their sum. The sum leaves out sampling, the loss and the update, so it is no training throughput.",
    options: [
        OptionSpec("--network", value: "name", default: "convnet", help: "Network preset (values: \(NetworkPreset.allCases.map(\.rawValue).joined(separator: ", ")))."),
        OptionSpec("--gemm", value: "name", default: "auto", help: "Matrix products (values: auto, openblas), as for triplet-train."),
        OptionSpec("--batch", value: "n", default: "48", help: "Images per timed pass (one shard of a 32-triplet step is 48)."),
        OptionSpec("--repeats", value: "n", default: "30", help: "Timed passes; medians are reported."),
        OptionSpec("--embedding-dim", value: "n", default: "2", help: "Embedding size."),
    ])

let trainSpec = CommandSpec(
    name: "triplet-bench train",
    overview: "Measure training throughput in triplets/s: warm-up steps, then timed windows of steps.",
    arguments: [ArgumentSpec("train", help: "Packed training set.")],
    options: [
        OptionSpec("--network", value: "name", default: "convnet", help: "Network preset."),
        OptionSpec("--batch-size", value: "n", default: "32", help: "Triplets per step."),
        OptionSpec("--embedding-dim", value: "n", default: "2", help: "Embedding size."),
        OptionSpec("--threads", value: "n", default: "2", help: "Threads, as for triplet-train."),
        OptionSpec("--parallelism", value: "mode", default: "shards",
                   help: "How threads share a step (values: shards, blas): shards run the batch's two halves at once with one OpenBLAS thread each; blas runs them in turn with OpenBLAS using every thread."),
        OptionSpec("--gemm", value: "name", default: "auto", help: "Matrix products (values: auto, openblas), as for triplet-train."),
        OptionSpec("--warmup", value: "n", default: "20", help: "Untimed steps first."),
        OptionSpec("--steps", value: "n", default: "200", help: "Steps per timed window."),
        OptionSpec("--windows", value: "n", default: "3", help: "Timed windows; the median is reported."),
        OptionSpec("--seed", value: "n", default: "0", help: "Seed for initialisation and sampling."),
    ])

func network(_ parsed: ParsedArguments) throws -> NetworkPreset {
    let name = try parsed.requiredString("--network")
    guard let preset = NetworkPreset(rawValue: name) else {
        throw UsageError("invalid value '\(name)' for '--network': expected one of \(NetworkPreset.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return preset
}

func kernels(_ parsed: ParsedArguments) throws -> GemmKernels {
    GemmKernels(rawValue: try parsed.choice("--gemm", GemmKernels.allCases.map(\.rawValue)))!
}

/// The tool's own help: its two subcommands.
let toolHelp = """
    USAGE: triplet-bench layers [--network <name>] [--gemm <name>] [--batch <n>] [--repeats <n>] [--embedding-dim <n>]
           triplet-bench train <train> [options]

    SUBCOMMANDS:
      layers    \(layersSpec.overview)
      train     \(trainSpec.overview)

      See 'triplet-bench layers --help' and 'triplet-bench train --help' for their options.

    """

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "--help", "-h", "help":
    printOutput(toolHelp, terminator: "")
    exit(ExitStatus.success)
case nil:
    printError("Error: missing subcommand: expected 'layers' or 'train'")
    printError(toolHelp, terminator: "")
    exit(ExitStatus.usage)
case let name? where name != "layers" && name != "train":
    printError("Error: unknown subcommand '\(name)': expected 'layers' or 'train'")
    printError(toolHelp, terminator: "")
    exit(ExitStatus.usage)
case "train":
    runCommand(trainSpec, arguments: Array(arguments.dropFirst())) { parsed in
        var configuration = TrainingConfiguration(trainPath: parsed.positionals[0], testPath: nil,
                                                  outputDirectory: NSTemporaryDirectory())
        configuration.network = try network(parsed)
        configuration.batchTriplets = try parsed.int("--batch-size", min: 1)
        configuration.embeddingDimension = try parsed.int("--embedding-dim", min: 1)
        configuration.threads = try parsed.int("--threads", min: 1)
        configuration.parallelism = Parallelism(rawValue: try parsed.choice("--parallelism", Parallelism.allCases.map(\.rawValue)))!
        configuration.gemmKernels = try kernels(parsed)
        configuration.seed = try parsed.seed()
        let trainer = try Trainer(configuration: configuration)
        let measurement = trainer.measureThroughput(warmup: try parsed.int("--warmup", min: 0),
                                                     steps: try parsed.int("--steps", min: 1),
                                                     windows: try parsed.int("--windows", min: 1))
        let rates = measurement.windowRates
        let middle = median(rates)
        let windows = rates.map { String(format: "%.0f", $0) }.joined(separator: ",")
        let peak = ResourceUsage.peakResidentBytes().map { String($0 / (1 << 20)) } ?? "unknown"
        printOutput(String(format: "triplets_per_s=%.1f windows=%@ threads=%d parallelism=\(configuration.parallelism.rawValue) gemm=\(trainer.matrixKernel) first_loss=%.4f last_window_loss=%.4f peak_rss_mib=%@",
                           middle, windows, configuration.threads, measurement.firstLoss,
                           measurement.windowLosses.last ?? .nan, peak))
        return ExitStatus.success
    }

default:
    runCommand(layersSpec, arguments: Array(arguments.dropFirst())) { parsed in
        let network = try network(parsed).makeNetwork(embeddingDimension: try parsed.int("--embedding-dim", min: 1),
                                                      backend: CPUBackend(gemmKernels: try kernels(parsed)))
        let batch = try parsed.int("--batch", min: 1)
        var generator = SplitMix64(seed: 0)
        network.initializeParameters(using: &generator)
        CPUBackend.setBLASThreads(1)

        let timings = LayerProfile.measure(network: network, batch: batch, repeats: try parsed.int("--repeats", min: 1))
        printOutput("layer\tforward_ms\tbackward_ms")
        var total = 0.0
        for timing in timings {
            printOutput(String(format: "%@\t%.3f\t%.3f", timing.name, timing.forwardSeconds * 1e3, timing.backwardSeconds * 1e3))
            total += timing.forwardSeconds + timing.backwardSeconds
        }
        printOutput(String(format: "total\t%.3f ms per %d images on one thread, layers only (%.0f images/s)", total * 1e3, batch, Double(batch) / total))
        return ExitStatus.success
    }
}
