import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A client of etcd's v3 API through its JSON gateway (`POST /v3/…`, keys and values base64).
///
/// Every call goes to the endpoint that answered last, and moves on to the next one when that endpoint cannot be
/// reached or has no leader, so a client given every member's URL keeps working while a minority of members is
/// lost. A gRPC error from etcd (a failed precondition, an unknown lease) is an answer, not a reason to move on.
public struct EtcdClient: Sendable {
    public struct Configuration: Sendable {
        /// Client URLs of the members, e.g. `http://127.0.0.1:2379`.
        public var endpoints: [String]
        /// How long one request to one endpoint may take.
        public var requestTimeout: Duration = .seconds(2)
        /// Every request starts with the first endpoint (a client's own region's member, with the others through
        /// the WAN as fallbacks) instead of the one that answered last.
        public var firstEndpointFirst: Bool

        public init(endpoints: [String], requestTimeout: Duration = .seconds(2), firstEndpointFirst: Bool = false) {
            self.endpoints = endpoints
            self.requestTimeout = requestTimeout
            self.firstEndpointFirst = firstEndpointFirst
        }
    }

    public let configuration: Configuration
    private let httpClient: HTTPClient
    private let preferred: PreferredEndpoint

    public init(configuration: Configuration, httpClient: HTTPClient = .failingFast) throws(EtcdError) {
        guard !configuration.endpoints.isEmpty else { throw EtcdError(.invalidArgument, "no etcd endpoints given") }
        for endpoint in configuration.endpoints {
            guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil
            else { throw EtcdError(.invalidArgument, "'\(endpoint)' is not an etcd client URL (http://HOST:PORT)") }
        }
        self.configuration = configuration
        self.httpClient = httpClient
        self.preferred = PreferredEndpoint()
    }

    /// Sends one gateway request, trying each endpoint in turn from the one that answered last.
    func call<Response: Decodable>(_ path: String, _ body: some Encodable, as type: Response.Type)
        async throws(EtcdError) -> Response
    {
        let data = try Self.encode(body, for: path)
        let endpoints = configuration.endpoints
        let start = configuration.firstEndpointFirst ? 0 : preferred.index % endpoints.count
        var failures: [String] = []
        for offset in 0..<endpoints.count {
            let index = (start + offset) % endpoints.count
            let outcome: Attempt<Response>
            // A member that answered, even with a refusal, is the one to start from next time.
            do { outcome = try await attempt(endpoints[index], path, data, as: Response.self) } catch {
                preferred.index = index
                throw error
            }
            switch outcome {
            case .answered(let response):
                preferred.index = index
                return response
            case .unavailable(let failure):
                failures.append(failure)
            }
        }
        throw EtcdError(.unavailable, "no etcd endpoint answered \(path): \(failures.joined(separator: "; "))")
    }

    /// Sends one gateway request to `endpoint` only (a call about that member itself).
    func call<Response: Decodable>(
        _ path: String, _ body: some Encodable, at endpoint: String, as type: Response.Type
    ) async throws(EtcdError) -> Response {
        let data = try Self.encode(body, for: path)
        switch try await attempt(endpoint, path, data, as: Response.self) {
        case .answered(let response): return response
        case .unavailable(let failure): throw EtcdError(.unavailable, failure)
        }
    }

    static func encode(_ body: some Encodable, for path: String) throws(EtcdError) -> Data {
        do { return try JSONEncoder().encode(body) } catch {
            throw EtcdError(.invalidArgument, "cannot encode the request to \(path): \(error)")
        }
    }

    enum Attempt<Response> {
        case answered(Response)
        /// The member cannot serve now (unreachable, no leader, too slow); another may.
        case unavailable(String)
    }

    private func attempt<Response: Decodable>(
        _ endpoint: String, _ path: String, _ data: Data, as type: Response.Type
    ) async throws(EtcdError) -> Attempt<Response> {
        do {
            let (status, answer) = try await post(endpoint + path, data)
            if status == 200 {
                do { return .answered(try JSONDecoder().decode(Response.self, from: answer)) } catch {
                    throw EtcdError(.invalidResponse, "\(endpoint)\(path) answered \(Self.excerpt(answer))")
                }
            }
            let problem = try? JSONDecoder().decode(GatewayError.self, from: answer)
            // 14 (unavailable) and 4 (deadline exceeded): this member cannot serve now; another may.
            if let problem, problem.code != 14, problem.code != 4 { throw Self.error(problem) }
            return .unavailable("\(endpoint): HTTP \(status) \(problem?.message ?? Self.excerpt(answer))")
        } catch let error as EtcdError {
            throw error
        } catch {
            return .unavailable("\(endpoint): \(error)")
        }
    }

    private func post(_ url: String, _ body: Data) async throws -> (UInt, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: TimeAmount(configuration.requestTimeout))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (response.status.code, Data(bytes.readableBytesView))
    }

    /// Whether the member at `endpoint` says it is healthy (`GET /health`: it has a leader and answers).
    public func isHealthy(_ endpoint: String) async -> Bool {
        var request = HTTPClientRequest(url: endpoint + "/health")
        request.method = .GET
        guard let response = try? await httpClient.execute(request, timeout: TimeAmount(configuration.requestTimeout)),
            let body = try? await response.body.collect(upTo: 64 * 1024),
            let health = try? JSONDecoder().decode([String: String].self, from: Data(body.readableBytesView))
        else { return false }
        return response.status == .ok && health["health"] == "true"
    }

    struct GatewayError: Decodable {
        var error: String?
        var message: String?
        var code: Int?
    }

    static func error(_ problem: GatewayError) -> EtcdError {
        let message = problem.message ?? problem.error ?? "unknown error"
        if message.contains("requested lease not found") {
            return EtcdError(.leaseNotFound, message, grpcCode: problem.code)
        }
        return EtcdError(.rejected, message, grpcCode: problem.code)
    }

    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}

/// The index of the endpoint that answered last, shared by copies of one client.
final class PreferredEndpoint: Sendable {
    private let value = Synchronization.Atomic<Int>(0)

    var index: Int {
        get { value.load(ordering: .relaxed) }
        set { value.store(newValue, ordering: .relaxed) }
    }
}
