// Read-only access to zip archives through libzip, from a mapped file or from memory.
// libzip handles are not thread-safe, so each thread opens its own ZipArchive; several
// can share one mapping of the file.

#if canImport(Glibc)
import Glibc
#endif
import TripletKit
internal import CZip

/// One entry of a zip archive as its central directory lists it.
public struct ZipEntry: Sendable {
    public var index: Int
    /// The name as stored, converted to UTF-8 (libzip guesses CP437 for names that are not
    /// flagged as UTF-8).
    public var name: String
    /// Uncompressed size from the central directory.
    public var size: Int
    /// Compressed size from the central directory.
    public var compressedSize: Int
    public var isEncrypted: Bool
}

public final class ZipArchive {
    public let path: String
    private let handle: OpaquePointer
    /// Keeps the archive's bytes (a mapping or a heap copy) alive while libzip reads them.
    private let owner: AnyObject

    /// Opens the zip file at `path`. The file is mapped and read through a memory source,
    /// which spares libzip a stat and a seek for every entry it reads.
    public convenience init(path: String) throws {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch let error as TripletKitError {
            throw TripletKitError(error.message, hint: "check the path; pass a zip archive, a folder, a CSV file or --images and --labels")
        }
        try self.init(file: file, name: path)
    }

    /// Opens the archive in a mapped file; several archives may share one mapping.
    convenience init(file: MappedFile, name: String) throws {
        try self.init(bytes: file.bytes, owner: file, name: name)
    }

    /// Opens an archive held in memory; `name` labels it in errors.
    public convenience init(contents: [UInt8], name: String) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(contents.count, 1), alignment: 16)
        contents.withUnsafeBytes { source in
            if source.count > 0 { buffer.copyMemory(from: source) }
        }
        let owner = AllocatedBytes(buffer)
        try self.init(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<contents.count]), owner: owner, name: name)
    }

    /// Opens the archive in `bytes`, which `owner` keeps alive.
    private init(bytes: UnsafeRawBufferPointer, owner: AnyObject, name: String) throws {
        path = name
        self.owner = owner
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_buffer_create(bytes.baseAddress, zip_uint64_t(bytes.count), 0, &error) else {
            throw TripletKitError("'\(name)': libzip could not read the data: \(String(cString: zip_error_strerror(&error)))")
        }
        guard let handle = zip_open_from_source(source, ZIP_RDONLY, &error) else {
            zip_source_free(source)
            throw Self.openError(path: name, code: zip_error_code_zip(&error))
        }
        self.handle = handle
    }

    deinit { zip_discard(handle) }

    private static func openError(path: String, code: Int32) -> TripletKitError {
        var error = zip_error_t()
        zip_error_init_with_code(&error, code)
        defer { zip_error_fini(&error) }
        let detail = String(cString: zip_error_strerror(&error))
        switch code {
        case ZIP_ER_NOZIP:
            return TripletKitError("'\(path)': not a zip archive: no end-of-central-directory record found",
                                   hint: "a truncated download looks like this; download the archive again, or pass a folder, a CSV file or --images/--labels")
        case ZIP_ER_NOENT:
            return TripletKitError("'\(path)': file not found", hint: "check the path")
        case ZIP_ER_INCONS:
            return TripletKitError("'\(path)': the zip archive is inconsistent (\(detail))",
                                   hint: "the archive is damaged or truncated; download or create it again")
        default:
            return TripletKitError("'\(path)': cannot open the zip archive: \(detail)",
                                   hint: "check that the file is a complete zip archive")
        }
    }

    /// Lists every entry in central-directory order. Directory entries end with "/".
    public func entries() throws -> [ZipEntry] {
        let count = zip_get_num_entries(handle, 0)
        guard count >= 0 else { throw TripletKitError("'\(path)': cannot count the zip entries") }
        var result: [ZipEntry] = []
        result.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            var info = zip_stat_t()
            zip_stat_init(&info)
            guard zip_stat_index(handle, zip_uint64_t(index), 0, &info) == 0, let name = info.name else {
                throw TripletKitError("'\(path)': cannot read the central-directory record of entry \(index): \(archiveMessage())",
                                      hint: "the archive is damaged; download or create it again")
            }
            let sizeKnown = info.valid & zip_uint64_t(ZIP_STAT_SIZE) != 0
                && info.valid & zip_uint64_t(ZIP_STAT_COMP_SIZE) != 0
            let encrypted = info.valid & zip_uint64_t(ZIP_STAT_ENCRYPTION_METHOD) != 0 && info.encryption_method != UInt16(ZIP_EM_NONE)
            result.append(ZipEntry(index: index, name: String(cString: name),
                                   size: sizeKnown ? Int(clamping: info.size) : -1,
                                   compressedSize: sizeKnown ? Int(clamping: info.comp_size) : -1, isEncrypted: encrypted))
        }
        return result
    }

    /// Reads one entry's uncompressed bytes into `buffer`, which is resized to fit. libzip
    /// checks the entry's CRC-32 when the read reaches its end. Entries larger than
    /// `limit` bytes are rejected before reading.
    public func read(_ entry: ZipEntry, into buffer: inout [UInt8], limit: Int) throws {
        let label = "'\(path)': entry '\(entry.name)'"
        guard !entry.isEncrypted else {
            throw TripletKitError("\(label) is encrypted", hint: "extract the archive with its password and pass the folder")
        }
        guard entry.size >= 0, entry.size <= limit else {
            throw TripletKitError("\(label) is \(entry.size) bytes uncompressed, more than the \(limit)-byte limit for one image",
                                  hint: "the archive is damaged, or the entry is not an MNIST-style image")
        }
        // Deflate expands at most about 1032:1, so a larger declared size is damage, and the
        // buffer below is never larger than the compressed data justifies.
        guard entry.size / 1032 <= entry.compressedSize + 1 else {
            throw TripletKitError("\(label) declares \(entry.size) bytes uncompressed from \(entry.compressedSize) compressed bytes, more than deflate can expand",
                                  hint: "the archive is damaged; download or create it again, or pass --skip-bad to leave such entries out")
        }
        guard let file = zip_fopen_index(handle, zip_uint64_t(entry.index), 0) else {
            throw TripletKitError("\(label) cannot be opened: \(archiveMessage())",
                                  hint: "the archive is damaged or uses an unsupported compression method; create it again")
        }
        defer { zip_fclose(file) }

        if buffer.count != entry.size { buffer = [UInt8](repeating: 0, count: entry.size) }
        var filled = 0
        let found: Int = try buffer.withUnsafeMutableBytes { memory in
            while filled < entry.size {
                let count = zip_fread(file, memory.baseAddress! + filled, zip_uint64_t(entry.size - filled))
                if count < 0 {
                    throw TripletKitError("\(label) is damaged: \(String(cString: zip_file_strerror(file)))",
                                          hint: "download or create the archive again, or pass --skip-bad to leave such entries out")
                }
                if count == 0 { break }
                filled += Int(count)
            }
            // Read once more at the end, so that libzip reaches the end of the data and
            // checks the CRC-32 even when the size was exact.
            var probe: UInt8 = 0
            let extra = zip_fread(file, &probe, 1)
            if extra < 0 {
                throw TripletKitError("\(label) is damaged: \(String(cString: zip_file_strerror(file)))",
                                      hint: "download or create the archive again, or pass --skip-bad to leave such entries out")
            }
            return filled + Int(extra)
        }

        guard found == entry.size else {
            throw TripletKitError("\(label) is damaged: the central directory declares \(entry.size) bytes, found \(found)",
                                  hint: "download or create the archive again, or pass --skip-bad to leave such entries out")
        }
    }

    private func archiveMessage() -> String {
        String(cString: zip_strerror(handle))
    }
}

