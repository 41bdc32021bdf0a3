import CZlib
import StrataCore

/// A ZIP archive built in memory (PKWARE APPNOTE 6.3, no ZIP64): deflated entries, the central
/// directory, CRC-32 from zlib. Windows Explorer, Excel users' "Extract all", macOS and Python's
/// zipfile open it.
///
/// Without ZIP64 an archive holds at most 65,535 entries and 4 GiB: past either, `add` throws
/// (`tooManyEntries`, `tooLarge`) before any field would overflow. Reports never get there:
/// `max_attachment` is at most 1 GB and files that alone exceed it are left out unread.
public struct ZipArchive: Sendable {
    public enum ZipError: Error, Equatable, CustomStringConvertible {
        case nonASCIIName(String)
        case tooLarge
        case tooManyEntries
        case deflate(Int32)
        public var description: String {
            switch self {
            case .nonASCIIName(let n): "ZIP entry name \"\(n)\" is not ASCII; Windows shows such names garbled"
            case .tooLarge: "ZIP archive would exceed 4 GB; ZIP64 is not written"
            case .tooManyEntries:
                "ZIP archive would hold more than \(ZipArchive.maxEntries) files; ZIP64 is not written"
            case .deflate(let rc): "deflate failed (zlib error \(rc))"
            }
        }
    }

    private var bytes: [UInt8] = []
    private var central: [UInt8] = []
    public private(set) var names: [String] = []

    public init() {}

    public static let maxEntries = Int(UInt16.max)
    /// Limit of any one size or offset field: 4 GiB less a margin for headers.
    static let maxBytes = Int(UInt32.max) - (1 << 20)

    /// Bytes of the archive so far, without the central directory.
    public var size: Int { bytes.count + central.count + 22 }

    /// Adds a file; `modified` is the local wall-clock time shown by unzip tools.
    public mutating func add(name: String, data: [UInt8], modified: LocalDateTime) throws(ZipError) {
        guard name.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }), name.utf8.count <= 1024 else { throw .nonASCIIName(name) }
        guard names.count < Self.maxEntries else { throw .tooManyEntries }
        guard data.count < Self.maxBytes else { throw .tooLarge }
        let packed = try Self.deflate(data)
        // Stored is smaller for data that does not compress (already compressed, tiny).
        let method: UInt16 = packed.count < data.count ? 8 : 0
        let body = method == 8 ? packed : data
        let crc = data.withUnsafeBufferPointer { p in UInt32(crc32(0, p.baseAddress, uInt(p.count))) }
        let nameBytes = Array(name.utf8)
        // The name goes in twice (local header and central directory).
        guard bytes.count + body.count + central.count + 2 * nameBytes.count + 200 < Self.maxBytes else {
            throw .tooLarge
        }
        let offset = UInt32(bytes.count)
        let (time, date) = Self.dosTime(modified)
        // Local file header.
        var h: [UInt8] = []
        h.le32(0x0403_4b50)
        h.le16(20) // version needed: 2.0 (deflate)
        h.le16(0)
        h.le16(method)
        h.le16(time)
        h.le16(date)
        h.le32(crc)
        h.le32(UInt32(body.count))
        h.le32(UInt32(data.count))
        h.le16(UInt16(nameBytes.count))
        h.le16(0)
        bytes += h
        bytes += nameBytes
        bytes += body
        // Central directory entry.
        var c: [UInt8] = []
        c.le32(0x0201_4b50)
        c.le16(20)
        c.le16(20)
        c.le16(0)
        c.le16(method)
        c.le16(time)
        c.le16(date)
        c.le32(crc)
        c.le32(UInt32(body.count))
        c.le32(UInt32(data.count))
        c.le16(UInt16(nameBytes.count))
        c.le16(0)
        c.le16(0)
        c.le16(0)
        c.le16(0)
        c.le32(0)
        c.le32(offset)
        central += c
        central += nameBytes
        names.append(name)
    }

    /// The finished archive.
    public func finish() -> [UInt8] {
        var out = bytes
        out += central
        var e: [UInt8] = []
        e.le32(0x0605_4b50)
        e.le16(0)
        e.le16(0)
        e.le16(UInt16(names.count))
        e.le16(UInt16(names.count))
        e.le32(UInt32(central.count))
        e.le32(UInt32(bytes.count))
        e.le16(0)
        out += e
        return out
    }

    /// Raw deflate (no zlib header), as ZIP method 8 wants it.
    static func deflate(_ data: [UInt8]) throws(ZipError) -> [UInt8] {
        var stream = z_stream()
        var rc = deflateInit2_(
            &stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw .deflate(rc) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(data.count)))
        var out = [UInt8](repeating: 0, count: bound + 16)
        var input = data
        rc = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { outp in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inp.count)
                stream.next_out = outp.baseAddress
                stream.avail_out = uInt(outp.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw .deflate(rc) }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    /// MS-DOS time and date fields (2-second resolution, years from 1980).
    static func dosTime(_ t: LocalDateTime) -> (UInt16, UInt16) {
        let d = t.date
        let s = t.secondOfDay
        let time = UInt16(s / 3600) << 11 | UInt16(s / 60 % 60) << 5 | UInt16(s % 60 / 2)
        let date = UInt16(max(0, d.year - 1980)) << 9 | UInt16(d.month) << 5 | UInt16(d.day)
        return (time, date)
    }
}

extension [UInt8] {
    mutating func le16(_ v: UInt16) {
        append(UInt8(v & 0xFF))
        append(UInt8(v >> 8))
    }
    mutating func le32(_ v: UInt32) { for i in 0..<4 { append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
}
