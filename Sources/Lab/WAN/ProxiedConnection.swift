import Logging
import NIOCore
import NIOPosix

/// One accepted connection of a route and its upstream connection to the target: two delayed pipes, one per
/// direction, that move bytes across a `Link`.
///
/// Everything here runs on the event loop of the accepted channel (the upstream channel is opened on the same
/// loop), so the state needs no lock; calls from other threads hop onto the loop. Reading is manual (`autoRead`
/// off): a side is read only while its pipe holds less than the buffer limit and the other side is writable, so
/// a slow or cut link pushes back on the sender the way a full TCP window does.
final class ProxiedConnection: @unchecked Sendable {
    /// The accepted client side, or the target side.
    enum Side {
        case downstream
        case upstream

        var other: Side { self == .downstream ? .upstream : .downstream }
    }

    private enum UpstreamState {
        case notStarted
        /// Accepted during a partition: connected once the link heals.
        case waitingForLink
        case connecting
        case connected(any Channel)
        case gone
    }

    let eventLoop: any EventLoop
    let link: Link
    private let downstream: any Channel
    private let target: (host: String, port: Int)
    private let configuration: WANEmulator.Configuration
    private let logger: Logger
    private let onFinished: @Sendable (ProxiedConnection) -> Void

    private var upstreamState = UpstreamState.notStarted
    private var isDownstreamOpen = true
    /// Data read from the client, on its way to the target.
    private var toUpstream = DelayedPipe()
    /// Data read from the target, on its way to the client.
    private var toDownstream = DelayedPipe()
    private var holdTimer: Scheduled<Void>?
    private var isClosing = false
    private var isFinished = false

    init(
        downstream: any Channel, link: Link, target: (host: String, port: Int),
        configuration: WANEmulator.Configuration,
        logger: Logger, onFinished: @escaping @Sendable (ProxiedConnection) -> Void
    ) {
        self.eventLoop = downstream.eventLoop
        self.downstream = downstream
        self.link = link
        self.target = target
        self.configuration = configuration
        self.logger = logger
        self.onFinished = onFinished
    }

    // MARK: Events from the channels (on the loop)

    /// The accepted channel is active: start reading it, and connect upstream unless the link is cut.
    func downstreamActive() {
        eventLoop.preconditionInEventLoop()
        link.register(self)
        downstream.read()
        if link.isPartitioned {
            // A cut link: the client's connect succeeded (it reached this proxy) but nothing answers.
            upstreamState = .waitingForLink
            startHoldTimer()
        } else {
            connectUpstream()
        }
    }

    /// Like `downstreamActive()`, for a channel whose first bytes were read before the connection existed (to
    /// learn its sender): they cross the link first.
    func downstreamActive(replaying head: ByteBuffer) {
        downstreamActive()
        if head.readableBytes > 0 { received(head, from: .downstream) }
    }

    /// The upstream channel is connected: start reading it and deliver what the client sent meanwhile.
    func upstreamActive(_ channel: any Channel) {
        eventLoop.preconditionInEventLoop()
        guard case .connecting = upstreamState, !isClosing else {
            channel.close(promise: nil)
            return
        }
        upstreamState = .connected(channel)
        channel.read()
        deliverDue(toward: .upstream)
    }

    /// Bytes read from `side`: queue them to cross the link after the delay drawn from its current conditions.
    func received(_ buffer: ByteBuffer, from side: Side) {
        guard !isClosing else { return }
        let delay = link.conditions.sampleDelay()
        let wasEmpty = pipe(toward: side.other).isEmpty
        modifyPipe(toward: side.other) { $0.enqueue(.data(buffer), now: .now(), delay: delay) }
        if wasEmpty { deliverDue(toward: side.other) }
    }

    /// A read burst from `side` ended: read more if the pipe and the destination have room.
    func readComplete(from side: Side) {
        guard !isClosing else { return }
        if canRead(from: side) {
            channel(side)?.read()
        } else {
            modifyPipe(toward: side.other) { $0.isReadPaused = true }
        }
    }

    /// `side` closed: its close crosses the link after the data ahead of it, then closes the other side.
    func inactive(_ side: Side) {
        switch side {
        case .downstream:
            isDownstreamOpen = false
            modifyPipe(toward: .downstream) { $0.discardAll() }
            switch upstreamState {
            case .connected:
                break
            case .notStarted, .waitingForLink, .connecting:
                // Nothing reached the target yet: there is nobody to tell.
                upstreamState = .gone
                finishIfClosed()
                return
            case .gone:
                finishIfClosed()
                return
            }
        case .upstream:
            upstreamState = .gone
            modifyPipe(toward: .upstream) { $0.discardAll() }
            guard isDownstreamOpen else {
                finishIfClosed()
                return
            }
        }
        guard !isClosing else {
            finishIfClosed()
            return
        }
        let wasEmpty = pipe(toward: side.other).isEmpty
        let delay = link.conditions.sampleDelay()
        modifyPipe(toward: side.other) { $0.enqueue(.close, now: .now(), delay: delay) }
        if wasEmpty { deliverDue(toward: side.other) }
        finishIfClosed()
    }

    /// `side` became writable again: resume reading the other side if it was paused for it.
    func writabilityChanged(_ side: Side) {
        resumeReadingIfPossible(from: side.other)
    }

    // MARK: Events from the emulator (any thread)

