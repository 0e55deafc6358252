// Helpers shared by the tests: fixture paths, temporary folders and running the built
// executables.

import Foundation
@testable import TripletKit

enum Fixtures {
    /// The repository root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) -> String { root.appendingPathComponent("fixtures/\(name)").path }

    static let trainImages = path("mnist-small-train-images-idx3-ubyte.gz")
    static let trainLabels = path("mnist-small-train-labels-idx1-ubyte.gz")
    static let testImages = path("mnist-small-t10k-images-idx3-ubyte.gz")
    static let testLabels = path("mnist-small-t10k-labels-idx1-ubyte.gz")

    /// Packs the small training and test fixtures into `folder`; returns their paths.
    static func packed(in folder: String) throws -> (train: String, test: String) {
        let train = folder + "/train.tkpack"
        let test = folder + "/test.tkpack"
        _ = try IDXPacking.pack(imagesPath: trainImages, labelsPath: trainLabels, outputPath: train)
        _ = try IDXPacking.pack(imagesPath: testImages, labelsPath: testLabels, outputPath: test)
        return (train, test)
    }
}

/// A fresh folder under the system's temporary directory, removed on deinit.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tripletkit-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// The output and exit status of one run of a built executable.
struct ToolRun {
    var status: Int32
    var standardOutput: String
    var standardError: String
    /// The raw bytes of standard output, for tools that write binary data there.
    var outputData = Data()
}

enum Tools {
    /// The folder that contains the built executables, next to the test bundle's resources.
    static let productsFolder = Bundle.module.bundleURL.deletingLastPathComponent()

    static func run(_ tool: String, _ arguments: [String], input: Data? = nil) throws -> ToolRun {
        let process = Process()
        process.executableURL = productsFolder.appendingPathComponent(tool)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        let inputPipe = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try inputPipe.fileHandleForWriting.close()
        // Read both pipes before waiting, so a large output cannot block the child.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolRun(status: process.terminationStatus,
                       standardOutput: String(decoding: outputData, as: UTF8.self),
                       standardError: String(decoding: errorData, as: UTF8.self),
                       outputData: outputData)
    }
}

/// Big-endian IDX bytes for `dimensions` and uint8 `values`.
func idxBytes(dimensions: [Int], values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for size in dimensions {
        bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
    }
    return bytes + values
}
