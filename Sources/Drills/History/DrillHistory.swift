import Foundation

/// Every request of one drill, in the order they were sent: the client's own record, which the checker holds
/// the system to. Saved as JSON lines: a header line, then one `DrillOperation` per line.
public struct DrillHistory: Codable, Hashable, Sendable {
    /// The wall-clock time of the drill's second 0; every `DrillOperation` time counts from here.
    public var startedAt: Date
    public var operations: [DrillOperation]

    public init(startedAt: Date, operations: [DrillOperation] = []) {
        self.startedAt = startedAt
        self.operations = operations
    }

    /// The first line of a history file.
    struct Header: Codable {
        var format: String
        var startedAt: Date
    }

    static let format = "customer-portal/drill-history/1"

    /// The history as JSON lines (a header, then one operation per line), each line ending in a newline.
    public func jsonLines() throws -> Data {
        let encoder = Self.encoder
        var data = try encoder.encode(Header(format: Self.format, startedAt: startedAt))
        data.append(0x0A)
        for operation in operations {
            data.append(try encoder.encode(operation))
            data.append(0x0A)
        }
        return data
    }

    /// Reads JSON lines written by `jsonLines()`; the error names the line that is not one.
    public init(jsonLines data: Data) throws(DrillError) {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated()
            .filter { !$0.element.allSatisfy(\.isWhitespace) }
        guard let first = lines.first,
            let header = try? Self.decoder.decode(Header.self, from: Data(first.element.utf8)),
            header.format == Self.format
        else { throw DrillError(.badFile, "line 1: not a drill history header (\(Self.format))") }
        var operations: [DrillOperation] = []
        for (index, line) in lines.dropFirst() {
            guard let operation = try? Self.decoder.decode(DrillOperation.self, from: Data(line.utf8)) else {
                throw DrillError(.badFile, "line \(index + 1): not a drill operation")
            }
            operations.append(operation)
        }
        self.init(startedAt: header.startedAt, operations: operations)
    }

    /// Writes the history to `path` as JSON lines.
    public func write(to path: String) throws(DrillError) {
        do { try jsonLines().write(to: URL(fileURLWithPath: path)) } catch {
            throw DrillError(.badFile, "\(path): cannot write the history (\(error))")
        }
    }

    /// Reads a history written by `write(to:)`.
    public static func read(from path: String) throws(DrillError) -> DrillHistory {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DrillError(.badFile, "\(path): no such file")
        }
        do { return try DrillHistory(jsonLines: data) } catch {
            throw DrillError(.badFile, "\(path): \(error.message)")
        }
    }

    /// Seconds from the start to the last send or answer.
    public var span: Double {
        operations.reduce(0) { max($0, $1.answered ?? $1.sent) }
    }

    static var encoder: JSONEncoder { DrillJSON.encoder() }
    static var decoder: JSONDecoder { DrillJSON.decoder }
}
