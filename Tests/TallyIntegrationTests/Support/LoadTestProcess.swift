import Foundation
import TallyCore

/// Runs the real `tally-loadtest` executable against a test's namespace
/// (its topology names, key prefix and ports come through the same TALLY_*
/// variables a worker of the test gets) and reads back its JSON report.
struct LoadTestProcess {
    let status: Int32
    let output: String
    let report: JSONValue

    static func run(_ environment: TestEnvironment, name: String, arguments: [String], timeout: Duration = .seconds(240)) throws -> LoadTestProcess {
        let folder = environment.stateDirectory.appendingPathComponent("test-loadtest/\(environment.runId)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = folder.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = environment.binaries.appendingPathComponent("tally-loadtest")
        process.currentDirectoryURL = environment.repository
        process.environment = environment.workerEnvironment
        process.arguments = arguments + ["--name", name, "--report-dir", folder.path, "--quiet"]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try waitUntil("tally-loadtest \(name) to finish", timeout: timeout) { !process.isRunning }
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let reportData = (try? Data(contentsOf: folder.appendingPathComponent("\(name).json"))) ?? Data()
        let report = (try? JSONParser.parse(Array(reportData))) ?? .null
        return LoadTestProcess(status: process.terminationStatus, output: output, report: report)
    }

    /// The checks of the report by name: passed or not.
    var checks: [String: Bool] {
        guard case .array(let checks)? = report["verification"]?["checks"] else { return [:] }
        var out: [String: Bool] = [:]
        for check in checks {
            if case .string(let name)? = check["name"], case .bool(let passed)? = check["passed"] { out[name] = passed }
        }
        return out
    }

    func number(_ path: String...) -> Double? {
        var value: JSONValue? = report
        for key in path { value = value?[key] }
        if case .number(let text)? = value { return Double(text) }
        return nil
    }
}
