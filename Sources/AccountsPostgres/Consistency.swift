import Synchronization

/// Read-your-writes across regions, per request: a write records the primary's WAL position after its commit
/// (the consistency token handed to the client), and a read whose token this region has not replayed in time
/// is told to go to the writer instead of the region's standby.
public final class ConsistencyScope: Sendable {
    /// Read from the writer (the primary) instead of the region's own database.
    public let readFromWriter: Bool
    private let lastCommit = Mutex<String?>(nil)

    public init(readFromWriter: Bool) { self.readFromWriter = readFromWriter }

    /// The WAL position (`X/Y`) after the request's last committed write, if it wrote.
    public var commitLSN: String? { lastCommit.withLock { $0 } }

    func recordCommit(_ lsn: String) { lastCommit.withLock { $0 = lsn } }

    /// The scope of the current request, set by the server around each request.
    @TaskLocal public static var current: ConsistencyScope?
}
