// The embeddings file that triplet-train writes and triplet-plot reads: tab-separated
// text, so that any plotting tool can read it too.
//
//   # tripletkit-embeddings 1
//   # epoch <n>
//   # classes <name 0>\t<name 1>\t...
//   label\te0\te1...
//   <class id>\t<value>\t<value>...
//
// One row per test image; the label column is the class id into the classes line.

import Foundation

public struct EmbeddingSet: Equatable {
    public var epoch: Int
    public var classNames: [String]
    public var dimension: Int
    /// Class id of each row.
    public var labels: [Int]
    /// Row-major values, labels.count × dimension.
    public var values: [Float]

    public init(epoch: Int, classNames: [String], dimension: Int, labels: [Int], values: [Float]) {
        precondition(values.count == labels.count * dimension)
        self.epoch = epoch
        self.classNames = classNames
        self.dimension = dimension
        self.labels = labels
        self.values = values
    }

    public var count: Int { labels.count }

    static let signature = "# tripletkit-embeddings 1"

    public func encoded() -> [UInt8] {
        var text = "\(Self.signature)\n# epoch \(epoch)\n# classes \(classNames.joined(separator: "\t"))\n"
        text += "label\t" + (0..<dimension).map { "e\($0)" }.joined(separator: "\t") + "\n"
        for row in 0..<count {
            text += String(labels[row])
            for column in 0..<dimension {
                // %.9g round-trips a Float exactly.
                text += "\t" + String(format: "%.9g", Double(values[row * dimension + column]))
            }
            text += "\n"
        }
        return Array(text.utf8)
    }

    public func write(to path: String) throws {
        try writeFileAtomically(encoded(), to: path)
    }

    public static func read(path: String) throws -> EmbeddingSet {
        let bytes = try readWholeFile(path)
        return try decode(bytes, path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> EmbeddingSet {
        let hint = "embeddings files are written by triplet-train --plot-every"
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines[0] == Self.signature else {
            throw TripletKitError("'\(path)': not an embeddings file: the first line is not '\(Self.signature)'", hint: hint)
        }
        guard lines[1].hasPrefix("# epoch "), let epoch = Int(lines[1].dropFirst(8)) else {
            throw TripletKitError("'\(path)', line 2: expected '# epoch <n>', found '\(lines[1])'", hint: hint)
        }
        guard lines[2].hasPrefix("# classes ") else {
            throw TripletKitError("'\(path)', line 3: expected '# classes <names>', found '\(lines[2])'", hint: hint)
        }
        let classNames = lines[2].dropFirst(10).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let columns = lines[3].split(separator: "\t")
        guard columns.first == "label", columns.count >= 2 else {
            throw TripletKitError("'\(path)', line 4: expected a 'label\\te0...' column header, found '\(lines[3])'", hint: hint)
        }
        let dimension = columns.count - 1

        var labels: [Int] = []
        var values: [Float] = []
        for (offset, line) in lines.dropFirst(4).enumerated() where !line.isEmpty {
            let lineNumber = offset + 5
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == dimension + 1 else {
                throw TripletKitError("'\(path)', line \(lineNumber): \(fields.count) fields, expected \(dimension + 1)")
            }
            guard let label = Int(fields[0]), label >= 0, label < classNames.count else {
                throw TripletKitError("'\(path)', line \(lineNumber): label '\(fields[0])' is not a class id below \(classNames.count)")
            }
            labels.append(label)
            for field in fields.dropFirst() {
                guard let value = Float(field), value.isFinite else {
                    throw TripletKitError("'\(path)', line \(lineNumber): value '\(field)' is not a finite number")
                }
                values.append(value)
            }
        }
        return EmbeddingSet(epoch: epoch, classNames: classNames, dimension: dimension, labels: labels, values: values)
    }
}
