import AsyncHTTPClient
import Failover
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// The entry listener's responder: picks the region for each request, forwards it with streamed bodies over
/// keep-alive pools, retries once on the next nearest region when that is safe, and answers 502/504 otherwise.
struct ReverseProxy: HTTPResponder {
    typealias Context = EdgeRequestContext

    let state: EdgeState
    let selector: RegionSelector
    let client: HTTPClient
    let metrics: EdgeMetrics
    let configuration: EdgeConfiguration
    /// The location of every client of this listener, when it is a per-location listener.
    let listenerLocation: String?
    let logger: Logger

    /// Methods retried after the request may have reached a region. Only the safe ones: a PUT or DELETE is
    /// idempotent in its effect but not in its answer (a logout that took effect before the region broke off
    /// answers 401 when repeated), so the client, not the edge, decides whether to try again.
    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    func respond(to request: Request, context: EdgeRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = ProxyHeaders.requestID(from: request.headers)
        let clientAddress = context.remoteAddress?.ipAddress
        let decision = route(request, clientAddress: clientAddress)
        var response: Response
        var region = "none"
        if decision.failOpen { metrics.recordFailOpen() }
        if decision.targets.isEmpty {
            response = EdgeProblem(
                status: .serviceUnavailable, code: "no-region-available",
                detail: "Every region's traffic dial is 0.", requestID: requestID
            ).response(headers: [.retryAfter: "1"])
        } else {
            (response, region) = try await forward(
                request, decision: decision, requestID: requestID, clientAddress: clientAddress)
        }
        response.headers[ProxyHeaders.servedByRegion] = region
        response.headers[ProxyHeaders.requestID] = requestID
        if decision.failOpen { response.headers[ProxyHeaders.failOpen] = "true" }
        let duration = ContinuousClock.now - started
        metrics.recordRequest(region: region, status: response.status.code, duration: duration)
        logger.info(
            "request",
            metadata: [
                EdgeMetadataKey.requestID: "\(requestID)", EdgeMetadataKey.region: "\(region)",
                EdgeMetadataKey.status: "\(response.status.code)", EdgeMetadataKey.method: "\(request.method)",
                EdgeMetadataKey.path: "\(request.uri.path)",
                EdgeMetadataKey.durationMilliseconds: "\(duration.wholeMilliseconds)",
                EdgeMetadataKey.failOpen: "\(decision.failOpen)",
            ])
        return response
    }

    /// The routing decision for the client's location (header, then listener, then the primary's region).
    func route(_ request: Request, clientAddress: String?) -> RoutingDecision {
        let header = request.headers[ProxyHeaders.clientLocation].map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        let location =
            header.flatMap { $0.isEmpty ? nil : $0 } ?? listenerLocation
            ?? configuration.effectivePrimaryRegion?.rawValue ?? ""
        let groups = state.snapshot
        if configuration.clientAffinity == .sourceAddress, let clientAddress {
            var generator = AffinityGenerator(address: clientAddress)
            return selector.route(location: location, groups: groups, using: &generator)
        }
        var generator = SystemRandomNumberGenerator()
        return selector.route(location: location, groups: groups, using: &generator)
    }

    private func forward(
        _ request: Request, decision: RoutingDecision, requestID: String, clientAddress: String?
    ) async throws -> (Response, String) {
        let body: OutgoingBody
        do {
            body = try await OutgoingBody.prepare(request, bufferLimit: configuration.retryBufferBytes)
        } catch {
            let problem = EdgeProblem(
                status: .badRequest, code: "unreadable-body", detail: "The request body could not be read.",
                requestID: requestID)
            return (problem.response(), "none")
        }
        let headers = ProxyHeaders.upstream(
            request.headers, clientAddress: clientAddress, authority: request.head.authority, requestID: requestID)
        var lastFailure = ProxyFailure.timeout
        var lastRegion = "none"
        for (attempt, target) in decision.targets.enumerated() {
            var outgoing = HTTPClientRequest(url: target.url + (request.head.path ?? "/"))
            outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
            outgoing.headers = headers
            outgoing.body = body.clientBody
            lastRegion = target.region.rawValue
            do {
                let upstream = try await client.execute(
                    outgoing, timeout: .milliseconds(Int64(configuration.responseTimeoutMilliseconds)))
                let status = HTTPResponse.Status(code: Int(upstream.status.code))
                let headers = ProxyHeaders.downstream(upstream.headers)
                // A small body of known length is read whole and sent with the head in one write; streaming it
                // costs a write (a system call) per part, which was the edge's largest cost on small answers.
                if let length = upstream.headers.first(name: "content-length").flatMap(Int.init),
                    length <= Self.bufferedResponseLimit
                {
                    let bytes = try await upstream.body.collect(upTo: length)
                    return (
                        Response(status: status, headers: headers, body: ResponseBody(byteBuffer: bytes)),
                        target.region.rawValue
                    )
                }
                let response = Response(
                    status: status, headers: headers, body: ResponseBody(asyncSequence: upstream.body))
                return (response, target.region.rawValue)
            } catch {
                lastFailure = ProxyFailure(error)
                metrics.recordError(region: target.region.rawValue, kind: lastFailure.kind)
                let retry = attempt + 1 < decision.targets.count && mayRetry(request.method, lastFailure, body)
                logger.warning(
                    "attempt failed",
                    metadata: [
                        EdgeMetadataKey.requestID: "\(requestID)", EdgeMetadataKey.region: "\(target.region)",
                        EdgeMetadataKey.endpoint: "\(target.url)", EdgeMetadataKey.reason: "\(lastFailure.reason)",
                        "edge.retry": "\(retry)",
                    ])
                if !retry { break }
            }
        }
        return (failureResponse(lastFailure, region: lastRegion, requestID: requestID), lastRegion)
    }

    /// The largest answer read whole before it is sent on (larger, or of unknown length, answers are streamed).
    static let bufferedResponseLimit = 64 * 1024

    /// A retry is safe when nothing reached the endpoint, or the method is safe; either way the whole body must
    /// be sendable again.
    func mayRetry(_ method: HTTPRequest.Method, _ failure: ProxyFailure, _ body: OutgoingBody) -> Bool {
        guard body.isReplayable else { return false }
        if case .connect = failure { return true }
        return Self.safeMethods.contains(method)
    }

    private func failureResponse(_ failure: ProxyFailure, region: String, requestID: String) -> Response {
        switch failure {
        case .timeout:
            return EdgeProblem(
                status: .gatewayTimeout, code: "upstream-timeout",
                detail: "Region \(region) did not answer within \(configuration.responseTimeoutMilliseconds) ms.",
                requestID: requestID, region: region
            ).response()
        case .connect:
            return EdgeProblem(
                status: .badGateway, code: "upstream-unreachable",
                detail: "No endpoint of region \(region) could be reached.", requestID: requestID, region: region
            ).response()
        case .upstream:
            return EdgeProblem(
                status: .badGateway, code: "upstream-failed",
                detail: "Region \(region) broke off the request.", requestID: requestID, region: region
            ).response()
        }
    }
}
