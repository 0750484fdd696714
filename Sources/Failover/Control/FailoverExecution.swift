import Foundation

/// A failover, switchover or rejoin plan as a value (DESIGN.md §4): given what happened and when, it says what to
/// do next and what the timeline records. It does no I/O: the controller carries out its actions and tells it how
/// each ended, so the step order, a block, an abandon, a resume and promote-once are each one tested transition
/// (`FailoverExecutionTests`, with a fixed clock).
public struct FailoverExecution: Hashable, Sendable {
    /// The operation as it stands (its step is the one running or next).
    public private(set) var operation: FailoverOperation
    public private(set) var phase: Phase
    /// Whether a new leader took the operation over from an earlier term.
    public let resumed: Bool
    /// The reason of the last refusal: the same refusal again is not recorded again.
    var lastRefusal: String?
    /// Whether `operation-resumed` is on the timeline (once per term).
    var resumeRecorded = false

    /// How long a blocked failover waits before it tries its step again.
    public static let blockedRetry: Duration = .seconds(5)
    /// How long a failed step waits before it runs again.
    public static let failedRetry: Duration = .milliseconds(500)

    public enum Phase: Hashable, Sendable {
        /// The current step has not started in this term.
        case ready
        /// The current step runs since the date.
        case running(since: Date)
        /// Refused; the step is tried again from the date (a failover), or a person continues it.
        case blocked(reason: String, retryAt: Date)
        /// Finished or abandoned.
        case ended
    }

    /// What the controller carries out, in order.
    public enum Action: Hashable, Sendable {
        /// The step's work on the world (fence, select, repoint, writer, traffic; for a rejoin, the rejoin). The
        /// promote step is `checkPromoted` and then, only when needed, `promote`.
        case perform(FailoverOperation.Step)
        /// Ask the target whether it is already the primary (a term that died right after promoting it).
        case checkPromoted(RegionName)
        /// Promote the target; a provider may lose acknowledged writes only when `allowingDataLoss` (a forced
        /// failover).
        case promote(RegionName, allowingDataLoss: Bool)
        /// Record the target as the primary: new epoch, the former primary awaiting rejoin; saved; then tell
        /// `adopted` (the promote step ends with that save).
        case adoptPrimary(RegionName, promoted: Bool)
        /// Save the operation as it stands.
        case save
        /// Sleep until the date, then tell `retryDue`.
        case wait(until: Date)
        /// Set the `failover` alarm.
        case alarm(Alarm.State, reason: String)
        /// The operation is over: clear it from the state and save; `finished` is false for an abandoned one.
        case end(finished: Bool)
    }

    /// What happened.
    public enum Event: Hashable, Sendable {
        /// An executor (re)starts the plan: first in this term, after a block, after a restart of the executor.
        case start
        /// The running step's work is done; `selected` is the select step's choice.
        case stepDone(selected: RegionName? = nil)
        /// The promote step's target answered its role.
        case targetIsPrimary(Bool)
        /// The target was promoted.
        case promoted
        /// The new primary is saved (`adoptPrimary`).
        case adopted
        /// The step failed for now (a timeout, a provider error): run it again.
        case failed(String)
        /// The step cannot be carried out as asked (no standby qualifies, a switchover's target does not catch up).
        case refused(String)
        /// The wait asked for is over.
        case retryDue
        /// A person continues a failover: to this target, forced or not.
        case continued(to: RegionName, force: Bool)
    }

    /// One timeline entry the transition records (the controller adds time, sequence and operation).
    public struct Entry: Hashable, Sendable {
        public var kind: TimelineEvent.Kind
        public var message: String
        public var region: RegionName?
        public var step: FailoverOperation.Step?
        public var details: [String: String]?
    }

    /// What a transition asks for, in order: timeline entries among the actions, each where it happens (a step is
    /// recorded as finished after what it adopted, the end after the operation is cleared).
    public struct Transition: Hashable, Sendable {
        public enum Item: Hashable, Sendable {
            case record(Entry)
            case act(Action)
        }

        public var items: [Item] = []

        /// Nothing to record, nothing to do.
        public init() {}

        public var timeline: [Entry] { items.compactMap { if case .record(let entry) = $0 { entry } else { nil } } }
        public var actions: [Action] { items.compactMap { if case .act(let action) = $0 { action } else { nil } } }

        mutating func act(_ action: Action) { items.append(.act(action)) }
    }

    /// A plan that starts (`resumed` false) or that a new term takes over at its saved step.
    public init(_ operation: FailoverOperation, resumed: Bool) {
        self.operation = operation
        self.phase = .ready
        self.resumed = resumed
    }

    /// Whether an executor should run the plan at `now` (a blocked one waits for its retry time).
    public func runnable(at now: Date) -> Bool {
        switch phase {
        case .ready, .running: true
        case .blocked(_, let retryAt): now >= retryAt
        case .ended: false
        }
    }

