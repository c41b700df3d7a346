import Foundation
import Testing
import TallyAdapters

@Suite struct SMTPReplyParserTests {
    @Test func assemblesMultiLineReplies() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed("250-mail.example Hello") == nil)
        #expect(try parser.feed("250-STARTTLS") == nil)
        #expect(try parser.feed("250 AUTH PLAIN LOGIN") == SMTPReply(code: 250, lines: ["mail.example Hello", "STARTTLS", "AUTH PLAIN LOGIN"]))
        #expect(try parser.feed("354") == SMTPReply(code: 354, lines: [""]))
    }

    @Test(arguments: ["", "25", "abc hello", "250+x", "999 no", "100 low"])
    func refusesMalformedLines(_ line: String) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPReplyFormatError.self) { try parser.feed(line) }
    }

    @Test func refusesACodeChangeInsideAReply() throws {
        var parser = SMTPReplyParser()
        _ = try parser.feed("250-first")
        #expect(throws: SMTPReplyFormatError.self) { try parser.feed("251 second") }
    }
}

@Suite struct SMTPClientStateMachineTests {
    private let from = try! MailAddress("reports@tally.example")
    private let to = try! MailAddress("holder@example.com")

    private func machine(_ policy: SMTPStartTLSPolicy, _ credentials: SMTPCredentials? = nil) -> SMTPClientStateMachine {
        SMTPClientStateMachine(configuration: .init(heloName: "tally.local", startTLS: policy, credentials: credentials), from: from, recipients: [to])
    }

    private func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines.isEmpty ? [""] : lines) }

    private func failure(_ action: SMTPClientStateMachine.Action) -> SMTPFailure? {
        if case .fail(let failure) = action { return failure }
        return nil
    }

    @Test func aPlainSessionWithoutTLS() {
        var smtp = machine(.never)
        #expect(smtp.replyReceived(reply(220, "mail ESMTP")) == .send("EHLO tally.local"))
        #expect(smtp.replyReceived(reply(250, "mail", "STARTTLS", "8BITMIME")) == .send("MAIL FROM:<reports@tally.example>"))
        #expect(smtp.replyReceived(reply(250)) == .send("RCPT TO:<holder@example.com>"))
        #expect(smtp.replyReceived(reply(250)) == .send("DATA"))
        #expect(smtp.replyReceived(reply(354)) == .sendMessage)
        #expect(smtp.replyReceived(reply(250, "queued")) == .delivered)
        #expect(!smtp.isEncrypted)
    }

    @Test func startTLSThenEHLOAgainThenAuthPlain() {
        var smtp = machine(.required, SMTPCredentials(user: "tally", password: "s3cret"))
        #expect(smtp.replyReceived(reply(220)) == .send("EHLO tally.local"))
        #expect(smtp.replyReceived(reply(250, "mail", "STARTTLS", "AUTH LOGIN")) == .send("STARTTLS"))
        #expect(smtp.replyReceived(reply(220, "go ahead")) == .startTLS)
        #expect(smtp.tlsEstablished() == .send("EHLO tally.local"))
        let plain = "AUTH PLAIN " + Data("\u{0}tally\u{0}s3cret".utf8).base64EncodedString()
        #expect(smtp.replyReceived(reply(250, "mail", "AUTH PLAIN LOGIN")) == .send(plain))
        #expect(smtp.replyReceived(reply(235)) == .send("MAIL FROM:<reports@tally.example>"))
        #expect(smtp.isEncrypted)
    }

    @Test func authLoginWhenOnlyLoginIsOffered() {
        var smtp = machine(.ifOffered, SMTPCredentials(user: "tally", password: "s3cret"))
        _ = smtp.replyReceived(reply(220))
        _ = smtp.replyReceived(reply(250, "mail", "STARTTLS"))
        _ = smtp.replyReceived(reply(220))
        _ = smtp.tlsEstablished()
        #expect(smtp.replyReceived(reply(250, "mail", "AUTH=LOGIN")) == .send("AUTH LOGIN " + Data("tally".utf8).base64EncodedString()))
        #expect(smtp.replyReceived(reply(334, "UGFzc3dvcmQ6")) == .send(Data("s3cret".utf8).base64EncodedString()))
        #expect(smtp.replyReceived(reply(235)) == .send("MAIL FROM:<reports@tally.example>"))
    }

    @Test func requiredTLSThatIsNotOfferedIsAMisconfiguration() {
        var smtp = machine(.required)
        _ = smtp.replyReceived(reply(220))
        #expect(failure(smtp.replyReceived(reply(250, "mail", "AUTH PLAIN")))?.kind == .misconfigured)
    }

    @Test func credentialsAreNeverSentWithoutTLS() {
        var smtp = machine(.ifOffered, SMTPCredentials(user: "tally", password: "s3cret"))
        _ = smtp.replyReceived(reply(220))
        let refused = failure(smtp.replyReceived(reply(250, "mail", "AUTH PLAIN")))
        #expect(refused?.kind == .misconfigured)
        #expect(refused?.stage == "AUTH")
    }

    @Test func aRefusedLoginIsAMisconfigurationNotTheMessagesFault() {
        var smtp = machine(.required, SMTPCredentials(user: "tally", password: "wrong", mechanism: .plain))
        _ = smtp.replyReceived(reply(220))
        _ = smtp.replyReceived(reply(250, "mail", "STARTTLS"))
        _ = smtp.replyReceived(reply(220))
        _ = smtp.tlsEstablished()
        _ = smtp.replyReceived(reply(250, "mail", "AUTH PLAIN"))
        #expect(failure(smtp.replyReceived(reply(535, "bad credentials")))?.kind == .misconfigured)
    }

    @Test(arguments: [(450, SMTPFailure.Kind.transient), (550, .rejected), (421, .transient), (554, .rejected)])
    func refusalsOfTheRecipientOrTheMessageAreClassified(_ code: Int, _ kind: SMTPFailure.Kind) {
        var smtp = machine(.never)
        _ = smtp.replyReceived(reply(220))
        _ = smtp.replyReceived(reply(250))
        _ = smtp.replyReceived(reply(250))
        #expect(failure(smtp.replyReceived(reply(code, "no")))?.kind == kind, "RCPT TO")

        var data = machine(.never)
        for answer in [220, 250, 250, 250, 354] { _ = data.replyReceived(reply(answer)) }
        let refused = failure(data.replyReceived(reply(code, "no")))
        #expect(refused?.kind == kind)
        #expect(refused?.stage == "message")
    }

    @Test func aGreetingOtherThan220FailsTransiently() {
        var smtp = machine(.never)
        #expect(failure(smtp.replyReceived(reply(554, "go away")))?.kind == .transient)
    }
}
