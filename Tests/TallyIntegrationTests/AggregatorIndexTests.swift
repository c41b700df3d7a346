import Foundation
import Testing
import TallyCore
import TallyRedisClient
import TallyWorker

/// The aggregator's index lifecycle against real Redis: graceful restart,
/// crash and resume, rebuild from the log, trimming, and a real worker
/// writing the log.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AggregatorIndexTests {
    private func totals(_ aggregator: AggregatorProcess) throws -> [String: Summary] {
        var out: [String: Summary] = [:]
        for group in try aggregator.totalsOnlyGroups() {
            guard case .string(let destination)? = group["destinationId"] else { throw TestFailure("no destinationId") }
            out[destination] = try Summary(json: group)
        }
        return out
    }

    private func pending(_ environment: TestEnvironment, group: String) throws -> Int64 {
        let reply = try environment.redis().command(RedisCommand("XPENDING", environment.layout.log, group))
        return reply.elements?.first?.integer ?? -1
    }

    @Test func restartResumesAndACrashLosesOrDoublesNothing() throws {
        let environment = TestEnvironment("agg-restart")
        defer { environment.cleanUp() }
        let all = try AggregatorQueryTests.records(prefix: environment.runId)
        let oracle = AggregationOracle(records: all)
        try AggregationOracle.append(Array(all[0..<150]), to: environment)
        let aggregator = try AggregatorProcess(environment, extra: ["TALLY_STREAM_BATCH_SIZE": "10"])
        try aggregator.waitUntilCaughtUp(records: 150)
        #expect(try aggregator.stop() == 0, "graceful stop exits 0")
        #expect(try pending(environment, group: aggregator.group) == 0)

        // Stopped: the log grows; restarted: it resumes where it stopped.
        try AggregationOracle.append(Array(all[150..<300]), to: environment)
        try aggregator.start()
        try aggregator.waitUntilCaughtUp(records: 300)
        #expect(try totals(aggregator) == (try AggregationOracle(records: Array(all[0..<300])).expected(.init())))

        // SIGKILL mid-ingest (small batches make it likely to hit one in flight).
        try AggregationOracle.append(Array(all[300...]), to: environment)
        usleep(20_000)
        aggregator.crash()
        try aggregator.start()
        try aggregator.waitUntilCaughtUp(records: all.count)
        #expect(try totals(aggregator) == (try oracle.expected(.init())), "exactly once after a crash")
        try waitUntil("nothing pending") { try pending(environment, group: aggregator.group) == 0 }
    }

    /// A crash after the SQLite commit but before the XACK leaves the batch
    /// pending: staged here by handing the consumer `indexer` every entry
    /// again behind the stopped aggregator's back. The restart re-reads them
    /// (pending entries first, in several pipelined batches) and inserts
    /// nothing twice, then acks them and goes on with new entries.
    @Test func entriesCommittedButNotAckedAreReadAgainAndInsertNothingTwice() throws {
        let environment = TestEnvironment("agg-unacked")
        defer { environment.cleanUp() }
        let all = try AggregatorQueryTests.records(prefix: environment.runId)
        try AggregationOracle.append(Array(all[0..<150]), to: environment)
        let aggregator = try AggregatorProcess(environment, extra: ["TALLY_STREAM_BATCH_SIZE": "10"])
        try aggregator.waitUntilCaughtUp(records: 150)
        #expect(try aggregator.stop() == 0)

        let redis = try environment.redis()
        let log = environment.layout.log
        _ = try redis.command(RedisCommand("XGROUP", "SETID", log, aggregator.group, "0"))
        let redelivered = try redis.command(RedisCommand(
            "XREADGROUP", "GROUP", aggregator.group, "indexer", "COUNT", "1000", "STREAMS", log, ">"))
        #expect(redelivered.elements?.first?.elements?.last?.elements?.count == 150)
        #expect(try pending(environment, group: aggregator.group) == 150)

        try aggregator.start()
        try waitUntil("the re-read entries to be acked") { try pending(environment, group: aggregator.group) == 0 }
        let metrics = try aggregator.get("/metrics").text
        #expect(metrics.contains("tally_aggregator_log_entries_read_total 150"), "every pending entry read again")
        #expect(metrics.contains("tally_aggregator_ingested_records_total 0"), "none of them inserted again")
        #expect(try totals(aggregator) == (try AggregationOracle(records: Array(all[0..<150])).expected(.init())))

        try AggregationOracle.append(Array(all[150...]), to: environment)
        try aggregator.waitUntilCaughtUp(records: all.count)
        #expect(try totals(aggregator) == (try AggregationOracle(records: all).expected(.init())))
        try waitUntil("nothing pending") { try pending(environment, group: aggregator.group) == 0 }
    }

    /// A log written across the switch to batched entries: single-record
    /// entries (the previous release's workers, and this one's before
    /// `tally store upgrade`), then entries of several records. Each record
    /// is indexed once; read again as pending entries after a crash between
    /// commit and ack (staged as above), none is inserted twice.
    @Test func aLogOfSingleAndBatchEntriesIsIndexedExactlyOnce() throws {
        let environment = TestEnvironment("agg-batched")
        defer { environment.cleanUp() }
        let all = try AggregatorQueryTests.records(prefix: environment.runId)
        try AggregationOracle.append(Array(all[0..<100]), to: environment)
        try AggregationOracle.appendBatched(Array(all[100..<300]), perEntry: 7, to: environment)
        try AggregationOracle.append(Array(all[300..<310]), to: environment)  // an old worker still running
        try AggregationOracle.appendBatched(Array(all[310...]), perEntry: 50, to: environment)
        let entries = 100 + (200 + 6) / 7 + 10 + (all.count - 310 + 49) / 50
        let redis = try environment.redis()
        let log = environment.layout.log
        #expect(try redis.command(RedisCommand("XLEN", log)).integer == Int64(entries))
        #expect(try LogContents.recordIds(redis, log) == all.map(\.recordId), "the log holds every record once, in order")

        // Batches of 3 entries: a batch mixes both kinds and up to 150 records.
        let aggregator = try AggregatorProcess(environment, extra: ["TALLY_STREAM_BATCH_SIZE": "3"])
        try aggregator.waitUntilCaughtUp(records: all.count)
        #expect(try totals(aggregator) == (try AggregationOracle(records: all).expected(.init())))
        var metrics = try aggregator.get("/metrics").text
        #expect(metrics.contains("tally_aggregator_log_entries_read_total \(entries)"), "\(entries) entries read")
        #expect(metrics.contains("tally_aggregator_ingested_records_total \(all.count)"), "every record inserted once")
        #expect(try aggregator.stop() == 0)

        _ = try redis.command(RedisCommand("XGROUP", "SETID", log, aggregator.group, "0"))
        let redelivered = try redis.command(RedisCommand(
            "XREADGROUP", "GROUP", aggregator.group, "indexer", "COUNT", "1000", "STREAMS", log, ">"))
        #expect(redelivered.elements?.first?.elements?.last?.elements?.count == entries)
        try aggregator.start()
        try waitUntil("the re-read entries to be acked") { try pending(environment, group: aggregator.group) == 0 }
        metrics = try aggregator.get("/metrics").text
        #expect(metrics.contains("tally_aggregator_log_entries_read_total \(entries)"), "every pending entry read again")
        #expect(metrics.contains("tally_aggregator_ingested_records_total 0"), "none of their records inserted again")
        #expect(try totals(aggregator) == (try AggregationOracle(records: all).expected(.init())))
    }

    /// Following a live log, entries that arrive one read apart are
    /// committed together (`stream.lingerMs`): each record here is appended
    /// only once the aggregator has read the one before, so without the
    /// linger every record would be a commit of its own. A batch that does
    /// not fill up is committed once a read has waited `stream.blockMs`
    /// (4 s here, long enough that the test's own pauses never end the
    /// linger early) with nothing new.
    @Test func aLiveLogIsCommittedInLingeredBatches() throws {
        let environment = TestEnvironment("agg-linger")
        defer { environment.cleanUp() }
        let all = try AggregatorQueryTests.records(prefix: environment.runId)
        let aggregator = try AggregatorProcess(
            environment,
            extra: ["TALLY_STREAM_BATCH_SIZE": "3", "TALLY_STREAM_LINGER_MS": "8000", "TALLY_STREAM_BLOCK_MS": "4000"])
        let redis = try environment.redis()
        for record in all[0..<3] {
            let id = try redis.command(RedisCommand("XADD", environment.layout.log, "*", "record", record.canonicalJSON)).text
            try waitUntil("the aggregator to read \(id ?? "?")") {
                try lastDelivered(environment, group: aggregator.group) == id
            }
        }
        try aggregator.waitUntilCaughtUp(records: 3)
        var metrics = try aggregator.get("/metrics").text
        #expect(metrics.contains("tally_aggregator_ingest_commits_total 1"), "three reads, one commit")
        #expect(metrics.contains("tally_aggregator_ingested_records_total 3"))

        try AggregationOracle.append([all[3]], to: environment)
        try aggregator.waitUntilCaughtUp(records: 4)
        metrics = try aggregator.get("/metrics").text
        #expect(metrics.contains("tally_aggregator_ingest_commits_total 2"), "the lone record committed after a read in vain")
        #expect(try totals(aggregator) == (try AggregationOracle(records: Array(all[0..<4])).expected(.init())))
        try waitUntil("nothing pending") { try pending(environment, group: aggregator.group) == 0 }
    }

    /// The ID of the last entry the group handed to a consumer.
    private func lastDelivered(_ environment: TestEnvironment, group: String) throws -> String? {
        let groups = try environment.redis().command(RedisCommand("XINFO", "GROUPS", environment.layout.log)).elements ?? []
        for fields in groups.compactMap(\.elements) {
            let pairs = stride(from: 0, to: fields.count - 1, by: 2).map { (fields[$0].text, fields[$0 + 1]) }
            guard pairs.contains(where: { $0.0 == "name" && $0.1.text == group }) else { continue }
            return pairs.first { $0.0 == "last-delivered-id" }?.1.text
        }
        return nil
    }

    @Test func aDeletedIndexIsRebuiltFromTheLog() throws {
        let environment = TestEnvironment("agg-rebuild")
        defer { environment.cleanUp() }
        let all = try AggregatorQueryTests.records(prefix: environment.runId)
        try AggregationOracle.append(all, to: environment)
        let aggregator = try AggregatorProcess(environment)
        try aggregator.waitUntilCaughtUp(records: all.count)
        let before = try totals(aggregator)
        #expect(before == (try AggregationOracle(records: all).expected(.init())))
        #expect(try aggregator.stop() == 0)
        try aggregator.deleteIndex()
        try aggregator.start()
        try aggregator.waitUntilCaughtUp(records: all.count)
        #expect(try totals(aggregator) == before)
        #expect(aggregator.log.contains("positioned after 0"))
    }

    @Test func theLogIsTrimmedOnlyAsFarAsEveryGroupCommitted() throws {
        let environment = TestEnvironment("agg-trim")
        defer { environment.cleanUp() }
        let all = try AggregatorQueryTests.records(prefix: environment.runId)
        try AggregationOracle.append(all, to: environment)
        let redis = try environment.redis()
        let log = environment.layout.log
        // Another replica's group that has read nothing yet holds every entry.
        _ = try redis.command(RedisCommand("XGROUP", "CREATE", log, "other-replica", "0"))
        let aggregator = try AggregatorProcess(
            environment, extra: ["TALLY_STREAM_RETENTION_SECONDS": "0", "TALLY_STREAM_TRIM_INTERVAL_SECONDS": "1"])
        try aggregator.waitUntilCaughtUp(records: all.count)
        usleep(2_500_000)
        #expect(try redis.command(RedisCommand("XLEN", log)).integer == Int64(all.count), "nothing trimmed past the other group")
        _ = try redis.command(RedisCommand("XGROUP", "DESTROY", log, "other-replica"))
        try waitUntil("the log to be trimmed") { try redis.command(RedisCommand("XLEN", log)).integer == 0 }
        #expect(try totals(aggregator) == (try AggregationOracle(records: all).expected(.init())), "the index keeps everything")
    }

    @Test func withARealWorkerWritingTheLogTotalsAndSummariesAreExact() throws {
        let environment = TestEnvironment("agg-worker")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let bodies = RecordStream.valid(count: 300, prefix: environment.runId, seed: 99)
        let oracle = try Oracle(bodies)
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let aggregator = try AggregatorProcess(environment)
        try environment.publish(bodies)
        try aggregator.waitUntilCaughtUp(records: bodies.count)
        #expect(try totals(aggregator) == oracle.byDestination)
        // The worker started on an empty Redis (`log batches`): every entry is a batch's.
        let entries = try environment.redis().command(RedisCommand("XRANGE", environment.layout.log, "-", "+")).elements ?? []
        #expect(Set(entries.map { $0.elements?.last?.elements?.first?.text }) == ["records"], "batch entries only")

        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        for (destination, expected) in oracle.byDestination {
            let path = "/v1/destinations/\(destination.addingPercentEncoding(withAllowedCharacters: allowed)!)/summary"
            let result = try aggregator.get(path)
            #expect(result.status == 200, "\(path): \(result.text)")
            #expect(result.json["destinationId"] == .string(destination))
            #expect(try Summary(json: result.json) == expected, "live summary of \(destination)")
            guard case .array(let references)? = result.json["references"] else { throw TestFailure(result.text) }
            var byReference: [String: Summary] = [:]
            for entry in references {
                guard case .string(let reference)? = entry["reference"] else { throw TestFailure(result.text) }
                byReference[reference] = try Summary(json: entry)
            }
            #expect(byReference == oracle.byReference[destination] ?? [:])
        }
        let ready = try aggregator.get("/ready")
        #expect(ready.status == 200 && ready.json["ready"] == .bool(true))
        try aggregator.waitUntilLagMeasuredZero()
        let metrics = try aggregator.get("/metrics").text
        #expect(metrics.contains("tally_aggregator_ingested_records_total 300"))
        #expect(metrics.contains("tally_aggregator_query_duration_seconds_bucket"))
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
    }
}
