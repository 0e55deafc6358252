// The triplet mosaic that triplet-sample draws: one row per (anchor, positive, negative)
// triplet, each image enlarged and labelled with its class name, under the column
// headers "anchor", "positive" and "negative".

/// Settings of a triplet mosaic.
public struct TripletMosaicOptions: Sendable {
    /// Each image pixel becomes an imageScale × imageScale block (nearest neighbour).
    public var imageScale = 3
    /// Font scale of the headers and labels; each font pixel becomes a textScale block.
    public var textScale = 2

    public init() {}
}

public enum TripletMosaic {
    public static let columnNames = ["anchor", "positive", "negative"]
    /// Mosaics with more pixels than this are rejected before allocation; at 3 bytes per
    /// pixel it is 768 MiB.
    public static let maxPixels = 1 << 28

    /// Draws `triplets` with images and class names from `dataset`. Throws when a sample
    /// id is outside the dataset, there are no triplets, or the mosaic would exceed
    /// `maxPixels`.
    public static func render(_ triplets: [Triplet], from dataset: PackedDataset,
                              options: TripletMosaicOptions = TripletMosaicOptions()) throws -> RasterImage {
        guard !triplets.isEmpty else {
            throw TripletKitError("no triplets to draw: the mosaic needs at least one")
        }
        guard options.imageScale >= 1, options.textScale >= 1 else {
            throw TripletKitError("mosaic scales are invalid: image scale \(options.imageScale) and text scale \(options.textScale) must both be at least 1")
        }
        for (row, triplet) in triplets.enumerated() {
            for id in [triplet.anchor, triplet.positive, triplet.negative] where id < 0 || id >= dataset.count {
                throw TripletKitError("triplet \(row + 1) refers to sample \(id), but '\(dataset.path)' has \(dataset.count) samples")
            }
        }

        let font = BitmapFont.standard
        let textScale = options.textScale
        let lineHeight = font.lineHeight(scale: textScale)
        let padding = 4 * textScale
        let labelGap = 2 * textScale

        // Every column is as wide as the widest image, header or class name it may show.
        let usedNames = triplets.flatMap { [$0.anchor, $0.positive, $0.negative] }.map { className(of: $0, in: dataset) }
        let widestText = (columnNames + usedNames).map { font.width(of: $0, scale: textScale) }.max() ?? 0
        let rowNumberWidth = font.width(of: String(triplets.count), scale: textScale)

        // The size check runs in Double so that huge scales cannot overflow Int first.
        let estimatedWidth = Double(dataset.width * 3 + 64) * Double(options.imageScale) + Double(widestText * 3 + rowNumberWidth)
        let estimatedHeight = (Double(dataset.height) * Double(options.imageScale) + Double(4 * lineHeight)) * Double(triplets.count + 1)
        guard estimatedWidth * estimatedHeight <= Double(maxPixels) else {
            throw TripletKitError("a mosaic of \(triplets.count) triplets of \(dataset.width)x\(dataset.height) images at scale \(options.imageScale) would be larger than \(maxPixels) pixels",
                                  hint: "draw fewer triplets or use a smaller image scale")
        }
        let imageWidth = dataset.width * options.imageScale
        let imageHeight = dataset.height * options.imageScale
        let columnWidth = max(imageWidth, widestText)
        let headerHeight = padding + lineHeight + padding
        let rowHeight = imageHeight + labelGap + lineHeight + padding
        let width = padding + rowNumberWidth + 3 * (padding + columnWidth) + padding
        let height = headerHeight + rowHeight * triplets.count
        var canvas = Canvas(width: width, height: height)

        let columnX = (0..<3).map { padding + rowNumberWidth + padding + $0 * (columnWidth + padding) }
        for (column, name) in columnNames.enumerated() {
            canvas.drawText(name, x: columnX[column] + columnWidth / 2, y: padding, color: .black, scale: textScale,
                            alignment: .center)
        }
        canvas.fill(PixelRect(x: padding, y: headerHeight - padding / 2, width: width - 2 * padding, height: 1),
                    color: .mediumGray)

        for (row, triplet) in triplets.enumerated() {
            let top = headerHeight + row * rowHeight
            canvas.drawText(String(row + 1), x: padding + rowNumberWidth,
                            y: top + (imageHeight - font.ascent * textScale) / 2, color: .darkGray,
                            scale: textScale, alignment: .right)
            for (column, id) in [triplet.anchor, triplet.positive, triplet.negative].enumerated() {
                let image = try sampleImage(id, in: dataset)
                let imageX = columnX[column] + (columnWidth - imageWidth) / 2
                canvas.drawImage(image, x: imageX, y: top, scale: options.imageScale)
                canvas.drawText(className(of: id, in: dataset), x: columnX[column] + columnWidth / 2,
                                y: top + imageHeight + labelGap, color: .black, scale: textScale,
                                alignment: .center)
            }
        }
        return canvas.image
    }

    private static func className(of id: Int, in dataset: PackedDataset) -> String {
        let label = dataset.label(id)
        return label < dataset.classNames.count ? dataset.classNames[label] : "class \(label)"
    }

    private static func sampleImage(_ id: Int, in dataset: PackedDataset) throws -> RasterImage {
        let format: RasterImage.PixelFormat = dataset.channels == 3 ? .rgb : .gray
        return try RasterImage(width: dataset.width, height: dataset.height, format: format,
                               pixels: Array(dataset.pixels(id)))
    }
}
