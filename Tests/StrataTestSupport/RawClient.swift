import Foundation

/// A blocking TCP client on 127.0.0.1 that does exactly what a test tells it.
public final class RawClient: @unchecked Sendable {
    public let fd: Int32

    public init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if r != 0 {
            Glibc.close(fd)
            return nil
        }
    }

    @discardableResult
    public func send(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Whether the server closed the connection (EOF or reset) within `wait` seconds.
    public func isClosed(wait: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(wait * 1000)) > 0 else { return false }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
            if n == 0 { return true }
            if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    public func receive(wait: Double) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(wait)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private var closed = false

    /// Closes once: a second close could hit a descriptor the process has reused since.
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}

extension RawClient {
    /// Raises this process's open-file limit to `wanted` (or the hard limit): tests that hold
    /// thousands of sockets need more than the usual 1024.
    public static func raiseFileLimit(to wanted: Int) -> Int {
        var l = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &l)
        let target = min(rlim_t(wanted), l.rlim_max)
        if l.rlim_cur < target {
            l.rlim_cur = target
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &l)
        }
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &l)
        return Int(l.rlim_cur)
    }
}
