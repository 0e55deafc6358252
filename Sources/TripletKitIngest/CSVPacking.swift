// Packs a CSV file in the layout of Kaggle's digit-recognizer data: a header row, then one
// image a row as `label,pixel0,…,pixel783`, or the pixels alone for unlabeled sets. A file
// without a header row is accepted when its first field is a number. Such a file has a
// label column when its field count is a square plus one, and none when it is a square. Rows stream
// from the mapped file to the output, so memory stays bounded by the labels.
//
// Class ids are the sorted distinct labels that occur, named by their value, as for IDX.
// An unlabeled file packs as one class named "unlabeled".

import TripletKit

public enum CSVPacking {
    /// Packs `path` into `outputPath`. `options.channels` and `options.size` apply as for
    /// images; the split, --skip-bad and --per-class do not.
    public static func pack(path: String, outputPath: String, options: ImagePackingOptions) throws -> IngestReport {
        let file = try MappedFile(path: path)
        return try pack(bytes: file.bytes, path: path, outputPath: outputPath, options: options)
    }

    /// Parses CSV `bytes` row by row. `start` receives the image side length and whether
    /// the file has a label column, then `row` receives each row's label (nil without a
    /// label column) and its pixels.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String,
                             start: (_ side: Int, _ labeled: Bool) throws -> Void,
                             row: (_ label: Int?, _ pixels: UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var lines = LineReader(bytes)
        // A UTF-8 byte order mark, as spreadsheet programs write.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { lines.position = 3 }
        guard let firstLine = lines.next() else {
            throw TripletKitError("'\(path)': the CSV file is empty", hint: "pass a CSV file with one image a row")
        }
        let firstFields = splitFields(firstLine)
        let hasHeader = parseInteger(firstFields[0]) == nil
        var labeled: Bool
        var pixelCount: Int
        if hasHeader {
            let name = String(decoding: trimmed(firstFields[0]), as: UTF8.self).lowercased()
            labeled = name == "label" || name == "class"
            pixelCount = firstFields.count - (labeled ? 1 : 0)
        } else {
            let count = firstFields.count
            labeled = !isSquare(count) && isSquare(count - 1)
            pixelCount = count - (labeled ? 1 : 0)
        }
        guard pixelCount > 0, isSquare(pixelCount) else {
            throw TripletKitError("'\(path)': line 1: \(firstFields.count) columns\(labeled ? " (a label and \(pixelCount) pixels)" : "") do not form a square image: expected a square number of pixel columns, such as 784 for 28x28",
                                  hint: "pass a CSV file with one square image a row, as label,pixel0,...,pixel783")
        }
        let side = Int(Double(pixelCount).squareRoot().rounded())
        try start(side, labeled)

        var pixels = [UInt8](repeating: 0, count: pixelCount)
        var lineNumber = hasHeader ? 1 : 0
        var pending: UnsafeRawBufferPointer? = hasHeader ? nil : firstLine
        var blankLine = 0
        while let line = pending ?? lines.next() {
            pending = nil
            lineNumber += 1
            if trimmed(line).isEmpty {
                if blankLine == 0 { blankLine = lineNumber }
                continue
            }
            guard blankLine == 0 else {
                throw TripletKitError("'\(path)': line \(blankLine) is blank, but rows follow it at line \(lineNumber)",
                                      hint: "remove the blank line")
            }
            let fields = splitFields(line)
            guard fields.count == pixelCount + (labeled ? 1 : 0) else {
                throw TripletKitError("'\(path)': line \(lineNumber): expected \(pixelCount + (labeled ? 1 : 0)) fields, found \(fields.count)",
                                      hint: "the file is probably truncated or not one image a row; fetch it again")
            }
            var label: Int? = nil
            if labeled {
                guard let value = parseInteger(fields[0]), value <= DatasetLayout.maximumNumberedClass else {
                    throw TripletKitError("'\(path)': line \(lineNumber), field 'label': expected an integer from 0 to \(DatasetLayout.maximumNumberedClass), found '\(String(decoding: trimmed(fields[0]), as: UTF8.self))'",
                                          hint: "fix the label, or pass a file without a label column")
                }
                label = value
            }
            let offset = labeled ? 1 : 0
            for i in 0..<pixelCount {
                guard let value = parseInteger(fields[offset + i]), value <= 255 else {
                    throw TripletKitError("'\(path)': line \(lineNumber), field 'pixel\(i)' (column \(offset + i + 1)): expected an integer from 0 to 255, found '\(String(decoding: trimmed(fields[offset + i]).prefix(20), as: UTF8.self))'",
                                          hint: "pixels must be 8-bit values; rescale the data to 0-255")
                }
                pixels[i] = UInt8(value)
            }
            try pixels.withUnsafeBufferPointer { try row(label, $0) }
        }
    }

