import Synchronization

/// The ports the edge's listeners are bound to, known once they run (useful with port 0).
public struct EdgeAddresses: Sendable, Equatable {
    /// The entry listener's port.
    public var entryPort: Int
    /// The admin API's port; `nil` without an admin token.
    public var adminPort: Int?
    /// Each per-location listener's port, by location.
    public var locationPorts: [String: Int]
}

/// Collects bound ports as listeners come up and hands them to whoever waits for all of them.
final class ListenerPorts: Sendable {
    private struct Pending {
        var entry: Int?
        var admin: Int?
        var locations: [String: Int] = [:]
        var waiters: [CheckedContinuation<EdgeAddresses, Never>] = []
    }

    private let expectsAdmin: Bool
    private let expectedLocations: Set<String>
    private let pending = Mutex(Pending())

    init(expectsAdmin: Bool, locations: [String]) {
        self.expectsAdmin = expectsAdmin
        self.expectedLocations = Set(locations)
    }

    func entryBound(_ port: Int) { update { $0.entry = port } }
    func adminBound(_ port: Int) { update { $0.admin = port } }
    func locationBound(_ location: String, port: Int) { update { $0.locations[location] = port } }

    /// Waits until every listener is bound.
    func addresses() async -> EdgeAddresses {
        await withCheckedContinuation { continuation in
            let ready = pending.withLock { pending -> EdgeAddresses? in
                if let addresses = complete(pending) { return addresses }
                pending.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func update(_ change: (inout Pending) -> Void) {
        var waiters: [CheckedContinuation<EdgeAddresses, Never>] = []
        var addresses: EdgeAddresses?
        pending.withLock { pending in
            change(&pending)
            addresses = complete(pending)
            if addresses != nil {
                waiters = pending.waiters
                pending.waiters = []
            }
        }
        if let addresses {
            for waiter in waiters { waiter.resume(returning: addresses) }
        }
    }

    private func complete(_ pending: Pending) -> EdgeAddresses? {
        guard let entry = pending.entry, !expectsAdmin || pending.admin != nil,
            Set(pending.locations.keys) == expectedLocations
        else { return nil }
        return EdgeAddresses(entryPort: entry, adminPort: pending.admin, locationPorts: pending.locations)
    }
}
