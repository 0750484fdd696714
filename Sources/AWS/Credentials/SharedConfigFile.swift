/// The INI-style shared files `~/.aws/credentials` and `~/.aws/config`: sections of `key = value` lines.
public struct SharedConfigFile: Hashable, Sendable {
    /// Section name (as written between the brackets, trimmed) → keys → values.
    public var sections: [String: [String: String]]

    /// Parses the text of a shared file; comments (`#`, `;`) and indented sub-properties are skipped.
    public init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let isIndented = rawLine.first == " " || rawLine.first == "\t"
            let line = rawLine.trimmed(of: " \t\r")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast()).trimmed(of: " \t")
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let section = current, !isIndented, let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmed(of: " \t").lowercased()
            let value = String(line[line.index(after: equals)...]).trimmed(of: " \t")
            sections[section, default: [:]][key] = value
        }
        self.sections = sections
    }

    /// The keys of a profile in the credentials file (`[name]`).
    public func credentialsProfile(_ name: String) -> [String: String]? { sections[name] }

    /// The keys of a profile in the config file (`[profile name]`, or `[default]`).
    public func configProfile(_ name: String) -> [String: String]? {
        sections["profile \(name)"] ?? (name == "default" ? sections["default"] : nil)
    }
}

extension StringProtocol {
    fileprivate func trimmed(of set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
