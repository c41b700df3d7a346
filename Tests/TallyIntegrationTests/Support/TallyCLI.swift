import Foundation

/// Runs the real `tally` executable of this build, as an operator would.
enum TallyCLI {
    struct Result {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs `tally arguments…` with the test's settings in the environment
    /// (plus `extraEnvironment`); standard input is `/dev/null` (no
    /// terminal) unless `input` is given.
    static func run(
        _ environment: TestEnvironment, _ arguments: [String], extraEnvironment: [String: String] = [:],
        input: String? = nil, timeout: Duration = .seconds(60)
    ) throws -> Result {
        try run(executable: environment.binaries.appendingPathComponent("tally"), arguments: arguments,
            environment: environment.workerEnvironment.merging(extraEnvironment) { _, new in new },
            directory: environment.repository, input: input, timeout: timeout)
    }

    static func run(
        executable: URL, arguments: [String], environment: [String: String], directory: URL, input: String? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        let output = Pipe()
        // Standard error goes to a file, so neither stream can fill up and
        // block the child while the other is read.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-cli-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        try waitUntil("tally \(arguments.joined(separator: " ")) to exit", timeout: timeout) { !process.isRunning }
        let errorData = (try? Data(contentsOf: errorFile)) ?? Data()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData, as: UTF8.self))
    }
}
