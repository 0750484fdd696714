import Foundation
import Hummingbird
import Logging
import NIOCore

/// The WAN emulator's admin HTTP API (JSON; errors as problem+json), listening on loopback only since it has no
/// authentication: `GET /health`, `GET /links`, `PUT /links/{a}/{b}`, `POST /nodes/{node}/partition`,
/// `POST /nodes/{node}/heal`, `GET /routes`, `PUT /routes/{name}`. A host that is not a loopback address is
/// replaced by 127.0.0.1 (and logged).
public func buildWANAdminApplication(
    emulator: WANEmulator, host: String, port: Int, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var bindHost = host
    if !["127.0.0.1", "::1", "localhost"].contains(host) {
        logger.error(
            "the WAN admin API listens on loopback only; using 127.0.0.1", metadata: [WANLogKey.host: "\(host)"])
        bindHost = "127.0.0.1"
    }
    let router = Router()
    router.add(middleware: WANProblemMiddleware())
    WANAdminRoutes(emulator: emulator).add(to: router)
    return Application(
        router: router, configuration: .init(address: .hostname(bindHost, port: port), serverName: "wan-admin"),
        onServerRunning: onServerRunning, logger: logger)
}

/// The handlers of the admin API.
struct WANAdminRoutes: Sendable {
    let emulator: WANEmulator

    func add(to router: Router<BasicRequestContext>) {
        router.get("health") { _, _ in Self.json(["status": "ok"]) }
        router.get("links") { _, _ in Self.json(emulator.links()) }
        router.put("links/:a/:b") { request, context in try await setLink(request, context) }
        router.post("nodes/:node/partition") { _, context in
            emulator.partition(try knownNode(context.parameters.require("node")))
            return Self.json(emulator.links())
        }
        router.post("nodes/:node/heal") { _, context in
            emulator.heal(try knownNode(context.parameters.require("node")))
            return Self.json(emulator.links())
        }
        router.get("routes") { _, _ in Self.json(emulator.routes()) }
        router.put("routes/:name") { request, context in
            let name = try context.parameters.require("name")
            let body = try await Self.decode(
                RetargetRequest.self, from: request, allowedKeys: ["to", "targetPort", "targetHost"])
            let route = try await emulator.retarget(
                route: name.removingPercentEncoding ?? name, to: body.to, targetPort: body.targetPort,
                targetHost: body.targetHost ?? "127.0.0.1")
            return Self.json(route)
        }
    }

    private func setLink(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let a = try knownNode(context.parameters.require("a"))
        let b = try knownNode(context.parameters.require("b"))
        let update = try await Self.decode(
            LinkConditionsUpdate.self, from: request, allowedKeys: ["latencyMs", "jitterMs", "loss", "partitioned"])
        emulator.setConditions(try update.applied(to: emulator.conditions(between: a, and: b)), between: a, and: b)
        let key = LinkKey(a, b)
        let state = emulator.links().first { $0.a == key.a && $0.b == key.b }
        return Self.json(state)
    }

    /// A node name that is well formed and used by some route or link; a typo must not create a new link.
    private func knownNode(_ name: String) throws(WANError) -> String {
        try NodeName.validate(name)
        let nodes = emulator.nodes()
        guard nodes.contains(name) else {
            throw WANError(
                .unknownNode, "no route or link uses node '\(name)'; known: \(nodes.sorted().joined(separator: ", "))")
        }
        return name
    }

    /// Decodes a JSON body, rejecting fields the endpoint does not know (a misspelt field would be ignored).
    private static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, allowedKeys: Set<String>)
        async throws -> Body
    {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let data = Data(buffer.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw WANError(.malformedRequest, "the body must be a JSON object")
        }
        let unknown = Set(object.keys).subtracting(allowedKeys)
        guard unknown.isEmpty else {
            throw WANError(
                .malformedRequest,
                "unknown field(s) \(unknown.sorted().joined(separator: ", ")); allowed: \(allowedKeys.sorted().joined(separator: ", "))"
            )
        }
        do {
            return try WANJSON.decoder.decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw WANError(.malformedRequest, "the body does not match: \(error.oneLine)")
        }
    }

    private static func json(_ value: some Encodable) -> Response {
        let body = (try? WANJSON.encoder.encode(value)) ?? Data("null".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension DecodingError {
    /// The field and what was wrong with it, on one line.
    var oneLine: String {
        switch self {
        case .typeMismatch(let type, let context): "\(context.path) must be \(type)"
        case .valueNotFound(_, let context): "\(context.path) is missing"
        case .keyNotFound(let key, _): "field \(key.stringValue) is missing"
        case .dataCorrupted(let context): "\(context.path): \(context.debugDescription)"
        @unknown default: "\(self)"
        }
    }
}

extension DecodingError.Context {
    fileprivate var path: String {
        codingPath.isEmpty ? "the body" : codingPath.map(\.stringValue).joined(separator: ".")
    }
}
