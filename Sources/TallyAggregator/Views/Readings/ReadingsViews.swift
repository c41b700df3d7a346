import Foundation
import Hummingbird
import Logging
import TallyAdapters
import TallyCore

/// The API of the meter-readings system (electricity readings and the matching algorithm's
/// output), over the aggregator's index. Registered by ``AggregatorRoutes``
/// with one call; described in `openapi/aggregator.yaml`.
///
/// - `GET /v1/readings/{icp}?from&to&limit&cursor`: raw readings for an ICP
///   and local dates, paged; the totals cover the whole range.
/// - `GET /v1/matches/{icp}/runs?limit&cursor`: the algorithm runs that have
///   output for an ICP, paged.
/// - `GET /v1/matches/{icp}/totals?from&to&side&run`: aggregated output for
///   an ICP, dates (at most 366 days, so at most 2 × 366 day entries) and
///   side (both sides without `side`).
/// - `GET /v1/matches/{icp}?run&limit&cursor`: aggregated output per day, paged.
/// - `GET /v1/matches?from&to&run&side&limit&cursor`: output rows and totals
///   for dates by key (ICP), paged by whole ICPs (``KeyPageLimit``).
///
/// Matches default to the latest run (per ICP, among the rows a query looks
/// at) and can name one with `run=`.
public struct ReadingsViews: Sendable {
    let queries: ReadingsQueries
    let logger: Logger
    static let maxDaysPerPage = 366
    static let maxIcpsPerPage = 1_000
    /// Where a page of the output by key ends early (``KeyPageLimit``).
    static let maxRowsReadPerKeyPage = 10_000

