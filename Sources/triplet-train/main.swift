// triplet-train: trains an embedding network with the triplet margin loss on a packed
// dataset, on the CPU. Defaults are the tutorial's settings.

import Foundation
import TripletKit

let spec = CommandSpec(
    name: "triplet-train",
    overview: "Train an embedding network with the triplet margin loss on the CPU.",
    options: [
        OptionSpec("--train", value: "path", required: true, help: "Packed training set (from mnist-prep)."),
        OptionSpec("--test", value: "path", help: "Packed test set, embedded for plots and precision@1."),
        OptionSpec("--out", value: "dir", required: true, help: "Folder for the checkpoint, model and embeddings files."),
        OptionSpec("--network", value: "name", default: "convnet",
                   help: "Network preset (values: \(NetworkPreset.allCases.map(\.rawValue).joined(separator: ", ")))."),
        OptionSpec("--epochs", value: "n", default: "100", help: "Epochs; an epoch draws as many triplets as there are training images."),
        OptionSpec("--batch-size", value: "n", default: "32", help: "Triplets per step; the network sees 3n images a step."),
        OptionSpec("--margin", value: "x", default: "1.0", help: "Margin of the loss max(d(a,p) - d(a,n) + margin, 0), on squared Euclidean distances."),
        OptionSpec("--lr", value: "x", default: "0.01", help: "Base learning rate of SGD."),
        OptionSpec("--schedule", value: "name", default: "poly", help: "Learning-rate schedule (values: poly, constant); poly decays linearly to 0 over the run."),
        OptionSpec("--weight-decay", value: "x", default: "0.0005", help: "L2 weight decay, applied to every parameter."),
        OptionSpec("--momentum", value: "x", default: "0", help: "SGD momentum."),
        OptionSpec("--embedding-dim", value: "n", default: "2", help: "Embedding size; 2 can be plotted directly."),
        OptionSpec("--per-class", value: "n", help: "Train on n images per class, chosen with --seed (the tutorial's small set is 64)."),
        OptionSpec("--seed", value: "n", default: "0", help: "Seed for initialisation, the --per-class subset and triplet sampling."),
        OptionSpec("--threads", value: "n", default: "2", help: "Threads; each step's batch is split in two shards, run in parallel when n >= 2."),
        OptionSpec("--plot-every", value: "k", default: "1", help: "Write the test embeddings every k epochs and after the last; 0 = after the last only."),
        OptionSpec("--negative-rule", value: "name", default: "uniform",
                   help: "Negative class draw (values: uniform, next-class); next-class is the tutorial's biased '+1 when equal' rule."),
    ],
    discussion: """
        OUTPUT:
          <dir>/checkpoint.safetensors       weights and sampler state, rewritten after every epoch
          <dir>/model.safetensors            final weights (safetensors, loadable from Python)
          <dir>/embeddings-epochNNN.tsv      test-set embeddings for triplet-plot
        One line per epoch goes to standard error; the final test precision@1 goes to standard output.
        """)

runCommand(spec) { parsed in
    var configuration = TrainingConfiguration(trainPath: try parsed.requiredString("--train"),
                                              testPath: parsed.string("--test"),
                                              outputDirectory: try parsed.requiredString("--out"))
    guard let network = NetworkPreset(rawValue: try parsed.requiredString("--network")) else {
        throw UsageError("invalid value '\(parsed.string("--network")!)' for '--network': expected one of \(NetworkPreset.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    configuration.network = network
    configuration.epochs = try parsed.int("--epochs", min: 1)
    configuration.batchTriplets = try parsed.int("--batch-size", min: 1)
    configuration.margin = Float(try parsed.double("--margin", positive: true))
    configuration.learningRate = try parsed.double("--lr", positive: true)
    configuration.schedule = try parsed.choice("--schedule", ["poly", "constant"]) == "poly" ? .poly(power: 1) : .constant
    configuration.weightDecay = Float(try parsed.double("--weight-decay", nonNegative: true))
    configuration.momentum = Float(try parsed.double("--momentum", nonNegative: true))
    guard configuration.momentum < 1 else {
        throw UsageError("invalid value '\(parsed.string("--momentum")!)' for '--momentum': must be below 1")
    }
    configuration.embeddingDimension = try parsed.int("--embedding-dim", min: 1)
    configuration.perClass = try parsed.optionalInt("--per-class", min: 2)
    configuration.seed = try parsed.seed()
    configuration.threads = try parsed.int("--threads", min: 1)
    configuration.plotEvery = try parsed.int("--plot-every", min: 0)
    configuration.negativeRule = NegativeClassRule(rawValue: try parsed.choice("--negative-rule", NegativeClassRule.allCases.map(\.rawValue)))!
    configuration.showProgress = standardErrorIsTerminal

    let trainer = try Trainer(configuration: configuration)
    printError("triplet-train: \(configuration.network.rawValue), \(trainer.network.parameterCount) parameters, "
               + "\(trainer.stepsPerEpoch) steps/epoch x \(configuration.epochs) epochs, batch \(configuration.batchTriplets) triplets, "
               + "margin \(configuration.margin), lr \(configuration.learningRate), weight decay \(configuration.weightDecay), "
               + "seed \(configuration.seed), threads \(configuration.threads)")

    func writeEmbeddings() throws {
        guard let embeddings = trainer.testEmbeddings() else { return }
        let path = String(format: "%@/embeddings-epoch%03d.tsv", configuration.outputDirectory, embeddings.epoch)
        try embeddings.write(to: path)
    }

    try trainer.run { report in
        printError(report.line)
        let isLast = report.epoch == configuration.epochs
        let isPlotEpoch = configuration.plotEvery > 0 && report.epoch % configuration.plotEvery == 0
        if isLast || isPlotEpoch { try writeEmbeddings() }
    }
    try trainer.writeModel()
    let peak = ResourceUsage.peakResidentBytes().map { ", peak resident memory \($0 / (1 << 20)) MiB" } ?? ""
    printError("triplet-train: wrote \(trainer.modelPath)\(peak)")

    if let test = trainer.test {
        let embeddings = trainer.embed(test)
        let precision = Retrieval.precisionAtOne(embeddings: embeddings, labels: test.labels,
                                                 dimension: configuration.embeddingDimension)
        printOutput(String(format: "test precision@1: %.4f", precision))
    }
    return ExitStatus.success
}
