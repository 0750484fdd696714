import AsyncHTTPClient
import Failover
import Foundation
import NIOCore
import NIOHTTP1

/// A client of the edge's admin API (`drctl traffic`, the lab, the failover controller).
public struct EdgeAdminClient: Sendable {
    public let baseURL: String
    private let token: String
    private let client: HTTPClient
    private let timeout: TimeAmount

    /// A client of the admin API at `baseURL` (`http://127.0.0.1:8001`) with its bearer token.
    public init(baseURL: String, token: String, client: HTTPClient = .shared, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
        self.timeout = .nanoseconds(Int64(timeout.components.seconds * 1_000_000_000))
    }

    /// Every region's endpoint group.
    public func endpointGroups() async throws(EdgeError) -> EdgeEndpointGroupList {
        try await send(.GET, "/endpoint-groups", body: nil)
    }

    /// Sets a region's traffic dial.
    @discardableResult
    public func setDial(_ dial: TrafficDial, for region: RegionName) async throws(EdgeError) -> EdgeEndpointGroupStatus
    {
        try await send(.PUT, "/endpoint-groups/\(Self.escaped(region.rawValue))", body: ["dial": dial.rawValue])
    }

    /// Sets the weight (0–255) of a region's endpoint.
    @discardableResult
    public func setWeight(_ weight: Int, region: RegionName, endpoint: Int) async throws(EdgeError)
        -> EdgeEndpointGroupStatus
    {
        try await send(
            .PUT, "/endpoint-groups/\(Self.escaped(region.rawValue))/endpoints/\(endpoint)", body: ["weight": weight])
    }

    /// Sets a region's dial to 0.
    @discardableResult
    public func drain(_ region: RegionName) async throws(EdgeError) -> EdgeEndpointGroupStatus {
        try await send(.POST, "/endpoint-groups/\(Self.escaped(region.rawValue))/drain", body: nil)
    }

    /// The edge's Prometheus metrics as text (the status page's request and error charts read them).
    public func metricsText() async throws(EdgeError) -> String {
        String(decoding: try await exchange(.GET, "/metrics", body: nil), as: UTF8.self)
    }

    private func send<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: [String: Int]?)
        async throws(EdgeError) -> Answer
    {
        let data = try await exchange(method, path, body: body)
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw EdgeError(.adminUnavailable, "the edge admin API answered \(path) with unreadable JSON")
        }
    }

    /// The body of a 2xx answer to `method path`.
    private func exchange(_ method: HTTPMethod, _ path: String, body: [String: Int]?) async throws(EdgeError) -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body, let data = try? JSONEncoder().encode(body) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: data))
        }
        let status: Int
        let data: Data
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = Int(response.status.code)
            data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw EdgeError(.adminUnavailable, "the edge admin API at \(baseURL) is unreachable: \(error)")
        }
        guard (200..<300).contains(status) else {
            let detail = (try? JSONDecoder().decode(EdgeProblem.self, from: data))?.detail ?? "HTTP \(status)"
            throw EdgeError(.adminRequestRefused, "the edge refused \(method) \(path): \(detail)", status: status)
        }
        return data
    }

    private static func escaped(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? segment
    }
}
