import Foundation

/// One entry of the controller's append-only timeline (DESIGN.md invariant 4).
public struct TimelineEvent: Codable, Hashable, Sendable {
    /// Position in the timeline, from 1.
    public var sequence: Int
    public var time: Date
    public var kind: Kind
    public var region: RegionName?
    /// The operation this event belongs to.
    public var operation: String?
    public var step: String?
    public var message: String
    public var details: [String: String]?

    public init(
        sequence: Int, time: Date, kind: Kind, region: RegionName? = nil, operation: String? = nil,
        step: String? = nil, message: String, details: [String: String]? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.region = region
        self.operation = operation
        self.step = step
        self.message = message
        self.details = details
    }

    /// One line for people: `12:00:01.234 failover-started us-east-1 — message`.
    public var line: String {
        var text = Self.timeFormat.string(from: time) + " " + kind.rawValue
        if let region { text += " " + region.rawValue }
        if let step { text += " [" + step + "]" }
        return text + " — " + message
    }

    nonisolated(unsafe) static let timeFormat: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}

/// The timeline file: JSON lines, appended and flushed one event at a time, so a crash loses nothing written.
public struct TimelineFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The timeline's JSON: ISO 8601 times with milliseconds, sorted keys (also what the status page streams).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(TimelineEvent.timeFormat.string(from: date))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = TimelineEvent.timeFormat.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a time: \(text)")
            }
            return date
        }
        return decoder
    }

    /// Appends one event.
    public func append(_ event: TimelineEvent) throws {
        var line = try Self.encoder().encode(event)
        line.append(0x0A)
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    /// Every event in the file; a torn last line (a crash mid-write) is skipped.
    public func read() -> [TimelineEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = Self.decoder()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            try? decoder.decode(TimelineEvent.self, from: Data(line.utf8))
        }
    }

    /// Encodes an event as the JSON the API and `drctl events --json` print.
    public static func json(_ event: TimelineEvent) -> String {
        (try? String(decoding: encoder().encode(event), as: UTF8.self)) ?? "{}"
    }

    /// Decodes events the API returned.
    public static func decode(_ data: Data) throws -> [TimelineEvent] {
        try decoder().decode([TimelineEvent].self, from: data)
    }

    public static func encode(_ events: [TimelineEvent]) throws -> Data {
        try encoder().encode(events)
    }
}
