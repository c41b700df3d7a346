import Testing

@testable import TallyRuntime

/// The pure parts of ``ProcessMetrics``: reading proc(5)'s stat line and
/// writing seconds without floating point.
struct ProcessMetricsTests {
    @Test func statFieldsAreCountedAfterTheCommandName() {
        // A command name with spaces and a parenthesis must not shift the fields.
        let line = "4242 (tally (x) y) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 9 0 98765 123456789 2048 18446744073709551615"
        #expect(
            ProcessMetrics.statFields(line)
                == .init(userTicks: 1_234, systemTicks: 567, startTicks: 98_765, residentPages: 2_048))
        #expect(ProcessMetrics.statFields("4242 tally S 1") == nil)
    }

    @Test func secondsAreExactDecimalText() {
        #expect(ProcessMetrics.seconds(ticks: 1_234, perSecond: 100) == "12.340")
        #expect(ProcessMetrics.seconds(ticks: 7, perSecond: 100) == "0.070")
        #expect(ProcessMetrics.seconds(ticks: 1, perSecond: 3) == "0.333")
        #expect(ProcessMetrics.seconds(ticks: 0, perSecond: 100) == "0.000")
    }
}
