// An RGB drawing surface with the few primitives the plots need. Pixel (x, y) covers
// the square [x, x+1) × [y, y+1), so its centre is at (x + 0.5, y + 0.5); y grows
// downwards. Anti-aliased shapes use the distance from each pixel centre to the shape,
// computed with +, *, / and sqrt only: IEEE 754 rounds those exactly, so the output is
// the same on every platform.

/// A rectangle of whole pixels.
public struct PixelRect: Equatable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// Returns the part of this rectangle inside `other`, possibly empty.
    public func intersection(_ other: PixelRect) -> PixelRect {
        let left = max(x, other.x)
        let top = max(y, other.y)
        let right = min(maxX, other.maxX)
        let bottom = min(maxY, other.maxY)
        return PixelRect(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }
}

/// An RGB image being drawn. Every primitive is clipped to `clip`.
public struct Canvas: Sendable {
    public private(set) var image: RasterImage
    /// Drawing outside this rectangle is discarded. Setting it keeps only the part inside the image.
    public var clip: PixelRect {
        didSet { clip = clip.intersection(bounds) }
    }

    public init(width: Int, height: Int, background: RGBColor = .white) {
        image = RasterImage(width: width, height: height, format: .rgb)
        clip = PixelRect(x: 0, y: 0, width: width, height: height)
        fill(PixelRect(x: 0, y: 0, width: width, height: height), color: background)
    }

    public var width: Int { image.width }
    public var height: Int { image.height }
    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    /// Sets one pixel, unless it lies outside the clip rectangle.
    public mutating func setPixel(x: Int, y: Int, color: RGBColor) {
        blendPixel(x: x, y: y, color: color, alpha: 255)
    }

    /// Mixes `color` into one pixel with weight alpha/255, rounding to the nearest level.
    public mutating func blendPixel(x: Int, y: Int, color: RGBColor, alpha: Int) {
        guard alpha > 0, x >= clip.x, x < clip.maxX, y >= clip.y, y < clip.maxY else { return }
        let offset = (y * width + x) * 3
        if alpha >= 255 {
            image.pixels[offset] = color.red
            image.pixels[offset + 1] = color.green
            image.pixels[offset + 2] = color.blue
            return
        }
        image.pixels[offset] = Self.mix(image.pixels[offset], color.red, alpha)
        image.pixels[offset + 1] = Self.mix(image.pixels[offset + 1], color.green, alpha)
        image.pixels[offset + 2] = Self.mix(image.pixels[offset + 2], color.blue, alpha)
    }

    private static func mix(_ old: UInt8, _ new: UInt8, _ alpha: Int) -> UInt8 {
        UInt8((Int(old) * (255 - alpha) + Int(new) * alpha + 127) / 255)
    }

    /// Blends with a coverage in [0, 1], as computed by the anti-aliased shapes.
    private mutating func blendPixel(x: Int, y: Int, color: RGBColor, coverage: Double) {
        guard coverage > 0 else { return }
        let alpha = coverage >= 1 ? 255 : Int((coverage * 255).rounded())
        blendPixel(x: x, y: y, color: color, alpha: alpha)
    }

