// Turns an IDX image/label pair into a packed dataset, optionally keeping a fixed number
// of images per class (the tutorial's "small set" debug mode).

/// What a packing run wrote, for the tool's summary.
public struct PackingSummary {
    public var count: Int
    public var height: Int
    public var width: Int
    public var classNames: [String]
    public var perClassCounts: [Int]
}

public enum IDXPacking {
    /// Packs `imagesPath` and `labelsPath` into `outputPath`. Class ids are the sorted
    /// distinct label values that occur, so labels 1..26 give 26 classes and no empty one;
    /// each class is named after its label value unless `classNames` gives names in the
    /// same order.
    public static func pack(imagesPath: String, labelsPath: String, outputPath: String,
                            perClass: Int? = nil, seed: UInt64 = 0,
                            classNames explicitNames: [String]? = nil) throws -> PackingSummary {
        let images = try IDXReader.read(path: imagesPath, expectedDimensions: 3, role: "images")
        let labels = try IDXReader.read(path: labelsPath, expectedDimensions: 1, role: "labels")
        let count = images.dimensions[0]
        let height = images.dimensions[1]
        let width = images.dimensions[2]
        guard labels.dimensions[0] == count else {
            throw TripletKitError("'\(labelsPath)' holds \(labels.dimensions[0]) labels, but '\(imagesPath)' holds \(count) images",
                                  hint: "pass the images and labels files of the same split")
        }
        guard height > 0, width > 0 else {
            throw TripletKitError("'\(imagesPath)': image size \(height)x\(width) is empty")
        }

        // Class ids from the label values that occur.
        var present = [Bool](repeating: false, count: 256)
        for value in labels.values { present[Int(value)] = true }
        let values = (0..<256).filter { present[$0] }
        var classOf = [Int](repeating: -1, count: 256)
        for (id, value) in values.enumerated() { classOf[value] = id }
        var names = values.map(String.init)
        if let explicitNames {
            guard explicitNames.count == values.count else {
                throw TripletKitError("\(explicitNames.count) class names given, but '\(labelsPath)' has \(values.count) classes (labels \(values.map(String.init).joined(separator: " ")))")
            }
            names = explicitNames
        }
        let classIDs = labels.values.map { classOf[Int($0)] }

        let kept = perClass.map { selectPerClass(labels: classIDs, classCount: names.count, perClass: $0, seed: seed) }
            ?? Array(0..<count)

        let writer = try PackedDatasetWriter(path: outputPath, height: height, width: width, channels: 1, classNames: names)
        let imageSize = height * width
        try images.values.withUnsafeBytes { pixels in
            if kept.count == count {
                try writer.append(pixels: pixels, labels: classIDs)
            } else {
                for id in kept {
                    try writer.append(pixels: UnsafeRawBufferPointer(rebasing: pixels[(id * imageSize)..<((id + 1) * imageSize)]),
                                      label: classIDs[id])
                }
            }
        }
        try writer.finish()

        var perClassCounts = [Int](repeating: 0, count: names.count)
        for id in kept { perClassCounts[classIDs[id]] += 1 }
        return PackingSummary(count: kept.count, height: height, width: width, classNames: names,
                              perClassCounts: perClassCounts)
    }

    /// Chooses `perClass` sample ids of each class with a seeded shuffle and returns them in
    /// ascending order; a class with fewer samples keeps all of them.
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
