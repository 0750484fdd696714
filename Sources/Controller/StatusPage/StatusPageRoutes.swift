import Crypto
import Failover
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// The status page: `/ui` (the page; `?token=` or the login form set a session cookie), `/ui/login`, and
/// `/ui/stream`, the Server-Sent Events every open page listens to.
enum StatusPageRoutes {
    static let cookieName = "drctl_ui"
    /// Requests the page sends carry this header; a form or an image on another site cannot send it (a browser
    /// asks the server first, and this one never allows another origin), so a cookie alone never acts.
    static let pageHeader = HTTPField.Name("X-DRCTL-UI")!

    /// The session cookie's value: derived from the token, so the cookie never holds the token itself.
    static func session(for token: String) -> String {
        hex(SHA256.hash(data: Data("drctl-ui-session\u{0}\(token)".utf8)))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `request` carries the page's session cookie for `token`.
    static func hasSession(_ request: Request, token: String) -> Bool {
        guard !token.isEmpty else { return false }
        let expected = Array(session(for: token).utf8)
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == cookieName, ConstantTime.equal(Array(parts[1].utf8), expected) {
                    return true
                }
            }
        }
        return false
    }

    static func add(to router: Router<BasicRequestContext>, replica: ControllerReplica, feed: StatusFeed) {
        let token = replica.configuration.token
        router.get("ui") { request, _ in
            if let given = request.uri.queryParameters["token"] { return signIn(String(given), token: token) }
            guard
                ControllerServer.BearerTokenMiddleware<BasicRequestContext>.authorized(request, token: token)
                    || hasSession(request, token: token)
            else {
                return html(StatusPageHTML.login(message: nil), status: .unauthorized)
            }
            let nonce = hex((0..<16).map { _ in UInt8.random(in: 0...255) })
            var response = html(StatusPageHTML.page(nonce: nonce), status: .ok)
            response.headers[.contentSecurityPolicy] =
                "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; connect-src 'self'; "
                + "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            return response
        }
        router.post("ui/login") { request, _ in
            let body = try await request.body.collect(upTo: 4096)
            return signIn(formValue("token", in: String(buffer: body)) ?? "", token: token)
        }
        router.get("ui/stream") { request, _ in
            guard await feed.open() else {
                throw ControllerServer.Problem(
                    .tooManyRequests, "too-many-pages",
                    "\(StatusFeed.maximumStreams) status pages are open on this replica; close one or retry")
            }
            let lastEvent = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int($0) }
            let settings = replica.configuration.statusPage
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: .init { writer in
                    let stream = StatusPageStream(
                        replica: replica, feed: feed, settings: settings, lastSequence: lastEvent)
                    // A page stays open for hours: the stream ends at shutdown (the page reconnects to another
                    // replica's page when it reloads) and after a while anyway, then the browser reconnects.
                    let stop = StopFlag()
                    await withGracefulShutdownHandler {
                        try? await stream.run(until: stop) { text in try await writer.write(ByteBuffer(string: text)) }
                    } onGracefulShutdown: {
                        stop.raise()
                    }
                    await feed.close()
                    try await writer.finish(nil)
                })
        }
    }

    /// The answer to a token given by `?token=` or the login form: signed in (303 to `/ui` with the session
    /// cookie) when it is the control plane's, the login form again (401) when not.
    static func signIn(_ given: String, token: String) -> Response {
        guard !token.isEmpty, ConstantTime.equal(Array(given.utf8), Array(token.utf8)) else {
            return html(StatusPageHTML.login(message: "That token is not this control plane's."), status: .unauthorized)
        }
        var response = Response(status: .seeOther)
        response.headers[.location] = "/ui"
        response.headers[.setCookie] =
            "\(cookieName)=\(session(for: token)); Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }

    static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// One field of an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }
}

/// One open page's stream: its settings and drill history first, then the status as it changes, every new
/// timeline event (with its sequence as the event id, so a reconnecting page gets what it missed) and every new
/// chart sample.
struct StatusPageStream {
    let replica: ControllerReplica
    let feed: StatusFeed
    let settings: StatusPageSettings
    var lastSequence: Int?
    static let lifetime: Duration = .seconds(600)
    static let interval: Duration = .milliseconds(250)
    /// How many past events a newly opened page gets.
    static let backlog = 200

    struct PageSettings: Encodable {
        var actions: Bool
        var commandSuffix: String
        var replica: String
    }

    func run(until stop: StopFlag, _ send: (String) async throws -> Void) async throws {
        try await send("retry: 1000\n\n")
        try await send(
            Self.event(
                "settings",
                try Self.json(
                    PageSettings(
                        actions: settings.actions, commandSuffix: settings.commandSuffix,
                        replica: replica.configuration.region.rawValue))))
        let drills = settings.drillHistory.flatMap { try? DrillRecord.readHistory(at: $0) } ?? []
        try await send(Self.event("drills", try Self.json(Array(drills.suffix(50)))))
        var lastSequence = self.lastSequence
        var lastSample: Date?
        var lastStatus: Data?
        let end = ContinuousClock.now + Self.lifetime
        var round = 0
        while ContinuousClock.now < end, !Task.isCancelled, !stop.raised {
            let status = await feed.status()
            if let status {
                let data = try Self.json(status)
                if data != lastStatus {
                    try await send(Self.event("status", data))
                    lastStatus = data
                }
            } else if round % 4 == 0 {
                try await send("event: unavailable\ndata: {}\n\n")
                lastStatus = nil
            }
            let samples = await feed.samples(after: lastSample)
            if let last = samples.last {
                try await send(Self.event("samples", try Self.json(samples)))
                lastSample = last.time
            }
            if round % 2 == 0 {
                let after = lastSequence ?? max(0, (status?.recentEvents.last?.sequence ?? 0) - Self.backlog)
                if lastSequence != nil || status != nil,
                    let events = try? await replica.events(after: after), !events.isEmpty || lastSequence == nil
                {
                    for event in events {
                        try await send("id: \(event.sequence)\n" + Self.event("timeline", try Self.json(event)))
                    }
                    lastSequence = events.last?.sequence ?? after
                }
            }
            round += 1
            try await Task.sleep(for: Self.interval)
        }
    }

    static func event(_ name: String, _ data: Data) -> String {
        "event: \(name)\ndata: " + String(decoding: data, as: UTF8.self) + "\n\n"
    }

    static func json(_ value: some Encodable) throws -> Data {
        // Milliseconds: the page shows how far apart a failover's steps were.
        try TimelineFile.encoder().encode(value)
    }
}

/// Raised once (by a graceful shutdown), read by a loop that must end.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var raised: Bool { flag.load(ordering: .relaxed) }
    func raise() { flag.store(true, ordering: .relaxed) }
}
