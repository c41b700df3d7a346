import Hummingbird
import Logging
import TallyCore
import TallyStore

/// Wires the aggregator: the index, the ingest service and the HTTP API in
/// one Hummingbird `Application`, whose ServiceGroup runs the ingest thread
/// beside the server and shuts both down gracefully.
public enum AggregatorApplication {
    public static func make(
        configuration: AggregatorConfiguration, logger: Logger
    ) throws -> some ApplicationProtocol {
        let index = try RecordIndex(path: configuration.index.path)
        let status = IngestStatus()
        let metrics = AggregatorMetrics()
        let ingest = IngestService.make(
            configuration: configuration, index: index, status: status, metrics: metrics, logger: logger)
        let router = Router()
        AggregatorRoutes(
            engine: AggregationEngine(index: index), redis: RedisReadExecutor(endpoint: configuration.redis),
            layout: RedisKeyLayout(prefix: configuration.keyPrefix), status: status, metrics: metrics,
            readiness: configuration.readiness, logger: logger
        ).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "tally-aggregator"),
            services: [ingest],
            logger: logger)
    }
}
