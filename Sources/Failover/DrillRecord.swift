import Foundation

/// One line of the drill history (`docs/drills/history.jsonl` by default): the outcome of one drill scenario.
/// `drctl drill` appends these; the runbook shows them against the objectives.
public struct DrillRecord: Codable, Hashable, Sendable {
    /// When the drill ran (ISO 8601).
    public var date: Date
    /// Scenario name, such as `region-crash`.
    public var scenario: String
    /// `sync`, `async` or `critical-sync`.
    public var durability: String
    /// Whether every objective and correctness check passed.
    public var passed: Bool
    /// Fault injected → region declared down, in seconds.
    public var detectionSeconds: Double?
    /// Fault injected → first successful write through the edge, in seconds.
    public var rtoWriteSeconds: Double?
    /// Fault injected → first successful read through the edge, in seconds.
    public var rtoReadSeconds: Double?
    /// Acknowledged writes missing afterwards.
    public var lostWrites: Int
    /// Writes accepted by a fenced primary.
    public var fencedWrites: Int
    /// The objectives the drill was judged against, such as `rto=5s,rpo=0`.
    public var objectives: String
    /// Where the full report is, relative to the history file.
    public var report: String?

    public init(
        date: Date, scenario: String, durability: String, passed: Bool, detectionSeconds: Double?,
        rtoWriteSeconds: Double?, rtoReadSeconds: Double?, lostWrites: Int, fencedWrites: Int, objectives: String,
        report: String?
    ) {
        self.date = date
        self.scenario = scenario
        self.durability = durability
        self.passed = passed
        self.detectionSeconds = detectionSeconds
        self.rtoWriteSeconds = rtoWriteSeconds
        self.rtoReadSeconds = rtoReadSeconds
        self.lostWrites = lostWrites
        self.fencedWrites = fencedWrites
        self.objectives = objectives
        self.report = report
    }

    /// Reads a history file: one JSON object per line; blank lines are skipped. Nil when the file is missing.
    public static func readHistory(at path: String) throws -> [DrillRecord]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var records: [DrillRecord] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            do { records.append(try decoder.decode(DrillRecord.self, from: Data(line.utf8))) } catch {
                throw FailoverError(.invalidArgument, "\(path):\(index + 1): not a drill record")
            }
        }
        return records
    }

    /// Appends one record as a line of `path`, creating the file when needed.
    public func append(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(self)
        line.append(0x0A)
        if !FileManager.default.fileExists(atPath: path) {
            // The default history (`drill-reports/history.jsonl`) may live in a folder no report was written to.
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }
}
