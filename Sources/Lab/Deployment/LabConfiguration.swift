import Failover
import Foundation

/// How commits wait for other regions (DESIGN.md invariant 2).
public enum Durability: String, Codable, Sendable, CaseIterable {
    /// A commit returns once another region has it: `synchronous_standby_names = 'ANY 1 (…)'`. RPO 0.
    case sync
    /// No synchronous standby: loss on failover is bounded by the replication lag.
    case async
    /// Ordinary writes asynchronous; security-critical writes (revocations, password and e-mail changes,
    /// deletion, disabling) wait with `synchronous_commit = remote_apply`.
    case criticalSync = "critical-sync"

    /// The primary's `synchronous_standby_names` and default `synchronous_commit` for this mode.
    func primarySettings(standbys: [RegionName]) -> (standbyNames: String, synchronousCommit: String) {
        let names = "ANY 1 (" + standbys.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") + ")"
        switch self {
        case .sync: return (standbys.isEmpty ? "" : names, "on")
        case .async: return ("", "on")
        case .criticalSync: return (standbys.isEmpty ? "" : names, "local")
        }
    }
}

/// What `drctl lab up` brings up. Every field is defaulted; `validate()` names the bad one.
public struct LabConfiguration: Sendable {
    public var regions: [RegionName] = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    public var primary: RegionName = "us-east-1"
    public var durability: Durability = .sync
    public var portalsPerRegion: Int = 1
    /// The lab's state folder: databases, logs, keys and `lab.json`.
    public var directory: String = ".drlab"
    /// Multiplies the default WAN latencies; 0 removes them (fast tests).
    public var latencyScale: Double = 1
    /// bcrypt cost of the lab's portals.
    public var bcryptCost: Int = 10
    /// The `customer-portal` executable; by default the one next to the running `drctl`.
    public var portalExecutable: String?
    /// The `drctl` executable that runs the WAN emulator; by default the running one.
    public var controlExecutable: String?
    /// How long `up` waits for everything to be healthy.
    public var startTimeout: Duration = .seconds(120)
    /// The controller's settings (probe interval, thresholds, lease, mode, …).
    public var controllerSettings = ControllerSettings()
    /// Extra portal settings (`key: value`, as in the portal's YAML file), passed as `PORTAL_*` variables.
    public var portalSettings: [String: String] = [:]

    public init() {}

    public func validate() throws(LabError) {
        guard !regions.isEmpty, regions.count <= 8 else {
            throw LabError(.invalidConfiguration, "--regions: give 1 to 8 regions, got \(regions.count)")
        }
        for region in regions where !region.isWellFormed {
            throw LabError(.invalidConfiguration, "--regions: '\(region)' is not a region name like us-east-1")
        }
        guard Set(regions).count == regions.count else {
            throw LabError(.invalidConfiguration, "--regions: a region is listed twice")
        }
        guard regions.contains(primary) else {
            throw LabError(
                .invalidConfiguration,
                "--primary: '\(primary)' is not one of the regions (\(regions.map(\.rawValue).joined(separator: ",")))")
        }
        guard (1...4).contains(portalsPerRegion) else {
            throw LabError(.invalidConfiguration, "--portals-per-region: must be 1–4, got \(portalsPerRegion)")
        }
        guard latencyScale >= 0, latencyScale <= 10, latencyScale.isFinite else {
            throw LabError(.invalidConfiguration, "--latency-scale: must be 0–10, got \(latencyScale)")
        }
        guard (4...31).contains(bcryptCost) else {
            throw LabError(.invalidConfiguration, "--bcrypt-cost: must be 4–31, got \(bcryptCost)")
        }
        guard !directory.isEmpty else { throw LabError(.invalidConfiguration, "--dir: must not be empty") }
    }

    /// The regions other than the primary.
    public var standbys: [RegionName] { regions.filter { $0 != primary } }
}

/// An error of the lab, with a stable code and a one-line message that says what to do.
public struct LabError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidConfiguration = "invalid-configuration"
        case notRunning = "not-running"
        case startFailed = "start-failed"
        case unknownRegion = "unknown-region"
        case stateUnreadable = "state-unreadable"
        case executableNotFound = "executable-not-found"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
