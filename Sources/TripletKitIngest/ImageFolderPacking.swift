// Packs the images of one split of a zip archive or folder into a packed dataset. Images
// are read, decoded and converted on every core in batches, and each batch is appended
// in order, so memory is bounded by one batch whatever the number of images.

import Dispatch
import Foundation
import TripletKit

/// Settings for packing an image folder, a zip archive or a CSV file.
public struct ImagePackingOptions: Sendable {
    /// The split folder to pack, such as "train".
    public var split: String = "train"
    /// 1 (gray) or 3 (RGB).
    public var channels: Int = 1
    /// Resize every image to this size; nil requires all images to have one size.
    public var size: (width: Int, height: Int)? = nil
    /// Leave out images that do not decode, and list them, instead of failing.
    public var skipBad = false
    public var perClass: Int? = nil
    public var seed: UInt64 = 0
    public var threads: Int = 2

    public init() {}
}

/// The summary of an ingest run: what it wrote and what it left out.
public struct IngestReport: Sendable {
    public var summary: PackingSummary
    /// The split folder as found, with its wrapper folder, or "" for CSV.
    public var splitPath: String = ""
    public var skipped = SkippedEntries()
    /// Names of classes that have no images in the packed file.
    public var emptyClasses: [String] = []
    public var otherSplits: [(name: String, images: Int)] = []

    public init(summary: PackingSummary) { self.summary = summary }
}

public enum ImageFolderPacking {
    /// Bytes of decoded pixels one batch may hold, which bounds memory for any input size.
    static let batchBytes = 32 << 20

    public static func pack(inputPath: String, outputPath: String, options: ImagePackingOptions) throws -> IngestReport {
        precondition(options.channels == 1 || options.channels == 3)
        // The full listing is dropped once resolved, so only the split's entries stay. The
        // workers' readers open on a second thread meanwhile, because reopening a zip archive
        // costs about as much as resolving its listing.
        let (source, layout, readers) = try { () throws -> (ImageSource, DatasetLayout, [EntryReader]) in
            let (source, listed) = try ImageSource.open(inputPath)
            var resolved: Result<DatasetLayout, Error>?
            var opened: Result<[EntryReader], Error>?
            DispatchQueue.concurrentPerform(iterations: 2) { task in
                if task == 0 {
                    resolved = Result { try DatasetLayout.resolve(listed, split: options.split, source: inputPath) }
                } else {
                    opened = Result { try source.makeReaders(count: max(1, options.threads)) }
                }
            }
            return (source, try resolved!.get(), try opened!.get())
        }()
        var entries = layout.entries
        guard !entries.isEmpty else {
            throw TripletKitError("'\(inputPath)': split folder '\(layout.splitPath)' contains no images",
                                  hint: "pass a --split that contains <class>/<image> files")
        }
        if let perClass = options.perClass {
            let kept = IDXPacking.selectPerClass(labels: entries.map(\.classID), classCount: layout.classNames.count,
                                                 perClass: perClass, seed: options.seed)
            entries = kept.map { entries[$0] }
        }

        let workerCount = max(1, min(options.threads, entries.count))
        let workers = try readers.prefix(workerCount).map { try Worker(reader: $0) }
        var skipped = layout.skipped

        // The first image that decodes sets the size when --size is absent.
        var first = 0
        var reference: (width: Int, height: Int, name: String)
        if let size = options.size {
            reference = (size.width, size.height, "")
        } else {
            while true {
                guard first < entries.count else {
                    throw TripletKitError("'\(inputPath)': none of the \(entries.count) images in '\(layout.splitPath)' decodes")
                }
                let entry = entries[first]
                do {
                    let size = try workers[0].probe(entry)
                    reference = (size.width, size.height, source.describe(entry))
                    break
                } catch let error as TripletKitError {
                    try reportFailure(error, entry: entry, source: source, options: options, skipped: &skipped)
                    first += 1
                }
            }
        }

        let imageBytes = reference.width * reference.height * options.channels
        let writer = try PackedDatasetWriter(path: outputPath, height: reference.height, width: reference.width,
                                             channels: options.channels, classNames: layout.classNames)
        let batchSize = max(workerCount, min(4096, batchBytes / imageBytes))
        let pixels = UnsafeMutablePointer<UInt8>.allocate(capacity: batchSize * imageBytes)
        defer { pixels.deallocate() }
        var outcomes = [Outcome](repeating: .packed, count: batchSize)
        var perClassCounts = [Int](repeating: 0, count: layout.classNames.count)

        var start = first
        while start < entries.count {
            let end = min(start + batchSize, entries.count)
            outcomes.withUnsafeMutableBufferPointer { results in
                DispatchQueue.concurrentPerform(iterations: workerCount) { w in
                    var i = start + w
                    while i < end {
                        results[i - start] = workers[w].convert(entries[i], options: options, reference: (reference.width, reference.height),
                                                                into: pixels + (i - start) * imageBytes)
                        i += workerCount
                    }
                }
            }
            for i in start..<end {
                let entry = entries[i]
                switch outcomes[i - start] {
                case .packed:
                    try writer.append(pixels: UnsafeRawBufferPointer(start: pixels + (i - start) * imageBytes, count: imageBytes),
                                      label: entry.classID)
                    perClassCounts[entry.classID] += 1
                case .failed(let error):
                    try reportFailure(error, entry: entry, source: source, options: options, skipped: &skipped)
                case .sizeMismatch(let width, let height):
                    throw TripletKitError("\(source.describe(entry)) is \(width)x\(height), but \(reference.name) is \(reference.width)x\(reference.height)",
                                          hint: "pass --size WxH to resize every image to one size")
                }
            }
            start = end
        }
        guard writer.count > 0 else {
            throw TripletKitError("'\(inputPath)': none of the \(entries.count) images in '\(layout.splitPath)' decodes")
        }
        try writer.finish()

        var report = IngestReport(summary: PackingSummary(count: writer.count, height: reference.height, width: reference.width,
                                                          channels: options.channels, classNames: layout.classNames,
                                                          perClassCounts: perClassCounts))
        report.splitPath = layout.splitPath
        report.skipped = skipped
        report.emptyClasses = zip(layout.classNames, perClassCounts).filter { $0.1 == 0 }.map(\.0)
        report.otherSplits = layout.otherSplits
        return report
    }

