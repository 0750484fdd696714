import Foundation
import HTTPTypes
import PortalServer
import PortalTestSupport
import Testing

/// Metrics, replication state and the write lease tell an attacker what to aim at: they are served on the internal
/// listener only, and so, when configured, is the admin API.
@Suite struct InternalListenerTests {
    @Test func metricsRegionHealthAndLeaseAreServedOnTheInternalListenerOnly() async throws {
        try await withTestPortal { portal in
            for path in ["/metrics", "/health/region", "/health/lease"] {
                let outside = try await portal.request(.get, path)
                #expect(outside.status == .notFound, "\(path) on the public listener")
                #expect(outside.headers[.contentType] == "application/problem+json")
                let inside = try await portal.internalRequest(.get, path)
                #expect(inside.status == .ok, "\(path) on the internal listener")
            }
            // What the edge probes stays public, and answers inside too.
            for path in ["/health/live", "/health/ready"] {
                #expect(try await portal.request(.get, path).status == .ok)
                #expect(try await portal.internalRequest(.get, path).status == .ok)
            }
            // The customer API is not on the internal listener.
            #expect(try await portal.internalRequest(.get, "/v1/me").status == .notFound)
            #expect(portal.services.internalPort.value != nil)
        }
    }

    @Test func theAdminAPICanBeBoundToTheInternalListener() async throws {
        try await withTestPortal(configure: { $0.adminOnInternal = true }) { portal in
            let admin = try await portal.adminToken()
            let outside = try await portal.request(.get, "/v1/admin/accounts", token: admin)
            #expect(outside.status == .notFound)
            let inside = try await portal.internalRequest(.get, "/v1/admin/accounts", token: admin)
            #expect(inside.status == .ok && inside.json["accounts"] != nil)
            // The internal listener is no way around authentication.
            #expect(try await portal.internalRequest(.get, "/v1/admin/accounts").status == .unauthorized)
            let customer = try await portal.logIn(try await portal.signUp()).access
            #expect(try await portal.internalRequest(.get, "/v1/admin/accounts", token: customer).status == .forbidden)
        }
    }

    @Test func byDefaultTheAdminAPIIsPublicAndNotInternal() async throws {
        try await withTestPortal { portal in
            let admin = try await portal.adminToken()
            #expect(try await portal.request(.get, "/v1/admin/accounts", token: admin).status == .ok)
            #expect(try await portal.internalRequest(.get, "/v1/admin/accounts", token: admin).status == .notFound)
        }
    }
}
