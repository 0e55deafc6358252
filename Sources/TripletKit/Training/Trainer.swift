// The training loop: sample triplets, run the shared network on the concatenated batch,
// apply the triplet loss, back-propagate and update, with per-epoch logging, checkpoints
// and test-set embeddings.
//
// Each step's batch of 3B images is split into a fixed number of shards that run on their
// own threads with one BLAS thread each. Their parameter gradients are summed in shard
// order. The shard count does not depend on --threads, so one and two threads give
// bit-identical weights.

import Dispatch
import Foundation

/// Training speed over timed windows of steps, with the losses that show the run trains.
public struct ThroughputMeasurement: Sendable {
    /// Triplets per second of each window.
    public var windowRates: [Double] = []
    /// Mean loss of each window.
    public var windowLosses: [Double] = []
    /// Loss of the very first step.
    public var firstLoss = Double.nan
}

/// The way a call to `Trainer.run` ended.
public enum TrainingOutcome: Equatable, Sendable {
    case completed
    /// Stopped between steps because `stopRequested` returned true; a checkpoint of the
    /// state after `completedSteps` steps was written.
    case stopped(completedSteps: Int)
}

public final class Trainer {
    /// Shards per step; fixed so that results do not depend on the thread count.
    public static let shardCount = 2

    public let configuration: TrainingConfiguration
    public let network: Network
    /// The kernel the products run on: "avx512" (TripletKit's) or "openblas".
    public let matrixKernel: String
    public let train: PackedDataset
    public let test: PackedDataset?
    public internal(set) var optimizer: SGD
    /// The sampler's generator; its state is saved in checkpoints.
    public internal(set) var generator: SplitMix64
    public internal(set) var progress = TrainingProgress()
    public private(set) var reports: [EpochReport] = []
    /// Polled after every step; returning true ends `run` with a checkpoint.
    public var stopRequested: () -> Bool = { false }

    let sampler: RandomTripletSampler
    let trainingCount: Int
    private let workspaces: [Workspace]
    private let shardSizes: [Int]
    private var processStart = Date()
    /// Computed once, since it reads every training image.
    lazy var trainingSetFingerprint = computeTrainingSetFingerprint()

    /// Sets up a run from `configuration`, or continues the run saved in `checkpoint`
    /// (whose run settings `configuration` must already hold).
    public init(configuration: TrainingConfiguration, resumingFrom checkpoint: (file: SafeTensorsFile, path: String)? = nil) throws {
        self.configuration = configuration
        train = try PackedDataset.openVerified(path: configuration.trainPath)
        test = try configuration.testPath.map { try PackedDataset.openVerified(path: $0) }
        let backend = CPUBackend(gemmKernels: configuration.parallelism == .blas ? .openblas : configuration.gemmKernels)
        network = configuration.network.makeNetwork(embeddingDimension: configuration.embeddingDimension, backend: backend)
        matrixKernel = backend.supportsGatheredGemm ? "avx512" : "openblas"

        for dataset in [train] + (test.map { [$0] } ?? []) {
            let shape = TensorShape(channels: dataset.channels, height: dataset.height, width: dataset.width)
            guard shape == network.inputShape else {
                throw TripletKitError("'\(dataset.path)' contains \(shape) images, but network '\(configuration.network.rawValue)' takes \(network.inputShape)",
                                      hint: "repack the data with mnist-prep at the network's input size",
                                      option: dataset === train ? "--train" : "--test")
            }
        }
        if let test, test.classNames != train.classNames {
            printError("warning: '\(test.path)' and '\(train.path)' name their classes differently; precision@1 compares class ids")
        }

        // The training subset (the tutorial's small set) and its class index.
        var members = train.classMembers
        if let perClass = configuration.perClass {
            let kept = IDXPacking.selectPerClass(labels: train.labels, classCount: train.classCount,
                                                 perClass: perClass, seed: configuration.seed)
            members = [[Int32]](repeating: [], count: train.classCount)
            for id in kept { members[train.label(id)].append(Int32(id)) }
        }
        trainingCount = members.reduce(0) { $0 + $1.count }
        let populated = members.filter { !$0.isEmpty }.count
        guard populated >= 2 else {
            throw TripletKitError("invalid value '\(train.path)' for '--train': \(populated) class(es) with images, but triplets need at least two",
                                  hint: "train on a dataset with two or more classes", option: "--train")
        }
        for (name, ids) in zip(train.classNames, members) where ids.count < 2 {
            printError("warning: class '\(name)' of '\(train.path)' has \(ids.count) image(s); it is never used as an anchor class")
        }
        sampler = try RandomTripletSampler(classMembers: members, negativeRule: configuration.negativeRule)

        var initializer = SplitMix64(seed: configuration.seed)
        network.initializeParameters(using: &initializer)
        // The sampler's stream is derived from the seed but separate from initialisation.
        generator = SplitMix64(seed: configuration.seed ^ 0x5EED_5A3D_1E57_7A11)
        optimizer = SGD(parameterCount: network.parameterCount, weightDecay: configuration.weightDecay,
                        momentum: configuration.momentum)

        let images = 3 * configuration.batchTriplets
        let shards = min(Self.shardCount, images)
        let sizes = (0..<shards).map { images / shards + ($0 < images % shards ? 1 : 0) }
        let network = self.network
        shardSizes = sizes
        workspaces = sizes.map { Workspace(network: network, capacity: max($0, 1)) }

        if let checkpoint { try restore(from: checkpoint.file, path: checkpoint.path) }
    }

