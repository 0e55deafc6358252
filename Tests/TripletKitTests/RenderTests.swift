// Tests of the drawing code: PNG encoding, the bitmap font, axis ticks, and pixel-exact
// golden images of the triplet mosaic and the scatter plot.
//
// The golden PNGs live in Tests/TripletKitTests/Golden/. After an intended change to the
// drawing, re-record them with
//
//     RECORD_GOLDEN=1 swift test --filter RenderTests
//
// which writes the new PNGs into the source tree and then fails each golden test on
// purpose, so that a recording run never passes by accident. Run the tests again
// without RECORD_GOLDEN, look at the new images, and commit them.

import Foundation
import Testing
@testable import TripletKit

@Suite struct RenderTests {
    // MARK: - PNG

    @Test(arguments: RasterImage.PixelFormat.allCases)
    func pngRoundTrip(format: RasterImage.PixelFormat) throws {
        var generator = SplitMix64(seed: 11)
        let width = 37
        let height = 23
        let pixels = (0..<(width * height * format.channels)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let image = try RasterImage(width: width, height: height, format: format, pixels: pixels)

        let bytes = try PNG.encode(image)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let decoded = try PNG.decode(bytes)
        #expect(decoded == image)
    }

    @Test func pngEncodingIsDeterministic() throws {
        var canvas = Canvas(width: 64, height: 48)
        canvas.fillCircle(centerX: 20.3, centerY: 17.8, radius: 9.5, color: ClassPalette.color(forClass: 3))
        canvas.drawLine(fromX: 2, y: 40, toX: 60, y: 5, color: .black, width: 1.5)
        let first = try PNG.encode(canvas.image)
        let second = try PNG.encode(canvas.image)
        #expect(first == second)
    }

    @Test func pngDecodeConvertsGrayToRGB() throws {
        let gray = try RasterImage(width: 3, height: 1, format: .gray, pixels: [0, 128, 255])
        let decoded = try PNG.decode(PNG.encode(gray), as: .rgb)
        #expect(decoded.format == .rgb)
        #expect(decoded.pixels == [0, 0, 0, 128, 128, 128, 255, 255, 255])
    }

    @Test func pngDecodeRejectsGarbage() throws {
        let error = #expect(throws: TripletKitError.self) {
            try PNG.decode(Array("not a png at all".utf8), name: "garbage.png")
        }
        #expect(error?.message.contains("'garbage.png': not a readable PNG") == true)
    }

