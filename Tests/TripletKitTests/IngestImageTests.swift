// Image folders and zip archives: pixel formats, layouts, class ids, skipped entries and
// damaged input.

import Foundation
import Testing
@testable import TripletKit
@testable import TripletKitIngest

@Suite struct IngestImageTests {
    @Test func losslessFormatsPackIdentically() throws {
        let folder = try TemporaryFolder()
        let digit = FixtureDigits.pixels(0)
        let formats = TestPNG.everyLosslessFormat(digit, width: 28, height: 28)
        var entries = formats.map { (name: "train/5/" + $0.name, bytes: $0.bytes) }
        let bmp = try digit.withUnsafeBytes { try ImageEncoding.encode($0, width: 28, height: 28, channels: 1, as: ".bmp") }
        entries.append((name: "train/5/gray.BMP", bytes: bmp))
        let (report, dataset) = try packZip(entries, in: folder)
        #expect(report.summary.count == formats.count + 1)
        for id in 0..<dataset.count {
            #expect(Array(dataset.pixels(id)) == digit, "image \(id)")
        }
    }

    @Test func losslessFormatsGiveSameRGB() throws {
        let folder = try TemporaryFolder()
        let digit = FixtureDigits.pixels(1)
        let entries = TestPNG.everyLosslessFormat(digit, width: 28, height: 28).map { (name: "train/0/" + $0.name, bytes: $0.bytes) }
        var options = ImagePackingOptions()
        options.channels = 3
        let (_, dataset) = try packZip(entries, in: folder, options: options)
        let expected = digit.flatMap { [$0, $0, $0] }
        for id in 0..<dataset.count {
            #expect(Array(dataset.pixels(id)) == expected, "image \(id)")
        }
    }

    @Test func colorConversionRules() throws {
        // 16-bit rounding, compositing onto black, and BT.601 luma, on single pixels.
        let samples: [UInt16] = [0, 128, 129, 32896, 65535]
        var output = [UInt8](repeating: 0, count: samples.count)
        samples.withUnsafeBytes { raw in
            let image = DecodedImage(width: samples.count, height: 1, channels: 1, bytesPerSample: 2,
                                     rowBytes: raw.count, pixels: raw.baseAddress!)
            PixelConversion.convert(image, channels: 1, into: &output)
        }
        #expect(output == [0, 0, 1, 128, 255])

        // Blue, green, red, alpha: pure red, pure green, pure blue, half-transparent white.
        let colors: [UInt8] = [0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255, 255, 255, 255, 128]
        var gray = [UInt8](repeating: 0, count: 4)
        colors.withUnsafeBytes { raw in
            let image = DecodedImage(width: 4, height: 1, channels: 4, bytesPerSample: 1, rowBytes: 16, pixels: raw.baseAddress!)
            PixelConversion.convert(image, channels: 1, into: &gray)
        }
        #expect(gray == [76, 150, 29, 128])
    }

    @Test func zipMatchesIDXByteForByte() throws {
        let folder = try TemporaryFolder()
        let idxOutput = folder.file("idx.tkpack")
        _ = try IDXPacking.pack(imagesPath: Fixtures.trainImages, labelsPath: Fixtures.trainLabels, outputPath: idxOutput)

        // The entries go into the archive in a scrambled order, under a wrapper folder.
        var entries: [(name: String, bytes: [UInt8])] = []
        for index in 0..<FixtureDigits.labels.values.count {
            let image = try RasterImage(width: 28, height: 28, format: .gray, pixels: FixtureDigits.pixels(index))
            let name = "mnist/train/\(FixtureDigits.labels.values[index])/\(String(format: "%05d", index)).png"
            entries.append((name, try PNG.encode(image)))
        }
        var generator = SplitMix64(seed: 5)
        generator.shuffle(&entries)
        let archive = folder.file("mnist.zip")
        try ZipWriter.write(entries, to: archive)
        let zipOutput = folder.file("zip.tkpack")
        let report = try ImageFolderPacking.pack(inputPath: archive, outputPath: zipOutput, options: ImagePackingOptions())
        #expect(report.splitPath == "mnist/train")
        #expect(try readWholeFile(zipOutput) == readWholeFile(idxOutput))
    }

    @Test func folderAndZipGiveSameFile() throws {
        let folder = try TemporaryFolder()
        var entries: [(name: String, bytes: [UInt8])] = []
        for index in 0..<20 {
            let image = try RasterImage(width: 28, height: 28, format: .gray, pixels: FixtureDigits.pixels(index))
            entries.append(("data/test/\(FixtureDigits.labels.values[index])/\(index).png", try PNG.encode(image)))
        }
        for entry in entries {
            let path = folder.file("tree/" + entry.name)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(entry.bytes).write(to: URL(fileURLWithPath: path))
        }
        var options = ImagePackingOptions()
        options.split = "test"
        let fromFolder = folder.file("folder.tkpack")
        _ = try ImageFolderPacking.pack(inputPath: folder.file("tree"), outputPath: fromFolder, options: options)
        let (_, dataset) = try packZip(entries, in: folder, options: options)
        #expect(try readWholeFile(fromFolder) == readWholeFile(dataset.path))
    }

