import Hummingbird

/// Answers 405 (with `Allow: GET`) to any method other than GET/HEAD on a
/// path the API serves, whatever the method's name (TRACE, QUERY, …):
/// the router alone would say 404, which wrongly suggests the path is absent.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The paths this instance answers for: the core API's by default; a
    /// view registered from its own file passes its own.
    var servesPath: @Sendable (String) -> Bool = { Self.isServedPath($0) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, servesPath(request.uri.path) else {
            return try await next(request, context)
        }
        var response = ProblemDetails(
            status: 405, title: "Method not allowed", detail: "\(request.uri.path) only answers GET"
        ).response
        response.headers[.allow] = "GET"
        return response
    }

    static func isServedPath(_ path: String) -> Bool {
        if ["/openapi.yaml", "/v1/aggregations"].contains(path) { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[0].isEmpty && parts[1] == "v1" && parts[2] == "destinations"
            && !parts[3].isEmpty && parts[4] == "summary"
    }
}
