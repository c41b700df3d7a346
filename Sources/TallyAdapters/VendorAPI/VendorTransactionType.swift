import TallyCore

/// The four kinds of vendor transaction and how each
/// maps onto a record.
///
/// The vendor's type becomes the record's `reference`, so tally's live
/// summaries per destination+reference carry one total per type. The record
/// `type` is the direction of the money for the user: only `earned` adds;
/// `spent`, `payout` and `paid_out` are all amounts leaving the user's side.
/// The successor user-balance service defines `payout` as a *request* that does not change the balance
/// and `paid_out` as the completed payout that does, so no single signed
/// total is the balance; the views compute it from the per-type totals:
/// balance = earned − spent − paid_out, outstanding = payout − paid_out.
public enum VendorTransactionType: String, Sendable, CaseIterable {
    case earned
    case spent
    case payout
    case paidOut = "paid_out"

    /// The record's `reference`: the vendor's own name for the type.
    public var reference: String { rawValue }

    public var recordType: RecordType {
        switch self {
        case .earned: .positive
        case .spent, .payout, .paidOut: .negative
        }
    }
}
