import Foundation
import Logging
import TallyAdapters
import TallyRedisClient
import TallyRuntime
import TallyStore

/// `tally import watch DIR`: a long-running, blocking watcher that imports
/// every transactions file dropped into a folder once by content, then
/// files it into `done/` or `failed/`. Run it on a thread of its own.
///
/// Each poll lists the folder; ``WatchFolderState`` says which files are
/// complete. For each, in name order:
/// 1. the SHA-256 of its content is claimed in Redis (``ImportedFileClaim``);
///    content imported before goes to `done/` with `<name>.note` saying when,
///    and nothing is published; a claim still in progress (another import,
///    or one that died within the claim's hour) leaves the file in place;
/// 2. the file is imported (``CSVImport``, publisher confirms);
/// 3. every row sent: `done/`. A file that cannot be read (no header, a
///    header without the columns) or with rows rejected or refused: `failed/`
///    with `<name>.reason` (and `<name>.rejects.csv`). The claim is kept when
///    rows were rejected for their content (the good ones are in; fix the
///    others in a new file) and released otherwise, so the same bytes can be
///    dropped again.
///
/// A broker, Redis or folder failure leaves the file where it is (claim
/// released) to be tried at the next poll. A stop request (SIGINT/SIGTERM)
/// is honoured between files: the file in hand is finished and filed.
public final class ImportWatcher {
    private let configuration: ImportWatcherConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let folder: WatchedFolder
    private let layout: RedisKeyLayout
    private var redis: RedisConnection?
    private var state = WatchFolderState()
    private let reports: ImportedAccountReports?
    /// Files left in place for a claim in progress, already logged once
    /// (they are looked at every poll, for up to the claim's hour).
    private var waitingForClaim: Set<String> = []

    /// What `/metrics` and `/ready` show while it runs (`--listen-port`).
    public let metrics = ImportWatcherMetrics()

    public init(configuration: ImportWatcherConfiguration, logger: Logger, stop: StopSignal) throws(ImportFailure) {
        guard configuration.pollMilliseconds > 0 else { throw ImportFailure("--poll-ms must be positive") }
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        folder = try WatchedFolder(path: configuration.directory)
        layout = RedisKeyLayout(prefix: configuration.connections.keyPrefix)
        reports = configuration.reports.map { ImportedAccountReports(settings: $0, connections: configuration.connections, stop: stop) }
    }

    /// Watches until stopped.
    public func run() {
        logger.info("watching \(folder.path) every \(configuration.pollMilliseconds) ms for transactions files (done: \(folder.done), failed: \(folder.failed))")
        while !stop.isRequested {
            do {
                let ready = state.poll(try folder.list())
                metrics.listedFolder()
                for name in ready {
                    // The file in hand is finished; a stop is honoured before the next.
                    if stop.isRequested { break }
                    take(name)
                }
            } catch {
                metrics.folderFailed()
                logger.warning("\(error); trying again at the next poll")
            }
            guard stop.sleep(milliseconds: configuration.pollMilliseconds) else { break }
        }
        logger.info("stopped watching \(folder.path)")
    }

    /// Claims, imports and files one complete file.
    private func take(_ name: String) {
        let path = folder.path + "/" + name
        let rejects = folder.path + "/." + name + ".rejects.csv"
        do {
            let hash = try ImportedFileClaim.sha256(path: path)
            let claim = ImportedFileClaim(connection: try redisConnection(), layout: layout, hash: hash)
            if let previous = try claim.claimOrPrevious(file: path) {
                try skip(name, hash: hash, previous: previous)
                metrics.succeeded()
                return
            }
            waitingForClaim.remove(name)
            let outcome: CSVImport.Outcome
            let tally = reports.map { ImportedAccountReports.Tally($0) }
            do {
                outcome = try importFile(path, rejects: rejects, tally: tally)
            } catch let failure as ImportFailure {
                // The file itself is at fault (no header, missing columns): failed/.
                claim.release()
                fail(name, reason: failure.description, rejects: rejects)
                metrics.succeeded()
                return
            } catch {
                claim.release()
                throw error
            }
            try file(name, outcome: outcome, claim: claim, importedFrom: path, rejects: rejects)
            metrics.succeeded()
            if let tally, outcome.refused == 0 { report(tally, of: path) }
        } catch {
            if error is RedisError { redis = nil }
            metrics.failed()
            logger.warning("\(path): \(error); left in place, trying again at the next poll")
        }
    }

