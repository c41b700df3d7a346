import TallyCore
import TallyRuntime
import TallyStore

/// `GET /v1/destinations/{id}/summary`:
/// `{"destinationId","count","totals":[…],"references":[{"reference","count","totals"}],"nextCursor"?}`:
/// the references are a page (`limit`, `cursor`); `nextCursor` is absent on the last.
enum DestinationSummaryJSON {
    static func render(_ summary: SummaryReader.DestinationSummary, nextCursor: String? = nil) -> String {
        var out = "{\"destinationId\":"
        JSONWriter.appendQuoted(summary.destinationId, to: &out)
        out += "," + fields(summary.overall) + ",\"references\":["
        for (index, entry) in summary.byReference.enumerated() {
            if index > 0 { out += "," }
            out += "{\"reference\":"
            JSONWriter.appendQuoted(entry.reference, to: &out)
            out += "," + fields(entry.summary) + "}"
        }
        out += "]"
        if let nextCursor {
            out += ",\"nextCursor\":"
            JSONWriter.appendQuoted(nextCursor, to: &out)
        }
        return out + "}"
    }

    /// `"count":n,"totals":[…]`, the inside of `Summary.json`.
    private static func fields(_ summary: Summary) -> String {
        String(summary.json.dropFirst().dropLast())
    }
}
