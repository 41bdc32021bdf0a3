import Foundation
import Logging
import ServiceLifecycle
import StrataArchive
import StrataConfig
import StrataCore
import StrataFTP
import StrataFleetService
import StrataMQTTService
import StrataReport
import StrataSampler
import StrataStore
import StrataWeb

/// Strata as a running process: the store actor, the archivist and the services of `strata
/// run` and `strata demo`, wired from one config. The CLI parses arguments and calls this;
/// nothing below it opens a store or starts a service on its own.
public struct Runtime: Sendable {
    public let config: StrataConfig
    /// The one writer of the store while the services run.
    public let store: StoreActor
    /// The archive's own connection and thread; nil with `--no-archive`.
    public let archivist: Archivist?

    /// Opens the store (refusing a damaged one) and, when the archive is written, the
    /// archivist's connection.
    public init(config: StrataConfig, archive: Bool, logger: Logger = Logger(label: "strata")) throws(StoreError) {
        self.config = config
        store = try StoreActor(config: config, logger: logger)
        // A central box's archive is the fleet tree, kept by FleetService, not an archivist.
        archivist = archive && config.fleet == nil ? try Archivist(config: config) : nil
    }

    /// Runs sampler, maintenance, reports and (given settings) the FTP server in one service
    /// group until SIGTERM or SIGINT, then shuts them down in reverse order.
    package func run(
        clock: any WallClock, ftp: FTPServerConfig? = nil, web: WebSettings? = nil, metrics: StrataMetrics? = nil
    ) async throws {
        let cfg = config
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: SamplerService(
                    config: cfg, store: store, clock: clock, logger: Logger(label: "strata.sampler"))),
            .init(
                service: MaintenanceService(
                    store: store, archivist: archivist, clock: clock, logger: Logger(label: "strata.maintenance"))),
        ]
        // Reports and alarm notices share the durable outbox and its delivery.
        if !cfg.reports.isEmpty || !cfg.alarms.isEmpty {
            // The reports read through a read-only connection of their own; what they record
            // goes through the writer.
            services.append(
                .init(
                    service: ReportService(
                        config: cfg, archive: archivist != nil, makeStore: { try cfg.makeStoreReader() },
                        clock: clock, logger: Logger(label: "strata.reports"), ledger: store)))
        }
        if let mqtt = cfg.mqtt {
            services.append(
                .init(
                    service: MQTTService(
                        settings: mqtt, site: MQTTService.Site(cfg), store: store, logger: Logger(label: "strata.mqtt"))
                ))
        }
        if let settings = ReplicationService.Settings(cfg) {
            services.append(
                .init(
                    service: ReplicationService(
                        settings: settings, makeStore: { try cfg.makeStoreReader() }, ledger: store, clock: clock,
                        logger: Logger(label: "strata.replication")))
            )
        }
        if let settings = FleetService.Settings(cfg) {
            services.append(
                .init(
                    service: FleetService(
                        settings: settings, store: store, clock: clock, logger: Logger(label: "strata.fleet"))))
        }
        if let ftp {
            try? FileManager.default.createDirectory(atPath: ftp.root, withIntermediateDirectories: true)
            services.append(.init(service: FTPServer(config: ftp, logger: Logger(label: "strata.ftp"))))
        }
        if let web {
            // The web reads through a connection of its own, never the sampler's writer.
            let reader = try SiteReader(config: cfg, maxCells: web.maxCells)
            let app = WebApp(reader: reader, settings: web, metrics: metrics, clock: clock)
            let logger = Logger(label: "strata.web")
            services.append(
                .init(
                    service: try app.application(
                        logger: logger,
                        onServerRunning: { channel in
                            logger.notice(
                                "web server listening",
                                metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
                        })))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "strata")))
        try await group.run()
    }
}
