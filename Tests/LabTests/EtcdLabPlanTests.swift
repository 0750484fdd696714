import Failover
import Testing

@testable import Lab

/// How the lab lays out its etcd members: raft's timing for the lab's distances, and the WAN routes.
@Suite struct EtcdLabPlanTests {
    static let regions: [RegionName] = ["us-east-1", "eu-west-1", "ap-southeast-2"]

    @Test func timingFollowsTheLongestOneWayDelayWithEtcdsDefaultsAsTheFloor() {
        let real = LabDeployment.etcdTiming(regions: Self.regions, latencyScale: 1)
        #expect(real.heartbeat == .milliseconds(130) && real.election == .milliseconds(1300))
        let doubled = LabDeployment.etcdTiming(regions: Self.regions, latencyScale: 2)
        #expect(doubled.heartbeat == .milliseconds(260) && doubled.election == .milliseconds(2600))
        let fast = LabDeployment.etcdTiming(regions: Self.regions, latencyScale: 0)
        #expect(fast.heartbeat == .milliseconds(100) && fast.election == .milliseconds(1000))
        let near = LabDeployment.etcdTiming(regions: ["us-east-1", "eu-west-1"], latencyScale: 1)
        #expect(near.heartbeat == .milliseconds(100))
    }

    @Test func eachMemberAdvertisesAPeerRouteThatKnowsEveryOtherMembersURL() throws {
        var next = 20_000
        let (plan, routes) = try WANPlan.make(
            regions: Self.regions, primary: "us-east-1",
            postgresPorts: ["us-east-1": 1, "eu-west-1": 2, "ap-southeast-2": 3],
            portalPorts: ["us-east-1": [4], "eu-west-1": [5], "ap-southeast-2": [6]],
            controllerPorts: ["us-east-1": 7, "eu-west-1": 8, "ap-southeast-2": 9],
            etcdPorts: [
                "us-east-1": .init(client: 11, peer: 21), "eu-west-1": .init(client: 12, peer: 22),
                "ap-southeast-2": .init(client: 13, peer: 23),
            ],
            latencyScale: 1,
            pickPort: { () -> Int in
                next += 1
                return next
            })
        let peer = try #require(plan.routes.first { $0.name == "etcd-peer:eu-west-1" })
        #expect(peer.to == "eu-west-1" && peer.targetPort == 22 && peer.listenPort == routes["eu-west-1"]?.etcdPeer)
        let us = try #require(routes["us-east-1"]?.etcdPeer)
        let ap = try #require(routes["ap-southeast-2"]?.etcdPeer)
        #expect(
            peer.sourceByPeerURL == ["http://127.0.0.1:\(us)": "us-east-1", "http://127.0.0.1:\(ap)": "ap-southeast-2"])

        let clients = try #require(routes["eu-west-1"]?.etcdClients)
        #expect(Set(clients.keys) == ["us-east-1", "ap-southeast-2", "outside"])
        let fromAsia = try #require(plan.routes.first { $0.name == "etcd:ap-southeast-2->eu-west-1" })
        #expect(fromAsia.from == "ap-southeast-2" && fromAsia.to == "eu-west-1" && fromAsia.targetPort == 12)
        #expect(Set(plan.routes.map(\.listenPort)).count == plan.routes.count)
    }
}
