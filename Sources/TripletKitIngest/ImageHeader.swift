// Reads the pixel size from the header of a PNG, JPEG or BMP file without decoding it,
// so that a damaged or hostile header cannot make the decoder allocate gigabytes.

public struct ImageHeader: Equatable, Sendable {
    public enum Format: String, Sendable {
        case png = "PNG"
        case jpeg = "JPEG"
        case bmp = "BMP"
    }

    public var format: Format
    public var width: Int
    public var height: Int

    /// The largest image decoded, in pixels (4096×4096). MNIST-style images are far
    /// smaller; the limit bounds one decode at 128 MiB of 16-bit RGBA.
    public static let maximumPixels = 1 << 24

    /// Parses the header in `bytes`. Returns nil when the data is not PNG, JPEG or BMP, or
    /// when its header is cut short.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ImageHeader? {
        func be32(_ offset: Int) -> Int {
            Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        func le32(_ offset: Int) -> Int32 {
            Int32(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
        }
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 24, bytes.prefix(8).elementsEqual(pngSignature) {
            // The first chunk must be IHDR: length 13, then width and height.
            guard bytes[12] == 0x49, bytes[13] == 0x48, bytes[14] == 0x44, bytes[15] == 0x52 else { return nil }
            return ImageHeader(format: .png, width: be32(16), height: be32(20))
        }
        if bytes.count >= 26, bytes[0] == 0x42, bytes[1] == 0x4D {
            // BITMAPINFOHEADER and later: int32 width and height (negative height: top-down).
            // The 12-byte BITMAPCOREHEADER stores 16-bit sizes instead.
            let infoSize = Int(le32(14))
            if infoSize == 12 {
                return ImageHeader(format: .bmp, width: Int(bytes[18]) | Int(bytes[19]) << 8,
                                   height: Int(bytes[20]) | Int(bytes[21]) << 8)
            }
            let height = Int(le32(22))
            return ImageHeader(format: .bmp, width: Int(le32(18)), height: height == Int(Int32.min) ? Int(Int32.max) : abs(height))
        }
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            return parseJPEG(bytes)
        }
        return nil
    }

    /// Walks the JPEG markers to the first start-of-frame segment.
    private static func parseJPEG(_ bytes: UnsafeRawBufferPointer) -> ImageHeader? {
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }  // no length
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2 else { return nil }
            // Markers C0-CF are start-of-frame segments carrying the frame size, except DHT (C4),
            // JPG (C8) and DAC (CC) (ITU-T T.81, table B.1).
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                guard offset + 9 <= bytes.count else { return nil }
                let height = Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6])
                let width = Int(bytes[offset + 7]) << 8 | Int(bytes[offset + 8])
                return ImageHeader(format: .jpeg, width: width, height: height)
            }
            if marker == 0xDA || marker == 0xD9 { return nil }  // scan data before any frame header
            offset += 2 + length
        }
        return nil
    }
}
