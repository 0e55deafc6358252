// An 8-bit image in memory: the type that the canvas draws into and that PNG encodes
// and decodes.

/// Rows of 8-bit pixels, top row first, channels interleaved, with no row padding.
public struct RasterImage: Equatable, Sendable {
    /// The channel layout of each pixel.
    public enum PixelFormat: String, CaseIterable, Sendable {
        case gray
        case grayAlpha
        case rgb
        case rgba

        public var channels: Int {
            switch self {
            case .gray: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    public let width: Int
    public let height: Int
    public let format: PixelFormat
    /// width × height × format.channels bytes.
    public var pixels: [UInt8]

    /// Creates an image with `value` in every channel.
    public init(width: Int, height: Int, format: PixelFormat, filledWith value: UInt8 = 0) {
        precondition(width > 0 && height > 0, "image size \(width)x\(height) must be positive")
        self.width = width
        self.height = height
        self.format = format
        pixels = [UInt8](repeating: value, count: width * height * format.channels)
    }

    /// Creates an image from existing pixels. Throws when their count does not match the size.
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw TripletKitError("image size \(width)x\(height) is invalid: both sides must be positive")
        }
        let expected = width * height * format.channels
        guard pixels.count == expected else {
            throw TripletKitError("a \(width)x\(height) \(format.rawValue) image needs \(expected) bytes, found \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    public var bytesPerRow: Int { width * format.channels }

    /// Returns the channel values of pixel (x, y), for tests and inspection.
    public func pixel(x: Int, y: Int) -> ArraySlice<UInt8> {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) is outside \(width)x\(height)")
        let start = y * bytesPerRow + x * format.channels
        return pixels[start..<start + format.channels]
    }
}
