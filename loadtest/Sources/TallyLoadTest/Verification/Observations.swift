import TallyCore

/// Everything the run saw come out of the fleet, per slot of the plan:
/// notification and alert copies, which version of a conflicting pair won,
/// dead letters and their reasons, and whatever did not belong to the plan.
///
/// A value type fed by one collector thread; verification reads it after
/// the run. Arrays indexed by slot keep a million-record run compact.
public struct Observations: Sendable {
    public enum Version: UInt8, Sendable {
        case unknown = 0, original, conflicting, neither
    }

    public private(set) var notificationCopies: [UInt8]
    /// First-seen instant of each record's notification (nanoseconds since
    /// the run's start; 0 = not seen).
    public private(set) var notificationNanos: [UInt64]
    /// Copies whose body differed from the first copy of the same identity.
    public private(set) var changedIdentities = 0
    private var notificationDigest: [UInt64]
    /// For records with a conflicting version: which one the notification carried.
    public private(set) var applied: [Version]
    public private(set) var alertCopies: [UInt8]
    /// Dead letters per slot: the invalid message's own slot, or for a
    /// conflicting pair the slot of its conflicting version.
    public private(set) var deadCopies: [UInt8]
    /// For a conflicting pair: which version was dead-lettered.
    public private(set) var deadVersion: [Version]
    /// Findings that need words (wrong reasons, unknown messages), capped.
    public private(set) var findings: [String] = []
    public private(set) var unexpectedNotifications = 0
    public private(set) var unexpectedAlerts = 0
    public private(set) var unexpectedDeadLetters = 0
    public private(set) var wrongReasons = 0
    public private(set) var notificationsReceived = 0
    public private(set) var alertsReceived = 0
    public private(set) var deadLettersReceived = 0
    /// Distinct records notified, and distinct messages dead-lettered so
    /// far: what tells the collector that every expected output is in.
    public private(set) var uniqueNotifications = 0
    /// Bytes of the unique notifications' bodies (first copies).
    public private(set) var notificationBytes = 0
    /// The mean size of those bodies, in bytes (nil before the first).
    public var meanNotificationBytes: Double? {
        uniqueNotifications > 0 ? Double(notificationBytes) / Double(uniqueNotifications) : nil
    }
    public private(set) var uniqueDeadLetters = 0

    public init(slots: Int) {
        notificationCopies = Array(repeating: 0, count: slots)
        notificationNanos = Array(repeating: 0, count: slots)
        notificationDigest = Array(repeating: 0, count: slots)
        applied = Array(repeating: .unknown, count: slots)
        alertCopies = Array(repeating: 0, count: slots)
        deadCopies = Array(repeating: 0, count: slots)
        deadVersion = Array(repeating: .unknown, count: slots)
    }

    /// A notification arrived. Returns the slot when it is the first copy
    /// of one of the plan's records (its latency counts).
    @discardableResult
    public mutating func notification(messageId: String?, body: [UInt8], atNanos: UInt64, plan: LoadPlan) -> Int? {
        notificationsReceived += 1
        guard let messageId, let slot = plan.slot(forRecordId: messageId), plan.kind(at: slot) == .fresh else {
            unexpectedNotifications += 1
            note("notification for a record this run did not publish (message_id \(messageId ?? "none"))")
            return nil
        }
        let digest = Self.digest(body)
        let first = notificationCopies[slot] == 0
        Self.bump(&notificationCopies[slot])
        guard first else {
            if notificationDigest[slot] != digest {
                changedIdentities += 1
                note("record \(messageId): a second notification with a different body (identity must be stable)")
            }
            return nil
        }
        notificationDigest[slot] = digest
        uniqueNotifications += 1
        notificationBytes += body.count
        notificationNanos[slot] = max(atNanos, 1)
        if plan.conflict(of: slot) != nil { applied[slot] = Self.version(in: body, slot: slot, plan: plan) }
        return slot
    }

