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
        OptionSpec("--schedule", value: "name", default: "poly",
                   help: "Learning-rate schedule (values: poly, step, cosine, constant); poly decays linearly to 0 over the run."),
        OptionSpec("--warmup-epochs", value: "x", default: "0", help: "Epochs (may be fractional) of linear warm-up before the schedule."),
        OptionSpec("--step-epochs", value: "n", default: "10", help: "With --schedule step: epochs between rate drops."),
        OptionSpec("--step-factor", value: "x", default: "0.1", help: "With --schedule step: factor applied at each drop."),
        OptionSpec("--weight-decay", value: "x", default: "0.0005", help: "L2 weight decay, applied to every parameter."),
        OptionSpec("--momentum", value: "x", default: "0", help: "SGD momentum."),
        OptionSpec("--embedding-dim", value: "n", default: "2", help: "Embedding size; 2 can be plotted directly."),
        OptionSpec("--per-class", value: "n", help: "Train on n images per class, chosen with --seed (the tutorial's small set is 64)."),
        OptionSpec("--seed", value: "n", default: "0", help: "Seed for initialisation, the --per-class subset and triplet sampling."),
        OptionSpec("--threads", value: "n", default: "2", help: "Threads; each step's batch is split in two shards, run in parallel when n >= 2."),
        OptionSpec("--parallelism", value: "mode", default: "shards",
                   help: "How threads share a step (values: shards, blas): shards run the batch's two halves at once with one OpenBLAS thread each; blas runs them in turn with OpenBLAS using every thread."),
        OptionSpec("--gemm", value: "name", default: "auto",
                   help: "Matrix products (values: auto, openblas): auto runs every product on TripletKit's AVX-512 kernel where the CPU has AVX-512F, with convolutions reading their column matrix in place, and on OpenBLAS elsewhere; openblas runs them all on OpenBLAS's sgemm. --parallelism blas always uses OpenBLAS."),
        OptionSpec("--plot-every", value: "k", default: "1", help: "Write the test embeddings every k epochs and after the last; 0 = after the last only."),
        OptionSpec("--negative-rule", value: "name", default: "uniform",
                   help: "Negative class draw (values: uniform, next-class); next-class is the tutorial's biased '+1 when equal' rule."),
        OptionSpec("--resume", value: "checkpoint", help: "Continue the run saved in this checkpoint; its run settings replace the defaults."),
        OptionSpec("--log", value: "path", help: "Append one JSON object per epoch to this file."),
        OptionSpec("--fail-on-collapse", help: "Exit with status 1 when the embedding collapses to a point."),
    ],
    discussion: """
        OUTPUT:
          <dir>/checkpoint.safetensors       weights and sampler state, rewritten after every epoch
          <dir>/model.safetensors            final weights (safetensors, loadable from Python)
          <dir>/embeddings-epochNNN.tsv      test-set embeddings for triplet-plot
        One line per epoch goes to standard error; the final test precision@1 goes to standard output.
        SIGINT or SIGTERM stops after the current step, writes the checkpoint and exits 130 or 143;
        continue with --resume <dir>/checkpoint.safetensors and the same --train.
        """)

/// Options that decide the weights; on --resume they come from the checkpoint.
let runOptions = ["--network", "--epochs", "--batch-size", "--margin", "--lr", "--schedule", "--warmup-epochs",
                  "--step-epochs", "--step-factor", "--weight-decay", "--momentum", "--embedding-dim",
                  "--per-class", "--seed", "--negative-rule", "--parallelism", "--gemm"]

