import Crypto
import Failover
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PortalServer
import PortalTestSupport
import Testing

/// A portal writes only on a lease answer signed by the control plane's key for its own request: a forged, a
/// replayed or a tampered answer leaves it without a lease.
@Suite struct SignedLeaseTests {
    enum Forgery: Sendable {
        case none
        case wrongKey
        case replayed
        case longerThanSigned
    }

    /// A lease server answering "granted for 3 s" to every request, signed (or forged) as `forgery` says.
    static func leaseServer(key: Curve25519.Signing.PrivateKey, _ forgery: Forgery) -> some ApplicationProtocol {
        let router = Router()
        let stranger = Curve25519.Signing.PrivateKey()
        router.post("v1/lease") { request, _ -> Response in
            struct Body: Decodable {
                var region: String
                var nonce: String?
            }
            let body = try JSONDecoder().decode(
                Body.self, from: Data(buffer: try await request.body.collect(upTo: 4096)))
            let answer = LeaseAnswer(
                decision: .granted, region: RegionName(body.region), primary: RegionName(body.region), epoch: 1,
                durationMilliseconds: 3000)
            var signed: LeaseAnswer
            switch forgery {
            case .none: signed = try LeaseSignature.sign(answer, nonce: body.nonce ?? "", with: key)
            case .wrongKey: signed = try LeaseSignature.sign(answer, nonce: body.nonce ?? "", with: stranger)
            case .replayed: signed = try LeaseSignature.sign(answer, nonce: "an-old-request", with: key)
            case .longerThanSigned:
                signed = try LeaseSignature.sign(answer, nonce: body.nonce ?? "", with: key)
                signed.durationMilliseconds = 600_000
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(signed))))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// The portal's `/health/lease` state once it has had time for several renewals.
    func leaseState(_ forgery: Forgery) async throws -> String {
        let key = Curve25519.Signing.PrivateKey()
        return try await Self.leaseServer(key: key, forgery).test(.live) { server in
            let port = try #require(server.port)
            return try await withTestPortal(configure: {
                $0.writeLeaseURL = "http://127.0.0.1:\(port)"
                $0.writeLeasePublicKey = key.publicKey.rawRepresentation.base64EncodedString()
            }) { portal in
                let deadline = ContinuousClock.now + .seconds(5)
                var state = "unknown"
                while ContinuousClock.now < deadline {
                    let reply = try await portal.internalRequest(.get, "/health/lease")
                    state = reply.json["state"] as? String ?? "?"
                    if state == "held" { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return state
            }
        }
    }

    @Test func aCorrectlySignedAnswerGrantsTheLease() async throws {
        #expect(try await leaseState(.none) == "held")
    }

    @Test(arguments: [Forgery.wrongKey, .replayed, .longerThanSigned])
    func aForgedReplayedOrTamperedAnswerGrantsNothing(_ forgery: Forgery) async throws {
        #expect(try await leaseState(forgery) == "unknown")
    }
}
