import Crypto
import Foundation

/// Lease answers signed with the control plane's Ed25519 key (DESIGN.md invariant 1): a portal writes only on an
/// answer it can verify, so nobody who can reach a portal's lease URL (or sits on its path) can grant it a lease.
///
/// The signature covers the region, the decision, the primary, the epoch, the duration and the portal's nonce:
/// the portal sends a fresh random nonce with every request and accepts only an answer that names it, so an old
/// signed answer cannot be replayed. The duration counts from the portal's own sending of that request, so no
/// wall clock has to agree.
public enum LeaseSignature {
    /// A fresh nonce for one request (16 random bytes, base64).
    public static func nonce() -> String {
        Data((0..<16).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString()
    }

    static func message(_ answer: LeaseAnswer, nonce: String) -> Data {
        Data(
            [
                "customer-portal-lease-v1", answer.region.rawValue, answer.decision.rawValue, answer.primary.rawValue,
                String(answer.epoch), String(answer.durationMilliseconds), nonce,
            ].joined(separator: "\n").utf8)
    }

    /// `answer` with its signature for the request that carried `nonce`.
    public static func sign(_ answer: LeaseAnswer, nonce: String, with key: Curve25519.Signing.PrivateKey)
        throws -> LeaseAnswer
    {
        var signed = answer
        signed.nonce = nonce
        signed.signature = try key.signature(for: message(answer, nonce: nonce)).base64EncodedString()
        return signed
    }

    /// Whether `answer` answers the request that carried `nonce`, for `region`, signed by `key`.
    public static func verify(
        _ answer: LeaseAnswer, region: RegionName, nonce: String, key: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard answer.region == region, answer.nonce == nonce, let text = answer.signature,
            let signature = Data(base64Encoded: text)
        else { return false }
        return key.isValidSignature(signature, for: message(answer, nonce: nonce))
    }

    /// A key from its base64 raw representation; nil when the text is not one.
    public static func privateKey(base64 text: String) -> Curve25519.Signing.PrivateKey? {
        Data(base64Encoded: text).flatMap { try? Curve25519.Signing.PrivateKey(rawRepresentation: $0) }
    }

    /// A new private key, base64 raw (what a deployment keeps secret).
    public static func newPrivateKey() -> String {
        Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
    }

    /// The public half of a base64 private key, base64 raw (what the portals are given); nil when it is not a key.
    public static func publicKey(ofPrivate text: String) -> String? {
        privateKey(base64: text)?.publicKey.rawRepresentation.base64EncodedString()
    }

    public static func publicKey(base64 text: String) -> Curve25519.Signing.PublicKey? {
        Data(base64Encoded: text).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }
}
