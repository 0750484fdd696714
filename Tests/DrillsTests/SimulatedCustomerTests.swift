import Testing

@testable import Drills

@Suite struct SimulatedCustomerTests {
    func reply(_ status: Int, token: String? = nil, problem: String? = nil) -> PortalClient.Reply {
        PortalClient.Reply(
            status: status, region: "us-east-1", consistencyToken: token, problem: problem, retryAfter: nil,
            fields: [:])
    }

    @Test func keepsTheNewestTokenAndForgetsOneThePrimaryRefuses() {
        var customer = SimulatedCustomer(id: 1, location: "us", email: "c@example.com")
        let read = DrillOperation(
            id: 1, client: 1, location: "us", kind: .readProfile, email: "c@example.com", sent: 0)
        customer.learn(from: read, reply: reply(200, token: "0/3000100"), now: 1)
        customer.learn(from: read, reply: reply(200, token: "0/3000000"), now: 2)
        #expect(customer.consistencyToken == "0/3000100")
        // A failover lost the write behind it: the new primary refuses it, and the customer lets it go.
        customer.learn(from: read, reply: reply(400, problem: "invalid-consistency-token"), now: 3)
        #expect(customer.consistencyToken == nil)
        customer.learn(from: read, reply: reply(200, token: "0/2000000"), now: 4)
        #expect(customer.consistencyToken == "0/2000000")
    }
}