    @Test func pngDecodeRejectsTruncatedFile() throws {
        let image = RasterImage(width: 40, height: 40, format: .rgb, filledWith: 90)
        let bytes = try PNG.encode(image)
        #expect(throws: TripletKitError.self) {
            try PNG.decode(Array(bytes.prefix(bytes.count / 2)))
        }
    }

    @Test func rasterImageRejectsWrongPixelCount() {
        #expect(throws: TripletKitError.self) {
            try RasterImage(width: 4, height: 4, format: .rgb, pixels: [UInt8](repeating: 0, count: 47))
        }
    }

    // MARK: - Canvas and font

    @Test func fontHasEveryPrintableASCIIGlyph() {
        let font = BitmapFont.standard
        let questionMark = font.rows(for: "?")
        for scalar in 0x21...0x7E {
            let character = Character(Unicode.Scalar(UInt8(scalar)))
            let rows = font.rows(for: character)
            #expect(rows.count == font.ascent + font.descent, "glyph '\(character)' has \(rows.count) rows")
            #expect(rows.contains { $0 != 0 }, "glyph '\(character)' is blank")
            if character != "?" {
                #expect(rows != questionMark, "glyph '\(character)' falls back to '?'")
            }
        }
        #expect(font.rows(for: " ").allSatisfy { $0 == 0 })
        #expect(font.rows(for: "é") == questionMark)
    }

    @Test func fontGlyphsAreDistinct() {
        let font = BitmapFont.standard
        var seen: [[UInt8]: Character] = [:]
        for scalar in 0x21...0x7E {
            let character = Character(Unicode.Scalar(UInt8(scalar)))
            let rows = font.rows(for: character)
            #expect(seen[rows] == nil, "'\(character)' looks the same as '\(seen[rows] ?? " ")'")
            seen[rows] = character
        }
    }

    @Test func textWidthMatchesDrawnPixels() {
        let font = BitmapFont.standard
        #expect(font.width(of: "") == 0)
        #expect(font.width(of: "W") == 5)
        #expect(font.width(of: "epoch 3", scale: 2) == (7 * 6 - 1) * 2)

        var canvas = Canvas(width: 60, height: 30)
        canvas.drawText("HW", x: 3, y: 4, color: .black, scale: 2)
        var columns = Set<Int>()
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas.image.pixel(x: x, y: y).first == 0 {
                columns.insert(x)
            }
        }
        #expect(columns.min() == 3)
        #expect(columns.max() == 3 + font.width(of: "HW", scale: 2) - 1)
    }

    @Test func canvasClipsDrawing() {
        var canvas = Canvas(width: 10, height: 10)
        canvas.clip = PixelRect(x: 2, y: 2, width: 4, height: 4)
        canvas.fill(PixelRect(x: -5, y: -5, width: 100, height: 100), color: .black)
        canvas.fillCircle(centerX: -1e300, centerY: 1e300, radius: 3, color: .black)
        canvas.drawLine(fromX: -50, y: 5, toX: 50, y: 5, color: .black)
        var blackCount = 0
        for y in 0..<10 {
            for x in 0..<10 where canvas.image.pixel(x: x, y: y) == [0, 0, 0] {
                #expect((2..<6).contains(x), "pixel (\(x), \(y)) is outside the clip")
                #expect((2..<6).contains(y), "pixel (\(x), \(y)) is outside the clip")
                blackCount += 1
            }
        }
        #expect(blackCount == 16)
    }

    @Test func horizontalLineCoversOneRow() {
        var canvas = Canvas(width: 20, height: 5)
        canvas.drawLine(fromX: 2, y: 2.5, toX: 17, y: 2.5, color: .black)
        #expect(canvas.image.pixel(x: 10, y: 2) == [0, 0, 0])
        #expect(canvas.image.pixel(x: 10, y: 1) == [255, 255, 255])
        #expect(canvas.image.pixel(x: 10, y: 3) == [255, 255, 255])
    }

    // MARK: - Axes

    @Test func ticksUseNiceSteps() {
        let ticks = AxisTicks(min: -4.8, max: 4.6, minimumStep: 1.3)
        #expect(ticks.step == 2)
        #expect(ticks.labels == ["-4", "-2", "0", "2", "4"])
        #expect(ticks.values == [-4, -2, 0, 2, 4])

        let fine = AxisTicks(min: 0.25, max: 0.71, minimumStep: 0.07)
        #expect(fine.step == 0.1)
        #expect(fine.labels == ["0.3", "0.4", "0.5", "0.6", "0.7"])

        let coarse = AxisTicks(min: -1234, max: 5678, minimumStep: 1500)
        #expect(coarse.step == 2000)
        #expect(coarse.labels == ["0", "2000", "4000"])

        let half = AxisTicks(min: -1.2, max: 1.2, minimumStep: 0.3)
        #expect(half.labels == ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
    }

    @Test func commonLimitsCoverEverySet() throws {
        let first = EmbeddingSet(epoch: 1, classNames: ["a", "b"], dimension: 2, labels: [0, 1], values: [0, 0, 1, 2])
        let second = EmbeddingSet(epoch: 2, classNames: ["a", "b"], dimension: 2, labels: [0, 1], values: [-1, 4, 3, -2])
        let limits = try AxisLimits.common(for: [first, second], margin: 0.1)
        #expect(limits == AxisLimits(xMin: -1.4, xMax: 3.4, yMin: -2.6, yMax: 4.6))
    }

    @Test func commonLimitsOfSinglePointAreWidened() throws {
        let set = EmbeddingSet(epoch: 0, classNames: ["a"], dimension: 2, labels: [0], values: [5, -3])
        let limits = try AxisLimits.common(for: [set])
        #expect(limits == AxisLimits(xMin: 4, xMax: 6, yMin: -4, yMax: -2))

        let far = EmbeddingSet(epoch: 0, classNames: ["a"], dimension: 2, labels: [0], values: [1e20, 0])
        let farLimits = try AxisLimits.common(for: [far])
        let farValue = Double(Float(1e20))
        #expect(farLimits.xMin == farValue - farValue / 10)
        #expect(farLimits.xMax == farValue + farValue / 10)
        #expect(throws: Never.self) { try farLimits.validate() }
    }

    @Test func equalScaleWidensTheNarrowAxis() {
        let limits = AxisLimits(xMin: 0, xMax: 10, yMin: 0, yMax: 2).withEqualScale(width: 100, height: 50)
        #expect(limits == AxisLimits(xMin: 0, xMax: 10, yMin: -1.5, yMax: 3.5))
    }

    @Test func scatterRejectsOneDimension() {
        let set = EmbeddingSet(epoch: 1, classNames: ["a"], dimension: 1, labels: [0], values: [0.5])
        let limits = AxisLimits(xMin: -1, xMax: 1, yMin: -1, yMax: 1)
        #expect(throws: TripletKitError.self) { try ScatterPlot.render(set, limits: limits) }
        #expect(throws: TripletKitError.self) { try AxisLimits.common(for: [set]) }
    }

    @Test func scatterTitleNamesEpochAndDimensions() {
        let flat = EmbeddingSet(epoch: 3, classNames: ["a"], dimension: 2, labels: [], values: [])
        let deep = EmbeddingSet(epoch: 12, classNames: ["a"], dimension: 8, labels: [], values: [])
        #expect(ScatterPlot.title(for: flat) == "Test embeddings, epoch 3")
        #expect(ScatterPlot.title(for: deep) == "Test embeddings, epoch 12 (e0, e1 of 8 dimensions)")
        #expect(ScatterPlot.title(for: flat, template: "Run A {epoch}/20") == "Run A 3/20")
    }

    @Test func scatterMakesRoomForWideTickLabels() throws {
        let set = EmbeddingSet(epoch: 1, classNames: ["a", "b"], dimension: 2, labels: [0, 1],
                               values: [0.5, -1_234_567, -0.25, 2_345_678])
        let limits = try AxisLimits.common(for: [set])
        var options = ScatterPlotOptions()
        options.equalScale = false
        let image = try ScatterPlot.render(set, limits: limits, options: options)
        // The layout keeps a blank padding column left of the longest tick label.
        for y in 0..<image.height {
            #expect(image.pixel(x: 0, y: y) == [255, 255, 255], "pixel (0, \(y)) is not background")
        }
    }

    // MARK: - Golden images

    @Test func goldenMosaicGray() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try makeSyntheticDataset(in: folder, channels: 1)
        let sampler = try RandomTripletSampler(classMembers: dataset.classMembers)
        var generator = SplitMix64(seed: 42)
        let triplets = sampler.sample(count: 4, using: &generator)
        let image = try TripletMosaic.render(triplets, from: dataset)
        try expectMatchesGolden(image, named: "mosaic-gray")
    }

    @Test func goldenMosaicRGB() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try makeSyntheticDataset(in: folder, channels: 3)
        let sampler = try RandomTripletSampler(classMembers: dataset.classMembers, negativeRule: .nextClass)
        var generator = SplitMix64(seed: 5)
        let triplets = sampler.sample(count: 3, using: &generator)
        var options = TripletMosaicOptions()
        options.imageScale = 4
        let image = try TripletMosaic.render(triplets, from: dataset, options: options)
        try expectMatchesGolden(image, named: "mosaic-rgb")
    }

    @Test func goldenScatter() throws {
        let set = makeSyntheticEmbeddings()
        let limits = try AxisLimits.common(for: [set])
        let image = try ScatterPlot.render(set, limits: limits)
        try expectMatchesGolden(image, named: "scatter")
    }

    @Test func mosaicRejectsUnknownSample() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try makeSyntheticDataset(in: folder, channels: 1)
        let error = #expect(throws: TripletKitError.self) {
            try TripletMosaic.render([Triplet(anchor: 0, positive: 4, negative: 24)], from: dataset)
        }
        #expect(error?.message.contains("refers to sample 24") == true)
    }
}

