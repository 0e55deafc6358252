// Reader for the IDX format of MNIST and its relatives (Fashion-MNIST, EMNIST, KMNIST).
//
// Layout (all integers big-endian):
//   bytes 0-1   zero
//   byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
//               0x0D float32, 0x0E float64
//   byte  3     number of dimensions d
//   4 * d       the size of each dimension, uint32
//   then        the elements in row-major order
// MNIST images are magic 2051 (uint8, 3 dimensions), labels 2049 (uint8, 1 dimension).
// The file may be gzip-compressed, which is detected from its first bytes, not its name.
//
// EMNIST stores each image transposed (column-major), so that MNIST readers show its
// letters and digits mirrored and rotated; IDXPacking's `transpose` turns them upright.

/// A decoded IDX array of unsigned bytes.
public struct IDXArray {
    public var dimensions: [Int]
    public var values: [UInt8]
}

public enum IDXReader {
    static let typeNames: [UInt8: (name: String, size: Int)] = [
        0x08: ("uint8", 1), 0x09: ("int8", 1), 0x0B: ("int16", 2),
        0x0C: ("int32", 4), 0x0D: ("float32", 4), 0x0E: ("float64", 8),
    ]

    /// Reads an IDX file of uint8 elements with `expectedDimensions` dimensions, checking
    /// the magic, the element type and the declared sizes against the file before the
    /// payload is allocated. `role` ("images", "labels") names the file in errors.
    public static func read(path: String, expectedDimensions: Int, role: String) throws -> IDXArray {
        let file = try MappedFile(path: path)
        return try read(bytes: file.bytes, path: path, expectedDimensions: expectedDimensions, role: role)
    }

    public static func read(bytes: UnsafeRawBufferPointer, path: String, expectedDimensions: Int,
                            role: String) throws -> IDXArray {
        let stream = try IDXStream(bytes: bytes, path: path, expectedDimensions: expectedDimensions, role: role)
        let values = try stream.readAll()
        try stream.finish()
        return IDXArray(dimensions: stream.dimensions, values: values)
    }
}

/// An IDX file whose header has been read and checked, with its payload read on demand,
/// so that a caller can compare two headers (images and labels) before allocating either
/// payload, and can stream a large payload in slices.
public final class IDXStream {
    public let path: String
    public let role: String
    public let dimensions: [Int]
    /// Header bytes: 4 for the magic plus 4 per dimension.
    public let headerSize: Int
    /// Payload bytes that the header declares: the product of the dimensions.
    public let payloadSize: Int
    private let source: ByteSource
    private let file: MappedFile?
    private var consumed = 0

    /// Maps `path` and checks its header.
    public convenience init(path: String, expectedDimensions: Int, role: String) throws {
        let file = try MappedFile(path: path)
        try self.init(bytes: file.bytes, path: path, expectedDimensions: expectedDimensions, role: role, file: file)
    }

