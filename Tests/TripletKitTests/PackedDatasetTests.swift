// The packed dataset format: round trip, class index, checksums and damaged files.

import Foundation
import Testing
@testable import TripletKit

@Suite struct PackedDatasetTests {
    @Test func roundTripKeepsPixelsAndLabels() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("data.tkpack")
        let writer = try PackedDatasetWriter(path: path, height: 2, width: 3, channels: 1, classNames: ["zero", "one", "empty"])
        // Each pixel encodes its image and position, so a shifted read shows up.
        for image in 0..<5 {
            let pixels = (0..<6).map { UInt8(image * 10 + $0) }
            try pixels.withUnsafeBytes { try writer.append(pixels: $0, label: image % 2) }
        }
        try writer.finish()

        let dataset = try PackedDataset(path: path)
        #expect(dataset.count == 5)
        #expect(dataset.height == 2)
        #expect(dataset.width == 3)
        #expect(dataset.channels == 1)
        #expect(dataset.classNames == ["zero", "one", "empty"])
        #expect(dataset.classMembers == [[0, 2, 4], [1, 3], []])
        #expect(dataset.labels == [0, 1, 0, 1, 0])
        for image in 0..<5 {
            #expect(Array(dataset.pixels(image)) == (0..<6).map { UInt8(image * 10 + $0) })
        }
        #expect(dataset.verify().isEmpty)
        #expect(folder.contents == ["data.tkpack"])
    }

    @Test func idxPackingMatchesSource() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        let dataset = try PackedDataset(path: train)
        let images = try IDXReader.read(path: Fixtures.trainImages, expectedDimensions: 3, role: "images")
        let labels = try IDXReader.read(path: Fixtures.trainLabels, expectedDimensions: 1, role: "labels")
        #expect(dataset.count == 300)
        #expect(dataset.classNames == (0..<10).map(String.init))
        for id in [0, 1, 150, 299] {
            #expect(Array(dataset.pixels(id)) == Array(images.values[(id * 784)..<((id + 1) * 784)]))
            #expect(dataset.label(id) == Int(labels.values[id]))
        }
    }

    @Test func perClassSubsetIsSeeded() throws {
        let folder = try TemporaryFolder()
        func pack(seed: UInt64, name: String) throws -> [Int] {
            let path = folder.file(name)
            let summary = try IDXPacking.pack(imagesPath: Fixtures.trainImages, labelsPath: Fixtures.trainLabels,
                                              outputPath: path, perClass: 5, seed: seed)
            #expect(summary.perClassCounts == [Int](repeating: 5, count: 10))
            let dataset = try PackedDataset(path: path)
            return (0..<dataset.count).map { Int(dataset.pixels($0).reduce(0) { $0 &+ Int($1) }) }
        }
        let first = try pack(seed: 7, name: "a")
        let again = try pack(seed: 7, name: "b")
        let other = try pack(seed: 8, name: "c")
        #expect(first == again)
        #expect(first != other)
    }

    @Test func damagedFilesRejected() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        let original = try Data(contentsOf: URL(fileURLWithPath: train))

        // Truncated: the header's sizes no longer match the file.
        let truncated = folder.file("truncated.tkpack")
        try original.prefix(original.count - 10).write(to: URL(fileURLWithPath: truncated))
        let truncatedError = #expect(throws: TripletKitError.self) { try PackedDataset(path: truncated) }
        #expect(truncatedError?.message.contains(truncated) == true)
        #expect(truncatedError?.message.contains("expected \(original.count)") == true)

        // A changed header byte breaks the header checksum.
        var header = original
        header[8] ^= 1
        let badHeader = folder.file("header.tkpack")
        try header.write(to: URL(fileURLWithPath: badHeader))
        let headerError = #expect(throws: TripletKitError.self) { try PackedDataset(path: badHeader) }
        #expect(headerError?.message.contains("header checksum") == true)

        // A changed pixel opens fine but fails verification.
        var pixels = original
        pixels[PackedFormat.headerSize + 500] ^= 0xFF
        let badPixels = folder.file("pixels.tkpack")
        try pixels.write(to: URL(fileURLWithPath: badPixels))
        #expect(try PackedDataset(path: badPixels).verify() == ["pixels"])

        // Not a packed file at all.
        let idx = try PackedDataset(path: train).path
        #expect(idx == train)
        let magicError = #expect(throws: TripletKitError.self) { try PackedDataset(path: Fixtures.trainImages) }
        #expect(magicError?.message.contains("not a packed dataset") == true)
    }
}

@Suite struct PackedDatasetHeaderTests {
    @Test func deferredClassesRelabel() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("data.tkpack")
        let writer = try PackedDatasetWriter(path: path, height: 1, width: 1, channels: 1, classNames: nil)
        for (value, label) in [(UInt8(1), 40), (2, 7), (3, 40)] {
            try [value].withUnsafeBytes { try writer.append(pixels: $0, label: label) }
        }
        writer.setClasses(["7", "40"]) { $0 == 7 ? 0 : 1 }
        try writer.finish()
        let dataset = try PackedDataset(path: path)
        #expect(dataset.labels == [1, 0, 1])
        #expect(dataset.classMembers == [[1], [0, 2]])
    }

    @Test func overflowingSizesRejected() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        var bytes = try readWholeFile(train)
        // Class index size of 2^64 - 1, with a fixed header checksum, must not trap.
        for i in 72..<80 { bytes[i] = 0xFF }
        let crc = bytes.withUnsafeBytes { crc32Update(0, UnsafeRawBufferPointer(rebasing: $0[0..<92])) }
        for i in 0..<4 { bytes[92 + i] = UInt8(crc >> (8 * UInt32(i)) & 0xFF) }
        let error = #expect(throws: TripletKitError.self) { try PackedDataset(contents: bytes, path: "crafted") }
        #expect(error?.message.contains("from its header") == true)
    }

    @Test func inMemoryMatchesFile() throws {
        let folder = try TemporaryFolder()
        let (train, _) = try Fixtures.packed(in: folder.path)
        let mapped = try PackedDataset(path: train)
        let memory = try PackedDataset(contents: readWholeFile(train), path: train)
        #expect(memory.labels == mapped.labels)
        #expect(Array(memory.pixels(299)) == Array(mapped.pixels(299)))
        #expect(memory.verify().isEmpty)
    }
}
