import TallyCore

/// Deterministic demo transactions: the same seed gives the same list.
/// Amounts are whole cents written as decimal strings (no floats anywhere);
/// types are mostly earned and spent, with payouts and some of them paid out.
struct TransactionGenerator {
    private var random: SplitMix64

    init(seed: UInt64) {
        // Offset once, so seed 0 does not start at SplitMix64's own zero state.
        random = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
    }

    private mutating func next() -> UInt64 { random.next() }

    mutating func transactions(count: Int, users: Int, firstId: Int = 1) -> [JSONValue] {
        (0..<count).map { offset in
            let index = firstId + offset
            let user = String(74_092 + Int(next() % UInt64(max(users, 1))))
            let roll = next() % 100
            let type = roll < 50 ? "earned" : roll < 80 ? "spent" : roll < 92 ? "payout" : "paid_out"
            let cents = 1 + next() % 50_000
            let amount = "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
            let second = index % 86_400
            let day = 1 + (index / 86_400) % 28
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let createdAt = "2026-03-\(two(day))T\(two(second / 3_600)):\(two(second / 60 % 60)):\(two(second % 60))Z"
            return .object([
                JSONMember(key: "id", value: .string("t-\(index)")),
                JSONMember(key: "userId", value: .string("0" + user)),
                JSONMember(key: "createdAt", value: .string(createdAt)),
                JSONMember(key: "type", value: .string(type)),
                JSONMember(key: "amount", value: .string(amount)),
            ])
        }
    }
}
