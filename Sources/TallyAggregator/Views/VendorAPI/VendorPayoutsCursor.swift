import TallyCore

/// The opaque `cursor` of `GET /v1/users/payouts`: base64url of
/// `[1, destinationId, unit]`, the last entry of the previous page in the
/// list's (user, unit) order, which is the same on every replica.
enum VendorPayoutsCursor {
    struct Position: Sendable, Equatable {
        let destination: String
        let unit: String
    }

    static func encode(_ position: Position) -> String {
        var json = "[1,"
        JSONWriter.appendQuoted(position.destination, to: &json)
        json += ","
        JSONWriter.appendQuoted(position.unit, to: &json)
        json += "]"
        return Base64URL.encode(Array(json.utf8))
    }

    static func decode(_ text: String) -> Position? {
        guard text.utf8.count <= 2_048, let bytes = Base64URL.decode(text),
            let json = try? JSONParser.parse(bytes),
            case .array(let parts) = json, parts.count == 3,
            case .number("1") = parts[0],
            case .string(let destination) = parts[1],
            case .string(let unit) = parts[2]
        else { return nil }
        return Position(destination: destination, unit: unit)
    }
}
