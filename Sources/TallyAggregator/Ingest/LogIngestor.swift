import Foundation
import Logging
import TallyCore
import TallyRedisClient
import TallyRuntime
import TallyStore

/// Tails the `tally:log` stream into the index. A blocking loop that owns
/// its Redis connection, so it runs on its own thread (see ``IngestService``).
///
/// Per batch: XREADGROUP about `batchSize` records' worth of entries, validate each record,
/// INSERT OR IGNORE them all plus the batch's last entry ID in one SQLite
/// transaction, and only then XACK. A crash anywhere leaves the entries
/// pending or redelivered, and re-reading them inserts nothing twice. The
/// XREADGROUP of the next batch is sent before the current batch's
/// transaction, so Redis works while SQLite commits (see ``consume(_:)``).
///
/// On (re)connect the group is positioned at the index's own committed
/// entry ID (created there if missing, SETID if present; "0" for an empty
/// index, which is how a deleted index file rebuilds from the log), then
/// the entries still pending for this consumer are read (ID 0) before new
/// ones (`>`).
final class LogIngestor {
    private let configuration: AggregatorConfiguration
    private let index: RecordIndex
    private let status: IngestStatus
    private let metrics: AggregatorMetrics
    private let stop: StopSignal
    private let logger: Logger
    private let layout: RedisKeyLayout
    private let validator = RecordValidator()
    private static let consumer = "indexer"

    private var profile = IngestProfile()
    /// The most records one entry may hold, as far as this aggregator
    /// knows: XREADGROUP asks for `stream.batchSize` / this many entries, so
    /// a read never brings much more than `stream.batchSize` records. An
    /// entry holds one record, or with a batched log a whole worker batch:
    /// 1 while the layout hash does not say `log batches`, a full batch of
    /// the workers' default size (500) once it does, and the largest entry
    /// read since, if larger. It never shrinks: a read sized by a stretch of
    /// small entries could otherwise bring a backlog of full batches by the
    /// thousand.
    private var largestEntry = 1
    /// Records in a full worker batch by default (the workers' `batch.maxSize`).
    private static let defaultWorkerBatch = 500
    private var lastLagCheck = ContinuousClock.now - .seconds(60)
    private var lastTrim = ContinuousClock.now

    init(
        configuration: AggregatorConfiguration, index: RecordIndex, status: IngestStatus,
        metrics: AggregatorMetrics, stop: StopSignal, logger: Logger
    ) {
        self.configuration = configuration
        self.index = index
        self.status = status
        self.metrics = metrics
        self.stop = stop
        self.logger = logger
        self.layout = RedisKeyLayout(prefix: configuration.keyPrefix)
    }

    private var stream: String { layout.log }
    private var group: String { configuration.stream.group }

    /// Runs until a stop is requested; Redis and SQLite failures are logged
    /// and retried with capped backoff, never fatal.
    func run() {
        var backoff = configuration.stream.backoffInitialMilliseconds
        while !stop.isRequested {
            do {
                let redis = try RedisConnection(configuration.redis)
                try positionGroup(redis)
                status.setConsuming(true)
                backoff = configuration.stream.backoffInitialMilliseconds
                try consume(redis)
            } catch {
                status.setConsuming(false)
                logger.warning("ingest: \(error); retrying in \(backoff) ms", metadata: ["group": "\(group)"])
                stop.sleep(milliseconds: backoff)
                backoff = min(backoff * 2, configuration.stream.backoffMaximumMilliseconds)
            }
        }
        status.setConsuming(false)
        logger.info("ingest: stopped")
    }

