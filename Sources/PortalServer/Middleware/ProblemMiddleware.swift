import Hummingbird
import Logging

/// Turns every error thrown below it into an RFC 9457 problem response. Unexpected errors are logged with
/// the request id and answered with an opaque 500; their text never reaches the client.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let problem = ProblemError(error)
            if problem.status.code >= 500 && problem.code == "internal-error" {
                context.logger.error(
                    "unhandled error",
                    metadata: ["error.type": "\(type(of: error))", "error": "\(String(describing: error).prefix(500))"])
            }
            return problem.response(instance: request.uri.path, requestID: context.requestID)
        }
    }
}
