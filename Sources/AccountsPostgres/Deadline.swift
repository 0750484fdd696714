/// Runs `body`, and throws `timeoutError()` instead if it has not finished after `duration` (the body's task is
/// then cancelled). Database waits go through this: PostgresNIO's pool waits for a connection indefinitely while
/// the database is down, and a request must fail fast instead of hanging.
public func withDeadline<Result: Sendable>(
    _ duration: Duration, orThrow timeoutError: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw timeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
