import Synchronization

/// Runs `body`, and throws `timeoutError()` instead if it has not finished after `duration`; the body's task is
/// then cancelled but not waited for, since some waits (a query on a connection whose peer froze, PostgresNIO's
/// pool waiting for a connection) do not end on cancellation. Database waits and probes go through this, so a
/// request or a probe fails on time instead of hanging.
///
/// `timer` arms the deadline: by default a task that sleeps; a caller on a hot path can pass one that schedules on
/// a thread that is awake anyway (a NIO event loop), since each sleeping task arms a Dispatch timer, whose manager
/// thread then wakes (measured on the portal's `GET /v1/me`: a tenth of its CPU).
public func withDeadline<Result: Sendable>(
    _ duration: Duration, orThrow timeoutError: @escaping @Sendable () -> any Error,
    timer: some DeadlineTimer = SleepingTaskTimer(),
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = DeadlineOutcome<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            let work = Task {
                do { outcome.finish(.success(try await body())) } catch { outcome.finish(.failure(error)) }
            }
            let cancelTimer = timer.schedule(after: duration) {
                if outcome.finish(.failure(timeoutError())) { work.cancel() }
            }
            outcome.onFinish { cancelTimer() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// Calls `fire` once `after` has passed, unless the returned cancel function was called first.
public protocol DeadlineTimer: Sendable {
    func schedule(after: Duration, _ fire: @escaping @Sendable () -> Void) -> @Sendable () -> Void
}

/// A task that sleeps for the duration.
public struct SleepingTaskTimer: DeadlineTimer {
    public init() {}
    public func schedule(after duration: Duration, _ fire: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let task = Task {
            guard (try? await Task.sleep(for: duration)) != nil else { return }
            fire()
        }
        return { task.cancel() }
    }
}

/// The first of the body, the timer and cancellation to finish resumes the caller; the others are ignored.
private final class DeadlineOutcome<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result, any Error>?
        var early: Swift.Result<Result, any Error>?
        var done = false
        var cleanup: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Result, any Error>) {
        let early = state.withLock { state -> Swift.Result<Result, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let finished = state.withLock { state in
            if state.done { return true }
            state.cleanup = cleanup
            return false
        }
        if finished { cleanup() }
    }

    /// Resumes the caller with `result` unless something finished first; true when this call won.
    @discardableResult
    func finish(_ result: Swift.Result<Result, any Error>) -> Bool {
        let (continuation, cleanup, won) = state.withLock {
            state -> (CheckedContinuation<Result, any Error>?, (@Sendable () -> Void)?, Bool) in
            guard !state.done else { return (nil, nil, false) }
            state.done = true
            if state.continuation == nil { state.early = result }
            defer { state.continuation = nil }
            return (state.continuation, state.cleanup, true)
        }
        continuation?.resume(with: result)
        cleanup?()
        return won
    }
}
