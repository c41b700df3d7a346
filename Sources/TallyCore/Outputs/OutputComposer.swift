/// Builds the bytes of the fleet's outputs for a record.
///
/// A notification is finished inside the Redis Function, which alone knows
/// the `previous` summary at the instant the record is applied; Swift
/// supplies everything before it. The Function stores the finished bytes, so
/// a redelivery re-publishes them byte for byte (docs/contract.md, "Outputs").
public enum OutputComposer {
    /// `{"record":…,"summary":{"destinationId":…,"reference":…,"previous":`
    public static func notificationPrefix(_ record: Record, canonicalJSON: String) -> String {
        var out = "{\"record\":"
        out.reserveCapacity(canonicalJSON.utf8.count + 96 + record.destinationId.utf8.count + record.reference.utf8.count)
        out += canonicalJSON
        out += ",\"summary\":{\"destinationId\":"
        JSONWriter.appendQuoted(record.destinationId, to: &out)
        out += ",\"reference\":"
        JSONWriter.appendQuoted(record.reference, to: &out)
        out += ",\"previous\":"
        return out
    }

    /// What follows the record in a notification, up to the `previous`
    /// summary: `,"summary":{"destinationId":…,"reference":…,"previous":`.
    /// The worker sends this and the canonical record to the Redis Function,
    /// which puts `{"record":` in front (the record travels once, not once
    /// per output that contains it).
    public static func appendNotificationTail(_ record: Record, to out: inout [UInt8]) {
        out.append(contentsOf: #","summary":{"destinationId":"#.utf8)
        JSONWriter.appendQuoted(record.destinationId, to: &out)
        out.append(contentsOf: #","reference":"#.utf8)
        JSONWriter.appendQuoted(record.reference, to: &out)
        out.append(contentsOf: #","previous":"#.utf8)
    }

    /// What closes a notification after the `previous` object.
    public static let notificationSuffix = "}}"

    /// A whole notification; the Function does the same concatenation.
    public static func notification(_ record: Record, previous: Summary) -> String {
        notificationPrefix(record, canonicalJSON: record.canonicalJSON) + previous.json + notificationSuffix
    }

    /// `{"record":…,"threshold":"…"}`
    public static func alert(canonicalJSON: String, threshold: ExactDecimal) -> String {
        "{\"record\":" + canonicalJSON + ",\"threshold\":\"" + threshold.description + "\"}"
    }
}
