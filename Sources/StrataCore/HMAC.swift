/// HMAC-SHA256 (RFC 2104) over the archive's SHA-256: what scrypt's PBKDF2 step, session
/// cookies and CSRF tokens are made of. Pure; the key never leaves the process.
public enum HMAC {
    public static func sha256(key: [UInt8], _ message: some Sequence<UInt8>) -> [UInt8] {
        var k = key.count > 64 ? SHA256.digest(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// Compares without stopping at the first difference, so the time taken tells an attacker
    /// nothing about how much of a forged signature or a password was right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in a.indices { d |= a[i] ^ b[i] }
        return d == 0
    }
}
