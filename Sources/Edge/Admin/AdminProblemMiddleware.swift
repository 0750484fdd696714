import Hummingbird
import NIOCore

/// Turns every error of the admin API into problem+json: the edge's own problems as they are, Hummingbird's
/// HTTP errors by status, anything else as an opaque 500 (never expected).
struct AdminProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as EdgeProblem {
            let extra: HTTPFields = problem.status == 401 ? [.wwwAuthenticate: "Bearer"] : [:]
            return problem.response(headers: extra)
        } catch is NIOTooManyBytesError {
            return EdgeProblem(status: .contentTooLarge, code: "body-too-large", detail: "The body is too large.")
                .response()
        } catch let error as HTTPError {
            let code =
                switch error.status {
                case .notFound: "not-found"
                case .methodNotAllowed: "method-not-allowed"
                case .contentTooLarge: "body-too-large"
                default: error.status.code < 500 ? "client-error" : "server-error"
                }
            return EdgeProblem(status: error.status, code: code, detail: error.body ?? error.status.reasonPhrase)
                .response()
        } catch {
            context.logger.error("admin request failed", metadata: ["error": "\(error)"])
            return EdgeProblem(status: .internalServerError, code: "internal-error", detail: "Something went wrong.")
                .response()
        }
    }
}
