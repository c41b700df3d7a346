import Hummingbird

/// 405 with `Allow: GET` for other methods on the readings and matches
/// paths (as ``MethodNotAllowedMiddleware`` does for the core API's paths),
/// instead of the router's misleading 404.
struct ReadingsMethodGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, Self.isServedPath(request.uri.path) else {
            return try await next(request, context)
        }
        var response = ProblemDetails(
            status: 405, title: "Method not allowed", detail: "\(request.uri.path) only answers GET"
        ).response
        response.headers[.allow] = "GET"
        return response
    }

    static func isServedPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].isEmpty, parts[1] == "v1" else { return false }
        switch parts.count {
        case 3: return parts[2] == "matches"
        case 4: return (parts[2] == "readings" || parts[2] == "matches") && !parts[3].isEmpty
        case 5: return parts[2] == "matches" && !parts[3].isEmpty && (parts[4] == "runs" || parts[4] == "totals")
        default: return false
        }
    }
}
