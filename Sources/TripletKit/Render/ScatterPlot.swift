// The scatter plot of test embeddings that triplet-plot draws for each epoch: one point
// per image at its first two embedding coordinates, coloured by class, with axes, tick
// labels, a title and a legend of the class names.

/// Settings of a scatter plot. The defaults give the standard 800 × 800 plot.
public struct ScatterPlotOptions: Sendable {
    public var width = 800
    public var height = 800
    /// Title template, in which "{epoch}" is replaced by the set's epoch number.
    public var title = ScatterPlot.defaultTitle
    /// Point radius in pixels. Points are anti-aliased discs.
    public var pointRadius = 1.5
    /// Widens one axis so that a unit has the same length on both, which keeps the
    /// distances that the triplet loss learns undistorted.
    public var equalScale = true
    /// Font scale for labels and the legend, with the title one step larger. Nil picks
    /// 1 per 400 pixels of the shorter side.
    public var textScale: Int?

    public init() {}
}

public enum ScatterPlot {
    public static let defaultTitle = "Test embeddings, epoch {epoch}"
    /// Smallest accepted width and height, which leaves a usable plot area at text scale 1.
    public static let minimumSize = 200

    /// Seed of the fixed drawing order. Shuffling the rows keeps one class from always
    /// covering the others, and a fixed seed draws row i at the same turn in every epoch.
    static let drawingOrderSeed: UInt64 = 0x5CA7_7E12_0000_0001

    /// Returns the title for `set`: the template with "{epoch}" replaced, plus a note when only
    /// the first two of more dimensions are shown.
    public static func title(for set: EmbeddingSet, template: String = defaultTitle) -> String {
        var text = template.replacingOccurrences(of: "{epoch}", with: String(set.epoch))
        if set.dimension > 2 {
            text += " (e0, e1 of \(set.dimension) dimensions)"
        }
        return text
    }

    /// Draws `set` within `limits`, leaving out points outside them. Throws when
    /// the set has fewer than two dimensions, a class id has no name, or the size or the
    /// limits are invalid.
    public static func render(_ set: EmbeddingSet, limits: AxisLimits,
                              options: ScatterPlotOptions = ScatterPlotOptions()) throws -> RasterImage {
        guard set.dimension >= 2 else {
            throw TripletKitError("embeddings of epoch \(set.epoch) have dimension \(set.dimension), but a scatter plot needs at least 2 dimensions")
        }
        guard options.width >= minimumSize, options.height >= minimumSize else {
            throw TripletKitError("plot size \(options.width)x\(options.height) is too small: width and height must be at least \(minimumSize) pixels")
        }
        guard options.pointRadius > 0, options.pointRadius.isFinite else {
            throw TripletKitError("point radius \(options.pointRadius) is invalid: it must be a positive number of pixels")
        }
        if let label = set.labels.first(where: { $0 < 0 || $0 >= set.classNames.count }) {
            throw TripletKitError("class id \(label) has no name: the embeddings list \(set.classNames.count) classes")
        }
        try limits.validate()

        let scale = max(1, options.textScale ?? min(options.width, options.height) / 400)
        var canvas = Canvas(width: options.width, height: options.height)

        // The y tick labels depend on the plot height, and the left margin that contains them
        // sets the plot width, so the layout starts from a guess and is redone when a label
        // is wider than the guess.
        let guessedLabelWidth = BitmapFont.standard.width(of: "-0.0005", scale: scale)
        var layout = try ScatterLayout(set: set, options: options, textScale: scale, yLabelWidth: guessedLabelWidth)
        var shownLimits = displayedLimits(limits, options: options, plot: layout.plot)
        let labelWidth = widestYLabel(limits: shownLimits, layout: layout)
        if labelWidth > guessedLabelWidth {
            layout = try ScatterLayout(set: set, options: options, textScale: scale, yLabelWidth: labelWidth)
            shownLimits = displayedLimits(limits, options: options, plot: layout.plot)
        }

        drawTitle(title(for: set, template: options.title), on: &canvas, layout: layout)
        drawAxes(on: &canvas, limits: shownLimits, layout: layout)
        drawPoints(of: set, on: &canvas, limits: shownLimits, plot: layout.plot, radius: options.pointRadius)
        canvas.strokeRect(layout.plot, color: .darkGray)
        drawLegend(classNames: set.classNames, on: &canvas, layout: layout)
        return canvas.image
    }

