import Hummingbird
import Logging

/// One log line per request with method, route, status and duration, and the request's metrics. Bodies,
/// headers and query strings are never logged: they carry passwords, tokens and e-mail addresses. A health check
/// that passed is logged at debug level only: every vantage point and the edge probe each portal several times a
/// second, and those lines were most of the log (the metrics still count them).
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let metrics: PortalMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        let routine = response.status.code < 400 && route.hasPrefix("/health/")
        context.logger.log(
            level: routine ? .debug : .info, "request",
            metadata: [
                "http.method": "\(request.method)", "http.route": "\(route)", "http.status": "\(response.status.code)",
                "duration.ms":
                    "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
            ])
        return response
    }
}
