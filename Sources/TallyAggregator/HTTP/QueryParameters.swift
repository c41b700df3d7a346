import Foundation
import Hummingbird

/// The query string of a request, read the same way on every route: a name
/// the route does not know is a 400 naming it (a misspelt filter must not
/// silently return everything), a name given twice is a 400 naming it
/// (which one would win?), and the common kinds of value — limits,
/// identifiers — are checked with the same rules and messages everywhere.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ pairs: [(name: String, value: String)], known: Set<String>) throws(InvalidParameter) {
        for (name, value) in pairs {
            guard known.contains(name) else {
                throw InvalidParameter(name, "is not a parameter of this route (it takes: \(known.sorted().joined(separator: ", ")))")
            }
            guard values[name] == nil else { throw InvalidParameter(name, "given more than once") }
            values[name] = value
        }
    }

    init(_ request: Request, known: Set<String>) throws(InvalidParameter) {
        try self.init(request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }, known: known)
    }

    subscript(_ name: String) -> String? { values[name] }

    /// `limit`: digits only, 1 to `max`.
    func limit(default fallback: Int, max: Int) throws(InvalidParameter) -> Int {
        guard let text = values["limit"] else { return fallback }
        guard text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let limit = Int(text)
        else { throw InvalidParameter("limit", "must be an integer from 1 to \(max)") }
        guard (1...max).contains(limit) else { throw InvalidParameter("limit", "\(limit) is out of range 1...\(max)") }
        return limit
    }

    /// An identifier filter (destinationId, unit, an account…), if given.
    func identifier(_ name: String, maxLength: Int = AggregationQueryParser.maxFilterLength) throws(InvalidParameter) -> String? {
        try values[name].map { (text) throws(InvalidParameter) in try Self.identifier(text, name, maxLength: maxLength) }
    }

    /// Not empty, and at most `maxLength` code points (what OpenAPI's
    /// `maxLength` counts): a longer one could never match and is refused
    /// as a mistake.
    static func identifier(_ text: String, _ name: String, maxLength: Int) throws(InvalidParameter) -> String {
        guard !text.isEmpty else { throw InvalidParameter(name, "must not be empty") }
        guard text.unicodeScalars.count <= maxLength else { throw InvalidParameter(name, "longer than \(maxLength) characters") }
        return text
    }
}
