import Logging
import NIOCore
import NIOHTTP1

/// The reverse proxy of one client connection, at the channel level: it picks the region for each request,
/// forwards head and body over a keep-alive connection of the same event loop, retries once on the next nearest
/// region when that is safe, and answers 502/503/504 itself otherwise. NIO's server pipeline hands it one request
/// at a time (pipelined requests wait their turn) and answers malformed ones with 400.
final class ProxyHandler: ChannelInboundHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: ProxyPolicy
    private let pool: UpstreamPool
    private var context: ChannelHandlerContext?
    private var clientAddress: String?
    /// The request being served; `nil` between requests.
    private var exchange: Exchange?

    init(policy: ProxyPolicy, pool: UpstreamPool) {
        self.policy = policy
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        abandon()
        self.context = nil
    }

    // MARK: The client's side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
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
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A slow client holds back the endpoint's response instead of the edge buffering it.
        if let connection = exchange?.connection {
            try? connection.channel.syncOptions?.setOption(.autoRead, value: context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: One request

    private func begin(_ head: HTTPRequestHead) {
        let requestID = ProxyHeaders.requestID(from: head.headers)
        let decision = policy.route(head.headers, clientAddress: clientAddress)
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
        if let eventLoop = context?.eventLoop {
            exchange.timeout = eventLoop.assumeIsolated().scheduleTask(in: policy.responseTimeout) { [self] in
                guard self.exchange === exchange, exchange.connection === connection, !exchange.responseStarted
                else { return }
                exchange.connection = nil
                connection.detach(reusable: false)
                attemptFailed(exchange, .timeout)
            }
        }
    }

    private func attemptFailed(_ exchange: Exchange, _ failure: ProxyFailure) {
        exchange.timeout?.cancel()
        exchange.timeout = nil
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
        if !exchange.keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        return HTTPResponseHead(version: exchange.head.version, status: status, headers: headers)
    }

    /// Ends the response, counts and logs it, and closes the connection when the client did not keep it alive.
    private func end(_ exchange: Exchange, status: HTTPResponseStatus, trailers: HTTPHeaders?) {
        guard let context else { return }
        exchange.answered = true
        resumeClientReading()
        let duration = Duration.nanoseconds((NIODeadline.now() - exchange.started).nanoseconds)
        let region = exchange.region
        // Before the end is written: writing it can hand this handler the next pipelined request at once.
        if exchange.requestEnded { self.exchange = nil }
        if exchange.keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
        policy.metrics.recordRequest(region: region, status: Int(status.code), duration: duration)
        policy.logger.info(
            "request",
            metadata: [
                EdgeMetadataKey.requestID: "\(exchange.requestID)", EdgeMetadataKey.region: "\(region)",
                EdgeMetadataKey.status: "\(status.code)", EdgeMetadataKey.method: "\(exchange.head.method.rawValue)",
                EdgeMetadataKey.path: "\(exchange.head.uri.split(separator: "?", maxSplits: 1).first ?? "")",
                EdgeMetadataKey.durationMilliseconds: "\(duration.wholeMilliseconds)",
                EdgeMetadataKey.failOpen: "\(exchange.decision.failOpen)",
            ])
    }

    /// The client went away or the handler is removed: the request's connection cannot be reused.
    private func abandon() {
        guard let exchange else { return }
        self.exchange = nil
        exchange.timeout?.cancel()
        if let connection = exchange.connection {
            exchange.connection = nil
            connection.detach(reusable: false)
        }
    }

    private var clientReadingPaused = false

    private func setClientReading(_ on: Bool) {
        guard let context, clientReadingPaused == on else { return }
        clientReadingPaused = !on
        try? context.channel.syncOptions?.setOption(.autoRead, value: on)
    }

    private func resumeClientReading() { setClientReading(true) }

    // MARK: The endpoint's side

    func upstream(_ connection: UpstreamConnection, received part: HTTPClientResponsePart) {
        guard let context, let exchange, exchange.connection === connection else { return }
        switch part {
        case .head(let head):
            guard head.status.code >= 200 else { return }
            exchange.timeout?.cancel()
            exchange.timeout = nil
            exchange.responseStarted = true
            exchange.status = head.status
            exchange.upstreamKeepAlive = head.isKeepAlive
            let headers = ProxyHeaders.downstream(head.headers)
            context.write(
                wrapOutboundOut(.head(responseHead(exchange, status: head.status, headers: headers))), promise: nil)
            if !context.channel.isWritable { try? connection.channel.syncOptions?.setOption(.autoRead, value: false) }
        case .body(let bytes):
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        case .end(let trailers):
            exchange.connection = nil
            try? connection.channel.syncOptions?.setOption(.autoRead, value: true)
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
    var timeout: Scheduled<Void>?
    var requestEnded = false
    /// The whole request (head, body, end) went to the current connection.
    var requestSent = false
    /// A streamed body's first bytes went to an endpoint.
    var bodyStarted = false
    /// The endpoint's response head arrived.
    var responseStarted = false
    var status = HTTPResponseStatus.ok
    var upstreamKeepAlive = false
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
