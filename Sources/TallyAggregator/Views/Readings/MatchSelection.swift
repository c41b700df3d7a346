import TallyAdapters
import TallyCore

/// Picks one algorithm run's rows and totals them (pure: unit-tested).
///
/// Runs are versions: a query names one (`run=`) or gets the latest, i.e.
/// the run with the latest instant among the rows it looks at. Amounts are
/// exact; sides are never added together.
enum MatchSelection {
    struct Entry: Sendable, Equatable {
        let reference: MatchReference
        let amount: ExactDecimal
        /// Where the row's `read_time` is kept (``MatchRecordId``); nil
        /// where a view needs totals only.
        var recordId: MatchRecordId? = nil
    }

    /// One output row as the algorithm wrote it.
    struct OutputRow: Sendable, Equatable {
        let date: String
        let time: String
        let side: MatchSide
        let amount: ExactDecimal
    }

    struct RunSummary: Sendable, Equatable {
        let run: String
        var count: Int
        var firstDate: String
        var lastDate: String
    }

    /// Day totals of one side.
    struct DayTotal: Sendable, Equatable {
        let date: String
        var count: Int
        var total: ExactDecimal
    }

    /// The rows whose reference is a match reference (others are ignored:
    /// they cannot come from the matches adapter).
    static func entries(_ rows: [ReadingsQueries.Row]) -> [Entry] {
        rows.compactMap { row in
            MatchReference(row.reference).map { Entry(reference: $0, amount: row.amount, recordId: MatchRecordId(row.recordId)) }
        }
    }

    /// Later instant first; equal instants by text, so the order is total.
    static func isLater(_ a: String, than b: String) -> Bool {
        switch (try? RFC3339Timestamp.parse(a), try? RFC3339Timestamp.parse(b)) {
        case (let x?, let y?) where x != y: return x > y
        default: return a > b
        }
    }

    static func runs(_ entries: [Entry]) -> [RunSummary] {
        var byRun: [String: RunSummary] = [:]
        for entry in entries {
            let reference = entry.reference
            if var summary = byRun[reference.run] {
                summary.count += 1
                summary.firstDate = min(summary.firstDate, reference.date)
                summary.lastDate = max(summary.lastDate, reference.date)
                byRun[reference.run] = summary
            } else {
                byRun[reference.run] = RunSummary(run: reference.run, count: 1, firstDate: reference.date, lastDate: reference.date)
            }
        }
        return byRun.values.sorted { isLater($0.run, than: $1.run) }
    }

    /// The named run, or the latest one among `entries` (nil if none).
    static func chosenRun(_ entries: [Entry], named: String?) -> String? {
        if let named { return named }
        var latest: String?
        for entry in entries where latest.map({ isLater(entry.reference.run, than: $0) }) ?? true {
            latest = entry.reference.run
        }
        return latest
    }

    /// Per-day totals of `side` in `run`, dates ascending.
    static func days(_ entries: [Entry], run: String, side: MatchSide, range: LocalDateRange?) -> [DayTotal] {
        var byDate: [String: DayTotal] = [:]
        for entry in entries where entry.reference.run == run && entry.reference.side == side {
            guard range.map({ $0.contains(entry.reference.date) }) ?? true else { continue }
            byDate[entry.reference.date, default: DayTotal(date: entry.reference.date, count: 0, total: .zero)].count += 1
            byDate[entry.reference.date]!.total += entry.amount
        }
        return byDate.values.sorted { $0.date < $1.date }
    }

    /// The rows of `run` (of `side`, or both) whose date is in `range`, in
    /// the order of the algorithm's intervals: date, time, then buyer before
    /// seller. A row whose recordId is not a match recordId has no time and
    /// is left out (the matches adapter writes none such).
    static func rows(_ entries: [Entry], run: String, side: MatchSide?, range: LocalDateRange) -> [OutputRow] {
        entries.compactMap { entry -> OutputRow? in
            let reference = entry.reference
            guard reference.run == run, side.map({ $0 == reference.side }) ?? true, range.contains(reference.date),
                let id = entry.recordId
            else { return nil }
            return OutputRow(date: reference.date, time: id.time, side: reference.side, amount: entry.amount)
        }.sorted { ($0.date, $0.time, $0.side == .buyer ? 0 : 1) < ($1.date, $1.time, $1.side == .buyer ? 0 : 1) }
    }

    static func sum(_ days: [DayTotal]) -> (count: Int, total: ExactDecimal) {
        days.reduce((0, ExactDecimal.zero)) { ($0.0 + $1.count, $0.1 + $1.total) }
    }
}
