import Foundation
import Hummingbird
import Logging
import TallyCore
import TallyRedisClient
import TallyRuntime
import TallyStore

/// The HTTP API (`openapi/aggregator.yaml` describes exactly these routes).
///
/// Every input error is a 400 problem+json naming the parameter; a Redis
/// outage is a 503; anything else unexpected is logged and a 500 problem,
/// never an empty or HTML body.
public struct AggregatorRoutes: Sendable {
    public let engine: AggregationEngine
    public let redis: RedisReadExecutor
    public let layout: RedisKeyLayout
    public let status: IngestStatus
    public let metrics: AggregatorMetrics
    public let readiness: ReadinessSettings
    public let logger: Logger

    public init(
        engine: AggregationEngine, redis: RedisReadExecutor, layout: RedisKeyLayout, status: IngestStatus,
        metrics: AggregatorMetrics, readiness: ReadinessSettings, logger: Logger
    ) {
        self.engine = engine
        self.redis = redis
        self.layout = layout
        self.status = status
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: MethodNotAllowedMiddleware())
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        router.get("/v1/aggregations") { request, _ in await aggregations(request) }
        router.get("/v1/destinations/{id}/summary") { request, context in
            await summary(context.parameters.get("id") ?? "", request)
        }
        AccountRoutes(index: engine.index, logger: logger).register(on: router)
        VendorViewRoutes(index: engine.index, logger: logger).register(on: router)
        LegacyBalanceRoutes(index: engine.index, logger: logger).register(on: router)
        ReadingsViews(index: engine.index, logger: logger).register(on: router)
    }

    func aggregations(_ request: Request) async -> Response {
        let started = ContinuousClock.now
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let query: AggregationQuery
        do {
            query = try AggregationQueryParser.parse(parameters)
        } catch {
            return ProblemDetails(error).response
        }
        do {
            let result = try await engine.run(query)
            let response = Self.json(200, result.json)
            (query.totalsOnly ? metrics.totalsLatency : metrics.pageLatency).record(ContinuousClock.now - started)
            return response
        } catch {
            logger.error("aggregation query failed: \(error)")
            return ProblemDetails(status: 500, title: "Internal error", detail: "the query failed; see the aggregator's log").response
        }
    }

    /// References per page of a live summary, by default and at most.
    static let summaryReferences = (default: 100, max: 1_000)

    func summary(_ rawId: String, _ request: Request) async -> Response {
        guard let id = rawId.removingPercentEncoding, !id.isEmpty else {
            return ProblemDetails(InvalidParameter("id", "not a valid percent-encoded destinationId")).response
        }
        guard id.unicodeScalars.count <= AggregationQueryParser.maxFilterLength else {
            return ProblemDetails(InvalidParameter("id", "longer than \(AggregationQueryParser.maxFilterLength) characters")).response
        }
        let limit: Int
        let after: String?
        do {
            let parameters = try QueryParameters(request, known: ["limit", "cursor"])
            limit = try parameters.limit(default: Self.summaryReferences.default, max: Self.summaryReferences.max)
            after = try PageCursor.references(of: id).parameter(parameters["cursor"], arity: 1) { $0[0].text }
        } catch {
            return ProblemDetails(error).response
        }
        let layout = self.layout
        do {
            let summary = try await redis.run { connection in
                try SummaryReader(connection: connection, layout: layout).destination(id, referencesAfter: after, limit: limit)
            }
            return Self.json(200, DestinationSummaryJSON.render(summary, nextCursor: summary.lastReferenceIfMore.map { PageCursor.references(of: id).encode([.text($0)]) }))
        } catch {
            logger.warning("live summary of \(id) failed: \(error)")
            return ProblemDetails(status: 503, title: "Redis unavailable", detail: "live summaries come from Redis, which did not answer").response
        }
    }

    static func json(_ status: Int, _ body: String) -> Response { ObservabilityRoutes.json(status, body) }
}

extension PageCursor {
    /// The references of a live summary, in byte order, bound to the
    /// destination: the position is the last reference shown.
    static func references(of destination: String) -> PageCursor {
        PageCursor(route: "summary", binding: binding([("id", destination)]))
    }
}
