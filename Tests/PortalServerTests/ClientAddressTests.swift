import Accounts
import Foundation
import HTTPTypes
import PortalServer
import PortalTestSupport
import Testing

/// Which address is the client's: the TCP peer, unless a trusted proxy forwarded the request.
@Suite struct ClientAddressTests {
    let edge = TrustedProxies([IPNetwork("127.0.0.1/32")!, IPNetwork("10.0.0.0/16")!])

    @Test func noTrustedProxiesMeansThePeerWhateverTheHeaderSays() {
        #expect(TrustedProxies().clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"]) == "127.0.0.1")
    }

    @Test func anUntrustedPeerIsTheClientEvenWithAForwardedFor() {
        #expect(edge.clientAddress(peer: "198.51.100.7", forwardedFor: ["203.0.113.9"]) == "198.51.100.7")
    }

    @Test func theRightMostUntrustedEntryIsTheClientAndWhatItPrependedIsIgnored() {
        // The client forged 1.2.3.4; the edge appended the real peer; a load balancer in 10.0/16 appended the
        // edge's address.
        let chain = ["1.2.3.4, 198.51.100.7", "10.0.3.4"]
        #expect(edge.clientAddress(peer: "10.0.9.9", forwardedFor: chain) == "198.51.100.7")
    }

    @Test func anAllTrustedChainGivesItsLeftMostEntryAndGarbageStopsTheWalk() {
        #expect(edge.clientAddress(peer: "127.0.0.1", forwardedFor: ["10.0.0.5, 10.0.0.6"]) == "10.0.0.5")
        #expect(edge.clientAddress(peer: "127.0.0.1", forwardedFor: ["not-an-ip, 10.0.0.6"]) == "10.0.0.6")
        #expect(edge.clientAddress(peer: "127.0.0.1", forwardedFor: ["", " ,,"]) == "127.0.0.1")
    }

    @Test func ipv6AndMappedAddressesAreNormalized() {
        let proxies = TrustedProxies([IPNetwork("2001:db8::/32")!, IPNetwork("127.0.0.1")!])
        #expect(
            proxies.clientAddress(peer: "::ffff:127.0.0.1", forwardedFor: ["2001:DB8::1, [2001:0db9::0001]"])
                == "2001:db9::1")
        #expect(IPNetwork("10.0.0.0/33") == nil && IPNetwork("::/129") == nil && IPNetwork("10.0.0/8") == nil)
        #expect(IPNetwork("10.1.2.3/8")?.description == "10.0.0.0/8")
    }

    @Test func theSettingNamesABadEntry() throws {
        #expect(throws: ConfigurationError.self) { try TrustedProxies(parsing: "10.0.0.0/8, 300.1.1.1") }
        do {
            _ = try TrustedProxies(parsing: "10.0.0.0/8, 300.1.1.1")
        } catch {
            #expect(error.key == "trusted-proxies" && error.message.contains("'300.1.1.1'"))
        }
        #expect(try TrustedProxies(parsing: "10.0.0.0/8, ::1").networks.count == 2)
    }

    @Test func behindATrustedProxyTheAuditLogAndTheThrottleSeeTheForwardedClient() async throws {
        // The production allowances, with a lock-out long enough that a loaded machine cannot outlast it.
        let addressLimits = ThrottleLimits(
            freeFailures: 20, baseDelay: .seconds(120), maximumDelay: .seconds(900), forgetAfter: .seconds(3600))
        try await withTestPortal(
            configure: { $0.trustedProxies = TrustedProxies([IPNetwork("127.0.0.1")!]) },
            loginGuard: LoginGuard(clock: ContinuousClock(), addressLimits: addressLimits)
        ) { portal in
            let email = try await portal.signUp()
            let forwarded = HTTPField.Name("X-Forwarded-For")!
            // An attacker at 203.0.113.9 exhausts its address's budget (20 free failures) on random accounts …
            for index in 0..<22 {
                let reply = try await portal.request(
                    .post, "/v1/sessions", json: ["email": "victim-\(index)@example.com", "password": "wrong!"],
                    headers: [forwarded: "203.0.113.9"])
                #expect(reply.status == (index < 21 ? .unauthorized : .tooManyRequests), "\(index)")
            }
            // … and the customer at another address still logs in with the right password.
            let customer = try await portal.request(
                .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password],
                headers: [forwarded: "198.51.100.7"])
            #expect(customer.status == .ok)
            let events = try await portal.services.accounts.store.auditEvents(accountID: nil, before: nil, limit: 200)
            #expect(events.contains { $0.kind == .loginFailed && $0.clientAddress == "203.0.113.9" })
            #expect(events.contains { $0.kind == .loginThrottled && $0.clientAddress == "203.0.113.9" })
            #expect(events.contains { $0.kind == .loginSucceeded && $0.clientAddress == "198.51.100.7" })
        }
    }
}
