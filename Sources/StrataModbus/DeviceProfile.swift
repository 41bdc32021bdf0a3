import StrataCore

/// Which Modbus read function a register answers to.
public enum ModbusFunction: String, Sendable {
    case holding // FC03
    case input // FC04

    public var code: Int { self == .holding ? 3 : 4 }
}

/// One quantity of a meter: where it lives and how it becomes a channel value.
public struct ProfileRegister: Sendable, Equatable {
    public var channel: String
    public var name: String?
    public var address: Int
    public var function: ModbusFunction
    public var type: RegisterType
    public var wordOrder: WordOrder
    /// value = raw × scale + offset (× 10^sf when `scaleFactorAddress` is set, as SunSpec does).
    public var scale: Double
    public var offset: Double
    public var scaleFactorAddress: Int?
    public var unit: String
    public var kind: ChannelKind
    public var resolution: Resolution?
    public var rollover: Double?
    /// A raw value that means "not implemented" (SunSpec: 0x8000 for int16).
    public var missingRaw: Double?
    /// `rollover = "register"`: the counter wraps where its integer register does, so the
    /// rollover follows the scale (a site that corrects the scale keeps a right wrap).
    public var wrapsAtWidth = false
    /// Read only when a device names it (the inputs of a pulse module: most are unwired).
    public var optional = false

    /// The engineering value at which an integer register wraps; nil for floats.
    public var widthRollover: Double? {
        switch type {
        case .float32, .float64: nil
        default: Double(sign: .plus, exponent: 16 * type.words, significand: 1) * abs(scale)
        }
    }

    public init(
        channel: String, name: String? = nil, address: Int, function: ModbusFunction, type: RegisterType,
        wordOrder: WordOrder, scale: Double = 1, offset: Double = 0, scaleFactorAddress: Int? = nil,
        unit: String, kind: ChannelKind, resolution: Resolution? = nil, rollover: Double? = nil, missing: Double? = nil
    ) {
        self.channel = channel
        self.name = name
        self.address = address
        self.function = function
        self.type = type
        self.wordOrder = wordOrder
        self.scale = scale
        self.offset = offset
        self.scaleFactorAddress = scaleFactorAddress
        self.unit = unit
        self.kind = kind
        self.resolution = resolution
        self.rollover = rollover
        self.missingRaw = missing
    }

    public var range: Range<Int> { address..<(address + type.words) }

    public func spec(device: String) -> ChannelSpec {
        ChannelSpec(
            device: device, id: channel, name: name, unit: unit, kind: kind, resolution: resolution,
            interval: 60, rollover: rollover, maxRate: nil)
    }
}

/// A register map of one meter model.
public struct DeviceProfile: Sendable, Equatable {
    public enum Discovery: String, Sendable {
        /// Addresses are fixed.
        case none
        /// Addresses are offsets into the first SunSpec meter model (201–204) found at run time.
        case sunspec
    }

    public var id: String
    public var name: String
    public var maxBlock: Int
    /// Unmapped registers a single read may span; nil: any (most meters answer zeros there).
    public var maxGap: Int?
    public var discovery: Discovery
    public var registers: [ProfileRegister]

    public init(
        id: String, name: String, maxBlock: Int = 125, maxGap: Int? = nil, discovery: Discovery = .none,
        registers: [ProfileRegister]
    ) {
        self.id = id
        self.name = name
        self.maxBlock = maxBlock
        self.maxGap = maxGap
        self.discovery = discovery
        self.registers = registers
    }

    public func channels(device: String) -> [ChannelSpec] { registers.map { $0.spec(device: device) } }
}
