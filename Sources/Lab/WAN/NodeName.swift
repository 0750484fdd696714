/// The rule for node names: a region-like lower-case name (`us-east-1`, `outside`).
enum NodeName {
    /// Throws `WANError.invalidNodeName` unless `name` is 1–63 characters of `a-z`, `0-9` and `-`, starting with a
    /// letter. Keeping names this plain keeps them safe in URLs, log lines and file names.
    static func validate(_ name: String) throws(WANError) {
        let allowed = name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
        guard (1...63).contains(name.utf8.count), allowed, let first = name.utf8.first, (0x61...0x7A).contains(first)
        else {
            throw WANError(
                .invalidNodeName,
                "'\(name.prefix(80))' is not a node name; use a region name like us-east-1, or outside")
        }
    }
}