    /// A file whose content is already claimed.
    private func skip(_ name: String, hash: String, previous: String) throws(ImportFailure) {
        if previous.hasPrefix(ImportedFileClaim.inProgressPrefix) {
            guard waitingForClaim.insert(name).inserted else { return }
            logger.warning("\(folder.path)/\(name): its content (SHA-256 \(hash)) is claimed by an import in progress — \(previous); left in place until that claim is completed or expires")
            return
        }
        waitingForClaim.remove(name)
        let note = "not imported again: a file with the same content (SHA-256 \(hash)) was already imported — \(previous). Nothing was published."
        let target = try folder.moveToDone(name, note: note)
        metrics.duplicates.increment()
        logger.notice("\(folder.path)/\(name): \(note) Moved to \(target).")
    }

    private func importFile(_ path: String, rejects: String, tally: ImportedAccountReports.Tally?) throws -> CSVImport.Outcome {
        let connections = configuration.connections
        let currency = configuration.currency
        let importer = CSVImport(
            path: path, rejectsPath: rejects, exchange: connections.topology.recordsExchange, broker: connections.broker,
            window: configuration.window)
        let outcome = try importer.run { header throws(HeaderRejection) in
            let mapper = try TransactionRowMapper(header: header, defaultCurrency: currency, limits: connections.limits)
            return { fields throws(RowRejection) in
                let record = try mapper.record(fields)
                tally?.add(record)
                return record
            }
        }
        logger.info("\(importer.summary(outcome, what: "transactions"))")
        metrics.rowsPublished.increment(by: Int64(outcome.published - outcome.refused))
        metrics.rowsRejected.increment(by: Int64(outcome.rejected + outcome.refused))
        return outcome
    }

    /// Files an imported file by its outcome, completing or releasing its claim.
    private func file(
        _ name: String, outcome: CSVImport.Outcome, claim: ImportedFileClaim, importedFrom path: String, rejects: String
    ) throws {
        if outcome.refused > 0 {
            claim.release()
            fail(
                name,
                reason: "\(outcome.refused) of \(outcome.rows) rows were refused by the broker (nack); the file's claim was released, so drop it again to retry (the rows already taken are not doubled)",
                rejects: rejects)
            return
        }
        try claim.complete(file: path, rows: outcome.rows)
        if outcome.rejected > 0 {
            fail(
                name,
                reason: "\(outcome.rejected) of \(outcome.rows) rows were rejected (line numbers and reasons: \(name).rejects.csv beside this file); the other \(outcome.published) were imported. Put the corrected rows in a new file: this content counts as imported.",
                rejects: rejects)
            return
        }
        let target = try folder.moveToDone(name)
        metrics.imported.increment()
        logger.info("\(path): \(outcome.published) rows imported; moved to \(target)")
    }

    /// Publishes the reports of the accounts a file touched, once indexed.
    /// A failure is logged and counted; the file stays where it was filed.
    private func report(_ tally: ImportedAccountReports.Tally, of path: String) {
        guard let reports else { return }
        do {
            let accounts = try reports.publish(tally)
            metrics.reportsPublished.increment(by: Int64(accounts.count))
            if !accounts.isEmpty { logger.info("\(path): published the reports of \(accounts.count) accounts: \(accounts.joined(separator: ", "))") }
        } catch {
            metrics.reportsFailed.increment()
            metrics.failed()
            logger.error("\(path): the accounts' reports were not published: \(error)")
        }
    }

    private func fail(_ name: String, reason: String, rejects: String) {
        metrics.failedFiles.increment()
        do {
            let target = try folder.moveToFailed(name, reason: reason, rejects: rejects)
            logger.error("\(folder.path)/\(name) failed: \(reason). Moved to \(target), reason in \(target).reason")
        } catch {
            metrics.failed()
            logger.error("\(folder.path)/\(name) failed: \(reason); and \(error)")
        }
    }

    private func redisConnection() throws -> RedisConnection {
        if let redis { return redis }
        let connection = try RedisConnection(configuration.connections.redis)
        redis = connection
        return connection
    }
}
