/// The quorum's view of one region: what each vantage point says and what the majority concludes.
public struct RegionAssessment: Hashable, Sendable, Codable {
    public var region: RegionName
    /// The majority's condition: a down kind only when at least `quorum` vantage points say down.
    public var condition: RegionCondition
    /// Each vantage point's verdict; a vantage point without a fresh verdict is absent.
    public var votes: [String: RegionCondition]
    /// How many of the configured vantage points must agree.
    public var quorum: Int
    public var vantagePoints: Int

    public init(
        region: RegionName, condition: RegionCondition, votes: [String: RegionCondition], quorum: Int,
        vantagePoints: Int
    ) {
        self.region = region
        self.condition = condition
        self.votes = votes
        self.quorum = quorum
        self.vantagePoints = vantagePoints
    }

    /// Combines the verdicts of `vantagePoints` configured vantage points (absent or stale ones do not vote).
    /// One broken vantage point never outvotes the rest: down needs a majority of all configured ones.
    public static func assess(region: RegionName, votes: [String: RegionCondition], vantagePoints: Int)
        -> RegionAssessment
    {
        let quorum = vantagePoints / 2 + 1
        let known = votes.filter { $0.value != .unknown }
        let down = known.values.filter(\.isDown)
        let condition: RegionCondition
        if down.count >= quorum {
            condition = Self.mostCommon(down)
        } else if down.count + known.values.filter({ $0 == .slow }).count >= quorum {
            condition = .slow
        } else if known.values.filter({ $0 == .healthy }).count >= quorum
            || (known.count >= quorum && known.values.allSatisfy { !$0.isDown })
        {
            condition = .healthy
        } else {
            condition = .unknown
        }
        return RegionAssessment(
            region: region, condition: condition, votes: votes, quorum: quorum, vantagePoints: vantagePoints)
    }

    /// The vantage points that see every region they probe across the WAN down (at least two regions, their own
    /// aside, each with a verdict): all of those failing at once is likelier the vantage point's own trouble (cut
    /// off, paused, starved of CPU) than theirs, so its votes are set aside. One that sees a region down and
    /// another healthy still votes; with two regions, a replica probes one other region and never abstains.
    public static func isolated(_ verdicts: [String: [RegionName: RegionCondition]]) -> Set<String> {
        Set(
            verdicts.compactMap { vantage, seen in
                let across = seen.filter { $0.key.rawValue != vantage && $0.value != .unknown }
                return across.count >= 2 && across.values.allSatisfy(\.isDown) ? vantage : nil
            })
    }

    /// The most frequent condition; ties go to the more severe one.
    static func mostCommon(_ conditions: [RegionCondition]) -> RegionCondition {
        var counts: [RegionCondition: Int] = [:]
        for condition in conditions { counts[condition, default: 0] += 1 }
        return counts.max { a, b in a.value == b.value ? a.key < b.key : a.value < b.value }!.key
    }
}
