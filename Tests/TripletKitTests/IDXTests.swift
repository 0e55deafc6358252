// IDX parsing: the real fixture, and damaged files that must fail with a clear error and
// leave no output behind.

import Foundation
import Testing
@testable import TripletKit

@Suite struct IDXTests {
    @Test func fixtureImagesAndLabels() throws {
        let images = try IDXReader.read(path: Fixtures.trainImages, expectedDimensions: 3, role: "images")
        let labels = try IDXReader.read(path: Fixtures.trainLabels, expectedDimensions: 1, role: "labels")
        #expect(images.dimensions == [300, 28, 28])
        #expect(labels.dimensions == [300])
        #expect(images.values.count == 300 * 28 * 28)
        var counts = [Int](repeating: 0, count: 10)
        for label in labels.values { counts[Int(label)] += 1 }
        #expect(counts == [Int](repeating: 30, count: 10))
        // A real digit has ink: bright pixels on a dark background.
        #expect(images.values[0..<784].max() == 255)
        #expect(images.values[0..<784].min() == 0)
    }

    @Test func rawAndGzipGiveSameValues() throws {
        let folder = try TemporaryFolder()
        let gzip = try IDXReader.read(path: Fixtures.testLabels, expectedDimensions: 1, role: "labels")
        let rawPath = folder.file("labels.gz")  // a misleading name: the content decides
        try Data(idxBytes(dimensions: gzip.dimensions, values: gzip.values)).write(to: URL(fileURLWithPath: rawPath))
        let raw = try IDXReader.read(path: rawPath, expectedDimensions: 1, role: "labels")
        #expect(raw.values == gzip.values)
    }

    @Test func truncatedRawFileNamesSizes() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("images")
        let bytes = idxBytes(dimensions: [10, 28, 28], values: [UInt8](repeating: 7, count: 5 * 784))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: path, expectedDimensions: 3, role: "images")
        }
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("truncated") == true)
        #expect(error?.message.contains("expected \(16 + 10 * 784) bytes, found \(16 + 5 * 784)") == true)
    }

    @Test func truncatedGzipFileFails() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("train-images.gz")
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.trainImages))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: path, expectedDimensions: 3, role: "images")
        }
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("ends early") == true)
    }

    @Test func wrongMagicNamesValues() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("labels")
        try Data(idxBytes(dimensions: [3], values: [1, 2, 3])).write(to: URL(fileURLWithPath: path))
        // A labels file (2049) passed where images (2051) are expected.
        let error = #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: path, expectedDimensions: 3, role: "images")
        }
        #expect(error?.message.contains("2049") == true)
        #expect(error?.message.contains("expected 2051") == true)

        let text = folder.file("notes.txt")
        try Data("hello world".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: text, expectedDimensions: 1, role: "labels")
        }
    }

    @Test func trailingBytesRejected() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("labels")
        try Data(idxBytes(dimensions: [2], values: [1, 2, 3])).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: path, expectedDimensions: 1, role: "labels")
        }
        #expect(error?.message.contains("oversized") == true)
    }

    @Test func failedPackLeavesNoOutput() throws {
        let folder = try TemporaryFolder()
        let images = folder.file("images")
        try Data(idxBytes(dimensions: [4, 2, 2], values: [UInt8](repeating: 1, count: 8))).write(to: URL(fileURLWithPath: images))
        let output = folder.file("out.tkpack")
        #expect(throws: TripletKitError.self) {
            try IDXPacking.pack(imagesPath: images, labelsPath: Fixtures.trainLabels, outputPath: output)
        }
        #expect(folder.contents == ["images"])
    }

    @Test func countMismatchRejected() throws {
        let folder = try TemporaryFolder()
        let output = folder.file("out.tkpack")
        let error = #expect(throws: TripletKitError.self) {
            try IDXPacking.pack(imagesPath: Fixtures.trainImages, labelsPath: Fixtures.testLabels, outputPath: output)
        }
        #expect(error?.message.contains("200 labels") == true)
        #expect(error?.message.contains("300 images") == true)
        #expect(folder.contents.isEmpty)
    }
}

