import Testing

@testable import Lab

/// A route into an etcd member's peer port is dialled by every other member; each connection crosses the link
/// from the member that sent it, named by etcd's `X-PeerURLs` header.
@Suite("WAN emulator: routes that learn their sender")
struct WANPeerSourceTests {
    static func head(peerURLs: String?) -> [UInt8] {
        let header = peerURLs.map { "X-Peerurls: \($0)\r\n" } ?? ""
        return Array("GET /raft/stream/msgapp/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\(header)\r\n".utf8)
    }

    @Test func eachConnectionCrossesTheLinkOfItsSender() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "etcd-peer:us-east-1", from: "outside", to: "us-east-1", targetPort: server.port,
                    sourceByPeerURL: ["http://127.0.0.1:1001": "eu-west-1", "http://127.0.0.1:1002": "ap-southeast-2"])
                emulator.partition("eu-west-1")

                let fromEurope = Self.head(peerURLs: "http://127.0.0.1:1001")
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send(fromEurope)
                    #expect(try await connection.receive(count: fromEurope.count, within: .milliseconds(300)) == nil)
                    emulator.heal("eu-west-1")
                    #expect(try await connection.receive(count: fromEurope.count) == fromEurope)
                    // The rest of the connection keeps to the link of its sender.
                    emulator.partition("eu-west-1")
                    try await connection.send([7])
                    #expect(try await connection.receive(count: 1, within: .milliseconds(300)) == nil)
                    emulator.heal("eu-west-1")
                    #expect(try await connection.receive(count: 1) == [7])
                }

                emulator.partition("eu-west-1")
                // Another member (the second of its URLs is known), and a request without the header (the route's
                // own link), are not cut off by the partition of eu-west-1.
                for head in [Self.head(peerURLs: "http://x:1, http://127.0.0.1:1002"), Self.head(peerURLs: nil)] {
                    try await WANTest.withConnection(to: route.listenPort) { connection in
                        try await connection.send(head)
                        #expect(try await connection.receive(count: head.count) == head)
                    }
                }
                emulator.partition("us-east-1")
                let fromAsia = Self.head(peerURLs: "http://127.0.0.1:1002")
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send(fromAsia)
                    #expect(try await connection.receive(count: fromAsia.count, within: .milliseconds(300)) == nil)
                }
            }
        }
    }

    @Test func aHeadThatArrivesInPiecesIsReassembledAndDelivered() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "etcd-peer:eu-west-1", from: "outside", to: "eu-west-1", targetPort: server.port,
                    sourceByPeerURL: ["http://127.0.0.1:1000": "us-east-1"])
                let head = Self.head(peerURLs: "http://127.0.0.1:1000") + [1, 2, 3]
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send(Array(head[..<10]))
                    try await Task.sleep(for: .milliseconds(50))
                    try await connection.send(Array(head[10...]))
                    #expect(try await connection.receive(count: head.count) == head)
                }
                #expect(emulator.links().contains { $0.a == "eu-west-1" && $0.b == "us-east-1" })
            }
        }
    }

    @Test func senderIsReadFromTheHeaderCaseInsensitively() {
        let sources = ["http://127.0.0.1:5": "eu-west-1"]
        #expect(
            PeerSourceSniffer.sender(in: "GET / HTTP/1.1\r\nx-peerURLs: http://127.0.0.1:5", sources: sources)
                == "eu-west-1")
        #expect(PeerSourceSniffer.sender(in: "GET / HTTP/1.1\r\nX-Other: http://127.0.0.1:5", sources: sources) == nil)
        #expect(PeerSourceSniffer.sender(in: "X-PeerURLs: http://127.0.0.1:5", sources: sources) == nil)
    }
}
