import Foundation

/// A command-line program run as a person would run it (`tally …`,
/// `chromium …`), its output captured to files so a large output never
/// blocks it on a full pipe. Started at once; ``finish(timeout:)`` waits.
final class CommandProcess {
    private let process = Process()
    private let outputFile: URL
    private let errorFile: URL

    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, logName: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-commands", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stem = "\(logName)-\(UUID().uuidString)"
        outputFile = directory.appendingPathComponent("\(stem).out")
        errorFile = directory.appendingPathComponent("\(stem).err")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
    }

    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    /// Waits for the exit (SIGKILL after `timeout`, which fails the test).
    func finish(timeout: Duration = .seconds(120)) throws -> Result {
        do {
            try waitUntil("\(process.executableURL?.lastPathComponent ?? "command") to exit", timeout: timeout) { !process.isRunning }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestFailure("\(error); stderr: \(read(errorFile).suffix(2_000))")
        }
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        return Result(status: process.terminationStatus, output: read(outputFile), error: read(errorFile))
    }

    /// Runs to the end.
    static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, logName: String,
        timeout: Duration = .seconds(120)
    ) throws -> Result {
        try CommandProcess(executable, arguments, environment: environment, logName: logName).finish(timeout: timeout)
    }

    private func read(_ file: URL) -> String {
        (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
