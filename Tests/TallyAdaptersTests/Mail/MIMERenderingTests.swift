import Foundation
import Testing
import TallyAdapters
import TallyCore

@Suite struct MIMEBase64Tests {
    @Test(arguments: ["", "f", "fo", "foo", "foob", "fooba", "foobar", "ünï cødé €"])
    func encodesAsFoundationDoes(_ text: String) {
        #expect(MIMEBase64.encode(Array(text.utf8)) == Data(text.utf8).base64EncodedString())
    }

    @Test func bodyLinesAreAtMost76CharactersAndEndInCRLF() {
        let bytes = (0..<1_000).map { UInt8($0 % 256) }
        let lines = MIMEBase64.encodeLines(bytes)
        #expect(lines.hasSuffix("\r\n"))
        let split = lines.components(separatedBy: "\r\n").dropLast()
        #expect(split.allSatisfy { $0.count <= 76 })
        #expect(split.dropLast().allSatisfy { $0.count == 76 })
        #expect(Data(base64Encoded: split.joined()) == Data(bytes))
    }
}

@Suite struct MIMEHeaderTextTests {
    @Test func plainASCIIStaysAsItIs() {
        #expect(MIMEHeaderText.encode("Transactions report for account 42") == "Transactions report for account 42")
    }

    /// Decodes encoded words the way a mail client does.
    private func decode(_ header: String) -> String {
        let words = header.components(separatedBy: "\r\n ")
        var bytes = Data()
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="), "\(word)")
            #expect(word.count <= 75, "an encoded word is at most 75 characters")
            bytes += Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!
            #expect(String(data: Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!, encoding: .utf8) != nil, "a word never splits a character")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: ["ünï cødé/7", String(repeating: "€", count: 60), "a\r\nBcc: victim@example.com", "日本語のアカウント名"])
    func anythingElseBecomesEncodedWordsThatDecodeBack(_ text: String) {
        let encoded = MIMEHeaderText.encode(text)
        #expect(!encoded.replacingOccurrences(of: "\r\n ", with: "").contains("\r"), "no line break but folding")
        #expect(!encoded.replacingOccurrences(of: "\r\n ", with: "").contains("\n"))
        #expect(decode(encoded) == text)
    }
}

@Suite struct MailDateTests {
    @Test func formatsRFC5322InUTC() {
        #expect(MailDate.format(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailDate.format(epochSeconds: 1_796_592_031) == "Sun, 06 Dec 2026 21:20:31 +0000")
        #expect(MailDate.format(epochSeconds: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }
}

@Suite struct MailMessageTests {
    private func message(html: String = "<p>Hi</p>", text: String = "Hi", subject: String = "Report") throws -> MailMessage {
        MailMessage(
            from: try MailAddress("reports@tally.example"), to: try MailAddress("holder@example.com"), subject: subject,
            date: "Thu, 01 Jan 1970 00:00:00 +0000", messageId: "account-report.abc@tally.example", text: text, html: html,
            extraHeaders: [("X-Tally-Report-Id", "account-report:abc")])
    }

    @Test func rendersAMultipartAlternativeWithCRLFLinesOnly() throws {
        let html = String(repeating: "<p>ünï</p>\n.leading dot\r\n", count: 40)
        let rendered = String(decoding: try message(html: html, text: "Balance: 39.74").rendered(), as: UTF8.self)
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "no bare CR")
        #expect(rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 || $0.hasPrefix("Content-Type: multipart") })
        let boundary = try #require(try message().boundary as String?)
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n"))
        #expect(rendered.contains("MIME-Version: 1.0\r\n"))
        #expect(rendered.contains("Message-ID: <account-report.abc@tally.example>\r\n"))
        #expect(rendered.contains("X-Tally-Report-Id: account-report:abc\r\n"))
        #expect(rendered.hasSuffix("--\(boundary)--\r\n"))
        let parts = rendered.components(separatedBy: "--\(boundary)\r\n").dropFirst()
        #expect(parts.count == 2)
        func body(_ part: String) -> String {
            let encoded = part.components(separatedBy: "\r\n\r\n")[1].components(separatedBy: "\r\n--")[0]
            return String(decoding: Data(base64Encoded: encoded.replacingOccurrences(of: "\r\n", with: ""))!, as: UTF8.self)
        }
        let plain = try #require(parts.first)
        let rich = try #require(parts.last)
        #expect(plain.hasPrefix("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
        #expect(rich.hasPrefix("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
        #expect(body(plain) == "Balance: 39.74")
        #expect(body(rich) == html)
    }

    @Test func aNonASCIISubjectIsEncodedAndTheSameMessageRendersTheSameBytes() throws {
        let rendered = String(decoding: try message(subject: "Report for ünï").rendered(), as: UTF8.self)
        #expect(rendered.contains("Subject: =?UTF-8?B?"))
        #expect(try message().rendered() == message().rendered())
    }
}

@Suite struct SMTPDataTests {
    @Test func stuffsLeadingDotsAndNormalisesLineEnds() {
        let stuffed = SMTPData.stuffed(Array(".one\r\ntwo\n.\n..three\rfour".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "..one\r\ntwo\r\n..\r\n...three\r\nfour\r\n")
    }

    @Test func aMessageEndingInCRLFGetsNoExtraLine() {
        #expect(SMTPData.stuffed(Array("a\r\n".utf8)) == Array("a\r\n".utf8))
        #expect(SMTPData.terminator == Array(".\r\n".utf8))
    }
}
