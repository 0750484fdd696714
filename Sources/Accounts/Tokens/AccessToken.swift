import Crypto
import Foundation
import JWTKit
import Synchronization

/// The claims of an access token: a JWT signed with EdDSA (Ed25519).
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var sid: String
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    /// The region whose portal issued the token; informational, every region accepts it.
    public var region: String

    public init(
        accountID: UUID, sessionID: UUID, issuedAt: Date, expiresAt: Date, issuer: String, audience: String,
        region: String
    ) {
        self.sub = SubjectClaim(value: accountID.uuidString.lowercased())
        self.sid = sessionID.uuidString.lowercased()
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: expiresAt)
        self.iss = IssuerClaim(value: issuer)
        self.aud = AudienceClaim(value: audience)
        self.region = region
    }

    /// Signature checks are done by the key collection; expiry, issuer and audience are checked in
    /// `AccessTokens.verify`, against its injected clock.
    public func verify(using algorithm: some JWTAlgorithm) throws {}

    public var accountID: UUID? { UUID(uuidString: sub.value) }
    public var sessionID: UUID? { UUID(uuidString: sid) }
}

/// Issues and verifies access tokens with the shared signing keys.
public struct AccessTokens: Sendable {
    public var issuer: String
    public var audience: String
    public var lifetime: Duration
    private let keys: JWTKeyCollection
    private let signingKid: String
    /// Every key id of the set: a token must name one of them.
    private let kids: Set<String>
    /// The public keys in JWK form, for `/.well-known/jwks.json`.
    public let jwks: JWKSet
    /// Tokens whose signature was verified, with their claims: a client sends the same access token with every
    /// request for its 15 minutes, and the signature check is the request's largest CPU cost.
    private let verified = VerifiedTokens()

    public init(keySet: SigningKeySet, issuer: String, audience: String, lifetime: Duration) async throws {
        try keySet.validate()
        let collection = JWTKeyCollection()
        var published: [JWKSet.Key] = []
        for key in keySet.keys {
            let curveKey = try key.curveKey()
            let privateKey = EdDSA.PrivateKey(backing: curveKey)
            await collection.add(eddsa: privateKey, kid: JWKIdentifier(string: key.kid))
            published.append(
                JWKSet.Key(kid: key.kid, x: curveKey.publicKey.rawRepresentation.base64URLEncodedString()))
        }
        self.keys = collection
        self.signingKid = keySet.keys[0].kid
        self.kids = Set(keySet.keys.map(\.kid))
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.jwks = JWKSet(keys: published)
    }

    /// Signs a token for the session, valid from `now` for `lifetime`.
    public func issue(accountID: UUID, sessionID: UUID, region: String, now: Date) async throws -> String {
        let claims = AccessTokenClaims(
            accountID: accountID, sessionID: sessionID, issuedAt: now,
            expiresAt: now.addingTimeInterval(lifetime.timeInterval), issuer: issuer, audience: audience,
            region: region)
        return try await keys.sign(claims, kid: JWKIdentifier(string: signingKid))
    }

    /// The token's claims when its header names one of our keys by its `kid` (a missing or unknown `kid` is
    /// refused, never tried against a default key), its signature is valid with that key (EdDSA only), it has
    /// not expired at `now`, and issuer and audience are ours; otherwise `AccountsError.unauthenticated`.
    public func verify(_ token: String, now: Date) async throws(AccountsError) -> AccessTokenClaims {
        let claims: AccessTokenClaims
        let known = verified[token]
        if let known {
            claims = known
        } else {
            guard token.utf8.count <= 4096, let kid = Self.kid(of: token), kids.contains(kid),
                let checked = try? await keys.verify(token, as: AccessTokenClaims.self)
            else { throw .unauthenticated }
            claims = checked
        }
        guard claims.exp.value > now, claims.iat.value <= now.addingTimeInterval(60),
            claims.iss.value == issuer, claims.aud.value.contains(audience),
            claims.accountID != nil, claims.sessionID != nil
        else { throw .unauthenticated }
        if known == nil { verified[token] = claims }
        return claims
    }
}

/// Verified tokens and their claims, at most `capacity` (then it starts again empty: a flood of distinct valid
/// tokens costs what it cost without the cache). Only a token whose signature, issuer and audience checked out is
/// kept; expiry is still checked on every use. Keys are the whole token text, which only the signer can produce.
final class VerifiedTokens: Sendable {
    private let entries = Mutex<[String: AccessTokenClaims]>([:])
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    subscript(token: String) -> AccessTokenClaims? {
        get { entries.withLock { $0[token] } }
        set {
            guard let newValue else { return }
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[token] = newValue
            }
        }
    }
}

extension AccessTokens {
    /// The `kid` of a compact JWS's protected header, when the header is base64url JSON with a string `kid`.
    static func kid(of token: String) -> String? {
        struct Header: Decodable { var kid: String? }
        guard let encoded = token.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first,
            let data = Data(base64URLEncoded: String(encoded)),
            let header = try? JSONDecoder().decode(Header.self, from: data)
        else { return nil }
        return header.kid
    }
}

/// A JSON Web Key Set holding the public halves of the signing keys (RFC 7517, RFC 8037).
public struct JWKSet: Codable, Sendable, Equatable {
    public struct Key: Codable, Sendable, Equatable {
        public var kty = "OKP"
        public var crv = "Ed25519"
        public var alg = "EdDSA"
        public var use = "sig"
        public var kid: String
        public var x: String

        public init(kid: String, x: String) {
            self.kid = kid
            self.x = x
        }
    }

    public var keys: [Key]
}

extension Duration {
    /// The duration in seconds, as `TimeInterval`.
    public var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