// MARK: - Helpers

/// Writes and opens a packed dataset of synthetic images: class 0 a ring, 1 a vertical
/// bar, 2 a cross, 3 a filled square, each shifted and shaded by its index within the
/// class. With three channels each class also gets its own hue.
private func makeSyntheticDataset(in folder: URL, channels: Int) throws -> PackedDataset {
    let size = 12
    let classNames = ["ring", "bar", "cross", "block"]
    let path = folder.appendingPathComponent("synthetic-\(channels).tkpack").path
    let writer = try PackedDatasetWriter(path: path, height: size, width: size, channels: channels, classNames: classNames)
    for index in 0..<24 {
        let label = index % classNames.count
        let variant = index / classNames.count
        let shift = variant % 3 - 1
        let level = 140 + variant * 20
        var pixels = [UInt8](repeating: 0, count: size * size * channels)
        for y in 0..<size {
            for x in 0..<size {
                let dx = x - size / 2 - shift
                let dy = y - size / 2
                let inside: Bool
                switch label {
                case 0: inside = (9...20).contains(dx * dx + dy * dy)
                case 1: inside = abs(dx) <= 1 && abs(dy) <= 4
                case 2: inside = abs(dx - dy) <= 1 || abs(dx + dy) <= 1
                default: inside = abs(dx) <= 3 && abs(dy) <= 3
                }
                guard inside else { continue }
                for channel in 0..<channels {
                    let tint = channels == 3 && channel == label % 3 ? 0 : 60
                    pixels[(y * size + x) * channels + channel] = UInt8(level - tint)
                }
            }
        }
        try pixels.withUnsafeBytes { try writer.append(pixels: $0, label: label) }
    }
    try writer.finish()
    return try PackedDataset(path: path)
}

