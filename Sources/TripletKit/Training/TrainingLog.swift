// The --log file: one JSON object per epoch with every field of the epoch line, appended
// and flushed as each epoch ends, so a resumed run continues the same file.

import Foundation

public final class TrainingLog {
    public let path: String
    private let handle: FileHandle

    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw TripletKitError("cannot create the log file '\(path)'", hint: "check that its folder exists and is writable")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TripletKitError("cannot open the log file '\(path)' for writing")
        }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    public func append(_ report: EpochReport) throws {
        try handle.write(contentsOf: Data((report.json + "\n").utf8))
    }
}
