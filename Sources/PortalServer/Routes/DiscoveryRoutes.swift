import Accounts
import Foundation
import Hummingbird

/// Public documents, the signing keys (JWKS) and the OpenAPI description; and, on the internal listener, the
/// Prometheus metrics.
struct DiscoveryRoutes {
    let tokens: AccessTokens
    let metrics: PortalMetrics

    func register(on router: RouterGroup<PortalRequestContext>) {
        router.get(".well-known/jwks.json") { _, _ in
            JSONResponse(headers: [.cacheControl: "public, max-age=300"], tokens.jwks)
        }
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
    }

    func registerMetrics(on router: RouterGroup<PortalRequestContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
    }
}

/// The OpenAPI 3.1 description of the API, shipped as a resource.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()
}

/// The development mailbox: pending e-mails with their tokens, so that tests and drills can finish the
/// verification and reset flows. Only registered when `developmentMailbox` is on.
struct DevelopmentMailboxRoutes {
    let accounts: AccountService

    func register(on router: RouterGroup<PortalRequestContext>) {
        router.get("dev/outbox") { request, _ in
            let recipient = request.uri.queryParameters["to"].map(String.init)
            if let recipient, recipient.utf8.count > 254 || recipient.containsControlCharacters {
                throw AccountsError(
                    .validationFailed, "The recipient is not an e-mail address.",
                    fieldErrors: [.init(field: "to", message: "must be an e-mail address")])
            }
            let messages = try await accounts.store.outbox(recipient: recipient, limit: 100)
            return JSONResponse(OutboxBody(messages: messages))
        }
    }
}
