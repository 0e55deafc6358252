// Converts a packed dataset to another channel count or image size, for networks whose
// input differs from the data's: the tutorial's backbone reads MNIST as 3×32×32.

import TripletKit

public enum PackedConversion {
    /// Writes the images of `source` to `outputPath` with `channels` channels (gray is
    /// copied to each of R, G and B; colour becomes BT.601 luma) and, when `size` is given,
    /// resized to it with `ImageResizing`. Labels and class names are kept.
    public static func convert(_ source: PackedDataset, outputPath: String, channels: Int,
                               size: (width: Int, height: Int)?) throws -> PackingSummary {
        precondition(channels == 1 || channels == 3)
        let width = size?.width ?? source.width
        let height = size?.height ?? source.height
        let writer = try PackedDatasetWriter(path: outputPath, height: height, width: width, channels: channels,
                                             classNames: source.classNames)
        var resized = [UInt8](repeating: 0, count: width * height * source.channels)
        var converted = [UInt8](repeating: 0, count: width * height * channels)
        var perClassCounts = [Int](repeating: 0, count: source.classCount)
        for id in 0..<source.count {
            let pixels = source.pixels(id).bindMemory(to: UInt8.self)
            if width == source.width && height == source.height {
                resized.withUnsafeMutableBufferPointer { _ = $0.initialize(from: pixels) }
            } else {
                try resized.withUnsafeMutableBufferPointer { destination in
                    try ImageResizing.resize(pixels.baseAddress!, width: source.width, height: source.height,
                                             channels: source.channels, into: destination.baseAddress!,
                                             width: width, height: height)
                }
            }
            for pixel in 0..<(width * height) {
                if channels == source.channels {
                    for c in 0..<channels { converted[pixel * channels + c] = resized[pixel * channels + c] }
                } else if channels == 3 {
                    let gray = resized[pixel]
                    converted[3 * pixel] = gray
                    converted[3 * pixel + 1] = gray
                    converted[3 * pixel + 2] = gray
                } else {
                    // The luma rule of PixelConversion, on R, G, B in packed order.
                    let red = Int(resized[3 * pixel]), green = Int(resized[3 * pixel + 1]), blue = Int(resized[3 * pixel + 2])
                    converted[pixel] = UInt8((4899 * red + 9617 * green + 1868 * blue + 8192) >> 14)
                }
            }
            let label = source.label(id)
            try converted.withUnsafeBytes { try writer.append(pixels: $0, label: label) }
            perClassCounts[label] += 1
        }
        try writer.finish()
        return PackingSummary(count: source.count, height: height, width: width, channels: channels,
                              classNames: source.classNames, perClassCounts: perClassCounts)
    }
}
