import Testing

@testable import Lab

@Suite("WAN emulator: retargeting a route")
struct WANRetargetTests {
    @Test func retargetSendsNewConnectionsToTheNewTargetAndClosesOldOnes() async throws {
        try await WANTest.withEchoServer { oldPrimary in
            try await WANTest.withEchoServer { newPrimary in
                try await WANTest.withEmulator { emulator in
                    emulator.setConditions(.init(latency: .milliseconds(5)), between: "eu-west-1", and: "us-east-1")
                    let route = try await emulator.addRoute(
                        name: "eu-west-1-writer", from: "eu-west-1", to: "us-east-1", targetPort: oldPrimary.port)
                    try await WANTest.withConnection(to: route.listenPort) { old in
                        try await old.send([1])
                        #expect(try await old.receive(count: 1) == [1])
                        #expect(oldPrimary.acceptedConnections == 1)

                        let moved = try await emulator.retarget(
                            route: "eu-west-1-writer", to: "eu-west-1", targetPort: newPrimary.port)
                        #expect(moved.to == "eu-west-1" && moved.targetPort == newPrimary.port)
                        #expect(moved.listenPort == route.listenPort)
                        #expect(try await old.closes(within: .seconds(10)))
                        #expect(emulator.routes() == [moved])
                    }
                    try await WANTest.withConnection(to: route.listenPort) { new in
                        try await new.send([2])
                        #expect(try await new.receive(count: 1) == [2])
                    }
                    #expect(newPrimary.acceptedConnections == 1)
                    #expect(oldPrimary.acceptedConnections == 1)
                }
            }
        }
    }

    @Test func retargetOfAnUnknownRouteFails() async throws {
        try await WANTest.withEmulator { emulator -> Void in
            await #expect(throws: WANError(.unknownRoute, "no route named 'nope'")) {
                try await emulator.retarget(route: "nope", to: "us-east-1", targetPort: 5432)
            }
        }
    }
}