    /// Adds an undecodable entry to `skipped` under --skip-bad, or throws its error.
    static func reportFailure(_ error: TripletKitError, entry: LayoutEntry, source: ImageSource,
                              options: ImagePackingOptions, skipped: inout SkippedEntries) throws {
        let label = source.describe(entry)
        var reason = error.message
        // The zip reader's own messages already name the archive and entry.
        if reason.hasPrefix(label) { reason = String(reason.dropFirst(label.count)).drop { $0 == ":" || $0 == " " }.description }
        if options.skipBad {
            skipped.add(.undecodable, "\(entry.name): \(reason)")
            return
        }
        throw TripletKitError("\(label): \(reason)",
                              hint: error.hint ?? "replace or delete the file, or pass --skip-bad to leave out images that do not decode and list them")
    }
}

/// The result of converting one entry.
enum Outcome {
    case packed
    case failed(TripletKitError)
    case sizeMismatch(width: Int, height: Int)
}

/// One thread's reader, decoder and scratch buffers.
final class Worker {
    let reader: EntryReader
    let decoder: ImageDecoder
    var encoded: [UInt8] = []
    var converted: [UInt8] = []

    init(reader: EntryReader) throws {
        self.reader = reader
        decoder = try ImageDecoder()
    }

    /// Reads the entry and checks its header; returns its size.
    func readChecked(_ entry: LayoutEntry) throws -> ImageHeader {
        try reader.read(entry, into: &encoded)
        return try encoded.withUnsafeBytes { bytes in
            guard let header = ImageHeader.parse(bytes) else {
                let start = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
                throw TripletKitError("not a PNG, JPEG or BMP image (\(bytes.count) bytes, starting \(start.isEmpty ? "with nothing" : start))")
            }
            guard header.width > 0, header.height > 0,
                  header.width <= ImageHeader.maximumPixels, header.height <= ImageHeader.maximumPixels,
                  header.width * header.height <= ImageHeader.maximumPixels else {
                throw TripletKitError("\(header.format.rawValue) header declares \(header.width)x\(header.height) pixels, expected 1 to \(ImageHeader.maximumPixels) pixels")
            }
            return header
        }
    }

