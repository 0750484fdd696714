import Failover

/// A `REGION=VALUE` command-line entry (`--endpoint-group`, `--peers`, `--portal-url`).
public enum RegionAssignment {
    /// The region and the value of `entry`; throws naming `option` when it is not `REGION=VALUE` with both halves.
    public static func parse(_ entry: String, option: String, valueName: String) throws(FailoverError) -> (
        region: String, value: String
    ) {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw FailoverError(.invalidArgument, "\(option) '\(entry)' must be REGION=\(valueName)")
        }
        return (parts[0], parts[1])
    }
}
