// Every input that ever crashed a reader under `make fuzz` (fuzz/regressions/<reader>/),
// and the fuzzing seeds, run through the same readers as fuzz/FuzzReaders.swift: each must
// end in a result or a thrown error.

import Foundation
import Testing
@testable import TripletKit
import TripletKitIngest

@Suite struct IngestFuzzRegressionTests {
    /// Lists the files in fuzz/regressions/<reader>/ and fuzz/seeds/<reader>/.
    static func inputs(_ reader: String) -> [String] {
        var paths: [String] = []
        for kind in ["regressions", "seeds"] {
            let folder = Fixtures.root.appendingPathComponent("fuzz/\(kind)/\(reader)").path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            paths += names.filter { !$0.hasPrefix(".") }.sorted().map { folder + "/" + $0 }
        }
        return paths
    }

    @Test func idxInputs() throws {
        for path in Self.inputs("idx") {
            let bytes = try readWholeFile(path)
            for dimensions in [1, 3] {
                _ = try? bytes.withUnsafeBytes {
                    try IDXReader.read(bytes: $0, path: path, expectedDimensions: dimensions, role: "fuzz")
                }
            }
        }
    }

    @Test func csvInputs() throws {
        for path in Self.inputs("csv") {
            let bytes = try readWholeFile(path)
            _ = try? bytes.withUnsafeBytes {
                try CSVPacking.parse($0, path: path, start: { _, _ in }, row: { _, _ in })
            }
        }
    }

    @Test func packedInputs() throws {
        for path in Self.inputs("packed") {
            guard let dataset = try? PackedDataset(contents: readWholeFile(path), path: path) else { continue }
            _ = dataset.verify()
            for id in 0..<dataset.count {
                #expect(dataset.label(id) < dataset.classCount)
            }
        }
    }

    @Test func zipInputs() throws {
        let decoder = try ImageDecoder()
        for path in Self.inputs("zip") {
            guard let archive = try? ZipArchive(contents: readWholeFile(path), name: path),
                  let entries = try? archive.entries() else { continue }
            let listed = entries.map { ListedEntry(name: $0.name, index: $0.index, isDirectory: $0.name.hasSuffix("/")) }
            guard let layout = try? DatasetLayout.resolve(listed, split: "train", source: path) else { continue }
            var buffer: [UInt8] = []
            for entry in layout.entries.prefix(8) {
                guard (try? archive.read(entries[entry.index], into: &buffer, limit: 1 << 20)) != nil,
                      let header = buffer.withUnsafeBytes({ ImageHeader.parse($0) }),
                      header.width > 0, header.height > 0, header.width * header.height <= 1 << 20 else { continue }
                _ = try? buffer.withUnsafeBytes { encoded in
                    try decoder.decode(encoded) { image in
                        var output = [UInt8](repeating: 0, count: image.width * image.height * 3)
                        PixelConversion.convert(image, channels: 3, into: &output)
                    }
                }
            }
        }
    }
}
