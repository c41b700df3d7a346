import Foundation
import TallyAggregator
import TallyCore
import TallyRuntime
import TallyWorker
import Testing

/// What every executable promises on its command line: `--version`, options
/// that no configuration flag takes away, and strict log settings.
struct CommandLineTests {
    private let environment = TestEnvironment("command-line")
    private static let executables = ["tally", "tally-worker", "tally-aggregator", "tally-vendor-simulator", "tally-loadtest"]

    private func run(_ executable: String, _ arguments: [String], _ extra: [String: String] = [:]) throws -> TallyCLI.Result {
        try TallyCLI.run(
            executable: environment.binaries.appendingPathComponent(executable), arguments: arguments,
            environment: environment.workerEnvironment.merging(extra) { _, new in new }, directory: environment.repository,
            timeout: .seconds(30))
    }

    @Test(arguments: Self.executables)
    func answersVersion(_ executable: String) throws {
        let answer = try run(executable, ["--version"])
        #expect(answer.status == 0, "\(answer.errors)")
        #expect(answer.output.trimmingCharacters(in: .whitespacesAndNewlines) == BuildInfo.version)
    }

    /// Configuration flags are taken out of the arguments before a command
    /// parses its own options, so an option spelt like a configuration key
    /// (`tally poll vendor --backoff-initial-ms` once was) would silently set
    /// the key instead. No command may declare one.
    @Test func noCommandOptionIsAConfigurationFlag() throws {
        let keys = WorkerConfiguration.keys + AggregatorConfiguration.keys
        let flags = Set(keys.map(ConfigurationArguments.flag(for:)))
        var checked = 0
        for executable in ["tally", "tally-worker", "tally-aggregator"] {
            let dump = try run(executable, ["--experimental-dump-help"])
            #expect(dump.status == 0, "\(dump.errors)")
            let tree = try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any]
            let options = Self.longOptions(tree?["command"] as? [String: Any], path: executable)
            checked += options.count
            let shadowed = options.filter { flags.contains($0.option) }
            #expect(shadowed.isEmpty, "options a configuration flag would take: \(shadowed)")
        }
        #expect(checked > 20, "the dump listed the commands' options")
    }

    /// Every long option of a command and its subcommands, with the command path.
    private static func longOptions(_ command: [String: Any]?, path: String) -> [(command: String, option: String)] {
        guard let command else { return [] }
        var found: [(String, String)] = []
        for argument in command["arguments"] as? [[String: Any]] ?? [] {
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                if let long = name["name"] as? String { found.append((path, "--" + long)) }
            }
        }
        for sub in command["subcommands"] as? [[String: Any]] ?? [] {
            found += longOptions(sub, path: path + " " + (sub["commandName"] as? String ?? "?"))
        }
        return found
    }

    @Test func aMisspeltLogLevelStopsTheProcessNamingIt() throws {
        let answer = try run("tally-worker", [], ["TALLY_LOG_LEVEL": "verbose"])
        #expect(answer.status == 78)
        #expect(answer.errors.contains("TALLY_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical, not \"verbose\""), "\(answer.errors)")
        let flag = try run("tally-aggregator", ["--log-level", "verbose"])
        #expect(flag.status != 0)
        #expect(flag.errors.contains("verbose"), "\(flag.errors)")
    }

    /// `--log-level` wins over `TALLY_LOG_LEVEL`: with the flag, the broken
    /// variable is never read and the process goes on to its next check.
    @Test func theFlagWinsOverTheVariable() throws {
        let answer = try run("tally-aggregator", ["--log-level", "info", "--http-port=0"], ["TALLY_LOG_LEVEL": "verbose"])
        #expect(answer.status == 78)
        let said = answer.output + answer.errors
        #expect(said.contains("http.port") && !said.contains("TALLY_LOG_LEVEL"), "\(said)")
    }
}
