import Foundation
import Logging
import ServiceLifecycle
import StrataConfig
import StrataCore
import StrataMQTTService
import StrataSampler

/// The sampler as a service: polls until a graceful shutdown, then finishes the round in
/// progress and writes it.
public struct SamplerService: Service, CustomStringConvertible {
    public var description: String { "SamplerService(\(config.devices.count) devices)" }
    let config: StrataConfig
    let store: StoreActor
    let clock: any WallClock
    let logger: Logger

    public init(config: StrataConfig, store: StoreActor, clock: any WallClock, logger: Logger) {
        self.config = config
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let (config, store, clock, logger) = (self.config, self.store, self.clock, self.logger)
        try await cancelWhenGracefulShutdown {
            let sampler = try await Sampler(
                config: config, store: store, clock: clock, logger: logger,
                inbox: MQTTInbox.make(config: config, logger: logger))
            await sampler.run()
        }
    }
}
