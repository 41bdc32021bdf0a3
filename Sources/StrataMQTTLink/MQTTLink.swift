import CMosquitto
import Foundation
import StrataMQTT
import Synchronization

/// What went wrong talking to the broker, in words an admin can act on.
public enum MQTTError: Error, CustomStringConvertible, Sendable, Equatable {
    case setup(String)
    case tls(String)
    case notConnected
    case publish(String)

    public var description: String {
        switch self {
        case .setup(let m): "MQTT client setup failed: \(m)"
        case .tls(let m): "MQTT TLS setup failed: \(m) (check mqtt.ca_file, cert_file and key_file)"
        case .notConnected: "not connected to the broker"
        case .publish(let m): "MQTT publish failed: \(m)"
        }
    }
}

/// The connection to the broker: libmosquitto (the reference C client) with its own network
/// thread (`mosquitto_loop_start`), which also reconnects with backoff. Thread-safe: publish
/// from anywhere; connection changes arrive through `onChange` on that thread.
public final class MQTTLink: @unchecked Sendable {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        public var username: String?
        public var password: String?
        public var tls: Bool
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// The last will: the broker publishes it (retained) when Strata vanishes.
        public var will: MQTTMessage?
        public var keepalive: Int32 = 30

        public init(host: String, port: Int, clientID: String, tls: Bool) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.tls = tls
        }
    }

    public enum Change: Sendable, Equatable {
        case connected
        /// The broker refused the connection (bad credentials, not authorised): `code` is the
        /// CONNACK return code.
        case refused(code: Int32, reason: String)
        case lost(reason: String)

        /// The state this change enters, without its details: what a log line per change of
        /// state compares.
        public var state: String {
            switch self {
            case .connected: "connected"
            case .refused: "refused"
            case .lost: "lost"
            }
        }
    }

    private let mosq: OpaquePointer
    private let state = Mutex<(connected: Bool, refused: Bool, onChange: (@Sendable (Change) -> Void)?)>(
        (false, false, nil))
    /// Topics subscribed on every (re)connect (the session is clean), and who hears them.
    private let inbound = Mutex<(topics: [String], onMessage: (@Sendable (String, [UInt8]) -> Void)?)>(([], nil))
    private var started = false

    /// libmosquitto's global init, once per process.
    private static let initialised: Bool = {
        mosquitto_lib_init()
        return true
    }()

    public init(_ s: Settings) throws(MQTTError) {
        _ = Self.initialised
        guard let m = mosquitto_new(s.clientID, true, nil) else {
            throw .setup("mosquitto_new: \(String(cString: strerror(errno)))")
        }
        mosq = m
        settings = s
        mosquitto_user_data_set(m, Unmanaged.passUnretained(self).toOpaque())
        _ = mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V311))
        if let u = s.username {
            let rc = mosquitto_username_pw_set(m, u, s.password)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw .setup(Self.text(rc)) }
        }
        if s.tls {
            // No ca_file: the system's trust store (Debian's /etc/ssl/certs).
            let rc = mosquitto_tls_set(
                m, s.caFile, s.caFile == nil ? "/etc/ssl/certs" : nil, s.certFile, s.keyFile, nil)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw .tls(Self.text(rc)) }
        }
        if let w = s.will {
            let rc = w.payload.withUnsafeBytes {
                mosquitto_will_set(m, w.topic, Int32(w.payload.count), $0.baseAddress, 1, w.retain)
            }
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw .setup("last will: \(Self.text(rc))") }
        }
        // Reconnect after 1 s, doubling up to 60 s: a broker restart is back within seconds,
        // a dead one is not hammered.
        _ = mosquitto_reconnect_delay_set(m, 1, 60, true)
        mosquitto_connect_callback_set(m) { _, obj, rc in
            guard let obj else { return }
            let link = Unmanaged<MQTTLink>.fromOpaque(obj).takeUnretainedValue()
            if rc == 0 { link.resubscribe() }
            link.changed(
                rc == 0 ? .connected : .refused(code: rc, reason: String(cString: mosquitto_connack_string(rc))))
        }
        mosquitto_message_callback_set(m) { _, obj, msg in
            guard let obj, let msg, let topic = msg.pointee.topic else { return }
            let link = Unmanaged<MQTTLink>.fromOpaque(obj).takeUnretainedValue()
            let n = Int(msg.pointee.payloadlen)
            var bytes = [UInt8](repeating: 0, count: max(0, n))
            if n > 0, let p = msg.pointee.payload {
                bytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: n)) }
            }
            link.inbound.withLock { $0.onMessage }?(String(cString: topic), bytes)
        }
        mosquitto_disconnect_callback_set(m) { _, obj, rc in
            guard let obj else { return }
            let link = Unmanaged<MQTTLink>.fromOpaque(obj).takeUnretainedValue()
            link.changed(.lost(reason: rc == 0 ? "disconnected" : MQTTLink.text(rc)))
        }
    }

    private let settings: Settings

    deinit {
        mosquitto_destroy(mosq)
    }

    private func changed(_ c: Change) {
        let handler = state.withLock { st -> (@Sendable (Change) -> Void)? in
            // The broker closes a connection it refused: that is the refusal, not a new loss.
            let echo = st.refused && c.state == "lost"
            st.connected = c == .connected
            if c.state != "lost" { st.refused = c.state == "refused" }
            return echo ? nil : st.onChange
        }
        handler?(c)
    }

    /// Subscribes (QoS 1) on every connection from now on; messages go to `onMessage` on the
    /// network thread. Set before `start`.
    public func subscribe(_ topics: [String], onMessage: @escaping @Sendable (String, [UInt8]) -> Void) {
        inbound.withLock { $0 = (topics, onMessage) }
    }

    private func resubscribe() {
        for t in inbound.withLock({ $0.topics }) { _ = mosquitto_subscribe(mosq, nil, t, 1) }
    }

    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Connects in the background; returns at once (a broker that is down is retried).
    public func start(onChange: @escaping @Sendable (Change) -> Void) throws(MQTTError) {
        state.withLock { $0.onChange = onChange }
        let rc = mosquitto_connect_async(mosq, settings.host, Int32(settings.port), settings.keepalive)
        // A refused or unreachable broker is retried by the loop; only bad arguments are final.
        if rc == MOSQ_ERR_INVAL.rawValue { throw .setup("invalid host or port \(settings.host):\(settings.port)") }
        if rc != MOSQ_ERR_SUCCESS.rawValue { changed(.lost(reason: Self.text(rc))) }
        let lrc = mosquitto_loop_start(mosq)
        guard lrc == MOSQ_ERR_SUCCESS.rawValue else { throw .setup("network thread: \(Self.text(lrc))") }
        started = true
    }

    /// Hands a message to libmosquitto (QoS 1 and 2 are kept and re-sent by it until the broker
    /// acknowledges them, across a reconnect).
    public func publish(_ m: MQTTMessage, qos: Int) throws(MQTTError) {
        let rc = m.payload.withUnsafeBytes {
            mosquitto_publish(mosq, nil, m.topic, Int32(m.payload.count), $0.baseAddress, Int32(qos), m.retain)
        }
        if rc == MOSQ_ERR_NO_CONN.rawValue { throw .notConnected }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw .publish(Self.text(rc)) }
    }

    /// Disconnects cleanly (no last will) and stops the network thread.
    public func stop() {
        guard started else { return }
        state.withLock { $0.onChange = nil }
        _ = mosquitto_disconnect(mosq)
        _ = mosquitto_loop_stop(mosq, false)
        started = false
    }

    static func text(_ rc: Int32) -> String {
        rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
    }
}
