// Never losing a run. A stopped run resumed from its checkpoint ends with the same weights
// as an uninterrupted one, in process and through signals to the real tool. A kill -9 at
// any moment leaves the previous checkpoint whole.

import Foundation
import Testing
@testable import TripletKit

@Suite(.serialized) struct ResumeTests {
    func settings(_ folder: TemporaryFolder, train: String, out: String) -> TrainingConfiguration {
        var configuration = TrainingConfiguration(trainPath: train, testPath: nil, outputDirectory: folder.file(out))
        configuration.epochs = 3
        configuration.learningRate = 0.05
        configuration.momentum = 0.9  // so that the velocity must be restored too
        configuration.seed = 21
        return configuration
    }

    @Test(arguments: [7, 10, 23])
    func resumedRunEqualsUninterrupted(stopAfter: Int) throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)

        let whole = try Trainer(configuration: settings(folder, train: train, out: "whole"))
        #expect(try whole.run() == .completed)
        let expected = try readWholeFile(whole.checkpointPath)

        let first = try Trainer(configuration: settings(folder, train: train, out: "parts"))
        var steps = 0
        first.stopRequested = {
            steps += 1
            return steps >= stopAfter
        }
        #expect(try first.run() == .stopped(completedSteps: stopAfter))

        let checkpoint = try SafeTensorsFile.read(path: first.checkpointPath)
        var restored = TrainingConfiguration(trainPath: train, testPath: nil, outputDirectory: folder.file("parts"))
        try restored.applyRunSettings(checkpoint.metadata, path: first.checkpointPath)
        let second = try Trainer(configuration: restored, resumingFrom: (checkpoint, first.checkpointPath))
        #expect(second.progress.completedSteps == stopAfter)
        #expect(try second.run() == .completed)
        #expect(try readWholeFile(second.checkpointPath) == expected)
        // The epoch that was split keeps the statistics of all its steps.
        #expect(second.reports.last?.meanLoss == whole.reports.last?.meanLoss)
    }

    @Test func modelIsNotResumable() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        var configuration = settings(folder, train: train, out: "run")
        configuration.epochs = 1
        configuration.momentum = 0
        let trainer = try Trainer(configuration: configuration)
        try trainer.run()
        try trainer.writeModel()
        let model = try SafeTensorsFile.read(path: trainer.modelPath)
        let error = #expect(throws: TripletKitError.self) {
            try Trainer(configuration: configuration, resumingFrom: (model, trainer.modelPath))
        }
        #expect(error?.message.contains("sampler_state") == true)
    }

    /// Starts triplet-train on the fixture, waits until its first checkpoint exists, then
    /// sends `signalNumber`; returns the run's result.
    func interruptedRun(_ folder: TemporaryFolder, train: String, out: String, signalNumber: Int32) throws -> ToolRun {
        let process = Process()
        process.executableURL = Tools.productsFolder.appendingPathComponent("triplet-train")
        process.arguments = ["--train", train, "--out", out, "--epochs", "12", "--lr", "0.05", "--seed", "4", "--threads", "1"]
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = Pipe()
        try process.run()
        let checkpoint = out + "/checkpoint.safetensors"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline && process.isRunning {
            usleep(20_000)
        }
        kill(process.processIdentifier, signalNumber)
        let errorData = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolRun(status: process.terminationStatus, standardOutput: "",
                       standardError: String(decoding: errorData, as: UTF8.self))
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalStopsWithCheckpoint(signalNumber: Int32, status: Int32) throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        let out = folder.file("run")
        let run = try interruptedRun(folder, train: train, out: out, signalNumber: signalNumber)
        #expect(run.status == status, "\(run.standardError)")
        #expect(run.standardError.contains("Resume with: "))
        #expect(run.standardError.contains("triplet-train --resume \(out)/checkpoint.safetensors --train \(train) --out \(out) --threads 1"))

        // Resuming finishes the run with the weights of an uninterrupted one.
        let resumed = try Tools.run("triplet-train", ["--resume", out + "/checkpoint.safetensors", "--train", train,
                                                      "--out", out, "--threads", "2"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("resuming at step"))
        let whole = try Tools.run("triplet-train", ["--train", train, "--out", folder.file("whole"), "--epochs", "12",
                                                    "--lr", "0.05", "--seed", "4"])
        #expect(whole.status == 0)
        #expect(try readWholeFile(out + "/model.safetensors") == readWholeFile(folder.file("whole/model.safetensors")))
    }

    @Test func resumeRejectsOtherTrainingSet() throws {
        let folder = try TemporaryFolder()
        let (train, test) = try Fixtures.packed(in: folder.path)
        let first = try Tools.run("triplet-train", ["--train", train, "--out", folder.file("run"), "--epochs", "1"])
        #expect(first.status == 0)
        let resumed = try Tools.run("triplet-train", ["--resume", folder.file("run/checkpoint.safetensors"),
                                                      "--train", test, "--out", folder.file("run")])
        #expect(resumed.status == 64)
        #expect(resumed.standardError.contains("was trained on another training set (300 images of 1x28x28"))
        #expect(resumed.standardError.contains("this one is 200 images"))
    }

    @Test func runSettingsKeepKernelsAndParallelism() throws {
        var configuration = TrainingConfiguration(trainPath: "t", testPath: nil, outputDirectory: "o")
        configuration.gemmKernels = .openblas
        configuration.parallelism = .blas
        var restored = TrainingConfiguration(trainPath: "t", testPath: nil, outputDirectory: "o")
        try restored.applyRunSettings(configuration.runSettings, path: "c")
        #expect(restored.gemmKernels == .openblas)
        #expect(restored.parallelism == .blas)

        // Checkpoints written before these settings were stored ran with the defaults.
        var older = configuration.runSettings
        older["gemm"] = nil
        older["parallelism"] = nil
        try restored.applyRunSettings(older, path: "c")
        #expect(restored.gemmKernels == .auto)
        #expect(restored.parallelism == .shards)
    }

    @Test func resumeRejectsKernelOption() throws {
        let run = try Tools.run("triplet-train", ["--resume", "x.safetensors", "--train", "t", "--out", "o", "--gemm", "openblas"])
        #expect(run.status == 64)
        #expect(run.standardError.contains("'--gemm' cannot be combined with '--resume'"))
    }

    @Test func resumeRejectsRunOptions() throws {
        let run = try Tools.run("triplet-train", ["--resume", "x.safetensors", "--train", "t", "--out", "o", "--lr", "0.1"])
        #expect(run.status == 64)
        #expect(run.standardError.contains("'--lr' cannot be combined with '--resume'"))
    }

    @Test func killDuringCheckpointWritesLeavesWholeCheckpoint() throws {
        // With 2 images per class an epoch is one step, so the run writes a checkpoint
        // every few milliseconds and the kills land during writes as well as between them.
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        let out = folder.file("run")
        var generator = SplitMix64(seed: 99)
        for attempt in 0..<8 {
            let process = Process()
            process.executableURL = Tools.productsFolder.appendingPathComponent("triplet-train")
            process.arguments = ["--train", train, "--out", out, "--epochs", "100000", "--per-class", "2",
                                 "--seed", String(attempt), "--plot-every", "0"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            while !FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") { usleep(5_000) }
            usleep(UInt32(20_000 + generator.nextInt(below: 200_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let checkpoint = try SafeTensorsFile.read(path: out + "/checkpoint.safetensors")
            #expect(checkpoint.tensor(named: "fc2.weight")?.shape == [2, 256], "attempt \(attempt)")
            #expect(checkpoint.metadata["sampler_state"] != nil, "attempt \(attempt)")
        }
    }

    @Test func resumeAfterKillMatchesUninterrupted() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        let arguments = ["--train", train, "--epochs", "60", "--per-class", "2", "--seed", "8", "--plot-every", "0"]

        let process = Process()
        process.executableURL = Tools.productsFolder.appendingPathComponent("triplet-train")
        process.arguments = arguments + ["--out", folder.file("killed")]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let checkpoint = folder.file("killed/checkpoint.safetensors")
        while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning { usleep(2_000) }
        usleep(30_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let resumed = try Tools.run("triplet-train", ["--resume", checkpoint, "--train", train, "--out", folder.file("killed")])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let whole = try Tools.run("triplet-train", arguments + ["--out", folder.file("whole")])
        #expect(whole.status == 0)
        #expect(try readWholeFile(folder.file("killed/model.safetensors")) == readWholeFile(folder.file("whole/model.safetensors")))
    }
}
