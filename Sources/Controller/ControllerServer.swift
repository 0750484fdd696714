import Failover
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The controller's HTTP API (loopback): the lease for portals, reports from the agents, and the operator's
/// commands (`drctl status`, `events`, `failover`, `switchover`, `rejoin`, `mode`, `drain`).
public enum ControllerServer {
    /// Runs the controller's loop and its API until SIGTERM/SIGINT.
    public static func run(_ controller: Controller, host: String, port: Int, logger: Logger) async throws {
        let app = Application(
            router: router(controller), configuration: .init(address: .hostname(host, port: port), serverName: nil),
            services: [ControllerLoop(controller: controller)], logger: logger)
        try await app.runService()
    }

    struct ControllerLoop: Service {
        let controller: Controller
        func run() async throws {
            await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    await controller.run()
                } onCancel: {
                }
            } onGracefulShutdown: {
            }
            try? await gracefulShutdown()
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
        let body = try await request.body.collect(upTo: 1 << 20)
        return try JSONDecoder().decode(type, from: Data(buffer: body))
    }

    static func region(_ text: String) throws -> RegionName {
        let region = RegionName(text)
        guard region.isWellFormed else {
            throw Problem(.badRequest, "bad-region", "'\(text.prefix(64))' is not a region name such as eu-west-1")
        }
        return region
    }

    struct RegionBody: Codable { var region: String }
    struct TargetBody: Codable {
        var to: String
        var force: Bool?
    }
    struct ModeBody: Codable { var mode: String }
    struct DrainBody: Codable {
        var region: String
        var drained: Bool
    }
    struct ReportBody: Codable {
        var vantage: String
        var observations: [ProbeObservation]
    }

    static func router(_ controller: Controller) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.get("health") { _, _ in try json(["status": "ok"]) }
        router.post("v1/lease") { request, _ in
            let body = try await decode(RegionBody.self, request)
            return try json(await controller.lease(for: try region(body.region)))
        }
        router.post("v1/reports") { request, _ in
            let body = try await decode(ReportBody.self, request)
            await controller.report(vantage: body.vantage, observations: body.observations)
            return Response(status: .noContent)
        }
        router.get("v1/status") { _, _ in try json(await controller.status()) }
        router.get("v1/events") { request, _ in
            let after = request.uri.queryParameters.get("after", as: Int.self) ?? 0
            let events = await controller.events(after: after)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: try TimelineFile.encode(events))))
        }
        router.post("v1/failover") { request, _ in
            let body = try await decode(TargetBody.self, request)
            return try json(
                await controller.requestFailover(to: try region(body.to), force: body.force ?? false),
                status: .accepted)
        }
        router.post("v1/switchover") { request, _ in
            let body = try await decode(TargetBody.self, request)
            return try json(await controller.requestSwitchover(to: try region(body.to)), status: .accepted)
        }
        router.post("v1/rejoin") { request, _ in
            let body = try await decode(RegionBody.self, request)
            return try json(await controller.requestRejoin(try region(body.region)), status: .accepted)
        }
        router.post("v1/mode") { request, _ in
            let body = try await decode(ModeBody.self, request)
            guard let mode = ControllerMode(rawValue: body.mode) else {
                throw Problem(
                    .badRequest, "bad-mode", "mode must be automatic or manual, got '\(body.mode.prefix(32))'")
            }
            await controller.setMode(mode)
            return try json(["mode": mode.rawValue])
        }
        router.post("v1/drain") { request, _ in
            let body = try await decode(DrainBody.self, request)
            try await controller.setDrained(try region(body.region), body.drained)
            return try json(["region": body.region, "drained": body.drained ? "true" : "false"])
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: await controller.metrics.render())))
        }
        return router
    }
}
