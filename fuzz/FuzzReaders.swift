// libFuzzer entry point for mnist-prep's readers. FUZZ_TARGET selects the reader:
//   idx     IDX arrays, raw or gzip, as images (3 dimensions) and as labels (1)
//   csv     Kaggle-style CSV rows
//   packed  packed dataset files: open, verify, read every label
//   zip     zip archives: list, resolve the train split, read, probe and decode entries
// Every input must end in a thrown error or a result. A crash, a hang or an allocation
// beyond libFuzzer's -malloc_limit_mb is a finding.

import Foundation
import TripletKit
import TripletKitIngest

let target = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch target {
    case "idx": fuzzIDX(bytes)
    case "csv": fuzzCSV(bytes)
    case "packed": fuzzPacked(bytes)
    case "zip": fuzzZip(bytes)
    default:
        FileHandle.standardError.write(Data("set FUZZ_TARGET to idx, csv, packed or zip\n".utf8))
        exit(2)
    }
    return 0
}

func fuzzIDX(_ bytes: UnsafeRawBufferPointer) {
    for dimensions in [1, 3] {
        _ = try? IDXReader.read(bytes: bytes, path: "input", expectedDimensions: dimensions, role: "fuzz")
    }
}

func fuzzCSV(_ bytes: UnsafeRawBufferPointer) {
    var rows = 0
    _ = try? CSVPacking.parse(bytes, path: "input", start: { _, _ in }, row: { _, pixels in
        rows += 1
        precondition(!pixels.isEmpty)
    })
}

func fuzzPacked(_ bytes: UnsafeRawBufferPointer) {
    guard let dataset = try? PackedDataset(contents: Array(bytes), path: "input") else { return }
    _ = dataset.verify()
    for id in 0..<dataset.count {
        precondition(dataset.label(id) < dataset.classCount)
        _ = dataset.pixels(id).first
    }
}

let decoder = try! ImageDecoder()

func fuzzZip(_ bytes: UnsafeRawBufferPointer) {
    guard let archive = try? ZipArchive(contents: Array(bytes), name: "input"),
          let entries = try? archive.entries() else { return }
    let listed = entries.map { ListedEntry(name: $0.name, index: $0.index, isDirectory: $0.name.hasSuffix("/")) }
    guard let layout = try? DatasetLayout.resolve(listed, split: "train", source: "input") else { return }
    var buffer: [UInt8] = []
    for entry in layout.entries.prefix(8) {
        guard (try? archive.read(entries[entry.index], into: &buffer, limit: 1 << 20)) != nil else { continue }
        let header = buffer.withUnsafeBytes { ImageHeader.parse($0) }
        // Decode only headers within 1 Mpixel, so one decode stays under the malloc limit.
        guard let header, header.width > 0, header.height > 0, header.width <= 4096, header.height <= 4096,
              header.width * header.height <= 1 << 20 else { continue }
        _ = try? buffer.withUnsafeBytes { encoded in
            try decoder.decode(encoded) { image in
                var output = [UInt8](repeating: 0, count: image.width * image.height * 3)
                PixelConversion.convert(image, channels: 3, into: &output)
            }
        }
    }
}
