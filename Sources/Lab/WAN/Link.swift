import Synchronization

/// One undirected link between two nodes, shared by the emulator (which changes its conditions) and the
/// connections crossing it (which read the conditions for every chunk, on their own event loops).
final class Link: Sendable {
    /// The ends, `a <= b`.
    let a: String
    /// The ends, `a <= b`.
    let b: String

    private struct State {
        var conditions: LinkConditions
        var bytesForwarded = 0
        var connections: [ObjectIdentifier: ProxiedConnection] = [:]
    }

    private let state: Mutex<State>

    init(_ key: LinkKey, conditions: LinkConditions) {
        self.a = key.a
        self.b = key.b
        self.state = Mutex(State(conditions: conditions))
    }

    /// The conditions in force now.
    var conditions: LinkConditions { state.withLock { $0.conditions } }

    /// Whether the link is cut now.
    var isPartitioned: Bool { state.withLock { $0.conditions.partitioned } }

    /// Changes the conditions. When a partition ends, every connection across the link is told, so that it
    /// delivers what it held and connects upstream if it had not yet.
    func update(_ change: (inout LinkConditions) -> Void) {
        let healed: [ProxiedConnection] = state.withLock { state in
            let wasPartitioned = state.conditions.partitioned
            change(&state.conditions)
            state.conditions = state.conditions.clamped()
            return wasPartitioned && !state.conditions.partitioned ? Array(state.connections.values) : []
        }
        for connection in healed {
            connection.linkHealed()
        }
    }

    func register(_ connection: ProxiedConnection) {
        state.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
    }

    func unregister(_ connection: ProxiedConnection) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    func recordForwarded(_ bytes: Int) {
        state.withLock { $0.bytesForwarded += bytes }
    }

    /// The link's state for `GET /links`.
    var snapshot: LinkState {
        state.withLock {
            LinkState(
                a: a, b: b, conditions: $0.conditions, bytesForwarded: $0.bytesForwarded,
                openConnections: $0.connections.count)
        }
    }
}

/// The identity of an undirected link: its two node names in order.
struct LinkKey: Hashable, Sendable {
    let a: String
    let b: String

    init(_ x: String, _ y: String) {
        (a, b) = x <= y ? (x, y) : (y, x)
    }

    /// Whether `node` is one end of the link; a node's link to itself does not touch it for partitions.
    func touches(_ node: String) -> Bool { a != b && (a == node || b == node) }

    /// The end that is not `node`.
    func other(than node: String) -> String { a == node ? b : a }
}