    private func positionGroup(_ redis: RedisConnection) throws {
        // Registered as a reader of batch entries before the group exists,
        // so the workers never see this group unregistered (LogReaders).
        try LogReaders.register(group, on: redis, layout: layout)
        try noteLogFormat(redis)
        let position = try index.lastCommittedStreamID() ?? "0"
        let created = try redis.command(RedisCommand("XGROUP", "CREATE", stream, group, position, "MKSTREAM"))
        if let error = created.errorMessage {
            guard error.hasPrefix("BUSYGROUP") else { throw RedisError(.unexpectedReply, "XGROUP CREATE: \(error)") }
            let moved = try redis.command(RedisCommand("XGROUP", "SETID", stream, group, position))
            if let error = moved.errorMessage { throw RedisError(.unexpectedReply, "XGROUP SETID: \(error)") }
        }
        logger.info("ingest: group \(group) positioned after \(position)", metadata: ["stream": "\(stream)"])
    }

    /// The read of the next batch is pipelined: its XREADGROUP goes out
    /// before the current batch's SQLite transaction, so Redis finds the
    /// entries and the socket carries them while SQLite commits; the XACK
    /// goes out after the commit, on the same connection (which never leaves
    /// this thread), and both replies are read in order at the top of the
    /// loop, before anything else is sent.
    private func consume(_ redis: RedisConnection) throws {
        // Pending entries first (those after `pendingAfter`, which starts at
        // 0), then new ones (`>`). Reading the pending entries after the last
        // one handled rather than from 0 lets that read go out before the
        // previous batch's XACK.
        var pendingAfter: String? = "0"
        var ackInFlight = false
        try sendRead(redis, after: pendingAfter)
        while true {
            var started = ContinuousClock.now
            let reply = try redis.readReply()
            if ackInFlight {
                let acked = try redis.readReply()
                if let error = acked.errorMessage { throw RedisError(.unexpectedReply, "XACK: \(error)") }
                ackInFlight = false
            }
            if let error = reply.errorMessage {
                guard error.hasPrefix("NOGROUP") else { throw RedisError(.unexpectedReply, "XREADGROUP: \(error)") }
                logger.warning("ingest: the consumer group is gone (\(error)); recreating it at the index's position")
                if stop.isRequested { return }
                try positionGroup(redis)
                pendingAfter = "0"
                try sendRead(redis, after: pendingAfter)
                continue
            }
            var entries = try LogEntries.parse(reply)
            // The lag is measured before the linger: the entries gathered
            // during it are in hand, not behind.
            try housekeeping(redis, caughtUp: entries.isEmpty)
            if !entries.isEmpty, pendingAfter == nil { entries = try lingered(redis, after: entries) }
            if !entries.isEmpty { profile.read += ContinuousClock.now - started }
            if entries.isEmpty {
                if profile.entries > 0 {
                    // Caught up after a stretch of ingest: copy the WAL into
                    // the database file, so queries find every page there.
                    try index.checkpoint()
                }
                profile.caughtUp(logger)
                if stop.isRequested { return }
                pendingAfter = nil
                try sendRead(redis, after: pendingAfter)
                continue
            }
            profile.started()
            started = ContinuousClock.now
            let records = validated(entries)
            profile.validate += ContinuousClock.now - started
            largestEntry = max(largestEntry, Self.largest(in: entries))
            let last = entries[entries.count - 1].id
            // A stop lets the batch in flight finish (commit and ack) but
            // asks for no next one.
            let stopping = stop.isRequested
            if pendingAfter != nil { pendingAfter = last }
            if !stopping { try sendRead(redis, after: pendingAfter) }
            started = ContinuousClock.now
            let inserted = try index.insert(records, lastStreamID: last)
            profile.commit += ContinuousClock.now - started
            // Only now, after the commit: acknowledge.
            var ack = RedisCommand("XACK", stream, group)
            for entry in entries { ack.append(entry.id) }
            try redis.append(ack)
            try redis.flush()
            ackInFlight = true
            metrics.readEntries.increment(by: Int64(entries.count))
            metrics.ingestCommits.increment()
            metrics.ingestedRecords.increment(by: Int64(inserted))
            status.recordIngested(inserted)
            profile.batches += 1
            profile.entries += entries.count
            profile.records += records.count
            if stopping {
                let acked = try redis.readReply()
                if let error = acked.errorMessage { throw RedisError(.unexpectedReply, "XACK: \(error)") }
                return
            }
        }
    }

