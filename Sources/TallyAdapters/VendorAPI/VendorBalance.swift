import TallyCore

/// One user's figures in one unit, as the two user-balance services define them:
/// the totals per vendor type, the balance, and the payout still owed.
///
/// - balance = earned − spent − paid_out (the successor service's rule: a
///   `payout` is only a request and does not change the balance; `paid_out`
///   does). The first service's example (earned 150, spent 50, paidOut 20,
///   balance 100) did not deduct paid_out; the successor's is the later,
///   explicit definition and is followed here.
/// - ``firstServiceBalance`` = earned − spent: the first service's rule,
///   served only on its own routes (`/aggregatedData/…`).
/// - outstanding = payout − paid_out: positive while requested payouts have
///   not all been paid out (`GET /v1/users/payouts` lists those users).
public struct VendorBalance: Sendable, Equatable {
    public var earned = ExactDecimal.zero
    public var spent = ExactDecimal.zero
    public var payout = ExactDecimal.zero
    public var paidOut = ExactDecimal.zero

    public init() {}

    public init(earned: ExactDecimal, spent: ExactDecimal, payout: ExactDecimal, paidOut: ExactDecimal) {
        self.earned = earned
        self.spent = spent
        self.payout = payout
        self.paidOut = paidOut
    }

    /// Adds `amount` to the total of the type named by a record's
    /// `reference`; returns false (and adds nothing) for any other reference.
    @discardableResult
    public mutating func add(_ amount: ExactDecimal, reference: String) -> Bool {
        switch VendorTransactionType(rawValue: reference) {
        case .earned?: earned += amount
        case .spent?: spent += amount
        case .payout?: payout += amount
        case .paidOut?: paidOut += amount
        case nil: return false
        }
        return true
    }

    public var balance: ExactDecimal { earned - spent - paidOut }

    /// The first user-balance service's balance, earned − spent: its own
    /// example (earned 150, spent 50, payout 30, paid out 20) shows 100.
    /// Served only on its routes (`GET /aggregatedData/{userId}`).
    public var firstServiceBalance: ExactDecimal { earned - spent }

    public var outstandingPayout: ExactDecimal { payout - paidOut }

    /// Whether the user is owed a payout (outstanding strictly above zero).
    public var hasOutstandingPayout: Bool { ExactDecimal.zero < outstandingPayout }
}
