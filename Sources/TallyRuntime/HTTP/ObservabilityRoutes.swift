import Hummingbird
import Logging

/// `/health`, `/ready` and `/metrics`, with the same shapes on every
/// process: `/health` says the process answers, `/ready` whether it can do
/// its work (200 or 503, with a JSON body that says why), `/metrics` the
/// Prometheus text format, with the process metrics and the build's
/// version (``ProcessMetrics``) after the process's own. The routes only read what the process publishes;
/// they never touch a connection of a blocking loop.
public struct ObservabilityRoutes: Sendable {
    /// Whether the process is ready, and the JSON object `/ready` answers with.
    public typealias Readiness = @Sendable () async -> (ready: Bool, json: String)

    private let readiness: Readiness
    private let renderMetrics: @Sendable () -> [UInt8]

    public init(readiness: @escaping Readiness, metrics: @escaping @Sendable () -> [UInt8]) {
        self.readiness = readiness
        self.renderMetrics = metrics
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        let (readiness, renderMetrics) = (readiness, renderMetrics)
        router.get("/health") { _, _ in Self.json(200, "{\"status\":\"up\"}") }
        router.get("/ready") { _, _ in
            let (ready, body) = await readiness()
            return Self.json(ready ? 200 : 503, body)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: renderMetrics() + Array(ProcessMetrics.render().utf8))))
        }
    }

    /// A JSON response with `status`.
    public static func json(_ status: Int, _ body: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A listener that serves these routes (the worker's, the poller's),
    /// plus any `more` registers (the aggregator's operator page).
    public func application(
        settings: HTTPListenerSettings, serverName: String, logger: Logger,
        more: (Router<BasicRequestContext>) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        register(on: router)
        more(router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: serverName),
            logger: logger)
    }
}
