// Turns an IDX image/label pair into a packed dataset, optionally keeping a fixed number
// of images per class (the tutorial's "small set" debug mode). Both headers are checked
// against each other before any payload is read, and images are streamed to the output
// in slices, so memory stays bounded by the labels plus one slice.

/// The counts, shape and classes that a packing run wrote, for the tool's summary.
public struct PackingSummary: Sendable {
    public var count: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    public var classNames: [String]
    public var perClassCounts: [Int]

    public init(count: Int, height: Int, width: Int, channels: Int = 1, classNames: [String], perClassCounts: [Int]) {
        self.count = count
        self.height = height
        self.width = width
        self.channels = channels
        self.classNames = classNames
        self.perClassCounts = perClassCounts
    }
}

public enum IDXPacking {
    /// Images per slice when streaming the pixels (784 KiB a thousand MNIST images).
    static let sliceImages = 4096

    /// Packs `imagesPath` and `labelsPath` into `outputPath`. Class ids are the sorted
    /// distinct label values that occur, so labels 1..26 give 26 classes and no empty one.
    /// Each class is named after its label value unless `classNames` gives names in the
    /// same order. `transpose` swaps each image's rows and columns, which turns EMNIST's
    /// stored images upright.
    public static func pack(imagesPath: String, labelsPath: String, outputPath: String,
                            perClass: Int? = nil, seed: UInt64 = 0,
                            classNames explicitNames: [String]? = nil,
                            transpose: Bool = false) throws -> PackingSummary {
        let images = try IDXStream(path: imagesPath, expectedDimensions: 3, role: "images")
        let labels = try IDXStream(path: labelsPath, expectedDimensions: 1, role: "labels")
        let count = images.dimensions[0]
        let storedHeight = images.dimensions[1]
        let storedWidth = images.dimensions[2]
        guard labels.dimensions[0] == count else {
            throw TripletKitError("'\(labelsPath)' contains \(labels.dimensions[0]) labels, but '\(imagesPath)' contains \(count) images",
                                  hint: "pass the images and labels files of the same split")
        }
        guard storedHeight > 0, storedWidth > 0, storedHeight <= 65536, storedWidth <= 65536 else {
            throw TripletKitError("'\(imagesPath)': image size \(storedWidth)x\(storedHeight) is invalid: expected 1 to 65536 pixels a side",
                                  hint: "the file is damaged or not an image file; fetch it again")
        }
        guard count > 0 else {
            throw TripletKitError("'\(imagesPath)' contains no images", hint: "pass a non-empty IDX pair")
        }
        let height = transpose ? storedWidth : storedHeight
        let width = transpose ? storedHeight : storedWidth

        // Class ids from the label values that occur.
        let labelValues = try labels.readAll()
        try labels.finish()
        var present = [Bool](repeating: false, count: 256)
        for value in labelValues { present[Int(value)] = true }
        let values = (0..<256).filter { present[$0] }
        var classOf = [Int](repeating: -1, count: 256)
        for (id, value) in values.enumerated() { classOf[value] = id }
        var names = values.map(String.init)
        if let explicitNames {
            guard explicitNames.count == values.count else {
                throw TripletKitError("\(explicitNames.count) class names given, but '\(labelsPath)' has \(values.count) classes (labels \(values.map(String.init).joined(separator: " ")))",
                                      hint: "pass one name per label value that occurs, in ascending label order")
            }
            names = explicitNames
        }
        let classIDs = labelValues.map { classOf[Int($0)] }

        var keep: [Bool]? = nil
        if let perClass {
            var mask = [Bool](repeating: false, count: count)
            for id in selectPerClass(labels: classIDs, classCount: names.count, perClass: perClass, seed: seed) {
                mask[id] = true
            }
            keep = mask
        }

        let writer = try PackedDatasetWriter(path: outputPath, height: height, width: width, channels: 1, classNames: names)
        let imageSize = storedHeight * storedWidth
        let slice = min(sliceImages, count)
        var stored = [UInt8](repeating: 0, count: slice * imageSize)
        var upright = [UInt8](repeating: 0, count: transpose ? imageSize : 0)
        var perClassCounts = [Int](repeating: 0, count: names.count)
        var start = 0
        while start < count {
            let end = min(start + slice, count)
            try stored.withUnsafeMutableBytes {
                try images.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<((end - start) * imageSize)]))
            }
            try stored.withUnsafeBytes { pixels in
                if keep == nil && !transpose {
                    try writer.append(pixels: UnsafeRawBufferPointer(rebasing: pixels[0..<((end - start) * imageSize)]),
                                      labels: Array(classIDs[start..<end]))
                    return
                }
                for id in start..<end where keep?[id] ?? true {
                    let image = UnsafeRawBufferPointer(rebasing: pixels[((id - start) * imageSize)..<((id - start + 1) * imageSize)])
                    if transpose {
                        transposeImage(image, height: storedHeight, width: storedWidth, into: &upright)
                        try upright.withUnsafeBytes { try writer.append(pixels: $0, label: classIDs[id]) }
                    } else {
                        try writer.append(pixels: image, label: classIDs[id])
                    }
                }
            }
            start = end
        }
        try images.finish()
        for id in 0..<count where keep?[id] ?? true { perClassCounts[classIDs[id]] += 1 }
        try writer.finish()

        return PackingSummary(count: writer.count, height: height, width: width, classNames: names,
                              perClassCounts: perClassCounts)
    }

    /// Writes the transpose of a `height`×`width` image into `output` (`width` rows of
    /// `height` pixels).
    static func transposeImage(_ image: UnsafeRawBufferPointer, height: Int, width: Int, into output: inout [UInt8]) {
        for row in 0..<height {
            for column in 0..<width {
                output[column * height + row] = image[row * width + column]
            }
        }
    }

    /// Chooses `perClass` sample ids of each class with a seeded shuffle and returns them in
    /// ascending order. A class with fewer samples keeps all of them.
    public static func selectPerClass(labels: [Int], classCount: Int, perClass: Int, seed: UInt64) -> [Int] {
        var members = [[Int]](repeating: [], count: classCount)
        for (id, label) in labels.enumerated() { members[label].append(id) }
        var generator = SplitMix64(seed: seed)
        var kept: [Int] = []
        for var ids in members {
            generator.shuffle(&ids)
            kept += ids.prefix(perClass)
        }
        return kept.sorted()
    }
}
