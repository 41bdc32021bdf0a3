/// One Modbus read request.
public struct ReadBlock: Sendable, Equatable {
    public var function: ModbusFunction
    public var start: Int
    public var count: Int

    public init(function: ModbusFunction, start: Int, count: Int) {
        self.function = function
        self.start = start
        self.count = count
    }
}

/// The reads that fetch every register of a profile, as few as the meter allows, and how
/// to cut the answers back into channel values. Pure: the caller performs the reads.
public struct ReadPlan: Sendable, Equatable {
    public static let protocolMaximum = 125

    public var blocks: [ReadBlock]
    /// Per register of the profile (same order): block index and offset of its first word.
    var slots: [(block: Int, offset: Int)]
    /// Per register: block and offset of its scale-factor word, if it has one.
    var factorSlots: [(block: Int, offset: Int)?]
    public let registers: [ProfileRegister]

    public static func == (a: ReadPlan, b: ReadPlan) -> Bool { a.blocks == b.blocks && a.registers == b.registers }

    public init(registers: [ProfileRegister], maxBlock: Int = protocolMaximum, maxGap: Int? = nil) {
        self.registers = registers
        let limit = max(1, min(maxBlock, Self.protocolMaximum))
        // Every word range to fetch: the registers and their scale-factor words.
        var needs: [(ModbusFunction, Range<Int>)] = registers.map { ($0.function, $0.range) }
        for r in registers { if let sf = r.scaleFactorAddress { needs.append((r.function, sf..<(sf + 1))) } }
        needs.sort { ($0.0.code, $0.1.lowerBound) < ($1.0.code, $1.1.lowerBound) }
        var blocks: [ReadBlock] = []
        for (fn, range) in needs {
            if var last = blocks.last, last.function == fn {
                let end = last.start + last.count
                let gap = range.lowerBound - end
                let newEnd = max(end, range.upperBound)
                if newEnd - last.start <= limit && (maxGap.map { gap <= $0 } ?? true) {
                    last.count = newEnd - last.start
                    blocks[blocks.count - 1] = last
                    continue
                }
            }
            blocks.append(ReadBlock(function: fn, start: range.lowerBound, count: range.count))
        }
        self.blocks = blocks
        func locate(_ fn: ModbusFunction, _ addr: Int) -> (block: Int, offset: Int) {
            for (i, b) in blocks.enumerated() where b.function == fn && addr >= b.start && addr < b.start + b.count {
                return (i, addr - b.start)
            }
            preconditionFailure("every needed register is in a block")
        }
        slots = registers.map { locate($0.function, $0.address) }
        factorSlots = registers.map { r in r.scaleFactorAddress.map { locate(r.function, $0) } }
    }

    /// Channel values from the answers to `blocks` (nil where a block failed or a value is
    /// missing), in the order of `registers`.
    public func decode(_ answers: [[UInt16]?]) -> [Double?] {
        registers.indices.map { i in
            let r = registers[i]
            let s = slots[i]
            guard s.block < answers.count, let words = answers[s.block] else { return nil }
            guard let raw = RegisterDecoder.decode(words, at: s.offset, type: r.type, order: r.wordOrder) else {
                return nil
            }
            if let m = r.missingRaw, raw == m { return nil }
            var v = raw * r.scale
            if let f = factorSlots[i] {
                guard f.block < answers.count, let fw = answers[f.block], f.offset < fw.count else { return nil }
                let sf = Int16(bitPattern: fw[f.offset])
                guard sf != Int16.min, abs(Int(sf)) <= 10 else { return nil }
                v *= pow10(Int(sf))
            }
            return v + r.offset
        }
    }
}

@inline(__always) func pow10(_ e: Int) -> Double {
    var r = 1.0
    for _ in 0..<abs(e) { r *= 10 }
    return e < 0 ? 1 / r : r
}