    public var stepsPerEpoch: Int { configuration.stepsPerEpoch(trainingCount: trainingCount) }
    /// Threads a step keeps busy: one per shard at most with `shards`, all with `blas`.
    public var threadsInUse: Int {
        configuration.parallelism == .shards ? min(max(configuration.threads, 1), workspaces.count) : max(configuration.threads, 1)
    }
    public var totalSteps: Int { stepsPerEpoch * configuration.epochs }
    public var completedEpochs: Int { progress.completedSteps / stepsPerEpoch }
    var elapsedInThisProcess: Double { Date().timeIntervalSince(processStart) }

    // MARK: - Running

    /// Trains until the configured epochs are done or `stopRequested` returns true.
    /// After each epoch it writes the checkpoint, then calls `epochFinished`; when stopped
    /// it writes the checkpoint of the steps done so far.
    @discardableResult
    public func run(epochFinished: (EpochReport) throws -> Void = { _ in }) throws -> TrainingOutcome {
        let parallel = setUpThreads()
        try FileManager.default.createDirectory(atPath: configuration.outputDirectory, withIntermediateDirectories: true)

        processStart = Date()
        var epochStart = Date()
        var epochStepsInThisProcess = 0
        let progressLine = ProgressLine(enabled: configuration.showProgress)
        while progress.completedSteps < totalSteps {
            let epoch = progress.completedSteps / stepsPerEpoch + 1
            let rate = configuration.schedule.rate(base: configuration.learningRate, step: progress.completedSteps,
                                                   totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
            let result = trainStep(rate: Float(rate), parallel: parallel)
            guard result.loss.isFinite else {
                progressLine.clear()
                throw TripletKitError("loss became \(result.loss) at epoch \(epoch), step \(progress.epochSteps + 1)",
                                      hint: lastCheckpointHint(epoch: epoch) + "; try a lower --lr")
            }
            progress.add(result)
            progress.completedSteps += 1
            epochStepsInThisProcess += 1

            let seconds = Date().timeIntervalSince(epochStart)
            progressLine.update(epoch: epoch, epochs: configuration.epochs, step: progress.epochSteps, steps: stepsPerEpoch,
                                loss: progress.epochLossSum / Double(progress.epochSteps), rate: rate,
                                tripletsPerSecond: Double(epochStepsInThisProcess * configuration.batchTriplets) / seconds,
                                remainingSteps: totalSteps - progress.completedSteps,
                                secondsPerStep: seconds / Double(epochStepsInThisProcess))

            if progress.epochSteps == stepsPerEpoch {
                progressLine.clear()
                guard network.parameters.allSatisfy({ $0.isFinite }) else {
                    throw TripletKitError("a weight became non-finite in epoch \(epoch)",
                                          hint: lastCheckpointHint(epoch: epoch) + "; try a lower --lr")
                }
                let triplets = Double(stepsPerEpoch * configuration.batchTriplets)
                let report = EpochReport(epoch: epoch, learningRate: rate, meanLoss: progress.epochLossSum / Double(stepsPerEpoch),
                                         activeFraction: Double(progress.epochActiveCount) / triplets,
                                         meanAnchorPositive: progress.epochAnchorPositiveSum / triplets,
                                         meanAnchorNegative: progress.epochAnchorNegativeSum / triplets,
                                         tripletsPerSecond: Double(epochStepsInThisProcess * configuration.batchTriplets) / seconds,
                                         elapsedSeconds: elapsedInThisProcess)
                progress.startEpoch()
                reports.append(report)
                try writeCheckpoint(to: checkpointPath)
                try epochFinished(report)
                epochStart = Date()
                epochStepsInThisProcess = 0
            }

            if progress.completedSteps < totalSteps && stopRequested() {
                progressLine.clear()
                try writeCheckpoint(to: checkpointPath)
                return .stopped(completedSteps: progress.completedSteps)
            }
        }
        return .completed
    }

    /// Runs `warmup` untimed steps, then `windows` timed windows of `steps` steps each at a
    /// constant learning rate. The weights change as in training, so a benchmark needs a
    /// fresh trainer.
    public func measureThroughput(warmup: Int, steps: Int, windows: Int) -> ThroughputMeasurement {
        let parallel = setUpThreads()
        let rate = Float(configuration.learningRate)
        var measurement = ThroughputMeasurement()
        for step in 0..<warmup {
            let loss = trainStep(rate: rate, parallel: parallel).loss
            if step == 0 { measurement.firstLoss = Double(loss) }
        }
        for _ in 0..<windows {
            let start = Date()
            var lossSum = 0.0
            for step in 0..<steps {
                let loss = Double(trainStep(rate: rate, parallel: parallel).loss)
                if warmup == 0 && measurement.windowRates.isEmpty && step == 0 { measurement.firstLoss = loss }
                lossSum += loss
            }
            measurement.windowRates.append(Double(steps * configuration.batchTriplets) / Date().timeIntervalSince(start))
            measurement.windowLosses.append(lossSum / Double(steps))
        }
        return measurement
    }

    /// Samples a fresh batch of triplets and takes one optimiser step on it.
    func trainStep(rate: Float, parallel: Bool) -> TripletLossResult {
        let tripletCount = configuration.batchTriplets
        let dimension = configuration.embeddingDimension
        let triplets = sampler.sample(count: tripletCount, using: &generator)
        let ids = triplets.map(\.anchor) + triplets.map(\.positive) + triplets.map(\.negative)
        let firstImage = shardSizes.indices.map { shardSizes[..<$0].reduce(0, +) }

        // Forward each shard, then gather the embeddings in batch order.
        var embeddings = [Float](repeating: 0, count: ids.count * dimension)
        embeddings.withUnsafeMutableBufferPointer { embeddings in
            let destination = embeddings.baseAddress!
            forEachShard(parallel: parallel) { shard in
                let workspace = workspaces[shard]
                let range = firstImage[shard]..<(firstImage[shard] + shardSizes[shard])
                fillInput(workspace.input, from: train, ids: Array(ids[range]))
                let output = network.forward(workspace, batch: range.count, training: true)
                (destination + range.lowerBound * dimension).update(from: output, count: range.count * dimension)
            }
        }
        network.updateState(workspaces: workspaces, batches: shardSizes)

        var lossGradient = [Float](repeating: 0, count: ids.count * dimension)
        let result = embeddings.withUnsafeBufferPointer { embeddings in
            lossGradient.withUnsafeMutableBufferPointer { gradient in
                TripletLoss.compute(embeddings: embeddings.baseAddress!, tripletCount: tripletCount, dimension: dimension,
                                    margin: configuration.margin, gradient: gradient.baseAddress!)
            }
        }

        // Backward each shard from its slice of the loss gradient.
        lossGradient.withUnsafeBufferPointer { lossGradient in
            forEachShard(parallel: parallel) { shard in
                let workspace = workspaces[shard]
                let range = firstImage[shard]..<(firstImage[shard] + shardSizes[shard])
                workspace.outputGradient.update(from: lossGradient.baseAddress! + range.lowerBound * dimension,
                                                count: range.count * dimension)
                workspace.zeroParameterGradients()
                network.backward(workspace, batch: range.count)
            }
        }

        // The optimiser sums the shards' gradients in shard order as it updates.
        optimizer.step(parameters: &network.parameters, gradientShards: workspaces.map { UnsafePointer($0.parameterGradients) },
                       rate: rate, parallel: parallel)
        return result
    }

    /// Sets OpenBLAS's thread count for the configured parallelism and returns whether the
    /// shards run on threads of their own.
    private func setUpThreads() -> Bool {
        let threads = max(configuration.threads, 1)
        switch configuration.parallelism {
        case .shards:
            let parallel = threads >= 2 && workspaces.count > 1
            CPUBackend.setBLASThreads(parallel ? 1 : threads)
            return parallel
        case .blas:
            CPUBackend.setBLASThreads(threads)
            return false
        }
    }

    private func forEachShard(parallel: Bool, _ body: (Int) -> Void) {
        if parallel {
            DispatchQueue.concurrentPerform(iterations: workspaces.count, execute: body)
        } else {
            for shard in workspaces.indices { body(shard) }
        }
    }

    // MARK: - Evaluation

    /// Embeds every image of `dataset` with the current weights; (count, D) row-major.
    public func embed(_ dataset: PackedDataset) -> [Float] {
        let dimension = configuration.embeddingDimension
        let halves = workspaces.count
        let perHalf = (dataset.count + halves - 1) / halves
        var result = [Float](repeating: 0, count: dataset.count * dimension)
        let parallel = configuration.threads >= 2 && configuration.parallelism == .shards
        result.withUnsafeMutableBufferPointer { result in
            let destination = result.baseAddress!
            forEachShard(parallel: parallel) { shard in
                let first = shard * perHalf
                let count = max(0, min(perHalf, dataset.count - first))
                let values = network.embed(count: count, workspace: workspaces[shard]) { input, start, batch in
                    fillInput(input, from: dataset, ids: Array((first + start)..<(first + start + batch)))
                }
                (destination + first * dimension).update(from: values, count: values.count)
            }
        }
        return result
    }

    /// Embeds the test set and returns the embeddings with their labels, for triplet-plot.
    public func testEmbeddings() -> EmbeddingSet? {
        guard let test else { return nil }
        return EmbeddingSet(epoch: completedEpochs, classNames: test.classNames,
                            dimension: configuration.embeddingDimension, labels: test.labels, values: embed(test))
    }

    // MARK: - Files

    public var checkpointPath: String { configuration.outputDirectory + "/checkpoint.safetensors" }
    public var modelPath: String { configuration.outputDirectory + "/model.safetensors" }

    private func lastCheckpointHint(epoch: Int) -> String {
        epoch > 1 ? "the last good checkpoint is '\(checkpointPath)' (epoch \(epoch - 1))" : "no checkpoint was written yet"
    }
}

/// Copies images into a network input (C, N, H, W), scaling bytes to [0, 1].
func fillInput(_ input: UnsafeMutablePointer<Float>, from dataset: PackedDataset, ids: [Int]) {
    let channels = dataset.channels
    let plane = dataset.height * dataset.width
    let batch = ids.count
    let scale: Float = 1 / 255
    for (n, id) in ids.enumerated() {
        let pixels = dataset.pixels(id).bindMemory(to: UInt8.self)
        for c in 0..<channels {
            let destination = input + (c * batch + n) * plane
            for i in 0..<plane { destination[i] = Float(pixels[i * channels + c]) * scale }
        }
    }
}
