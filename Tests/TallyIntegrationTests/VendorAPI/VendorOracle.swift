import TallyAdapters
import TallyCore

/// The test's own account of the vendor transactions it served: which are
/// valid, and each user's exact figures (``VendorBalance`` over ExactDecimal).
struct VendorOracle {
    struct Transaction {
        let id: String
        let userId: String
        let type: String
        let amount: String
        let createdAt: String

        var json: String {
            "{\"id\":\(JSONWriter.quoted(id)),\"userId\":\(JSONWriter.quoted(userId)),\"createdAt\":\"\(createdAt)\",\"type\":\"\(type)\",\"amount\":\"\(amount)\"}"
        }
    }

    private(set) var valid: [Transaction] = []
    private(set) var invalid: [String] = []

    mutating func add(_ transaction: Transaction) { valid.append(transaction) }
    mutating func addInvalid(_ json: String) { invalid.append(json) }

    /// Per user, per the user-balance services' definitions.
    var balances: [String: VendorBalance] {
        var out: [String: VendorBalance] = [:]
        for transaction in valid {
            out[transaction.userId, default: VendorBalance()].add(try! ExactDecimal.parse(transaction.amount), reference: transaction.type)
        }
        return out
    }

    var counts: [String: Int] {
        valid.reduce(into: [:]) { $0[$1.userId, default: 0] += 1 }
    }

    /// Users owed a payout, in the view's order (userId bytes).
    var outstanding: [(userId: String, balance: VendorBalance)] {
        balances.filter { $0.value.hasOutstandingPayout }
            .sorted { ("user:" + $0.key).utf8.lexicographicallyPrecedes(("user:" + $1.key).utf8) }
            .map { ($0.key, $0.value) }
    }

    /// Deterministic transactions: users `u-0`… with amounts up to 4 decimals
    /// (and a few beyond Int64 mantissas), every type.
    static func generate(count: Int, users: Int, from first: Int, seed: UInt64) -> [Transaction] {
        var random = SplitMix64(seed: seed)
        return (first..<(first + count)).map { index in
            let roll = random.next() % 100
            let type = roll < 45 ? "earned" : roll < 70 ? "spent" : roll < 88 ? "payout" : "paid_out"
            let whole = random.next() % 100_000
            let fraction = random.next() % 10_000
            var amount = "\(whole).\(String(repeating: "0", count: 4 - String(fraction).count))\(fraction)"
            if index % 97 == 0 { amount = "12345678901234567890.12" }  // beyond an Int64 mantissa
            let second = index % 86_400
            return Transaction(
                id: "tx-\(index)", userId: "u-\(random.next() % UInt64(users))", type: type, amount: amount,
                createdAt: "2026-04-0\(1 + index / 86_400 % 9)T\(pad(second / 3_600)):\(pad(second / 60 % 60)):\(pad(second % 60))+01:00")
        }
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
