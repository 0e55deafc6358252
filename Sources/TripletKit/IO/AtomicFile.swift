// Whole-file writes that never leave a half-written output: the bytes go to a temporary
// file in the target folder, which is renamed over the target only when complete.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A file being written under a temporary name next to its final path. `commit()`
/// renames it into place; dropping it without a commit removes the temporary file.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    nonisolated(unsafe) private static var warnedOutputs = Set<String>()
    private static let warnedLock = NSLock()
    private var descriptor: Int32
    private var committed = false

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        Self.warnAboutStaleTemporaryFiles(in: folder, for: url.lastPathComponent)
        var template = Array((folder + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw TripletKitError("cannot create a temporary file in '\(folder)' for '\(path)': \(String(cString: strerror(errno)))",
                                  hint: "check that the folder exists and is writable")
        }
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        TemporaryFiles.register(temporaryPath)
        fchmod(descriptor, 0o644)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
        TemporaryFiles.unregister(temporaryPath)
    }

    /// Names temporary files left behind by an earlier run killed while writing the same
    /// output. Removing them is left to the user, because another run may still be writing.
    private static func warnAboutStaleTemporaryFiles(in folder: String, for name: String) {
        // Once per output and process: a checkpoint is rewritten every epoch.
        warnedLock.lock()
        let isNew = warnedOutputs.insert(folder + "/" + name).inserted
        warnedLock.unlock()
        guard isNew else { return }
        let prefix = "." + name + ".tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for stale in names.filter({ $0.hasPrefix(prefix) }).sorted() {
            printError("warning: '\(folder)/\(stale)' is a temporary file left by an interrupted run writing '\(name)'; delete it if no other run is writing that file")
        }
    }

    /// Appends bytes at the current end of the file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw TripletKitError("cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Overwrites bytes at `offset`, for headers whose fields are known only at the end.
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, $0.count, off_t(offset)) }
        guard written == bytes.count else {
            throw TripletKitError("cannot write '\(path)' at byte \(offset): \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes the file to disk and renames it over `path`.
    public func commit() throws {
        guard fsync(descriptor) == 0 else {
            throw TripletKitError("cannot flush '\(path)': \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            throw TripletKitError("cannot rename '\(temporaryPath)' to '\(path)': \(String(cString: strerror(errno)))")
        }
        committed = true
    }
}

/// Writes `bytes` to `path` atomically, or to standard output when `path` is "-".
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
        FileHandle.standardOutput.write(Data(bytes))
        return
    }
    let writer = try AtomicFileWriter(path: path)
    try writer.write(bytes)
    try writer.commit()
}

/// Reads a whole file, or standard input when `path` is "-".
public func readWholeFile(_ path: String) throws -> [UInt8] {
    if path == "-" {
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "not found"
        throw TripletKitError("'\(path)': file \(reason)")
    }
    return [UInt8](data)
}
