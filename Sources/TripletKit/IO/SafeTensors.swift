// The safetensors file format, which Python users load with `safetensors.torch.load_file`:
//   8 bytes   little-endian uint64 N, the header length
//   N bytes   JSON: {"__metadata__": {string: string}, "<tensor name>": {"dtype": "F32",
//             "shape": [...], "data_offsets": [begin, end]}, ...}, padded with spaces
//   then      the tensors' raw little-endian bytes; offsets are relative to this point
// Keys are written in sorted order and the header is padded to a multiple of 8 bytes, so
// equal tensors and metadata give byte-identical files.

import Foundation

public struct SafeTensorsFile {
    public struct Tensor: Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var metadata: [String: String]
    public var tensors: [Tensor]

    public init(metadata: [String: String], tensors: [Tensor]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    public func tensor(named name: String) -> Tensor? { tensors.first { $0.name == name } }

    // MARK: - Writing

    public func encoded() -> [UInt8] {
        let sorted = tensors.sorted { $0.name < $1.name }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in sorted {
            let size = tensor.values.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)

        var bytes = ByteWriter()
        bytes.append(UInt64(header.count))
        bytes.bytes += header
        bytes.bytes.reserveCapacity(bytes.bytes.count + offset)
        for tensor in sorted {
            for value in tensor.values { bytes.append(value.bitPattern) }
        }
        return bytes.bytes
    }

    public func write(to path: String) throws {
        try writeFileAtomically(encoded(), to: path)
    }

    // MARK: - Reading

    public static func read(path: String) throws -> SafeTensorsFile {
        let file = try MappedFile(path: path)
        return try decode(file.bytes, path: path)
    }

    /// Decodes F32 tensors; other dtypes are rejected with the tensor's name.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> SafeTensorsFile {
        func fail(_ message: String) -> TripletKitError {
            TripletKitError("'\(path)': \(message)", hint: "checkpoints and models are written by triplet-train")
        }
        guard bytes.count >= 8 else { throw fail("not a safetensors file: \(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength: UInt64 = readLittleEndian(bytes, at: 0)
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file's \(bytes.count - 8) remaining bytes")
        }
        let headerData = Data(bytes[8..<(8 + Int(headerLength))])
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw fail("the safetensors header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart

        var metadata: [String: String] = [:]
        var tensors: [Tensor] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: String] else { throw fail("__metadata__ is not a map of strings") }
                metadata = entries
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int],
                  let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(dtype), expected F32") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw fail("tensor '\(name)' has data offsets \(offsets) outside the \(dataSize) data bytes")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            guard offsets[1] - offsets[0] == count * 4 else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(count * 4) bytes, its offsets span \(offsets[1] - offsets[0])")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                values[i] = Float(bitPattern: readLittleEndian(bytes, at: dataStart + offsets[0] + 4 * i))
            }
            tensors.append(Tensor(name: name, shape: shape, values: values))
        }
        tensors.sort { $0.name < $1.name }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }
}

/// Quotes `text` as a JSON string literal with the escapes JSON requires.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
