/// The recordId of a matching-algorithm record,
/// `mt:<run>:<icp_id>:<read_date>T<read_time>:<side>`, e.g.
/// `mt:2018-06-27T16:39:36+12:00:109:2018-06-13T00:00:00:buyer`.
///
/// The views read an output row's `read_time` back from it: the index keeps
/// the interval only as an instant, and the recordId is the one place that
/// holds the interval as the algorithm wrote it.
public struct MatchRecordId: Sendable, Hashable {
    public let run: String
    public let icp: String
    public let date: String
    public let time: String
    public let side: MatchSide

    public init(run: String, icp: String, date: String, time: String, side: MatchSide) {
        self.run = run
        self.icp = icp
        self.date = date
        self.time = time
        self.side = side
    }

    public var text: String { "mt:\(run):\(icp):\(date)T\(time):\(side.rawValue)" }

    /// Parses ``text`` from its end (the run holds ':' itself; an icp_id
    /// never does); nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("mt:"), let sideColon = text.lastIndex(of: ":"),
            let side = MatchSide(rawValue: String(text[text.index(after: sideColon)...]))
        else { return nil }
        let head = text[text.index(text.startIndex, offsetBy: 3)..<sideColon]
        let interval = head.suffix(19)  // YYYY-MM-DDTHH:MM:SS
        guard interval.count == 19, interval.dropFirst(10).first == "T" else { return nil }
        let runAndIcp = head.dropLast(20)  // the interval and the ':' before it
        guard head.dropLast(19).last == ":", let icpColon = runAndIcp.lastIndex(of: ":") else { return nil }
        let run = String(runAndIcp[..<icpColon])
        let icp = String(runAndIcp[runAndIcp.index(after: icpColon)...])
        guard !run.isEmpty, !icp.isEmpty else { return nil }
        self.init(run: run, icp: icp, date: String(interval.prefix(10)), time: String(interval.suffix(8)), side: side)
    }
}
