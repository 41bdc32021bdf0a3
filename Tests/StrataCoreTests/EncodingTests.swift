import Foundation
import Testing

@testable import StrataCore

@Suite struct EncodingTests {
    @Test(arguments: [
        (12345 as Int64, 3, "12.345"), (5, 3, "0.005"), (-5, 3, "-0.005"), (0, 2, "0.00"), (42, 0, "42"), (7, -1, "70"),
    ])
    func decimalFormatting(steps: Int64, decimals: Int, text: String) {
        #expect(Decimal.format(steps: steps, decimals: decimals) == text)
        var w = CSVWriter(dialect: .iso)
        w.number(steps: steps, decimals: decimals)
        #expect(String(decoding: w.bytes, as: UTF8.self) == text)
    }

    @Test func excelEUUsesSemicolonsDecimalCommaAndBOM() {
        var w = CSVWriter(dialect: .excelEU)
        w.writeBOM()
        w.field("Zähler; A")
        w.number(1234.5, Resolution(decimals: 3))
        w.empty()
        w.endRow()
        #expect(w.bytes == [0xEF, 0xBB, 0xBF] + Array("\"Zähler; A\";1234,500;\r\n".utf8))
        #expect(CSVDialect.excelEU.offsetText(-8 * 3600) == "UTC-08:00")
        #expect(CSVDialect.iso.offsetText(19_800) == "+05:30")
    }

    @Test func quotesOnlyWhenNeeded() {
        var w = CSVWriter(dialect: .iso)
        w.field("plain")
        w.field("a,b")
        w.field("say \"hi\"")
        w.endRow()
        #expect(String(decoding: w.bytes, as: UTF8.self) == "plain,\"a,b\",\"say \"\"hi\"\"\"\r\n")
    }

    @Test func largeNumbersNeverUseScientificNotation() {
        var w = CSVWriter(dialect: .iso)
        w.number(123_456_789_012.5, Resolution(decimals: 3))
        #expect(String(decoding: w.bytes, as: UTF8.self) == "123456789012.500")
    }

    @Test(arguments: [
        ("1 min", 60 as Int64?), ("15 min", 900), ("10s", 10), ("400 days", 34_560_000), ("forever", nil),
    ])
    func spans(text: String, seconds: Int64?) throws {
        #expect(try Span(parsing: text).seconds == seconds)
    }

    @Test func badSpanIsRefused() {
        #expect(throws: Span.ParseError.self) { try Span(parsing: "ten days") }
    }

    @Test func sizesAndResolutions() {
        #expect(ByteSize(parsing: "2 GB")?.bytes == 2_000_000_000)
        #expect(ByteSize(parsing: "1.5 GiB")?.bytes == 1_610_612_736)
        #expect(ByteSize(parsing: "lots") == nil)
        #expect(Resolution(0.001)?.decimals == 3)
        #expect(Resolution(10)?.decimals == -1)
        #expect(Resolution(0.003) == nil)
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var s = SHA256()
        s.update(data[..<3])
        s.update(data[3..<130])
        s.update(data[130...])
        #expect(
            s.finalize()
                == {
                    var t = SHA256()
                    t.update(data)
                    return t.finalize()
                }())
    }

    @Test func aCopyHashesOnIndependently() {
        var a = SHA256()
        a.update(Array("ab".utf8))
        var b = a
        b.update(Array("c".utf8))
        a.update(Array("x".utf8))
        #expect(SHA256.hex(Array("abc".utf8)) == b.finalize().map { String(format: "%02x", $0) }.joined())
        #expect(a.finalize() == SHA256.digest(Array("abx".utf8)))
        // finalize starts the value over.
        #expect(a.finalize() == SHA256.digest([UInt8]()))
    }
}

@Suite struct LabelTests {
    @Test func labelsAreWrittenAsBytes() {
        var w = CSVWriter(dialect: .excelEU)
        w.dateTime(LocalDateTime(date: CivilDate(year: 2026, month: 3, day: 9), hour: 7, minute: 5, second: 3))
        w.offset(-8 * 3600)
        w.offset(19_800)
        #expect(String(decoding: w.bytes, as: UTF8.self) == "2026-03-09 07:05:03;UTC-08:00;UTC+05:30")
        var i = CSVWriter(dialect: .iso)
        i.dateTime(LocalDateTime(secondsSinceEpoch: 0), iso: true)
        i.offset(0)
        #expect(String(decoding: i.bytes, as: UTF8.self) == "1970-01-01T00:00:00Z,+00:00")
    }
}
