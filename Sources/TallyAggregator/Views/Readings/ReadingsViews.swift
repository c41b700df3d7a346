import Foundation
import Hummingbird
import Logging
import TallyAdapters
import TallyCore

/// The API of the meter-readings system (electricity readings and the matching algorithm's
/// output), over the aggregator's index. Registered by ``AggregatorRoutes``
/// with one call; described in `openapi/aggregator.yaml`.
///
/// - `GET /v1/readings/{icp}?from&to`: raw readings for an ICP and local dates.
/// - `GET /v1/matches/{icp}/runs`: the algorithm runs that have output for an ICP.
/// - `GET /v1/matches/{icp}/totals?from&to&side&run`: aggregated output for
///   an ICP, dates and side (both sides without `side`).
/// - `GET /v1/matches/{icp}?run&limit&cursor`: aggregated output per day, paged.
/// - `GET /v1/matches?from&to&run&side&limit&cursor`: output for dates by key (ICP), paged.
///
/// Matches default to the latest run (per ICP, among the rows a query looks
/// at) and can name one with `run=`.
public struct ReadingsViews: Sendable {
    let queries: ReadingsQueries
    let logger: Logger
    static let maxDaysPerPage = 366
    static let maxIcpsPerPage = 1_000

    public init(index: RecordIndex, logger: Logger) {
        queries = ReadingsQueries(index: index)
        self.logger = logger
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: MethodNotAllowedMiddleware(servesPath: { ReadingsPaths.isServed($0) }))
        router.get("/v1/readings/{icp}") { request, context in
            await answer { () async throws -> String in try await readings(request, context.parameters.get("icp")) }
        }
        router.get("/v1/matches/{icp}/runs") { _, context in
            await answer { () async throws -> String in try await runs(context.parameters.get("icp")) }
        }
        router.get("/v1/matches/{icp}/totals") { request, context in
            await answer { () async throws -> String in try await totals(request, context.parameters.get("icp")) }
        }
        router.get("/v1/matches/{icp}") { request, context in
            await answer { () async throws -> String in try await days(request, context.parameters.get("icp")) }
        }
        router.get("/v1/matches") { request, _ in
            await answer { () async throws -> String in try await byKey(request) }
        }
    }

    /// 200 with the body, a 400 naming a bad parameter, or a logged 500.
    private func answer(_ body: () async throws -> String) async -> Response {
        do {
            let json = try await body()
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        } catch let invalid as InvalidParameter {
            return ProblemDetails(invalid).response
        } catch {
            logger.error("readings view failed: \(error)")
            return ProblemDetails(status: 500, title: "Internal error", detail: "the query failed; see the aggregator's log").response
        }
    }

    // MARK: Handlers

    func readings(_ request: Request, _ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let parameters = try QueryParameters(request, known: ["from", "to"])
        let range = try LocalDateRange.parse(from: parameters["from"], to: parameters["to"], required: true)!
        let rows = try await queries.readings(icp: icp, range: range)
        return ReadingsJSON.readings(icp: icp, range: range, rows: rows)
    }

    func runs(_ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let entries = MatchSelection.entries(try await queries.matches(icp: icp, range: nil))
        return ReadingsJSON.runs(icp: icp, MatchSelection.runs(entries))
    }

    func totals(_ request: Request, _ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let parameters = try QueryParameters(request, known: ["from", "to", "side", "run"])
        let range = try LocalDateRange.parse(from: parameters["from"], to: parameters["to"], required: true, maxDays: nil)!
        let side = try parameters.side()
        let named = try parameters.run()
        let entries = MatchSelection.entries(try await queries.matches(icp: icp, range: range))
            .filter { range.contains($0.reference.date) }
        let run = MatchSelection.chosenRun(entries, named: named)
        let sides = side.map { [$0] } ?? MatchSide.allCases
        let perSide = sides.map { side in
            (side, run.map { MatchSelection.days(entries, run: $0, side: side, range: range) } ?? [])
        }
        return ReadingsJSON.totals(icp: icp, run: run, range: range, perSide)
    }

    func days(_ request: Request, _ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let parameters = try QueryParameters(request, known: ["run", "limit", "cursor"])
        let named = try parameters.run()
        let limit = try parameters.limit(default: 31, max: Self.maxDaysPerPage)
        var after: String?
        if let cursor = parameters["cursor"] {
            _ = try LocalDateRange.day(cursor, "cursor")
            after = cursor
        }
        let entries = MatchSelection.entries(try await queries.matches(icp: icp, range: nil))
        let run = MatchSelection.chosenRun(entries, named: named)
        var rows: [(date: String, buyer: MatchSelection.DayTotal?, seller: MatchSelection.DayTotal?)] = []
        if let run {
            let buyer = Dictionary(uniqueKeysWithValues: MatchSelection.days(entries, run: run, side: .buyer, range: nil).map { ($0.date, $0) })
            let seller = Dictionary(uniqueKeysWithValues: MatchSelection.days(entries, run: run, side: .seller, range: nil).map { ($0.date, $0) })
            let dates = Set(buyer.keys).union(seller.keys).filter { date in after.map { date > $0 } ?? true }.sorted()
            rows = dates.map { ($0, buyer[$0], seller[$0]) }
        }
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last?.date : nil
        return ReadingsJSON.days(icp: icp, run: run, page, nextCursor: next)
    }

    func byKey(_ request: Request) async throws -> String {
        let parameters = try QueryParameters(request, known: ["from", "to", "side", "run", "limit", "cursor"])
        let range = try LocalDateRange.parse(from: parameters["from"], to: parameters["to"], required: true)!
        let side = try parameters.side()
        let named = try parameters.run()
        let limit = try parameters.limit(default: 100, max: Self.maxIcpsPerPage)
        var after: String?
        if let cursor = parameters["cursor"] {
            do {
                after = try QueryParameters.icp(cursor)
            } catch {
                throw InvalidParameter("cursor", "not a cursor returned by this API (use nextCursor as given)")
            }
        }
        let groups = try await queries.matchesByKey(range: range, afterIcp: after, limit: limit)
        var items: [ReadingsJSON.KeyTotals] = []
        for group in groups.prefix(limit) {
            let entries = MatchSelection.entries(group.rows).filter { range.contains($0.reference.date) }
            guard let run = MatchSelection.chosenRun(entries, named: named) else { continue }
            let sides = side.map { [$0] } ?? MatchSide.allCases
            let totals = sides.map { side in
                let sum = MatchSelection.sum(MatchSelection.days(entries, run: run, side: side, range: range))
                return (side, sum.count, sum.total)
            }
            guard totals.contains(where: { $0.1 > 0 }) else { continue }
            items.append(ReadingsJSON.KeyTotals(icp: group.icp, run: run, sides: totals))
        }
        let next = groups.count > limit ? groups[limit - 1].icp : nil
        return ReadingsJSON.byKey(range: range, items, nextCursor: next)
    }
}
