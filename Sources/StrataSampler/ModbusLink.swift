import CModbus
import Foundation
import StrataConfig
import StrataModbus

/// Why a Modbus read failed, in words an admin can act on.
public enum ModbusError: Error, Equatable, CustomStringConvertible, Sendable {
    case cannotOpen(String)
    case connect(String)
    case timeout
    case exception(code: Int)
    case garbled(String)
    case io(String)

    public var description: String {
        switch self {
        case .cannotOpen(let m): "cannot open the link: \(m)"
        case .connect(let m): "cannot connect: \(m)"
        case .timeout: "no answer (timeout)"
        case .exception(let code): "Modbus exception \(code) (\(Self.exceptionName(code)))"
        case .garbled(let m): "garbled answer: \(m)"
        case .io(let m): "I/O error: \(m)"
        }
    }

    /// Whether the connection must be closed and opened again before the next request.
    var breaksLink: Bool {
        switch self {
        case .exception: false
        default: true
        }
    }

    static func exceptionName(_ code: Int) -> String {
        switch code {
        case 1: "illegal function"
        case 2: "illegal data address: the meter has no such register"
        case 3: "illegal data value"
        case 4: "server device failure"
        case 6: "server busy"
        case 10: "gateway path unavailable"
        case 11: "gateway target did not respond"
        default: "code \(code)"
        }
    }
}

/// One libmodbus context: a TCP connection or a serial line.
///
/// libmodbus blocks and is not thread-safe, so a link is only ever used from its `Bus`'s
/// own serial queue, never from the cooperative pool or an event loop.
final class ModbusLink {
    private var ctx: OpaquePointer?
    private(set) var connected = false
    let transport: StrataConfig.Transport

    init(transport: StrataConfig.Transport) throws(ModbusError) {
        self.transport = transport
        switch transport {
        case .tcp(let host, let port):
            // _pi resolves names and IPv6; plain modbus_new_tcp takes dotted IPv4 only.
            ctx = modbus_new_tcp_pi(host, String(port))
        case .rtu(let serial, let baud, let parity, let dataBits, let stopBits):
            let p: CChar =
                switch parity {
                case .none: CChar(UInt8(ascii: "N"))
                case .even: CChar(UInt8(ascii: "E"))
                case .odd: CChar(UInt8(ascii: "O"))
                }
            ctx = modbus_new_rtu(serial, Int32(baud), p, Int32(dataBits), Int32(stopBits))
        }
        guard ctx != nil else { throw .cannotOpen(String(cString: modbus_strerror(errno))) }
        // No automatic recovery: LINK recovery blocked reads for 20 s+ with the peer down.
        modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_NONE)
    }

    deinit {
        if let ctx {
            if connected { modbus_close(ctx) }
            modbus_free(ctx)
        }
    }

    func connect(timeout: Double) throws(ModbusError) {
        guard let ctx else { throw .cannotOpen("no context") }
        if connected { return }
        setTimeout(timeout)
        if modbus_connect(ctx) != 0 {
            let e = errno
            throw .connect(String(cString: modbus_strerror(e)))
        }
        connected = true
    }

    func close() {
        if let ctx, connected { modbus_close(ctx) }
        connected = false
    }

    func setTimeout(_ seconds: Double) {
        guard let ctx else { return }
        let s = UInt32(seconds.rounded(.down))
        let us = UInt32(((seconds - Double(s)) * 1_000_000).rounded())
        modbus_set_response_timeout(ctx, s, us)
    }

    func read(unit: Int, block: ReadBlock) throws(ModbusError) -> [UInt16] {
        guard let ctx, connected else { throw .io("not connected") }
        modbus_set_slave(ctx, Int32(unit))
        var words = [UInt16](repeating: 0, count: block.count)
        let n = words.withUnsafeMutableBufferPointer { buf in
            block.function == .holding
                ? modbus_read_registers(ctx, Int32(block.start), Int32(block.count), buf.baseAddress)
                : modbus_read_input_registers(ctx, Int32(block.start), Int32(block.count), buf.baseAddress)
        }
        if n == Int32(block.count) { return words }
        if n >= 0 { throw .garbled("\(n) registers instead of \(block.count)") }
        let e = errno
        let base = Int32(MODBUS_ENOBASE)
        if e > base && e <= base + 11 { throw .exception(code: Int(e - base)) }
        if e == ETIMEDOUT { throw .timeout }
        if e > base { throw .garbled(String(cString: modbus_strerror(e))) }
        throw .io(String(cString: modbus_strerror(e)))
    }
}
