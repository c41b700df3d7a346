import TallyCore

/// The opaque `cursor` of `GET /v1/aggregations`.
///
/// Records are ordered by (destinationId, time, recordId), a total order that
/// is the same on every replica (it uses no local row number), so the cursor
/// holds the last record shown in that order, plus the fingerprint of the
/// filters it was made for. It is base64url (no padding) of a small JSON
/// array: `[1, fingerprint, destinationId, ms, subNanos, recordId]`.
public enum PageCursor {
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

    public enum DecodeError: Error, Equatable {
        /// Not a cursor this service made.
        case malformed
        /// A cursor made for other filters.
        case otherFilters
    }

    public static func encode(_ position: Position, filters: AggregationQuery.Filters) -> String {
        var json = "[1,\"" + filters.fingerprint + "\","
        JSONWriter.appendQuoted(position.destinationId, to: &json)
        json += ",\(position.time.milliseconds),\(position.time.subMillisecondNanos),"
        JSONWriter.appendQuoted(position.recordId, to: &json)
        json += "]"
        return Base64URL.encode(Array(json.utf8))
    }

    public static func decode(_ text: String, filters: AggregationQuery.Filters) throws(DecodeError) -> Position {
        guard text.utf8.count <= 4_096, let bytes = Base64URL.decode(text),
            let json = try? JSONParser.parse(bytes),
            case .array(let parts) = json, parts.count == 6,
            case .number("1") = parts[0],
            case .string(let fingerprint) = parts[1],
            case .string(let destinationId) = parts[2],
            case .number(let msText) = parts[3], let milliseconds = Int64(msText),
            case .number(let subText) = parts[4], let sub = Int64(subText), (0..<1_000_000).contains(sub),
            case .string(let recordId) = parts[5]
        else { throw .malformed }
        guard fingerprint == filters.fingerprint else { throw .otherFilters }
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
