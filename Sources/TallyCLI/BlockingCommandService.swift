import Logging
import ServiceLifecycle
import TallyRuntime

/// How a long-running command (`tally poll vendor`, `tally mail reports`)
/// runs its blocking loop: on a thread of its own (never one of the
/// cooperative pool); and with `--listen-port`, as a service next to the
/// `/health`, `/ready` and `/metrics` listener, under one ServiceGroup that
/// stops on SIGTERM/SIGINT. The loop stops first (services stop in reverse
/// order) while the listener still answers; a loop that ends by itself
/// (`--once`) ends the group.
enum BlockingCommandService {
    static func run(
        threadName: String, listen: HTTPListenerSettings?, stop: StopSignal, logger: Logger, shutdownMessage: Logger.Message,
        readiness: @escaping ObservabilityRoutes.Readiness, metrics: @escaping @Sendable () -> [UInt8],
        body: @escaping @Sendable () -> Void
    ) async throws {
        guard let listen else {
            await BlockingLoopService.onOwnThread(named: threadName, body)
            return
        }
        let http = ObservabilityRoutes(readiness: readiness, metrics: metrics)
            .application(settings: listen, serverName: threadName, logger: logger)
        let loop = BlockingLoopService(threadName: threadName, stop: stop, logger: logger, shutdownMessage: shutdownMessage) { _ in body() }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: http), .init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
