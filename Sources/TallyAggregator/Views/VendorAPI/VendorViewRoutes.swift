import Foundation
import Hummingbird
import Logging
import TallyAdapters
import TallyCore

/// The per-user balance and payout views of the vendor API over the vendor adapter's
/// records (``AdapterNamespace/vendor``), answered from the index:
///
/// - `GET /v1/users/{userId}/balance[?unit=]`: `balance, earned, spent,
///   payout, paidOut` (see ``VendorBalance``), exact decimal strings;
///   404 for a user with no vendor transactions (in that unit), 409 when the
///   user has several units and none was named.
/// - `GET /v1/users/payouts[?limit=&cursor=]`: users whose payout − paid_out
///   is above zero, with the amounts, by userId then unit, paged.
struct VendorViewRoutes: Sendable {
    let index: RecordIndex
    let logger: Logger
    let namespace = AdapterNamespace.vendor

    static let defaultLimit = 100
    static let maxLimit = 1_000

    func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: MethodNotAllowedMiddleware(servesPath: { Self.serves($0) }))
        router.get("/v1/users/payouts") { request, _ in await payouts(request) }
        router.get("/v1/users/{userId}/balance") { request, context in
            await balance(context.parameters.get("userId") ?? "", request)
        }
    }

    func balance(_ rawUserId: String, _ request: Request) async -> Response {
        let found: (userId: String, entry: VendorViewQueries.Entry)
        switch await userEntry(rawUserId, request) {
        case .found(let userId, let entry): found = (userId, entry)
        case .answer(let response): return response
        }
        let chosen = found.entry
        var json = "{\"userId\":"
        JSONWriter.appendQuoted(found.userId, to: &json)
        json += ",\"unit\":"
        JSONWriter.appendQuoted(chosen.unit, to: &json)
        let figures = chosen.balance
        json += ",\"count\":\(chosen.count),\"balance\":\"\(figures.balance)\",\"earned\":\"\(figures.earned)\""
        json += ",\"spent\":\"\(figures.spent)\",\"payout\":\"\(figures.payout)\",\"paidOut\":\"\(figures.paidOut)\"}"
        return AggregatorRoutes.json(200, json)
    }

    /// One user's figures in one unit, or the problem to answer instead.
    enum UserLookup {
        case found(userId: String, entry: VendorViewQueries.Entry)
        case answer(Response)
    }

    /// Reads the user of a path segment (percent-decoded, bounded) and
    /// chooses the unit: the `unit` query parameter, else the user's only
    /// one. 400 for a bad parameter, 404 for a user with no vendor
    /// transactions (in that unit), 409 for several units and none named.
    /// `userParameter` names the path parameter in a 400.
    func userEntry(_ rawUserId: String, _ request: Request, userParameter: String = "userId") async -> UserLookup {
        let parameters: QueryParameters
        do {
            parameters = try QueryParameters(request, known: ["unit"])
            _ = try parameters.identifier("unit")
        } catch {
            return .answer(ProblemDetails(error).response)
        }
        guard let userId = rawUserId.removingPercentEncoding, !userId.isEmpty else {
            return .answer(ProblemDetails(InvalidParameter(userParameter, "not a valid percent-encoded userId")).response)
        }
        let maxUserLength = AggregationQueryParser.maxFilterLength - namespace.destinationPrefix.unicodeScalars.count
        guard userId.unicodeScalars.count <= maxUserLength else {
            return .answer(ProblemDetails(InvalidParameter(userParameter, "longer than \(maxUserLength) characters")).response)
        }
        let destination = namespace.destination(userId)
        let entries: [VendorViewQueries.Entry]
        do {
            entries = try await index.pool.read { db in try VendorViewQueries.user(destination, db) }
        } catch {
            logger.error("vendor balance of \(userId) failed: \(error)")
            return .answer(ProblemDetails(status: 500, title: "Internal error", detail: "the query failed; see the aggregator's log").response)
        }
        if let unit = parameters["unit"] {
            guard let entry = entries.first(where: { $0.unit == unit }) else {
                return .answer(ProblemDetails(status: 404, title: "Not found", detail: "no vendor transactions for user \(userId) in \(unit)").response)
            }
            return .found(userId: userId, entry: entry)
        }
        guard let first = entries.first else {
            return .answer(ProblemDetails(status: 404, title: "Not found", detail: "no vendor transactions for user \(userId)").response)
        }
        guard entries.count == 1 else {
            let units = entries.map(\.unit).joined(separator: ", ")
            return .answer(ProblemDetails(
                status: 409, title: "Several units",
                detail: "user \(userId) has amounts in \(units); name one with ?unit=", parameter: "unit"
            ).response)
        }
        return .found(userId: userId, entry: first)
    }

    func payouts(_ request: Request) async -> Response {
        var limit = Self.defaultLimit
        var after: VendorPayoutsCursor.Position?
        do throws(InvalidParameter) {
            let parameters = try QueryParameters(request, known: ["limit", "cursor"])
            limit = try parameters.limit(default: Self.defaultLimit, max: Self.maxLimit)
            if let text = parameters["cursor"] {
                guard let position = VendorPayoutsCursor.decode(text) else {
                    throw InvalidParameter("cursor", "not a cursor returned by this API (use nextCursor as given)")
                }
                after = position
            }
        } catch {
            return ProblemDetails(error).response
        }
        let page: (entries: [VendorViewQueries.Entry], more: Bool)
        do {
            page = try await index.pool.read { [after, limit] db in try VendorViewQueries.outstanding(after: after, limit: limit, db) }
        } catch {
            logger.error("vendor payouts query failed: \(error)")
            return ProblemDetails(status: 500, title: "Internal error", detail: "the query failed; see the aggregator's log").response
        }
        var json = "{\"payouts\":["
        for (position, entry) in page.entries.enumerated() {
            if position > 0 { json += "," }
            json += "{\"userId\":"
            JSONWriter.appendQuoted(namespace.key(ofDestination: entry.destination) ?? entry.destination, to: &json)
            json += ",\"unit\":"
            JSONWriter.appendQuoted(entry.unit, to: &json)
            let figures = entry.balance
            json += ",\"outstanding\":\"\(figures.outstandingPayout)\",\"payout\":\"\(figures.payout)\",\"paidOut\":\"\(figures.paidOut)\"}"
        }
        json += "]"
        if page.more, let last = page.entries.last {
            json += ",\"nextCursor\":"
            JSONWriter.appendQuoted(VendorPayoutsCursor.encode(.init(destination: last.destination, unit: last.unit)), to: &json)
        }
        json += "}"
        return AggregatorRoutes.json(200, json)
    }

    /// Whether `path` is one of these routes (for the 405 of other methods).
    static func serves(_ path: String) -> Bool {
        if path == "/v1/users/payouts" { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[0].isEmpty && parts[1] == "v1" && parts[2] == "users" && !parts[3].isEmpty
            && parts[4] == "balance"
    }
}
