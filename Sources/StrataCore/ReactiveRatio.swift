/// Reactive energy against active energy: what utilities bill when the ratio kvarh / kWh runs
/// above a limit (in Turkey 20 % inductive and 15 % capacitive, for example).
///
/// Inductive is the reactive energy a consuming site draws (the meter's reactive import, Q1);
/// capacitive what it pushes back (reactive export, Q4). Both are set against the active
/// energy imported in the same period.
public struct ReactiveLimits: Sendable, Equatable {
    public var inductive: Double?
    public var capacitive: Double?

    public init(inductive: Double? = nil, capacitive: Double? = nil) {
        self.inductive = inductive
        self.capacitive = capacitive
    }

    public var isEmpty: Bool { inductive == nil && capacitive == nil }
}

/// One period's active and reactive energy of a meter, and their ratios.
public struct ReactiveRatio: Sendable, Equatable {
    /// Active energy imported, in kWh.
    public var active: Double
    /// Reactive energy, in kvarh; nil where the meter has no such register.
    public var inductive: Double?
    public var capacitive: Double?

    public init(active: Double, inductive: Double?, capacitive: Double?) {
        self.active = active
        self.inductive = inductive
        self.capacitive = capacitive
    }

    /// kvarh / kWh; nil without active energy (a ratio over nothing says nothing).
    public var inductiveRatio: Double? { ratio(inductive) }
    public var capacitiveRatio: Double? { ratio(capacitive) }

    func ratio(_ r: Double?) -> Double? {
        guard let r, active > 0 else { return nil }
        return r / active
    }

    public func exceeds(_ limits: ReactiveLimits) -> (inductive: Bool, capacitive: Bool) {
        let i = limits.inductive.flatMap { l in inductiveRatio.map { $0 > l } } ?? false
        let c = limits.capacitive.flatMap { l in capacitiveRatio.map { $0 > l } } ?? false
        return (i, c)
    }

    /// The factor from a channel unit to kWh or kvarh: Wh 0.001, MWh 1000; nil for a unit that
    /// is not active or reactive energy.
    public static func scale(_ unit: String, reactive: Bool) -> Double? {
        let u = unit.lowercased()
        let base = reactive ? "varh" : "wh"
        switch u {
        case base: return 0.001
        case "k" + base: return 1
        case "m" + base: return 1000
        default: return nil
        }
    }
}
