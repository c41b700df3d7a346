import Testing
import TallyCore
@testable import TallyAggregator

@Suite struct IndexedValueTests {
    @Test(arguments: [
        ("12.50", 1250 as Int64?, 2), ("0", 0, 0), ("0.001", 1, 3), ("999999999999999999", 999_999_999_999_999_999, 0),
        ("1000000000000000000", nil, 0), ("0.00000000000000000001", nil, 20), ("123456789012345678901234.5", nil, 1),
    ] as [(String, Int64?, Int)])
    func mantissaWhenItFits(_ text: String, _ mantissa: Int64?, _ scale: Int) throws {
        let value = IndexedValue(try ExactDecimal.parse(text))
        #expect(value.mantissa == mantissa)
        #expect(value.scale == scale)
        #expect(value.text == text)
    }

    @Test(arguments: [(1250 as Int64, 2, "12.50"), (1, 3, "0.001"), (0, 2, "0.00"), (-5, 1, "-0.5"), (Int64.max, 0, "9223372036854775807")])
    func decimalFromSum(_ mantissa: Int64, _ scale: Int, _ expected: String) {
        #expect(IndexedValue.decimal(mantissa: mantissa, scale: scale).description == expected)
    }

    @Test func indexedTimeOrdersLikeTheInstant() throws {
        let a = IndexedTime(try RFC3339Timestamp.parse("2026-03-01T12:00:00.000000001Z"))
        let b = IndexedTime(try RFC3339Timestamp.parse("2026-03-01T12:00:00.000000002Z"))
        let c = IndexedTime(try RFC3339Timestamp.parse("1969-12-31T23:59:59.999Z"))
        #expect(a < b)
        #expect(c < a)
        #expect(c.milliseconds == -1)
    }
}