/// A heap allocation freed with its owner.
private final class AllocatedBytes {
    let buffer: UnsafeMutableRawBufferPointer

    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    deinit { buffer.deallocate() }
}

/// Writes small zip archives, for tests, fuzzing seeds and benchmark inputs.
public enum ZipWriter {
    /// Writes `entries` to a new deflated zip at `path`, in the order given. A name that
    /// ends with "/" and has no bytes becomes a folder entry. Names are stored as given,
    /// so a test can write Windows-style "\" separators.
    public static func write(_ entries: [(name: String, bytes: [UInt8])], to path: String) throws {
        var code: Int32 = 0
        guard let handle = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            throw TripletKitError("'\(path)': cannot create the zip archive (libzip error \(code))")
        }
        for entry in entries {
            if entry.name.hasSuffix("/") && entry.bytes.isEmpty {
                guard zip_dir_add(handle, entry.name, zip_flags_t(ZIP_FL_ENC_UTF_8)) >= 0 else {
                    let message = String(cString: zip_strerror(handle))
                    zip_discard(handle)
                    throw TripletKitError("'\(path)': cannot add folder '\(entry.name)': \(message)")
                }
                continue
            }
            // libzip frees the copy when it closes the archive (the last argument, freep = 1).
            let copy = malloc(max(entry.bytes.count, 1))!
            entry.bytes.withUnsafeBytes { if $0.count > 0 { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            guard let source = zip_source_buffer(handle, copy, zip_uint64_t(entry.bytes.count), 1) else {
                free(copy)
                zip_discard(handle)
                throw TripletKitError("'\(path)': cannot add entry '\(entry.name)': out of memory")
            }
            guard zip_file_add(handle, entry.name, source, zip_flags_t(ZIP_FL_ENC_UTF_8)) >= 0 else {
                let message = String(cString: zip_strerror(handle))
                zip_source_free(source)
                zip_discard(handle)
                throw TripletKitError("'\(path)': cannot add entry '\(entry.name)': \(message)")
            }
        }
        guard zip_close(handle) == 0 else {
            let message = String(cString: zip_strerror(handle))
            zip_discard(handle)
            throw TripletKitError("'\(path)': cannot write the zip archive: \(message)")
        }
    }
}
