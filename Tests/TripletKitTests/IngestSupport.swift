// Helpers for the ingest tests: a PNG encoder for every color type and bit depth (OpenCV
// cannot write palette or gray-with-alpha PNGs), and the fixture digits.

import Foundation
@testable import TripletKit
import TripletKitIngest

enum TestPNG {
    /// PNG color types.
    enum ColorType: UInt8 {
        case gray = 0
        case rgb = 2
        case palette = 3
        case grayAlpha = 4
        case rgba = 6
    }

    /// Encodes rows of samples (big-endian for 16-bit) as an uncompressed PNG: deflate
    /// "stored" blocks inside a zlib stream.
    static func encode(width: Int, height: Int, colorType: ColorType, bitDepth: Int, samples: [UInt8],
                       palette: [UInt8]? = nil) -> [UInt8] {
        let channels = [ColorType.gray: 1, .rgb: 3, .palette: 1, .grayAlpha: 2, .rgba: 4][colorType]!
        let rowBytes = width * channels * bitDepth / 8
        precondition(samples.count == rowBytes * height)
        var raw: [UInt8] = []
        for row in 0..<height {
            raw.append(0)  // filter type None
            raw += samples[(row * rowBytes)..<((row + 1) * rowBytes)]
        }
        var zlibStream: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65535, raw.count - offset)
            let final: UInt8 = offset + count == raw.count ? 1 : 0
            zlibStream += [final, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            zlibStream += raw[offset..<(offset + count)]
            offset += count
        } while offset < raw.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        zlibStream += bigEndian(b << 16 | a)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            png += bigEndian(UInt32(body.count)) + typed
            png += bigEndian(typed.withUnsafeBytes { crc32Update(0, $0) })
        }
        chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [UInt8(bitDepth), colorType.rawValue, 0, 0, 0])
        if let palette { chunk("PLTE", palette) }
        chunk("IDAT", zlibStream)
        chunk("IEND", [])
        return png
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Encodes the gray image `pixels` in every lossless PNG format, each keyed by a file name.
    static func everyLosslessFormat(_ pixels: [UInt8], width: Int, height: Int) -> [(name: String, bytes: [UInt8])] {
        var result: [(String, [UInt8])] = []
        result.append(("gray8.png", encode(width: width, height: height, colorType: .gray, bitDepth: 8, samples: pixels)))
        result.append(("gray16.png", encode(width: width, height: height, colorType: .gray, bitDepth: 16,
                                            samples: pixels.flatMap { [$0, $0] })))
        result.append(("gray-opaque-alpha.png", encode(width: width, height: height, colorType: .grayAlpha, bitDepth: 8,
                                                       samples: pixels.flatMap { [$0, 255] })))
        // White ink whose coverage is the alpha channel, as drawing programs export digits.
        result.append(("white-ink-alpha.png", encode(width: width, height: height, colorType: .grayAlpha, bitDepth: 8,
                                                     samples: pixels.flatMap { [255, $0] })))
        result.append(("gray-alpha16.png", encode(width: width, height: height, colorType: .grayAlpha, bitDepth: 16,
                                                  samples: pixels.flatMap { [$0, $0, 255, 255] })))
        result.append(("rgb8.png", encode(width: width, height: height, colorType: .rgb, bitDepth: 8,
                                          samples: pixels.flatMap { [$0, $0, $0] })))
        result.append(("rgb16.png", encode(width: width, height: height, colorType: .rgb, bitDepth: 16,
                                           samples: pixels.flatMap { [$0, $0, $0, $0, $0, $0] })))
        result.append(("rgba8.png", encode(width: width, height: height, colorType: .rgba, bitDepth: 8,
                                           samples: pixels.flatMap { [$0, $0, $0, 255] })))
        result.append(("rgba16.png", encode(width: width, height: height, colorType: .rgba, bitDepth: 16,
                                            samples: pixels.flatMap { [$0, $0, $0, $0, $0, $0, 255, 255] })))
        let levels = Array(Set(pixels)).sorted()
        let indexOf = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, UInt8($0)) })
        result.append(("palette.png", encode(width: width, height: height, colorType: .palette, bitDepth: 8,
                                             samples: pixels.map { indexOf[$0]! },
                                             palette: levels.flatMap { [$0, $0, $0] })))
        return result
    }
}

enum FixtureDigits {
    static let images = try! IDXReader.read(path: Fixtures.trainImages, expectedDimensions: 3, role: "images")
    static let labels = try! IDXReader.read(path: Fixtures.trainLabels, expectedDimensions: 1, role: "labels")

    /// The 28×28 pixels of fixture image `index`.
    static func pixels(_ index: Int) -> [UInt8] { Array(images.values[(index * 784)..<((index + 1) * 784)]) }
}

/// Packs `entries` written as a zip in `folder` and returns the report and the dataset.
func packZip(_ entries: [(name: String, bytes: [UInt8])], in folder: TemporaryFolder,
             options: ImagePackingOptions = ImagePackingOptions()) throws -> (IngestReport, PackedDataset) {
    let archive = folder.file("input-\(UUID().uuidString).zip")
    try ZipWriter.write(entries, to: archive)
    let output = folder.file("out-\(UUID().uuidString).tkpack")
    let report = try ImageFolderPacking.pack(inputPath: archive, outputPath: output, options: options)
    return (report, try PackedDataset(path: output))
}
