import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of the WAN admin API, for `drctl lab link …`. Every failure is a `WANError` with a one-line message:
/// the server's problem detail, or `admin-unreachable` when nothing answers.
public struct WANAdminClient: Sendable {
    /// The API's base address, e.g. `http://127.0.0.1:7400`.
    public var baseURL: String
    /// How long one call may take.
    public var timeout: Duration

    /// A client of the admin API on `host:port`.
    public init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(5)) {
        self.baseURL = "http://\(host):\(port)"
        self.timeout = timeout
    }

    /// Succeeds if the API answers `GET /health`.
    public func health() async throws(WANError) {
        _ = try await call(.GET, "/health")
    }

    /// Every link with its conditions and counters.
    public func links() async throws(WANError) -> [LinkState] {
        try decode([LinkState].self, from: await call(.GET, "/links"))
    }

    /// Changes the given fields of the link between `a` and `b`; returns its new state.
    public func setLink(_ a: String, _ b: String, _ update: LinkConditionsUpdate) async throws(WANError) -> LinkState {
        try decode(LinkState.self, from: await call(.PUT, "/links/\(escaped(a))/\(escaped(b))", body: update))
    }

    /// Cuts every link of `node`; returns every link.
    @discardableResult
    public func partition(_ node: String) async throws(WANError) -> [LinkState] {
        try decode([LinkState].self, from: await call(.POST, "/nodes/\(escaped(node))/partition"))
    }

    /// Heals every link of `node`; returns every link.
    @discardableResult
    public func heal(_ node: String) async throws(WANError) -> [LinkState] {
        try decode([LinkState].self, from: await call(.POST, "/nodes/\(escaped(node))/heal"))
    }

    /// Every route.
    public func routes() async throws(WANError) -> [WANRoute] {
        try decode([WANRoute].self, from: await call(.GET, "/routes"))
    }

    /// Sends the route's new connections to `targetHost:targetPort` in node `to`; its open connections close.
    @discardableResult
    public func retarget(route: String, to node: String, targetPort: Int, targetHost: String? = nil)
        async throws(WANError) -> WANRoute
    {
        let body = RetargetRequest(to: node, targetPort: targetPort, targetHost: targetHost)
        return try decode(WANRoute.self, from: await call(.PUT, "/routes/\(escaped(route))", body: body))
    }

    // MARK: Plumbing

    private func call(_ method: HTTPMethod, _ path: String, body: (some Encodable & Sendable)? = String?.none)
        async throws(WANError) -> Data
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            let data = (try? WANJSON.encoder.encode(body)) ?? Data()
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let status: UInt
        let data: Data
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: TimeAmount(timeout))
            status = response.status.code
            data = Data(try await response.body.collect(upTo: 4 << 20).readableBytesView)
        } catch {
            throw WANError(
                .adminUnreachable, "the WAN admin API at \(baseURL) did not answer (\(error)); is the lab up?")
        }
        guard (200..<300).contains(status) else {
            if let problem = try? WANJSON.decoder.decode(WANProblem.self, from: data) {
                throw WANError(problem.code, problem.detail)
            }
            throw WANError(.unexpectedResponse, "\(method) \(path) answered HTTP \(status)")
        }
        return data
    }

    private func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws(WANError) -> Value {
        do {
            return try WANJSON.decoder.decode(Value.self, from: data)
        } catch {
            throw WANError(.unexpectedResponse, "the WAN admin API answered JSON this client does not understand")
        }
    }

    private func escaped(_ component: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }
}
