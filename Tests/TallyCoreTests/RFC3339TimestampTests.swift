import Testing
@testable import TallyCore

private func timestamp(_ text: String) throws -> RFC3339Timestamp {
    try RFC3339Timestamp.parse(text)
}

private func parseError(_ text: String) -> String? {
    do {
        _ = try RFC3339Timestamp.parse(text)
        return nil
    } catch {
        return error.message
    }
}

@Suite("RFC3339Timestamp")
struct RFC3339TimestampTests {
    // Reference values computed independently (Python's datetime).
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-03-01T12:00:00Z", 1_772_366_400),
        ("2000-02-29T00:00:00Z", 951_782_400),
        ("0001-01-01T00:00:00Z", -62_135_596_800),
        ("9999-12-31T23:59:59Z", 253_402_300_799),
        ("1969-12-31T23:59:59Z", -1),
        ("2024-02-29T23:30:00-05:30", 1_709_269_200),
        ("1900-03-01T00:00:00Z", -2_203_891_200),
    ])
    func epochSeconds(_ text: String, _ expected: Int64) throws {
        let value = try timestamp(text)
        #expect(value.epochSeconds == expected)
        #expect(value.nanoseconds == 0)
    }

    @Test func offsetsAreKeptButDoNotChangeIdentity() throws {
        let utc = try timestamp("2026-03-01T12:00:00Z")
        let paris = try timestamp("2026-03-01T13:00:00+01:00")
        let newYork = try timestamp("2026-03-01T07:00:00-05:00")
        let india = try timestamp("2026-03-01T17:30:00+05:30")
        #expect(utc == paris)
        #expect(utc == newYork)
        #expect(utc == india)
        #expect(utc.offsetMinutes == 0)
        #expect(paris.offsetMinutes == 60)
        #expect(newYork.offsetMinutes == -300)
        #expect(india.offsetMinutes == 330)
        #expect(Set([utc, paris, newYork, india]).count == 1)
        #expect(paris.epochSeconds == 1_772_366_400)
    }

    @Test func offsetCanCrossDateAndYearBoundaries() throws {
        let value = try timestamp("2026-01-01T00:30:00+01:00")
        #expect(value.utcString() == "2025-12-31T23:30:00Z")
        #expect(try timestamp("2024-02-28T23:00:00-02:00").utcString() == "2024-02-29T01:00:00Z")
        #expect(try timestamp("0001-01-01T00:00:00+00:01").utcString() == "0000-12-31T23:59:00Z")
        #expect(try timestamp("9999-12-31T23:59:59-00:01").utcString() == "10000-01-01T00:00:59Z")
        #expect(try timestamp("2026-03-01T12:00:00+23:59").offsetMinutes == 23 * 60 + 59)
        #expect(try timestamp("2026-03-01T12:00:00-23:59").offsetMinutes == -(23 * 60 + 59))
    }

    @Test func negativeZeroOffsetMeansUTC() throws {
        let value = try timestamp("2026-03-01T12:00:00-00:00")
        #expect(value == (try timestamp("2026-03-01T12:00:00Z")))
        #expect(value.offsetMinutes == 0)
    }

    @Test func lowercaseSeparatorAndZulu() throws {
        #expect(try timestamp("2026-03-01t12:00:00z") == timestamp("2026-03-01T12:00:00Z"))
        #expect(try timestamp("2026-03-01t12:00:00Z") == timestamp("2026-03-01T12:00:00z"))
    }

    @Test(arguments: [
        (".5", Int32(500_000_000)), (".05", 50_000_000), (".123", 123_000_000), (".123456789", 123_456_789),
        (".000000001", 1), (".000000000", 0), (".1234", 123_400_000),
    ])
    func fractions(_ fraction: String, _ nanoseconds: Int32) throws {
        let value = try timestamp("2026-03-01T12:00:00\(fraction)Z")
        #expect(value.nanoseconds == nanoseconds)
        #expect(value.epochSeconds == 1_772_366_400)
    }

    @Test func fractionOrdering() throws {
        let values = try ["2026-03-01T12:00:00.5Z", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.499999999Z",
                          "2026-03-01T11:59:59.999999999Z", "2026-03-01T12:00:00.5+00:00", "2026-03-01T13:00:00.1+01:00"]
            .map(timestamp)
        let sorted = values.sorted()
        #expect(sorted.map { $0.utcString() } == [
            "2026-03-01T11:59:59.999999999Z", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.1Z",
            "2026-03-01T12:00:00.499999999Z", "2026-03-01T12:00:00.5Z", "2026-03-01T12:00:00.5Z",
        ])
        #expect(values[0] == values[4])
        #expect(values[1] < values[0])
        #expect(!(values[0] < values[4]))
    }

    @Test func epochMillisecondsFloors() throws {
        #expect(try timestamp("2026-03-01T12:00:00.9999Z").epochMilliseconds == 1_772_366_400_999)
        #expect(try timestamp("1970-01-01T00:00:00.001Z").epochMilliseconds == 1)
        #expect(try timestamp("1970-01-01T00:00:00.0009Z").epochMilliseconds == 0)
        #expect(try timestamp("1969-12-31T23:59:59.9995Z").epochMilliseconds == -1)
        #expect(try timestamp("1969-12-31T23:59:59Z").epochMilliseconds == -1_000)
        #expect(try timestamp("1969-12-31T23:59:59.5Z").nanoseconds == 500_000_000)
    }

    @Test(arguments: [
        ("2026-03-01T12:00:00Z", "2026-03-01T12:00:00Z"),
        ("2026-03-01T12:00:00.500Z", "2026-03-01T12:00:00.5Z"),
        ("2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00Z"),
        ("2026-03-01T12:00:00.123456789Z", "2026-03-01T12:00:00.123456789Z"),
        ("2026-03-01T12:00:00.000000010Z", "2026-03-01T12:00:00.00000001Z"),
        ("2026-03-01T13:00:00+01:00", "2026-03-01T12:00:00Z"),
        ("1969-12-31T23:59:59.25Z", "1969-12-31T23:59:59.25Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"),
        ("2000-02-29T05:06:07z", "2000-02-29T05:06:07Z"),
    ])
    func utcString(_ text: String, _ expected: String) throws {
        #expect(try timestamp(text).utcString() == expected)
    }

    @Test func utcStringRoundTripsAcrossTheRange() throws {
        // Every 7919th day-ish step from year 1 to 9999, with a changing time of day.
        var seconds: Int64 = -62_135_596_800
        var step: Int64 = 0
        while seconds <= 253_402_300_799 {
            let original = RFC3339Timestamp(epochSeconds: seconds, nanoseconds: Int32(step % 1_000) * 1_000_000, offsetMinutes: 0)
            let reparsed = try timestamp(original.utcString())
            #expect(reparsed == original)
            #expect(reparsed.utcString() == original.utcString())
            step += 1
            seconds += 7_919 * 86_400 / 97 + step
        }
        #expect(step > 30_000)
    }

    @Test func substringInput() throws {
        let line = "[2026-03-01T12:00:00Z]"
        let value = try RFC3339Timestamp.parse(line.dropFirst().dropLast())
        #expect(value.epochSeconds == 1_772_366_400)
    }

    // MARK: Calendar validation

    @Test func leapDays() throws {
        #expect(try timestamp("2024-02-29T00:00:00Z").utcString() == "2024-02-29T00:00:00Z")
        #expect(try timestamp("2000-02-29T00:00:00Z").epochSeconds == 951_782_400)
        #expect(try timestamp("1600-02-29T00:00:00Z").utcString() == "1600-02-29T00:00:00Z")
        #expect(parseError("2023-02-29T00:00:00Z") == "day 29 out of range for 2023-02")
        #expect(parseError("1900-02-29T00:00:00Z") == "day 29 out of range for 1900-02")
        #expect(parseError("2100-02-29T00:00:00Z") == "day 29 out of range for 2100-02")
        #expect(parseError("2024-02-30T00:00:00Z") == "day 30 out of range for 2024-02")
        #expect(parseError("2023-02-28T00:00:00Z") == nil)
    }

    @Test(arguments: [
        ("01", 31), ("02", 28), ("03", 31), ("04", 30), ("05", 31), ("06", 30),
        ("07", 31), ("08", 31), ("09", 30), ("10", 31), ("11", 30), ("12", 31),
    ])
    func daysPerMonth(_ month: String, _ days: Int) {
        #expect(parseError("2025-\(month)-\(days)T00:00:00Z") == nil)
        #expect(parseError("2025-\(month)-\(days + 1)T00:00:00Z") == "day \(days + 1) out of range for 2025-\(month)")
        #expect(parseError("2025-\(month)-00T00:00:00Z") == "day 0 out of range for 2025-\(month)")
    }

    @Test(arguments: [
        ("2026-13-01T00:00:00Z", "month 13 out of range"),
        ("2026-00-01T00:00:00Z", "month 0 out of range"),
        ("0000-01-01T00:00:00Z", "year 0000 out of range"),
        ("2026-03-01T24:00:00Z", "hour 24 out of range"),
        ("2026-03-01T12:60:00Z", "minute 60 out of range"),
        ("2026-03-01T23:59:60Z", "leap seconds are not supported"),
        ("2016-12-31T23:59:60Z", "leap seconds are not supported"),
        ("2026-03-01T12:00:61Z", "second 61 out of range"),
        ("2026-03-01T12:00:00+24:00", "offset hour 24 out of range"),
        ("2026-03-01T12:00:00-01:60", "offset minute 60 out of range"),
        ("2026-03-01T12:00:00", "missing time zone offset"),
        ("2026-03-01T12:00:00.5", "missing time zone offset"),
        ("2026-03-01T12:00:00+0100", "expected ':' in the time zone offset"),
        ("2026-03-01T12:00:00+01", "expected ':' in the time zone offset"),
        ("2026-03-01T12:00:00+1:00", "expected a 2-digit offset hour"),
        ("2026-03-01T12:00:00+01:0", "expected 2-digit offset minutes"),
        ("2026-03-01T12:00:00UTC", "expected 'Z' or a ±HH:MM time zone offset"),
        ("2026-03-01T12:00:00 Z", "expected 'Z' or a ±HH:MM time zone offset"),
        ("2026-03-01T12:00:00ZZ", "unexpected characters after the time zone offset"),
        ("2026-03-01T12:00:00Z ", "unexpected characters after the time zone offset"),
        ("2026-03-01T12:00:00+01:00:00", "unexpected characters after the time zone offset"),
        ("2026-03-01 12:00:00Z", "expected 'T' between date and time"),
        ("2026-03-01_12:00:00Z", "expected 'T' between date and time"),
        ("2026-03-01", "expected 'T' between date and time"),
        ("2026-03-01T12:00:00.Z", "expected digits after '.'"),
        ("2026-03-01T12:00:00.1234567890Z", "more than 9 fraction digits"),
        ("2026-03-01T12:00:00,5Z", "expected 'Z' or a ±HH:MM time zone offset"),
        ("2026-3-01T12:00:00Z", "expected a 2-digit month"),
        ("2026-03-1T12:00:00Z", "expected a 2-digit day"),
        ("26-03-01T12:00:00Z", "expected a 4-digit year"),
        ("+2026-03-01T12:00:00Z", "expected a 4-digit year"),
        (" 2026-03-01T12:00:00Z", "expected a 4-digit year"),
        ("20260-03-01T12:00:00Z", "expected '-' after the year"),
        ("2026/03/01T12:00:00Z", "expected '-' after the year"),
        ("2026-03/01T12:00:00Z", "expected '-' after the month"),
        ("2026-03-01T1:00:00Z", "expected a 2-digit hour"),
        ("2026-03-01T12-00:00Z", "expected ':' after the hour"),
        ("2026-03-01T12:00Z", "expected ':' after the minutes"),
        ("2026-03-01T12:0:00Z", "expected 2-digit minutes"),
        ("2026-03-01T12:00:0Z", "expected 2-digit seconds"),
        ("２０２６-03-01T12:00:00Z", "expected a 4-digit year"),
        ("", "empty timestamp"),
    ])
    func rejections(_ text: String, _ message: String) {
        #expect(parseError(text) == message)
    }

    @Test func yearBounds() throws {
        #expect(try timestamp("0001-01-01T00:00:00Z").utcString() == "0001-01-01T00:00:00Z")
        #expect(try timestamp("9999-12-31T23:59:59Z").utcString() == "9999-12-31T23:59:59Z")
    }

    @Test func errorDescription() {
        #expect(RFC3339TimestampError(message: "month 13 out of range").description == "month 13 out of range")
    }
}
