import ArgumentParser
import Foundation
import Logging
import TallyRuntime

/// What every long-running `tally` command (`poll vendor`, `mail reports`,
/// `import watch`) takes to run as a service: the `/health`, `/ready` and
/// `/metrics` listener (none without `--listen-port`) and its log settings.
/// One place, so the three spell and check them alike.
struct ServiceOptions: ParsableArguments {
    @Option(help: "Serve /health, /ready and /metrics on this port (as a service; none without it).")
    var listenPort: Int?

    @Option(help: "The address of that listener (0.0.0.0 in a container).")
    var listenHost = "127.0.0.1"

    @OptionGroup var logging: LoggingOptions

    /// The listener for ``BlockingCommandService``; nil without `--listen-port`.
    var listener: HTTPListenerSettings? { listenPort.map { HTTPListenerSettings(host: listenHost, port: $0) } }

    /// Bootstraps logging (once, first); a misspelt `TALLY_LOG_*` stops the
    /// command as a usage error naming it.
    func logger(label: String) throws -> Logger {
        do {
            return try logging.bootstrap(label: label, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
