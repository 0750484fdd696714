import Failover
import Foundation

/// What a drill must achieve, parsed from text such as `rto=5s,rpo=0`.
///
/// Keys: `rto` (both writes and reads), `rto-write`, `rto-read`, `detection` (durations such as `5s`,
/// `500ms`), and `rpo`: a number of lost acknowledged writes (`0`), or a duration (`2s`) that the lost writes
/// may span. Without `rpo` no acknowledged write may be lost. Resurrections, duplicates and writes accepted by
/// a fenced primary always fail a drill; read-your-writes failures too, unless `rpo` allows a loss.
public struct Objectives: Hashable, Sendable, CustomStringConvertible {
    public var rtoWrite: Duration?
    public var rtoRead: Duration?
    public var detection: Duration?
    /// Lost acknowledged writes allowed.
    public var rpoWrites: Int?
    /// How long a window the lost writes may span.
    public var rpoWindow: Duration?

    public init(
        rtoWrite: Duration? = nil, rtoRead: Duration? = nil, detection: Duration? = nil, rpoWrites: Int? = nil,
        rpoWindow: Duration? = nil
    ) {
        self.rtoWrite = rtoWrite
        self.rtoRead = rtoRead
        self.detection = detection
        self.rpoWrites = rpoWrites
        self.rpoWindow = rpoWindow
    }

    static let keys = ["rto", "rto-write", "rto-read", "detection", "rpo"]

    /// Parses `key=value,…`; the error is one line that names the bad part.
    public init(parsing text: String) throws(DrillError) {
        self.init()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            let pieces = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pieces.count == 2 else {
                throw DrillError(.invalidArgument, "objectives: '\(item)' is not key=value (as in rto=5s,rpo=0)")
            }
            let key = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
            let value = pieces[1].trimmingCharacters(in: .whitespaces)
            func duration() throws(DrillError) -> Duration {
                guard let duration = Duration(text: value) else {
                    throw DrillError(
                        .invalidArgument, "objectives: \(key)='\(value)' is not a duration (such as 5s or 500ms)")
                }
                return duration
            }
            switch key {
            case "rto":
                rtoWrite = try duration()
                rtoRead = rtoWrite
            case "rto-write": rtoWrite = try duration()
            case "rto-read": rtoRead = try duration()
            case "detection": detection = try duration()
            case "rpo":
                if let count = Int(value), count >= 0 {
                    rpoWrites = count
                } else if let window = Duration(text: value) {
                    rpoWindow = window
                } else {
                    throw DrillError(
                        .invalidArgument,
                        "objectives: rpo='\(value)' is neither a count of lost writes (0) nor a duration (2s)")
                }
            default:
                throw DrillError(
                    .invalidArgument,
                    "objectives: unknown key '\(key)' (known: \(Self.keys.joined(separator: ", ")))")
            }
        }
    }

    /// The canonical text, which parses back to the same objectives.
    public var description: String {
        var parts: [String] = []
        if let rtoWrite, rtoWrite == rtoRead {
            parts.append("rto=\(rtoWrite.text)")
        } else {
            if let rtoWrite { parts.append("rto-write=\(rtoWrite.text)") }
            if let rtoRead { parts.append("rto-read=\(rtoRead.text)") }
        }
        if let detection { parts.append("detection=\(detection.text)") }
        if let rpoWrites { parts.append("rpo=\(rpoWrites)") }
        if let rpoWindow { parts.append("rpo=\(rpoWindow.text)") }
        return parts.joined(separator: ",")
    }

    /// Whether losing some acknowledged writes is within the objectives.
    public var allowsLoss: Bool { (rpoWrites ?? 0) > 0 || (rpoWindow.map { $0 > .zero } ?? false) }
}

/// One objective or check, measured and judged.
public struct Judgement: Codable, Hashable, Sendable {
    /// `rto-write`, `rpo`, `resurrections`…
    public var name: String
    /// What was measured, as text (`2.3s`, `0 lost`, `never`).
    public var measured: String
    /// The limit, as text (`≤ 5s`); nil for a figure reported without a limit.
    public var limit: String?
    public var passed: Bool
}

extension Objectives {
    /// Judges the measures and the check against the objectives and the correctness rules.
    public func judge(_ measures: DrillMeasures, _ check: CheckResult) -> [Judgement] {
        var judgements: [Judgement] = []
        func time(_ name: String, _ seconds: Double?, _ limit: Duration?, applies: Bool) {
            let measured = seconds.map(Self.format) ?? (applies ? "never" : "n/a")
            guard let limit else {
                judgements.append(Judgement(name: name, measured: measured, limit: nil, passed: true))
                return
            }
            let passed = !applies || (seconds.map { $0 <= limit.seconds } ?? false)
            judgements.append(Judgement(name: name, measured: measured, limit: "≤ \(limit.text)", passed: passed))
        }
        let faulted = measures.faultTime != nil
        time("rto-write", measures.writeRecovery?.seconds, rtoWrite, applies: faulted)
        time("rto-read", measures.readRecovery?.seconds, rtoRead, applies: faulted)
        // Reported, not judged: the first write whose success the next writes confirm.
        time("rto-write-sustained", measures.sustainedWriteRecovery?.seconds, nil, applies: faulted)
        time("detection", measures.detectionSeconds, detection, applies: faulted && detection != nil)

        let lost = check.lostWrites.count
        if let rpoWindow {
            let span = check.lostWriteWindow?.length ?? 0
            judgements.append(
                Judgement(
                    name: "rpo", measured: "\(lost) lost over \(Self.format(span))", limit: "≤ \(rpoWindow.text)",
                    passed: span <= rpoWindow.seconds))
        } else {
            let allowed = rpoWrites ?? 0
            judgements.append(
                Judgement(name: "rpo", measured: "\(lost) lost", limit: "≤ \(allowed)", passed: lost <= allowed))
        }
        func none(_ name: String, _ findings: [Finding], required: Bool = true) {
            judgements.append(
                Judgement(
                    name: name, measured: "\(findings.count)", limit: required ? "= 0" : nil,
                    passed: !required || findings.isEmpty))
        }
        none("resurrections", check.resurrections)
        none("duplicates", check.duplicates)
        none("fenced-writes", check.fencedWrites)
        none("read-your-writes", check.readYourWritesFailures, required: !allowsLoss)
        return judgements
    }

    /// Seconds with a unit: `850ms`, `2.35s`.
    static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        return "\(Double(Int((seconds * 100).rounded())) / 100)s"
    }
}
