import Hummingbird
import Logging
import ServiceLifecycle
import TallyCore
import TallyRuntime
import TallyStore

/// Wires the aggregator: the index, the ingest service, the API listener
/// (behind tokens, ``APIGuardMiddleware``) and the admin listener
/// (`/health`, `/ready`, `/metrics` and the operator page `/`), run together by one ServiceGroup
/// that shuts them down gracefully.
public enum AggregatorApplication {
    public static func services(configuration: AggregatorConfiguration, logger: Logger) throws -> [any Service] {
        let index = try RecordIndex(path: configuration.index.path)
        let status = IngestStatus()
        let metrics = AggregatorMetrics()
        let ingest = IngestService.make(
            configuration: configuration, index: index, status: status, metrics: metrics, logger: logger)
        let routes = AggregatorRoutes(
            engine: AggregationEngine(index: index), redis: RedisReadExecutor(endpoint: configuration.redis),
            layout: RedisKeyLayout(prefix: configuration.keyPrefix), status: status, metrics: metrics,
            readiness: configuration.readiness, logger: logger)
        let router = Router()
        router.add(middleware: APIGuardMiddleware(settings: configuration.api))
        routes.register(on: router)
        let api = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "tally-aggregator"),
            logger: logger)
        // Readiness has a Redis connection of its own: a slow live-summary
        // read on the API's connection never delays a probe.
        let readiness = AggregatorReadiness(
            redis: RedisReadExecutor(endpoint: configuration.redis), status: status, settings: configuration.readiness)
        let admin = ObservabilityRoutes(readiness: { await readiness.check() }, metrics: { metrics.render() })
            .application(settings: configuration.admin, serverName: "tally-aggregator-admin", logger: logger) { router in
                OperatorPageRoute(index: index, status: status).register(on: router)
            }
        return [ingest, api, admin]
    }
}
