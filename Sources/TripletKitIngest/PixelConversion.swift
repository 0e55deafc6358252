// Converts decoded images of any supported pixel format to the 8-bit gray or RGB pixels
// of a packed file. The rules are chosen so that one image stored losslessly as 8- or
// 16-bit gray, gray with alpha, RGB, RGBA or a palette gives the same packed pixels:
//
// 1. 16-bit samples become 8-bit by rounding: v8 = (v16 + 128) / 257, which maps every
//    8-bit value stored as v * 257 back to itself.
// 2. Alpha composites onto black, because MNIST-style digits are light ink on a black
//    background: c = (c * alpha + 127) / 255, so opaque pixels keep their value and
//    transparent ones become 0.
// 3. Gray from color uses the ITU-R BT.601 luma weights in 14-bit fixed point, as OpenCV's
//    cvtColor does: Y = (4899 R + 9617 G + 1868 B + 8192) >> 14, so R = G = B = v gives v.
// 4. Gray to RGB copies the gray value into all three channels.
// Palette images arrive from the decoder already expanded to RGB or RGBA.

/// Decoded pixels as the decoder returns them: channels 1 (gray), 3 (blue, green, red) or
/// 4 (blue, green, red, alpha), 8- or 16-bit samples in native byte order.
public struct DecodedImage {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var bytesPerSample: Int
    public var rowBytes: Int
    public var pixels: UnsafeRawPointer

    public init(width: Int, height: Int, channels: Int, bytesPerSample: Int, rowBytes: Int, pixels: UnsafeRawPointer) {
        precondition([1, 3, 4].contains(channels) && [1, 2].contains(bytesPerSample))
        precondition(rowBytes >= width * channels * bytesPerSample)
        self.width = width
        self.height = height
        self.channels = channels
        self.bytesPerSample = bytesPerSample
        self.rowBytes = rowBytes
        self.pixels = pixels
    }

    /// A short description such as "16-bit gray" or "8-bit RGBA", for messages.
    public var formatName: String {
        let layout = [1: "gray", 3: "RGB", 4: "RGBA"][channels]!
        return "\(bytesPerSample * 8)-bit \(layout)"
    }
}

public enum PixelConversion {
    /// Writes `image` as `channels` (1 or 3) interleaved 8-bit channels, width × height ×
    /// channels bytes, to `output`.
    public static func convert(_ image: DecodedImage, channels: Int, into output: UnsafeMutablePointer<UInt8>) {
        precondition(channels == 1 || channels == 3)
        if image.channels == 1 && image.bytesPerSample == 1 && channels == 1 {
            for row in 0..<image.height {
                (output + row * image.width).update(from: (image.pixels + row * image.rowBytes).assumingMemoryBound(to: UInt8.self),
                                                    count: image.width)
            }
            return
        }
        var target = output
        for row in 0..<image.height {
            let line = image.pixels + row * image.rowBytes
            for column in 0..<image.width {
                // Blue, green, red and alpha as 8-bit values.
                var blue: Int
                var green: Int
                var red: Int
                var alpha = 255
                let first = column * image.channels
                func sample(_ index: Int) -> Int {
                    if image.bytesPerSample == 1 { return Int(line.load(fromByteOffset: index, as: UInt8.self)) }
                    return (Int(line.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)) + 128) / 257
                }
                if image.channels == 1 {
                    blue = sample(first)
                    green = blue
                    red = blue
                } else {
                    blue = sample(first)
                    green = sample(first + 1)
                    red = sample(first + 2)
                    if image.channels == 4 { alpha = sample(first + 3) }
                }
                if alpha != 255 {
                    blue = (blue * alpha + 127) / 255
                    green = (green * alpha + 127) / 255
                    red = (red * alpha + 127) / 255
                }
                if channels == 1 {
                    target.pointee = image.channels == 1 ? UInt8(red) : UInt8((4899 * red + 9617 * green + 1868 * blue + 8192) >> 14)
                    target += 1
                } else {
                    target[0] = UInt8(red)
                    target[1] = UInt8(green)
                    target[2] = UInt8(blue)
                    target += 3
                }
            }
        }
    }
}
