import Failover
import Foundation
import Hummingbird

/// The admin API: read endpoint groups, set dials and weights, drain a region, Prometheus metrics.
struct AdminRoutes: Sendable {
    let state: EdgeState
    let metrics: EdgeMetrics
    let primaryRegion: RegionName?

    static let bodyLimit = 4096

    /// The router with authentication and problem+json for every answer.
    func router(token: String) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: AdminProblemMiddleware())
        router.add(middleware: BearerTokenMiddleware(token: token))
        router.get("/endpoint-groups") { _, _ in try json(list()) }
        router.put("/endpoint-groups/:region") { request, context in
            let change = try await decode(DialChange.self, from: request)
            guard let dial = TrafficDial(rawValue: change.dial) else {
                throw EdgeProblem(
                    status: .unprocessableContent, code: "invalid-dial", detail: "dial \(change.dial) is outside 0–100."
                )
            }
            return try json(try setDial(dial, region: try region(context)))
        }
        router.post("/endpoint-groups/:region/drain") { _, context in
            try json(try setDial(.off, region: try region(context)))
        }
        router.put("/endpoint-groups/:region/endpoints/:index") { request, context in
            let region = try region(context)
            let rawIndex = context.parameters.get("index") ?? ""
            guard let index = Int(rawIndex) else {
                throw EdgeProblem(
                    status: .notFound, code: "unknown-endpoint", detail: "'\(rawIndex)' is not an endpoint index.")
            }
            let change = try await decode(WeightChange.self, from: request)
            guard (0...255).contains(change.weight) else {
                throw EdgeProblem(
                    status: .unprocessableContent, code: "invalid-weight",
                    detail: "weight \(change.weight) is outside 0–255.")
            }
            switch state.setWeight(change.weight, region: region, endpoint: index) {
            case .success(let group): return try json(EdgeEndpointGroupStatus(group))
            case .failure(.region): throw unknownRegion(region)
            case .failure(.endpoint):
                throw EdgeProblem(
                    status: .notFound, code: "unknown-endpoint", detail: "Region \(region) has no endpoint \(index).")
            }
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }

    func list() -> EdgeEndpointGroupList {
        let groups = state.snapshot
        return EdgeEndpointGroupList(
            primaryRegion: primaryRegion, failOpen: !groups.contains(where: \.isHealthy),
            endpointGroups: groups.map(EdgeEndpointGroupStatus.init))
    }

    private func setDial(_ dial: TrafficDial, region: RegionName) throws -> EdgeEndpointGroupStatus {
        guard let group = state.setDial(dial, for: region) else { throw unknownRegion(region) }
        metrics.recordDial(region: region.rawValue, dial: dial.rawValue)
        return EdgeEndpointGroupStatus(group)
    }

    private func region(_ context: BasicRequestContext) throws -> RegionName {
        RegionName(context.parameters.get("region") ?? "")
    }

    private func unknownRegion(_ region: RegionName) -> EdgeProblem {
        EdgeProblem(
            status: .notFound, code: "unknown-region", detail: "The edge has no region '\(region)'.",
            region: region.rawValue)
    }

    private func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: Self.bodyLimit)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw EdgeProblem(
                status: .badRequest, code: "malformed-request",
                detail:
                    "The body must be a JSON object like \(T.self == DialChange.self ? "{\"dial\": 50}" : "{\"weight\": 128}")."
            )
        }
    }

    private func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }
}
