import ArgumentParser
import TallyRedisClient
import TallyStore
import TallyWorker

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Show and upgrade how Redis keeps tally's state (its layout).",
        subcommands: [Layout.self, Upgrade.self])

    struct Layout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Print the layout Redis holds (3 or 4) and, on 4, the log's format (log=batches or log=per-record) \
                and whether workers apply through the tally Redis module or the Function.
                """)
        @OptionGroup var connection: ConnectionOptions

        /// Reads only: an empty Redis is put on layout 4 by the first worker, not here.
        func run() async throws {
            let settings = try await connection.load()
            let redis = try RedisConnection(settings.redis)
            let keys = RedisKeyLayout(prefix: settings.keyPrefix)
            let fields = try redis.command(RedisCommand("HGETALL", keys.layoutVersion)).elements?.compactMap(\.text) ?? []
            let state = stride(from: 0, to: fields.count - 1, by: 2).map { (field: fields[$0], value: fields[$0 + 1]) }
            if let version = state.first(where: { $0.field == "version" })?.value {
                var rest = state.filter { $0.field != "version" }.map { "\($0.field)=\($0.value)" }
                // The previous release's layout 4: one log entry per record.
                if version == "4", !state.contains(where: { $0.field == "log" }) { rest.append("log=per-record") }
                print(version + (rest.isEmpty ? "" : "  (" + rest.joined(separator: " ") + ")"))
                if version == "4" {
                    let dedup = settings.dedup
                    let choice = try TallyModule.route(
                        on: redis, layout: keys, bucketSeconds: dedup.bucketSeconds, buckets: dedup.buckets, aheadSeconds: dedup.aheadSeconds)
                    print("workers apply through " + choice.description)
                }
                let unregistered = try LogReaders.unregistered(on: redis, layout: keys)
                if state.contains(where: { $0.field == "log" && $0.value == "batches" }), !unregistered.isEmpty {
                    print("""
                        the log stays one entry per record while these consumer groups are not known to read batch \
                        entries: \(unregistered.joined(separator: ", ")) (aggregators of the previous release, or groups \
                        left behind: XGROUP DESTROY them, or run `tally store upgrade` once none is of the previous release)
                        """)
                }
            } else if try Self.recordWasEverLogged(redis, keys.log) {
                print("3")
            } else {
                print("none yet: empty; the first worker puts it on layout 4")
            }
        }

        /// Whether a record was ever appended to the log (entries may have
        /// been trimmed since): what tells layout 3's Redis from an empty one.
        static func recordWasEverLogged(_ redis: RedisConnection, _ log: String) throws -> Bool {
            let info = try redis.command(RedisCommand("XINFO", "STREAM", log))
            guard let fields = info.elements else { return false }  // no stream at all
            let lastId = stride(from: 0, to: fields.count - 1, by: 2).first { fields[$0].text == "last-generated-id" }
            return lastId.map { fields[$0 + 1].text != "0-0" } ?? false
        }
    }

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move Redis to layout 4 and the log to batch entries, once no older worker or aggregator runs.",
            discussion: """
                Version 4 workers apply on layout 3, as version 3 workers do, until this runs; from then on \
                they apply on layout 4, which version 3 workers cannot read. Stop every version 3 worker first. \
                It also switches the log to one entry per Function call (on layout 4 too), which aggregators of \
                the previous release cannot read: run it once every aggregator runs this release. \
                Safe to run again.
                """)
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let settings = try await connection.load()
            let upgrade = LayoutUpgrade(connection: try RedisConnection(settings.redis), layout: RedisKeyLayout(prefix: settings.keyPrefix))
            let report = try upgrade.run { progress($0) }
            print("layout 4\(report.switched ? " (switched now)" : ""), log in batches\(report.logBatched ? " (switched now)" : ""): "
                + "\(report.pendingOutcomesMoved) pending outcomes moved")
        }
    }
}
