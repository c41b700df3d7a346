import Foundation
import TallyCore

/// A real `tally-vendor-simulator` on a free port: the rate-limited vendor
/// API the poller is tested against.
final class VendorSimulatorProcess {
    private let process = Process()
    let port: Int
    let logFile: URL

    init(_ environment: TestEnvironment, rateLimit: Int, windowMilliseconds: Int) throws {
        let logs = environment.stateDirectory.appendingPathComponent("test-logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        logFile = logs.appendingPathComponent("\(environment.runId)-vendor-simulator.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        port = try AggregatorProcess.freePort()
        process.executableURL = environment.binaries.appendingPathComponent("tally-vendor-simulator")
        process.arguments = ["--port", "\(port)", "--rate-limit", "\(rateLimit)", "--rate-window-ms", "\(windowMilliseconds)"]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try waitUntil("the vendor simulator on port \(port)") { (try? AggregatorProcess.get(port: port, "/health").status) == 200 }
    }

    var transactionsURL: String { "http://127.0.0.1:\(port)/transactions" }

    /// Appends transactions (each a JSON object text) while it runs.
    func append(_ transactions: [String]) throws {
        let answer = try Self.post(port: port, "/transactions", body: "[" + transactions.joined(separator: ",") + "]")
        guard answer.status == 201 else { throw TestFailure("appending transactions: HTTP \(answer.status) \(answer.text)") }
    }

    /// Queues faults (`{"status":503,"count":2}`, `{"delayMs":…}`) for the next requests.
    func inject(_ fault: String) throws {
        let answer = try Self.post(port: port, "/faults", body: fault)
        guard answer.status == 201 else { throw TestFailure("injecting \(fault): HTTP \(answer.status) \(answer.text)") }
    }

    struct Stats {
        let requests: Int
        let violations: Int
        let faultsInjected: Int
        let maxInWindow: Int
        let firstRequestMs: Int64
        let lastRequestMs: Int64
    }

    func stats() throws -> Stats {
        let json = try AggregatorProcess.get(port: port, "/stats").json
        func number(_ key: String) -> Int64 {
            if case .number(let text)? = json[key] { return Int64(text) ?? -1 }
            return -1
        }
        return Stats(
            requests: Int(number("requests")), violations: Int(number("violations")),
            faultsInjected: Int(number("faultsInjected")), maxInWindow: Int(number("maxInWindow")),
            firstRequestMs: number("firstRequestMs"), lastRequestMs: number("lastRequestMs"))
    }

    static func post(port: Int, _ path: String, body: String, token: String? = nil) throws -> AggregatorProcess.HTTPResult {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try AggregatorProcess.request(port: port, "POST", path, headers: headers, body: Array(body.utf8))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A real `tally poll vendor` process with this test's broker and Redis settings.
final class VendorPollerProcess {
    private let process = Process()
    let logFile: URL

    init(_ environment: TestEnvironment, url: String, arguments: [String], name: String = "poller") throws {
        let logs = environment.stateDirectory.appendingPathComponent("test-logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        logFile = logs.appendingPathComponent("\(environment.runId)-\(name)-\(UInt16.random(in: 0...9999)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.executableURL = environment.binaries.appendingPathComponent("tally")
        process.currentDirectoryURL = environment.repository
        process.environment = environment.workerEnvironment
        process.arguments = ["poll", "vendor", "--url", url] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    func crash() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    func waitForExit(timeout: Duration = .seconds(30)) throws -> Int32 {
        try waitUntil("the poller to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