    public mutating func alert(messageId: String?, plan: LoadPlan) {
        alertsReceived += 1
        guard let messageId, let slot = plan.slot(forRecordId: messageId), plan.kind(at: slot) == .fresh else {
            unexpectedAlerts += 1
            note("alert for a record this run did not publish (message_id \(messageId ?? "none"))")
            return
        }
        Self.bump(&alertCopies[slot])
    }

    /// A dead letter arrived with the worker's reason headers.
    public mutating func deadLetter(body: [UInt8], reason: String, field: String?, plan: LoadPlan) {
        deadLettersReceived += 1
        guard let id = Self.recordId(in: body), let slot = plan.slot(forRecordId: id) else {
            unexpectedDeadLetters += 1
            note("dead letter that is not this run's (\(reason)): \(String(decoding: body.prefix(120), as: UTF8.self))")
            return
        }
        switch plan.kind(at: slot) {
        case .invalid(let kind):
            if deadCopies[slot] == 0 { uniqueDeadLetters += 1 }
            Self.bump(&deadCopies[slot])
            if reason != kind.expectedReason || field != kind.expectedField {
                wrongReasons += 1
                note("\(kind.rawValue) message \(id) dead-lettered as \(reason)\(field.map { " (\($0))" } ?? ""), expected \(kind.expectedReason)\(kind.expectedField.map { " (\($0))" } ?? "")")
            }
        case .fresh:
            guard let conflictSlot = plan.conflict(of: slot) else {
                unexpectedDeadLetters += 1
                note("valid record \(id) was dead-lettered (\(reason)\(field.map { ", \($0)" } ?? ""))")
                return
            }
            if deadCopies[conflictSlot] == 0 { uniqueDeadLetters += 1 }
            Self.bump(&deadCopies[conflictSlot])
            let version: Version
            if body == plan.body(of: plan.record(at: slot), slot: slot) {
                version = .original
            } else if body == plan.body(of: plan.conflictingRecord(of: slot), slot: slot) {
                version = .conflicting
            } else {
                version = .neither
            }
            deadVersion[conflictSlot] = version
            if reason != "conflict" {
                wrongReasons += 1
                note("record \(id) of a conflicting pair dead-lettered as \(reason), expected conflict")
            }
        case .duplicate, .conflict:
            unexpectedDeadLetters += 1  // ids always name the fresh slot
            note("dead letter naming a non-record slot: \(id)")
        }
    }

    private static func bump(_ counter: inout UInt8) {
        if counter < .max { counter += 1 }
    }

    private mutating func note(_ finding: String) {
        if findings.count < 50 { findings.append(finding) }
    }

    /// Which version of the pair a notification carries, from the value in
    /// its `record` object.
    static func version(in body: [UInt8], slot: Int, plan: LoadPlan) -> Version {
        guard let json = try? JSONParser.parse(body), let record = json["record"] else { return .neither }
        let text: String
        switch record["value"] {
        case .string(let string)?: text = string
        case .number(let number)?: text = number
        default: return .neither
        }
        guard let value = try? ExactDecimal.parse(text) else { return .neither }
        if value == plan.record(at: slot).value.value { return .original }
        if value == plan.conflictingRecord(of: slot).value.value { return .conflicting }
        return .neither
    }

    /// The recordId text of a body, found without parsing (bad input is
    /// often not JSON): the string after the first `"recordId":"`.
    static func recordId(in body: [UInt8]) -> String? {
        let key = Array("\"recordId\":\"".utf8)
        guard body.count > key.count else { return nil }
        var start = 0
        while start + key.count <= body.count {
            if body[start..<start + key.count].elementsEqual(key) {
                let from = start + key.count
                guard let end = body[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: body[from..<end], as: UTF8.self)
            }
            start += 1
        }
        return nil
    }

    /// FNV-1a of a body: tells a re-published copy from a different one.
    static func digest(_ body: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
