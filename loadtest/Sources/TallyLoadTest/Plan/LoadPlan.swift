import TallyCore

/// The messages of a run, decided up front from the profile's seed: which
/// slot is fresh, a duplicate, a conflict or bad input, and every record's
/// fields. Bodies are regenerated on demand (`message(at:)`), never stored,
/// so a plan of a million messages costs a few bytes per slot.
///
/// Each fresh record has at most one *derivative* kind: duplicates of it or
/// one conflicting version, never both. With both, the order in which
/// workers see them (which a fleet does not promise) would change how many
/// dead letters there are; kept apart, every outcome is exact.
public struct LoadPlan: Sendable {
    public let profile: LoadProfile
    public let alerts: AlertPolicy
    private var kinds: [SlotKind]
    /// For a fresh slot: the slot of its conflicting version, or -1.
    private var conflictSlot: [Int32]
    public private(set) var freshCount = 0
    public private(set) var duplicateCount = 0
    public private(set) var conflictCount = 0
    public private(set) var invalidCount = 0

    public init(profile: LoadProfile, alerts: AlertPolicy) {
        self.profile = profile
        self.alerts = alerts
        let count = profile.messages
        kinds = []
        kinds.reserveCapacity(count)
        conflictSlot = Array(repeating: -1, count: count)
        var derivative = [UInt8](repeating: 0, count: count)  // 0 none, 1 duplicated, 2 conflicted
        var fresh: [Int32] = []
        var random = SplitMix64(seed: profile.seed)
        let duplicateUpTo = profile.duplicateFraction
        let conflictUpTo = duplicateUpTo + profile.conflictFraction
        let invalidUpTo = conflictUpTo + profile.invalidFraction
        for slot in 0..<count {
            let draw = random.nextUnit()
            var kind = SlotKind.fresh
            if draw < duplicateUpTo, !fresh.isEmpty {
                for _ in 0..<8 {
                    let target = Int(fresh[random.below(fresh.count)])
                    if derivative[target] != 2 {
                        derivative[target] = 1
                        kind = .duplicate(of: target)
                        break
                    }
                }
            } else if draw >= duplicateUpTo, draw < conflictUpTo, !fresh.isEmpty {
                for _ in 0..<8 {
                    let target = Int(fresh[random.below(fresh.count)])
                    if derivative[target] == 0 {
                        derivative[target] = 2
                        conflictSlot[target] = Int32(slot)
                        kind = .conflict(of: target)
                        break
                    }
                }
            } else if draw >= conflictUpTo, draw < invalidUpTo {
                kind = .invalid(InvalidKind.allCases[random.below(InvalidKind.allCases.count)])
            }
            switch kind {
            case .fresh:
                fresh.append(Int32(slot))
                freshCount += 1
            case .duplicate: duplicateCount += 1
            case .conflict: conflictCount += 1
            case .invalid: invalidCount += 1
            }
            kinds.append(kind)
        }
    }

    public var messageCount: Int { kinds.count }

    public func kind(at slot: Int) -> SlotKind { kinds[slot] }

    /// The slot of the conflicting version of fresh record `slot`, if any.
    public func conflict(of slot: Int) -> Int? {
        let found = conflictSlot[slot]
        return found < 0 ? nil : Int(found)
    }

