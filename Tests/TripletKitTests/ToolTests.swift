// Each executable run once on the fixture, with its exit status and output checked, and
// the shared command-line conventions: --help, usage errors with exit 64, runtime errors
// with exit 1.

import Foundation
import Testing
@testable import TripletKit

@Suite(.serialized) struct ToolTests {
    @Test func mnistPrepPacksAndInspects() throws {
        let folder = try TemporaryFolder()
        let output = folder.file("train.tkpack")
        let pack = try Tools.run("mnist-prep", ["--images", Fixtures.trainImages, "--labels", Fixtures.trainLabels, "-o", output])
        #expect(pack.status == 0, "\(pack.standardError)")
        #expect(pack.standardError.contains("300 images"))

        let info = try Tools.run("mnist-prep", ["info", output])
        #expect(info.status == 0)
        #expect(info.standardOutput.contains("samples\t300"))
        #expect(info.standardOutput.contains("class\t7\t30"))
        #expect(info.standardOutput.contains("checksum\tok"))

        let verify = try Tools.run("mnist-prep", ["verify", output])
        #expect(verify.status == 0)
    }

    @Test func mnistPrepPipesThroughStandardStreams() throws {
        let pack = try Tools.run("mnist-prep", ["--images", Fixtures.testImages, "--labels", Fixtures.testLabels, "-o", "-"])
        #expect(pack.status == 0, "\(pack.standardError)")
        #expect(pack.standardError.contains("wrote standard output: 200 images"))
        #expect(Array(pack.outputData.prefix(4)) == PackedFormat.magic)
        let info = try Tools.run("mnist-prep", ["info", "-"], input: pack.outputData)
        #expect(info.status == 0, "\(info.standardError)")
        #expect(info.standardOutput.contains("samples\t200"))
        // "-" names the stream, never a file in the working folder.
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/-"))
    }

    @Test func staleTemporaryFileIsNamed() throws {
        let folder = try TemporaryFolder()
        let stale = folder.file(".train.tkpack.tmp-AbC123")
        try writeFileAtomically([1, 2, 3], to: stale)
        let pack = try Tools.run("mnist-prep", ["--images", Fixtures.testImages, "--labels", Fixtures.testLabels,
                                                "-o", folder.file("train.tkpack")])
        #expect(pack.status == 0)
        #expect(pack.standardError.contains("warning: '\(stale)' is a temporary file left by an interrupted run"))
    }

    @Test func mnistPrepTruncatedInputExitsNonZero() throws {
        let folder = try TemporaryFolder()
        let images = try IDXReader.read(path: Fixtures.trainImages, expectedDimensions: 3, role: "images")
        let truncated = folder.file("train-images-idx3-ubyte")
        let bytes = idxBytes(dimensions: images.dimensions, values: Array(images.values.prefix(1000)))
        try Data(bytes).write(to: URL(fileURLWithPath: truncated))
        let output = folder.file("out.tkpack")
        let run = try Tools.run("mnist-prep", ["--images", truncated, "--labels", Fixtures.trainLabels, "-o", output])
        #expect(run.status == 1)
        #expect(run.standardError.contains(truncated))
        #expect(run.standardError.contains("expected \(16 + 300 * 784) bytes, found 1016"))
        #expect(folder.contents == ["train-images-idx3-ubyte"])
    }

