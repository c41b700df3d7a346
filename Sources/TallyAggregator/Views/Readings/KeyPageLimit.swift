/// Where a page of the output by key (`/v1/matches?from&to`) ends (pure).
///
/// A page holds whole ICPs in ICP order, so the cursor is the last ICP and
/// an ICP's rows and totals are never split between pages (its latest run
/// is chosen among all its rows in the range). The page ends after `icps`
/// ICPs, or after the ICP during which `rows` rows had been read, whichever
/// comes first: a page stays near `rows` rows plus one ICP's whatever
/// `limit` asks, where a page of 1,000 ICPs over 92 days could otherwise
/// hold millions of rows.
struct KeyPageLimit: Sendable {
    let icps: Int
    let rows: Int
    private(set) var icpsStarted = 0
    private(set) var rowsRead = 0
    private var current: String?

    init(icps: Int, rows: Int) {
        self.icps = icps
        self.rows = rows
    }

    /// Counts the next row read, of `icp` (rows arrive grouped by ICP);
    /// false when the page ended before it: the row's ICP opens the next page.
    mutating func admit(icp: String) -> Bool {
        if icp != current {
            if icpsStarted == icps || rowsRead >= rows { return false }
            icpsStarted += 1
            current = icp
        }
        rowsRead += 1
        return true
    }
}
