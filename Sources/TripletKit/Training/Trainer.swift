// The training loop: sample triplets, run the shared network on the concatenated batch,
// apply the triplet loss, back-propagate and update, with per-epoch logging, checkpoints
// and test-set embeddings.
//
// Each step's batch of 3B images is split into a fixed number of shards that run on their
// own threads with one BLAS thread each; their parameter gradients are summed in shard
// order. The shard count does not depend on --threads, so one and two threads give
// bit-identical weights.

import Dispatch
import Foundation

/// Statistics of one epoch, as printed and logged.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var meanLoss: Double
    public var activeFraction: Double
    public var meanAnchorPositive: Double
    public var meanAnchorNegative: Double
    public var tripletsPerSecond: Double
    public var elapsedSeconds: Double

    public var line: String {
        String(format: "epoch %d  lr %.6f  loss %.4f  active %.3f  ap %.4f  an %.4f  triplets/s %.0f  elapsed %.1fs",
               epoch, learningRate, meanLoss, activeFraction, meanAnchorPositive, meanAnchorNegative,
               tripletsPerSecond, elapsedSeconds)
    }
}

public final class Trainer {
    /// Shards per step; fixed so that results do not depend on the thread count.
    public static let shardCount = 2

    public let configuration: TrainingConfiguration
    public let network: Network
    public let train: PackedDataset
    public let test: PackedDataset?
    public private(set) var optimizer: SGD
    /// The sampler's generator; its state is saved in checkpoints.
    public private(set) var generator: SplitMix64
    public private(set) var completedEpochs = 0
    public private(set) var reports: [EpochReport] = []

    let sampler: RandomTripletSampler
    let trainingCount: Int
    private let workspaces: [Workspace]
    private let shardSizes: [Int]
    private var gradient: [Float]

    public init(configuration: TrainingConfiguration) throws {
        self.configuration = configuration
        train = try PackedDataset(path: configuration.trainPath)
        test = try configuration.testPath.map { try PackedDataset(path: $0) }
        network = configuration.network.makeNetwork(embeddingDimension: configuration.embeddingDimension)

        for dataset in [train] + (test.map { [$0] } ?? []) {
            let shape = TensorShape(channels: dataset.channels, height: dataset.height, width: dataset.width)
            guard shape == network.inputShape else {
                throw TripletKitError("'\(dataset.path)' holds \(shape) images, but network '\(configuration.network.rawValue)' takes \(network.inputShape)",
                                      hint: "repack the data with mnist-prep at the network's input size")
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
        gradient = [Float](repeating: 0, count: network.parameterCount)
    }

    public var stepsPerEpoch: Int { configuration.stepsPerEpoch(trainingCount: trainingCount) }
    public var totalSteps: Int { stepsPerEpoch * configuration.epochs }

    // MARK: - Running

    /// Trains for the configured epochs; `epochFinished` runs after each epoch, after its
    /// checkpoint is written.
    public func run(epochFinished: (EpochReport) throws -> Void = { _ in }) throws {
        let parallel = configuration.threads >= 2 && workspaces.count > 1
        CPUBackend.setBLASThreads(parallel ? 1 : max(configuration.threads, 1))
        try FileManager.default.createDirectory(atPath: configuration.outputDirectory, withIntermediateDirectories: true)

        let start = Date()
        let progress = ProgressLine(enabled: configuration.showProgress)
        while completedEpochs < configuration.epochs {
            let epoch = completedEpochs + 1
            let epochStart = Date()
            var lossSum = 0.0, activeSum = 0, apSum = 0.0, anSum = 0.0
            var rate = 0.0
            for step in 0..<stepsPerEpoch {
                let globalStep = completedEpochs * stepsPerEpoch + step
                rate = configuration.schedule.rate(base: configuration.learningRate, step: globalStep, totalSteps: totalSteps)
                let result = trainStep(rate: Float(rate), parallel: parallel)
                guard result.loss.isFinite else {
                    throw TripletKitError("loss became \(result.loss) at epoch \(epoch), step \(step + 1)",
                                          hint: lastCheckpointHint(epoch: epoch) + "; try a lower --lr")
                }
                lossSum += Double(result.loss)
                activeSum += result.activeCount
                apSum += Double(result.anchorPositiveSum)
                anSum += Double(result.anchorNegativeSum)
                progress.update(epoch: epoch, epochs: configuration.epochs, step: step + 1, steps: stepsPerEpoch,
                                loss: lossSum / Double(step + 1), rate: rate,
                                tripletsPerSecond: Double((step + 1) * configuration.batchTriplets) / Date().timeIntervalSince(epochStart),
                                remainingSteps: totalSteps - globalStep - 1,
                                secondsPerStep: Date().timeIntervalSince(epochStart) / Double(step + 1))
            }
            progress.clear()
            guard network.parameters.allSatisfy({ $0.isFinite }) else {
                throw TripletKitError("a weight became non-finite in epoch \(epoch)", hint: lastCheckpointHint(epoch: epoch) + "; try a lower --lr")
            }

            completedEpochs = epoch
            let triplets = Double(stepsPerEpoch * configuration.batchTriplets)
            let report = EpochReport(epoch: epoch, learningRate: rate, meanLoss: lossSum / Double(stepsPerEpoch),
                                     activeFraction: Double(activeSum) / triplets,
                                     meanAnchorPositive: apSum / triplets, meanAnchorNegative: anSum / triplets,
                                     tripletsPerSecond: triplets / Date().timeIntervalSince(epochStart),
                                     elapsedSeconds: Date().timeIntervalSince(start))
            reports.append(report)
            try writeCheckpoint(to: checkpointPath)
            try epochFinished(report)
        }
    }

    /// One optimiser step on a fresh batch of triplets.
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
                let output = network.forward(workspace, batch: range.count)
                (destination + range.lowerBound * dimension).update(from: output, count: range.count * dimension)
            }
        }

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

