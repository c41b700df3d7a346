import Hummingbird
import Logging

/// The worker's small HTTP listener: `/health`, `/ready` and `/metrics`
/// (the same routes and shapes as the aggregator's). It only reads what the
/// batch loop publishes through ``WorkerReadiness`` and ``WorkerMetrics``;
/// it never touches a connection, so it cannot disturb the loop's thread.
public enum WorkerHTTPServer {
    public static func make(
        settings: HTTPListenerSettings, metrics: WorkerMetrics, readiness: WorkerReadiness, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in json(200, "{\"status\":\"up\"}") }
        router.get("/ready") { _, _ in
            let ready = readiness.isReady
            return json(
                ready ? 200 : 503,
                "{\"ready\":\(ready),\"broker\":\(readiness.isBrokerUp),\"redis\":\(readiness.isRedisUp)}")
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tally-worker"),
            logger: logger)
    }

    private static func json(_ status: Int, _ body: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
