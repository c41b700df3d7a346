import TallyCore
import TallyRedisClient
import TallyStore
@testable import TallyWorker
import Testing

/// The Lua decimal arithmetic inside Redis agrees with ExactDecimal, digit
/// for digit, including at the parse limits (48 integer, 32 fraction digits):
/// layout 3's (addition and subtraction) and layout 4's exact path (addition).
@Suite(.timeLimit(.minutes(2)))
struct FunctionArithmeticTests {
    @Test func luaAdditionAndSubtractionMatchExactDecimal() throws {
        let redis = try TestEnvironment("lua").redis()
        for source in [TallyFunctionLibrary.source, TallyFunctionLibrary.layout3Source] {
            let load = try redis.command(RedisCommand("FUNCTION", "LOAD", "REPLACE", source))
            #expect(load.errorMessage == nil, "\(load)")
        }
        var random = SplitMix64(seed: 99)
        var cases: [(String, String)] = [
            ("0.1", "0.2"), ("0", "0"), ("9999999", "1"), ("99999999999999", "0.00000000000001"),
            (String(repeating: "9", count: 48) + "." + String(repeating: "9", count: 32), "0." + String(repeating: "0", count: 31) + "1"),
            ("12.50", "2.25"), ("2.25", "12.50"), ("1", "1.000"), ("0.0001", "10000"),
        ]
        for _ in 0..<300 {
            cases.append((Self.randomDecimal(&random), Self.randomDecimal(&random)))
        }
        // The Function's fast path (at most 15 digits at the common scale,
        // exact in a double) and both sides of its limit.
        cases += [
            ("999999999999999", "999999999999999"), ("99999999999999.9", "0.1"), ("0.000000000000001", "0"),
            ("999999999999999", "1.0"), ("4503599627370495", "4503599627370497"), ("1234.56", "1234.56"),
            ("0.05", "0.5"), ("100", "0.001"), ("9007199254740993", "0"),
        ]
        for _ in 0..<300 {
            cases.append((Self.smallDecimal(&random), Self.smallDecimal(&random)))
        }
        var commands: [RedisCommand] = []
        for (a, b) in cases {
            commands.append(RedisCommand("FCALL", TallyFunctionLibrary.layout3Decimal, "0", "add", a, b))
            commands.append(RedisCommand("FCALL", TallyFunctionLibrary.layout3Decimal, "0", "sub", a, b))
            commands.append(RedisCommand("FCALL", TallyFunctionLibrary.decimal, "0", "add", a, b))
        }
        let replies = try redis.pipeline(commands)
        for (index, (a, b)) in cases.enumerated() {
            let x = try ExactDecimal.parse(a)
            let y = try ExactDecimal.parse(b)
            #expect(replies[3 * index].text == (x + y).description, "\(a) + \(b)")
            #expect(replies[3 * index + 1].text == (x - y).description, "\(a) - \(b)")
            #expect(replies[3 * index + 2].text == (x + y).description, "layout 4: \(a) + \(b)")
        }
    }

    /// Amounts and totals as they usually are: up to 10 integer and 8
    /// fraction digits, sometimes zero, sometimes with trailing zeros.
    private static func smallDecimal(_ random: inout SplitMix64) -> String {
        var text = Bool.random(using: &random) ? "0" : String(Int.random(in: 1...9_999_999_999, using: &random))
        let scale = Int.random(in: 0...8, using: &random)
        if scale > 0 {
            text += "."
            for _ in 0..<scale { text += String(Int.random(in: 0...9, using: &random)) }
        }
        return text
    }

    private static func randomDecimal(_ random: inout SplitMix64) -> String {
        let integerDigits = Int.random(in: 1...48, using: &random)
        var text = String(Int.random(in: 1...9, using: &random))
        for _ in 1..<integerDigits { text += String(Int.random(in: 0...9, using: &random)) }
        if Bool.random(using: &random) { text = "0" }
        let scale = Int.random(in: 0...32, using: &random)
        if scale > 0 {
            text += "."
            for _ in 0..<scale { text += String(Int.random(in: 0...9, using: &random)) }
        }
        return text
    }
}