    @Test func metadataHiddenAndTextSkipped() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(2))
        let entries: [(name: String, bytes: [UInt8])] = [
            ("train/1/a.png", digit),
            ("train\\1\\b.PNG", digit),  // made on Windows
            ("__MACOSX/train/1/._a.png", [0, 5, 22, 7]),
            ("train/1/._b.png", [0, 5, 22, 7]),
            ("train/.DS_Store", [0, 0, 0, 1]),
            ("train/1/Thumbs.db", [1, 2]),
            ("train/.ipynb_checkpoints/c.png", digit),
            ("train/1/notes.txt", Array("hello".utf8)),
            ("train/1/extra/deep.png", digit),
        ]
        let (report, dataset) = try packZip(entries, in: folder)
        #expect(dataset.count == 2)
        #expect(dataset.classNames == ["0", "1"])
        #expect(report.skipped.counts[.metadata] == 4)
        #expect(report.skipped.counts[.hidden] == 1)
        #expect(report.skipped.counts[.notImage] == 1)
        #expect(report.skipped.counts[.outsideLayout] == 1)
        #expect(report.skipped.examples[.notImage] == ["train/1/notes.txt"])
        #expect(report.emptyClasses == ["0"])
    }

    @Test func classIDsIgnoreEntryOrder() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(3))
        let names = ["train/7/x.png", "train/2/x.png", "train/cat/x.png", "train/10/x.png", "train/ant/x.png"]
        let (_, forward) = try packZip(names.map { ($0, digit) }, in: folder)
        let (_, backward) = try packZip(names.reversed().map { ($0, digit) }, in: folder)
        let expected = (0...10).map(String.init) + ["ant", "cat"]
        #expect(forward.classNames == expected)
        #expect(backward.classNames == expected)
        #expect(forward.labels == backward.labels)
        // Same file name in every class: ordered by class id.
        #expect(forward.labels == [2, 7, 10, 11, 12])
    }

    @Test func emptyClassFolderKept() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(4))
        let entries: [(name: String, bytes: [UInt8])] = [("train/0/a.png", digit), ("train/1/", []), ("train/2/b.png", digit)]
        let (report, dataset) = try packZip(entries, in: folder)
        #expect(dataset.classNames == ["0", "1", "2"])
        #expect(dataset.classMembers[1].isEmpty)
        #expect(report.emptyClasses == ["1"])
    }

    @Test func splitsShareClassIDs() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(5))
        let entries: [(name: String, bytes: [UInt8])] = [
            ("train/apple/a.png", digit), ("train/pear/b.png", digit), ("Test/pear/c.png", digit),
        ]
        var options = ImagePackingOptions()
        options.split = "test"
        let (report, dataset) = try packZip(entries, in: folder, options: options)
        #expect(dataset.classNames == ["apple", "pear"])
        #expect(dataset.labels == [1])
        #expect(report.splitPath == "Test")
        #expect(report.otherSplits.map(\.name) == ["train"])
    }

    @Test func sizeMismatchNamesBothFiles() throws {
        let folder = try TemporaryFolder()
        let small = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(6))
        let large = TestPNG.encode(width: 32, height: 30, colorType: .gray, bitDepth: 8, samples: [UInt8](repeating: 9, count: 960))
        let archive = folder.file("mixed.zip")
        try ZipWriter.write([("train/0/1.png", small), ("train/1/2.png", large)], to: archive)
        let error = #expect(throws: TripletKitError.self) {
            try ImageFolderPacking.pack(inputPath: archive, outputPath: folder.file("out.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("'train/1/2.png' is 32x30") == true)
        #expect(error?.message.contains("'train/0/1.png' is 28x28") == true)
        #expect(error?.hint?.contains("--size") == true)
        #expect(folder.contents == ["mixed.zip"])

        var options = ImagePackingOptions()
        options.size = (32, 32)
        options.channels = 3
        let output = folder.file("resized.tkpack")
        _ = try ImageFolderPacking.pack(inputPath: archive, outputPath: output, options: options)
        let dataset = try PackedDataset(path: output)
        #expect(dataset.width == 32)
        #expect(dataset.height == 32)
        #expect(dataset.channels == 3)
        // A flat image stays flat when resized.
        #expect(Set(dataset.pixels(1)) == [9])
    }

    @Test func undecodableImageFailsOrSkips() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(7))
        let truncated = Array(digit.prefix(digit.count / 2))
        let html = Array("<html>404 Not Found</html>".utf8)
        let archive = folder.file("bad.zip")
        try ZipWriter.write([("train/0/good.png", digit), ("train/0/cut.png", truncated), ("train/1/page.jpg", html)], to: archive)
        let output = folder.file("out.tkpack")
        let error = #expect(throws: TripletKitError.self) {
            try ImageFolderPacking.pack(inputPath: archive, outputPath: output, options: ImagePackingOptions())
        }
        #expect(error?.message.contains("entry 'train/0/cut.png'") == true)
        #expect(error?.message.contains(archive) == true)
        #expect(error?.message.contains("appears truncated: \(truncated.count) bytes ending") == true)
        #expect(error?.message.contains("expected the IEND chunk") == true)
        #expect(error?.hint?.contains("--skip-bad") == true)
        #expect(folder.contents == ["bad.zip"])

        var options = ImagePackingOptions()
        options.skipBad = true
        let report = try ImageFolderPacking.pack(inputPath: archive, outputPath: output, options: options)
        #expect(report.summary.count == 1)
        #expect(report.skipped.counts[.undecodable] == 2)
        #expect(report.skipped.examples[.undecodable]?.contains { $0.hasPrefix("train/1/page.jpg: not a PNG, JPEG or BMP") } == true)
    }

    @Test func hugeHeaderRejectedBeforeDecoding() throws {
        let folder = try TemporaryFolder()
        var png = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(8))
        png.replaceSubrange(16..<24, with: TestPNG.bigEndian(100_000) + TestPNG.bigEndian(100_000))
        let archive = folder.file("huge.zip")
        try ZipWriter.write([("train/0/huge.png", png)], to: archive)
        let error = #expect(throws: TripletKitError.self) {
            try ImageFolderPacking.pack(inputPath: archive, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("100000x100000") == true)
    }

    @Test func truncatedZipRejected() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(9))
        let archive = folder.file("whole.zip")
        try ZipWriter.write((0..<10).map { ("train/0/\($0).png", digit) }, to: archive)
        let bytes = try readWholeFile(archive)
        let partial = folder.file("partial.zip")
        try Data(bytes.prefix(bytes.count * 2 / 3)).write(to: URL(fileURLWithPath: partial))
        let error = #expect(throws: TripletKitError.self) {
            try ImageFolderPacking.pack(inputPath: partial, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains(partial) == true)
        #expect(error?.message.contains("not a zip archive") == true)
        #expect(error?.hint?.contains("download") == true)
    }

    @Test func damagedEntryNamed() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(10))
        let archive = folder.file("damaged.zip")
        try ZipWriter.write([("train/0/a.png", digit)], to: archive)
        var bytes = try readWholeFile(archive)
        // Flip a byte inside the compressed data of the only entry (after the 30-byte local
        // header and the 13-byte name).
        bytes[30 + 13 + 20] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: archive))
        let error = #expect(throws: TripletKitError.self) {
            try ImageFolderPacking.pack(inputPath: archive, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("entry 'train/0/a.png'") == true)
    }

    @Test func missingSplitListsFolders() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(11))
        let archive = folder.file("splits.zip")
        try ZipWriter.write([("training/0/a.png", digit), ("testing/0/b.png", digit)], to: archive)
        let error = #expect(throws: TripletKitError.self) {
            try ImageFolderPacking.pack(inputPath: archive, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("testing, training") == true)
        #expect(error?.hint?.contains("--split") == true)
    }

    @Test func naturalOrderComparesNumbers() {
        #expect(DatasetLayout.naturalCompare("9.png", "10.png") < 0)
        #expect(DatasetLayout.naturalCompare("00017.png", "00100.png") < 0)
        #expect(DatasetLayout.naturalCompare("img2.png", "img10.png") < 0)
        #expect(DatasetLayout.naturalCompare("b.png", "a.png") > 0)
        #expect(DatasetLayout.naturalCompare("a.png", "a.png") == 0)
    }

    @Test func imageHeaderSizes() throws {
        let png = TestPNG.encode(width: 3, height: 2, colorType: .gray, bitDepth: 8, samples: [UInt8](repeating: 0, count: 6))
        #expect(png.withUnsafeBytes { ImageHeader.parse($0) } == ImageHeader(format: .png, width: 3, height: 2))
        let gray = [UInt8](repeating: 100, count: 5 * 7)
        for (fileExtension, format) in [(".jpg", ImageHeader.Format.jpeg), (".bmp", .bmp)] {
            let encoded = try gray.withUnsafeBytes { try ImageEncoding.encode($0, width: 5, height: 7, channels: 1, as: fileExtension) }
            #expect(encoded.withUnsafeBytes { ImageHeader.parse($0) } == ImageHeader(format: format, width: 5, height: 7))
        }
        #expect(Array("GIF89a".utf8).withUnsafeBytes { ImageHeader.parse($0) } == nil)
    }

    @Test func jpegDecodesClose() throws {
        let folder = try TemporaryFolder()
        let digit = FixtureDigits.pixels(12)
        let jpeg = try digit.withUnsafeBytes { try ImageEncoding.encode($0, width: 28, height: 28, channels: 1, as: ".jpg") }
        let (_, dataset) = try packZip([("train/3/a.JPEG", jpeg)], in: folder)
        let difference = zip(dataset.pixels(0), digit).map { abs(Int($0) - Int($1)) }
        #expect(difference.reduce(0, +) / difference.count < 8)
    }
}
