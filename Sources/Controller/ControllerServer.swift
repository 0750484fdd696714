import AsyncHTTPClient
import Etcd
import Failover
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A control-plane replica's HTTP API (loopback): the lease for its region's portals, reports from the other
/// replicas, and the operator's commands (`drctl status`, `events`, `failover`, `switchover`, `rejoin`, `mode`,
/// `drain`). The leader answers them; a follower answers leases and events itself and passes the rest on to the
/// leader.
public enum ControllerServer {
    /// Runs the replica (election, probes, and the controller while it leads) and its API until SIGTERM/SIGINT.
    /// `requestCounts` feeds the status page's request and error charts (the edge's counters in a lab).
    public static func run(
        _ replica: ControllerReplica, host: String, port: Int, logger: Logger,
        requestCounts: (@Sendable () async -> StatusFeed.RequestCounts?)? = nil
    ) async throws {
        let app = Application(
            router: router(replica, feed: StatusFeed(replica: replica, requestCounts: requestCounts)),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            services: [ReplicaLoop(replica: replica)], logger: logger)
        try await app.runService()
    }

    struct ReplicaLoop: Service {
        let replica: ControllerReplica
        func run() async throws {
            // On SIGTERM the replica resigns the lead at once, so another one takes over without waiting a TTL.
            await cancelWhenGracefulShutdown {
                await replica.run()
            }
        }
    }

    struct Problem: Codable, Error {
        var type: String
        var title: String
        var status: Int
        var detail: String

        init(_ status: HTTPResponse.Status, _ code: String, _ detail: String) {
            self.type = "/problems/\(code)"
            self.title = status.reasonPhrase
            self.status = status.code
            self.detail = detail
        }

        var response: Response {
            let body = (try? JSONEncoder().encode(self)) ?? Data("{}".utf8)
            return Response(
                status: .init(code: status), headers: [.contentType: "application/problem+json"],
                body: .init(byteBuffer: ByteBuffer(data: body)))
        }
    }

    struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
            async throws -> Response
        {
            do {
                return try await next(request, context)
            } catch let problem as Problem {
                return problem.response
            } catch let error as FailoverError {
                let status: HTTPResponse.Status =
                    switch error.code {
                    case .unknownRegion: .notFound
                    case .refused: .conflict
                    case .invalidArgument: .badRequest
                    default: .serviceUnavailable
                    }
                return Problem(status, error.code.rawValue, error.message).response
            } catch let error as EtcdError {
                // This replica cannot reach the etcd majority (a partition): another replica may answer.
                return Problem(.serviceUnavailable, "etcd-unavailable", "this replica cannot read etcd: \(error)")
                    .response
            } catch let error as ControlStore.Deposed {
                return Problem(.serviceUnavailable, "no-leader", "\(error); retry").response
            } catch let error as HTTPError {
                return Problem(error.status, "http-error", error.body ?? error.status.reasonPhrase).response
            } catch is DecodingError {
                return Problem(.badRequest, "bad-body", "The body is not the JSON this call expects.").response
            } catch {
                return Problem(.badRequest, "bad-request", "\(error)").response
            }
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        try decode(type, try await request.body.collect(upTo: 1 << 20))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        try JSONDecoder().decode(type, from: Data(buffer: body))
    }

    static func region(_ text: String) throws -> RegionName {
        let region = RegionName(text)
        guard region.isWellFormed else {
            throw Problem(.badRequest, "bad-region", "'\(text.prefix(64))' is not a region name such as eu-west-1")
        }
        return region
    }

    struct RegionBody: Codable { var region: String }
    struct LeaseBody: Codable {
        var region: String
        var nonce: String?
    }
    struct TargetBody: Codable {
        var to: String
        var force: Bool?
    }
    struct ModeBody: Codable { var mode: String }
    struct DrainBody: Codable {
        var region: String
        var drained: Bool
    }

