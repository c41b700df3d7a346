import TallyCore

/// The opaque `cursor` of every paged route, in one format.
///
/// A cursor is base64url (no padding) of a small JSON array
/// `[1, route, binding, key…]`: the route that made it, a fingerprint of the
/// request's other inputs (filters, path) it is bound to, and the position
/// of the last item shown, in the list's order. The order of every list is a
/// total order over stored values (never a local row number), so a cursor
/// works on every replica. A cursor from another route, made for other
/// filters, or altered is refused: `cursor` is then a 400 naming it.
public struct PageCursor: Sendable, Equatable {
    /// One component of a position.
    public enum Key: Sendable, Equatable {
        case text(String)
        case integer(Int64)
    }

    public enum DecodeError: Error, Equatable {
        /// Not a cursor this service made.
        case malformed
        /// A cursor of another route.
        case otherRoute
        /// A cursor made for other filters (or another path).
        case otherFilters
    }

    /// Which list, e.g. `accounts`.
    public let route: String
    /// ``binding(_:)`` of the request's other inputs; empty when nothing binds.
    public let binding: String

    public init(route: String, binding: String = "") {
        self.route = route
        self.binding = binding
    }

    /// A stable fingerprint of named values (FNV-1a, 64 bits): each value is
    /// length-prefixed, so no two different lists collide by concatenation.
    public static func binding(_ parts: [(name: String, value: String?)]) -> String {
        var text = ""
        for (name, value) in parts {
            text += name
            if let value { text += "=\(value.utf8.count):" + value } else { text += "-" }
            text += "|"
        }
        return FNV1a.hex64(text)
    }

    public func encode(_ keys: [Key]) -> String {
        var json = "[1,"
        JSONWriter.appendQuoted(route, to: &json)
        json += ","
        JSONWriter.appendQuoted(binding, to: &json)
        for key in keys {
            json += ","
            switch key {
            case .text(let text): JSONWriter.appendQuoted(text, to: &json)
            case .integer(let value): json += String(value)
            }
        }
        json += "]"
        return Base64URL.encode(Array(json.utf8))
    }

    /// The position, which must have `arity` components.
    public func decode(_ text: String, arity: Int) throws(DecodeError) -> [Key] {
        guard text.utf8.count <= 4_096, let bytes = Base64URL.decode(text),
            let json = try? JSONParser.parse(bytes),
            case .array(let parts) = json, parts.count >= 3,
            case .number("1") = parts[0],
            case .string(let route) = parts[1],
            case .string(let binding) = parts[2]
        else { throw .malformed }
        guard route == self.route else { throw .otherRoute }
        guard parts.count == 3 + arity else { throw .malformed }
        guard binding == self.binding else { throw .otherFilters }
        var keys: [Key] = []
        for part in parts.dropFirst(3) {
            switch part {
            case .string(let text): keys.append(.text(text))
            case .number(let digits):
                guard let value = Int64(digits) else { throw .malformed }
                keys.append(.integer(value))
            default: throw .malformed
            }
        }
        return keys
    }

    /// The `cursor` parameter, decoded, or a 400 naming `cursor` and why;
    /// `make` turns the components into a position (nil: malformed).
    public func parameter<Position>(
        _ text: String?, arity: Int, _ make: ([Key]) -> Position?
    ) throws(InvalidParameter) -> Position? {
        guard let text else { return nil }
        do throws(DecodeError) {
            guard let position = make(try decode(text, arity: arity)) else { throw DecodeError.malformed }
            return position
        } catch {
            throw Self.invalid(error)
        }
    }

    static func invalid(_ error: DecodeError) -> InvalidParameter {
        switch error {
        case .otherRoute: return InvalidParameter("cursor", "a cursor of another route (pass this route's nextCursor unchanged)")
        case .otherFilters: return InvalidParameter("cursor", "this cursor belongs to a query with other filters")
        case .malformed: return InvalidParameter("cursor", "not a cursor returned by this API (use nextCursor as given)")
        }
    }
}

extension PageCursor.Key {
    var text: String? { if case .text(let text) = self { text } else { nil } }
    var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
}

/// The records of `GET /v1/aggregations`: ordered by (destinationId, time,
/// recordId), the position is the last record shown.
extension PageCursor {
    public struct Position: Sendable, Equatable {
        public let destinationId: String
        public let time: IndexedTime
        public let recordId: String

        public init(destinationId: String, time: IndexedTime, recordId: String) {
            self.destinationId = destinationId
            self.time = time
            self.recordId = recordId
        }
    }

    static func records(_ filters: AggregationQuery.Filters) -> PageCursor {
        PageCursor(route: "aggregations", binding: filters.fingerprint)
    }

    /// The groups of `GET /v1/aggregations?totalsOnly=true`: ordered by
    /// destinationId bytes, the position is the last destinationId shown.
    static func groups(_ filters: AggregationQuery.Filters) -> PageCursor {
        PageCursor(route: "aggregations/totals", binding: filters.fingerprint)
    }

    public static func encode(_ position: Position, filters: AggregationQuery.Filters) -> String {
        records(filters).encode([
            .text(position.destinationId), .integer(position.time.milliseconds),
            .integer(position.time.subMillisecondNanos), .text(position.recordId),
        ])
    }

    public static func decode(_ text: String, filters: AggregationQuery.Filters) throws(DecodeError) -> Position {
        let keys = try records(filters).decode(text, arity: 4)
        guard let destinationId = keys[0].text, let milliseconds = keys[1].integer,
            let sub = keys[2].integer, (0..<1_000_000).contains(sub), let recordId = keys[3].text
        else { throw .malformed }
        return Position(
            destinationId: destinationId, time: IndexedTime(milliseconds: milliseconds, subMillisecondNanos: sub),
            recordId: recordId)
    }
}

/// RFC 4648 §5 base64url without padding: cursors travel in query strings.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            for shift in [18, 12] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            for shift in [18, 12, 6] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil for anything that is not canonical unpadded base64url.
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(UInt32(byte - UInt8(ascii: "A")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(UInt32(byte - UInt8(ascii: "a")) + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(UInt32(byte - UInt8(ascii: "0")) + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        if values.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        var index = 0
        while index + 3 < values.count {
            let n = values[index] << 18 | values[index + 1] << 12 | values[index + 2] << 6 | values[index + 3]
            out += [UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)]
            index += 4
        }
        let rest = values.count - index
        if rest == 2 {
            let n = values[index] << 18 | values[index + 1] << 12
            guard n & 0xFFFF == 0 else { return nil }
            out.append(UInt8(n >> 16 & 255))
        } else if rest == 3 {
            let n = values[index] << 18 | values[index + 1] << 12 | values[index + 2] << 6
            guard n & 0xFF == 0 else { return nil }
            out += [UInt8(n >> 16 & 255), UInt8(n >> 8 & 255)]
        }
        return out
    }
}
