import CoreMetrics
import Metrics
import Prometheus

/// The Prometheus registry behind `/metrics`. Services count what happens through
/// swift-metrics (polls, poll failures, FTP connections and bytes, archive files, send
/// failures); what is a state rather than an event (store size, points stored, roll-up lag,
/// outbox depth, open web connections) is read when Prometheus scrapes.
package final class StrataMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    let storeBytes: Prometheus.Gauge
    let minutePoints: Prometheus.Gauge
    let rollUpLag: Prometheus.Gauge
    let outboxPending: Prometheus.Gauge
    let outboxFailed: Prometheus.Gauge
    let webConnections: Prometheus.Gauge
    let alarmsActive: Prometheus.Gauge

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        storeBytes = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "store", unitName: "bytes", helpText: "Bytes of the store file in use."
            ))
        minutePoints = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "store", unitName: "minute_points",
                helpText: "Minute readings stored (rows and compacted blocks)."))
        rollUpLag = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "rollup_lag", unitName: "seconds",
                helpText: "Seconds between now and the end of the rolled-up data."))
        outboxPending = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "outbox", unitName: "pending",
                helpText: "Report messages waiting to be sent."))
        outboxFailed = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "outbox", unitName: "failed", helpText: "Report messages given up on.")
        )
        alarmsActive = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "alarms", unitName: "active", helpText: "Alarm rules active now."))
        webConnections = registry.makeGauge(
            descriptor: .init(
                namespace: "strata", metricName: "web", unitName: "connections",
                helpText: "Open connections to the web server."))
    }

    /// Makes swift-metrics in this process report into `registry`; once per process (the
    /// `strata` binary calls it; tests of `/metrics` pass their own registry instead).
    package func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
    }

    func update(_ f: StoreFigures, webConnections open: Int) {
        storeBytes.set(Double(f.usedBytes))
        minutePoints.set(Double(f.minutePoints))
        rollUpLag.set(Double(f.rollUpLag ?? 0))
        outboxPending.set(Double(f.outboxPending))
        outboxFailed.set(Double(f.outboxFailed))
        webConnections.set(Double(open))
        alarmsActive.set(Double(f.alarmsActive))
    }

    func text() -> [UInt8] { registry.emitToBuffer() }
}
