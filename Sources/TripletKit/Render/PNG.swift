// PNG encoding and decoding through libpng's simplified png_image API, which reports
// errors in png_image.message instead of longjmp, so no setjmp is needed. Encoding is a
// pure function of the pixels: the same image always gives the same bytes with the same
// libpng and zlib.

internal import CPNG

public enum PNG {
    /// Decoded images larger than this many bytes are rejected before allocation, so a
    /// corrupt or hostile header cannot ask for terabytes.
    public static let maxDecodedBytes = 1 << 30

    /// Encodes `image` as an 8-bit PNG with an sRGB chunk and libpng's default compression.
    public static func encode(_ image: RasterImage) throws -> [UInt8] {
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max), image.bytesPerRow <= Int(Int32.max) else {
            throw TripletKitError("cannot encode a \(image.width)x\(image.height) image as PNG: a row is more than \(Int32.max) bytes")
        }
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        control.width = png_uint_32(image.width)
        control.height = png_uint_32(image.height)
        control.format = libpngFormat(image.format)

        // Deflate output can exceed its input only slightly, so this first guess almost
        // always fits. When it does not, libpng reports the size it needs.
        let rawSize = image.height * (image.bytesPerRow + 1)
        var capacity = rawSize + rawSize / 1000 + 4096
        for _ in 0..<2 {
            var output = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let succeeded = output.withUnsafeMutableBytes { memory in
                image.pixels.withUnsafeBytes { pixels in
                    png_image_write_to_memory(&control, memory.baseAddress, &size, 0, pixels.baseAddress,
                                              png_int_32(image.bytesPerRow), nil)
                }
            }
            let message = libpngMessage(control)
            png_image_free(&control)
            if succeeded != 0 {
                output.removeSubrange(Int(size)...)
                return output
            }
            // A false return with a larger size means only that the buffer was too small.
            guard Int(size) > capacity else {
                throw TripletKitError("PNG encoding of a \(image.width)x\(image.height) \(image.format.rawValue) image failed: \(message)")
            }
            capacity = Int(size)
            control.warning_or_error = 0
        }
        throw TripletKitError("PNG encoding of a \(image.width)x\(image.height) image failed: libpng needed more than \(capacity) bytes twice")
    }

    /// Decodes PNG bytes. `format` converts to that pixel format, and nil keeps the file's
    /// own channel layout. 16-bit files are reduced to 8 bits, palettes are expanded.
    /// `name` labels the data in error messages, usually its path.
    public static func decode(_ bytes: [UInt8], as format: RasterImage.PixelFormat? = nil,
                              name: String = "PNG data") throws -> RasterImage {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        return try bytes.withUnsafeBytes { memory throws -> RasterImage in
            defer { png_image_free(&control) }
            guard png_image_begin_read_from_memory(&control, memory.baseAddress, memory.count) != 0 else {
                throw TripletKitError("'\(name)': not a readable PNG: \(libpngMessage(control))")
            }
            let target = format ?? pixelFormat(libpngFormat: control.format)
            control.format = libpngFormat(target)
            let width = Int(control.width)
            let height = Int(control.height)
            let byteCount = width.multipliedReportingOverflow(by: height * target.channels)
            guard !byteCount.overflow, byteCount.partialValue <= maxDecodedBytes else {
                throw TripletKitError("'\(name)': a \(width)x\(height) PNG is larger than the \(maxDecodedBytes)-byte decoding limit")
            }
            var pixels = [UInt8](repeating: 0, count: byteCount.partialValue)
            let succeeded = pixels.withUnsafeMutableBytes { buffer in
                png_image_finish_read(&control, nil, buffer.baseAddress, png_int_32(width * target.channels), nil)
            }
            guard succeeded != 0 else {
                throw TripletKitError("'\(name)': PNG decoding failed: \(libpngMessage(control))")
            }
            return try RasterImage(width: width, height: height, format: target, pixels: pixels)
        }
    }

    /// Reads and decodes a PNG file, or standard input when `path` is "-".
    public static func read(path: String, as format: RasterImage.PixelFormat? = nil) throws -> RasterImage {
        try decode(readWholeFile(path), as: format, name: path)
    }

    /// Encodes `image` and writes it atomically to `path`, or to standard output for "-".
    public static func write(_ image: RasterImage, to path: String) throws {
        try writeFileAtomically(encode(image), to: path)
    }

    private static func libpngFormat(_ format: RasterImage.PixelFormat) -> png_uint_32 {
        switch format {
        case .gray: 0
        case .grayAlpha: png_uint_32(PNG_FORMAT_FLAG_ALPHA)
        case .rgb: png_uint_32(PNG_FORMAT_FLAG_COLOR)
        case .rgba: png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        }
    }

    private static func pixelFormat(libpngFormat format: png_uint_32) -> RasterImage.PixelFormat {
        let hasColor = format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = format & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
        switch (hasColor, hasAlpha) {
        case (false, false): return .gray
        case (false, true): return .grayAlpha
        case (true, false): return .rgb
        case (true, true): return .rgba
        }
    }

    /// Returns the NUL-terminated message that libpng stores in the fixed 64-byte field.
    private static func libpngMessage(_ control: png_image) -> String {
        var message = control.message
        let text = withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "no message from libpng" : text
    }
}
