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
