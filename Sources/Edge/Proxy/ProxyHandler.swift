import Failover
import Logging
import NIOCore
import NIOHTTP1

/// The reverse proxy of one client connection, at the channel level: it picks the region for each request,
/// forwards head and body over a keep-alive connection of the same event loop, retries once on the next nearest
/// region when that is safe, and answers 502/503/504 itself otherwise. It serves one request at a time: pipelined
/// requests wait in a queue of their own (NIO's pipelining assistance would cost two epoll_ctl calls on every
/// request). A request NIO cannot parse is answered 400 with the edge's problem document, and the connection closes.
final class ProxyHandler: ChannelInboundHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: ProxyPolicy
    private let pool: UpstreamPool
    private let accessLog: AccessLogBuffer
    private var metrics: RequestRecorder
    /// The routing dice and new request ids: seeded once per connection, no system call per request.
    private var random = SplitMix64()
    private var context: ChannelHandlerContext?
    private var clientAddress: String?
    /// The request being served; `nil` between requests.
    private var exchange: Exchange?
    /// The parts of requests the client pipelined behind the one being served, in order.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    private var replaying = false
    /// The server is shutting down: the connection closes after the request being served.
    private var quiescing = false
    /// When the current attempt's response head is due; one timer per connection checks it (re-armed when it
    /// fires early) instead of a timer scheduled and cancelled on every request.
    private var responseDeadline: NIODeadline?
    private var responseTimer: Scheduled<Void>?
    private var readingPausedForBody = false
    private var readingPausedForPipeline = false
    private var reading = true

    init(policy: ProxyPolicy, loop: ProxyLoop) {
        self.policy = policy
        self.pool = loop.pool
        self.accessLog = loop.accessLog
        self.metrics = RequestRecorder(metrics: policy.metrics)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        abandon()
        responseTimer?.cancel()
        responseTimer = nil
        self.context = nil
    }

    // MARK: The client's side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !pipelined.isEmpty || (exchange != nil && part.isHead) {
            // The request before it has ended and is being answered: this one waits its turn, and the client's
            // bytes wait in the socket, not in the edge.
            guard !quiescing else { return }
            pipelined.append(part)
            readingPausedForPipeline = true
            updateClientReading()
            return
        }
        if quiescing, exchange == nil { return }
        serve(part)
    }

    private func serve(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            begin(head)
        case .body(let part):
            guard let exchange, !exchange.answered else { return }
            switch exchange.body {
            case .empty: break
            case .buffered: exchange.bufferedBody.writeImmutableBuffer(part)
            case .streamed:
                if let connection = exchange.connection, exchange.bodyStarted {
                    connection.write(.body(.byteBuffer(part)))
                    if !connection.isWritable { setClientReading(false) }
                } else {
                    exchange.pendingBody.append(part)
                }
            }
        case .end:
            guard let exchange else { return }
            exchange.requestEnded = true
            if exchange.answered {
                self.exchange = nil
                servePipelined()
            } else if case .streamed = exchange.body {
                if let connection = exchange.connection, exchange.bodyStarted {
                    connection.write(.end(nil))
                    connection.flush()
                    exchange.requestSent = true
                }
            } else {
                attempt(exchange)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let connection = exchange?.connection, exchange?.bodyStarted == true { connection.flush() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandon()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Answered 400 when no other request is under way or waiting (its answer would come first); NIO's
        // HTTPServerProtocolErrorHandler would answer an empty 400, and costs a handler on every write.
        guard error is HTTPParserError, exchange == nil, pipelined.isEmpty else { return context.close(promise: nil) }
        let body = EdgeProblem(
            status: .badRequest, code: "malformed-request",
            detail: "The request is not valid HTTP/1.1 (\(error)); the connection closes."
        ).encoded(allocator: context.channel.allocator)
        let headers = HTTPHeaders([
            ("Content-Type", "application/problem+json"), ("Content-Length", String(body.readableBytes)),
            ("Connection", "close"),
        ])
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        pipelined.removeAll()
        if exchange == nil { context.close(promise: nil) }
    }

    /// Serves the queued pipelined requests while no other is under way.
    private func servePipelined() {
        guard !replaying else { return }
        replaying = true
        defer { replaying = false }
        while let part = pipelined.first {
            if part.isHead, exchange != nil { return }
            serve(pipelined.removeFirst())
        }
        readingPausedForPipeline = false
        updateClientReading()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A slow client holds back the endpoint's response instead of the edge buffering it.
        if let exchange, let connection = exchange.connection {
            if context.channel.isWritable {
                exchange.upstreamReadingPaused = false
                try? connection.channel.syncOptions?.setOption(.autoRead, value: true)
            } else {
                pauseUpstreamReading(connection, exchange)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    private func pauseUpstreamReading(_ connection: UpstreamConnection, _ exchange: Exchange) {
        exchange.upstreamReadingPaused = true
        try? connection.channel.syncOptions?.setOption(.autoRead, value: false)
    }

    // MARK: One request

    private func begin(_ head: HTTPRequestHead) {
        let requestID = ProxyHeaders.requestID(from: head.headers, random: &random)
        let decision = policy.route(head.headers, clientAddress: clientAddress, random: &random)
        if decision.failOpen { policy.metrics.recordFailOpen() }
        let exchange = Exchange(
            head: head, requestID: requestID, decision: decision, bufferLimit: policy.configuration.retryBufferBytes,
            upstreamHeaders: ProxyHeaders.upstream(
                head.headers, clientAddress: clientAddress, authority: head.headers.first(name: "host"),
                requestID: requestID))
        self.exchange = exchange
        if decision.targets.isEmpty {
            answer(exchange, ProxyPolicy.noRegion(requestID: requestID), extra: [("Retry-After", "1")])
        } else if case .streamed = exchange.body {
            // The body follows as it arrives; the client waits until a connection takes it.
            setClientReading(false)
            attempt(exchange)
        }
    }

    private func attempt(_ exchange: Exchange) {
        let target = exchange.decision.targets[exchange.attempt]
        exchange.region = target.region.rawValue
        pool.connection(to: target.url) { [self] result in
            guard self.exchange === exchange, !exchange.answered else {
                if case .success(let connection) = result { connection.detach(reusable: true) }
                return
            }
            switch result {
            case .success(let connection): send(exchange, over: connection)
            case .failure(let error): attemptFailed(exchange, ProxyFailure(error))
            }
        }
    }

    private func send(_ exchange: Exchange, over connection: UpstreamConnection) {
        exchange.connection = connection
        connection.attach(self)
        var headers = exchange.upstreamHeaders
        headers.add(name: "Host", value: connection.endpoint.authority)
        switch exchange.body {
        case .empty:
            if [.POST, .PUT, .PATCH].contains(exchange.head.method) { headers.add(name: "Content-Length", value: "0") }
        case .buffered:
            headers.add(name: "Content-Length", value: String(exchange.bufferedBody.readableBytes))
        case .streamed(let length):
            if let length {
                headers.add(name: "Content-Length", value: String(length))
            } else {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            }
        }
        connection.write(
            .head(
                HTTPRequestHead(
                    version: .http1_1, method: exchange.head.method, uri: exchange.head.uri, headers: headers)))
        switch exchange.body {
        case .empty:
            connection.write(.end(nil))
            exchange.requestSent = true
        case .buffered:
            if exchange.bufferedBody.readableBytes > 0 { connection.write(.body(.byteBuffer(exchange.bufferedBody))) }
            connection.write(.end(nil))
            exchange.requestSent = true
        case .streamed:
            exchange.bodyStarted = true
            for part in exchange.pendingBody { connection.write(.body(.byteBuffer(part))) }
            exchange.pendingBody = []
            if exchange.requestEnded {
                connection.write(.end(nil))
                exchange.requestSent = true
            } else {
                setClientReading(true)
            }
        }
        connection.flush()
        let deadline = NIODeadline.now() + policy.responseTimeout
        responseDeadline = deadline
        if responseTimer == nil { armResponseTimer(deadline) }
    }

    private func armResponseTimer(_ deadline: NIODeadline) {
        guard let eventLoop = context?.eventLoop else { return }
        responseTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.responseTimerFired()
        }
    }

    private func responseTimerFired() {
        responseTimer = nil
        guard let deadline = responseDeadline else { return }
        guard NIODeadline.now() >= deadline else { return armResponseTimer(deadline) }
        responseDeadline = nil
        guard let exchange, let connection = exchange.connection, !exchange.responseStarted else { return }
        exchange.connection = nil
        connection.detach(reusable: false)
        attemptFailed(exchange, .timeout)
    }

    private func attemptFailed(_ exchange: Exchange, _ failure: ProxyFailure) {
        responseDeadline = nil
        policy.metrics.recordError(region: exchange.region, kind: failure.kind)
        let replayable: Bool
        if case .streamed = exchange.body { replayable = !exchange.bodyStarted } else { replayable = true }
        let retry =
            exchange.attempt + 1 < exchange.decision.targets.count
            && ProxyPolicy.mayRetry(exchange.head.method, failure, bodyReplayable: replayable)
        policy.logger.warning(
            "attempt failed",
            metadata: [
                EdgeMetadataKey.requestID: "\(exchange.requestID)", EdgeMetadataKey.region: "\(exchange.region)",
                EdgeMetadataKey.endpoint: "\(exchange.decision.targets[exchange.attempt].url)",
                EdgeMetadataKey.reason: "\(failure.reason)", "edge.retry": "\(retry)",
            ])
        if retry {
            exchange.attempt += 1
            attempt(exchange)
        } else {
            answer(exchange, policy.problem(for: failure, region: exchange.region, requestID: exchange.requestID))
        }
    }

    /// Answers with the edge's own problem document.
    private func answer(_ exchange: Exchange, _ problem: EdgeProblem, extra: [(String, String)] = []) {
        guard let context else { return }
        let body = problem.encoded(allocator: context.channel.allocator)
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Type", value: "application/problem+json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let status = HTTPResponseStatus(statusCode: problem.status)
        context.write(wrapOutboundOut(.head(responseHead(exchange, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        end(exchange, status: status, trailers: nil)
    }

    /// The client's response head: the endpoint's (or the edge's) headers with the edge's own.
    private func responseHead(_ exchange: Exchange, status: HTTPResponseStatus, headers: HTTPHeaders)
        -> HTTPResponseHead
    {
        var headers = headers
        headers.add(name: "X-Served-By-Region", value: exchange.region)
        headers.add(name: "X-Request-Id", value: exchange.requestID)
        if exchange.decision.failOpen { headers.add(name: "X-Edge-Fail-Open", value: "true") }
        if !exchange.keepAlive || quiescing { headers.replaceOrAdd(name: "Connection", value: "close") }
        return HTTPResponseHead(version: exchange.head.version, status: status, headers: headers)
    }

    /// Ends the response, counts and logs it, and closes the connection when the client did not keep it alive.
    private func end(_ exchange: Exchange, status: HTTPResponseStatus, trailers: HTTPHeaders?) {
        guard let context else { return }
        exchange.answered = true
        resumeClientReading()
        let duration = Duration.nanoseconds((NIODeadline.now() - exchange.started).nanoseconds)
        let region = exchange.region
        if exchange.requestEnded { self.exchange = nil }
        let closing = !exchange.keepAlive || quiescing
        if closing {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        }
        metrics.record(region: region, status: Int(status.code), duration: duration)
        let uri = exchange.head.uri
        accessLog.record(
            requestID: exchange.requestID, region: region, status: status.code, method: exchange.head.method.rawValue,
            path: uri[..<(uri.firstIndex(of: "?") ?? uri.endIndex)], milliseconds: duration.wholeMilliseconds,
            failOpen: exchange.decision.failOpen)
        if closing {
            pipelined.removeAll()
        } else if self.exchange == nil {
            servePipelined()
        }
    }

    /// The client went away or the handler is removed: the request's connection cannot be reused.
    private func abandon() {
        guard let exchange else { return }
        self.exchange = nil
        responseDeadline = nil
        if let connection = exchange.connection {
            exchange.connection = nil
            connection.detach(reusable: false)
        }
    }

    /// Reads from the client while neither a streamed body waits for its endpoint nor a pipelined request for
    /// its turn.
    private func setClientReading(_ on: Bool) {
        readingPausedForBody = !on
        updateClientReading()
    }

    private func resumeClientReading() { setClientReading(true) }

    private func updateClientReading() {
        let on = !readingPausedForBody && !readingPausedForPipeline
        guard let context, on != reading else { return }
        reading = on
        try? context.channel.syncOptions?.setOption(.autoRead, value: on)
    }

    // MARK: The endpoint's side

    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart) {
        guard let context, let exchange, exchange.connection === connection else { return }
        switch part {
        case .head(let head):
            guard head.status.code >= 200 else { return }
            responseDeadline = nil
            exchange.responseStarted = true
            exchange.status = head.status
            exchange.upstreamKeepAlive = head.isKeepAlive
            let headers = ProxyHeaders.downstream(head.headers)
            context.write(
                wrapOutboundOut(.head(responseHead(exchange, status: head.status, headers: headers))), promise: nil)
            if !context.channel.isWritable { pauseUpstreamReading(connection, exchange) }
        case .body(let bytes):
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        case .end(let trailers):
            exchange.connection = nil
            if exchange.upstreamReadingPaused { try? connection.channel.syncOptions?.setOption(.autoRead, value: true) }
            connection.detach(reusable: exchange.upstreamKeepAlive && exchange.requestSent)
            exchange.responseStarted = true
            end(exchange, status: exchange.status, trailers: trailers)
        }
    }

    func upstreamReadComplete(_ connection: UpstreamConnection) {
        if exchange?.connection === connection { context?.flush() }
    }

    func upstream(_ connection: UpstreamConnection, failed error: any Error) {
        guard let exchange, exchange.connection === connection else { return }
        exchange.connection = nil
        connection.detach(reusable: false)
        guard exchange.responseStarted else { return attemptFailed(exchange, ProxyFailure(error)) }
        // The response is under way: the client learns of the break by the connection closing.
        policy.metrics.recordError(region: exchange.region, kind: ProxyFailure(error).kind)
        policy.logger.warning(
            "response broken off",
            metadata: [
                EdgeMetadataKey.requestID: "\(exchange.requestID)", EdgeMetadataKey.region: "\(exchange.region)",
                EdgeMetadataKey.reason: "\(ProxyFailure(error).reason)",
            ])
        self.exchange = nil
        context?.close(promise: nil)
    }

    func upstreamWritabilityChanged(_ connection: UpstreamConnection) {
        guard exchange?.connection === connection, exchange?.bodyStarted == true else { return }
        setClientReading(connection.isWritable)
    }
}

/// One request on its way through the edge.
final class Exchange {
    enum Body {
        case empty
        /// Small and of known length: read whole before the first attempt, so a retry can send it again.
        case buffered
        /// Large or of unknown length: forwarded as it arrives, so only an attempt that sent nothing can be retried.
        case streamed(length: Int?)
    }

    let head: HTTPRequestHead
    let requestID: String
    let decision: RoutingDecision
    let upstreamHeaders: HTTPHeaders
    let body: Body
    let started = NIODeadline.now()
    let keepAlive: Bool
    var bufferedBody = ByteBuffer()
    var pendingBody: [ByteBuffer] = []
    var attempt = 0
    var region = "none"
    var connection: UpstreamConnection?
    var requestEnded = false
    /// The whole request (head, body, end) went to the current connection.
    var requestSent = false
    /// A streamed body's first bytes went to an endpoint.
    var bodyStarted = false
    /// The endpoint's response head arrived.
    var responseStarted = false
    var status = HTTPResponseStatus.ok
    var upstreamKeepAlive = false
    /// The endpoint's connection stopped reading because the client's was full.
    var upstreamReadingPaused = false
    /// The response (the endpoint's or the edge's own) has ended.
    var answered = false

    init(
        head: HTTPRequestHead, requestID: String, decision: RoutingDecision, bufferLimit: Int,
        upstreamHeaders: HTTPHeaders
    ) {
        self.head = head
        self.requestID = requestID
        self.decision = decision
        self.upstreamHeaders = upstreamHeaders
        // HTTP/1.0 answers end with the connection: its keep-alive extension is not worth the framing cases.
        self.keepAlive = head.isKeepAlive && head.version != .http1_0
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }) {
            body = length == 0 ? .empty : length <= bufferLimit ? .buffered : .streamed(length: length)
        } else if head.headers.contains(name: "transfer-encoding") {
            body = .streamed(length: nil)
        } else {
            body = .empty
        }
    }
}

extension HTTPServerRequestPart {
    fileprivate var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
