// swift-tools-version: 6.1
import PackageDescription

let strictness: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "strata",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        .library(name: "StrataCore", targets: ["StrataCore"]),
        .library(name: "StrataStore", targets: ["StrataStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        // The web dashboard and HTTP API. Its swift-configuration trait is left out: Strata
        // reads its own TOML, and that package would only add build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // Already built for Hummingbird; named for the HTTP part types the connection guard reads.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Fleet replication into a central PostgreSQL (COPY and upserts); the server is Debian's.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Pure domain logic: calendar and bucket math, counters, CSV encoding. No I/O.
        // SHA-256 of archive files: the system's libcrypto uses the CPU's SHA instructions
        // (SHA-NI, ARMv8 crypto), 5-10x a portable implementation.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "StrataCore", dependencies: ["CCrypto"], swiftSettings: strictness),
        .systemLibrary(name: "CModbus", pkgConfig: "libmodbus", providers: [.apt(["libmodbus-dev"])]),
        // Register maps and word decoding of Modbus meters; read planning; SunSpec discovery. No I/O.
        .target(name: "StrataModbus", dependencies: ["StrataCore"], swiftSettings: strictness),
        // Alarm rules and their state machine (inactive → pending → active → cleared), consumption
        // windows in site time. Pure: minutes in, notices out.
        .target(name: "StrataAlarms", dependencies: ["StrataCore"], swiftSettings: strictness),
        // strata.toml: a small TOML reader that keeps line numbers, the typed config, device profiles.
        .target(
            name: "StrataConfig", dependencies: ["StrataAlarms", "StrataCore", "StrataModbus"],
            resources: [.copy("Profiles")], swiftSettings: strictness),
        // Acquisition: Modbus links (libmodbus on dedicated threads), simulated meters and the
        // minute scheduler, writing through the `SampleStore` it is given.
        .target(
            name: "StrataSampler",
            dependencies: [
                "StrataCore", "StrataModbus", "StrataConfig", "StrataStore", "CModbus",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictness),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // MQTT messages of written minutes and Home Assistant discovery configs, the backlog
        // kept while the broker is down. Pure: no sockets.
        .target(name: "StrataMQTT", dependencies: ["StrataCore"], swiftSettings: strictness),
        // The central schema, the COPY encoding of buckets, fleet CSV exports. Pure: no sockets.
        .target(name: "StrataFleet", dependencies: ["StrataCore"], swiftSettings: strictness),
        // The central server connection: postgres-nio, the schema, pushes in one transaction, reads.
        .target(
            name: "StrataFleetLink",
            dependencies: [
                "StrataFleet", "StrataCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness),
        // The broker connection: libmosquitto with its own network thread and reconnects.
        .target(name: "StrataMQTTLink", dependencies: ["StrataMQTT", "CMosquitto"], swiftSettings: strictness),
        // The alarm rules beside the store's writer (`AlarmKeeper`) and the judging of late data
        // (`LateData`): the pure rules of StrataAlarms applied to the store.
        .target(
            name: "StrataAlarmService",
            dependencies: [
                "StrataAlarms", "StrataConfig", "StrataCore", "StrataStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness),
        // MQTT as a service: publishing every written minute (`MQTTService`) and the inbox of
        // MQTT meters (`MQTTInbox`, handed to the sampler as a `MessageInbox`).
        .target(
            name: "StrataMQTTService",
            dependencies: [
                "StrataConfig", "StrataCore", "StrataMQTT", "StrataMQTTLink", "StrataSampler", "StrataStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness),
        // The fleet as services: replication of a site's buckets (`ReplicationService`, its reader
        // on its own connection) and a central box's fleet archive tree (`FleetService`, `FleetTree`).
        .target(
            name: "StrataFleetService",
            dependencies: [
                "StrataArchive", "StrataConfig", "StrataCore", "StrataDatabase", "StrataFleet", "StrataFleetLink",
                "StrataStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness),
        // The wiring: opens the store from a config, owns the store actor and the archivist,
        // and runs the sampler, maintenance, report and FTP services until a signal.
        .target(
            name: "StrataRuntime",
            dependencies: [
                "StrataCore", "StrataConfig", "StrataDatabase", "StrataStore", "StrataSampler", "StrataArchive",
                "StrataFTP", "StrataReport", "StrataWeb", "StrataAlarms", "StrataAlarmService", "StrataMQTTService",
                "StrataFleetService",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Embedded"],
            swiftSettings: strictness,
            plugins: ["EmbedFiles"]),
        // A channel's readings over a span as one compact, lossless block (scaled integers
        // bit-packed, Gorilla XOR for other doubles, a CRC). Pure: no I/O, no dependencies.
        .target(name: "StrataCodec", swiftSettings: strictness),
        // One SQLite connection with typed errors, and the thread blocking calls run on.
        .target(name: "StrataDatabase", dependencies: ["CSQLite"], swiftSettings: strictness),
        // The tiered SQLite store: minute tier, roll-ups, retention, columnar reads, backup,
        // device status and the archive's ledger.
        .target(
            name: "StrataStore",
            dependencies: [
                "StrataCore", "StrataCodec", "StrataDatabase", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness),
        // CSV / gzip import: streaming reader, time parsing, row mapping.
        .target(
            name: "StrataImport",
            dependencies: ["StrataCore", "StrataStore", "CZlib"],
            swiftSettings: strictness),
        // The CSV archive tree: layout, atomic files, incremental writer.
        .target(name: "CFileSync"),
        .target(
            name: "StrataArchive",
            dependencies: ["StrataCore", "StrataStore", "CFileSync", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictness),
        // The read-only FTP view of the archive: line decoder, session state machine and
        // listing formats (pure), and thin SwiftNIO adapters for control and data connections.
        .target(
            name: "StrataFTP",
            dependencies: [
                "StrataCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // TLSResumptionObserver reads the TLS user events (NIOTLS) next to the socket.
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness),
        // ZIP archives (deflate through zlib), for report attachments.
        .target(name: "StrataZip", dependencies: ["StrataCore", "CZlib"], swiftSettings: strictness),
        // E-mail: MIME message building, the SMTP client state machine (pure) and its SwiftNIO adapter.
        .target(
            name: "StrataMail",
            dependencies: [
                "StrataCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness),
        // Scheduled reports: periods and due times, figures from the store, HTML/text/CSV
        // rendering, ZIP attachments, the durable outbox and the service that mails them.
        .target(
            name: "StrataReport",
            dependencies: [
                "StrataAlarms", "StrataCore", "StrataConfig", "StrataDatabase", "StrataStore", "StrataArchive",
                "StrataMail", "StrataZip",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness),
        // The web dashboard, the HTTP API and /metrics: HTML and SVG rendering, JSON, sessions
        // and the connection guard (pure), a read connection to the store, the Hummingbird server.
        .target(
            name: "StrataWeb",
            dependencies: [
                "StrataCore", "StrataConfig", "StrataDatabase", "StrataStore", "StrataArchive", "StrataReport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Embedded"],
            swiftSettings: strictness,
            plugins: ["EmbedFiles"]),
        .executableTarget(
            name: "strata",
            dependencies: [
                "StrataCore", "StrataConfig", "StrataStore", "StrataImport", "StrataArchive", "StrataModbus",
                "StrataSampler", "StrataFTP",
                "StrataReport", "StrataMail", "StrataRuntime", "StrataWeb", "StrataFleet", "StrataFleetLink",
                "StrataAlarmService", "StrataFleetService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness),
        // Files embedded into a target at build time (its `Embedded/` folder): the build tool and
        // the plugin that runs it.
        .executableTarget(name: "strata-embed", swiftSettings: strictness),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["strata-embed"]),
        // The parsers that meet outside bytes as one-input functions, for libFuzzer and replay.
        .target(
            name: "StrataFuzzTargets",
            dependencies: [
                "StrataCodec", "StrataCore", "StrataConfig", "StrataFTP", "StrataImport", "StrataMail", "StrataModbus",
            ],
            swiftSettings: strictness),
        // libFuzzer entry (tools/fuzz/run.sh builds it with -sanitize=fuzzer); a replay tool otherwise.
        .executableTarget(name: "strata-fuzz", dependencies: ["StrataFuzzTargets"], swiftSettings: strictness),
        // The plain-C reference the ingest benchmark is measured against.
        .target(name: "CBenchReference", dependencies: ["CSQLite"]),
        .executableTarget(
            name: "strata-bench",
            dependencies: [
                "StrataCodec", "StrataCore", "StrataDatabase", "StrataStore", "StrataArchive", "StrataConfig",
                "StrataSampler", "StrataRuntime", "StrataFleet", "StrataFleetLink", "StrataMail", "StrataWeb",
                "StrataAlarms", "StrataMQTT", "StrataMQTTLink", "StrataFleetService", "CBenchReference",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness),
        // What tests share: temporary folders, the datasets, TOML builders, the Python peers
        // (Modbus simulator, mail server) and the `strata` launcher.
        .target(
            name: "StrataTestSupport", dependencies: ["StrataCore", "StrataStore", "StrataImport"],
            path: "Tests/StrataTestSupport", swiftSettings: strictness),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore"], swiftSettings: strictness),
        .testTarget(
            name: "StrataAlarmsTests", dependencies: ["StrataAlarms", "StrataCore"], swiftSettings: strictness),
        .testTarget(name: "StrataMQTTTests", dependencies: ["StrataMQTT", "StrataCore"], swiftSettings: strictness),
        .testTarget(name: "StrataFleetTests", dependencies: ["StrataFleet", "StrataCore"], swiftSettings: strictness),
        .testTarget(
            name: "StrataCodecTests", dependencies: ["StrataCodec", "StrataTestSupport"], swiftSettings: strictness),
        .testTarget(
            name: "StrataModbusTests", dependencies: ["StrataModbus", "StrataCore"], swiftSettings: strictness),
        .testTarget(
            name: "StrataConfigTests",
            dependencies: ["StrataAlarms", "StrataConfig", "StrataModbus", "StrataCore", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataStoreTests", dependencies: ["StrataStore", "StrataCore", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataImportTests",
            dependencies: ["StrataImport", "StrataStore", "StrataCore", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataArchiveTests",
            dependencies: ["StrataArchive", "StrataStore", "StrataImport", "StrataCore", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataZipTests", dependencies: ["StrataZip", "StrataCore", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(name: "StrataMailTests", dependencies: ["StrataMail", "StrataCore"], swiftSettings: strictness),
        .testTarget(
            name: "StrataReportTests",
            dependencies: [
                "StrataReport", "StrataStore", "StrataImport", "StrataConfig", "StrataCore", "StrataMail",
                "StrataTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataFTPTests",
            dependencies: [
                "StrataFTP", .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strictness),
        .testTarget(
            name: "StrataSamplerTests",
            dependencies: [
                "StrataSampler", "StrataModbus", "StrataConfig", "StrataStore", "StrataCore", "StrataTestSupport",
            ],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataFuzzTests", dependencies: ["StrataFuzzTargets"], resources: [.copy("Corpus")],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataWebTests",
            dependencies: [
                "StrataWeb", "StrataStore", "StrataCore", "StrataConfig", "StrataReport", "StrataTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness),
        // The services, driven as users drive them: the `strata` binary against mosquitto and a
        // PostgreSQL made with initdb (the CLI launcher needs the executable built).
        .testTarget(
            name: "StrataAlarmServiceTests",
            dependencies: [
                "StrataAlarmService", "StrataStore", "StrataConfig", "StrataCore", "strata", "StrataTestSupport",
            ],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataMQTTServiceTests",
            dependencies: [
                "StrataMQTTService", "StrataSampler", "StrataConfig", "StrataCore", "strata", "StrataTestSupport",
            ],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataFleetServiceTests",
            dependencies: ["StrataFleetService", "StrataFleet", "StrataCore", "strata", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataRuntimeTests",
            dependencies: ["StrataRuntime", "StrataStore", "StrataConfig", "StrataCore", "StrataTestSupport"],
            swiftSettings: strictness),
        .testTarget(
            name: "StrataCLITests",
            dependencies: ["StrataCore", "strata", "StrataTestSupport"],
            swiftSettings: strictness),
    ]
)