    /// Checks the header of the IDX file in `bytes`, which must stay valid while the stream lives.
    public init(bytes: UnsafeRawBufferPointer, path: String, expectedDimensions: Int, role: String,
                file: MappedFile? = nil) throws {
        self.path = path
        self.role = role
        self.file = file
        source = try ByteSource(bytes, path: path)
        let expectedMagic = 0x0800 + expectedDimensions
        let regenerate = "pass the \(role) file of an IDX pair, such as train-\(role)-idx\(expectedDimensions)-ubyte.gz"

        // Magic: two zero bytes, the element type and the dimension count.
        var magic = [UInt8](repeating: 0, count: 4)
        guard try source.read(&magic) == 4 else {
            throw TripletKitError("'\(path)': not an IDX \(role) file: it contains fewer than 4 bytes", hint: regenerate)
        }
        let magicValue = Int(magic[0]) << 24 | Int(magic[1]) << 16 | Int(magic[2]) << 8 | Int(magic[3])
        guard magic[0] == 0, magic[1] == 0, let type = IDXReader.typeNames[magic[2]] else {
            throw TripletKitError("'\(path)': not an IDX file: magic number is \(magicValue), expected \(expectedMagic) for \(role)",
                                  hint: regenerate)
        }
        guard Int(magic[3]) == expectedDimensions, magic[2] == 0x08 else {
            throw TripletKitError(
                "'\(path)': wrong IDX magic number \(magicValue) (\(type.name), \(magic[3]) dimensions), expected \(expectedMagic) (uint8, \(expectedDimensions) dimensions) for \(role)",
                hint: regenerate)
        }

        // Dimensions, then the payload size they imply, checked before allocating.
        var header = [UInt8](repeating: 0, count: 4 * expectedDimensions)
        guard try source.read(&header) == header.count else {
            throw TripletKitError("'\(path)': truncated IDX header: expected \(4 + header.count) bytes, found fewer",
                                  hint: "the file is probably a partial download; fetch it again")
        }
        var dimensions: [Int] = []
        var payload = 1
        for i in 0..<expectedDimensions {
            let size = Int(header[4 * i]) << 24 | Int(header[4 * i + 1]) << 16
                | Int(header[4 * i + 2]) << 8 | Int(header[4 * i + 3])
            dimensions.append(size)
            let product = payload.multipliedReportingOverflow(by: size)
            guard !product.overflow else {
                throw TripletKitError("'\(path)': IDX header declares dimensions \(dimensions) whose product overflows",
                                      hint: "the file is damaged; fetch it again")
            }
            payload = product.partialValue
        }
        self.dimensions = dimensions
        headerSize = 4 + header.count
        payloadSize = payload
        let shape = dimensions.map(String.init).joined(separator: "×")
        if source.isCompressed {
            // Deflate expands at most about 1032:1, so a larger claim cannot be real.
            guard payload / maximumDeflateRatio <= bytes.count else {
                throw TripletKitError("'\(path)': IDX header declares \(shape) elements (\(payload) bytes), more than a \(bytes.count)-byte gzip file can contain",
                                      hint: "the file is damaged; fetch it again")
            }
        } else {
            let expected = headerSize + payload
            guard bytes.count == expected else {
                let kind = bytes.count < expected ? "truncated" : "oversized"
                throw TripletKitError("'\(path)': \(kind) IDX \(role) file: header declares \(shape) elements, so expected \(expected) bytes, found \(bytes.count)",
                                      hint: bytes.count < expected ? "the file is probably a partial download; fetch it again" : "the file has trailing bytes; fetch it again")
            }
        }
    }

    /// Fills `buffer` with the next payload bytes; throws when the file ends first.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(consumed + buffer.count <= payloadSize, "read past the declared payload")
        let found = try source.read(into: buffer)
        consumed += found
        guard found == buffer.count else {
            let shape = dimensions.map(String.init).joined(separator: "×")
            throw TripletKitError("'\(path)': truncated IDX \(role) file: header declares \(shape) elements, so expected \(headerSize + payloadSize) bytes after decompression, found \(headerSize + consumed)",
                                  hint: "the file is probably a partial download; fetch it again")
        }
    }

    /// Reads the rest of the payload. A gzip payload grows in slices as it inflates, so a
    /// header that overstates its size costs no more memory than the real data.
    public func readAll() throws -> [UInt8] {
        let remaining = payloadSize - consumed
        if !source.isCompressed {
            var values = [UInt8](repeating: 0, count: remaining)
            try values.withUnsafeMutableBytes { try read(into: $0) }
            return values
        }
        let slice = 1 << 22
        var values: [UInt8] = []
        values.reserveCapacity(min(remaining, slice))
        var chunk = [UInt8](repeating: 0, count: min(remaining, slice))
        while consumed < payloadSize {
            let count = min(payloadSize - consumed, slice)
            try chunk.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
            values += chunk[0..<count]
        }
        return values
    }

    /// Checks that nothing follows the declared payload; call it after reading all of it.
    public func finish() throws {
        guard try source.atEnd() else {
            throw TripletKitError("'\(path)': IDX \(role) file has data after the \(headerSize + payloadSize) bytes its header declares",
                                  hint: "the file is damaged or not one IDX array; fetch it again")
        }
    }
}

/// The bytes of a file, decompressed on the fly when it is gzip.
private final class ByteSource {
    let isCompressed: Bool
    private let raw: UnsafeRawBufferPointer
    private var position = 0
    private let inflater: GzipInflater?

    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        raw = bytes
        isCompressed = isGzip(bytes)
        inflater = isCompressed ? try GzipInflater(bytes, path: path) : nil
    }

    func read(_ buffer: inout [UInt8]) throws -> Int {
        try buffer.withUnsafeMutableBytes { try read(into: $0) }
    }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        if let inflater { return try inflater.read(into: destination) }
        let count = min(destination.count, raw.count - position)
        if count > 0 {
            destination.baseAddress!.copyMemory(from: raw.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }

    func atEnd() throws -> Bool {
        if let inflater { return try inflater.atEnd() }
        return position == raw.count
    }
}
