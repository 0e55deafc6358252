// Streaming gzip inflation with zlib, so that a reader can check a file's header before
// it allocates room for the payload.

internal import CZlib

/// Tells whether `bytes` begin with the gzip signature (1f 8b). File names are not consulted.
public func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
}

/// The largest expansion deflate allows (about 1032:1), used to reject headers that
/// declare more data than a compressed file could hold.
let maximumDeflateRatio = 1032

/// Inflates a gzip member sequence from a byte buffer, a chunk at a time.
final class GzipInflater {
    private var stream = z_stream()
    private let input: UnsafeRawBufferPointer
    private let path: String
    private var finished = false

    init(_ input: UnsafeRawBufferPointer, path: String) throws {
        self.input = input
        self.path = path
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        // 16 + MAX_WBITS selects the gzip wrapper.
        let status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw TripletKitError("'\(path)': zlib failed to start inflating (status \(status))")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Fills `buffer` completely unless the stream ends first; returns the bytes written.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count && !finished {
            stream.next_out = (buffer.baseAddress! + filled).assumingMemoryBound(to: Bytef.self)
            // A uInt counts at most 4 GiB, so large reads go in slices.
            let slice = min(buffer.count - filled, Int(UInt32.max))
            stream.avail_out = uInt(slice)
            let status = inflate(&stream, Z_NO_FLUSH)
            filled += slice - Int(stream.avail_out)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Concatenated gzip members form one stream, as gzip(1) treats them.
                if stream.avail_in > 0 && inflateReset(&stream) == Z_OK { continue }
                finished = true
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw TripletKitError("'\(path)': the gzip stream ends early, after \(Int(stream.total_out)) bytes",
                                      hint: "the file is probably a partial download; fetch it again")
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw TripletKitError("'\(path)': invalid gzip data after \(Int(stream.total_out)) bytes: \(detail)",
                                      hint: "the file is damaged; fetch it again")
            }
        }
        return filled
    }

    /// True when nothing follows what was read so far.
    func atEnd() throws -> Bool {
        if finished { return true }
        var probe: UInt8 = 0
        let count = try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
        return count == 0
    }
}