    public init(index: RecordIndex, logger: Logger) {
        queries = ReadingsQueries(index: index)
        self.logger = logger
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: MethodNotAllowedMiddleware(servesPath: { ReadingsPaths.isServed($0) }))
        router.get("/v1/readings/{icp}") { request, context in
            await answer { () async throws -> String in try await readings(request, context.parameters.get("icp")) }
        }
        router.get("/v1/matches/{icp}/runs") { request, context in
            await answer { () async throws -> String in try await runs(request, context.parameters.get("icp")) }
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

    /// Readings per page, by default and at most: the default holds 92
    /// days of quarter-hourly reads in both directions.
    static let readingsPerPage = (default: 10_000, max: 10_000)
    static let runsPerPage = (default: 100, max: 1_000)
    /// The longest range of `/v1/matches/{icp}/totals`: its answer lists
    /// every day of the range per side, so at most 2 × 366 days.
    static let maxTotalsDays = 366

    func readings(_ request: Request, _ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let parameters = try QueryParameters(request, known: ["from", "to", "limit", "cursor"])
        let range = try LocalDateRange.parse(from: parameters["from"], to: parameters["to"], required: true)!
        let limit = try parameters.limit(default: Self.readingsPerPage.default, max: Self.readingsPerPage.max)
        let cursor = PageCursor(route: "readings", binding: PageCursor.binding([("icp", icp), ("from", range.from), ("to", range.to)]))
        let after = try cursor.parameter(parameters["cursor"], arity: 3) { keys -> ReadingsQueries.ReadingPosition? in
            guard let ms = keys[0].integer, let sub = keys[1].integer, (0..<1_000_000).contains(sub), let id = keys[2].text else { return nil }
            return ReadingsQueries.ReadingPosition(time: IndexedTime(milliseconds: ms, subMillisecondNanos: sub), recordId: id)
        }
        let page = try await queries.readings(icp: icp, range: range, after: after, limit: limit)
        let next = page.more ? page.last.map { cursor.encode([.integer($0.time.milliseconds), .integer($0.time.subMillisecondNanos), .text($0.recordId)]) } : nil
        return ReadingsJSON.readings(
            icp: icp, range: range, rows: page.rows, count: page.count, consumption: page.consumption, injection: page.injection,
            nextCursor: next)
    }

    func runs(_ request: Request, _ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let parameters = try QueryParameters(request, known: ["limit", "cursor"])
        let limit = try parameters.limit(default: Self.runsPerPage.default, max: Self.runsPerPage.max)
        let cursor = PageCursor(route: "matches/runs", binding: PageCursor.binding([("icp", icp)]))
        let after = try cursor.parameter(parameters["cursor"], arity: 1) { $0[0].text }
        let runs = try await queries.runs(icp: icp, afterRun: after, limit: limit)
        let page = Array(runs.prefix(limit))
        let next = runs.count > limit ? page.last.map { cursor.encode([.text($0.run)]) } : nil
        return ReadingsJSON.runs(icp: icp, page, nextCursor: next)
    }

    func totals(_ request: Request, _ rawIcp: String?) async throws -> String {
        let icp = try QueryParameters.icp(rawIcp)
        let parameters = try QueryParameters(request, known: ["from", "to", "side", "run"])
        let range = try LocalDateRange.parse(from: parameters["from"], to: parameters["to"], required: true, maxDays: Self.maxTotalsDays)!
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
        // The cursor carries the run it paged, so a run imported between two
        // pages does not switch the list under the client.
        let cursor = PageCursor(route: "matches/days", binding: PageCursor.binding([("icp", icp), ("run", named)]))
        let after = try cursor.parameter(parameters["cursor"], arity: 2) { keys -> (run: String, date: String)? in
            guard let run = keys[0].text, let date = keys[1].text else { return nil }
            return (run, date)
        }
        let run: String?
        if let after { run = after.run } else if let named { run = named } else {
            run = try await queries.runs(icp: icp, afterRun: nil, limit: 0).first?.run
        }
        guard let run else { return ReadingsJSON.days(icp: icp, run: nil, [], nextCursor: nil) }
        let page = try await queries.days(icp: icp, run: run, afterDate: after?.date, limit: limit)
        let next = page.more ? page.days.last.map { cursor.encode([.text(run), .text($0.date)]) } : nil
        return ReadingsJSON.days(icp: icp, run: run, page.days, nextCursor: next)
    }

    func byKey(_ request: Request) async throws -> String {
        let parameters = try QueryParameters(request, known: ["from", "to", "side", "run", "limit", "cursor"])
        let range = try LocalDateRange.parse(from: parameters["from"], to: parameters["to"], required: true)!
        let side = try parameters.side()
        let named = try parameters.run()
        let limit = try parameters.limit(default: 100, max: Self.maxIcpsPerPage)
        let cursor = PageCursor(
            route: "matches", binding: PageCursor.binding([("from", range.from), ("to", range.to), ("side", side?.rawValue), ("run", named)]))
        let after = try cursor.parameter(parameters["cursor"], arity: 1) { $0[0].text }
        let page = try await queries.matchesByKey(
            range: range, afterIcp: after, page: KeyPageLimit(icps: limit, rows: Self.maxRowsReadPerKeyPage))
        var items: [ReadingsJSON.KeyOutput] = []
        for group in page.groups {
            let entries = MatchSelection.entries(group.rows).filter { range.contains($0.reference.date) }
            guard let run = MatchSelection.chosenRun(entries, named: named) else { continue }
            let sides = side.map { [$0] } ?? MatchSide.allCases
            let totals = sides.map { side in
                let sum = MatchSelection.sum(MatchSelection.days(entries, run: run, side: side, range: range))
                return (side, sum.count, sum.total)
            }
            guard totals.contains(where: { $0.1 > 0 }) else { continue }
            let rows = MatchSelection.rows(entries, run: run, side: side, range: range)
            items.append(ReadingsJSON.KeyOutput(icp: group.icp, run: run, sides: totals, rows: rows))
        }
        let next = page.more ? page.groups.last.map { cursor.encode([.text($0.icp)]) } : nil
        return ReadingsJSON.byKey(range: range, items, nextCursor: next)
    }
}
