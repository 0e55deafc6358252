// Listing and reading the entries of a zip archive or a plain folder, with the same
// names ("train/3/00017.png") either way.

#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import TripletKit

/// Reads the bytes of one entry; each parallel worker gets its own reader.
protocol EntryReader: AnyObject {
    func read(_ entry: LayoutEntry, into buffer: inout [UInt8]) throws
}

/// A zip archive or a folder of images.
enum ImageSource {
    /// `listing` is the handle that read the central directory; the first reader reuses it.
    case zip(path: String, file: MappedFile, entries: [ZipEntry], listing: ZipArchive)
    case folder(path: String)

    /// The largest entry read, in bytes; a PNG, JPEG or BMP of an MNIST-style image is far smaller.
    static let maximumEntryBytes = 64 << 20

    /// Opens `path` as a folder when it is one and as a zip archive otherwise; returns the
    /// source and its listing.
    static func open(_ path: String) throws -> (ImageSource, [ListedEntry]) {
        if isDirectory(path) {
            return (.folder(path: path), try listFolder(path))
        }
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch let error as TripletKitError {
            throw TripletKitError(error.message, hint: "check the path; pass a zip archive, a folder, a CSV file or --images and --labels")
        }
        let listing = try ZipArchive(file: file, name: path)
        let entries = try listing.entries()
        let listed = entries.map {
            ListedEntry(name: $0.name, index: $0.index, isDirectory: $0.name.utf8.last == 0x2F || $0.name.utf8.last == 0x5C)
        }
        return (.zip(path: path, file: file, entries: entries, listing: listing), listed)
    }

    /// Returns the entry's location as messages print it: "'a.zip': entry 'x'" or "'folder/x'".
    func describe(_ entry: LayoutEntry) -> String {
        switch self {
        case .zip(let path, _, _, _): return "'\(path)': entry '\(entry.name)'"
        case .folder(let path): return "'\(path)/\(entry.name)'"
        }
    }

    /// Returns `count` readers, one for each worker thread. A libzip handle serves one thread
    /// at a time, so every zip reader after the first opens the archive again. These opens
    /// run in parallel because each parses the whole central directory (an estimate from
    /// timing libzip 1.7: about 2 µs an entry, 0.13 s for 70,000 entries).
    func makeReaders(count: Int) throws -> [EntryReader] {
        switch self {
        case .zip(let path, let file, let entries, let listing):
            precondition(count >= 1, "at least one reader")
            let opened = UnsafeMutableBufferPointer<Result<ZipArchive, Error>?>.allocate(capacity: count)
            opened.initialize(repeating: nil)
            defer {
                _ = opened.deinitialize()
                opened.deallocate()
            }
            DispatchQueue.concurrentPerform(iterations: count - 1) { i in
                opened[i + 1] = Result { try ZipArchive(file: file, name: path) }
            }
            opened[0] = .success(listing)
            return try opened.map { ZipEntryReader(archive: try $0!.get(), entries: entries) }
        case .folder(let path):
            return (0..<count).map { _ in FileEntryReader(root: path) }
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// Lists every file and folder below `root`, depth first. Symbolic links to files are
    /// listed as files; links to folders are not followed, so a link cycle cannot loop.
    static func listFolder(_ root: String) throws -> [ListedEntry] {
        var result: [ListedEntry] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? root : root + "/" + relative
            guard let directory = opendir(folder) else {
                throw TripletKitError("cannot list '\(folder)': \(String(cString: strerror(errno)))",
                                      hint: "check that the folder exists and is readable")
            }
            defer { closedir(directory) }
            while let item = readdir(directory) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                var type = item.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    var status = stat()
                    guard lstat(root + "/" + path, &status) == 0 else { continue }
                    type = (status.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG)
                }
                if type == UInt8(DT_DIR) {
                    result.append(ListedEntry(name: path + "/", index: -1, isDirectory: true))
                    pending.append(path)
                } else {
                    result.append(ListedEntry(name: path, index: -1, isDirectory: false))
                }
            }
        }
        return result
    }
}

/// Reads zip entries through the worker's own libzip handle, which parses the central
/// directory again (about 30 ms for 70,000 entries) but needs no lock.
final class ZipEntryReader: EntryReader {
    let archive: ZipArchive
    let entries: [ZipEntry]

    init(archive: ZipArchive, entries: [ZipEntry]) {
        self.archive = archive
        self.entries = entries
    }

    func read(_ entry: LayoutEntry, into buffer: inout [UInt8]) throws {
        try archive.read(entries[entry.index], into: &buffer, limit: ImageSource.maximumEntryBytes)
    }
}

final class FileEntryReader: EntryReader {
    let root: String

    init(root: String) { self.root = root }

    func read(_ entry: LayoutEntry, into buffer: inout [UInt8]) throws {
        let path = root + "/" + entry.name
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TripletKitError("cannot open the file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw TripletKitError("not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= ImageSource.maximumEntryBytes else {
            throw TripletKitError("the file is \(size) bytes, more than the \(ImageSource.maximumEntryBytes)-byte limit for one image")
        }
        if buffer.count != size { buffer = [UInt8](repeating: 0, count: size) }
        var filled = 0
        try buffer.withUnsafeMutableBytes { memory in
            while filled < size {
                let count = Glibc.read(descriptor, memory.baseAddress! + filled, size - filled)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw TripletKitError("cannot read the file: \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                filled += count
            }
        }
        guard filled == size else {
            throw TripletKitError("the file shrank while being read: expected \(size) bytes, found \(filled)")
        }
    }
}