    public mutating func handle(_ event: Event, at now: Date) -> Transition {
        var transition = Transition()
        switch (event, phase) {
        case (_, .ended):
            return transition
        case (.continued(let target, let force), _):
            continueFailover(to: target, force: force, into: &transition)
        case (.start, .ready), (.start, .running):
            if resumed && !resumeRecorded {
                resumeRecorded = true
                note(
                    .operationResumed,
                    "\(operation.kind.rawValue) \(operation.id) resumed at \(operation.step.rawValue)",
                    into: &transition)
            }
            begin(at: now, into: &transition)
        case (.start, .blocked), (.retryDue, .blocked):
            // Tried again without a new entry: the block is on the timeline, and its end will be.
            begin(at: now, recorded: false, into: &transition)
        case (.retryDue, _):
            begin(at: now, into: &transition)
        case (.stepDone(let selected), .running(let since)):
            if operation.step == .select, let selected { operation.to = selected }
            finishStep(since: since, at: now, into: &transition)
        case (.targetIsPrimary(let isPrimary), .running):
            guard let target = operation.to else {
                refuse("no target selected", at: now, into: &transition)
                return transition
            }
            if isPrimary {
                note(.promotionSkipped, "\(target) is already primary: not promoting again", into: &transition)
                transition.act(.adoptPrimary(target, promoted: false))
            } else {
                transition.act(.promote(target, allowingDataLoss: operation.force))
            }
        case (.promoted, .running):
            guard let target = operation.to else {
                refuse("no target selected", at: now, into: &transition)
                return transition
            }
            note(.promoted, "\(target) promoted to primary", region: target, into: &transition)
            transition.act(.adoptPrimary(target, promoted: true))
        case (.adopted, .running(let since)):
            finishStep(since: since, at: now, into: &transition)
        case (.failed(let reason), .running):
            note(
                .stepFailed, "\(operation.step.rawValue) failed: \(reason); retrying", region: operation.from,
                into: &transition)
            phase = .ready
            transition.act(.wait(until: now + Self.failedRetry.seconds))
        case (.refused(let reason), .running):
            refuse(reason, at: now, into: &transition)
        case (.stepDone, _), (.targetIsPrimary, _), (.promoted, _), (.adopted, _), (.failed, _), (.refused, _):
            // An answer to a step that is not running (a late one from a cancelled executor): nothing to do.
            return transition
        }
        return transition
    }

    /// Starts the current step (or ends the plan at `done`).
    private mutating func begin(at now: Date, recorded: Bool = true, into transition: inout Transition) {
        if operation.step == .done { return finish(at: now, into: &transition) }
        phase = .running(since: now)
        if recorded {
            note(
                .stepStarted, "\(operation.kind.rawValue) step \(operation.step.rawValue)",
                region: operation.to ?? operation.from, into: &transition)
        }
        if operation.kind == .failover || operation.kind == .switchover, operation.step == .promote {
            guard let target = operation.to else { return refuse("no target selected", at: now, into: &transition) }
            transition.act(.checkPromoted(target))
        } else {
            transition.act(.perform(operation.step))
        }
    }

    /// The running step is done: record it, save where a resumed plan needs it, and start the next one.
    private mutating func finishStep(since: Date, at now: Date, into transition: inout Transition) {
        let step = operation.step
        let milliseconds = Int((now.timeIntervalSince(since) * 1000).rounded())
        note(
            .stepFinished, "\(operation.kind.rawValue) step \(step.rawValue) done in \(milliseconds) ms",
            region: operation.to ?? operation.from, details: ["milliseconds": String(milliseconds)], into: &transition)
        lastRefusal = nil
        operation.step = operation.kind == .rejoin ? .done : step.next
        phase = .ready
        // Saved (a write through the etcd majority) where a resumed plan needs it: the chosen target, before it
        // is promoted (the promote step saves the new primary itself; the end saves the rest). Fence, repoint,
        // writer and traffic are safe to run again, so a new leader that resumes one step early only repeats it.
        if step == .select { transition.act(.save) }
        begin(at: now, into: &transition)
    }

    /// Refused: a switchover or a rejoin is abandoned (nothing irreversible happened); a failover stays, fenced,
    /// and its executor stops: the controller starts it again `blockedRetry` later (the standbys may answer by
    /// then), or at once when a person continues it (`drctl failover --to REGION --force`).
    private mutating func refuse(_ reason: String, at now: Date, into transition: inout Transition) {
        let kind = operation.kind
        if lastRefusal != reason {
            note(.blocked(kind), reason, region: operation.from, into: &transition)
            transition.act(.alarm(.alarm, reason: "\(kind.rawValue) \(operation.id) blocked: \(reason)"))
        }
        lastRefusal = reason
        guard kind == .failover else {
            phase = .ended
            transition.act(.end(finished: false))
            note(
                kind == .switchover ? .switchoverAbandoned : .rejoinAbandoned,
                "\(kind.rawValue) \(operation.id) abandoned at step \(operation.step.rawValue)", region: operation.from,
                into: &transition)
            return
        }
        phase = .blocked(reason: reason, retryAt: now + Self.blockedRetry.seconds)
    }

    private mutating func continueFailover(to target: RegionName, force: Bool, into transition: inout Transition) {
        operation.to = target
        operation.force = operation.force || force
        lastRefusal = nil
        if case .blocked = phase { phase = .ready }
        transition.act(.save)
    }

    private mutating func finish(at now: Date, into transition: inout Transition) {
        phase = .ended
        let kind = operation.kind
        let seconds = now.timeIntervalSince(operation.startedAt)
        transition.act(.end(finished: true))
        note(
            .finished(kind),
            "\(kind.rawValue) \(operation.id) finished in \(String(format: "%.2f", seconds)) s",
            region: operation.to ?? operation.from, atStep: false,
            details: ["seconds": String(format: "%.3f", seconds)],
            into: &transition)
        if kind != .rejoin { transition.act(.alarm(.ok, reason: "\(kind.rawValue) \(operation.id) finished")) }
    }

    private func note(
        _ kind: TimelineEvent.Kind, _ message: String, region: RegionName? = nil, atStep: Bool = true,
        details: [String: String]? = nil, into transition: inout Transition
    ) {
        transition.items.append(
            .record(
                Entry(
                    kind: kind, message: message, region: region, step: atStep ? operation.step : nil,
                    details: details)))
    }
}
