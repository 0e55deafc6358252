// The packed dataset: one file with a header, the uint8 pixels, the labels and a class
// index, written by mnist-prep and mapped (not copied) by every other tool.
//
// Byte layout, version 1, all integers little-endian:
//
//   offset  size  field
//   0       4     magic "TKPK" (bytes 54 4B 50 4B)
//   4       4     format version, 1
//   8       8     sample count N
//   16      4     height H
//   20      4     width W
//   24      4     channels C (1 gray, 3 RGB)
//   28      4     class count K
//   32      8     pixels offset (128)          40  8  pixels size  = N*H*W*C
//   48      8     labels offset                56  8  labels size  = 4*N
//   64      8     class index offset           72  8  class index size
//   80      4     CRC-32 of the pixels         84  4  CRC-32 of the labels
//   88      4     CRC-32 of the class index    92  4  CRC-32 of bytes 0..<92
//   96      32    reserved, zero
//   128           pixels: N images, each H rows of W pixels of C interleaved uint8 channels
//   then          labels: N uint32 class ids
//   then          class index: for each class id k in 0..<K:
//                   uint32 name length L, L bytes of UTF-8 name, zero padding to 4 bytes,
//                   uint32 count M, M uint32 sample ids in ascending order
//
// The class index lets a sampler draw a uniform sample of a class in O(1). Readers check
// the header on open: magic, version, header CRC, and every offset and size against the
// file size. `verify()` also checks the section CRCs and that the index matches the labels.

import Foundation
internal import CZlib

public enum PackedFormat {
    public static let magic: [UInt8] = Array("TKPK".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 128
    public static let fileExtension = "tkpack"
    static let regenerateHint = "regenerate the file with mnist-prep"
}

/// CRC-32 (zlib's polynomial), continued from `crc`.
func crc32Update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    var value = UInt(crc)
    var offset = 0
    while offset < bytes.count {
        // zlib takes a uInt length, so very large sections go in slices.
        let slice = min(bytes.count - offset, 1 << 30)
        value = crc32(value, base.assumingMemoryBound(to: Bytef.self) + offset, uInt(slice))
        offset += slice
    }
    return UInt32(truncatingIfNeeded: value)
}

// MARK: - Writer

/// Streams images into a packed file: pixels are written as they arrive, and the labels,
/// the class index and the header follow in `finish`. Nothing appears at `path` unless
/// `finish` succeeds.
public final class PackedDatasetWriter {
    public let path: String
    public let height: Int
    public let width: Int
    public let channels: Int
    /// The class names in id order. A writer made without them accepts any non-negative
    /// label until `setClasses` names the classes, as a CSV reader needs.
    public private(set) var classNames: [String]
    private var classesDeferred: Bool
    private let file: AtomicFileWriter
    private var labels: [UInt32] = []
    private var pixelsCRC: UInt32 = 0
    /// Pixels not yet written, so that small images do not cost one system call each.
    private var pending: [UInt8] = []
    private static let pendingLimit = 1 << 20

    public init(path: String, height: Int, width: Int, channels: Int, classNames: [String]?) throws {
        precondition(height > 0 && width > 0 && (channels == 1 || channels == 3))
        self.path = path
        self.height = height
        self.width = width
        self.channels = channels
        self.classNames = classNames ?? []
        classesDeferred = classNames == nil
        file = try AtomicFileWriter(path: path)
        // The header is rewritten at the end, when its counts and checksums are known.
        try file.write([UInt8](repeating: 0, count: PackedFormat.headerSize))
    }

    public var imageSize: Int { height * width * channels }
    public var count: Int { labels.count }

    /// Appends one image (H*W*C bytes, channels interleaved) with its class id.
    public func append(pixels: UnsafeRawBufferPointer, label: Int) throws {
        precondition(pixels.count == imageSize, "image has \(pixels.count) bytes, expected \(imageSize)")
        precondition(label >= 0 && (classesDeferred ? label <= Int(UInt32.max) : label < classNames.count),
                     "class id \(label) out of range")
        try writePixels(pixels)
        labels.append(UInt32(label))
    }

    /// Appends many images at once (count * H*W*C bytes).
    public func append(pixels: UnsafeRawBufferPointer, labels newLabels: [Int]) throws {
        precondition(pixels.count == imageSize * newLabels.count)
        for label in newLabels {
            precondition(label >= 0 && (classesDeferred ? label <= Int(UInt32.max) : label < classNames.count),
                         "class id \(label) out of range")
        }
        try writePixels(pixels)
        labels.append(contentsOf: newLabels.map { UInt32($0) })
    }

