/// Several `SeriesBlock`s as one byte string (the fields of a tier's aggregates, one column
/// each): a format version, the number of blocks, then each block with its length. Every
/// block keeps its own checksum, so damage anywhere is found.
public enum SeriesBundle {
    public static let formatVersion = 1

    public static func encode(_ blocks: [SeriesBlock]) -> [UInt8] {
        var out: [UInt8] = [UInt8(formatVersion)]
        Varint.append(UInt64(blocks.count), to: &out)
        for b in blocks {
            let e = b.encoded()
            Varint.append(UInt64(e.count), to: &out)
            out += e
        }
        return out
    }

    /// The blocks' columns; a damaged or truncated bundle is an error, never wrong numbers.
    public static func decode(_ bytes: [UInt8]) throws(SeriesBlockError) -> [SeriesColumns] {
        guard let version = bytes.first else { throw .truncated }
        guard Int(version) <= formatVersion else { throw .version(Int(version)) }
        guard version >= 1 else { throw .corrupt("bundle format 0") }
        var i = 1
        let count = try Varint.read(bytes, &i, end: bytes.count)
        guard count <= 64 else { throw .corrupt("\(count) columns in a bundle") }
        var out: [SeriesColumns] = []
        for _ in 0..<Int(count) {
            let len = try Varint.read(bytes, &i, end: bytes.count)
            guard len <= UInt64(bytes.count - i) else { throw .truncated }
            out.append(try SeriesBlock.columns(Array(bytes[i..<(i + Int(len))])))
            i += Int(len)
        }
        guard i == bytes.count else { throw .corrupt("\(bytes.count - i) bytes after the last column") }
        return out
    }
}
