import ArgumentParser
import TallyWorker

struct Dead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and replay the dead-letter queue.", subcommands: [List.self, Replay.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters with their reasons (they stay queued).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Show at most this many.") var limit = 20

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            let letters = try inspector.list(limit: limit)
            if letters.isEmpty { print("\(settings.topology.deadQueue) is empty") }
            for letter in letters {
                var body = String(decoding: letter.body.prefix(160), as: UTF8.self)
                if letter.body.count > 160 { body += "… (\(letter.body.count) bytes)" }
                print("[\(letter.reason)] \(letter.detail)\n    \(body)")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters back to the records exchange (each at most \(DeadLetterInspector.maxReplays) times).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Replay at most this many.") var limit = 100

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            let report = try inspector.replay(limit: limit)
            print("replayed \(report.replayed), kept \(report.skipped) that reached the replay limit")
        }
    }
}