    @Test func benchHelpNamesBothSubcommands() throws {
        let help = try Tools.run("triplet-bench", ["--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("triplet-bench layers"))
        #expect(help.standardOutput.contains("triplet-bench train <train>"))

        let missing = try Tools.run("triplet-bench", [])
        #expect(missing.status == 64)
        #expect(missing.standardError.contains("missing subcommand: expected 'layers' or 'train'"))

        let unknown = try Tools.run("triplet-bench", ["--network", "convnet"])
        #expect(unknown.status == 64)
        #expect(unknown.standardError.contains("unknown subcommand '--network'"))
    }

    @Test func helpListsEveryOptionWithDefaults() throws {
        for tool in ["mnist-prep", "triplet-sample", "triplet-train", "triplet-plot"] {
            let run = try Tools.run(tool, ["--help"])
            #expect(run.status == 0, "\(tool)")
            #expect(run.standardOutput.hasPrefix("OVERVIEW: "), "\(tool)")
            #expect(run.standardOutput.contains("USAGE: \(tool)"), "\(tool)")
        }
        let train = try Tools.run("triplet-train", ["--help"]).standardOutput
        for (option, value) in [("--epochs", "100"), ("--batch-size", "32"), ("--margin", "1.0"), ("--lr", "0.01"),
                                ("--weight-decay", "0.0005"), ("--embedding-dim", "2"), ("--seed", "0"), ("--threads", "2")] {
            let line = train.split(separator: "\n").first { $0.hasPrefix("  \(option) ") }
            #expect(line?.contains("(default: \(value))") == true, "\(option)")
        }
        #expect(train.contains("--per-class"))
    }

    @Test func usageErrorsExit64() throws {
        let badNumber = try Tools.run("triplet-train", ["--train", "x", "--out", "y", "--epochs", "3x"])
        #expect(badNumber.status == 64)
        #expect(badNumber.standardError.hasPrefix("Error: invalid value '3x' for '--epochs'"))
        #expect(badNumber.standardError.contains("Usage: triplet-train"))

        let negativeMargin = try Tools.run("triplet-train", ["--train", "x", "--out", "y", "--margin", "-1"])
        #expect(negativeMargin.status == 64)
        #expect(negativeMargin.standardError.contains("'--margin'"))

        let badMode = try Tools.run("triplet-train", ["--train", "x", "--out", "y", "--parallelism", "gpu"])
        #expect(badMode.status == 64)
        #expect(badMode.standardError.contains("invalid value 'gpu' for '--parallelism': expected one of shards, blas"))

        let unknown = try Tools.run("mnist-prep", ["--imgs", "a"])
        #expect(unknown.status == 64)
        #expect(unknown.standardError.contains("unknown option '--imgs'"))
        #expect(unknown.standardError.contains("did you mean '--images'?"))

        let missing = try Tools.run("triplet-sample", [])
        #expect(missing.status == 64)
    }

    @Test func trainSampleAndPlotOnFixture() throws {
        let folder = try TemporaryFolder()
        let (train, test) = try Fixtures.packed(in: folder.path)
        let out = folder.file("run")
        let training = try Tools.run("triplet-train", ["--train", train, "--test", test, "--out", out, "--epochs", "2",
                                                       "--lr", "0.05", "--plot-every", "1", "--seed", "3"])
        #expect(training.status == 0, "\(training.standardError)")
        // Not a terminal: one line per epoch and no progress line.
        let epochLines = training.standardError.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count == 2)
        #expect(!training.standardError.contains("\r"))
        #expect(training.standardOutput.hasPrefix("test precision@1: "))
        for name in ["checkpoint.safetensors", "model.safetensors", "embeddings-epoch001.tsv", "embeddings-epoch002.tsv"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }

        let plot = try Tools.run("triplet-plot", [out + "/embeddings-epoch002.tsv", "-o", folder.file("scatter.png")])
        #expect(plot.status == 0, "\(plot.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.file("scatter.png")))

        let sample = try Tools.run("triplet-sample", [train, "--count", "4", "--seed", "1", "-o", folder.file("mosaic.png")])
        #expect(sample.status == 0, "\(sample.standardError)")
        let png = try readWholeFile(folder.file("mosaic.png"))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }

    @Test func oneClassTrainingSetIsUsageError() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("one-class.tkpack")
        let writer = try PackedDatasetWriter(path: path, height: 28, width: 28, channels: 1, classNames: ["7", "empty"])
        for _ in 0..<4 {
            let pixels = [UInt8](repeating: 9, count: 784)
            try pixels.withUnsafeBytes { try writer.append(pixels: $0, label: 0) }
        }
        try writer.finish()
        let run = try Tools.run("triplet-train", ["--train", path, "--out", folder.file("run")])
        #expect(run.status == 64)
        #expect(run.standardError.contains("invalid value '\(path)' for '--train'"))
        #expect(run.standardError.contains("at least two"))
        #expect(run.standardError.contains("Usage: triplet-train"))
    }

    @Test func resnetMiniInputFromIDX() throws {
        let folder = try TemporaryFolder()
        let rgb = folder.file("rgb.tkpack")
        let pack = try Tools.run("mnist-prep", ["--images", Fixtures.trainImages, "--labels", Fixtures.trainLabels,
                                                "--channels", "3", "--size", "32x32", "-o", rgb])
        #expect(pack.status == 0, "\(pack.standardError)")
        let dataset = try PackedDataset(path: rgb)
        #expect(dataset.channels == 3)
        #expect(dataset.height == 32)
        #expect(dataset.width == 32)
        // Gray copied to R, G and B.
        let pixels = Array(dataset.pixels(0))
        var channelsAgree = true
        for start in stride(from: 0, to: pixels.count, by: 3) where pixels[start] != pixels[start + 1] || pixels[start] != pixels[start + 2] {
            channelsAgree = false
        }
        #expect(channelsAgree)
        let brightest: UInt8 = pixels.max() ?? 0
        #expect(brightest > 200)
        #expect(folder.contents == ["rgb.tkpack"])

        let training = try Tools.run("triplet-train", ["--train", rgb, "--out", folder.file("run"), "--network", "resnet-mini",
                                                       "--epochs", "1", "--per-class", "4"])
        #expect(training.status == 0, "\(training.standardError)")

        // A packed file converts too; without --channels or --size there is nothing to do.
        let gray = folder.file("gray.tkpack")
        #expect(try Tools.run("mnist-prep", [rgb, "--channels", "1", "-o", gray]).status == 0)
        #expect(try PackedDataset(path: gray).channels == 1)
        #expect(try Tools.run("mnist-prep", [rgb, "-o", folder.file("same.tkpack")]).status == 64)
    }

    @Test func damagedDatasetIsRejected() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        var bytes = try readWholeFile(train)
        bytes[PackedFormat.headerSize + 1000] ^= 0x40
        try writeFileAtomically(bytes, to: train)

        let info = try Tools.run("mnist-prep", ["info", train])
        #expect(info.status == 1)
        #expect(info.standardOutput.contains("checksum\tFAILED (pixels)"))
        for run in [try Tools.run("triplet-train", ["--train", train, "--out", folder.file("run")]),
                    try Tools.run("triplet-sample", [train, "-o", folder.file("mosaic.png")])] {
            #expect(run.status == 1)
            #expect(run.standardError.contains("checksum mismatch in pixels"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("run")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("mosaic.png")))
    }

    @Test func idxGivenAsPackedDatasetGetsHint() throws {
        let run = try Tools.run("triplet-train", ["--train", Fixtures.trainImages, "--out", "unused"])
        #expect(run.status == 1)
        #expect(run.standardError.contains("this looks like an IDX file; pack it first with mnist-prep"))
    }

    @Test func missingInputExits1() throws {
        let folder = try TemporaryFolder()
        let run = try Tools.run("triplet-train", ["--train", folder.file("absent.tkpack"), "--out", folder.file("run")])
        #expect(run.status == 1)
        #expect(run.standardError.contains("absent.tkpack"))
        #expect(run.standardError.contains("not found"))
    }
}
