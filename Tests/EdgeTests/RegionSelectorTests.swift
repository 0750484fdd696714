import Failover
import Testing

@testable import Edge

/// Routing decisions on plain endpoint groups, without sockets.
@Suite struct RegionSelectorTests {
    let selector = RegionSelector(latencies: .lab)

    func groups(dials: [Int] = [100, 100, 100]) -> [EndpointGroup] {
        var configuration = EdgeConfiguration(
            regions: zip(["us-east-1", "eu-west-1", "ap-southeast-2"], dials).map { name, dial in
                .init(name: RegionName(name), dial: dial, endpoints: [.init(url: "http://\(name)")])
            })
        configuration.healthCheck.failureThreshold = 1
        return EdgeState(configuration: configuration).snapshot
    }

    func route(_ location: String, _ groups: [EndpointGroup]) -> RoutingDecision {
        var generator = SystemRandomNumberGenerator()
        return selector.route(location: location, groups: groups, using: &generator)
    }

    @Test(arguments: [
        ("us", "us-east-1", "eu-west-1"), ("eu", "eu-west-1", "us-east-1"), ("ap", "ap-southeast-2", "us-east-1"),
        ("eu-west-1", "eu-west-1", "us-east-1"),
    ])
    func nearestRegionFirstAndNextNearestAsRetry(location: String, first: String, retry: String) {
        let decision = route(location, groups())
        #expect(decision.targets.map(\.region.rawValue) == [first, retry])
        #expect(!decision.failOpen)
    }

    @Test func unhealthyRegionIsSkipped() {
        var groups = groups()
        _ = groups[0].members[0].health.handle(.probeFailed(reason: "down", at: .now))
        #expect(route("us", groups).targets.first?.region == "eu-west-1")
    }

    @Test func nothingHealthyFailsOpenToTheNearest() {
        var groups = groups()
        for index in groups.indices {
            _ = groups[index].members[0].health.handle(.probeFailed(reason: "down", at: .now))
        }
        let decision = route("ap", groups)
        #expect(decision.failOpen)
        #expect(decision.targets.first?.region == "ap-southeast-2")
    }

    @Test func everyRegionDrainedLeavesNoTarget() {
        #expect(route("us", groups(dials: [0, 0, 0])).targets.isEmpty)
    }

    @Test func sameAddressGetsTheSameChoice() {
        let groups = groups(dials: [50, 100, 100])
        let choices = (0..<20).map { _ in
            var generator = AffinityGenerator(address: "10.1.2.3")
            return selector.route(location: "us", groups: groups, using: &generator).targets.first?.region
        }
        #expect(Set(choices).count == 1)
    }
}