    /// Decodes the entry fully and returns its size, for choosing the reference size.
    func probe(_ entry: LayoutEntry) throws -> (width: Int, height: Int) {
        let header = try readChecked(entry)
        return try encoded.withUnsafeBytes { bytes in
            try decodeChecked(bytes, header: header) { ($0.width, $0.height) }
        }
    }

    private func decodeChecked<Result>(_ bytes: UnsafeRawBufferPointer, header: ImageHeader,
                                       _ body: (DecodedImage) throws -> Result) throws -> Result {
        do {
            return try decoder.decode(bytes) { image in
                guard image.width == header.width, image.height == header.height else {
                    throw TripletKitError("decoded to \(image.width)x\(image.height), but its \(header.format.rawValue) header declares \(header.width)x\(header.height)")
                }
                return try body(image)
            }
        } catch let error as TripletKitError {
            if let truncation = Self.truncation(of: bytes, format: header.format) {
                throw TripletKitError("\(header.format.rawValue) data does not decode and appears truncated: \(truncation)",
                                      hint: "the file was cut short, as by an interrupted download or copy; get it again, or pass --skip-bad to leave such images out")
            }
            throw TripletKitError("\(header.format.rawValue) data does not decode: \(error.message)")
        }
    }

    /// Describes how `bytes` end when a file of `format` is cut short, or returns nil. A PNG
    /// ends with its IEND chunk and a JPEG with the end-of-image marker FF D9.
    static func truncation(of bytes: UnsafeRawBufferPointer, format: ImageHeader.Format) -> String? {
        func hex(_ slice: Slice<UnsafeRawBufferPointer>) -> String {
            slice.map { String(format: "%02X", $0) }.joined(separator: " ")
        }
        switch format {
        case .png:
            let end: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
            guard !bytes.suffix(end.count).elementsEqual(end) else { return nil }
            return "\(bytes.count) bytes ending \(hex(bytes.suffix(end.count))), expected the IEND chunk 00 00 00 00 49 45 4E 44 AE 42 60 82"
        case .jpeg:
            guard !bytes.suffix(2).elementsEqual([0xFF, 0xD9]) else { return nil }
            return "\(bytes.count) bytes ending \(hex(bytes.suffix(2))), expected the end-of-image marker FF D9"
        default:
            return nil
        }
    }

    /// Reads, decodes and converts one entry into `output` (reference size × channels).
    func convert(_ entry: LayoutEntry, options: ImagePackingOptions, reference: (width: Int, height: Int),
                 into output: UnsafeMutablePointer<UInt8>) -> Outcome {
        do {
            let header = try readChecked(entry)
            if options.size == nil && (header.width != reference.width || header.height != reference.height) {
                return .sizeMismatch(width: header.width, height: header.height)
            }
            try encoded.withUnsafeBytes { bytes in
                try decodeChecked(bytes, header: header) { image in
                    if options.size == nil {
                        PixelConversion.convert(image, channels: options.channels, into: output)
                        return
                    }
                    let count = image.width * image.height * options.channels
                    if converted.count < count { converted = [UInt8](repeating: 0, count: count) }
                    try converted.withUnsafeMutableBufferPointer { buffer in
                        PixelConversion.convert(image, channels: options.channels, into: buffer.baseAddress!)
                        if image.width == reference.width && image.height == reference.height {
                            output.update(from: buffer.baseAddress!, count: count)
                        } else {
                            try ImageResizing.resize(buffer.baseAddress!, width: image.width, height: image.height,
                                                     channels: options.channels, into: output,
                                                     width: reference.width, height: reference.height)
                        }
                    }
                }
            }
            return .packed
        } catch let error as TripletKitError {
            return .failed(error)
        } catch {
            return .failed(TripletKitError("\(error)"))
        }
    }
}
