/// The reference of a matching-algorithm record: which run produced it, for
/// which side, for which local date — `<run>|<side>|<YYYY-MM-DD>`, e.g.
/// `2018-06-27T16:39:36+12:00|buyer|2018-06-13`.
///
/// Carrying the run keeps every run a separate version (views pick the
/// latest or a named one); the side and date let live summaries total one
/// run's buyer or seller side per day.
public struct MatchReference: Sendable, Hashable {
    public let run: String
    public let side: MatchSide
    public let date: String

    public init(run: String, side: MatchSide, date: String) {
        self.run = run
        self.side = side
        self.date = date
    }

    public var text: String { "\(run)|\(side.rawValue)|\(date)" }

    /// Parses ``text``; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let side = MatchSide(rawValue: String(parts[1])) else { return nil }
        self.init(run: String(parts[0]), side: side, date: String(parts[2]))
    }
}

/// Which side of a match an amount belongs to.
public enum MatchSide: String, Sendable, CaseIterable {
    case buyer
    case seller
}
