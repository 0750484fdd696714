import Testing

@testable import Lab

@Suite("WAN emulator: partitions")
struct WANPartitionTests {
    @Test func requestSentDuringPartitionIsDeliveredAfterHeal() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "writer", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send([1])
                    #expect(try await connection.receive(count: 1) == [1])

                    emulator.partition("us-east-1")
                    try await connection.send([2, 3])
                    #expect(try await connection.receive(count: 1, within: .milliseconds(300)) == nil)

                    emulator.heal("us-east-1")
                    #expect(try await connection.receive(count: 2) == [2, 3])
                }
            }
        }
    }

    @Test func newConnectionDuringPartitionHangsThenWorksAfterHeal() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let route = try await emulator.addRoute(
                    name: "writer", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                emulator.partition("eu-west-1")
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    try await connection.send([9])
                    #expect(try await connection.receive(count: 1, within: .milliseconds(300)) == nil)
                    #expect(server.acceptedConnections == 0)
                    #expect(try await !connection.closes(within: .milliseconds(1)))

                    emulator.heal("eu-west-1")
                    #expect(try await connection.receive(count: 1) == [9])
                    #expect(server.acceptedConnections == 1)
                }
            }
        }
    }

    @Test func dataBeyondTheBufferLimitWaitsInTheSenderAndArrivesAfterHeal() async throws {
        var configuration = WANEmulator.Configuration()
        configuration.maxBufferedBytesPerDirection = 64 << 10
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator(configuration) { emulator in
                let route = try await emulator.addRoute(
                    name: "replication", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                let payload = WANTest.noise(count: 3 << 20)
                try await WANTest.withConnection(to: route.listenPort) { connection throws in
                    emulator.partition("us-east-1")
                    connection.sendWithoutWaiting(payload)
                    #expect(try await connection.receive(count: 1, within: .milliseconds(200)) == nil)
                    #expect(try await !connection.closes(within: .milliseconds(1)))
                    emulator.heal("us-east-1")
                    #expect(try await connection.receive(count: payload.count, within: .seconds(5)) == payload)
                }
            }
        }
    }

    @Test func connectionHeldPastTheHoldLimitIsClosed() async throws {
        var configuration = WANEmulator.Configuration()
        configuration.holdLimit = .milliseconds(200)
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator(configuration) { emulator in
                let route = try await emulator.addRoute(
                    name: "writer", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                try await WANTest.withConnection(to: route.listenPort) { connection in
                    emulator.partition("us-east-1")
                    try await connection.send([1])
                    #expect(try await connection.closes(within: .seconds(10)))
                }
            }
        }
    }

    @Test func partitioningANodeCutsItsLinksAndNoOthers() async throws {
        try await WANTest.withEchoServer { server in
            try await WANTest.withEmulator { emulator in
                let edge = try await emulator.addRoute(
                    name: "edge", from: "outside", to: "us-east-1", targetPort: server.port)
                let replication = try await emulator.addRoute(
                    name: "replication", from: "eu-west-1", to: "us-east-1", targetPort: server.port)
                let other = try await emulator.addRoute(
                    name: "other", from: "ap-southeast-2", to: "eu-west-1", targetPort: server.port)
                let local = try await emulator.addRoute(
                    name: "local", from: "us-east-1", to: "us-east-1", targetPort: server.port)

                emulator.partition("us-east-1")
                #expect(emulator.conditions(between: "outside", and: "us-east-1").partitioned)
                #expect(emulator.conditions(between: "us-east-1", and: "eu-west-1").partitioned)
                #expect(emulator.conditions(between: "us-east-1", and: "ap-southeast-2").partitioned)
                #expect(!emulator.conditions(between: "eu-west-1", and: "ap-southeast-2").partitioned)
                #expect(!emulator.conditions(between: "us-east-1", and: "us-east-1").partitioned)
                #expect(try await answers(other.listenPort))
                #expect(try await answers(local.listenPort))
                #expect(try await !answers(edge.listenPort))
                #expect(try await !answers(replication.listenPort))

                // A link between two partitioned nodes stays cut until both heal.
                emulator.partition("eu-west-1")
                emulator.heal("us-east-1")
                #expect(!emulator.conditions(between: "outside", and: "us-east-1").partitioned)
                #expect(emulator.conditions(between: "us-east-1", and: "eu-west-1").partitioned)
                emulator.heal("eu-west-1")
                #expect(emulator.links().allSatisfy { !$0.conditions.partitioned })
                #expect(try await answers(replication.listenPort))
            }
        }
    }

    private func answers(_ port: Int) async throws -> Bool {
        try await WANTest.withConnection(to: port) { connection in
            try await connection.send([42])
            return try await connection.receive(count: 1, within: .seconds(10)) == [42]
        }
    }
}
