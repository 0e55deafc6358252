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
// The file may be gzip-compressed, which is told from its first bytes, not its name.

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
        let source = try ByteSource(bytes, path: path)
        let expectedMagic = 0x0800 + expectedDimensions
        let regenerate = "pass the \(role) file of an IDX pair, such as train-\(role)-idx\(expectedDimensions)-ubyte.gz"

        // Magic: two zero bytes, the element type and the dimension count.
        var magic = [UInt8](repeating: 0, count: 4)
        guard try source.read(&magic) == 4 else {
            throw TripletKitError("'\(path)': not an IDX \(role) file: it holds fewer than 4 bytes", hint: regenerate)
        }
        let magicValue = Int(magic[0]) << 24 | Int(magic[1]) << 16 | Int(magic[2]) << 8 | Int(magic[3])
        guard magic[0] == 0, magic[1] == 0, let type = typeNames[magic[2]] else {
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
        let headerSize = 4 + header.count
        let shape = dimensions.map(String.init).joined(separator: "×")
        if source.isCompressed {
            // Deflate expands at most about 1032:1, so a larger claim cannot be real.
            guard payload / maximumDeflateRatio <= bytes.count else {
                throw TripletKitError("'\(path)': IDX header declares \(shape) elements (\(payload) bytes), more than a \(bytes.count)-byte gzip file can hold",
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

        var values = [UInt8](repeating: 0, count: payload)
        let found = try source.read(&values)
        guard found == payload else {
            throw TripletKitError("'\(path)': truncated IDX \(role) file: header declares \(shape) elements, so expected \(headerSize + payload) bytes after decompression, found \(headerSize + found)",
                                  hint: "the file is probably a partial download; fetch it again")
        }
        guard try source.atEnd() else {
            throw TripletKitError("'\(path)': IDX \(role) file has data after the \(headerSize + payload) bytes its header declares",
                                  hint: "the file is damaged or not one IDX array; fetch it again")
        }
        return IDXArray(dimensions: dimensions, values: values)
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
        try buffer.withUnsafeMutableBytes { destination in
            if let inflater { return try inflater.read(into: destination) }
            let count = min(destination.count, raw.count - position)
            if count > 0 {
                destination.baseAddress!.copyMemory(from: raw.baseAddress! + position, byteCount: count)
            }
            position += count
            return count
        }
    }

    func atEnd() throws -> Bool {
        if let inflater { return try inflater.atEnd() }
        return position == raw.count
    }
}
