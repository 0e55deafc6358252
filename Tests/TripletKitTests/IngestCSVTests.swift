// CSV input in the Kaggle digit-recognizer layout, with and without labels or a header.

import Foundation
import Testing
@testable import TripletKit
@testable import TripletKitIngest

@Suite struct IngestCSVTests {
    /// CSV text for fixture images `range`, with a label column when `labeled`.
    func csv(_ range: Range<Int>, labeled: Bool = true, header: Bool = true, lineEnding: String = "\n") -> String {
        var lines: [String] = []
        if header {
            lines.append(((labeled ? ["label"] : []) + (0..<784).map { "pixel\($0)" }).joined(separator: ","))
        }
        for index in range {
            let pixels = FixtureDigits.pixels(index).map { "\($0)" }
            lines.append(((labeled ? [String(FixtureDigits.labels.values[index])] : []) + pixels).joined(separator: ","))
        }
        return lines.joined(separator: lineEnding) + lineEnding
    }

    func pack(_ text: String, in folder: TemporaryFolder, options: ImagePackingOptions = ImagePackingOptions()) throws -> PackedDataset {
        let input = folder.file("input-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let output = folder.file("out-\(UUID().uuidString).tkpack")
        _ = try CSVPacking.pack(path: input, outputPath: output, options: options)
        return try PackedDataset(path: output)
    }

    @Test func labeledCSVMatchesIDX() throws {
        let folder = try TemporaryFolder()
        let dataset = try pack(csv(0..<300), in: folder)
        let idx = folder.file("idx.tkpack")
        _ = try IDXPacking.pack(imagesPath: Fixtures.trainImages, labelsPath: Fixtures.trainLabels, outputPath: idx)
        #expect(try readWholeFile(dataset.path) == readWholeFile(idx))
    }

    @Test func unlabeledCSVIsOneClass() throws {
        let folder = try TemporaryFolder()
        let dataset = try pack(csv(0..<5, labeled: false), in: folder)
        #expect(dataset.count == 5)
        #expect(dataset.classNames == ["unlabeled"])
        #expect(Array(dataset.pixels(4)) == FixtureDigits.pixels(4))
    }

    @Test func headerlessWindowsCSVWithBOM() throws {
        let folder = try TemporaryFolder()
        let dataset = try pack("\u{FEFF}" + csv(0..<4, header: false, lineEnding: "\r\n"), in: folder)
        #expect(dataset.count == 4)
        #expect(dataset.labels.map { Int(dataset.classNames[$0])! } == (0..<4).map { Int(FixtureDigits.labels.values[$0]) })
        #expect(Array(dataset.pixels(2)) == FixtureDigits.pixels(2))
    }

    @Test func labelsNotZeroBasedGiveNoPhantomClass() throws {
        let folder = try TemporaryFolder()
        var text = "label," + (0..<4).map { "pixel\($0)" }.joined(separator: ",") + "\n"
        text += "26,0,0,0,0\n1,1,1,1,1\n26,2,2,2,2\n"
        let dataset = try pack(text, in: folder)
        #expect(dataset.classNames == ["1", "26"])
        #expect(dataset.labels == [1, 0, 1])
    }

    @Test func badValueNamesLineAndField() throws {
        let folder = try TemporaryFolder()
        var text = csv(0..<3)
        text = text.replacingOccurrences(of: "\n" + String(FixtureDigits.labels.values[1]) + ",0,", with: "\n" + String(FixtureDigits.labels.values[1]) + ",0.5,")
        let input = folder.file("bad.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let error = #expect(throws: TripletKitError.self) {
            try CSVPacking.pack(path: input, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("line 3, field 'pixel0'") == true)
        #expect(error?.message.contains("found '0.5'") == true)
        #expect(folder.contents == ["bad.csv"])
    }

    @Test func shortRowNamesCounts() throws {
        let folder = try TemporaryFolder()
        var text = csv(0..<2)
        text.removeLast(8)  // a partial download cuts the last row
        let input = folder.file("cut.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let error = #expect(throws: TripletKitError.self) {
            try CSVPacking.pack(path: input, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("line 3: expected 785 fields") == true)
    }

    @Test func nonSquareColumnsRejected() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("odd.csv")
        try Data("label,a,b,c\n1,2,3,4\n".utf8).write(to: URL(fileURLWithPath: input))
        let error = #expect(throws: TripletKitError.self) {
            try CSVPacking.pack(path: input, outputPath: folder.file("o.tkpack"), options: ImagePackingOptions())
        }
        #expect(error?.message.contains("do not form a square image") == true)
    }
}