    static func pack(bytes: UnsafeRawBufferPointer, path: String, outputPath: String,
                     options: ImagePackingOptions) throws -> IngestReport {
        var writer: PackedDatasetWriter?
        var side = 0
        var isLabeled = false
        var imagesPerLabel: [Int: Int] = [:]
        var output: [UInt8] = []
        var converted: [UInt8] = []
        try parse(bytes, path: path, start: { size, labeled in
            side = size
            isLabeled = labeled
            let width = options.size?.width ?? size
            let height = options.size?.height ?? size
            writer = try PackedDatasetWriter(path: outputPath, height: height, width: width, channels: options.channels,
                                             classNames: nil)
            output = [UInt8](repeating: 0, count: width * height * options.channels)
            converted = [UInt8](repeating: 0, count: size * size * options.channels)
        }, row: { label, pixels in
            let value = label ?? 0
            imagesPerLabel[value, default: 0] += 1
            try converted.withUnsafeMutableBufferPointer { buffer in
                let image = DecodedImage(width: side, height: side, channels: 1, bytesPerSample: 1, rowBytes: side,
                                         pixels: UnsafeRawPointer(pixels.baseAddress!))
                PixelConversion.convert(image, channels: options.channels, into: buffer.baseAddress!)
                if let size = options.size, size.width != side || size.height != side {
                    try output.withUnsafeMutableBufferPointer { target in
                        try ImageResizing.resize(buffer.baseAddress!, width: side, height: side, channels: options.channels,
                                                 into: target.baseAddress!, width: size.width, height: size.height)
                    }
                } else {
                    output.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: buffer.baseAddress!, count: buffer.count) }
                }
            }
            try output.withUnsafeBytes { try writer!.append(pixels: $0, label: value) }
        })
        guard let writer, writer.count > 0 else {
            throw TripletKitError("'\(path)': the CSV file has a header row but no image rows",
                                  hint: "pass a CSV file with one image a row")
        }
        let values = imagesPerLabel.keys.sorted()
        var idOf: [Int: Int] = [:]
        for (id, value) in values.enumerated() { idOf[value] = id }
        let names = isLabeled ? values.map(String.init) : ["unlabeled"]
        writer.setClasses(names) { idOf[$0]! }
        try writer.finish()
        let counts = values.map { imagesPerLabel[$0]! }
        return IngestReport(summary: PackingSummary(count: writer.count, height: writer.height, width: writer.width,
                                                    channels: options.channels, classNames: names, perClassCounts: counts))
    }

    static func isSquare(_ value: Int) -> Bool {
        guard value > 0 else { return false }
        let root = Int(Double(value).squareRoot().rounded())
        return root * root == value
    }

    /// Fields separated by commas; quotes around a field are removed by `trimmed`.
    static func splitFields(_ line: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        var fields: [UnsafeRawBufferPointer] = []
        var start = 0
        for i in 0..<line.count where line[i] == 0x2C {
            fields.append(UnsafeRawBufferPointer(rebasing: line[start..<i]))
            start = i + 1
        }
        fields.append(UnsafeRawBufferPointer(rebasing: line[start..<line.count]))
        return fields
    }

    /// The field without surrounding spaces, tabs, carriage returns and double quotes.
    static func trimmed(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = field.count
        func isPadding(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x22 }
        while start < end && isPadding(field[start]) { start += 1 }
        while end > start && isPadding(field[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: field[start..<end])
    }

    /// Parses a non-negative decimal integer, also one written with a zero fraction
    /// ("12.0"). Returns nil for anything else and for values above 2^31 - 1.
    static func parseInteger(_ field: UnsafeRawBufferPointer) -> Int? {
        let digits = trimmed(field)
        var value = 0
        var index = 0
        while index < digits.count, digits[index] >= 0x30, digits[index] <= 0x39 {
            value = value * 10 + Int(digits[index] - 0x30)
            if value > Int(Int32.max) { return nil }
            index += 1
        }
        guard index > 0 else { return nil }
        if index < digits.count {
            guard digits[index] == 0x2E, index + 1 < digits.count else { return nil }
            for byte in digits[(index + 1)...] where byte != 0x30 { return nil }
        }
        return value
    }
}

/// Lines of a byte buffer, split at "\n"; a trailing "\r" stays and is trimmed by fields.
struct LineReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard position < bytes.count else { return nil }
        let start = position
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        position = end + 1
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}
