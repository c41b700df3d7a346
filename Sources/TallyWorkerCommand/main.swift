import ArgumentParser
import TallyCore
import Logging
import ServiceLifecycle
import TallyRuntime
import TallyWorker

/// `tally-worker`: consumes `records.work` and applies each record exactly
/// once. Wiring only; the pipeline lives in TallyWorker.
@main
struct TallyWorkerCommand: ConfiguredProcess {
    static let configuration = CommandConfiguration(
        commandName: "tally-worker",
        abstract: "Consume records, apply each exactly once in Redis, publish notifications and alerts.",
        discussion: """
            Settings come from Config/worker.json (or --config / TALLY_CONFIG_FILE), \
            overridden by TALLY_* environment variables (batch.maxSize -> TALLY_BATCH_MAX_SIZE), \
            overridden by a flag per key (batch.maxSize -> --batch-max-size 50, or --batch-max-size=50). \
            Every key and its default: Config/README.md; \
            `tally config print` shows the effective values and where each came from. \
            SIGTERM finishes the batch in flight, acks it and exits 0; a second SIGTERM exits at once.
            """,
        version: BuildInfo.version)

    typealias Settings = WorkerConfiguration

    @OptionGroup var options: ProcessOptions

    func run() async throws {
        // First, before anything slow: a SIGTERM during start-up must still
        // mean "stop cleanly", not the default of dying with status 143.
        let stop = StopSignal()
        TerminationSignals.install(stop: stop)
        let (logger, settings) = try await start(label: "tally.worker")
        TerminationSignals.logger = logger

        let metrics = WorkerMetrics()
        let readiness = WorkerReadiness()
        let http = ObservabilityRoutes(readiness: { readiness.report }, metrics: { metrics.render() })
            .application(settings: settings.metrics, serverName: "tally-worker", logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                // Services stop in reverse order: the loop finishes its batch
                // first, while /metrics and /ready still answer.
                // The loop also returns on its own when a signal came before
                // ServiceGroup listened: that is a clean stop, not a failure.
                services: [
                    .init(service: http),
                    .init(
                        service: WorkerService.make(
                            configuration: settings, logger: logger, stop: stop, metrics: metrics, readiness: readiness),
                        successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
