import Crypto
import Foundation
import NIOPosix
import Testing

@testable import Accounts

@Suite struct AccessTokenTests {
    let keys = SigningKeySet(keys: [.generate(), .generate(now: Date(timeIntervalSince1970: 1_700_000_000))])
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func tokens(_ set: SigningKeySet? = nil) async throws -> AccessTokens {
        try await AccessTokens(keySet: set ?? keys, issuer: "iss", audience: "aud", lifetime: .seconds(900))
    }

    @Test func aTokenVerifiesUntilItExpires() async throws {
        let tokens = try await tokens()
        let account = UUID()
        let session = UUID()
        let token = try await tokens.issue(accountID: account, sessionID: session, region: "eu-west-1", now: now)
        let claims = try await tokens.verify(token, now: now.addingTimeInterval(899))
        #expect(claims.accountID == account && claims.sessionID == session && claims.region == "eu-west-1")
        await #expect(throws: AccountsError.self) { try await tokens.verify(token, now: now.addingTimeInterval(901)) }
    }

    /// Verified tokens are remembered (a client sends the same one with every request), but only the exact text that
    /// verified: a changed payload or signature is checked, and fails, like any other.
    @Test func aRememberedTokenIsTheExactTextThatVerified() async throws {
        let tokens = try await tokens()
        let token = try await tokens.issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        _ = try await tokens.verify(token, now: now)
        _ = try await tokens.verify(token, now: now)
        var parts = token.split(separator: ".").map(String.init)
        let other = try await tokens.issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        parts[1] = String(other.split(separator: ".")[1])  // another payload under the first signature
        await #expect(throws: AccountsError.self) { try await tokens.verify(parts.joined(separator: "."), now: now) }
        parts = token.split(separator: ".").map(String.init)
        parts[2] = String(parts[2].reversed())
        await #expect(throws: AccountsError.self) { try await tokens.verify(parts.joined(separator: "."), now: now) }
    }

    @Test func theRememberedTokensAreBounded() {
        let cache = VerifiedTokens(capacity: 2)
        let claims = AccessTokenClaims(
            accountID: UUID(), sessionID: UUID(), issuedAt: now, expiresAt: now, issuer: "i", audience: "a",
            region: "r")
        for name in ["a", "b", "c"] { cache[name] = claims }
        #expect(cache["c"] == claims && cache["a"] == nil)
    }

    @Test func theHeaderNamesTheKeyAndEdDSA() async throws {
        let token = try await tokens().issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        let header =
            try JSONSerialization.jsonObject(
                with: Data(base64URLEncoded: String(token.split(separator: ".")[0]))!) as! [String: Any]
        #expect(header["alg"] as? String == "EdDSA")
        #expect(header["kid"] as? String == keys.keys[0].kid)
    }

    @Test func aTokenSignedWithThePreviousKeyStillVerifies() async throws {
        let previous = SigningKeySet(keys: [keys.keys[1]])
        let token = try await tokens(previous).issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        _ = try await tokens().verify(token, now: now)
    }

    @Test func aTokenFromAnUnknownKeyIsRefused() async throws {
        let stranger = SigningKeySet(keys: [.generate()])
        let token = try await tokens(stranger).issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        await #expect(throws: AccountsError.self) { try await tokens().verify(token, now: now) }
    }