    private func writePixels(_ pixels: UnsafeRawBufferPointer) throws {
        pixelsCRC = crc32Update(pixelsCRC, pixels)
        if pending.count + pixels.count > Self.pendingLimit {
            try file.write(pending)
            pending.removeAll(keepingCapacity: true)
        }
        if pixels.count > Self.pendingLimit {
            try file.write(pixels)
        } else {
            pending.append(contentsOf: pixels)
        }
    }

    /// Names the classes and maps every label appended so far through `classID`, which
    /// must return an id in `0..<names.count`.
    public func setClasses(_ names: [String], classID: (Int) -> Int) {
        for i in labels.indices {
            let id = classID(Int(labels[i]))
            precondition(id >= 0 && id < names.count, "class id \(id) out of range")
            labels[i] = UInt32(id)
        }
        classNames = names
        classesDeferred = false
    }

    /// Writes the labels, the class index and the header, then renames the file into place.
    public func finish() throws {
        precondition(!classesDeferred, "setClasses must name the classes before finish")
        try file.write(pending)
        pending = []
        let pixelsSize = labels.count * imageSize
        let labelsOffset = PackedFormat.headerSize + pixelsSize
        var labelBytes = ByteWriter()
        for label in labels { labelBytes.append(label) }

        var members = [[UInt32]](repeating: [], count: classNames.count)
        for (id, label) in labels.enumerated() { members[Int(label)].append(UInt32(id)) }
        var index = ByteWriter()
        for (name, ids) in zip(classNames, members) {
            let nameBytes = Array(name.utf8)
            index.append(UInt32(nameBytes.count))
            index.bytes += nameBytes
            index.bytes += [UInt8](repeating: 0, count: (4 - nameBytes.count % 4) % 4)
            index.append(UInt32(ids.count))
            for id in ids { index.append(id) }
        }
        try file.write(labelBytes.bytes)
        try file.write(index.bytes)

        var header = ByteWriter()
        header.bytes += PackedFormat.magic
        header.append(PackedFormat.version)
        header.append(UInt64(labels.count))
        header.append(UInt32(height))
        header.append(UInt32(width))
        header.append(UInt32(channels))
        header.append(UInt32(classNames.count))
        header.append(UInt64(PackedFormat.headerSize))
        header.append(UInt64(pixelsSize))
        header.append(UInt64(labelsOffset))
        header.append(UInt64(labelBytes.bytes.count))
        header.append(UInt64(labelsOffset + labelBytes.bytes.count))
        header.append(UInt64(index.bytes.count))
        header.append(pixelsCRC)
        header.append(labelBytes.bytes.withUnsafeBytes { crc32Update(0, $0) })
        header.append(index.bytes.withUnsafeBytes { crc32Update(0, $0) })
        header.append(header.bytes.withUnsafeBytes { crc32Update(0, $0) })
        header.bytes += [UInt8](repeating: 0, count: PackedFormat.headerSize - header.bytes.count)
        try file.write(header.bytes, at: 0)
        try file.commit()
    }
}

/// Little-endian serialisation into a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

// MARK: - Reader

/// A packed dataset mapped read-only. Pixels and labels are read in place.
public final class PackedDataset: @unchecked Sendable {
    public let path: String
    public let count: Int
    public let height: Int
    public let width: Int
    public let channels: Int
    public let classNames: [String]
    /// The sample ids of each class, in ascending order.
    public let classMembers: [[Int32]]

    /// The file's bytes, kept alive by `storage` (a MappedFile or an OwnedBytes).
    private let bytes: UnsafeRawBufferPointer
    private let storage: AnyObject
    private let pixelsOffset: Int
    private let labelsOffset: Int
    private let classIndexRange: Range<Int>
    private let checksums: (pixels: UInt32, labels: UInt32, classIndex: UInt32)

    public var imageSize: Int { height * width * channels }
    public var classCount: Int { classNames.count }

