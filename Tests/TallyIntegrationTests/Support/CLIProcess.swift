import Foundation

/// One run of the `tally` command line, as an operator would type it, with
/// the test's namespace in its environment.
struct CLIProcess {
    let status: Int32
    let standardOutput: String
    let standardError: String

    static func run(_ environment: TestEnvironment, _ arguments: [String], timeout: Duration = .seconds(120)) throws -> CLIProcess {
        let process = Process()
        process.executableURL = environment.binaries.appendingPathComponent("tally")
        process.currentDirectoryURL = environment.repository
        process.environment = environment.workerEnvironment
        process.arguments = arguments
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tally-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        let err = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        try waitUntil("tally \(arguments.joined(separator: " ")) to exit", timeout: timeout) { !process.isRunning }
        process.waitUntilExit()
        return CLIProcess(
            status: process.terminationStatus, standardOutput: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