    /// A token signed with our own signing key, but whose header has no `kid` or one we do not have: without
    /// the check, the key collection would try its default key and accept it.
    @Test func aMissingOrUnknownKidIsRefusedEvenWithAValidSignature() async throws {
        let tokens = try await tokens()
        let token = try await tokens.issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        let payload = String(token.split(separator: ".")[1])
        let key = try keys.keys[0].curveKey()
        func signed(header: String) throws -> String {
            let input = Data(header.utf8).base64URLEncodedString() + "." + payload
            return input + "." + (try key.signature(for: Data(input.utf8))).base64URLEncodedString()
        }
        // The same key and header with its kid: accepted, so the signing here is right.
        _ = try await tokens.verify(
            try signed(header: #"{"alg":"EdDSA","typ":"JWT","kid":"\#(keys.keys[0].kid)"}"#), now: now)
        for header in [
            #"{"alg":"EdDSA","typ":"JWT"}"#, #"{"alg":"EdDSA","typ":"JWT","kid":"someone-else"}"#,
            #"{"alg":"EdDSA","typ":"JWT","kid":7}"#,
        ] {
            let forged = try signed(header: header)
            await #expect(throws: AccountsError.self, "\(header)") { try await tokens.verify(forged, now: now) }
        }
    }

    @Test func aTamperedPayloadIsRefused() async throws {
        let tokens = try await tokens()
        let token = try await tokens.issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        var parts = token.split(separator: ".").map(String.init)
        var payload = try JSONSerialization.jsonObject(with: Data(base64URLEncoded: parts[1])!) as! [String: Any]
        payload["sub"] = UUID().uuidString.lowercased()
        parts[1] = try JSONSerialization.data(withJSONObject: payload).base64URLEncodedString()
        await #expect(throws: AccountsError.self) { try await tokens.verify(parts.joined(separator: "."), now: now) }
    }

    @Test func algNoneIsRefused() async throws {
        let tokens = try await tokens()
        let token = try await tokens.issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        let parts = token.split(separator: ".").map(String.init)
        let header = Data(#"{"alg":"none","typ":"JWT","kid":"\#(keys.keys[0].kid)"}"#.utf8).base64URLEncodedString()
        for forged in ["\(header).\(parts[1]).", "\(header).\(parts[1])", "\(header).\(parts[1]).\(parts[2])"] {
            await #expect(throws: AccountsError.self) { try await tokens.verify(forged, now: now) }
        }
    }

    @Test func wrongIssuerOrAudienceIsRefused() async throws {
        let other = try await AccessTokens(keySet: keys, issuer: "other", audience: "aud", lifetime: .seconds(900))
        let token = try await other.issue(accountID: UUID(), sessionID: UUID(), region: "r", now: now)
        await #expect(throws: AccountsError.self) { try await tokens().verify(token, now: now) }
    }

    @Test(arguments: ["", "garbage", "a.b.c", String(repeating: "A", count: 10_000)])
    func garbageIsRefused(_ token: String) async throws {
        await #expect(throws: AccountsError.self) { try await tokens().verify(token, now: now) }
    }

    @Test func jwksPublishesEveryPublicKey() async throws {
        let jwks = try await tokens().jwks
        #expect(jwks.keys.map(\.kid) == keys.keys.map(\.kid))
        #expect(
            jwks.keys.allSatisfy { $0.kty == "OKP" && $0.crv == "Ed25519" && Data(base64URLEncoded: $0.x)?.count == 32 }
        )
    }
}

@Suite struct SigningKeySetTests {
    @Test func roundTripsThroughTheKeyFileFormat() throws {
        let set = SigningKeySet(keys: [.generate()])
        #expect(try SigningKeySet.decode(try set.encoded()) == set)
    }

    @Test func rotationPutsTheNewKeyFirstAndKeepsABound() {
        var set = SigningKeySet(keys: [.generate()])
        for _ in 0..<5 { set = set.rotated(keep: 3) }
        #expect(set.keys.count == 3)
    }

    @Test(arguments: [
        #"{"keys":[]}"#, "not json", #"{"keys":[{"kid":"a","privateKey":"short","createdAt":"2026-01-01T00:00:00Z"}]}"#,
    ])
    func badKeyFilesAreRejected(_ text: String) {
        #expect(throws: AccountsError.self) { try SigningKeySet.decode(Data(text.utf8)) }
    }

    @Test func opaqueTokensAreRandomAndNeverPrintTheirSecret() {
        let a = OpaqueToken.generate()
        let b = OpaqueToken.generate()
        #expect(a != b && a.rawValue.count == 43 && a.hash.count == 32)
        #expect(!"\(a)".contains(a.rawValue))
    }
}

@Suite struct PasswordHasherTests {
    @Test func hashesVerifyAndLongOrNulPasswordsAreNotTruncated() async throws {
        let hasher = PasswordHasher(cost: 4)
        let long = String(repeating: "a", count: 100)
        let hash = try await hasher.hash(long)
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(try await hasher.verify(long, hash: hash))
        // bcrypt alone would read only 72 bytes; the pre-hash makes the 73rd character count.
        #expect(try await !hasher.verify(String(repeating: "a", count: 99) + "b", hash: hash))
        let withNul = try await hasher.hash("abc\u{0}def-ghi-jkl")
        #expect(try await !hasher.verify("abc\u{0}xyz-ghi-jkl", hash: withNul))
        #expect(try await !hasher.verify("x", hash: "not a hash"))
    }

    @Test func hashesPastTheLimitAreShedInsteadOfQueued() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        // Hold the pool's only thread, so that admitted hashes wait in its queue.
        let gate = DispatchSemaphore(value: 0)
        pool.submit { _ in gate.wait() }
        // Only the count bounds here: the queued hashes may wait as long as a loaded machine makes them.
        let hasher = PasswordHasher(cost: 4, maximumPending: 2, maximumWait: .seconds(3600), threadPool: pool)
        let queued = (0..<2).map { index in Task { try await hasher.hash("queued passphrase \(index)") } }
        for _ in 0..<100_000 where hasher.pendingCount < 2 { await Task.yield() }
        #expect(hasher.pendingCount == 2)
        await #expect(throws: AccountsError.self) { try await hasher.verify("one too many", hash: "x") }
        gate.signal()
        for task in queued { #expect(try await task.value.hasPrefix("$2b$04$")) }
        #expect(hasher.pendingCount == 0)
        try await pool.shutdownGracefully()
    }

    @Test func aHashThatWaitedPastTheBoundIsShedWhenItsTurnComes() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let gate = DispatchSemaphore(value: 0)
        pool.submit { _ in gate.wait() }
        let hasher = PasswordHasher(cost: 4, maximumWait: .zero, threadPool: pool)
        let stale = Task { try await hasher.hash("a passphrase that waits") }
        for _ in 0..<100_000 where hasher.pendingCount < 1 { await Task.yield() }
        try await Task.sleep(for: .milliseconds(5))
        gate.signal()
        await #expect(throws: AccountsError.self) { try await stale.value }
        #expect(hasher.pendingCount == 0)
        // With time to spare, the same hasher does hash.
        let patient = PasswordHasher(cost: 4, maximumWait: .seconds(60), threadPool: pool)
        #expect(try await patient.hash("a passphrase with time").hasPrefix("$2b$04$"))
        try await pool.shutdownGracefully()
    }

    @Test func theDefaultCostIsTwelve() {
        #expect(PasswordHasher().cost == 12)
    }
}