    /// The slot a recordId of this run names, or nil for anything else.
    public func slot(forRecordId id: some StringProtocol) -> Int? {
        let prefix = profile.runId.utf8
        let bytes = id.utf8
        guard bytes.count > prefix.count + 1, bytes.starts(with: prefix) else { return nil }
        var slot = 0
        var index = bytes.index(bytes.startIndex, offsetBy: prefix.count)
        guard bytes[index] == UInt8(ascii: "-") else { return nil }
        index = bytes.index(after: index)
        guard index != bytes.endIndex else { return nil }
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), slot < Int.max / 10 - 9 else { return nil }
            slot = slot * 10 + Int(byte - UInt8(ascii: "0"))
            index = bytes.index(after: index)
        }
        return slot < kinds.count ? slot : nil
    }

    // MARK: Records

    /// The fields of the fresh record first published at `slot`.
    public func record(at slot: Int) -> PlannedRecord {
        var random = SplitMix64(seed: profile.seed ^ (UInt64(slot) &* 0xD1B5_4A32_D192_ED03))
        let destination = random.below(profile.destinations)
        let reference = random.below(profile.references)
        let unit = profile.units[random.below(profile.units.count)]
        let positive = random.below(3) != 0
        let threshold = alerts.threshold(for: unit)
        let value: ExactDecimalText
        let draw = random.nextUnit()
        if draw < profile.alertFraction {
            // Strictly above the threshold, by at least 0.0001.
            value = ExactDecimalText(threshold + Self.amount(&random, atLeastOne: true))
        } else if draw < profile.alertFraction + 0.005 {
            value = ExactDecimalText(threshold)  // on the threshold: no alert
        } else {
            var amount = Self.amount(&random, atLeastOne: false)
            if threshold < amount { amount = threshold }
            value = ExactDecimalText(amount)
        }
        let seconds = slot % 86_400
        let time = "2026-01-01T\(Self.twoDigits(seconds / 3600)):\(Self.twoDigits(seconds / 60 % 60)):\(Self.twoDigits(seconds % 60))"
            + (slot % 7 == 0 ? "+02:00" : "Z")
        return PlannedRecord(
            recordId: profile.recordId(slot: slot), time: time, destinationId: "lt-dest-\(destination)", positive: positive,
            value: value, unit: unit, reference: "ref-\(reference)")
    }

    /// The conflicting version of fresh record `slot`: the same recordId,
    /// its value plus one.
    public func conflictingRecord(of slot: Int) -> PlannedRecord {
        let original = record(at: slot)
        return PlannedRecord(
            recordId: original.recordId, time: original.time, destinationId: original.destinationId, positive: original.positive,
            value: ExactDecimalText(original.value.value + ExactDecimal(1)), unit: original.unit, reference: original.reference)
    }

    /// Whether a record must raise an alert: strictly above its unit's threshold.
    public func alerts(_ record: PlannedRecord) -> Bool {
        alerts.threshold(for: record.unit) < record.value.value
    }

    // MARK: Messages

    public func message(at slot: Int) -> PlannedMessage {
        switch kinds[slot] {
        case .fresh:
            let record = record(at: slot)
            return PlannedMessage(slot: slot, kind: .fresh, messageId: record.recordId, body: body(of: record, slot: slot))
        case .duplicate(let target):
            let record = record(at: target)
            return PlannedMessage(slot: slot, kind: kinds[slot], messageId: record.recordId, body: body(of: record, slot: target))
        case .conflict(let target):
            let record = conflictingRecord(of: target)
            return PlannedMessage(slot: slot, kind: kinds[slot], messageId: record.recordId, body: body(of: record, slot: target))
        case .invalid(let invalid):
            return PlannedMessage(slot: slot, kind: kinds[slot], messageId: profile.recordId(slot: slot), body: invalidBody(invalid, slot: slot))
        }
    }

    /// The JSON a producer sends. Every fifth value is a JSON number, the
    /// rest strings: the contract accepts both.
    public func body(of record: PlannedRecord, slot: Int) -> [UInt8] {
        let value = slot % 5 == 0 ? record.value.text : "\"\(record.value.text)\""
        return Array(
            "{\"recordId\":\"\(record.recordId)\",\"time\":\"\(record.time)\",\"sourceId\":\"\(profile.sourceId)\",\"destinationId\":\"\(record.destinationId)\",\"type\":\"\(record.positive ? "positive" : "negative")\",\"value\":\(value),\"unit\":\"\(record.unit)\",\"reference\":\"\(record.reference)\"}"
                .utf8)
    }

    func invalidBody(_ kind: InvalidKind, slot: Int) -> [UInt8] {
        let id = profile.recordId(slot: slot)
        let source = profile.sourceId
        let text: String
        switch kind {
        case .negativeValue:
            text = "{\"recordId\":\"\(id)\",\"time\":\"2026-01-01T00:00:00Z\",\"sourceId\":\"\(source)\",\"destinationId\":\"lt-bad\",\"type\":\"positive\",\"value\":\"-5\",\"unit\":\"EUR\",\"reference\":\"bad\"}"
        case .unknownType:
            text = "{\"recordId\":\"\(id)\",\"time\":\"2026-01-01T00:00:00Z\",\"sourceId\":\"\(source)\",\"destinationId\":\"lt-bad\",\"type\":\"credit\",\"value\":\"5\",\"unit\":\"EUR\",\"reference\":\"bad\"}"
        case .missingTime:
            text = "{\"recordId\":\"\(id)\",\"sourceId\":\"\(source)\",\"destinationId\":\"lt-bad\",\"type\":\"positive\",\"value\":\"5\",\"unit\":\"EUR\",\"reference\":\"bad\"}"
        case .timeWithoutOffset:
            text = "{\"recordId\":\"\(id)\",\"time\":\"2026-01-01 00:00\",\"sourceId\":\"\(source)\",\"destinationId\":\"lt-bad\",\"type\":\"positive\",\"value\":\"5\",\"unit\":\"EUR\",\"reference\":\"bad\"}"
        case .truncatedJSON:
            text = "{\"recordId\":\"\(id)\",\"sourceId\":\"\(source)\",\"value\":"
        }
        return Array(text.utf8)
    }

    /// A non-negative amount with 0 to 4 fraction digits, below 1,000.
    private static func amount(_ random: inout SplitMix64, atLeastOne: Bool) -> ExactDecimal {
        let whole = random.below(1_000)
        let digits = random.below(5)
        var text = String(atLeastOne ? max(whole, 1) : whole)
        if digits > 0 {
            text += "."
            for _ in 0..<digits { text += String(random.below(10)) }
        }
        return try! ExactDecimal.parse(text)  // digits only: always parses
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}

extension LoadPlan {
    /// Alerts the run is sure to see: records without a conflicting version
    /// whose value is above the threshold (a pair's alert depends on which
    /// version wins, which verification settles afterwards).
    public var certainAlerts: Int {
        var count = 0
        for slot in 0..<messageCount where kind(at: slot) == .fresh && conflict(of: slot) == nil && alerts(record(at: slot)) {
            count += 1
        }
        return count
    }
}