    /// The leader's controller, or the leader's answer to the same request when this replica follows.
    static func atLeader(
        _ replica: ControllerReplica, _ request: Request, _ body: ByteBuffer?,
        _ handle: (Controller) async throws -> Response
    ) async throws -> Response {
        if let controller = await replica.leading { return try await handle(controller) }
        guard let url = await replica.leaderURL else {
            throw Problem(
                .serviceUnavailable, "no-leader", "no control-plane replica leads right now (an election runs); retry")
        }
        var forwarded = HTTPClientRequest(url: url + request.uri.description)
        forwarded.method = .init(rawValue: request.method.rawValue)
        forwarded.headers.add(name: "Authorization", value: "Bearer \(replica.configuration.token)")
        if let body {
            forwarded.headers.add(name: "Content-Type", value: "application/json")
            forwarded.body = .bytes(body)
        }
        let answer: HTTPClientResponse
        do {
            answer = try await HTTPClient.failingFast.execute(forwarded, timeout: .seconds(30))
        } catch {
            throw Problem(.serviceUnavailable, "leader-unreachable", "the leader (\(url)) does not answer; retry")
        }
        let data = try await answer.body.collect(upTo: 16 << 20)
        var headers = HTTPFields()
        headers[.contentType] = answer.headers.first(name: "Content-Type") ?? "application/json"
        return Response(
            status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: data))
    }

    /// Refuses every call without the configured bearer token (401 problem+json) but `/health` and `/metrics`:
    /// no lease, no status and no control action for an unauthenticated caller. The status page's session cookie
    /// stands in for the token on reads; a control action with the cookie alone needs the page's own header and a
    /// replica started with the page's actions allowed (403 otherwise). `/ui` and `/ui/login` answer a caller
    /// without either with the login form themselves.
    struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
        let token: String
        let pageActions: Bool

        static func authorized(_ request: Request, token: String) -> Bool {
            let presented = request.headers[.authorization].map { Array($0.utf8) } ?? []
            return !token.isEmpty && ConstantTime.equal(presented, Array("Bearer \(token)".utf8))
        }

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
            async throws -> Response
        {
            let path = request.uri.path
            if path == "/health" || path == "/metrics" || path == "/ui" || path == "/ui/login" {
                return try await next(request, context)
            }
            if Self.authorized(request, token: token) { return try await next(request, context) }
            if StatusPageRoutes.hasSession(request, token: token) {
                if request.method == .get { return try await next(request, context) }
                guard request.headers[StatusPageRoutes.pageHeader] == "1" else {
                    return Problem(.forbidden, "no-page-header", "the status page's calls carry X-DRCTL-UI: 1")
                        .response
                }
                guard pageActions else {
                    return Problem(
                        .forbidden, "page-actions-off",
                        "this replica's status page shows commands only (start it with page actions allowed)"
                    ).response
                }
                return try await next(request, context)
            }
            var response = Problem(
                .unauthorized, "unauthorized",
                "this call needs the control plane's bearer token (Authorization: Bearer …)"
            ).response
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
    }

    static func router(_ replica: ControllerReplica, feed: StatusFeed? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.add(
            middleware: BearerTokenMiddleware(
                token: replica.configuration.token, pageActions: replica.configuration.statusPage.actions))
        StatusPageRoutes.add(to: router, replica: replica, feed: feed ?? StatusFeed(replica: replica))
        router.get("health") { _, _ in try json(["status": "ok"]) }
        router.get("v1/leader") { _, _ in
            guard let leader = await replica.leader else {
                throw Problem(.serviceUnavailable, "no-leader", "no control-plane replica leads right now; retry")
            }
            return try json(leader)
        }
        router.post("v1/lease") { request, _ in
            let body = try await decode(LeaseBody.self, request)
            if let nonce = body.nonce, nonce.utf8.count > 64 {
                throw Problem(.badRequest, "bad-nonce", "a lease nonce has at most 64 bytes")
            }
            return try json(await replica.lease(for: try region(body.region), nonce: body.nonce))
        }
        router.post("v1/reports") { request, _ in
            let body = try await decode(ControllerReplica.Report.self, request)
            if let controller = await replica.leading {
                await controller.report(
                    vantage: body.vantage, observations: body.observations, leaseAnswered: body.leaseAnswered ?? false)
            }
            return Response(status: .noContent)
        }
        router.get("v1/status") { request, _ in
            try await atLeader(replica, request, nil) { _ in
                guard let status = await replica.status() else {
                    throw Problem(.serviceUnavailable, "no-leader", "this replica stopped leading; retry")
                }
                return try json(status)
            }
        }
        router.get("v1/events") { request, _ in
            let after = request.uri.queryParameters.get("after", as: Int.self) ?? 0
            let events = try await replica.events(after: after)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: try TimelineFile.encode(events))))
        }
        router.post("v1/failover") { request, _ in
            let raw = try await request.body.collect(upTo: 1 << 20)
            return try await atLeader(replica, request, raw) { controller in
                let body = try decode(TargetBody.self, raw)
                return try json(
                    await controller.requestFailover(to: try region(body.to), force: body.force ?? false),
                    status: .accepted)
            }
        }
        router.post("v1/switchover") { request, _ in
            let raw = try await request.body.collect(upTo: 1 << 20)
            return try await atLeader(replica, request, raw) { controller in
                let body = try decode(TargetBody.self, raw)
                return try json(await controller.requestSwitchover(to: try region(body.to)), status: .accepted)
            }
        }
        router.post("v1/rejoin") { request, _ in
            let raw = try await request.body.collect(upTo: 1 << 20)
            return try await atLeader(replica, request, raw) { controller in
                let body = try decode(RegionBody.self, raw)
                return try json(await controller.requestRejoin(try region(body.region)), status: .accepted)
            }
        }
        router.post("v1/mode") { request, _ in
            let raw = try await request.body.collect(upTo: 1 << 20)
            return try await atLeader(replica, request, raw) { controller in
                let body = try decode(ModeBody.self, raw)
                guard let mode = ControllerMode(rawValue: body.mode) else {
                    throw Problem(
                        .badRequest, "bad-mode", "mode must be automatic or manual, got '\(body.mode.prefix(32))'")
                }
                await controller.setMode(mode)
                return try json(["mode": mode.rawValue])
            }
        }
        router.post("v1/drain") { request, _ in
            let raw = try await request.body.collect(upTo: 1 << 20)
            return try await atLeader(replica, request, raw) { controller in
                let body = try decode(DrainBody.self, raw)
                try await controller.setDrained(try region(body.region), body.drained)
                return try json(["region": body.region, "drained": body.drained ? "true" : "false"])
            }
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: await replica.metrics.render())))
        }
        return router
    }
}
