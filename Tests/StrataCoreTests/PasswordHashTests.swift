import Foundation
import Testing

@testable import StrataCore

@Suite struct PasswordHashTests {
    static func hex(_ s: String) -> [UInt8] {
        let digits = Array(s.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
    }

    @Test func rfc7914Vectors() {
        #expect(
            PasswordHash.pbkdf2SHA256(
                password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
                == Self.hex(
                    """
                    55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05 f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc
                    49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31 7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83
                    """))
        #expect(
            PasswordHash.scrypt(password: [], salt: [], n: 16, r: 1, p: 1, length: 64)
                == Self.hex(
                    """
                    77 d6 57 62 38 65 7b 20 3b 19 ca 42 c1 8a 04 97 f1 6b 48 44 e3 07 4a e8 df df fa 3f ed e2 14 42
                    fc d0 06 9d ed 09 48 f8 32 6a 75 3a 0f c8 1f 17 e8 d3 e0 fb 2e 0d 36 28 cf 35 e2 0c 38 d1 89 06
                    """))
        #expect(
            PasswordHash.scrypt(
                password: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, length: 64)
                == Self.hex(
                    """
                    fd ba be 1c 9d 34 72 00 78 56 e7 19 0d 01 e9 fe 7c 6a d7 cb c8 23 78 30 e7 73 76 63 4b 37 31 62
                    2e af 30 d9 2e 22 a3 88 6f f1 09 27 9d 98 30 da c7 27 af b9 4a 83 ee 6d 83 60 cb df a2 cc 06 40
                    """))
    }

    @Test func hashesVerifyAndRejectAndAreSalted() throws {
        let p = PasswordHash.Parameters(logN: 10, r: 8, p: 1)
        let a = PasswordHash.make("s3cret", parameters: p)
        let b = PasswordHash.make("s3cret", parameters: p)
        #expect(a != b)
        #expect(a.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(PasswordHash.verify("s3cret", against: a) && PasswordHash.verify("s3cret", against: b))
        #expect(!PasswordHash.verify("s3cret ", against: a) && !PasswordHash.verify("", against: a))
        #expect(throws: PasswordHash.Failure.malformed) { try PasswordHash.parse("s3cret") }
        #expect(throws: PasswordHash.Failure.tooExpensive) { try PasswordHash.parse("$scrypt$ln=20,r=8,p=1$AAAA$AAAA") }
    }
}