    private static func displayedLimits(_ limits: AxisLimits, options: ScatterPlotOptions,
                                        plot: PixelRect) -> AxisLimits {
        options.equalScale ? limits.withEqualScale(width: plot.width, height: plot.height) : limits
    }

    private static func widestYLabel(limits: AxisLimits, layout: ScatterLayout) -> Int {
        let yTicks = ticks(min: limits.yMin, max: limits.yMax, pixels: layout.plot.height, scale: layout.textScale,
                           vertical: true)
        return yTicks.labels.map { BitmapFont.standard.width(of: $0, scale: layout.textScale) }.max() ?? 0
    }

    private static func drawTitle(_ text: String, on canvas: inout Canvas, layout: ScatterLayout) {
        // The largest scale up to one above the label scale at which the title fits.
        let font = BitmapFont.standard
        var titleScale = layout.textScale + 1
        while titleScale > 1 && font.width(of: text, scale: titleScale) > canvas.width - 2 * layout.padding {
            titleScale -= 1
        }
        canvas.drawText(text, x: canvas.width / 2, y: layout.padding, color: .black, scale: titleScale,
                        alignment: .center)
    }

    private static func drawAxes(on canvas: inout Canvas, limits: AxisLimits, layout: ScatterLayout) {
        let plot = layout.plot
        let scale = layout.textScale
        let font = BitmapFont.standard
        let tickLength = 4 * scale
        let labelGap = 3 * scale

        let xTicks = ticks(min: limits.xMin, max: limits.xMax, pixels: plot.width, scale: scale, vertical: false)
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let x = plot.x + Int(((value - limits.xMin) / limits.xSpan * Double(plot.width)).rounded(.down))
            guard x >= plot.x && x < plot.maxX else { continue }
            canvas.fill(PixelRect(x: x, y: plot.y + 1, width: 1, height: plot.height - 2), color: .lightGray)
            canvas.fill(PixelRect(x: x, y: plot.maxY, width: 1, height: tickLength), color: .darkGray)
            canvas.drawText(label, x: x + 1, y: plot.maxY + tickLength + labelGap, color: .black, scale: scale,
                            alignment: .center)
        }

        let yTicks = ticks(min: limits.yMin, max: limits.yMax, pixels: plot.height, scale: scale, vertical: true)
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            // Data y grows upwards, pixel rows grow downwards.
            let y = plot.maxY - 1 - Int(((value - limits.yMin) / limits.ySpan * Double(plot.height)).rounded(.down))
            guard y >= plot.y && y < plot.maxY else { continue }
            canvas.fill(PixelRect(x: plot.x + 1, y: y, width: plot.width - 2, height: 1), color: .lightGray)
            canvas.fill(PixelRect(x: plot.x - tickLength, y: y, width: tickLength, height: 1), color: .darkGray)
            canvas.drawText(label, x: plot.x - tickLength - labelGap, y: y - font.ascent * scale / 2,
                            color: .black, scale: scale, alignment: .right)
        }

        // Axis names match the column headers of the embeddings file.
        canvas.drawText("e0", x: plot.x + plot.width / 2, y: layout.xAxisNameY, color: .darkGray, scale: scale,
                        alignment: .center)
        canvas.drawText("e1", x: plot.x - tickLength - labelGap, y: plot.y - font.lineHeight(scale: scale) - labelGap,
                        color: .darkGray, scale: scale, alignment: .right)
    }

    /// Ticks at least 32 × scale pixels apart, with a coarser step while labels would touch.
    private static func ticks(min lower: Double, max upper: Double, pixels: Int, scale: Int,
                              vertical: Bool) -> AxisTicks {
        let font = BitmapFont.standard
        let unitsPerPixel = (upper - lower) / Double(pixels)
        var ticks = AxisTicks(min: lower, max: upper, minimumStep: unitsPerPixel * Double(32 * scale))
        for _ in 0..<8 {
            let labelSize = vertical
                ? font.lineHeight(scale: scale)
                : ticks.labels.map { font.width(of: $0, scale: scale) }.max() ?? 0
            let gap = 4 * font.advance * scale / 2
            if ticks.step / unitsPerPixel >= Double(labelSize + gap) { break }
            ticks = AxisTicks(min: lower, max: upper, minimumStep: ticks.step * 1.5)
        }
        return ticks
    }

    private static func drawPoints(of set: EmbeddingSet, on canvas: inout Canvas, limits: AxisLimits,
                                   plot: PixelRect, radius: Double) {
        var order = Array(0..<set.count)
        var generator = SplitMix64(seed: drawingOrderSeed)
        generator.shuffle(&order)

        let savedClip = canvas.clip
        canvas.clip = plot
        for row in order {
            let x = Double(set.values[row * set.dimension])
            let y = Double(set.values[row * set.dimension + 1])
            guard x >= limits.xMin, x <= limits.xMax, y >= limits.yMin, y <= limits.yMax else { continue }
            let pixelX = Double(plot.x) + (x - limits.xMin) / limits.xSpan * Double(plot.width)
            let pixelY = Double(plot.maxY) - (y - limits.yMin) / limits.ySpan * Double(plot.height)
            canvas.fillCircle(centerX: pixelX, centerY: pixelY, radius: radius,
                              color: ClassPalette.color(forClass: set.labels[row]))
        }
        canvas.clip = savedClip
    }

    private static func drawLegend(classNames: [String], on canvas: inout Canvas, layout: ScatterLayout) {
        let scale = layout.textScale
        let font = BitmapFont.standard
        let box = layout.legend
        guard !box.isEmpty else { return }
        canvas.fill(box, color: .white)
        canvas.strokeRect(box, color: .mediumGray)

        let entryHeight = layout.legendEntryHeight
        let inset = layout.legendInset
        let capacity = (box.height - 2 * inset) / entryHeight
        // When the names do not all fit, the last row shows how many are missing.
        let shownCount = classNames.count <= capacity ? classNames.count : max(0, capacity - 1)
        for (classID, name) in classNames.prefix(shownCount).enumerated() {
            let top = box.y + inset + classID * entryHeight
            let swatchSize = font.ascent * scale
            let swatch = Double(swatchSize) / 2
            canvas.fillCircle(centerX: Double(box.x + inset) + swatch, centerY: Double(top) + swatch,
                              radius: swatch, color: ClassPalette.color(forClass: classID))
            canvas.drawText(name, x: box.x + inset + swatchSize + font.advance * scale, y: top, color: .black,
                            scale: scale)
        }
        if shownCount < classNames.count {
            canvas.drawText("+\(classNames.count - shownCount) more", x: box.x + inset,
                            y: box.y + inset + shownCount * entryHeight, color: .darkGray, scale: scale)
        }
    }
}