    /// The link's partition ended: held chunks cross now (one latency later, as a retransmission would) and a
    /// connection accepted during the cut connects upstream.
    func linkHealed() {
        eventLoop.execute {
            self.holdTimer?.cancel()
            self.holdTimer = nil
            for side in [Side.upstream, .downstream] {
                let delay = self.link.conditions.sampleDelay()
                self.modifyPipe(toward: side) {
                    $0.isHeld = false
                    $0.notBefore = .now() + TimeAmount(delay)
                }
                self.deliverDue(toward: side)
            }
            if case .waitingForLink = self.upstreamState {
                self.connectUpstream()
            }
        }
    }

    /// Closes both sides now, dropping whatever is queued (a retarget, the hold limit, shutdown).
    func closeNow() -> EventLoopFuture<Void> {
        eventLoop.submit {
            self.closeBothSides()
        }.flatMap {
            var futures = [self.downstream.closeFuture]
            if case .connected(let upstream) = self.upstreamState { futures.append(upstream.closeFuture) }
            return EventLoopFuture.andAllComplete(futures, on: self.eventLoop)
        }
    }

    // MARK: Delivery

    /// Delivers every due chunk toward `side`, then schedules the next one; holds while the link is cut.
    private func deliverDue(toward side: Side) {
        modifyPipe(toward: side) { $0.cancelTimer() }
        guard !pipe(toward: side).isEmpty, !pipe(toward: side).isHeld, let destination = channel(side) else { return }
        if link.isPartitioned {
            modifyPipe(toward: side) { $0.isHeld = true }
            startHoldTimer()
            return
        }
        let now = NIODeadline.now()
        var bytes = 0
        var didClose = false
        while !didClose, let payload = modifyPipe(toward: side, { $0.popDue(now: now) }) {
            switch payload {
            case .data(let buffer):
                bytes += buffer.readableBytes
                destination.write(buffer, promise: nil)
            case .close:
                didClose = true
            }
        }
        if bytes > 0 {
            destination.flush()
            link.recordForwarded(bytes)
        }
        if didClose {
            destination.close(promise: nil)
            return
        }
        if let due = pipe(toward: side).nextDue {
            let timer = eventLoop.scheduleTask(deadline: due) { self.deliverDue(toward: side) }
            modifyPipe(toward: side) { $0.timer = timer }
        }
        resumeReadingIfPossible(from: side.other)
    }

    private func canRead(from side: Side) -> Bool {
        guard pipe(toward: side.other).queuedBytes < configuration.maxBufferedBytesPerDirection else { return false }
        return channel(side.other)?.isWritable ?? true
    }

    private func resumeReadingIfPossible(from side: Side) {
        guard pipe(toward: side.other).isReadPaused, canRead(from: side) else { return }
        modifyPipe(toward: side.other) { $0.isReadPaused = false }
        channel(side)?.read()
    }

    // MARK: Connecting and closing

    private func connectUpstream() {
        upstreamState = .connecting
        ClientBootstrap(group: eventLoop)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LinkProxyHandler(connection: self, side: .upstream))
                }
            }
            .connect(host: target.host, port: target.port)
            .whenFailure { error in
                self.logger.debug(
                    "upstream connect failed",
                    metadata: [
                        WANLogKey.target: "\(self.target.host):\(self.target.port)", WANLogKey.error: "\(error)",
                    ])
                self.upstreamState = .gone
                self.closeBothSides()
            }
    }

    /// Starts the hold limit: if the link is still cut when it ends, the connection is closed, as TCP gives up
    /// retransmitting (or connecting) after a while.
    private func startHoldTimer() {
        guard holdTimer == nil else { return }
        holdTimer = eventLoop.scheduleTask(in: TimeAmount(configuration.holdLimit)) {
            self.holdTimer = nil
            guard self.link.isPartitioned else { return }
            self.logger.info("closing a connection held by a partition past the hold limit")
            self.closeBothSides()
        }
    }

    private func closeBothSides() {
        isClosing = true
        holdTimer?.cancel()
        holdTimer = nil
        toUpstream.cancelTimer()
        toDownstream.cancelTimer()
        toUpstream.discardAll()
        toDownstream.discardAll()
        downstream.close(promise: nil)
        switch upstreamState {
        case .connected(let upstream):
            upstream.close(promise: nil)
        case .notStarted, .waitingForLink, .connecting, .gone:
            upstreamState = .gone
            finishIfClosed()
        }
    }

    private func finishIfClosed() {
        guard !isFinished, !isDownstreamOpen else { return }
        if case .connected = upstreamState { return }
        if case .connecting = upstreamState { return }
        isFinished = true
        holdTimer?.cancel()
        toUpstream.cancelTimer()
        toDownstream.cancelTimer()
        link.unregister(self)
        onFinished(self)
    }

    // MARK: Plumbing

    private func channel(_ side: Side) -> (any Channel)? {
        switch side {
        case .downstream:
            return isDownstreamOpen ? downstream : nil
        case .upstream:
            if case .connected(let channel) = upstreamState { return channel }
            return nil
        }
    }

    private func pipe(toward side: Side) -> DelayedPipe {
        side == .upstream ? toUpstream : toDownstream
    }

    @discardableResult
    private func modifyPipe<Result>(toward side: Side, _ body: (inout DelayedPipe) -> Result) -> Result {
        side == .upstream ? body(&toUpstream) : body(&toDownstream)
    }
}
