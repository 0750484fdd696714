import Failover
import Foundation
import Lab
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The account service under attack, on a whole lab: one guess budget for every portal of every region and
/// across restarts, and a storm of failures through the edge that locks out only its own address.
@Suite(.serialized) struct GuessBudgetLabTests {
    static let password = "lab passphrase one"

    @Test func oneGuessBudgetAcrossRegionsAndRestartsAndNoLockOutOfOthersThroughTheEdge() async throws {
        // A lock-out long enough that no step of this test outlasts it on a loaded machine.
        try await withLab({
            $0.portalsPerRegion = 2
            $0.portalSettings = ["login-lockout-base": "120s"]
        }) { lab, state in
            let portals = state.regions.flatMap { region in region.portals.map(\.url) }
            #expect(portals.count == 6)
            let edge = try #require(state.edge)
            let email = "budget-\(UUID().uuidString.prefix(6))@example.com"
            let created = try await HTTP.send(
                "POST", "\(portals[0])/v1/accounts",
                json: ["email": email, "password": Self.password, "displayName": "Lab"])
            #expect(created.status == 201)

            // Six wrong guesses, one per portal of every region: the five free failures and the sixth, which
            // starts the lock-out.
            for portal in portals {
                let reply = try await HTTP.send(
                    "POST", "\(portal)/v1/sessions", json: ["email": email, "password": "wrong guess!"])
                #expect(reply.status == 401, "\(portal)")
            }
            // Every portal of every region restarts (a deploy): the count survives.
            let injector = LabFaultInjector(deployment: lab, logger: .init(label: "guess-budget-lab-test"))
            for region in state.regions {
                try await injector.inject(.portalCrash, into: region.name)
                for pid in region.portals.compactMap(\.process?.pid) { _ = await hasExited(pid) }
                try await injector.heal(region.name)
            }
            for portal in portals {
                try await eventually("\(portal) back", limit: .seconds(60)) {
                    try await HTTP.send("GET", "\(portal)/health/ready", timeout: 2).status == 200
                }
            }
            for portal in portals {
                let reply = try await HTTP.send(
                    "POST", "\(portal)/v1/sessions", json: ["email": email, "password": Self.password])
                #expect(reply.status == 429, "the right password waits out the lock-out at \(portal)")
            }

            // A parallel burst over all six portals gets no more guesses than the budget.
            let target = "burst-\(UUID().uuidString.prefix(6))@example.com"
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        try await HTTP.send(
                            "POST", "\(portals[index % 6])/v1/sessions",
                            json: ["email": target, "password": "wrong guess!"]
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 6, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 6, "\(statuses)")

            // Through the edge: an attacker at 127.0.0.2 spends its address's 20 free failures and more …
            let victim = "victim-\(UUID().uuidString.prefix(6))@example.com"
            _ = try await HTTP.send(
                "POST", "\(portals[0])/v1/accounts",
                json: ["email": victim, "password": Self.password, "displayName": "Victim"])
            var attacker: [Int] = []
            for index in 0..<22 {
                attacker.append(
                    try LoopbackHTTP.post(
                        from: "127.0.0.2", port: edge.port, path: "/v1/sessions",
                        json: #"{"email":"random-\#(index)@example.com","password":"wrong guess!"}"#))
            }
            #expect(attacker.prefix(21).allSatisfy { $0 == 401 } && attacker.last == 429, "\(attacker)")
            // … a forged X-Forwarded-For does not get it a fresh address …
            let forged = try LoopbackHTTP.post(
                from: "127.0.0.2", port: edge.port, path: "/v1/sessions",
                json: #"{"email":"random-x@example.com","password":"wrong guess!"}"#,
                headers: ["X-Forwarded-For: 203.0.113.77"])
            #expect(forged == 429)
            // … and the customer at 127.0.0.3 logs in with the right password.
            let customer = try LoopbackHTTP.post(
                from: "127.0.0.3", port: edge.port, path: "/v1/sessions",
                json: #"{"email":"\#(victim)","password":"\#(Self.password)"}"#)
            #expect(customer == 200)
        }
    }
}

/// A one-shot HTTP/1.1 client that connects from a chosen loopback address (127.0.0.0/8), so that a test can
/// play several clients at different addresses.
enum LoopbackHTTP {
    /// POSTs `json` and returns the status code.
    static func post(from source: String, port: Int, path: String, json: String, headers: [String] = [])
        throws -> Int
    {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard
            withUnsafePointer(
                to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }) == 0
        else { throw TestFailure("bind \(source): errno \(errno)") }
        guard
            withUnsafePointer(
                to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, length) } })
                == 0
        else { throw TestFailure("connect 127.0.0.1:\(port): errno \(errno)") }
        let body = Array(json.utf8)
        let head =
            ([
                "POST \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Content-Type: application/json",
                "Content-Length: \(body.count)", "Connection: close",
            ] + headers).joined(separator: "\r\n") + "\r\n\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw TestFailure("send: errno \(errno)") }
            sent += written
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !response.contains(0x0A) {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let statusLine = String(decoding: response.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw TestFailure("no HTTP status from the edge: '\(statusLine)'")
        }
        return status
    }
}