/// The pixel positions of the parts of a scatter plot.
struct ScatterLayout {
    let textScale: Int
    let padding: Int
    let plot: PixelRect
    let legend: PixelRect
    let legendInset: Int
    let legendEntryHeight: Int
    let xAxisNameY: Int

    /// Lays out a plot whose y tick labels are at most `yLabelWidth` pixels wide.
    init(set: EmbeddingSet, options: ScatterPlotOptions, textScale scale: Int, yLabelWidth: Int) throws {
        let font = BitmapFont.standard
        let lineHeight = font.lineHeight(scale: scale)
        textScale = scale
        padding = 8 * scale

        // The legend is a column right of the plot, as wide as the longest class name.
        legendInset = 4 * scale
        legendEntryHeight = lineHeight + 3 * scale
        let widestName = set.classNames.map { font.width(of: $0, scale: scale) }.max() ?? 0
        let legendWidth = legendInset * 2 + font.ascent * scale + font.advance * scale + widestName

        let left = padding + yLabelWidth + 7 * scale
        let top = padding + font.lineHeight(scale: scale + 1) + padding + lineHeight + 3 * scale
        let bottom = 4 * scale + 3 * scale + lineHeight + 4 * scale + lineHeight + padding
        let right = padding + legendWidth + padding
        let plotWidth = options.width - left - right
        let plotHeight = options.height - top - bottom
        guard plotWidth >= 50, plotHeight >= 50 else {
            throw TripletKitError("plot size \(options.width)x\(options.height) leaves a \(plotWidth)x\(plotHeight)-pixel plot area for \(set.classNames.count) class names",
                                  hint: "use a larger --width and --height, or shorter class names")
        }
        plot = PixelRect(x: left, y: top, width: plotWidth, height: plotHeight)
        xAxisNameY = plot.maxY + 4 * scale + 3 * scale + lineHeight + 4 * scale

        let legendHeight = min(plotHeight, 2 * legendInset + max(1, set.classNames.count) * legendEntryHeight)
        legend = set.classNames.isEmpty
            ? PixelRect(x: 0, y: 0, width: 0, height: 0)
            : PixelRect(x: plot.maxX + padding, y: plot.y, width: legendWidth, height: legendHeight)
    }
}
