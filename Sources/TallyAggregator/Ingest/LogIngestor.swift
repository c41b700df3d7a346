import Foundation
import Logging
import TallyCore
import TallyRedis

/// Tails the `tally:log` stream into the index. A blocking loop that owns
/// its Redis connection, so it runs on its own thread (see ``IngestService``).
///
/// Per batch: XREADGROUP up to `batchSize` entries, validate each record,
/// INSERT OR IGNORE them all plus the batch's last entry ID in one SQLite
/// transaction, and only then XACK. A crash anywhere leaves the entries
/// pending or redelivered, and re-reading them inserts nothing twice.
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
    private let stop: IngestStopSignal
    private let logger: Logger
    private let layout: RedisKeyLayout
    private let validator = RecordValidator()
    private static let consumer = "indexer"

    private var lastLagCheck = ContinuousClock.now - .seconds(60)
    private var lastTrim = ContinuousClock.now

    init(
        configuration: AggregatorConfiguration, index: RecordIndex, status: IngestStatus,
        metrics: AggregatorMetrics, stop: IngestStopSignal, logger: Logger
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
        let position = try index.lastCommittedStreamID() ?? "0"
        let created = try redis.command(RedisCommand("XGROUP", "CREATE", stream, group, position, "MKSTREAM"))
        if let error = created.errorMessage {
            guard error.hasPrefix("BUSYGROUP") else { throw RedisError(.unexpectedReply, "XGROUP CREATE: \(error)") }
            let moved = try redis.command(RedisCommand("XGROUP", "SETID", stream, group, position))
            if let error = moved.errorMessage { throw RedisError(.unexpectedReply, "XGROUP SETID: \(error)") }
        }
        logger.info("ingest: group \(group) positioned after \(position)", metadata: ["stream": "\(stream)"])
    }

    private func consume(_ redis: RedisConnection) throws {
        var readingPending = true
        while !stop.isRequested {
            var command = RedisCommand("XREADGROUP", "GROUP", group, Self.consumer, "COUNT", "\(configuration.stream.batchSize)")
            if !readingPending {
                command.append("BLOCK")
                command.append("\(configuration.stream.blockMilliseconds)")
            }
            command.append("STREAMS")
            command.append(stream)
            command.append(readingPending ? "0" : ">")
            let reply = try redis.command(command)
            if let error = reply.errorMessage {
                if error.hasPrefix("NOGROUP") {
                    logger.warning("ingest: the consumer group is gone (\(error)); recreating it at the index's position")
                    try positionGroup(redis)
                    readingPending = true
                    continue
                }
                throw RedisError(.unexpectedReply, "XREADGROUP: \(error)")
            }
            let entries = try LogEntries.parse(reply)
            if entries.isEmpty {
                if readingPending { readingPending = false }
                try housekeeping(redis, caughtUp: true)
                continue
            }
            try commit(entries, redis)
            try housekeeping(redis, caughtUp: false)
        }
    }

    /// Index, commit, then acknowledge: never the other way round.
    private func commit(_ entries: [LogEntries.Entry], _ redis: RedisConnection) throws {
        var records: [(record: TallyCore.Record, json: String)] = []
        records.reserveCapacity(entries.count)
        for entry in entries {
            guard let body = entry.record else { continue }  // trimmed while pending: nothing to index
            switch validator.validate(body) {
            case .success(let record):
                records.append((record, String(decoding: body, as: UTF8.self)))
            case .failure(let rejection):
                metrics.unreadableEntries.increment()
                logger.error("ingest: log entry \(entry.id) holds no valid record (\(rejection)); skipped")
            }
        }
        let inserted = try index.insert(records, lastStreamID: entries[entries.count - 1].id)
        var ack = RedisCommand("XACK", stream, group)
        for entry in entries { ack.append(entry.id) }
        let acked = try redis.command(ack)
        if let error = acked.errorMessage { throw RedisError(.unexpectedReply, "XACK: \(error)") }
        metrics.readEntries.increment(by: Int64(entries.count))
        metrics.ingestedRecords.increment(by: Int64(inserted))
    }

    /// Measures the lag (at most every 250 ms) and trims the log (every
    /// `trimIntervalSeconds`).
    private func housekeeping(_ redis: RedisConnection, caughtUp: Bool) throws {
        let now = ContinuousClock.now
        if caughtUp || now - lastLagCheck >= .milliseconds(250) {
            lastLagCheck = now
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
