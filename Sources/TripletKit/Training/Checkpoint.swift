// Checkpoints: the network's weights as safetensors, plus everything a resumed run needs
// to continue exactly where the interrupted one stopped (optimiser velocity, sampler
// state, step count, and the running sums of a partly finished epoch) in the metadata.

import Foundation

/// The position of a run: steps done and the sums of the current, unfinished epoch.
public struct TrainingProgress: Equatable, Sendable {
    public var completedSteps = 0
    /// Steps of the current epoch done so far and their sums, for the epoch's report.
    public var epochSteps = 0
    public var epochLossSum = 0.0
    public var epochActiveCount = 0
    public var epochAnchorPositiveSum = 0.0
    public var epochAnchorNegativeSum = 0.0

    public init() {}

    mutating func add(_ result: TripletLossResult) {
        epochSteps += 1
        epochLossSum += Double(result.loss)
        epochActiveCount += result.activeCount
        epochAnchorPositiveSum += Double(result.anchorPositiveSum)
        epochAnchorNegativeSum += Double(result.anchorNegativeSum)
    }

    mutating func startEpoch() {
        epochSteps = 0
        epochLossSum = 0
        epochActiveCount = 0
        epochAnchorPositiveSum = 0
        epochAnchorNegativeSum = 0
    }

    var metadata: [String: String] {
        [
            "completed_steps": String(completedSteps),
            "epoch_steps": String(epochSteps),
            "epoch_loss_sum": String(epochLossSum),
            "epoch_active": String(epochActiveCount),
            "epoch_ap_sum": String(epochAnchorPositiveSum),
            "epoch_an_sum": String(epochAnchorNegativeSum),
        ]
    }

    init(metadata: [String: String], path: String) throws {
        func number<T: LosslessStringConvertible>(_ key: String) throws -> T {
            guard let text = metadata[key], let value = T(text) else {
                throw TripletKitError("'\(path)': checkpoint metadata '\(key)' is missing or invalid ('\(metadata[key] ?? "")')",
                                      hint: "resume from a checkpoint.safetensors written by triplet-train")
            }
            return value
        }
        completedSteps = try number("completed_steps")
        epochSteps = try number("epoch_steps")
        epochLossSum = try number("epoch_loss_sum")
        epochActiveCount = try number("epoch_active")
        epochAnchorPositiveSum = try number("epoch_ap_sum")
        epochAnchorNegativeSum = try number("epoch_an_sum")
    }
}

extension Trainer {
    static let velocityTensorName = "optimizer.velocity"

