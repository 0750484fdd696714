/// What the checker found, by kind. The drill passes its correctness checks only when every list but
/// `inconclusive` is empty (lost writes are judged against the RPO objective instead).
public struct CheckResult: Codable, Hashable, Sendable {
    /// Acknowledged writes missing after recovery, one by one (RPO).
    public var lostWrites: [Finding] = []
    public var resurrections: [Finding] = []
    public var duplicates: [Finding] = []
    public var readYourWritesFailures: [Finding] = []
    public var fencedWrites: [Finding] = []
    /// Checks that could not be made.
    public var inconclusive: [Finding] = []
    /// Acknowledged writes in the history.
    public var acknowledgedWrites = 0
    /// Writes of unknown outcome: treated as "maybe", never as lost.
    public var indeterminateWrites = 0
    /// Accounts whose final state was checked.
    public var accountsChecked = 0
    /// From the earliest lost write's sending to the latest one's acknowledgement, in seconds since the start;
    /// nil without lost writes.
    public var lostWriteWindow: TimeWindow?

    public init() {}

    /// Every finding except the inconclusive ones.
    public var findings: [Finding] { lostWrites + resurrections + duplicates + readYourWritesFailures + fencedWrites }

    /// Whether nothing at all was found wrong.
    public var isClean: Bool { findings.isEmpty }
}

/// A span of drill time, in seconds since the start.
public struct TimeWindow: Codable, Hashable, Sendable {
    public var start: Double
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    /// Its length in seconds.
    public var length: Double { end - start }
}