    /// Maps `path` and checks its header; the class index is parsed and checked against
    /// the labels. Section checksums are checked by `verify()`.
    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(bytes: file.bytes, storage: file, path: path)
    }

    /// Parses a packed dataset held in memory, for tests and fuzzing; `path` names it in errors.
    public convenience init(contents: [UInt8], path: String) throws {
        let owned = OwnedBytes(contents)
        try self.init(bytes: owned.bytes, storage: owned, path: path)
    }

    private init(bytes: UnsafeRawBufferPointer, storage: AnyObject, path: String) throws {
        self.path = path
        self.bytes = bytes
        self.storage = storage
        let hint = PackedFormat.regenerateHint
        func fail(_ message: String) -> TripletKitError {
            TripletKitError("'\(path)': \(message)", hint: hint)
        }

        guard bytes.count >= PackedFormat.headerSize else {
            throw fail("not a packed dataset: \(bytes.count) bytes, shorter than the \(PackedFormat.headerSize)-byte header")
        }
        let magic = Array(bytes[0..<4])
        guard magic == PackedFormat.magic else {
            let found = magic.map { String(format2: $0) }.joined(separator: " ")
            // An IDX or gzip file here is usually raw MNIST that was never packed.
            let isRawData = magic.starts(with: [0x1F, 0x8B]) || magic.starts(with: [0, 0, 0x08])
            let isText = magic.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF }
            let hint = isRawData ? "this looks like an IDX file; pack it first with mnist-prep --images ... --labels ... -o FILE.tkpack"
                : isText ? "this looks like a text file; pack a CSV first with mnist-prep FILE.csv -o FILE.tkpack"
                : PackedFormat.regenerateHint
            throw TripletKitError("'\(path)': not a packed dataset: magic bytes are \(found), expected 54 4B 50 4B (\"TKPK\")",
                                  hint: hint)
        }
        var reader = ByteReader(bytes: bytes)
        reader.offset = 4
        let version: UInt32 = reader.read()
        guard version == PackedFormat.version else {
            throw fail("unsupported format version \(version), expected \(PackedFormat.version)")
        }
        let headerCRC = crc32Update(0, UnsafeRawBufferPointer(rebasing: bytes[0..<92]))
        let storedHeaderCRC: UInt32 = readLittleEndian(bytes, at: 92)
        guard headerCRC == storedHeaderCRC else {
            throw fail(String(format: "header checksum mismatch: stored %08X, computed %08X", storedHeaderCRC, headerCRC))
        }

        let count64: UInt64 = reader.read()
        let height32: UInt32 = reader.read()
        let width32: UInt32 = reader.read()
        let channels32: UInt32 = reader.read()
        let classCount32: UInt32 = reader.read()
        let pixelsOffset64: UInt64 = reader.read()
        let pixelsSize64: UInt64 = reader.read()
        let labelsOffset64: UInt64 = reader.read()
        let labelsSize64: UInt64 = reader.read()
        let indexOffset64: UInt64 = reader.read()
        let indexSize64: UInt64 = reader.read()
        checksums = (reader.read(), reader.read(), reader.read())

        // Every size is checked against the file before anything is allocated.
        let fileSize = UInt64(bytes.count)
        guard channels32 == 1 || channels32 == 3 else { throw fail("channels is \(channels32), expected 1 or 3") }
        guard height32 > 0, width32 > 0, height32 <= 65536, width32 <= 65536 else {
            throw fail("image size \(width32)x\(height32) is invalid")
        }
        guard count64 <= fileSize else { throw fail("sample count \(count64) exceeds the file size \(fileSize)") }
        guard classCount32 <= UInt32(fileSize / 8) else { throw fail("class count \(classCount32) exceeds what the file can hold") }
        // Each sum and product below is of values already bounded by the file size or by
        // 65536, except the header's own sizes, which are compared before they are added.
        let imageSize64 = UInt64(height32) * UInt64(width32) * UInt64(channels32)
        let expectedPixels = count64.multipliedReportingOverflow(by: imageSize64)
        guard pixelsOffset64 == UInt64(PackedFormat.headerSize), !expectedPixels.overflow,
              pixelsSize64 == expectedPixels.partialValue, pixelsSize64 <= fileSize else {
            throw fail("pixels section is \(pixelsSize64) bytes at \(pixelsOffset64), expected \(count64)×\(imageSize64) bytes at \(PackedFormat.headerSize) within the \(fileSize)-byte file")
        }
        guard labelsOffset64 == pixelsOffset64 + pixelsSize64, labelsSize64 == 4 * count64, labelsSize64 <= fileSize else {
            throw fail("labels section is \(labelsSize64) bytes at \(labelsOffset64), expected \(4 * count64) bytes at \(pixelsOffset64 + pixelsSize64)")
        }
        guard indexOffset64 == labelsOffset64 + labelsSize64, indexSize64 <= fileSize, indexOffset64 + indexSize64 == fileSize else {
            let declared = indexOffset64.addingReportingOverflow(indexSize64)
            throw fail("file is \(fileSize) bytes, expected \(declared.overflow ? "more than 2^64" : String(declared.partialValue)) from its header (truncated or extended)")
        }

        count = Int(count64)
        height = Int(height32)
        width = Int(width32)
        channels = Int(channels32)
        pixelsOffset = Int(pixelsOffset64)
        labelsOffset = Int(labelsOffset64)
        classIndexRange = Int(indexOffset64)..<Int(indexOffset64 + indexSize64)

        // Class index: names and member ids, each id checked against its label.
        var names: [String] = []
        var members: [[Int32]] = []
        var index = ByteReader(bytes: bytes, offset: classIndexRange.lowerBound)
        var listed = 0
        for classID in 0..<Int(classCount32) {
            guard index.remaining(until: classIndexRange.upperBound) >= 4 else { throw fail("class index ends inside class \(classID)") }
            let nameLength = Int(index.read() as UInt32)
            let padded = nameLength + (4 - nameLength % 4) % 4
            guard index.remaining(until: classIndexRange.upperBound) >= padded + 4 else {
                throw fail("class index: name of class \(classID) is \(nameLength) bytes, past the end of the section")
            }
            let name = String(decoding: bytes[index.offset..<index.offset + nameLength], as: UTF8.self)
            index.offset += padded
            let memberCount = Int(index.read() as UInt32)
            guard memberCount <= count, index.remaining(until: classIndexRange.upperBound) >= 4 * memberCount else {
                throw fail("class index: class \(classID) ('\(name)') lists \(memberCount) samples, past the end of the section")
            }
            var ids = [Int32](repeating: 0, count: memberCount)
            for i in 0..<memberCount {
                let id: UInt32 = index.read()
                guard Int(id) < count else { throw fail("class index: class '\(name)' lists sample \(id), but there are \(count) samples") }
                let label: UInt32 = readLittleEndian(bytes, at: labelsOffset + 4 * Int(id))
                guard Int(label) == classID else {
                    throw fail("class index: class '\(name)' (id \(classID)) lists sample \(id), whose label is \(label)")
                }
                ids[i] = Int32(id)
            }
            listed += memberCount
            names.append(name)
            members.append(ids)
        }
        guard listed == count, index.offset == classIndexRange.upperBound else {
            throw fail("class index lists \(listed) samples in \(index.offset - classIndexRange.lowerBound) bytes, expected \(count) samples in \(classIndexRange.count) bytes")
        }
        classNames = names
        classMembers = members
    }

    /// Returns the pixels of sample `id`: H*W*C bytes, channels interleaved.
    public func pixels(_ id: Int) -> UnsafeRawBufferPointer {
        precondition(id >= 0 && id < count)
        return UnsafeRawBufferPointer(rebasing: bytes[(pixelsOffset + id * imageSize)..<(pixelsOffset + (id + 1) * imageSize)])
    }

    public func label(_ id: Int) -> Int {
        precondition(id >= 0 && id < count)
        return Int(readLittleEndian(bytes, at: labelsOffset + 4 * id) as UInt32)
    }

    public var labels: [Int] { (0..<count).map(label) }

    /// Opens `path` and checks every section's CRC-32 too, for tools that would otherwise
    /// train on or draw damaged data without noticing.
    public static func openVerified(path: String) throws -> PackedDataset {
        let dataset = try PackedDataset(path: path)
        let failures = dataset.verify()
        guard failures.isEmpty else {
            throw TripletKitError("'\(path)': checksum mismatch in \(failures.joined(separator: ", ")); the file is damaged",
                                  hint: "repack it with mnist-prep; 'mnist-prep verify' checks a file")
        }
        return dataset
    }

    /// Checks every section's CRC-32; returns the names of the sections that fail.
    public func verify() -> [String] {
        var failures: [String] = []
        let pixels = UnsafeRawBufferPointer(rebasing: bytes[pixelsOffset..<labelsOffset])
        if crc32Update(0, pixels) != checksums.pixels { failures.append("pixels") }
        let labelBytes = UnsafeRawBufferPointer(rebasing: bytes[labelsOffset..<classIndexRange.lowerBound])
        if crc32Update(0, labelBytes) != checksums.labels { failures.append("labels") }
        let indexBytes = UnsafeRawBufferPointer(rebasing: bytes[classIndexRange])
        if crc32Update(0, indexBytes) != checksums.classIndex { failures.append("class index") }
        return failures
    }
}

/// A heap copy of some bytes that lives as long as the object.
final class OwnedBytes {
    let bytes: UnsafeRawBufferPointer
    private let allocation: UnsafeMutableRawBufferPointer

    init(_ contents: [UInt8]) {
        let allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: max(contents.count, 1), alignment: 16)
        contents.withUnsafeBytes { source in
            if source.count > 0 { allocation.copyMemory(from: source) }
        }
        self.allocation = allocation
        bytes = UnsafeRawBufferPointer(rebasing: allocation[0..<contents.count])
    }

    deinit { allocation.deallocate() }
}

/// Little-endian reads from a byte buffer; callers check bounds first.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    mutating func read<T: FixedWidthInteger>() -> T {
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    func remaining(until end: Int) -> Int { end - offset }
}

/// Reads the little-endian integer at `offset` in `bytes`. Callers check bounds first.
func readLittleEndian<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
    T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
