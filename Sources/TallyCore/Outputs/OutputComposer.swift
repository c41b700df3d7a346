/// Builds the bytes of the fleet's outputs for a record.
///
/// On layout 4 the worker renders a notification from what the Redis
/// Function stored when it applied the record (its canonical JSON, the
/// reference summary before it, the alert threshold), so a redelivery
/// renders the same bytes again (docs/contract.md, "Outputs"). On layout 3
/// the Function finished the notification itself around the tail below.
public enum OutputComposer {
    /// `{"record":…,"summary":{"destinationId":…,"reference":…,"previous":`
    public static func notificationPrefix(_ record: Record, canonicalJSON: String) -> String {
        var out = ""
        out.reserveCapacity(canonicalJSON.utf8.count + 96 + record.destinationId.utf8.count + record.reference.utf8.count)
        appendNotificationPrefix(record, canonicalJSON: canonicalJSON, to: &out)
        return out
    }

    /// A whole notification around the record's canonical JSON and the
    /// `previous` summary's JSON, in one string sized once (this runs per
    /// applied record).
    public static func notification(_ record: Record, canonicalJSON: String, previousJSON: String) -> String {
        var out = ""
        out.reserveCapacity(
            canonicalJSON.utf8.count + previousJSON.utf8.count
                + 2 * (record.destinationId.utf8.count + record.reference.utf8.count) + 96)
        appendNotificationPrefix(record, canonicalJSON: canonicalJSON, to: &out)
        out += previousJSON
        out += notificationSuffix
        return out
    }

    private static func appendNotificationPrefix(_ record: Record, canonicalJSON: String, to out: inout String) {
        out += "{\"record\":"
        out += canonicalJSON
        out += ",\"summary\":{\"destinationId\":"
        JSONWriter.appendQuoted(record.destinationId, to: &out)
        out += ",\"reference\":"
        JSONWriter.appendQuoted(record.reference, to: &out)
        out += ",\"previous\":"
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

    /// A whole notification; the Function did the same concatenation on layout 3.
    public static func notification(_ record: Record, previous: Summary) -> String {
        notification(record, canonicalJSON: record.canonicalJSON, previousJSON: previous.json)
    }

    /// `{"record":…,"threshold":"…"}`
    public static func alert(canonicalJSON: String, threshold: ExactDecimal) -> String {
        "{\"record\":" + canonicalJSON + ",\"threshold\":\"" + threshold.description + "\"}"
    }
}