    /// A live read brings what arrived since the last one, often a single
    /// worker batch. For up to `stream.lingerMs` more reads follow (each
    /// blocking for what is left of that time, at most `stream.blockMs`)
    /// until about `stream.batchSize` records are in hand, a read comes
    /// back empty (the stream paused for `stream.blockMs`), the group is
    /// gone or a stop is requested; all of them are committed together, so
    /// SQLite pays its per-commit cost once for many worker batches.
    /// Entries read here are pending like the first ones: a failure before
    /// the commit leaves them to be read again. A missing group (NOGROUP)
    /// ends the linger with what is in hand; the next read meets it too and
    /// recreates the group after the commit's position.
    private func lingered(_ redis: RedisConnection, after first: [LogEntries.Entry]) throws -> [LogEntries.Entry] {
        let batchSize = configuration.stream.batchSize
        var entries = first
        var records = Self.records(in: first)
        largestEntry = max(largestEntry, Self.largest(in: first))
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(configuration.stream.lingerMilliseconds))
        while records < batchSize, !stop.isRequested {
            // At most `stream.blockMs` per read, which bounds a graceful stop.
            let left = min(Int(ContinuousClock.now.duration(to: deadline) / .milliseconds(1)), configuration.stream.blockMilliseconds)
            guard left >= 1 else { break }  // BLOCK 0 would wait for ever
            try sendRead(redis, after: nil, records: batchSize - records, blockMilliseconds: left)
            let reply = try redis.readReply()
            if let error = reply.errorMessage {
                guard error.hasPrefix("NOGROUP") else { throw RedisError(.unexpectedReply, "XREADGROUP: \(error)") }
                break
            }
            let more = try LogEntries.parse(reply)
            if more.isEmpty { break }
            entries += more
            records += Self.records(in: more)
            largestEntry = max(largestEntry, Self.largest(in: more))
        }
        return entries
    }

    /// Records the entries hold (an entry trimmed while pending holds none).
    private static func records(in entries: [LogEntries.Entry]) -> Int {
        entries.reduce(0) { $0 + $1.records.count }
    }

    private static func largest(in entries: [LogEntries.Entry]) -> Int {
        entries.lazy.map(\.records.count).max() ?? 0
    }

    /// Sends (without waiting for the reply) the XREADGROUP of the next
    /// batch: pending entries after `pendingAfter`, or new ones when nil
    /// (waiting up to `blockMilliseconds` for them); about `records`
    /// records' worth of entries.
    private func sendRead(
        _ redis: RedisConnection, after pendingAfter: String?, records: Int? = nil, blockMilliseconds: Int? = nil
    ) throws {
        let count = max(1, (records ?? configuration.stream.batchSize) / largestEntry)
        var command = RedisCommand("XREADGROUP", "GROUP", group, Self.consumer, "COUNT", "\(count)")
        if pendingAfter == nil {
            command.append("BLOCK")
            command.append("\(blockMilliseconds ?? configuration.stream.blockMilliseconds)")
        }
        command.append("STREAMS")
        command.append(stream)
        command.append(pendingAfter ?? ">")
        try redis.append(command)
        try redis.flush()
    }

    /// The valid records of a batch, in log order: an entry holds one
    /// record, or with a batched log every record one worker call applied
    /// (``LogEntries``); all of them are inserted with the batch's last
    /// entry ID, so an entry is committed whole. An entry with no record
    /// field, or a record that is not valid, is counted and logged, and
    /// skipped.
    private func validated(_ entries: [LogEntries.Entry]) -> [(record: TallyCore.Record, json: String)] {
        var records: [(record: TallyCore.Record, json: String)] = []
        records.reserveCapacity(entries.count)
        for entry in entries {
            guard entry.hasFields else { continue }  // trimmed while pending: nothing to index
            if entry.records.isEmpty {
                metrics.unreadableEntries.increment()
                logger.error("ingest: log entry \(entry.id) holds no record; skipped")
            }
            for body in entry.records {
                switch validator.validate(body) {
                case .success(let record):
                    records.append((record, String(decoding: body, as: UTF8.self)))
                case .failure(let rejection):
                    metrics.unreadableEntries.increment()
                    logger.error("ingest: log entry \(entry.id) holds an invalid record (\(rejection)); skipped")
                }
            }
        }
        return records
    }

    /// Measures the lag (at most every 250 ms) and trims the log (every
    /// `trimIntervalSeconds`).
    private func housekeeping(_ redis: RedisConnection, caughtUp: Bool) throws {
        let now = ContinuousClock.now
        if caughtUp || now - lastLagCheck >= .milliseconds(250) {
            lastLagCheck = now
            try noteLogFormat(redis)
            let lag = try measureLag(redis)
            status.setLag(lag)
            metrics.indexLag.set(Double(lag ?? -1))
        }
        let interval = configuration.stream.trimIntervalSeconds
        if interval > 0, now - lastTrim >= .seconds(interval) {
            lastTrim = now
            try trim(redis)
        }
    }

    /// Sizes reads for full worker batches once the workers write them (see
    /// ``largestEntry``): `log batches`, and every group of the log reading
    /// them (the Function's own condition, ``LogReaders``). Checked with
    /// the lag, a few times a second.
    private func noteLogFormat(_ redis: RedisConnection) throws {
        guard largestEntry < Self.defaultWorkerBatch else { return }
        let format = try redis.command(RedisCommand("HGET", layout.layoutVersion, "log"))
        guard format.text == "batches", try LogReaders.unregistered(on: redis, layout: layout).isEmpty else { return }
        largestEntry = Self.defaultWorkerBatch
    }

    /// Entries not yet committed by this group: its pending ones plus those
    /// not yet delivered (Redis 7's `lag`, or counted when Redis cannot say).
    private func measureLag(_ redis: RedisConnection) throws -> Int? {
        let groups = try ConsumerGroups.read(redis, stream: stream)
        guard let mine = groups.first(where: { $0.name == group }) else { return nil }
        if let lag = mine.lag { return mine.pending + lag }
        let bound = configuration.readiness.maxLagEntries + 1
        let reply = try redis.command(RedisCommand(
            "XRANGE", stream, "(" + mine.lastDelivered.description, "+", "COUNT", "\(bound)"))
        return mine.pending + (reply.elements?.count ?? 0)
    }

    private func trim(_ redis: RedisConnection) throws {
        // Acked entries are committed, but with `synchronous = NORMAL` the
        // last commits could still roll back with the machine: make them
        // durable before any of their entries can leave the log.
        try index.makeDurable()
        var positions: [LogTrimPolicy.GroupPosition] = []
        for info in try ConsumerGroups.read(redis, stream: stream) {
            var oldest: StreamID?
            if info.pending > 0 {
                let summary = try redis.command(RedisCommand("XPENDING", stream, info.name))
                oldest = summary.elements.flatMap { $0.count > 1 ? $0[1].text : nil }.flatMap(StreamID.init)
            }
            positions.append(.init(name: info.name, lastDelivered: info.lastDelivered, oldestPending: oldest))
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        guard let minimum = LogTrimPolicy.minimumID(
            groups: positions, nowMilliseconds: now,
            retentionMilliseconds: UInt64(configuration.stream.retentionSeconds) * 1000)
        else { return }
        let reply = try redis.command(RedisCommand("XTRIM", stream, "MINID", minimum.description))
        if let removed = reply.integer, removed > 0 {
            metrics.trimmedEntries.increment(by: removed)
            logger.debug("ingest: trimmed \(removed) log entries before \(minimum)")
        }
    }
}
