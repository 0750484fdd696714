import Failover
import Logging
import NIOCore
import NIOHTTP1

/// What every connection of a listener shares: where requests go, when they may be retried, how failures are
/// answered, and where they are counted and logged.
struct ProxyPolicy: Sendable {
    let state: EdgeState
    let selector: RegionSelector
    let metrics: EdgeMetrics
    let configuration: EdgeConfiguration
    /// The location of every client of this listener, when it is a per-location listener.
    let listenerLocation: String?
    let logger: Logger

    /// Methods retried after the request may have reached a region. Only the safe ones: a PUT or DELETE is
    /// idempotent in its effect but not in its answer (a logout that took effect before the region broke off
    /// answers 401 when repeated), so the client, not the edge, decides whether to try again.
    static let safeMethods: [HTTPMethod] = [.GET, .HEAD, .OPTIONS]

    var responseTimeout: TimeAmount { .milliseconds(Int64(configuration.responseTimeoutMilliseconds)) }

    /// The routing decision for the client's location (header, then listener, then the primary's region); the
    /// dice are `random`'s, or the client address's under source-address affinity.
    func route(_ headers: HTTPHeaders, clientAddress: String?, random: inout SplitMix64) -> RoutingDecision {
        let header = headers.first(name: "x-client-location").map {
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
        return selector.route(location: location, groups: groups, using: &random)
    }

    /// A retry is safe when nothing reached the endpoint, or the method is safe; either way the whole body must
    /// be sendable again.
    static func mayRetry(_ method: HTTPMethod, _ failure: ProxyFailure, bodyReplayable: Bool) -> Bool {
        guard bodyReplayable else { return false }
        if case .connect = failure { return true }
        return safeMethods.contains(method)
    }

    /// The edge's own answer when the last attempt failed.
    func problem(for failure: ProxyFailure, region: String, requestID: String) -> EdgeProblem {
        switch failure {
        case .timeout:
            EdgeProblem(
                status: .gatewayTimeout, code: "upstream-timeout",
                detail: "Region \(region) did not answer within \(configuration.responseTimeoutMilliseconds) ms.",
                requestID: requestID, region: region)
        case .connect:
            EdgeProblem(
                status: .badGateway, code: "upstream-unreachable",
                detail: "No endpoint of region \(region) could be reached.", requestID: requestID, region: region)
        case .upstream:
            EdgeProblem(
                status: .badGateway, code: "upstream-failed",
                detail: "Region \(region) broke off the request.", requestID: requestID, region: region)
        }
    }

    /// The answer when every region's dial is 0.
    static func noRegion(requestID: String) -> EdgeProblem {
        EdgeProblem(
            status: .serviceUnavailable, code: "no-region-available", detail: "Every region's traffic dial is 0.",
            requestID: requestID)
    }
}
