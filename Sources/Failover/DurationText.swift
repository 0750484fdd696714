extension Duration {
    /// Parses `250ms`, `30s`, `15m`, `1h`, `30d` (a non-negative number and a unit); nil for anything else.
    public init?(text: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if let amount = Double(number), amount >= 0, amount.isFinite, !number.contains("s"),
                amount * seconds < 1e9
            {
                self = .milliseconds(Int64((amount * seconds * 1000).rounded()))
                return
            }
        }
        return nil
    }

    /// Whole milliseconds, rounded down.
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a floating-point number.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The shortest of `250ms`, `3s`, `1.5s`, `15m`, `2h` that says the same.
    public var text: String {
        let milliseconds = wholeMilliseconds
        if milliseconds % 3_600_000 == 0 && milliseconds >= 3_600_000 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 && milliseconds >= 60_000 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        return "\(Double(milliseconds) / 1000)s"
    }
}
