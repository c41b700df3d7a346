import Hummingbird
import Synchronization
import TallyRuntime

/// What stands between a caller and the API's work: a bearer token, a
/// limit on requests served at once, and a deadline per request.
///
/// - Without an accepted token: 401 problem+json with
///   `WWW-Authenticate: Bearer` (only `/openapi.yaml` is public).
/// - Past `maxConcurrentRequests`: 503 with `Retry-After`, at once, so a
///   burst of heavy queries cannot queue up behind each other.
/// - Past `requestDeadlineMilliseconds`: the work is cancelled (GRDB
///   interrupts SQLite) and the answer is 503 with `Retry-After`.
struct APIGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: BearerTokens
    let allowAnonymous: Bool
    let maxConcurrentRequests: Int
    let deadline: Duration
    private let inFlight = InFlightCounter()

    init(settings: APISettings) {
        tokens = BearerTokens(settings.tokens)
        allowAnonymous = settings.allowAnonymous && settings.tokens.isEmpty
        maxConcurrentRequests = settings.maxConcurrentRequests
        deadline = .milliseconds(settings.requestDeadlineMilliseconds)
    }

    /// Paths anyone may read: the API's own description.
    static func isPublic(_ path: String) -> Bool { path == "/openapi.yaml" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !allowAnonymous, !Self.isPublic(request.uri.path), !tokens.accepts(authorization: request.headers[.authorization]) {
            var response = ProblemDetails(
                status: 401, title: "Unauthorized",
                detail: "send Authorization: Bearer <token> (the aggregator's http.tokens or http.tokenFile; make up writes .state/api-token)"
            ).response
            response.headers[.wwwAuthenticate] = "Bearer realm=\"tally\""
            return response
        }
        guard inFlight.enter(limit: maxConcurrentRequests) else {
            return Self.busy("more than \(maxConcurrentRequests) requests at once (http.maxConcurrentRequests)")
        }
        defer { inFlight.leave() }
        let deadline = self.deadline
        return try await withoutActuallyEscaping(next) { escapable in
            let handler = UncheckedHandler(next: escapable)
            // The group waits for both children: `next` never outlives this call.
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await handler.next(request, context) }
                group.addTask {
                    try? await Task.sleep(for: deadline)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                if let response = first { return response }
                return Self.busy("the request took longer than \(deadline) (http.requestDeadlineMs); narrow it or page it")
            }
        }
    }

    static func busy(_ detail: String) -> Response {
        var response = ProblemDetails(status: 503, title: "Busy", detail: detail).response
        response.headers[.retryAfter] = "1"
        return response
    }
}

/// The next handler, carried into the task group. Safe: the group is
/// awaited before the middleware returns, and the handler is the router's.
private struct UncheckedHandler<Context: RequestContext>: @unchecked Sendable {
    let next: (Request, Context) async throws -> Response
}

/// Requests being served, shared by every connection.
private final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)

    func enter(limit: Int) -> Bool {
        let now = count.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if now > limit {
            count.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return false
        }
        return true
    }

    func leave() { count.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
}