        // Sum the shards' gradients in shard order, then update.
        gradient.withUnsafeMutableBufferPointer { total in
            total.baseAddress!.update(from: workspaces[0].parameterGradients, count: total.count)
            for workspace in workspaces.dropFirst() {
                let shardGradient = workspace.parameterGradients
                for i in 0..<total.count { total[i] += shardGradient[i] }
            }
        }
        gradient.withUnsafeBufferPointer { optimizer.step(parameters: &network.parameters, gradients: $0.baseAddress!, rate: rate) }
        return result
    }

    /// Runs `warmup` untimed steps, then `windows` timed windows of `steps` steps each at a
    /// constant learning rate; returns the triplets per second of each window. The weights
    /// change as in training, so a benchmark needs a fresh trainer.
    public func measureThroughput(warmup: Int, steps: Int, windows: Int) -> [Double] {
        let parallel = configuration.threads >= 2 && workspaces.count > 1
        CPUBackend.setBLASThreads(parallel ? 1 : max(configuration.threads, 1))
        let rate = Float(configuration.learningRate)
        for _ in 0..<warmup { _ = trainStep(rate: rate, parallel: parallel) }
        var rates: [Double] = []
        for _ in 0..<windows {
            let start = Date()
            for _ in 0..<steps { _ = trainStep(rate: rate, parallel: parallel) }
            rates.append(Double(steps * configuration.batchTriplets) / Date().timeIntervalSince(start))
        }
        return rates
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
        let parallel = configuration.threads >= 2
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

    /// The test set's embeddings with their labels, for triplet-plot.
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

    /// The weights as safetensors, named as in PyTorch (conv1.weight, fc2.bias, ...), with
    /// the network, input shape and training state in the metadata.
    public func safeTensors(includeTrainingState: Bool) -> SafeTensorsFile {
        var tensors = network.namedParameters.map { spec, offset in
            SafeTensorsFile.Tensor(name: spec.name, shape: spec.shape,
                                   values: Array(network.parameters[offset..<(offset + spec.elementCount)]))
        }
        var metadata = configuration.metadata
        metadata["format"] = "tripletkit"
        metadata["input_shape"] = "\(network.inputShape.channels),\(network.inputShape.height),\(network.inputShape.width)"
        metadata["input_scale"] = "pixel / 255"
        metadata["class_names"] = train.classNames.joined(separator: "\t")
        metadata["epoch"] = String(completedEpochs)
        if includeTrainingState {
            metadata["sampler_state"] = String(generator.state)
            metadata["step"] = String(completedEpochs * stepsPerEpoch)
            if !optimizer.velocity.isEmpty {
                tensors.append(SafeTensorsFile.Tensor(name: "optimizer.velocity", shape: [optimizer.velocity.count],
                                                      values: optimizer.velocity))
            }
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    public func writeCheckpoint(to path: String) throws {
        try safeTensors(includeTrainingState: true).write(to: path)
    }

    public func writeModel() throws {
        try safeTensors(includeTrainingState: false).write(to: modelPath)
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
