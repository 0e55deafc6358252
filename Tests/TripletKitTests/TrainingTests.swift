// Short training runs on the real-digit fixture: the loss falls, files appear, and a seed
// reproduces the weights bit for bit on one thread and on two.

import Foundation
import Testing
@testable import TripletKit

@Suite struct TrainingTests {
    func configuration(_ folder: TemporaryFolder, train: String, test: String, out: String) -> TrainingConfiguration {
        var configuration = TrainingConfiguration(trainPath: train, testPath: test, outputDirectory: folder.file(out))
        configuration.epochs = 6
        configuration.learningRate = 0.05
        configuration.seed = 11
        configuration.plotEvery = 3
        return configuration
    }

    @Test func lossFallsOnRealDigits() throws {
        let folder = try TemporaryFolder()
        let (train, test) = try Fixtures.packed(in: folder.path)
        let trainer = try Trainer(configuration: configuration(folder, train: train, test: test, out: "run"))
        #expect(trainer.stepsPerEpoch == 10)  // 300 images / 32 triplets, rounded up
        try trainer.run()
        let losses = trainer.reports.map(\.meanLoss)
        #expect(losses.count == 6)
        #expect(losses.allSatisfy { $0.isFinite })
        // The first epoch starts near the margin; the last should be well below it.
        #expect(losses.last! < 0.6 * losses.first!, "losses \(losses)")

        // 20 test images per class; chance is 0.1.
        let embeddings = trainer.embed(trainer.test!)
        let precision = Retrieval.precisionAtOne(embeddings: embeddings, labels: trainer.test!.labels, dimension: 2)
        #expect(precision > 0.3, "precision@1 \(precision)")

        try trainer.writeModel()
        let model = try SafeTensorsFile.read(path: trainer.modelPath)
        #expect(model.tensors.map(\.name) == ["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight",
                                              "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"])
        #expect(model.tensor(named: "conv1.weight")?.shape == [32, 1, 5, 5])
        #expect(model.metadata["network"] == "convnet")
        #expect(model.metadata["input_shape"] == "1,28,28")
        #expect(FileManager.default.fileExists(atPath: trainer.checkpointPath))
    }

    @Test func seedReproducesWeightsOnOneAndTwoThreads() throws {
        let folder = try TemporaryFolder()
        let (train, test) = try Fixtures.packed(in: folder.path)
        func checkpoint(threads: Int, seed: UInt64, out: String) throws -> [UInt8] {
            var settings = configuration(folder, train: train, test: test, out: out)
            settings.epochs = 2
            settings.threads = threads
            settings.seed = seed
            let trainer = try Trainer(configuration: settings)
            try trainer.run()
            return try readWholeFile(trainer.checkpointPath)
        }
        let one = try checkpoint(threads: 1, seed: 5, out: "one")
        let oneAgain = try checkpoint(threads: 1, seed: 5, out: "one-again")
        let two = try checkpoint(threads: 2, seed: 5, out: "two")
        let otherSeed = try checkpoint(threads: 1, seed: 6, out: "other")
        #expect(one == oneAgain)
        #expect(one == two)
        #expect(one != otherSeed)
    }

    @Test func resnetMiniTrainsAndResumes() throws {
        // Tutorial-style input: the fixture digits padded from 28×28 to 32×32 and copied to
        // three channels.
        let folder = try TemporaryFolder()
        let (gray, _) = try Fixtures.packed(in: folder.path)
        let source = try PackedDataset(path: gray)
        let path = folder.file("rgb.tkpack")
        let writer = try PackedDatasetWriter(path: path, height: 32, width: 32, channels: 3, classNames: source.classNames)
        for id in 0..<source.count {
            var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3)
            let digit = source.pixels(id)
            for y in 0..<28 {
                for x in 0..<28 {
                    for c in 0..<3 { pixels[((y + 2) * 32 + x + 2) * 3 + c] = digit[y * 28 + x] }
                }
            }
            try pixels.withUnsafeBytes { try writer.append(pixels: $0, label: source.label(id)) }
        }
        try writer.finish()

        var settings = TrainingConfiguration(trainPath: path, testPath: path, outputDirectory: folder.file("run"))
        settings.network = .resnetMini
        settings.epochs = 3
        settings.perClass = 10
        let whole = try Trainer(configuration: settings)
        try whole.run()
        let losses = whole.reports.map(\.meanLoss)
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < losses.first!, "losses \(losses)")
        let model = try SafeTensorsFile.read(path: whole.checkpointPath)
        // Running statistics moved away from their initial 0 and 1.
        #expect(model.tensor(named: "bn1.running_mean")?.values.contains { $0 != 0 } == true)

        settings.outputDirectory = folder.file("parts")
        let first = try Trainer(configuration: settings)
        var steps = 0
        first.stopRequested = {
            steps += 1
            return steps == 4
        }
        try first.run()
        let checkpoint = try SafeTensorsFile.read(path: first.checkpointPath)
        let second = try Trainer(configuration: settings, resumingFrom: (checkpoint, first.checkpointPath))
        try second.run()
        #expect(try readWholeFile(second.checkpointPath) == readWholeFile(whole.checkpointPath))
    }

    @Test func blasParallelismTrains() throws {
        // Through the tool, in a process of its own: OpenBLAS's thread count is process-wide,
        // and the other tests in this process train with one OpenBLAS thread.
        let folder = try TemporaryFolder()
        let (train, test) = try Fixtures.packed(in: folder.path)
        let run = try Tools.run("triplet-train", ["--train", train, "--test", test, "--out", folder.file("blas"),
                                                  "--epochs", "2", "--lr", "0.05", "--parallelism", "blas"])
        #expect(run.status == 0, "\(run.standardError)")
        // The start-up line names the threads in use and the kernel: blas always runs OpenBLAS.
        #expect(run.standardError.contains("threads 2 (blas), products on openblas"))
        let losses = run.standardError.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).firstIndex(of: "loss").flatMap { index in
                Double(line.split(separator: " ", omittingEmptySubsequences: true)[index + 1])
            }
        }
        #expect(losses.count == 2)
        #expect(losses.last ?? 1 < losses.first ?? 0)
    }

    @Test func scheduleDecaysToZero() {
        let schedule = LearningRateSchedule.tutorial
        #expect(schedule.rate(base: 0.01, step: 0, totalSteps: 4, stepsPerEpoch: 2) == 0.0075)
        #expect(schedule.rate(base: 0.01, step: 1, totalSteps: 4, stepsPerEpoch: 2) == 0.005)
        #expect(schedule.rate(base: 0.01, step: 3, totalSteps: 4, stepsPerEpoch: 2) == 0)
    }

    @Test func sgdAppliesWeightDecay() {
        var optimizer = SGD(parameterCount: 2, weightDecay: 0.5)
        var weights: [Float] = [2, -4]
        let gradient: [Float] = [1, 1]
        optimizer.step(parameters: &weights, gradients: gradient, rate: 0.1)
        // w - 0.1 · (g + 0.5 w): 2 - 0.1·2 = 1.8; -4 - 0.1·(1 - 2) = -3.9.
        #expect(weights == [1.8, -3.9])
    }

    @Test func precisionAtOneOnKnownPoints() {
        // Rows 0 and 1 (class 0) are close, and so are rows 2 and 3 (class 1). Row 4 (class 1)
        // sits next to row 0, so its nearest neighbour has the other class.
        let points: [Float] = [0, 0,  0.1, 0,  5, 5,  5.1, 5,  0, 0.05]
        let precision = Retrieval.precisionAtOne(embeddings: points, labels: [0, 0, 1, 1, 1], dimension: 2)
        // Row 0's nearest is row 4 (0.05 away): a miss. Rows 1, 2, 3 hit; row 4 misses.
        #expect(precision == 3.0 / 5.0)
    }
}

@Suite struct EpochReportTests {
    let healthy = EpochReport(epoch: 3, learningRate: 0.005, meanLoss: 0.12, activeFraction: 0.1,
                              meanAnchorPositive: 0.4, meanAnchorNegative: 6.5, tripletsPerSecond: 1500, elapsedSeconds: 12)

    @Test func collapseDetection() {
        var collapsed = healthy
        collapsed.meanLoss = 0.999
        collapsed.meanAnchorNegative = 0.001
        #expect(collapsed.looksCollapsed(margin: 1))
        #expect(!healthy.looksCollapsed(margin: 1))
        // A loss at the margin with negatives still apart is slow learning, not collapse.
        var stuck = healthy
        stuck.meanLoss = 0.99
        #expect(!stuck.looksCollapsed(margin: 1))
    }

    @Test func jsonHasEveryField() throws {
        let object = try JSONSerialization.jsonObject(with: Data(healthy.json.utf8)) as? [String: Double]
        #expect(object?.keys.sorted() == ["active_triplets", "an", "ap", "elapsed_s", "epoch", "loss", "lr", "triplets_per_s"])
        #expect(object?["an"] == 6.5)
    }
}
