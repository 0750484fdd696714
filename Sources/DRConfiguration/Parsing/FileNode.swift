import Failover
import Foundation
import Yams

/// Where each key path of a file was, so that a problem found after parsing (`Deployment.problems`) can still
/// name its line.
final class KeyPathMarks {
    private var marks: [String: Mark] = [:]

    func record(_ keyPath: String, _ mark: Mark?) {
        if let mark, marks[keyPath] == nil { marks[keyPath] = mark }
    }

    /// The mark of the key path, or of its nearest recorded parent (`contacts[2]` for `contacts[2].phone`).
    func mark(for keyPath: String) -> Mark? {
        var path = keyPath
        while true {
            if let mark = marks[path] { return mark }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return marks[""] }
            path = String(path[..<cut])
        }
    }
}

/// A YAML node with its key path: reads one typed value, or fails with an error that names the key and the line.
struct FileNode {
    let node: Node
    let keyPath: String
    let source: String
    let marks: KeyPathMarks

    init(_ node: Node, keyPath: String, source: String, marks: KeyPathMarks) {
        self.node = node
        self.keyPath = keyPath
        self.source = source
        self.marks = marks
        marks.record(keyPath, node.mark)
    }

    /// An error at this node's line.
    func error(_ code: DeploymentFileError.Code, _ message: String) -> DeploymentFileError {
        DeploymentFileError(
            code, message, keyPath: keyPath, source: source, line: node.mark?.line, column: node.mark?.column)
    }

    private var isNull: Bool {
        if case .scalar(let scalar) = node { return scalar.tag == Tag(.null) || scalar.string.isEmpty }
        return false
    }

    private var kind: String {
        switch node {
        case .scalar: isNull ? "nothing" : "a value ('\(node.scalar?.string ?? "")')"
        case .mapping: "a mapping (key: value lines)"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The node as a mapping whose keys are all in `known`; `key:` with nothing after it reads as empty.
    func mapping(known: [String]) throws(DeploymentFileError) -> FileMapping {
        if isNull { return FileMapping(parent: self, entries: []) }
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType, "must be a mapping (key: value lines), got \(kind)")
        }
        var entries: [(key: String, value: FileNode)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw error(.wrongType, "keys must be plain words, not a mapping or a list")
            }
            let key = scalar.string
            guard known.contains(key) else {
                throw DeploymentFileError(
                    .unknownKey, "unknown key (known here: \(known.joined(separator: ", ")))", keyPath: join(key),
                    source: source, line: keyNode.mark?.line, column: keyNode.mark?.column)
            }
            // A key's line is where the key is written, which is where a reader looks; recorded before the value's.
            marks.record(join(key), keyNode.mark)
            entries.append((key, FileNode(valueNode, keyPath: join(key), source: source, marks: marks)))
        }
        return FileMapping(parent: self, entries: entries)
    }

    /// The node as a mapping whose keys are free (such as region names), in file order.
    func namedEntries() throws(DeploymentFileError) -> [(key: String, value: FileNode)] {
        if isNull { return [] }
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType, "must be a mapping (key: value lines), got \(kind)")
        }
        var entries: [(key: String, value: FileNode)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw error(.wrongType, "keys must be plain words, not a mapping or a list")
            }
            marks.record(join(scalar.string), keyNode.mark)
            entries.append(
                (scalar.string, FileNode(valueNode, keyPath: join(scalar.string), source: source, marks: marks)))
        }
        return entries
    }

    /// The node as a list; `key:` with nothing after it reads as an empty list.
    func list() throws(DeploymentFileError) -> [FileNode] {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else {
            throw error(.wrongType, "must be a list (lines starting with '- '), got \(kind)")
        }
        return sequence.enumerated().map { index, item in
            FileNode(item, keyPath: "\(keyPath)[\(index)]", source: source, marks: marks)
        }
    }

    /// The node as a non-empty text value.
    func text() throws(DeploymentFileError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType, "must be a value, got \(kind)")
        }
        let value = scalar.string.trimmingCharacters(in: .whitespaces)
        guard !isNull, !value.isEmpty else { throw error(.invalidValue, "needs a value") }
        return value
    }

    /// A text value that must pass `isValid`; `expected` says what is wanted.
    func text(_ expected: String, _ isValid: (String) -> Bool) throws(DeploymentFileError) -> String {
        let value = try text()
        guard isValid(value) else { throw error(.invalidValue, "must be \(expected), got '\(value)'") }
        return value
    }

    /// A duration such as `250ms`, `5s`, `15m`, `2h` or `90d`; `0` too when `allowsZero`.
    func duration(allowsZero: Bool = false) throws(DeploymentFileError) -> Duration {
        let value = try text()
        if allowsZero && value == "0" { return .zero }
        guard let duration = Duration(text: value), allowsZero || duration > .zero else {
            throw error(
                .invalidValue,
                "must be a duration such as 250ms, 5s, 15m, 2h or 90d\(allowsZero ? " (or 0)" : ""), got '\(value)'")
        }
        return duration
    }

    /// A whole number within `range`.
    func wholeNumber(in range: ClosedRange<Int>) throws(DeploymentFileError) -> Int {
        let value = try text()
        guard let number = Int(value), range.contains(number) else {
            let bounds = "\(range.lowerBound)–\(range.upperBound)"
            throw error(.invalidValue, "must be a whole number \(bounds), got '\(value)'")
        }
        return number
    }

    /// A number within `range`.
    func number(in range: ClosedRange<Double>) throws(DeploymentFileError) -> Double {
        let value = try text()
        guard let number = Double(value), number.isFinite, range.contains(number) else {
            throw error(.invalidValue, "must be a number \(range.lowerBound)–\(range.upperBound), got '\(value)'")
        }
        return number
    }

    /// One of an enumeration's raw values.
    func choice<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) throws(DeploymentFileError) -> Choice
    where Choice.RawValue == String {
        let value = try text()
        guard let choice = Choice(rawValue: value) else {
            let names = Choice.allCases.map(\.rawValue)
            throw error(.invalidValue, "must be one of \(names.joined(separator: ", ")), got '\(value)'")
        }
        return choice
    }

    private func join(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }
}

/// A mapping's entries after the unknown-key check.
struct FileMapping {
    let parent: FileNode
    let entries: [(key: String, value: FileNode)]

    /// The value of `key`, nil when absent.
    func optional(_ key: String) -> FileNode? { entries.first { $0.key == key }?.value }

    /// The value of `key`; absent is an error at the mapping's line.
    func required(_ key: String) throws(DeploymentFileError) -> FileNode {
        guard let value = optional(key) else {
            let path = parent.keyPath.isEmpty ? key : "\(parent.keyPath).\(key)"
            let mark = parent.node.mark
            throw DeploymentFileError(
                .missingKey, "is required", keyPath: path, source: parent.source, line: mark?.line,
                column: mark?.column)
        }
        return value
    }
}
