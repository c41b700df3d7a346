import TallyCore

/// Turns the query string of `GET /v1/aggregations` into an
/// ``AggregationQuery``, or names the first bad parameter and why.
///
/// Pure, so every bad-parameter case is a unit test. The rules match
/// `openapi/aggregator.yaml` exactly; schemathesis checks that they do.
public enum AggregationQueryParser {
    /// The longest filter value, in Unicode code points (what OpenAPI's
    /// `maxLength` counts): a record's ids are at most 256 bytes, so a longer
    /// filter could never match and is refused as a mistake.
    public static let maxFilterLength = 256

    public static let knownParameters: Set<String> = [
        "start", "end", "type", "destinationId", "sourceId", "reference", "limit", "cursor", "totalsOnly",
    ]

    /// - Parameter parameters: name → value as decoded from the query
    ///   string; a name given twice is refused (which one would win?).
    public static func parse(_ parameters: [(name: String, value: String)]) throws(InvalidParameter) -> AggregationQuery {
        let values = try QueryParameters(parameters, known: knownParameters)

        var filters = AggregationQuery.Filters()
        filters.start = try time(values["start"], "start")
        filters.end = try time(values["end"], "end")
        if let start = filters.start, let end = filters.end, end < start {
            throw InvalidParameter("start", "start is after end (start is inclusive, end exclusive)")
        }
        if let type = values["type"] {
            guard let parsed = RecordType(rawValue: type) else {
                throw InvalidParameter("type", "must be \"positive\" or \"negative\"")
            }
            filters.type = parsed
        }
        filters.destinationId = try values.identifier("destinationId")
        filters.sourceId = try values.identifier("sourceId")
        filters.reference = try values.identifier("reference")

        var query = AggregationQuery(filters: filters)
        if let text = values["totalsOnly"] {
            switch text {
            case "true": query.totalsOnly = true
            case "false": query.totalsOnly = false
            default: throw InvalidParameter("totalsOnly", "must be \"true\" or \"false\"")
            }
        }
        query.limit = try values.limit(default: query.limit, max: AggregationQuery.maxLimit)
        if let cursor = values["cursor"] {
            do throws(PageCursor.DecodeError) {
                if query.totalsOnly {
                    let keys = try PageCursor.groups(filters).decode(cursor, arity: 1)
                    guard let destination = keys[0].text else { throw PageCursor.DecodeError.malformed }
                    query.afterGroup = destination
                } else {
                    query.after = try PageCursor.decode(cursor, filters: filters)
                }
            } catch {
                throw PageCursor.invalid(error)
            }
        }
        return query
    }

    private static func time(_ text: String?, _ name: String) throws(InvalidParameter) -> IndexedTime? {
        guard let text else { return nil }
        do {
            return IndexedTime(try RFC3339Timestamp.parse(text))
        } catch {
            throw InvalidParameter(name, "not an RFC 3339 date-time with an offset (\(error.message)), e.g. 2026-03-01T00:00:00Z")
        }
    }
}
