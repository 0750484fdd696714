import Failover

/// The primary a replica on AWS starts with (`ControllerConfiguration.initialPrimary`, which only the first leader
/// ever writes to etcd): the control plane's own state when etcd holds one, otherwise the real writer as Aurora
/// names it. The replica never guesses: when neither can be read, it does not start.
public struct AWSInitialPrimary: Hashable, Sendable {
    /// Where the primary was read.
    public enum Source: String, Hashable, Sendable {
        /// The control-plane state in etcd (the replica goes on from it anyway).
        case etcd
        /// Aurora's writer member (etcd holds no state yet, or could not be read).
        case aurora
    }

    public var region: RegionName
    public var source: Source

    public init(region: RegionName, source: Source) {
        self.region = region
        self.source = source
    }

    /// Reads `stored` (the primary in etcd's state; nil when there is no state yet), then, when it gives none,
    /// `aurora` (the writer's region), which must be one of `regions`. Throws one line saying what could not be read.
    public static func resolve(
        regions: [RegionName], stored: () async throws -> RegionName?, aurora: () async throws -> RegionName
    ) async throws(FailoverError) -> AWSInitialPrimary {
        var etcdProblem: String?
        do {
            if let primary = try await stored() { return AWSInitialPrimary(region: primary, source: .etcd) }
        } catch {
            etcdProblem = "etcd cannot be read (\(error))"
        }
        let writer: RegionName
        do {
            writer = try await aurora()
        } catch {
            throw FailoverError(
                .providerFailure,
                "\(etcdProblem ?? "etcd holds no control-plane state yet") and Aurora's writer cannot be read "
                    + "(\(error)): not starting rather than guessing the primary")
        }
        guard regions.contains(writer) else {
            throw FailoverError(
                .invalidArgument,
                "Aurora's writer is in \(writer), which is not one of this control plane's regions "
                    + "(\(regions.map(\.rawValue).joined(separator: ", "))): add its replica to --peers")
        }
        return AWSInitialPrimary(region: writer, source: .aurora)
    }
}
