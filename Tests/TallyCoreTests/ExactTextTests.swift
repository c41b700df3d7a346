import Testing
import TallyCore

/// Identifiers, units and currencies are their bytes (docs/contract.md,
/// "Identifiers are bytes"): canonically equivalent spellings stay apart.
@Suite("ExactText")
struct ExactTextTests {
    let composed = "caf\u{E9}"  // NFC é
    let decomposed = "cafe\u{301}"  // NFD e + combining acute

    @Test func canonicallyEquivalentSpellingsAreTwoValues() {
        #expect(composed == decomposed, "Swift's String merges them")
        #expect(ExactText(composed) != ExactText(decomposed))
        #expect(Set([ExactText(composed), ExactText(decomposed)]).count == 2)
        var groups: [ExactText: Int] = [:]
        for text in [composed, decomposed, composed] { groups[ExactText(text), default: 0] += 1 }
        #expect(groups[ExactText(composed)] == 2)
        #expect(groups[ExactText(decomposed)] == 1)
    }

    @Test func orderIsByteOrder() {
        // "e" (0x65) sorts before "é" (0xC3 0xA9) by bytes.
        let sorted = [composed, decomposed, "cafa", "caf"].map(ExactText.init).sorted().map(\.string)
        #expect(sorted.map { Array($0.utf8) } == ["caf", "cafa", decomposed, composed].map { Array($0.utf8) })
    }

    @Test func prefixesAndDropsAreBytes() {
        let field = "p:\u{301}kWh"
        #expect(!field.hasPrefix("p:"), "a combining mark fuses with the colon into one Character")
        #expect(field.hasBytePrefix("p:"))
        #expect(Array(field.droppingFirstBytes(2).utf8) == Array("\u{301}kWh".utf8))
        #expect(!"n:kWh".hasBytePrefix("p:"))
        #expect(composed.hasSameBytes(as: composed) && !composed.hasSameBytes(as: decomposed))
    }
}