    /// Builds the safetensors form of the weights, named as in PyTorch (conv1.weight,
    /// fc2.bias, ...), with the network, input shape and run settings in the metadata. The
    /// training state is added when `includeTrainingState` is set.
    public func safeTensors(includeTrainingState: Bool) -> SafeTensorsFile {
        var tensors = network.namedParameters.map { spec, offset in
            SafeTensorsFile.Tensor(name: spec.name, shape: spec.shape,
                                   values: Array(network.parameters[offset..<(offset + spec.elementCount)]))
        }
        tensors += network.namedState.map { spec, offset in
            SafeTensorsFile.Tensor(name: spec.name, shape: spec.shape,
                                   values: Array(network.state[offset..<(offset + spec.elementCount)]))
        }
        var metadata = configuration.runSettings
        metadata["format"] = "tripletkit"
        metadata["loss"] = "triplet margin, squared Euclidean, mean over all triplets"
        metadata["input_shape"] = "\(network.inputShape.channels),\(network.inputShape.height),\(network.inputShape.width)"
        metadata["input_scale"] = "pixel / 255"
        metadata["class_names"] = train.classNames.joined(separator: "\t")
        metadata["epoch"] = String(progress.completedSteps / stepsPerEpoch)
        if includeTrainingState {
            metadata["train_fingerprint"] = trainingSetFingerprint
            metadata["sampler_state"] = String(generator.state)
            metadata.merge(progress.metadata) { $1 }
            if !optimizer.velocity.isEmpty {
                tensors.append(SafeTensorsFile.Tensor(name: Self.velocityTensorName, shape: [optimizer.velocity.count],
                                                      values: optimizer.velocity))
            }
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    public func writeCheckpoint(to path: String) throws {
        // No timing goes into the file, so that a seed reproduces it byte for byte.
        try safeTensors(includeTrainingState: true).write(to: path)
    }

    public func writeModel() throws {
        try safeTensors(includeTrainingState: false).write(to: modelPath)
    }

    /// Restores weights, velocity, sampler state and progress from a checkpoint of this
    /// run; the configuration must already hold the checkpoint's run settings.
    func restore(from checkpoint: SafeTensorsFile, path: String) throws {
        for (spec, offset) in network.namedParameters {
            guard let tensor = checkpoint.tensor(named: spec.name) else {
                throw TripletKitError("'\(path)': checkpoint lacks tensor '\(spec.name)'")
            }
            guard tensor.shape == spec.shape else {
                throw TripletKitError("'\(path)': tensor '\(spec.name)' has shape \(tensor.shape), expected \(spec.shape)")
            }
            network.parameters.replaceSubrange(offset..<(offset + spec.elementCount), with: tensor.values)
        }
        for (spec, offset) in network.namedState {
            guard let tensor = checkpoint.tensor(named: spec.name), tensor.shape == spec.shape else {
                throw TripletKitError("'\(path)': checkpoint lacks state tensor '\(spec.name)' of shape \(spec.shape)")
            }
            network.state.replaceSubrange(offset..<(offset + spec.elementCount), with: tensor.values)
        }
        if !optimizer.velocity.isEmpty {
            guard let velocity = checkpoint.tensor(named: Self.velocityTensorName),
                  velocity.values.count == optimizer.velocity.count else {
                throw TripletKitError("'\(path)': checkpoint lacks the optimiser's velocity for momentum \(configuration.momentum)")
            }
            optimizer.velocity = velocity.values
        }
        if let expected = checkpoint.metadata["train_fingerprint"], expected != trainingSetFingerprint {
            throw TripletKitError("invalid value '\(train.path)' for '--train': '\(path)' was trained on another training set (\(expected)); this one is \(trainingSetFingerprint)",
                                  hint: "resume with the --train file the run started with", option: "--train")
        }
        guard let state = checkpoint.metadata["sampler_state"].flatMap(UInt64.init) else {
            throw TripletKitError("'\(path)': checkpoint metadata 'sampler_state' is missing or invalid",
                                  hint: "resume from a checkpoint.safetensors, not a model.safetensors")
        }
        generator = SplitMix64(seed: state)
        progress = try TrainingProgress(metadata: checkpoint.metadata, path: path)
        guard progress.completedSteps <= totalSteps, progress.epochSteps <= stepsPerEpoch else {
            throw TripletKitError("'\(path)': checkpoint is at step \(progress.completedSteps), but this run has \(totalSteps) steps",
                                  hint: "resume with the training set the checkpoint was trained on")
        }
    }

    /// Describes the training set's content, so that a resumed run can check that it
    /// continues on the same data: image count, shape, and CRC-32s of the labels and pixels.
    func computeTrainingSetFingerprint() -> String {
        var labelsCRC: UInt32 = 0
        var pixelsCRC: UInt32 = 0
        for id in 0..<train.count {
            var label = UInt32(train.label(id)).littleEndian
            labelsCRC = withUnsafeBytes(of: &label) { crc32Update(labelsCRC, $0) }
            pixelsCRC = crc32Update(pixelsCRC, train.pixels(id))
        }
        return String(format: "%d images of %dx%dx%d, labels CRC %08X, pixels CRC %08X",
                      train.count, train.channels, train.height, train.width, labelsCRC, pixelsCRC)
    }
}
