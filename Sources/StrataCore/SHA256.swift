import CCrypto

/// SHA-256 (FIPS 180-4): the archive's `SHA256SUMS` (checked by users with `sha256sum -c`),
/// HMAC/PBKDF2 inside the password hashes, stable ids.
///
/// Backed by the system's libcrypto: a rebuild hashes every closed archive file (tens of GB
/// over two years of minutes), and libcrypto uses the CPU's SHA instructions where a portable
/// implementation spent 13 % of a rebuild. A value type with copy-on-write: a copy hashes on
/// independently of the original.
public struct SHA256: Sendable {
    private var context: Context

    public init() {
        context = Context()
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        // Contiguous input (an archive file's bytes) is hashed in place, without a copy.
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    public mutating func update(_ all: UnsafeRawBufferPointer) {
        guard let base = all.baseAddress, !all.isEmpty else { return }
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        EVP_DigestUpdate(context.ctx, base, all.count)
    }

    /// The digest of everything given so far; the value starts over afterwards.
    public mutating func finalize() -> [UInt8] {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var n: UInt32 = 0
        EVP_DigestFinal_ex(context.ctx, &out, &n)
        context = Context()
        return Array(out.prefix(Int(n)))
    }

    public static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest(bytes) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Owns one libcrypto digest context.
    private final class Context: @unchecked Sendable {
        // Only ever mutated through a uniquely referenced `SHA256`: no sharing across threads.
        let ctx: OpaquePointer

        init() {
            guard let c = EVP_MD_CTX_new() else { fatalError("libcrypto: out of memory for a digest context") }
            ctx = c
            EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        }

        private init(copying other: OpaquePointer) {
            guard let c = EVP_MD_CTX_new() else { fatalError("libcrypto: out of memory for a digest context") }
            ctx = c
            EVP_MD_CTX_copy_ex(ctx, other)
        }

        func copy() -> Context { Context(copying: ctx) }

        deinit { EVP_MD_CTX_free(ctx) }
    }
}