@Suite struct IDXVariantTests {
    @Test func transposeTurnsImagesUpright() throws {
        let folder = try TemporaryFolder()
        // One 2×3 image: rows [1 2 3] [4 5 6]; its transpose is 3×2: [1 4] [2 5] [3 6].
        let images = folder.file("images")
        let labels = folder.file("labels")
        try Data(idxBytes(dimensions: [1, 2, 3], values: [1, 2, 3, 4, 5, 6])).write(to: URL(fileURLWithPath: images))
        try Data(idxBytes(dimensions: [1], values: [4])).write(to: URL(fileURLWithPath: labels))
        let output = folder.file("out.tkpack")
        let summary = try IDXPacking.pack(imagesPath: images, labelsPath: labels, outputPath: output, transpose: true)
        #expect(summary.height == 3)
        #expect(summary.width == 2)
        let dataset = try PackedDataset(path: output)
        #expect(Array(dataset.pixels(0)) == [1, 4, 2, 5, 3, 6])
    }

    @Test func lettersLabelsGiveNoPhantomClass() throws {
        let folder = try TemporaryFolder()
        let images = folder.file("images")
        let labels = folder.file("labels")
        try Data(idxBytes(dimensions: [3, 1, 1], values: [10, 20, 30])).write(to: URL(fileURLWithPath: images))
        try Data(idxBytes(dimensions: [3], values: [26, 1, 1])).write(to: URL(fileURLWithPath: labels))
        let output = folder.file("out.tkpack")
        _ = try IDXPacking.pack(imagesPath: images, labelsPath: labels, outputPath: output)
        let dataset = try PackedDataset(path: output)
        #expect(dataset.classNames == ["1", "26"])
        #expect(dataset.labels == [1, 0, 0])
    }

    @Test func countMismatchFoundBeforePayload() throws {
        let folder = try TemporaryFolder()
        let images = folder.file("images")
        try Data(idxBytes(dimensions: [50, 2, 2], values: [UInt8](repeating: 1, count: 200))).write(to: URL(fileURLWithPath: images))
        let labels = folder.file("labels")
        try Data(idxBytes(dimensions: [40], values: [UInt8](repeating: 0, count: 40))).write(to: URL(fileURLWithPath: labels))
        let error = #expect(throws: TripletKitError.self) {
            try IDXPacking.pack(imagesPath: images, labelsPath: labels, outputPath: folder.file("o.tkpack"))
        }
        #expect(error?.message.contains("40 labels") == true)
        #expect(error?.message.contains("50 images") == true)
    }

    @Test func oversizedGzipClaimRejected() throws {
        let folder = try TemporaryFolder()
        // A gzip file whose IDX header claims 2^31 - 1 labels in a few dozen bytes.
        let path = folder.file("claim.gz")
        try Data(gzipStored(idxBytes(dimensions: [Int(Int32.max)], values: [1, 2, 3]))).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: path, expectedDimensions: 1, role: "labels")
        }
        #expect(error?.message.contains("more than a") == true)
    }

    @Test func wrongElementTypeNamed() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("floats")
        var bytes = idxBytes(dimensions: [1], values: [0, 0, 0, 0])
        bytes[2] = 0x0D
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TripletKitError.self) {
            try IDXReader.read(path: path, expectedDimensions: 1, role: "labels")
        }
        #expect(error?.message.contains("float32") == true)
        #expect(error?.message.contains("expected 2049 (uint8, 1 dimensions)") == true)
    }
}

/// `bytes` as a gzip member of one stored (uncompressed) deflate block.
func gzipStored(_ bytes: [UInt8]) -> [UInt8] {
    precondition(bytes.count < 65536)
    var result: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
    let count = bytes.count
    result += [1, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
    result += bytes
    let crc = bytes.withUnsafeBytes { crc32Update(0, $0) }
    for value in [crc, UInt32(count)] {
        result += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
    return result
}