runCommand(spec) { parsed in
    var configuration = TrainingConfiguration(trainPath: try parsed.requiredString("--train"),
                                              testPath: parsed.string("--test"),
                                              outputDirectory: try parsed.requiredString("--out"))
    let network = try parsed.choice("--network", NetworkPreset.allCases.map(\.rawValue))
    configuration.network = NetworkPreset(rawValue: network)!
    configuration.epochs = try parsed.int("--epochs", min: 1)
    configuration.batchTriplets = try parsed.int("--batch-size", min: 1)
    configuration.margin = Float(try parsed.double("--margin", positive: true))
    configuration.learningRate = try parsed.double("--lr", positive: true)
    configuration.weightDecay = Float(try parsed.double("--weight-decay", nonNegative: true))
    configuration.momentum = Float(try parsed.double("--momentum", nonNegative: true))
    guard configuration.momentum < 1 else {
        throw UsageError("invalid value '\(parsed.string("--momentum")!)' for '--momentum': must be below 1")
    }
    configuration.embeddingDimension = try parsed.int("--embedding-dim", min: 1)
    configuration.perClass = try parsed.optionalInt("--per-class", min: 2)
    configuration.seed = try parsed.seed()
    configuration.threads = try parsed.int("--threads", min: 1)
    configuration.parallelism = Parallelism(rawValue: try parsed.choice("--parallelism", Parallelism.allCases.map(\.rawValue)))!
    configuration.gemmKernels = GemmKernels(rawValue: try parsed.choice("--gemm", GemmKernels.allCases.map(\.rawValue)))!
    configuration.plotEvery = try parsed.int("--plot-every", min: 0)
    configuration.negativeRule = NegativeClassRule(rawValue: try parsed.choice("--negative-rule", NegativeClassRule.allCases.map(\.rawValue)))!
    configuration.showProgress = standardErrorIsTerminal

    // The schedule's warm-up is given in epochs but counted in steps, which needs the
    // training set's size, so it is resolved once the trainer has loaded the data.
    let scheduleName = try parsed.choice("--schedule", ["poly", "step", "cosine", "constant"])
    let warmupEpochs = try parsed.double("--warmup-epochs", nonNegative: true)
    let stepFactor = try parsed.double("--step-factor", positive: true)
    let stepEpochs = try parsed.int("--step-epochs", min: 1)
    switch scheduleName {
    case "poly": configuration.schedule = LearningRateSchedule(.poly(power: 1))
    case "step": configuration.schedule = LearningRateSchedule(.step(everyEpochs: stepEpochs, factor: stepFactor))
    case "cosine": configuration.schedule = LearningRateSchedule(.cosine)
    default: configuration.schedule = LearningRateSchedule(.constant)
    }

    var checkpoint: (file: SafeTensorsFile, path: String)?
    if let resumePath = parsed.string("--resume") {
        if let explicit = runOptions.first(where: { parsed.has($0) }) {
            throw UsageError("'\(explicit)' cannot be combined with '--resume': a resumed run keeps the settings stored in '\(resumePath)'")
        }
        let file = try SafeTensorsFile.read(path: resumePath)
        try configuration.applyRunSettings(file.metadata, path: resumePath)
        checkpoint = (file, resumePath)
    }

    var trainer = try Trainer(configuration: configuration, resumingFrom: checkpoint)
    if checkpoint == nil && warmupEpochs > 0 {
        configuration.schedule.warmupSteps = Int((warmupEpochs * Double(trainer.stepsPerEpoch)).rounded())
        trainer = try Trainer(configuration: configuration)
    }
    let log = try parsed.string("--log").map { try TrainingLog(path: $0) }
    // The command that continues this run: the options that are not stored in the
    // checkpoint, as given, so that the resumed run writes the same files.
    var resume = [CommandLine.arguments[0], "--resume", trainer.checkpointPath, "--train", configuration.trainPath]
    for option in ["--test", "--out", "--threads", "--plot-every", "--log"] where parsed.has(option) {
        resume += [option, parsed.string(option)!]
    }
    if parsed.flag("--fail-on-collapse") { resume.append("--fail-on-collapse") }
    let resumeCommand = resume.map(shellQuoted).joined(separator: " ")

    let signals = StopSignalMonitor()
    trainer.stopRequested = { signals.receivedSignal != nil }
    let checkpointPath = trainer.checkpointPath
    signals.beforeQuitting = {
        if FileManager.default.fileExists(atPath: checkpointPath) {
            printError("triplet-train: quit at once; resume from the last checkpoint written with: \(resumeCommand)")
        } else {
            printError("triplet-train: quit before the first checkpoint; nothing to resume")
        }
    }

    let start = trainer.progress.completedSteps
    printError("triplet-train: \(configuration.network.rawValue), \(trainer.network.parameterCount) parameters, "
               + "\(trainer.stepsPerEpoch) steps/epoch x \(configuration.epochs) epochs, batch \(configuration.batchTriplets) triplets, "
               + "margin \(configuration.margin), lr \(configuration.learningRate) (\(configuration.schedule)), "
               + "weight decay \(configuration.weightDecay), momentum \(configuration.momentum), "
               + "seed \(configuration.seed), threads \(trainer.threadsInUse) (\(configuration.parallelism.rawValue)), "
               + "products on \(trainer.matrixKernel)"
               + (start > 0 ? ", resuming at step \(start) of \(trainer.totalSteps)" : ""))

    func writeEmbeddings() throws {
        guard let embeddings = trainer.testEmbeddings() else { return }
        let path = String(format: "%@/embeddings-epoch%03d.tsv", configuration.outputDirectory, embeddings.epoch)
        try embeddings.write(to: path)
    }

    func finishEpoch(_ report: EpochReport) throws {
        printError(report.line)
        try log?.append(report)
        if report.looksCollapsed(margin: configuration.margin) {
            printError(String(format: "warning: the embedding looks collapsed: loss %.4f is near the margin %.4g and the mean anchor-negative distance is %.2e",
                              report.meanLoss, Double(configuration.margin), report.meanAnchorNegative))
            printError("Hint: try a lower --lr, a smaller --margin, or --momentum 0; check that the classes really differ")
            if parsed.flag("--fail-on-collapse") {
                throw TripletKitError("the embedding collapsed in epoch \(report.epoch); stopping because of --fail-on-collapse",
                                      hint: "the checkpoint of epoch \(report.epoch) is \(trainer.checkpointPath)")
            }
        }
        let isLast = report.epoch == configuration.epochs
        let isPlotEpoch = configuration.plotEvery > 0 && report.epoch % configuration.plotEvery == 0
        if isLast || isPlotEpoch { try writeEmbeddings() }
    }

    // A run that fails before its first checkpoint leaves no empty output folder behind.
    let outputExisted = FileManager.default.fileExists(atPath: configuration.outputDirectory)
    func removeEmptyOutput() {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: configuration.outputDirectory)) ?? ["?"]
        if !outputExisted && contents.isEmpty { try? FileManager.default.removeItem(atPath: configuration.outputDirectory) }
    }

    let outcome: TrainingOutcome
    do {
        outcome = try trainer.run(epochFinished: finishEpoch)
    } catch {
        removeEmptyOutput()
        throw error
    }
    if start == trainer.totalSteps {
        printError("triplet-train: the run in '\(checkpoint?.path ?? "")' was already complete; writing its model")
    }

    if case .stopped(let steps) = outcome, let signalNumber = signals.receivedSignal {
        printError("triplet-train: stopped by \(StopSignalMonitor.name(of: signalNumber)) after step \(steps) of \(trainer.totalSteps); checkpoint written to \(trainer.checkpointPath)")
        printError("Resume with: " + resumeCommand)
        return StopSignalMonitor.exitStatus(for: signalNumber)
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

/// Quotes `word` for a POSIX shell when it contains anything but safe characters.
func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@".contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
