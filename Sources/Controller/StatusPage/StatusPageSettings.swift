import Foundation

/// How a replica's status page (`/ui`) behaves: whether its buttons act, what its copyable `drctl` commands append,
/// and which drill history it shows.
public struct StatusPageSettings: LabSavedFile, Sendable, Equatable {
    /// Whether the page's failover, switchover, drain and mode buttons act (each behind a confirmation). Without
    /// it, every action shows the `drctl` command to copy instead.
    public var actions: Bool
    /// Appended to every `drctl` command the page shows, such as `--dir .drlab` for a lab in another folder.
    public var commandSuffix: String
    /// The drill history (`DrillRecord` JSON lines) the page shows against the objectives; nil for none.
    public var drillHistory: String?

    public init(actions: Bool = false, commandSuffix: String = "", drillHistory: String? = nil) {
        self.actions = actions
        self.commandSuffix = commandSuffix
        self.drillHistory = drillHistory
    }

    public static let fileName = "controller-ui.json"
}
