import Foundation
import Hummingbird
import Logging
import TallyAdapters
import TallyCore

/// The routes of the two user-balance services that used to sit on the
/// vendor API, served from the same index as `/v1/users/…` with their
/// original shapes, amounts as JSON **numbers** (the exact decimal's text,
/// never through a binary floating-point value), each with its own rule:
///
/// - The first service: `GET /aggregatedData/{userId}` →
///   `{"balance","earned","spent","payout","paidOut"}` with
///   balance = earned − spent (``VendorBalance/firstServiceBalance``), and
///   `GET /aggregatedData/payouts` → `[{"userId","totalPayout"}]`, one
///   entry per user whose `payout` requests total above zero.
/// - The successor: `GET /user/{id}` → `{"userId","balance","earned",
///   "spent","paidOut","payouts"}` with balance = earned − spent − paid_out
///   and payouts = outstanding = payout − paid_out, and
///   `GET /user/{id}/payouts` → `{"userId","payouts"}`.
///
/// Deviations from the originals (docs/adapters.md): the bearer token (as
/// on every route); 404 for a user with no vendor transactions; `?unit=`
/// chooses among several units (409 without it); the payouts list is paged
/// (`limit`, `cursor`, a `Link: <…>; rel="next"` header while more follow).
struct LegacyBalanceRoutes: Sendable {
    let views: VendorViewRoutes
    var namespace: AdapterNamespace { views.namespace }

    static let defaultLimit = 1_000
    static let maxLimit = 1_000

    init(index: RecordIndex, logger: Logger) {
        views = VendorViewRoutes(index: index, logger: logger)
    }

    func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: MethodNotAllowedMiddleware(servesPath: { Self.serves($0) }))
        // A constant segment wins over a parameter: a user named "payouts"
        // is reachable through the other routes only.
        router.get("/aggregatedData/payouts") { request, _ in await payoutTotals(request) }
        router.get("/aggregatedData/{userId}") { request, context in
            await firstServiceUser(context.parameters.get("userId") ?? "", request)
        }
        router.get("/user/{id}") { request, context in
            await successorUser(context.parameters.get("id") ?? "", request)
        }
        router.get("/user/{id}/payouts") { request, context in
            await successorPayouts(context.parameters.get("id") ?? "", request)
        }
    }

    /// `GET /aggregatedData/{userId}`: the first service's figures.
    func firstServiceUser(_ rawUserId: String, _ request: Request) async -> Response {
        switch await views.userEntry(rawUserId, request) {
        case .answer(let response): return response
        case .found(_, let entry):
            let figures = entry.balance
            return AggregatorRoutes.json(
                200,
                "{\"balance\":\(figures.firstServiceBalance),\"earned\":\(figures.earned),\"spent\":\(figures.spent)"
                    + ",\"payout\":\(figures.payout),\"paidOut\":\(figures.paidOut)}")
        }
    }

    /// `GET /user/{id}`: the successor's figures.
    func successorUser(_ rawUserId: String, _ request: Request) async -> Response {
        switch await views.userEntry(rawUserId, request, userParameter: "id") {
        case .answer(let response): return response
        case .found(let userId, let entry):
            let figures = entry.balance
            var json = "{\"userId\":"
            JSONWriter.appendQuoted(userId, to: &json)
            json += ",\"balance\":\(figures.balance),\"earned\":\(figures.earned),\"spent\":\(figures.spent)"
            json += ",\"paidOut\":\(figures.paidOut),\"payouts\":\(figures.outstandingPayout)}"
            return AggregatorRoutes.json(200, json)
        }
    }

    /// `GET /user/{id}/payouts`: the successor's outstanding payout.
    func successorPayouts(_ rawUserId: String, _ request: Request) async -> Response {
        switch await views.userEntry(rawUserId, request, userParameter: "id") {
        case .answer(let response): return response
        case .found(let userId, let entry):
            var json = "{\"userId\":"
            JSONWriter.appendQuoted(userId, to: &json)
            json += ",\"payouts\":\(entry.balance.outstandingPayout)}"
            return AggregatorRoutes.json(200, json)
        }
    }

    /// `GET /aggregatedData/payouts[?unit=&limit=&cursor=]`: every user whose
    /// payout requests total above zero, by userId, as a bare array.
    func payoutTotals(_ request: Request) async -> Response {
        var limit = Self.defaultLimit
        var after: VendorPayoutsCursor.Position?
        var unit: String?
        do throws(InvalidParameter) {
            let parameters = try QueryParameters(request, known: ["limit", "cursor", "unit"])
            limit = try parameters.limit(default: Self.defaultLimit, max: Self.maxLimit)
            unit = try parameters.identifier("unit")
            if let text = parameters["cursor"] {
                guard let position = VendorPayoutsCursor.decode(text), unit == nil || position.unit == unit else {
                    throw InvalidParameter("cursor", "not a cursor returned by this API (use the Link header's as given)")
                }
                after = position
            }
        } catch {
            return ProblemDetails(error).response
        }
        let entries: [VendorViewQueries.Entry]
        do {
            entries = try await views.index.pool.read { [after, unit, limit] db in
                try VendorViewQueries.payoutTotals(after: after, unit: unit, limit: limit, db)
            }
        } catch {
            views.logger.error("vendor payout totals query failed: \(error)")
            return ProblemDetails(status: 500, title: "Internal error", detail: "the query failed; see the aggregator's log").response
        }
        // The original shape has no unit: a user listed twice would be
        // ambiguous, so several units need `unit`. Entries come in (user,
        // unit) order and one past the page is read, so a user's units are
        // adjacent here or on the page that ends just before them.
        if unit == nil, let twice = zip(entries, entries.dropFirst()).first(where: { $0.destination == $1.destination }) {
            let userId = namespace.key(ofDestination: twice.0.destination) ?? twice.0.destination
            return ProblemDetails(
                status: 409, title: "Several units",
                detail: "user \(userId) has payouts in \(twice.0.unit) and \(twice.1.unit); name one with ?unit=", parameter: "unit"
            ).response
        }
        let page = entries.prefix(limit)
        var json = "["
        for (position, entry) in page.enumerated() {
            if position > 0 { json += "," }
            json += "{\"userId\":"
            JSONWriter.appendQuoted(namespace.key(ofDestination: entry.destination) ?? entry.destination, to: &json)
            json += ",\"totalPayout\":\(entry.balance.payout)}"
        }
        json += "]"
        var response = AggregatorRoutes.json(200, json)
        if entries.count > limit, let last = page.last {
            var next = "/aggregatedData/payouts?limit=\(limit)&cursor="
            next += VendorPayoutsCursor.encode(.init(destination: last.destination, unit: last.unit))
            if let unit { next += "&unit=" + Self.queryEncoded(unit) }
            response.headers[.init("Link")!] = "<\(next)>; rel=\"next\""
        }
        return response
    }

    static func queryEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Whether `path` is one of these routes (for the 405 of other methods).
    static func serves(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].isEmpty, !parts[2].isEmpty else { return false }
        switch parts[1] {
        case "aggregatedData": return parts.count == 3
        case "user": return parts.count == 3 || (parts.count == 4 && parts[3] == "payouts")
        default: return false
        }
    }
}
