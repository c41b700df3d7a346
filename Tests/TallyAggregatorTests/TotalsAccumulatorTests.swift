import Testing
import TallyCore
@testable import TallyAggregator

@Suite struct TotalsAccumulatorTests {
    @Test func sumsAcrossScalesExactlyPerDestinationAndUnit() throws {
        var accumulator = TotalsAccumulator()
        accumulator.addCount(3, destination: "b")
        accumulator.addCount(1, destination: "a")
        accumulator.add(try .parse("0.1"), destination: "b", unit: "EUR", type: .positive)
        accumulator.add(try .parse("0.20"), destination: "b", unit: "EUR", type: .positive)
        accumulator.add(try .parse("1"), destination: "b", unit: "EUR", type: .negative)
        accumulator.add(try .parse("5"), destination: "a", unit: "kWh", type: .positive)
        accumulator.add(try .parse("2"), destination: "b", unit: "Ab", type: .negative)
        let groups = accumulator.groups()
        #expect(groups.map(\.destinationId) == ["a", "b"])
        #expect(groups.map(\.count) == [1, 3])
        #expect(groups[1].totals.map(\.unit) == ["Ab", "EUR"])
        #expect(groups[1].totals[1].positive.description == "0.30")
        #expect(groups[1].totals[1].net.description == "-0.70")
        #expect(groups[1].totals[0].positive.description == "0")
    }

    @Test func destinationsInByteOrder() {
        var accumulator = TotalsAccumulator()
        for destination in ["é", "z", "Z", "a"] { accumulator.addCount(1, destination: destination) }
        #expect(accumulator.groups().map(\.destinationId) == ["Z", "a", "z", "é"])
    }
}
