extension StrataConfig.Device {
    /// Modbus devices: where and how to reach the meter.
    public var modbus: StrataConfig.ModbusSettings? {
        if case .modbus(let m) = driver { m } else { nil }
    }

    /// Simulated devices: what kind of load they imitate.
    public var simulation: StrataConfig.Simulation? {
        if case .simulated(let s) = driver { s } else { nil }
    }

    /// `driver = "mqtt"`: the topic and each channel's JSON path.
    public var mqttSource: StrataConfig.MQTTSource? {
        if case .mqtt(let m) = driver { m } else { nil }
    }

    public var isSimulated: Bool { if case .simulated = driver { true } else { false } }
    public var isCalculated: Bool { driver == .calculated }
    /// Read by the sampler (a meter it polls or listens to), not fed by import or derived.
    public var isPolled: Bool { driver != .none && driver != .calculated }
}
