import Foundation

/// Password hashes for config files: scrypt (RFC 7914) over HMAC-SHA-256, written as
/// `$scrypt$ln=14,r=8,p=1$<salt>$<hash>` (base64), the format passlib uses. A config never
/// holds a password, and a stolen config costs an attacker 16 MB and tens of milliseconds a guess.
public enum PasswordHash {
    public struct Parameters: Equatable, Sendable {
        public var logN: Int
        public var r: Int
        public var p: Int
        /// Cheaper than `standard` only for tests, which hash dozens of passwords.
        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }
        public static let standard = Parameters(logN: 14, r: 8, p: 1) // 16 MB, tens of ms
        /// Upper bounds a hash from a config may ask for: about 64 MB and a second of work.
        static let maxMemory = 64 << 20
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed
        case tooExpensive

        public var description: String {
            switch self {
            case .malformed: "not a password hash from `strata passwd` (expected $scrypt$ln=…,r=…,p=…$salt$hash)"
            case .tooExpensive:
                "the hash's scrypt parameters need more than 64 MB per check; make a new one with `strata passwd`"
            }
        }
    }

    /// A new hash of `password` with a random salt.
    public static func make(_ password: String, parameters: Parameters = .standard) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &rng) }
        let dk = scrypt(
            password: Array(password.utf8), salt: salt, n: 1 << parameters.logN, r: parameters.r, p: parameters.p,
            length: 32)
        return
            "$scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$\(Data(salt).base64EncodedString())$\(Data(dk).base64EncodedString())"
    }

    /// Checks a hash's form and cost without a password (for `strata check`).
    public static func parse(_ hash: String) throws(Failure) -> (Parameters, [UInt8], [UInt8]) {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { throw .malformed }
        var values: [String: Int] = [:]
        for kv in parts[2].split(separator: ",") {
            let f = kv.split(separator: "=")
            guard f.count == 2, let v = Int(f[1]) else { throw .malformed }
            values[String(f[0])] = v
        }
        guard let ln = values["ln"], let r = values["r"], let p = values["p"], (1...20).contains(ln),
            (1...32).contains(r), (1...16).contains(p),
            let salt = Data(base64Encoded: String(parts[3])), let dk = Data(base64Encoded: String(parts[4])),
            !dk.isEmpty
        else {
            throw .malformed
        }
        guard 128 * r * (1 << ln) <= Parameters.maxMemory, p * (1 << ln) <= 1 << 18 else { throw .tooExpensive }
        return (Parameters(logN: ln, r: r, p: p), Array(salt), Array(dk))
    }

    public static func verify(_ password: String, against hash: String) -> Bool {
        guard let (params, salt, expected) = try? parse(hash) else { return false }
        let dk = scrypt(
            password: Array(password.utf8), salt: salt, n: 1 << params.logN, r: params.r, p: params.p,
            length: expected.count)
        // Constant time over the length: no early exit on the first differing byte.
        var diff: UInt8 = 0
        for (a, b) in zip(dk, expected) { diff |= a ^ b }
        return diff == 0 && dk.count == expected.count
    }

    // MARK: - RFC 7914

    static func sha256(_ b: [UInt8]) -> [UInt8] {
        var s = SHA256()
        s.update(b)
        return s.finalize()
    }

    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        var out: [UInt8] = []
        var block: UInt32 = 1
        while out.count < length {
            var u = HMAC.sha256(
                key: password,
                salt + [
                    UInt8(block >> 24), UInt8(block >> 16 & 0xff), UInt8(block >> 8 & 0xff), UInt8(block & 0xff),
                ])
            var t = u
            if iterations > 1 {
                for _ in 1..<iterations {
                    u = HMAC.sha256(key: password, u)
                    for i in t.indices { t[i] ^= u[i] }
                }
            }
            out += t
            block += 1
        }
        return Array(out.prefix(length))
    }

    public static func scrypt(password: [UInt8], salt: [UInt8], n: Int, r: Int, p: Int, length: Int) -> [UInt8] {
        let blockWords = 32 * r
        let bytes = pbkdf2SHA256(password: password, salt: salt, iterations: 1, length: p * 128 * r)
        var b = [UInt32](repeating: 0, count: p * blockWords)
        for i in b.indices {
            b[i] =
                UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(
                    bytes[4 * i + 3]) << 24
        }
        var v = [UInt32](repeating: 0, count: n * blockWords)
        var x = [UInt32](repeating: 0, count: blockWords)
        var y = [UInt32](repeating: 0, count: blockWords)
        for chunk in 0..<p {
            let base = chunk * blockWords
            for k in 0..<blockWords { x[k] = b[base + k] }
            v.withUnsafeMutableBufferPointer { vp in
                x.withUnsafeMutableBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        for i in 0..<n {
                            for k in 0..<blockWords { vp[i * blockWords + k] = xp[k] }
                            blockMix(xp, yp, r)
                        }
                        for _ in 0..<n {
                            let j = Int(xp[(2 * r - 1) * 16]) & (n - 1)
                            for k in 0..<blockWords { xp[k] ^= vp[j * blockWords + k] }
                            blockMix(xp, yp, r)
                        }
                    }
                }
            }
            for k in 0..<blockWords { b[base + k] = x[k] }
        }
        var mixed = [UInt8](repeating: 0, count: b.count * 4)
        for (i, w) in b.enumerated() {
            mixed[4 * i] = UInt8(w & 0xff)
            mixed[4 * i + 1] = UInt8(w >> 8 & 0xff)
            mixed[4 * i + 2] = UInt8(w >> 16 & 0xff)
            mixed[4 * i + 3] = UInt8(w >> 24)
        }
        return pbkdf2SHA256(password: password, salt: mixed, iterations: 1, length: length)
    }

    /// BlockMix with Salsa20/8, in place on `b` (2r blocks of 16 words); `y` is scratch.
    static func blockMix(_ b: UnsafeMutableBufferPointer<UInt32>, _ y: UnsafeMutableBufferPointer<UInt32>, _ r: Int) {
        var x = (
            b[(2 * r - 1) * 16], b[(2 * r - 1) * 16 + 1], b[(2 * r - 1) * 16 + 2], b[(2 * r - 1) * 16 + 3],
            b[(2 * r - 1) * 16 + 4], b[(2 * r - 1) * 16 + 5], b[(2 * r - 1) * 16 + 6], b[(2 * r - 1) * 16 + 7],
            b[(2 * r - 1) * 16 + 8], b[(2 * r - 1) * 16 + 9], b[(2 * r - 1) * 16 + 10], b[(2 * r - 1) * 16 + 11],
            b[(2 * r - 1) * 16 + 12], b[(2 * r - 1) * 16 + 13], b[(2 * r - 1) * 16 + 14], b[(2 * r - 1) * 16 + 15]
        )
        for i in 0..<(2 * r) {
            withUnsafeMutableBytes(of: &x) { raw in
                let t = raw.bindMemory(to: UInt32.self)
                for k in 0..<16 { t[k] ^= b[i * 16 + k] }
                salsa8(t)
                // Even blocks to the first half, odd ones to the second.
                let dest = (i % 2 == 0 ? i / 2 : r + i / 2) * 16
                for k in 0..<16 { y[dest + k] = t[k] }
            }
        }
        for k in 0..<(32 * r) { b[k] = y[k] }
    }

    @inline(__always) static func salsa8(_ b: UnsafeMutableBufferPointer<UInt32>) {
        @inline(__always) func rotl(_ a: UInt32, _ n: UInt32) -> UInt32 { (a << n) | (a >> (32 - n)) }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { x in
            for i in 0..<16 { x[i] = b[i] }
            for _ in stride(from: 0, to: 8, by: 2) {
                x[4] ^= rotl(x[0] &+ x[12], 7)
                x[8] ^= rotl(x[4] &+ x[0], 9)
                x[12] ^= rotl(x[8] &+ x[4], 13)
                x[0] ^= rotl(x[12] &+ x[8], 18)
                x[9] ^= rotl(x[5] &+ x[1], 7)
                x[13] ^= rotl(x[9] &+ x[5], 9)
                x[1] ^= rotl(x[13] &+ x[9], 13)
                x[5] ^= rotl(x[1] &+ x[13], 18)
                x[14] ^= rotl(x[10] &+ x[6], 7)
                x[2] ^= rotl(x[14] &+ x[10], 9)
                x[6] ^= rotl(x[2] &+ x[14], 13)
                x[10] ^= rotl(x[6] &+ x[2], 18)
                x[3] ^= rotl(x[15] &+ x[11], 7)
                x[7] ^= rotl(x[3] &+ x[15], 9)
                x[11] ^= rotl(x[7] &+ x[3], 13)
                x[15] ^= rotl(x[11] &+ x[7], 18)
                x[1] ^= rotl(x[0] &+ x[3], 7)
                x[2] ^= rotl(x[1] &+ x[0], 9)
                x[3] ^= rotl(x[2] &+ x[1], 13)
                x[0] ^= rotl(x[3] &+ x[2], 18)
                x[6] ^= rotl(x[5] &+ x[4], 7)
                x[7] ^= rotl(x[6] &+ x[5], 9)
                x[4] ^= rotl(x[7] &+ x[6], 13)
                x[5] ^= rotl(x[4] &+ x[7], 18)
                x[11] ^= rotl(x[10] &+ x[9], 7)
                x[8] ^= rotl(x[11] &+ x[10], 9)
                x[9] ^= rotl(x[8] &+ x[11], 13)
                x[10] ^= rotl(x[9] &+ x[8], 18)
                x[12] ^= rotl(x[15] &+ x[14], 7)
                x[13] ^= rotl(x[12] &+ x[15], 9)
                x[14] ^= rotl(x[13] &+ x[12], 13)
                x[15] ^= rotl(x[14] &+ x[13], 18)
            }
            for i in 0..<16 { b[i] = b[i] &+ x[i] }
        }
    }
}
