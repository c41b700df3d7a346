import ArgumentParser
import TallyAMQP
import TallyWorker

struct Dead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and replay the dead-letter queue.", subcommands: [List.self, Count.self, Replay.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters with their reasons (they stay queued).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Show at most this many.") var limit = 20
        @Option(help: "First wait until at least this many are queued (or --timeout passes).") var expect = 0
        @Option(help: "Seconds to wait for --expect.") var timeout = 30

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            if expect > 0 {
                let amqp = try AMQPConnection(settings.broker)
                let deadline = ContinuousClock.now.advanced(by: .seconds(timeout))
                while try amqp.queueStatus(settings.topology.deadQueue).messages < expect {
                    guard ContinuousClock.now < deadline else {
                        progress("fewer than \(expect) dead letters after \(timeout) s")
                        throw ExitCode(1)
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let letters = try inspector.list(limit: limit)
            if letters.isEmpty { print("\(settings.topology.deadQueue) is empty") }
            for letter in letters {
                var body = String(decoding: letter.body.prefix(160), as: UTF8.self)
                if letter.body.count > 160 { body += "… (\(letter.body.count) bytes)" }
                print("[\(letter.reason)] \(letter.detail)\n    \(body)")
            }
        }
    }

    struct Count: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print how many dead letters are queued.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let settings = try await connection.load()
            print(try AMQPConnection(settings.broker).queueStatus(settings.topology.deadQueue).messages)
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
            print("replayed \(report.replayed), kept \(report.skipped) that reached the replay limit, \(report.refused) refused by the broker")
            if report.refused > 0 { throw ExitCode(1) }
        }
    }
}
