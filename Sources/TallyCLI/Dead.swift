import ArgumentParser
import Foundation
import TallyAMQPClient
import TallyBroker
import TallyWorker

struct Dead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect, replay and purge the dead-letter queue.",
        discussion: """
            Positions count from 1, the oldest letter; `list` shows them. Reading never removes a letter: \
            only a replay whose re-publish the broker confirmed, or a confirmed purge, does.
            """,
        subcommands: [List.self, Count.self, Show.self, Replay.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters with their reasons (they stay queued).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Show at most this many.") var limit = 20
        @Option(help: "First wait until at least this many are queued (or --timeout passes).") var expect = 0
        @Option(help: "Seconds to wait for --expect.") var timeout = 30
        @Option(help: "text, or json: one array of letters (bodies exact, as base64).") var format = OutputFormat.text

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            if expect > 0 {
                let deadline = ContinuousClock.now.advanced(by: .seconds(timeout))
                while try inspector.count() < expect {
                    guard ContinuousClock.now < deadline else {
                        progress("fewer than \(expect) dead letters after \(timeout) s")
                        throw ExitCode(1)
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let letters = try inspector.list(limit: limit)
            if format == .json {
                print("[" + letters.map { DeadLetterJSON.render($0, headers: false) }.joined(separator: ",\n") + "]")
                return
            }
            if letters.isEmpty { print("\(settings.topology.deadQueue) is empty") }
            for letter in letters {
                var body = String(decoding: letter.body.prefix(160), as: UTF8.self)
                if letter.body.count > 160 { body += "… (\(letter.body.count) bytes)" }
                let id = letter.recordId.map { " \($0)" } ?? ""
                print("\(letter.position).\(id) [\(letter.reason)] \(letter.detail)\n    \(body)")
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

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dead letter in full: reason, death and replay counts, every header, the whole body.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Its position (1 is the oldest; see `tally dead list`).") var position: Int
        @Option(help: "text, or json: one object with every header (the body exact, as base64).") var format = OutputFormat.text

        func validate() throws {
            guard position >= 1 else { throw ValidationError("the position counts from 1 (the oldest letter)") }
        }

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            let (found, queued) = try inspector.show(position: position)
            guard let letter = found else {
                progress("no dead letter at position \(position): \(queued) queued in \(settings.topology.deadQueue)")
                throw ExitCode(1)
            }
            if format == .json {
                print(DeadLetterJSON.render(letter, headers: true))
                return
            }
            print("position: \(letter.position)")
            print("recordId: \(letter.recordId ?? "(none: the body has no readable recordId)")")
            print("reason: \(letter.reason)")
            if !letter.detail.isEmpty { print("detail: \(letter.detail)") }
            print("deaths: \(letter.deaths)")
            print("replays: \(letter.replays) of \(DeadLetterInspector.maxReplays)")
            print("headers:")
            for header in letter.headers { print("  \(header.name): \(header.value)") }
            print("body (\(letter.body.count) bytes):")
            print(String(decoding: letter.body, as: UTF8.self))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters back to the records exchange (each at most \(DeadLetterInspector.maxReplays) times).",
            discussion: """
                Without --position, --record-id or --reason every letter is replayed (up to --limit). \
                Several values of one option select any of them; different options must all match. \
                Letters not replayed stay in the queue, in their order; a letter leaves it only once \
                its re-publish is confirmed.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Replay the letter at this position (repeatable; 1 is the oldest).") var position: [Int] = []
        @Option(help: "Replay the letter(s) of this recordId (repeatable).") var recordId: [String] = []
        @Option(help: "Replay the letters with this reason, e.g. invalid-field, conflict, delivery_limit (repeatable).")
        var reason: [String] = []
        @Option(help: "Replay at most this many.") var limit = 100

        func validate() throws {
            if let bad = position.first(where: { $0 < 1 }) { throw ValidationError("--position \(bad): positions count from 1") }
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            let selection = DeadLetterSelection(positions: Set(position), recordIds: Set(recordId), reasons: Set(reason))
            let report = try inspector.replay(selection, limit: limit)
            for name in report.replayedLetters { print("replayed \(name)") }
            print(
                "replayed \(report.replayed), kept \(report.skipped) that reached the replay limit, "
                    + "\(report.refused) refused by the broker, \(report.unselected) not selected or past --limit")
            if report.refused > 0 { throw ExitCode(1) }
            if !selection.selectsAll && report.replayed + report.skipped == 0 {
                progress("no dead letter matched the selection")
                throw ExitCode(1)
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every dead letter, after confirmation.",
            discussion: """
                Asks on a terminal. --yes skips the question (scripts); without a terminal and without --yes \
                it refuses and deletes nothing. The letters are gone for good: look at them first \
                (`tally dead list`, `tally dead show N`).
                """)
        @OptionGroup var connection: ConnectionOptions
        @Flag(name: [.long, .customShort("y")], help: "Do not ask.") var yes = false

        func run() async throws {
            let settings = try await connection.load()
            let inspector = try DeadLetterInspector(endpoint: settings.broker, topology: settings.topology)
            let queued = try inspector.count()
            let queue = settings.topology.deadQueue
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    progress("refusing to purge \(queued) dead letter(s) from \(queue) without confirmation: standard input is not a terminal; pass --yes")
                    throw ExitCode(1)
                }
                FileHandle.standardError.write(Data("Delete \(queued) dead letter(s) from \(queue) for good? [y/N] ".utf8))
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
                guard answer == "y" || answer == "yes" else {
                    progress("not purged")
                    throw ExitCode(1)
                }
            }
            let purged = try inspector.purge()
            print("purged \(purged) dead letter(s) from \(queue)")
        }
    }
}
