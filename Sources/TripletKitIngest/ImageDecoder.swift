// Image decoding, resizing and encoding with OpenCV through the COpenCVShim C interface.

import TripletKit
internal import COpenCVShim

/// Decodes images from memory, reusing one pixel buffer; one decoder serves one thread.
public final class ImageDecoder {
    private let handle: OpaquePointer

    public init() throws {
        guard let handle = tkcv_decoder_create() else {
            throw TripletKitError("cannot create an OpenCV image decoder: out of memory")
        }
        self.handle = handle
    }

    deinit { tkcv_decoder_release(handle) }

    /// Decodes `bytes` and passes the pixels, valid only during `body`, to `body`. Throws
    /// a message without the entry name, which the caller adds.
    /// NOTE: libpng inside OpenCV 4.6 prints its own "libpng error: ..." line to standard
    /// error for a damaged PNG before this reports the failure. OpenCV offers no hook to stop it.
    public func decode<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (DecodedImage) throws -> Result) throws -> Result {
        var image = tkcv_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = tkcv_decode(handle, bytes.baseAddress, bytes.count, &image, &message, message.count)
        guard status == 0, let pixels = image.pixels else {
            throw TripletKitError(String(cString: message))
        }
        return try body(DecodedImage(width: Int(image.width), height: Int(image.height), channels: Int(image.channels),
                                     bytesPerSample: Int(image.bytes_per_sample), rowBytes: image.row_bytes,
                                     pixels: UnsafeRawPointer(pixels)))
    }
}

public enum ImageResizing {
    /// The interpolation that `resize` uses, for help text.
    public static let interpolationName = "area averaging (OpenCV INTER_AREA) when shrinking, bilinear (INTER_LINEAR) when enlarging"

    /// Resizes 8-bit interleaved pixels from `width`×`height` to the destination size.
    public static func resize(_ source: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
                              into destination: UnsafeMutablePointer<UInt8>, width newWidth: Int, height newHeight: Int) throws {
        var message = [CChar](repeating: 0, count: 256)
        guard tkcv_resize(source, Int32(width), Int32(height), Int32(channels), destination,
                          Int32(newWidth), Int32(newHeight), &message, message.count) == 0 else {
            throw TripletKitError("resizing a \(width)x\(height) image to \(newWidth)x\(newHeight) failed: \(String(cString: message))")
        }
    }
}

public enum ImageEncoding {
    /// Encodes interleaved pixels (channels 1, 3 as blue-green-red, or 4 with alpha; 1 or
    /// 2 bytes a sample, native byte order) in the format of `fileExtension`, such as
    /// ".png", ".jpg" or ".bmp". Used by tests and benchmarks to make inputs.
    public static func encode(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, channels: Int,
                              bytesPerSample: Int = 1, as fileExtension: String) throws -> [UInt8] {
        precondition(pixels.count == width * height * channels * bytesPerSample)
        var output: UnsafeMutablePointer<UInt8>?
        var count = 0
        var message = [CChar](repeating: 0, count: 256)
        guard tkcv_encode(fileExtension, pixels.baseAddress, Int32(width), Int32(height), Int32(channels),
                          Int32(bytesPerSample), &output, &count, &message, message.count) == 0, let output else {
            throw TripletKitError("encoding a \(width)x\(height) image as \(fileExtension) failed: \(String(cString: message))")
        }
        defer { tkcv_buffer_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: count))
    }
}
