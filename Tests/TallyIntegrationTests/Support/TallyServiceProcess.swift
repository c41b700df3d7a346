import Foundation

/// A long-running `tally …` command run as a service (`--listen-port`), as
/// a deployment runs it: its log captured to a file, its `/metrics` read by
/// name, stopped with SIGTERM as an orchestrator stops it.
final class TallyServiceProcess {
    private let process = Process()
    let port: Int
    let logFile: URL

    /// Starts `tally <arguments> --listen-port <free port>` and waits until
    /// its `/health` answers.
    init(_ environment: TestEnvironment, _ arguments: [String], name: String) throws {
        port = try AggregatorProcess.freePort()
        logFile = environment.stateDirectory.appendingPathComponent("test-logs/\(environment.runId)-\(name).log")
        try FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = environment.binaries.appendingPathComponent("tally")
        process.currentDirectoryURL = environment.repository
        process.environment = environment.workerEnvironment
        process.arguments = arguments + ["--listen-port", "\(port)"]
        process.standardOutput = try FileHandle(forWritingTo: logFile)
        process.standardError = process.standardOutput
        try process.run()
        try waitUntil("\(name) to answer /health", timeout: .seconds(60)) {
            (try? AggregatorProcess.get(port: port, "/health").status) == 200 || !process.isRunning
        }
        guard process.isRunning else { throw TestFailure("\(name) exited: \(log)") }
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// A counter or gauge of its `/metrics`, by its full name.
    func metric(_ name: String) throws -> Int? {
        try AggregatorProcess.get(port: port, "/metrics").text.split(separator: "\n")
            .first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }

    /// SIGTERM, then its exit status.
    func stop() throws -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        try waitUntil("the service to exit", timeout: .seconds(30)) { !process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
