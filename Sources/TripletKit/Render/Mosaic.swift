// The triplet mosaic that triplet-sample draws: one row per (anchor, positive, negative)
// triplet, each image enlarged and labelled with its class name, under the column
// headers "anchor", "positive" and "negative".

/// Settings of a triplet mosaic.
public struct TripletMosaicOptions: Sendable {
    /// Each image pixel becomes an imageScale × imageScale block (nearest neighbour).
    public var imageScale = 3
    /// Font scale of the headers and labels: each font pixel becomes a textScale block.
    public var textScale = 2

    public init() {}
}

public enum TripletMosaic {
    public static let columnNames = ["anchor", "positive", "negative"]
    /// Mosaics with more pixels than this are rejected before allocation. At 3 bytes per
    /// pixel the limit is 768 MiB.
    public static let maxPixels = 1 << 28
    public static let maxImageScale = 64
    public static let maxTextScale = 16

    /// Draws `triplets` with images and class names from `dataset`. Throws when a sample
    /// id is outside the dataset, there are no triplets, or the mosaic would exceed
    /// `maxPixels`.
    public static func render(_ triplets: [Triplet], from dataset: PackedDataset,
                              options: TripletMosaicOptions = TripletMosaicOptions()) throws -> RasterImage {
        guard !triplets.isEmpty else {
            throw TripletKitError("no triplets to draw: the mosaic needs at least one")
        }
        // The upper bounds keep every size below in Int range (images are at most 65536 wide).
        guard (1...maxImageScale).contains(options.imageScale), (1...maxTextScale).contains(options.textScale) else {
            throw TripletKitError("mosaic scales are invalid: image scale \(options.imageScale) must be from 1 to \(maxImageScale) and text scale \(options.textScale) from 1 to \(maxTextScale)")
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
        let columnGap = 8 * textScale

        // Every column is as wide as the widest image, header or class name it may show.
        let usedNames = triplets.flatMap { [$0.anchor, $0.positive, $0.negative] }.map { className(of: $0, in: dataset) }
        let widestText = (columnNames + usedNames).map { font.width(of: $0, scale: textScale) }.max() ?? 0
        let rowNumberWidth = font.width(of: String(triplets.count), scale: textScale)

        let imageWidth = dataset.width * options.imageScale
        let imageHeight = dataset.height * options.imageScale
        let columnWidth = max(imageWidth, widestText)
        let headerHeight = padding + lineHeight + padding
        let rowHeight = imageHeight + labelGap + lineHeight + padding
        let width = padding + rowNumberWidth + 3 * (columnGap + columnWidth) + columnGap
        // Double, because the row count times the row height may overflow Int.
        guard Double(width) * (Double(headerHeight) + Double(rowHeight) * Double(triplets.count)) <= Double(maxPixels) else {
            throw TripletKitError("a mosaic of \(triplets.count) triplets of \(dataset.width)x\(dataset.height) images at scale \(options.imageScale) would be larger than \(maxPixels) pixels",
                                  hint: "draw fewer triplets or use a smaller image scale")
        }
        let height = headerHeight + rowHeight * triplets.count
        var canvas = Canvas(width: width, height: height)

        let columnX = (0..<3).map { padding + rowNumberWidth + columnGap + $0 * (columnWidth + columnGap) }
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