/// Returns 1,500 points in 12 Gaussian clusters of 3 dimensions, so the plot shows the palette
/// beyond ten classes and the title's note about extra dimensions.
private func makeSyntheticEmbeddings() -> EmbeddingSet {
    var generator = SplitMix64(seed: 2024)
    let classNames = (0..<12).map { "class \($0)" }
    var labels: [Int] = []
    var values: [Float] = []
    for row in 0..<1500 {
        let label = row % classNames.count
        // Cluster centres on a 4 × 3 grid, stretched so that equal scale has work to do.
        let centerX = Float(label % 4) * 3 - 4.5
        let centerY = Float(label / 4) * 1.5 - 1.5
        labels.append(label)
        values.append(centerX + 0.5 * bellShapedNoise(&generator))
        values.append(centerY + 0.3 * bellShapedNoise(&generator))
        values.append(generator.nextUnitFloat())
    }
    return EmbeddingSet(epoch: 7, classNames: classNames, dimension: 3, labels: labels, values: values)
}

/// Returns a sum of four uniform samples, centred: bell-shaped with variance 1/3. It
/// uses additions only, unlike nextGaussian's log and cos, whose last bits may differ
/// between C libraries and would move points in the golden image.
private func bellShapedNoise(_ generator: inout SplitMix64) -> Float {
    var sum: Float = -2
    for _ in 0..<4 { sum += generator.nextUnitFloat() }
    return sum
}

private func makeTemporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("render-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Compares `image` pixel by pixel with Golden/<name>.png, or rewrites that file in the
/// source tree when RECORD_GOLDEN=1 (and then fails, see the top of this file).
private func expectMatchesGolden(_ image: RasterImage, named name: String,
                         sourceFile: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        let path = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
            .appendingPathComponent("Golden").appendingPathComponent("\(name).png").path
        try PNG.write(image, to: path)
        Issue.record("recorded \(path); run the tests again without RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }

    guard let url = Bundle.module.url(forResource: name, withExtension: "png", subdirectory: "Golden") else {
        Issue.record("golden image Golden/\(name).png not found; record it with RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    let expected = try PNG.read(path: url.path, as: image.format)
    guard expected.width == image.width, expected.height == image.height else {
        Issue.record("image is \(image.width)x\(image.height), golden \(name).png is \(expected.width)x\(expected.height)",
                     sourceLocation: sourceLocation)
        return
    }

    var differing = 0
    var first: (x: Int, y: Int)?
    for y in 0..<image.height {
        for x in 0..<image.width where image.pixel(x: x, y: y) != expected.pixel(x: x, y: y) {
            differing += 1
            if first == nil { first = (x, y) }
        }
    }
    if let first {
        // Keep the actual image next to the test run so that it can be compared by eye.
        let actualPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-actual.png").path
        try PNG.write(image, to: actualPath)
        Issue.record("""
            \(differing) of \(image.width * image.height) pixels differ from golden \(name).png; first at \
            (\(first.x), \(first.y)): got \(Array(image.pixel(x: first.x, y: first.y))), \
            expected \(Array(expected.pixel(x: first.x, y: first.y))); actual image written to \(actualPath)
            """, sourceLocation: sourceLocation)
    }
}