    public mutating func fill(_ rect: PixelRect, color: RGBColor) {
        let area = rect.intersection(clip)
        guard !area.isEmpty else { return }
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX {
                setPixel(x: x, y: y, color: color)
            }
        }
    }

    /// Draws the outline of `rect` with `lineWidth` pixels inside its edges.
    public mutating func strokeRect(_ rect: PixelRect, color: RGBColor, lineWidth: Int = 1) {
        let thickness = min(lineWidth, rect.width, rect.height)
        guard thickness > 0 else { return }
        fill(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: thickness), color: color)
        fill(PixelRect(x: rect.x, y: rect.maxY - thickness, width: rect.width, height: thickness), color: color)
        fill(PixelRect(x: rect.x, y: rect.y, width: thickness, height: rect.height), color: color)
        fill(PixelRect(x: rect.maxX - thickness, y: rect.y, width: thickness, height: rect.height), color: color)
    }

    /// Draws an anti-aliased segment with round ends. Coordinates are in pixels, and a
    /// 1-pixel line through pixel centres (y = row + 0.5) covers exactly one row.
    public mutating func drawLine(fromX x0: Double, y y0: Double, toX x1: Double, y y1: Double,
                                  color: RGBColor, width lineWidth: Double = 1) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite, lineWidth > 0 else { return }
        let reach = lineWidth / 2 + 0.5
        let dx = x1 - x0
        let dy = y1 - y0
        let lengthSquared = dx * dx + dy * dy
        guard let area = pixelArea(minX: min(x0, x1) - reach, minY: min(y0, y1) - reach,
                                   maxX: max(x0, x1) + reach, maxY: max(y0, y1) + reach) else { return }
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX {
                let px = Double(x) + 0.5
                let py = Double(y) + 0.5
                // Project the pixel centre onto the segment, clamped to its ends.
                var t = lengthSquared > 0 ? ((px - x0) * dx + (py - y0) * dy) / lengthSquared : 0
                t = min(max(t, 0), 1)
                let ex = px - (x0 + t * dx)
                let ey = py - (y0 + t * dy)
                let distance = (ex * ex + ey * ey).squareRoot()
                blendPixel(x: x, y: y, color: color, coverage: min(max(reach - distance, 0), 1))
            }
        }
    }

    /// Fills a disc centred at (centerX, centerY) in pixel coordinates. With
    /// anti-aliasing, edge pixels get a coverage that falls linearly over one pixel.
    public mutating func fillCircle(centerX: Double, centerY: Double, radius: Double,
                                    color: RGBColor, antialiased: Bool = true) {
        guard centerX.isFinite, centerY.isFinite, radius > 0 else { return }
        let reach = radius + 0.5
        guard let area = pixelArea(minX: centerX - reach, minY: centerY - reach,
                                   maxX: centerX + reach, maxY: centerY + reach) else { return }
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX {
                let dx = Double(x) + 0.5 - centerX
                let dy = Double(y) + 0.5 - centerY
                let distance = (dx * dx + dy * dy).squareRoot()
                let coverage = antialiased ? min(max(reach - distance, 0), 1) : (distance <= radius ? 1 : 0)
                blendPixel(x: x, y: y, color: color, coverage: coverage)
            }
        }
    }

    /// Copies a gray, gray+alpha, RGB or RGBA image with its top-left corner at (x, y),
    /// each source pixel enlarged to a scale × scale block (nearest neighbour). Alpha, when
    /// present, blends the image over what is already drawn.
    public mutating func drawImage(_ source: RasterImage, x left: Int, y top: Int, scale: Int = 1) {
        precondition(scale >= 1, "scale \(scale) must be at least 1")
        let channels = source.format.channels
        for sourceY in 0..<source.height {
            for sourceX in 0..<source.width {
                let offset = (sourceY * source.width + sourceX) * channels
                let color: RGBColor
                var alpha = 255
                switch source.format {
                case .gray, .grayAlpha:
                    color = RGBColor(gray: source.pixels[offset])
                case .rgb, .rgba:
                    color = RGBColor(red: source.pixels[offset], green: source.pixels[offset + 1],
                                     blue: source.pixels[offset + 2])
                }
                if source.format == .grayAlpha || source.format == .rgba {
                    alpha = Int(source.pixels[offset + channels - 1])
                }
                for dy in 0..<scale {
                    for dx in 0..<scale {
                        blendPixel(x: left + sourceX * scale + dx, y: top + sourceY * scale + dy,
                                   color: color, alpha: alpha)
                    }
                }
            }
        }
    }

    /// Returns the whole pixels that a box in pixel coordinates touches inside the clip, or
    /// nil when there are none.
    private func pixelArea(minX: Double, minY: Double, maxX: Double, maxY: Double) -> PixelRect? {
        // Clamping before the conversion keeps huge coordinates from trapping in Int(_:).
        let limit = Double(max(width, height)) + 1
        let left = Int(min(max(minX, -1), limit).rounded(.down))
        let top = Int(min(max(minY, -1), limit).rounded(.down))
        let right = Int(min(max(maxX, -1), limit).rounded(.up))
        let bottom = Int(min(max(maxY, -1), limit).rounded(.up))
        let area = PixelRect(x: left, y: top, width: right - left, height: bottom - top).intersection(clip)
        return area.isEmpty ? nil : area
    }
}
