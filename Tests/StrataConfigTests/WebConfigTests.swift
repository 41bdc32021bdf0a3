import StrataConfig
import StrataCore
import StrataTestSupport
import Testing

/// The `[web]` section: its contract keys, defaults, and mistakes named by file, line and key.
struct WebConfigTests {
    static func config(_ web: String, ftp: String = "") -> String {
        SiteTOML.header(timezone: "Europe/Berlin", store: "/tmp/s.sqlite") + ftp + "\n" + web
    }

    @Test func defaultsBindLoopbackOn8080() throws {
        let c = try StrataConfig.parse(Self.config("[web]\n"), file: "/etc/strata.toml")
        let w = try #require(c.web)
        #expect(w.port == 8080)
        #expect(!w.isPublic)
        #expect(w.bindAddress == "127.0.0.1")
        #expect(w.apiTokens.isEmpty)
        #expect(try StrataConfig.parse(Self.config(""), file: "/etc/strata.toml").web == nil, "no [web], no web server")
    }

    @Test func contractKeys() throws {
        let hash = PasswordHash.make("a-long-api-token", parameters: .init(logN: 8, r: 8, p: 1))
        let c = try StrataConfig.parse(
            Self.config(
                """
                [web]
                port = 8443
                public = true
                api_tokens = ["\(hash)"]
                tls = true
                max_per_address = 4
                """, ftp: "[ftp]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n"), file: "/etc/strata/strata.toml")
        let w = try #require(c.web)
        #expect(w.port == 8443)
        #expect(w.bindAddress == "0.0.0.0")
        #expect(w.apiTokens == [hash])
        #expect(w.tlsCert == "/etc/strata/cert.pem" && w.tlsKey == "/etc/strata/key.pem", "the FTPS certificate")
        #expect(w.maxPerAddress == 4)
    }

    @Test(arguments: [
        ("port = 0", 9, "web.port", "from 1 to 65535"),
        ("public = \"yes\"", 9, "web.public", "expected true or false"),
        ("api_tokens = [\"secret-token\"]", 9, "web.api_tokens[0]", "strata passwd"),
        ("tls = true", 9, "web.tls", "[ftp]"),
        ("tls_cert = \"c.pem\"", 8, "web.tls_key", "both"),
        ("prot = 8080", 9, "web.prot", "unknown key"),
        ("session_lifetime = \"a week\"", 9, "web.session_lifetime", "duration"),
    ])
    func mistakesNameFileLineAndKey(line text: String, line: Int, key: String, message: String) {
        ConfigMistake.expect(
            Self.config("[web]\n" + text + "\n"), file: "/etc/strata.toml", key: key, line: line, message: message)
    }
}
