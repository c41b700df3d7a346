/// What the mailer has recorded in Redis about one report message id, and
/// what it may do next. The record moves only forward:
///
/// ```
/// (none) ──claim──▶ sending <token> (expires: the lease)
///                      │ the message's content written, before its final "."
///                      ▼
///                   committing <token>        (no expiry)
///                      │ 250 to the final "."
///                      ▼
///                   sent <epoch ms> <address>
/// ```
///
/// Why three states: an SMTP server takes a message only at the final `.`
/// of DATA (RFC 5321 §4.1.1.4); a session that ends before it delivers
/// nothing. So a `sending` claim left by a crashed mailer is safe to take
/// over once its lease ran out — the message cannot have gone. Only
/// `committing` is uncertain: the final `.` may have reached the server
/// and the crash come before `sent` was written. That one window is where
/// exactly-once cannot be had; ``decide(resendUncertain:)`` says what
/// happens there (at most once unless configured otherwise).
public enum MailDeliveryState: Sendable, Equatable {
    case sending(token: String)
    case committing(token: String)
    case sent(epochMilliseconds: Int64, address: String)

    /// What the mailer does with a message, given the record.
    public enum Decision: Sendable, Equatable {
        /// No record: claim it and send.
        case claimAndSend
        /// Already sent: acknowledge, send nothing.
        case alreadySent
        /// Another mailer holds a live claim (or a crashed one's lease has
        /// not run out yet): wait, then look again.
        case waitForClaim
        /// A mailer died between the final "." and recording `sent`: keep
        /// the message with the reason, do not send (at most once).
        case keepUncertain
        /// As above, but configured to send again (at least once).
        case takeOverAndResend
    }

    public static func decide(_ state: MailDeliveryState?, resendUncertain: Bool) -> Decision {
        switch state {
        case nil: .claimAndSend
        case .sent: .alreadySent
        case .sending: .waitForClaim
        case .committing: resendUncertain ? .takeOverAndResend : .keepUncertain
        }
    }

    /// The stored text, e.g. `sending 1a2b…`.
    public var stored: String {
        switch self {
        case .sending(let token): "sending \(token)"
        case .committing(let token): "committing \(token)"
        case .sent(let instant, let address): "sent \(instant) \(address)"
        }
    }

    /// Reads a stored text; nil for anything else (which the mailer treats
    /// as uncertain: it never sends over a record it cannot read).
    public init?(stored text: String) {
        let parts = text.split(separator: " ", maxSplits: 2).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("sending", 2): self = .sending(token: parts[1])
        case ("committing", 2): self = .committing(token: parts[1])
        case ("sent", 3):
            guard let instant = Int64(parts[1]) else { return nil }
            self = .sent(epochMilliseconds: instant, address: parts[2])
        default: return nil
        }
    }
}
