import AsyncHTTPClient
import Etcd
import Failover
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to the control plane's API (what `drctl status`, `failover`, … use): any replica answers (a follower
/// passes the call on to the leader), so the client tries each replica in turn until one answers, and keeps
/// trying for a few seconds while an election runs.
public struct ControllerClient: Sendable {
    public let baseURLs: [String]
    /// The control plane's bearer token.
    public let token: String
    /// How long to keep trying when no replica answers or none leads.
    public var patience: Duration = .seconds(8)

    public init(baseURLs: [String], token: String) {
        self.baseURLs = baseURLs
        self.token = token
    }

    public func status() async throws -> ControllerStatus {
        try decode(ControllerStatus.self, try await call(.GET, "/v1/status"))
    }

    public func events(after sequence: Int = 0) async throws -> [TimelineEvent] {
        try TimelineFile.decode(try await call(.GET, "/v1/events?after=\(sequence)"))
    }

    public func failover(to region: RegionName, force: Bool) async throws -> FailoverOperation {
        try decode(
            FailoverOperation.self, try await call(.POST, "/v1/failover", ["to": region.rawValue, "force": force]))
    }

    public func switchover(to region: RegionName) async throws -> FailoverOperation {
        try decode(FailoverOperation.self, try await call(.POST, "/v1/switchover", ["to": region.rawValue]))
    }

    public func rejoin(_ region: RegionName) async throws -> FailoverOperation {
        try decode(FailoverOperation.self, try await call(.POST, "/v1/rejoin", ["region": region.rawValue]))
    }

    public func setMode(_ mode: ControllerMode) async throws {
        _ = try await call(.POST, "/v1/mode", ["mode": mode.rawValue])
    }

    public func setDrained(_ region: RegionName, _ drained: Bool) async throws {
        _ = try await call(.POST, "/v1/drain", ["region": region.rawValue, "drained": drained])
    }

    public func lease(for region: RegionName) async throws -> LeaseAnswer {
        try decode(LeaseAnswer.self, try await call(.POST, "/v1/lease", ["region": region.rawValue]))
    }

    /// Waits until the operation `id` is no longer in progress; returns its events. Throws when it is blocked.
    public func waitForOperation(_ id: String, timeout: Duration = .seconds(120), onEvent: (TimelineEvent) -> Void)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        var seen = 0
        var printed = Set<Int>()
        while ContinuousClock.now < deadline {
            let events = try await events(after: seen)
            for event in events where event.operation == id && !printed.contains(event.sequence) {
                printed.insert(event.sequence)
                onEvent(event)
                if event.kind.isBlock { throw FailoverError(.refused, event.message) }
                if event.kind.isFinish { return }
            }
            seen = events.last?.sequence ?? seen
            try await Task.sleep(for: .milliseconds(200))
        }
        throw FailoverError(.providerFailure, "operation \(id) did not finish within \(timeout)")
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    struct AnyEncodable: Encodable {
        let value: [String: any Sendable]
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in value {
                if let bool = value as? Bool {
                    try container.encode(bool, forKey: Key(key))
                } else if let text = value as? String {
                    try container.encode(text, forKey: Key(key))
                }
            }
        }
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    private func call(_ method: HTTPMethod, _ path: String, _ body: [String: any Sendable]? = nil) async throws -> Data
    {
        let payload = try body.map { try JSONEncoder().encode(AnyEncodable(value: $0)) }
        let deadline = ContinuousClock.now + patience
        var lastProblem = "no replica configured"
        while true {
            for url in baseURLs {
                var request = HTTPClientRequest(url: url + path)
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                if let payload {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(data: payload))
                }
                let response: HTTPClientResponse
                do {
                    response = try await HTTPClient.failingFast.execute(request, timeout: .seconds(30))
                } catch {
                    lastProblem = "the control plane at \(url) does not answer (\(error)); is it running?"
                    continue
                }
                let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
                if (200..<300).contains(response.status.code) { return data }
                let detail =
                    (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["detail"] as? String
                    ?? "HTTP \(response.status.code)"
                // No leader (an election) or the leader out of this replica's reach: another replica may do.
                if response.status.code == 503 {
                    lastProblem = detail
                    continue
                }
                throw FailoverError(response.status.code == 404 ? .unknownRegion : .refused, detail)
            }
            guard ContinuousClock.now < deadline else { throw FailoverError(.providerFailure, lastProblem) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
