import Yams

extension DeploymentFileError {
    /// A YAML syntax error with its line, and the key path of the last key before it (what the reader was
    /// writing when the syntax broke), found by composing the lines before the error.
    init(yaml error: YamlError, text: String, source: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            self.init(
                .invalidYAML, "not valid YAML: \(problem)\(detail)",
                keyPath: Self.lastKeyPath(in: text, beforeLine: mark.line), source: source, line: mark.line,
                column: mark.column)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let line = context.mark.line
            self.init(
                .invalidYAML, "key '\(duplicates.joined(separator: "', '"))' appears twice in one mapping",
                keyPath: Self.lastKeyPath(in: text, beforeLine: line + 1), source: source, line: line,
                column: context.mark.column)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in
                text.utf8.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            }
            self.init(.invalidYAML, "not readable as YAML: \(problem)", keyPath: "", source: source, line: line)
        default:
            self.init(.invalidYAML, "not valid YAML: \(error)", keyPath: "", source: source)
        }
    }

    /// The key path of the last key written before `line`: the longest run of lines before it that parses is
    /// composed, and its last key taken. Empty when none does.
    static func lastKeyPath(in text: String, beforeLine line: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var count = min(max(0, line - 1), lines.count)
        // A broken construct (an unclosed quote) can start well before the line the parser stops at; a deployment
        // file is short, so trying a few hundred prefixes is cheap.
        let lowest = max(0, count - 300)
        while count > lowest {
            if let root = try? Yams.compose(yaml: lines.prefix(count).joined(separator: "\n")) {
                return lastKeyPath(in: root)
            }
            count -= 1
        }
        return ""
    }

    private static func lastKeyPath(in root: Node) -> String {
        var best: (line: Int, path: String) = (0, "")
        func visit(_ node: Node, _ path: String) {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    let keyPath = path.isEmpty ? (key.string ?? "?") : "\(path).\(key.string ?? "?")"
                    if let keyLine = key.mark?.line, keyLine >= best.line { best = (keyLine, keyPath) }
                    visit(value, keyPath)
                }
            case .sequence(let sequence):
                for (index, item) in sequence.enumerated() { visit(item, "\(path)[\(index)]") }
            case .scalar, .alias:
                break
            }
        }
        visit(root, "")
        return best.path
    }
}
