import Foundation

/// A real `tally-worker` process, as ops would run it.
final class WorkerProcess {
    private let process = Process()
    let logFile: URL
    /// Its `/health`, `/ready`, `/metrics` port: a free one, so workers
    /// started side by side never clash.
    let metricsPort: Int

    init(
        _ environment: TestEnvironment, name: String = "worker", extraEnvironment: [String: String] = [:],
        arguments: [String] = []
    ) throws {
        let logs = environment.stateDirectory.appendingPathComponent("test-logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        logFile = logs.appendingPathComponent("\(environment.runId)-\(name)-\(UInt16.random(in: 0...9999)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.executableURL = environment.binaries.appendingPathComponent("tally-worker")
        process.currentDirectoryURL = environment.repository
        metricsPort = try AggregatorProcess.freePort()
        var variables = environment.workerEnvironment
        variables["TALLY_METRICS_PORT"] = "\(metricsPort)"
        variables.merge(extraEnvironment) { _, new in new }
        process.environment = variables
        process.arguments = ["--log-level", "info"] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// SIGKILL: the worker gets no chance to finish anything.
    func crash() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for the process to end; returns its exit status.
    func waitForExit(timeout: Duration = .seconds(30)) throws -> Int32 {
        try waitUntil("worker \(pid) to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    /// Waits until the worker says it is consuming (its signal handlers
    /// and connections are then in place).
    func waitUntilConsuming(timeout: Duration = .seconds(30)) throws {
        try waitUntil("worker \(pid) to start consuming", timeout: timeout) { log.contains("consuming") }
    }

    /// How often the worker has paused at a fault hook so far.
    var pauses: Int { log.components(separatedBy: "fault hook: paused").count - 1 }

    /// A blocking GET on its HTTP listener.
    func get(_ path: String) throws -> AggregatorProcess.HTTPResult {
        try AggregatorProcess.get(port: metricsPort, path)
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
